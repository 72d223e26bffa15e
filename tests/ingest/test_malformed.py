"""Malformed documents (SPEC 11): each refused with the row where its bad token starts and
the column it is in (None for what is in no row or column), whatever format carries it,
gzip-encoded or not, alone or after good rows."""

from __future__ import annotations

import gzip
import io

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from callstats.columns import CDR_COLUMNS, Kind
from callstats.ingest.batches import BatchRejected, Format, parse_cdrs, parse_snapshots

LIMIT = 1 << 20
GOOD = {"id": 1, "time_start": "2024-03-01 10:00:00", "duration": 0}
HEADER = b"id,time_start,duration,local_tag,pdd\n"
ROW = b"1,2024-03-01 10:00:00,0,x,0.5\n"
INT_COLUMNS = [c.name for c in CDR_COLUMNS if c.kind is Kind.INT]


def line(**fields: object) -> bytes:
    return orjson.dumps({**GOOD, **fields})


BELOW_INT64 = line().replace(b'"id":1', b'"id":-9223372036854775809')


def parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def bad_utf8(text: bytes) -> pa.Array:
    """A string array holding bytes that are not UTF-8 (as a careless writer makes one)."""
    offsets = pa.array([0, len(text)], pa.int32()).buffers()[1]
    return pa.Array.from_buffers(pa.string(), 1, [None, offsets, pa.py_buffer(text)])


def base_columns(rows: int = 1) -> dict[str, pa.Array]:
    return {"id": pa.array(range(1, rows + 1), pa.int64()),
            "time_start": pa.array(["2024-03-01 10:00:00"] * rows),
            "duration": pa.array([0] * rows, pa.int64())}


