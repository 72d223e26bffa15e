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
from dataclasses import dataclass

import numpy as np

from callstats.ingest.convert import BatchRejected, RowError, document_error

_QUOTE, _COMMA, _LF, _CR = 0x22, 0x2C, 0x0A, 0x0D
_OPENS_AFTER = np.array([_COMMA, _LF, _CR, _QUOTE], np.uint8)  # a quote may open after these
_CLOSES_BEFORE = _OPENS_AFTER  # ...and close before these (a quote: a doubled one)


@dataclass(frozen=True)
class CsvLayout:
    """Where the records of a CSV body are: `starts`/`ends` of each non-blank record
    (header first; an end excludes its line break), and the commas outside quotes."""

    data: bytes
    starts: np.ndarray
    ends: np.ndarray
    commas: np.ndarray
    quotes: np.ndarray

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

    def has_quoted_line_breaks(self) -> bool:
        breaks = np.flatnonzero(np.frombuffer(self.data, np.uint8) == _LF)
        return bool(np.any(np.searchsorted(self.quotes, breaks) % 2))

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
    """The layout, as far as quote parity tells it (whether or not the quotes are valid)."""
    array = np.frombuffer(data, np.uint8)
    quotes = np.flatnonzero(array == _QUOTE)
    outside = _outside(quotes)
    line_feeds = np.flatnonzero(array == _LF)
    returns = np.flatnonzero(array == _CR)
    lone = returns[(returns + 1 >= len(array))
                   | (array[np.minimum(returns + 1, len(array) - 1)] != _LF)]
    breaks = outside(np.union1d(line_feeds, lone))
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [len(array)]))
    # A CRLF's CR belongs to the line break, not the record.
    crlf = (ends > starts) & (ends < len(array))
    crlf[crlf] = array[ends[crlf]] == _LF
    crlf[crlf] = array[np.maximum(ends[crlf] - 1, 0)] == _CR
    ends = ends - crlf
    kept = ends > starts
    commas = outside(np.flatnonzero(array == _COMMA))
    return CsvLayout(data, starts[kept], ends[kept], commas, quotes)


def _outside(quotes: np.ndarray):  # type: ignore[no-untyped-def]
    """Keep the positions with an even number of quotes before them."""
    def keep(positions: np.ndarray) -> np.ndarray:
        return positions[np.searchsorted(quotes, positions) % 2 == 0]
    return keep


def csv_layout(data: bytes) -> CsvLayout:
    """The layout of a well-formed document; BatchRejected naming the row (and column)
    of the first structural error otherwise."""
    layout = scan(data)
    problem = _quote_problem(data, layout.quotes)
    if problem is not None:
        offset, message = problem
        row, field = layout.locate(offset)
        raise BatchRejected([RowError(row, field, message) if row is not None
                             else document_error(f"CSV header: {message}")])
    if not len(layout.starts):
        raise BatchRejected([document_error("CSV needs a header row naming the columns")])
    fields = layout.fields()
    wrong = np.flatnonzero(fields[1:] != fields[0])
    if wrong.size:
        raise BatchRejected([
            RowError(int(row) + 1, None, f"has {fields[row + 1]} fields where the header has "
                                         f"{fields[0]}")
            for row in wrong[:100]])
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
