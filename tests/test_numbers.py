"""The integer metric arithmetic equals exact fraction arithmetic, for every input."""

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from callstats.reports import numbers


def reference(value: Fraction) -> str:
    """Round half away from zero to hundredths with fractions, then spell."""
    scaled = abs(value) * 100
    whole = int(scaled)
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    text = f"{whole // 100}.{whole % 100:02d}"
    head, tail = text.split(".")
    return f"{'-' if value < 0 and whole else ''}{head}.{tail.rstrip('0') or '0'}"


@given(st.integers(-10**15, 10**15), st.integers(1, 10**9))
def test_hundredths_round_half_away_from_zero(numerator: int, denominator: int) -> None:
    got = numbers.spell_hundredths(numbers.hundredths(numerator, denominator))
    assert got == reference(Fraction(numerator, denominator))


def test_seed_values() -> None:
    assert numbers.minutes(39030) == "650.5"
    assert numbers.minutes(28800) == "480.0"
    assert numbers.asr(130, 150) == "86.67"
    assert numbers.acd(111030, 380) == "4.87"
    assert numbers.money(0) == "0.0" and numbers.money(45_250_000) == "45.25"
    assert numbers.money(-5_000) == "-0.01" and numbers.money(-4_999) == "0.0"
    assert numbers.acd(5, 0) is None and numbers.asr(0, 0) is None


@given(st.integers(0, 10**12), st.integers(0, 10**7), st.integers(0, 10**7),
       st.integers(-10**15, 10**15))
def test_kept_spellings_equal_the_arithmetic(seconds: int, successful: int, total: int,
                                             micros: int) -> None:
    """The per-bucket metrics are kept (lru_cache): asked twice, each equals the function
    computed afresh and the exact fraction."""
    for _ in range(2):
        assert numbers.minutes(seconds) == numbers.minutes.__wrapped__(seconds) == reference(
            Fraction(seconds, 60))
        assert numbers.money(micros) == numbers.money.__wrapped__(micros) == reference(
            Fraction(micros, numbers.MICROS))
        assert numbers.acd(seconds, successful) == numbers.acd.__wrapped__(
            seconds, successful) == (reference(Fraction(seconds, 60 * successful))
                                     if successful else None)
        assert numbers.asr(successful, total) == numbers.asr.__wrapped__(
            successful, total) == (reference(Fraction(100 * successful, total))
                                   if total else None)
