"""Peak concurrent calls per bucket from active-call snapshots (SPEC 4.4)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from callstats.queries import ConcurrentQuery, Side
from callstats.reports.buckets import bucket_start, buckets_for, series, zoned_range
from callstats.reports.params import BadParams, Parsed
from callstats.stores.base import Store

MAX_POINTS = 50_000
TOO_MANY = f"too many points (max {MAX_POINTS}): use a coarser sampling or a shorter range"


def run(store: Store, side: Side, parsed: Parsed, account_id: int, now_us: int) -> dict:
    from_us = int(parsed.get("from-time"))  # type: ignore[arg-type]
    to_us = int(parsed.get("to-time", now_us))  # type: ignore[arg-type]
    if from_us > to_us or from_us > now_us:
        return body([], {})
    sampling = str(parsed.get("sampling"))
    zone = parsed.get("time-zone")
    assert zone is None or isinstance(zone, ZoneInfo)
    from_us, to_us = zoned_range(sampling, zone, from_us, to_us)
    points = series(sampling, from_us, to_us, zone, MAX_POINTS)
    if points is None:
        raise BadParams(TOO_MANY)
    query = ConcurrentQuery(side, account_id, from_us, to_us,
                            buckets_for(sampling, zone, from_us, to_us), parsed.filters)
    peaks: dict[int, int] = {}
    for row in store.concurrent_calls(query):
        t = bucket_start(sampling, row.bucket, row.offset, zone)
        peaks[t] = peaks.get(t, 0) + row.calls
    return body(points, peaks)


def body(points: list[int], peaks: dict[int, int]) -> dict:
    return {"data": {"t": points, "calls": [peaks.get(t, 0) for t in points]},
            "rows": len(points)}
