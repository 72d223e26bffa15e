"""The structure of a CSV document (RFC 4180), found from where its quotes are.

Arrow's CSV reader is fast but lenient: a quote left open swallows the rest of the file
into one value, and `"ab"c` reads as `abc`. So before Arrow reads a body, this module
checks its structure, at numpy speed, by the rule RFC 4180 sets: a field is either
unquoted (no quote in it at all) or enclosed in quotes, with each quote inside it doubled.
Under that rule the quotes of a well-formed document pair up in order, the n-th quote
opening a field when n is even and closing it when odd, so whether a comma or line end is
inside a quoted field is the parity of the quotes before it.

Records end at LF, CRLF or a lone CR outside quotes; records with nothing in them (blank
lines) are skipped, as Arrow skips them, so data rows are numbered as Arrow's rows are.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np

from callstats.ingest.convert import BatchRejected, RowError, document_error
from callstats.ingest.limits import MAX_ERRORS

_QUOTE, _COMMA, _LF, _CR = 0x22, 0x2C, 0x0A, 0x0D
_OPENS_AFTER = np.array([_COMMA, _LF, _CR, _QUOTE], np.uint8)  # a quote may open after these
_CLOSES_BEFORE = _OPENS_AFTER  # ...and close before these (a quote: a doubled one)


@dataclass(frozen=True)
class CsvLayout:
    """Where the records of a CSV body are: `starts`/`ends` of each non-blank record
    (header first; an end excludes its line break), the commas outside quotes, and the
    quotes."""

    data: bytes
    starts: np.ndarray
    ends: np.ndarray
    commas: np.ndarray
    quotes: np.ndarray
    quoted_line_breaks: bool

    @property
    def data_rows(self) -> int:
        return max(len(self.starts) - 1, 0)

    def header(self) -> list[str]:
        if not len(self.starts):
            return []
        text = self.data[self.starts[0]:self.ends[0]].decode("utf-8", "replace")
        return next(csv.reader([text]), [])

    def fields(self) -> np.ndarray:
        """Number of fields of each record."""
        return (np.searchsorted(self.commas, self.ends)
                - np.searchsorted(self.commas, self.starts) + 1)

    def locate(self, offset: int) -> tuple[int | None, str | None]:
        """(data row, column name) of the byte at `offset`; the row is None in the header."""
        record = int(np.searchsorted(self.starts, offset, side="right")) - 1
        if record <= 0:
            return None, None
        index = int(np.searchsorted(self.commas, offset)
                    - np.searchsorted(self.commas, self.starts[record]))
        names = self.header()
        return record, names[index] if index < len(names) else None


def scan(data: bytes) -> CsvLayout:
    """The layout, as far as quote parity tells it (whether or not the quotes are valid).
    Only the bytes that matter to the structure (quotes, commas, CR, LF) are looked at
    one by one, in numpy: whether each is inside a quoted field is the parity of the
    quotes before it."""
    array = np.frombuffer(data, np.uint8)
    special = np.flatnonzero((array == _QUOTE) | (array == _COMMA) | (array == _LF)
                             | (array == _CR))
    kinds = array[special]
    is_quote = kinds == _QUOTE
    outside = ((np.cumsum(is_quote) - is_quote) & 1) == 0
    is_lf, is_cr = kinds == _LF, kinds == _CR
    after = np.minimum(special + 1, len(array) - 1)
    lone_cr = is_cr & ((special + 1 >= len(array)) | (array[after] != _LF))
    breaks = special[(is_lf | lone_cr) & outside]
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [len(array)]))
    # A CRLF's CR belongs to the line break, not the record.
    crlf = (ends > starts) & (ends < len(array))
    crlf[crlf] = array[ends[crlf]] == _LF
    crlf[crlf] = array[np.maximum(ends[crlf] - 1, 0)] == _CR
    ends = ends - crlf
    kept = ends > starts
    return CsvLayout(data, starts[kept], ends[kept], special[(kinds == _COMMA) & outside],
                     special[is_quote], bool((is_lf & ~outside).any()))


def check_quotes(data: bytes) -> bool:
    """Refuse (BatchRejected, naming the row and column) a body whose quotes RFC 4180 does
    not allow; whether it has quotes at all. Only the quotes and their neighbours are
    looked at: what a well-formed body costs."""
    quotes = np.flatnonzero(np.frombuffer(data, np.uint8) == _QUOTE)
    problem = _quote_problem(data, quotes)
    if problem is not None:
        offset, message = problem
        row, field = scan(data).locate(offset)
        raise BatchRejected([RowError(row, field, message) if row is not None
                             else document_error(f"CSV header: {message}")])
    return bool(quotes.size)


def header_of(data: bytes) -> list[str]:
    """The names in the first non-blank record (of a body whose quotes are valid)."""
    lines = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="replace",
                             newline="")
    for record in csv.reader(lines):
        if record:
            return record
    return []


def csv_layout(data: bytes) -> CsvLayout:
    """The layout of a well-formed document; BatchRejected naming the row (and column)
    of the first structural error otherwise."""
    check_quotes(data)
    layout = scan(data)
    if not len(layout.starts):
        raise BatchRejected([document_error("CSV needs a header row naming the columns")])
    fields = layout.fields()
    wrong = np.flatnonzero(fields[1:] != fields[0])
    if wrong.size:
        raise BatchRejected([
            RowError(int(row) + 1, None, f"has {fields[row + 1]} fields where the header has "
                                         f"{fields[0]}")
            for row in wrong[:MAX_ERRORS]])
    return layout


def _quote_problem(data: bytes, quotes: np.ndarray) -> tuple[int, str] | None:
    """(offset, message) of the first quote RFC 4180 does not allow."""
    if not quotes.size:
        return None
    array = np.frombuffer(data, np.uint8)
    openers, closers = quotes[0::2], quotes[1::2]
    bad_open = openers[(openers > 0)
                       & ~np.isin(array[np.maximum(openers - 1, 0)], _OPENS_AFTER)]
    after = closers + 1
    bad_close = closers[(after < len(array))
                        & ~np.isin(array[np.minimum(after, len(array) - 1)], _CLOSES_BEFORE)]
    problems = []
    if bad_open.size:
        problems.append((int(bad_open[0]), "a quote inside an unquoted field: enclose the "
                         'whole field in quotes and double the quote ("a""b")'))
    if bad_close.size:
        problems.append((int(bad_close[0]) + 1, "text after the closing quote of a field: "
                         'double a quote that belongs in the value ("a""b")'))
    if quotes.size % 2:
        problems.append((int(quotes[-1]), "a quote opens a field here and never closes it"))
    return min(problems) if problems else None
