"""Turn raw columns (whatever a file's reader produced) into the typed, validated Arrow
table the stores take.

Work is column-wise through Arrow compute, so a 10k-row batch costs a few vector passes
rather than 300k Python calls. Only when a vector step fails do we walk that column
value by value, to name the rows and the reason.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from callstats.columns import Column, Kind
from callstats.ingest.limits import DEFAULT_MAX_STRING, MAX_ERRORS
from callstats.timeparse import ISO_PATTERN, UNIX_PATTERN, parse_iso_micros

# The times every reader (and every report's formatting) can represent.
FIRST_TIME_US = -62_135_596_800_000_000  # 0001-01-01T00:00:00Z
LAST_TIME_US = 253_402_300_799_999_999  # 9999-12-31T23:59:59.999999Z


Bad = list[tuple[int, str]]  # (row index, reason) of each rejected value


@dataclass(frozen=True)
class RowError:
    """Where a document is wrong: `row` counts data rows (NDJSON lines, envelopes, CSV rows
    after the header) from 1 and `field` names the column the bad token is in; both are
    None for what belongs to no row or no column (an empty body, a broken file)."""

    row: int | None
    field: str | None
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "field": self.field, "message": self.message}


def document_error(message: str) -> RowError:
    return RowError(None, None, message)


class BatchRejected(Exception):
    """The batch holds invalid rows; nothing of it may be stored."""

    def __init__(self, errors: Sequence[RowError]):
        ordered = sorted(errors, key=lambda e: (e.row is not None, e.row or 0))
        self.errors = ordered[:MAX_ERRORS]
        super().__init__(f"{len(errors)} invalid value(s), first: {self.errors[0]}")


def arrow_type(column: Column) -> pa.DataType:
    return _arrow_type(column.kind, column.precision, column.scale)


@functools.cache
def _arrow_type(kind: Kind, precision: int, scale: int) -> pa.DataType:
    return {
        Kind.INT: pa.int64(),
        Kind.BOOL: pa.bool_(),
        Kind.STR: pa.string(),
        Kind.TS: pa.timestamp("us", tz="UTC"),
        Kind.DEC: pa.decimal128(precision, scale),
        Kind.FLOAT: pa.float64(),
    }[kind]


def arrow_schema(columns: Sequence[Column]) -> pa.Schema:
    return pa.schema([pa.field(c.name, arrow_type(c)) for c in columns])


def convert_table(
    raw: dict[str, pa.Array], n_rows: int, columns: Sequence[Column],
    max_string: int = DEFAULT_MAX_STRING,
) -> pa.Table:
    """Validate and type every column; raise BatchRejected listing the bad values.

    A value's verdict depends on the value and its column only, never on the other rows:
    a raw column may be a dense union (a JSON column whose values differ in type), and
    then each type's values are converted on their own, as if no other type were there."""
    errors: list[RowError] = []
    out: list[pa.Array] = []
    for column in columns:
        values = raw.get(column.name)
        if values is None:
            values = pa.nulls(n_rows)
        typed, bad = _convert_column(column, values, max_string)
        errors.extend(bad)
        out.append(typed)
    if errors:
        raise BatchRejected(errors)
    return pa.Table.from_arrays(out, schema=arrow_schema(columns))


def _convert_column(
    column: Column, values: pa.Array, max_string: int
) -> tuple[pa.Array, list[RowError]]:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.nulls(0, values.type)
    if len(values) and values.null_count == len(values) and not pa.types.is_union(values.type):
        return _missing_column(column, len(values))
    return _convert_values(column, values, max_string)


def _missing_column(column: Column, n_rows: int) -> tuple[pa.Array, list[RowError]]:
    """A column without a value in any row (a small batch's usual case: most of the ~60
    columns are absent or null in every record), without the converters' vector passes.
    It is what `_convert_values` makes of such a column, whatever its raw type: every
    converter keeps nulls null and no check fires on a null, so only "is required" and
    the default remain (tests/ingest/test_values.py compares the two)."""
    target = arrow_type(column)
    if column.required:
        return pa.nulls(n_rows, target), [RowError(i + 1, column.name, "is required")
                                          for i in range(min(n_rows, MAX_ERRORS))]
    if column.default is not None:
        return pc.fill_null(pa.nulls(n_rows, target), pa.scalar(column.default, target)), []
    return pa.nulls(n_rows, target), []


