"""Reads a store's stored rows directly, in its own dialect, for tests that check what
ingestion kept (the reports only ever see aggregates)."""

from __future__ import annotations

from callstats.stores.base import Store
from callstats.stores.clickhouse_store import ClickHouseStore
from callstats.stores.duckdb_store import DuckDBStore


def cdr_value(store: Store, column: str, cdr_id: int) -> object:
    """One stored column of the CDR with this id."""
    if isinstance(store, ClickHouseStore):
        [(value,)] = store.db.rows(f"SELECT {column} FROM {store.table('cdrs')} "
                                   "WHERE id = {id:Int64}", {"id": cdr_id})
        return value
    assert isinstance(store, DuckDBStore)
    [(value,)] = store.cursor().execute(f"SELECT {column} FROM cdr_rows WHERE id = ?",
                                        [cdr_id]).fetchall()
    return value


def stored_snapshots(store: Store) -> list[tuple[int, int, int]]:
    """(node_id, calls counted, call rows stored) of every snapshot in force, by node and
    time (ClickHouse: the newest version of each; older ones await `maintain`)."""
    if isinstance(store, ClickHouseStore):
        snapshots, calls = store.table("snapshots"), store.table("snapshot_calls")
        rows = store.db.rows(
            f"SELECT node_id, s.calls, c.n FROM {snapshots} s LEFT JOIN (SELECT node_id, "
            f"snapshot_timestamp, version, count() AS n FROM {calls} GROUP BY node_id, "
            "snapshot_timestamp, version) c USING (node_id, snapshot_timestamp, version) "
            "WHERE (node_id, snapshot_timestamp, version) IN (SELECT node_id, "
            f"snapshot_timestamp, max(version) FROM {snapshots} GROUP BY node_id, "
            "snapshot_timestamp) ORDER BY node_id, snapshot_timestamp")
        return [(int(node), int(counted), int(stored)) for node, counted, stored in rows]
    assert isinstance(store, DuckDBStore)
    return store.cursor().execute(
        "SELECT s.node_id, s.calls, (SELECT count(*) FROM snapshot_calls c "
        "WHERE c.node_id = s.node_id AND c.snapshot_timestamp = s.snapshot_timestamp) "
        "FROM snapshots s ORDER BY s.node_id, s.snapshot_timestamp"
    ).fetchall()
