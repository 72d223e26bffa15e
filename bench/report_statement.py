"""A report's DuckDB statement, taken apart and compared (issue 15): where a typical day's
CPU goes (parse, bind, optimise, scan, rows to Python, the store's Python), then CPU
milliseconds per query for this checkout and another (`--compare`, e.g. a main
checkout with its own .venv), each in its own process, alternating over `--rounds`, on
copies of bench/ingest.py's base store. Prints tables; asserts nothing.

    python bench/report_statement.py [--rows 10000000] [--reps 200] [--rounds 3]
                                     [--compare ../main]

One engine thread (the server's default). The typical requests are bench/request_path.py's:
ten accounts of ~0.1% of the CDRs, 24 hours ending a second before a minute, each a
minute earlier than the one before; the other queries are bench/duckdb_threads.py's.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import DAY, START, build_base, used_bytes  # noqa: E402

from callstats.queries import ORIGINATION, TERMINATION, Filter, Op, TrafficQuery  # noqa: E402
from callstats.reports.buckets import buckets_for  # noqa: E402
from callstats.stores import rollups  # noqa: E402
from callstats.stores.duckdb_store import DuckDBStore  # noqa: E402

US = 1_000_000
ACCOUNTS = range(491, 501)


def typical(i: int) -> TrafficQuery:
    last_day = (START + 29 * DAY) // 60 * 60
    start = last_day - 60 * (i % (28 * 1440))
    span = (start * US, (start + DAY - 1) * US)
    return TrafficQuery(ORIGINATION, ACCOUNTS[i % len(ACCOUNTS)], *span,
                        buckets_for("minute", None, *span))


def queries(store: DuckDBStore) -> dict[str, Callable[[int], object]]:
    month = (START * US, (START + 30 * DAY) * US - 1)
    prefix = (Filter("dst_prefix_routing", Op.STARTS_WITH, "44"), Filter("duration", Op.GT, 30))

    def traffic(side, account, sampling, filters=()):  # type: ignore[no-untyped-def]
        query = TrafficQuery(side, account, *month, buckets_for(sampling, None, *month),
                             filters)
        return lambda i: store.traffic(query)

    return {
        "typical account, 1 day, minute (distinct)": lambda i: store.traffic(typical(i)),
        "largest account, 30 days, hour": traffic(ORIGINATION, 1, "hour"),
        "  + prefix and duration filter": traffic(ORIGINATION, 1, "hour", prefix),
        "termination, vendor account, 30 days, day": traffic(TERMINATION, 2001, "day"),
    }


def cpu_ms(run: Callable[[int], object], reps: int) -> float:
    for i in range(3):
        run(i)
    cpus = []
    for i in range(reps):
        cpu = time.process_time()
        run(i)
        cpus.append(time.process_time() - cpu)
    return statistics.median(cpus) * 1e3


def split(store: DuckDBStore, reps: int, scratch: Path) -> dict[str, float]:
    """The typical day's CPU ms by part, this checkout's statement."""
    cur = store.cursor()
    dialect = store.reading()

    def statement(i: int):  # type: ignore[no-untyped-def]
        q = typical(i)
        plan = rollups.traffic_plan(q)
        assert plan is not None
        return rollups.traffic_statement(q, dialect, plan)

    built = [statement(i) for i in range(reps + 3)]
    parsed = [cur.extract_statements(s.text)[0] for s in built[:1]] * len(built)
    out = {
        # The answer's size: a typical account's CDRs per day grow with the store (the
        # same 1,000 accounts over the same 30 days), and so its minute rows and buckets.
        "minute rows per statement (count)": statistics.mean(
            len(cur.execute(built[i].text, built[i].params).fetchall()) for i in range(reps)),
        "store.traffic, whole": cpu_ms(lambda i: store.traffic(typical(i)), reps),
        "statement text: parse + bind + plan + run + fetch": cpu_ms(
            lambda i: cur.execute(built[i].text, built[i].params).fetchall(), reps),
        "parse alone": cpu_ms(lambda i: cur.extract_statements(built[i].text), reps),
        "parsed statement: bind + plan + run + fetch": cpu_ms(
            lambda i: cur.execute(parsed[i], built[i].params).fetchall(), reps),
        "parsed statement, rows not fetched": cpu_ms(
            lambda i: cur.execute(parsed[i], built[i].params), reps),
    }
    profile = scratch / "profile.json"
    cur.execute("SET enable_profiling = 'json'")
    cur.execute(f"SET profiling_output = '{profile}'")
    parts: dict[str, list[float]] = {"bind": [], "optimise": [], "scan": [], "rows": []}
    groups: list[tuple[int, int]] = []
    for i in range(min(reps, 60)):
        cur.execute(built[i].text, built[i].params).fetchall()
        found = json.loads(profile.read_text())
        parts["bind"].append(found["planner"]["binding_time"])
        parts["optimise"].append(found["optimizer"]["total_time"])
        op = found["operator"][0]
        while op.get("children"):
            op = op["children"][0]
        parts["scan"].append(op["timing"])
        parts["rows"].append(op.get("rows_scanned", 0) / 1e3)
        groups.append((op.get("row_groups_scanned", 0), op.get("total_row_groups_to_scan", 0)))
    cur.execute("RESET enable_profiling")
    for name, values in parts.items():
        out[f"profiled {name}" if name != "rows" else "rows scanned (thousands)"] = (
            statistics.median(values) * (1e3 if name != "rows" else 1))
    # Zone maps: the row groups read of those the table holds (both counts, not ms).
    out["row groups scanned (count)"] = statistics.mean(g[0] for g in groups)
    out["row groups in the table (count)"] = statistics.mean(g[1] for g in groups)
    return out


def measure(copy: Path, reps: int) -> dict[str, dict[str, float]]:
    store = DuckDBStore(copy, threads=1)
    try:
        with tempfile.TemporaryDirectory() as scratch:
            parts = split(store, reps, Path(scratch))
        found = {name: cpu_ms(run, max(20, reps // 10) if "30 days" in name else reps)
                 for name, run in queries(store).items()}
        [(minutes,)] = store.cursor().execute("SELECT count(*) FROM cdr_minutes").fetchall()
    finally:
        store.close()
    return {"split": parts, "queries": found,
            "size": {"bytes": used_bytes(copy), "rollup rows": int(minutes)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--compare", type=Path, help="another callstats checkout")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.reps)))
        return
    base = build_base(args.rows) / "cdr.duckdb"
    here = Path(__file__).resolve().parents[1]
    checkouts = {"this": here} | ({"other": args.compare.resolve()} if args.compare else {})
    scratch = Path(tempfile.mkdtemp(prefix="report-statement-", dir=base.parent.parent))
    results: dict[str, list[dict[str, dict[str, float]]]] = {k: [] for k in checkouts}
    try:
        for label in checkouts:  # each opens (and may upgrade) its own copy
            shutil.copy(base, scratch / f"{label}.duckdb")
        for _ in range(args.rounds):
            for label, checkout in checkouts.items():
                answer = subprocess.run(
                    [str(checkout / ".venv" / "bin" / "python"), str(Path(__file__).resolve()),
                     "--child", str(scratch / f"{label}.duckdb"), "--reps", str(args.reps)],
                    cwd=checkout, env={**os.environ, "PYTHONPATH": str(checkout / "src")},
                    check=True, capture_output=True, text=True)
                results[label].append(json.loads(answer.stdout.strip().splitlines()[-1]))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    _tables(results, args.rows)


def _tables(results: dict[str, list[dict[str, dict[str, float]]]], rows: int) -> None:
    labels = list(results)

    def med(label: str, group: str, name: str) -> float:
        return statistics.median(r[group][name] for r in results[label])

    both = len(labels) > 1
    ratio = " | this / other |" if both else " |"
    for group, title in (("split", "the typical day's statement, by part"),
                         ("queries", "per query")):
        print(f"\n{rows:,} CDRs, {title}: CPU ms, median over {len(results['this'])} "
              "rounds")
        print("| part | " + " | ".join(labels) + ratio)
        print("|---|" + "---:|" * (len(labels) + both))
        for name in results["this"][0][group]:
            cells = [f"{med(lb, group, name):.3f}" if name in results[lb][0][group] else "-"
                     for lb in labels]
            tail = (f" | {med('this', group, name) / med('other', group, name):.2f}"
                    if both and name in results["other"][0][group] else (" | -" if both else ""))
            print(f"| {name.strip()} | " + " | ".join(cells) + tail + " |")
    print("\nstore size: " + ", ".join(
        f"{lb}: {results[lb][-1]['size']['bytes'] / rows:.1f} B per CDR, "
        f"{results[lb][-1]['size']['rollup rows']:,.0f} rollup rows" for lb in labels))


if __name__ == "__main__":
    main()
