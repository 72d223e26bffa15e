"""The embedded store: one DuckDB file holding CDRs and active-call snapshots.

One database handle per process; each thread works on its own cursor. Writes are
serialized by a lock so the id de-duplication of concurrent batches cannot race.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from callstats.columns import CDR_COLUMNS, SNAPSHOT_CALL_COLUMNS, Column, Kind
from callstats.ingest.batches import SnapshotBatch
from callstats.queries import ORIGINATION, TERMINATION, PbxQuery
from callstats.stores import pbx_calls, pbx_hours, report_sql, rollups
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
from callstats.stores.sql import DUCKDB, Dialect, DuckDBDialect, Statement
from callstats.stores.sql_cdrs import SqlCdrs
from callstats.stores.sql_reports import SqlReports

T = TypeVar("T")

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
# The parts a compaction moves into `cdrs`: the tail of not-yet-clustered rows.
TAIL_TABLES = ("cdrs_merging", "cdrs_recent")
MOVING = " UNION ALL ".join(f"SELECT * FROM {table}" for table in TAIL_TABLES)
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


# The minute rollup (stores/rollups.py) in the three parts the CDRs have: `cdr_minutes`
# sorted by its key by compaction, new rows' sums in `cdr_minutes_recent`, those being
# merged in `cdr_minutes_merging`; several rows of one key add up (read with sum()).
MINUTE_TABLES = ("cdr_minutes", "cdr_minutes_recent", "cdr_minutes_merging")
MINUTE_COLUMNS = (
    "side TINYINT NOT NULL, account_id BIGINT NOT NULL, minute BIGINT NOT NULL, "
    "calls BIGINT NOT NULL, successful BIGINT NOT NULL, seconds BIGINT NOT NULL, "
    "price DECIMAL(38, 6) NOT NULL, failed BIGINT NOT NULL, pdd_count BIGINT NOT NULL, "
    "pdd_ms BIGINT NOT NULL, first_us BIGINT NOT NULL, last_us BIGINT NOT NULL")
MINUTE_ROWS_VIEW = (
    "CREATE OR REPLACE VIEW cdr_minute_rows AS SELECT * FROM cdr_minutes UNION ALL "
    "SELECT * FROM cdr_minutes_merging UNION ALL SELECT * FROM cdr_minutes_recent"
)
MINUTE_ORDER = ", ".join(rollups.KEYS)


# How compaction folds several rows of one rollup key into one.
_MINUTE_SUMS = ", ".join([f"sum({name})" for name in rollups.SUMS]
                         + [f"{how}({name})" for name, how in rollups.BOUNDS])


def minute_sums(source: str) -> str:
    """The rollup rows the CDRs of `source` add, both sides (one aggregate)."""
    return rollups.deltas(DUCKDB, (ORIGINATION, TERMINATION), source)


def _add_minute_rollups(con: duckdb.DuckDBPyConnection) -> None:
    """The minute rollup, built from every stored CDR."""
    for table in MINUTE_TABLES:
        con.execute(f"CREATE TABLE {table} ({MINUTE_COLUMNS})")
    con.execute(f"INSERT INTO cdr_minutes SELECT * FROM ({minute_sums('cdr_rows')}) "
                f"ORDER BY {MINUTE_ORDER}")
    con.execute(MINUTE_ROWS_VIEW)


def _add_pbx_calls(con: duckdb.DuckDBPyConnection) -> None:
    """The per-call PBX rollup (stores/pbx_calls.py) of the compacted CDRs; the rows not
    yet compacted join it at their compaction."""
    con.execute(f"CREATE TABLE {pbx_calls.TABLE} ({pbx_calls.COLUMNS})")
    con.execute(f"INSERT INTO {pbx_calls.TABLE} SELECT * FROM ({pbx_calls.facts('cdrs')}) "
                f"ORDER BY {pbx_calls.ORDER}")


def _add_pbx_hours(con: duckdb.DuckDBPyConnection) -> None:
    """The hourly PBX sums (stores/pbx_hours.py) of the compacted CDRs; the rows not yet
    compacted add theirs at their compaction."""
    con.execute(f"CREATE TABLE {pbx_hours.TABLE} ({pbx_hours.COLUMNS})")
    con.execute(f"INSERT INTO {pbx_hours.TABLE} SELECT * FROM ({pbx_hours.facts('cdrs')}) "
                f"ORDER BY {pbx_hours.ORDER}")


# Schema history: entry N upgrades a data directory from version N to N + 1. Append only.
Migration = Callable[[duckdb.DuckDBPyConnection], None]
MIGRATIONS: Sequence[Migration] = (
    _create_cdrs,
    _create_ingest_log,
    _split_for_clustering,
    _add_lower_shadows,
    _add_yeti_fields,
    _add_minute_rollups,
    _add_pbx_calls,
    _add_pbx_hours,
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
# What the id check and the minute rollup read of a batch: its ids and every column the
# rollup's sums name (found in their SQL, so a new sum cannot miss its input).
_KEY_COLUMNS = ["id"] + [c for c in CDR_STORED if c != "id" and re.search(
    rf"\b{c}\b", minute_sums("_keys"))]


class _StoreDialect(DuckDBDialect):
    cdr_parts = CDR_TABLES  # reports read the tables, each for only the columns they need


class _ClusteredDialect(DuckDBDialect):
    """Reads while every stored row is in the clustered tables: a UNION ALL view over the
    two empty ones doubles a small report's CPU (bench/reports_perf.py)."""

    cdrs = "cdrs"
    minutes = "cdr_minutes"


