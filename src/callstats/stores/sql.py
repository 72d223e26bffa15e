"""What an engine supplies to the report queries: its spellings, nothing else.

`stores/report_sql.py` writes each query once against a `Dialect`; DuckDB and ClickHouse
differ only in the methods below (placeholders and bound types, conditional aggregates,
truncating division, string tests, arg-max, array membership, how a time column reads as
microseconds, and where the snapshot calls in force live). Every value reaches the engine
as a named bound parameter, so the text never depends on user input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from callstats.columns import Column, Kind

INT64 = "Int64"
STRING = "String"
BOOL = "Bool"


def array_of(sql_type: str) -> str:
    return f"Array({sql_type})"


def decimal_type(scale: int) -> str:
    """Bound decimals are wide, so a bound clamped to the column's range always fits."""
    return f"Decimal(38, {scale})"


def value_type(column: Column) -> str:
    """The bound type of a filter value on `column` (times are bound as unix µs)."""
    if column.kind is Kind.DEC:
        return decimal_type(column.scale)
    return {Kind.INT: INT64, Kind.TS: INT64, Kind.BOOL: BOOL, Kind.STR: STRING,
            Kind.FLOAT: "Float64"}[column.kind]


@dataclass
class Binder:
    """Collects the values of one statement; each call returns the placeholder of one."""

    spell: Placeholder
    params: dict[str, object] = field(default_factory=dict)

    def __call__(self, value: object, sql_type: str) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return self.spell(name, sql_type)


class Placeholder(Protocol):
    def __call__(self, name: str, sql_type: str) -> str: ...


@dataclass(frozen=True)
class Statement:
    text: str
    params: dict[str, object]


class Dialect(Protocol):
    """The spellings a query needs from its engine."""

    @property
    def name(self) -> str: ...

    @property
    def cdrs(self) -> str:
        """The relation holding every stored CDR."""

    @property
    def minutes(self) -> str:
        """The relation holding the minute rollup (stores/rollups.py), read with sum()."""

    def binder(self) -> Binder: ...

    def cdr_rows(self, columns: Sequence[str]) -> str:
        """A relation of every stored CDR with at least `columns` (what a query reads)."""

    def micros(self, time_column: str) -> str:
        """A stored time column as Int64 unix microseconds."""

    def time_value(self, placeholder: str) -> str:
        """A bound unix-µs value, comparable with a stored time column."""

    def int_div(self, dividend: str, divisor: str) -> str:
        """Integer division truncating toward zero (floors are built on it)."""

    def count_if(self, condition: str) -> str: ...

    def sum_if(self, value: str, condition: str) -> str:
        """Sum over the rows meeting `condition`; 0 when none does."""

    def any_true(self, condition: str) -> str:
        """Per group: does any row meet `condition`."""

    def sorted_values(self, value: str) -> str:
        """Per group: the non-NULL values of `value`, ascending, as an array indexed from 1
        (`arr[k]`, the same spelling on every engine)."""

    def float64(self, number: str) -> str:
        """A number (integer, decimal or float) as a binary double, NULL kept."""

    def int64(self, number: str) -> str:
        """A number holding an integral value as Int64, NULL kept."""

    def last_cdr_code(self, code: str) -> str:
        """Per group of CDRs: `code` (an integer, NULL kept) of its last CDR, the one with
        the greatest (is_last_cdr, time_start, id); ids are unique, so there is one."""

    def starts_with(self, text: str, prefix: str) -> str: ...

    def ends_with(self, text: str, suffix: str) -> str: ...

    def has_substring(self, text: str, needle: str) -> str: ...

    def lower_ascii(self, text: str) -> str:
        """Lower case of a value known to be ASCII (where every engine agrees)."""

    def in_array(self, value: str, array_placeholder: str) -> str: ...

    def price_sum(self, column: str) -> str:
        """The exact sum of a DECIMAL(18, 6) column (an integer of micro-units, or a decimal)."""

    def stored_price(self, column: str) -> str:
        """A stored DECIMAL(38, 6) price read row by row as it is, in the form the engine's
        client hands over most cheaply and `report_sql.micros` reads exactly."""

    def snapshot_calls(self, bind: Binder, from_us: int, to_us: int, latest_only: bool
                       ) -> tuple[str, str | None]:
        """The relation of stored snapshot calls, and the condition selecting the calls in
        force (None: every stored call is): those of every snapshot taken from `from_us`
        to `to_us`, or only of each node's latest one there."""


