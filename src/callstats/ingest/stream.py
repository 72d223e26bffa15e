"""A large CDR body parsed piece by piece while the store writes the previous piece.

A 1M-row Parquet body parsed whole is about a gigabyte of Arrow columns (plus their
shadows and the engine's copy) before the first row is written, and the writer waits for
the parser. Read in pieces instead, each of at most PIECE_ROWS rows whatever the file's
row groups, a piece is converted while the store writes the one before it (the parser
and the engine release the GIL, so the two overlap on two cores), and only two pieces
are alive at a time: nothing keeps a piece once the next stage has it (the store keeps
what a piece changed, not the piece, until COMMIT).

The batch stays all or nothing. A store with transactions (DuckDB) writes every piece in
one (`insert_cdr_chunks`), and a bad value anywhere rolls it all back. A store without
(ClickHouse) writes each piece as it comes, so the body is first read through once,
piece by piece, keeping nothing, and only a body with no bad value is read again to be
written: converting twice in pieces costs about what converting once whole did, without
holding the whole converted body (~0.5 GB for 1M rows). The error is the one the whole
body gets from `parse_cdrs`, so a client sees the same 422 however the body was read.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Protocol, TypeVar, cast, runtime_checkable

import pyarrow as pa
import pyarrow.parquet as pq

from callstats.ingest.batches import (
    BatchRejected,
    Format,
    cdrs_from_table,
    decoded_body,
    parse_cdrs,
)
from callstats.stores.base import InsertResult, Store

PIECE_ROWS = 131_072  # about one DuckDB row group (122,880 rows)
READ_ROWS = 32_768  # rows Arrow decodes at a time

T = TypeVar("T")


@runtime_checkable
class ChunkedInsert(Protocol):
    """A store that takes one batch as consecutive pieces. `pieces_atomic`: it writes them
    in one transaction, so a piece that fails to come undoes those before it; if not, it
    writes each as it comes, and every piece must have been checked before the first."""

    pieces_atomic: bool

    def insert_cdr_chunks(self, chunks: Iterable[pa.Table]) -> InsertResult: ...


def large_parquet(body: bytes, rows: int = PIECE_ROWS) -> pq.ParquetFile | None:
    """The Parquet file of a decoded body when it holds more than `rows` rows."""
    parquet = _parquet_file(body)
    return parquet if parquet is not None and parquet.metadata.num_rows > rows else None


def cdr_pieces(body: bytes, parquet: pq.ParquetFile, max_string: int,
               rows: int = PIECE_ROWS, read_rows: int = READ_ROWS) -> Iterator[pa.Table]:
    """The typed CDR table of a decoded Parquet body, in consecutive pieces of `rows`,
    whatever its row groups: Arrow decodes `read_rows` at a time (a row group of 1M rows
    read whole, or in 131k-row batches, costs a multiple of the piece), the batches of a
    piece are converted together, and neither the raw batches nor the piece are kept
    once handed on."""
    try:
        for batches in _slices(parquet.iter_batches(batch_size=min(rows, read_rows)), rows):
            raw = pa.Table.from_batches(batches)
            batches.clear()
            piece = cdrs_from_table(raw, max_string)
            del raw  # the raw columns go before the next piece is read
            yield piece
            del piece
    except (BatchRejected, pa.ArrowException, OSError) as exc:
        parse_cdrs(body, Format.PARQUET, len(body), max_string)  # the whole body's error
        raise exc  # pragma: no cover - the whole body parsed, which a piece did not


def _slices(batches: Iterable[pa.RecordBatch], rows: int) -> Iterator[list[pa.RecordBatch]]:
    """Consecutive record batches gathered into lists of exactly `rows` rows (the last may
    hold fewer), a batch that crosses a boundary split there (a zero-copy slice): a row
    group's last batch is short, so whole batches would not add up to `rows`."""
    gathered: list[pa.RecordBatch] = []
    count = 0
    for batch in batches:
        while count + batch.num_rows >= rows:
            need = rows - count
            gathered.append(batch.slice(0, need))
            yield gathered
            gathered, count, batch = [], 0, batch.slice(need)
        if batch.num_rows:
            gathered.append(batch)
            count += batch.num_rows
    if gathered:
        yield gathered


def _parquet_file(body: bytes) -> pq.ParquetFile | None:
    try:
        return pq.ParquetFile(pa.BufferReader(body))
    except (pa.ArrowException, OSError):
        return None  # parse_cdrs tells what is wrong with it


def prefetched(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """`items`, produced by a thread of their own up to `depth` ahead of the consumer: the
    producer starts an item only once fewer than `depth` produced items are not yet taken,
    and keeps no reference to one it handed over, so with `depth` 1 two items are alive at
    a time (the one the consumer works on, the one being produced). An exception of the
    producer is raised where its item would have come; a consumer that stops early stops
    the producer before its next item."""
    ready: queue.Queue[tuple[bool, object]] = queue.Queue()
    free = threading.Semaphore(depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            while True:
                while not free.acquire(timeout=0.1):
                    if stop.is_set():
                        return
                if stop.is_set():
                    return
                try:
                    item = next(items)
                except StopIteration:
                    break
                ready.put((True, item))
                del item  # handed over: the consumer alone decides how long it lives
            ready.put((False, None))
        except BaseException as exc:  # handed to the consumer
            ready.put((False, exc))

    worker = threading.Thread(target=produce, name="callstats-parse-ahead", daemon=True)
    worker.start()
    try:
        while True:
            more, item = ready.get()
            free.release()
            if not more:
                if isinstance(item, BaseException):
                    raise item
                return
            yield cast(T, item)
            del item  # not held while the next one is awaited
    finally:
        stop.set()
        free.release()  # a producer waiting for a free slot sees the stop
        worker.join()


def store_cdr_body(store: Store, data: bytes, fmt: Format, max_body: int,
                   max_string: int, piece_rows: int = PIECE_ROWS,
                   read_rows: int = READ_ROWS) -> InsertResult:
    """Parse and store one CDR body: a large Parquet one piece by piece where the store
    takes pieces, anything else parsed whole first (outside the store's write lock)."""
    if fmt is Format.PARQUET and isinstance(store, ChunkedInsert):
        body = decoded_body(data, max_body)
        parquet = large_parquet(body, piece_rows)
        if parquet is not None:
            if not store.pieces_atomic:
                for _ in cdr_pieces(body, parquet, max_string, piece_rows, read_rows):
                    pass  # every value checked before one is written: a 422 stores nothing
            return store.insert_cdr_chunks(
                prefetched(cdr_pieces(body, parquet, max_string, piece_rows, read_rows)))
    return store.insert_cdrs(parse_cdrs(data, fmt, max_body, max_string))
