"""The DuckDB store keeps CDRs clustered by (customer_acc_id, time_start) without losing,
doubling or hiding a row at any moment, even while ingestion goes on."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from callstats.columns import CDR_COLUMNS
from callstats.ingest.convert import arrow_schema, derive_cdr_defaults
from callstats.stores.duckdb_store import DuckDBStore


def cdrs(ids: range, account_of=lambda i: i % 7) -> pa.Table:  # type: ignore[no-untyped-def]
    n = len(ids)
    columns = {
        "id": pa.array(list(ids), pa.int64()),
        "time_start": pa.array([1_700_000_000_000_000 + i * 1_000_000 for i in ids],
                               pa.int64()).view(pa.timestamp("us", "UTC")),
        "duration": pa.array([i % 50 for i in ids], pa.int64()),
        "customer_acc_id": pa.array([account_of(i) for i in ids], pa.int64()),
    }
    schema = arrow_schema(CDR_COLUMNS)
    arrays = [columns.get(f.name, pa.nulls(n, f.type)) for f in schema]
    table = pa.Table.from_arrays(arrays, schema=schema)
    for name, value in (("is_last_cdr", True), ("is_redirected", False),
                        ("answered_elsewhere", False)):
        table = table.set_column(schema.get_field_index(name), name, pa.array([value] * n))
    for name in ("customer_price", "vendor_price"):
        table = table.set_column(schema.get_field_index(name), name,
                                 pa.array([Decimal(0)] * n, schema.field(name).type))
    return derive_cdr_defaults(table)


@pytest.fixture
def store(tmp_path: Path) -> DuckDBStore:
    opened = DuckDBStore(tmp_path / "cdr.duckdb")
    yield opened
    opened.close()


def ids_in(store: DuckDBStore, table: str) -> list[int]:
    return [r[0] for r in store.cursor().execute(f"SELECT id FROM {table} ORDER BY id").fetchall()]


def test_compaction_moves_recent_rows_into_the_clustered_table(store: DuckDBStore) -> None:
    store.insert_cdrs(cdrs(range(1, 1001)))
    assert store.unclustered_rows() == 1000
    assert store.compact() == 1000
    assert store.unclustered_rows() == 0
    assert ids_in(store, "cdrs") == list(range(1, 1001))
    order = store.cursor().execute("SELECT customer_acc_id, time_start FROM cdrs").fetchall()
    assert order == sorted(order)  # physically clustered by (account, time)
    assert store.compact() == 0  # nothing new: nothing to do


def test_ids_stay_unique_across_the_clustered_and_recent_tables(store: DuckDBStore) -> None:
    store.insert_cdrs(cdrs(range(1, 501)))
    store.compact()
    result = store.insert_cdrs(cdrs(range(400, 601)))
    assert (result.inserted, result.duplicates) == (100, 101)
    store.compact()
    assert ids_in(store, "cdr_rows") == list(range(1, 601))


def test_compact_if_needed_waits_for_enough_new_rows(store: DuckDBStore) -> None:
    store.insert_cdrs(cdrs(range(1, 101)))
    assert store.compact_if_needed(min_rows=1000) == 0
    assert store.compact_if_needed(min_rows=100) == 100
    assert store.maintain() == 0


def test_ingestion_during_compaction_loses_and_doubles_nothing(store: DuckDBStore) -> None:
    store.insert_cdrs(cdrs(range(1, 50_001)))
    failures: list[BaseException] = []

    def ingest() -> None:
        try:
            for first in range(50_001, 60_001, 1000):
                store.insert_cdrs(cdrs(range(first, first + 1000)))
                store.insert_cdrs(cdrs(range(first - 500, first + 500)))  # half repeats
        except BaseException as exc:  # reported below
            failures.append(exc)

    writer = threading.Thread(target=ingest)
    writer.start()
    store.compact()
    writer.join()
    assert not failures
    assert ids_in(store, "cdr_rows") == list(range(1, 60_001))
    store.compact()
    assert ids_in(store, "cdrs") == list(range(1, 60_001))


def test_reopening_keeps_every_row_wherever_it_lies(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "cdr.duckdb")
    store.insert_cdrs(cdrs(range(1, 101)))
    store.compact()
    store.insert_cdrs(cdrs(range(101, 151)))
    store.close()
    reopened = DuckDBStore(tmp_path / "cdr.duckdb")
    assert reopened.count_cdrs() == 150
    assert reopened.unclustered_rows() == 50
    reopened.close()