class DuckDBDialect:
    name = "duckdb"
    cdrs = "cdr_rows"
    minutes = "cdr_minute_rows"

    def binder(self) -> Binder:
        return Binder(_duckdb_placeholder)

    # The tables behind `cdrs` (the store's UNION ALL view), read directly when set.
    cdr_parts: tuple[str, ...] = ()

    def cdr_rows(self, columns: Sequence[str]) -> str:
        # Each part for just the columns read: binding and pruning the view's 88 columns
        # three times over costs ~2 ms a query, more than a small report's scan
        # (bench/query_layer.py).
        if not self.cdr_parts:
            return self.cdrs
        names = ", ".join(columns)
        return "(" + " UNION ALL ".join(f"SELECT {names} FROM {part}"
                                        for part in self.cdr_parts) + ") AS cdr_rows"

    def micros(self, time_column: str) -> str:
        return f"epoch_us({time_column})"

    def time_value(self, placeholder: str) -> str:
        return f"make_timestamp({placeholder})"

    def int_div(self, dividend: str, divisor: str) -> str:
        return f"({dividend}) // ({divisor})"

    def count_if(self, condition: str) -> str:
        return f"count(*) FILTER (WHERE {condition})"

    def sum_if(self, value: str, condition: str) -> str:
        return f"coalesce(sum({value}) FILTER (WHERE {condition}), 0)"

    def any_true(self, condition: str) -> str:
        return f"bool_or({condition})"

    def sorted_values(self, value: str) -> str:
        return f"list_sort(list({value}) FILTER (WHERE {value} IS NOT NULL))"

    def float64(self, number: str) -> str:
        return f"CAST({number} AS DOUBLE)"

    def int64(self, number: str) -> str:
        return f"CAST({number} AS BIGINT)"

    def last_cdr_code(self, code: str) -> str:
        # plain arg_max skips NULL values
        return f"arg_max_null({code}, (is_last_cdr, time_start, id))"

    def starts_with(self, text: str, prefix: str) -> str:
        return f"starts_with({text}, {prefix})"

    def ends_with(self, text: str, suffix: str) -> str:
        return f"ends_with({text}, {suffix})"

    def has_substring(self, text: str, needle: str) -> str:
        return f"contains({text}, {needle})"

    def lower_ascii(self, text: str) -> str:
        return f"lower({text})"

    def in_array(self, value: str, array_placeholder: str) -> str:
        return f"list_contains({array_placeholder}, {value})"

    def price_sum(self, column: str) -> str:
        # Summed as DECIMAL(38, 6), scaled once per group: a cast per row costs ~30x the
        # sum, and `price * 1000000` overflows DECIMAL(18, 6) from a million up.
        return f"CAST(sum({column}) * 1000000 AS HUGEINT)"

    def stored_price(self, column: str) -> str:
        # DuckDB spells a DECIMAL with all its scale's digits ("0.006601", "-3.000000"),
        # and its Python client builds a `Decimal` per value at ~0.7 µs against ~0.2 for
        # the text: ~0.08 ms of a typical day's ~100 minute rows (docs/performance.md,
        # "Answers that grow with the store").
        return f"CAST({column} AS VARCHAR)"

    def snapshot_calls(self, bind: Binder, from_us: int, to_us: int, latest_only: bool
                       ) -> tuple[str, str | None]:
        if not latest_only:  # a re-posted snapshot replaced its calls in place
            return "snapshot_calls", None
        return "snapshot_calls", (
            "(node_id, snapshot_timestamp) IN (SELECT node_id, max(snapshot_timestamp) "
            f"FROM snapshots WHERE snapshot_timestamp BETWEEN "
            f"{self.time_value(bind(from_us, INT64))} AND {self.time_value(bind(to_us, INT64))}"
            " GROUP BY node_id)")


_DUCKDB_TYPES = {INT64: "BIGINT", STRING: "VARCHAR", BOOL: "BOOLEAN", "Float64": "DOUBLE"}


def _duckdb_type(sql_type: str) -> str:
    if sql_type.startswith("Array("):
        return _duckdb_type(sql_type[6:-1]) + "[]"
    if sql_type.startswith("Decimal("):
        return "DECIMAL" + sql_type[7:]
    return _DUCKDB_TYPES[sql_type]


def _duckdb_placeholder(name: str, sql_type: str) -> str:
    return f"CAST(${name} AS {_duckdb_type(sql_type)})"