def _convert_values(
    column: Column, values: pa.Array, max_string: int
) -> tuple[pa.Array, list[RowError]]:
    """Any raw column, checked value by value where a vector step fails."""
    if pa.types.is_union(values.type):
        converted, bad_rows = _convert_union(column, values)
    else:
        converted, bad_rows = _convert_lenient(column, _normalize(values))
    errors = [RowError(i + 1, column.name, msg) for i, msg in bad_rows]
    if converted is None:
        return pa.nulls(len(values), arrow_type(column)), errors
    typed = converted
    # Every check runs on every value that converted, so a row gets the errors it would
    # get alone, whatever the other rows hold.
    unreadable = np.zeros(len(typed), np.bool_)
    unreadable[[i for i, _ in bad_rows]] = True
    if column.zero_is_null:
        typed = pc.if_else(pc.equal(typed, 0), pa.scalar(None, typed.type), typed)
    if column.kind is Kind.TS and len(typed):
        micros = typed.cast(pa.int64())
        outside = pc.fill_null(pc.or_(pc.less(micros, FIRST_TIME_US),
                                      pc.greater(micros, LAST_TIME_US)), False)
        errors += _rows_where(outside, column.name, "is outside years 1 to 9999")
    if column.non_negative and len(typed):
        negative = pc.fill_null(pc.less(typed, 0), False)
        errors += _rows_where(negative, column.name, "must not be negative")
    if column.kind is Kind.STR and len(typed):
        lengths = pc.utf8_length(typed)
        too_long = pc.fill_null(pc.greater(lengths, max_string), False)
        errors += [RowError(i + 1, column.name, f"is {lengths[i].as_py()} characters long, "
                            f"longer than the {max_string} allowed")
                   for i in pc.indices_nonzero(too_long).to_pylist()[:MAX_ERRORS]]
    if column.required and typed.null_count:
        missing = pc.and_(pc.is_null(typed), pc.invert(pa.array(unreadable)))
        errors += _rows_where(missing, column.name, "is required")
    if errors:
        return pa.nulls(len(typed), arrow_type(column)), errors
    if typed.null_count and column.default is not None:
        typed = pc.fill_null(typed, pa.scalar(column.default, arrow_type(column)))
    return typed, errors


def _convert_lenient(column: Column, values: pa.Array) -> tuple[pa.Array | None, Bad]:
    """The typed values, with those that cannot be read as nulls, and why they cannot.
    A converter may stop at its first kind of problem (a spelling no time has) before
    another (February 30th): it runs again without the values it named until it names
    none. None instead of values: too many bad ones to check the rest."""
    target = arrow_type(column)
    bad: Bad = []
    current = values
    while len(bad) < MAX_ERRORS:
        typed, found = _CONVERTERS[column.kind](current, column)
        if not found:  # (all-null values of a type no converter takes stay untyped)
            return (typed if typed.type == target else pa.nulls(len(values), target)), bad
        bad = sorted(bad + found)
        mask = np.zeros(len(values), np.bool_)
        mask[[i for i, _ in bad]] = True
        current = pc.if_else(pa.array(mask), pa.scalar(None, values.type), values)
    return None, bad[:MAX_ERRORS]


def _normalize(values: pa.Array) -> pa.Array:
    """One spelling per kind of raw array: plain strings, no dictionaries, and the empty
    string as a missing value (an empty CSV cell is one)."""
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    if pa.types.is_large_string(values.type):
        values = values.cast(pa.string())
    if pa.types.is_string(values.type):
        values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
    return values


def _convert_union(column: Column, values: pa.UnionArray) -> tuple[pa.Array | None, Bad]:
    """Convert each member type's values alone, then put the results back in row order."""
    codes = np.asarray(values.type_codes)
    offsets = np.asarray(values.offsets)
    typed_parts: list[pa.Array] = []
    base = np.zeros(max(values.type.type_codes) + 1, np.int64)
    bad: Bad = []
    size = 0
    target = arrow_type(column)
    for index, code in enumerate(values.type.type_codes):
        child = _normalize(values.field(index))
        typed, child_bad = _convert_lenient(column, child)
        rows = np.flatnonzero(codes == code)[np.argsort(offsets[codes == code], kind="stable")]
        bad += [(int(rows[i]), message) for i, message in child_bad]
        if typed is None:
            return None, sorted(bad)[:MAX_ERRORS]
        typed_parts.append(typed.cast(target))
        base[code] = size
        size += len(child)
    bad.sort()
    order = pa.array(base[codes] + offsets, pa.int64())
    return pc.take(pa.concat_arrays(typed_parts), order), bad[:MAX_ERRORS]


