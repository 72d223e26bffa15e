"""Split ingestion files into batches small enough for one request or transaction.

Batches are plain bodies in a format the ingestion endpoints take, so the CLI sends the
same bytes whether it posts them to a server or stores them straight into a data dir.
CSV and Parquet inputs travel as Parquet with the file's own column values (CSV cells
stay text), so the server reads them exactly as it would the original file.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from callstats.ingest.readers import Format, format_for_filename


@dataclass(frozen=True)
class Batch:
    """Either a body as read (NDJSON lines, a whole snapshot file) or a table of the file's
    own column values (CSV cells as text, Parquet as typed), sent as Parquet when posted."""

    body: bytes | None
    fmt: Format
    first_row: int  # number of the batch's first data row within its file, from 1
    rows: int
    bytes_read: int  # progress through the file, for progress bars
    table: pa.Table | None = None

    def payload(self) -> tuple[bytes, Format]:
        """What to send over HTTP."""
        if self.table is not None:
            return _to_parquet(self.table), Format.PARQUET
        assert self.body is not None
        return self.body, self.fmt


class UnsupportedFile(Exception):
    pass


def file_format(path: Path) -> Format:
    fmt = format_for_filename(path.name)
    if fmt is None:
        raise UnsupportedFile(
            f"{path}: unknown file type (use .ndjson/.jsonl/.json, .csv or .parquet, "
            "optionally .gz)"
        )
    return fmt


def iter_batches(path: Path, rows_per_batch: int) -> Iterator[Batch]:
    fmt = file_format(path)
    if fmt is Format.NDJSON:
        yield from _ndjson_batches(path, rows_per_batch)
    elif fmt is Format.CSV:
        yield from _csv_batches(path, rows_per_batch)
    else:
        yield from _parquet_batches(path, rows_per_batch)


def _open(path: Path):  # type: ignore[no-untyped-def]
    raw = path.open("rb")
    return (gzip.open(raw), raw) if path.name.lower().endswith(".gz") else (raw, raw)


def _ndjson_batches(path: Path, rows_per_batch: int) -> Iterator[Batch]:
    stream, raw = _open(path)
    with raw, stream:
        lines: list[bytes] = []
        first = 1
        for line in stream:
            if not line.strip():
                continue
            lines.append(line.rstrip(b"\r\n"))
            if len(lines) >= rows_per_batch:
                yield Batch(b"\n".join(lines), Format.NDJSON, first, len(lines), raw.tell())
                first += len(lines)
                lines = []
        if lines:
            yield Batch(b"\n".join(lines), Format.NDJSON, first, len(lines), raw.tell())


def _csv_batches(path: Path, rows_per_batch: int) -> Iterator[Batch]:
    stream, raw = _open(path)
    with raw, stream:
        header = stream.readline()
        columns = next(csv.reader([header.decode("utf-8", "replace")]), [])
        reader = pacsv.open_csv(
            _Prefixed(header, stream),
            read_options=pacsv.ReadOptions(block_size=1 << 22),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in columns},
                strings_can_be_null=True, null_values=[""],
            ),
        )
        yield from _table_batches(reader, rows_per_batch, raw)


def _parquet_batches(path: Path, rows_per_batch: int) -> Iterator[Batch]:
    if path.name.lower().endswith(".gz"):
        source = io.BytesIO(gzip.decompress(path.read_bytes()))
        parquet = pq.ParquetFile(source)
    else:
        parquet = pq.ParquetFile(path)
    first = 1
    size = path.stat().st_size
    total = max(parquet.metadata.num_rows, 1)
    for record_batch in parquet.iter_batches(batch_size=rows_per_batch):
        rows = record_batch.num_rows
        done = min(size, int(size * (first - 1 + rows) / total))
        yield Batch(None, Format.PARQUET, first, rows, done,
                    pa.Table.from_batches([record_batch]))
        first += rows


def _table_batches(reader, rows_per_batch: int, raw) -> Iterator[Batch]:  # type: ignore[no-untyped-def]
    pending: list[pa.RecordBatch] = []
    count, first = 0, 1
    for record_batch in reader:
        pending.append(record_batch)
        count += record_batch.num_rows
        while count >= rows_per_batch:
            table = pa.Table.from_batches(pending)
            head, rest = table.slice(0, rows_per_batch), table.slice(rows_per_batch)
            yield Batch(None, Format.PARQUET, first, head.num_rows, raw.tell(), head)
            first += head.num_rows
            pending, count = rest.to_batches(), rest.num_rows
    if count:
        table = pa.Table.from_batches(pending)
        yield Batch(None, Format.PARQUET, first, table.num_rows, raw.tell(), table)


def _to_parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="lz4")
    return sink.getvalue()


class _Prefixed(io.RawIOBase):
    """A stream that yields `prefix` and then the rest of `stream` (to re-read a header)."""

    def __init__(self, prefix: bytes, stream):  # type: ignore[no-untyped-def]
        self._prefix, self._stream = prefix, stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n], self._prefix = self._prefix[:n], self._prefix[n:]
            return n
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
