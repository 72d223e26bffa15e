"""The timestamp spellings callstats accepts (SPEC 3.1, 4.2), as one set of patterns.

Used per value by the customer API's param parser and column-wise (through Arrow) by
ingestion, so both agree on what a valid time is.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

# date, optional time with optional fraction, optional offset (Z, ±HH:MM, ±HHMM, or a space
# where a URL-decoded "+" used to be).
# ASCII digits only: Python's \d would also take other scripts' digits.
ISO_PATTERN = (
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[T ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
    r"(Z|[+\- ][0-9]{2}:?[0-9]{2})?)?"
)
UNIX_PATTERN = r"-?[0-9]+(?:\.[0-9]+)?"

_ISO = re.compile(ISO_PATTERN + r"\Z")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_iso_micros(text: str) -> int | None:
    """Unix microseconds of an ISO-ish time, or None when the spelling is not accepted.

    Fractions beyond microseconds are truncated (the stored precision).
    """
    m = _ISO.match(text)
    if not m:
        return None
    year, month, day, hh, mi, ss, frac, offset = m.groups()
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hh or 0), int(mi or 0), int(ss or 0),
            int((frac or "0")[:6].ljust(6, "0")), tzinfo=_offset(offset),
        )
    except ValueError:
        return None
    delta = moment - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def _offset(text: str | None) -> timezone:
    if not text or text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        raise ValueError("offset out of range")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))

