"""The stores every store-dependent suite runs on, fresh store URLs of each kind, the
ClickHouse HTTP stand-in, and probes reading a store's stored rows directly, in its own
dialect, for tests that check what ingestion kept (the reports only ever see aggregates)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from callstats.stores.base import Store
from callstats.stores.clickhouse_store import ClickHouseStore
from callstats.stores.duckdb_store import DuckDBStore

# A ClickHouse server to run the store suites on as well (clickhouse://user:pass@host:8123).
CLICKHOUSE_URL = os.environ.get("CALLSTATS_TEST_CLICKHOUSE_URL", "")
# Every store suite runs on each: the embedded DuckDB store, the ClickHouse store on the
# engine in-process (chdb), and on a server when one is given.
STORE_KINDS = ("duckdb", "chdb", *(("clickhouse",) if CLICKHOUSE_URL else ()))
# The ClickHouse store through clickhouse-connect over HTTP, served by the engine in another
# process (tests/clickhouse_http.py): the store and parity suites also run on it.
HTTP_KIND = "clickhouse-http"


class StoreUrls:
    """Fresh store URLs of one kind. chdb runs one data directory per process, so every
    chdb store of the session is a database of its own in one directory."""

    _made = 0

    def __init__(self, kind: str, chdb_dir: Path, http_url: str = ""):
        self.kind, self._chdb_dir, self._http_url = kind, chdb_dir, http_url

    def __call__(self, data_dir: Path) -> str:
        StoreUrls._made += 1
        database = f"t{os.getpid()}_{StoreUrls._made}"
        if self.kind == "chdb":
            return f"chdb://{self._chdb_dir}?database={database}"
        if self.kind == "clickhouse":
            return f"{CLICKHOUSE_URL.rstrip('/')}/{database}"
        if self.kind == HTTP_KIND:
            return f"{self._http_url}/{database}"
        return f"duckdb://{data_dir / 'cdr.duckdb'}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ClickHouseStandIn:
    """tests/support/clickhouse_http.py in a process of its own, on one port for its whole
    life, so a fault test can kill it and start it again where clients expect it."""

    def __init__(self, data_dir: Path):
        self.data_dir, self.port = data_dir, free_port()
        self.url = f"clickhouse://default:@127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("clickhouse_http.py")),
             str(self.port), str(self.data_dir)], stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("clickhouse_http did not start: "
                                       + self.proc.stderr.read().decode()) from None  # type: ignore[union-attr]
                time.sleep(0.05)

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None


@contextmanager
def clickhouse_http_server(data_dir: Path) -> Iterator[str]:
    """The stand-in, started; yields its clickhouse:// base URL."""
    stand_in = ClickHouseStandIn(data_dir)
    stand_in.start()
    try:
        yield stand_in.url
    finally:
        stand_in.kill()


def cdr_value(store: Store, column: str, cdr_id: int) -> object:
    """One stored column of the CDR with this id."""
    if isinstance(store, ClickHouseStore):
        [(value,)] = store.db.rows(f"SELECT {column} FROM {store.table('cdrs')} "
                                   "WHERE id = {id:Int64}", {"id": cdr_id})
        return value
    assert isinstance(store, DuckDBStore)
    [(value,)] = store.cursor().execute(f"SELECT {column} FROM cdr_rows WHERE id = ?",
                                        [cdr_id]).fetchall()
    return value


def stored_snapshots(store: Store) -> list[tuple[int, int, int]]:
    """(node_id, calls counted, call rows stored) of every snapshot in force, by node and
    time (ClickHouse: the newest version of each; older ones await `maintain`)."""
    if isinstance(store, ClickHouseStore):
        snapshots, calls = store.table("snapshots"), store.table("snapshot_calls")
        rows = store.db.rows(
            f"SELECT node_id, s.calls, c.n FROM {snapshots} s LEFT JOIN (SELECT node_id, "
            f"snapshot_timestamp, version, count() AS n FROM {calls} GROUP BY node_id, "
            "snapshot_timestamp, version) c USING (node_id, snapshot_timestamp, version) "
            "WHERE (node_id, snapshot_timestamp, version) IN (SELECT node_id, "
            f"snapshot_timestamp, max(version) FROM {snapshots} GROUP BY node_id, "
            "snapshot_timestamp) ORDER BY node_id, snapshot_timestamp")
        return [(int(node), int(counted), int(stored)) for node, counted, stored in rows]
    assert isinstance(store, DuckDBStore)
    return store.cursor().execute(
        "SELECT s.node_id, s.calls, (SELECT count(*) FROM snapshot_calls c "
        "WHERE c.node_id = s.node_id AND c.snapshot_timestamp = s.snapshot_timestamp) "
        "FROM snapshots s ORDER BY s.node_id, s.snapshot_timestamp"
    ).fetchall()


def id_counts(store: Store, low: int, high: int) -> tuple[int, int]:
    """(rows, distinct ids) stored with ids in [low, high]: equal unless an id was stored
    twice."""
    if isinstance(store, ClickHouseStore):
        [(rows, distinct)] = store.db.rows(
            f"SELECT count(), uniqExact(id) FROM {store.table('cdrs')} "
            "WHERE id BETWEEN {lo:Int64} AND {hi:Int64}", {"lo": low, "hi": high})
        return int(rows), int(distinct)
    assert isinstance(store, DuckDBStore)
    [(rows, distinct)] = store.cursor().execute(
        "SELECT count(*), count(DISTINCT id) FROM cdr_rows WHERE id BETWEEN ? AND ?",
        [low, high]).fetchall()
    return int(rows), int(distinct)


def stored_cdrs(store: Store, low: int, high: int) -> list[tuple[object, ...]]:
    """Every stored column of the CDRs with ids in [low, high], by id, as Python values."""
    from callstats.columns import CDR_COLUMNS

    names = ", ".join(c.name for c in CDR_COLUMNS)
    if isinstance(store, ClickHouseStore):
        return [tuple(row) for row in store.db.rows(
            f"SELECT {names} FROM {store.table('cdrs')} WHERE id BETWEEN {{lo:Int64}} AND "
            "{hi:Int64} ORDER BY id", {"lo": low, "hi": high})]
    assert isinstance(store, DuckDBStore)
    return store.cursor().execute(
        f"SELECT {names} FROM cdr_rows WHERE id BETWEEN ? AND ? ORDER BY id", [low, high]
    ).fetchall()


def minute_rollup(store: Store) -> list[tuple[object, ...]]:
    """The minute rollup as its readers see it: each key's sums and bounds, rows not yet
    merged (ClickHouse) or compacted (DuckDB) added up."""
    from callstats.stores.rollups import BOUNDS, KEYS, SUMS

    keys = ", ".join(KEYS)
    values = ", ".join([f"sum({name})" for name in SUMS]
                       + [f"{how}({name})" for name, how in BOUNDS])
    table = store.table("cdr_minutes") if isinstance(store, ClickHouseStore) else "cdr_minute_rows"
    sql = f"SELECT {keys}, {values} FROM {table} GROUP BY {keys} ORDER BY {keys}"
    if isinstance(store, ClickHouseStore):
        return [tuple(row) for row in store.db.rows(sql)]
    assert isinstance(store, DuckDBStore)
    return store.cursor().execute(sql).fetchall()
