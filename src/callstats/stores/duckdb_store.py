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
import pyarrow.compute as pc

from callstats.columns import CDR_COLUMNS, SNAPSHOT_CALL_COLUMNS, Column, Kind
from callstats.ingest.batches import SnapshotBatch
from callstats.stores.base import (
    InsertResult,
    QueryTimeout,
    StoreError,
    StoreFull,
    StoreUnavailable,
    disk_full,
)
from callstats.stores.deadlines import Watchdog
from callstats.stores.history import EXACT_PDD, FIRST_CDR_COLUMNS, PDD_LIMIT, YETI_FIELDS_ADDED
from callstats.stores.shadows import lower_shadow, shadowed, with_shadows
from callstats.stores.sql import DuckDBDialect, Statement
from callstats.stores.sql_reports import SqlReports

_SQL_TYPES = {
    Kind.INT: "BIGINT",
    Kind.BOOL: "BOOLEAN",
    Kind.STR: "VARCHAR",
    Kind.TS: "TIMESTAMP",  # naive UTC wall time (no ICU extension needed)
    Kind.FLOAT: "DOUBLE",
}


def _sql_type(column: Column) -> str:
    return _SQL_TYPES.get(column.kind) or f"DECIMAL({column.precision}, {column.scale})"


def _column_ddl(column: Column) -> str:
    not_null = " NOT NULL" if column.required or column.default is not None else ""
    return f"{column.name} {_sql_type(column)}{not_null}"


def _create_cdrs(con: duckdb.DuckDBPyConnection) -> None:
    columns = ",\n  ".join(_column_ddl(c) for c in FIRST_CDR_COLUMNS)
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


def _split_for_clustering(con: duckdb.DuckDBPyConnection) -> None:
    """`cdrs` becomes the clustered part, sorted by (customer_acc_id, time_start) by
    compaction; new rows land in `cdrs_recent`; `cdrs_merging` holds rows being merged.
    Reports read the `cdr_rows` view over all three."""
    columns = ",\n  ".join(_column_ddl(c) for c in FIRST_CDR_COLUMNS)
    con.execute("ALTER TABLE cdrs RENAME TO cdrs_recent")  # the next compaction sorts them
    for table in ("cdrs", "cdrs_merging"):
        con.execute(f"CREATE TABLE {table} (\n  {columns}\n)")
    con.execute(CDR_ROWS_VIEW)


CDR_ROWS_VIEW = (
    "CREATE OR REPLACE VIEW cdr_rows AS SELECT * FROM cdrs UNION ALL "
    "SELECT * FROM cdrs_merging UNION ALL SELECT * FROM cdrs_recent"
)

CDR_TABLES = ("cdrs", "cdrs_recent", "cdrs_merging")
_NON_ASCII = "NOT regexp_full_match({c}, '[\\x00-\\x7f]*')"


def _add_lower_shadows(con: duckdb.DuckDBPyConnection) -> None:
    """Every text column then stored gets its lower-case shadow (stores/shadows.py), filled
    for the non-ASCII values already stored."""
    con.create_function("callstats_lower", str.lower, ["VARCHAR"], "VARCHAR")
    try:
        for tables, columns in ((CDR_TABLES, FIRST_CDR_COLUMNS),
                                (("snapshot_calls",), SNAPSHOT_CALL_COLUMNS)):
            for table in tables:
                for column in shadowed(columns):
                    shadow = lower_shadow(column.name)
                    con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {shadow} VARCHAR")
                    con.execute(f"UPDATE {table} SET {shadow} = callstats_lower({column.name}) "
                                f"WHERE {_NON_ASCII.format(c=column.name)}")
        con.execute(CDR_ROWS_VIEW)
    finally:
        con.remove_function("callstats_lower")


# DuckDB's cast of a DOUBLE to DECIMAL rounds halves away from zero, as the ClickHouse store
# rounds. Only core SQL here, no function calls: a migration still in the write-ahead log is
# replayed when the file opens, before DuckDB loads its function extensions.
_PDD_MILLIS = (f"CASE WHEN pdd > -{PDD_LIMIT} AND pdd < {PDD_LIMIT} "
               "THEN CAST(pdd AS DECIMAL(9, 3)) END")


