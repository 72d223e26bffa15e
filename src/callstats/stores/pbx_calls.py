"""The per-call PBX rollup of the DuckDB store: one row of mergeable facts per call
(direction, client, local_tag) over the compacted CDRs, so `/calls/stats/` groups only
the calls it cannot count from those facts.

A call's answer (SPEC 5, report_sql.pbx_counts) comes from the CDRs of the call that pass
the request's filters (time range, accounts, extensions, each applied per CDR). A rollup
row keeps, for all of the call's compacted CDRs: whether any is answered or bridged, the
bridged seconds and the seconds, the disposition code of the last CDR with the key that
ranks it last (is_last_cdr, time_start, id), the first and last time_start, the number of
CDRs, and the least and greatest account and extension with how many CDRs have one. All of
them merge: the facts of two sets of a call's CDRs give the facts of their union, so
compaction folds a call's newly compacted CDRs into its row.

A query counts from the rollup exactly the calls whose every CDR it would pick: the row's
CDRs all lie in the range, carry one account (and extension) that the filter keeps, and no
CDR of the call is still in the not-yet-compacted tail. Every other call that has a picked
CDR is read from raw rows, grouped as before: the tail's CDRs, and the compacted CDRs of
calls that straddle a range edge, mix accounts or extensions under a filter, or have CDRs
in the tail. A row whose CDRs the filter drops entirely (one account, not kept) adds
nothing either way. The two parts are disjoint by call, so their units add up to the raw
answer.
"""

from __future__ import annotations

from callstats.queries import PbxQuery
from callstats.stores.report_sql import PBX_CODE, PBX_DIRECTIONS, pbx_picked, pbx_totals
from callstats.stores.sql import INT64, Binder, Dialect, Statement, array_of

DIRECTION_CODES = {"out": 0, "in": 1}
# The rollup table and its columns: the key (cdr_id only for a CDR without local_tag, its
# own call), then the facts and how each merges.
TABLE = "pbx_calls"
KEY = ("direction", "client_id", "local_tag", "cdr_id")
COLUMNS = (
    "direction TINYINT NOT NULL, client_id BIGINT NOT NULL, local_tag VARCHAR, "
    "cdr_id BIGINT, cdrs BIGINT NOT NULL, first_us BIGINT NOT NULL, "
    "final_us BIGINT NOT NULL, account_low BIGINT, account_high BIGINT, "
    "accounts BIGINT NOT NULL, extension_low BIGINT, extension_high BIGINT, "
    "extensions BIGINT NOT NULL, answered BOOLEAN, bridged BOOLEAN, "
    "bridged_seconds BIGINT NOT NULL, seconds BIGINT NOT NULL, code BIGINT, "
    "last_is_last BOOLEAN NOT NULL, last_us BIGINT NOT NULL, last_id BIGINT NOT NULL")
# The key that ranks a call's CDR last (SPEC 5), over facts of CDRs or of merged rows.
_LAST = "(last_is_last, last_us, last_id)"
_MERGE = (
    "sum(cdrs)::BIGINT AS cdrs, min(first_us) AS first_us, max(final_us) AS final_us, "
    "min(account_low) AS account_low, max(account_high) AS account_high, "
    "sum(accounts)::BIGINT AS accounts, min(extension_low) AS extension_low, "
    "max(extension_high) AS extension_high, sum(extensions)::BIGINT AS extensions, "
    "bool_or(answered) AS answered, bool_or(bridged) AS bridged, "
    "sum(bridged_seconds)::BIGINT AS bridged_seconds, sum(seconds)::BIGINT AS seconds, "
    f"arg_max_null(code, {_LAST}) AS code, arg_max_null(last_is_last, {_LAST}) "
    f"AS last_is_last, arg_max_null(last_us, {_LAST}) AS last_us, "
    f"arg_max_null(last_id, {_LAST}) AS last_id")
ORDER = "direction, client_id, first_us"


def _cdr_facts(direction: str, source: str) -> str:
    """One facts row per CDR of `source` that has a client in `direction`."""
    client, account = PBX_DIRECTIONS[direction]
    tag = "nullif(local_tag, '')"
    return (
        f"SELECT {DIRECTION_CODES[direction]} AS direction, {client} AS client_id, "
        f"{tag} AS local_tag, CASE WHEN {tag} IS NULL THEN id END AS cdr_id, 1 AS cdrs, "
        "epoch_us(time_start) AS first_us, epoch_us(time_start) AS final_us, "
        f"{account} AS account_low, {account} AS account_high, "
        f"CAST({account} IS NOT NULL AS BIGINT) AS accounts, "
        "extension_id AS extension_low, extension_id AS extension_high, "
        "CAST(extension_id IS NOT NULL AS BIGINT) AS extensions, "
        "duration > 0 AS answered, bridged, "
        "CASE WHEN bridged THEN coalesce(bridged_duration, 0) ELSE 0 END AS bridged_seconds, "
        f"duration AS seconds, {PBX_CODE} AS code, is_last_cdr AS last_is_last, "
        f"epoch_us(time_start) AS last_us, id AS last_id FROM {source} "
        f"WHERE {client} IS NOT NULL")


def facts(source: str) -> str:
    """The rollup rows of the CDRs of `source`, one per call, both directions."""
    rows = " UNION ALL ".join(_cdr_facts(direction, source) for direction in DIRECTION_CODES)
    return f"SELECT {', '.join(KEY)}, {_MERGE} FROM ({rows}) AS cdr_facts GROUP BY {', '.join(KEY)}"


