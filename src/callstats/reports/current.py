"""The account's calls in progress now (SPEC 4.5), in seed 004's shape."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from callstats.columns import ACTIVE_CALL_KEYS
from callstats.queries import CurrentCallsQuery
from callstats.reports import numbers
from callstats.reports.params import Parsed
from callstats.stores.base import Store

TIME_KEYS = {"snapshot_timestamp", "start_time", "connect_time"}
SECOND = 1_000_000


def run(store: Store, parsed: Parsed, account_id: int, now_us: int, max_age_s: int) -> dict:
    query = CurrentCallsQuery(account_id, now_us - max_age_s * SECOND,
                              now_us + max_age_s * SECOND, parsed.filters)
    calls = [dict(zip(ACTIVE_CALL_KEYS, map(_spell, ACTIVE_CALL_KEYS, row), strict=True))
             for row in store.current_calls(query)]
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
