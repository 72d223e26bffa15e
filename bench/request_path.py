"""The lean request path (issue 15): 32 clients of distinct typical requests against a real
`callstats serve`, this checkout's code and another's (`--compare`, e.g. the main
checkout) in one run, one server at a time, alternating. Prints requests/s, errors, p50
server time (x-runtime) and the server process's CPU milliseconds per request; asserts
nothing.

    python bench/request_path.py [--rows 1000000] [--seconds 15] [--clients 32]
                                 [--compare ../main ...] [--threads 1,0] [--rounds 2]
                                 [--chdb]

Every request is the typical one (an account of ~0.1% of the CDRs, 24 hours, minute) for
one of ten accounts of one customer, its range a minute earlier than the one before
(ending a second before a minute, so the edge minute is read from raw rows): none is
answered from the result cache, none is empty. The load generator is plain
asyncio over keep-alive sockets (cheap on the client side: it shares the 2 cores).
`--threads` lists CALLSTATS_DUCKDB_THREADS values to run this checkout with (0: DuckDB's
default, one per core); the other checkout runs with its own defaults. `--chdb` adds this
checkout on a ClickHouse (chdb) store of the same CDRs (bench/stores.py's base, built on
first use) to each round.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from customer_api import SECRET, account_uuid, iso, write_metadata  # noqa: E402
from ingest import DAY, START, Server, build_base, cpu_seconds, working_copy  # noqa: E402
from stores import build_ch_base, chdb_url  # noqa: E402

from callstats.auth.tokens import mint_token  # noqa: E402

ACCOUNTS = range(491, 501)  # customer 50's: typical accounts, login 2 may read them all
PATH = "/api/rest/customer/v1/origination-statistics"


def base_with_metadata(rows: int) -> Path:
    base = build_base(rows)
    if not (base / "metadata.sqlite").exists():
        write_metadata(base / "metadata.sqlite")
    return base


class Load:
    """`clients` keep-alive connections asking distinct typical requests for `seconds`."""

    def __init__(self, port: int, token: str, first: int = 0):
        self.port = port
        self.token = token
        self.counter = first  # minutes the range starts before the last day: one a request
        self.statuses: dict[int, int] = {}
        self.runtimes: list[float] = []
        self.empty = 0  # answers without a bucket: the run would measure nothing

    def request(self) -> bytes:
        self.counter += 1
        # 24 hours ending a second before a minute (the range the customer API benchmark's
        # distinct requests ask): a whole minute earlier for each request, within 28 days.
        last_day = (START + 29 * DAY) // 60 * 60
        start = last_day - 60 * (self.counter % (28 * 1440))
        query = urlencode({"account-id": account_uuid(ACCOUNTS[self.counter % len(ACCOUNTS)]),
                           "from-time": iso(start), "to-time": iso(start + DAY - 1),
                           "sampling": "minute"})
        return (f"GET {PATH}?{query} HTTP/1.1\r\nHost: bench\r\n"
                f"Authorization: Bearer {self.token}\r\n\r\n").encode()

    async def client(self, stop: float) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            while time.perf_counter() < stop:
                writer.write(self.request())
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                status = int(lines[0].split()[1])
                headers = dict(line.lower().split(": ", 1) for line in lines[1:] if line)
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.empty += body.endswith(b'"rows":0}') or b'"rows":0,' in body
                self.statuses[status] = self.statuses.get(status, 0) + 1
                if "x-runtime" in headers:
                    self.runtimes.append(float(headers["x-runtime"]) * 1e3)
        finally:
            writer.close()

    async def run(self, clients: int, seconds: float) -> None:
        stop = time.perf_counter() + seconds
        results = await asyncio.gather(*(self.client(stop) for _ in range(clients)),
                                       return_exceptions=True)
        failed = [r for r in results if isinstance(r, BaseException)]
        self.statuses[-1] = len(failed)  # connections that broke


def measure(label: str, base: Path, env: dict[str, str], clients: int, seconds: float,
            chdb: bool = False) -> dict[str, float]:
    work = working_copy(base, "request-path-work")
    server = Server(work, store=chdb_url(work) if chdb else "",
                    env={"CALLSTATS_JWT_SECRET": SECRET, **env})
    try:
        token = mint_token(SECRET, 2, 86400, time.time())
        warm = Load(server.port, token)
        asyncio.run(warm.run(clients, 2.0))
        load = Load(server.port, token, warm.counter)
        load_before = os.getloadavg()[0]
        cpu, wall = cpu_seconds(server.proc.pid), time.perf_counter()
        client_cpu = time.process_time()
        asyncio.run(load.run(clients, seconds))
        wall = time.perf_counter() - wall
        cpu = cpu_seconds(server.proc.pid) - cpu
        client_cpu = time.process_time() - client_cpu
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    ok = load.statuses.get(200, 0)
    if load.empty:
        print(f"  {label}: {load.empty} answers without a bucket", file=sys.stderr)
    errors = sum(n for status, n in load.statuses.items() if status != 200)
    return {"label": label, "rate": ok / wall, "errors": errors,  # type: ignore[dict-item]
            "p50": statistics.median(load.runtimes) if load.runtimes else float("nan"),
            "cpu": cpu * 1e3 / max(ok, 1), "client_cpu": client_cpu * 1e3 / max(ok, 1),
            "load": load_before}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--compare", type=Path, action="append", default=[],
                        help="another checkout (a directory holding src/) to run first; "
                        "may be given several times")
    parser.add_argument("--threads", default="1,0", help="CALLSTATS_DUCKDB_THREADS values")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--chdb", action="store_true",
                        help="also run this checkout on a ClickHouse (chdb) store")
    parser.add_argument("--log-level", default="warning",
                        help="CALLSTATS_LOG_LEVEL of the servers (info: a log line each)")
    args = parser.parse_args()
    base = base_with_metadata(args.rows)
    here = Path(__file__).resolve().parent.parent
    ch_base = build_ch_base(args.rows, 150) if args.chdb else None
    sides: list[tuple[str, dict[str, str], Path | None]] = []
    for other in args.compare:
        sides.append((other.resolve().name, {"PYTHONPATH": str(other.resolve() / "src")},
                      None))
    for threads in args.threads.split(","):
        sides.append((f"this checkout, threads={threads}",
                      {"PYTHONPATH": str(here / "src"), "CALLSTATS_DUCKDB_THREADS": threads},
                      None))
    if ch_base:
        sides.append(("this checkout, chdb store", {"PYTHONPATH": str(here / "src")}, ch_base))
    results: list[dict[str, float]] = []
    for _ in range(args.rounds):
        for label, env, chdb_base in sides:
            env = {**env, "CALLSTATS_LOG_LEVEL": args.log_level}
            results.append(measure(label, chdb_base or base, env, args.clients, args.seconds,
                                   chdb=chdb_base is not None))
            r = results[-1]
            print(f"  {label}: {r['rate']:.0f} req/s, CPU {r['cpu']:.2f} ms/request",
                  file=sys.stderr)
    print(f"\n{args.clients} clients, distinct typical requests (1 day, minute), "
          f"{args.rows:,} CDRs, {args.seconds:.0f} s per run, {args.rounds} rounds:\n")
    print("| code | req/s | errors | server p50 ms | server CPU ms/request "
          "| client CPU ms/request | load avg at start |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['label']} | {r['rate']:.0f} | {r['errors']:.0f} | {r['p50']:.2f} | "
              f"{r['cpu']:.2f} | {r['client_cpu']:.2f} | {r['load']:.1f} |")


if __name__ == "__main__":
    main()
