"""Exact metric arithmetic and its wire spelling (SPEC 4.3, 4.5, 9.4), shared by every
store so all engines give byte-identical JSON.

Every metric is a ratio of integers (prices are integer micro-units, pdd integer
milliseconds), rounded to its places with integer arithmetic only: exact like fractions,
a hundred times faster.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

MICROS = 1_000_000
# The per-bucket metrics below are pure functions of small integers that repeat from bucket
# to bucket and request to request (a minute's 1 of 1 calls, 60 seconds, ...): kept, their
# spelling costs a dictionary look-up instead of integer arithmetic and string building.
_SPELLINGS_KEPT = 1 << 16


def rounded(numerator: int, denominator: int, places: int) -> int:
    """numerator / denominator in units of 10^-places, rounded half away from zero
    (denominator > 0)."""
    unit: int = 10**places
    scaled = abs(numerator) * unit
    result = (2 * scaled + denominator) // (2 * denominator)
    return -result if numerator < 0 else result


def spell_scaled(value: int, places: int) -> str:
    """An integer of 10^-places units as SPEC 4.3 spells decimals: "650.5", "480.0",
    "0.0167": trailing zeros trimmed, one fractional digit kept."""
    unit: int = 10**places
    whole, rest = divmod(abs(value), unit)
    fraction = f"{rest:0{places}d}".rstrip("0") or "0"
    return f"{'-' if value < 0 else ''}{whole}.{fraction}"


def hundredths(numerator: int, denominator: int) -> int:
    """numerator / denominator in hundredths, rounded half away from zero (denominator > 0)."""
    return rounded(numerator, denominator, 2)


def spell_hundredths(value: int) -> str:
    """"650.5", "480.0", "86.67", "0.0": trailing zeros trimmed, one fractional digit kept."""
    return spell_scaled(value, 2)


@lru_cache(maxsize=_SPELLINGS_KEPT)
def minutes(seconds: int) -> str:
    return spell_hundredths(hundredths(seconds, 60))


@lru_cache(maxsize=_SPELLINGS_KEPT)
def acd(seconds: int, successful: int) -> str | None:
    return spell_hundredths(hundredths(seconds, 60 * successful)) if successful else None


@lru_cache(maxsize=_SPELLINGS_KEPT)
def asr(successful: int, total: int) -> str | None:
    return spell_hundredths(hundredths(100 * successful, total)) if total else None


def acd_seconds(seconds: int, successful: int) -> str | None:
    """SPEC 9.4's ACD: average seconds of the successful calls, rounded as 4.3."""
    return spell_hundredths(hundredths(seconds, successful)) if successful else None


def seconds_of_millis(millis: int) -> str:
    """Integer milliseconds as seconds with exactly 3 decimals: "1.250", "-0.005"."""
    whole, rest = divmod(abs(millis), 1000)
    return f"{'-' if millis < 0 else ''}{whole}.{rest:03d}"


@lru_cache(maxsize=_SPELLINGS_KEPT)
def money(micros: int) -> str:
    return spell_hundredths(hundredths(micros, MICROS))


def spell(value: Decimal) -> str:
    """A decimal as stored, not rounded: "2.3", "0.0", "0.05", "10.0"."""
    text = format(value, "f")
    if "." not in text:
        return f"{text}.0"
    whole, fraction = text.split(".")
    return f"{whole}.{fraction.rstrip('0') or '0'}"


def per_second(calls: int, seconds: int) -> str:
    """calls / seconds (SPEC 9.4's and 9.6's CPS) rounded half away from zero to 4 places,
    spelled as the other decimal metrics: "0.0167", "0.0"."""
    return spell_scaled(rounded(calls, seconds, 4), 4)
