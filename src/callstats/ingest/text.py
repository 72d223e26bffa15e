"""What every text body (NDJSON, JSON, CSV) must be before any parser sees it: UTF-8,
every byte of it, with at most a leading byte-order mark (dropped, as Excel writes one).

One check for all text formats, so a bad byte is refused the same way wherever it sits
(inside a value, a key, a column nobody reads) and whichever parser would come next; the
parsers (Arrow's, orjson) differ in what they let through.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

BOM = b"\xef\xbb\xbf"
JSON_WHITESPACE = b" \t\r\n"


def without_bom(data: bytes) -> bytes:
    return data[len(BOM):] if data.startswith(BOM) else data


def first_invalid_utf8(data: bytes) -> int | None:
    """Byte offset of the first byte that is not valid UTF-8, or None. Validated by Arrow
    over the bytes in place (no copy); decoded only to find the offset of a bad one."""
    offsets = np.array([0, len(data)], np.int64)
    text = pa.Array.from_buffers(pa.large_string(), 1,
                                 [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    try:
        text.validate(full=True)
        return None
    except pa.ArrowInvalid:
        pass
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start
    return None  # pragma: no cover - Arrow and Python agree on UTF-8


def describe_byte(data: bytes, offset: int) -> str:
    return f"byte 0x{data[offset]:02X} is not valid UTF-8 (every byte of the body must be)"


def line_at(data: bytes, offset: int) -> tuple[int, bytes, int]:
    """(number of the non-blank line holding `offset`, counting from 1; that line; the
    offset within it), blank lines being those of JSON whitespace only."""
    start = data.rfind(b"\n", 0, offset) + 1
    end = data.find(b"\n", offset)
    line = data[start:end if end >= 0 else len(data)]
    number = 1 + sum(1 for before in data[:start].split(b"\n")[:-1]
                     if before.strip(JSON_WHITESPACE))
    return number, line, offset - start
