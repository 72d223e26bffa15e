"""The one operator table: each `queries.Filter` becomes a bound SQL condition through the
dialect's spellings. Nothing else writes SQL from user input.

Semantics decided here, once for every engine and endpoint:
- a NULL column matches no filter, `not_eq` and `not_in` included;
- text tests are literal (`%`, `_`, `\\` and quotes are ordinary characters);
- `contains`/`cont_any` compare lower cases exactly as Python's `str.lower()` does: the
  needle is lower-cased here, the column through its `<name>_lower` shadow, which ingestion
  writes with `str.lower()` for every non-ASCII value (ASCII values, where every engine's
  `lower()` agrees with Python's, leave it NULL) — see stores/shadows.py;
- decimals compare exactly: a bound is brought to the column's scale without changing
  the answer for any storable value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from callstats.columns import Column, Kind
from callstats.queries import Filter, Op
from callstats.stores.shadows import lower_shadow
from callstats.stores.sql import Binder, Dialect, array_of, value_type

_BOUND = Decimal(10) ** 18  # beyond every stored DECIMAL value
_NEVER = "false"


def where(filters: Sequence[Filter], columns: Mapping[str, Column], d: Dialect, bind: Binder
          ) -> list[str]:
    """One condition per filter (ANDed by the caller); a column outside `columns` is our
    own bug, never a client's input."""
    return [condition(f, columns, d, bind) for f in filters]


def columns_read(filters: Sequence[Filter]) -> list[str]:
    """The stored columns the conditions of `filters` read (a text test's shadow too)."""
    names = [f.column for f in filters]
    names += [lower_shadow(f.column) for f in filters
              if f.op in (Op.CONTAINS, Op.CONTAINS_ANY)]
    return names


def condition(f: Filter, columns: Mapping[str, Column], d: Dialect, bind: Binder) -> str:
    column = columns.get(f.column)
    if column is None:
        raise ValueError(f"not a filterable column: {f.column}")
    name = f.column
    if f.op is Op.IS_NULL:
        return f"{name} IS NULL" if f.value else f"{name} IS NOT NULL"
    if f.op in (Op.IN, Op.NOT_IN):
        return _membership(f, column, d, bind)
    if f.op in (Op.CONTAINS, Op.CONTAINS_ANY):
        return _contains(f, column, d, bind)
    value = _exact(f.op, f.value, column)
    if value is None:  # no stored value can equal it
        return _NEVER if f.op is Op.EQ else f"{name} IS NOT NULL"
    bound = bind(value, value_type(column))
    if column.kind is Kind.TS:
        bound = d.time_value(bound)
    return _COMPARE[f.op](d, name, bound)


_COMPARE: dict[Op, Callable[[Dialect, str, str], str]] = {
    Op.EQ: lambda d, c, v: f"{c} = {v}",
    Op.NOT_EQ: lambda d, c, v: f"{c} <> {v}",
    Op.GT: lambda d, c, v: f"{c} > {v}",
    Op.GTEQ: lambda d, c, v: f"{c} >= {v}",
    Op.LT: lambda d, c, v: f"{c} < {v}",
    Op.LTEQ: lambda d, c, v: f"{c} <= {v}",
    Op.STARTS_WITH: lambda d, c, v: d.starts_with(c, v),
    Op.ENDS_WITH: lambda d, c, v: d.ends_with(c, v),
}


def _membership(f: Filter, column: Column, d: Dialect, bind: Binder) -> str:
    assert isinstance(f.value, tuple)
    values = [v for v in (_exact(Op.EQ, v, column) for v in f.value) if v is not None]
    if not values:
        return _NEVER if f.op is Op.IN else f"{f.column} IS NOT NULL"
    target = d.micros(f.column) if column.kind is Kind.TS else f.column
    member = d.in_array(target, bind(values, array_of(value_type(column))))
    if f.op is Op.IN:
        return member
    return f"({f.column} IS NOT NULL AND NOT ({member}))"


def _contains(f: Filter, column: Column, d: Dialect, bind: Binder) -> str:
    if column.kind is not Kind.STR:
        raise ValueError(f"contains on a non-text column: {f.column}")
    needles = f.value if f.op is Op.CONTAINS_ANY else (f.value,)
    assert isinstance(needles, tuple) and all(isinstance(n, str) for n in needles)
    lowered = f"coalesce({lower_shadow(f.column)}, {d.lower_ascii(f.column)})"
    tests = [d.has_substring(lowered, bind(str(n).lower(), "String")) for n in needles]
    return "(" + " OR ".join(tests) + ")" if tests else _NEVER


def _exact(op: Op, value: object, column: Column) -> object | None:
    """A bound with the column's scale that gives every storable value the same answer as
    `value` (None: `=` can never hold). Stored decimals are multiples of 10^-scale, so a
    `>`/`<=` bound rounds down, a `<`/`>=` bound rounds up, and bounds are clamped to
    ±10^18 (DuckDB binds a decimal of over 38 digits as an inexact DOUBLE)."""
    if column.kind is not Kind.DEC or not isinstance(value, Decimal):
        return value
    quantum = Decimal(1).scaleb(-column.scale)
    bounded = min(max(value, -_BOUND), _BOUND)
    if op in (Op.GT, Op.LTEQ):
        return bounded.quantize(quantum, ROUND_FLOOR)
    if op in (Op.LT, Op.GTEQ):
        return bounded.quantize(quantum, ROUND_CEILING)
    exact = bounded.quantize(quantum, ROUND_FLOOR)
    return exact if exact == value else None
