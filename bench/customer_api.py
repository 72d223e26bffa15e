"""Customer API benchmark (issue 3): server time (x-runtime) p50/p99 per query over 10M
CDRs (1,000 accounts, 30 days, the largest ~5%) and a snapshot every minute for 30 days,
and requests/s with 32 concurrent clients (wrk). Prints a table; asserts nothing.

    python bench/customer_api.py [--base-rows 10000000] [--requests 200] [--calls 150]
"""

from __future__ import annotations

import argparse
import calendar
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import (  # noqa: E402
    ADMIN,
    DAY,
    OUT,
    START,
    Server,
    build_base,
    micros_to_decimal,
    table_of,
    working_copy,
)

from callstats.auth.tokens import mint_token  # noqa: E402
from callstats.ingest.batches import SNAPSHOT_TABLE_SCHEMA, SnapshotBatch  # noqa: E402
from callstats.metadata.store import MetadataStore  # noqa: E402
from callstats.stores.duckdb_store import DuckDBStore  # noqa: E402

SECRET = "bench-jwt-secret-" + "x" * 32
LARGEST, TYPICAL = 1, 500  # account ids: the skew puts ~5% on account 1


def account_uuid(account: int) -> str:
    return f"00000000-0000-4000-8000-{account:012d}"


def snapshot_day(day: int, calls: int, rng: np.random.Generator) -> SnapshotBatch:
    """One node's snapshot every minute of `day`, `calls` active calls each."""
    minutes = np.arange(1440, dtype=np.int64)
    stamps = START + day * DAY + minutes * 60
    rows = 1440 * calls
    stamp_col = np.repeat(stamps, calls)
    weights = 1.0 / np.arange(1, 1001) ** 0.9
    weights[0] = weights.sum() * 0.053
    weights /= weights.sum()
    account = rng.choice(1000, size=rows, p=weights).astype(np.int64) + 1
    age = rng.integers(0, 600, size=rows)
    connected = rng.random(rows) > 0.15
    micro = pa.timestamp("us", tz="UTC")
    columns = {
        "node_id": np.zeros(rows, dtype=np.int64),
        "snapshot_timestamp": pa.array(stamp_col * 1_000_000).view(micro),
        "position": np.tile(np.arange(calls, dtype=np.int32), 1440),
        "start_time": pa.array((stamp_col - age) * 1_000_000).view(micro),
        "connect_time": pa.array(np.where(connected, (stamp_col - age + 4) * 1_000_000, 0)
                                 ).view(micro),
        "destination_prefix": pa.array(rng.choice(["44", "49", "33", "1"], size=rows)),
        "destination_initial_interval": np.ones(rows, dtype=np.int64),
        "destination_next_interval": np.ones(rows, dtype=np.int64),
        "src_prefix_routing": pa.array(rng.integers(10**9, 10**10, size=rows)).cast(pa.string()),
        "dst_prefix_routing": pa.array(rng.integers(10**9, 10**10, size=rows)).cast(pa.string()),
        "auth_orig_ip": pa.array(np.char.add("10.0.0.", (account % 250).astype(str))),
        "auth_orig_port": np.full(rows, 5060, dtype=np.int64),
        "auth_orig_transport_protocol_id": np.ones(rows, dtype=np.int64),
        "customer_id": (account + 9) // 10,
        "customer_acc_id": account,
        "vendor_acc_id": rng.integers(2000, 2040, size=rows),
        "duration": np.where(connected, age - 4, 0).clip(0),
        "customer_price": micros_to_decimal(rng.integers(0, 50_000, size=rows)),
        "vendor_price": micros_to_decimal(rng.integers(0, 40_000, size=rows)),
        "destination_initial_rate": micros_to_decimal(rng.integers(0, 90_000, size=rows)),
        "destination_next_rate": micros_to_decimal(rng.integers(0, 90_000, size=rows)),
        "destination_fee": micros_to_decimal(np.zeros(rows, dtype=np.int64)),
    }
    table = table_of(columns, SNAPSHOT_TABLE_SCHEMA, rows)
    return SnapshotBatch([(0, int(s) * 1_000_000) for s in stamps], table)


def build_api_base(rows: int, calls: int) -> Path:
    base = OUT / f"api-{rows}-{calls}"
    if (base / "complete").exists():
        return base
    shutil.rmtree(base, ignore_errors=True)
    shutil.copytree(build_base(rows), base, ignore=shutil.ignore_patterns("complete"))
    store = DuckDBStore(base / "cdr.duckdb")
    for day, batch in enumerate(snapshot_days(calls)):
        store.replace_snapshots(batch)
        print(f"  snapshots: day {day + 1}/30", file=sys.stderr)
    store.cursor().execute("CHECKPOINT").fetchall()
    store.close()
    write_metadata(base / "metadata.sqlite")
    (base / "complete").touch()
    return base