CLUSTERED = _ClusteredDialect()


def _open_failure(path: Path, message: str) -> str:
    """Why a DuckDB file would not open, in words: most often another process holds it."""
    if "lock" in message.lower():
        pid = re.search(r"PID (\d+)", message)
        holder = f"process {pid.group(1)}" if pid else "another process"
        return (f"{path} is in use by {holder}, most likely a running `callstats serve`: "
                "send data to that server with --url (and its admin token), or stop it first")
    return f"cannot open {path}: {message}"


class DuckDBStore(SqlReports, SqlCdrs):
    dialect = _StoreDialect()

    def __init__(self, path: str | Path, query_timeout: float | None = None,
                 memory_limit: str = "", rollups: bool = True, threads: int = 0):
        self.path = Path(path)
        self.rollups = rollups
        self.query_timeout = query_timeout
        self._watchdog = Watchdog()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = duckdb.connect(str(self.path))
        except duckdb.IOException as exc:
            raise StoreError(_open_failure(self.path, str(exc))) from None
        self._write_lock = threading.Lock()
        self._compact_lock = threading.Lock()
        # Shutdown interrupts the compaction under way (interrupt_maintenance), which
        # can take a minute on a large batch of new rows.
        self._compacting: duckdb.DuckDBPyConnection | None = None
        self._interrupted = False  # asked during the compaction under way
        self._clustered_max: int | None = None
        # The largest id stored (None: not read yet), and of the rows the open transaction
        # writes: a batch whose ids are all above both needs no id check (_insert_new).
        self._newest: int | None = None
        self._adding = _NO_ID
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
        if memory_limit:  # DuckDB's buffer pool; sorts and large inserts spill beyond it
            self._db.execute("SET memory_limit = ?", [memory_limit]).fetchall()
        if threads:  # per query: concurrent report queries each run on their own thread
            self._db.execute("SET threads = ?", [threads]).fetchall()
        try:
            self.schema_version = upgrade(self._db)
        except BaseException:
            self._db.close()  # else the file stays locked until garbage collection
            raise
        # True only while `cdrs_recent`/`cdrs_merging` and the rollup's are empty: set
        # False under the write lock before a batch's transaction begins, so a reader that
        # sees the batch's data version also sees it False; True again after a compaction
        # that found no new rows at its swap.
        self._all_clustered = self._parts_empty(self.cursor())

    @staticmethod
    def _parts_empty(cur: duckdb.DuckDBPyConnection) -> bool:
        [(rows,)] = cur.execute(
            "SELECT (SELECT count(*) FROM cdrs_recent) + (SELECT count(*) FROM cdrs_merging) "
            "+ (SELECT count(*) FROM cdr_minutes_recent) "
            "+ (SELECT count(*) FROM cdr_minutes_merging)").fetchall()
        return int(rows) == 0

    def reading(self) -> Dialect:
        return CLUSTERED if self._all_clustered else self.dialect

    def pbx_counts(self, query: PbxQuery) -> dict[str, int]:
        """Per call: the rollup's facts for the calls it answers whole, raw rows for the
        rest (stores/pbx_calls.py); per CDR: the hourly sums with raw rows at the edges
        (stores/pbx_hours.py); under an extension filter or without rollups: raw rows."""
        if self.rollups and pbx_hours.answers(query):
            return self.pbx_cdrs_from_rollup(query)
        if not (self.rollups and pbx_calls.answers(query)):
            return super().pbx_counts(query)
        return self.pbx_calls_from_rollup(query)

    def pbx_cdrs_from_rollup(self, query: PbxQuery) -> dict[str, int]:
        """A per-CDR answer read through the hourly sums."""
        tail = () if self._all_clustered else TAIL_TABLES
        return report_sql.pbx_rows(self.run(pbx_hours.pbx_hours(query, CLUSTERED, tail)))

    def pbx_calls_from_rollup(self, query: PbxQuery) -> dict[str, int]:
        """A per-call answer read through the rollup, whatever the filters."""
        tail = () if self._all_clustered else TAIL_TABLES
        return report_sql.pbx_rows(self.run(pbx_calls.pbx_calls(query, CLUSTERED, tail)))

    # One cursor per thread: DuckDB connections are not safe to share across threads.
    def cursor(self) -> duckdb.DuckDBPyConnection:
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._local.cursor = self._db.cursor()
        return cur

    def run(self, statement: Statement) -> list[tuple[object, ...]]:
        return self._timed(lambda cur: cur.execute(self._parsed(cur, statement.text),
                                                   statement.params).fetchall())

    def _parsed(self, cur: duckdb.DuckDBPyConnection, text: str) -> duckdb.Statement:
        """`text` parsed once per thread's cursor: a report's statement text depends only
        on its shape (every value is a bound parameter), and parsing it again was ~0.2 of
        a typical day's 1.2 ms statement (docs/performance.md, "The report statement").
        DuckDB still binds and plans each execution against the catalog of the moment,
        so a parsed statement stays right across compactions and upgrades. A parsed
        statement takes ~20 bytes of memory per character of its text, so a thread keeps
        at most `_PARSED_CHARS` characters' worth (~1.3 MB); past that it starts again."""
        kept: dict[str, duckdb.Statement] | None = getattr(self._local, "parsed", None)
        if kept is None or self._local.parsed_chars + len(text) > _PARSED_CHARS:
            kept = self._local.parsed = {}
            self._local.parsed_chars = 0
        found = kept.get(text)
        if found is None:
            [found] = cur.extract_statements(text)
            kept[text] = found
            self._local.parsed_chars += len(text)
        return found

    def run_arrow(self, statement: Statement) -> pa.Table:
        return self._timed(lambda cur: cur.sql(statement.text, params=statement.params)
                           .to_arrow_table())

    def _timed(self, work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        cur = self.cursor()
        with self._watchdog.deadline(self.query_timeout, cur.interrupt) as expired:
            try:
                return work(cur)
            except duckdb.InterruptException:
                if expired():
                    raise QueryTimeout(f"query ran over {self.query_timeout} s") from None
                raise
            except (duckdb.IOException, duckdb.OutOfMemoryException,
                    duckdb.FatalException) as exc:
                raise StoreUnavailable(f"DuckDB: {exc}") from exc

    def insert_cdrs(self, table: pa.Table) -> InsertResult:
        return self.insert_cdr_chunks([table])

    pieces_atomic = True  # insert_cdr_chunks: one transaction

    def insert_cdr_chunks(self, chunks: Iterable[pa.Table]) -> InsertResult:
        """One batch given as consecutive pieces (a large body parsed piece by piece, the
        next piece parsed while this one is written): one transaction, so all or none of
        it is stored, and a repeat across pieces counts as a repeat. A piece that fails to
        come (the parser's BatchRejected) rolls back the whole batch."""
        received = inserted = 0
        # What the committed pieces change, kept small: holding the pieces themselves
        # until COMMIT kept a 1M-row body's whole converted table alive.
        accounts: set[tuple[str, int]] = set()
        span: tuple[int, int] | None = None
        with self._write_lock:
            cur = self.cursor()
            was_clustered, self._all_clustered = self._all_clustered, False
            try:
                self._adding = _NO_ID
                cur.execute("BEGIN")
                for table in chunks:
                    if not table.num_rows:
                        continue
                    received += table.num_rows
                    added = len(self._insert_new(cur, table))
                    inserted += added
                    if added:
                        accounts |= _accounts_of(table)
                        span = _wider(span, _span_of(table))
                    del table  # the next piece is read while this one would still be held
                if received:
                    cur.execute(
                        "INSERT INTO ingest_log (kind, received, inserted) VALUES ('cdrs', ?, ?)",
                        [received, inserted],
                    )
                cur.execute("COMMIT")
                self._committed()
                if not inserted:
                    self._all_clustered = was_clustered  # nothing new in the parts
            except BaseException as exc:
                self._all_clustered = was_clustered  # rolled back
                _abort(cur, exc)
                raise
            self._bump_accounts(accounts)
            self._widen_time_span(span)
        return InsertResult(received, inserted, received - inserted)

    def insert_cdr_groups(self, tables: Sequence[pa.Table]) -> list[InsertResult]:
        """Several requests' batches in one transaction (group commit), as if stored one
        after another: a row repeating an id of an earlier batch of the group is a
        duplicate of it. One commit, so one write-ahead log sync, for them all."""
        tables = [t for t in tables]
        sizes = [t.num_rows for t in tables]
        nonempty = [t for t in tables if t.num_rows]
        if not nonempty:
            return [InsertResult(0, 0, 0) for _ in tables]
        combined = pa.concat_tables(nonempty).combine_chunks()
        with self._write_lock:
            cur = self.cursor()
            was_clustered, self._all_clustered = self._all_clustered, False
            try:
                self._adding = _NO_ID
                cur.execute("BEGIN")
                picked = self._insert_new(cur, combined)
                received = combined.num_rows
                cur.execute(
                    "INSERT INTO ingest_log (kind, received, inserted) VALUES ('cdrs', ?, ?)",
                    [received, len(picked)],
                )
                cur.execute("COMMIT")
                self._committed()
            except BaseException as exc:
                self._all_clustered = was_clustered  # rolled back
                _abort(cur, exc)
                raise
            if not len(picked):
                self._all_clustered = was_clustered  # nothing new in the parts
            if len(picked):
                self._bump_accounts(_accounts_of(combined))
                self._widen_time_span(_span_of(combined))
        # Each batch's share of the picked rows: its rows are one range of the combined.
        bounds = np.cumsum([0, *sizes])
        counts = np.histogram(picked.to_numpy(), bins=bounds)[0] if len(picked) else (
            np.zeros(len(sizes), dtype=np.int64))
        results = []
        for size, low, high, count in zip(sizes, bounds[:-1], bounds[1:], counts, strict=True):
            added = int(count) if high > low else 0
            results.append(InsertResult(size, added, size - added))
        return results

    def _insert_new(self, cur: duckdb.DuckDBPyConnection, table: pa.Table) -> pa.Array:
        """Within the open transaction: add the rows of `table` whose id is new (the first
        of the table's repeats) and their minute-rollup sums; the indexes of the rows added.

        Every statement is bound anew by DuckDB, at a cost that grows with the columns of
        the tables it names (a 16-row group paid more to bind than to run): the id check
        and the rollup read a narrow view (`_keys`: the id, the row number and the
        rollup's inputs), only the row insert the whole batch, and no temporary table is
        written. Ids usually increase (a switch numbers its CDRs), so a batch of distinct
        ids all above the largest stored one skips the id check: for a small group it was
        ~1.5 ms of CPU, a tenth of the transaction."""
        batch = with_shadows(_naive_utc(table), CDR_COLUMNS)
        rows = pa.array(np.arange(table.num_rows, dtype=np.int64))
        keys = batch.select(_KEY_COLUMNS).append_column("_row", rows)
        ids = table.column("id")
        bounds = pc.min_max(ids)
        lowest, highest = bounds["min"].as_py(), bounds["max"].as_py()
        unique = pc.count_distinct(ids).as_py() == table.num_rows
        newest = max(self._newest_id(), self._adding)
        self._adding = max(self._adding, highest)  # every id of the table is stored after
        small = table.num_rows < _RELATION_ROWS
        cur.register("_keys", keys)
        try:
            if unique and lowest > newest:  # ids above every stored one: all go in, unchecked
                self._append(cur, batch, None if small else keys)
                return rows
            # Ids usually increase: the id range lets zone maps skip old row groups (the
            # clustered table is appended in sorted runs, each run one range of arrival),
            # and no look at the clustered table at all when every id is above its largest.
            stored = "cdr_rows" if lowest <= self._clustered_max_id() else (
                "(SELECT id FROM cdrs_recent UNION ALL SELECT id FROM cdrs_merging)")
            span = {"low": lowest, "high": highest}
            if unique:  # the common case: nothing stored yet, every row goes in as it is
                [(known,)] = cur.execute(
                    f"SELECT count(*) FROM {stored} c WHERE c.id BETWEEN $low AND $high "
                    "AND c.id IN (SELECT id FROM _keys)", span).fetchall()
                if not known:
                    self._append(cur, batch, None if small else keys)
                    return rows
            is_new = (f"NOT EXISTS (SELECT 1 FROM {stored} c WHERE c.id = b.id "
                      "AND c.id BETWEEN $low AND $high)")
            first = "" if unique else (  # the first row of each id the batch repeats
                "b._row IN (SELECT min(_row) FROM _keys GROUP BY id) AND ")
            found = cur.execute(f"SELECT _row FROM _keys b WHERE {first}{is_new} "
                                "ORDER BY _row", span).fetchnumpy()
            picked = pa.array(np.asarray(found["_row"], dtype=np.int64))
            if len(picked):
                self._append(cur, batch.take(picked), keys.take(picked))
            return picked
        finally:
            cur.unregister("_keys")

    @staticmethod
    def _append(cur: duckdb.DuckDBPyConnection, batch: pa.Table,
                keys: pa.Table | None) -> None:
        """Store the rows of `batch` and, from `keys` (the narrow view of the same rows;
        None: they are `_keys` as registered, which a small table's rollup reads without
        a second registration), their minute-rollup sums (in the caller's transaction)."""
        # Only the columns holding a value: the others are NULL by leaving them out (a
        # single CDR fills ~25 of the 88, and binding the INSERT costs per column named:
        # a 16-row group's 5.3 -> 3.0 ms of CPU; a NOT NULL column always holds values).
        carried = [name for name in CDR_STORED
                   if batch.column(name).null_count < batch.num_rows]
        names = ", ".join(carried)
        _insert_reading(cur, "_new", batch.select(carried),
                        f"INSERT INTO cdrs_recent ({names}) SELECT {names} FROM _new")
        if keys is None:
            cur.execute(f"INSERT INTO cdr_minutes_recent {minute_sums('_keys')}")
        else:
            _insert_reading(cur, "_new_keys", keys,
                            f"INSERT INTO cdr_minutes_recent {minute_sums('_new_keys')}")

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

    def _widen_time_span(self, span: tuple[int, int] | None) -> None:
        if not self._time_span_known or span is None:
            return  # read from the tables on first use
        self._time_span = _wider(self._time_span, span)

    def _bump_accounts(self, accounts: set[tuple[str, int]]) -> None:
        """After a commit: every account the batch touched gets a new data version."""
        for key in accounts:
            self._versions[key] = self._versions.get(key, 0) + 1

    def _newest_id(self) -> int:
        """The largest id stored: read once, then kept up to date by the inserts (only they
        add rows; compaction moves them). Read inside a transaction it may count rows that
        then roll back, so it is never below the largest id committed."""
        if self._newest is None:
            [(top,)] = self.cursor().execute("SELECT max(id) FROM cdr_rows").fetchall()
            self._newest = _NO_ID if top is None else int(top)
        return self._newest

    def _committed(self) -> None:
        """After a COMMIT: the ids the transaction wrote are stored."""
        self._newest = max(self._newest_id(), self._adding)
        self._adding = _NO_ID

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
        """Append the recent rows to the clustered `cdrs` table as one sorted run; the
        rows moved.

        One transaction moves them (insert sorted, delete from `cdrs_recent`), so readers
        see every row exactly once throughout. It sorts only the rows not yet clustered and
        never rewrites `cdrs`: its cost follows the new rows, not the store, and it frees
        no blocks for the file to keep. Ingestion goes on meanwhile: its appends to
        `cdrs_recent` do not conflict with the delete, which sees only the rows of its
        own snapshot. Only the commit takes the write lock (an insert picks which tables
        its id check reads by the clustered table's largest id)."""
        with self._compact_lock:
            self._interrupted = False
            cur = self._compacting = self.cursor()
            cur.execute("BEGIN")
            try:
                [(moving,)] = cur.execute(
                    "SELECT (SELECT count(*) FROM cdrs_recent) "
                    "+ (SELECT count(*) FROM cdrs_merging)").fetchall()
                if not moving:
                    cur.execute("ROLLBACK")
                    with self._write_lock:
                        self._all_clustered = self._parts_empty(cur)
                    return 0
                for statement in (
                    f"INSERT INTO cdrs SELECT * FROM ({MOVING}) ORDER BY {CLUSTER_ORDER}",
                    *pbx_calls.compaction(f"({MOVING}) AS moving"),
                    f"INSERT INTO {pbx_hours.TABLE} SELECT * FROM "
                    f"({pbx_hours.facts(f'({MOVING}) AS moving')}) ORDER BY {pbx_hours.ORDER}",
                    "DELETE FROM cdrs_merging",  # left by an earlier version's compaction
                    "DELETE FROM cdrs_recent",
                    "INSERT INTO cdr_minutes SELECT * FROM (SELECT "
                    f"{MINUTE_ORDER}, {_MINUTE_SUMS} FROM (SELECT * FROM cdr_minutes_merging "
                    "UNION ALL SELECT * FROM cdr_minutes_recent) "
                    f"GROUP BY {MINUTE_ORDER}) ORDER BY {MINUTE_ORDER}",
                    "DELETE FROM cdr_minutes_merging",
                    "DELETE FROM cdr_minutes_recent",
                ):
                    if self._interrupted:  # an interrupt between two statements is lost
                        raise duckdb.InterruptException("compaction interrupted")
                    cur.execute(statement).fetchall()
                with self._write_lock:
                    cur.execute("COMMIT")
                    self._clustered_max = None
                    self._all_clustered = self._parts_empty(cur)
            except BaseException as exc:
                _abort(cur, exc)
                raise
            finally:
                self._compacting = None
            cur.execute("CHECKPOINT").fetchall()
            return int(moving)

    def compact_if_needed(self, min_rows: int = 1_000_000) -> int:
        """Compact once the unclustered rows pass `min_rows` (a run of about eight row
        groups: fewer, larger runs let zone maps skip more of a query's accounts)."""
        if self.unclustered_rows() >= min_rows:
            return self.compact()
        return 0

    def maintain(self) -> int:
        """Periodic housekeeping: keep `cdrs` clustered, fold the WAL into the file."""
        merged = self.compact_if_needed()
        if not merged:  # compaction checkpoints by itself
            self.cursor().execute("CHECKPOINT").fetchall()
        return merged

    def interrupt_maintenance(self) -> None:
        """Stop the compaction under way: DuckDB interrupts its statement, the transaction
        rolls back, and the rows stay in `cdrs_recent` for the next run to move. An
        interrupt reaches only a run already under way (a later run, in a store used
        again, runs whole), and one landing between two statements is lost, so the
        compaction also checks the request before each statement and the caller repeats
        it until its housekeeping thread has ended (Maintenance.stop)."""
        self._interrupted = True
        compacting = self._compacting
        if compacting is not None:
            compacting.interrupt()

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


# The report statements a thread keeps parsed (DuckDBStore._parsed), in characters of
# their text: a typical day's is ~220, the largest report's a few thousand, so this holds
# the shapes of the reports, filters and zones in use at once.
_PARSED_CHARS = 64_000

_NO_ID = -(2**63)  # below every id
# From this many rows an INSERT reads its Arrow table through a relation (see below).
_RELATION_ROWS = 10_000


def _insert_reading(cur: duckdb.DuckDBPyConnection, name: str, table: pa.Table,
                    sql: str) -> None:
    """Run the INSERT `sql`, which reads `table` as `name`, in the open transaction.

    An INSERT that read a table registered on the cursor keeps it referenced until the
    transaction ends (DuckDB holds the scan's dependency), even once unregistered: a body
    stored as 8 pieces in one transaction held all 8 pieces' Arrow memory until COMMIT
    (~70 MB per 131k-row piece). A relation over the table lets go when its statement
    ends, but costs ~3.5 ms more per statement, a sixth of a 16-row group's insert, so
    small tables are still registered."""
    if table.num_rows >= _RELATION_ROWS:
        cur.from_arrow(table).query(name, sql)
        return
    cur.register(name, table)
    try:
        cur.execute(sql)
    finally:
        cur.unregister(name)


def _accounts_of(table: pa.Table) -> set[tuple[str, int]]:
    """The (account column, account) keys of a batch's rows, as `_bump_accounts` takes."""
    return {(column, account) for column in ("customer_acc_id", "vendor_acc_id")
            for account in pc.unique(table.column(column)).to_pylist() if account is not None}


def _span_of(table: pa.Table) -> tuple[int, int]:
    """The first and last time_start of a non-empty batch, in unix microseconds."""
    bounds = pc.min_max(table.column("time_start").cast(pa.int64()))
    return bounds["min"].as_py(), bounds["max"].as_py()


def _wider(span: tuple[int, int] | None, other: tuple[int, int]) -> tuple[int, int]:
    return other if span is None else (min(span[0], other[0]), max(span[1], other[1]))


def _naive_utc(table: pa.Table) -> pa.Table:
    """Arrow UTC timestamps as naive UTC wall time, matching the TIMESTAMP columns."""
    columns = [
        col.cast(pa.timestamp("us")) if pa.types.is_timestamp(col.type) else col
        for col in table.columns
    ]
    return pa.Table.from_arrays(columns, names=table.column_names)
