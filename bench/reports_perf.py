"""Report queries over raw rows and over the minute rollup, DuckDB and ClickHouse (chdb)
side by side, in one run on one dataset (issue 15). Prints p50 wall and CPU milliseconds
per query for each path and their ratio, then requests/s and CPU ms per request with
concurrent clients (threads) on the typical request; asserts nothing.

    python bench/reports_perf.py [--rows 1000000] [--reps 30] [--clients 8]

The dataset is bench/query_layer.py's (1,000 accounts, ~5% of the CDRs on the largest,
30 days, one node's snapshot every minute of the last day), built once per --rows in
bench/out/reports_perf/<rows>. "raw" is the path every query took before the rollup
(the store with rollups=False), "rollup" today's; both read the same files.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality import InProcess, customer_of, iso, uuid_of  # noqa: E402
from query_layer import DAY, LARGEST, SECOND, START, TYPICAL, build, queries  # noqa: E402

from callstats.auth.tokens import mint_dynamic_token  # noqa: E402
from callstats.queries import (  # noqa: E402
    ORIGINATION,
    TERMINATION,
    QualityQuery,
    Side,
    TrafficQuery,
)
from callstats.reports.buckets import buckets_for  # noqa: E402
from callstats.stores.base import Store, open_store  # noqa: E402

Query = Callable[[Store], object]


def all_queries() -> dict[str, Query]:
    day = (START + 29 * DAY, START + 30 * DAY - 1)
    ragged = (day[0] + 17_250_000, day[1] - 3_000_000)  # edges inside a minute
    quality = QualityQuery(ORIGINATION, LARGEST, *day, 60_000_000)
    found = queries()
    return {
        **found,
        "typical, 1 day, minute, ragged edges": lambda s: s.traffic(
            found_traffic(TYPICAL, ragged)),
        "termination, typical, 1 day, minute": lambda s: s.traffic(
            found_traffic(TYPICAL, day, TERMINATION)),
        "quality, largest, 1 day, minute": lambda s: s.quality(quality),
    }


def found_traffic(account: int, span: tuple[int, int], side: Side = ORIGINATION
                  ) -> TrafficQuery:
    return TrafficQuery(side, account, *span, buckets_for("minute", None, *span))


HTTP_CASES = [  # (name, account, path, params): through the real app, in-process
    ("typical account, 1 day, minute", TYPICAL, "/origination-statistics",
     {"from-time": iso(START + 29 * DAY), "sampling": "minute"}),
    ("largest account, 30 days, hour", LARGEST, "/origination-statistics",
     {"from-time": iso(START), "sampling": "hour"}),
    ("termination, largest, 30 days, day", LARGEST, "/termination-statistics",
     {"from-time": iso(START), "sampling": "day"}),
]


def over_http(apps: dict[str, InProcess], requests: int) -> None:
    """p50 server time (x-runtime), wall and process CPU per request, raw vs rollup; each
    request ends its range a second earlier than the one before (no cached answer)."""
    from quality import SECRET

    now = time.time()
    tokens = {a: mint_dynamic_token(SECRET, customer_of(a), 86400, now, [a])
              for a in (LARGEST, TYPICAL)}
    print("\nthrough the app (httpx ASGI transport, one process):")
    print("| request | store | raw server / CPU ms | rollup server / CPU ms | CPU raw / rollup |")
    print("|---|---|---|---|---:|")
    for name, account, path, params in HTTP_CASES:
        for kind, app in apps.items():
            found: dict[str, tuple[float, float]] = {}
            for use in (False, True):
                app.services.store.rollups = use  # type: ignore[attr-defined]
                servers, cpus = [], []
                shift = (requests + 10) * use  # the other path's ranges: not from the cache
                for i in range(requests + 3):
                    unique = {**params, "account-id": uuid_of(account),
                              "to-time": iso(START + 30 * DAY - (i + 1 + shift) * SECOND)}
                    cpu = time.process_time()
                    answer = app.get(path, unique, tokens[account])
                    cpu = time.process_time() - cpu
                    assert answer.status_code == 200, answer.text
                    if i >= 3:
                        servers.append(float(answer.headers["x-runtime"]) * 1e3)
                        cpus.append(cpu * 1e3)
                found["rollup" if use else "raw"] = (statistics.median(servers),
                                                     statistics.median(cpus))
            (raw, raw_cpu), (new, new_cpu) = found["raw"], found["rollup"]
            print(f"| {name} | {kind} | {raw:.2f} / {raw_cpu:.2f} | {new:.2f} / {new_cpu:.2f} "
                  f"| {raw_cpu / new_cpu:.1f}× |", flush=True)


def timed(store: Store, run: Query, reps: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of `reps` runs after a warm one."""
    run(store)
    walls, cpus = [], []
    for _ in range(reps):
        wall, cpu = time.perf_counter(), time.process_time()
        run(store)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls) * 1e3, statistics.median(cpus) * 1e3


