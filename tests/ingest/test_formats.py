"""Every CDR column kind (SPEC 3.1) through each body format, plain and gzip-encoded."""

from __future__ import annotations

import gzip
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from callstats.columns import CDR_COLUMNS, YETI_CDR_COLUMNS
from callstats.ingest.batches import BatchRejected, Format, parse_cdrs

LIMIT = 1 << 20

# One CDR with every column set (none to its default), as the parsed table must hold it.
EXPECTED = {
    "id": 1001,
    "time_start": datetime(2024, 3, 1, 10, 0, 0, 123456, tzinfo=UTC),
    "time_connect": datetime(2024, 3, 1, 10, 0, 5, tzinfo=UTC),
    "time_end": datetime(2024, 3, 1, 10, 1, 5, tzinfo=UTC),
    "duration": 60,
    "customer_id": 11,
    "customer_acc_id": 12,
    "vendor_id": 21,
    "vendor_acc_id": 22,
    "is_last_cdr": False,
    "local_tag": "a1b2-c3d4",
    "src_country_id": 222,
    "dst_country_id": 333,
    "src_prefix_in": "380441234567",
    "dst_prefix_in": "4930123456",
    "src_prefix_routing": "380441234567",
    "dst_prefix_routing": "4930123456",
    "src_name_in": "Alice, \"the\" caller",
    "auth_orig_ip": "192.0.2.10",
    "customer_price": Decimal("1.234567"),
    "vendor_price": Decimal("0.1"),
    "customer_duration": 60,
    "vendor_duration": 61,
    "lega_disconnect_code": 200,
    "legb_disconnect_code": 487,
    "internal_disconnect_code": 503,
    "is_redirected": True,
    "extension_id": 7,
    "bridged": False,  # not the default (duration > 0 would make it true)
    "bridged_duration": 5,
    "answered_elsewhere": True,
    "pdd": Decimal("1.25"),
    # yeti's CDR fields (SPEC 3.1's later rows)
    "success": False,  # not the default (duration > 0 would make it true)
    "destination_prefix": "4930",
    "dialpeer_prefix": "49",
    "lega_disconnect_reason": "OK",
    "legb_disconnect_reason": "Request Terminated",
    "src_name_out": "Alice",
    "src_prefix_out": "380441234567",
    "dst_prefix_out": "4930123456",
    "diversion_in": "sip:bob@example.com",
    "diversion_out": "sip:carol@example.com",
    "from_domain": "a.example",
    "to_domain": "b.example",
    "ruri_domain": "c.example",
    "orig_call_id": "orig-1@a",
    "term_call_id": "term-1@b",
    "lega_user_agent": "Linphone/5.2",
    "legb_user_agent": "Asterisk 20",
    "sign_term_ip": "203.0.113.7",
    "destination_initial_interval": 60,
    "destination_next_interval": 30,
    "dialpeer_initial_interval": 1,
    "dialpeer_next_interval": 6,
    "auth_orig_transport_protocol_id": 1,
    "auth_orig_port": 5060,
    "sign_term_port": 5061,
    "sign_term_transport_protocol_id": 2,
    "destination_initial_rate": Decimal("0.0123456789"),
    "destination_next_rate": Decimal("0.01"),
    "destination_fee": Decimal("0.5"),
    "dialpeer_initial_rate": Decimal("123456789012345678.0123456789"),  # 28 digits
    "dialpeer_next_rate": Decimal("0.0000000001"),
    "dialpeer_fee": Decimal("0"),
}

