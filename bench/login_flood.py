"""Login flood benchmark (issue 16): report latency while 7 clients send wrong passwords to
`POST /auth`, side by side in one run on

- `baseline`: the code before login limits (a git revision, default BASELINE below, run
  from a temporary worktree): argon2 in the shared request thread pool, no limits;
- `guarded`: this tree with its default limits (10/60 per login, 300/60 per IP);
- `no limits`: this tree with both limits off, so only the dedicated low-priority
  password thread stands between the flood and the reports.

Each flood client has a source address of its own (127.0.0.2x) and a login of its own. The
report is an origination-statistics query over 200k CDRs, each request with a new range (no
cached answers). Prints a table; asserts nothing.

    python bench/login_flood.py [--seconds 15] [--baseline REV] [--rows 200000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import ADMIN, DAY, START, Server, ndjson_body, synthetic_cdrs  # noqa: E402

BASELINE = "f3dc13e"  # main before the login limits and the password thread
REPO = Path(__file__).resolve().parents[1]
FLOOD_CLIENTS = 7
V1 = "/api/rest/customer/v1"


class Served(Server):
    """`callstats serve` from `source` (a src/ directory) on a fresh data dir."""

    def __init__(self, name: str, source: Path, data_dir: Path, **settings: str):
        self.name = name
        super().__init__(data_dir, env={"PYTHONPATH": str(source), "CALLSTATS_JWT_SECRET":
                                        "b" * 40, "CALLSTATS_MAINTENANCE_INTERVAL": "0",
                                        **settings})

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def set_up(served: Served, rows: int) -> str:
    """A customer with one account, a login per flood client and one for reports, the
    CDRs; returns a report token."""
    admin = httpx.Client(base_url=served.url + "/api/admin/v1", timeout=600,
                         headers={"Authorization": f"Bearer {ADMIN}"})
    admin.post("/customers", json={"name": "bench", "id": 1}).raise_for_status()
    for account in range(1, 1001):  # synthetic_cdrs spreads over accounts 1..1000
        admin.post("/accounts", json={"customer_id": 1, "name": f"a{account}", "id": account,
                                      "uuid": f"00000000-0000-4000-8000-{account:012d}"})
    for login in ["reports", *(f"flood{i}" for i in range(FLOOD_CLIENTS))]:
        admin.post("/api-accesses", json={"customer_id": 1, "login": login,
                                          "password": "right"}).raise_for_status()
    for first in range(0, rows, 50_000):
        body = ndjson_body(synthetic_cdrs(first + 1, min(50_000, rows - first)))
        admin.post("/cdrs", content=body,
                   headers={"Content-Type": "application/x-ndjson"}).raise_for_status()
    admin.close()
    answer = httpx.post(served.url + V1 + "/auth",
                        json={"auth": {"login": "reports", "password": "right"}})
    answer.raise_for_status()
    return answer.json()["jwt"]


def iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def flood(url: str, client: int, stop: threading.Event, outcomes: Counter[int],
          waits: list[float]) -> None:
    transport = httpx.HTTPTransport(local_address=f"127.0.0.{20 + client}")
    with httpx.Client(base_url=url, transport=transport, timeout=60) as http:
        while not stop.is_set():
            started = time.perf_counter()
            answer = http.post(V1 + "/auth", json={"auth": {"login": f"flood{client}",
                                                            "password": "wrong"}})
            waits.append((time.perf_counter() - started) * 1000)
            outcomes[answer.status_code] += 1
            if answer.status_code == 429:  # a polite client would wait; a flood does not
                time.sleep(0.01)


def reports(url: str, token: str, seconds: float, offset: int) -> list[float]:
    """Client latency (ms) of report requests, one after another, for `seconds`."""
    latencies = []
    with httpx.Client(base_url=url + V1, headers={"Authorization": token}, timeout=60) as http:
        deadline = time.monotonic() + seconds
        i = offset
        while time.monotonic() < deadline:
            i += 1
            params = {"account-id": "00000000-0000-4000-8000-000000000001",
                      "from-time": iso(START), "to-time": iso(START + 30 * DAY - i),
                      "sampling": "hour"}
            started = time.perf_counter()
            http.get("/origination-statistics", params=params).raise_for_status()
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def phase(served: Served, token: str, seconds: float, flooded: bool, offset: int
          ) -> tuple[list[float], Counter[int], float, list[float]]:
    stop, outcomes, waits = threading.Event(), Counter[int](), list[float]()
    threads = [threading.Thread(target=flood, args=(served.url, c, stop, outcomes, waits))
               for c in range(FLOOD_CLIENTS if flooded else 0)]
    for thread in threads:
        thread.start()
    time.sleep(0.5 if flooded else 0)
    cpu = served.cpu_seconds()
    latencies = reports(served.url, token, seconds, offset)
    cpu = served.cpu_seconds() - cpu
    stop.set()
    for thread in threads:
        thread.join()
    return latencies, outcomes, cpu, waits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--baseline", default=BASELINE)
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="login-flood-") as tmp:
        old = Path(tmp) / "baseline"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(old),
                        args.baseline], check=True, capture_output=True)
        servers: list[Served] = []
        try:
            servers = [
                Served("baseline", old / "src", Path(tmp) / "d0"),
                Served("guarded", REPO / "src", Path(tmp) / "d1"),
                Served("no limits", REPO / "src", Path(tmp) / "d2",
                       CALLSTATS_LOGIN_RATE="0", CALLSTATS_LOGIN_RATE_PER_IP="0"),
            ]
            tokens = [set_up(s, args.rows) for s in servers]
            rows = []
            for served, token in zip(servers, tokens, strict=True):
                reports(served.url, token, 2, 10_000)  # warm up
                quiet, _, _, _ = phase(served, token, args.seconds, False, 0)
                loud, outcomes, cpu, waits = phase(served, token, args.seconds, True, 5_000)
                rows.append((served.name, quiet, loud, outcomes, cpu, waits))
        finally:
            for served in servers:
                served.stop()
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force",
                            str(old)], check=False, capture_output=True)
    base_p50 = statistics.median(rows[0][2])
    print(f"\nreport latency, {args.seconds:.0f} s quiet then {args.seconds:.0f} s with "
          f"{FLOOD_CLIENTS} clients sending wrong passwords (client ms)\n")
    print("| server | quiet p50 | flood p50 | flood p95 | flood p50 vs baseline | "
          "reports/s in flood | logins answered/s (401s / 429s in all) | login p50 ms | "
          "server CPU % in flood | server CPU ms per report in flood, hashing included |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, quiet, loud, outcomes, loud_cpu, waits in rows:
        p95 = sorted(loud)[int(len(loud) * 0.95)]
        logins = sum(outcomes.values()) / args.seconds
        print(f"| {name} | {statistics.median(quiet):.1f} | {statistics.median(loud):.1f} | "
              f"{p95:.1f} | {statistics.median(loud) / base_p50:.2f} | "
              f"{len(loud) / args.seconds:.1f} | {logins:.1f} ({outcomes[401]} / "
              f"{outcomes[429]}) | {statistics.median(waits):.0f} | "
              f"{100 * loud_cpu / args.seconds:.0f} | {1000 * loud_cpu / len(loud):.1f} |")


if __name__ == "__main__":
    main()