CASES: dict[str, tuple[Format, bytes, list[tuple[int | None, str | None]]]] = {
    # CSV structure
    "csv quote never closed (row 1, 2 rows after)":
        (Format.CSV, HEADER + b'1,2024-03-01 10:00:00,0,"abc\n' + ROW.replace(b"1,", b"2,", 1)
         + ROW.replace(b"1,", b"3,", 1), [(1, "local_tag")]),
    "csv quote never closed, last row, no newline":
        (Format.CSV, HEADER + ROW + b'2,2024-03-01 10:00:00,0,"abc', [(2, "local_tag")]),
    "csv quote inside an unquoted field":
        (Format.CSV, HEADER + ROW + b'2,2024-03-01 10:00:00,0,a"b,1\n', [(2, "local_tag")]),
    "csv text after a closing quote":
        (Format.CSV, HEADER + b'1,2024-03-01 10:00:00,0,"a"b,1\n', [(1, "local_tag")]),
    "csv row short of fields": (Format.CSV, HEADER + ROW + b"2,1,0\n", [(2, None)]),
    "csv row with a field too many": (Format.CSV, HEADER + b"1,1,0,x,1,9\n", [(1, None)]),
    "csv a column named twice": (Format.CSV, b"id,id,time_start,duration\n1,1,1,0\n",
                                 [(None, None)]),
    "csv a broken quote in the header":
        (Format.CSV, b'id,"time_start,duration\n1,1,0\n', [(None, None)]),
    "csv no known column": (Format.CSV, b"a,b\n1,2\n", [(None, None)]),
    # UTF-8, anywhere
    "csv bad byte in a value": (Format.CSV, HEADER + ROW + b"2,1,0,a\xffb,1\n",
                                [(2, "local_tag")]),
    "csv bad byte in a column nobody reads":
        (Format.CSV, b"id,time_start,duration,note\n1,1,0,\xc3\n", [(1, "note")]),
    "csv bad byte in the header": (Format.CSV, b"id,time_start,duration,n\xe9\n1,1,0,x\n",
                                   [(None, None)]),
    "csv bad byte in a quoted field spanning lines":
        (Format.CSV, HEADER + ROW + b'2,1,0,"a\nb\xfe",1\n', [(2, "local_tag")]),
    "ndjson bad byte in the 2nd line's value":
        (Format.NDJSON, line() + b"\n" + line(id=2)[:-1] + b',"local_tag":"a\xffb"}',
         [(2, "local_tag")]),
    "ndjson bad byte in a key": (Format.NDJSON, line() + b'\n{"id":2,"n\xffote":1}',
                                 [(2, None)]),
    "ndjson bad byte in a field nobody reads":
        (Format.NDJSON, line()[:-1] + b',"note":"\xf0\x9f"}', [(1, "note")]),
    "ndjson bad byte between tokens": (Format.NDJSON, line() + b'\n{"id":2,\xff"duration":0}',
                                       [(2, None)]),
    "ndjson a lone surrogate escape": (Format.NDJSON, line()[:-1] + b',"local_tag":"\\ud800"}',
                                       [(1, "local_tag")]),
    # JSON that is not JSON
    "ndjson bare NaN (2nd line)": (Format.NDJSON, line(pdd=1.5) + b"\n"
                                   + line(id=2)[:-1] + b',"pdd":NaN}', [(2, "pdd")]),
    "ndjson bare Infinity": (Format.NDJSON, line()[:-1] + b',"pdd":Infinity}', [(1, "pdd")]),
    "ndjson bare -Infinity in a field nobody reads":
        (Format.NDJSON, line() + b"\n" + line(id=2)[:-1] + b',"rtt":-Infinity}', [(2, "rtt")]),
    "ndjson two objects on a line": (Format.NDJSON, line() + b"\n" + line(id=2) + line(id=3),
                                     [(2, None)]),
    "ndjson nesting past 1024 levels": (Format.NDJSON, line()[:-1] + b',"x":' + b"[" * 1100
                                        + b"]" * 1100 + b"}", [(1, "x")]),
    "ndjson a raw control character in a string":
        (Format.NDJSON, line()[:-1] + b',"local_tag":"a\x01"}', [(1, "local_tag")]),
    "ndjson a line cut short": (Format.NDJSON, line() + b"\n" + line(id=2)[:12], [(2, None)]),
    "ndjson a number beyond doubles": (Format.NDJSON, line()[:-1] + b',"pdd":1e400}',
                                       [(1, "pdd")]),
    # integers beyond signed 64 bits
    "ndjson id below int64": (Format.NDJSON, BELOW_INT64, [(1, "id")]),
    "ndjson id below int64 after a good line": (Format.NDJSON, line() + b"\n" + BELOW_INT64,
                                                [(2, "id")]),
    # Parquet
    "parquet bad UTF-8 in a value": (Format.PARQUET, parquet(pa.table({
        **base_columns(2), "local_tag": pa.concat_arrays([pa.array(["ok"]), bad_utf8(b"\xff")])})),
        [(2, "local_tag")]),
    "parquet bad UTF-8 in a column nobody reads": (Format.PARQUET, parquet(pa.table({
        **base_columns(), "note": bad_utf8(b"a\xc3")})), [(1, "note")]),
    "parquet NaN in a float column": (Format.PARQUET, parquet(pa.table({
        **base_columns(), "pdd": pa.array([float("nan")])})), [(1, "pdd")]),
    "parquet id beyond int64": (Format.PARQUET, parquet(pa.table({
        **base_columns(), "id": pa.array([2**63], pa.uint64())})), [(1, "id")]),
    "parquet a column named twice": (Format.PARQUET, parquet(pa.Table.from_arrays(
        [*base_columns().values(), pa.array([5])], ["id", "time_start", "duration", "id"])),
        [(None, None)]),
    "parquet cut short": (Format.PARQUET, parquet(pa.table(base_columns()))[:-20],
                          [(None, None)]),
    "parquet that is no Parquet": (Format.PARQUET, b"PAR1 not really", [(None, None)]),
}


def errors_of(body: bytes, fmt: Format) -> list[tuple[int | None, str | None]]:
    with pytest.raises(BatchRejected) as caught:
        parse_cdrs(body, fmt, LIMIT)
    return [(e.row, e.field) for e in caught.value.errors]


