"""The CDR lists (SPEC 9.3), written once over a `Dialect` as the reports are
(stores/report_sql.py): the count of a side's matching CDRs, one page of them, and the
next chunk after a row (keyset), which the CSV stream reads the list by.

Order: the sort column ascending with NULL last, or descending with NULL first, ties by
id in the same direction (queries.SortKey). A chunk continues strictly after the last row
of the previous one in that order, so every chunk is a top-N of bounded size on every
engine (no engine sorts the whole list at once) and the stream's memory stays constant.
"""

from __future__ import annotations

from collections.abc import Sequence

from callstats.columns import CDR_BY_NAME, Column, Kind
from callstats.queries import CdrListQuery, SortKey
from callstats.stores.filters import where
from callstats.stores.sql import INT64, Binder, Dialect, Statement, array_of, value_type

ID = "id"


def _picked(q: CdrListQuery, d: Dialect, bind: Binder) -> list[str]:
    """The side's CDRs of the caller's accounts (origination: last CDRs only), filtered."""
    ids, column = list(q.account_ids), q.side.account_column
    # One account (the usual caller) as `=`, which an engine's block min/max can skip by.
    conditions = [f"{column} = {bind(ids[0], INT64)}" if len(ids) == 1
                  else d.in_array(column, bind(ids, array_of(INT64)))]
    if q.side.last_cdr_only:
        conditions.append("is_last_cdr")
    return conditions + where(q.filters, CDR_BY_NAME, d, bind)


def count(q: CdrListQuery, d: Dialect) -> Statement:
    bind = d.binder()
    text = f"SELECT count(*) FROM {d.cdrs} WHERE {' AND '.join(_picked(q, d, bind))}"
    return Statement(text, bind.params)


def _selected(columns: Sequence[str], d: Dialect) -> str:
    """The asked columns, times as unix µs (the unit every layer above works in)."""
    return ", ".join(f"{d.micros(c)} AS {c}" if CDR_BY_NAME[c].kind is Kind.TS else c
                     for c in columns)


def _order(sort: SortKey) -> str:
    direction = "DESC NULLS FIRST" if sort.descending else "ASC NULLS LAST"
    tie = "DESC" if sort.descending else "ASC"
    if sort.column == ID:
        return f"{ID} {tie}"
    return f"{sort.column} {direction}, {ID} {tie}"


def page(q: CdrListQuery, d: Dialect, limit: int, offset: int = 0,
         after: tuple[object, int] | None = None, through: tuple[object, int] | None = None
         ) -> Statement:
    """`limit` rows from `offset`, in the list's order; `after` (the sort value and id of
    the last row read): only the rows following it; `through`: none following that."""
    bind = d.binder()
    text = (f"SELECT {_selected(q.columns, d)} FROM {d.cdrs} "
            f"WHERE {_within(q, d, bind, after, through)} "
            f"ORDER BY {_order(q.sort)} LIMIT {bind(limit, INT64)} "
            f"OFFSET {bind(offset, INT64)}")
    return Statement(text, bind.params)


def keys(q: CdrListQuery, d: Dialect, limit: int, offset: int = 0,
         after: tuple[object, int] | None = None) -> Statement:
    """The (sort value, id) of the next `limit` rows: a chunk's extent, found reading two
    columns, so the wide rows are then read for that extent only."""
    bind = d.binder()
    columns = tuple(dict.fromkeys((q.sort.column, ID)))
    text = (f"SELECT {_selected(columns, d)} FROM {d.cdrs} "
            f"WHERE {_within(q, d, bind, after, None)} "
            f"ORDER BY {_order(q.sort)} LIMIT {bind(limit, INT64)} "
            f"OFFSET {bind(offset, INT64)}")
    return Statement(text, bind.params)


def _within(q: CdrListQuery, d: Dialect, bind: Binder, after: tuple[object, int] | None,
            through: tuple[object, int] | None) -> str:
    conditions = _picked(q, d, bind)
    column = CDR_BY_NAME[q.sort.column]
    if after is not None:
        conditions.append(following(q.sort, column, after, d, bind))
    if through is not None:
        conditions.append(f"NOT coalesce({following(q.sort, column, through, d, bind)}, false)")
    return " AND ".join(conditions)


def _bound(column: Column, value: object, d: Dialect, bind: Binder) -> str:
    placeholder = bind(value, value_type(column))
    return d.time_value(placeholder) if column.kind is Kind.TS else placeholder


def following(sort: SortKey, column: Column, after: tuple[object, int], d: Dialect,
              bind: Binder) -> str:
    """The rows after (value, id) in `sort`'s order. A column that is never NULL also gets
    the plain range test (`c <= v`), which lets an engine skip whole blocks by their
    min/max."""
    value, last_id = after
    c = sort.column
    nullable = not (column.required or column.default is not None)
    i = bind(last_id, INT64)
    if c == ID:
        return f"{ID} {'<' if sort.descending else '>'} {i}"
    if value is None:  # a NULL row: its NULL peers with a further id, then (desc) the rest
        if sort.descending:
            return f"({c} IS NOT NULL OR {ID} < {i})"
        return f"({c} IS NULL AND {ID} > {i})"
    v = _bound(column, value, d, bind)
    beyond, tie = ("<", "<") if sort.descending else (">", ">")
    test = f"{c} {beyond} {v} OR ({c} = {v} AND {ID} {tie} {i})"
    if nullable:
        return f"({test}{'' if sort.descending else f' OR {c} IS NULL'})"
    return f"{c} {beyond}= {v} AND ({test})"


def last_key(sort: SortKey, row: Sequence[object]) -> tuple[object, int]:
    """The (sort value, id) of a row of `keys`."""
    key = row[-1]
    assert isinstance(key, int)
    return (key if sort.column == ID else row[0]), key
