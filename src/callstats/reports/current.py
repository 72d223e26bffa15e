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


def wall_time(micros: int) -> str:
    """SPEC 4.5's timestamps: `YYYY-MM-DD HH:MM:SS`, UTC, fractions truncated."""
    moment = datetime.fromtimestamp(micros // SECOND, UTC)
    return f"{moment.year:04d}-" + moment.strftime("%m-%d %H:%M:%S")


def _spell(key: str, value: object) -> object:
    if value is None:
        return None
    if key in TIME_KEYS:
        assert isinstance(value, int)
        return wall_time(value)
    if isinstance(value, Decimal):
        return numbers.spell(value)
    return value