@pytest.mark.parametrize("gzipped", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("case", CASES)
def test_each_malformed_document_is_refused_where_it_is_wrong(case: str, gzipped: bool
                                                             ) -> None:
    fmt, body, expected = CASES[case]
    assert errors_of(gzip.compress(body) if gzipped else body, fmt) == expected


@pytest.mark.parametrize("column", INT_COLUMNS)
@pytest.mark.parametrize("value", ["9223372036854775808", "-9223372036854775809",
                                   "18446744073709551616", "1e19"])
def test_every_integer_column_is_signed_64_bit_in_every_format(column: str, value: str
                                                              ) -> None:
    fields = {**GOOD, column: 0 if column != "id" else 1}
    ndjson = orjson.dumps(fields).replace(f'"{column}":{fields[column]}'.encode(),
                                          f'"{column}":{value}'.encode())
    second = line(id=2) + b"\n" + ndjson.replace(b'"id":1,', b'"id":3,', 1) if column != "id" \
        else line(id=2) + b"\n" + ndjson
    assert errors_of(ndjson, Format.NDJSON) == [(1, column)]
    assert errors_of(second, Format.NDJSON) == [(2, column)]
    names = list(fields)
    csv = (",".join(names) + "\n" + ",".join(value if n == column else str(fields[n])
                                              for n in names) + "\n").encode()
    assert errors_of(csv, Format.CSV) == [(1, column)]
    table = pa.table({n: pa.array([value if n == column else str(fields[n])]) for n in names})
    assert errors_of(parquet(table), Format.PARQUET) == [(1, column)]


@pytest.mark.parametrize("value", ["9223372036854775808", "-9223372036854775809"])
def test_node_id_is_signed_64_bit(value: str) -> None:
    envelope = b'{"snapshot_timestamp":"2024-03-01 10:00:00","node_id":%s,"calls":[]}' % (
        value.encode())
    flat = b"snapshot_timestamp,node_id,local_tag\n2024-03-01 10:00:00,%s,x\n" % value.encode()
    for body, fmt in ((envelope, Format.NDJSON), (envelope + b"\n" + envelope, Format.NDJSON),
                      (flat, Format.CSV)):
        with pytest.raises(BatchRejected) as caught:
            parse_snapshots(body, fmt, LIMIT)
        assert [(e.row, e.field) for e in caught.value.errors][0] == (1, "node_id")


SNAPSHOT_CASES = {
    "bad byte in a call": (b'{"snapshot_timestamp":1709287200,"calls":[{"local_tag":"\xff"}]}',
                           [(1, "calls[0].local_tag")]),
    "NaN in the 2nd envelope's 2nd call": (
        b'{"snapshot_timestamp":1709287200,"calls":[]}\n'
        b'{"snapshot_timestamp":1709287200,"node_id":2,"calls":[{},{"duration":NaN}]}',
        [(2, "calls[1].duration")]),
    "NaN in a pretty-printed envelope": (
        b'{\n  "snapshot_timestamp": 1709287200,\n  "node_id": NaN,\n  "calls": []\n}',
        [(1, "node_id")]),
    "bad byte in the 2nd envelope of an array": (
        b'[{"snapshot_timestamp":1709287200,"calls":[]},\n'
        b' {"snapshot_timestamp":1709287200,"node_id":2,"calls":[{"local_tag":"\xfe"}]}]',
        [(2, "calls[0].local_tag")]),
    "an array holding a number": (b'[{"snapshot_timestamp":1709287200,"calls":[]}, 5]',
                                  [(2, None)]),
}


@pytest.mark.parametrize("case", SNAPSHOT_CASES)
def test_malformed_snapshots_are_refused_where_they_are_wrong(case: str) -> None:
    body, expected = SNAPSHOT_CASES[case]
    for encoded in (body, gzip.compress(body)):
        with pytest.raises(BatchRejected) as caught:
            parse_snapshots(encoded, Format.NDJSON, LIMIT)
        assert [(e.row, e.field) for e in caught.value.errors] == expected


# --- what is stored as given ------------------------------------------------------------


def test_nul_and_control_characters_are_stored_as_given() -> None:
    text = "a\x00b\x1fc\u2028d"
    ndjson = line(local_tag=text)
    csv = b"id,time_start,duration,local_tag\n1,1,0," + text.encode() + b"\n"
    typed = parquet(pa.table({**base_columns(), "local_tag": pa.array([text])}))
    for body, fmt in ((ndjson, Format.NDJSON), (csv, Format.CSV), (typed, Format.PARQUET)):
        assert parse_cdrs(body, fmt, LIMIT).column("local_tag").to_pylist() == [text]


@pytest.mark.parametrize("fmt", list(Format), ids=lambda f: f.value)
def test_strings_longer_than_the_cap_are_refused(fmt: Format) -> None:
    def body(tag: str) -> bytes:
        rows = [{**GOOD, "local_tag": "ok"}, {**GOOD, "id": 2, "local_tag": tag}]
        if fmt is Format.NDJSON:
            return b"\n".join(orjson.dumps(r) for r in rows)
        if fmt is Format.CSV:
            return b"id,time_start,duration,local_tag\n" + b"".join(
                f"{r['id']},1,0,{r['local_tag']}\n".encode() for r in rows)
        return parquet(pa.Table.from_pylist(rows))

    assert parse_cdrs(body("é" * 10), fmt, LIMIT, max_string=10).num_rows == 2  # characters
    with pytest.raises(BatchRejected) as caught:
        parse_cdrs(body("é" * 11), fmt, LIMIT, max_string=10)
    [error] = caught.value.errors
    assert (error.row, error.field) == (2, "local_tag")
    assert "11 characters" in error.message and "10" in error.message
