"""PBX call statistics (SPEC 5): /client/{id}/cdr/stats/ counts CDRs, /calls/stats/
counts calls (CDRs grouped by local_tag), each for both directions."""

from __future__ import annotations

from callstats.queries import PBX_COUNTS, PbxQuery
from callstats.reports.definitions import Report
from callstats.reports.params import INTEGER_LIST, TIME, Param, Parsed, Role
from callstats.stores.base import Store

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
CALL_STATS = Report("/client/{client_id}/calls/stats/",
                    "PBX summary counting calls (CDRs grouped by local_tag)", PBX_PARAMS)
CDR_STATS = Report("/client/{client_id}/cdr/stats/", "PBX summary counting every CDR",
                   PBX_PARAMS)


def run(store: Store, parsed: Parsed, customer_id: int, account_ids: frozenset[int],
        per_call: bool, now_us: int) -> dict[str, dict[str, int]]:
    to_us = int(parsed.get("end_datetime", now_us))  # type: ignore[arg-type]
    from_us = int(parsed.get("start_datetime", to_us - DAY_US))  # type: ignore[arg-type]
    extensions = parsed.get("extension_id")
    keys = CALL_KEYS if per_call else PBX_COUNTS
    body = {}
    for direction in ("in", "out"):
        if from_us >= to_us:
            counts = dict.fromkeys(keys, 0)
        else:
            counts = store.pbx_counts(PbxQuery(
                customer_id, direction, from_us, to_us, tuple(sorted(account_ids)),
                extensions if isinstance(extensions, tuple) else None, per_call))
        body[direction] = {key: counts[key] for key in keys}
    return body
