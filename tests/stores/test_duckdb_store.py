"""The embedded store on real DuckDB files: ids, snapshots, durability, schema, locking."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import orjson
import pyarrow as pa
import pytest

from callstats.columns import CDR_COLUMNS
from callstats.ingest.batches import BatchRejected, Format, parse_cdrs, parse_snapshots
from callstats.queries import ORIGINATION, Buckets, TrafficQuery
from callstats.stores import duckdb_store
from callstats.stores.base import InsertResult, StoreError, open_store
from callstats.stores.duckdb_store import SCHEMA_VERSION, DuckDBStore
from callstats.stores.sql import Statement

LIMIT = 1 << 20


def _cdrs(*rows: dict[str, object]) -> pa.Table:
    lines = []
    for row in rows:
        full = {"time_start": "2024-03-01 10:00:00", "duration": 0, **row}
        lines.append(orjson.dumps(full))
    return parse_cdrs(b"\n".join(lines), Format.NDJSON, LIMIT)


def _snapshots(*envelopes: dict[str, object]):  # noqa: ANN202
    return parse_snapshots(b"\n".join(orjson.dumps(e) for e in envelopes) + b"\n", Format.NDJSON,
                           LIMIT)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "cdr.duckdb"


@pytest.fixture
def store(path: Path) -> Iterator[DuckDBStore]:
    opened = DuckDBStore(path)
    yield opened
    opened.close()


def _rows(store: DuckDBStore, sql: str, params: list[object] | None = None) -> list[tuple]:
    return store.cursor().execute(sql, params or []).fetchall()


def test_a_new_data_dir_is_created_at_the_newest_schema(path: Path, store: DuckDBStore) -> None:
    assert path.exists()
    assert store.schema_version == SCHEMA_VERSION == len(duckdb_store.MIGRATIONS)
    assert store.count_cdrs() == 0
    store.ping()


def test_insert_counts_and_stores_every_column(store: DuckDBStore) -> None:
    table = _cdrs(
        {"id": 1, "duration": 30, "customer_price": "123456789012.123456",
         "vendor_price": 0.1, "time_start": "2024-03-01T12:00:00.123456+02:00",
         "local_tag": "x", "lega_disconnect_code": 0, "pdd": 0.5},
        {"id": 2},
    )
    assert store.insert_cdrs(table) == InsertResult(received=2, inserted=2, duplicates=0)
    assert store.count_cdrs() == 2
    names = ", ".join(c.name for c in CDR_COLUMNS)
    [row] = _rows(store, f"SELECT {names} FROM cdr_rows WHERE id = 1")
    stored = dict(zip([c.name for c in CDR_COLUMNS], row, strict=True))
    assert stored["time_start"] == datetime(2024, 3, 1, 10, 0, 0, 123456)  # UTC wall time
    assert stored["customer_price"] == Decimal("123456789012.123456")
    assert stored["vendor_price"] == Decimal("0.1")
    assert stored["lega_disconnect_code"] is None
    assert (stored["bridged"], stored["bridged_duration"], stored["is_last_cdr"]) == (
        True, 30, True)
    assert stored["pdd"] == 0.5 and stored["local_tag"] == "x"


def test_re_ingesting_the_same_table_inserts_nothing(store: DuckDBStore) -> None:
    table = _cdrs(*({"id": i} for i in range(1, 101)))
    assert store.insert_cdrs(table).as_dict() == {"received": 100, "inserted": 100,
                                                  "duplicates": 0}
    assert store.insert_cdrs(table).as_dict() == {"received": 100, "inserted": 0,
                                                  "duplicates": 100}
    partly_new = _cdrs(*({"id": i} for i in range(91, 111)))
    assert store.insert_cdrs(partly_new) == InsertResult(20, 10, 10)
    assert store.count_cdrs() == 110


def test_a_stored_id_keeps_its_first_values(store: DuckDBStore) -> None:
    store.insert_cdrs(_cdrs({"id": 5, "duration": 10}))
    store.insert_cdrs(_cdrs({"id": 5, "duration": 99}))
    assert _rows(store, "SELECT duration FROM cdr_rows WHERE id = 5") == [(10,)]


def test_within_a_batch_the_first_row_with_an_id_wins(store: DuckDBStore) -> None:
    table = _cdrs(
        {"id": 9, "duration": 3, "local_tag": "later-id-first"},
        {"id": 7, "duration": 1, "local_tag": "first"},
        {"id": 7, "duration": 2, "local_tag": "second"},
        {"id": 9, "duration": 4, "local_tag": "again"},
        {"id": 7, "duration": 5, "local_tag": "third"},
        {"id": 8, "duration": 6, "local_tag": "only"},
    )
    assert store.insert_cdrs(table) == InsertResult(6, 3, 3)
    assert _rows(store, "SELECT id, duration, local_tag FROM cdr_rows ORDER BY id") == [
        (7, 1, "first"), (8, 6, "only"), (9, 3, "later-id-first")]


def test_ids_far_apart_and_negative(store: DuckDBStore) -> None:
    table = _cdrs({"id": -(2**63)}, {"id": 2**63 - 1}, {"id": 0})
    assert store.insert_cdrs(table).inserted == 3
    assert store.insert_cdrs(_cdrs({"id": 0}, {"id": 1})) == InsertResult(2, 1, 1)


def test_an_empty_table_is_a_no_op(store: DuckDBStore) -> None:
    assert store.insert_cdrs(parse_cdrs(b"\n", Format.NDJSON, LIMIT)) == InsertResult(0, 0, 0)


def test_a_rejected_batch_stores_nothing(store: DuckDBStore) -> None:
    store.insert_cdrs(_cdrs({"id": 1}))
    body = b'{"id":2,"time_start":1,"duration":0}\n{"id":3,"time_start":1,"duration":-1}\n'
    with pytest.raises(BatchRejected):
        store.insert_cdrs(parse_cdrs(body, Format.NDJSON, LIMIT))
    assert store.count_cdrs() == 1


def test_a_failing_insert_rolls_back_and_the_store_stays_usable(store: DuckDBStore) -> None:
    good = _cdrs({"id": 1}, {"id": 2})
    # a table the parser would never produce: a NULL in a NOT NULL column on the last row
    broken = good.set_column(
        good.schema.get_field_index("duration"), "duration", pa.array([1, None], pa.int64())
    )
    with pytest.raises(duckdb.Error):
        store.insert_cdrs(broken)
    assert store.count_cdrs() == 0
    assert _rows(store, "SELECT count(*) FROM ingest_log") == [(0,)]
    assert store.insert_cdrs(good) == InsertResult(2, 2, 0)
    assert _rows(store, "SELECT kind, received, inserted FROM ingest_log") == [("cdrs", 2, 2)]


def test_concurrent_batches_never_store_an_id_twice(store: DuckDBStore) -> None:
    tables = [_cdrs(*({"id": i} for i in range(start, start + 200))) for start in (0, 100, 50, 150)]
    results: list[InsertResult] = []

    def work(table: pa.Table) -> None:
        results.append(store.insert_cdrs(table))

    threads = [threading.Thread(target=work, args=(t,)) for t in tables * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.inserted for r in results) == 350 == store.count_cdrs()
    assert _rows(store, "SELECT count(DISTINCT id) FROM cdr_rows") == [(350,)]


def _snapshot_rows(store: DuckDBStore) -> list[tuple]:
    return _rows(store, "SELECT node_id, epoch_us(snapshot_timestamp), calls FROM snapshots "
                        "ORDER BY ALL")


def _call_rows(store: DuckDBStore) -> list[tuple]:
    return _rows(store, "SELECT node_id, epoch_us(snapshot_timestamp), position, local_tag "
                        "FROM snapshot_calls ORDER BY ALL")


def test_snapshots_are_stored_and_replaced(store: DuckDBStore) -> None:
    store.replace_snapshots(_snapshots(
        {"snapshot_timestamp": 100, "node_id": 1, "calls": [{"local_tag": "a"},
                                                            {"local_tag": "b"}]},
        {"snapshot_timestamp": 100, "node_id": 2, "calls": [{"local_tag": "c"}]},
        {"snapshot_timestamp": 160, "node_id": 1, "calls": []},
    ))
    assert _snapshot_rows(store) == [(1, 100_000000, 2), (1, 160_000000, 0), (2, 100_000000, 1)]
    assert _call_rows(store) == [(1, 100_000000, 0, "a"), (1, 100_000000, 1, "b"),
                                 (2, 100_000000, 0, "c")]
    # re-posting node 1 @100 replaces its calls; the other snapshots stay
    store.replace_snapshots(_snapshots(
        {"snapshot_timestamp": 100, "node_id": 1, "calls": [{"local_tag": "z"}]}))
    assert _snapshot_rows(store) == [(1, 100_000000, 1), (1, 160_000000, 0), (2, 100_000000, 1)]
    assert _call_rows(store) == [(1, 100_000000, 0, "z"), (2, 100_000000, 0, "c")]
    # an empty re-post leaves an empty snapshot, not the old calls
    store.replace_snapshots(_snapshots({"snapshot_timestamp": 100, "node_id": 2}))
    assert _snapshot_rows(store) == [(1, 100_000000, 1), (1, 160_000000, 0), (2, 100_000000, 0)]
    assert _call_rows(store) == [(1, 100_000000, 0, "z")]


@pytest.mark.parametrize(
    "envelopes, calls",
    [
        ([{"calls": [{"local_tag": "a"}]}, {"calls": []}], []),
        ([{"calls": []}, {"calls": [{"local_tag": "b"}]}], [(0, 0, "b")]),
        ([{"calls": [{"local_tag": "a"}]}, {"calls": [{"local_tag": "b"}, {"local_tag": "c"}]}],
         [(0, 0, "b"), (0, 1, "c")]),
    ],
)
def test_a_snapshot_twice_in_one_batch_stores_the_last(
    store: DuckDBStore, envelopes: list[dict[str, object]], calls: list[tuple]
) -> None:
    store.replace_snapshots(_snapshots(*({"snapshot_timestamp": 100, **e} for e in envelopes)))
    assert _snapshot_rows(store) == [(0, 100_000000, len(calls))]
    assert _rows(store, "SELECT node_id, position, local_tag FROM snapshot_calls "
                        "ORDER BY position") == calls


def test_an_empty_snapshot_batch_is_a_no_op(store: DuckDBStore) -> None:
    store.replace_snapshots(_snapshots())
    assert _snapshot_rows(store) == []


def test_snapshot_call_values_survive_storage(store: DuckDBStore) -> None:
    store.replace_snapshots(_snapshots({"snapshot_timestamp": "2024-03-01T12:00:00+02:00",
                                        "calls": [{"destination_initial_rate": "0.0123456789",
                                                   "customer_price": 0.1,
                                                   "start_time": 1709287100.5}]}))
    assert _rows(store, "SELECT snapshot_timestamp, start_time, destination_initial_rate, "
                        "customer_price, vendor_price FROM snapshot_calls") == [
        (datetime(2024, 3, 1, 10), datetime(2024, 3, 1, 9, 58, 20, 500000),
         Decimal("0.0123456789"), Decimal("0.1"), Decimal(0))]


def test_data_survives_close_and_reopen(path: Path) -> None:
    store = DuckDBStore(path)
    store.insert_cdrs(_cdrs({"id": 1}, {"id": 2}))
    store.replace_snapshots(_snapshots({"snapshot_timestamp": 100, "calls": [{}]}))
    store.close()
    reopened = DuckDBStore(path)
    try:
        assert reopened.count_cdrs() == 2
        assert _snapshot_rows(reopened) == [(0, 100_000000, 1)]
        assert reopened.insert_cdrs(_cdrs({"id": 2}, {"id": 3})) == InsertResult(2, 1, 1)
        assert reopened.schema_version == SCHEMA_VERSION
        assert _rows(reopened, "SELECT count(*) FROM schema_version") == [(SCHEMA_VERSION,)]
    finally:
        reopened.close()


def test_a_version_1_data_dir_is_upgraded(path: Path) -> None:
    path.parent.mkdir(parents=True)
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    con.execute("BEGIN")
    duckdb_store.MIGRATIONS[0](con)
    con.execute("INSERT INTO schema_version VALUES (?)", [1])
    con.execute("COMMIT")
    con.execute(
        "INSERT INTO cdrs (id, time_start, duration, is_last_cdr, customer_price, vendor_price,"
        " is_redirected, answered_elsewhere) VALUES (42, TIMESTAMP '2024-03-01 10:00:00', 7,"
        " true, 1.5, 0, false, false)"
    )
    con.close()

    store = DuckDBStore(path)
    try:
        assert duckdb_store.read_schema_version(store.cursor()) == 1 + len(
            duckdb_store.MIGRATIONS[1:])
        assert store.schema_version == SCHEMA_VERSION
        assert _rows(store, "SELECT id, duration, customer_price FROM cdr_rows") == [
            (42, 7, Decimal("1.5"))]
        assert store.insert_cdrs(_cdrs({"id": 42}, {"id": 43})) == InsertResult(2, 1, 1)
        assert _rows(store, "SELECT kind, received, inserted FROM ingest_log") == [
            ("cdrs", 2, 1)]
    finally:
        store.close()


def test_a_newer_data_dir_is_refused_and_left_unlocked(path: Path) -> None:
    DuckDBStore(path).close()
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_version VALUES (?)", [SCHEMA_VERSION + 1])
    con.close()
    with pytest.raises(StoreError, match=f"schema version {SCHEMA_VERSION + 1}") as caught:
        DuckDBStore(path)
    assert "upgrade callstats" in str(caught.value)
    # the refused handle is closed at once, even while the error (and its traceback) lives
    # on: another process can open the file
    assert caught.value.__traceback__ is not None
    opened = _open_in_subprocess(path)
    assert opened.returncode == 0, opened.stderr


def _open_in_subprocess(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", f"import duckdb; duckdb.connect({str(path)!r})"],
                          capture_output=True, text=True, timeout=60)


def test_a_data_dir_held_by_another_process(path: Path) -> None:
    DuckDBStore(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, sys; c = duckdb.connect({str(path)!r}); print('ready', flush=True);"
         " sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreError) as caught:
            DuckDBStore(path)
        message = str(caught.value)
        assert str(path) in message and "--url" in message
    finally:
        holder.communicate(input="", timeout=60)
    reopened = DuckDBStore(path)  # free again once the holder is gone
    reopened.close()


def test_open_store_url(tmp_path: Path) -> None:
    store = open_store(f"duckdb://{tmp_path / 'x' / 'cdr.duckdb'}")
    try:
        assert isinstance(store, DuckDBStore)
        assert store.path == tmp_path / "x" / "cdr.duckdb"
    finally:
        store.close()
    with pytest.raises(StoreError):
        open_store("mysql://localhost/db")


def test_ping_fails_once_closed(path: Path) -> None:
    store = DuckDBStore(path)
    store.close()
    with pytest.raises(StoreError):
        store.ping()


def test_a_statement_kept_parsed_reads_the_data_of_each_execution(store: DuckDBStore) -> None:
    """Report statements are parsed once per thread and run again with new values: each
    execution sees the rows committed and compacted since, and the values it is given."""
    minute = 60_000_000
    start = int(datetime.fromisoformat("2024-03-01T10:00:00+00:00").timestamp()) * 1_000_000
    query = TrafficQuery(ORIGINATION, 7, start, start + 10 * minute - 1, Buckets(minute))
    other = replace(query, account_id=8)
    assert store.traffic(query) == []
    store.insert_cdrs(_cdrs({"id": 1, "customer_acc_id": 7, "duration": 5}))
    assert [(r.total, r.duration) for r in store.traffic(query)] == [(1, 5)]
    store.compact()
    store.insert_cdrs(_cdrs({"id": 2, "customer_acc_id": 7, "duration": 9}))
    assert [(r.total, r.duration) for r in store.traffic(query)] == [(2, 14)]
    store.compact()
    assert [(r.total, r.duration) for r in store.traffic(query)] == [(2, 14)]
    assert store.traffic(other) == []


def test_the_parsed_statements_a_thread_keeps_stay_bounded(store: DuckDBStore) -> None:
    """Past `_PARSED_CHARS` characters of kept statement text a thread starts again, and
    every statement still answers."""
    for n in range(2_000):  # ~80 characters each: several times the bound
        text = f"SELECT CAST($v AS BIGINT) + {n} AS answer_{'x' * 40}"
        assert store.run(Statement(text, {"v": 1})) == [(1 + n,)]
        assert store._local.parsed_chars <= duckdb_store._PARSED_CHARS
    assert 0 < len(store._local.parsed) < 2_000
