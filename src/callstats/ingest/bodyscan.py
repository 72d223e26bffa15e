"""Whole-body checks of an NDJSON body's numbers written with an exponent, vectorized.

Arrow's JSON reader reads a decimal column's numbers from their text, exactly as long as
the value fits the decimal type it reads into; a number written with an exponent whose
value does not fit (4.899964367542969e-88, say) can be rounded (Arrow's rescaling of such
values is not always checked), where the exact row-aware path names the digits it lacks.
`exponents_read_exactly` says, for a whole body at once, whether every such number is one
Arrow reads exactly and one the decimal column it belongs to takes as it is: then the
fast path's values are the exact path's values, and its errors are too (a value that
fits its column draws no error that depends on how it was spelled).

The body is seen as an Arrow string array of its lines, sharing the body's bytes, and
searched with RE2 (pyarrow.compute), so a batch of 20k rows costs a few passes at C speed
rather than a Python step per number. The search can find text inside strings ("a\\":1e-5"
holds what looks like a member); every such find is only a reason to take the exact path,
never a change to what is read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from callstats.columns import Column, Kind

_WS = r"[ \t\r]*"  # JSON whitespace within one line
# Anything that may be a member's number written with an exponent: a closing quote, a
# colon, a number in Arrow's lenient spelling. A superset: it also finds text in strings.
ANY_EXPONENT = rf'"{_WS}:{_WS}-?[0-9]+(?:\.[0-9]*)?[eE]'
NEGATIVE_EXPONENT = rf'"{_WS}:{_WS}-?[0-9]+(?:\.[0-9]*)?[eE]-'
# Longest mantissa (its digits) and exponent taken: beyond them Arrow's
# 128-bit arithmetic may overflow, so the exact path decides.
MAX_MANTISSA_DIGITS = 30
MAX_EXPONENT_DIGITS = 3


def member_pattern(key: str) -> str:
    """RE2 pattern of `"key": <a JSON number written with an exponent>`, its parts named:
    the number as JSON spells it (no leading zeros, digits after a point), nothing else
    (Arrow reads some spellings JSON does not have; those are left to the exact path)."""
    return (rf'"{re.escape(key)}"{_WS}:{_WS}(?:-?)(?P<int>0|[1-9][0-9]*)'
            rf'(?:\.(?P<frac>[0-9]+))?[eE](?P<esign>[+-]?)(?P<exp>[0-9]+)')


def lines_of(data: bytes) -> pa.Array:
    """The body's lines (each with its line break) as a large_string array over the
    body's own bytes: no copy. The body must be valid UTF-8 (readers check it first)."""
    starts = np.flatnonzero(np.frombuffer(data, np.uint8) == 0x0A) + 1
    if data and (not len(starts) or starts[-1] != len(data)):  # a last line without one
        starts = np.append(starts, len(data))
    offsets = np.concatenate(([0], starts)).astype(np.int64)
    return _strings(offsets, data)


def _strings(offsets: np.ndarray, data: bytes) -> pa.Array:
    return pa.Array.from_buffers(pa.large_string(), len(offsets) - 1,
                                 [None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(data)])


# Up to this many lines with finds are found one by one (a search from the last one on, so
# together about one pass over the body); a body with more is searched line by line.
_FEW_LINES = 64


def candidate_lines(data: bytes) -> pa.Array:
    """The lines of the body holding an ANY_EXPONENT find (with their line breaks)."""
    spans: list[tuple[int, int]] = []
    at = 0
    while len(spans) < _FEW_LINES:
        rest = _strings(np.array([at, len(data)], np.int64), data)
        found = pc.find_substring_regex(rest, ANY_EXPONENT)[0].as_py()
        if found == -1:
            return pa.array([data[start:end] for start, end in spans], pa.large_string())
        start = data.rfind(b"\n", 0, at + found) + 1
        end = data.find(b"\n", at + found)
        at = len(data) if end == -1 else end + 1
        spans.append((start, at))
    lines = lines_of(data)
    return lines.filter(pc.match_substring_regex(lines, ANY_EXPONENT))


def exponents_read_exactly(data: bytes, columns: Sequence[Column]) -> bool:
    """Whether Arrow's JSON reader may read this body: every number written with a
    negative exponent is the value of a decimal column's key (spelled without escapes,
    at most once a line), and every number written with any exponent under such a key
    has a value its column holds exactly (at most its scale's decimal places, at most
    precision - scale digits before the point). False sends the body to the exact path;
    numbers with a positive exponent elsewhere are read by Arrow as they were before."""
    lines = candidate_lines(data)
    if not len(lines):
        return True
    negative = np.asarray(pc.count_substring_regex(lines, NEGATIVE_EXPONENT), np.int64)
    accounted = np.zeros(len(lines), np.int64)
    for column in columns:
        if column.kind is not Kind.DEC:
            continue
        pattern = member_pattern(column.name)
        if pc.max(pc.count_substring_regex(lines, pattern)).as_py() > 1:
            return False  # a key twice in a line (nested, duplicated): the exact path
        parts = pc.extract_regex(lines, pattern)
        found = np.asarray(parts.is_valid(), np.bool_)
        if not found.any():
            continue
        if not _fits(parts.filter(parts.is_valid()), column):
            return False
        minus = np.asarray(pc.equal(pc.struct_field(parts, "esign"), "-").fill_null(False),
                           np.bool_)
        accounted += found & minus
    return bool((negative == accounted).all())


def _fits(parts: pa.StructArray, column: Column) -> bool:
    """Whether every matched number's value fits the column exactly (see above). The
    value is N x 10**shift, N the mantissa's digits without trailing zeros."""
    whole = pc.struct_field(parts, "int")
    fraction = pc.struct_field(parts, "frac")
    exponent_text = pc.struct_field(parts, "exp")
    if pc.max(pc.utf8_length(exponent_text)).as_py() > MAX_EXPONENT_DIGITS:
        return False
    spelled = pc.binary_join_element_wise(whole, fraction, pa.scalar("", whole.type))
    if pc.max(pc.utf8_length(spelled)).as_py() > MAX_MANTISSA_DIGITS:
        return False
    digits = pc.utf8_ltrim(spelled, "0")
    length = np.asarray(pc.utf8_length(digits), np.int64)
    significant = np.asarray(pc.utf8_length(pc.utf8_rtrim(digits, "0")), np.int64)
    exponent = np.asarray(pc.cast(exponent_text, pa.int64()), np.int64)
    exponent = np.where(np.asarray(pc.equal(pc.struct_field(parts, "esign"), "-"),
                                   np.bool_), -exponent, exponent)
    places = np.asarray(pc.utf8_length(fraction), np.int64)
    # The value's last significant digit is at 10**shift. A zero fits whatever its
    # exponent (Arrow reads and casts 0e-100 and 0e30 as 0, as the exact path does).
    shift = exponent - places + (length - significant)
    fits = ((np.maximum(0, -shift) <= column.scale)
            & (np.maximum(0, significant + shift) <= column.precision - column.scale))
    return bool((fits | (significant == 0)).all())
