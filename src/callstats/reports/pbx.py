"""PBX call statistics (SPEC 5): /client/{id}/cdr/stats/ counts CDRs, /calls/stats/
counts calls (CDRs grouped by local_tag), each for both directions."""

from __future__ import annotations

from callstats.queries import PBX_COUNTS, ExtensionsQuery, PbxQuery
from callstats.reports.context import Body, ReportContext
from callstats.reports.current import wall_time
from callstats.reports.params import INTEGER_LIST, TIME, Param, Role

DAY_US = 86_400 * 1_000_000
CALL_KEYS = PBX_COUNTS[:9]  # calls have no diverted / answered elsewhere counts

PBX_PARAMS = (
    Param("start_datetime", TIME, role=Role.FROM,
          doc="Start, inclusive, on time_start (default: end_datetime − 24 h)"),
    Param("end_datetime", TIME, role=Role.TO, doc="End, exclusive (default: now)"),
    Param("extension_id", INTEGER_LIST, role=Role.EXTENSIONS, aliases=("extension_id[]",),
          repeatable=True, doc="Only these extensions: repeat the param, use "
          "extension_id[]=, or separate ids with commas"),
)


def window(ctx: ReportContext) -> tuple[int, int]:
    """[start, end) in µs: end defaults to now, start to end − 24 h."""
    end = ctx.parsed.time(Role.TO)
    end = ctx.now_us if end is None else end
    start = ctx.parsed.time(Role.FROM)
    return (end - DAY_US if start is None else start), end


def summary(ctx: ReportContext, per_call: bool) -> Body:
    from_us, to_us = window(ctx)
    keys = CALL_KEYS if per_call else PBX_COUNTS
    body: Body = {}
    for direction in ("in", "out"):
        if from_us >= to_us:
            counts = dict.fromkeys(keys, 0)
        else:
            counts = ctx.store.pbx_counts(PbxQuery(
                ctx.customer_id, direction, from_us, to_us, tuple(sorted(ctx.account_ids)),
                ctx.parsed.ints(Role.EXTENSIONS), per_call))
        body[direction] = {key: counts[key] for key in keys}
    return body


def extensions(ctx: ReportContext) -> Body:
    """The extension ids seen in the client's CDRs, with first and last call and count."""
    rows = ctx.store.pbx_extensions(ExtensionsQuery(ctx.customer_id,
                                                    tuple(sorted(ctx.account_ids))))
    data = [{"extension_id": r.extension_id, "first_call": wall_time(r.first_us),
             "last_call": wall_time(r.last_us), "cdrs": r.cdrs} for r in rows]
    return {"data": data, "rows": len(data)}


def calls(ctx: ReportContext) -> Body:
    return summary(ctx, per_call=True)


def cdrs(ctx: ReportContext) -> Body:
    return summary(ctx, per_call=False)
