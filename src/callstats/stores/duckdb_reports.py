"""The report queries of the DuckDB store. Every value is a bound parameter; the SQL text
is built only from column names declared in code and from the number of offsets."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

import duckdb

from callstats.columns import ACTIVE_CALL_KEYS
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

# One SQL shape per operator; `{c}` is a declared column name, `?` the bound value.
OPERATORS: dict[Op, str] = {
    Op.EQ: "{c} = ?",
    Op.STARTS_WITH: "starts_with({c}, ?)",
    Op.ENDS_WITH: "ends_with({c}, ?)",
    Op.CONTAINS: "contains(lower({c}), lower(?))",
    Op.GT: "{c} > ?",
    Op.LT: "{c} < ?",
}


def where_filters(filters: Sequence[Filter], allowed: frozenset[str], alias: str = ""
                  ) -> tuple[list[str], list[object]]:
    clauses, values = [], []
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
        clauses.append(OPERATORS[f.op].format(c=column))
        values.append(value)
    return clauses, values


def offset_sql(buckets: Buckets, micros_expr: str) -> tuple[str, list[object]]:
    """The UTC offset (µs) in force at `micros_expr`, from the bound transition table."""
    starts, offsets = buckets.offsets.starts, buckets.offsets.offsets
    if len(offsets) == 1:
        return "CAST(? AS BIGINT)", [offsets[0] * 1_000_000]
    branches = " ".join(f"WHEN {micros_expr} < ? THEN CAST(? AS BIGINT)"
                        for _ in offsets[:-1])
    values: list[object] = []
    for start, offset in zip(starts[1:], offsets[:-1], strict=True):
        values += [start, offset * 1_000_000]
    return f"CASE {branches} ELSE CAST(? AS BIGINT) END", values + [offsets[-1] * 1_000_000]


class DuckDBReports:
    """Mixed into DuckDBStore, which provides `cursor()`."""

    cursor: Callable[[], duckdb.DuckDBPyConnection]

    def traffic(self, q: TrafficQuery) -> list[TrafficRow]:
        side = q.side
        offset, offset_values = offset_sql(q.buckets, "ts")
        clauses, filter_values = where_filters(q.filters, CDR_NAMES)
        where = [f"{side.account_column} = ?",
                 "time_start BETWEEN make_timestamp(?) AND make_timestamp(?)"]
        if side.last_cdr_only:
            where.append("is_last_cdr")
        sql = (
            "SELECT (ts + off) // ? AS bucket, off // 1000000, count(*), "
            "count(*) FILTER (WHERE duration > 0), sum(duration), sum(price_micros) "
            f"FROM (SELECT ts, {offset} AS off, duration, price_micros FROM ("
            f"  SELECT epoch_us(time_start) AS ts, duration, "
            f"  CAST({side.price_column} * 1000000 AS BIGINT) AS price_micros FROM cdr_rows "
            f"  WHERE {' AND '.join(where + clauses)})) "
            "GROUP BY bucket, off ORDER BY bucket"
        )
        values = [q.buckets.step_us, *offset_values, q.account_id, q.from_us, q.to_us,
                  *filter_values]
        rows = self.cursor().execute(sql, values).fetchall()
        return [TrafficRow(int(b), int(o), int(n), int(ok), int(d or 0), int(p or 0))
                for b, o, n, ok, d, p in rows]

    def concurrent_calls(self, q: ConcurrentQuery) -> list[ConcurrentRow]:
        offset, offset_values = offset_sql(q.buckets, "ts")
        clauses, filter_values = where_filters(q.filters, CALL_NAMES)
        where = [f"{q.side.account_column} = ?",
                 "snapshot_timestamp BETWEEN make_timestamp(?) AND make_timestamp(?)"]
        # A node's peak is over its whole bucket: a local day is one bucket whatever
        # offsets it spans, while a shorter bucket number repeats when clocks fall back
        # (02:00 CEST and 02:00 CET), and there the offset tells the two apart.
        sql = (
            "SELECT bucket, bucket_off // 1000000, sum(peak) FROM ("
            "  SELECT node_id, (ts + off) // ? AS bucket, min(off) AS bucket_off, "
            "  max(n) AS peak FROM ("
            f"    SELECT node_id, ts, {offset} AS off, count(*) AS n FROM ("
            "      SELECT node_id, epoch_us(snapshot_timestamp) AS ts FROM snapshot_calls"
            f"      WHERE {' AND '.join(where + clauses)})"
            "    GROUP BY node_id, ts)"
            "  GROUP BY node_id, bucket, CASE WHEN ? < ? THEN off END) "
            "GROUP BY bucket, bucket_off ORDER BY bucket"
        )
        values = [q.buckets.step_us, *offset_values, q.account_id, q.from_us, q.to_us,
                  *filter_values, q.buckets.step_us, DAY_US]
        rows = self.cursor().execute(sql, values).fetchall()
        return [ConcurrentRow(int(b), int(o), int(n)) for b, o, n in rows]

    def pbx_counts(self, q: PbxQuery) -> dict[str, int]:
        sql, values = pbx_sql(q)
        [row] = self.cursor().execute(sql, values).fetchall()
        return {name: int(value or 0) for name, value in zip(PBX_COUNTS, row, strict=True)}

    def current_calls(self, q: CurrentCallsQuery) -> list[tuple]:
        clauses, filter_values = where_filters(q.filters, CALL_NAMES, alias="c.")
        columns = ", ".join(
            f"epoch_us(c.{k})" if k in ("snapshot_timestamp", "start_time", "connect_time")
            else f"c.{k}" for k in ACTIVE_CALL_KEYS)
        sql = (
            "WITH latest AS (SELECT node_id, max(snapshot_timestamp) AS ts FROM snapshots "
            "  WHERE snapshot_timestamp BETWEEN make_timestamp(?) AND make_timestamp(?) "
            "  GROUP BY node_id) "
            f"SELECT {columns} FROM snapshot_calls c JOIN latest l "
            "  ON c.node_id = l.node_id AND c.snapshot_timestamp = l.ts "
            f"WHERE {' AND '.join(['c.customer_acc_id = ?', *clauses])} "
            "ORDER BY c.start_time DESC NULLS LAST, c.node_id, c.position"
        )
        values = [q.fresh_from_us, q.fresh_to_us, q.account_id, *filter_values]
        return self.cursor().execute(sql, values).fetchall()


# A CDR's disposition when not answered: the first set code of leg B, leg A, internal.
_CODE = "coalesce(legb_disconnect_code, lega_disconnect_code, internal_disconnect_code)"
# Over units (CDRs or calls) with columns answered, bridged, bridged_seconds, seconds,
# code, redirected, elsewhere: the counts in PBX_COUNTS order.
_PBX_TOTALS = (
    "SELECT count(*) FILTER (WHERE answered), count(*) FILTER (WHERE bridged), "
    "coalesce(sum(bridged_seconds) FILTER (WHERE bridged), 0), "
    f"count(*) FILTER (WHERE NOT answered AND code IN {BUSY_CODES}), "
    "coalesce(sum(seconds) FILTER (WHERE answered), 0), "
    f"count(*) FILTER (WHERE NOT answered AND (code IS NULL OR code NOT IN {KNOWN_CODES})), "
    f"count(*) FILTER (WHERE NOT answered AND code IN {NOT_ANSWERED_CODES}), "
    f"count(*) FILTER (WHERE NOT answered AND code IN {REJECTED_CODES}), "
    "count(*), count(*) FILTER (WHERE redirected), count(*) FILTER (WHERE elsewhere) "
    "FROM ({units})"
)


def pbx_sql(q: PbxQuery) -> tuple[str, list[object]]:
    client_column, account_column = PBX_DIRECTIONS[q.direction]
    where = [f"{client_column} = ?", "time_start >= make_timestamp(?)",
             "time_start < make_timestamp(?)"]
    values: list[object] = [q.client_id, q.from_us, q.to_us]
    if q.account_ids:
        where.append(f"list_contains(?, {account_column})")
        values.append(list(q.account_ids))
    if q.extension_ids is not None:
        where.append("list_contains(?, extension_id)")
        values.append(list(q.extension_ids))
    rows = f"SELECT * FROM cdr_rows WHERE {' AND '.join(where)}"
    if not q.per_call:
        units = (
            "SELECT duration > 0 AS answered, bridged, bridged_duration AS bridged_seconds, "
            f"duration AS seconds, {_CODE} AS code, is_redirected AS redirected, "
            f"answered_elsewhere AS elsewhere FROM ({rows})"
        )
        return _PBX_TOTALS.format(units=units), values
    # A call: the CDRs sharing a non-empty local_tag (else each CDR alone). Answered if any
    # CDR is; otherwise it takes the code of its last CDR (is_last_cdr first, then the
    # latest time_start, then the highest id). arg_max_null: a last CDR without a code is
    # failed (plain arg_max skips NULLs and would take an earlier CDR's code).
    units = (
        "SELECT bool_or(duration > 0) AS answered, bool_or(bridged) AS bridged, "
        "sum(CASE WHEN bridged THEN bridged_duration ELSE 0 END) AS bridged_seconds, "
        "sum(duration) AS seconds, "
        f"arg_max_null({_CODE}, (is_last_cdr, time_start, id)) AS code, "
        f"false AS redirected, false AS elsewhere FROM ({rows}) "
        "GROUP BY nullif(local_tag, ''), CASE WHEN nullif(local_tag, '') IS NULL THEN id END"
    )
    return _PBX_TOTALS.format(units=units), values
