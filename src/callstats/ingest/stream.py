"""A large CDR body parsed piece by piece while the store writes the previous piece.

A 1M-row Parquet body parsed whole is about a gigabyte of Arrow columns (plus their
shadows and the engine's copy) before the first row is written, and the writer waits for
the parser. Read by row groups instead, each piece of at most PIECE_ROWS rows is
converted while the store writes the one before it (the parser and the engine release
the GIL, so the two overlap on two cores), and only two pieces are alive at a time.

The batch stays all or nothing: the store writes every piece in one transaction
(`insert_cdr_chunks`), and a bad value anywhere rolls it all back. The error is then the
one the whole body gets from `parse_cdrs`, so a client sees the same 422 however the body
was read.
"""

from __future__ import annotations

import io
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

T = TypeVar("T")


@runtime_checkable
class ChunkedInsert(Protocol):
    def insert_cdr_chunks(self, chunks: Iterable[pa.Table]) -> InsertResult: ...


def large_parquet(body: bytes, rows: int = PIECE_ROWS) -> pq.ParquetFile | None:
    """The Parquet file of a decoded body when it holds more than `rows` rows."""
    parquet = _parquet_file(body)
    return parquet if parquet is not None and parquet.metadata.num_rows > rows else None


def cdr_pieces(body: bytes, parquet: pq.ParquetFile, max_string: int,
               rows: int = PIECE_ROWS) -> Iterator[pa.Table]:
    """The typed CDR table of a decoded Parquet body, in consecutive pieces of `rows`."""
    try:
        for batch in parquet.iter_batches(batch_size=rows):
            yield cdrs_from_table(pa.Table.from_batches([batch]), max_string)
    except (BatchRejected, pa.ArrowException, OSError) as exc:
        parse_cdrs(body, Format.PARQUET, len(body), max_string)  # the whole body's error
        raise exc  # pragma: no cover - the whole body parsed, which a piece did not


def _parquet_file(body: bytes) -> pq.ParquetFile | None:
    try:
        return pq.ParquetFile(io.BytesIO(body))
    except (pa.ArrowException, OSError):
        return None  # parse_cdrs tells what is wrong with it


def prefetched(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """`items`, produced by a thread of their own up to `depth` ahead of the consumer.
    An exception of the producer is raised where its item would have come; a consumer that
    stops early stops the producer at its next item."""
    slots: queue.Queue[tuple[bool, object]] = queue.Queue(depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        slots.put((True, item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put((False, None))
        except BaseException as exc:  # handed to the consumer
            slots.put((False, exc))

    worker = threading.Thread(target=produce, name="callstats-parse-ahead", daemon=True)
    worker.start()
    try:
        while True:
            more, item = slots.get()
            if not more:
                if isinstance(item, BaseException):
                    raise item
                return
            yield cast(T, item)
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                slots.get_nowait()
            except queue.Empty:
                pass
            worker.join(0.05)


def store_cdr_body(store: Store, data: bytes, fmt: Format, max_body: int,
                   max_string: int, piece_rows: int = PIECE_ROWS) -> InsertResult:
    """Parse and store one CDR body: a large Parquet one piece by piece where the store
    takes pieces, anything else parsed whole first (outside the store's write lock)."""
    if fmt is Format.PARQUET and isinstance(store, ChunkedInsert):
        body = decoded_body(data, max_body)
        parquet = large_parquet(body, piece_rows)
        if parquet is not None:
            return store.insert_cdr_chunks(
                prefetched(cdr_pieces(body, parquet, max_string, piece_rows)))
    return store.insert_cdrs(parse_cdrs(data, fmt, max_body, max_string))
