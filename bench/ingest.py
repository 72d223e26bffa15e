"""Ingestion benchmark: rows/s into a store that already holds 10M CDRs, peak server RSS,
and store size per million CDRs. Prints a table; asserts nothing.

    python bench/ingest.py [--base-rows 10000000] [--http-batches 30] [--parquet-rows 2000000]

The 10M-row base store is built once under bench/out/ and copied for each run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from callstats.columns import CDR_COLUMNS
from callstats.ingest.convert import arrow_schema, derive_cdr_defaults
from callstats.stores.duckdb_store import DuckDBStore

OUT = Path(__file__).resolve().parent / "out"
ADMIN = "bench-admin-token"
DAY = 86400
START = 1_760_000_000  # 2025-10-09, 30 days of history from here


def synthetic_cdrs(first_id: int, rows: int, seed: int = 1, window: tuple[int, int] = (0, 30)
                   ) -> pa.Table:
    """Column-wise CDRs in time order over days `window` of the 30: 1,000 accounts with a
    skewed share (the largest holds ~5%)."""
    import numpy as np

    rng = np.random.default_rng(seed + first_id)
    ids = np.arange(first_id, first_id + rows, dtype=np.int64)
    weights = 1.0 / np.arange(1, 1001) ** 0.9
    weights[0] = weights.sum() * 0.053
    weights /= weights.sum()
    account = rng.choice(1000, size=rows, p=weights).astype(np.int64) + 1
    first_day, last_day = window
    start = START + first_day * DAY + np.sort(
        rng.integers(0, (last_day - first_day) * DAY, size=rows)).astype(np.int64)
    answered = rng.random(rows) > 0.2
    duration = np.where(answered, rng.integers(5, 600, size=rows), 0).astype(np.int64)
    price_micro = duration * rng.integers(50, 2000, size=rows) // 60
    prefix = rng.choice(np.array(["441", "4420", "4915", "331", "1212", "380", "9198"]),
                        size=rows)
    micro = pa.timestamp("us", tz="UTC")
    columns = {
        "id": ids,
        "time_start": pa.array(start * 1_000_000).view(micro),
        "time_connect": pa.array(np.where(answered, (start + 3) * 1_000_000, 0)).view(micro),
        "time_end": pa.array((start + 3 + duration) * 1_000_000).view(micro),
        "duration": duration,
        "customer_id": (account + 9) // 10,
        "customer_acc_id": account,
        "vendor_id": rng.integers(500, 520, size=rows),
        "vendor_acc_id": rng.integers(2000, 2040, size=rows),
        "is_last_cdr": rng.random(rows) > 0.1,
        "local_tag": pc.binary_join_element_wise(
            "tag-", pa.array(ids // 2).cast(pa.string()), ""),
        "src_country_id": rng.integers(1, 50, size=rows),
        "dst_country_id": rng.integers(1, 50, size=rows),
        "dst_prefix_routing": pc.binary_join_element_wise(
            pa.array(prefix), pa.array(rng.integers(1000, 9999, size=rows)).cast(pa.string()), ""),
        "src_prefix_routing": pa.array(rng.integers(10**9, 10**10, size=rows)).cast(pa.string()),
        "auth_orig_ip": pc.binary_join_element_wise(
            "10.0.", pa.array(account % 250).cast(pa.string()), ".7", ""),
        "customer_price": micros_to_decimal(price_micro),
        "vendor_price": micros_to_decimal(price_micro * 8 // 10),
        "legb_disconnect_code": np.where(answered, 200, 486),
        "pdd": np.round(rng.random(rows) * 3, 3),  # seconds, to the millisecond
    }
    schema = arrow_schema(CDR_COLUMNS)
    table = table_of(columns, schema, rows)
    defaults = {"is_redirected": False, "answered_elsewhere": False}
    for name, value in defaults.items():
        table = table.set_column(schema.get_field_index(name), name,
                                 pa.array([value] * rows, pa.bool_()))
    return derive_cdr_defaults(table)


def table_of(columns: dict, schema: pa.Schema, rows: int) -> pa.Table:
    """`columns` (arrays by name) as a table of `schema`; absent columns are all null."""
    arrays = [pa.nulls(rows, f.type) if columns.get(f.name) is None
              else pa.array(columns[f.name]).cast(f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def micros_to_decimal(micros) -> pa.Array:  # type: ignore[no-untyped-def]
    """Integer millionths as exact DECIMAL(18, 6) values."""
    scaled = pc.multiply(pa.array(micros).cast(pa.decimal128(24, 0)),
                         pa.scalar(Decimal("0.000001"), pa.decimal128(7, 6)))
    return scaled.cast(pa.decimal128(18, 6))


def ndjson_body(table: pa.Table) -> bytes:
    """A yeti-like NDJSON body: times as 'YYYY-MM-DD HH:MM:SS', prices as JSON numbers."""
    rows = table.to_pylist()
    lines = []
    for row in rows:
        for key, value in row.items():
            if hasattr(value, "strftime"):
                row[key] = value.strftime("%Y-%m-%d %H:%M:%S")
            elif isinstance(value, Decimal):
                row[key] = float(value)
        lines.append(orjson.dumps(row))
    return b"\n".join(lines)


def base_chunks(rows: int, chunk: int = 1_000_000) -> Iterator[tuple[int, pa.Table]]:
    """The base store's CDRs in arrival order, 1M-row chunks, with the rows so far: every
    store built from these holds the same rows."""
    chunks = -(-rows // chunk)
    for number, first in enumerate(range(0, rows, chunk)):
        window = (30 * number // chunks, 30 * (number + 1) // chunks)
        size = min(chunk, rows - first)
        yield first + size, synthetic_cdrs(first + 1, size, window=window)


def build_base(rows: int) -> Path:
    base = OUT / f"base-{rows}"
    db, done = base / "cdr.duckdb", base / "complete"
    if done.exists():
        return base
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    store = DuckDBStore(db)
    started = time.perf_counter()
    for done_rows, chunk in base_chunks(rows):
        store.insert_cdrs(chunk)
        print(f"  base store: {done_rows:,} rows, {time.perf_counter() - started:.0f} s",
              file=sys.stderr)
    store.compact()  # clustered, as the server's housekeeping keeps it
    store.close()
    done.touch()
    return base


def used_bytes(path: Path) -> int:
    """Bytes of the DuckDB file's blocks in use (the file keeps freed blocks for reuse)."""
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        [(block_size, used_blocks)] = con.execute(
            "SELECT block_size, used_blocks FROM pragma_database_size()").fetchall()
    return int(block_size) * int(used_blocks)