def _add_yeti_fields(con: duckdb.DuckDBPyConnection) -> None:
    """SPEC 3.1's yeti fields appended to the three CDR tables, then the shadows of the text
    ones: NULL in stored rows, but success takes its default, duration > 0; pdd made exact
    milliseconds (`stores.history`)."""
    added = [*YETI_FIELDS_ADDED, *(Column(lower_shadow(c.name), Kind.STR)
                                   for c in shadowed(YETI_FIELDS_ADDED))]
    for table in CDR_TABLES:
        for column in added:
            con.execute(f"ALTER TABLE {table} ADD COLUMN {column.name} {_sql_type(column)}")
        con.execute(f"UPDATE {table} SET success = duration > 0")
        con.execute(f"ALTER TABLE {table} ALTER pdd SET DATA TYPE {_sql_type(EXACT_PDD)} "
                    f"USING ({_PDD_MILLIS})")
    con.execute(CDR_ROWS_VIEW)


# Schema history: entry N upgrades a data directory from version N to N + 1. Append only.
Migration = Callable[[duckdb.DuckDBPyConnection], None]
MIGRATIONS: Sequence[Migration] = (
    _create_cdrs,
    _create_ingest_log,
    _split_for_clustering,
    _add_lower_shadows,
    _add_yeti_fields,
)
# The clustering key of `cdrs`: customer reports read one account over a time range.
CLUSTER_ORDER = "customer_acc_id, time_start"
SCHEMA_VERSION = len(MIGRATIONS)


def read_schema_version(con: duckdb.DuckDBPyConnection) -> int:
    [(exists,)] = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchall()
    if not exists:
        return 0
    [(version,)] = con.execute("SELECT max(version) FROM schema_version").fetchall()
    return int(version or 0)


def upgrade(con: duckdb.DuckDBPyConnection,
            migrations: Sequence[Migration] = MIGRATIONS) -> int:
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


# The stored columns in the order the tables keep them: the model's, then the shadows.
CDR_STORED = [c.name for c in CDR_COLUMNS] + [lower_shadow(c.name) for c in shadowed(CDR_COLUMNS)]


class _StoreDialect(DuckDBDialect):
    cdr_parts = CDR_TABLES  # reports read the tables, each for only the columns they need


