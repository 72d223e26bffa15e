"""What a clumsy or hostile feed sent (issue 11), against a real `callstats serve` process:
each body is refused with its row and field and stores nothing, and `callstats ingest`
exits non-zero on it, with --url and into a data dir."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from callstats.cli.main import app
from tests.support.bodies import ADMIN, CSV, NDJSON, PARQUET, cdr, ndjson
from tests.support.servers import (
    ADMIN_HEADERS,
    ADMIN_TOKEN,
    Server,
    server_env,
    spawn,
    stop,
    wait_ready,
)

pytestmark = pytest.mark.slow


def ndjson_line(id: int, tail: bytes) -> bytes:
    """A CDR line with `tail` spliced in as its last member, bytes as they are."""
    return ndjson([cdr(id)]).rstrip(b"\n")[:-1] + b"," + tail + b"}"


def parquet_file(rows: list[dict[str, object]]) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), sink)
    return sink.getvalue()


# (what was sent, its content type and file suffix, the ids it carries, the errors)
FEEDS = {
    "csv, 1st data row's quote never closes, 2 rows after": (
        b"id,time_start,duration,local_tag\n"
        b'101,2024-03-01T10:00:00Z,0,"abc\n'
        b"102,2024-03-01T10:00:00Z,0,x\n"
        b"103,2024-03-01T10:00:00Z,0,y\n", CSV, ".csv", [101, 102, 103],
        [(1, "local_tag")]),
    "2-line ndjson, raw 0xFF in the 2nd line's string": (
        ndjson([cdr(201)]) + ndjson_line(202, b'"local_tag":"a\xffb"'), NDJSON, ".ndjson",
        [201, 202], [(2, "local_tag")]),
    "multi-line ndjson, bare NaN in pdd": (
        ndjson([cdr(301, pdd=0.5), cdr(302)]) + ndjson_line(303, b'"pdd":NaN'), NDJSON,
        ".ndjson", [301, 302, 303], [(3, "pdd")]),
    "multi-line ndjson, bare Infinity in pdd": (
        ndjson([cdr(401)]) + ndjson_line(402, b'"pdd":Infinity') + b"\n"
        + ndjson_line(403, b'"pdd":-Infinity'), NDJSON, ".ndjson", [401, 402, 403],
        [(2, "pdd"), (3, "pdd")]),
    "id below int64": (
        ndjson([cdr(501)]) + ndjson([cdr(1)]).replace(b'"id":1', b'"id":-9223372036854775809'),
        NDJSON, ".ndjson", [501], [(2, "id")]),
    "id above int64": (
        ndjson([cdr(1)]).replace(b'"id":1', b'"id":9223372036854775808'), NDJSON, ".ndjson",
        [], [(1, "id")]),
    "zero-byte parquet": (b"", PARQUET, ".parquet", [], [(None, None)]),
    "truncated parquet": (parquet_file([cdr(601), cdr(602)])[:-30], PARQUET, ".parquet",
                          [601, 602], [(None, None)]),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    served = spawn("hostile", tmp_path_factory.mktemp("hostile"), {})
    try:
        wait_ready(served, time.monotonic() + 60)
        yield served
    finally:
        stop(served)


def post(server: Server, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{server.url}{ADMIN}/cdrs", content=body,
                      headers={**ADMIN_HEADERS, **headers}, timeout=30)


@pytest.mark.parametrize("feed", FEEDS)
def test_the_server_refuses_it_where_it_is_wrong_and_stores_nothing(server: Server,
                                                                    feed: str) -> None:
    body, headers, _, ids, expected = FEEDS[feed]
    response = post(server, body, headers)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [(e["row"], e["field"]) for e in errors] == expected
    assert all(isinstance(e["message"], str) and e["message"] for e in errors)
    if ids:  # none of its rows was stored: now they are all new
        again = post(server, ndjson([cdr(i) for i in ids]), NDJSON)
        assert again.json() == {"received": len(ids), "inserted": len(ids), "duplicates": 0}


def run_cli(*args: str, tmp_path: Path) -> tuple[int, str]:
    """`callstats ingest cdrs …` (the real command, run in this process)."""
    env = {**server_env(tmp_path, "cli", {}), "COLUMNS": "200"}
    result = CliRunner().invoke(app, ["ingest", "cdrs", *args], env=env)
    return result.exit_code, result.output


@pytest.mark.parametrize("feed", FEEDS)
def test_callstats_ingest_exits_non_zero_on_it(server: Server, tmp_path: Path,
                                               feed: str) -> None:
    body, _, suffix, _, expected = FEEDS[feed]
    path = tmp_path / f"feed{suffix}"
    path.write_bytes(body)
    for target in (["--url", server.url, "--admin-token", ADMIN_TOKEN],
                   ["--data-dir", str(tmp_path / "direct")]):
        code, output = run_cli(str(path), *target, tmp_path=tmp_path)
        assert code != 0, output
        row, field = expected[0]
        assert (f"row {row}" if row else "file") in output, output
        if field:
            assert field in output, output