def under_load(store: Store, run: Query, clients: int, seconds: float) -> tuple[float, float]:
    """Requests/s and process CPU ms per request with `clients` threads asking at once."""
    done = [0] * clients
    stop = time.perf_counter() + seconds

    def client(i: int) -> None:
        while time.perf_counter() < stop:
            run(store)
            done[i] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    wall, cpu = time.perf_counter(), time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    total = sum(done)
    return total / wall, cpu * 1e3 / max(total, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--http", type=int, default=40,
                        help="requests per path and store through the app (0: none)")
    parser.add_argument("--only", default="", help="run only queries containing this text")
    parser.add_argument("--skip", default="", help="skip queries containing this text")
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).parent / "out" / "reports_perf")
    args = parser.parse_args()
    directory = args.out / str(args.rows)
    directory.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    urls = build(directory, args.rows)
    print(f"dataset: {args.rows:,} CDRs ({time.perf_counter() - started:.0f} s to open/build)")
    header = ("| query | store | raw p50 ms | raw CPU ms | rollup p50 ms | rollup CPU ms "
              "| raw/rollup |")
    print(header)
    print("|---|---|---:|---:|---:|---:|---:|")
    picked = {k: v for k, v in all_queries().items()
              if args.only in k and not (args.skip and args.skip in k)}
    stores = {kind: open_store(url) for kind, url in urls.items()}
    for name, run in picked.items():
        for kind, store in stores.items():
            results = {}
            for path in ("raw", "rollup"):
                store.rollups = path == "rollup"  # type: ignore[attr-defined]
                results[path] = timed(store, run, args.reps)
            (raw, raw_cpu), (new, new_cpu) = results["raw"], results["rollup"]
            print(f"| {name.strip()} | {kind} | {raw:.2f} | {raw_cpu:.2f} | {new:.2f} | "
                  f"{new_cpu:.2f} | {raw / new:.1f}× |", flush=True)
    if args.clients:
        typical = picked.get("typical account, 1 day, minute")
        if typical is not None:
            print(f"\n{args.clients} clients (threads), typical account 1 day minute:")
            print("| store | path | DuckDB threads | req/s | CPU ms/request |")
            print("|---|---|---:|---:|---:|")
            for kind, store in stores.items():
                thread_counts: tuple[int | None, ...] = (None,)
                if kind == "duckdb":
                    thread_counts = (2, 1)
                for threads in thread_counts:
                    if threads is not None:
                        store.cursor().execute(  # type: ignore[attr-defined]
                            f"SET threads = {threads}").fetchall()
                    for path in ("raw", "rollup"):
                        store.rollups = path == "rollup"  # type: ignore[attr-defined]
                        rate, cpu = under_load(store, typical, args.clients, args.seconds)
                        print(f"| {kind} | {path} | {threads or '-'} | {rate:.0f} | "
                              f"{cpu:.2f} |", flush=True)
    for store in stores.values():
        store.close()
    if args.http:
        apps = {kind: InProcess(url, directory / f"app-{kind}") for kind, url in urls.items()}
        try:
            over_http(apps, args.http)
        finally:
            for app in apps.values():
                app.close()


if __name__ == "__main__":
    main()
