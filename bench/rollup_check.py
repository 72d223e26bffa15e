"""The ClickHouse store's rollup check (ClickHouseStore.check_rollups, run by every
housekeeping pass): what comparing the minute rollup with the raw CDRs costs on a chdb
store of N CDRs (bench/ingest.py's synthetic rows), and what a rebuild costs when they
disagree. Prints a table; asserts nothing.

    python bench/rollup_check.py [--rows 3000000] [--reps 5]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import base_chunks  # noqa: E402

from callstats.stores.clickhouse_store import ClickHouseStore, minute_rollup_rebuild  # noqa: E402


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(action: object, reps: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(reps):
        wall, used = time.perf_counter(), cpu()
        action()  # type: ignore[operator]
        walls.append(time.perf_counter() - wall)
        cpus.append(cpu() - used)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3_000_000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        store = ClickHouseStore(f"chdb://{work}?database=bench")
        for _, chunk in base_chunks(args.rows):
            store.insert_cdrs(chunk)
        store.check_rollups()  # chdb's first queries after opening are slow
        rows = [("check, rollup agrees", *timed(store.check_rollups, args.reps))]

        def rebuild() -> None:
            for statement in minute_rollup_rebuild(store.layout):
                store.db.command(statement)

        rows.append(("rebuild (when it disagrees)", *timed(rebuild, max(1, args.reps // 2))))
        store.close()
    print(f"chdb store, {args.rows:,} CDRs, median of {args.reps}")
    print(f"{'what':<30} {'wall ms':>9} {'CPU ms':>9}")
    for what, wall, used in rows:
        print(f"{what:<30} {wall:>9.1f} {used:>9.1f}")


if __name__ == "__main__":
    main()
