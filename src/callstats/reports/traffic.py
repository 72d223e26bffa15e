"""Origination/termination statistics (SPEC 4.3): exact sums per bucket from the store,
metrics derived here once for every engine."""

from __future__ import annotations

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
    merged: dict[int, tuple[int, int, int, int]] = {}
    for row in rows:
        t = bucket_start(sampling, row.bucket, row.offset, zone)
        total, successful, seconds, price = merged.get(t, (0, 0, 0, 0))
        merged[t] = (total + row.total, successful + row.successful,
                     seconds + row.duration, price + row.price_micros)
    return [(t, *merged[t]) for t in sorted(merged)]


def body(buckets: list[Sums]) -> Body:
    """Column lists built in one pass, without an object per bucket."""
    ts: list[object] = []
    calls: list[object] = []
    successes: list[object] = []
    failures: list[object] = []
    durations: list[object] = []
    acds: list[object] = []
    asrs: list[object] = []
    prices: list[object] = []
    minutes, acd, asr, money = numbers.minutes, numbers.acd, numbers.asr, numbers.money
    total = successful = seconds = price = 0
    for t, b_total, b_successful, b_seconds, b_price in buckets:
        ts.append(t)
        calls.append(b_total)
        successes.append(b_successful)
        failures.append(b_total - b_successful)
        durations.append(minutes(b_seconds))
        acds.append(acd(b_seconds, b_successful))
        asrs.append(asr(b_successful, b_total))
        prices.append(money(b_price))
        total += b_total
        successful += b_successful
        seconds += b_seconds
        price += b_price
    data: dict[str, list[object]] = {
        "t": ts, "total_calls": calls, "successful_calls": successes,
        "failed_calls": failures, "total_duration": durations, "acd": acds, "asr": asrs,
        "total_price": prices}
    totals = {"t": 0} | _metrics(total, successful, seconds, price)
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
