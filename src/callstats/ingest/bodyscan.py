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


def member_pattern(keys: Sequence[str]) -> str:
    """RE2 pattern of `"key": <a JSON number written with an exponent>` for any of `keys`,
    its parts named: the number as JSON spells it (no leading zeros, digits after a
    point), nothing else (Arrow reads some spellings JSON does not have; those are left to
    the exact path)."""
    names = "|".join(re.escape(key) for key in keys)
    return (rf'"(?P<key>{names})"{_WS}:{_WS}-?(?P<int>0|[1-9][0-9]*)'
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
    decimals = [c for c in columns if c.kind is Kind.DEC]
    if not decimals:
        return not pc.any(pc.match_substring_regex(lines, NEGATIVE_EXPONENT)).as_py()
    pattern = member_pattern([c.name for c in decimals])
    # Every member a line holds, one round per member: the first found, then cut out
    # (replaced by "#", which no member's text holds, so no new one forms across the cut).
    counts = pc.count_substring_regex(lines, pattern).to_numpy()
    rounds = int(counts.max(initial=0))
    if rounds > len(decimals):
        return False  # more members than keys: a key twice in a line
    found: list[pa.StructArray] = []
    owners: list[np.ndarray] = []
    ids = np.flatnonzero(counts)
    rest = lines.filter(pa.array(counts > 0))
    for round_ in range(rounds):
        parts = pc.extract_regex(rest, pattern)
        found.append(parts)
        owners.append(ids)
        if round_ + 1 < rounds:
            more = counts[ids] > round_ + 1
            rest = pc.replace_substring_regex(rest.filter(pa.array(more)), pattern, "#",
                                              max_replacements=1)
            ids = ids[more]
    negative = pc.count_substring_regex(lines, NEGATIVE_EXPONENT).to_numpy()
    if not found:
        return not negative.any()
    members = pa.concat_arrays(found)
    owner = np.concatenate(owners)
    key = pc.index_in(pc.struct_field(members, "key"),
                      pa.array([c.name for c in decimals], pa.string())).to_numpy()
    if len(np.unique(owner * len(decimals) + key)) != len(owner):
        return False  # a key twice in a line (nested, repeated): the exact path
    minus = pc.equal(pc.struct_field(members, "esign"), "-").to_numpy(zero_copy_only=False)
    if not (np.bincount(owner[minus], minlength=len(lines)) == negative).all():
        return False  # a negative exponent under some other key, or in a string
    scale = np.array([c.scale for c in decimals])[key]
    precision = np.array([c.precision for c in decimals])[key]
    return _fits(members, scale, precision)


def _fits(parts: pa.StructArray, scale: np.ndarray, precision: np.ndarray) -> bool:
    """Whether every matched number's value fits its column (`scale` and `precision` a
    member) exactly (see above). The value is N x 10**shift, N the mantissa's digits
    without trailing zeros."""
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
    fits = ((np.maximum(0, -shift) <= scale)
            & (np.maximum(0, significant + shift) <= precision - scale))
    return bool((fits | (significant == 0)).all())
