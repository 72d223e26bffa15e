"""The report queries through the store interface, DuckDB and ClickHouse (chdb) side by
side, optionally against another checkout of callstats in the same run (before/after a
change). Prints a table of p50 wall and CPU milliseconds per query; asserts nothing.

    python bench/query_layer.py [--rows 2000000] [--reps 40] [--compare /path/to/checkout]

With --compare, the same script runs under the other checkout's own virtualenv
(<checkout>/.venv/bin/python), alternating rounds with this one, each over a store its own
code built (schemas may differ); the table shows both and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from callstats.columns import CDR_BY_NAME, Kind
from callstats.ingest.batches import SNAPSHOT_TABLE_SCHEMA, SnapshotBatch, cdrs_from_table
from callstats.queries import (
    ORIGINATION,
    TERMINATION,
    ConcurrentQuery,
    CurrentCallsQuery,
    Filter,
    Op,
    PbxQuery,
    TrafficQuery,
)
from callstats.reports.buckets import buckets_for
from callstats.stores.base import Store, open_store

SECOND = 1_000_000
DAY = 86_400 * SECOND
START = 1_730_419_200 * SECOND  # 2024-11-01
LARGEST, TYPICAL = 1, 500


def _accounts(rng: np.random.Generator, n: int) -> np.ndarray:
    weights = 1.0 / np.arange(1, 1001) ** 0.9
    weights[0] = weights.sum() * 0.053  # ~5% on the largest account
    return rng.choice(1000, size=n, p=weights / weights.sum()).astype(np.int64) + 1


def pdd_seconds(millis: np.ndarray, missing: np.ndarray) -> pa.Array:
    """Integer milliseconds as the store's pdd column takes them: exact DECIMAL(9, 3), or
    the binary float an older schema kept; NULL where `missing`."""
    if CDR_BY_NAME["pdd"].kind is Kind.DEC:
        whole = pa.array(millis, mask=missing).cast(pa.decimal128(19, 0))
        return pc.multiply(whole, pa.scalar(Decimal("0.001"), pa.decimal128(4, 3))).cast(
            pa.decimal128(9, 3))
    return pa.array(millis / 1000, mask=missing)


def cdr_table(rows: int, seed: int = 1) -> pa.Table:
    rng = np.random.default_rng(seed)
    customer, vendor = _accounts(rng, rows), _accounts(rng, rows)
    answered = rng.random(rows) < 0.55
    rang = answered | (rng.random(rows) < 0.5)  # a post-dial delay: the far end replied
    return cdrs_from_table(pa.table({
        "id": np.arange(1, rows + 1),
        "time_start": pa.array(START + np.sort(rng.integers(0, 30 * DAY, rows))).cast(
            pa.timestamp("us", "UTC")),
        "duration": np.where(answered, rng.integers(1, 600, rows), 0),
        "customer_id": (customer + 9) // 10, "customer_acc_id": customer,
        "vendor_id": (vendor + 9) // 10, "vendor_acc_id": vendor,
        "is_last_cdr": rng.random(rows) < 0.9,
        "local_tag": pa.array(np.char.add("c", (np.arange(rows) // 2).astype(str))),
        "dst_prefix_routing": pa.array(np.char.add(rng.choice(["44", "49", "33", "1"], rows),
                                                   rng.integers(10**6, 10**7, rows).astype(str))),
        "customer_price": pa.array(rng.integers(0, 5_000_000, rows).astype(np.int32)).cast(
            pa.decimal128(18, 6)),
        "vendor_price": pa.array(rng.integers(0, 5_000_000, rows).astype(np.int32)).cast(
            pa.decimal128(18, 6)),
        "legb_disconnect_code": np.where(answered, 0, rng.choice([486, 487, 503, 404], rows)),
        "lega_disconnect_code": np.where(answered, 200, rng.choice(
            [486, 487, 603, 480, 503, 404, 0], rows)),
        "internal_disconnect_code": np.where(rng.random(rows) < 0.05, 500, 0),
        "pdd": pdd_seconds(rng.lognormal(np.log(1600), 0.45, rows).astype(np.int64), ~rang),
        "extension_id": rng.integers(100, 110, rows),
    }))


def snapshot_day(calls: int, seed: int = 2) -> SnapshotBatch:
    """One node's snapshot every minute of the last day, `calls` calls each."""
    rng = np.random.default_rng(seed)
    stamps = START + 29 * DAY + np.arange(1440, dtype=np.int64) * 60 * SECOND
    rows = 1440 * calls
    micro = pa.timestamp("us", tz="UTC")
    columns = {
        "node_id": pa.array(np.zeros(rows, dtype=np.int64)),
        "snapshot_timestamp": pa.array(np.repeat(stamps, calls)).view(micro),
        "position": pa.array(np.tile(np.arange(calls, dtype=np.int32), 1440)),
        "customer_acc_id": pa.array(_accounts(rng, rows)),
        "vendor_acc_id": pa.array(_accounts(rng, rows)),
        "duration": pa.array(rng.integers(0, 600, rows)),
        "customer_price": pa.array(np.zeros(rows, np.int32)),
        "vendor_price": pa.array(np.zeros(rows, np.int32)),
    }
    table = pa.Table.from_arrays(
        [columns[f.name].cast(f.type) if f.name in columns else pa.nulls(rows, f.type)
         for f in SNAPSHOT_TABLE_SCHEMA], schema=SNAPSHOT_TABLE_SCHEMA)
    return SnapshotBatch([(0, int(s)) for s in stamps], table)


