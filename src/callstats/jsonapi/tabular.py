"""A list as CSV (SPEC 9.3's `Accept: text/csv`): a header `id` then the attribute keys in
order, one line per record, each cell the text of the value the JSON document writes
(`null` empty, booleans `true`/`false`, decimals and times spelled as there), quoted as
Python's `csv` module quotes (only a cell holding `,`, `"`, CR or LF; `"` doubled), lines
ending CRLF.

Records come as Arrow tables (a store's chunks), turned into text a column at a time: a
chunk of twenty thousand CDRs is a few array operations, not a Python call per cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from callstats.jsonapi.model import Attribute, Resource
from callstats.jsonapi.types import BOOLEAN, DATETIME, DECIMAL, INTEGER, STRING, UUID
from callstats.reports import numbers

LINE_END = "\r\n"
_NEEDS_QUOTES = '[,"\r\n]'


def chosen(resource: Resource, fields: Sequence[str] | None) -> tuple[Attribute, ...]:
    return resource.shown if fields is None else tuple(resource.attribute(n) for n in fields)


def header(resource: Resource, fields: Sequence[str] | None = None) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator=LINE_END).writerow(
        ["id", *(a.key for a in chosen(resource, fields))])
    return out.getvalue().encode()


def lines(resource: Resource, table: pa.Table, fields: Sequence[str] | None = None) -> bytes:
    """One CSV line per row of `table` (columns named by the stored columns)."""
    if not table.num_rows:
        return b""
    cells = [_integers(_combined(table.column(resource.id_column)))]
    for attribute in chosen(resource, fields):
        if attribute.stored is None:
            text = "" if attribute.constant is None else _scalar_text(attribute)
            cells.append(pa.repeat(pa.scalar(text, pa.string()), table.num_rows))
        else:
            column = _combined(table.column(attribute.stored))
            texts = text_of(attribute)(column)
            cells.append(_quoted(texts) if attribute.type in (STRING, UUID) else texts)
    joined = pc.binary_join_element_wise(*cells, ",", null_handling="replace",
                                         null_replacement="")
    ended = pc.binary_join_element_wise(joined, pa.scalar(""), LINE_END)
    return _concatenated(_combined(ended))


def _scalar_text(attribute: Attribute) -> str:
    value = attribute.type.spell(attribute.constant)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _combined(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _concatenated(texts: pa.Array) -> bytes:
    """The bytes of every (non-null) string of `texts`, one after another."""
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int32)
    first, last = offsets[texts.offset], offsets[texts.offset + len(texts)]
    data = texts.buffers()[2]
    return b"" if data is None else data.to_pybytes()[first:last]


def _quoted(texts: pa.Array) -> pa.Array:
    needs = pc.fill_null(pc.match_substring_regex(texts, _NEEDS_QUOTES), False)
    if not pc.any(needs).as_py():
        return texts
    doubled = pc.replace_substring(texts, '"', '""')
    quoted = pc.binary_join_element_wise(pa.scalar('"'), doubled, pa.scalar('"'), "")
    return pc.if_else(needs, quoted, texts)


def _integers(column: pa.Array) -> pa.Array:
    return pc.cast(column, pa.string())


def _booleans(column: pa.Array) -> pa.Array:
    return pc.cast(column, pa.string())  # "true" / "false"


def _strings(column: pa.Array) -> pa.Array:
    return column if pa.types.is_string(column.type) else pc.cast(column, pa.string())


def _decimals(column: pa.Array) -> pa.Array:
    """numbers.spell for every value: the stored digits, trailing zeros trimmed, one
    fractional digit kept. Arrow writes tiny values (and zero at a large scale) as `1E-10`:
    those few are spelled one by one."""
    texts = pc.cast(column, pa.string())
    scientific = pc.fill_null(pc.match_substring(texts, "E"), False)
    if pc.any(scientific).as_py():
        spelled = [None if v is None else numbers.spell(v) for v in column.to_pylist()]
        exact = pa.array(spelled, pa.string())
        texts = pc.if_else(scientific, exact, texts)
    if column.type.scale > 0:
        trimmed = pc.replace_substring_regex(texts, "0+$", "")
        return pc.replace_substring_regex(trimmed, r"\.$", ".0")
    return pc.binary_join_element_wise(texts, pa.scalar(".0"), "")


def _times(column: pa.Array) -> pa.Array:
    """Unix µs as `YYYY-MM-DDTHH:MM:SS.fffZ`, finer fractions truncated (floored, as
    types.rails_time does for times before 1970 too)."""
    micros = pc.cast(column, pa.int64())
    valid = pc.is_valid(micros)
    values = pc.fill_null(micros, 0).to_numpy(zero_copy_only=False)
    millis = np.floor_divide(values, 1000).astype("datetime64[ms]")
    texts = np.char.add(np.datetime_as_string(millis, unit="ms"), "Z")
    return pa.array(texts, pa.string(), mask=pc.invert(valid).to_numpy(zero_copy_only=False))


_TEXT: dict[str, Callable[[pa.Array], pa.Array]] = {
    INTEGER.name: _integers,  # "number": integers and decimals share yeti's filter type
    STRING.name: _strings,
    BOOLEAN.name: _booleans,
    DATETIME.name: _times,
    UUID.name: _strings,
}


def text_of(attribute: Attribute) -> Callable[[pa.Array], pa.Array]:
    if attribute.type is DECIMAL:
        return _decimals
    return _TEXT[attribute.type.name]
