"""Origination/termination statistics (SPEC 4.3): exact sums per bucket from the store,
metrics derived here once for every engine."""

from __future__ import annotations

from operator import sub
from zoneinfo import ZoneInfo

from callstats.queries import TrafficQuery, TrafficRow
from callstats.reports import numbers
from callstats.reports.buckets import bucket_start, buckets_for, zoned_range
from callstats.reports.context import Body, ReportContext
from callstats.reports.params import Role

METRICS = ("total_calls", "successful_calls", "failed_calls", "total_duration", "acd", "asr",
           "total_price")


def run(ctx: ReportContext) -> Body:
    parsed, store = ctx.parsed, ctx.store
    window = ctx.window()
    if window is None:
        return body([])
    from_us, to_us = window
    sampling = parsed.text(Role.SAMPLING) or "minute"
    zone = parsed.zone()
    from_us, to_us = zoned_range(sampling, zone, from_us, to_us)
    if zone is not None:
        # Offsets are needed only where CDRs exist: a request spanning millennia must not
        # build a table of every DST transition in them.
        span = store.cdr_time_span()
        if span is None:
            return body([])
        from_us, to_us = max(from_us, span[0]), min(to_us, span[1])
    if from_us > to_us:
        return body([])
    query = TrafficQuery(ctx.require_side(), ctx.account_id, from_us, to_us,
                         buckets_for(sampling, zone, from_us, to_us), parsed.filters)
    return body(merge(store.traffic(query), sampling, zone))


Sums = tuple[int, int, int, int, int]  # t, total, successful, seconds, price (micro-units)


def merge(rows: list[TrafficRow], sampling: str, zone: ZoneInfo | None) -> list[Sums]:
    """Engine rows (possibly several per bucket: days rolled into weeks/months, or one
    local hour split by a DST change) summed exactly per bucket start, ascending."""
    merged: dict[int, Sums] = {}
    found_at = merged.get
    for bucket, offset, total, successful, seconds, price in rows:
        t = bucket_start(sampling, bucket, offset, zone)
        found = found_at(t)
        merged[t] = (t, total, successful, seconds, price) if found is None else (
            t, found[1] + total, found[2] + successful, found[3] + seconds, found[4] + price)
    return sorted(merged.values())  # one entry per t: ordered by t alone


def body(buckets: list[Sums]) -> Body:
    """Column lists built column by column (`map` over the kept spellings), without an
    object or a Python-level loop step per bucket: a typical day at minute buckets has
    ~100 of them on a 10M-CDR store (docs/performance.md, "Answers that grow with the
    store")."""
    ts, calls, successes, seconds, prices = (
        (list(column) for column in zip(*buckets, strict=True)) if buckets
        else ([] for _ in range(5)))
    data: dict[str, list[object]] = {
        "t": ts, "total_calls": calls, "successful_calls": successes,
        "failed_calls": list(map(sub, calls, successes)),
        "total_duration": list(map(numbers.minutes, seconds)),
        "acd": list(map(numbers.acd, seconds, successes)),
        "asr": list(map(numbers.asr, successes, calls)),
        "total_price": list(map(numbers.money, prices))}
    totals = {"t": 0} | _metrics(sum(calls), sum(successes), sum(seconds), sum(prices))
    return {"data": data, "rows": len(buckets), "totals": totals}


def _metrics(total: int, successful: int, seconds: int, price: int) -> dict[str, object]:
    return {
        "total_calls": total,
        "successful_calls": successful,
        "failed_calls": total - successful,
        "total_duration": numbers.minutes(seconds),
        "acd": numbers.acd(seconds, successful),
        "asr": numbers.asr(successful, total),
        "total_price": numbers.money(price),
    }
