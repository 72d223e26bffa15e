"""Active-call snapshot bodies (SPEC 3.2, 6): envelopes, re-posts, errors, flat files."""

from __future__ import annotations

import gzip
import io
from datetime import UTC, datetime
from decimal import Decimal

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from callstats.columns import SNAPSHOT_CALL_COLUMNS
from callstats.ingest.batches import (
    SNAPSHOT_TABLE_SCHEMA,
    BatchRejected,
    Format,
    SnapshotBatch,
    parse_snapshots,
)

LIMIT = 1 << 20
T0 = datetime(2024, 3, 1, 10, tzinfo=UTC)
T0_MICROS = 1709287200_000000

CALL = {
    "start_time": "2024-03-01 09:59:00", "connect_time": "2024-03-01T09:59:05Z",
    "destination_prefix": "4930", "destination_initial_interval": 60,
    "destination_initial_rate": 0.0123456789, "destination_next_interval": 1,
    "destination_next_rate": "0.01", "destination_fee": 0, "src_name_in": "Alice",
    "src_prefix_in": "380441234567", "dst_prefix_in": "4930123456",
    "src_prefix_routing": "380441234567", "dst_prefix_routing": "4930123456",
    "from_domain": "a.example", "to_domain": "b.example", "ruri_domain": "b.example",
    "diversion_in": None, "pai_in": "sip:alice@a.example", "ppi_in": None, "privacy_in": None,
    "rpid_in": None, "rpid_privacy_in": None, "auth_orig_transport_protocol_id": 1,
    "auth_orig_ip": "192.0.2.10", "auth_orig_port": 5060, "customer_id": 11,
    "customer_acc_id": 12, "vendor_id": 21, "vendor_acc_id": 22, "src_country_id": 220,
    "dst_country_id": 80, "duration": 55, "customer_price": 0.1, "vendor_price": "0.05",
    "local_tag": "7a6b", "an_unknown_key": {"nested": [1]},
}


def _envelope(ts: object = "2024-03-01T10:00:00Z", node: int | None = None,
              calls: list[dict[str, object]] | None = None) -> dict[str, object]:
    envelope: dict[str, object] = {"snapshot_timestamp": ts}
    if node is not None:
        envelope["node_id"] = node
    if calls is not None:
        envelope["calls"] = calls
    return envelope


def _ndjson(*envelopes: dict[str, object]) -> bytes:
    return b"".join(orjson.dumps(e) + b"\n" for e in envelopes)


def _parse(body: bytes, fmt: Format = Format.NDJSON) -> SnapshotBatch:
    return parse_snapshots(body, fmt, LIMIT)


def test_one_envelope_with_a_full_call() -> None:
    batch = _parse(orjson.dumps(_envelope(node=3, calls=[CALL])))
    assert batch.snapshots == [(3, T0_MICROS)]
    assert batch.calls.schema == SNAPSHOT_TABLE_SCHEMA
    [call] = batch.calls.to_pylist()
    assert call == {
        "node_id": 3, "snapshot_timestamp": T0, "position": 0,
        "start_time": datetime(2024, 3, 1, 9, 59, tzinfo=UTC),
        "connect_time": datetime(2024, 3, 1, 9, 59, 5, tzinfo=UTC),
        "destination_prefix": "4930", "destination_initial_interval": 60,
        "destination_initial_rate": Decimal("0.0123456789"), "destination_next_interval": 1,
        "destination_next_rate": Decimal("0.01"), "destination_fee": Decimal(0),
        "src_name_in": "Alice", "src_prefix_in": "380441234567",
        "dst_prefix_in": "4930123456", "src_prefix_routing": "380441234567",
        "dst_prefix_routing": "4930123456", "from_domain": "a.example",
        "to_domain": "b.example", "ruri_domain": "b.example", "diversion_in": None,
        "pai_in": "sip:alice@a.example", "ppi_in": None, "privacy_in": None, "rpid_in": None,
        "rpid_privacy_in": None, "auth_orig_transport_protocol_id": 1,
        "auth_orig_ip": "192.0.2.10", "auth_orig_port": 5060, "customer_id": 11,
        "customer_acc_id": 12, "vendor_id": 21, "vendor_acc_id": 22, "src_country_id": 220,
        "dst_country_id": 80, "duration": 55, "customer_price": Decimal("0.1"),
        "vendor_price": Decimal("0.05"), "local_tag": "7a6b",
    }


