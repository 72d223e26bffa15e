"""The report queries of the ClickHouse store, in ClickHouse's dialect. Values travel as
query parameters (`{p3:Int64}`); the SQL text is built only from declared column names,
declared types and the number of offsets. Answers equal the DuckDB store's exactly: the
same integer bucket arithmetic (intDiv truncates as DuckDB's `//` does), exact Decimal
sums, and the snapshot version in force instead of rows deleted on re-post."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from callstats.columns import ACTIVE_CALL_KEYS, CDR_BY_NAME, SNAPSHOT_CALL_COLUMNS, Kind
from callstats.queries import (
    PBX_COUNTS,
    Buckets,
    ConcurrentQuery,
    ConcurrentRow,
    CurrentCallsQuery,
    Filter,
    Op,
    PbxQuery,
    TrafficQuery,
    TrafficRow,
)
from callstats.stores.clickhouse_transport import Transport
from callstats.stores.common import (
    BUSY_CODES,
    CALL_NAMES,
    CDR_NAMES,
    DAY_US,
    DECIMAL_SCALES,
    KNOWN_CODES,
    NOT_ANSWERED_CODES,
    PBX_DIRECTIONS,
    REJECTED_CODES,
    at_scale,
)

_CALL_BY_NAME = {c.name: c for c in SNAPSHOT_CALL_COLUMNS}
_PARAM_TYPES = {Kind.INT: "Int64", Kind.BOOL: "Bool", Kind.STR: "String",
                Kind.TS: "Int64", Kind.FLOAT: "Float64"}

# One SQL shape per operator; `{c}` is a declared column name, `{v}` the bound value.
OPERATORS: dict[Op, str] = {
    Op.EQ: "{c} = {v}",
    Op.STARTS_WITH: "startsWith({c}, {v})",
    Op.ENDS_WITH: "endsWith({c}, {v})",
    Op.CONTAINS: "position(lowerUTF8({c}), lowerUTF8({v})) > 0",
    Op.GT: "{c} > {v}",
    Op.LT: "{c} < {v}",
}


class Binder:
    """Collects bound values; each call returns the placeholder of one."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}

    def __call__(self, value: object, sql_type: str) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"{{{name}:{sql_type}}}"


def _param_type(column: str) -> str:
    declared = CDR_BY_NAME.get(column) or _CALL_BY_NAME[column]
    if declared.kind is Kind.DEC:
        return f"Decimal(38, {declared.scale})"  # wide: a clamped bound must fit
    return _PARAM_TYPES[declared.kind]


def where_filters(filters: Sequence[Filter], allowed: frozenset[str], bind: Binder,
                  alias: str = "") -> list[str]:
    clauses = []
    for f in filters:
        if f.column not in allowed:
            raise ValueError(f"not a filterable column: {f.column}")
        column = alias + f.column
        if f.op is Op.IS_NULL:
            clauses.append(f"{column} IS NULL" if f.value else f"{column} IS NOT NULL")
            continue
        value = f.value
        if isinstance(value, Decimal) and f.column in DECIMAL_SCALES:
            value = at_scale(f.op, value, DECIMAL_SCALES[f.column])
            if value is None:
                clauses.append("false")  # = with more decimals than the column keeps
                continue
        clauses.append(OPERATORS[f.op].format(c=column, v=bind(value, _param_type(f.column))))
    return clauses


def offset_sql(buckets: Buckets, micros_expr: str, bind: Binder) -> str:
    """The UTC offset (µs) in force at `micros_expr`, from the bound transition table."""
    starts, offsets = buckets.offsets.starts, buckets.offsets.offsets
    if len(offsets) == 1:
        return bind(offsets[0] * 1_000_000, "Int64")
    branches = " ".join(
        f"WHEN {micros_expr} < {bind(start, 'Int64')} THEN {bind(offset * 1_000_000, 'Int64')}"
        for start, offset in zip(starts[1:], offsets[:-1], strict=True))
    return f"CASE {branches} ELSE {bind(offsets[-1] * 1_000_000, 'Int64')} END"


