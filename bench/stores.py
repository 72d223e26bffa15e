"""ClickHouse store (chdb, the engine in-process) against the DuckDB store over the same
10M CDRs and 30 days of snapshots: every query of bench/customer_api.py and bench/pbx.py
through the real HTTP app, each request sent to both servers in turn, and ingestion rows/s
into each. Prints tables with the ratio ClickHouse / DuckDB; asserts nothing.

    python bench/stores.py [--base-rows 10000000] [--requests 100] [--pbx-requests 20]

Both bases are built once under bench/out/ (the DuckDB one by bench/customer_api.py, the
ClickHouse one from the same generators) and copied for each run. chdb runs one data
directory per process, so everything that opens a chdb store in-process runs in a child.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from customer_api import (  # noqa: E402
    SECRET,
    TYPICAL,
    account_uuid,
    api_cases,
    api_tokens,
    build_api_base,
    iso,
    percentiles,
    post_live_snapshot,
    report,
    snapshot_days,
    write_metadata,
    wrk,
)
from ingest import (  # noqa: E402
    DAY,
    OUT,
    START,
    Server,
    base_chunks,
    build_base,
    ndjson_body,
    post_all,
    synthetic_cdrs,
    used_bytes,
    working_copy,
)
from pbx import PBX_CLIENTS, pbx_runtimes  # noqa: E402

from callstats.auth.tokens import mint_dynamic_token  # noqa: E402
from callstats.stores.base import open_store  # noqa: E402

BATCH = 10_000  # rows per realistic ingestion batch (a yeti CDR push)
BULK = 1_000_000  # rows per chunk of the path the bases are built with


def chdb_url(data_dir: Path) -> str:
    return f"chdb://{(data_dir / 'chdb').resolve()}?database=callstats"


def in_child(function: Callable, *args: object) -> Any:
    """`function(*args)` in a fresh process: chdb allows one data directory per process,
    and a child's peak RSS is its own."""
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_ch_base(rows: int, calls: int) -> Path:
    """The ClickHouse twin of build_api_base: the same CDR chunks and snapshot days, merged
    into one part per partition (as background merges end up), and the same metadata."""
    base = OUT / f"ch-api-{rows}-{calls}"
    if (base / "complete").exists():
        return base
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    build = in_child(_build_ch, base, rows, calls)
    write_metadata(base / "metadata.sqlite")
    (base / "build.json").write_text(json.dumps(build))
    (base / "complete").touch()
    return base


def _build_ch(base: Path, rows: int, calls: int) -> dict[str, object]:
    store = open_store(chdb_url(base))
    inserting = 0.0
    for done, chunk in base_chunks(rows, BULK):
        started = time.perf_counter()
        store.insert_cdrs(chunk)
        inserting += time.perf_counter() - started
        print(f"  ClickHouse base: {done:,} rows, {inserting:.0f} s inserting", file=sys.stderr)
    started = time.perf_counter()
    for batch in snapshot_days(calls):
        store.replace_snapshots(batch)
    snapshots = time.perf_counter() - started
    started = time.perf_counter()
    store.compact()
    merging = time.perf_counter() - started
    print(f"  ClickHouse base: snapshots {snapshots:.0f} s, OPTIMIZE FINAL {merging:.0f} s",
          file=sys.stderr)
    parts = store.db.rows(  # type: ignore[attr-defined]
        "SELECT table, sum(rows), sum(bytes_on_disk) FROM system.parts WHERE active AND "
        "database = 'callstats' GROUP BY table")
    store.close()
    return {"rows": rows, "insert_s": inserting, "snapshots_s": snapshots,
            "optimize_s": merging, "bytes": {t: int(b) for t, _, b in parts},
            "peak_rss_mb": peak_rss_mb()}


def measure_ingest(url: str, first_id: int, batches: int, bulk_chunks: int
                   ) -> dict[str, float]:
    """In-process store.insert_cdrs rows/s into a store holding the base: `batches` 10k-row
    batches of new ids, the same again (all duplicates), then 1M-row chunks of new ids.
    Only the inserts are timed (the rows are made first)."""
    store = open_store(url)
    small = [synthetic_cdrs(first_id + i * BATCH, BATCH, seed=7) for i in range(batches)]
    first_bulk = first_id + batches * BATCH
    bulk = [synthetic_cdrs(first_bulk + i * BULK, BULK, seed=9) for i in range(bulk_chunks)]
    rates = {}
    for name, tables, inserted in (("new", small, BATCH), ("duplicates", small, 0),
                                   ("bulk", bulk, BULK)):
        started = time.perf_counter()
        for table in tables:
            result = store.insert_cdrs(table)
            assert result.inserted == inserted, (name, result)
        rates[name] = sum(t.num_rows for t in tables) / (time.perf_counter() - started)
    store.close()
    return {**rates, "peak_rss_mb": peak_rss_mb()}