@dataclass(frozen=True)
class ClickHouseDialect:
    """ClickHouse, with the store's table names (`database.table`; in a cluster the
    Distributed tables, hence GLOBAL IN for subqueries over them)."""

    cdrs: str
    calls: str
    snapshots: str
    name: str = "clickhouse"
    minutes: str = "cdr_minutes"

    def binder(self) -> Binder:
        return Binder(lambda name, sql_type: f"{{{name}:{sql_type}}}")

    def cdr_rows(self, columns: Sequence[str]) -> str:
        return self.cdrs  # a table: ClickHouse reads only the columns a query names

    def micros(self, time_column: str) -> str:
        return time_column  # stored as Int64 µs

    def time_value(self, placeholder: str) -> str:
        return placeholder

    def int_div(self, dividend: str, divisor: str) -> str:
        return f"intDiv({dividend}, {divisor})"

    def count_if(self, condition: str) -> str:
        return f"countIf({condition})"

    def sum_if(self, value: str, condition: str) -> str:
        return f"sumIf({value}, {condition})"

    def any_true(self, condition: str) -> str:
        return f"max({condition})"

    def sorted_values(self, value: str) -> str:
        return f"arraySort(groupArray({value}))"  # groupArray skips NULLs

    # CAST(x AS T) refuses a NULL unless T is Nullable(T), a spelling DuckDB lacks.
    def float64(self, number: str) -> str:
        return f"toFloat64({number})"

    def int64(self, number: str) -> str:
        return f"toInt64({number})"

    def last_cdr_code(self, code: str) -> str:
        """The greatest of one UInt256 per CDR that packs its ranking key above its code:
        is_last_cdr (bit 193), time_start (bits 129-192), id (65-128), then the code, 0
        for NULL, else its value + 1 (0-64), each Int64 with its sign bit flipped so that
        unsigned order is signed order. The keys are distinct, so the greatest packs the
        last CDR's code; `max` of it cost half the CPU of argMax over a tuple state
        (`tupleElement(argMax(tuple(code), key), 1)`, which kept the NULL) for a
        client's month of calls (docs/performance.md, "PBX per call on ClickHouse")."""
        packed = (f"bitOr(bitOr(bitShiftLeft(toUInt256(is_last_cdr), 193), "
                  f"bitShiftLeft({_ordered('time_start')}, 129)), "
                  f"bitOr(bitShiftLeft({_ordered('id')}, 65), if(({code}) IS NULL, "
                  f"toUInt256(0), {_ordered(f'assumeNotNull({code})')} + 1)))")
        low = f"bitAnd(max({packed}), bitShiftLeft(toUInt256(1), 65) - 1)"
        return (f"if({low} = 0, NULL, reinterpretAsInt64(bitXor(toUInt64({low} - 1), "
                f"{_SIGN_BIT})))")

    def starts_with(self, text: str, prefix: str) -> str:
        return f"startsWith({text}, {prefix})"

    def ends_with(self, text: str, suffix: str) -> str:
        return f"endsWith({text}, {suffix})"

    def has_substring(self, text: str, needle: str) -> str:
        return f"position({text}, {needle}) > 0"

    def lower_ascii(self, text: str) -> str:
        return f"lower({text})"

    def in_array(self, value: str, array_placeholder: str) -> str:
        return f"{value} IN {array_placeholder}"  # IN, unlike has(), uses the sort key

    def price_sum(self, column: str) -> str:
        return f"sum({column})"  # Decimal(38, 6): exact

    def stored_price(self, column: str) -> str:
        return column  # Decimal(38, 6), exact as it is

    def snapshot_calls(self, bind: Binder, from_us: int, to_us: int, latest_only: bool
                       ) -> tuple[str, str | None]:
        # A re-post adds a newer version of a snapshot; the newest one is in force.
        span = (f"snapshot_timestamp BETWEEN {bind(from_us, INT64)} "
                f"AND {bind(to_us, INT64)}")
        if latest_only:
            in_force = ("SELECT node_id, tupleElement(k, 1), tupleElement(k, 2) FROM ("
                        "SELECT node_id, max((snapshot_timestamp, version)) AS k "
                        f"FROM {self.snapshots} WHERE {span} GROUP BY node_id)")
        else:
            in_force = (f"SELECT node_id, snapshot_timestamp, max(version) FROM "
                        f"{self.snapshots} WHERE {span} GROUP BY node_id, snapshot_timestamp")
        return self.calls, f"(node_id, snapshot_timestamp, version) GLOBAL IN ({in_force})"


DUCKDB = DuckDBDialect()


_SIGN_BIT = "toUInt64(9223372036854775808)"


def _ordered(value: str) -> str:
    """An Int64 as the UInt256 that orders alike: its sign bit flipped, widened."""
    return f"toUInt256(bitXor(reinterpretAsUInt64({value}), {_SIGN_BIT}))"