def _all(mask: pa.Array) -> bool:
    """Whether every value is true (an empty array's are: Arrow says null)."""
    return bool(pc.all(mask, min_count=0).as_py())


def _rows_where(mask: pa.Array, field: str, message: str) -> list[RowError]:
    indices = pc.indices_nonzero(mask).to_pylist()[:MAX_ERRORS]
    return [RowError(i + 1, field, message) for i in indices]


def _locate(values: pa.Array, check: Callable[[object], str | None]) -> Bad:
    """Slow path: the (index, reason) of each value `check` rejects."""
    bad: Bad = []
    for i, value in enumerate(values.to_pylist()):
        if value is None:
            continue
        reason = check(value)
        if reason:
            bad.append((i, reason))
            if len(bad) >= MAX_ERRORS:
                break
    return bad


def _wrong_type(values: pa.Array, expected: str) -> tuple[pa.Array, Bad]:
    return values, _locate(values, lambda v: f"expected {expected}, got {_describe(v)}")


def _describe(value: object) -> str:
    if isinstance(value, Decimal):  # as written: 0.1234567, not Decimal('0.123456700')
        value = format(value.normalize(), "f")
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _matches(values: pa.Array, pattern: str) -> pa.Array:
    return pc.fill_null(pc.match_substring_regex(values, f"^(?:{pattern})$"), True)


def _matches_raw(values: pa.Array, pattern: str) -> pa.Array:
    return pc.fill_null(pc.match_substring_regex(values, pattern), True)