def snapshot_days(calls: int) -> Iterator[SnapshotBatch]:
    """The base's 30 days of snapshots, one batch a day, the same on every call."""
    rng = np.random.default_rng(3)
    for day in range(30):
        yield snapshot_day(day, calls, rng)


def write_metadata(path: Path) -> None:
    """Customers, accounts and API logins of the base's CDRs."""
    metadata = MetadataStore(f"sqlite:///{path}")
    for customer in range(1, 101):
        metadata.create_customer(f"customer {customer}", id=customer)
    for account in range(1, 1001):
        metadata.create_account((account + 9) // 10, f"account {account}",
                                account_uuid(account), id=account)
    for account in range(2000, 2040):  # the vendor accounts CDRs terminate to
        metadata.create_account(1, f"vendor account {account}", account_uuid(account),
                                id=account)
    for customer in ((LARGEST + 9) // 10, (TYPICAL + 9) // 10):
        metadata.create_api_access(customer, f"login{customer}", "bench-password")
    metadata.close()


def post_live_snapshot(url: str, now: float) -> None:
    """One fresh snapshot, so outgoing-active-calls has live calls to list."""
    fresh = [{"customer_acc_id": (i % 3) * (TYPICAL - 1) + 1, "start_time": int(now) - i,
              "destination_initial_rate": "0.0123", "auth_orig_ip": "10.0.0.1"}
             for i in range(500)]
    httpx.post(url + "/api/admin/v1/active-calls",
               json={"snapshot_timestamp": int(now), "node_id": 0, "calls": fresh},
               headers={"Authorization": f"Bearer {ADMIN}"}, timeout=60).raise_for_status()


def api_tokens(now: float) -> dict[int, str]:
    """A customer token per account the cases read (LARGEST and vendor 2001: login 1)."""
    return {a: mint_token(SECRET, 1 if a in (LARGEST, 2001) else 2, 86400, now)
            for a in (LARGEST, TYPICAL, 2001)}


def api_cases() -> list[tuple[str, int, str, dict[str, str], str]]:
    """(name, account, path under /api/rest/customer/v1, params, target) of every query."""
    day0 = START + 14 * DAY
    return [
        ("typical account, 1 day, minute", TYPICAL, "/origination-statistics",
         {"from-time": iso(day0), "to-time": iso(day0 + DAY - 1), "sampling": "minute"},
         "≤ 5 ms"),
        ("largest account, 30 days, hour, prefix filter", LARGEST,
         "/origination-statistics",
         {"from-time": iso(START), "to-time": iso(START + 30 * DAY),
          "sampling": "hour", "dst-prefix-routing-starts-with": "44"}, "≤ 100 ms"),
        ("largest account, 30 days, hour, no filter", LARGEST, "/origination-statistics",
         {"from-time": iso(START), "to-time": iso(START + 30 * DAY), "sampling": "hour"},
         ""),
        ("termination, a vendor account, 30 days, day", 2001,
         "/termination-statistics",
         {"from-time": iso(START), "to-time": iso(START + 30 * DAY), "sampling": "day"},
         ""),
        ("origination-active-calls, typical, 1 day", TYPICAL, "/origination-active-calls",
         {"from-time": iso(day0), "to-time": iso(day0 + DAY - 1)}, ""),
        ("origination-active-calls, largest, 1 day", LARGEST, "/origination-active-calls",
         {"from-time": iso(day0), "to-time": iso(day0 + DAY - 1)}, ""),
        ("outgoing-active-calls, typical", TYPICAL, "/outgoing-active-calls", {}, ""),
    ]


def report(urls: list[str], token: str, path: str, params: dict[str, str], count: int
           ) -> list[tuple[float, float, float, int]]:
    """Per server: p50 and p99 of x-runtime (ms), p50 of client latency (ms), and non-200
    answers. Each request ends its range one second earlier than the last, so no answer
    comes from the result cache: these are computing times. With several servers, each
    request goes to every one in turn (who goes first alternates), so background noise
    falls on all of them alike."""
    clients = [httpx.Client(base_url=url, headers={"Authorization": token}, timeout=60)
               for url in urls]
    runtimes: list[list[float]] = [[] for _ in urls]
    latencies: list[list[float]] = [[] for _ in urls]
    errors = [0] * len(urls)
    try:
        for i in range(count + 5):  # the first five warm code paths
            unique = dict(params)
            if "to-time" in unique:
                end = time.strptime(unique["to-time"], "%Y-%m-%dT%H:%M:%SZ")
                unique["to-time"] = iso(calendar.timegm(end) - i)
            order = range(len(urls)) if i % 2 == 0 else reversed(range(len(urls)))
            for k in order:
                started = time.perf_counter()
                answer = clients[k].get(path, params=unique)
                if i < 5:
                    continue
                latencies[k].append((time.perf_counter() - started) * 1000)
                errors[k] += answer.status_code != 200
                runtimes[k].append(float(answer.headers["x-runtime"]) * 1000)
    finally:
        for client in clients:
            client.close()
    return [(*percentiles(r), statistics.median(lat), e)
            for r, lat, e in zip(runtimes, latencies, errors, strict=True)]


def percentiles(values: list[float]) -> tuple[float, float]:
    """p50 and p99 (the nearest-rank value below, as the tables always printed)."""
    ordered = sorted(values)
    return statistics.median(ordered), ordered[max(int(len(ordered) * 0.99) - 1, 0)]


def iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def wrk(base_url: str, path: str, query: dict[str, str], token: str, seconds: int,
        unique: bool = False) -> tuple[float, int]:
    """Requests/s and failures with 32 connections; `unique` gives every request its own
    to-time (one second apart), so none is answered from the result cache."""
    script = Path(tempfile.mkdtemp()) / "auth.lua"
    fixed = "&".join(f"{k}={v}" for k, v in query.items() if k != "to-time")
    end = calendar.timegm(time.strptime(query["to-time"], "%Y-%m-%dT%H:%M:%SZ"))
    lua = [f'wrk.headers["Authorization"] = "{token}"']
    if unique:
        lua += ["counter = 0", "request = function()", "  counter = counter + 1",
                f'  local t = os.date("!%Y-%m-%dT%H:%M:%SZ", {end} - counter)',
                f'  return wrk.format("GET", "{path}?{fixed}&to-time=" .. t)', "end"]
    lua += ["done = function(summary, latency, requests)",
            "  io.write(string.format('NON2XX %d\\n', summary.errors.status))", "end"]
    script.write_text("\n".join(lua) + "\n")
    url = f"{base_url}{path}?{fixed}&to-time={query['to-time']}"
    out = subprocess.run(["wrk", "-t2", "-c32", f"-d{seconds}s", "-s", str(script), url],
                         capture_output=True, text=True, check=True).stdout
    rate = float(next(line.split()[1] for line in out.splitlines()
                      if line.startswith("Requests/sec")))
    non2xx = int(next(line.split()[1] for line in out.splitlines() if line.startswith("NON2XX")))
    socket_errors = sum(int(n) for line in out.splitlines() if "Socket errors" in line
                        for n in line.replace(",", " ").split() if n.isdigit())
    return rate, non2xx + socket_errors


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-rows", type=int, default=10_000_000)
    parser.add_argument("--calls", type=int, default=150, help="active calls per snapshot")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--wrk-seconds", type=int, default=15)
    args = parser.parse_args()

    base = build_api_base(args.base_rows, args.calls)
    work = working_copy(base, "api-work")
    os.environ["CALLSTATS_JWT_SECRET"] = SECRET
    server = Server(work)
    results = []
    try:
        now = time.time()
        post_live_snapshot(server.url, now)
        tokens = api_tokens(now)
        cases = api_cases()
        prefix = server.url + "/api/rest/customer/v1"
        for name, account, path, params, target in cases:
            query = {"account-id": account_uuid(account), **params}
            [(p50, p99, client_p50, errors)] = report([prefix], tokens[account], path, query,
                                                      args.requests)
            results.append((name, f"{p50:.1f}", f"{p99:.1f}", f"{client_p50:.1f}",
                            str(errors), target))
        first = cases[0]
        query = {"account-id": account_uuid(TYPICAL), **first[3]}
        path = "/api/rest/customer/v1" + first[2]
        rate, errors = wrk(server.url, path, query, tokens[TYPICAL], args.wrk_seconds)
        cold_rate, cold_errors = wrk(server.url, path, query, tokens[TYPICAL],
                                     args.wrk_seconds, unique=True)
        rss = server.peak_rss_mb()
    finally:
        server.stop()
    print(f"\ncustomer API over {args.base_rows:,} CDRs and a snapshot a minute for 30 days "
          f"({args.calls} calls each); {args.requests} sequential requests per query\n")
    header = ("query", "p50 ms", "p99 ms", "client p50", "errors", "target")
    widths = [max(len(r[i]) for r in [header, *results]) for i in range(6)]
    for row in (header, *results):
        print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                        for i, (cell, w) in enumerate(zip(row, widths, strict=True))))
    print(f"\n32 concurrent clients (wrk, {args.wrk_seconds} s) on the first query "
          f"(target ≥ 500 req/s, 0 errors):\n"
          f"  the same request (answered from the result cache): {rate:,.0f} req/s, "
          f"{errors} errors\n"
          f"  every request distinct (computed each time):       {cold_rate:,.0f} req/s, "
          f"{cold_errors} errors\npeak server RSS {rss:,.0f} MB")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
