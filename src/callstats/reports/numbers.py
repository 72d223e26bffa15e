"""Exact metric arithmetic and its wire spelling (SPEC 4.3, 4.5), shared by every store so
all engines give byte-identical JSON."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction


def round2(value: Fraction) -> Fraction:
    """Round half away from zero to 2 decimal places, exactly."""
    scaled = value * 100
    magnitude = (abs(scaled.numerator) * 2 + scaled.denominator) // (2 * scaled.denominator)
    return Fraction(magnitude if scaled >= 0 else -magnitude, 100)


def spell(value: Fraction | Decimal | int) -> str:
    """A decimal string, trailing zeros trimmed but one fractional digit kept:
    "650.5", "480.0", "86.67", "0.0"."""
    fraction = Fraction(value)
    sign = "-" if fraction < 0 else ""
    fraction = abs(fraction)
    whole, rest = divmod(fraction.numerator, fraction.denominator)
    digits = []
    while rest and len(digits) < 40:  # terminating for every value we spell
        rest *= 10
        digit, rest = divmod(rest, fraction.denominator)
        digits.append(str(digit))
    decimals = "".join(digits).rstrip("0") or "0"
    return f"{sign}{whole}.{decimals}"


def metric(value: Fraction | Decimal | int) -> str:
    """A decimal metric as the reports write it: rounded to 2 places, then spelled."""
    return spell(round2(Fraction(value)))


def minutes(seconds: int) -> str:
    return metric(Fraction(seconds, 60))


def acd(seconds: int, successful: int) -> str | None:
    return metric(Fraction(seconds, 60 * successful)) if successful else None


def asr(successful: int, total: int) -> str | None:
    return metric(Fraction(100 * successful, total)) if total else None
