"""Ingestion throughput, stalls, memory and disk, DuckDB and chdb stores side by side, each
behind `callstats serve` on a fresh data directory. Prints a table; asserts nothing.

    python bench/ingest_perf.py [--posts 4] [--post-rows 1000000] [--stores duckdb,chdb]
                                [--before-src /work/main/src]

Phases, one server per store (and per source tree with --before-src, which runs the same
phases against another checkout's code, e.g. main, so before and after land in one table):
  1. `--posts` Parquet bodies of `--post-rows` CDRs POSTed one after another while the
     housekeeping thread compacts (CALLSTATS_MAINTENANCE_INTERVAL=2): rows/s per POST;
  2. NDJSON bodies of 20k CDRs, one client;
  3. active-call snapshots (NDJSON envelopes, 20 nodes x 1,000 calls a body);
  4. single-CDR POSTs from 16 clients (processes) for `--single-seconds`.
Then the server is stopped and the store's bytes on disk are divided by the CDRs it holds.
Server CPU is read from /proc (user + system) around each phase.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import statistics
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import orjson
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import (  # noqa: E402
    ADMIN,
    OUT,
    START,
    Server,
    ndjson_body,
    synthetic_cdrs,
)

NDJSON_ROWS = 20_000
SNAPSHOT_NODES, SNAPSHOT_CALLS = 20, 1_000
CLIENTS = 16


def server_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def dir_bytes(path: Path) -> int:
    """Bytes the files under `path` take on disk (allocated blocks)."""
    if path.is_file():
        return sum(os.lstat(p).st_blocks * 512 for p in (path, Path(f"{path}.wal"))
                   if p.exists())
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except FileNotFoundError:
                pass
    return total


class RssSampler:
    """Peak resident set of a process: VmHWM, which the kernel keeps for us."""

    def __init__(self, pid: int):
        self.pid = pid

    def peak_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")


def post(conn: http.client.HTTPConnection, path: str, body: bytes, content_type: str
         ) -> dict[str, int]:
    conn.request("POST", path, body, {"Authorization": f"Bearer {ADMIN}",
                                      "Content-Type": content_type})
    answer = conn.getresponse()
    data = answer.read()
    if answer.status != 200:
        raise RuntimeError(f"{answer.status}: {data[:300]!r}")
    return orjson.loads(data)


def connection(url: str) -> http.client.HTTPConnection:
    host, port = url.removeprefix("http://").split(":")
    return http.client.HTTPConnection(host, int(port), timeout=900)


def snapshot_bodies(count: int) -> list[bytes]:
    bodies = []
    for number in range(count):
        stamp = START + 60 * number
        lines = []
        for node in range(SNAPSHOT_NODES):
            calls = [{"customer_acc_id": 1 + (node * 37 + i) % 1000, "start_time": stamp - i,
                      "connect_time": stamp - i + 3, "destination_prefix": "4420",
                      "destination_initial_rate": "0.0123", "src_prefix_in": f"44{i:08d}",
                      "dst_prefix_in": f"4915{i:07d}", "auth_orig_ip": "10.0.0.1",
                      "auth_orig_port": 5060}
                     for i in range(SNAPSHOT_CALLS)]
            lines.append(orjson.dumps({"snapshot_timestamp": stamp, "node_id": node,
                                       "calls": calls}))
        bodies.append(b"\n".join(lines))
    return bodies


def single_cdr_client(url: str, first_id: int, stride: int, seconds: float) -> tuple[int, int]:
    """One client posting one CDR per request until `seconds` pass: (acknowledged, errors)."""
    table = synthetic_cdrs(first_id, 200, seed=5)
    lines = ndjson_body(table).split(b"\n")
    conn = connection(url)
    done = errors = 0
    deadline = time.perf_counter() + seconds
    sent = 0
    while time.perf_counter() < deadline:
        record = orjson.loads(lines[sent % len(lines)])
        record["id"] = first_id + sent * stride
        sent += 1
        try:
            answer = post(conn, "/api/admin/v1/cdrs", orjson.dumps(record),
                          "application/x-ndjson")
            done += answer["inserted"]
        except (RuntimeError, OSError):
            errors += 1
            conn.close()
            conn = connection(url)
    conn.close()
    return done, errors


def run_store(name: str, store_kind: str, src: str | None, args: argparse.Namespace,
              parquet: list[Path], ndjson: list[bytes], snapshots: list[bytes]
              ) -> dict[str, object]:
    data_dir = OUT / f"ingest-perf-{name}"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    store_url = "" if store_kind == "duckdb" else (
        f"chdb://{(data_dir / 'chdb').resolve()}?database=callstats")
    env = {"CALLSTATS_MAINTENANCE_INTERVAL": str(args.maintenance_interval)}
    if src:
        env["PYTHONPATH"] = src
    env.update(dict(e.split("=", 1) for e in args.env))
    server = Server(data_dir, store_url, env)
    store_path = data_dir / ("cdr.duckdb" if store_kind == "duckdb" else "chdb")
    result: dict[str, object] = {"name": name}
    stop = threading.Event()
    growth: list[int] = []

    phase = ["parquet"]
    rss: dict[str, float] = {}

    def watch_disk() -> None:
        while not stop.wait(0.5):
            growth.append(dir_bytes(data_dir))
            try:
                status = Path(f"/proc/{server.proc.pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    now = int(line.split()[1]) / 1024
                    rss[phase[0]] = max(rss.get(phase[0], 0.0), now)

    watcher = threading.Thread(target=watch_disk, daemon=True)
    watcher.start()
    try:
        conn = connection(server.url)
        rates, cpu = [], []
        for path in parquet:
            body = path.read_bytes()
            cpu0, started = server_cpu_s(server.proc.pid), time.perf_counter()
            answer = post(conn, "/api/admin/v1/cdrs", body, "application/vnd.apache.parquet")
            seconds = time.perf_counter() - started
            cpu.append(server_cpu_s(server.proc.pid) - cpu0)
            rates.append(answer["received"] / seconds)
            print(f"  {name}: Parquet POST {answer['received']:,} rows in {seconds:.1f} s "
                  f"({rates[-1]:,.0f} rows/s), server CPU {cpu[-1]:.1f} s", file=sys.stderr)
        if rates:  # `--posts 0` skips the phase
            result["parquet_median"] = statistics.median(rates)
            result["parquet_slowest"] = min(rates)
            result["parquet_cpu_s"] = statistics.median(cpu)

        phase[0] = "ndjson"
        cpu0, started = server_cpu_s(server.proc.pid), time.perf_counter()
        rows = sum(post(conn, "/api/admin/v1/cdrs", body, "application/x-ndjson")["received"]
                   for body in ndjson)
        seconds = time.perf_counter() - started
        result["ndjson"] = rows / seconds if ndjson else None
        result["ndjson_cpu_ms"] = ((server_cpu_s(server.proc.pid) - cpu0) * 1000
                                   / max(len(ndjson), 1))
        if ndjson:
            print(f"  {name}: NDJSON {rows / seconds:,.0f} rows/s", file=sys.stderr)

        phase[0] = "snapshots"
        cpu0, started = server_cpu_s(server.proc.pid), time.perf_counter()
        calls = sum(post(conn, "/api/admin/v1/active-calls", body,
                         "application/x-ndjson")["calls"] for body in snapshots)
        seconds = time.perf_counter() - started
        result["snapshots"] = calls / seconds if snapshots else None
        result["snapshot_cpu_ms"] = (server_cpu_s(server.proc.pid) - cpu0) * 1000 / max(
            len(snapshots), 1)
        if snapshots:
            print(f"  {name}: snapshots {calls / seconds:,.0f} calls/s", file=sys.stderr)
        conn.close()

        first = 10**12
        phase[0] = "single"
        # One post first, so the server's first-use work stays out of the phase when no
        # phase ran before (pyarrow imports pandas at its first array built from Python
        # objects: ~1.7 s of CPU, about a millisecond per CDR of a 10 s phase).
        warm = connection(server.url)
        post(warm, "/api/admin/v1/cdrs", ndjson_body(synthetic_cdrs(first - 1, 1, seed=5)),
             "application/x-ndjson")
        warm.close()
        cpu0, started = server_cpu_s(server.proc.pid), time.perf_counter()
        with ProcessPoolExecutor(CLIENTS if args.single_seconds else 1,
                                 mp_context=get_context("fork")) as pool:
            answers = list(pool.map(single_cdr_client, [server.url] * CLIENTS,
                                    [first + c for c in range(CLIENTS)], [CLIENTS] * CLIENTS,
                                    [args.single_seconds] * CLIENTS))
        seconds = time.perf_counter() - started
        acked = sum(a[0] for a in answers)
        result["single"] = acked / seconds
        result["single_errors"] = sum(a[1] for a in answers)
        result["single_cpu_ms"] = (server_cpu_s(server.proc.pid) - cpu0) * 1000 / max(acked, 1)
        print(f"  {name}: single-CDR posts {result['single']:,.0f} CDRs/s "
              f"({result['single_errors']} errors)", file=sys.stderr)

        phase[0] = "settle"
        time.sleep(args.settle)  # let housekeeping finish what the posts started
        print(f"  {name}: peak RSS by phase (MB): "
              + ", ".join(f"{k} {v:,.0f}" for k, v in rss.items()), file=sys.stderr)
        result["rss_mb"] = RssSampler(server.proc.pid).peak_mb()
        stored = int(args.posts * args.post_rows + len(ndjson) * NDJSON_ROWS + acked)
    finally:
        stop.set()
        server.stop()
    result["disk_peak"] = max(growth, default=0)
    result["bytes_per_cdr"] = dir_bytes(store_path) / stored if stored else None
    result["stored"] = stored
    shutil.rmtree(data_dir, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=4)
    parser.add_argument("--post-rows", type=int, default=1_000_000)
    parser.add_argument("--ndjson-batches", type=int, default=10)
    parser.add_argument("--snapshot-posts", type=int, default=10)
    parser.add_argument("--single-seconds", type=float, default=10.0)
    parser.add_argument("--maintenance-interval", type=float, default=2.0)
    parser.add_argument("--settle", type=float, default=5.0,
                        help="seconds to wait for housekeeping before measuring the disk")
    parser.add_argument("--stores", default="duckdb,chdb")
    parser.add_argument("--before-src", default="",
                        help="another checkout's src/ to run first as 'before'")
    parser.add_argument("--env", action="append", default=[],
                        help="NAME=value for the servers' environment (repeatable)")
    args = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    parquet = []
    for number in range(args.posts):
        path = OUT / f"ingest-perf-{number}.parquet"
        if not path.exists() or pq.read_metadata(path).num_rows != args.post_rows:
            # Each body a time slice of 30 days, ids increasing, as a switch exports them.
            first = 1 + number * args.post_rows
            window = (30 * number // args.posts, 30 * (number + 1) // args.posts)
            pq.write_table(synthetic_cdrs(first, args.post_rows, window=window), path)
        parquet.append(path)
    first_ndjson = 1 + args.posts * args.post_rows
    ndjson = [ndjson_body(synthetic_cdrs(first_ndjson + i * NDJSON_ROWS, NDJSON_ROWS, seed=7))
              for i in range(args.ndjson_batches)]
    snapshots = snapshot_bodies(args.snapshot_posts)

    runs = []
    for kind in args.stores.split(","):
        if args.before_src:
            runs.append(run_store(f"{kind} before", kind, args.before_src, args, parquet,
                                  ndjson, snapshots))
        runs.append(run_store(kind, kind, None, args, parquet, ndjson, snapshots))

    rows = [
        ("Parquet POST, median rows/s", "parquet_median", "{:,.0f}"),
        ("Parquet POST, slowest rows/s", "parquet_slowest", "{:,.0f}"),
        ("Parquet POST, server CPU s (median)", "parquet_cpu_s", "{:.1f}"),
        (f"NDJSON {NDJSON_ROWS // 1000}k-row POSTs, rows/s", "ndjson", "{:,.0f}"),
        ("NDJSON, server CPU ms per POST", "ndjson_cpu_ms", "{:,.0f}"),
        ("snapshots, calls/s", "snapshots", "{:,.0f}"),
        ("snapshots, server CPU ms per POST", "snapshot_cpu_ms", "{:,.0f}"),
        (f"single-CDR POSTs, {CLIENTS} clients, CDRs/s", "single", "{:,.0f}"),
        ("single-CDR POSTs, errors", "single_errors", "{}"),
        ("single-CDR POSTs, server CPU ms per CDR", "single_cpu_ms", "{:.2f}"),
        ("server peak RSS, MB", "rss_mb", "{:,.0f}"),
        ("data dir peak while ingesting, MB", "disk_peak", "{}"),
        ("bytes on disk per CDR", "bytes_per_cdr", "{:.0f}"),
    ]
    print(f"\n{args.posts} x {args.post_rows:,}-row Parquet POSTs, then {args.ndjson_batches} "
          f"NDJSON, {args.snapshot_posts} snapshot and {args.single_seconds:.0f} s of "
          f"single-CDR POSTs; fresh data directory per column\n")
    width = max(len(r[0]) for r in rows)
    print("measure".ljust(width) + "".join(f"  {r['name']:>14}" for r in runs))
    for label, key, fmt in rows:
        cells = []
        for run in runs:
            value = run.get(key)
            if key == "disk_peak" and isinstance(value, int):
                value = f"{value / 2**20:,.0f}"
            cells.append(f"  {fmt.format(value) if value is not None else '-':>14}")
        print(label.ljust(width) + "".join(cells))


if __name__ == "__main__":
    main()
