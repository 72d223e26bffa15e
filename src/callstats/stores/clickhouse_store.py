"""The scale-out store: CDRs and snapshots in ClickHouse, reached through a server
(`clickhouse://`) or in-process (`chdb://`) with the same SQL.

Exact before merges: ids are de-duplicated against stored rows before insertion (never by
a background merge), and a re-posted snapshot gets a newer `version` that reports pick,
so no report ever sees a row twice. Several processes may write one database: the check
and the insert of a batch run under the writer lock the store is given (the metadata
database's, shared by every process), so no two batches interleave them. Times are Int64
unix microseconds, the reports' arithmetic unit, which also keeps years 1-9999 exact
(DateTime64 stops at 2299).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from callstats.columns import CDR_COLUMNS, SNAPSHOT_CALL_COLUMNS, Column, Kind
from callstats.ingest.batches import SnapshotBatch
from callstats.queries import ORIGINATION, TERMINATION
from callstats.stores import rollups
from callstats.stores.base import InsertResult, StoreError, WriterLock
from callstats.stores.clickhouse_transport import Target, Transport, open_transport, parse_url
from callstats.stores.history import EXACT_PDD, FIRST_CDR_COLUMNS, PDD_LIMIT, YETI_FIELDS_ADDED
from callstats.stores.shadows import lower_shadow, shadowed, with_shadows
from callstats.stores.sql import ClickHouseDialect, Dialect, Statement
from callstats.stores.sql_cdrs import SqlCdrs
from callstats.stores.sql_reports import SqlReports

_TYPES = {Kind.INT: "Int64", Kind.BOOL: "Bool", Kind.STR: "String", Kind.TS: "Int64",
          Kind.FLOAT: "Float64"}


def column_type(column: Column) -> str:
    base = _TYPES.get(column.kind) or f"Decimal({column.precision}, {column.scale})"
    required = column.required or column.default is not None
    return base if required else f"Nullable({base})"


def _columns_ddl(columns: Sequence[Column]) -> str:
    return ", ".join(f"{c.name} {column_type(c)}" for c in columns)


@dataclass(frozen=True)
class Layout:
    """Where the tables live and how they are made: one node, or a cluster where every
    table is a Replicated*MergeTree `<name>_local` on each node behind a Distributed
    `<name>` (DDL `ON CLUSTER`). Names come from settings, checked as identifiers."""

    database: str
    cluster: str = ""
    retention_days: int | None = None

    def name(self, table: str) -> str:
        return f"{self.database}.{table}"

    def on_cluster(self) -> str:
        return f" ON CLUSTER {self.cluster}" if self.cluster else ""

    def create(self, table: str, columns: str, order_by: str, partition_by: str = "",
               shard_by: str = "rand()", ttl: str = "", engine: str = "MergeTree"
               ) -> list[str]:
        """CREATE statements of one logical table (two in a cluster)."""
        local = f"{table}_local" if self.cluster else table
        engine = f"Replicated{engine}" if self.cluster else engine
        parts = [f"CREATE TABLE IF NOT EXISTS {self.name(local)}{self.on_cluster()} "
                 f"({columns}) ENGINE = {engine}"]
        if partition_by:
            parts.append(f"PARTITION BY {partition_by}")
        parts.append(f"ORDER BY ({order_by})")
        if ttl:
            parts.append(f"TTL {ttl}")
        parts.append("SETTINGS allow_nullable_key = 1")
        statements = [" ".join(parts)]
        if self.cluster:
            statements.append(
                f"CREATE TABLE IF NOT EXISTS {self.name(table)}{self.on_cluster()} "
                f"AS {self.name(local)} ENGINE = Distributed({self.cluster}, "
                f"{self.database}, {local}, {shard_by})")
        return statements

    def local(self, table: str) -> str:
        """The table that holds the rows (ALTERs go here; reads and inserts use `name`)."""
        return self.name(f"{table}_local" if self.cluster else table)

    def retention_ttl(self, time_column: str) -> str:
        if self.retention_days is None:
            return ""
        # Clamped so that time + retention stays in DateTime's range (1970-2106): a
        # far-future row must not wrap around into the past and expire.
        days = int(self.retention_days)
        latest = 2**32 - 1 - days * 86_400
        seconds = f"greatest(0, least(intDiv({time_column}, 1000000), {latest}))"
        return f"toDateTime({seconds}) + INTERVAL {days} DAY"


# Monthly partitions; the µs column is clamped into DateTime64's range only for choosing
# a partition, so any stored year keeps its exact value.
_MONTH = "toYYYYMM(fromUnixTimestamp64Micro({c}))"


def _create_tables(db: Transport, layout: Layout) -> None:
    for statement in _table_ddl(layout):
        db.command(statement)


def _table_ddl(layout: Layout) -> list[str]:
    cdr_columns = (_columns_ddl(FIRST_CDR_COLUMNS)
                   + ", INDEX id_range id TYPE minmax GRANULARITY 1")
    call_columns = _columns_ddl(SNAPSHOT_CALL_COLUMNS)
    return [
        # Customer reports read one account over a time range: that is the sort key.
        *layout.create("cdrs", cdr_columns, "customer_acc_id, time_start",
                       _MONTH.format(c="time_start"), "cityHash64(customer_acc_id)",
                       layout.retention_ttl("time_start")),
        # One row per stored snapshot (empty ones included); the greatest version of a
        # (node_id, snapshot_timestamp) is the one in force.
        *layout.create("snapshots", "node_id Int64, snapshot_timestamp Int64, "
                       "version UInt64, calls UInt32", "snapshot_timestamp, node_id",
                       _MONTH.format(c="snapshot_timestamp"), "node_id",
                       layout.retention_ttl("snapshot_timestamp")),
        *layout.create("snapshot_calls", "node_id Int64, snapshot_timestamp Int64, "
                       f"version UInt64, position Int32, {call_columns}",
                       "customer_acc_id, snapshot_timestamp",
                       _MONTH.format(c="snapshot_timestamp"), "node_id",
                       layout.retention_ttl("snapshot_timestamp")),
    ]


_NON_ASCII = "[^\\x00-\\x7F]"


def _add_lower_shadows(db: Transport, layout: Layout) -> None:
    """Every text column then stored gets its lower-case shadow (stores/shadows.py), filled
    for the non-ASCII values already stored (one mutation per column that has any)."""
    for table, columns in (("cdrs", FIRST_CDR_COLUMNS),
                           ("snapshot_calls", SNAPSHOT_CALL_COLUMNS)):
        targets = [layout.local(table)] + ([layout.name(table)] if layout.cluster else [])
        for column in shadowed(columns):
            shadow = lower_shadow(column.name)
            for target in targets:
                db.command(f"ALTER TABLE {target}{layout.on_cluster()} ADD COLUMN IF NOT "
                           f"EXISTS {shadow} Nullable(String)")
            texts = [row[0] for row in db.rows(
                f"SELECT DISTINCT {column.name} FROM {layout.name(table)} "
                f"WHERE match({column.name}, {{pattern:String}})", {"pattern": _NON_ASCII})]
            if texts:
                db.command(
                    f"ALTER TABLE {layout.local(table)}{layout.on_cluster()} UPDATE {shadow} = "
                    f"CAST(transform(assumeNotNull({column.name}), {{texts:Array(String)}}, "
                    "{lowers:Array(String)}, '') AS Nullable(String)) "
                    f"WHERE {column.name} IN {{texts:Array(String)}} "
                    "SETTINGS mutations_sync = 2",
                    {"texts": texts, "lowers": [t.lower() for t in texts]})



# ClickHouse casts Float64 to Decimal by truncating toward zero: each value is first moved a
# quarter millisecond past its nearest millisecond (halves away from zero, as the DuckDB
# store rounds), so the cast lands on it exactly. Running this again keeps the values
# (floor(k + 0.25 + 0.5) = k), so a restart half-way through converges.
_SAFE_PDD = f"if(abs(toFloat64(pdd)) < {PDD_LIMIT}, toFloat64(pdd), 0)"
_PDD_NUDGED = (f"if(abs(toFloat64(pdd)) < {PDD_LIMIT}, sign({_SAFE_PDD}) * "
               f"(floor(abs({_SAFE_PDD}) * 1000 + 0.5) + 0.25) / 1000, NULL)")
_SYNC = " SETTINGS mutations_sync = 2, alter_sync = 2"


def _add_yeti_fields(db: Transport, layout: Layout) -> None:
    for statement in yeti_fields_ddl(layout):
        db.command(statement)


def yeti_fields_ddl(layout: Layout) -> list[str]:
    """SPEC 3.1's yeti fields appended to `cdrs`, and the shadows of the text ones: NULL in
    stored rows, but success takes its default, duration > 0; pdd made exact
    milliseconds. Statements are idempotent, as `upgrade` needs."""
    added = ", ".join(
        [f"ADD COLUMN IF NOT EXISTS {c.name} {column_type(c)}" for c in YETI_FIELDS_ADDED]
        + [f"ADD COLUMN IF NOT EXISTS {lower_shadow(c.name)} Nullable(String)"
           for c in shadowed(YETI_FIELDS_ADDED)])
    exact = f"MODIFY COLUMN pdd {column_type(EXACT_PDD)}"
    local, cluster = layout.local("cdrs"), layout.on_cluster()
    statements = [
        f"ALTER TABLE {local}{cluster} {added}",
        f"ALTER TABLE {local}{cluster} UPDATE success = duration > 0, pdd = {_PDD_NUDGED} "
        f"WHERE true{_SYNC}",
        f"ALTER TABLE {local}{cluster} {exact}{_SYNC}",
    ]
    if layout.cluster:  # the Distributed table mirrors the local tables' columns
        statements.append(f"ALTER TABLE {layout.name('cdrs')}{cluster} {added}, {exact}")
    return statements


# Read with sum() (min() and max() for the bounds), so rows not yet merged add up alike.
MINUTE_COLUMNS = ", ".join(
    ["side Int8", "account_id Int64", "minute Int64"]
    + [f"{name} SimpleAggregateFunction(sum, {'Decimal(38, 6)' if name == 'price' else 'Int64'})"
       for name in rollups.SUMS]
    + [f"{name} SimpleAggregateFunction({how}, Int64)" for name, how in rollups.BOUNDS])
MINUTE_START = f"minute * {rollups.MINUTE_US}"
_SIDES = (ORIGINATION, TERMINATION)
log = logging.getLogger("callstats.store")


def _add_minute_rollups(db: Transport, layout: Layout) -> None:
    for statement in minute_rollup_ddl(layout):
        db.command(statement)


def minute_rollup_ddl(layout: Layout) -> list[str]:
    """The minute rollup (stores/rollups.py): an AggregatingMergeTree that a materialized view per
    side fills from every insert into `cdrs` (the de-duplicated rows, so the two change in
    one INSERT), emptied and rebuilt from the stored CDRs. Run under the writer lock (no
    insert between the views' creation and the rebuild) and idempotent, as `upgrade` needs."""
    d = ClickHouseDialect(layout.name("cdrs"), "", "")
    statements = layout.create("cdr_minutes", MINUTE_COLUMNS, ", ".join(rollups.KEYS),
                               shard_by="cityHash64(account_id)",
                               ttl=layout.retention_ttl(MINUTE_START),
                               engine="AggregatingMergeTree")
    for side in _SIDES:
        statements.append(
            f"CREATE MATERIALIZED VIEW IF NOT EXISTS "
            f"{layout.name(f'cdr_minutes_{side.name}')}{layout.on_cluster()} "
            f"TO {layout.local('cdr_minutes')} AS "
            f"{rollups.delta(d, side, layout.local('cdrs'))}")
    return statements + minute_rollup_rebuild(layout)


def minute_rollup_rebuild(layout: Layout) -> list[str]:
    """Empty the minute rollup and sum it again from the stored CDRs (run under the writer
    lock: an insert meanwhile would be counted twice or not at all)."""
    d = ClickHouseDialect(layout.name("cdrs"), "", "")
    sums = " UNION ALL ".join(rollups.delta(d, side, layout.name("cdrs")) for side in _SIDES)
    return [
        f"TRUNCATE TABLE {layout.local('cdr_minutes')}{layout.on_cluster()}",
        f"INSERT INTO {layout.name('cdr_minutes')} SELECT * FROM ({sums})",
    ]


# Schema history: entry N upgrades a database from version N to N + 1. Append only.
Migration = Callable[[Transport, Layout], None]
MIGRATIONS: Sequence[Migration] = (_create_tables, _add_lower_shadows, _add_yeti_fields,
                                   _add_minute_rollups)
SCHEMA_VERSION = len(MIGRATIONS)
TTL_TABLES = (("cdrs", "time_start"), ("snapshots", "snapshot_timestamp"),
              ("snapshot_calls", "snapshot_timestamp"), ("cdr_minutes", MINUTE_START))


def upgrade(db: Transport, layout: Layout, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring the schema to the newest version. Every statement is idempotent (IF NOT
    EXISTS), so a process that dies half-way, or two starting at once, converge."""
    db.command(f"CREATE DATABASE IF NOT EXISTS {layout.database}{layout.on_cluster()}")
    for statement in layout.create("schema_version", "version UInt32, "
                                   "applied_at DateTime DEFAULT now()", "version"):
        db.command(statement)
    [(current,)] = db.rows(f"SELECT max(version) FROM {layout.name('schema_version')}")
    current = int(current or 0)
    if current > len(migrations):
        raise StoreError(f"ClickHouse database {layout.database} has schema version "
                         f"{current}, newer than this callstats ({len(migrations)}): "
                         "upgrade callstats")
    for version in range(current, len(migrations)):
        migrations[version](db, layout)
        db.command(f"INSERT INTO {layout.name('schema_version')} (version) VALUES "
                   "({v:UInt32})", {"v": version + 1})
    return len(migrations)


def apply_retention(db: Transport, layout: Layout) -> None:
    """Make each table's TTL match CALLSTATS_RETENTION_DAYS (unset: keep everything).
    Existing parts are not rewritten at once; expired rows go as merges reach them."""
    for table, time_column in TTL_TABLES:
        [(create,)] = db.rows(
            "SELECT create_table_query FROM system.tables WHERE database = {d:String} "
            "AND name = {t:String}", {"d": layout.database,
                                      "t": layout.local(table).split(".", 1)[1]})
        wanted = layout.retention_ttl(time_column)
        has_ttl = " TTL " in create
        if wanted and f"INTERVAL {layout.retention_days} DAY" not in create:
            db.command(f"ALTER TABLE {layout.local(table)}{layout.on_cluster()} MODIFY TTL "
                       f"{wanted} SETTINGS materialize_ttl_after_modify = 0")
        elif not wanted and has_ttl:
            db.command(f"ALTER TABLE {layout.local(table)}{layout.on_cluster()} REMOVE TTL")


def _within_process(name: str) -> contextlib.nullcontext[None]:
    return contextlib.nullcontext()


# Rows per INSERT block. The engine holds a block whole, several times over, while it
# converts and sorts it and feeds the rollup's view: 1M-row Parquet POSTs sent as one
# block peaked at 5.3 GB of server RSS; in blocks of 131,072 rows at 2.1-2.3 GB, for ~1/3
# more server CPU (more, smaller parts to merge; 65,536: 2.0 GB for ~70% more).
INSERT_BLOCK_ROWS = 131_072


class ClickHouseStore(SqlReports, SqlCdrs):
    def __init__(self, url: str, *, retention_days: int | None = None, cluster: str = "",
                 query_timeout: float | None = None, writer_lock: WriterLock | None = None,
                 rollups: bool = True, insert_block_rows: int = INSERT_BLOCK_ROWS):
        target: Target = parse_url(url)
        self.insert_block_rows = insert_block_rows
        self.rollups = self._rollups_wanted = rollups
        self.layout = Layout(target.database, cluster or target.cluster, retention_days)
        self.dialect: Dialect = ClickHouseDialect(self.table("cdrs"), self.table("snapshot_calls"),
                                                  self.table("snapshots"),
                                                  minutes=self.table("cdr_minutes"))
        self.query_timeout = query_timeout
        self.db: Transport = open_transport(target)
        self._write_lock = threading.Lock()  # this process's batches de-duplicate in turn
        self._writer_lock = writer_lock or _within_process  # ...and every process's
        self._lock_name = f"clickhouse-cdrs:{self.layout.database}"
        self._last_version = 0
        try:
            with self._writer_lock(self._lock_name):  # no batch while the rollup is rebuilt
                self.schema_version = upgrade(self.db, self.layout, MIGRATIONS)
            apply_retention(self.db, self.layout)
        except BaseException:
            self.db.close()
            raise

    def table(self, name: str) -> str:
        return self.layout.name(name)

    def rollups_trusted_from(self) -> int | None:
        """Expired rows leave each table at its own merges: ranges near the retention
        horizon read raw rows only (a day of margin)."""
        if self.layout.retention_days is None:
            return None
        return (int(time.time()) - (self.layout.retention_days + 1) * 86_400) * 1_000_000

    def run(self, statement: Statement) -> list[tuple[object, ...]]:
        settings = {"max_execution_time": self.query_timeout} if self.query_timeout else None
        return self.db.rows(statement.text, statement.params, settings)

    def run_arrow(self, statement: Statement) -> pa.Table:
        settings = {"max_execution_time": self.query_timeout} if self.query_timeout else None
        return self.db.arrow(statement.text, statement.params, settings)

    # --- ingestion -----------------------------------------------------------------------

    def insert_cdrs(self, table: pa.Table) -> InsertResult:
        [result] = self.insert_cdr_groups([table])
        return result

    def insert_cdr_groups(self, tables: Sequence[pa.Table]) -> list[InsertResult]:
        """Store batches as if one after another (group commit; `insert_cdrs` is a group
        of one): the rows whose id is new, the first of each id across the batches, in
        one id check and blocks of `insert_block_rows`. ClickHouse makes a part of every
        insert, so single-CDR posts inserted alone cost a part each. The batches were
        validated whole before they got here, so a bad value stores nothing; an engine
        failure between blocks (server gone, disk full) keeps the blocks before it, and the
        client's retry stores the rest once each."""
        sizes = np.array([t.num_rows for t in tables], dtype=np.int64)
        nonempty = [t for t in tables if t.num_rows]
        if not nonempty:
            return [InsertResult(0, 0, 0) for _ in tables]
        table = nonempty[0] if len(nonempty) == 1 else pa.concat_tables(nonempty)
        with self._write_lock, self._writer_lock(self._lock_name):
            kept = self._write_new(table)
        batch_of_row = np.searchsorted(np.cumsum(sizes), kept, side="right")
        inserted = np.bincount(batch_of_row, minlength=len(tables))
        return [InsertResult(int(n), int(k), int(n - k))
                for n, k in zip(sizes, inserted, strict=True)]

    pieces_atomic = False  # insert_cdr_chunks writes each piece as it comes

    def insert_cdr_chunks(self, chunks: Iterable[pa.Table]) -> InsertResult:
        """One batch given as consecutive pieces, every one of them checked already
        (ingest/stream.py), each written as it comes: inserts are synchronous (chdb, and
        `insert_distributed_sync` on a cluster), so a piece's id check sees the pieces
        before it and a repeat across pieces counts as a repeat. No more than a piece and
        its blocks is held at a time."""
        received = inserted = 0
        with self._write_lock, self._writer_lock(self._lock_name):
            for table in chunks:
                received += table.num_rows
                inserted += self._write_new(table).size
                del table  # the next piece is read while this one would be held
        return InsertResult(received, inserted, received - inserted)

    def _write_new(self, table: pa.Table) -> np.ndarray:
        """Under the write locks: write the rows of `table` whose id is new (the first
        row of each id, not stored) in blocks of `insert_block_rows`; the positions of
        the rows written."""
        ids: np.ndarray = table.column("id").to_numpy()
        if not ids.size:
            return ids
        _, first = np.unique(ids, return_index=True)  # the first row of each id wins
        keep = np.sort(first)
        stored = self._stored_ids(ids[keep])
        if stored.size:
            keep = keep[~np.isin(ids[keep], stored)]
        for start in range(0, keep.size, self.insert_block_rows):
            block = table.take(keep[start:start + self.insert_block_rows])
            self.db.insert_arrow(self.table("cdrs"),
                                 _as_stored(with_shadows(block, CDR_COLUMNS)))
        return keep

    def _stored_ids(self, ids: np.ndarray) -> np.ndarray:
        """Which of these ids are stored already. Switch ids come in dense runs: read the
        stored ids of the batch's range and match them here, since binding a long IN list
        costs ~3 µs per id (bench: 10k ids 37 → 5 ms). A sparse batch binds its ids; the
        range lets the minmax index skip every granule of older data either way."""
        lo, hi = int(ids.min()), int(ids.max())
        in_range = (f"SELECT id FROM {self.table('cdrs')} WHERE id BETWEEN {{lo:Int64}} "
                    "AND {hi:Int64}")
        if hi - lo < 4 * ids.size:
            stored = np.array([row[0] for row in self.db.rows(in_range, {"lo": lo, "hi": hi})],
                              dtype=np.int64)
            return stored[np.isin(stored, ids)]
        rows = self.db.rows(in_range + " AND id IN {ids:Array(Int64)}",
                            {"lo": lo, "hi": hi, "ids": ids.tolist()})
        return np.array([row[0] for row in rows], dtype=np.int64)

    def replace_snapshots(self, batch: SnapshotBatch) -> None:
        """Calls first, then the snapshot rows that put them in force: a reader sees the
        old or the new snapshot whole. Superseded rows are removed by `maintain`."""
        with self._write_lock:
            version = self._last_version = max(self._last_version + 1, time.time_ns())
            calls = batch.calls
            if calls.num_rows:
                calls = calls.add_column(2, "version",
                                         pa.array(np.full(calls.num_rows, version, np.uint64)))
                self.db.insert_arrow(self.table("snapshot_calls"),
                                     _as_stored(with_shadows(calls, SNAPSHOT_CALL_COLUMNS)))
            counts: dict[tuple[int, int], int] = {}
            nodes = calls.column("node_id").to_pylist()
            stamps = calls.column("snapshot_timestamp").cast(pa.int64()).to_pylist()
            for key in zip(nodes, stamps, strict=True):
                counts[key] = counts.get(key, 0) + 1
            keys = batch.snapshots
            self.db.insert_arrow(self.table("snapshots"), pa.table({
                "node_id": pa.array([k[0] for k in keys], pa.int64()),
                "snapshot_timestamp": pa.array([k[1] for k in keys], pa.int64()),
                "version": pa.array([version] * len(keys), pa.uint64()),
                "calls": pa.array([counts.get(k, 0) for k in keys], pa.uint32()),
            }))

    # --- state ---------------------------------------------------------------------------

    def count_cdrs(self) -> int:
        [(rows,)] = self.db.rows(f"SELECT count() FROM {self.table('cdrs')}")
        return int(rows)

    def cdr_time_span(self) -> tuple[int, int] | None:
        # min/max of a partition-key column come from part metadata: no scan.
        [(rows, low, high)] = self.db.rows(
            f"SELECT count(), min(time_start), max(time_start) FROM {self.table('cdrs')}")
        return None if not rows else (int(low), int(high))

    def data_version(self, account_column: str, account_id: int) -> object | None:
        return None  # other processes write too: results must not be cached

    def rollup_drift(self) -> list[str]:
        """Where the minute rollup disagrees with the raw CDRs it sums (calls and seconds
        per side, over the range it is trusted for): empty when it agrees. Exact only while
        no insert runs: `check_rollups` holds the writer lock."""
        trusted = self.rollups_trusted_from()
        since = None if trusted is None else -(-trusted // rollups.MINUTE_US)
        [found] = self.run(rollups.totals(self.dialect, _SIDES, since))
        return [f"{t.side.name}: {t.stored[0]} calls and {t.stored[1]} s stored, "
                f"{t.rolled[0]} calls and {t.rolled[1]} s in the minute rollup"
                for t in rollups.totals_of(found, _SIDES) if t.stored != t.rolled]

    def check_rollups(self) -> list[str]:
        """Compare the minute rollup with the raw CDRs and rebuild it when they disagree;
        the drift found (empty: none). Meanwhile reports read raw rows, so answers stay
        exact; if the rebuild fails or still disagrees, they go on reading raw rows."""
        with self._write_lock, self._writer_lock(self._lock_name):
            drift = self.rollup_drift()
            if not drift:
                self.rollups = self._rollups_wanted
                return []
            self.rollups = False
            log.error("the minute rollup disagrees with the stored CDRs (%s); reports read "
                      "raw rows while it is rebuilt", "; ".join(drift))
            for statement in minute_rollup_rebuild(self.layout):
                self.db.command(statement)
            still = self.rollup_drift()
            if still:
                log.error("the rebuilt minute rollup still disagrees (%s); reports keep "
                          "reading raw rows", "; ".join(still))
            else:
                self.rollups = self._rollups_wanted
                log.warning("the minute rollup was rebuilt from the stored CDRs")
            return drift

    def maintain(self) -> int:
        """Check the minute rollup against the raw rows (rebuilt if they disagree), then
        drop the calls of superseded snapshot versions (merges do the rest)."""
        self.check_rollups()
        superseded = (
            f"SELECT node_id, snapshot_timestamp, version FROM {self.table('snapshots')} "
            "WHERE (node_id, snapshot_timestamp) IN (SELECT node_id, snapshot_timestamp "
            f"FROM {self.table('snapshots')} GROUP BY node_id, snapshot_timestamp "
            "HAVING count() > 1) AND (node_id, snapshot_timestamp, version) NOT IN ("
            "SELECT node_id, snapshot_timestamp, max(version) FROM "
            f"{self.table('snapshots')} GROUP BY node_id, snapshot_timestamp)")
        [(stale,)] = self.db.rows(f"SELECT count() FROM ({superseded})")
        if not stale:
            return 0
        keys = self.db.rows(superseded)
        params = {"keys": [tuple(k) for k in keys]}
        for table in ("snapshot_calls", "snapshots"):
            self.db.command(
                f"DELETE FROM {self.layout.local(table)}{self.layout.on_cluster()} WHERE "
                "(node_id, snapshot_timestamp, version) IN "
                "{keys:Array(Tuple(Int64, Int64, UInt64))}", params)
        return int(stale)

    def compact(self) -> int:
        """Merge every table's parts now (what ClickHouse does in the background), after
        dropping superseded snapshots; the CDR rows merged."""
        self.maintain()
        for table in ("cdrs", "snapshots", "snapshot_calls", "cdr_minutes"):
            self.db.command(f"OPTIMIZE TABLE {self.layout.local(table)}"
                            f"{self.layout.on_cluster()} FINAL")
        return self.count_cdrs()

    def interrupt_maintenance(self) -> None:
        """Nothing to stop: merges run inside ClickHouse, and `maintain` is one short
        DELETE of superseded snapshots."""

    def ping(self) -> None:
        self.db.rows("SELECT 1")

    def close(self) -> None:
        self.db.close()


def _as_stored(table: pa.Table) -> pa.Table:
    """Arrow timestamps as the Int64 µs the tables keep."""
    columns = [col.cast(pa.int64()) if pa.types.is_timestamp(col.type) else col
               for col in table.columns]
    return pa.Table.from_arrays(columns, names=table.column_names)
