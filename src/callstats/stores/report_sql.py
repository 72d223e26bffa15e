"""Every report query, written once over a `Dialect` (stores/sql.py).

Each builder turns an engine-neutral question (callstats.queries) into one `Statement`
whose text comes only from declared column names, the dialect's spellings and the shape of
the question (how many offsets, which filters); every value is bound. The matching
`*_rows` function reads the engine's rows back into exact Python integers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from callstats.columns import ACTIVE_CALL_KEYS, CDR_COLUMNS, SNAPSHOT_CALL_COLUMNS, Column
from callstats.dispositions import (
    ANSWERED_CODE,
    BUSY_CODES,
    KNOWN_CODES,
    NETWORK_EFFECTIVE_CODES,
    NOT_ANSWERED_CODES,
    REJECTED_CODES,
)
from callstats.queries import (
    PBX_COUNTS,
    Buckets,
    CodeCount,
    ConcurrentQuery,
    ConcurrentRow,
    CurrentCallsQuery,
    DisconnectCodesQuery,
    ExtensionRow,
    ExtensionsQuery,
    Filter,
    PbxQuery,
    QualityAnswer,
    QualityQuery,
    QualityRow,
    Side,
    TrafficQuery,
    TrafficRow,
)
from callstats.stores.filters import columns_read, where
from callstats.stores.sql import INT64, Binder, Dialect, Statement, array_of

CDR_BY_NAME: Mapping[str, Column] = {c.name: c for c in CDR_COLUMNS}
CALL_BY_NAME: Mapping[str, Column] = {c.name: c for c in SNAPSHOT_CALL_COLUMNS}
DAY_US = 86_400_000_000
TIME_KEYS = frozenset({"snapshot_timestamp", "start_time", "connect_time"})

# floor(a / b) from truncating division: shift a by a multiple of b into the positives.
# Every time we store (years 1-9999) plus any UTC offset stays above -FLOOR_BIAS.
FLOOR_BIAS = 10**17


def floor_div(d: Dialect, bind: Binder, dividend: str, divisor: int,
              least: int | None = None) -> str:
    """floor(dividend / divisor) for divisor > 0 and dividend > -FLOOR_BIAS, exactly.
    `least`: a lower bound of the dividend, if known; from 0 up truncation is the floor,
    and the plain division saves ClickHouse ~0.5 ms of analysis a query (three bound
    values fewer)."""
    if least is not None and least >= 0:
        return d.int_div(dividend, bind(divisor, INT64))
    shifts = -(-FLOOR_BIAS // divisor)
    shifted = f"{dividend} + {bind(shifts * divisor, INT64)}"
    return f"({d.int_div(shifted, bind(divisor, INT64))} - {bind(shifts, INT64)})"


def offset_at(d: Dialect, bind: Binder, buckets: Buckets, micros: str) -> str:
    """The UTC offset (µs) in force at `micros`, from the bound transition table."""
    starts, offsets = buckets.offsets.starts, buckets.offsets.offsets
    if len(offsets) == 1:
        return bind(offsets[0] * 1_000_000, INT64)
    branches = " ".join(
        f"WHEN {micros} < {bind(start, INT64)} THEN {bind(offset * 1_000_000, INT64)}"
        for start, offset in zip(starts[1:], offsets[:-1], strict=True))
    return f"CASE {branches} ELSE {bind(offsets[-1] * 1_000_000, INT64)} END"


def least_local(buckets: Buckets, from_us: int) -> int:
    """The least local time (µs) of an instant from `from_us` on."""
    return from_us + min(buckets.offsets.offsets) * 1_000_000


def reads(*groups: Iterable[str]) -> list[str]:
    """The columns named in `groups`, each once, in order."""
    return list(dict.fromkeys(name for group in groups for name in group))


def side_columns(side: Side, filters: Sequence[Filter]) -> list[str]:
    """The columns `side_rows` reads."""
    return reads([side.account_column, "time_start"],
                 ["is_last_cdr"] if side.last_cdr_only else [], columns_read(filters))


def _between(d: Dialect, bind: Binder, column: str, low: int, high: int) -> str:
    return (f"{column} BETWEEN {d.time_value(bind(low, INT64))} "
            f"AND {d.time_value(bind(high, INT64))}")


def _and(conditions: Iterable[str]) -> str:
    return " AND ".join(conditions)


def _codes(codes: tuple[int, ...]) -> str:
    """A list of our own constant codes (never a client's value) as SQL."""
    return "(" + ", ".join(map(str, codes)) + ")"


def side_rows(d: Dialect, bind: Binder, side: Side, account_id: int, from_us: int,
              to_us: int, filters: Sequence[Filter]) -> str:
    """The condition picking one account's CDRs on a side (SPEC 4.3 rows: origination
    only last CDRs), started from `from_us` to `to_us` inclusive, filters applied."""
    conditions = [f"{side.account_column} = {bind(account_id, INT64)}",
                  _between(d, bind, "time_start", from_us, to_us)]
    if side.last_cdr_only:
        conditions.append("is_last_cdr")
    conditions += where(filters, CDR_BY_NAME, d, bind)
    return _and(conditions)


# --- SPEC 4.3: exact sums per bucket ------------------------------------------------------

def traffic(q: TrafficQuery, d: Dialect) -> Statement:
    bind, side = d.binder(), q.side
    picked = side_rows(d, bind, side, q.account_id, q.from_us, q.to_us, q.filters)
    least = least_local(q.buckets, q.from_us)
    cdrs = d.cdr_rows(reads(["duration", side.price_column], side_columns(side, q.filters)))
    text = (
        f"SELECT {floor_div(d, bind, 'ts + off', q.buckets.step_us, least)} AS bucket, "
        f"{d.int_div('off', '1000000')} AS offset_s, count(*), "
        f"{d.count_if('duration > 0')}, sum(duration), {d.price_sum('price')} "
        f"FROM (SELECT ts, {offset_at(d, bind, q.buckets, 'ts')} AS off, duration, price "
        f"FROM (SELECT {d.micros('time_start')} AS ts, duration, "
        f"{side.price_column} AS price FROM {cdrs} WHERE {picked}) AS picked) "
        "AS placed GROUP BY bucket, offset_s ORDER BY bucket"
    )
    return Statement(text, bind.params)


def traffic_rows(rows: Iterable[Sequence[object]]) -> list[TrafficRow]:
    return [TrafficRow(_int(b), _int(o), _int(n), _int(ok), _int(s), micros(p))
            for b, o, n, ok, s, p in rows]


def micros(price: object) -> int:
    """A price sum in millionths, from an integer of micro-units, an exact decimal, or a
    decimal's text with at most six places (`Dialect.stored_price`)."""
    if price is None:
        return 0
    if isinstance(price, str):
        if price[-7:-6] == ".":  # six places, as DuckDB spells a DECIMAL(38, 6)
            return int(price.replace(".", ""))
        whole, _, places = price.partition(".")
        if len(places) > 6:
            raise ValueError(f"a price with more than six decimal places: {price}")
        return int(whole + places.ljust(6, "0"))
    if isinstance(price, Decimal):
        return int(price.scaleb(6))
    return _int(price)


def _int(value: object) -> int:
    assert isinstance(value, int), value
    return value


# --- SPEC 9.4 and 9.5: quality per bucket, disconnect codes -------------------------------

def disposition_code(side: Side) -> str:
    """A CDR's code (SPEC 9.5): 200 when answered, else the first set of the side's
    disconnect codes, else NULL (a stored 0 is already NULL: columns.zero_is_null)."""
    return (f"CASE WHEN duration > 0 THEN {ANSWERED_CODE} "
            f"ELSE coalesce({', '.join(side.code_columns)}) END")


def pdd_millis(d: Dialect) -> str:
    """pdd as integer milliseconds, rounded half away from zero, exact for both ways pdd is
    stored: DECIMAL(9, 3) converts to the double nearest it, and so does a DOUBLE holding a
    3-decimal value; scaled by 1000 either is within 1e-6 of its integer, far inside the
    half millisecond the rounding allows, so every engine lands on the same integer."""
    seconds = d.float64("pdd")
    return d.int64(f"sign({seconds}) * floor(abs({seconds}) * 1000 + 0.5)")


def _quality_rows(q: QualityQuery, d: Dialect, bind: Binder) -> str:
    """One row per picked CDR: its bucket on the UTC grid, duration, code, pdd in ms."""
    picked = side_rows(d, bind, q.side, q.account_id, q.from_us, q.to_us, q.filters)
    cdrs = d.cdr_rows(reads(["duration", "pdd", *q.side.code_columns],
                            side_columns(q.side, q.filters)))
    bucket = floor_div(d, bind, d.micros("time_start"), q.step_us, q.from_us)
    return (f"SELECT {bucket} AS bucket, "
            f"duration, {disposition_code(q.side)} AS code, {pdd_millis(d)} AS pdd_ms "
            f"FROM {cdrs} WHERE {picked}")


def quality(q: QualityQuery, d: Dialect) -> Statement:
    """Sums per bucket and, in the row whose `whole` is 1, over the whole range (one
    aggregation: GROUPING SETS). With percentiles, each row also holds the nearest ranks of
    its integer-ms pdd values: the k-th smallest of n, k = ceil(p·n / 100) — the smallest
    value with at least p% of the values at or below it. Integer arithmetic on sorted
    values, so every engine picks the same one (engine quantile functions interpolate or
    sample, each its own way)."""
    bind = d.binder()
    failed = f"code IS NULL OR code NOT IN {_codes(NETWORK_EFFECTIVE_CODES)}"
    sums = (f"count(*) AS calls, {d.count_if('duration > 0')} AS answered, "
            f"coalesce(sum(duration), 0) AS seconds, {d.count_if(failed)} AS failed, "
            "count(pdd_ms) AS timed, coalesce(sum(pdd_ms), 0) AS timed_ms")
    ranks = ""
    if q.percentiles:
        sums += f", {d.sorted_values('pdd_ms')} AS delays"
        ranks = "".join(
            ", delays[" + d.int_div(f"{bind(p, INT64)} * timed + {bind(99, INT64)}",
                                    bind(100, INT64)) + "]" for p in q.percentiles)
    text = (f"SELECT whole, bucket, calls, answered, seconds, failed, timed, timed_ms{ranks} "
            f"FROM (SELECT grouping(bucket) AS whole, bucket, {sums} "
            f"FROM ({_quality_rows(q, d, bind)}) AS picked "
            "GROUP BY GROUPING SETS ((bucket), ())) AS grouped")
    return Statement(text, bind.params)


def quality_answer(rows: Iterable[Sequence[object]]) -> QualityAnswer:
    """Each row: the `whole` flag, the bucket (NULL or 0 in the whole row, by engine), the
    sums, then the ranks (NULL, or ClickHouse's 0 for an index past an empty array, where
    a bucket has no pdd value)."""
    buckets: list[QualityRow] = []
    whole: QualityRow | None = None
    for flag, bucket, *values in rows:
        calls, answered, seconds, failed, timed, timed_ms = map(_int, values[:6])
        ranks = tuple(0 if r is None else _int(r) for r in values[6:])
        read = QualityRow(0 if flag else _int(bucket), calls, answered, seconds, failed,
                          timed, timed_ms, ranks)
        if flag:
            whole = read
        else:
            buckets.append(read)
    buckets.sort(key=lambda r: r.bucket)  # a GROUP BY keeps no order
    return QualityAnswer(buckets, whole)


def disconnect_codes(q: DisconnectCodesQuery, d: Dialect) -> Statement:
    bind = d.binder()
    picked = side_rows(d, bind, q.side, q.account_id, q.from_us, q.to_us, q.filters)
    cdrs = d.cdr_rows(reads(["duration", *q.side.code_columns],
                            side_columns(q.side, q.filters)))
    text = (f"SELECT code, count(*) FROM (SELECT {disposition_code(q.side)} AS code "
            f"FROM {cdrs} WHERE {picked}) AS picked GROUP BY code")
    return Statement(text, bind.params)


def code_rows(rows: Iterable[Sequence[object]]) -> list[CodeCount]:
    return [CodeCount(None if code is None else _int(code), _int(n)) for code, n in rows]


# --- SPEC 4.4: peak concurrent calls per bucket -------------------------------------------

def concurrent_calls(q: ConcurrentQuery, d: Dialect) -> Statement:
    bind = d.binder()
    calls, in_force = d.snapshot_calls(bind, q.from_us, q.to_us, latest_only=False)
    conditions = [f"{q.side.account_column} = {bind(q.account_id, INT64)}",
                  _between(d, bind, "snapshot_timestamp", q.from_us, q.to_us),
                  *([in_force] if in_force else []),
                  *where(q.filters, CALL_BY_NAME, d, bind)]
    # A node's peak is over its whole bucket: a local day is one bucket whatever offsets it
    # spans, while a shorter bucket number repeats when clocks fall back (02:00 CEST and
    # 02:00 CET), and there the offset tells the two apart.
    split = ", off" if q.buckets.step_us < DAY_US else ""
    least = least_local(q.buckets, q.from_us)
    text = (
        f"SELECT bucket, {d.int_div('bucket_off', '1000000')}, sum(peak) FROM ("
        f"SELECT node_id, {floor_div(d, bind, 'ts + off', q.buckets.step_us, least)} "
        "AS bucket, "
        "min(off) AS bucket_off, max(n) AS peak FROM ("
        f"SELECT node_id, ts, {offset_at(d, bind, q.buckets, 'ts')} AS off, count(*) AS n "
        f"FROM (SELECT node_id, {d.micros('snapshot_timestamp')} AS ts FROM {calls} "
        f"WHERE {_and(conditions)}) AS picked GROUP BY node_id, ts) AS per_snapshot "
        f"GROUP BY node_id, bucket{split}) AS per_node "
        "GROUP BY bucket, bucket_off ORDER BY bucket"
    )
    return Statement(text, bind.params)


def concurrent_rows(rows: Iterable[Sequence[object]]) -> list[ConcurrentRow]:
    return [ConcurrentRow(_int(b), _int(o), _int(n)) for b, o, n in rows]


# --- SPEC 4.5: the calls of each node's latest fresh snapshot ------------------------------

def current_calls(q: CurrentCallsQuery, d: Dialect) -> Statement:
    bind = d.binder()
    calls, in_force = d.snapshot_calls(bind, q.fresh_from_us, q.fresh_to_us, latest_only=True)
    assert in_force is not None
    conditions = [f"customer_acc_id = {bind(q.account_id, INT64)}", in_force,
                  *where(q.filters, CALL_BY_NAME, d, bind)]
    columns = ", ".join(d.micros(k) if k in TIME_KEYS else k for k in ACTIVE_CALL_KEYS)
    text = (f"SELECT {columns} FROM {calls} WHERE {_and(conditions)} "
            "ORDER BY start_time DESC NULLS LAST, node_id, position")
    return Statement(text, bind.params)


# --- SPEC 5: PBX summaries --------------------------------------------------------------

PBX_DIRECTIONS = {"out": ("customer_id", "customer_acc_id"), "in": ("vendor_id", "vendor_acc_id")}
# A CDR's disposition code when not answered: the first set of leg B, leg A, internal.
PBX_CODE = "coalesce(legb_disconnect_code, lega_disconnect_code, internal_disconnect_code)"
# The columns the units below read: both kinds, a CDR alone, a call of CDRs.
PBX_UNIT_COLUMNS = ("duration", "bridged", "bridged_duration", "legb_disconnect_code",
                    "lega_disconnect_code", "internal_disconnect_code")
PBX_CDR_COLUMNS = ("is_redirected", "answered_elsewhere")
PBX_CALL_COLUMNS = ("local_tag", "is_last_cdr", "id")


def pbx_picked(q: PbxQuery, d: Dialect, bind: Binder) -> tuple[list[str], list[str]]:
    """The conditions picking the CDRs of `q` (client, time range, account and extension
    filters) and the columns its counting reads."""
    client_column, account_column = PBX_DIRECTIONS[q.direction]
    conditions = [f"{client_column} = {bind(q.client_id, INT64)}",
                  f"time_start >= {d.time_value(bind(q.from_us, INT64))}",
                  f"time_start < {d.time_value(bind(q.to_us, INT64))}"]
    if q.account_ids:
        conditions.append(d.in_array(account_column, bind(list(q.account_ids),
                                                          array_of(INT64))))
    if q.extension_ids is not None:
        conditions.append(d.in_array("extension_id", bind(list(q.extension_ids),
                                                          array_of(INT64))))
    read = reads([client_column, "time_start"], [account_column] if q.account_ids else [],
                 [] if q.extension_ids is None else ["extension_id"], PBX_UNIT_COLUMNS,
                 PBX_CALL_COLUMNS if q.per_call else PBX_CDR_COLUMNS)
    return conditions, read


# One CDR as a unit of the PBX counts (pbx_totals), the CDR counted alone.
PBX_CDR_UNIT = ("duration > 0 AS is_answered, bridged AS is_bridged, "
                "bridged_duration AS bridged_seconds, duration AS seconds, "
                f"{PBX_CODE} AS code, is_redirected AS redirected, "
                "answered_elsewhere AS elsewhere")


def pbx_counts(q: PbxQuery, d: Dialect) -> Statement:
    bind = d.binder()
    conditions, read = pbx_picked(q, d, bind)
    rows = (f"SELECT {', '.join(read)} FROM {d.cdr_rows(read)} "
            f"WHERE {_and(conditions)}")
    if not q.per_call:
        units = f"SELECT {PBX_CDR_UNIT} FROM ({rows}) AS picked"
    else:
        # A call: the CDRs sharing a non-empty local_tag (else each CDR alone). Answered if
        # any CDR is; otherwise it takes the code of its last CDR (is_last_cdr first, then
        # the latest time_start, then the highest id), NULL included: a last CDR without
        # a code makes the call failed.
        units = (
            f"SELECT {d.any_true('duration > 0')} AS is_answered, "
            f"{d.any_true('bridged')} AS is_bridged, "
            f"{d.sum_if('bridged_duration', 'bridged')} AS bridged_seconds, "
            "sum(duration) AS seconds, "
            f"{d.last_cdr_code(PBX_CODE)} AS code, "
            f"false AS redirected, false AS elsewhere FROM ({rows}) AS picked "
            "GROUP BY nullif(local_tag, ''), "
            "CASE WHEN nullif(local_tag, '') IS NULL THEN id END"
        )
    return Statement(pbx_totals(d, units), bind.params)


def pbx_totals(d: Dialect, units: str, weight: str | None = None,
               keys: Sequence[str] = ()) -> str:
    """The PBX counts (PBX_COUNTS' order) over `units`: one row per CDR or per call, its
    is_answered, is_bridged, bridged_seconds, seconds, code, redirected, elsewhere; or,
    with `weight`, a row standing for that many units alike in every flag and code, its
    seconds summed over them. With `keys` (columns of `units`), per key, keys first."""
    def count(condition: str | None) -> str:
        if weight is None:
            return "count(*)" if condition is None else d.count_if(condition)
        return f"sum({weight})" if condition is None else d.sum_if(weight, condition)

    failed = f"NOT is_answered AND (code IS NULL OR code NOT IN {_codes(KNOWN_CODES)})"
    named = "".join(f"{key}, " for key in keys)
    group = f" GROUP BY {', '.join(keys)}" if keys else ""
    return (
        f"SELECT {named}{count('is_answered')}, {count('is_bridged')}, "
        f"{d.sum_if('bridged_seconds', 'is_bridged')}, "
        f"{count(f'NOT is_answered AND code IN {_codes(BUSY_CODES)}')}, "
        f"{d.sum_if('seconds', 'is_answered')}, {count(failed)}, "
        f"{count(f'NOT is_answered AND code IN {_codes(NOT_ANSWERED_CODES)}')}, "
        f"{count(f'NOT is_answered AND code IN {_codes(REJECTED_CODES)}')}, "
        f"{count(None)}, {count('redirected')}, {count('elsewhere')} "
        f"FROM ({units}) AS units{group}"
    )


def pbx_extensions(q: ExtensionsQuery, d: Dialect) -> Statement:
    """Each extension id of the client's CDRs, out or in, each CDR counted once."""
    bind = d.binder()
    client = bind(q.client_id, INT64)
    sides = []
    cdrs = d.cdr_rows(reads(["extension_id", "time_start"], *(
        [by_client, by_account] if q.account_ids else [by_client]
        for by_client, by_account in PBX_DIRECTIONS.values())))
    for client_column, account_column in PBX_DIRECTIONS.values():
        mine = f"{client_column} = {client}"
        if q.account_ids:
            mine += " AND " + d.in_array(account_column,
                                         bind(list(q.account_ids), array_of(INT64)))
        sides.append(f"({mine})")
    text = (f"SELECT extension_id, min(ts), max(ts), count(*) FROM (SELECT extension_id, "
            f"{d.micros('time_start')} AS ts FROM {cdrs} WHERE extension_id IS NOT NULL "
            f"AND ({' OR '.join(sides)})) AS picked GROUP BY extension_id "
            "ORDER BY extension_id")
    return Statement(text, bind.params)


def extension_rows(rows: Iterable[Sequence[object]]) -> list[ExtensionRow]:
    return [ExtensionRow(_int(e), _int(first), _int(last), _int(n))
            for e, first, last, n in rows]


def pbx_rows(rows: Sequence[Sequence[object]]) -> dict[str, int]:
    [row] = rows
    return {name: 0 if value is None else _int(value)
            for name, value in zip(PBX_COUNTS, row, strict=True)}


__all__ = ["Filter", "concurrent_calls", "current_calls", "pbx_counts", "traffic"]
