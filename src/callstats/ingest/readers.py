"""Read an ingestion body (NDJSON, CSV or Parquet, maybe gzip) into raw Arrow columns.

Readers only split the input into columns; `convert` decides what the values mean.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import zlib
from collections.abc import Sequence
from enum import Enum
from operator import itemgetter

import orjson
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
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
        fast = _arrow_ndjson(data, columns)
        if fast is not None:
            return fast
        return columns_from_records(parse_ndjson(data, exact_keys(columns)), columns)
    if fmt is Format.CSV:
        return _read_csv(data, columns)
    return _read_parquet(data, columns)


# --- NDJSON --------------------------------------------------------------------------


def _arrow_ndjson(
    data: bytes, columns: Sequence[Column]
) -> tuple[dict[str, pa.Array], int] | None:
    """Fast path: Arrow's multi-threaded C++ reader, typed by the first record's values.
    Decimal and time numbers are read as decimals straight from their text, so nothing
    passes through a binary float. Anything unexpected (a type changing between rows, bad
    JSON, a non-object line) returns None and the exact row-aware path takes over."""
    first_line = data.lstrip().split(b"\n", 1)[0]
    try:
        first = orjson.loads(first_line)
    except orjson.JSONDecodeError:
        return None
    if type(first) is not dict:
        return None
    fields = []
    for column in columns:
        arrow_type = _sniffed_type(column, first.get(column.name))
        if arrow_type is None:
            return None
        fields.append(pa.field(column.name, arrow_type))
    try:
        table = pajson.read_json(
            io.BytesIO(data),
            read_options=pajson.ReadOptions(block_size=1 << 20),
            parse_options=pajson.ParseOptions(
                explicit_schema=pa.schema(fields), unexpected_field_behavior="ignore"
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    return {f.name: table.column(f.name) for f in fields}, table.num_rows


_EXACT_NUMBER = pa.decimal128(38, 9)


# The Arrow type a column is read as when the first record does not show its JSON type.
# A wrong guess (say 0/1 for a boolean) makes Arrow fail, and the exact path takes over.
_BY_KIND = {Kind.INT: pa.int64(), Kind.BOOL: pa.bool_(), Kind.STR: pa.string(),
            Kind.DEC: _EXACT_NUMBER, Kind.TS: pa.string(), Kind.FLOAT: pa.float64()}


def _exact_number(column: Column) -> pa.DataType:
    """Holds every value the column can (rates keep 10 decimals); a number with more
    decimals than this makes Arrow step aside, and the exact path names its row."""
    return pa.decimal128(38, max(_EXACT_NUMBER.scale, column.scale))


def _sniffed_type(column: Column, value: object) -> pa.DataType | None:
    """Every model column gets a type: Arrow drops columns missing from the schema."""
    exact = column.kind in (Kind.DEC, Kind.TS)
    if value is None:
        return _exact_number(column) if column.kind is Kind.DEC else _BY_KIND[column.kind]
    if type(value) is bool:
        return pa.bool_()
    if type(value) is int:
        return _EXACT_NUMBER if column.kind is Kind.DEC else pa.int64()
    if type(value) is float:
        return _EXACT_NUMBER if exact else pa.float64()
    if type(value) is str:
        return pa.string()
    return None  # a nested value: the exact path reports it


def exact_keys(columns: Sequence[Column]) -> tuple[str, ...]:
    return tuple(c.name for c in columns if c.kind in (Kind.DEC, Kind.TS))


_NUMBER = rb"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"


@functools.cache
def _quoter(key: str) -> re.Pattern[bytes]:
    """Finds `"key": <number>`. An unescaped quote is always structural in JSON, so the
    lookbehind makes `"key":` a real key, never text inside a string."""
    name = re.escape(key.encode())
    return re.compile(rb'"' + name + rb'"(?<!\\"' + name + rb'")(\s*:\s*)(' + _NUMBER + rb")")


_DIGITS_ONLY = bytes.maketrans(b"123456789.", b"0000000000")
_LONG_RUN = b"0" * 16


def _owning_key(data: bytes, value_start: int) -> bytes | None:
    """The key of `"key": <value at value_start>`, or None when the run is not a value."""
    closing = data.rfind(b'"', 0, value_start)
    if closing < 0 or data[closing + 1:value_start].strip(b" \t\r\n-") != b":":
        return None
    opening = data.rfind(b'"', 0, closing)
    return data[opening + 1:closing] if opening >= 0 else None


def may_hold_long_numbers(data: bytes, keys: Sequence[str]) -> bool:
    """True when a number under one of `keys` may carry more than 15 significant digits.
    Below that, a JSON number parsed to a double and spelled back with repr() is exactly the
    number written, so the fast parser is exact. Runs of 16+ digits/dots are found at C
    speed; only for those do we look back for the key that owns them."""
    flat = data.translate(_DIGITS_ONLY)
    wanted = {key.encode() for key in keys}
    position = flat.find(_LONG_RUN)
    while position != -1:
        if _owning_key(data, position) in wanted:
            return True
        end = position + len(_LONG_RUN)
        while end < len(flat) and flat[end] == 0x30:
            end += 1
        position = flat.find(_LONG_RUN, end)
    return False


def quote_exact_numbers(data: bytes, keys: Sequence[str]) -> bytes:
    """Turn JSON numbers under decimal/time keys into strings, so their exact text survives
    parsing (a JSON parser would hand us a binary float)."""
    for key in keys:
        quoted = b'"' + key.encode() + b'"'
        data = _quoter(key).sub(lambda m, q=quoted: q + m[1] + b'"' + m[2] + b'"', data)
    return data


def parse_ndjson(data: bytes, exact: tuple[str, ...]) -> list[dict[str, object]]:
    if exact and may_hold_long_numbers(data, exact):
        data = quote_exact_numbers(data, exact)
    body = data.strip()
    if b"\n\n" in body or b"\r" in body:  # blank lines or CRLF: normalize line by line
        body = b"\n".join(line.strip() for line in body.split(b"\n") if line.strip())
    try:
        records = orjson.loads(b"[" + body.replace(b"\n", b",") + b"]")
    except orjson.JSONDecodeError:
        records = None
    # A line holding two values ("{...}, {...}") parses too: the count must match as well.
    n_lines = body.count(b"\n") + 1 if body else 0
    if records is None or len(records) != n_lines or not all(type(r) is dict for r in records):
        lines = [line for line in body.split(b"\n") if line.strip()]
        errors = _locate_json_errors(lines)
        if errors:
            raise BatchRejected(errors)
        records = [orjson.loads(line) for line in lines]  # e.g. whitespace-only lines
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
    if not records:
        return {}, 0
    names = [c.name for c in columns if c.name in records[0]]
    try:  # records that all carry the first one's columns: transpose at C speed
        if len(names) > 1:
            values = list(zip(*map(itemgetter(*names), records), strict=True))
        elif names:
            values = [list(map(itemgetter(names[0]), records))]
        else:
            values = []
        by_name = dict(zip(names, values, strict=True))
    except KeyError:
        by_name = {}
    raw = {}
    for column in columns:
        column_values = by_name.get(column.name)
        if column_values is None:
            column_values = [r.get(column.name) for r in records]
        raw[column.name] = _infer_array(column_values)
    return raw, len(records)


def _infer_array(values: list[object]) -> pa.Array:
    try:
        array = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):  # OverflowError: >= 2**63
        pass
    else:  # among floats Arrow reads true/false as 1/0; a JSON boolean is no number
        if not pa.types.is_floating(array.type) or not any(type(v) is bool for v in values):
            return array
    # Mixed JSON types (say 1 and "1"): compare them by their text.
    if any(type(v) in (dict, list) for v in values):
        return _nested_marker(values)
    return pa.array([_as_text(v) for v in values], pa.string())


def _nested_marker(values: list[object]) -> pa.Array:
    """A nested value where a scalar belongs: keep it as JSON text in a binary array, which
    no converter accepts, so the error names its row (and only its: scalars become null)."""
    return pa.array(
        [orjson.dumps(v) if type(v) in (dict, list) else None for v in values], pa.binary()
    )


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is float:  # 2.0 reads as the integer 2, as it does in a float column
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


# --- CSV and Parquet -------------------------------------------------------------------


def _read_csv(data: bytes, columns: Sequence[Column]) -> tuple[dict[str, pa.Array], int]:
    first_line = data.split(b"\n", 1)[0].decode("utf-8-sig", "replace")  # Excel writes a BOM
    header = next(csv.reader([first_line]), [])
    known = [c.name for c in columns if c.name in header]
    if not header or not known:
        raise BatchRejected([RowError(0, "", "CSV needs a header row naming the columns")])
    try:
        table = _csv_table(data, known, use_threads=True)
    except pa.ArrowInvalid:
        try:  # Arrow names the bad row only when reading serially: read again to find it
            table = _csv_table(data, known, use_threads=False)
        except pa.ArrowInvalid as exc:
            error = RowError(_csv_row(str(exc)), "", f"invalid CSV: {exc}")
            raise BatchRejected([error]) from None
    return {name: table.column(name) for name in known}, table.num_rows


def _csv_table(data: bytes, known: list[str], use_threads: bool) -> pa.Table:
    return pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(use_threads=use_threads),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in known},
            include_columns=known,
            strings_can_be_null=True,
            null_values=[""],
        ),
    )


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
