"""Read an ingestion body (NDJSON, CSV or Parquet, maybe gzip) into raw Arrow columns.

Readers only split the input into columns; `convert` decides what the values mean.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from operator import itemgetter
from typing import cast

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from callstats.columns import Column, Kind
from callstats.ingest.bodyscan import exponents_read_exactly
from callstats.ingest.convert import BatchRejected, RowError, document_error
from callstats.ingest.csvlayout import check_quotes, csv_layout, header_of, scan
from callstats.ingest.jsonpath import Path, path_at
from callstats.ingest.text import (
    JSON_WHITESPACE,
    describe_byte,
    first_invalid_utf8,
    line_at,
    without_bom,
)

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
            raise BatchRejected([document_error(f"invalid gzip data: {exc}")]) from None
        if len(out) > limit:
            raise BodyTooLarge()
        if not inflater.eof:
            raise BatchRejected([document_error("truncated gzip data")])
        data = inflater.unused_data
    return bytes(out)


def maybe_gunzip(data: bytes, limit: int) -> bytes:
    return gunzip_limited(data, limit) if data[:2] == GZIP_MAGIC else data


def read_columns(
    data: bytes, fmt: Format, columns: Sequence[Column]
) -> tuple[dict[str, pa.Array], int]:
    """Raw columns (only those the model knows) and the number of data rows of a decoded
    (gunzipped) body. The body must not be empty: that is the caller's 422."""
    if fmt is Format.PARQUET:
        return _read_parquet(data, columns)
    if fmt is Format.CSV:
        return _read_csv(checked_text(data, _csv_utf8_error), columns)
    data = checked_text(data, ndjson_utf8_error)
    fast = _arrow_ndjson(data, columns)
    if fast is not None:
        return fast
    return read_ndjson_exact(data, columns)


def checked_text(data: bytes, locate: Callable[[bytes, int], RowError]) -> bytes:
    """The body without its byte-order mark, once every byte of it is valid UTF-8."""
    data = without_bom(data)
    bad = first_invalid_utf8(data)
    if bad is not None:
        raise BatchRejected([locate(data, bad)])
    return data


def ndjson_utf8_error(data: bytes, offset: int) -> RowError:
    number, line, at = line_at(data, offset)
    position = len(line[:at].decode())
    return RowError(number, field_of(path_at(line.decode("utf-8", "replace"), position)),
                    describe_byte(data, offset))


def _csv_utf8_error(data: bytes, offset: int) -> RowError:
    row, field = scan(data[:offset + 1]).locate(offset)
    return RowError(row, field, describe_byte(data, offset))


def field_of(path: Path | None) -> str | None:
    """The column a path into one record falls in: its first key."""
    return path[0] if path and isinstance(path[0], str) else None


# --- NDJSON --------------------------------------------------------------------------


