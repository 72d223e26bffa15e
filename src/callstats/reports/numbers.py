"""Exact metric arithmetic and its wire spelling (SPEC 4.3, 4.5), shared by every store so
all engines give byte-identical JSON.

Every metric is a ratio of integers (prices are integer micro-units), rounded to
hundredths with integer arithmetic only: exact like fractions, a hundred times faster.
"""

from __future__ import annotations

from decimal import Decimal

MICROS = 1_000_000


def hundredths(numerator: int, denominator: int) -> int:
    """numerator / denominator in hundredths, rounded half away from zero (denominator > 0)."""
    scaled = abs(numerator) * 100
    rounded = (2 * scaled + denominator) // (2 * denominator)
    return -rounded if numerator < 0 else rounded


def spell_hundredths(value: int) -> str:
    """"650.5", "480.0", "86.67", "0.0": trailing zeros trimmed, one fractional digit kept."""
    whole, rest = divmod(abs(value), 100)
    fraction = f"{rest:02d}".rstrip("0") or "0"
    return f"{'-' if value < 0 else ''}{whole}.{fraction}"


def minutes(seconds: int) -> str:
    return spell_hundredths(hundredths(seconds, 60))


def acd(seconds: int, successful: int) -> str | None:
    return spell_hundredths(hundredths(seconds, 60 * successful)) if successful else None


def asr(successful: int, total: int) -> str | None:
    return spell_hundredths(hundredths(100 * successful, total)) if total else None


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
    """calls / seconds rounded half away from zero to 4 places, spelled as the other
    decimal metrics: "0.0167", "0.0"."""
    scaled = (2 * abs(calls) * 10_000 + seconds) // (2 * seconds)
    whole, rest = divmod(scaled, 10_000)
    fraction = f"{rest:04d}".rstrip("0") or "0"
    return f"{'-' if calls < 0 else ''}{whole}.{fraction}"
