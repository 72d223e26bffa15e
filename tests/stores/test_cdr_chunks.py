"""The CDR lists' store methods on every store (DuckDB, chdb, ClickHouse over HTTP): the
CSV's chunks, read one after another from the last row's key, are exactly the list's
rows in order — across ties, NULLs first and last, every sort direction — and no chunk
is larger than asked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from callstats.queries import ORIGINATION, TERMINATION, CdrListQuery, Filter, Op, SortKey
from callstats.stores.base import Store, open_store
from tests.support.cdr_volume import SECOND, cdr_table
from tests.support.stores import HTTP_KIND, STORE_KINDS, StoreUrls

COLUMNS = ("id", "time_start", "time_connect", "duration", "customer_price", "src_name_in",
           "lega_disconnect_code")
SORTS = [SortKey(c, d) for c in ("time_start", "time_connect", "duration", "customer_price",
                                 "src_name_in", "lega_disconnect_code", "id")
         for d in (False, True)]


@pytest.fixture(scope="module", params=[*STORE_KINDS, HTTP_KIND])
def store(request: pytest.FixtureRequest, chdb_dir: Path,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    http = request.getfixturevalue("clickhouse_http_url") if request.param == HTTP_KIND else ""
    kind = request.param
    url = StoreUrls(kind, chdb_dir, http)(tmp_path_factory.mktemp(f"chunks-{kind}"))
    opened = open_store(url)
    table = cdr_table(600, 1, 7, 1_735_000_000 * SECOND, 3600 * SECOND, seed=3)
    # names missing on every ninth row, shortened so that many tie
    names = table.column("src_name_in").to_pylist()
    table = table.set_column(table.schema.get_field_index("src_name_in"), "src_name_in",
                             pa.array([None if i % 9 == 0 else n[:9] for i, n in
                                       enumerate(names)], pa.string()))
    opened.insert_cdrs(table)
    yield opened
    opened.close()


@pytest.mark.parametrize("sort", SORTS, ids=[f"{'-' if s.descending else ''}{s.column}"
                                             for s in SORTS])
@pytest.mark.parametrize("side", [ORIGINATION, TERMINATION], ids=["orig", "term"])
def test_chunks_are_the_list_in_order(store: Store, sort: SortKey, side) -> None:  # type: ignore[no-untyped-def]
    query = CdrListQuery(side, (7,), (Filter("duration", Op.GTEQ, 0),), sort, COLUMNS,
                         limit=10_000)
    whole = store.cdr_page(query)
    assert len(whole) == store.cdr_count(query) == 600
    chunks = list(store.cdr_chunks(query, 37))  # type: ignore[call-arg]
    assert all(0 < c.num_rows <= 37 for c in chunks)
    streamed = [row for chunk in chunks for row in chunk.select(["id"]).column(0).to_pylist()]
    assert streamed == [row[0] for row in whole]
    page = store.cdr_page(CdrListQuery(side, (7,), (), sort, COLUMNS, 100, 50))
    assert [r[0] for r in page] == [row[0] for row in whole[100:150]]