NDJSON = (
    b'{"id":1001,"time_start":"2024-03-01T10:00:00.123456Z",'
    b'"time_connect":"2024-03-01 12:00:05+02:00","time_end":1709287265,"duration":60,'
    b'"customer_id":11,"customer_acc_id":12,"vendor_id":21,"vendor_acc_id":22,'
    b'"is_last_cdr":false,"local_tag":"a1b2-c3d4","src_country_id":222,"dst_country_id":333,'
    b'"src_prefix_in":"380441234567","dst_prefix_in":"4930123456",'
    b'"src_prefix_routing":"380441234567","dst_prefix_routing":"4930123456",'
    b'"src_name_in":"Alice, \\"the\\" caller","auth_orig_ip":"192.0.2.10",'
    b'"customer_price":1.234567,"vendor_price":0.1,"customer_duration":60,'
    b'"vendor_duration":61,"lega_disconnect_code":200,"legb_disconnect_code":487,'
    b'"internal_disconnect_code":503,"is_redirected":true,"extension_id":7,"bridged":false,'
    b'"bridged_duration":5,"answered_elsewhere":true,"pdd":1.25,"success":false,'
    b'"destination_prefix":"4930","dialpeer_prefix":"49","lega_disconnect_reason":"OK",'
    b'"legb_disconnect_reason":"Request Terminated","src_name_out":"Alice",'
    b'"src_prefix_out":"380441234567","dst_prefix_out":"4930123456",'
    b'"diversion_in":"sip:bob@example.com","diversion_out":"sip:carol@example.com",'
    b'"from_domain":"a.example","to_domain":"b.example","ruri_domain":"c.example",'
    b'"orig_call_id":"orig-1@a","term_call_id":"term-1@b","lega_user_agent":"Linphone/5.2",'
    b'"legb_user_agent":"Asterisk 20","sign_term_ip":"203.0.113.7",'
    b'"destination_initial_interval":60,"destination_next_interval":30,'
    b'"dialpeer_initial_interval":1,"dialpeer_next_interval":6,'
    b'"auth_orig_transport_protocol_id":1,"auth_orig_port":5060,"sign_term_port":5061,'
    b'"sign_term_transport_protocol_id":2,"destination_initial_rate":0.0123456789,'
    b'"destination_next_rate":"0.01","destination_fee":0.5,'
    b'"dialpeer_initial_rate":123456789012345678.0123456789,"dialpeer_next_rate":1e-10,'
    b'"dialpeer_fee":0}\n'
)

CSV = (
    b"id,time_start,time_connect,time_end,duration,customer_id,customer_acc_id,vendor_id,"
    b"vendor_acc_id,is_last_cdr,local_tag,src_country_id,dst_country_id,src_prefix_in,"
    b"dst_prefix_in,src_prefix_routing,dst_prefix_routing,src_name_in,auth_orig_ip,"
    b"customer_price,vendor_price,customer_duration,vendor_duration,lega_disconnect_code,"
    b"legb_disconnect_code,internal_disconnect_code,is_redirected,extension_id,bridged,"
    b"bridged_duration,answered_elsewhere,pdd,success,destination_prefix,dialpeer_prefix,"
    b"lega_disconnect_reason,legb_disconnect_reason,src_name_out,src_prefix_out,"
    b"dst_prefix_out,diversion_in,diversion_out,from_domain,to_domain,ruri_domain,"
    b"orig_call_id,term_call_id,lega_user_agent,legb_user_agent,sign_term_ip,"
    b"destination_initial_interval,destination_next_interval,dialpeer_initial_interval,"
    b"dialpeer_next_interval,auth_orig_transport_protocol_id,auth_orig_port,sign_term_port,"
    b"sign_term_transport_protocol_id,destination_initial_rate,destination_next_rate,"
    b"destination_fee,dialpeer_initial_rate,dialpeer_next_rate,dialpeer_fee\n"
    b"1001,2024-03-01 10:00:00.123456,2024-03-01T10:00:05Z,1709287265,60,11,12,21,22,0,"
    b"a1b2-c3d4,222,333,380441234567,4930123456,380441234567,4930123456,"
    b'"Alice, ""the"" caller",192.0.2.10,1.234567,0.1,60,61,200,487,503,true,7,false,5,1,'
    b"1.250,0,4930,49,OK,Request Terminated,Alice,380441234567,4930123456,"
    b"sip:bob@example.com,sip:carol@example.com,a.example,b.example,c.example,orig-1@a,"
    b"term-1@b,Linphone/5.2,Asterisk 20,203.0.113.7,60,30,1,6,1,5060,5061,2,0.0123456789,"
    b"0.01,.5,123456789012345678.0123456789,1E-10,0.0\n"
)


