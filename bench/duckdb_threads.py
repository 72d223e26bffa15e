"""DuckDB's engine threads (CALLSTATS_DUCKDB_THREADS) one query, insert and compaction at a
time: wall and process CPU milliseconds with 1 thread and with DuckDB's default (one per
core), alternating, on a copy of bench/ingest.py's base store. bench/request_path.py
measures the same choice under 32 concurrent clients. Prints a table; asserts nothing.

    python bench/duckdb_threads.py [--rows 10000000] [--reps 9] [--ingest-rows 2000000]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import DAY, START, base_chunks, build_base  # noqa: E402

from callstats.queries import (  # noqa: E402
    ORIGINATION,
    TERMINATION,
    Filter,
    Op,
    PbxQuery,
    TrafficQuery,
)
from callstats.reports.buckets import buckets_for  # noqa: E402
from callstats.stores.duckdb_store import DuckDBStore  # noqa: E402

US = 1_000_000


def queries(store: DuckDBStore) -> dict[str, Callable[[], object]]:
    month = (START * US, (START + 30 * DAY) * US - 1)
    day = (month[0] + 14 * DAY * US, month[0] + 15 * DAY * US - 1)
    prefix = (Filter("dst_prefix_routing", Op.STARTS_WITH, "44"), Filter("duration", Op.GT, 30))

    def traffic(side, account, span, sampling, filters=()):  # type: ignore[no-untyped-def]
        query = TrafficQuery(side, account, *span, buckets_for(sampling, None, *span), filters)
        return lambda: store.traffic(query)

    return {
        "typical account, 1 day, minute": traffic(ORIGINATION, 500, day, "minute"),
        "largest account, 30 days, hour": traffic(ORIGINATION, 1, month, "hour"),
        "  + prefix and duration filter": traffic(ORIGINATION, 1, month, "hour", prefix),
        "termination, vendor account, 30 days, day": traffic(TERMINATION, 2001, month, "day"),
        "PBX calls/stats, customer 1, 30 days": lambda: store.pbx_counts(
            PbxQuery(1, "out", *month, per_call=True)),
    }


def timed(run: Callable[[], object], reps: int) -> tuple[float, float]:
    run()
    walls, cpus = [], []
    for _ in range(reps):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls) * 1e3, statistics.median(cpus) * 1e3


def ingestion(rows: int, threads: int, directory: Path) -> tuple[float, float, float, float]:
    """Wall and CPU seconds to insert `rows` CDRs in 1M-row batches, then to compact."""
    shutil.rmtree(directory, ignore_errors=True)
    store = DuckDBStore(directory / "cdr.duckdb", memory_limit="512MB", threads=threads)
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        for _, chunk in base_chunks(rows):
            store.insert_cdrs(chunk)
        insert = (time.perf_counter() - wall, time.process_time() - cpu)
        wall, cpu = time.perf_counter(), time.process_time()
        store.compact()
        compact = (time.perf_counter() - wall, time.process_time() - cpu)
    finally:
        store.close()
        shutil.rmtree(directory, ignore_errors=True)
    return (*insert, *compact)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--reps", type=int, default=9)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--ingest-rows", type=int, default=2_000_000, help="0: skip")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="duckdb-threads-"))
    copy = scratch / "cdr.duckdb"
    shutil.copy(build_base(args.rows) / "cdr.duckdb", copy)
    results: dict[tuple[str, int], list[tuple[float, float]]] = {}
    store = DuckDBStore(copy)
    try:
        found = queries(store)
        for _ in range(args.rounds):
            for threads in (1, 0):
                store.cursor().execute(
                    "SET threads = ?" if threads else "RESET threads",
                    [threads] if threads else None).fetchall()
                for name, run in found.items():
                    results.setdefault((name, threads), []).append(timed(run, args.reps))
    finally:
        store.close()
    print(f"\none query at a time over {args.rows:,} CDRs, median of {args.reps} "
          f"(best of {args.rounds} rounds); wall / CPU ms:\n")
    print("| query | threads = 1 | DuckDB default |")
    print("|---|---:|---:|")
    for name in found:
        one = min(results[(name, 1)])
        default = min(results[(name, 0)])
        print(f"| {name.strip()} | {one[0]:.1f} / {one[1]:.1f} | "
              f"{default[0]:.1f} / {default[1]:.1f} |")
    if args.ingest_rows:
        print(f"\n{args.ingest_rows:,} CDRs inserted in 1M-row batches, then compacted; "
              "wall / CPU s:\n")
        print("| threads | insert | compact |")
        print("|---|---:|---:|")
        for threads in (1, 0, 1, 0)[:2 * args.rounds]:
            wi, ci, wc, cc = ingestion(args.ingest_rows, threads, scratch / "ingest")
            print(f"| {threads or 'DuckDB default'} | {wi:.1f} / {ci:.1f} | "
                  f"{wc:.1f} / {cc:.1f} |", flush=True)
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
