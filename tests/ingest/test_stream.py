"""A large Parquet body stored piece by piece (ingest/stream.py) is stored as the whole body
would be: same rows, same counts, all or nothing, the whole body's error."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from callstats.ingest.batches import BatchRejected, Format, parse_cdrs
from callstats.ingest.stream import prefetched, store_cdr_body
from callstats.stores.duckdb_store import DuckDBStore
from tests.support.bodies import cdr


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[DuckDBStore, DuckDBStore]]:
    pieces, whole = DuckDBStore(tmp_path / "a.duckdb"), DuckDBStore(tmp_path / "b.duckdb")
    yield pieces, whole
    pieces.close()
    whole.close()


def parquet(rows: list[dict[str, object]], row_group: int = 100) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), sink, row_group_size=row_group)
    return sink.getvalue()


def rows_of(store: DuckDBStore) -> list[tuple[object, ...]]:
    return store.cursor().execute(
        "SELECT id, time_start, duration FROM cdr_rows ORDER BY id").fetchall()


def test_pieces_store_what_the_whole_body_stores(
        stores: tuple[DuckDBStore, DuckDBStore]) -> None:
    pieces, whole = stores
    # Repeats within a piece, across pieces, and of rows stored before.
    ids = [*range(1, 400), *range(350, 700), 5, 699]
    body = parquet([cdr(i, duration=i % 17) for i in ids])
    for store in stores:
        store.insert_cdrs(parse_cdrs(parquet([cdr(i) for i in range(690, 710)]),
                                     Format.PARQUET, 1 << 20))
    chunked = store_cdr_body(pieces, body, Format.PARQUET, 1 << 20, 4096, piece_rows=64)
    at_once = whole.insert_cdrs(parse_cdrs(body, Format.PARQUET, 1 << 20))
    assert chunked == at_once
    assert (chunked.inserted, chunked.duplicates) == (689, len(ids) - 689)
    assert rows_of(pieces) == rows_of(whole)


def test_a_bad_value_in_a_late_piece_rejects_the_whole_body_with_its_error(
        stores: tuple[DuckDBStore, DuckDBStore]) -> None:
    pieces, _ = stores
    rows = [cdr(i) for i in range(1, 501)]
    rows[450]["duration"] = -1
    rows[20]["duration"] = -2
    body = parquet(rows)
    with pytest.raises(BatchRejected) as whole:
        parse_cdrs(body, Format.PARQUET, 1 << 20)
    with pytest.raises(BatchRejected) as chunked:
        store_cdr_body(pieces, body, Format.PARQUET, 1 << 20, 4096, piece_rows=64)
    assert [e.as_dict() for e in chunked.value.errors] == [
        e.as_dict() for e in whole.value.errors]
    assert rows_of(pieces) == []  # none of it, the good pieces before it included


def test_prefetched_yields_in_order_and_raises_where_the_error_was() -> None:
    def items() -> Iterator[int]:
        yield from range(5)
        raise ValueError("sixth")

    seen = []
    with pytest.raises(ValueError, match="sixth"):
        for item in prefetched(items()):
            seen.append(item)
    assert seen == [0, 1, 2, 3, 4]
    assert next(prefetched(iter(range(10**9)))) == 0  # stopping early stops the producer
