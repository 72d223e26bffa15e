"""Disconnect codes of an account's calls (SPEC 9.5): CDRs per code, with the code's class
(SPEC 5) and its share of all the calls, most frequent first."""

from __future__ import annotations

from callstats.dispositions import code_class
from callstats.queries import CodeCount, DisconnectCodesQuery
from callstats.reports import numbers
from callstats.reports.context import Body, ReportContext


def run(ctx: ReportContext) -> Body:
    window = ctx.window()
    if window is None:
        return {"data": [], "rows": 0}
    query = DisconnectCodesQuery(ctx.require_side(), ctx.account_id, *window,
                                 ctx.parsed.filters)
    counts = sorted(ctx.store.disconnect_codes(query), key=_order)
    calls = sum(c.calls for c in counts)
    data = [{"code": c.code, "class": code_class(c.code), "calls": c.calls,
             "share": numbers.asr(c.calls, calls)} for c in counts]
    return {"data": data, "rows": len(data)}


def _order(count: CodeCount) -> tuple[int, bool, int]:
    """Calls descending, then code ascending, the null code last among equal counts."""
    return -count.calls, count.code is None, count.code or 0
