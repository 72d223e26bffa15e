"""The CDR lists (SPEC 9.3) through the real app in-process, the DuckDB and ClickHouse
(chdb) stores side by side over bench/query_layer.py's dataset (1,000 accounts over 30
days, the largest ~5%), the server clock at the end of the data. JSON pages of the
largest account: the first page (50) of its default 24 h with total-count, page 200 of its
30 days, a filtered page (dst_prefix_routing starting 44, duration over 60 s); then the
CSV of its 30 days, every row streamed: rows/s and the peak RSS the stream adds. Prints
p50 server time (x-runtime), wall time and CPU per request (the whole process) and the
ratio ClickHouse / DuckDB. Asserts nothing but that both stores answer the same bytes.

    python bench/cdrs.py [--rows 1000000] [--requests 30]   (--rows 10000000: issue 13's)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality import SECRET, InProcess, customer_of, iso  # noqa: E402
from query_layer import DAY, LARGEST, SECOND, START, build  # noqa: E402

from callstats.auth.tokens import mint_dynamic_token  # noqa: E402

END = START + 30 * DAY  # µs: the server's clock


def cases() -> list[tuple[str, dict[str, str], str]]:
    month = {"filter[time_start_gteq]": iso(START)}
    return [
        ("first page (50), default 24 h, total-count", {}, "≤ 15 ms"),
        ("page 200 (50), 30 days", {**month, "page[number]": "200"}, ""),
        ("filtered page: dst_prefix_routing_start=44, duration_gt=60, 24 h",
         {"filter[dst_prefix_routing_start]": "44", "filter[duration_gt]": "60"}, ""),
    ]


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def pages(apps: dict[str, InProcess], token: str, requests: int
          ) -> dict[str, dict[str, list[float]]]:
    out: dict[str, dict[str, list[float]]] = {}
    for name, params, _ in cases():
        samples: dict[str, list[tuple[float, float, float]]] = {k: [] for k in apps}
        bodies: dict[str, bytes] = {}
        for i in range(requests + 3):  # three to warm
            for kind in (list(apps) if i % 2 == 0 else list(apps)[::-1]):
                wall, cpu = time.perf_counter(), time.process_time()
                answer = apps[kind].get("/cdrs", params, token)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                assert answer.status_code == 200, answer.text
                bodies[kind] = answer.content
                if i >= 3:
                    samples[kind].append((float(answer.headers["x-runtime"]) * 1e3,
                                          wall * 1e3, cpu * 1e3))
        assert len(set(bodies.values())) == 1, f"{name}: the stores answer differently"
        out[name] = {k: [statistics.median(s[j] for s in v) for j in range(3)]
                     for k, v in samples.items()}
    return out


def csv(app: InProcess, token: str) -> tuple[int, float, float, int, bytes]:
    """(rows, seconds, CPU seconds, peak RSS added in KiB, a digest) of the 30-day CSV."""
    import hashlib

    peak, done = [rss_kib()], threading.Event()
    before = peak[0]

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_kib())
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    wall, cpu = time.perf_counter(), time.process_time()
    answer = app.loop.run_until_complete(app.client.get(
        "/api/rest/customer/v1/cdrs", params={"filter[time_start_gteq]": iso(START)},
        headers={"Authorization": token, "Accept": "text/csv"}))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    done.set()
    sampler.join()
    assert answer.status_code == 200, answer.text
    rows = answer.content.count(b"\n") - 1
    return rows, wall, cpu, peak[0] - before, hashlib.sha256(answer.content).digest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out" / "cdrs")
    args = parser.parse_args()
    started = time.perf_counter()
    urls = build(args.out / f"stores-{args.rows}", args.rows)
    print(f"stores ready in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    apps = {kind: InProcess(url, args.out / f"app-{kind}", lambda: END / SECOND)
            for kind, url in urls.items()}
    token = mint_dynamic_token(SECRET, customer_of(LARGEST), 86400, time.time(), [LARGEST])
    try:
        results = pages(apps, token, args.requests)
        streams = {kind: csv(app, token) for kind, app in apps.items()}
    finally:
        for app in apps.values():
            app.close()
    assert len({s[4] for s in streams.values()}) == 1, "the stores' CSVs differ"
    targets = {name: target for name, _, target in cases()}
    print(f"{args.rows:,} CDRs; the largest account; {args.requests} requests per row and "
          "store; p50 ms")
    print("| request | DuckDB server / wall / CPU | ClickHouse server / wall / CPU "
          "| CH / DuckDB (server) | target |")
    print("|---|---|---|---|---|")
    for name, by_kind in results.items():
        duck, click = by_kind["duckdb"], by_kind["chdb"]
        cells = [" / ".join(f"{v:.1f}" for v in values) for values in (duck, click)]
        print(f"| {name} | {cells[0]} | {cells[1]} | {click[0] / duck[0]:.2f} "
              f"| {targets[name]} |")
    print()
    print("| CSV, 30 days | rows | seconds | rows/s | CPU s | peak RSS added |")
    print("|---|---|---|---|---|---|")
    for kind, (rows, wall, cpu, added, _) in streams.items():
        print(f"| {kind} | {rows:,} | {wall:.2f} | {rows / wall:,.0f} | {cpu:.2f} "
              f"| {added / 1024:.0f} MiB |")


if __name__ == "__main__":
    main()
