"""Read an ingestion body (NDJSON, CSV or Parquet, maybe gzip) into raw Arrow columns.

Readers only split the input into columns; `convert` decides what the values mean.
"""

from __future__ import annotations

import csv
import io
import re
import zlib
from collections.abc import Sequence
from enum import Enum

import orjson
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from callstats.columns import Column, Kind
from callstats.ingest.convert import BatchRejected, RowError

GZIP_MAGIC = b"\x1f\x8b"


class Format(Enum):
    NDJSON = "ndjson"
    CSV = "csv"
    PARQUET = "parquet"


class BodyTooLarge(Exception):
    """More bytes than CALLSTATS_MAX_BODY, as sent or after gzip decoding."""


_CONTENT_TYPES = {
    "application/x-ndjson": Format.NDJSON,
    "application/ndjson": Format.NDJSON,
    "application/jsonl": Format.NDJSON,
    "application/json": Format.NDJSON,
    "text/csv": Format.CSV,
    "application/vnd.apache.parquet": Format.PARQUET,
    "application/x-parquet": Format.PARQUET,
    "application/parquet": Format.PARQUET,
}
_SUFFIXES = {
    ".ndjson": Format.NDJSON,
    ".jsonl": Format.NDJSON,
    ".json": Format.NDJSON,
    ".csv": Format.CSV,
    ".parquet": Format.PARQUET,
}


def format_for_content_type(content_type: str) -> Format | None:
    return _CONTENT_TYPES.get(content_type.split(";")[0].strip().lower())


def format_for_filename(name: str) -> Format | None:
    lowered = name.lower().removesuffix(".gz")
    for suffix, fmt in _SUFFIXES.items():
        if lowered.endswith(suffix):
            return fmt
    return None


def gunzip_limited(data: bytes, limit: int) -> bytes:
    """Decode (possibly concatenated) gzip members, refusing output beyond `limit` bytes."""
    out = bytearray()
    while data:
        inflater = zlib.decompressobj(wbits=31)
        try:
            out += inflater.decompress(data, limit + 1 - len(out))
        except zlib.error as exc:
            raise BatchRejected([RowError(0, "", f"invalid gzip data: {exc}")]) from None
        if len(out) > limit:
            raise BodyTooLarge()
        if not inflater.eof:
            raise BatchRejected([RowError(0, "", "truncated gzip data")])
        data = inflater.unused_data
    return bytes(out)


def maybe_gunzip(data: bytes, limit: int) -> bytes:
    return gunzip_limited(data, limit) if data[:2] == GZIP_MAGIC else data


def read_columns(
    data: bytes, fmt: Format, columns: Sequence[Column]
) -> tuple[dict[str, pa.Array], int]:
    """Raw columns (only those the model knows) and the number of data rows."""
    if fmt is Format.NDJSON:
        return columns_from_records(parse_ndjson(data, exact_keys(columns)), columns)
    if fmt is Format.CSV:
        return _read_csv(data, columns)
    return _read_parquet(data, columns)


# --- NDJSON --------------------------------------------------------------------------


def exact_keys(columns: Sequence[Column]) -> tuple[str, ...]:
    return tuple(c.name for c in columns if c.kind in (Kind.DEC, Kind.TS))


def _quote_numbers_pattern(keys: Sequence[str]) -> re.Pattern[bytes]:
    # An unescaped quote is always structural in JSON, so `(?<!\\)"key":` is a real key.
    names = b"|".join(re.escape(k.encode()) for k in keys)
    return re.compile(
        rb'(?<!\\)"(' + names + rb')"(\s*):(\s*)(-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)'
    )


_PATTERNS: dict[tuple[str, ...], re.Pattern[bytes]] = {}


def quote_exact_numbers(data: bytes, keys: tuple[str, ...]) -> bytes:
    """Turn JSON numbers under decimal/time keys into strings, so their exact text survives
    parsing (a JSON parser would hand us a binary float)."""
    pattern = _PATTERNS.get(keys)
    if pattern is None:
        pattern = _PATTERNS[keys] = _quote_numbers_pattern(keys)
    return pattern.sub(rb'"\1"\2:\3"\4"', data)


