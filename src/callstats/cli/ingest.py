"""`callstats ingest`: files into a running server (--url) or straight into a data dir.

Each batch is all-or-nothing; ids make a re-run after a fix safe (already stored rows
count as duplicates). On a rejected batch the command stops and names file, row, field.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import orjson
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from callstats.cli.remote import AdminClient, ServerError
from callstats.ingest.batches import (
    BatchRejected,
    BodyTooLarge,
    cdrs_from_table,
    parse_cdrs,
    parse_snapshots,
)
from callstats.ingest.files import Batch, UnsupportedFile, iter_batches, iter_snapshot_batches
from callstats.ingest.readers import Format
from callstats.metadata.store import MetadataStore
from callstats.settings import Settings
from callstats.stores.base import Store

CONTENT_TYPES = {
    Format.NDJSON: "application/x-ndjson",
    Format.CSV: "text/csv",
    Format.PARQUET: "application/vnd.apache.parquet",
}
ENDPOINTS = {"cdrs": "/cdrs", "active-calls": "/active-calls"}  # under the admin API


@dataclass
class Stored:
    """What a run stored before it stopped: whole files, then batches of the current one."""

    files: int = 0
    batches: int = 0  # of the file being read
    rows: int = 0  # of the file being read


class IngestFailed(Exception):
    """A batch the store or server rejected, with what had been stored before it."""

    def __init__(self, path: Path, batch: Batch | None, errors: list[dict[str, object]],
                 stored: Stored | None = None):
        self.path, self.batch, self.errors = path, batch, errors
        self.stored = stored or Stored()
        super().__init__(f"{path}: rejected")


class IngestError(Exception):
    """Any other reason a run stopped (unreadable file, server unreachable), as one message
    for the user that also says what had been stored before."""


@dataclass
class Totals:
    files: int = 0
    batches: int = 0
    received: int = 0
    inserted: int = 0
    duplicates: int = 0
    snapshots: int = 0
    calls: int = 0

    def add(self, answer: dict[str, int]) -> None:
        self.batches += 1
        for key, value in answer.items():
            setattr(self, key, getattr(self, key) + value)


Sink = Callable[[str, Batch], dict[str, int]]


def http_sink(url: str, admin_token: str) -> tuple[Sink, Callable[[], None]]:
    """Batches posted to the server's admin API; its refusals raise ServerError."""
    client = AdminClient(url, admin_token)
    client.instance()  # a wrong address or token is told before any file is read

    def send(kind: str, batch: Batch) -> dict[str, int]:
        body, fmt = batch.payload()
        response = client.request("POST", ENDPOINTS[kind], content=body,
                                  headers={"Content-Type": CONTENT_TYPES[fmt]})
        if response.status_code == 422:
            errors = response.json().get("errors")
            raise _Rejected(errors if isinstance(errors, list) else [
                {"row": None, "field": None, "message": client.describe(response)}])
        if response.status_code == 413:
            raise BodyTooLarge()
        answer: dict[str, int] = client.json(response, 200)
        return answer

    return send, client.close


def store_sink(store: Store, max_string: int) -> Sink:
    """Batches parsed here, as the server would parse them, and stored into `store`."""

    def send(kind: str, batch: Batch) -> dict[str, int]:
        try:
            if kind == "cdrs":
                table = (cdrs_from_table(batch.table, max_string) if batch.table is not None
                         else parse_cdrs(*batch.payload(), 1 << 62, max_string))
                return store.insert_cdrs(table).as_dict()
            snapshots = parse_snapshots(*batch.payload(), 1 << 62, max_string)
            store.replace_snapshots(snapshots)
            return {"snapshots": len(snapshots.snapshots), "calls": snapshots.calls.num_rows}
        except BatchRejected as exc:
            raise _Rejected([e.as_dict() for e in exc.errors]) from None

    return send


def local_sink(settings: Settings) -> tuple[Sink, Callable[[], None]]:
    """Straight into the configured store, taking turns with other writers of it."""
    writer_lock = _MetadataWriterLock(settings)
    store = settings.open_store(writer_lock=writer_lock)

    def close() -> None:
        store.close()
        writer_lock.close()

    return store_sink(store, settings.max_string_length), close


class _MetadataWriterLock:
    """The metadata store's writer lock, opened on first use: only stores that other
    processes write too ask for it (ClickHouse; a DuckDB file has one writer)."""

    def __init__(self, settings: Settings):
        self._settings = settings
        self._metadata: MetadataStore | None = None

    def __call__(self, name: str) -> AbstractContextManager[object]:
        if self._metadata is None:
            self._settings.data_dir.mkdir(parents=True, exist_ok=True)
            self._metadata = MetadataStore(self._settings.metadata_database_url())
        return self._metadata.writer_lock(name)

    def close(self) -> None:
        if self._metadata is not None:
            self._metadata.close()


class _Rejected(Exception):
    def __init__(self, errors: list[dict[str, object]]):
        self.errors = errors


def batches_for(kind: str, path: Path, rows_per_batch: int) -> Iterator[Batch]:
    if kind == "active-calls":
        return iter_snapshot_batches(path, rows_per_batch)
    return iter_batches(path, rows_per_batch)


