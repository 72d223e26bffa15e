"""PBX /calls/stats/ and /cdr/stats/ on the DuckDB store: raw rows (the path before the
PBX rollups, the store with rollups=False) against the per-call rollup and the hourly
sums, side by side in one run, on
bench/query_layer.py's dataset; then again with a not-yet-compacted tail of new CDRs (the
month's last day, one in ten continuing a call already compacted), then once more after
compacting it. Prints p50 wall and CPU ms per query and
whether both paths gave the same answer; asserts nothing.

    python bench/pbx_rollup.py [--rows 1000000] [--tail 100000] [--reps 15]

The dataset is built once per --rows in bench/out/reports_perf/<rows> (shared with
bench/reports_perf.py) and copied, so the tail never reaches the shared file.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from query_layer import DAY, START, build, cdr_table  # noqa: E402

from callstats.queries import PbxQuery  # noqa: E402
from callstats.stores.duckdb_store import DuckDBStore  # noqa: E402

MONTH = (START, START + 30 * DAY)
RAGGED = (START + 3 * DAY + 7_300_000, START + 30 * DAY - 17_300_000)  # edges inside calls
CASES = {
    "customer 1, out, 30 days": PbxQuery(1, "out", *MONTH, per_call=True),
    "customer 1, in, 30 days, ragged edges": PbxQuery(1, "in", *RAGGED, per_call=True),
    "customer 1, out, 30 days, 2 of its accounts": PbxQuery(
        1, "out", *MONTH, (1, 2), per_call=True),
    "customer 1, out, 30 days, 3 extensions": PbxQuery(
        1, "out", *MONTH, (), (100, 101, 102), per_call=True),
    "/cdr/stats/ customer 1, out, 30 days": PbxQuery(1, "out", *MONTH),
    "/cdr/stats/ customer 1, in, 30 days, ragged edges": PbxQuery(1, "in", *RAGGED),
    "/cdr/stats/ customer 1, out, 30 days, 2 of its accounts": PbxQuery(
        1, "out", *MONTH, (1, 2)),
}


def timed(store: DuckDBStore, query: PbxQuery, use: bool, reps: int
          ) -> tuple[float, float, dict[str, int]]:
    store.rollups = use
    answer = store.pbx_counts(query)
    walls, cpus = [], []
    for _ in range(reps):
        wall, cpu = time.perf_counter(), time.process_time()
        store.pbx_counts(query)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    store.rollups = True
    return statistics.median(walls) * 1e3, statistics.median(cpus) * 1e3, answer


def tail_rows(rows: int, existing: int) -> pa.Table:
    """`rows` new CDRs, as a switch sends them: the latest ones (the month's last day),
    two per call, and one in ten continuing one of the newest calls already compacted
    (a call whose legs straddle the compaction)."""
    table = cdr_table(rows, seed=7)
    rng = np.random.default_rng(8)
    ids = np.arange(existing + 1, existing + rows + 1)
    tags = np.char.add("t", (np.arange(rows) // 2).astype(str))
    continuing = rng.random(rows) < 0.1
    newest = np.char.add("c", ((existing - 1 - rng.integers(0, rows, rows)) // 2).astype(str))
    times = START + 29 * DAY + np.sort(rng.integers(0, DAY, rows))
    return table.set_column(
        table.schema.get_field_index("id"), "id", pa.array(ids)).set_column(
        table.schema.get_field_index("local_tag"), "local_tag",
        pa.array(np.where(continuing, newest, tags))).set_column(
        table.schema.get_field_index("time_start"), "time_start",
        pa.array(times).cast(pa.timestamp("us", "UTC")))


def report(store: DuckDBStore, label: str, reps: int) -> None:
    for name, query in CASES.items():
        raw, raw_cpu, raw_answer = timed(store, query, False, reps)
        new, new_cpu, new_answer = timed(store, query, True, reps)
        same = "yes" if raw_answer == new_answer else "**NO**"
        print(f"| {name} | {label} | {raw:.1f} / {raw_cpu:.1f} | {new:.1f} / {new_cpu:.1f} "
              f"| {raw_cpu / new_cpu:.1f}× | {same} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--tail", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).parent / "out" / "reports_perf")
    args = parser.parse_args()
    directory = args.out / str(args.rows)
    directory.mkdir(parents=True, exist_ok=True)
    source = Path(build(directory, args.rows)["duckdb"].removeprefix("duckdb://"))
    with tempfile.TemporaryDirectory(dir=directory) as work:
        path = Path(work) / "cdr.duckdb"
        shutil.copy(source, path)
        store = DuckDBStore(path)  # an older file gains the rollup here (schema upgrade)
        try:
            print(f"{args.rows:,} CDRs, load average {_load()}")
            print("| query | tail | raw p50 / CPU ms | rollup p50 / CPU ms | CPU raw / rollup "
                  "| same answer |")
            print("|---|---|---|---|---:|---|")
            report(store, "none", args.reps)
            store.insert_cdrs(tail_rows(args.tail, args.rows))
            report(store, f"{args.tail:,} CDRs", args.reps)
            wall, cpu = time.perf_counter(), time.process_time()
            store.compact()
            print(f"\ncompacting the tail: {time.perf_counter() - wall:.1f} s "
                  f"({time.process_time() - cpu:.1f} s CPU); load average {_load()}")
            report(store, "none (compacted)", args.reps)
        finally:
            store.close()


def _load() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


if __name__ == "__main__":
    main()
