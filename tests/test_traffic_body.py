"""The traffic report's body, built column by column in one pass, equals the body built
bucket by bucket through a metrics dict per bucket (the way it was first written), byte
for byte once encoded."""

from hypothesis import given
from hypothesis import strategies as st

from callstats.http.jsonbody import dump
from callstats.reports import numbers
from callstats.reports.traffic import METRICS, body


def per_bucket(buckets: list[tuple[int, int, int, int, int]]) -> dict[str, object]:
    def metrics(total: int, successful: int, seconds: int, price: int) -> dict[str, object]:
        return {"total_calls": total, "successful_calls": successful,
                "failed_calls": total - successful,
                "total_duration": numbers.minutes.__wrapped__(seconds),
                "acd": numbers.acd.__wrapped__(seconds, successful),
                "asr": numbers.asr.__wrapped__(successful, total),
                "total_price": numbers.money.__wrapped__(price)}

    data: dict[str, list[object]] = {name: [] for name in ("t", *METRICS)}
    for t, total, successful, seconds, price in buckets:
        data["t"].append(t)
        for name, value in metrics(total, successful, seconds, price).items():
            data[name].append(value)
    sums = [sum(b[i] for b in buckets) for i in range(1, 5)]
    return {"data": data, "rows": len(buckets), "totals": {"t": 0} | metrics(*sums)}


bucket = st.tuples(st.integers(-10**12, 10**12), st.integers(0, 10**6),
                   st.integers(0, 10**6), st.integers(0, 10**9),
                   st.integers(-10**12, 10**12)).filter(lambda b: b[2] <= b[1])


@given(st.lists(bucket, max_size=50))
def test_body_equals_the_per_bucket_build(buckets: list[tuple[int, int, int, int, int]]
                                          ) -> None:
    assert dump(body(buckets)) == dump(per_bucket(buckets))
