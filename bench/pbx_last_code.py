"""The last CDR's code on the ClickHouse store: the packed `max` spelling the dialect uses
(stores/sql.py, `ClickHouseDialect.last_cdr_code`) against the argMax over a tuple state it
replaced, in the same raw `/calls/stats/` statement, alternating in one process on chdb.
Prints p50 wall and CPU ms per statement and checks both answers agree; asserts nothing.

    python bench/pbx_last_code.py [--rows 1000000] [--reps 7] [--rounds 3]

The dataset is bench/query_layer.py's (built once per --rows under bench/out/query_layer).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from query_layer import DAY, START, build  # noqa: E402

from callstats.queries import PbxQuery  # noqa: E402
from callstats.stores import report_sql  # noqa: E402
from callstats.stores.clickhouse_store import ClickHouseStore  # noqa: E402
from callstats.stores.sql import Statement  # noqa: E402

BEFORE = f"tupleElement(argMax(tuple({report_sql.PBX_CODE}), (is_last_cdr, time_start, id)), 1)"
OUT = Path(__file__).resolve().parent / "out" / "query_layer"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    urls = build(OUT / str(args.rows), args.rows)
    store = ClickHouseStore(urls["chdb"], rollups=False)
    cases = {
        "customer 1, out, 30 days": PbxQuery(1, "out", START, START + 30 * DAY - 1,
                                             per_call=True),
        "customer 1, in, 30 days, edges inside calls": PbxQuery(
            1, "in", START + 3_600_000_000, START + 30 * DAY - 3_600_000_001, per_call=True),
    }
    print(f"{args.rows:,} CDRs, chdb, raw /calls/stats/ statement; p50 of {args.reps}, "
          f"{args.rounds} rounds alternating; wall / CPU ms")
    print(f"{'query':<46} {'argMax(tuple) (before)':>24} {'packed max (now)':>18} "
          f"{'CPU ratio':>10}")
    for name, query in cases.items():
        now = report_sql.pbx_counts(query, store.dialect)
        packed = store.dialect.last_cdr_code(report_sql.PBX_CODE)
        assert packed in now.text
        before = Statement(now.text.replace(packed, BEFORE), now.params)
        timings: dict[str, list[tuple[float, float]]] = {"before": [], "now": []}
        answers = {}
        for _ in range(args.rounds):
            for side, statement in (("before", before), ("now", now)):
                store.run(statement)  # warm
                for _ in range(args.reps):
                    cpu, wall = time.process_time(), time.perf_counter()
                    answers[side] = store.run(statement)
                    timings[side].append((time.perf_counter() - wall, time.process_time() - cpu))
        cells = {side: (statistics.median(w for w, _ in t) * 1e3,
                        statistics.median(c for _, c in t) * 1e3) for side, t in timings.items()}
        agree = "" if answers["before"] == answers["now"] else "  ANSWERS DIFFER"
        print(f"{name:<46} {cells['before'][0]:>11.0f} / {cells['before'][1]:<10.0f} "
              f"{cells['now'][0]:>7.0f} / {cells['now'][1]:<8.0f} "
              f"{cells['before'][1] / cells['now'][1]:>9.2f}x{agree}")
    store.close()


if __name__ == "__main__":
    main()
