"""Peak concurrent calls per bucket from active-call snapshots (SPEC 4.4)."""

from __future__ import annotations

from callstats.queries import ConcurrentQuery
from callstats.reports.buckets import bucket_start, buckets_for, series, zoned_range
from callstats.reports.context import Body, ReportContext
from callstats.reports.params import BadParams, Role

MAX_POINTS = 50_000
TOO_MANY = f"too many points (max {MAX_POINTS}): use a coarser sampling or a shorter range"


def run(ctx: ReportContext) -> Body:
    parsed = ctx.parsed
    window = ctx.window()
    if window is None:
        return body([], {})
    from_us, to_us = window
    sampling = parsed.text(Role.SAMPLING) or "minute"
    zone = parsed.zone()
    from_us, to_us = zoned_range(sampling, zone, from_us, to_us)
    points = series(sampling, from_us, to_us, zone, MAX_POINTS)
    if points is None:
        raise BadParams(TOO_MANY)
    query = ConcurrentQuery(ctx.require_side(), ctx.account_id, from_us, to_us,
                            buckets_for(sampling, zone, from_us, to_us), parsed.filters)
    peaks: dict[int, int] = {}
    for row in ctx.store.concurrent_calls(query):
        t = bucket_start(sampling, row.bucket, row.offset, zone)
        peaks[t] = peaks.get(t, 0) + row.calls
    return body(points, peaks)


def body(points: list[int], peaks: dict[int, int]) -> Body:
    return {"data": {"t": points, "calls": [peaks.get(t, 0) for t in points]},
            "rows": len(points)}