def test_missing_call_keys_are_null_and_prices_zero() -> None:
    [call] = _parse(_ndjson(_envelope(calls=[{}]))).calls.to_pylist()
    assert call["customer_price"] == call["vendor_price"] == Decimal(0)
    assert {k for k, v in call.items() if v is None} == {
        c.name for c in SNAPSHOT_CALL_COLUMNS if c.name not in ("customer_price", "vendor_price")
    }


@pytest.mark.parametrize(
    "body",
    [
        orjson.dumps(_envelope(calls=[CALL, CALL])),
        orjson.dumps(_envelope(calls=[CALL, CALL]), option=orjson.OPT_INDENT_2),
        orjson.dumps(_envelope(calls=[CALL, CALL]), option=orjson.OPT_INDENT_2) + b"\n\n",
        b"\r\n".join(orjson.dumps(_envelope(calls=[CALL, CALL]),
                                  option=orjson.OPT_INDENT_2).split(b"\n")),
        gzip.compress(orjson.dumps(_envelope(calls=[CALL, CALL]), option=orjson.OPT_INDENT_2)),
    ],
    ids=["compact", "pretty", "pretty-trailing-lines", "pretty-crlf", "pretty-gzip"],
)
def test_a_single_envelope_in_any_layout(body: bytes) -> None:
    batch = _parse(body)
    assert batch.snapshots == [(0, T0_MICROS)]  # node_id defaults to 0
    assert batch.calls.column("position").to_pylist() == [0, 1]
    assert batch.calls.column("destination_initial_rate").to_pylist() == [
        Decimal("0.0123456789")] * 2


def test_ndjson_of_envelopes() -> None:
    body = _ndjson(
        _envelope(node=1, calls=[CALL]),
        _envelope(node=2, calls=[CALL, {"local_tag": "b"}, {"local_tag": "c"}]),
        _envelope(ts=1709287260, node=1, calls=[]),
        _envelope(ts="2024-03-01 10:02:00", node=1),  # no calls key: empty too
    )
    batch = _parse(body)
    assert batch.snapshots == [(1, T0_MICROS), (2, T0_MICROS), (1, T0_MICROS + 60_000000),
                               (1, T0_MICROS + 120_000000)]
    table = batch.calls
    assert table.column("node_id").to_pylist() == [1, 2, 2, 2]
    assert table.column("position").to_pylist() == [0, 0, 1, 2]
    assert table.column("local_tag").to_pylist() == ["7a6b", "7a6b", "b", "c"]
    assert set(table.column("snapshot_timestamp").to_pylist()) == {T0}


@pytest.mark.parametrize(
    "envelopes, snapshots, tags",
    [
        # posted twice in one batch: the last occurrence wins, in place of the first
        ([_envelope(calls=[{"local_tag": "a"}]), _envelope(calls=[{"local_tag": "b"}])],
         [(0, T0_MICROS)], ["b"]),
        ([_envelope(calls=[{"local_tag": "a"}]), _envelope(calls=[])], [(0, T0_MICROS)], []),
        ([_envelope(calls=[]), _envelope(calls=[{"local_tag": "b"}, {"local_tag": "c"}])],
         [(0, T0_MICROS)], ["b", "c"]),
        ([_envelope(calls=[{"local_tag": "a"}]), _envelope(node=1, calls=[{"local_tag": "x"}]),
          _envelope(ts=1709287200, calls=[{"local_tag": "b"}])],  # same instant, other spelling
         [(1, T0_MICROS), (0, T0_MICROS)], ["x", "b"]),
        ([_envelope(node=1, calls=[{"local_tag": "a"}]), _envelope(node=2, calls=[])],
         [(1, T0_MICROS), (2, T0_MICROS)], ["a"]),
    ],
    ids=["calls-then-calls", "calls-then-empty", "empty-then-calls", "interleaved",
         "distinct"],
)
def test_a_snapshot_posted_twice_keeps_the_last(envelopes: list[dict[str, object]],
                                               snapshots: list[tuple[int, int]],
                                               tags: list[str]) -> None:
    batch = _parse(_ndjson(*envelopes))
    assert batch.snapshots == snapshots
    assert batch.calls.column("local_tag").to_pylist() == tags
    assert batch.calls.column("position").to_pylist() == list(range(len(tags))) or len(
        {n for n, _ in snapshots}) > 1