class ClickHouseReports:
    """Mixed into ClickHouseStore, which provides `db` and `table()`."""

    db: Transport
    table: Callable[[str], str]

    def traffic(self, q: TrafficQuery) -> list[TrafficRow]:
        side, bind = q.side, Binder()
        offset = offset_sql(q.buckets, "ts", bind)
        step = bind(q.buckets.step_us, "Int64")
        where = [f"{side.account_column} = {bind(q.account_id, 'Int64')}",
                 f"time_start BETWEEN {bind(q.from_us, 'Int64')} AND {bind(q.to_us, 'Int64')}"]
        if side.last_cdr_only:
            where.append("is_last_cdr")
        where += where_filters(q.filters, CDR_NAMES, bind)
        sql = (
            f"SELECT intDiv(ts + off, {step}) AS bucket, intDiv(off, 1000000), count(), "
            "countIf(duration > 0), sum(duration), sum(price) "
            f"FROM (SELECT time_start AS ts, {offset} AS off, duration, "
            f"  {side.price_column} AS price FROM {self.table('cdrs')} "
            f"  WHERE {' AND '.join(where)}) "
            "GROUP BY bucket, off ORDER BY bucket"
        )
        return [TrafficRow(int(b), int(o), int(n), int(ok), int(d), _micros(p))
                for b, o, n, ok, d, p in self.db.rows(sql, bind.values)]

    def _in_force(self, bind: Binder, from_us: int, to_us: int, latest_only: bool) -> str:
        """(node_id, snapshot_timestamp, version) of the snapshots in force in a range: the
        newest version of every snapshot, or only of each node's latest snapshot."""
        span = (f"snapshot_timestamp BETWEEN {bind(from_us, 'Int64')} "
                f"AND {bind(to_us, 'Int64')}")
        if latest_only:
            return ("SELECT node_id, tupleElement(k, 1), tupleElement(k, 2) FROM ("
                    "SELECT node_id, max((snapshot_timestamp, version)) AS k "
                    f"FROM {self.table('snapshots')} WHERE {span} GROUP BY node_id)")
        return (f"SELECT node_id, snapshot_timestamp, max(version) FROM "
                f"{self.table('snapshots')} WHERE {span} GROUP BY node_id, snapshot_timestamp")

    def concurrent_calls(self, q: ConcurrentQuery) -> list[ConcurrentRow]:
        bind = Binder()
        offset = offset_sql(q.buckets, "ts", bind)
        step = bind(q.buckets.step_us, "Int64")
        in_force = self._in_force(bind, q.from_us, q.to_us, latest_only=False)
        where = [f"{q.side.account_column} = {bind(q.account_id, 'Int64')}",
                 f"snapshot_timestamp BETWEEN {bind(q.from_us, 'Int64')} AND "
                 f"{bind(q.to_us, 'Int64')}",
                 f"(node_id, snapshot_timestamp, version) GLOBAL IN ({in_force})",
                 *where_filters(q.filters, CALL_NAMES, bind)]
        # A node's peak is over its whole bucket: a local day is one bucket whatever offsets
        # it spans, while a shorter bucket number repeats when clocks fall back (02:00 CEST
        # and 02:00 CET), and there the offset tells the two apart.
        split = ", off" if q.buckets.step_us < DAY_US else ""
        sql = (
            "SELECT bucket, intDiv(bucket_off, 1000000), sum(peak) FROM ("
            f"  SELECT node_id, intDiv(ts + off, {step}) AS bucket, min(off) AS bucket_off, "
            "  max(n) AS peak FROM ("
            f"    SELECT node_id, ts, {offset} AS off, count() AS n FROM ("
            "      SELECT node_id, snapshot_timestamp AS ts "
            f"      FROM {self.table('snapshot_calls')} WHERE {' AND '.join(where)})"
            "    GROUP BY node_id, ts)"
            f"  GROUP BY node_id, bucket{split}) "
            "GROUP BY bucket, bucket_off ORDER BY bucket"
        )
        return [ConcurrentRow(int(b), int(o), int(n)) for b, o, n in self.db.rows(sql, bind.values)]

    def current_calls(self, q: CurrentCallsQuery) -> list[tuple]:
        bind = Binder()
        in_force = self._in_force(bind, q.fresh_from_us, q.fresh_to_us, latest_only=True)
        where = [f"customer_acc_id = {bind(q.account_id, 'Int64')}",
                 f"(node_id, snapshot_timestamp, version) GLOBAL IN ({in_force})",
                 *where_filters(q.filters, CALL_NAMES, bind)]
        sql = (
            f"SELECT {', '.join(ACTIVE_CALL_KEYS)} FROM {self.table('snapshot_calls')} "
            f"WHERE {' AND '.join(where)} "
            "ORDER BY start_time DESC NULLS LAST, node_id, position"
        )
        return self.db.rows(sql, bind.values)

    def pbx_counts(self, q: PbxQuery) -> dict[str, int]:
        sql, values = pbx_sql(q, self.table("cdrs"))
        [row] = self.db.rows(sql, values)
        return {name: int(value or 0) for name, value in zip(PBX_COUNTS, row, strict=True)}


