"""Hypothesis strategies for ingestion documents: CDR rows whose cells are good values
or malformed ones (out-of-range integers, bare text where numbers belong, invalid UTF-8,
over-long strings, NUL, quotes and line breaks), one logical document rendered as NDJSON,
CSV or Parquet; and mutations that break a rendered body's bytes anywhere."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import strategies as st

from callstats.ingest.batches import Format

MAX_STRING = 20  # the string cap the path tests run with
Cell = bytes | int | None  # text (maybe not UTF-8), an id offset, or missing

# Per column: the cells a row may carry. Column kinds (SPEC 3.1) in the comments.
CELLS: dict[str, list[Cell]] = {
    "id": [0, 1, 2, 3, 0, 1, b"9223372036854775808", b"-9223372036854775809", b"1.5", b"x",
           None],  # int, required
    "time_start": [b"2024-03-01 10:00:00", b"2024-03-01T10:00:00.5Z", b"1709287200",
                   b"1709287200.25", b"2024-02-30 00:00:00", b"soon", None],  # time, required
    "duration": [b"0", b"30", b"30", b"1e2", b"-1", b"2.5", None],  # int >= 0, required
    "local_tag": [b"abc", b"a,b", b'q"uote', b"multi\nline", "é".encode(), b"a\x00b",
                  b"x" * (MAX_STRING + 1), "ü".encode() * MAX_STRING, b"ab\xffc", b"", None],
    "pdd": [b"0.5", b"1.25", b"NaN", b"Infinity", b"1e400", None],  # number
    "customer_price": [b"0.1", b"-2", b"1e-3", b"4.5e-05", b"4.9e-88", b"0.1234567", b"abc",
                       None],  # decimal(18,6)
    "vendor_id": [b"7", b"007", b"18446744073709551616", b"-9223372036854775809", None],
    "is_last_cdr": [b"true", b"0", b"1", b"FALSE", b"maybe", b"1.0", None],  # bool
    "note": [b"x", b"NaN", b"n\xc3", None],  # a column callstats does not know
}
NUMERIC = {"id", "time_start", "duration", "pdd", "customer_price", "vendor_id",
           "is_last_cdr"}
_JSON_NUMBER = re.compile(rb"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


@dataclass(frozen=True)
class Document:
    names: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    as_numbers: frozenset[str]  # columns NDJSON writes as JSON numbers where it can

    def is_utf8(self) -> bool:
        try:
            for row in self.rows:
                for cell in row:
                    if isinstance(cell, bytes):
                        cell.decode()
        except UnicodeDecodeError:
            return False
        return True

    def cells(self, offset: int) -> list[list[bytes | None]]:
        """The rows' cells with id offsets made ids."""
        return [[str(offset + c).encode() if isinstance(c, int) else c for c in row]
                for row in self.rows]

    def render(self, fmt: Format, offset: int) -> bytes:
        rows = self.cells(offset)
        if fmt is Format.NDJSON:
            return b"\n".join(self._json_line(row) for row in rows) + b"\n"
        if fmt is Format.CSV:
            lines = [b",".join(_csv_cell(n.encode()) for n in self.names)]
            lines += [b",".join(b"" if c is None else _csv_cell(c) for c in row) for row in rows]
            return b"\r\n".join(lines) + b"\r\n"
        columns = {name: _string_array([row[i] for row in rows])
                   for i, name in enumerate(self.names)}
        sink = io.BytesIO()
        pq.write_table(pa.table(columns), sink)
        return sink.getvalue()

    def _json_line(self, row: list[bytes | None]) -> bytes:
        members = []
        for name, cell in zip(self.names, row, strict=True):
            if cell is None:
                continue
            members.append(orjson.dumps(name) + b":" + self._json_value(name, cell))
        return b"{" + b",".join(members) + b"}"

    def _json_value(self, name: str, cell: bytes) -> bytes:
        if name in self.as_numbers and (_JSON_NUMBER.fullmatch(cell)
                                        or cell in (b"true", b"false")):
            return cell
        try:
            return orjson.dumps(cell.decode())
        except UnicodeDecodeError:  # invalid UTF-8 goes into the string as it is
            return b'"' + cell + b'"'


def _csv_cell(cell: bytes) -> bytes:
    if any(c in cell for c in (b",", b'"', b"\n", b"\r")) or not cell:
        return b'"' + cell.replace(b'"', b'""') + b'"'
    return cell


def _string_array(cells: list[bytes | None]) -> pa.Array:
    """A Parquet string column holding exactly these bytes (valid UTF-8 or not)."""
    data = b"".join(c or b"" for c in cells)
    offsets, validity, at = [0], [], 0
    for cell in cells:
        at += len(cell or b"")
        offsets.append(at)
        validity.append(cell is not None)
    mask = pa.array(validity, pa.bool_()).buffers()[1]
    return pa.Array.from_buffers(pa.string(), len(cells),
                                 [mask, pa.array(offsets, pa.int32()).buffers()[1],
                                  pa.py_buffer(data)])


@st.composite
def documents(draw: st.DrawFn, max_rows: int = 4) -> Document:
    optional = [n for n in CELLS if n not in ("id", "time_start", "duration")]
    names = ["id", "time_start", "duration"] + draw(st.lists(
        st.sampled_from(optional), unique=True, max_size=len(optional)))
    names = draw(st.permutations(names))
    rows = draw(st.lists(st.tuples(*(st.sampled_from(CELLS[n]) for n in names)),
                         min_size=1, max_size=max_rows))
    numbers = draw(st.frozensets(st.sampled_from(sorted(NUMERIC))))
    return Document(tuple(names), tuple(rows), numbers)


def good_documents(max_rows: int = 4) -> st.SearchStrategy[Document]:
    """Documents of good values only (ids, times and durations are always set)."""
    bad = {b"9223372036854775808", b"-9223372036854775809", b"1.5", b"x", b"soon",
           b"2024-02-30 00:00:00", b"-1", b"2.5", b"x" * (MAX_STRING + 1), b"ab\xffc",
           b"NaN", b"Infinity", b"1e400", b"0.1234567", b"abc", b"18446744073709551616",
           b"maybe", b"1.0", b"n\xc3"}
    return documents(max_rows).filter(lambda d: all(
        c not in bad and (c is not None or n not in ("id", "time_start", "duration"))
        for row in d.rows for n, c in zip(d.names, row, strict=True)))


MUTATIONS = [b"\xff", b"\xc3", b'"', b",", b"\n", b"\r", b"{", b"}", b"\x00", b"NaN", b"\\",
             b" ", b"9" * 20, b"-"]


def somewhere(draw: st.DrawFn, size: int) -> int:
    """A position in `size` bytes, drawn as a fraction of it: the draw must not depend on
    the size (an example's ids, and so its length, differ from one replay to the next)."""
    return draw(st.integers(0, 10**6)) * size // 10**6


@st.composite
def broken(draw: st.DrawFn, body: bytes) -> bytes:
    """`body` with a few bytes inserted, replaced or cut anywhere, or cut short."""
    data = bytearray(body)
    for _ in range(draw(st.integers(1, 3))):
        at = somewhere(draw, len(data))
        how = draw(st.sampled_from(["insert", "replace", "delete", "truncate"]))
        token = draw(st.sampled_from(MUTATIONS))
        if how == "insert":
            data[at:at] = token
        elif how == "replace":
            data[at:at + len(token)] = token
        elif how == "delete":
            del data[at:at + draw(st.integers(1, 4))]
        else:
            del data[at:]
    return bytes(data)