def compaction(moving: str) -> list[str]:
    """Statements folding the CDRs of `moving` (about to join the compacted table) into
    the rollup, in the compaction's transaction: the calls they touch are merged with
    their rows already there, which are replaced."""
    calls = ", ".join(KEY[:3])
    touched = f"({calls}) IN (SELECT {calls} FROM _pbx_new WHERE local_tag IS NOT NULL)"
    return [
        f"CREATE OR REPLACE TEMP TABLE _pbx_new AS {facts(moving)}",
        f"CREATE OR REPLACE TEMP TABLE _pbx_merged AS SELECT {', '.join(KEY)}, {_MERGE} "
        f"FROM (SELECT * FROM {TABLE} WHERE local_tag IS NOT NULL AND {touched} "
        f"UNION ALL SELECT * FROM _pbx_new) AS both_parts GROUP BY {', '.join(KEY)}",
        f"DELETE FROM {TABLE} WHERE local_tag IS NOT NULL AND {touched}",
        f"INSERT INTO {TABLE} SELECT * FROM _pbx_merged ORDER BY {ORDER}",
        "DROP TABLE _pbx_new",
        "DROP TABLE _pbx_merged",
    ]


def answers(q: PbxQuery) -> bool:
    """Whether the rollup path is worth taking for `q` (both paths give the same answer):
    per call, and without an extension filter. A PBX call's CDRs often ring several
    extensions, so under that filter most calls mix kept and dropped CDRs and are read raw
    anyway; with the rollup's tags to match on top, that took about twice the CPU of the
    raw path (bench/pbx_rollup.py). An account filter stays: a call's CDRs mostly share
    the account, and even with every call mixing accounts the two paths cost the same."""
    return q.per_call and q.extension_ids is None


def _filter_fit(bind: Binder, d: Dialect, kind: str, ids: tuple[int, ...] | None
                ) -> tuple[str, str]:
    """(every CDR of the row passes the filter on `kind`, none does) as SQL; a row whose
    CDRs carry several values, or some none, is neither."""
    if ids is None:
        return "true", "false"
    low, high, count = f"{kind}_low", f"{kind}_high", f"{kind}s"
    listed = bind(list(ids), array_of(INT64))
    one = f"({count} = cdrs AND {low} = {high})"
    return (f"({one} AND {d.in_array(low, listed)})",
            f"({count} = 0 OR ({one} AND NOT {d.in_array(low, listed)}))")


def pbx_calls(q: PbxQuery, d: Dialect, tail: tuple[str, ...]) -> Statement:
    """report_sql.pbx_counts' answer for a per-call query, from the rollup where every CDR
    of a call is picked, from raw rows (the compacted `d.cdrs` and the `tail` tables)
    for the other calls."""
    assert q.per_call
    bind = d.binder()
    client_column = PBX_DIRECTIONS[q.direction][0]
    client = bind(q.client_id, INT64)
    low, high = bind(q.from_us, INT64), bind(q.to_us, INT64)
    accounts_in, accounts_out = _filter_fit(bind, d, "account", q.account_ids or None)
    extensions_in, extensions_out = _filter_fit(bind, d, "extension", q.extension_ids)
    conditions, read = pbx_picked(q, d, bind)
    names = ", ".join(read)
    picked = " AND ".join(conditions)
    tail_rows = " UNION ALL ".join(f"SELECT {names} FROM {t} WHERE {picked}" for t in tail)
    # Calls with a CDR in the tail, at any time: their compacted CDRs are read raw too.
    tail_tags = " UNION ALL ".join(
        f"SELECT local_tag FROM {t} WHERE {client_column} = {client} AND local_tag <> ''"
        for t in tail)
    # An anti-join (NOT IN's NULL-aware mark join, or NOT EXISTS, cost ~2x as much); a
    # row without local_tag matches nothing in it.
    untouched = (f" ANTI JOIN ({tail_tags}) AS tail_calls "
                 f"ON tail_calls.local_tag = {TABLE}.local_tag" if tail else "")
    inside = f"first_us >= {low} AND final_us < {high}"
    mine = (f"direction = {bind(DIRECTION_CODES[q.direction], INT64)} "
            f"AND client_id = {client} AND final_us >= {low} AND first_us < {high}")
    whole = f"{inside} AND {accounts_in} AND {extensions_in}"
    # The calls counted from the rollup, folded into one row per flags and code (a few
    # dozen rows: no per-call work at query time), each with how many calls it stands for.
    counted = (
        "SELECT answered AS is_answered, bridged AS is_bridged, "
        "sum(bridged_seconds) AS bridged_seconds, sum(seconds) AS seconds, code, "
        "false AS redirected, false AS elsewhere, count(*) AS calls "
        f"FROM {TABLE}{untouched} WHERE {mine} AND {whole} "
        "GROUP BY answered, bridged, code")
    # The calls read from raw rows instead: the rest of the client's rows in the range
    # that the filter may pick some CDRs of, and every call with CDRs in the tail.
    raw_tags = (f"SELECT local_tag FROM {TABLE} WHERE {mine} AND NOT ({whole}) "
                f"AND NOT {accounts_out} AND NOT {extensions_out}")
    if tail:
        raw_tags += f" UNION ALL {tail_tags}"
    compacted_rows = (f"SELECT {names} FROM {d.cdrs} WHERE {picked} "
                      f"AND local_tag IN ({raw_tags})")
    raw = " UNION ALL ".join([compacted_rows, *([tail_rows] if tail else [])])
    units = (
        f"{counted} UNION ALL SELECT {d.any_true('duration > 0')}, {d.any_true('bridged')}, "
        f"{d.sum_if('bridged_duration', 'bridged')}, sum(duration), "
        f"{d.last_cdr_code(PBX_CODE)}, false, false, 1 "
        f"FROM ({raw}) AS picked GROUP BY nullif(local_tag, ''), "
        "CASE WHEN nullif(local_tag, '') IS NULL THEN id END"
    )
    return Statement(pbx_totals(d, units, weight="calls"), bind.params)