def _cast_exact(values: pa.Array, target: pa.DataType, what: str) -> tuple[pa.Array, Bad]:
    try:
        return pc.cast(values, target), []
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass

    def check(value: object) -> str | None:
        try:
            pc.cast(pa.array([value], values.type), target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            return f"{_describe(value)} is not {what}: {_reason(exc)}"
        return None

    return values, _locate(values, check)


def _reason(exc: Exception) -> str:
    text = str(exc)
    if "data loss" in text:
        return "too many decimal places"
    if any(word in text.lower() for word in ("precision", "overflow", "out of bounds",
                                             "not in range", "truncated")):
        return "out of range"
    return "unreadable"


def _pattern_then_cast(
    values: pa.Array, pattern: str, target: pa.DataType, what: str
) -> tuple[pa.Array, Bad]:
    ok = _matches(values, pattern)
    if not _all(ok):
        return values, _rows_false(ok, values, what)
    return _cast_exact(values, target, what)


def _rows_false(ok: pa.Array, values: pa.Array, what: str) -> Bad:
    indices = pc.indices_nonzero(pc.invert(ok)).to_pylist()[:MAX_ERRORS]
    return [(i, f"{_describe(values[i].as_py())} is not {what}") for i in indices]


# --- one converter per kind -------------------------------------------------------------

INT_PATTERN = r"-?[0-9]+"
DECIMAL_PATTERN = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_DECIMAL_TEXT = re.compile(DECIMAL_PATTERN)


def _to_int(values: pa.Array, column: Column) -> tuple[pa.Array, Bad]:
    """Any number whose value is a whole signed 64-bit integer, however it is spelled
    (7, 7.0, "7", "7e0"): a CSV cell and a JSON number of the same text agree."""
    t = values.type
    if pa.types.is_null(t):
        return pa.nulls(len(values), pa.int64()), []
    if pa.types.is_integer(t):
        return _cast_exact(values, pa.int64(), "a signed 64-bit integer")
    if pa.types.is_floating(t):
        whole = pc.fill_null(pc.equal(pc.floor(values), values), True)
        if not _all(whole):
            return values, _rows_false(whole, values, "an integer")
        return _cast_exact(values, pa.int64(), "a signed 64-bit integer")
    if pa.types.is_string(t):
        if _all(_matches(values, INT_PATTERN)):
            try:
                return pc.cast(values, pa.int64()), []
            except pa.ArrowInvalid:
                pass  # out of range: named below
        return _ints_from_text(values)
    return _wrong_type(values, "an integer")


def _ints_from_text(values: pa.Array) -> tuple[pa.Array, Bad]:
    """Slow path: each text read as an exact decimal number."""
    ints: list[int | None] = []
    bad: Bad = []
    for i, text in enumerate(values.to_pylist()):
        number = None if text is None else _whole_number(text)
        if isinstance(number, str):
            bad.append((i, f"{_describe(text)} {number}"))
            if len(bad) >= MAX_ERRORS:
                break
            number = None
        ints.append(number)
    if bad:
        return values, bad
    return pa.array(ints, pa.int64()), []


_INT64 = (-(2**63), 2**63 - 1)


def _whole_number(text: str) -> int | str:
    """The integer `text` spells, or why it spells none."""
    if not _DECIMAL_TEXT.fullmatch(text):
        return "is not an integer"
    try:
        number = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        return "is not an integer"
    if number != number.to_integral_value():
        return "is not an integer"
    if number.adjusted() > 19 or not _INT64[0] <= int(number) <= _INT64[1]:
        return "is out of range (a signed 64-bit integer)"
    return int(number)


_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


def _to_bool(values: pa.Array, column: Column) -> tuple[pa.Array, Bad]:
    t = values.type
    if pa.types.is_null(t):
        return pa.nulls(len(values), pa.bool_()), []
    if pa.types.is_boolean(t):
        return values, []
    if pa.types.is_integer(t):  # 1/0, as yeti's ClickHouse feed writes them
        ok = pc.or_kleene(pc.is_null(values), pc.is_in(values, pa.array([0, 1], t)))
        if not _all(ok):
            return values, _rows_false(ok, values, "a boolean (true/false or 1/0)")
        return pc.not_equal(values, pa.scalar(0, t)), []
    if pa.types.is_string(t):
        lowered = pc.utf8_lower(values)
        known = pc.is_in(lowered, pa.array(sorted(_TRUE | _FALSE)))
        ok = pc.or_kleene(pc.is_null(values), known)
        if not _all(ok):
            return values, _rows_false(ok, values, "a boolean (true/false or 1/0)")
        truth = pc.is_in(lowered, pa.array(sorted(_TRUE)))
        return pc.if_else(pc.is_null(values), pa.scalar(None, pa.bool_()), truth), []
    return _wrong_type(values, "a boolean")


def _to_str(values: pa.Array, column: Column) -> tuple[pa.Array, Bad]:
    t = values.type
    if pa.types.is_null(t):
        return pa.nulls(len(values), pa.string()), []
    if pa.types.is_string(t):
        return values, []
    if pa.types.is_integer(t):  # numbers sent as JSON numbers, e.g. a prefix
        return pc.cast(values, pa.string()), []
    return _wrong_type(values, "a string")


def _to_decimal(values: pa.Array, column: Column) -> tuple[pa.Array, Bad]:
    t = values.type
    target = arrow_type(column)
    what = f"a decimal with at most {column.scale} decimal places"
    if pa.types.is_null(t):
        return pa.nulls(len(values), target), []
    if pa.types.is_decimal(t):
        return _cast_exact(values, target, what)
    if pa.types.is_integer(t):  # Arrow wants precision 19 + scale for an int64 cast
        return _to_decimal(pc.cast(values, pa.string()), column)
    if pa.types.is_floating(t):
        return _to_decimal(_shortest_text(values), column)
    if pa.types.is_string(t):
        typed, bad = _pattern_then_cast(values, DECIMAL_PATTERN, target, what)
        return (typed, bad) if bad else (typed, _lost_to_exponents(values, typed, column))
    return _wrong_type(values, "a decimal number")


def _lost_to_exponents(texts: pa.Array, typed: pa.Array, column: Column) -> Bad:
    """Arrow's cast of text to a decimal does not always notice lost digits of a number
    written with an exponent: its rescaling overflows for some, and 4.9e-88 (or, at 10
    places, 4.899964367542969e-88) becomes 0 instead of an error. Every such text's exact
    value is compared with what the cast made of it; a difference is refused as the cast
    refuses 1e-7."""
    has_exponent = pc.fill_null(pc.match_substring(texts, "e", ignore_case=True), False)
    if not pc.any(has_exponent).as_py():
        return []
    rows = pc.indices_nonzero(has_exponent).to_pylist()
    bad: Bad = []
    for row, text, value in zip(rows, pc.filter(texts, has_exponent).to_pylist(),
                                pc.filter(typed, has_exponent).to_pylist(), strict=True):
        exact = Decimal(text)
        if value is None or exact == value:
            continue
        reason = ("out of range" if exact.adjusted() >= column.precision - column.scale
                  else "too many decimal places")
        bad.append((row, f"{_describe(text)} is not a decimal with at most {column.scale} "
                         f"decimal places: {reason}"))
        if len(bad) >= MAX_ERRORS:
            break
    return bad


def _shortest_text(values: pa.Array) -> pa.Array:
    """A double's shortest round-trip spelling: the number its writer meant (exact for up to
    15 significant digits; readers route longer JSON numbers around floats entirely),
    without an exponent: Python spells 0.00001 "1e-05" and 5.0 "5.0", and the same JSON
    numbers read by Arrow as decimals are named "0.00001" and "5" in an error, so this path
    must name them so too."""
    if values.type != pa.float64():  # a float32's own shortest spelling, not its double's
        return pc.cast(values, pa.string())
    return pa.array([None if v is None else _plain_spelling(v) for v in values.to_pylist()],
                    pa.string())


def _plain_spelling(number: float) -> str:
    """repr's shortest round-trip digits, written out without an exponent or a bare ".0"."""
    text = repr(number)
    if "e" in text:
        return format(Decimal(text), "f")
    return text[:-2] if text.endswith(".0") else text


def _to_float(values: pa.Array, column: Column) -> tuple[pa.Array, Bad]:
    t = values.type
    if pa.types.is_null(t):
        return pa.nulls(len(values), pa.float64()), []
    if pa.types.is_floating(t):
        finite = pc.fill_null(pc.is_finite(values), True)
        if not _all(finite):
            return values, _rows_false(finite, values, "a finite number")
        return pc.cast(values, pa.float64()), []
    if pa.types.is_integer(t) or pa.types.is_decimal(t):
        return pc.cast(values, pa.float64()), []
    if pa.types.is_string(t):
        typed, bad = _pattern_then_cast(values, DECIMAL_PATTERN, pa.float64(), "a number")
        return (typed, bad) if bad else _to_float(typed, column)  # 1e400 reads as inf
    return _wrong_type(values, "a number")


_TS = pa.timestamp("us", tz="UTC")
_TIME_WHAT = "a time (ISO 8601, 'YYYY-MM-DD HH:MM:SS' UTC, or unix seconds)"


def _to_timestamp(values: pa.Array, column: Column) -> tuple[pa.Array, Bad]:
    t = values.type
    if pa.types.is_null(t):
        return pa.nulls(len(values), _TS), []
    if pa.types.is_timestamp(t):
        if t.tz is None:
            values = pc.assume_timezone(values, "UTC")
        # Nanoseconds are truncated to the stored microseconds, as text fractions are.
        return pc.cast(values, _TS, safe=t.unit != "ns"), []
    if pa.types.is_date(t):
        return pc.cast(pc.cast(values, pa.timestamp("us")), _TS), []
    if pa.types.is_integer(t):
        try:
            return _micros_to_ts(pc.multiply_checked(pc.cast(values, pa.int64()), 1_000_000))
        except pa.ArrowInvalid:  # beyond int64 microseconds: the text path names the rows
            return _string_to_timestamp(pc.cast(values, pa.string()))
    if pa.types.is_floating(t):
        return _string_to_timestamp(_shortest_text(values))
    if pa.types.is_decimal(t):  # unix seconds read exactly from JSON text
        return _string_to_timestamp(pa.array(
            [None if v is None else format(v, "f") for v in values.to_pylist()], pa.string()))
    if pa.types.is_string(t):
        return _string_to_timestamp(values)
    return _wrong_type(values, "a time")


def _micros_to_ts(micros: pa.Array) -> tuple[pa.Array, Bad]:
    return pc.cast(micros, pa.int64()).view(_TS), []


_PLAIN_UTC = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?$"


def _string_to_timestamp(values: pa.Array) -> tuple[pa.Array, Bad]:
    if _all(_matches_raw(values, _PLAIN_UTC)):  # the common case, one cast
        try:
            return pc.cast(pc.cast(values, pa.timestamp("us")), _TS), []
        except pa.ArrowInvalid:
            pass  # e.g. February 30th: the general path below names the row
    is_unix = pc.fill_null(pc.match_substring_regex(values, f"^{UNIX_PATTERN}$"), False)
    is_iso = pc.fill_null(pc.match_substring_regex(values, f"^{ISO_PATTERN}$"), False)
    ok = pc.or_(pc.or_(is_unix, is_iso), pc.is_null(values))
    if not _all(ok):
        return values, _rows_false(ok, values, _TIME_WHAT)
    if pc.any(is_unix).as_py():
        try:
            micros = _unix_text_to_micros(values)
        except pa.ArrowInvalid:
            unix_part = pc.if_else(is_unix, values, pa.scalar(None, pa.string()))
            return values, _locate(unix_part, _unix_out_of_range)
        iso_part = pc.if_else(is_iso, values, pa.scalar(None, pa.string()))
    else:
        micros, iso_part = None, values
    try:
        parsed = pc.cast(_normalize_iso(iso_part), _TS)
    except pa.ArrowInvalid:
        bad = _locate(iso_part, lambda v: None if parse_iso_micros(str(v)) is not None
                      else f"{v!r} is not a valid time")
        if bad:
            return values, bad
        # Arrow refused a spelling timeparse accepts: take timeparse's reading.
        parsed = pa.array(
            [None if v is None else parse_iso_micros(v) for v in iso_part.to_pylist()],
            pa.int64(),
        ).view(_TS)
    if micros is None:
        return parsed, []
    return pc.if_else(is_unix, micros.view(_TS), parsed), []


def _normalize_iso(values: pa.Array) -> pa.Array:
    """Spell every accepted ISO form the way Arrow's parser reads: with an explicit offset."""
    v = pc.replace_substring_regex(values, r"(\.\d{6})\d+", r"\1")  # keep microseconds
    v = pc.replace_substring_regex(v, r"^(\d{4}-\d{2}-\d{2})$", r"\1T00:00:00")
    v = pc.replace_substring_regex(v, r" (\d{2}:?\d{2})$", r"+\1")  # un-encoded "+"
    v = pc.replace_substring_regex(v, r"(:\d{2}:\d{2}(?:\.\d+)?)$", r"\1Z")  # no offset: UTC
    return v


def _unix_text_to_micros(values: pa.Array) -> pa.Array:
    parts = pc.extract_regex(
        pc.if_else(pc.match_substring_regex(values, f"^{UNIX_PATTERN}$"), values, "0"),
        r"^(?P<sign>-?)(?P<whole>\d+)(?:\.(?P<frac>\d+))?$",
    )
    whole = pc.cast(pc.struct_field(parts, "whole"), pa.int64())
    frac_text = pc.utf8_slice_codeunits(
        pc.utf8_rpad(pc.struct_field(parts, "frac"), 6, "0"), 0, 6
    )
    frac = pc.cast(pc.if_else(pc.equal(frac_text, ""), "000000", frac_text), pa.int64())
    magnitude = pc.add_checked(pc.multiply_checked(whole, 1_000_000), frac)
    negative = pc.equal(pc.struct_field(parts, "sign"), "-")
    return pc.if_else(negative, pc.negate(magnitude), magnitude)


def _unix_out_of_range(value: object) -> str | None:
    try:
        _unix_text_to_micros(pa.array([value], pa.string()))
    except pa.ArrowInvalid:
        return f"{value!r} is out of range"
    return None


_CONVERTERS: dict[Kind, Callable[[pa.Array, Column], tuple[pa.Array, Bad]]] = {
    Kind.INT: _to_int,
    Kind.BOOL: _to_bool,
    Kind.STR: _to_str,
    Kind.DEC: _to_decimal,
    Kind.FLOAT: _to_float,
    Kind.TS: _to_timestamp,
}


def derive_cdr_defaults(table: pa.Table) -> pa.Table:
    """bridged and success default to duration > 0; bridged_duration to duration when
    bridged, else 0."""
    duration = table.column("duration")
    answered = pc.greater(duration, 0)
    table = table.set_column(table.schema.get_field_index("success"), "success",
                             pc.coalesce(table.column("success"), answered))
    bridged = pc.coalesce(table.column("bridged"), answered)
    bridged_duration = pc.coalesce(
        table.column("bridged_duration"),
        pc.if_else(bridged, duration, pa.scalar(0, pa.int64())),
    )
    table = table.set_column(table.schema.get_field_index("bridged"), "bridged", bridged)
    return table.set_column(
        table.schema.get_field_index("bridged_duration"), "bridged_duration", bridged_duration
    )