_DIGITS_TO_ZERO = bytes.maketrans(b"123456789.", b"000000000" + b"0")
_LONG_NUMBER = b"0" * 16


def may_hold_long_numbers(data: bytes) -> bool:
    """True when some run of 16+ digits/dots exists, i.e. a number might carry more than 15
    significant digits. Below that, a JSON number parsed to a double and spelled back with
    repr() is exactly the number written, so the fast parser is exact."""
    return _LONG_NUMBER in data.translate(_DIGITS_TO_ZERO)


def parse_ndjson(data: bytes, exact: tuple[str, ...]) -> list[dict[str, object]]:
    if exact and may_hold_long_numbers(data):
        data = quote_exact_numbers(data, exact)
    lines = [line for line in data.split(b"\n") if line.strip()]
    try:
        records = orjson.loads(b"[" + b",".join(lines) + b"]")
    except orjson.JSONDecodeError:
        records = None
    if records is None or not all(type(r) is dict for r in records):
        raise BatchRejected(_locate_json_errors(lines))
    return records


def _locate_json_errors(lines: list[bytes]) -> list[RowError]:
    errors = []
    for number, line in enumerate(lines, 1):
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            errors.append(RowError(number, "", f"invalid JSON: {exc}"))
            continue
        if type(value) is not dict:
            errors.append(RowError(number, "", "expected a JSON object"))
    return errors


def columns_from_records(
    records: list[dict[str, object]], columns: Sequence[Column]
) -> tuple[dict[str, pa.Array], int]:
    raw = {}
    for column in columns:
        values = [r.get(column.name) for r in records]
        raw[column.name] = _infer_array(values)
    return raw, len(records)


def _infer_array(values: list[object]) -> pa.Array:
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    # Mixed JSON types (say 1 and "1"): compare them by their text.
    if any(type(v) in (dict, list) for v in values):
        return _nested_marker(values)
    return pa.array([_as_text(v) for v in values], pa.string())


def _nested_marker(values: list[object]) -> pa.Array:
    """A nested value where a scalar belongs: keep it as JSON text in a binary array, which
    no converter accepts, so the error names the row."""
    return pa.array([None if v is None else orjson.dumps(v) for v in values], pa.binary())


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is float:
        return repr(value)
    return str(value)


# --- CSV and Parquet -------------------------------------------------------------------


def _read_csv(data: bytes, columns: Sequence[Column]) -> tuple[dict[str, pa.Array], int]:
    first_line = data.split(b"\n", 1)[0].decode("utf-8", "replace")
    header = next(csv.reader([first_line]), [])
    known = [c.name for c in columns if c.name in header]
    if not header or not known:
        raise BatchRejected([RowError(0, "", "CSV needs a header row naming the columns")])
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in known},
                include_columns=known,
                strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except pa.ArrowInvalid as exc:
        raise BatchRejected([RowError(_csv_row(str(exc)), "", f"invalid CSV: {exc}")]) from None
    return {name: table.column(name) for name in known}, table.num_rows


def _csv_row(message: str) -> int:
    match = re.search(r"[Rr]ow #(\d+)", message)
    return max(int(match.group(1)) - 1, 0) if match else 0


def _read_parquet(data: bytes, columns: Sequence[Column]) -> tuple[dict[str, pa.Array], int]:
    try:
        parquet = pq.ParquetFile(io.BytesIO(data))
        names = set(parquet.schema_arrow.names)
        known = [c.name for c in columns if c.name in names]
        table = parquet.read(columns=known)
    except (pa.ArrowInvalid, OSError) as exc:
        raise BatchRejected([RowError(0, "", f"invalid Parquet: {exc}")]) from None
    return {name: table.column(name) for name in known}, table.num_rows