def _micros(price: Decimal | None) -> int:
    """A Decimal(38, 6) sum in millionths, exactly."""
    return 0 if price is None else int(price.scaleb(6))


# A CDR's disposition when not answered: the first set code of leg B, leg A, internal.
_CODE = "coalesce(legb_disconnect_code, lega_disconnect_code, internal_disconnect_code)"
# Over units (CDRs or calls) with columns answered, bridged, bridged_seconds, seconds,
# code, redirected, elsewhere: the counts in PBX_COUNTS order.
_PBX_TOTALS = (
    "SELECT countIf(answered), countIf(bridged), sumIf(bridged_seconds, bridged), "
    f"countIf(NOT answered AND code IN {BUSY_CODES}), sumIf(seconds, answered), "
    f"countIf(NOT answered AND (code IS NULL OR code NOT IN {KNOWN_CODES})), "
    f"countIf(NOT answered AND code IN {NOT_ANSWERED_CODES}), "
    f"countIf(NOT answered AND code IN {REJECTED_CODES}), "
    "count(), countIf(redirected), countIf(elsewhere) FROM ({units})"
)


def pbx_sql(q: PbxQuery, cdrs: str) -> tuple[str, dict[str, object]]:
    client_column, account_column = PBX_DIRECTIONS[q.direction]
    bind = Binder()
    where = [f"{client_column} = {bind(q.client_id, 'Int64')}",
             f"time_start >= {bind(q.from_us, 'Int64')}",
             f"time_start < {bind(q.to_us, 'Int64')}"]
    if q.account_ids:
        where.append(f"{account_column} IN {bind(list(q.account_ids), 'Array(Int64)')}")
    if q.extension_ids is not None:
        where.append(f"extension_id IN {bind(list(q.extension_ids), 'Array(Int64)')}")
    rows = f"SELECT * FROM {cdrs} WHERE {' AND '.join(where)}"
    if not q.per_call:
        units = (
            "SELECT duration > 0 AS answered, bridged, bridged_duration AS bridged_seconds, "
            f"duration AS seconds, {_CODE} AS code, is_redirected AS redirected, "
            f"answered_elsewhere AS elsewhere FROM ({rows})"
        )
        return _PBX_TOTALS.format(units=units), bind.values
    # A call: the CDRs sharing a non-empty local_tag (else each CDR alone). Answered if any
    # CDR is; otherwise it takes the code of its last CDR (is_last_cdr first, then the
    # latest time_start, then the highest id). The code is wrapped in a tuple because
    # argMax skips NULL values, and a last CDR without a code is failed.
    units = (
        "SELECT max(duration > 0) AS answered, max(bridged) AS bridged, "
        "sum(if(bridged, bridged_duration, 0)) AS bridged_seconds, "
        "sum(duration) AS seconds, "
        f"tupleElement(argMax(tuple({_CODE}), (is_last_cdr, time_start, id)), 1) AS code, "
        f"false AS redirected, false AS elsewhere FROM ({rows}) "
        "GROUP BY nullIf(local_tag, ''), if(nullIf(local_tag, '') IS NULL, id, NULL)"
    )
    # Standard SQL name resolution: `bridged` inside the aggregates is the column, not
    # the alias of `max(bridged)`.
    return (_PBX_TOTALS.format(units=units) + " SETTINGS prefer_column_name_to_alias = 1",
            bind.values)
