"""SPEC 11: several processes writing one ClickHouse store never store an id twice,
whatever arrives where and when: `callstats serve` processes and `callstats ingest` runs
sending overlapping ids at the same moment, on one PostgreSQL metadata database whose
writer lock orders their check-and-insert.

Real processes over the engine's HTTP stand-in (tests/support/clickhouse_http.py), and
over the server CALLSTATS_TEST_CLICKHOUSE_URL names when it is set.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from callstats.stores.clickhouse_store import ClickHouseStore
from tests.support.bodies import ADMIN, NDJSON, cdr, ndjson
from tests.support.servers import ADMIN_HEADERS, Server, server_env
from tests.support.stores import CLICKHOUSE_URL, id_counts

pytestmark = [pytest.mark.slow,
              pytest.mark.parametrize("metadata_url", ["postgresql"], indirect=True)]
TRIALS = 12
CHUNK = 400  # ids per batch
CHUNKS = 5  # batches per writer and trial


@pytest.fixture(params=["clickhouse-http", "clickhouse"])
def store_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh ClickHouse database: on the stand-in, or on a real server when given."""
    if request.param == "clickhouse" and not CLICKHOUSE_URL:
        pytest.skip("CALLSTATS_TEST_CLICKHOUSE_URL is not set: no ClickHouse server")
    base = CLICKHOUSE_URL if request.param == "clickhouse" else request.getfixturevalue(
        "clickhouse_http_url")
    yield f"{base.rstrip('/')}/writers_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def probe(store_url: str) -> Iterator[ClickHouseStore]:
    store = ClickHouseStore(store_url)
    yield store
    store.close()


def batches(base: int, writer: int, chunks: int = CHUNKS) -> list[list[int]]:
    """The same ids for every writer, in an order of its own: forwards, backwards, and
    shifted by half a batch, so batches of different writers overlap in every way."""
    shift = CHUNK // 2 if writer % 2 else 0
    ids = [list(range(base + shift + k * CHUNK, base + shift + (k + 1) * CHUNK))
           for k in range(chunks)]
    return ids[::-1] if writer >= 2 else ids


def post(client: httpx.Client, ids: list[int]) -> int:
    body = ndjson([cdr(i, customer_acc_id=i % 5) for i in ids])
    response = client.post(f"{ADMIN}/cdrs", content=body, headers={**ADMIN_HEADERS, **NDJSON})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["received"] == len(ids)
    return int(answer["inserted"])


def run_writers(servers: list[Server], base: int, writers: int, chunks: int = CHUNKS,
                until: Callable[[], bool] = lambda: True, first_writer: int = 0) -> int:
    """`writers` clients spread over the servers, released at once, each sending its
    batches (again, while `until()` is false); the summed inserted."""
    inserted = [0] * writers
    barrier = threading.Barrier(writers)
    failures: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            with servers[writer % len(servers)].client() as client:
                barrier.wait(timeout=30)
                mine = batches(base, first_writer + writer, chunks)
                while True:
                    inserted[writer] += sum(post(client, ids) for ids in mine)
                    if until():
                        break
        except BaseException as exc:  # re-raised below, in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return sum(inserted)


def distinct_ids(base: int, writers: int) -> set[int]:
    return {i for w in range(writers) for ids in batches(base, w) for i in ids}


def test_four_writers_over_two_processes_store_each_id_once(
        start_servers: Callable[..., list[Server]], metadata_url: str, store_url: str,
        probe: ClickHouseStore) -> None:
    servers = start_servers(2, CALLSTATS_METADATA_URL=metadata_url, CALLSTATS_STORE=store_url)
    for trial in range(TRIALS):
        base = (trial + 1) * 1_000_000
        inserted = run_writers(servers, base, writers=4)
        expected = distinct_ids(base, 4)
        rows, distinct = id_counts(probe, base, base + 999_999)
        assert (rows, distinct, inserted) == (len(expected),) * 3, f"trial {trial}"


def test_ingest_runs_and_servers_at_once_store_each_id_once(
        start_servers: Callable[..., list[Server]], metadata_url: str, store_url: str,
        probe: ClickHouseStore, tmp_path: Path) -> None:
    """Two `callstats ingest` runs straight into the store (no server between them and it)
    going forwards through the same ids side by side, and two HTTP writers coming the
    other way from the first rows landing until both runs are done."""
    settings = {"CALLSTATS_METADATA_URL": metadata_url, "CALLSTATS_STORE": store_url}
    servers = start_servers(1, **settings)
    chunks = 15
    for trial in range(2):
        base = (trial + 50) * 1_000_000
        ids = sorted({i for w in (0, 1) for batch in batches(base, w, chunks) for i in batch})
        path = tmp_path / f"cdrs-{trial}.ndjson"
        path.write_bytes(ndjson([cdr(i, customer_acc_id=i % 5) for i in ids]))
        runs = [subprocess.Popen(
            [sys.executable, "-m", "callstats.cli.main", "ingest", "cdrs", str(path),
             "--batch-rows", "100"],
            env={**server_env(tmp_path, f"cli-{run}", settings), "COLUMNS": "200"},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for run in range(2)]
        deadline = time.monotonic() + 60
        while not id_counts(probe, base, base + 999_999)[0] and time.monotonic() < deadline:
            time.sleep(0.02)
        from_servers = run_writers(servers, base, 2, chunks, first_writer=2,
                                   until=lambda runs=runs: all(r.poll() is not None for r in runs))
        outputs = [run.communicate(timeout=300)[0].decode() for run in runs]
        assert [run.returncode for run in runs] == [0, 0], outputs
        from_cli = sum(int(re.search(r"inserted\D+([\d,]+)", out).group(1).replace(",", ""))
                       for out in outputs)
        rows, distinct = id_counts(probe, base, base + 999_999)
        assert (rows, distinct, from_servers + from_cli) == (len(ids),) * 3, f"trial {trial}"