def _parquet(table: pa.Table) -> bytes:
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def _typed_parquet() -> bytes:
    """Typed columns of several widths, timestamps with and without a zone."""
    berlin = ZoneInfo("Europe/Berlin")
    ints = {"customer_id": pa.int32(), "customer_acc_id": pa.int16(), "vendor_id": pa.uint32(),
            "extension_id": pa.int8()}
    columns = {}
    for name, value in EXPECTED.items():
        if isinstance(value, bool):
            columns[name] = pa.array([value], pa.bool_())
        elif isinstance(value, int):
            columns[name] = pa.array([value], ints.get(name, pa.int64()))
        elif isinstance(value, Decimal):
            columns[name] = pa.array([value], pa.decimal128(28, 10) if "rate" in name
                                     or "fee" in name else pa.decimal128(12, 6))
        elif isinstance(value, float):
            columns[name] = pa.array([value], pa.float64())
        elif isinstance(value, str):
            columns[name] = pa.array([value], pa.string())
    columns["time_start"] = pa.array([EXPECTED["time_start"]], pa.timestamp("us", "UTC"))
    columns["time_connect"] = pa.array(
        [EXPECTED["time_connect"].astimezone(berlin)], pa.timestamp("ms", "Europe/Berlin")
    )
    columns["time_end"] = pa.array([EXPECTED["time_end"].replace(tzinfo=None)],
                                   pa.timestamp("us"))  # naive: read as UTC
    return _parquet(pa.table(columns))


BODIES = {Format.NDJSON: NDJSON, Format.CSV: CSV, Format.PARQUET: _typed_parquet()}


