"""The Arrow fast path for NDJSON must give exactly what the row-aware exact path gives,
or step aside (return None); never a different value."""

from __future__ import annotations

from decimal import Decimal

import orjson
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callstats.columns import CDR_COLUMNS
from callstats.ingest.convert import BatchRejected, convert_table
from callstats.ingest.readers import _arrow_ndjson, read_ndjson_exact

prices = st.one_of(
    st.decimals(min_value=Decimal("-999999999"), max_value=Decimal("999999999"), places=6,
                 allow_nan=False, allow_infinity=False).map(lambda d: f"{d}"),
    st.sampled_from(["0.1", "1e-3", "123456789012.123456", "0.1234567", "-5", "2.50"]),
)
times = st.one_of(
    st.integers(min_value=0, max_value=4_000_000_000),
    st.sampled_from(["1762000000.25", "1762000000.123456", "1.5e9"]),
    st.sampled_from(["2026-01-01 00:00:00", "2026-01-01T10:00:00Z", "2026-02-30 00:00:00",
                     "2026-03-01T10:00:00.1234567+02:00", "2026-03-01", "bad"]),
)


def _json_value(value: object, as_number: bool) -> str:
    if isinstance(value, str) and as_number:
        try:
            float(value)
            return value  # the decimal text written as a JSON number
        except ValueError:
            pass
    return orjson.dumps(value).decode()


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    rows = draw(st.integers(min_value=1, max_value=6))
    price_as_number = draw(st.booleans())
    lines = []
    for _ in range(rows):
        fields = {
            "id": draw(st.one_of(st.integers(1, 10**12), st.just("7"), st.just(1.5))),
            "time_start": draw(times),
            "duration": draw(st.one_of(st.integers(-1, 10_000), st.just(True))),
            "customer_price": draw(prices),
            "local_tag": draw(st.one_of(st.text(max_size=5), st.integers(-10**12, 10**12),
                                        st.none())),
            "is_last_cdr": draw(st.sampled_from([True, False, 1, 0, "true", None])),
            "extra_yeti_field": draw(st.one_of(st.integers(-9, 9), st.text(max_size=3))),
            "vendor_id": draw(st.one_of(st.integers(0, 99), st.none())),
            "is_redirected": draw(st.sampled_from([True, False, 1, None])),
            "legb_disconnect_code": draw(st.sampled_from([0, 486, None, "603"])),
            "pdd": draw(st.one_of(st.floats(0, 10), st.integers(0, 9), st.none())),
        }
        # Any key may be absent from any row, the first included (a column the first
        # record lacks must still be read from the others).
        parts = [f'"{k}":{_json_value(v, price_as_number and k == "customer_price")}'
                 for k, v in fields.items() if k == "id" or draw(st.booleans())]
        lines.append("{" + ",".join(parts) + "}")
    return "\n".join(lines).encode()


def _convert(raw: dict, rows: int) -> pa.Table | list:
    try:
        return convert_table(raw, rows, CDR_COLUMNS)
    except BatchRejected as exc:
        return [e.as_dict() for e in exc.errors]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies())
def test_fast_path_equals_exact_path(body: bytes) -> None:
    fast = _arrow_ndjson(body, CDR_COLUMNS)
    if fast is None:
        return  # stepped aside: the exact path decides alone
    exact = read_ndjson_exact(body, CDR_COLUMNS)
    assert _convert(*fast) == _convert(*exact)


def test_columns_missing_from_the_first_record_are_read() -> None:
    body = (b'{"id":1,"time_start":"2026-01-01 00:00:00","duration":5}\n'
            b'{"id":2,"time_start":"2026-01-01 00:00:00","duration":5,"vendor_id":40,'
            b'"is_redirected":true,"customer_price":0.25}')
    raw = _arrow_ndjson(body, CDR_COLUMNS) or read_ndjson_exact(body, CDR_COLUMNS)
    table = convert_table(*raw, CDR_COLUMNS)
    assert table.column("vendor_id").to_pylist() == [None, 40]
    assert table.column("is_redirected").to_pylist() == [False, True]
    assert table.column("customer_price").to_pylist() == [Decimal(0), Decimal("0.25")]


@pytest.mark.parametrize("body", [
    b'{"id":1,"time_start":"2026-01-01 00:00:00","duration":5,"customer_price":0.1}',
    b'{"id":1,"time_start":1762000000.5,"duration":5,"customer_price":123456789012.123456}',
])
def test_fast_path_takes_plain_yeti_rows(body: bytes) -> None:
    fast = _arrow_ndjson(body, CDR_COLUMNS)
    assert fast is not None
    table = convert_table(*fast, CDR_COLUMNS)
    exact = convert_table(*read_ndjson_exact(body, CDR_COLUMNS), CDR_COLUMNS)
    assert table.equals(exact)


@pytest.mark.parametrize("members", [b'"pdd":0.00001', b'"customer_price":0.0000001',
                                     b'"time_end":0.00001', b'"pdd":6103515625.0'])
def test_small_doubles_are_named_as_written_on_both_paths(members: bytes) -> None:
    """orjson hands the exact path 0.00001 as a double whose repr is "1e-05" (and 5.0 as
    "5.0"); Arrow reads the text as a decimal. Both name (or take) the value alike."""
    body = b'{"id":1,"time_start":1,"duration":5,' + members + b"}"
    fast = _arrow_ndjson(body, CDR_COLUMNS)
    assert fast is not None
    assert _convert(*fast) == _convert(*read_ndjson_exact(body, CDR_COLUMNS))
