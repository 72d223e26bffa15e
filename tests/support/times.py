"""Instants as the tests write them: unix microseconds, converted test-side with datetime
(independently of callstats.timeparse)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

SECOND = 1_000_000
DAY = 86_400 * SECOND
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utc(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def iso(micros: int) -> str:
    """RFC 3339 UTC with microseconds (four-digit years, also before 1000)."""
    moment = utc(micros)
    return f"{moment.year:04d}-" + moment.strftime("%m-%dT%H:%M:%S.%fZ")


def us(text: str) -> int:
    """Unix µs of an ISO time (UTC when it has no offset)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - EPOCH
    return (delta.days * 86400 + delta.seconds) * SECOND + delta.microseconds


def spellings(micros: int) -> list[str]:
    """Every SPEC 4.2 spelling that names exactly this instant."""
    moment = utc(micros)
    frac = f".{moment.microsecond:06d}" if moment.microsecond else ""
    base = moment.strftime("%Y-%m-%dT%H:%M:%S") + frac
    plus2 = (moment + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S") + frac
    west = (moment - timedelta(hours=5, minutes=30)).strftime("%Y-%m-%dT%H:%M:%S") + frac
    found = [base + "Z", base, base.replace("T", " "), base + ".000" * (not frac) + "Z",
             plus2 + "+02:00", plus2 + "+0200", plus2 + " 02:00", west + "-05:30",
             west.replace("T", " ") + "-0530", base + "+00:00"]
    if micros % DAY == 0:
        found.append(moment.strftime("%Y-%m-%d"))
    return found
