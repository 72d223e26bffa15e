"""The ClickHouse store on the real engine (chdb in-process; a server too when
CALLSTATS_TEST_CLICKHOUSE_URL is set): schema and upgrades, exact idempotent ingestion
before and after merges, snapshot replacement, retention, URLs and the cluster DDL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pyarrow as pa
import pytest

from callstats.ingest.batches import Format, parse_cdrs, parse_snapshots
from callstats.queries import (
    ORIGINATION,
    Buckets,
    ConcurrentQuery,
    CurrentCallsQuery,
    TrafficQuery,
)
from callstats.stores import clickhouse_store
from callstats.stores.base import InsertResult, StoreError, open_store
from callstats.stores.clickhouse_store import ClickHouseStore, Layout
from callstats.stores.clickhouse_transport import ChdbTransport, Transport, parse_url
from tests.support.stores import HTTP_KIND, STORE_KINDS, StoreUrls

LIMIT = 1 << 20
DAY_US = 86_400_000_000
MARCH = 1_709_251_200_000_000  # 2024-03-01T00:00:00Z


def _cdrs(*rows: dict[str, object]) -> pa.Table:
    lines = [orjson.dumps({"time_start": "2024-03-01 10:00:00", "duration": 0,
                           "customer_acc_id": 5, **row}) for row in rows]
    return parse_cdrs(b"\n".join(lines) + b"\n", Format.NDJSON, LIMIT)


def _snapshots(*envelopes: dict[str, object]):  # noqa: ANN202
    return parse_snapshots(b"\n".join(orjson.dumps(e) for e in envelopes) + b"\n", Format.NDJSON,
                           LIMIT)


@pytest.fixture(params=[*(k for k in STORE_KINDS if k != "duckdb"), HTTP_KIND])
def url(request: pytest.FixtureRequest, chdb_dir: Path, tmp_path: Path) -> str:
    """Each ClickHouse store: chdb in-process, clickhouse-connect over HTTP, a server."""
    http = request.getfixturevalue("clickhouse_http_url") if request.param == HTTP_KIND else ""
    return StoreUrls(request.param, chdb_dir, http)(tmp_path)


@pytest.fixture
def store(url: str) -> Iterator[ClickHouseStore]:
    opened = ClickHouseStore(url)
    yield opened
    opened.close()


def _day_totals(store: ClickHouseStore) -> list[tuple[int, int]]:
    rows = store.traffic(TrafficQuery(ORIGINATION, 5, 0, 2**62, Buckets(DAY_US)))
    return [(r.total, r.duration) for r in rows]


def test_a_new_database_is_made_at_the_newest_schema(store: ClickHouseStore) -> None:
    newest = len(clickhouse_store.MIGRATIONS)
    assert store.schema_version == clickhouse_store.SCHEMA_VERSION == newest
    keys = store.db.rows(
        "SELECT name, partition_key, sorting_key, engine FROM system.tables "
        "WHERE database = {d:String} ORDER BY name", {"d": store.layout.database})
    assert ("cdrs", "toYYYYMM(fromUnixTimestamp64Micro(time_start))",
            "customer_acc_id, time_start", "MergeTree") in keys
    assert ("cdr_minutes", "", "side, account_id, minute", "AggregatingMergeTree") in keys
    assert {k[0] for k in keys} == {"cdrs", "snapshots", "snapshot_calls", "schema_version",
                                    "cdr_minutes", "cdr_minutes_origination",
                                    "cdr_minutes_termination"}
    assert store.count_cdrs() == 0 and store.cdr_time_span() is None
    store.ping()


def test_reopening_and_upgrading_apply_only_new_steps(url: str) -> None:
    ClickHouseStore(url).close()
    steps: list[str] = []

    newest = len(clickhouse_store.MIGRATIONS)

    def add_table(db: Transport, layout: Layout) -> None:
        steps.append("next")
        for statement in layout.create("extra", "x Int64", "x"):
            db.command(statement)

    migrations = (*clickhouse_store.MIGRATIONS, add_table)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clickhouse_store, "MIGRATIONS", migrations)
        store = ClickHouseStore(url)
        assert store.schema_version == newest + 1 and steps == ["next"]
        store.close()
        ClickHouseStore(url).close()  # already at the newest: nothing runs again
    assert steps == ["next"]
    with pytest.raises(StoreError, match="newer than this callstats"):
        ClickHouseStore(url)  # data one version ahead of this code


def test_ids_are_stored_once_before_and_after_merges(store: ClickHouseStore) -> None:
    first = _cdrs({"id": 1, "duration": 10}, {"id": 2, "duration": 20},
                  {"id": 1, "duration": 99})  # a repeat in the batch: the first row wins
    assert store.insert_cdrs(first) == InsertResult(3, 2, 1)
    again = _cdrs({"id": 2, "duration": 77}, {"id": 3, "duration": 30},
                  {"id": -(2**63), "duration": 5}, {"id": 2**63 - 1, "duration": 5})
    assert store.insert_cdrs(again) == InsertResult(4, 3, 1)
    assert store.insert_cdrs(first) == InsertResult(3, 0, 3)
    before = _day_totals(store)
    assert before == [(5, 70)]
    store.compact()  # parts merged: the answer is the same
    assert _day_totals(store) == before and store.count_cdrs() == 5
    assert store.insert_cdrs(again) == InsertResult(4, 0, 4)
    assert store.insert_cdrs(_cdrs()) == InsertResult(0, 0, 0)


def test_a_batch_larger_than_a_block_is_stored_in_blocks_once_per_id(url: str) -> None:
    store = ClickHouseStore(url, insert_block_rows=3)
    try:
        store.insert_cdrs(_cdrs({"id": 4, "duration": 1}))
        blocks: list[int] = []
        insert = store.db.insert_arrow

        def counted(table: str, data: pa.Table) -> None:
            blocks.append(data.num_rows)
            insert(table, data)

        store.db.insert_arrow = counted  # type: ignore[method-assign]
        ids = [9, 1, 2, 4, 3, 1, 5, 6, 7, 9, 8]  # 4 stored already; 1 and 9 twice
        batch = _cdrs(*({"id": i, "duration": 10 + n} for n, i in enumerate(ids)))
        assert store.insert_cdrs(batch) == InsertResult(11, 8, 3)
        assert blocks == [3, 3, 2]
        assert store.count_cdrs() == 9
        # the first row of each id, whichever block it fell in
        assert _day_totals(store) == [(9, 1 + sum(10 + n for n in (0, 1, 2, 4, 6, 7, 8, 10)))]
        assert store.insert_cdrs(batch) == InsertResult(11, 0, 11)
    finally:
        store.close()


def test_concurrent_batches_of_one_process_never_store_an_id_twice(
        store: ClickHouseStore) -> None:
    batches = [_cdrs(*({"id": i} for i in range(start, start + 200)))
               for start in range(0, 1000, 100)]  # each overlaps the next by half
    threads = [threading.Thread(target=store.insert_cdrs, args=(b,)) for b in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.count_cdrs() == 1100


def test_times_outside_datetime64_keep_their_exact_value(store: ClickHouseStore) -> None:
    store.insert_cdrs(_cdrs({"id": 1, "time_start": "0001-01-01T00:00:00.000001Z"},
                            {"id": 2, "time_start": "9999-12-31T23:59:59.999999Z"}))
    assert store.cdr_time_span() == (-62_135_596_799_999_999, 253_402_300_799_999_999)


def _calls(store: ClickHouseStore) -> list[tuple]:
    return store.current_calls(CurrentCallsQuery(5, MARCH, MARCH + DAY_US))


def test_a_reposted_snapshot_replaces_the_first_and_maintain_drops_the_old(
        store: ClickHouseStore) -> None:
    call = {"customer_acc_id": 5, "start_time": "2024-03-01T09:59:00Z"}
    key = {"node_id": 1, "snapshot_timestamp": "2024-03-01T10:00:00Z"}
    store.replace_snapshots(_snapshots({**key, "calls": [call, call, call]}))
    concurrent = ConcurrentQuery(ORIGINATION, 5, MARCH, MARCH + DAY_US, Buckets(DAY_US))
    assert len(_calls(store)) == 3
    assert [r.calls for r in store.concurrent_calls(concurrent)] == [3]
    store.replace_snapshots(_snapshots({**key, "calls": [call]}))
    assert len(_calls(store)) == 1
    assert [r.calls for r in store.concurrent_calls(concurrent)] == [1]
    stored = f"SELECT count() FROM {store.table('snapshot_calls')}"
    assert store.db.rows(stored) == [(4,)]
    assert store.maintain() == 1  # one superseded snapshot
    assert store.db.rows(stored) == [(1,)] and len(_calls(store)) == 1
    assert store.maintain() == 0
    store.replace_snapshots(_snapshots({**key, "calls": []}))  # now empty: no calls at all
    assert _calls(store) == [] and store.concurrent_calls(concurrent) == []


def test_retention_follows_the_setting(url: str) -> None:
    def ttl() -> list[bool]:
        return [" TTL " in create for (create,) in store.db.rows(
            "SELECT create_table_query FROM system.tables WHERE database = {d:String} "
            "AND name != 'schema_version' AND engine != 'MaterializedView' ORDER BY name",
            {"d": store.layout.database})]

    store = ClickHouseStore(url, retention_days=30)
    assert ttl() == [True, True, True, True]  # the minute rollup's too
    store.insert_cdrs(_cdrs({"id": 1, "time_start": "2001-01-01T00:00:00Z"},
                            {"id": 2, "time_start": "2999-01-01T00:00:00Z"}))
    store.compact()  # TTL applies as parts merge
    assert store.count_cdrs() == 1 and store.cdr_time_span()[0] > MARCH  # type: ignore[index]
    store.close()
    store = ClickHouseStore(url)  # retention unset again: TTL removed
    assert ttl() == [False, False, False, False]
    store.close()


def test_store_urls() -> None:
    assert parse_url("chdb:///var/lib/cs?database=x").path == "/var/lib/cs"
    server = parse_url("clickhouse://u:p%40ss@ch.example:9000/stats?cluster=main")
    assert (server.host, server.port, server.username, server.password, server.database,
            server.cluster, server.secure) == ("ch.example", 9000, "u", "p@ss", "stats",
                                               "main", False)
    assert parse_url("clickhouses://ch.example/").port == 8443
    for bad in ("chdb://host/dir", "clickhouse://h/db;DROP", "chdb:///d?database=a-b",
                "chdb:///d?cluster=c", "clickhouse://h/db?cluster=x%20y", "mysql://h/db"):
        with pytest.raises(StoreError):
            parse_url(bad)


def test_one_chdb_directory_per_process(store: ClickHouseStore, tmp_path: Path) -> None:
    if not isinstance(store.db, ChdbTransport):
        pytest.skip("a server store")
    with pytest.raises(StoreError, match="one chdb data directory per process"):
        open_store(f"chdb://{tmp_path / 'other'}")


def test_the_cluster_variant_replicates_and_distributes() -> None:
    layout = Layout("stats", cluster="main", retention_days=90)
    statements = clickhouse_store._table_ddl(layout)
    cdrs_local, cdrs = statements[0], statements[1]
    assert cdrs_local.startswith("CREATE TABLE IF NOT EXISTS stats.cdrs_local ON CLUSTER main")
    assert "ENGINE = ReplicatedMergeTree" in cdrs_local
    assert ("TTL toDateTime(greatest(0, least(intDiv(time_start, 1000000), 4287191295))) "
            "+ INTERVAL 90 DAY") in cdrs_local
    assert cdrs == ("CREATE TABLE IF NOT EXISTS stats.cdrs ON CLUSTER main AS "
                    "stats.cdrs_local ENGINE = Distributed(main, stats, cdrs_local, "
                    "cityHash64(customer_acc_id))")
    assert len(statements) == 6
    single = clickhouse_store._table_ddl(Layout("stats"))
    assert len(single) == 3 and not any("CLUSTER" in s or "TTL" in s for s in single)
