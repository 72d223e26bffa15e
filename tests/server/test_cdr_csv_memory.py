"""`Accept: text/csv` on /cdrs streams every matching row with constant server memory
(SPEC 9.3): a real `callstats serve` over a million stored CDRs, its RSS sampled while a
fifth of them and then all of them stream out; the peak must not grow with the rows.

The server's memory rises over the first chunks of a stream (the store's and Arrow's
pools fill to the size of one chunk's work) and then stays level: a warm-up stream of a
fifth runs first, so both measured streams start from that plateau."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import jwt

from callstats.stores.duckdb_store import DuckDBStore
from tests.support.cdr_volume import SECOND, cdr_table
from tests.support.servers import ADMIN_HEADERS, spawn, stop, wait_ready
from tests.support.times import iso

ROWS = 1_000_000
NOW = 1_735_000_000 * SECOND
SPAN = 10 * 86_400 * SECOND
SECRET = "real-servers-" + "s" * 32
UUID = "00000001-0000-4000-8000-000000000001"


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


class Sampler(threading.Thread):
    """The process's peak RSS while it runs."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.005)


def stream(client: httpx.Client, token: str, since_us: int, pid: int) -> tuple[int, int]:
    """(lines, peak RSS KiB) of the CSV of every CDR from `since_us`."""
    sampler = Sampler(pid)
    sampler.start()
    lines = 0
    with client.stream("GET", "/api/rest/customer/v1/cdrs", headers={
            "Authorization": token, "Accept": "text/csv"},
            params={"filter[time_start_gteq]": iso(since_us)}) as response:
        assert response.status_code == 200
        for chunk in response.iter_bytes():
            lines += chunk.count(b"\n")
    sampler.done.set()
    sampler.join()
    return lines, sampler.peak


def test_csv_memory_does_not_grow_with_the_rows(tmp_path: Path) -> None:
    data = tmp_path / "data-csv"
    data.mkdir()
    store = DuckDBStore(data / "cdr.duckdb")
    start = NOW - SPAN
    for first in range(0, ROWS, 250_000):
        table = cdr_table(250_000, first + 1, 1, start + first * (SPAN // ROWS), SPAN // 4,
                          seed=first)
        store.insert_cdrs(table)
    store.compact()
    store.close()
    # DuckDB's buffer pool keeps the pages a query read, up to its memory limit: a stream
    # of every row reads five times the pages of a fifth. Capped well below the default,
    # the pool is full after the warm-up, and what remains is the stream's own memory.
    server = spawn("csv", tmp_path, {"CALLSTATS_MAINTENANCE_INTERVAL": "3600",
                                     "CALLSTATS_DUCKDB_MEMORY_LIMIT": "128MB"})
    try:
        wait_ready(server, time.monotonic() + 60)
        with server.client() as client:
            for path, body in (("/customers", {"name": "c", "id": 1}),
                               ("/accounts", {"customer_id": 1, "name": "a", "id": 1,
                                              "uuid": UUID})):
                answer = client.post("/api/admin/v1" + path, json=body,
                                     headers=ADMIN_HEADERS)
                assert answer.status_code in (200, 201), answer.text
            token = jwt.encode({"aud": ["customer-v1"], "sub": "D", "cfg": {"customer_id": 1},
                                "exp": int(time.time()) + 3600}, SECRET, algorithm="HS256")
            pid = server.process.pid
            stream(client, token, NOW - SPAN // 5, pid)  # warm up
            before = rss_kib(pid)
            fifth_lines, fifth_peak = stream(client, token, NOW - SPAN // 5, pid)
            all_lines, all_peak = stream(client, token, 0, pid)
            _, again_peak = stream(client, token, 0, pid)
    finally:
        stop(server)
    assert all_lines == ROWS + 1
    assert ROWS // 8 < fifth_lines - 1 < ROWS // 3
    print(f"RSS {before} KiB after the warm-up; peak {fifth_peak} KiB streaming "
          f"{fifth_lines - 1} rows, {all_peak} KiB streaming {all_lines - 1} rows, "
          f"{again_peak} KiB streaming them again")
    # Five times the rows (~200 MB more of CSV, ~400 MB of them as Arrow) stay within one
    # chunk's working set (a 25k-row chunk as Arrow, its text and its CSV bytes: ~40 MB)
    # plus the allocators' noise (measured: +57 MB); streaming everything again adds
    # nothing.
    assert all_peak < fifth_peak + 96 * 1024
    assert again_peak < all_peak + 24 * 1024