def test_ndjson_envelopes_with_blank_and_whitespace_lines() -> None:
    lines = [orjson.dumps(_envelope(node=n, calls=[{"local_tag": str(n)}])) for n in (1, 2, 3)]
    for body in (b"\n \t \n".join(lines), b"\r\n\r\n".join(lines) + b"\r\n"):
        batch = _parse(body)
        assert [n for n, _ in batch.snapshots] == [1, 2, 3]
        assert batch.calls.column("local_tag").to_pylist() == ["1", "2", "3"]


@pytest.mark.parametrize("body", [b"\n", b" \r\n\t", b"[]"], ids=["newline", "blank", "array"])
def test_no_envelopes_is_an_empty_batch(body: bytes) -> None:
    batch = _parse(body)
    assert batch.snapshots == [] and batch.calls.num_rows == 0


def test_an_empty_body_is_refused() -> None:
    with pytest.raises(BatchRejected) as caught:
        _parse(b"")
    assert [e.as_dict() for e in caught.value.errors] == [
        {"row": None, "field": None, "message": "empty body"}]


def test_a_json_array_of_envelopes() -> None:
    body = orjson.dumps([_envelope(node=1), _envelope(node=2, calls=[CALL])])
    assert _parse(body).snapshots == [(1, T0_MICROS), (2, T0_MICROS)]


@pytest.mark.parametrize(
    "envelopes, expected",
    [
        ([_envelope(calls=[CALL]), _envelope(calls=[CALL, {"duration": -1}])],
         [(2, "calls[1].duration")]),
        ([_envelope(calls=[{"start_time": "2024-02-30 00:00:00"}])],
         [(1, "calls[0].start_time")]),
        ([_envelope(calls=[{"customer_price": 0.1234567}, {"destination_fee": "x"}])],
         [(1, "calls[0].customer_price"), (1, "calls[1].destination_fee")]),
        ([_envelope(node=1), _envelope(ts="soon"), _envelope(ts=None)],
         [(2, "snapshot_timestamp"), (3, "snapshot_timestamp")]),
        ([{"calls": []}], [(1, "snapshot_timestamp")]),
        ([_envelope(node="x")], [(1, "node_id")]),
        ([_envelope(calls={"a": 1})], [(1, "calls")]),
        ([_envelope(calls=[1, 2])], [(1, "calls")]),
        ([_envelope(calls=[{}, {}, {}]), _envelope(calls=[{}, {"auth_orig_port": "x"}]),
          _envelope(ts="bad", calls=[{"customer_id": []}])],
         [(2, "calls[1].auth_orig_port"), (3, "snapshot_timestamp"), (3, "calls[0].customer_id")]),
    ],
)
def test_errors_name_the_envelope_and_the_call(envelopes: list[dict[str, object]],
                                               expected: list[tuple[int, str]]) -> None:
    for body in (_ndjson(*envelopes), orjson.dumps(envelopes)):
        with pytest.raises(BatchRejected) as caught:
            _parse(body)
        assert sorted((e.row, e.field) for e in caught.value.errors) == sorted(expected)
        assert [e.row for e in caught.value.errors] == sorted(e.row for e in
                                                              caught.value.errors)


@pytest.mark.parametrize(
    "body, rows",
    [
        (b'{"snapshot_timestamp":1}\n[1]\n{nope\n', [2, 3]),
        (b'{"snapshot_timestamp":1}\n{"snapshot_timestamp":2}, {"snapshot_timestamp":3}\n', [2]),
        (b'"just a string"', [1]),
    ],
)
def test_lines_that_are_not_envelopes(body: bytes, rows: list[int]) -> None:
    with pytest.raises(BatchRejected) as caught:
        _parse(body)
    assert [e.row for e in caught.value.errors] == rows


