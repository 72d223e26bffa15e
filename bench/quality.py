"""Quality series and disconnect codes (SPEC 9.4, 9.5) through the real app in-process, the
DuckDB and ClickHouse (chdb) stores side by side over the same CDRs (bench/query_layer.py's
dataset: 1,000 accounts over 30 days, the largest ~5%, pdd on most calls, disconnect codes on
every side). Each round sends every request to both stores in turn, each with its own to-time
so none comes from the result cache. Prints p50 server time (x-runtime), p50 wall time and
CPU per request (the whole process: app, engine threads), and the ratio ClickHouse / DuckDB;
the 4.3 statistics of the same day beside the quality series as the yardstick. Asserts
nothing.

    python bench/quality.py [--rows 10000000] [--requests 60]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from query_layer import DAY, LARGEST, SECOND, START, TYPICAL, build  # noqa: E402

from callstats.auth.tokens import mint_dynamic_token  # noqa: E402
from callstats.http.app import create_app  # noqa: E402
from callstats.http.services import Services  # noqa: E402
from callstats.metadata.store import MetadataStore  # noqa: E402
from callstats.settings import Settings  # noqa: E402

SECRET = "bench-quality-secret-" + "q" * 32
V1 = "/api/rest/customer/v1"
ALL_METRICS = "ner,pdd-avg,pdd-p50,pdd-p95,pdd-p99"
LAST_DAY = START + 29 * DAY  # µs


def iso(micros: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(micros // SECOND))


def customer_of(account: int) -> int:
    return (account + 9) // 10


def cases() -> list[tuple[str, int, str, dict[str, str], str]]:
    """(name, account, path, params, target); the range ends at the end of the data, and
    each request ends it a second earlier than the one before."""
    day = {"from-time": iso(LAST_DAY), "sampling": "minute"}
    month = {"from-time": iso(START)}
    return [
        ("quality, typical, 1 day, minute, all metrics", TYPICAL,
         "/origination-statistics-quality", {**day, "metrics": ALL_METRICS}, "≤ 20 ms"),
        ("quality, largest, 1 day, minute, all metrics", LARGEST,
         "/origination-statistics-quality", {**day, "metrics": ALL_METRICS}, "≤ 20 ms"),
        ("  quality, largest, 1 day, minute, no metrics", LARGEST,
         "/origination-statistics-quality", day, ""),
        ("  4.3 statistics, largest, 1 day, minute", LARGEST, "/origination-statistics", day,
         ""),
        ("  4.3 statistics, typical, 1 day, minute", TYPICAL, "/origination-statistics", day,
         ""),
        ("disconnect codes, largest, 30 days", LARGEST, "/origination-disconnect-codes",
         month, ""),
        ("  4.3 statistics, largest, 30 days, day", LARGEST, "/origination-statistics",
         {**month, "sampling": "day"}, ""),
    ]


class InProcess:
    """One app over one store, driven through httpx's ASGI transport on a private loop."""

    def __init__(self, url: str, data_dir: Path, clock: Callable[[], float] = time.time):
        data_dir.mkdir(parents=True, exist_ok=True)
        metadata = data_dir / "metadata.sqlite"
        if not metadata.exists():
            store = MetadataStore(f"sqlite:///{metadata}")
            for account in (LARGEST, TYPICAL):
                store.create_customer(f"customer {customer_of(account)}",
                                      id=customer_of(account))
                store.create_account(customer_of(account), f"account {account}",
                                     uuid_of(account), id=account)
            store.close()
        settings = Settings(data_dir=data_dir, store=url, jwt_secret=SECRET)
        self.services = Services.open(settings, clock)
        self.loop = asyncio.new_event_loop()
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(
            app=create_app(services=self.services)), base_url="http://bench")

    def get(self, path: str, params: dict[str, str], token: str) -> httpx.Response:
        return self.loop.run_until_complete(self.client.get(
            V1 + path, params=params, headers={"Authorization": token}))

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()
        self.services.close()


def uuid_of(account: int) -> str:
    return f"00000000-0000-4000-8000-{account:012d}"


def measure(apps: dict[str, InProcess], requests: int) -> dict[str, dict[str, list[float]]]:
    """{case: {store: [server ms, wall ms, cpu ms] p50s}}; who goes first alternates."""
    now = time.time()
    tokens = {a: mint_dynamic_token(SECRET, customer_of(a), 86400, now, [a])
              for a in (LARGEST, TYPICAL)}
    out: dict[str, dict[str, list[float]]] = {}
    for name, account, path, params, _ in cases():
        samples: dict[str, list[tuple[float, float, float]]] = {k: [] for k in apps}
        bodies: dict[str, bytes] = {}
        for i in range(requests + 3):  # three to warm
            unique = {**params, "account-id": uuid_of(account),
                      "to-time": iso(START + 30 * DAY - (i + 1) * SECOND)}
            kinds = list(apps) if i % 2 == 0 else list(apps)[::-1]
            for kind in kinds:
                wall, cpu = time.perf_counter(), time.process_time()
                answer = apps[kind].get(path, unique, tokens[account])
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                assert answer.status_code == 200, answer.text
                if i == 0:
                    bodies[kind] = answer.content
                if i >= 3:
                    samples[kind].append((float(answer.headers["x-runtime"]) * 1e3,
                                          wall * 1e3, cpu * 1e3))
        assert len(set(bodies.values())) == 1, f"{name}: the stores answer differently"
        out[name] = {k: [statistics.median(s[j] for s in v) for j in range(3)]
                     for k, v in samples.items()}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).parent / "out" / "quality")
    args = parser.parse_args()
    started = time.perf_counter()
    urls = build(args.out / f"stores-{args.rows}", args.rows)
    print(f"stores ready in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    apps = {kind: InProcess(url, args.out / f"app-{kind}") for kind, url in urls.items()}
    try:
        results = measure(apps, args.requests)
    finally:
        for app in apps.values():
            app.close()
    targets = {name: target for name, _, _, _, target in cases()}
    print(f"{args.rows:,} CDRs; {args.requests} requests per row and store; p50 ms")
    print("| query | DuckDB server / wall / CPU | ClickHouse server / wall / CPU "
          "| CH / DuckDB (server) | target |")
    print("|---|---|---|---|---|")
    for name, by_kind in results.items():
        duck, click = by_kind["duckdb"], by_kind["chdb"]
        cells = [" / ".join(f"{v:.1f}" for v in values) for values in (duck, click)]
        print(f"| {name} | {cells[0]} | {cells[1]} | {click[0] / duck[0]:.2f} "
              f"| {targets[name]} |")


if __name__ == "__main__":
    main()
