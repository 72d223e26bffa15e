"""What the cross-process writer lock costs ClickHouse ingestion, measured side by side in
one run: the store's insert_cdrs without a lock (each process alone orders its batches),
with the PostgreSQL advisory lock and with the SQLite file lock. Prints tables; asserts
nothing.

    python bench/writer_lock.py [--rows 10000] [--batches 20] [--trials 5]

ClickHouse is the engine served over HTTP by tests/support/clickhouse_http.py (chdb in a
process of its own, reached with clickhouse-connect as a server would be; it runs one
query at a time, as chdb does). PostgreSQL: CALLSTATS_BENCH_POSTGRES_URL, default the
local test database (a fresh schema, dropped after).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pyarrow as pa
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import free_port, synthetic_cdrs  # noqa: E402
from stores import print_table  # noqa: E402

from callstats.metadata.store import MetadataStore  # noqa: E402
from callstats.stores.clickhouse_store import ClickHouseStore  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = os.environ.get("CALLSTATS_BENCH_POSTGRES_URL",
                          "postgresql://postgres@127.0.0.1:5432/test")


def start_clickhouse(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, str(ROOT / "tests/support/clickhouse_http.py"),
                                str(port), str(data_dir)])
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/?query=SELECT%201", timeout=1)
            return process, f"clickhouse://default:@127.0.0.1:{port}"
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the ClickHouse stand-in did not start")


def postgres_schema() -> tuple[str, Callable[[], None]]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return f"{POSTGRES}?options=-csearch_path%3D{schema}", drop


def lock_of(metadata_url: str | None, spent: list[float]):  # type: ignore[no-untyped-def]
    """(writer lock, metadata store to close) for a metadata URL (None: no lock), the
    lock timed: milliseconds to take it plus to release it go to `spent`."""
    if metadata_url is None:
        return None, None
    metadata = MetadataStore(metadata_url)

    @contextmanager
    def timed(name: str) -> Iterator[None]:
        began = time.perf_counter()
        with contextlib.ExitStack() as stack:
            stack.enter_context(metadata.writer_lock(name))
            taken = time.perf_counter()
            try:
                yield
            finally:
                done = time.perf_counter()
                stack.close()
                spent.append((taken - began + time.perf_counter() - done) * 1000)

    return timed, metadata


# --- one writer ---------------------------------------------------------------------------


def one_writer(store_url: str, metadatas: dict[str, str | None], rows: int, batches: int,
               rounds: int) -> tuple[dict[str, list[tuple[float, float]]],
                                     dict[str, list[float]]]:
    """(wall ms, CPU ms) of each batch per variant, the variants taking turns batch by
    batch so the machine's noise falls on all of them alike; and the lock's own ms."""
    stores = {}
    closers = []
    in_lock: dict[str, list[float]] = {}
    for name, metadata_url in metadatas.items():
        lock, metadata = lock_of(metadata_url, in_lock.setdefault(name, []))
        stores[name] = ClickHouseStore(store_url, writer_lock=lock)
        closers += [stores[name]] + ([metadata] if metadata else [])
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in stores}
    next_id = 1
    tables = [synthetic_cdrs(1 + k * rows, rows, window=(0, 1)) for k in range(2)]
    names = list(stores)
    for turn in range(rounds * batches):
        for name in names[turn % len(names):] + names[:turn % len(names)]:  # rotating
            store = stores[name]
            table = tables[next_id % 2]
            ids = np.arange(next_id, next_id + rows, dtype=np.int64)
            table = table.set_column(0, "id", pa.array(ids))
            next_id += rows
            wall, cpu = time.perf_counter(), time.process_time()
            store.insert_cdrs(table)
            times[name].append(((time.perf_counter() - wall) * 1000,
                                (time.process_time() - cpu) * 1000))
    for closer in closers:
        closer.close()
    return times, in_lock


# --- four writers over two processes --------------------------------------------------------


def _process(store_url: str, metadata_url: str | None, base: int, rows: int, batches: int,
             writers: tuple[int, int], start_at: float, queue) -> None:  # type: ignore[no-untyped-def]
    in_lock: list[float] = []
    lock, metadata = lock_of(metadata_url, in_lock)
    store = ClickHouseStore(store_url, writer_lock=lock)
    table = synthetic_cdrs(1, rows, window=(0, 1))
    inserted = [0, 0]
    spent: list[float] = []

    def write(slot: int, writer: int) -> None:
        order = range(batches) if writer % 2 == 0 else range(batches - 1, -1, -1)
        for k in order:  # the same ids for every writer, half of them in reverse
            ids = np.arange(base + k * rows, base + (k + 1) * rows, dtype=np.int64)
            began = time.perf_counter()
            inserted[slot] += store.insert_cdrs(table.set_column(0, "id", pa.array(ids))).inserted
            spent.append((time.perf_counter() - began) * 1000)

    threads = [threading.Thread(target=write, args=(slot, w)) for slot, w in enumerate(writers)]
    time.sleep(max(0.0, start_at - time.time()))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put((sum(inserted), time.time(), spent, in_lock))
    store.close()
    if metadata:
        metadata.close()


def four_writers(store_url: str, metadata_url: str | None, base: int, rows: int,
                 batches: int) -> dict[str, float]:
    context = get_context("spawn")
    queue = context.Queue()
    start_at = time.time() + 3  # both processes open their store first
    processes = [context.Process(target=_process, args=(
        store_url, metadata_url, base, rows, batches, pair, start_at, queue))
        for pair in ((0, 1), (2, 3))]
    for process in processes:
        process.start()
    results = [queue.get(timeout=600) for _ in processes]
    for process in processes:
        process.join()
    probe = ClickHouseStore(store_url)
    [(stored, distinct)] = probe.db.rows(
        f"SELECT count(), uniqExact(id) FROM {probe.table('cdrs')} WHERE id BETWEEN "
        "{lo:Int64} AND {hi:Int64}", {"lo": base, "hi": base + batches * rows})
    probe.close()
    wall = max(r[1] for r in results) - start_at
    return {"wall": wall, "distinct": int(distinct), "stored": int(stored),
            "inserted": sum(r[0] for r in results),
            "batch_ms": [ms for r in results for ms in r[2]],
            "lock_ms": [ms for r in results for ms in r[3]]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000, help="rows per batch")
    parser.add_argument("--batches", type=int, default=10, help="batches per variant and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--trials", type=int, default=4, help="trials of the four writers")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clickhouse, base_url = start_clickhouse(Path(tmp) / "chdb")
        postgres_url, drop_schema = postgres_schema()
        metadatas = {"no lock": None, "PostgreSQL advisory lock": postgres_url,
                     "SQLite file lock": f"sqlite:///{tmp}/metadata.sqlite"}
        try:
            store_url = f"{base_url}/bench_{uuid.uuid4().hex[:8]}"
            times, in_lock = one_writer(store_url, metadatas, args.rows, args.batches,
                                        args.rounds)
            reference = statistics.median(t[0] for t in times["no lock"])
            rows = []
            for name, samples in times.items():
                wall = statistics.median(t[0] for t in samples)
                cpu = statistics.median(t[1] for t in samples)
                lock = statistics.median(in_lock[name]) if in_lock[name] else 0.0
                rows.append((name, f"{wall:.1f}", f"{statistics.mean(t[0] for t in samples):.1f}",
                             f"{cpu:.1f}", f"{args.rows / wall * 1000:,.0f}",
                             f"{wall / reference:.2f}", f"{lock:.2f}",
                             f"{lock / wall:.1%}"))
            print(f"\none writer, {args.rows:,}-row batches of new ids, "
                  f"{len(times['no lock'])} batches per variant, taking turns")
            print_table(("variant", "ms/batch p50", "mean", "CPU ms/batch", "rows/s",
                         "vs no lock", "lock ms/batch", "lock share"), rows)

            print(f"\nfour writers over two processes, the same {args.batches} batches each "
                  f"(two forwards, two backwards), {args.trials} trials per variant")
            rows = []
            for name in ("no lock", "PostgreSQL advisory lock"):
                runs = []
                for trial in range(args.trials):
                    base = (trial + 1) * 10**9 + (0 if name == "no lock" else 10**8)
                    runs.append(four_writers(store_url, metadatas[name], base, args.rows,
                                             args.batches))
                distinct = sum(r["distinct"] for r in runs)
                wall = sum(r["wall"] for r in runs)
                waits = [ms for r in runs for ms in r["lock_ms"]]
                rows.append((name, f"{distinct / wall:,.0f}",
                             f"{statistics.median(ms for r in runs for ms in r['batch_ms']):.0f}",
                             f"{statistics.median(waits):.0f}" if waits else "-",
                             f"{sum(r['stored'] - r['distinct'] for r in runs):,}",
                             f"{sum(r['inserted'] - r['distinct'] for r in runs):,}"))
            print_table(("variant", "distinct rows/s", "ms/batch p50", "lock wait ms p50",
                         "ids stored twice", "inserted beyond distinct"), rows)
        finally:
            clickhouse.kill()
            clickhouse.wait()
            drop_schema()


if __name__ == "__main__":
    main()
