"""Small posts and snapshots in-process, without HTTP: where ingestion's CPU goes. Prints a
table; asserts nothing.

    python bench/small_posts.py [--before-src <other checkout>/src] [--seconds 5] [--threads 1]

Measures, on a fresh DuckDB store per run with `--threads` engine threads (1, the server's
default CALLSTATS_DUCKDB_THREADS; 0: one per core), CPU being this process's user + system
time, so DuckDB's own threads count:
  1. 16 threads each submitting one-CDR NDJSON bodies to a group committer (as the server
     does for single-CDR posts) for `--seconds`: acknowledged CDRs/s, CPU ms per CDR and
     CDRs per group;
  2. one 16-row group alone: its parse, and its insert (rows, rollup sums, one COMMIT);
  3. a 20k-row NDJSON batch's parse (and, where the tree has them, its parts: the exponent
     scan, Arrow's JSON reader, the column conversion) and insert; a snapshot body's (20
     nodes x 1,000 calls) parse and store.
`--before-src` runs the same in a child process on another checkout's code first (e.g.
main), so before and after share one table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import ndjson_body, synthetic_cdrs  # noqa: E402
from ingest_perf import snapshot_bodies  # noqa: E402

CLIENTS = 16


def median_cpu_ms(work: object, runs: int) -> float:
    """Median CPU ms of `runs` calls of `work` (after one warm-up call)."""
    assert callable(work)
    work()
    spent = []
    for _ in range(runs):
        started = time.process_time()
        work()
        spent.append(time.process_time() - started)
    return statistics.median(spent) * 1000


def measure(seconds: float, threads: int) -> dict[str, float]:
    from callstats.ingest.batches import Format, parse_cdrs, parse_snapshots
    from callstats.ingest.group_commit import GroupCommitter
    from callstats.stores.duckdb_store import DuckDBStore

    result: dict[str, float] = {}
    lines = ndjson_body(synthetic_cdrs(10**12, 200, seed=5)).split(b"\n")
    with tempfile.TemporaryDirectory() as directory:
        store = DuckDBStore(Path(directory) / "cdr.duckdb", threads=threads)
        store.insert_cdrs(parse_cdrs(ndjson_body(synthetic_cdrs(1, 20_000, seed=7)),
                                     Format.NDJSON, 1 << 30))
        committer = GroupCommitter(store, 2048)
        acked = [0] * CLIENTS
        stop = threading.Event()

        def client(number: int) -> None:
            sent = 0
            while not stop.is_set():
                record = orjson.loads(lines[sent % len(lines)])
                record["id"] = 10**12 + number + CLIENTS * sent
                sent += 1
                acked[number] += committer.submit(orjson.dumps(record)).inserted

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        cpu, wall = time.process_time(), time.perf_counter()
        for thread in threads:
            thread.start()
        time.sleep(seconds)
        stop.set()
        for thread in threads:
            thread.join()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        committer.close()
        total = sum(acked)
        result["single_rate"] = total / wall
        result["single_cpu_ms"] = cpu * 1000 / total
        result["group_rows"] = total / committer.groups

        next_id = [2 * 10**12]

        def group_body() -> bytes:
            records = []
            for line in lines[:CLIENTS]:
                record = orjson.loads(line)
                record["id"] = next_id[0]
                next_id[0] += 1
                records.append(orjson.dumps(record))
            return b"\n".join(records)

        result["group_parse_ms"] = median_cpu_ms(
            lambda: parse_cdrs(group_body(), Format.NDJSON, 1 << 20), 50)
        result["group_insert_ms"] = median_cpu_ms(
            lambda: store.insert_cdrs(parse_cdrs(group_body(), Format.NDJSON, 1 << 20)),
            50) - result["group_parse_ms"]

        body = ndjson_body(synthetic_cdrs(10**11, 20_000, seed=7))
        result["ndjson_parse_ms"] = median_cpu_ms(
            lambda: parse_cdrs(body, Format.NDJSON, 1 << 30), 5)
        result.update(ndjson_parts(body))

        batches = iter([parse_cdrs(ndjson_body(synthetic_cdrs(10**11 + i * 20_000, 20_000,
                                                               seed=7)), Format.NDJSON, 1 << 30)
                        for i in range(6)])
        result["ndjson_insert_ms"] = median_cpu_ms(lambda: store.insert_cdrs(next(batches)), 5)

        bodies = snapshot_bodies(2)
        result["snapshot_parse_ms"] = median_cpu_ms(
            lambda: parse_snapshots(bodies[0], Format.NDJSON, 1 << 30), 6)
        parsed = [parse_snapshots(body, Format.NDJSON, 1 << 30) for body in bodies]
        result["snapshot_store_ms"] = median_cpu_ms(
            lambda: store.replace_snapshots(parsed[len(parsed) % 2]), 6)
        store.close()
    return result


def ndjson_parts(body: bytes) -> dict[str, float]:
    """A 20k-row body's parse piece by piece, in a tree that has the exponent scan."""
    try:
        from callstats.ingest.bodyscan import exponents_read_exactly
    except ImportError:
        return {}
    from callstats.columns import CDR_COLUMNS
    from callstats.ingest.convert import convert_table
    from callstats.ingest.readers import _arrow_ndjson

    raw = _arrow_ndjson(body, CDR_COLUMNS)
    if raw is None:
        return {}
    return {
        "ndjson_scan_ms": median_cpu_ms(lambda: exponents_read_exactly(body, CDR_COLUMNS), 5),
        "ndjson_reader_ms": median_cpu_ms(lambda: _arrow_ndjson(body, CDR_COLUMNS), 5),
        "ndjson_convert_ms": median_cpu_ms(lambda: convert_table(*raw, CDR_COLUMNS), 5),
    }