def working_copy(base: Path, name: str) -> Path:
    """A fresh copy of a built store under bench/out/<name>, for a run to change."""
    work = OUT / name
    shutil.rmtree(work, ignore_errors=True)
    # symlinks=True: a chdb directory links its tables to store/ by relative symlinks.
    shutil.copytree(base, work, symlinks=True, ignore=shutil.ignore_patterns("complete"))
    return work


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`callstats serve` on `data_dir` (metadata, and the DuckDB store unless `store`, a
    CALLSTATS_STORE URL, names another), with `env` added to its environment."""

    def __init__(self, data_dir: Path, store: str = "", env: dict[str, str] | None = None):
        self.port = free_port()
        env = {**os.environ, "CALLSTATS_ADMIN_TOKEN": ADMIN, "CALLSTATS_LOG_LEVEL": "warning",
               "CALLSTATS_STORE": store, **(env or {})}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "callstats.cli.main", "serve", "--port", str(self.port),
             "--data-dir", str(data_dir)], env=env, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}"
        for _ in range(600):
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(120)  # a compaction under way finishes first


def post_parallel(url: str, bodies: list[bytes], streams: int) -> tuple[float, int, int]:
    """`streams` clients posting their share of the bodies at the same time."""
    from concurrent.futures import ThreadPoolExecutor

    shares = [bodies[i::streams] for i in range(streams)]
    started = time.perf_counter()
    with ThreadPoolExecutor(streams) as pool:
        answers = list(pool.map(lambda share: post_all(url, share, "application/x-ndjson"),
                                shares))
    return (time.perf_counter() - started, sum(a[1] for a in answers),
            sum(a[2] for a in answers))


def post_all(url: str, bodies: list[bytes], content_type: str) -> tuple[float, int, int]:
    headers = {"Authorization": f"Bearer {ADMIN}", "Content-Type": content_type}
    inserted = received = 0
    with httpx.Client(timeout=600) as client:
        started = time.perf_counter()
        for body in bodies:
            answer = client.post(url + "/api/admin/v1/cdrs", content=body, headers=headers)
            answer.raise_for_status()
            received += answer.json()["received"]
            inserted += answer.json()["inserted"]
        return time.perf_counter() - started, received, inserted


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-rows", type=int, default=10_000_000)
    parser.add_argument("--http-batches", type=int, default=30)
    parser.add_argument("--parquet-rows", type=int, default=2_000_000)
    args = parser.parse_args()

    base = build_base(args.base_rows)
    work = working_copy(base, "work")
    size = used_bytes(work / "cdr.duckdb")
    results: list[tuple[str, str, str]] = [
        ("store size per 1M CDRs", f"{size / args.base_rows * 1e6 / 2**20:.1f} MiB",
         "DuckDB blocks in use, clustered, after checkpoint"),
    ]

    next_id = args.base_rows + 1
    batch = 10_000
    bodies = [ndjson_body(synthetic_cdrs(next_id + i * batch, batch, seed=7))
              for i in range(args.http_batches)]
    next_id += batch * args.http_batches
    parquet_path = OUT / "import.parquet"
    pq.write_table(synthetic_cdrs(next_id, args.parquet_rows, seed=9), parquet_path)

    server = Server(work)
    try:
        seconds, received, inserted = post_all(server.url, bodies, "application/x-ndjson")
        results.append(("HTTP NDJSON, 10k-row batches, new ids",
                        f"{received / seconds:,.0f} rows/s", f"{inserted:,} inserted"))
        fresh = [ndjson_body(synthetic_cdrs(next_id + i * batch, batch, seed=8))
                 for i in range(args.http_batches)]
        next_id += batch * args.http_batches
        seconds, received, inserted = post_parallel(server.url, fresh, 2)
        results.append(("HTTP NDJSON, 10k-row batches, new ids, 2 streams",
                        f"{received / seconds:,.0f} rows/s", f"{inserted:,} inserted"))
        seconds, received, inserted = post_all(server.url, bodies, "application/x-ndjson")
        results.append(("HTTP NDJSON, 10k-row batches, all duplicates",
                        f"{received / seconds:,.0f} rows/s", f"{inserted:,} inserted"))
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "callstats.cli.main", "ingest", "cdrs",
                        str(parquet_path), "--url", server.url, "--admin-token", ADMIN],
                       check=True, capture_output=True)
        seconds = time.perf_counter() - started
        results.append(("CLI Parquet via HTTP (--url), 50k-row batches",
                        f"{args.parquet_rows / seconds:,.0f} rows/s", "whole command"))
        results.append(("peak server RSS", f"{server.peak_rss_mb():,.0f} MB", "VmHWM"))
    finally:
        server.stop()

    again = OUT / "import2.parquet"
    pq.write_table(synthetic_cdrs(next_id + args.parquet_rows, args.parquet_rows, seed=11),
                   again)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "callstats.cli.main", "ingest", "cdrs", str(again),
                    "--data-dir", str(work)], check=True, capture_output=True)
    seconds = time.perf_counter() - started
    results.append(("CLI Parquet into --data-dir", f"{args.parquet_rows / seconds:,.0f} rows/s",
                    "whole command, process start included"))

    width = max(len(r[0]) for r in results)
    print(f"\ningestion into a store holding {args.base_rows:,} CDRs (idempotency on)\n")
    print(f"{'measure'.ljust(width)}  {'value':>16}  note")
    for name, value, note in results:
        print(f"{name.ljust(width)}  {value:>16}  {note}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
