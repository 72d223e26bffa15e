"""Soak (issue 16): 32 clients of mixed traffic against one server for a bounded time —
customer reports, PBX stats, CDR lists, accounts and ingestion (NDJSON CDR batches and
active-call snapshots) — on the 10M-CDR store that bench/customer_api.py builds. Prints
errors, p50/p99 per kind, server CPU per request and the server's RSS over time (flat
means no leak). Asserts nothing.

    python bench/soak.py [--seconds 600] [--clients 32] [--base-rows 10000000]

Every report request asks a range no earlier request asked (its end moves by a second),
so the result cache does not answer it: the soak measures computing, not caching.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import shutil
import statistics
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from customer_api import (  # noqa: E402
    LARGEST,
    SECRET,
    TYPICAL,
    account_uuid,
    api_tokens,
    build_api_base,
    iso,
)
from ingest import (  # noqa: E402
    ADMIN,
    DAY,
    START,
    Server,
    ndjson_body,
    synthetic_cdrs,
    working_copy,
)

from callstats.auth.tokens import mint_dynamic_token  # noqa: E402

CUSTOMER = "/api/rest/customer/v1"
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN}"}
# (kind, weight): the mix one client draws its next request from.
MIX = (("report", 40), ("active-calls", 10), ("quality", 8), ("cdr-list", 14),
       ("accounts", 5), ("pbx", 8), ("ingest-cdrs", 3), ("ingest-snapshot", 2))


@dataclass
class Tally:
    """Latencies (ms) and failures per request kind, shared by every client task."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failures: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    examples: dict[str, str] = field(default_factory=dict)
    inserted: int = 0

    def record(self, kind: str, started: float, answer: httpx.Response | None,
               problem: str = "") -> None:
        self.latencies[kind].append((time.perf_counter() - started) * 1000)
        if answer is None or answer.status_code >= 400:
            self.failures[kind] += 1
            self.examples.setdefault(kind, problem or f"{answer.status_code} "
                                     f"{answer.text[:200]}" if answer else problem)


class Requests:
    """Draws the next request of each kind; every report range is new (see module doc)."""

    def __init__(self, base_rows: int, now: float) -> None:
        self.tick = itertools.count()
        self.next_id = itertools.count(base_rows + 1_000_000, 500)
        tokens = api_tokens(now)
        self.customer = {a: {"Authorization": f"Bearer {t}"} for a, t in tokens.items()}
        self.pbx = {c: {"Authorization": mint_dynamic_token(SECRET, c, 86400, now)}
                    for c in (1, 2, 50)}
        self.snapshot_at = int(now)

    def build(self, kind: str) -> tuple[str, str, dict[str, str], dict[str, str], bytes]:
        """(method, path, params, headers, body) of one request of `kind`."""
        n = next(self.tick)
        account = random.choice((TYPICAL, TYPICAL, LARGEST))
        day = START + (n % 29) * DAY
        headers = self.customer[account]
        if kind == "report":
            sampling, span = random.choice((("minute", DAY), ("hour", 7 * DAY),
                                            ("day", 30 * DAY)))
            params = {"account-id": account_uuid(account), "sampling": sampling,
                      "from-time": iso(START), "to-time": iso(START + span - n % 3600)}
            side = "/termination-statistics" if n % 5 == 0 else "/origination-statistics"
            if side == "/termination-statistics":
                headers, params["account-id"] = self.customer[2001], account_uuid(2001)
            return "GET", CUSTOMER + side, params, headers, b""
        if kind == "active-calls":
            params = {"account-id": account_uuid(account), "from-time": iso(day),
                      "to-time": iso(day + DAY - 1 - n % 3600)}
            return "GET", CUSTOMER + "/origination-active-calls", params, headers, b""
        if kind == "quality":
            params = {"account-id": account_uuid(account), "sampling": "15minutes",
                      "from-time": iso(day), "to-time": iso(day + DAY - 1 - n % 3600),
                      "metrics": "ner,pdd-avg,pdd-p95"}
            return "GET", CUSTOMER + "/origination-statistics-quality", params, headers, b""
        if kind == "cdr-list":
            params = {"filter[account_id_eq]": account_uuid(account),
                      "filter[time_start_gteq]": iso(day),
                      "filter[time_start_lt]": iso(day + 3600 + n % 3600),
                      "page[size]": "50", "page[number]": str(1 + n % 3)}
            return "GET", CUSTOMER + "/cdrs", params, headers, b""
        if kind == "accounts":
            return "GET", CUSTOMER + "/accounts", {}, headers, b""
        if kind == "pbx":
            client = random.choice((1, 2, 50))
            endpoint = random.choice(("calls", "cdr"))
            params = {"start_datetime": iso(day), "end_datetime": iso(day + 7 * DAY - n)}
            return ("GET", f"/client/@me/{endpoint}/stats/", params, self.pbx[client], b"")
        if kind == "ingest-cdrs":
            first = next(self.next_id)
            body = ndjson_body(synthetic_cdrs(first, 500, window=(n % 29, n % 29 + 1)))
            return ("POST", "/api/admin/v1/cdrs", {},
                    {**ADMIN_HEADERS, "Content-Type": "application/x-ndjson"}, body)
        self.snapshot_at += 1
        calls = [{"customer_acc_id": TYPICAL, "start_time": self.snapshot_at - i,
                  "destination_initial_rate": "0.0123", "auth_orig_ip": "10.0.0.1"}
                 for i in range(200)]
        import orjson

        body = orjson.dumps({"snapshot_timestamp": self.snapshot_at, "node_id": 0,
                             "calls": calls})
        return ("POST", "/api/admin/v1/active-calls", {},
                {**ADMIN_HEADERS, "Content-Type": "application/json"}, body)