class DuckDBStore(SqlReports):
    dialect = _StoreDialect()

    def __init__(self, path: str | Path, query_timeout: float | None = None):
        self.path = Path(path)
        self.query_timeout = query_timeout
        self._watchdog = Watchdog()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = duckdb.connect(str(self.path))
        except duckdb.IOException as exc:
            raise StoreError(
                f"cannot open {self.path}: {exc}. If a callstats server holds this data "
                "directory, send data to it with --url instead."
            ) from None
        self._write_lock = threading.Lock()
        self._compact_lock = threading.Lock()
        self._clustered_max: int | None = None
        # Data versions for result caching: this process is the file's only writer
        # (DuckDB locks it), so every change passes through here.
        self._epoch = object()
        self._versions: dict[tuple[str, int], int] = {}
        self._snapshot_version = 0
        self._time_span: tuple[int, int] | None = None
        self._time_span_known = False
        self._local = threading.local()
        # Checkpoints (WAL → table file) cost seconds on a large file; the housekeeping
        # thread runs them (maintain), so no ingestion request pays for one. Commits stay
        # durable in the WAL either way.
        self._db.execute("SET checkpoint_threshold = '1GB'").fetchall()
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

    def run(self, statement: Statement) -> list[tuple[object, ...]]:
        cur = self.cursor()
        with self._watchdog.deadline(self.query_timeout, cur.interrupt) as expired:
            try:
                return cur.execute(statement.text, statement.params).fetchall()
            except duckdb.InterruptException:
                if expired():
                    raise QueryTimeout(f"query ran over {self.query_timeout} s") from None
                raise
            except (duckdb.IOException, duckdb.OutOfMemoryException,
                    duckdb.FatalException) as exc:
                raise StoreUnavailable(f"DuckDB: {exc}") from exc

    def insert_cdrs(self, table: pa.Table) -> InsertResult:
        received = table.num_rows
        if not received:
            return InsertResult(0, 0, 0)
        batch = with_shadows(_naive_utc(table), CDR_COLUMNS).append_column(
            "_row", pa.array(range(received), pa.int64())
        )
        names = ", ".join(CDR_STORED)
        lowest = pc.min(table.column("id")).as_py()
        with self._write_lock:
            cur = self.cursor()
            cur.register("_batch", batch)
            # Ids usually increase: the id range lets zone maps skip old row groups of the
            # tables in arrival order, and the clustered table (sorted by account, where
            # zone maps cannot help) needs no look at all when every id is above its own.
            stored = "cdr_rows" if lowest <= self._clustered_max_id() else (
                "(SELECT id FROM cdrs_recent UNION ALL SELECT id FROM cdrs_merging)")
            try:
                cur.execute("BEGIN")
                # The first row of each id in the batch, unless the id is stored already.
                inserted = cur.execute(
                    f"INSERT INTO cdrs_recent ({names}) SELECT {names} FROM _batch b "
                    "WHERE b._row IN (SELECT min(_row) FROM _batch GROUP BY id) "
                    f"AND NOT EXISTS (SELECT 1 FROM {stored} c WHERE c.id = b.id "
                    "  AND c.id BETWEEN (SELECT min(id) FROM _batch) "
                    "  AND (SELECT max(id) FROM _batch))"
                ).fetchall()[0][0]
                cur.execute(
                    "INSERT INTO ingest_log (kind, received, inserted) VALUES ('cdrs', ?, ?)",
                    [received, inserted],
                )
                cur.execute("COMMIT")
                if inserted:
                    self._bump_accounts(table)
                    self._widen_time_span(table)
            except BaseException as exc:
                _abort(cur, exc)
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
            calls = with_shadows(_naive_utc(batch.calls), SNAPSHOT_CALL_COLUMNS)
            cur.register("_calls", calls)
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
                names = ", ".join(calls.column_names)
                cur.execute(f"INSERT INTO snapshot_calls ({names}) SELECT {names} FROM _calls")
                cur.execute(
                    "INSERT INTO ingest_log (kind, received, inserted) "
                    "VALUES ('snapshots', ?, ?)",
                    [len(batch.snapshots), batch.calls.num_rows],
                )
                cur.execute("COMMIT")
                self._snapshot_version += 1
            except BaseException as exc:
                _abort(cur, exc)
                raise
            finally:
                cur.unregister("_keys")
                cur.unregister("_calls")

    def count_cdrs(self) -> int:
        return int(self.cursor().execute("SELECT count(*) FROM cdr_rows").fetchall()[0][0])

    def data_version(self, account_column: str, account_id: int) -> object | None:
        if account_column == "snapshots":
            return (self._epoch, self._snapshot_version)
        return (self._epoch, account_column, account_id,
                self._versions.get((account_column, account_id), 0))

    def cdr_time_span(self) -> tuple[int, int] | None:
        if not self._time_span_known:
            [(low, high)] = self.cursor().execute(
                "SELECT epoch_us(min(time_start)), epoch_us(max(time_start)) FROM cdr_rows"
            ).fetchall()
            self._time_span = None if low is None else (int(low), int(high))
            self._time_span_known = True
        return self._time_span

    def _widen_time_span(self, table: pa.Table) -> None:
        if not self._time_span_known:
            return  # read from the tables on first use
        bounds = pc.min_max(table.column("time_start").cast(pa.int64()))
        low, high = bounds["min"].as_py(), bounds["max"].as_py()
        if self._time_span is not None:
            low, high = min(low, self._time_span[0]), max(high, self._time_span[1])
        self._time_span = (low, high)

    def _bump_accounts(self, table: pa.Table) -> None:
        """After a commit: every account the batch touched gets a new data version."""
        for column in ("customer_acc_id", "vendor_acc_id"):
            for account in pc.unique(table.column(column)).to_pylist():
                if account is not None:
                    key = (column, account)
                    self._versions[key] = self._versions.get(key, 0) + 1

    def _clustered_max_id(self) -> int:
        """The largest id in `cdrs`, which changes only when compaction swaps the table."""
        if self._clustered_max is None:
            [(top,)] = self.cursor().execute("SELECT max(id) FROM cdrs").fetchall()
            self._clustered_max = -(2**63) if top is None else int(top)
        return self._clustered_max

    def unclustered_rows(self) -> int:
        [(rows,)] = self.cursor().execute(
            "SELECT (SELECT count(*) FROM cdrs_recent) + (SELECT count(*) FROM cdrs_merging)"
        ).fetchall()
        return int(rows)

    def compact(self) -> int:
        """Merge recent rows into the clustered `cdrs` table; the rows merged.

        The long sort runs outside the write lock, so ingestion goes on meanwhile (into
        `cdrs_recent`); only moving the recent rows aside and the final swap hold it.
        Readers see every row throughout: each step is one transaction."""
        with self._compact_lock:
            cur = self.cursor()
            with self._write_lock:
                self._in_transaction(cur, (
                    "INSERT INTO cdrs_merging SELECT * FROM cdrs_recent",
                    "DELETE FROM cdrs_recent",
                ))
            [(merging,)] = cur.execute("SELECT count(*) FROM cdrs_merging").fetchall()
            if not merging:
                return 0
            cur.execute(
                "CREATE OR REPLACE TABLE cdrs_next AS SELECT * FROM (SELECT * FROM cdrs "
                f"UNION ALL SELECT * FROM cdrs_merging) ORDER BY {CLUSTER_ORDER}"
            ).fetchall()
            with self._write_lock:
                self._in_transaction(cur, (
                    "DROP VIEW cdr_rows",
                    "DROP TABLE cdrs",
                    "ALTER TABLE cdrs_next RENAME TO cdrs",
                    "DELETE FROM cdrs_merging",
                    CDR_ROWS_VIEW,
                ))
                self._clustered_max = None
            cur.execute("CHECKPOINT").fetchall()
            return int(merging)

    def compact_if_needed(self, min_rows: int = 1_000_000, share: float = 0.1) -> int:
        """Compact once the unclustered rows pass `min_rows` or `share` of the clustered."""
        [(clustered,)] = self.cursor().execute("SELECT count(*) FROM cdrs").fetchall()
        if self.unclustered_rows() >= max(min_rows, share * clustered):
            return self.compact()
        return 0

    def maintain(self) -> int:
        """Periodic housekeeping: keep `cdrs` clustered, fold the WAL into the file."""
        merged = self.compact_if_needed()
        if not merged:  # compaction checkpoints by itself
            self.cursor().execute("CHECKPOINT").fetchall()
        return merged

    @staticmethod
    def _in_transaction(cur: duckdb.DuckDBPyConnection, statements: Sequence[str]) -> None:
        cur.execute("BEGIN")
        try:
            for statement in statements:
                cur.execute(statement).fetchall()
            cur.execute("COMMIT")
        except BaseException as exc:
            _abort(cur, exc)
            raise

    def ping(self) -> None:
        try:
            self.cursor().execute("SELECT 1").fetchall()
        except duckdb.Error as exc:
            raise StoreError(str(exc)) from exc

    def close(self) -> None:
        self._db.close()


def _abort(cur: duckdb.DuckDBPyConnection, error: BaseException) -> None:
    """Roll back after `error`, then raise StoreFull for a full disk (a failed COMMIT has
    ended the transaction already: the rollback must not hide why it failed)."""
    try:
        cur.execute("ROLLBACK")
    except duckdb.Error:
        pass  # no transaction is active any more; the first error is the one to tell
    if isinstance(error, duckdb.Error) and disk_full(error):
        raise StoreFull(f"the store's disk is full: {error}") from error


def _naive_utc(table: pa.Table) -> pa.Table:
    """Arrow UTC timestamps as naive UTC wall time, matching the TIMESTAMP columns."""
    columns = [
        col.cast(pa.timestamp("us")) if pa.types.is_timestamp(col.type) else col
        for col in table.columns
    ]
    return pa.Table.from_arrays(columns, names=table.column_names)
