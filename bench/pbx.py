"""PBX stats benchmark (issue 4): server time of /client/{id}/calls/stats/ and
/cdr/stats/ over 30 days for clients holding ~0.9M and ~2.8M CDRs of the 10M-CDR store
that bench/customer_api.py builds. Prints a table; asserts nothing.

    python bench/pbx.py [--requests 50]

Beside each row: the server process's CPU per timed request (user + system, all its
threads) and the 1-minute load average at the row's end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from customer_api import SECRET, build_api_base, iso, percentiles  # noqa: E402
from ingest import DAY, START, Server, cpu_seconds, working_copy  # noqa: E402

from callstats.auth.tokens import mint_dynamic_token  # noqa: E402

PBX_CLIENTS = ((2, "~0.87M"), (1, "~2.76M"))  # (customer_id, its CDRs)


def pbx_runtimes(urls: list[str], client: int, endpoint: str, requests: int,
                 pids: list[int] | None = None) -> list[list[float]]:
    """Per server, x-runtime (ms) of `requests` 30-day /{endpoint}/stats/ requests, each
    with its own end_datetime; each request goes to every server in turn, the first
    alternating (see customer_api.report). With `pids` (one per server), each server's
    process CPU (ms) over its timed requests is appended to its list as a last item."""
    token = mint_dynamic_token(SECRET, client, 86400, time.time())
    runtimes: list[list[float]] = [[] for _ in urls]
    cpu = [0.0 for _ in urls]
    https = [httpx.Client(base_url=url, timeout=300, headers={"Authorization": token})
             for url in urls]
    try:
        for i in range(requests + 3):  # the first three warm up
            params = {"start_datetime": iso(START), "end_datetime": iso(START + 30 * DAY - i)}
            for k in range(len(urls)) if i % 2 == 0 else reversed(range(len(urls))):
                before = cpu_seconds(pids[k]) if pids else 0.0
                answer = https[k].get(f"/client/@me/{endpoint}/stats/", params=params)
                answer.raise_for_status()
                if i >= 3:
                    runtimes[k].append(float(answer.headers["x-runtime"]) * 1000)
                    if pids:
                        cpu[k] += (cpu_seconds(pids[k]) - before) * 1000
    finally:
        for http in https:
            http.close()
    if pids:
        for k in range(len(urls)):
            runtimes[k].append(cpu[k])
    return runtimes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    base = build_api_base(10_000_000, 150)
    work = working_copy(base, "pbx-work")
    os.environ["CALLSTATS_JWT_SECRET"] = SECRET
    server = Server(work)
    rows = []
    try:
        for client, cdrs in PBX_CLIENTS:
            for endpoint in ("calls", "cdr"):
                [runtimes] = pbx_runtimes([server.url], client, endpoint, args.requests,
                                          [server.proc.pid])
                cpu = runtimes.pop() / len(runtimes)
                rows.append((f"/{endpoint}/stats/, client with {cdrs} CDRs, 30 days",
                             *percentiles(runtimes), cpu, os.getloadavg()[0]))
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nPBX stats, {args.requests} requests each (target /calls/stats/ p50 ≤ 150 ms "
          "for ~1M CDRs)\n")
    width = max(len(r[0]) for r in rows)
    print(f"{'query'.ljust(width)}  p50 ms  p99 ms  CPU ms/request  load avg")
    for name, p50, p99, cpu, load in rows:
        print(f"{name.ljust(width)}  {p50:6.1f}  {p99:6.1f}  {cpu:14.1f}  {load:8.1f}")


if __name__ == "__main__":
    main()
