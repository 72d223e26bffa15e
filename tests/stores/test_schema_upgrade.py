"""A data directory made by the previous schema (before SPEC 3.1's yeti fields) opens on
both stores: the new columns are added (NULL in old rows, success = duration > 0), the
float pdd becomes exact milliseconds, every old row still reads and counts, and the
snapshot tables do not change. The old directories are built from the old DDL itself
(tests/support/old_schema.py), not from today's code."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import orjson
import pytest

from callstats.columns import CDR_COLUMNS, YETI_CDR_COLUMNS
from callstats.ingest.batches import Format, parse_cdrs
from callstats.queries import ORIGINATION, Buckets, TrafficQuery
from callstats.stores import clickhouse_store, duckdb_store, rollups
from callstats.stores.base import Store
from callstats.stores.clickhouse_store import ClickHouseStore
from callstats.stores.clickhouse_transport import open_transport, parse_url
from callstats.stores.duckdb_store import DuckDBStore
from callstats.stores.history import FIRST_CDR_COLUMNS, YETI_FIELDS_ADDED
from callstats.stores.shadows import SUFFIX, lower_shadow, shadowed
from tests.support.old_schema import old_clickhouse_database, old_duckdb_file
from tests.support.stores import HTTP_KIND, STORE_KINDS, StoreUrls, cdr_value

MARCH = 1_709_287_200_000_000  # 2024-03-01T10:00:00Z
# (id, pdd as the old float column kept it, pdd after the upgrade)
PDDS = [
    (1, 1.2345, Decimal("1.235")),  # the nearest millisecond, halves away from zero
    (2, None, None),
    (3, 0.1, Decimal("0.100")),
    (4, float("nan"), None),  # not a number, or beyond decimal(9, 3): NULL
    (5, 1e7, None),
    (6, -0.0005, Decimal("-0.001")),
    (7, 2.675, Decimal("2.675")),
    (8, 999999.9994, Decimal("999999.999")),
    (9, float("inf"), None),
    (10, 0.0004, Decimal("0.000")),
]


def _old_rows() -> list[tuple[int, int, int, int, float | None]]:
    return [(i, MARCH + i * 1_000_000, i % 3 * 10, 5, pdd) for i, pdd, _ in PDDS]


def _new_cdr(cdr_id: int) -> dict[str, object]:
    return {"id": cdr_id, "time_start": "2024-03-01 10:00:30", "duration": 7,
            "customer_acc_id": 5, "pdd": "0.123", "destination_fee": "0.0000000001",
            "sign_term_ip": "203.0.113.7", "dialpeer_next_interval": 6, "success": False}


def _check_upgraded(store: Store) -> None:
    assert store.count_cdrs() == len(PDDS)
    # The upgrade built the minute rollup from the stored rows: it answers as they do.
    hour = TrafficQuery(ORIGINATION, 5, MARCH, MARCH + 3_600_000_000 - 1, Buckets(60_000_000))
    assert rollups.traffic_plan(hour) is not None
    via_rollup = store.traffic(hour)
    store.rollups = False  # type: ignore[attr-defined]
    assert via_rollup == store.traffic(hour) and sum(r.total for r in via_rollup) == len(PDDS)
    store.rollups = True  # type: ignore[attr-defined]
    for cdr_id, _, exact in PDDS:
        assert cdr_value(store, "pdd", cdr_id) == exact
        assert cdr_value(store, "success", cdr_id) is (cdr_id % 3 != 0)
        for column in YETI_CDR_COLUMNS[1:]:
            assert cdr_value(store, column.name, cdr_id) is None
    [day] = store.traffic(TrafficQuery(ORIGINATION, 5, 0, 2**62, Buckets(86_400_000_000)))
    assert (day.total, day.duration) == (len(PDDS), sum(i % 3 * 10 for i, _, _ in PDDS))
    # New rows carry the new columns at once.
    body = orjson.dumps(_new_cdr(100))
    assert store.insert_cdrs(parse_cdrs(body, Format.NDJSON, 1 << 20)).inserted == 1
    assert cdr_value(store, "pdd", 100) == Decimal("0.123")
    assert cdr_value(store, "destination_fee", 100) == Decimal("1E-10")
    assert cdr_value(store, "sign_term_ip", 100) == "203.0.113.7"
    assert cdr_value(store, "dialpeer_next_interval", 100) == 6
    assert cdr_value(store, "success", 100) is False


# The stored columns: the model's in its order, then their lower-case shadows (as the first
# schema's, then the upgrade's).
STORED = [c.name for c in CDR_COLUMNS]
SHADOWS = [lower_shadow(c.name) for c in (*shadowed(FIRST_CDR_COLUMNS),
                                          *shadowed(YETI_FIELDS_ADDED))]


def _model_columns(names: list[str]) -> list[str]:
    assert [n for n in names if n.endswith(SUFFIX)] == SHADOWS
    return [n for n in names if not n.endswith(SUFFIX)]


def _same_but_shadows(after: list[tuple[object, ...]], before: list[tuple[object, ...]]
                      ) -> None:
    """The snapshot calls keep every column as it was; only (the earlier upgrade's)
    lower-case shadows are added."""
    assert after[:len(before)] == before
    assert all(str(row[0]).endswith(SUFFIX) for row in after[len(before):])


def test_the_migrations_replay_history_and_today_appends() -> None:
    """A fresh store runs every migration, so they must build what they built when written;
    the columns of CDR_COLUMNS are the first schema's plus the upgrade's, in that order."""
    assert [c.name for c in CDR_COLUMNS] == [
        *(c.name for c in FIRST_CDR_COLUMNS), *(c.name for c in YETI_FIELDS_ADDED)]


# --- DuckDB ------------------------------------------------------------------------------


def _describe(path: Path, relation: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"DESCRIBE {relation}").fetchall()
    finally:
        con.close()


@pytest.fixture
def old_duckdb(tmp_path: Path) -> Path:
    path = tmp_path / "cdr.duckdb"
    rows = _old_rows()
    old_duckdb_file(path, {"cdrs": rows[:4], "cdrs_merging": rows[4:6],  # rows in each
                           "cdrs_recent": rows[6:]})
    return path


def test_duckdb_upgrades_a_version_3_file(old_duckdb: Path, tmp_path: Path) -> None:
    calls_before = _describe(old_duckdb, "snapshot_calls")
    snapshots_before = _describe(old_duckdb, "snapshots")
    store = DuckDBStore(old_duckdb)
    try:
        assert store.schema_version == duckdb_store.SCHEMA_VERSION == 8
        _check_upgraded(store)
        assert store.compact() > 0  # the three tables still union and merge
        assert store.count_cdrs() == len(PDDS) + 1
        assert cdr_value(store, "pdd", 1) == Decimal("1.235")
    finally:
        store.close()
    _same_but_shadows(_describe(old_duckdb, "snapshot_calls"), calls_before)
    assert _describe(old_duckdb, "snapshots") == snapshots_before
    # An upgraded file and a fresh one have the same columns (compaction rebuilt `cdrs`
    # by CREATE TABLE AS, which keeps names and types only).
    fresh = tmp_path / "fresh.duckdb"
    DuckDBStore(fresh).close()
    for relation in ("cdrs", "cdrs_recent", "cdrs_merging", "cdr_rows", "snapshot_calls"):
        assert [r[:2] for r in _describe(old_duckdb, relation)] == [
            r[:2] for r in _describe(fresh, relation)], relation
    assert _model_columns([r[0] for r in _describe(fresh, "cdr_rows")]) == STORED


def test_an_upgrade_still_in_the_write_ahead_log_replays(old_duckdb: Path) -> None:
    """A process killed right after upgrading leaves the migration in DuckDB's WAL; the next
    open replays it (before DuckDB has loaded its function extensions)."""
    script = ("import os, sys\nfrom callstats.stores.duckdb_store import DuckDBStore\n"
              "store = DuckDBStore(sys.argv[1])\nos._exit(0)  # no close: no checkpoint\n")
    subprocess.run([sys.executable, "-c", script, str(old_duckdb)], check=True, timeout=120)
    assert Path(f"{old_duckdb}.wal").exists()
    store = DuckDBStore(old_duckdb)
    try:
        assert [cdr_value(store, "pdd", i) for i, _, _ in PDDS] == [e for _, _, e in PDDS]
    finally:
        store.close()


# --- ClickHouse --------------------------------------------------------------------------


@pytest.fixture(params=[*(k for k in STORE_KINDS if k != "duckdb"), HTTP_KIND])
def urls(request: pytest.FixtureRequest, chdb_dir: Path) -> StoreUrls:
    """ClickHouse store URLs on chdb and over HTTP (and on a server if given)."""
    http = request.getfixturevalue("clickhouse_http_url") if request.param == HTTP_KIND else ""
    return StoreUrls(request.param, chdb_dir, http)


@pytest.fixture
def old_clickhouse(urls: StoreUrls, tmp_path: Path) -> Iterator[str]:
    """The URL of a version-1 database."""
    url = urls(tmp_path)
    target = parse_url(url)
    db = open_transport(target)
    try:
        old_clickhouse_database(db, target.database, _old_rows())
    finally:
        db.close()
    yield url


def _ch_columns(store: ClickHouseStore, table: str) -> list[tuple[object, ...]]:
    return store.db.rows(
        "SELECT name, type, position FROM system.columns WHERE database = {d:String} "
        "AND table = {t:String} ORDER BY position", {"d": store.layout.database, "t": table})


def test_clickhouse_upgrades_a_version_1_database(old_clickhouse: str, urls: StoreUrls,
                                                  tmp_path: Path) -> None:
    target = parse_url(old_clickhouse)
    db = open_transport(target)
    try:
        calls_before = db.rows("SELECT name, type FROM system.columns WHERE database = "
                               "{d:String} AND table = 'snapshot_calls' ORDER BY position",
                               {"d": target.database})
    finally:
        db.close()
    store = ClickHouseStore(old_clickhouse)
    try:
        assert store.schema_version == clickhouse_store.SCHEMA_VERSION == 4
        _check_upgraded(store)
        store.compact()
        assert store.count_cdrs() == len(PDDS) + 1
        _same_but_shadows([(n, t) for n, t, _ in _ch_columns(store, "snapshot_calls")],
                          calls_before)
        upgraded = _ch_columns(store, "cdrs")
    finally:
        store.close()
    store = ClickHouseStore(old_clickhouse)  # reopened: nothing runs again, nothing changes
    try:
        assert store.schema_version == 4 and _ch_columns(store, "cdrs") == upgraded
        assert cdr_value(store, "pdd", 1) == Decimal("1.235")
    finally:
        store.close()
    fresh = ClickHouseStore(urls(tmp_path))
    try:
        assert _ch_columns(fresh, "cdrs") == upgraded
        assert _model_columns([name for name, _, _ in upgraded]) == STORED
    finally:
        fresh.close()


def test_the_clickhouse_pdd_conversion_reruns_to_the_same_values(old_clickhouse: str
                                                                 ) -> None:
    """A process that dies half-way through the upgrade runs it again at the next start:
    every statement of it leaves converted values as they are."""
    store = ClickHouseStore(old_clickhouse)
    try:
        for statement in clickhouse_store.yeti_fields_ddl(store.layout):
            store.db.command(statement)
        assert [cdr_value(store, "pdd", i) for i, _, _ in PDDS] == [e for _, _, e in PDDS]
    finally:
        store.close()
