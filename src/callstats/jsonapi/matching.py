"""Filters, sort and paging over records in memory, with the semantics every store must
have: a NULL matches no filter (not_eq and not_in included), `contains` lower-cases both
sides as Python's `str.lower`, everything else compares exactly and literally. Used for
the accounts (a customer's few, from the metadata store), and as the reference a store's
answers are checked against."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from callstats.jsonapi.document import Record
from callstats.queries import Filter, Op, SortKey


def _tuple(value: object) -> tuple[Any, ...]:
    assert isinstance(value, tuple)
    return value


_TESTS: dict[Op, Callable[[Any, Any], bool]] = {
    Op.EQ: lambda v, x: v == x,
    Op.NOT_EQ: lambda v, x: v != x,
    Op.GT: lambda v, x: v > x,
    Op.GTEQ: lambda v, x: v >= x,
    Op.LT: lambda v, x: v < x,
    Op.LTEQ: lambda v, x: v <= x,
    Op.IN: lambda v, x: v in _tuple(x),
    Op.NOT_IN: lambda v, x: v not in _tuple(x),
    Op.STARTS_WITH: lambda v, x: v.startswith(x),
    Op.ENDS_WITH: lambda v, x: v.endswith(x),
    Op.CONTAINS: lambda v, x: x.lower() in v.lower(),
    Op.CONTAINS_ANY: lambda v, x: any(i.lower() in v.lower() for i in _tuple(x)),
    Op.IS_NULL: lambda v, x: False,  # a value is there: only IS NULL false can hold
}


def matches(record: Record, filters: Iterable[Filter]) -> bool:
    for f in filters:
        value = record.get(f.column)
        if f.op is Op.IS_NULL:
            if (value is None) is not bool(f.value):
                return False
        elif value is None or not _TESTS[f.op](value, f.value):
            return False
    return True


def ordered(records: Iterable[Record], sort: SortKey, id_column: str) -> list[Record]:
    """By the sort column (NULL last ascending, first descending), ties by id alike."""
    def key(record: Record) -> tuple[bool, Any, Any]:
        value = record.get(sort.column)
        return (value is None, value if value is not None else 0, record[id_column])

    return sorted(records, key=key, reverse=sort.descending)


def select(records: Iterable[Record], filters: Sequence[Filter], sort: SortKey,
           id_column: str) -> list[Record]:
    return ordered((r for r in records if matches(r, filters)), sort, id_column)