def run(kind: str, paths: list[Path], sink: Sink, rows_per_batch: int,
        console: Console, where: str = "") -> Totals:
    """Every file's batches into `sink`, a progress bar per file once its first batch is
    stored; a failure raises IngestFailed or IngestError saying what was stored before."""
    totals = Totals()
    started = time.perf_counter()
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
               TransferSpeedColumn(), TextColumn("{task.fields[rows]:,} rows"),
               TimeElapsedColumn())
    stored = Stored()
    # Shown from the first stored batch on: a file refused at once leaves no empty bar.
    progress = Progress(*columns, console=console, transient=False)
    try:
        for path in paths:
            task = None
            stored.batches = stored.rows = 0
            batches = batches_for(kind, path, rows_per_batch)
            while (batch := _next_batch(path, batches, stored)) is not None:
                try:
                    answer = sink(kind, batch)
                except _Rejected as exc:
                    raise IngestFailed(path, batch, exc.errors, stored) from None
                except BodyTooLarge:
                    raise IngestFailed(path, batch, [{
                        "row": None, "field": None,
                        "message": "the batch is over the size limit (CALLSTATS_MAX_BODY): "
                        "give a smaller --batch-rows"}], stored) from None
                except ServerError as exc:
                    raise IngestError(f"{exc}. {stored_before(path, stored)}") from None
                totals.add(answer)
                stored.batches += 1
                stored.rows += answer.get("received", answer.get("calls", 0))
                if task is None:
                    progress.start()
                    task = progress.add_task(path.name, total=path.stat().st_size, rows=0)
                progress.update(task, completed=batch.bytes_read, rows=stored.rows)
            if task is not None:
                progress.update(task, completed=path.stat().st_size)
            totals.files += 1
            stored.files += 1
    finally:
        if progress.live.is_started:
            progress.stop()
    _summary(kind, totals, time.perf_counter() - started, console, where)
    return totals


def stored_before(path: Path, stored: Stored) -> str:
    """What a run had stored when it stopped at `path`, in words."""
    parts = []
    if stored.files:
        parts.append(f"{stored.files} earlier file{'s' if stored.files > 1 else ''}")
    if stored.batches:
        batches = "batch" if stored.batches == 1 else "batches"
        parts.append(f"{stored.batches} {batches} ({stored.rows:,} rows) of {path.name}")
    if not parts:
        return "Nothing was stored."
    return f"Stored before: {' and '.join(parts)}."


def _next_batch(path: Path, batches: Iterator[Batch], stored: Stored) -> Batch | None:
    """The file's next batch; a file found broken while reading it (bad gzip data) is
    rejected as the server rejects such a body."""
    try:
        return next(batches, None)
    except BatchRejected as exc:
        raise IngestFailed(path, None, [e.as_dict() for e in exc.errors], stored) from None
    except UnsupportedFile as exc:
        raise IngestError(f"{exc}. {stored_before(path, stored)}") from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise IngestError(f"{path}: cannot read it ({reason}). "
                          f"{stored_before(path, stored)}") from None


def _summary(kind: str, totals: Totals, seconds: float, console: Console,
             where: str) -> None:
    if where:  # a path: one line, never wrapped inside a table title
        console.print(f"ingest {kind} into {where}", soft_wrap=True, highlight=False,
                      markup=False)
    table = Table(title=None if where else f"ingest {kind}", show_header=False)
    rows = totals.received if kind == "cdrs" else totals.calls
    items = [("files", totals.files), ("batches", totals.batches)]
    if kind == "cdrs":
        items += [("received", totals.received), ("inserted", totals.inserted),
                  ("duplicates", totals.duplicates)]
    else:
        items += [("snapshots", totals.snapshots), ("calls", totals.calls)]
    for name, value in items:
        table.add_row(name, f"{value:,}")
    table.add_row("seconds", f"{seconds:.2f}")
    table.add_row("rows/s", f"{rows / seconds:,.0f}" if seconds > 0 else "-")
    console.print(table)


def describe_failure(exc: IngestFailed) -> str:
    first_row = exc.batch.first_row if exc.batch is not None else 1
    if exc.batch is None:
        what = f"{exc.path}: the file cannot be read"
    else:
        number = exc.stored.batches + 1
        what = f"{exc.path}: batch {number} (from row {first_row:,}) rejected"
    if exc.stored.batches:
        what += f"; nothing of that batch was stored. {stored_before(exc.path, exc.stored)}"
    elif exc.stored.files:
        what += f"; nothing of this file was stored. {stored_before(exc.path, exc.stored)}"
    else:
        what += "; nothing was stored."
    lines = [what]
    for error in exc.errors[:20]:
        row = error.get("row")
        row = row if isinstance(row, int) else 0
        absolute = first_row - 1 + row if row else 0
        where = f"row {absolute}" if absolute else "file"
        field = f" {error['field']}" if error.get("field") else ""
        lines.append(f"  {where}{field}: {error.get('message')}")
    if len(exc.errors) > 20:
        lines.append(f"  … and {len(exc.errors) - 20} more")
    lines.append("Fix the file and run the same command again: rows already stored count "
                 "as duplicates, not twice.")
    return "\n".join(lines)


def dumps(value: object) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
