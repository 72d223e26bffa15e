"""yeti-client's statistics charts (SPEC 9.6) from the report queries: per minute, the peak
of concurrent calls on each side of an account (valued as SPEC 4.4), and the calls per
second it originated (SPEC 4.3's origination rows). One point per minute from
minute(from) to minute(to), both included, zero-filled."""

from __future__ import annotations

from callstats.queries import ORIGINATION, TERMINATION, Buckets, ConcurrentQuery, TrafficQuery
from callstats.reports import numbers
from callstats.reports.buckets import bucket_start, series
from callstats.reports.concurrent import MAX_POINTS
from callstats.stores.base import Store

MINUTE_US = 60_000_000
Points = list[tuple[int, object]]  # (minute start in unix seconds, value)


def minutes(from_us: int, to_us: int) -> list[int] | None:
    """The minute starts (unix seconds) a chart shows; None beyond MAX_POINTS."""
    return series("minute", from_us, to_us, None, MAX_POINTS)


def active_calls(store: Store, account_id: int, from_us: int, to_us: int,
                 points: list[int]) -> dict[str, Points]:
    charted: dict[str, Points] = {}
    for name, side in (("terminated_calls", TERMINATION), ("originated_calls", ORIGINATION)):
        query = ConcurrentQuery(side, account_id, from_us, to_us, Buckets(MINUTE_US))
        peaks: dict[int, int] = {}
        for row in store.concurrent_calls(query):
            t = bucket_start("minute", row.bucket, row.offset, None)
            peaks[t] = peaks.get(t, 0) + row.calls
        charted[name] = [(t, peaks.get(t, 0)) for t in points]
    return charted


def originated_cps(store: Store, account_id: int, from_us: int, to_us: int,
                   points: list[int]) -> dict[str, Points]:
    query = TrafficQuery(ORIGINATION, account_id, from_us, to_us, Buckets(MINUTE_US))
    calls: dict[int, int] = {}
    for row in store.traffic(query):
        t = bucket_start("minute", row.bucket, row.offset, None)
        calls[t] = calls.get(t, 0) + row.total
    return {"cps": [(t, numbers.per_second(calls.get(t, 0), 60)) for t in points]}