@pytest.mark.parametrize("gzipped", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("fmt", list(BODIES), ids=lambda f: f.value)
def test_every_column_kind_reads_the_same_from_each_format(fmt: Format, gzipped: bool) -> None:
    body = BODIES[fmt]
    if gzipped:
        body = gzip.compress(body)
    table = parse_cdrs(body, fmt, LIMIT)
    assert table.column_names == [c.name for c in CDR_COLUMNS]
    assert table.to_pylist() == [EXPECTED]


@pytest.mark.parametrize(
    "fmt, body",
    [
        (Format.NDJSON, b'{"id":1,"time_start":"2024-03-01 10:00:00","duration":0}\n'),
        (Format.CSV, b"id,time_start,duration\n1,2024-03-01 10:00:00,0\n"),
        (Format.CSV, b"id,time_start,duration,customer_price,local_tag,is_last_cdr,bridged\n"
                     b"1,2024-03-01 10:00:00,0,,,,\n"),  # empty cells are missing values
        (Format.PARQUET, _parquet(pa.table({
            "id": [1], "time_start": pa.array([datetime(2024, 3, 1, 10)], pa.timestamp("s")),
            "duration": [0], "customer_price": pa.array([None], pa.decimal128(5, 2)),
            "is_last_cdr": pa.array([None], pa.bool_())}))),
    ],
    ids=["ndjson", "csv", "csv-empty-cells", "parquet-nulls"],
)
def test_missing_values_take_defaults_in_each_format(fmt: Format, body: bytes) -> None:
    [row] = parse_cdrs(body, fmt, LIMIT).to_pylist()
    assert row["customer_price"] == row["vendor_price"] == Decimal(0)
    assert row["is_last_cdr"] is True
    assert row["is_redirected"] is False and row["answered_elsewhere"] is False
    assert row["bridged"] is False and row["bridged_duration"] == 0
    assert row["local_tag"] is None and row["pdd"] is None and row["time_end"] is None


def _one_row(column: str, values: pa.Array) -> bytes:
    table = {"id": pa.array([1], pa.int64()),
             "time_start": pa.array([datetime(2024, 1, 1, tzinfo=UTC)], pa.timestamp("us", "UTC")),
             "duration": pa.array([0], pa.int64())}
    table[column] = values
    return _parquet(pa.table(table))


BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    "column, values, expected",
    [
        ("id", pa.array([7], pa.int32()), 7),
        ("id", pa.array([7], pa.uint64()), 7),
        ("id", pa.array([7.0], pa.float64()), 7),
        ("duration", pa.array([30], pa.int16()), 30),
        ("time_start", pa.array([datetime(2024, 3, 1, 10, 0, 0, 5)], pa.timestamp("us")),
         datetime(2024, 3, 1, 10, 0, 0, 5, tzinfo=UTC)),
        ("time_start", pa.array([datetime(2024, 7, 1, 12, tzinfo=BERLIN)],
                                pa.timestamp("us", "Europe/Berlin")),
         datetime(2024, 7, 1, 10, tzinfo=UTC)),
        ("time_start", pa.array([1709287200_123456789], pa.timestamp("ns", "UTC")),
         datetime(2024, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)),  # nanoseconds truncated
        ("time_start", pa.array([1709287200_123456789], pa.timestamp("ns")),
         datetime(2024, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)),
        ("time_start", pa.array([1709287200_123], pa.timestamp("ms", "+02:00")),
         datetime(2024, 3, 1, 10, 0, 0, 123000, tzinfo=UTC)),
        ("time_start", pa.array([date(2024, 2, 29)], pa.date32()),
         datetime(2024, 2, 29, tzinfo=UTC)),
        ("time_start", pa.array(["2024-03-01T12:00:00+02:00"]),
         datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("time_start", pa.array([1709287200], pa.int64()), datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("time_start", pa.array([1709287200.5]),
         datetime(2024, 3, 1, 10, 0, 0, 500000, tzinfo=UTC)),
        ("customer_price", pa.array([Decimal("1.5")], pa.decimal128(5, 1)), Decimal("1.5")),
        ("customer_price", pa.array([Decimal("123456789012.123456")], pa.decimal128(38, 10)),
         Decimal("123456789012.123456")),
        ("customer_price", pa.array([Decimal("-2.100000000")], pa.decimal256(40, 9)),
         Decimal("-2.1")),
        ("customer_price", pa.array([0.1], pa.float64()), Decimal("0.1")),
        ("customer_price", pa.array([0.1], pa.float32()), Decimal("0.1")),
        ("customer_price", pa.array([3], pa.int64()), Decimal(3)),
        ("customer_price", pa.array([3], pa.uint8()), Decimal(3)),
        ("customer_price", pa.array(["0.000001"]), Decimal("0.000001")),
        ("customer_price", pa.array(["0.25"], pa.large_string()), Decimal("0.25")),
        ("customer_price", pa.array(["0.25"]).dictionary_encode(), Decimal("0.25")),
        ("is_last_cdr", pa.array([False]), False),
        ("is_last_cdr", pa.array([0], pa.int8()), False),
        ("is_redirected", pa.array(["TRUE"]), True),
        ("pdd", pa.array([1.5], pa.float32()), Decimal("1.5")),
        ("pdd", pa.array([0.1], pa.float64()), Decimal("0.1")),
        ("pdd", pa.array([Decimal("2.25")], pa.decimal128(4, 2)), Decimal("2.25")),
        ("pdd", pa.array([3], pa.int32()), Decimal(3)),
        ("destination_fee", pa.array([Decimal("0.1234567891")], pa.decimal128(38, 12)),
         Decimal("0.1234567891")),
        ("dialpeer_next_rate", pa.array([0.0005], pa.float64()), Decimal("0.0005")),
        ("local_tag", pa.array(["x"], pa.large_string()), "x"),
        ("local_tag", pa.array(["x", ], pa.string()).dictionary_encode(), "x"),
        ("dst_prefix_in", pa.array([4930], pa.int64()), "4930"),
    ],
    ids=lambda v: str(v.type) if isinstance(v, pa.Array) else None,
)
def test_parquet_column_types(column: str, values: pa.Array, expected: object) -> None:
    [row] = parse_cdrs(_one_row(column, values), Format.PARQUET, LIMIT).to_pylist()
    assert row[column] == expected
    assert type(row[column]) is type(expected)


# A row of yeti's ClickHouse CDR feed: many columns callstats does not know, booleans as 0/1,
# a `date_start` column, ClickHouse's timestamp spelling and decimals as strings.
YETI_ROW = (
    b'{"id":987654321,"customer_id":11,"vendor_id":21,"customer_acc_id":12,'
    b'"vendor_acc_id":22,"customer_auth_id":5,"destination_id":300,'
    b'"destination_prefix":"4930","dialpeer_id":400,"dialpeer_prefix":"49",'
    b'"orig_gw_id":1,"term_gw_id":2,"routing_group_id":3,"rateplan_id":4,'
    b'"destination_next_rate":"0.0123","destination_fee":"0.0","dialpeer_next_rate":"0.01",'
    b'"dialpeer_fee":"0.0","time_limit":7200,"internal_disconnect_code":0,'
    b'"internal_disconnect_reason":"","disconnect_initiator_id":2,'
    b'"customer_price":"0.0246","vendor_price":"0.02","duration":120,"success":1,'
    b'"profit":"0.0046","dst_prefix_in":"4930123456","dst_prefix_out":"4930123456",'
    b'"src_prefix_in":"380441234567","src_prefix_out":"380441234567",'
    b'"time_start":"2024-03-01 10:00:00","time_connect":"2024-03-01 10:00:04",'
    b'"time_end":"2024-03-01 10:02:04","sign_orig_ip":"192.0.2.10","sign_orig_port":5060,'
    b'"sign_orig_local_ip":"198.51.100.1","sign_orig_local_port":5060,'
    b'"sign_term_ip":"203.0.113.7","sign_term_port":5060,"local_tag":"7a6b-11ee",'
    b'"customer_duration":120,"vendor_duration":120,"is_last_cdr":1,'
    b'"dst_country_id":80,"dst_network_id":900,"src_country_id":220,"src_network_id":901,'
    b'"lega_disconnect_code":200,"lega_disconnect_reason":"OK","legb_disconnect_code":0,'
    b'"legb_disconnect_reason":"","node_id":1,"pop_id":2,"routing_attempt":1,'
    b'"is_redirected":0,"auth_orig_ip":"192.0.2.10","auth_orig_port":5060,'
    b'"src_name_in":"Alice","src_name_out":"Alice","diversion_in":null,'
    b'"lega_user_agent":"Linphone/5","legb_user_agent":"","uuid":"4c9f-aa",'
    b'"pdd":0.85,"rtt":0.01,"early_media_present":0,"audio_recorded":0,'
    b'"local_tag_note":"x\\"customer_price\\":1.5","lega_headers":{"X-A":["1",2]},'
    b'"date_start":"2024-03-01"}\n'
)


def test_a_yeti_cdr_row_ingests_unchanged() -> None:
    [row] = parse_cdrs(YETI_ROW, Format.NDJSON, LIMIT).to_pylist()
    assert row == {
        "id": 987654321,
        "time_start": datetime(2024, 3, 1, 10, 0, tzinfo=UTC),
        "time_connect": datetime(2024, 3, 1, 10, 0, 4, tzinfo=UTC),
        "time_end": datetime(2024, 3, 1, 10, 2, 4, tzinfo=UTC),
        "duration": 120, "customer_id": 11, "customer_acc_id": 12, "vendor_id": 21,
        "vendor_acc_id": 22, "is_last_cdr": True, "local_tag": "7a6b-11ee",
        "src_country_id": 220, "dst_country_id": 80, "src_prefix_in": "380441234567",
        "dst_prefix_in": "4930123456", "src_prefix_routing": None, "dst_prefix_routing": None,
        "src_name_in": "Alice", "auth_orig_ip": "192.0.2.10",
        "customer_price": Decimal("0.0246"), "vendor_price": Decimal("0.02"),
        "customer_duration": 120, "vendor_duration": 120,
        "lega_disconnect_code": 200, "legb_disconnect_code": None,
        "internal_disconnect_code": None, "is_redirected": False, "extension_id": None,
        "bridged": True, "bridged_duration": 120, "answered_elsewhere": False,
        "pdd": Decimal("0.85"),
        # yeti's CDR fields it keeps now; "" is missing, as everywhere
        **dict.fromkeys((c.name for c in YETI_CDR_COLUMNS), None),
        "success": True, "destination_prefix": "4930", "dialpeer_prefix": "49",
        "destination_next_rate": Decimal("0.0123"), "destination_fee": Decimal(0),
        "dialpeer_next_rate": Decimal("0.01"), "dialpeer_fee": Decimal(0),
        "dst_prefix_out": "4930123456", "src_prefix_out": "380441234567",
        "sign_term_ip": "203.0.113.7", "sign_term_port": 5060, "lega_disconnect_reason": "OK",
        "auth_orig_port": 5060, "src_name_out": "Alice", "lega_user_agent": "Linphone/5",
    }


def test_a_yeti_row_as_csv_with_extra_columns() -> None:
    header = b"date_start,id,node_id,time_start,duration,success,is_last_cdr,customer_price,pop_id"
    body = header + b"\n2024-03-01,5,1,2024-03-01 10:00:00,3,1,0,0.5,2\n"
    [row] = parse_cdrs(body, Format.CSV, LIMIT).to_pylist()
    assert (row["id"], row["duration"], row["is_last_cdr"], row["customer_price"]) == (
        5, 3, False, Decimal("0.5"))


@pytest.mark.parametrize("fmt", list(Format), ids=lambda f: f.value)
def test_rows_keep_their_input_order(fmt: Format) -> None:
    ids = [5, 3, 9, 1, 7]
    table = pa.table({"id": ids, "time_start": [1] * 5, "duration": [0] * 5})
    if fmt is Format.PARQUET:
        body = _parquet(table)
    elif fmt is Format.CSV:
        body = b"id,time_start,duration\n" + b"".join(b"%d,1,0\n" % i for i in ids)
    else:
        body = b"".join(b'{"id":%d,"time_start":1,"duration":0}\n' % i for i in ids)
    assert parse_cdrs(body, fmt, LIMIT).column("id").to_pylist() == ids


@pytest.mark.parametrize(
    "body",
    [
        b"\xef\xbb\xbfid,time_start,duration\n1,2024-03-01 10:00:00,0\n",  # Excel's BOM
        b"id,time_start,duration\r\n1,2024-03-01 10:00:00,0\r\n",  # CRLF
        b'"id","time_start","duration"\n"1","2024-03-01 10:00:00","0"\n',  # all quoted
        b"id,time_start,duration\n1,2024-03-01 10:00:00,0",  # no final newline
    ],
    ids=["bom", "crlf", "quoted", "no-final-newline"],
)
def test_csv_dialects(body: bytes) -> None:
    [row] = parse_cdrs(body, Format.CSV, LIMIT).to_pylist()
    assert (row["id"], row["time_start"], row["duration"]) == (
        1, datetime(2024, 3, 1, 10, tzinfo=UTC), 0)


@pytest.mark.parametrize(
    "body",
    [
        b'{"id":1,"time_start":1,"duration":0}\r\n{"id":2,"time_start":1,"duration":0}\r\n',
        b'\n{"id":1,"time_start":1,"duration":0}\n\n\n{"id":2,"time_start":1,"duration":0}\n\n',
        b'{"id":1,"time_start":1,"duration":0}\n  \t \n{"id":2,"time_start":1,"duration":0}',
        b'  {"id":1, "time_start":1, "duration":0}  \n{"id":2,"time_start":1,"duration":0}',
        # types changing between rows (the row-by-row reader's case), with odd lines too
        b'{"id":"1","time_start":1,"duration":0}\n \t\n{"id":2,"time_start":"1","duration":0}',
        b'{"id":"1","time_start":1,"duration":0}\r\n\r\n{"id":2,"time_start":"1","duration":0}',
    ],
    ids=["crlf", "blank-lines", "whitespace-line", "padded", "mixed-whitespace-line",
         "mixed-crlf"],
)
def test_ndjson_line_endings_and_blank_lines(body: bytes) -> None:
    assert parse_cdrs(body, Format.NDJSON, LIMIT).column("id").to_pylist() == [1, 2]


@pytest.mark.parametrize("fmt", list(Format), ids=lambda f: f.value)
def test_an_empty_body_is_refused_in_every_format(fmt: Format) -> None:
    for body in (b"", gzip.compress(b""), gzip.compress(b"") + gzip.compress(b"")):
        with pytest.raises(BatchRejected) as caught:
            parse_cdrs(body, fmt, LIMIT)
        assert [e.as_dict() for e in caught.value.errors] == [
            {"row": None, "field": None, "message": "empty body"}]


@pytest.mark.parametrize("body", [b"\n", b"  \n\n", b"\r\n\t\n"], ids=["newline", "blank", "crlf"])
def test_ndjson_of_blank_lines_is_an_empty_batch(body: bytes) -> None:
    assert parse_cdrs(body, Format.NDJSON, LIMIT).num_rows == 0
    assert parse_cdrs(gzip.compress(body), Format.NDJSON, LIMIT).num_rows == 0


def test_a_parquet_file_without_rows_is_an_empty_batch() -> None:
    empty = _parquet(pa.table({"id": pa.array([], pa.int64()), "duration": pa.array([], pa.int64()),
                               "time_start": pa.array([], pa.string())}))
    assert parse_cdrs(empty, Format.PARQUET, LIMIT).num_rows == 0


@pytest.mark.parametrize("body", [b"id,time_start,duration\n", b"id,time_start,duration",
                                  b"\n\nid,time_start,duration\r\n\r\n"],
                         ids=["header", "no-newline", "blank-lines"])
def test_a_csv_header_without_rows_is_an_empty_batch(body: bytes) -> None:
    assert parse_cdrs(body, Format.CSV, LIMIT).num_rows == 0