async def client(url: str, requests: Requests, tally: Tally, stop_at: float) -> None:
    kinds, weights = zip(*MIX, strict=True)
    async with httpx.AsyncClient(base_url=url, timeout=120) as http:
        while time.perf_counter() < stop_at:
            kind = random.choices(kinds, weights)[0]
            method, path, params, headers, body = requests.build(kind)
            started = time.perf_counter()
            try:
                answer = await http.request(method, path, params=params, headers=headers,
                                            content=body or None)
            except httpx.HTTPError as error:
                tally.record(kind, started, None, f"{type(error).__name__}: {error}")
                continue
            tally.record(kind, started, answer)
            if kind == "ingest-cdrs" and answer.status_code == 200:
                tally.inserted += answer.json()["inserted"]


def proc_stat(pid: int) -> tuple[float, float]:
    """(CPU seconds used, resident MB) of process `pid` now."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    return cpu, rss


def sample_rss(pid: int, every: float, samples: list[tuple[float, float]],
               stop: threading.Event) -> None:
    started = time.perf_counter()
    while not stop.wait(every):
        samples.append((time.perf_counter() - started, proc_stat(pid)[1]))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def print_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in (header, *rows):
        print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                        for i, (cell, w) in enumerate(zip(row, widths, strict=True))))


def run(url: str, pid: int, seconds: float, clients: int, base_rows: int
        ) -> tuple[Tally, list[tuple[float, float]], float]:
    requests, tally = Requests(base_rows, time.time()), Tally()
    samples: list[tuple[float, float]] = [(0.0, proc_stat(pid)[1])]
    stop = threading.Event()
    sampler = threading.Thread(target=sample_rss, args=(pid, 10.0, samples, stop))
    sampler.start()
    cpu_before = proc_stat(pid)[0]
    stop_at = time.perf_counter() + seconds

    async def all_clients() -> None:
        await asyncio.gather(*(client(url, requests, tally, stop_at) for _ in range(clients)))

    try:
        asyncio.run(all_clients())
    finally:
        stop.set()
        sampler.join()
    return tally, samples, proc_stat(pid)[0] - cpu_before


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--base-rows", type=int, default=10_000_000)
    parser.add_argument("--calls", type=int, default=150, help="active calls per snapshot")
    parser.add_argument("--store", default="", help="a CALLSTATS_STORE URL (default DuckDB)")
    args = parser.parse_args()

    base = build_api_base(args.base_rows, args.calls)
    work = working_copy(base, "soak-work")
    os.environ["CALLSTATS_JWT_SECRET"] = SECRET
    server = Server(work, store=args.store)
    warm = Requests(args.base_rows, time.time())
    try:
        for kind, _ in MIX:  # one of each first: a broken route shows before the soak
            method, path, params, headers, body = warm.build(kind)
            httpx.request(method, server.url + path, params=params, headers=headers,
                          content=body or None, timeout=300)
        tally, samples, cpu = run(server.url, server.proc.pid, args.seconds, args.clients,
                                  args.base_rows)
        peak = server.peak_rss_mb()
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)

    total = sum(len(v) for v in tally.latencies.values())
    errors = sum(tally.failures.values())
    print(f"\nsoak: {args.clients} clients, {args.seconds:.0f} s, {args.base_rows:,}-CDR "
          f"store ({args.store or 'DuckDB'}); {total:,} requests, {total / args.seconds:,.0f} "
          f"req/s, {errors} errors, server CPU {cpu * 1000 / max(total, 1):.1f} ms/request, "
          f"{tally.inserted:,} CDRs ingested\n")
    rows = []
    for kind, _ in MIX:
        values = tally.latencies.get(kind, [])
        if values:
            rows.append((kind, f"{len(values):,}", str(tally.failures.get(kind, 0)),
                         f"{statistics.median(values):.1f}", f"{percentile(values, 0.99):.1f}",
                         f"{max(values):.0f}"))
    print_table(("kind", "requests", "errors", "p50 ms", "p99 ms", "max ms"), rows)
    for kind, example in tally.examples.items():
        print(f"  first {kind} failure: {example}")
    minute = max(1, len(samples) // 10)
    first = statistics.mean(rss for _, rss in samples[:minute])
    last = statistics.mean(rss for _, rss in samples[-minute:])
    print(f"\nserver RSS: first tenth {first:,.0f} MB, last tenth {last:,.0f} MB "
          f"({last - first:+,.0f} MB), peak {peak:,.0f} MB")
    print("RSS over time (s: MB): " + ", ".join(
        f"{t:.0f}: {rss:.0f}" for t, rss in samples[::max(1, len(samples) // 12)]))


if __name__ == "__main__":
    main()
