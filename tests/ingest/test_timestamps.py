"""The timestamp spellings of SPEC 3.1, through ingestion and through timeparse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from callstats.ingest.batches import BatchRejected, Format, parse_cdrs
from callstats.ingest.convert import _normalize_iso
from callstats.timeparse import parse_iso_micros

LIMIT = 1 << 20


def _t(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# (JSON spelling of time_start, the UTC instant it means)
VALID = [
    ('"2024-03-01T10:00:00Z"', _t(2024, 3, 1, 10)),
    ('"2024-03-01 10:00:00Z"', _t(2024, 3, 1, 10)),
    ('"2024-03-01T12:30:00+02:30"', _t(2024, 3, 1, 10)),
    ('"2024-03-01T07:00:00-03:00"', _t(2024, 3, 1, 10)),
    ('"2024-03-01T12:30:00+0230"', _t(2024, 3, 1, 10)),
    ('"2024-03-01T07:00:00-0300"', _t(2024, 3, 1, 10)),
    ('"2024-03-01T10:30:00-00:30"', _t(2024, 3, 1, 11)),
    ('"2024-03-01T12:00:00 02:00"', _t(2024, 3, 1, 10)),  # a URL-decoded "+"
    ('"2024-03-01 12:00:00 0200"', _t(2024, 3, 1, 10)),
    ('"2024-03-01T12:00:00.5+02:00"', _t(2024, 3, 1, 10, 0, 0, 500000)),
    ('"2024-03-01T12:00:00.123456789+02:00"', _t(2024, 3, 1, 10, 0, 0, 123456)),
    ('"2024-03-01T10:00:00.123456789Z"', _t(2024, 3, 1, 10, 0, 0, 123456)),
    ('"2024-03-01 10:00:00"', _t(2024, 3, 1, 10)),  # no offset: UTC
    ('"2024-03-01T10:00:00"', _t(2024, 3, 1, 10)),
    ('"2024-03-01 10:00:00.000001"', _t(2024, 3, 1, 10, 0, 0, 1)),
    ('"2024-03-01 10:00:00.1234567"', _t(2024, 3, 1, 10, 0, 0, 123456)),
    ('"2024-03-01"', _t(2024, 3, 1)),
    ('"2024-02-29"', _t(2024, 2, 29)),
    ("1709287200", _t(2024, 3, 1, 10)),  # unix seconds: JSON int
    ("1709287200.25", _t(2024, 3, 1, 10, 0, 0, 250000)),  # JSON float
    ("1709287200.123456", _t(2024, 3, 1, 10, 0, 0, 123456)),  # 16 digits: exact text path
    ("1709287200.1234567", _t(2024, 3, 1, 10, 0, 0, 123456)),
    ('"1709287200"', _t(2024, 3, 1, 10)),  # unix seconds as a string
    ('"1709287200.000001"', _t(2024, 3, 1, 10, 0, 0, 1)),
    ('"1709287200.5"', _t(2024, 3, 1, 10, 0, 0, 500000)),
    ("0", _t(1970, 1, 1)),
    ('"-1.5"', datetime(1969, 12, 31, 23, 59, 58, 500000, tzinfo=UTC)),
]


@pytest.mark.parametrize("spelling, expected", VALID, ids=[v[0] for v in VALID])
def test_accepted_spellings(spelling: str, expected: datetime) -> None:
    body = b'{"id":1,"time_start":%s,"duration":0}' % spelling.encode()
    [value] = parse_cdrs(body, Format.NDJSON, LIMIT).column("time_start").to_pylist()
    assert value == expected


@pytest.mark.parametrize("spelling, expected", VALID, ids=[v[0] for v in VALID])
def test_each_spelling_also_reads_within_a_mixed_column(spelling: str, expected: datetime) -> None:
    """A column mixing the forms goes the general way; each value keeps its meaning."""
    body = (b'{"id":1,"time_start":"2024-01-01 00:00:00","duration":0}\n'
            b'{"id":2,"time_start":%s,"duration":0}\n'
            b'{"id":3,"time_start":1,"duration":0}\n'
            b'{"id":4,"time_end":"2024-01-01T00:00:00+01:00","time_start":"2024-01-01",'
            b'"duration":0}\n') % spelling.encode()
    values = parse_cdrs(body, Format.NDJSON, LIMIT).column("time_start").to_pylist()
    assert values == [_t(2024, 1, 1), expected, _t(1970, 1, 1, 0, 0, 1), _t(2024, 1, 1)]


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("2024-03-01 10:00:00", _t(2024, 3, 1, 10)),
        ("2024-03-01T10:00:00.25Z", _t(2024, 3, 1, 10, 0, 0, 250000)),
        ("2024-03-01T12:00:00+02:00", _t(2024, 3, 1, 10)),
        ("1709287200.5", _t(2024, 3, 1, 10, 0, 0, 500000)),
        ("2024-03-01", _t(2024, 3, 1)),
    ],
)
def test_csv_cells(cell: str, expected: datetime) -> None:
    body = f"id,time_start,duration\n1,{cell},0\n".encode()
    assert parse_cdrs(body, Format.CSV, LIMIT).column("time_start").to_pylist() == [expected]


INVALID = [
    '"2024-02-30"',  # no such day
    '"2023-02-29"',
    '"2024-02-30 10:00:00"',
    '"2024-02-30T10:00:00Z"',
    '"2024-13-01T00:00:00Z"',
    '"2024-03-01T24:00:00Z"',
    '"2024-03-01T10:60:00"',
    '"2024-03-01T10:00:00+24:00"',
    '"2024-03-01T10:00"',  # seconds required
    '"2024-3-1"',
    '"01.03.2024 10:00:00"',
    '"yesterday"',
    '"2024-03-01T10:00:00 UTC"',
    '"1709287200abc"',
    '"1e9"',
    '" 1709287200"',
    "true",
    '{"seconds":1}',
    "[1709287200]",
    "10000000000000",  # unix seconds beyond the microsecond range
    '"99999999999999999999"',
    '"9223372036854.999999"',  # overflows only when the fraction is added
    "-10000000000000.5",
    "18446744073709551615",
]


@pytest.mark.parametrize("spelling", INVALID)
def test_invalid_times_are_rejected_naming_row_and_field(spelling: str) -> None:
    body = (b'{"id":1,"time_start":"2024-01-01 00:00:00","duration":0}\n'
            b'{"id":2,"time_start":"2024-01-01","time_end":%s,"duration":0}\n') % spelling.encode()
    with pytest.raises(BatchRejected) as caught:
        parse_cdrs(body, Format.NDJSON, LIMIT)
    [error] = caught.value.errors
    assert (error.row, error.field) == (2, "time_end")
    assert error.message


def test_an_invalid_date_among_valid_ones_names_only_its_row() -> None:
    body = b"id,time_start,duration\n" + b"".join(
        b"%d,%s,0\n" % (i, b"2024-02-30 10:00:00" if i in (3, 7) else b"2024-02-28 10:00:00")
        for i in range(1, 10)
    )
    with pytest.raises(BatchRejected) as caught:
        parse_cdrs(body, Format.CSV, LIMIT)
    assert [(e.row, e.field) for e in caught.value.errors] == [(3, "time_start"),
                                                               (7, "time_start")]


@pytest.mark.parametrize("spelling, expected", [v for v in VALID if v[0].startswith('"2')])
def test_timeparse_agrees_with_ingestion(spelling: str, expected: datetime) -> None:
    micros = parse_iso_micros(spelling.strip('"'))
    assert micros is not None
    assert datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros) == expected


@pytest.mark.parametrize("spelling", [s for s in INVALID if s.startswith('"2')])
def test_timeparse_rejects_what_ingestion_rejects(spelling: str) -> None:
    assert parse_iso_micros(spelling.strip('"')) is None


@pytest.mark.parametrize("spelling", [v[0].strip('"') for v in VALID if v[0].startswith('"2')])
def test_every_iso_spelling_takes_the_vector_path(spelling: str) -> None:
    """Arrow's own parser reads each normalized spelling (no per-value fallback needed)."""
    normalized = _normalize_iso(pa.array([spelling]))
    assert pc.cast(normalized, pa.timestamp("us", "UTC")).cast(pa.int64()).to_pylist() == [
        parse_iso_micros(spelling)]


@pytest.mark.parametrize("value", [10**12, "1000000000000", -62_135_596_801])
def test_times_beyond_the_representable_years_are_rejected(value: object) -> None:
    """Year 33658 (unix 10**12) would be stored, then break every report that formats it."""
    body = orjson.dumps({"id": 1, "time_start": value, "duration": 1})
    with pytest.raises(BatchRejected) as rejected:
        parse_cdrs(body, Format.NDJSON, 1 << 20)
    [error] = rejected.value.errors
    assert (error.row, error.field) == (1, "time_start")
    assert "outside years 1 to 9999" in error.message or "not" in error.message


def test_the_first_and_last_representable_times_are_kept() -> None:
    body = b'{"id":1,"time_start":"0001-01-01 00:00:00","duration":1}\n' \
           b'{"id":2,"time_start":"9999-12-31T23:59:59.999999Z","duration":1}'
    table = parse_cdrs(body, Format.NDJSON, 1 << 20)
    assert table.column("time_start").cast(pa.int64()).to_pylist() == [
        -62_135_596_800_000_000, 253_402_300_799_999_999]
