"""Split ingestion files into batches small enough for one request or transaction.

A batch is a slice of the file's own bytes, cut where a record ends (NDJSON lines, CSV
records with the header in front), or a Parquet record batch; nothing is re-encoded
as text. So the CLI gets the server's verdict on every byte, whether it posts the batches
or stores them straight into a data dir, and a file that fits one batch is judged exactly
as the same body posted whole. A file the splitter cannot make sense of (no rows, not
Parquet after all) goes as one batch of its bytes, for the parser to name what is wrong.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.parquet as pq

from callstats.ingest.convert import BatchRejected, document_error
from callstats.ingest.readers import (
    GZIP_MAGIC,
    Format,
    format_for_filename,
    opens_with_an_object,
)
from callstats.ingest.text import JSON_WHITESPACE


@dataclass(frozen=True)
class Batch:
    """Either a body as read (NDJSON lines, CSV records after the header, a whole file)
    or a Parquet record batch, sent as Parquet when posted."""

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
    """CDR batches of a file."""
    fmt = file_format(path)
    if fmt is Format.NDJSON:
        yield from _ndjson_batches(path, rows_per_batch)
    elif fmt is Format.CSV:
        yield from _csv_batches(path, rows_per_batch)
    else:
        yield from _parquet_batches(path, rows_per_batch)


def iter_snapshot_batches(path: Path, envelopes_per_batch: int) -> Iterator[Batch]:
    """Snapshot batches of a file: NDJSON envelopes in batches of lines; anything else
    (one JSON document, CSV or Parquet rows) whole, since one snapshot may span many rows
    or lines and must not be split (and so half-replaced)."""
    fmt = file_format(path)
    if fmt is Format.NDJSON and _is_ndjson(path):
        yield from _ndjson_batches(path, envelopes_per_batch)
        return
    with _opened(path) as (stream, raw):
        data = _read_all(stream)
        yield Batch(data, fmt, 1, 0, raw.tell())


def _is_ndjson(path: Path) -> bool:
    """As the server decides for a body that is not one JSON document."""
    with _opened(path) as (stream, _):
        return opens_with_an_object(_lines(stream)) is True


class _opened:
    """The file's bytes, gzip-decoded when they start with gzip's magic bytes (as the
    server recognises a gzip body), whatever the file is called."""

    def __init__(self, path: Path):
        self.raw = path.open("rb")
        self.stream: IO[bytes] = self.raw
        if self.raw.read(2) == GZIP_MAGIC:
            self.raw.seek(0)
            self.stream = gzip.open(self.raw)  # type: ignore[assignment]
        else:
            self.raw.seek(0)

    def __enter__(self) -> tuple[IO[bytes], IO[bytes]]:
        return self.stream, self.raw

    def __exit__(self, *exc: object) -> None:
        self.stream.close()
        self.raw.close()


def _lines(stream: IO[bytes]) -> Iterator[bytes]:
    """The stream's lines; broken gzip data refused as the server refuses it."""
    try:
        yield from stream
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise BatchRejected([document_error(f"invalid gzip data: {exc}")]) from None
    except EOFError:
        raise BatchRejected([document_error("truncated gzip data")]) from None


def _read_all(stream: IO[bytes]) -> bytes:
    return b"".join(_lines(stream))


def _ndjson_batches(path: Path, rows_per_batch: int) -> Iterator[Batch]:
    with _opened(path) as (stream, raw):
        lines: list[bytes] = []
        blank: list[bytes] = []
        first = 1
        for line in _lines(stream):
            if not line.strip(JSON_WHITESPACE):
                if first == 1 and not lines:
                    blank.append(line)
                continue
            lines.append(line.rstrip(b"\r\n"))
            if len(lines) >= rows_per_batch:
                yield Batch(b"\n".join(lines), Format.NDJSON, first, len(lines), raw.tell())
                first += len(lines)
                lines = []
        if lines or first == 1:  # a file of no lines goes as it is: the parser decides
            body = b"\n".join(lines) if lines else b"".join(blank)
            yield Batch(body, Format.NDJSON, first, len(lines), raw.tell())


def _csv_batches(path: Path, rows_per_batch: int) -> Iterator[Batch]:
    """Header plus up to `rows_per_batch` records per batch, cut only between records:
    a line starts a record when the quotes before it pair up (RFC 4180; a file whose
    quotes do not is refused by the parser, in the batch that holds the bad quote)."""
    with _opened(path) as (stream, raw):
        header: list[bytes] = []
        leading: list[bytes] = []  # blank lines before the header
        records: list[bytes] = []
        in_quotes = header_done = False
        count, first = 0, 1
        for line in _lines(stream):
            starts_record = not in_quotes
            in_quotes ^= bool(line.count(b'"') & 1)
            blank = starts_record and not line.strip(b"\r\n")
            if not header_done:
                if blank and not header:
                    leading.append(line)
                else:
                    header.append(line)
                    header_done = not in_quotes
                continue
            if starts_record and not blank:
                if count == rows_per_batch:
                    yield Batch(b"".join(header + records), Format.CSV, first, count,
                                raw.tell())
                    first, count, records = first + count, 0, []
                count += 1
            records.append(line)
        if not header_done:  # no header: the parser judges the bytes as they are
            yield Batch(b"".join(leading + header), Format.CSV, first, 0, raw.tell())
        elif count or first == 1:
            yield Batch(b"".join(header + records), Format.CSV, first, count, raw.tell())


def _parquet_batches(path: Path, rows_per_batch: int) -> Iterator[Batch]:
    """Record batches read from the file (a gzipped one is decoded in memory first)."""
    size = path.stat().st_size
    with _opened(path) as (stream, raw):
        source: Path | io.BytesIO = path if stream is raw else io.BytesIO(_read_all(stream))
    try:
        parquet = pq.ParquetFile(source)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError):
        yield _whole(source)  # the parser names what is wrong (an empty file: empty body)
        return
    first = 1
    total = max(parquet.metadata.num_rows, 1)
    try:
        for record_batch in parquet.iter_batches(batch_size=rows_per_batch):
            rows = record_batch.num_rows
            done = min(size, int(size * (first - 1 + rows) / total))
            yield Batch(None, Format.PARQUET, first, rows, done,
                        pa.Table.from_batches([record_batch]))
            first += rows
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as exc:
        raise BatchRejected([document_error(f"invalid Parquet: {exc}")]) from None
    if first == 1:  # no rows: the file itself, a document of zero rows
        yield _whole(source)


def _whole(source: Path | io.BytesIO) -> Batch:
    data = source.read_bytes() if isinstance(source, Path) else source.getvalue()
    return Batch(data, Format.PARQUET, 1, 0, len(data))


def _to_parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="lz4")
    return sink.getvalue()
