"""The embedded store: one DuckDB file holding CDRs and active-call snapshots.

One database handle per process; each thread works on its own cursor. Writes are
serialized by a lock so the id de-duplication of concurrent batches cannot race.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from callstats.columns import CDR_COLUMNS, SNAPSHOT_CALL_COLUMNS, Column, Kind
from callstats.ingest.batches import SnapshotBatch
from callstats.stores.base import InsertResult, StoreError
from callstats.stores.duckdb_reports import DuckDBReports

_SQL_TYPES = {
    Kind.INT: "BIGINT",
    Kind.BOOL: "BOOLEAN",
    Kind.STR: "VARCHAR",
    Kind.TS: "TIMESTAMP",  # naive UTC wall time (no ICU extension needed)
    Kind.FLOAT: "DOUBLE",
}


def _column_ddl(column: Column) -> str:
    sql_type = _SQL_TYPES.get(column.kind) or f"DECIMAL(18, {column.scale})"
    not_null = " NOT NULL" if column.required or column.default is not None else ""
    return f"{column.name} {sql_type}{not_null}"


def _create_cdrs(con: duckdb.DuckDBPyConnection) -> None:
    columns = ",\n  ".join(_column_ddl(c) for c in CDR_COLUMNS)
    con.execute(f"CREATE TABLE cdrs (\n  {columns}\n)")
    calls = ",\n  ".join(_column_ddl(c) for c in SNAPSHOT_CALL_COLUMNS)
    con.execute(
        "CREATE TABLE snapshots (node_id BIGINT NOT NULL, snapshot_timestamp TIMESTAMP NOT NULL,"
        " calls INTEGER NOT NULL, PRIMARY KEY (node_id, snapshot_timestamp))"
    )
    con.execute(
        "CREATE TABLE snapshot_calls (node_id BIGINT NOT NULL, snapshot_timestamp TIMESTAMP "
        f"NOT NULL, position INTEGER NOT NULL,\n  {calls}\n)"
    )


def _create_ingest_log(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "CREATE TABLE ingest_log (logged_at TIMESTAMP NOT NULL DEFAULT now()::TIMESTAMP,"
        " kind VARCHAR NOT NULL, received BIGINT NOT NULL, inserted BIGINT NOT NULL)"
    )


# Schema history: entry N upgrades a data directory from version N to N + 1. Append only.
MIGRATIONS: Sequence[Callable[[duckdb.DuckDBPyConnection], None]] = (
    _create_cdrs,
    _create_ingest_log,
)
SCHEMA_VERSION = len(MIGRATIONS)


def read_schema_version(con: duckdb.DuckDBPyConnection) -> int:
    [(exists,)] = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchall()
    if not exists:
        return 0
    [(version,)] = con.execute("SELECT max(version) FROM schema_version").fetchall()
    return int(version or 0)


def upgrade(con: duckdb.DuckDBPyConnection, migrations=MIGRATIONS) -> int:
    """Bring the schema to the newest version, each step in its own transaction."""
    current = read_schema_version(con)
    if current > len(migrations):
        raise StoreError(
            f"data directory has schema version {current}, newer than this callstats "
            f"({len(migrations)}): upgrade callstats"
        )
    con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    for version in range(current, len(migrations)):
        con.execute("BEGIN")
        migrations[version](con)
        con.execute("INSERT INTO schema_version VALUES (?)", [version + 1])
        con.execute("COMMIT")
    return len(migrations)


class DuckDBStore(DuckDBReports):
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = duckdb.connect(str(self.path))
        except duckdb.IOException as exc:
            raise StoreError(
                f"cannot open {self.path}: {exc}. If a callstats server holds this data "
                "directory, send data to it with --url instead."
            ) from None
        self._write_lock = threading.Lock()
        self._local = threading.local()
        try:
            self.schema_version = upgrade(self._db)
        except BaseException:
            self._db.close()  # else the file stays locked until garbage collection
            raise

    # One cursor per thread: DuckDB connections are not safe to share across threads.
    def cursor(self) -> duckdb.DuckDBPyConnection:
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._local.cursor = self._db.cursor()
        return cur

    def insert_cdrs(self, table: pa.Table) -> InsertResult:
        received = table.num_rows
        if not received:
            return InsertResult(0, 0, 0)
        batch = _naive_utc(table).append_column(
            "_row", pa.array(range(received), pa.int64())
        )
        names = ", ".join(c.name for c in CDR_COLUMNS)
        with self._write_lock:
            cur = self.cursor()
            cur.register("_batch", batch)
            try:
                cur.execute("BEGIN")
                # Ids are usually increasing, so the range lets zone maps skip old row groups.
                inserted = cur.execute(
                    f"INSERT INTO cdrs SELECT {names} FROM _batch b "
                    "WHERE NOT EXISTS (SELECT 1 FROM cdrs c WHERE c.id = b.id "
                    "  AND c.id BETWEEN (SELECT min(id) FROM _batch) "
                    "  AND (SELECT max(id) FROM _batch)) "
                    "QUALIFY row_number() OVER (PARTITION BY b.id ORDER BY b._row) = 1"
                ).fetchall()[0][0]
                cur.execute(
                    "INSERT INTO ingest_log (kind, received, inserted) VALUES ('cdrs', ?, ?)",
                    [received, inserted],
                )
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            finally:
                cur.unregister("_batch")
        return InsertResult(received, inserted, received - inserted)

    def replace_snapshots(self, batch: SnapshotBatch) -> None:
        keys = pa.table(
            {
                "node_id": pa.array([k[0] for k in batch.snapshots], pa.int64()),
                "snapshot_timestamp": pa.array([k[1] for k in batch.snapshots], pa.int64())
                .view(pa.timestamp("us")),
            }
        )
        with self._write_lock:
            cur = self.cursor()
            cur.register("_keys", keys)
            cur.register("_calls", _naive_utc(batch.calls))
            try:
                cur.execute("BEGIN")
                for table in ("snapshot_calls", "snapshots"):
                    cur.execute(
                        f"DELETE FROM {table} t USING _keys k WHERE t.node_id = k.node_id "
                        "AND t.snapshot_timestamp = k.snapshot_timestamp"
                    )
                cur.execute(
                    "INSERT INTO snapshots SELECT k.node_id, k.snapshot_timestamp, "
                    "(SELECT count(*) FROM _calls c WHERE c.node_id = k.node_id AND "
                    "c.snapshot_timestamp = k.snapshot_timestamp) FROM _keys k"
                )
                cur.execute("INSERT INTO snapshot_calls SELECT * FROM _calls")
                cur.execute(
                    "INSERT INTO ingest_log (kind, received, inserted) "
                    "VALUES ('snapshots', ?, ?)",
                    [len(batch.snapshots), batch.calls.num_rows],
                )
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            finally:
                cur.unregister("_keys")
                cur.unregister("_calls")

    def count_cdrs(self) -> int:
        return int(self.cursor().execute("SELECT count(*) FROM cdrs").fetchall()[0][0])

    def ping(self) -> None:
        try:
            self.cursor().execute("SELECT 1").fetchall()
        except duckdb.Error as exc:
            raise StoreError(str(exc)) from exc

    def close(self) -> None:
        self._db.close()


def _naive_utc(table: pa.Table) -> pa.Table:
    """Arrow UTC timestamps as naive UTC wall time, matching the TIMESTAMP columns."""
    columns = [
        col.cast(pa.timestamp("us")) if pa.types.is_timestamp(col.type) else col
        for col in table.columns
    ]
    return pa.Table.from_arrays(columns, names=table.column_names)