def ch_bytes(base: Path) -> dict[str, int]:
    return json.loads((base / "build.json").read_text())["bytes"]


def answers_match(urls: list[str], token: str, path: str, params: dict[str, str]) -> bool:
    """Whether every server gives the same JSON answer (the stores promise exact equality)."""
    answers = [httpx.get(url + path, params=params, headers={"Authorization": token},
                         timeout=300) for url in urls]
    return all(a.status_code == 200 for a in answers) and all(
        a.json() == answers[0].json() for a in answers)


def ratio_row(name: str, duck: tuple[float, float], ch: tuple[float, float], same: str
              ) -> tuple[str, ...]:
    return (name, f"{duck[0]:.1f}", f"{duck[1]:.1f}", f"{ch[0]:.1f}", f"{ch[1]:.1f}",
            f"{ch[0] / duck[0]:.2f}", f"{ch[1] / duck[1]:.2f}", same)


def print_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in (header, *rows):
        print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                        for i, (cell, w) in enumerate(zip(row, widths, strict=True))))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-rows", type=int, default=10_000_000)
    parser.add_argument("--calls", type=int, default=150, help="active calls per snapshot")
    parser.add_argument("--requests", type=int, default=100, help="per API query and store")
    parser.add_argument("--pbx-requests", type=int, default=20, help="per PBX query and store")
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument("--batches", type=int, default=30, help="10k-row ingestion batches")
    parser.add_argument("--bulk-chunks", type=int, default=2, help="1M-row ingestion chunks")
    args = parser.parse_args()
    started = time.perf_counter()

    duck_base = build_api_base(args.base_rows, args.calls)
    ch_base = build_ch_base(args.base_rows, args.calls)
    duck_work = working_copy(duck_base, "stores-duckdb")
    ch_work = working_copy(ch_base, "stores-chdb")
    os.environ["CALLSTATS_JWT_SECRET"] = SECRET
    servers = [Server(duck_work), Server(ch_work, store=chdb_url(ch_work))]
    urls = [s.url for s in servers]
    api = [url + "/api/rest/customer/v1" for url in urls]
    rows: list[tuple[str, ...]] = []
    errors = [0, 0]
    http_rates: list[list[float]] = []
    try:
        now = time.time()
        for url in urls:
            post_live_snapshot(url, now)
        tokens = api_tokens(now)
        cases = api_cases()
        for name, account, path, params, _ in cases:
            query = {"account-id": account_uuid(account), **params}
            same = answers_match(api, tokens[account], path, query)
            duck, ch = report(api, tokens[account], path, query, args.requests)
            errors = [errors[0] + duck[3], errors[1] + ch[3]]
            rows.append(ratio_row(name, duck[:2], ch[:2], "yes" if same else "NO"))
            print(f"  {name}: done", file=sys.stderr)
        for client, cdrs in PBX_CLIENTS:
            token = mint_dynamic_token(SECRET, client, 86400, now)
            for endpoint in ("calls", "cdr"):
                same = answers_match(urls, token, f"/client/@me/{endpoint}/stats/", {
                    "start_datetime": iso(START), "end_datetime": iso(START + 30 * DAY)})
                duck_ms, ch_ms = pbx_runtimes(urls, client, endpoint, args.pbx_requests)
                rows.append(ratio_row(f"PBX /{endpoint}/stats/, client with {cdrs} CDRs, "
                                      "30 days", percentiles(duck_ms), percentiles(ch_ms),
                                      "yes" if same else "NO"))
                print(f"  PBX {endpoint} {client}: done", file=sys.stderr)
        first = cases[0]
        query = {"account-id": account_uuid(TYPICAL), **first[3]}
        path = "/api/rest/customer/v1" + first[2]
        wrk_rates = []
        if shutil.which("wrk"):
            for unique in (False, True):
                wrk_rates.append([wrk(url, path, query, tokens[TYPICAL], args.wrk_seconds,
                                      unique=unique) for url in urls])
        # HTTP NDJSON ingestion into both servers, a batch to each in turn.
        first_id = args.base_rows + 1
        bodies = [ndjson_body(synthetic_cdrs(first_id + i * BATCH, BATCH, seed=7))
                  for i in range(args.batches)]
        for _ in ("new", "duplicates"):
            seconds = [0.0, 0.0]
            for i, body in enumerate(bodies):
                for k in (0, 1) if i % 2 == 0 else (1, 0):
                    seconds[k] += post_all(urls[k], [body], "application/x-ndjson")[0]
            http_rates.append([args.batches * BATCH / s for s in seconds])
        server_rss = [s.peak_rss_mb() for s in servers]
    finally:
        for server in servers:
            server.stop()

    # In-process ingestion, on the working copies (ids above the HTTP ones).
    first_id = args.base_rows + args.batches * BATCH + 1
    ingest = [in_child(measure_ingest, f"duckdb://{duck_work / 'cdr.duckdb'}", first_id,
                       args.batches, args.bulk_chunks),
              in_child(measure_ingest, chdb_url(ch_work), first_id, args.batches,
                       args.bulk_chunks)]
    shutil.rmtree(duck_work, ignore_errors=True)
    shutil.rmtree(ch_work, ignore_errors=True)

    print(f"\nClickHouse store (chdb) vs DuckDB store over {args.base_rows:,} CDRs and a "
          f"snapshot a minute for 30 days ({args.calls} calls each); server time "
          f"(x-runtime) of {args.requests} requests per API query, {args.pbx_requests} per "
          "PBX query, each sent to both servers in turn\n")
    print_table(("query", "DuckDB p50", "p99", "ClickHouse p50", "p99", "CH/DuckDB p50",
                 "p99", "same answer"), rows)
    print(f"non-200 answers: DuckDB {errors[0]}, ClickHouse {errors[1]}")
    if wrk_rates:
        print(f"\n32 concurrent clients (wrk, {args.wrk_seconds} s), first query, req/s "
              "(DuckDB answers repeats from its result cache; ClickHouse has none):")
        for label, ((duck_rate, duck_err), (ch_rate, ch_err)) in zip(
                ("the same request", "every request distinct"), wrk_rates, strict=True):
            print(f"  {label:24}  DuckDB {duck_rate:7,.0f} ({duck_err} errors)  ClickHouse "
                  f"{ch_rate:7,.0f} ({ch_err} errors)  ratio {ch_rate / duck_rate:.2f}")

    ingest_rows = [
        (f"HTTP NDJSON, {BATCH // 1000}k-row batches, new ids", *http_rates[0]),
        (f"HTTP NDJSON, {BATCH // 1000}k-row batches, all duplicates", *http_rates[1]),
        (f"store.insert_cdrs, {BATCH // 1000}k-row batches, new ids",
         ingest[0]["new"], ingest[1]["new"]),
        (f"store.insert_cdrs, {BATCH // 1000}k-row batches, all duplicates",
         ingest[0]["duplicates"], ingest[1]["duplicates"]),
        (f"store.insert_cdrs, {BULK // 10**6}M-row chunks (the base build), new ids",
         ingest[0]["bulk"], ingest[1]["bulk"]),
    ]
    print(f"\ningestion into a store holding {args.base_rows:,} CDRs, rows/s (idempotency on)\n")
    print_table(("path", "DuckDB", "ClickHouse", "CH/DuckDB"),
                [(name, f"{d:,.0f}", f"{c:,.0f}", f"{c / d:.2f}")
                 for name, d, c in ingest_rows])

    million = args.base_rows / 1e6
    duck_cdrs = used_bytes(build_base(args.base_rows) / "cdr.duckdb")
    duck_all = used_bytes(duck_base / "cdr.duckdb")
    ch_sizes = ch_bytes(ch_base)
    print("\nsize and memory\n")
    print_table(("measure", "DuckDB", "ClickHouse"), [
        ("CDRs, MiB per 1M", f"{duck_cdrs / million / 2**20:.1f}",
         f"{ch_sizes['cdrs'] / million / 2**20:.1f}"),
        ("CDRs, bytes per CDR", f"{duck_cdrs / args.base_rows:.0f}",
         f"{ch_sizes['cdrs'] / args.base_rows:.0f}"),
        ("whole store (CDRs + snapshots), MiB", f"{duck_all / 2**20:,.0f}",
         f"{sum(ch_sizes.values()) / 2**20:,.0f}"),
        ("peak server RSS (queries, wrk, HTTP ingestion), MB", f"{server_rss[0]:,.0f}",
         f"{server_rss[1]:,.0f}"),
        ("peak RSS, in-process ingestion, MB", f"{ingest[0]['peak_rss_mb']:,.0f}",
         f"{ingest[1]['peak_rss_mb']:,.0f}"),
    ])
    build = json.loads((ch_base / "build.json").read_text())
    print(f"\nClickHouse base build: {build['rows'] / build['insert_s']:,.0f} rows/s inserting "
          f"1M-row chunks into a growing store, snapshots {build['snapshots_s']:.0f} s, "
          f"OPTIMIZE FINAL {build['optimize_s']:.0f} s; whole run "
          f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
