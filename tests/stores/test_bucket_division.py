"""Bucket numbers floor on both engines: a plain division where every divided time is at or
after 1970 (local), the biased one where a time can lie before it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from callstats.queries import ORIGINATION, Buckets, Offsets, TrafficQuery
from callstats.stores import report_sql
from callstats.stores.sql import DUCKDB, ClickHouseDialect, Dialect

SECOND = 1_000_000
HOUR = 3600 * SECOND
CH = ClickHouseDialect("db.cdrs", "db.calls", "db.snapshots")
# start times around the epoch, in seconds
STARTS = (-5400, -1800, -1, 0, 1, 1800, 5400, 9000)


def _query(from_us: int, offset_s: int = 0) -> TrafficQuery:
    return TrafficQuery(ORIGINATION, 7, from_us, 3 * HOUR,
                        Buckets(HOUR, Offsets((from_us,), (offset_s,))))


@pytest.mark.parametrize("d", [DUCKDB, CH], ids=["duckdb", "clickhouse"])
def test_the_bias_is_bound_only_where_a_local_time_can_be_negative(d: Dialect) -> None:
    plain = report_sql.traffic(_query(0), d)
    biased = report_sql.traffic(_query(-2 * HOUR), d)
    west = report_sql.traffic(_query(0, -3600), d)  # 00:00 UTC is 23:00 local in 1969
    bias = -(-report_sql.FLOOR_BIAS // HOUR) * HOUR
    assert bias not in plain.params.values()
    assert bias in biased.params.values() and bias in west.params.values()
    assert len(biased.params) == len(plain.params) + 2


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(tmp_path / "b.duckdb"))
    con.execute("CREATE TABLE cdr_rows (time_start TIMESTAMP, duration BIGINT, "
                "customer_price DECIMAL(18, 6), customer_acc_id BIGINT, is_last_cdr BOOLEAN)")
    con.executemany("INSERT INTO cdr_rows VALUES (make_timestamp($1), 1, 1, 7, true)",
                    [[s * SECOND] for s in STARTS])
    yield con
    con.close()


@pytest.mark.parametrize(("from_s", "offset_s"), [(0, 0), (-7200, 0), (0, -3600), (0, 3600)])
def test_buckets_are_floors_of_local_time(con: duckdb.DuckDBPyConnection, from_s: int,
                                          offset_s: int) -> None:
    statement = report_sql.traffic(_query(from_s * SECOND, offset_s), DUCKDB)
    rows = report_sql.traffic_rows(con.execute(statement.text, statement.params).fetchall())
    expected: dict[int, int] = {}
    for s in STARTS:
        if s >= from_s:
            bucket = (s + offset_s) // 3600  # Python's // floors
            expected[bucket] = expected.get(bucket, 0) + 1
    assert {r.bucket: r.total for r in rows} == expected
