"""Decimals are read exactly from their text (SPEC 3.1): never through a binary float, never
rounded; too many places or too large a value rejects the batch."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callstats.ingest.batches import BatchRejected, Format, parse_cdrs, parse_snapshots
from callstats.ingest.readers import Quoting, quote_numbers
from callstats.stores.duckdb_store import DuckDBStore

LIMIT = 1 << 20


def _price_body(*spellings: str, field: str = "customer_price") -> bytes:
    return b"".join(
        b'{"id":%d,"time_start":1,"duration":0,"%s":%s}\n' % (i, field.encode(), s.encode())
        for i, s in enumerate(spellings, 1)
    )


def _prices(body: bytes, field: str = "customer_price") -> list[Decimal]:
    return parse_cdrs(body, Format.NDJSON, LIMIT).column(field).to_pylist()


EXACT = [
    ("0.1", "0.1"),
    ("0.2", "0.2"),
    ("0.3", "0.3"),
    ("1e-3", "0.001"),
    ("1E-3", "0.001"),
    ("2.5e2", "250"),
    ("1e6", "1000000"),
    ("0", "0"),
    ("-0", "0"),
    ("-0.0", "0"),
    ("5", "5"),
    ("-5", "-5"),
    ("0.000001", "0.000001"),
    ("-0.000001", "-0.000001"),
    ("0.1000000", "0.1"),  # a trailing zero is no lost digit
    ("999999999999.999999", "999999999999.999999"),  # the largest DECIMAL(18,6)
    ("-999999999999.999999", "-999999999999.999999"),
    ("123456789012.123456", "123456789012.123456"),  # 18 significant digits
    ("100000000000.000001", "100000000000.000001"),
    ("9007199254740993e-6", "9007199254.740993"),  # 2**53 + 1: not a double
    ("0.30000000000000004", None),  # 17 places: rejected, not rounded to 0.3
    ('"0.1"', "0.1"),  # strings
    ('"1e-3"', "0.001"),
    ('"+1.5"', "1.5"),
    ('".5"', "0.5"),
    ('"123456789012.123456"', "123456789012.123456"),
]


@pytest.mark.parametrize("spelling, expected", EXACT, ids=[e[0] for e in EXACT])
def test_decimal_spellings(spelling: str, expected: str | None) -> None:
    body = _price_body(spelling)
    if expected is None:
        with pytest.raises(BatchRejected):
            _prices(body)
        return
    assert _prices(body) == [Decimal(expected)]
    # The same value beside a long number (which sends the whole body the exact-text way)
    # and in the other price column.
    long_body = _price_body(spelling, "123456789012.123456")
    assert _prices(long_body) == [Decimal(expected), Decimal("123456789012.123456")]
    assert _prices(_price_body(spelling, field="vendor_price"), "vendor_price") == [
        Decimal(expected)]


REJECTED = [
    ("0.1234567", "decimal places"),
    ("1e-7", "decimal places"),
    ("123456789012.1234567", "decimal places"),  # long path: never rounded
    ('"0.0000001"', "decimal places"),
    # Arrow's cast of these text to DECIMAL(18,6) gives 0 (an unchecked rescale overflow):
    ("4.9e-88", "decimal places"),
    ('"4.9e-88"', "decimal places"),
    ("4.899964367542969e-88", "decimal places"),
    ("-1e-400", "decimal places"),
    ("1000000000000", "out of range"),
    ("1e12", "out of range"),
    ("-1000000000000.5", "out of range"),
    ('"1000000000000"', "out of range"),
    ("12345678901234567890123", "out of range"),
    ('"1,5"', "decimal"),
    ('"abc"', "decimal"),
    ('"0x10"', "decimal"),
    ('""', None),  # empty: missing, so the default 0
    ("true", "decimal"),
    ("[1]", "decimal"),
]


@pytest.mark.parametrize("spelling, message", REJECTED, ids=[r[0] for r in REJECTED])
def test_bad_decimals_reject_the_batch(spelling: str, message: str | None) -> None:
    body = _price_body("1.5", spelling)
    if message is None:
        assert _prices(body) == [Decimal("1.5"), Decimal(0)]
        return
    with pytest.raises(BatchRejected) as caught:
        _prices(body)
    [error] = caught.value.errors
    assert (error.row, error.field) == (2, "customer_price")
    assert message in error.message


@pytest.mark.parametrize(
    "cell, expected",
    [("0.1", "0.1"), ("1e-3", "0.001"), ("123456789012.123456", "123456789012.123456"),
     ("-7", "-7"), ("", "0")],
)
def test_csv_decimals(cell: str, expected: str) -> None:
    body = f"id,time_start,duration,vendor_price\n1,1,0,{cell}\n".encode()
    assert _prices(b"\n", "vendor_price") == []
    assert parse_cdrs(body, Format.CSV, LIMIT).column("vendor_price").to_pylist() == [
        Decimal(expected)]


@pytest.mark.parametrize("cell", ["0.1234567", "1000000000000", "1.2.3", "4.9e-88"])
def test_bad_csv_decimals(cell: str) -> None:
    body = f"id,time_start,duration,vendor_price\n1,1,0,1\n2,1,0,{cell}\n".encode()
    with pytest.raises(BatchRejected) as caught:
        parse_cdrs(body, Format.CSV, LIMIT)
    assert [(e.row, e.field) for e in caught.value.errors] == [(2, "vendor_price")]


def test_snapshot_rates_refuse_what_ten_places_lose() -> None:
    """4.899964367542969e-88 casts to 0 at 10 places in Arrow; it is refused instead."""
    body = (b'{"snapshot_timestamp":1,"node_id":1,"calls":[{"destination_fee":'
            b'4.899964367542969e-88}]}')
    with pytest.raises(BatchRejected) as caught:
        parse_snapshots(body, Format.NDJSON, LIMIT)
    assert "too many decimal places" in caught.value.errors[0].message


def test_snapshot_rates_keep_ten_places() -> None:
    body = (b'{"snapshot_timestamp":1,"calls":[{"destination_initial_rate":0.0123456789,'
            b'"destination_next_rate":"0.1","destination_fee":1e-10,"customer_price":0.1}]}')
    [call] = parse_snapshots(body, Format.NDJSON, LIMIT).calls.to_pylist()
    assert call["destination_initial_rate"] == Decimal("0.0123456789")
    assert call["destination_next_rate"] == Decimal("0.1")
    assert call["destination_fee"] == Decimal("1e-10")
    with pytest.raises(BatchRejected) as caught:
        parse_snapshots(body.replace(b"0.0123456789", b"0.01234567891"), Format.NDJSON, LIMIT)
    assert caught.value.errors[0].field == "calls[0].destination_initial_rate"


# --- property: any DECIMAL(18,6) value written as a JSON number is stored exactly ----------

_IDS = itertools.count(1)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBStore]:
    opened = DuckDBStore(Path(tmp_path_factory.mktemp("decimals")) / "cdr.duckdb")
    yield opened
    opened.close()


@st.composite
def decimals(draw: st.DrawFn) -> tuple[Decimal, str]:
    """A value with at most 6 places inside DECIMAL(18,6), and a JSON number spelling it."""
    places = draw(st.integers(0, 6))
    digits = draw(st.integers(-(10 ** (12 + places)) + 1, 10 ** (12 + places) - 1))
    value = Decimal(digits).scaleb(-places)
    style = draw(st.sampled_from(["plain", "exponent", "padded"]))
    if style == "exponent":
        spelling = f"{digits}e-{places}" if places else f"{digits}E0"
    elif style == "padded":  # trailing zeros past 6 places are no lost digit
        spelling = format(value, "f") + ("." if places == 0 else "") + "000"
    else:
        spelling = format(value, "f")
    return value, spelling


@settings(max_examples=60, deadline=None)
@given(st.lists(decimals(), min_size=1, max_size=8))
def test_json_numbers_are_stored_exactly(store: DuckDBStore, values: list[tuple[Decimal, str]]
                                         ) -> None:
    ids = [next(_IDS) for _ in values]
    body = b"".join(
        b'{"id":%d,"time_start":1,"duration":0,"customer_price":%s,"vendor_price":%s}\n'
        % (i, spelling.encode(), spelling.encode())
        for i, (_, spelling) in zip(ids, values, strict=True)
    )
    # Short numbers alone too: one long number sends the whole body the exact-text way.
    short = [(v, s) for v, s in values if len(s.lstrip("-")) < 16]
    if short:
        assert _prices(_price_body(*(s for _, s in short))) == [v for v, _ in short]
    result = store.insert_cdrs(parse_cdrs(body, Format.NDJSON, LIMIT))
    assert result.inserted == len(values)
    stored = dict(store.cursor().execute(
        "SELECT id, customer_price FROM cdr_rows WHERE id BETWEEN ? AND ? AND vendor_price = "
        "customer_price", [ids[0], ids[-1]]).fetchall())
    assert stored == {i: value for i, (value, _) in zip(ids, values, strict=True)}


# --- quoting numbers for the exact path never touches string values --------------------

KEYS = ("time_start", "time_connect", "time_end", "customer_price", "vendor_price")
QUOTING = Quoting(KEYS, ())


@pytest.mark.parametrize(
    "text",
    [
        '"customer_price":1.5',
        '{"customer_price":1.5}',
        '\\"customer_price\\":1.5',
        '"customer_price": 123456789012.123456',
        'x","customer_price":1.5,"y":"',
        '\\\\"customer_price":1.5',
        '"time_start":1709287200',
        "customer_price:1.5",
    ],
)
def test_quoting_leaves_string_values_alone(text: str) -> None:
    line = orjson.dumps({"id": 1, "time_start": 1, "duration": 0, "src_name_in": text,
                         "local_tag": text, "customer_price": 0.5})
    line = line.replace(b'"customer_price":0.5', b'"customer_price":123456789012.123456')
    quoted = quote_numbers(line, QUOTING)
    assert orjson.loads(quoted)["src_name_in"] == text
    [row] = parse_cdrs(line, Format.NDJSON, LIMIT).to_pylist()
    assert row["src_name_in"] == row["local_tag"] == text
    assert row["customer_price"] == Decimal("123456789012.123456")


@pytest.mark.parametrize(
    "json_text, expected",
    [
        (b'{"customer_price":1.5}', b'{"customer_price":1.5}'),  # a double holds it
        (b'{"customer_price":0.10000000000000001}', b'{"customer_price":"0.10000000000000001"}'),
        (b'{"customer_price" : -1e-3 }', b'{"customer_price" : "-1e-3" }'),
        (b'{"customer_price":"1.5"}', b'{"customer_price":"1.5"}'),
        (b'{"customer_price_x":1e-3}', b'{"customer_price_x":1e-3}'),
        (b'{"x_customer_price":1e-3}', b'{"x_customer_price":1e-3}'),
        (b'{"a":"\\"customer_price\\":1e-3"}', b'{"a":"\\"customer_price\\":1e-3"}'),
        (b'{"time_end":null,"time_start":1709287200.1234567}',
         b'{"time_end":null,"time_start":"1709287200.1234567"}'),
        (b'{"customer_pric\\u0065":1E5}', b'{"customer_pric\\u0065":"1E5"}'),  # escaped key
    ],
)
def test_quote_numbers(json_text: bytes, expected: bytes) -> None:
    assert quote_numbers(json_text, QUOTING) == expected


@settings(max_examples=200, deadline=None)
@given(st.text(), st.sampled_from(KEYS))
def test_quoting_never_changes_a_string(text: str, key: str) -> None:
    for decoy in (text, f'"{key}":{text}', f'{text}"{key}": 1.25{text}'):
        for dump in (orjson.dumps, lambda v: json.dumps(v).encode()):
            line = dump({"note": decoy, key: 1.25, "after": decoy})
            record = orjson.loads(quote_numbers(line.replace(b"1.25", b"1.25e0"), QUOTING))
            assert record["note"] == record["after"] == decoy.replace("1.25", "1.25e0")
            assert record[key] == "1.25e0"
