"""The small interface every CDR/snapshot store implements.

Stores take validated Arrow tables (see `callstats.ingest`) and, for reports, return exact
aggregates as plain integers and Decimals; everything above them is engine-agnostic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

import pyarrow as pa

from callstats.ingest.batches import SnapshotBatch
from callstats.queries import (
    CdrListQuery,
    CodeCount,
    ConcurrentQuery,
    ConcurrentRow,
    CurrentCallsQuery,
    DisconnectCodesQuery,
    ExtensionRow,
    ExtensionsQuery,
    PbxQuery,
    QualityAnswer,
    QualityQuery,
    TrafficQuery,
    TrafficRow,
)


@dataclass(frozen=True)
class InsertResult:
    received: int
    inserted: int
    duplicates: int

    def as_dict(self) -> dict[str, int]:
        return {"received": self.received, "inserted": self.inserted,
                "duplicates": self.duplicates}


# `with writer_lock(name):` no other writer of `name` in any process (the metadata
# store's lock). A store that several processes write uses it around checking a batch's
# ids and inserting the new rows; a store with one writer (a DuckDB file) needs none.
WriterLock = Callable[[str], AbstractContextManager[object]]


class StoreError(Exception):
    """The store cannot do what was asked (unreachable, locked, newer schema): 503. Its
    text is for the operator's log and CLI, never for a customer's response."""


class StoreUnavailable(StoreError):
    """The engine cannot answer now (down, unreachable, out of memory or disk)."""


class QueryTimeout(StoreError):
    """A query ran past CALLSTATS_QUERY_TIMEOUT and was stopped."""


class StoreFull(StoreUnavailable):
    """The store's disk is full: the write failed whole and nothing of it was kept."""


_DISK_FULL = ("no space left on device", "not enough space", "disk is full", "disk full")


def disk_full(error: BaseException) -> bool:
    """Whether an engine's error says its disk is full (ENOSPC, ClickHouse's
    NOT_ENOUGH_SPACE), whatever exception class the engine chose for it."""
    text = str(error).lower()
    return any(words in text for words in _DISK_FULL)


class Store(Protocol):
    schema_version: int

    def insert_cdrs(self, table: pa.Table) -> InsertResult:
        """Store rows whose id is new (the first of a batch's repeats wins); durable on return."""

    def replace_snapshots(self, batch: SnapshotBatch) -> None:
        """Store each snapshot of the batch, replacing one with the same (node_id, time)."""

    def count_cdrs(self) -> int: ...

    def traffic(self, query: TrafficQuery) -> list[TrafficRow]:
        """Exact sums per (bucket, offset) for one account's side, filters applied."""

    def quality(self, query: QualityQuery) -> QualityAnswer:
        """Per bucket with calls, ascending, and over the whole range: counts, NER
        failures, pdd count and ms sum, and the nearest-rank pdd of query.percentiles."""

    def disconnect_codes(self, query: DisconnectCodesQuery) -> list[CodeCount]:
        """CDRs per disconnect code (SPEC 9.5), in no particular order."""

    def cdr_count(self, query: CdrListQuery) -> int:
        """How many CDRs the list matches (SPEC 9.3)."""

    def cdr_page(self, query: CdrListQuery) -> list[tuple[object, ...]]:
        """`query.limit` CDRs from `query.offset` in the list's order, `query.columns`
        each (times as unix µs, decimals exact)."""

    def cdr_chunks(self, query: CdrListQuery) -> Iterator[pa.Table]:
        """Every matching CDR from `query.offset` on, in order, as Arrow tables of a
        bounded size: constant memory whatever the list's length."""

    def concurrent_calls(self, query: ConcurrentQuery) -> list[ConcurrentRow]:
        """Per bucket: the sum over nodes of each node's peak matching-call count."""

    def pbx_counts(self, query: PbxQuery) -> dict[str, int]:
        """SPEC 5 counts (PBX_COUNTS keys) for one direction of one client."""

    def pbx_extensions(self, query: ExtensionsQuery) -> list[ExtensionRow]:
        """Each extension id of one client's CDRs (either direction), ascending."""

    def current_calls(self, query: CurrentCallsQuery) -> list[tuple[object, ...]]:
        """Calls of each node's latest fresh snapshot, ACTIVE_CALL_KEYS order, times in µs,
        newest start first (no start last), then node, then position."""

    def cdr_time_span(self) -> tuple[int, int] | None:
        """(earliest, latest) time_start of any stored CDR in µs, or None when empty.
        May be wider than the truth (never narrower)."""

    def data_version(self, account_column: str, account_id: int) -> object | None:
        """A token that changes whenever rows a report on this account could read change
        (`account_column` "snapshots" for active-call snapshots). None: the store cannot
        promise that (other writers it does not see), so results must not be cached."""

    def maintain(self) -> int:
        """Periodic housekeeping (the server calls it every CALLSTATS_MAINTENANCE_INTERVAL
        seconds); returns how many rows it reorganized."""

    def compact(self) -> int:
        """Reorganize now what `maintain` reorganizes over time; returns the rows it moved."""

    def interrupt_maintenance(self) -> None:
        """At shutdown: end a `maintain` or `compact` under way without its work (it rolls
        back, and the next run redoes it). Reaches only a run already under way, and may
        miss one just starting: repeat it until the housekeeping thread has ended. Safe
        from any thread."""

    def ping(self) -> None:
        """Raise StoreError unless the store answers."""

    def close(self) -> None: ...


def open_store(url: str, *, retention_days: int | None = None, cluster: str = "",
               query_timeout: float | None = None,
               writer_lock: WriterLock | None = None, duckdb_memory_limit: str = "",
               duckdb_threads: int = 0) -> Store:
    """The store a `CALLSTATS_STORE` URL names: `duckdb:///file`, `chdb:///dir` or
    `clickhouse://user:pass@host:8123/db` (retention, cluster and the writer lock:
    ClickHouse only; without a writer lock, batches are ordered within this process).
    `query_timeout`: seconds a report query may run (None: no limit).
    `duckdb_memory_limit`: DuckDB's memory limit (empty: DuckDB's default);
    `duckdb_threads`: the threads one DuckDB query may use (0: DuckDB's default)."""
    scheme = url.split(":", 1)[0]
    if scheme == "duckdb":
        from callstats.stores.duckdb_store import DuckDBStore

        path = url.removeprefix("duckdb://")  # duckdb:///abs/file; also duckdb:////abs/file
        return DuckDBStore("/" + path.lstrip("/") if path.startswith("/") else path,
                           query_timeout=query_timeout,
                           memory_limit=duckdb_memory_limit, threads=duckdb_threads)
    if scheme in ("chdb", "clickhouse", "clickhouses"):
        from callstats.stores.clickhouse_store import ClickHouseStore

        return ClickHouseStore(url, retention_days=retention_days, cluster=cluster,
                               query_timeout=query_timeout, writer_lock=writer_lock)
    raise StoreError(f"unsupported store URL {url!r} (expected duckdb:///path, "
                     "chdb:///path or clickhouse://host:8123/db)")
