"""The account's calls in progress now (SPEC 4.5), in seed 004's shape."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from callstats.columns import ACTIVE_CALL_KEYS
from callstats.queries import CurrentCallsQuery
from callstats.reports import numbers
from callstats.reports.context import Body, ReportContext

TIME_KEYS = {"snapshot_timestamp", "start_time", "connect_time"}
SECOND = 1_000_000


def run(ctx: ReportContext) -> Body:
    max_age = ctx.snapshot_max_age * SECOND
    query = CurrentCallsQuery(ctx.account_id, ctx.now_us - max_age, ctx.now_us + max_age,
                              ctx.parsed.filters)
    calls = [dict(zip(ACTIVE_CALL_KEYS, map(_spell, ACTIVE_CALL_KEYS, row), strict=True))
             for row in ctx.store.current_calls(query)]
    return {"data": calls, "rows": len(calls)}


def _spell(key: str, value: object) -> object:
    if value is None:
        return None
    if key in TIME_KEYS:
        assert isinstance(value, int)
        return datetime.fromtimestamp(value // SECOND, UTC).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, Decimal):
        return numbers.spell(value)
    return value
