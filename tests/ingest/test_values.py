"""Booleans, integers, codes, defaults and the 422 error list of a CDR batch (SPEC 3.1, 6)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from callstats.columns import YETI_CDR_COLUMNS
from callstats.ingest.batches import BatchRejected, Format, parse_cdrs
from callstats.ingest.convert import MAX_ERRORS

LIMIT = 1 << 20
BASE = b'"id":%d,"time_start":"2024-03-01 10:00:00","duration":%d'


def _ndjson(*extras: str, duration: int = 0) -> bytes:
    """One CDR line per extra, each with the extra JSON members added."""
    return b"".join(
        b"{" + BASE % (i, duration) + (b"," + extra.encode() if extra else b"") + b"}\n"
        for i, extra in enumerate(extras, 1)
    )


def _column(body: bytes, name: str, fmt: Format = Format.NDJSON) -> list[object]:
    return parse_cdrs(body, fmt, LIMIT).column(name).to_pylist()


def _errors(body: bytes, fmt: Format = Format.NDJSON) -> list[tuple[int, str]]:
    with pytest.raises(BatchRejected) as caught:
        parse_cdrs(body, fmt, LIMIT)
    return [(e.row, e.field) for e in caught.value.errors]


BOOLEANS = [
    ("true", True), ("false", False), ("1", True), ("0", False),
    ('"true"', True), ('"false"', False), ('"1"', True), ('"0"', False),
    ('"TRUE"', True), ('"False"', False), ("null", None), ('""', None),
]


@pytest.mark.parametrize("spelling, expected", BOOLEANS, ids=[b[0] for b in BOOLEANS])
def test_boolean_spellings(spelling: str, expected: bool | None) -> None:
    # alone, and beside rows with the key absent (nulls in the same column)
    for body in (_ndjson(f'"answered_elsewhere":{spelling}'),
                 _ndjson("", f'"answered_elsewhere":{spelling}', "")):
        values = _column(body, "answered_elsewhere")
        assert values[-2 if len(values) == 3 else 0] == (False if expected is None else expected)
        assert set(values) <= {True, False}  # missing → the default false, never NULL
    # bridged has no static default: a missing value derives from duration (0 here)
    assert _column(_ndjson(f'"bridged":{spelling}'), "bridged") == [
        False if expected is None else expected]


@pytest.mark.parametrize(
    "cells, expected",
    [(["true", "", "0", "1", "FALSE"], [True, True, False, True, False])],
)
def test_csv_booleans_with_empty_cells(cells: list[str], expected: list[bool]) -> None:
    body = b"id,time_start,duration,is_last_cdr\n" + b"".join(
        b"%d,1,0,%s\n" % (i, c.encode()) for i, c in enumerate(cells, 1))
    assert _column(body, "is_last_cdr", Format.CSV) == expected  # empty: default true


@pytest.mark.parametrize(
    "values, expected",
    [
        ([1, None, 0], [True, False, False]),  # int column with a null
        ([True, None, False], [True, False, False]),
        (["true", None, "0"], [True, False, False]),
    ],
)
def test_mixed_nulls_in_typed_boolean_columns(values: list[object], expected: list[bool]
                                              ) -> None:
    out = io.BytesIO()
    pq.write_table(pa.table({"id": [1, 2, 3], "time_start": [1, 2, 3], "duration": [0, 0, 0],
                             "is_redirected": values}), out)
    assert _column(out.getvalue(), "is_redirected", Format.PARQUET) == expected


@pytest.mark.parametrize(
    "spelling", ["2", "-1", "0.5", '"yes"', '"t"', '"no"', '" 1"', "[true]", '{"v":1}']
)
def test_bad_booleans(spelling: str) -> None:
    body = _ndjson('"is_redirected":true', f'"is_redirected":{spelling}')
    assert _errors(body) == [(2, "is_redirected")]


@pytest.mark.parametrize("spelling", ["1.5", "1.0", "true"])
def test_a_json_boolean_or_fraction_is_not_a_number(spelling: str) -> None:
    expected = [] if spelling == "1.0" else [(2, "customer_duration")]
    body = _ndjson('"customer_duration":2.0', f'"customer_duration":{spelling}')
    if expected:
        assert _errors(body) == expected
    else:
        assert _column(body, "customer_duration") == [2, 1]
    # a boolean among float values is no float either
    assert _errors(_ndjson('"pdd":1.5', '"pdd":true')) == [(2, "pdd")]
    assert _errors(_ndjson('"customer_price":1.5', '"customer_price":true')) == [
        (2, "customer_price")]


@pytest.mark.parametrize(
    "spelling, expected",
    [("42", 42), ('"42"', 42), ("-7", -7), ("42.0", 42), ('"42.0"', 42), ("4.2e1", 42),
     ('"1e3"', 1000), ("9223372036854775807", 2**63 - 1), ("-9223372036854775808", -2**63),
     ('"-9223372036854775808.000"', -2**63)],
)
def test_integer_spellings(spelling: str, expected: int) -> None:
    assert _column(_ndjson(f'"customer_acc_id":{spelling}'), "customer_acc_id") == [expected]


@pytest.mark.parametrize(
    "spelling",
    ["9223372036854775808", "18446744073709551615", "123456789012345678901234",
     "-9223372036854775809", "1e19", "1e400", '"4 2"', '"0x2A"', '"4.5"', "4.5", "true",
     '"abc"', '"1e99999999"'],
)
def test_bad_integers(spelling: str) -> None:
    body = _ndjson('"customer_acc_id":1', f'"customer_acc_id":{spelling}')
    assert _errors(body) == [(2, "customer_acc_id")]


def test_numbers_sent_for_string_columns_keep_their_digits() -> None:
    body = _ndjson('"dst_prefix_in":4930123,"src_prefix_in":"380","local_tag":""')
    [row] = parse_cdrs(body, Format.NDJSON, LIMIT).to_pylist()
    assert (row["dst_prefix_in"], row["src_prefix_in"], row["local_tag"]) == (
        "4930123", "380", None)


@pytest.mark.parametrize("column", ["lega_disconnect_code", "legb_disconnect_code",
                                    "internal_disconnect_code"])
@pytest.mark.parametrize("spelling, expected",
                         [("0", None), ('"0"', None), ("null", None), ("486", 486)])
def test_disconnect_code_zero_means_unset(column: str, spelling: str, expected: int | None
                                          ) -> None:
    assert _column(_ndjson(f'"{column}":{spelling}'), column) == [expected]
    body = f"id,time_start,duration,{column}\n1,1,0,{spelling.strip(chr(34))}\n"
    if spelling != "null":
        assert _column(body.encode(), column, Format.CSV) == [expected]


def test_other_zero_integers_stay_zero() -> None:
    row = parse_cdrs(_ndjson('"customer_id":0,"customer_duration":0,"extension_id":0'),
                     Format.NDJSON, LIMIT).to_pylist()[0]
    assert (row["customer_id"], row["customer_duration"], row["extension_id"]) == (0, 0, 0)


@pytest.mark.parametrize(
    "extra, duration, bridged, bridged_duration",
    [
        ("", 0, False, 0),
        ("", 30, True, 30),
        ('"bridged":false', 30, False, 0),
        ('"bridged":true', 0, True, 0),  # counted as given (SPEC 8)
        ('"bridged":true,"bridged_duration":12', 30, True, 12),
        ('"bridged_duration":12', 30, True, 12),
        ('"bridged":null,"bridged_duration":null', 30, True, 30),
    ],
)
def test_bridged_defaults(extra: str, duration: int, bridged: bool, bridged_duration: int
                          ) -> None:
    [row] = parse_cdrs(_ndjson(extra, duration=duration), Format.NDJSON, LIMIT).to_pylist()
    assert (row["bridged"], row["bridged_duration"]) == (bridged, bridged_duration)


def test_static_defaults() -> None:
    [row] = parse_cdrs(_ndjson(""), Format.NDJSON, LIMIT).to_pylist()
    assert row["is_last_cdr"] is True and row["is_redirected"] is False
    assert row["answered_elsewhere"] is False
    assert str(row["customer_price"]) == str(row["vendor_price"]) == "0.000000"
    unset = [k for k, v in row.items() if v is None]
    assert set(unset) == {
        "time_connect", "time_end", "customer_id", "customer_acc_id", "vendor_id",
        "vendor_acc_id", "local_tag", "src_country_id", "dst_country_id", "src_prefix_in",
        "dst_prefix_in", "src_prefix_routing", "dst_prefix_routing", "src_name_in",
        "auth_orig_ip", "customer_duration", "vendor_duration", "lega_disconnect_code",
        "legb_disconnect_code", "internal_disconnect_code", "extension_id", "pdd",
        *(c.name for c in YETI_CDR_COLUMNS if c.name != "success"),
    }
    assert row["success"] is False  # duration 0: not answered


@pytest.mark.parametrize(
    "line, fields",
    [
        (b'{"time_start":1,"duration":0}', ["id"]),
        (b'{"id":2,"duration":0}', ["time_start"]),
        (b'{"id":2,"time_start":1}', ["duration"]),
        (b'{"id":null,"time_start":"","duration":null}', ["id", "time_start", "duration"]),
        (b"{}", ["id", "time_start", "duration"]),
        (b'{"id":2,"time_start":1,"duration":-1}', ["duration"]),
        (b'{"id":2,"time_start":1,"duration":5,"bridged_duration":-5}', ["bridged_duration"]),
    ],
)
def test_required_and_non_negative(line: bytes, fields: list[str]) -> None:
    body = b'{"id":1,"time_start":1,"duration":0}\n' + line + b"\n"
    assert _errors(body) == [(2, f) for f in fields]


def test_csv_rows_count_from_one_after_the_header() -> None:
    body = b"id,time_start,duration,vendor_id\n1,1,0,1\n2,1,0,2\n3,,0,3\n4,1,-4,4\n5,1,5,x\n"
    assert _errors(body, Format.CSV) == [(3, "time_start"), (4, "duration"), (5, "vendor_id")]


@pytest.mark.parametrize(
    "extra, column, expected",
    [
        ('"customer_id":7', "customer_id", 7),
        ('"is_redirected":true', "is_redirected", True),
        ('"answered_elsewhere":1', "answered_elsewhere", True),
        ('"pdd":0.25', "pdd", Decimal("0.25")),
        ('"success":false', "success", False),
        ('"destination_fee":"0.0000000005"', "destination_fee", Decimal("5E-10")),
        ('"local_tag":"abc"', "local_tag", "abc"),
        ('"customer_price":"0.5"', "customer_price", Decimal("0.5")),
        ('"customer_price":0.5', "customer_price", Decimal("0.5")),
        ('"time_end":"2024-03-01 10:00:03"', "time_end",
         datetime(2024, 3, 1, 10, 0, 3, tzinfo=UTC)),
        ('"bridged":false', "bridged", False),
    ],
)
def test_keys_absent_from_the_first_record_are_still_read(extra: str, column: str,
                                                          expected: object) -> None:
    values = _column(_ndjson("", extra, "", duration=3), column)
    assert values[1] == expected
    assert values[0] == values[2] != expected


@pytest.mark.parametrize("extra", ['"duration":-1', '"bridged_duration":-1', '"id":"x"',
                                   '"is_redirected":"maybe"', '"customer_id":1.5'])
def test_a_bad_value_after_the_first_record_is_found(extra: str) -> None:
    assert _errors(_ndjson("", "", extra))[0][0] == 3


@pytest.mark.parametrize(
    "body, row",
    [
        (b"id,time_start,duration\n1,1,0\n2,1\n", 2),
        (b"id,time_start,duration\n1,1,0\n2,1,0\n3,1,0,9\n", 3),
        (b'id,time_start,duration\n1,1,0\n2,"1,0\n', 2),
    ],
    ids=["short-row", "long-row", "open-quote"],
)
def test_malformed_csv_rows_are_named(body: bytes, row: int) -> None:
    with pytest.raises(BatchRejected) as caught:
        parse_cdrs(body, Format.CSV, LIMIT)
    [error] = caught.value.errors
    assert error.row == row and ("fields" in error.message or "quote" in error.message)


@pytest.mark.parametrize(
    "body",
    [b"foo,bar\n1,2\n", b"1,2024-03-01 10:00:00,0\n", b"\x00\x01binary"],
    ids=["unknown-header", "no-header", "binary"],
)
def test_csv_without_a_known_header(body: bytes) -> None:
    with pytest.raises(BatchRejected) as caught:
        parse_cdrs(body, Format.CSV, LIMIT)
    assert (caught.value.errors[0].row, caught.value.errors[0].field) == (None, None)


@pytest.mark.parametrize(
    "lines, expected",
    [
        ([b'{"id":1,"time_start":1,"duration":0}', b"[1]", b'"x"', b"null", b"{bad"],
         [(2, "expected a JSON object"), (3, "expected a JSON object"),
          (4, "expected a JSON object"), (5, "invalid JSON")]),
        ([b'{"id":1,"time_start":1,"duration":0}',
          b'{"id":2,"time_start":1,"duration":0}, {"id":3,"time_start":1,"duration":0}'],
         [(2, "invalid JSON")]),  # two objects on one line are no NDJSON line
        ([b'{"id":1,"time_start":1,"duration":0', b'"id":2}'],
         [(1, "invalid JSON"), (2, "invalid JSON")]),  # a pretty-printed object
        ([b'[{"id":1,"time_start":1,"duration":0}]'], [(1, "expected a JSON object")]),
    ],
    ids=["non-objects", "two-per-line", "split-object", "array"],
)
def test_ndjson_lines_that_are_not_objects(lines: list[bytes],
                                           expected: list[tuple[int, str]]) -> None:
    for separator in (b"\n", b"\r\n", b"\n\n"):
        with pytest.raises(BatchRejected) as caught:
            parse_cdrs(separator.join(lines) + b"\n", Format.NDJSON, LIMIT)
        errors = caught.value.errors
        assert [(e.row, e.message[: len(m)]) for e, (_, m) in zip(errors, expected,
                                                                  strict=True)] == expected


def test_nested_values_name_only_their_rows() -> None:
    body = _ndjson('"vendor_id":1', '"vendor_id":[1]', '"vendor_id":2', '"vendor_id":{"a":1}')
    assert _errors(body) == [(2, "vendor_id"), (4, "vendor_id")]


def test_error_list_is_capped_and_sorted_by_row() -> None:
    n = 3 * MAX_ERRORS
    # every row: a bad duration and a bad customer price; every 7th also lacks an id
    body = b"".join(
        b'{%s"time_start":1,"duration":-1,"customer_price":"x"}\n'
        % (b"" if i % 7 == 0 else b'"id":%d,' % i)
        for i in range(1, n + 1)
    )
    with pytest.raises(BatchRejected) as caught:
        parse_cdrs(body, Format.NDJSON, LIMIT)
    errors = caught.value.errors
    assert len(errors) == MAX_ERRORS == 100
    rows = [e.row for e in errors]
    assert rows == sorted(rows) and rows[0] == 1
    assert {e.field for e in errors} == {"id", "duration", "customer_price"}
    assert max(rows) < 50  # the first rows are the ones reported
    assert [e.as_dict() for e in errors][:2] == [
        {"row": 1, "field": "duration", "message": "must not be negative"},
        {"row": 1, "field": "customer_price", "message": errors[1].message},
    ]


def test_errors_from_many_columns_are_all_reported_up_to_the_cap() -> None:
    body = b"id,time_start,duration,customer_id,is_redirected\n" + b"".join(
        b"%d,1,0,%s,%s\n" % (i, b"x" if i == 150 else b"1", b"maybe" if i == 3 else b"1")
        for i in range(1, 201)
    )
    assert _errors(body, Format.CSV) == [(3, "is_redirected"), (150, "customer_id")]


def test_a_bad_value_rejects_the_whole_batch_whatever_the_format() -> None:
    table = pa.table({"id": [1, 2], "time_start": [1, 2], "duration": [0, -1]})
    out = io.BytesIO()
    pq.write_table(table, out)
    assert _errors(out.getvalue(), Format.PARQUET) == [(2, "duration")]


@pytest.mark.parametrize("body", [b"PAR1 not really", b"", b"\x00" * 64])
def test_unreadable_parquet(body: bytes) -> None:
    if not body:
        return  # an empty body is an empty batch in every format
    with pytest.raises(BatchRejected) as caught:
        parse_cdrs(body, Format.PARQUET, LIMIT)
    assert "Parquet" in caught.value.errors[0].message


@pytest.mark.parametrize("spelling, expected", [("4930123", "4930123"), ('"0049"', "0049"),
                                                ("-1", "-1"), ("null", None)])
@pytest.mark.parametrize("position", [1, 2, 3])
def test_a_string_column_reads_the_same_wherever_a_value_stands(
    spelling: str, expected: str | None, position: int
) -> None:
    """The reading of a value must not depend on what the rows before it hold."""
    extras = ['"dst_prefix_in":"380"', '"dst_prefix_in":381', '"dst_prefix_in":"382"']
    extras[position - 1] = f'"dst_prefix_in":{spelling}'
    values = _column(_ndjson(*extras), "dst_prefix_in")
    assert values[position - 1] == expected
    assert values == [expected if i == position - 1 else v
                      for i, v in enumerate(["380", "381", "382"])]


# --- columns with no value in any row ------------------------------------------------------

NULL_RAW_TYPES = [pa.null(), pa.int64(), pa.int8(), pa.float64(), pa.bool_(), pa.string(),
                  pa.large_string(), pa.binary(), pa.decimal128(38, 9), pa.timestamp("us"),
                  pa.timestamp("ns", "UTC"), pa.date32(), pa.dictionary(pa.int32(), pa.string())]


@pytest.mark.parametrize("raw_type", NULL_RAW_TYPES, ids=str)
@pytest.mark.parametrize("rows", [1, 3, MAX_ERRORS + 5])
def test_an_all_null_column_converts_as_the_general_path_would(raw_type: pa.DataType,
                                                               rows: int) -> None:
    from callstats.columns import CDR_COLUMNS, SNAPSHOT_CALL_COLUMNS
    from callstats.ingest.convert import _convert_column, _convert_values

    for column in (*CDR_COLUMNS, *SNAPSHOT_CALL_COLUMNS, *YETI_CDR_COLUMNS):
        values = pa.nulls(rows, raw_type)
        fast, fast_errors = _convert_column(column, values, 100)
        slow, slow_errors = _convert_values(column, values, 100)
        assert fast.type == slow.type and fast.equals(slow), column.name
        assert fast_errors == slow_errors, column.name
