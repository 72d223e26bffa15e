"""PBX stats benchmark (issue 4): server time of /client/{id}/calls/stats/ and
/cdr/stats/ over 30 days for clients holding ~0.9M and ~2.8M CDRs of the 10M-CDR store
that bench/customer_api.py builds. Prints a table; asserts nothing.

    python bench/pbx.py [--requests 50]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from customer_api import SECRET, build_api_base, iso  # noqa: E402
from ingest import DAY, START, Server, working_copy  # noqa: E402

from callstats.auth.tokens import mint_dynamic_token  # noqa: E402


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
        for client, cdrs in ((2, "~0.87M"), (1, "~2.76M")):
            token = mint_dynamic_token(SECRET, client, 86400, time.time())
            for endpoint in ("calls", "cdr"):
                runtimes = []
                with httpx.Client(base_url=server.url, timeout=120,
                                  headers={"Authorization": token}) as http:
                    for i in range(args.requests + 3):  # the first three warm up
                        params = {"start_datetime": iso(START),
                                  "end_datetime": iso(START + 30 * DAY - i)}
                        answer = http.get(f"/client/@me/{endpoint}/stats/", params=params)
                        answer.raise_for_status()
                        if i >= 3:
                            runtimes.append(float(answer.headers["x-runtime"]) * 1000)
                runtimes.sort()
                rows.append((f"/{endpoint}/stats/, client with {cdrs} CDRs, 30 days",
                             statistics.median(runtimes), runtimes[int(len(runtimes) * .99) - 1]))
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nPBX stats, {args.requests} requests each (target /calls/stats/ p50 ≤ 150 ms "
          "for ~1M CDRs)\n")
    width = max(len(r[0]) for r in rows)
    print(f"{'query'.ljust(width)}  p50 ms  p99 ms")
    for name, p50, p99 in rows:
        print(f"{name.ljust(width)}  {p50:6.1f}  {p99:6.1f}")


if __name__ == "__main__":
    main()
