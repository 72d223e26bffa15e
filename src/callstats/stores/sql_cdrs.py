"""The CDR-list methods of the `Store` interface, once for every SQL store: the count and a
page as Python values, and the whole list as Arrow chunks read one after another (keyset),
so a CSV of any length holds one chunk at a time in memory, here and in the engine."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pyarrow as pa

from callstats.queries import CdrListQuery
from callstats.stores import cdr_sql
from callstats.stores.sql import Dialect, Statement

CHUNK_ROWS = 25_000


class SqlCdrs:
    """Mixed into each store, which supplies `dialect`, `run` and `run_arrow`."""

    dialect: Dialect

    def run(self, statement: Statement) -> Sequence[tuple[object, ...]]:
        raise NotImplementedError

    def run_arrow(self, statement: Statement) -> pa.Table:
        """The rows of a statement as an Arrow table (texts as `string`), within the
        store's query time limit, failing as `run` does."""
        raise NotImplementedError

    def cdr_count(self, query: CdrListQuery) -> int:
        [(total,)] = self.run(cdr_sql.count(query, self.dialect))
        assert isinstance(total, int)
        return total

    def cdr_page(self, query: CdrListQuery) -> list[tuple[object, ...]]:
        """`query.limit` rows from `query.offset`, `query.columns` each, times in µs."""
        assert query.limit is not None
        return list(self.run(cdr_sql.page(query, self.dialect, query.limit, query.offset)))

    def cdr_chunks(self, query: CdrListQuery, rows: int = CHUNK_ROWS) -> Iterator[pa.Table]:
        """Every row from `query.offset` on, in order, `rows` at a time (the last chunk may
        be shorter; none is empty). `query.columns` must hold the sort column and id."""
        assert cdr_sql.ID in query.columns and query.sort.column in query.columns
        after: tuple[object, int] | None = None
        offset = query.offset
        while True:
            extent = self.run(cdr_sql.keys(query, self.dialect, rows, offset, after))
            if not extent:
                return
            through = cdr_sql.last_key(query.sort, extent[-1])
            yield normalized(self.run_arrow(
                cdr_sql.page(query, self.dialect, len(extent), 0, after, through)))
            if len(extent) < rows:
                return
            after, offset = through, 0


def normalized(table: pa.Table) -> pa.Table:
    """Texts as plain `string` whatever Arrow flavour an engine wrote them in."""
    columns = [c.cast(pa.string()) if _texty(c.type) else c for c in table.columns]
    return pa.Table.from_arrays(columns, names=table.column_names)


def _texty(kind: pa.DataType) -> bool:
    return any(test(kind) for test in (pa.types.is_large_string, pa.types.is_binary,
                                       pa.types.is_large_binary, pa.types.is_string_view))
