"""What writing a report query once costs per request, by mechanism: the dialect object
callstats uses (stores/sql.py + stores/report_sql.py), SQLGlot transpiling one DuckDB
source text to ClickHouse, and SQLAlchemy Core compiling one expression tree. Prints µs per
built statement; asserts nothing. The alternatives are measured when installed
(`pip install sqlglot sqlalchemy`), skipped otherwise.

    python bench/query_build.py [--reps 5000]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from callstats.queries import ORIGINATION, Filter, Op, TrafficQuery
from callstats.reports.buckets import buckets_for
from callstats.stores import report_sql
from callstats.stores.sql import DUCKDB, ClickHouseDialect

DAY = 86_400_000_000
FROM, TO = 1_730_419_200_000_000, 1_730_419_200_000_000 + DAY - 1
QUERY = TrafficQuery(ORIGINATION, 500, FROM, TO, buckets_for("minute", None, FROM, TO),
                     (Filter("dst_prefix_routing", Op.STARTS_WITH, "44"),
                      Filter("duration", Op.GT, 30)))
CLICKHOUSE = ClickHouseDialect("callstats.cdrs", "callstats.snapshot_calls",
                               "callstats.snapshots")


def ours() -> dict[str, Callable[[], object]]:
    return {"dialect object, DuckDB": lambda: report_sql.traffic(QUERY, DUCKDB),
            "dialect object, ClickHouse": lambda: report_sql.traffic(QUERY, CLICKHOUSE)}


def sqlglot_cases() -> dict[str, Callable[[], object]]:
    try:
        import sqlglot
    except ImportError:
        return {}
    source = report_sql.traffic(QUERY, DUCKDB).text.replace("CAST($", "CAST(:")
    return {"SQLGlot transpile DuckDB → ClickHouse":
            lambda: sqlglot.transpile(source, read="duckdb", write="clickhouse")}


def sqlalchemy_cases() -> dict[str, Callable[[], object]]:
    try:
        import sqlalchemy as sa
        from sqlalchemy.dialects import postgresql
    except ImportError:
        return {}
    cdrs = sa.table("cdr_rows", *(sa.column(c) for c in (
        "time_start", "duration", "customer_price", "customer_acc_id", "is_last_cdr",
        "dst_prefix_routing")))
    dialect = postgresql.dialect()  # stands in for duckdb_engine / clickhouse-sqlalchemy

    def build() -> str:
        ts = sa.func.epoch_us(cdrs.c.time_start).label("ts")
        picked = sa.select(ts, cdrs.c.duration, cdrs.c.customer_price.label("price")).where(
            cdrs.c.customer_acc_id == sa.bindparam("a", 500),
            cdrs.c.time_start.between(sa.bindparam("f", FROM), sa.bindparam("t", TO)),
            cdrs.c.is_last_cdr, cdrs.c.dst_prefix_routing.startswith(sa.bindparam("p", "44")),
            cdrs.c.duration > sa.bindparam("d", 30)).subquery("picked")
        bucket = ((picked.c.ts + sa.bindparam("o", 0)) // sa.bindparam("s", 60_000_000))
        query = sa.select(bucket.label("bucket"), sa.func.count(),
                          sa.func.count().filter(picked.c.duration > 0),
                          sa.func.sum(picked.c.duration), sa.func.sum(picked.c.price)
                          ).group_by(sa.literal_column("bucket")).order_by(
                              sa.literal_column("bucket"))
        return str(query.compile(dialect=dialect))

    return {"SQLAlchemy Core build + compile": build}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5000)
    args = parser.parse_args()
    print("| mechanism | µs per statement |\n|---|---|")
    for name, build in {**ours(), **sqlglot_cases(), **sqlalchemy_cases()}.items():
        build()
        reps = args.reps if "SQLGlot" not in name else max(args.reps // 20, 50)
        started = time.perf_counter()
        for _ in range(reps):
            build()
        print(f"| {name} | {(time.perf_counter() - started) / reps * 1e6:.1f} |")


if __name__ == "__main__":
    main()
