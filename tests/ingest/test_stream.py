"""A large Parquet body stored piece by piece (ingest/stream.py) is stored as the whole body
would be: same rows, same counts, all or nothing, the whole body's error — on DuckDB (one
transaction) and on ClickHouse (every piece checked before the first is written)."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from callstats.ingest.batches import BatchRejected, Format, parse_cdrs
from callstats.ingest.stream import cdr_pieces, prefetched, store_cdr_body
from callstats.stores.base import Store, open_store
from callstats.stores.duckdb_store import DuckDBStore
from tests.support.bodies import cdr
from tests.support.stores import STORE_KINDS, StoreUrls, minute_rollup, stored_cdrs


@pytest.fixture(params=STORE_KINDS)
def stores(request: pytest.FixtureRequest, chdb_dir: Path,
           tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    urls = StoreUrls(request.param, chdb_dir)
    pieces = open_store(urls(tmp_path / "pieces"))
    whole = open_store(urls(tmp_path / "whole"))
    yield pieces, whole
    pieces.close()
    whole.close()


def parquet(rows: list[dict[str, object]], row_group: int = 100) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), sink, row_group_size=row_group)
    return sink.getvalue()


def stored(store: Store) -> tuple[list[tuple[object, ...]], ...]:
    """Every stored column of every row, and the minute rollup's sums per key (a piece
    adds its own partial rows, which compaction and merges fold as these sums do)."""
    return stored_cdrs(store, -(2**63), 2**63 - 1), minute_rollup(store)


def test_pieces_store_what_the_whole_body_stores(
        stores: tuple[Store, Store]) -> None:
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
    assert stored(pieces) == stored(whole)


def test_a_bad_value_in_a_late_piece_rejects_the_whole_body_with_its_error(
        stores: tuple[Store, Store]) -> None:
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
    assert stored(pieces) == ([], [])  # none of it, the good pieces before it included


def varied_rows(count: int) -> list[dict[str, object]]:
    return [cdr(i, customer_acc_id=1 + i % 7, vendor_acc_id=20 + i % 3,
                time_start=f"2024-03-01T{10 + i % 5}:{i % 60:02}:00Z",
                customer_price=f"{i % 11}.25", src_name_in=f"Name {i % 13}")
            for i in [*range(1, count), 7, count // 2]]  # repeats, one late in the file


@pytest.mark.parametrize("row_group", [37, 64, 10_000])  # many groups, one per piece, one
def test_row_groups_do_not_change_what_is_stored(tmp_path: Path, row_group: int) -> None:
    rows = varied_rows(700)
    whole = DuckDBStore(tmp_path / "whole.duckdb")
    pieces = DuckDBStore(tmp_path / "pieces.duckdb")
    try:
        for store in (whole, pieces):  # known from here on: each insert widens it
            assert store.cdr_time_span() is None
        at_once = whole.insert_cdrs(parse_cdrs(parquet(rows, 10_000), Format.PARQUET, 1 << 20))
        body = parquet(rows, row_group)
        assert pq.ParquetFile(io.BytesIO(body)).num_row_groups == -(-len(rows) // row_group)
        sizes = [piece.num_rows for piece in cdr_pieces(
            body, pq.ParquetFile(io.BytesIO(body)), 4096, rows=64, read_rows=24)]
        assert sizes == [64] * (len(rows) // 64) + [len(rows) % 64]
        before = pieces.data_version("customer_acc_id", 3)
        # pieces of 64 rows, each gathered from Arrow batches of 16
        chunked = store_cdr_body(pieces, body, Format.PARQUET, 1 << 20, 4096,
                                 piece_rows=64, read_rows=16)
        assert chunked == at_once
        assert (chunked.received, chunked.inserted) == (len(rows), len(rows) - 2)
        assert stored(pieces) == stored(whole)
        [span] = pieces.cursor().execute("SELECT epoch_us(min(time_start)), "
                                         "epoch_us(max(time_start)) FROM cdr_rows").fetchall()
        assert pieces.cdr_time_span() == whole.cdr_time_span() == span
        assert pieces.data_version("customer_acc_id", 3) != before
    finally:
        whole.close()
        pieces.close()


def test_a_bad_row_late_in_one_big_row_group_stores_nothing(
        stores: tuple[Store, Store]) -> None:
    pieces, _ = stores
    rows = varied_rows(700)
    rows[690]["duration"] = -1
    body = parquet(rows, 10_000)  # one row group: only the last piece fails
    with pytest.raises(BatchRejected) as whole:
        parse_cdrs(body, Format.PARQUET, 1 << 20)
    with pytest.raises(BatchRejected) as chunked:
        store_cdr_body(pieces, body, Format.PARQUET, 1 << 20, 4096, piece_rows=64,
                       read_rows=16)
    assert [e.as_dict() for e in chunked.value.errors] == [
        e.as_dict() for e in whole.value.errors]
    assert [(e.row, e.field) for e in chunked.value.errors] == [(691, "duration")]
    assert stored(pieces) == ([], [])  # none of the 10 good pieces before it
    assert pieces.cdr_time_span() is None


def test_prefetched_produces_the_next_item_only_once_the_last_was_taken() -> None:
    """With depth 1, two items are alive at a time: the consumer's, and the one being
    produced (the producer keeps none it handed over)."""
    started: list[int] = []

    def items() -> Iterator[int]:
        for number in range(6):
            started.append(number)
            yield number

    for taken in prefetched(items()):
        time.sleep(0.05)  # time enough for a producer to run further ahead
        assert len(started) <= taken + 2  # this one and at most the next


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
