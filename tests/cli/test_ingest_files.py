"""How `callstats ingest` cuts files into batches: slices of the file's own bytes, cut
between records, so each batch gets the verdict the server gives the same bytes, and
rows are numbered as in the file."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from callstats.cli.main import app
from callstats.ingest.batches import BatchRejected, Format, parse_cdrs
from callstats.ingest.files import iter_batches, iter_snapshot_batches

HEADER = b"id,time_start,duration,local_tag\r\n"


def records(count: int, start: int = 1) -> list[bytes]:
    """CSV records, every third with a quoted field spanning lines (and a quote in it)."""
    return [b'%d,1709287200,0,"line one\r\nline ""two"""\r\n' % i if i % 3 == 0
            else b"%d,1709287200,0,plain\r\n" % i for i in range(start, start + count)]


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_csv_batches_are_cut_between_records(tmp_path: Path) -> None:
    body = HEADER + b"\r\n" + b"".join(records(10)) + b"\r\n"
    batches = list(iter_batches(write(tmp_path / "a.csv", body), rows_per_batch=4))
    assert [(b.first_row, b.rows) for b in batches] == [(1, 4), (5, 4), (9, 2)]
    ids = []
    for batch in batches:
        assert batch.body is not None and batch.body.startswith(HEADER)  # every batch
        ids += parse_cdrs(batch.body, Format.CSV, 1 << 20).column("id").to_pylist()
    assert ids == list(range(1, 11))


def test_a_broken_csv_record_is_named_at_its_row_in_the_file(tmp_path: Path) -> None:
    lines = records(9)
    lines[6] = b'7,1709287200,0,"never closed\r\n'  # row 7: the rest is one open field
    path = write(tmp_path / "b.csv", HEADER + b"".join(lines))
    for batch in iter_batches(path, rows_per_batch=3):
        assert batch.body is not None
        try:
            parse_cdrs(batch.body, Format.CSV, 1 << 20)
        except BatchRejected as exc:
            [error] = exc.errors
            assert error.row is not None
            assert (batch.first_row - 1 + error.row, error.field) == (7, "local_tag")
            return
    pytest.fail("the broken record was not refused")


@pytest.mark.parametrize("name, compress", [("c.ndjson.gz", False), ("c.ndjson", True)],
                         ids=["plain-named-gz", "gzip-named-plain"])
def test_gzip_is_known_by_its_bytes_not_its_name(tmp_path: Path, name: str, compress: bool
                                                 ) -> None:
    body = b'{"id":1,"time_start":1,"duration":0}\n{"id":2,"time_start":1,"duration":0}\n'
    path = write(tmp_path / name, gzip.compress(body) if compress else body)
    [batch] = iter_batches(path, 100)
    assert batch.body == body.rstrip(b"\n")


def test_a_pretty_printed_snapshot_file_goes_whole(tmp_path: Path) -> None:
    envelope = {"snapshot_timestamp": 1709287200, "node_id": 1, "calls": [{"duration": 1}]}
    pretty = orjson.dumps(envelope, option=orjson.OPT_INDENT_2)
    [batch] = iter_snapshot_batches(write(tmp_path / "s.ndjson", pretty), 1)
    assert batch.body == pretty
    lines = b"\n".join(orjson.dumps(envelope) for _ in range(3))
    assert len(list(iter_snapshot_batches(write(tmp_path / "t.ndjson", lines), 1))) == 3


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "data"
    monkeypatch.setenv("CALLSTATS_DATA_DIR", str(directory))
    monkeypatch.setenv("CALLSTATS_JWT_SECRET", "files-secret-" + "f" * 32)
    return directory


def ingest(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["ingest", *args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


@pytest.mark.parametrize("name, data", [
    ("empty.ndjson", b""), ("empty.csv", b""), ("empty.parquet", b""),
    ("empty.ndjson.gz", gzip.compress(b"")),
])
def test_an_empty_file_is_refused(data_dir: Path, tmp_path: Path, name: str, data: bytes
                                  ) -> None:
    code, out = ingest("cdrs", str(write(tmp_path / name, data)))
    assert code != 0 and "empty body" in out, out


@pytest.mark.parametrize("name, data", [
    ("blank.ndjson", b"\n \n\r\n"), ("header.csv", b"id,time_start,duration\n"),
])
def test_a_file_without_rows_is_zero_rows(data_dir: Path, tmp_path: Path, name: str,
                                          data: bytes) -> None:
    code, out = ingest("cdrs", str(write(tmp_path / name, data)))
    assert code == 0, out


def test_a_truncated_gzip_file_is_refused(data_dir: Path, tmp_path: Path) -> None:
    data = gzip.compress(b'{"id":1,"time_start":1,"duration":0}\n' * 50)[:-12]
    code, out = ingest("cdrs", str(write(tmp_path / "cut.ndjson.gz", data)))
    assert code != 0 and "gzip" in out, out


def test_rows_of_later_batches_are_named_in_the_file(data_dir: Path, tmp_path: Path) -> None:
    lines = records(8)
    lines[5] = b"6,1709287200,-5,plain\r\n"
    code, out = ingest("cdrs", str(write(tmp_path / "d.csv", HEADER + b"".join(lines))),
                       "--batch-rows", "4")
    assert code != 0 and "row 6" in out and "duration" in out, out