def test_call_errors_are_capped_at_100() -> None:
    body = _ndjson(*[_envelope(ts=i, calls=[{"duration": -1}] * 3) for i in range(1, 80)])
    with pytest.raises(BatchRejected) as caught:
        _parse(body)
    errors = caught.value.errors
    assert len(errors) == 100
    assert [(e.row, e.field) for e in errors[:4]] == [
        (1, "calls[0].duration"), (1, "calls[1].duration"), (1, "calls[2].duration"),
        (2, "calls[0].duration")]


def test_long_decimals_and_times_in_envelopes_are_exact() -> None:
    body = (b'{"snapshot_timestamp":1709287200.123456,"calls":[{"customer_price":'
            b'123456789012.123456,"destination_initial_rate":12345678.0123456789,'
            b'"start_time":1709287100.000001}]}')
    batch = _parse(body)
    assert batch.snapshots == [(0, T0_MICROS + 123456)]
    [call] = batch.calls.to_pylist()
    assert call["customer_price"] == Decimal("123456789012.123456")
    assert call["destination_initial_rate"] == Decimal("12345678.0123456789")
    assert call["start_time"] == datetime(2024, 3, 1, 9, 58, 20, 1, tzinfo=UTC)


# --- flat CSV / Parquet: one row per call, grouped by (node_id, snapshot_timestamp) -------

FLAT_CSV = (
    b"node_id,snapshot_timestamp,local_tag,customer_price,duration,start_time\n"
    b"1,2024-03-01 10:00:00,a,0.5,10,2024-03-01 09:59:50\n"
    b"2,2024-03-01 10:00:00,b,,0,\n"
    b"1,2024-03-01T10:00:00Z,c,1,20,1709287180\n"
    b",2024-03-01 10:01:00,d,2,5,\n"
)


def _flat_parquet() -> bytes:
    table = pa.table({
        "node_id": pa.array([1, 2, 1, None], pa.int32()),
        "snapshot_timestamp": pa.array([T0, T0, T0, datetime(2024, 3, 1, 10, 1, tzinfo=UTC)],
                                       pa.timestamp("ms", "UTC")),
        "local_tag": ["a", "b", "c", "d"],
        "customer_price": pa.array([Decimal("0.5"), None, Decimal(1), Decimal(2)],
                                   pa.decimal128(10, 2)),
        "duration": [10, 0, 20, 5],
        "an_unknown_column": [1, 2, 3, 4],
    })
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


@pytest.mark.parametrize("gzipped", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("fmt, body", [(Format.CSV, FLAT_CSV), (Format.PARQUET, _flat_parquet())],
                         ids=["csv", "parquet"])
def test_flat_rows_group_into_snapshots(fmt: Format, body: bytes, gzipped: bool) -> None:
    batch = _parse(gzip.compress(body) if gzipped else body, fmt)
    assert batch.snapshots == [(1, T0_MICROS), (2, T0_MICROS), (0, T0_MICROS + 60_000000)]
    rows = batch.calls.to_pylist()
    assert [(r["node_id"], r["position"], r["local_tag"]) for r in rows] == [
        (1, 0, "a"), (2, 0, "b"), (1, 1, "c"), (0, 0, "d")]
    assert [r["customer_price"] for r in rows] == [Decimal("0.5"), 0, 1, 2]
    assert batch.calls.schema == SNAPSHOT_TABLE_SCHEMA


def test_flat_rows_errors_name_the_row() -> None:
    body = b"snapshot_timestamp,duration\n2024-03-01 10:00:00,1\n,2\n2024-03-01 10:00:00,-3\n"
    with pytest.raises(BatchRejected) as caught:
        _parse(body, Format.CSV)
    assert [(e.row, e.field) for e in caught.value.errors] == [(2, "snapshot_timestamp"),
                                                               (3, "duration")]
