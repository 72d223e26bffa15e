"""An acknowledged batch survives `kill -9` (SPEC 6: durable once answered), against a real
`callstats serve` process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import orjson
import pytest

from tests.support.bodies import ADMIN, NDJSON, cdr, envelope, ndjson

pytestmark = pytest.mark.slow
TOKEN = "durability-admin-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: Path, log: Path, store: str = ""
                 ) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLSTATS_")}
    env.update(CALLSTATS_ADMIN_TOKEN=TOKEN, CALLSTATS_JWT_SECRET="durability-" + "s" * 32,
               CALLSTATS_STORE=store)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "callstats.cli.main", "serve", "--host", "127.0.0.1",
             "--port", str(port), "--data-dir", str(data_dir)],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    pytest.fail(f"server did not come up:\n{log.read_text()}")


def post_batch(url: str, first_id: int) -> list[int]:
    ids = list(range(first_id, first_id + 3000))
    response = httpx.post(
        f"{url}{ADMIN}/cdrs", content=ndjson([cdr(i, customer_acc_id=i % 7) for i in ids]),
        headers={"Authorization": f"Bearer {TOKEN}", **NDJSON}, timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"received": 3000, "inserted": 3000, "duplicates": 0}
    return ids


# Read back in a fresh process: chdb opens one data directory per process.
_READ_BACK = """
import sys, orjson
from callstats.stores.base import open_store
store = open_store(sys.argv[1])
if hasattr(store, "cursor"):
    ids = [r[0] for r in store.cursor().execute("SELECT id FROM cdr_rows").fetchall()]
    [(snapshots,)] = store.cursor().execute("SELECT count(*) FROM snapshots").fetchall()
else:
    ids = [r[0] for r in store.db.rows(f"SELECT id FROM {store.table('cdrs')}")]
    [(snapshots,)] = store.db.rows(
        f"SELECT uniqExact(node_id, snapshot_timestamp) FROM {store.table('snapshots')}")
store.close()
print(orjson.dumps({"ids": sorted(ids), "snapshots": snapshots}).decode())
"""


def stored(store_url: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", _READ_BACK, store_url], capture_output=True,
                          timeout=60, check=True)
    return orjson.loads(done.stdout)


@pytest.mark.parametrize("kind", ["duckdb", "chdb"])
def test_acknowledged_batches_survive_kill_9(tmp_path: Path, kind: str) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "server.log"
    store_url = (f"chdb://{tmp_path / 'chdb'}" if kind == "chdb"
                 else f"duckdb://{data_dir / 'cdr.duckdb'}")
    acknowledged: list[int] = []
    for run, batches in enumerate((2, 2)):  # several batches, SIGKILL right after the last
        proc, url = start_server(data_dir, log, store_url)
        try:
            snapshot = httpx.post(
                f"{url}{ADMIN}/active-calls",
                content=ndjson([envelope(f"2024-03-01T10:0{run}:00Z", 1, 3)]),
                headers={"Authorization": f"Bearer {TOKEN}", **NDJSON}, timeout=30,
            )
            assert snapshot.status_code == 200, snapshot.text
            for _ in range(batches):
                acknowledged += post_batch(url, len(acknowledged) * 2 + 1)
        finally:
            proc.kill()  # no shutdown, no checkpoint
            proc.wait(timeout=10)

        assert stored(store_url) == {"ids": sorted(acknowledged), "snapshots": run + 1}


_READ_ROLLUP = """
import sys, orjson
from callstats.stores.duckdb_store import DuckDBStore
store = DuckDBStore(sys.argv[1])
[(calls,)] = store.cursor().execute(
    "SELECT sum(calls) FROM cdr_minute_rows WHERE side = 0").fetchall()
store.close()
print(orjson.dumps(int(calls or 0)).decode())
"""


def test_acknowledged_single_cdr_posts_survive_kill_9(tmp_path: Path) -> None:
    """Single-CDR posts from concurrent clients share group commits (ingest/group_commit.py,
    answered from the committer without a request thread): every one acknowledged before
    SIGKILL is stored with its minute-rollup row."""
    data_dir, log = tmp_path / "data", tmp_path / "server.log"
    store_path = data_dir / "cdr.duckdb"
    proc, url = start_server(data_dir, log, f"duckdb://{store_path}")
    acknowledged: list[int] = []
    try:
        with httpx.Client(timeout=30) as client:
            def post(cdr_id: int) -> int | None:
                answer = client.post(
                    f"{url}{ADMIN}/cdrs",
                    content=ndjson([cdr(cdr_id, customer_acc_id=cdr_id % 5 + 1,
                                        is_last_cdr=True)]),
                    headers={"Authorization": f"Bearer {TOKEN}", **NDJSON})
                return cdr_id if answer.status_code == 200 and answer.json()["inserted"] else None

            with ThreadPoolExecutor(16) as pool:
                acknowledged = [i for i in pool.map(post, range(1, 321)) if i is not None]
    finally:
        proc.kill()  # right after the last answer: no shutdown, no checkpoint
        proc.wait(timeout=10)
    assert len(acknowledged) == 320
    assert stored(f"duckdb://{store_path}")["ids"] == acknowledged
    rolled = subprocess.run([sys.executable, "-c", _READ_ROLLUP, str(store_path)],
                            capture_output=True, timeout=60, check=True)
    assert orjson.loads(rolled.stdout) == len(acknowledged)