def build(directory: Path, rows: int) -> dict[str, str]:
    urls = {"duckdb": f"duckdb://{directory / 'cdr.duckdb'}", "chdb": f"chdb://{directory / 'ch'}"}
    if (directory / "built").exists():
        return urls
    table, snapshots = cdr_table(rows), snapshot_day(40)
    for url in urls.values():
        store = open_store(url)
        for start in range(0, rows, 500_000):
            store.insert_cdrs(table.slice(start, 500_000))
        store.replace_snapshots(snapshots)
        store.compact()
        store.close()
    (directory / "built").touch()
    return urls


def queries() -> dict[str, Callable[[Store], object]]:
    day = (START + 29 * DAY, START + 30 * DAY - 1)
    month = (START, START + 30 * DAY - 1)

    def traffic(side, account, span, sampling, filters=()):  # type: ignore[no-untyped-def]
        query = TrafficQuery(side, account, *span, buckets_for(sampling, None, *span),
                             tuple(filters))
        return lambda store: store.traffic(query)

    prefix = [Filter("dst_prefix_routing", Op.STARTS_WITH, "44"),
              Filter("duration", Op.GT, 30)]
    concurrent = ConcurrentQuery(ORIGINATION, TYPICAL, *day, buckets_for("minute", None, *day))
    current = CurrentCallsQuery(LARGEST, day[1] - 180 * SECOND, day[1] + 180 * SECOND)
    pbx_cdrs = PbxQuery(1, "out", *month, per_call=False)
    pbx_calls = PbxQuery(1, "out", *month, per_call=True)
    return {
        "typical account, 1 day, minute": traffic(ORIGINATION, TYPICAL, day, "minute"),
        "largest account, 30 days, hour": traffic(ORIGINATION, LARGEST, month, "hour"),
        "  + prefix and duration filter": traffic(ORIGINATION, LARGEST, month, "hour", prefix),
        "termination, largest, 30 days, day": traffic(TERMINATION, LARGEST, month, "day"),
        "active calls, typical, 1 day, minute": lambda s: s.concurrent_calls(concurrent),
        "outgoing active calls, largest": lambda s: s.current_calls(current),
        "PBX cdr/stats, customer 1, 30 days": lambda s: s.pbx_counts(pbx_cdrs),
        "PBX calls/stats, customer 1, 30 days": lambda s: s.pbx_counts(pbx_calls),
    }


def measure(directory: Path, rows: int, reps: int) -> dict[str, dict[str, list[float]]]:
    """{store kind: {query: [wall ms, cpu ms] medians}} for one round."""
    out: dict[str, dict[str, list[float]]] = {}
    for kind, url in build(directory, rows).items():
        store = open_store(url)
        out[kind] = {}
        for name, run in queries().items():
            run(store)  # warm
            walls, cpus = [], []
            for _ in range(reps):
                wall, cpu = time.perf_counter(), time.process_time()
                run(store)
                walls.append(time.perf_counter() - wall)
                cpus.append(time.process_time() - cpu)
            out[kind][name] = [statistics.median(walls) * 1e3, statistics.median(cpus) * 1e3]
        store.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--compare", type=Path, help="another callstats checkout")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out" / "query_layer")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.out, args.rows, args.reps)))
        return
    here = Path(__file__).resolve().parents[1]
    checkouts = {"this": here} | ({"other": args.compare.resolve()} if args.compare else {})
    results: dict[str, list[dict[str, dict[str, list[float]]]]] = {k: [] for k in checkouts}
    for _ in range(args.rounds):
        for label, checkout in checkouts.items():
            python = checkout / ".venv" / "bin" / "python"
            out = args.out / label
            out.mkdir(parents=True, exist_ok=True)
            answer = subprocess.run(
                [str(python), str(Path(__file__).resolve()), "--child", "--rows",
                 str(args.rows), "--reps", str(args.reps), "--out", str(out)],
                cwd=checkout, env={**os.environ, "PYTHONPATH": str(checkout / "src")},
                check=True, capture_output=True, text=True)
            results[label].append(json.loads(answer.stdout.strip().splitlines()[-1]))
    _table(results, args.rows)


def _table(results: dict[str, list[dict[str, dict[str, list[float]]]]], rows: int) -> None:
    def med(label: str, kind: str, name: str, i: int) -> float:
        return statistics.median(r[kind][name][i] for r in results[label])

    labels = list(results)
    print(f"{rows:,} CDRs; p50 ms (wall / CPU), median of rounds")
    head = "| query | store | " + " | ".join(f"{lb} wall / cpu" for lb in labels)
    print(head + (" | this / other |" if len(labels) > 1 else " |"))
    print("|" + "---|" * (2 + len(labels) + (len(labels) > 1)))
    for name in queries():
        for kind in ("duckdb", "chdb"):
            cells = [f"{med(lb, kind, name, 0):.2f} / {med(lb, kind, name, 1):.2f}"
                     for lb in labels]
            ratio = (f" | {med('this', kind, name, 0) / med('other', kind, name, 0):.2f}"
                     if len(labels) > 1 else "")
            print(f"| {name} | {kind} | " + " | ".join(cells) + ratio + " |")


if __name__ == "__main__":
    main()