def _arrow_ndjson(
    data: bytes, columns: Sequence[Column]
) -> tuple[dict[str, pa.Array], int] | None:
    """Fast path: Arrow's multi-threaded C++ reader, typed by the first record's values.
    Decimal and time numbers are read as decimals straight from their text, so nothing
    passes through a binary float. Anything unexpected (a type changing between rows, bad
    JSON, a non-object line) returns None and the exact row-aware path takes over.

    Arrow's parser is more lenient than JSON, so it only sees bodies cleared of what it
    would let through and the exact path would not: bare NaN/Infinity (rapidjson reads
    them), two objects on one line (counted below), nesting deeper than orjson's limit,
    and a number written with an exponent that Arrow may not read exactly (it rounds some,
    such as 4.899964367542969e-88, where the exact path refuses the digits it lacks):
    bodyscan checks those for the whole body at once."""
    if (_has_word(data, b"NaN") or _has_word(data, b"Inf") or _TWO_VALUES.search(data)
            or not exponents_read_exactly(data, columns)):
        return None
    first_line = data.lstrip().split(b"\n", 1)[0]
    try:
        first = orjson.loads(first_line)
    except orjson.JSONDecodeError:
        return None
    if type(first) is not dict:
        return None
    fields = []
    exact_number = _exact_number(columns)
    for column in columns:
        arrow_type = _sniffed_type(column, first.get(column.name), exact_number)
        if arrow_type is None:
            return None
        fields.append(pa.field(column.name, arrow_type))
    try:
        table = pajson.read_json(
            io.BytesIO(data),
            # Arrow's threads share out blocks: a body of one block (a small post, a
            # group of them) reads in ~0.6 ms on the calling thread, ~1.0 with the pool.
            read_options=pajson.ReadOptions(block_size=_JSON_BLOCK,
                                            use_threads=len(data) > _JSON_BLOCK),
            parse_options=pajson.ParseOptions(
                explicit_schema=pa.schema(fields), unexpected_field_behavior="ignore"
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    if _may_nest_too_deep(data, table.num_rows):
        return None
    return {f.name: table.column(f.name) for f in fields}, table.num_rows


_JSON_BLOCK = 1 << 20  # bytes of NDJSON per block of Arrow's reader
MAX_DEPTH = 1024  # orjson's nesting limit
# One object ending and another starting on the same line (Arrow reads both; JSON lines
# hold one value). Also found inside strings, which only costs the exact path's time.
_TWO_VALUES = re.compile(rb"\}[ \t\r]*\{")


def _has_word(data: bytes, word: bytes) -> bool:
    """`word in data`, sooner: a single byte is found at memchr speed, and the first
    byte of NaN or Inf is rare in CDRs (a longer needle costs a slower search)."""
    at = data.find(word[:1])
    for _ in range(64):
        if at == -1:
            return False
        if data.startswith(word, at):
            return True
        at = data.find(word[:1], at + 1)
    return word in data[at:]


def _may_nest_too_deep(data: bytes, rows: int) -> bool:
    """Whether a line may nest deeper than orjson allows. A line nests no deeper than the
    `{`/`[` it holds, and each of the `rows` lines holds at least its own `{`: when the
    brackets beyond one a line are few, no line can be deep, which two counts show;
    otherwise count the brackets of each line."""
    brackets = data.count(b"{") + (data.count(b"[") if b"[" in data else 0)
    if brackets - rows + 1 <= MAX_DEPTH:
        return False
    array = np.frombuffer(data, np.uint8)
    openers = np.flatnonzero((array == 0x7B) | (array == 0x5B))
    bounds = np.concatenate(([0], np.flatnonzero(array == 0x0A), [len(array)]))
    return bool(np.diff(np.searchsorted(openers, bounds)).max(initial=0) > MAX_DEPTH)


def _exact_number(columns: Sequence[Column]) -> pa.DataType:
    """Decimal and time numbers are read as decimals from their text; one with more
    fractional digits than this makes Arrow fail, and the exact path names it."""
    return pa.decimal128(38, max([9] + [c.scale for c in columns if c.kind is Kind.DEC]))


def _sniffed_type(column: Column, value: object, exact_number: pa.DataType
                  ) -> pa.DataType | None:
    """Every model column gets a type: Arrow drops columns missing from the schema. When
    the first record does not show the JSON type, a guess; a wrong one (say 0/1 for a
    boolean) makes Arrow fail, and the exact path takes over."""
    exact = column.kind in (Kind.DEC, Kind.TS)
    if value is None:
        return {Kind.INT: pa.int64(), Kind.BOOL: pa.bool_(), Kind.STR: pa.string(),
                Kind.DEC: exact_number, Kind.TS: pa.string(),
                Kind.FLOAT: pa.float64()}[column.kind]
    if type(value) is bool:
        return pa.bool_()
    if type(value) is int:
        return exact_number if column.kind is Kind.DEC else pa.int64()
    if type(value) is float:  # as a double only where a double is what is stored
        return exact_number if exact else (pa.float64() if column.kind is Kind.FLOAT else None)
    if type(value) is str:
        return pa.string()
    return None  # a nested value: the exact path reports it


@dataclass(frozen=True)
class Quoting:
    """The JSON numbers the exact path reads from their text rather than through orjson
    (which hands over a binary float, or a float for an integer beyond 64 bits): every
    number under a key of a non-string column, and long integers under string columns
    (a fraction in a string column is refused either way)."""

    numbers: tuple[str, ...]
    integers: tuple[str, ...]

    def keys(self) -> tuple[str, ...]:
        return self.numbers + self.integers


def quoting(columns: Sequence[Column]) -> Quoting:
    return Quoting(tuple(c.name for c in columns if c.kind is not Kind.STR),
                   tuple(c.name for c in columns if c.kind is Kind.STR))


# Numbers a double may not hold exactly have 16 or more significant characters or an
# exponent (1e-400 would read as 0.0). Digits and dots read as "0" and E as "e", both
# kinds are found by bytes.find at C speed: a run of sixteen "0", or "0e".
_FLAT = bytes.maketrans(b"123456789.E", b"0000000000e")
_LONG_RUN = b"0" * 16
_NUMBER_CHARS = frozenset(b"0123456789.eE+-")


def _suspect_runs(data: bytes) -> list[int]:
    """Positions inside every run that may be such a number, in order."""
    flat = data.translate(_FLAT)
    found = []
    for needle in (_LONG_RUN, b"0e"):
        at = flat.find(needle)
        while at != -1:
            found.append(at)
            at = flat.find(needle, at + len(needle))
    return sorted(found)


def _owning_key(data: bytes, value_start: int) -> bytes | None:
    """The key of `"key": <value at value_start>`, or None when the run is not a value.
    An unescaped quote is always structural in JSON, so this never mistakes text inside a
    string for a key (in a valid document; an invalid one is refused either way)."""
    closing = data.rfind(b'"', 0, value_start)
    if closing < 0 or data[closing + 1:value_start].strip(b" \t\r\n") != b":":
        return None
    opening = closing - 1
    while opening >= 0:
        opening = data.rfind(b'"', 0, opening + 1)
        if opening <= 0 or data[opening - 1] != 0x5C:  # not an escaped quote
            break
        opening -= 1
    if opening < 0:
        return None
    key = data[opening + 1:closing]
    if b"\\" in key:  # an escaped key ("i\u0064" is "id")
        try:
            return str(orjson.loads(b'"' + key + b'"')).encode()
        except (orjson.JSONDecodeError, UnicodeEncodeError):
            return None
    return key


def inexact_numbers(data: bytes, rules: Quoting) -> list[tuple[int, int]]:
    """(start, end) of each number under `rules`' keys that may not survive a trip
    through a double. Suspect runs are found at C speed; only for those do we look back
    for the key that owns them (most are digits inside strings: phone numbers, hex ids)."""
    numbers = {key.encode() for key in rules.numbers}
    integers = {key.encode() for key in rules.integers}
    spans: list[tuple[int, int]] = []
    seen = 0
    for start in _suspect_runs(data):
        if start < seen:
            continue  # a second run of the same number
        end = start
        while start > 0 and data[start - 1] in _NUMBER_CHARS:
            start -= 1
        while end < len(data) and data[end] in _NUMBER_CHARS:
            end += 1
        seen = end
        key = _owning_key(data, start)
        if key in numbers or (key in integers and data[start:end].lstrip(b"-").isdigit()):
            spans.append((start, end))
    return spans


def may_hold_inexact_numbers(data: bytes, keys: Sequence[str]) -> bool:
    return bool(inexact_numbers(data, Quoting(tuple(keys), ())))


def quote_numbers(data: bytes, rules: Quoting) -> bytes:
    """The numbers under `rules`' keys that a double may not hold, made JSON strings of
    their exact text (the converters read a number's text as the number); everything
    else as it was."""
    pieces, at = [], 0
    for start, end in inexact_numbers(data, rules):
        pieces += [data[at:start], b'"', data[start:end], b'"']
        at = end
    return b"".join(pieces) + data[at:] if pieces else data


def opens_with_an_object(lines: Iterable[bytes]) -> bool | None:
    """Whether the first non-blank line is a JSON object by itself (None: no such line):
    how a body that is not one JSON document shows it is NDJSON (a pretty-printed
    document's first line is not a value of its own)."""
    for line in lines:
        if line.strip(JSON_WHITESPACE):
            try:
                return type(orjson.loads(line)) is dict
            except orjson.JSONDecodeError:
                return False
    return None


def read_ndjson_exact(data: bytes, columns: Sequence[Column]
                      ) -> tuple[dict[str, pa.Array], int]:
    """The row-aware path: orjson per record, every bad line named."""
    return columns_from_records(parse_ndjson(data, quoting(columns)), columns)


def parse_ndjson(data: bytes, rules: Quoting | None,
                 field: Callable[[Path | None], str | None] = field_of
                 ) -> list[dict[str, object]]:
    """One JSON object per non-blank line; BatchRejected naming each bad line and the
    field its bad token is in (`field` maps a path in the line's object to its name)."""
    lines = [line for line in data.split(b"\n") if line.strip(JSON_WHITESPACE)]
    read = lines
    if rules is not None:
        quoted = quote_numbers(data, rules)  # adds no line break: the lines stay the lines
        if quoted is not data:
            read = [line for line in quoted.split(b"\n") if line.strip(JSON_WHITESPACE)]
    try:
        records = orjson.loads(b"[" + b",".join(read) + b"]")
    except orjson.JSONDecodeError:
        records = None
    # A line holding two values ("{...}, {...}") parses too: the count must match as well.
    if records is None or len(records) != len(lines) or not all(type(r) is dict for r in records):
        errors = _locate_json_errors(read, field)
        if errors:
            raise BatchRejected(errors)
        records = [orjson.loads(line) for line in read]  # pragma: no cover - see above
    return cast(list[dict[str, object]], records)


def _locate_json_errors(lines: list[bytes], field: Callable[[Path | None], str | None]
                        ) -> list[RowError]:
    errors = []
    for number, line in enumerate(lines, 1):
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            errors.append(json_error(number, line.decode(), exc, field))
            continue
        if type(value) is not dict:
            errors.append(RowError(number, None, "expected a JSON object"))
    return errors


def json_error(row: int | None, text: str, exc: orjson.JSONDecodeError,
               field: Callable[[Path | None], str | None] | None = None) -> RowError:
    """A 422 for JSON that does not parse: the row, the field the bad token is in (by
    default the key of the record holding it), and what is wrong in words."""
    position = min(exc.pos, len(text))
    where = (field or field_of)(path_at(text, position))
    token = text[position:position + 9]
    for constant in ("-Infinity", "Infinity", "NaN"):
        if token.startswith(constant):
            return RowError(row, where, f"{constant} is not a JSON value: JSON has no "
                                        "NaN or Infinity (send null for no value)")
    return RowError(row, where, f"invalid JSON: {exc.msg} (column {position + 1})")


def columns_from_records(
    records: list[dict[str, object]], columns: Sequence[Column]
) -> tuple[dict[str, pa.Array], int]:
    if not records:
        return {}, 0
    names = [c.name for c in columns if c.name in records[0]]
    values: list[Sequence[object]]
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
    present: set[str] | None = None  # every key of any record, found on first need
    for column in columns:
        column_values = by_name.get(column.name)
        if column_values is None:
            if present is None:
                present = set().union(*records)
            if column.name not in present:  # in no record: all null, as the loop would say
                raw[column.name] = pa.nulls(len(records))
                continue
            column_values = [r.get(column.name) for r in records]
        raw[column.name] = _infer_array(list(column_values))
    return raw, len(records)


# The Arrow type of each JSON type; a nested value is kept as its JSON text in a binary
# array, which no converter accepts, so the error names its row.
_JSON_TYPES: dict[type, pa.DataType] = {bool: pa.bool_(), int: pa.int64(), float: pa.float64(),
                                        str: pa.string(), dict: pa.binary(), list: pa.binary()}


def _infer_array(values: list[object]) -> pa.Array:
    """One Arrow array per JSON type; a column whose values differ in type becomes a dense
    union of them, so each value is judged as it would be alone (see convert_table)."""
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if len(kinds) <= 1:
        kind = kinds.pop() if kinds else type(None)
        return _typed(values, kind)
    order = sorted(kinds, key=lambda k: k.__name__)
    code_of = {kind: code for code, kind in enumerate(order)}
    members: list[list[object]] = [[] for _ in order]
    codes, offsets = [], []
    for value in values:
        code = code_of.get(type(value), 0)  # a null joins the first member
        codes.append(code)
        offsets.append(len(members[code]))
        members[code].append(value)
    return pa.UnionArray.from_dense(
        pa.array(codes, pa.int8()), pa.array(offsets, pa.int32()),
        [_typed(member, kind) for member, kind in zip(members, order, strict=True)])


def _typed(values: list[object], kind: type) -> pa.Array:
    if kind is type(None):
        return pa.nulls(len(values))
    if kind in (dict, list):
        return pa.array([None if v is None else orjson.dumps(v) for v in values], pa.binary())
    try:
        return pa.array(values, _JSON_TYPES[kind])
    except OverflowError:  # an integer beyond 64 bits: its digits, for the converter
        return pa.array([None if v is None else str(v) for v in values], pa.string())


# --- CSV and Parquet -------------------------------------------------------------------


def _read_csv(data: bytes, columns: Sequence[Column]) -> tuple[dict[str, pa.Array], int]:
    """RFC 4180 CSV with a header row: its quotes checked first (see csvlayout), then read
    by Arrow, every cell as text (the converters decide what the text means). Arrow checks
    that every row has the header's fields; when it finds something wrong, the whole
    structure is worked out to name the rows."""
    has_quotes = check_quotes(data)
    header = header_of(data)
    if not header:
        raise BatchRejected([document_error("CSV needs a header row naming the columns")])
    known = _known_names(header, columns)
    if not known:
        raise BatchRejected([document_error(
            "the CSV header names none of the columns (" + ", ".join(
                c.name for c in columns if c.required) + ", …)")])
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(use_threads=True),
            parse_options=pacsv.ParseOptions(newlines_in_values=has_quotes),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in known},
                include_columns=known,
                strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except pa.ArrowInvalid:
        layout = csv_layout(data)  # names the rows that are wrong
        if layout.data_rows:  # pragma: no cover - our fault, not the body's
            raise
        return {name: pa.nulls(0, pa.string()) for name in known}, 0  # a header alone
    return {name: table.column(name) for name in known}, table.num_rows


def _known_names(names: Sequence[str], columns: Sequence[Column]) -> list[str]:
    """The model's columns among `names`; a column named twice is refused (which of the
    two would it be?)."""
    wanted = {c.name for c in columns}
    twice = sorted({n for n in names if n in wanted and names.count(n) > 1})
    if twice:
        raise BatchRejected([document_error(f"column {twice[0]!r} appears more than once")])
    return [c.name for c in columns if c.name in names]


def _read_parquet(data: bytes, columns: Sequence[Column]) -> tuple[dict[str, pa.Array], int]:
    try:
        table = pq.ParquetFile(io.BytesIO(data)).read()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as exc:
        raise BatchRejected([document_error(f"invalid Parquet: {exc}")]) from None
    return parquet_columns(table, columns)


def parquet_columns(table: pa.Table, columns: Sequence[Column]
                    ) -> tuple[dict[str, pa.Array], int]:
    """The model's columns of a Parquet file's table, once every string in it (in any
    column) is valid UTF-8: Parquet readers do not check, the stores would."""
    known = _known_names(table.column_names, columns)
    try:
        table.validate(full=True)
    except pa.ArrowInvalid:
        raise BatchRejected([_parquet_utf8_error(table)]) from None
    return {name: table.column(name) for name in known}, table.num_rows


_STRING_INDEX = re.compile(r"string index (\d+)")


def _parquet_utf8_error(table: pa.Table) -> RowError:
    """The first bad string in reading order (row by row, as a text format would be read),
    so the same document gets the same error whatever format carries it."""
    found = [(row, index, name) for index, (name, column) in
             enumerate(zip(table.column_names, table.columns, strict=True))
             if (row := _first_bad_row(column)) is not None]
    if not found:
        return document_error("invalid Parquet: data that is not valid UTF-8")
    row, _, name = min(found, key=lambda f: (f[0] if f[0] >= 0 else 2**62, f[1]))
    return RowError(row + 1 if row >= 0 else None, name, "a string that is not valid UTF-8")


def _first_bad_row(column: pa.ChunkedArray) -> int | None:
    """Index of the column's first invalid string; -1 when it is nested (no row known)."""
    first = 0
    for chunk in column.chunks:
        if pa.types.is_dictionary(chunk.type):
            chunk = chunk.dictionary_decode()
        try:
            chunk.validate(full=True)
        except pa.ArrowInvalid as exc:
            index = _STRING_INDEX.search(str(exc))
            flat = pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)
            return first + int(index.group(1)) if index and flat else -1
        first += len(chunk)
    return None
