"""The quality and disconnect-code statements (stores/report_sql.py), run on the real DuckDB
and ClickHouse (chdb) engines over a small CDR table, with pdd stored both ways it has been
(DOUBLE, and exact DECIMAL(9, 3)): every engine and both column types must give exactly
what plain Python computes from the same rows — buckets before 1970 and on their edges,
NER failures by each side's code columns, pdd milliseconds rounded half away from zero,
and nearest-rank percentiles on ties, single values and long runs."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from callstats.queries import (
    ORIGINATION,
    TERMINATION,
    DisconnectCodesQuery,
    Filter,
    Op,
    QualityRow,
    Side,
)
from callstats.queries import QualityQuery as Q
from callstats.stores import report_sql
from callstats.stores.clickhouse_store import ClickHouseStore
from callstats.stores.sql import DUCKDB, ClickHouseDialect, Dialect, Statement
from tests.support.stores import StoreUrls

SECOND = 1_000_000
MINUTE = 60 * SECOND
CODES = [None, 200, 486, 600, 603, 607, 408, 480, 487, 500, 503]
EFFECTIVE = {200, 486, 600, 603, 607, 408, 480, 487}  # SPEC 9.4's network-effective codes


def _rows() -> list[dict[str, object]]:
    """CDRs of accounts 1 and 2 on both sides, around the epoch (negative µs floor down)
    and on minute edges, pdd values with ties (3 decimals) and without."""
    rng = random.Random(5)
    pdds = [None, "0.300", "0.300", "1.005", "2.675", "0.001", "999999.999", "-0.005",
            "0.000"]
    rows = []
    for i in range(600):
        base = rng.choice([-MINUTE, 0, 17 * MINUTE, -3 * 86_400 * SECOND])
        rows.append({
            "id": i, "time_start": base + rng.choice([0, -1, 1, rng.randrange(20 * MINUTE)]),
            "duration": rng.choice([0, 0, 3, 60]),
            "customer_acc_id": rng.choice([1, 1, 2]), "vendor_acc_id": rng.choice([1, 2, 2]),
            "is_last_cdr": rng.random() < 0.7,
            "lega_disconnect_code": rng.choice(CODES), "legb_disconnect_code": rng.choice(CODES),
            "internal_disconnect_code": rng.choice(CODES),
            "pdd": rng.choice(pdds) if i % 4 else f"{rng.randrange(3000) / 1000:.3f}",
            "src_prefix_routing": rng.choice(["p49", "p4930", "p1"]),
        })
    for k, account in enumerate((1, 2, 1, 2)):  # alone in their buckets
        rows.append({**rows[-1], "id": 1000 + k, "customer_acc_id": account,
                     "vendor_acc_id": account, "is_last_cdr": True, "pdd": "1.234",
                     "time_start": -2 * 86_400 * SECOND + k * 3600 * SECOND})
    return rows


ROWS = _rows()
COLUMNS = ("id", "time_start", "duration", "customer_acc_id", "vendor_acc_id", "is_last_cdr",
           "lega_disconnect_code", "legb_disconnect_code", "internal_disconnect_code", "pdd",
           "src_prefix_routing")


class Engine:
    def __init__(self, dialect: Dialect, run: Callable[[Statement], list[tuple[object, ...]]]):
        self.dialect, self.run = dialect, run


def _duckdb(tmp: Path, pdd_type: str) -> Iterator[Engine]:
    import duckdb

    con = duckdb.connect(str(tmp / "quality.duckdb"))
    con.execute("CREATE TABLE cdr_rows (id BIGINT, time_start TIMESTAMP, duration BIGINT, "
                "customer_acc_id BIGINT, vendor_acc_id BIGINT, is_last_cdr BOOLEAN, "
                "lega_disconnect_code BIGINT, legb_disconnect_code BIGINT, "
                f"internal_disconnect_code BIGINT, pdd {pdd_type}, src_prefix_routing VARCHAR)")
    con.executemany("INSERT INTO cdr_rows VALUES ($1, make_timestamp($2), $3, $4, $5, $6, $7, "
                    f"$8, $9, CAST($10 AS {pdd_type}), $11)",
                    [[row[c] for c in COLUMNS] for row in ROWS])
    yield Engine(DUCKDB, lambda s: con.execute(s.text, s.params).fetchall())
    con.close()


def _clickhouse(url: str, pdd_type: str) -> Iterator[Engine]:
    store = ClickHouseStore(url)
    table = store.table("quality_rows")
    store.db.command(
        f"CREATE TABLE {table} (id Int64, time_start Int64, duration Int64, "
        "customer_acc_id Nullable(Int64), vendor_acc_id Nullable(Int64), is_last_cdr Bool, "
        "lega_disconnect_code Nullable(Int64), legb_disconnect_code Nullable(Int64), "
        f"internal_disconnect_code Nullable(Int64), pdd Nullable({pdd_type}), "
        "src_prefix_routing Nullable(String)) ENGINE = MergeTree ORDER BY id")
    # The fixture's own constants, spelled as literals (the statements under test bind
    # theirs); pdd as decimal text, which both column types read as SPEC 3.1's value.
    store.db.command(f"INSERT INTO {table} VALUES " + ", ".join(
        "(" + ", ".join(_literal(row[c]) for c in COLUMNS) + ")" for row in ROWS))
    yield Engine(ClickHouseDialect(table, table, table), lambda s: store.run(s))
    store.close()


def _literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and not value.lstrip("-").replace(".", "").isdigit():
        return f"'{value}'"
    return str(value)


PDD_TYPES = {"double": ("DOUBLE", "Float64"), "decimal": ("DECIMAL(9, 3)", "Decimal(9, 3)")}


@pytest.fixture(scope="module", params=[(e, t) for e in ("duckdb", "chdb") for t in PDD_TYPES],
                ids=lambda p: f"{p[0]}-pdd-{p[1]}")
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           chdb_dir: Path) -> Iterator[Engine]:
    kind, pdd = request.param
    tmp = tmp_path_factory.mktemp("quality")
    if kind == "duckdb":
        yield from _duckdb(tmp, PDD_TYPES[pdd][0])
    else:
        yield from _clickhouse(StoreUrls("chdb", chdb_dir)(tmp), PDD_TYPES[pdd][1])


# --- the same questions in plain Python ---------------------------------------------------

def _picked(side: Side, account: int, low: int, high: int, prefix: str | None) -> list[dict]:
    return [r for r in ROWS if r[side.account_column] == account
            and low <= r["time_start"] <= high  # type: ignore[operator]
            and (r["is_last_cdr"] or not side.last_cdr_only)
            and (prefix is None or str(r["src_prefix_routing"]).startswith(prefix))]


def _code(row: dict, side: Side) -> int | None:
    if row["duration"] > 0:
        return 200
    return next((row[c] for c in side.code_columns if row[c] is not None), None)


def _millis(row: dict) -> int | None:
    return None if row["pdd"] is None else int(Decimal(str(row["pdd"])) * 1000)


def _nearest_rank(values: list[int], p: int) -> int:
    return sorted(values)[math.ceil(p * len(values) / 100) - 1]


SIDES = [ORIGINATION, TERMINATION]
WINDOWS = [(-4 * 86_400 * SECOND, 30 * MINUTE, None), (-MINUTE, MINUTE - 1, None),
           (0, 20 * MINUTE, "p49")]


@pytest.mark.parametrize("side", SIDES, ids=lambda s: s.name)
@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("step", [MINUTE, 5 * MINUTE, 15 * MINUTE])
@pytest.mark.parametrize("percentiles", [(), (50, 95, 99, 1, 100)])
def test_quality_per_bucket(engine: Engine, side: Side, window: tuple, step: int,
                            percentiles: tuple[int, ...]) -> None:
    low, high, prefix = window
    filters = (Filter("src_prefix_routing", Op.STARTS_WITH, prefix),) if prefix else ()
    query = Q(side, 1, low, high, step, filters, percentiles)
    got = report_sql.quality_answer(engine.run(report_sql.quality(query, engine.dialect)))
    buckets: dict[int, list[dict]] = {}
    for row in _picked(side, 1, low, high, prefix):
        buckets.setdefault(row["time_start"] // step, []).append(row)  # type: ignore[operator]

    def expected(rows: list[dict]) -> tuple:
        delays = [ms for r in rows if (ms := _millis(r)) is not None]
        return (len(rows), sum(r["duration"] > 0 for r in rows),
                sum(r["duration"] for r in rows),
                sum(_code(r, side) not in EFFECTIVE for r in rows), len(delays), sum(delays),
                tuple(_nearest_rank(delays, p) for p in percentiles) if delays else None)

    def read(r: QualityRow) -> tuple:
        return (r.total, r.successful, r.duration, r.failed, r.pdd_count, r.pdd_millis,
                r.percentiles if r.pdd_count else None)

    assert [(r.bucket, *read(r)) for r in got.buckets] == [
        (b, *expected(rs)) for b, rs in sorted(buckets.items())]
    assert all(len(r.percentiles) == len(percentiles) for r in got.buckets)
    everything = [r for rs in buckets.values() for r in rs]
    assert got.whole is not None and read(got.whole) == expected(everything)
    assert len(buckets) > 1


def test_the_rows_hold_lone_values_and_long_runs() -> None:
    """Guard: some bucket has a single pdd value, some more than 20 (with ties)."""
    for side in SIDES:
        sizes = Counter(r["time_start"] // MINUTE for r in _picked(  # type: ignore[operator]
            side, 2, -4 * 86_400 * SECOND, 30 * MINUTE, None) if r["pdd"] is not None)
        assert 1 in sizes.values() and max(sizes.values()) > 20


def test_an_empty_range(engine: Engine) -> None:
    for percentiles in ((), (50,)):
        query = Q(ORIGINATION, 99, 0, MINUTE, MINUTE, (), percentiles)
        got = report_sql.quality_answer(engine.run(report_sql.quality(query, engine.dialect)))
        assert got.buckets == []
        assert got.whole is not None and (got.whole.total, got.whole.pdd_count) == (0, 0)


@pytest.mark.parametrize("side", SIDES, ids=lambda s: s.name)
@pytest.mark.parametrize("account", [1, 2])
def test_disconnect_codes(engine: Engine, side: Side, account: int) -> None:
    query = DisconnectCodesQuery(side, account, -4 * 86_400 * SECOND, 30 * MINUTE)
    got = report_sql.code_rows(engine.run(report_sql.disconnect_codes(query, engine.dialect)))
    expected = Counter(_code(r, side) for r in _picked(side, account, query.from_us,
                                                       query.to_us, None))
    assert {c.code: c.calls for c in got} == expected
    assert len(got) == len(expected) > 8


def test_the_spellings_of_each_engine() -> None:
    """One text for both engines but the dialect's words; every value bound."""
    query = Q(TERMINATION, 424242, 0, MINUTE, MINUTE, (), (95,))
    ch = ClickHouseDialect("db.cdrs", "db.calls", "db.snapshots")
    duck = report_sql.quality(query, DUCKDB)
    click = report_sql.quality(query, ch)
    assert "424242" not in duck.text + click.text and 424242 in duck.params.values()
    assert "CAST(sign(CAST(pdd AS DOUBLE)) * floor(abs(CAST(pdd AS DOUBLE)) * 1000 + 0.5) " \
           "AS BIGINT)" in duck.text
    assert "toInt64(sign(toFloat64(pdd)) * floor(abs(toFloat64(pdd)) * 1000 + 0.5))" in click.text
    assert "list_sort(list(pdd_ms) FILTER (WHERE pdd_ms IS NOT NULL)) AS delays" in duck.text
    assert "arraySort(groupArray(pdd_ms)) AS delays" in click.text
    assert "delays[intDiv({p" in click.text and "delays[(CAST($p" in duck.text
    assert "coalesce(legb_disconnect_code, internal_disconnect_code)" in click.text
    assert "GROUP BY GROUPING SETS ((bucket), ())" in click.text
    plain = report_sql.quality(Q(TERMINATION, 1, 0, MINUTE, MINUTE), ch)
    assert "delays" not in plain.text
    codes = report_sql.disconnect_codes(DisconnectCodesQuery(ORIGINATION, 7, 0, 1), ch)
    assert "coalesce(lega_disconnect_code, internal_disconnect_code)" in codes.text
    assert "is_last_cdr" in codes.text and "is_last_cdr" not in click.text