ROWS = [
    (f"single-CDR bodies, {CLIENTS} threads, acknowledged CDRs/s", "single_rate", "{:,.0f}"),
    ("  CPU ms per CDR", "single_cpu_ms", "{:.2f}"),
    ("  CDRs per group", "group_rows", "{:.1f}"),
    (f"{CLIENTS}-row group: parse, CPU ms", "group_parse_ms", "{:.1f}"),
    (f"{CLIENTS}-row group: insert + commit, CPU ms", "group_insert_ms", "{:.1f}"),
    ("20k-row NDJSON batch (30 MB): parse, CPU ms", "ndjson_parse_ms", "{:.0f}"),
    ("  exponent scan (part of the reader)", "ndjson_scan_ms", "{:.0f}"),
    ("  reader: checks + Arrow's JSON reader", "ndjson_reader_ms", "{:.0f}"),
    ("  column conversion", "ndjson_convert_ms", "{:.0f}"),
    ("20k-row NDJSON batch: insert + commit, CPU ms", "ndjson_insert_ms", "{:.0f}"),
    ("snapshot body (20k calls): parse, CPU ms", "snapshot_parse_ms", "{:.0f}"),
    ("snapshot body (20k calls): store, CPU ms", "snapshot_store_ms", "{:.0f}"),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--before-src", default="")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.json:  # the child of --before-src
        print(orjson.dumps(measure(args.seconds, args.threads)).decode())
        return
    runs: list[tuple[str, dict[str, float]]] = []
    if args.before_src:
        env = {**os.environ, "PYTHONPATH": args.before_src}
        out = subprocess.run([sys.executable, __file__, "--json", "--seconds",
                              str(args.seconds), "--threads", str(args.threads)],
                             env=env, check=True, capture_output=True)
        runs.append(("before", orjson.loads(out.stdout.splitlines()[-1])))
    runs.append(("after" if args.before_src else "this tree",
                 measure(args.seconds, args.threads)))
    print(f"\nin-process, no HTTP, DuckDB threads {args.threads}; load average "
          f"{os.getloadavg()[0]:.1f} at the end\n")
    width = max(len(r[0]) for r in ROWS)
    print("measure".ljust(width) + "".join(f"  {name:>10}" for name, _ in runs))
    for label, key, fmt in ROWS:
        print(label.ljust(width) + "".join(
            f"  {fmt.format(r[key]) if key in r else '-':>10}" for _, r in runs))


if __name__ == "__main__":
    main()
