"""Locks that order writers across processes, held through the metadata database.

A store that several processes write (ClickHouse) checks a batch's ids against the
stored ones and then inserts the new rows; two writers doing that at once for the same
ids would both insert them. The metadata database is the one thing every process of a
deployment shares, so the check-and-insert is sequenced through it:

- PostgreSQL: a session advisory lock, held for as long as the batch is written, on a
  connection the process keeps for it. Released after the batch, and by the server when
  the connection dies, so a crashed writer never leaves it taken.
- SQLite (processes on one host): an exclusive `flock` on a file beside the database,
  released when the process holding it exits, however it exits.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

LOCK_TIMEOUT_SECONDS = 120  # a writer waits this long, then its batch fails (503)


class LockTimeout(Exception):
    """The writer lock stayed taken for LOCK_TIMEOUT_SECONDS."""


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a lock name."""
    digest = hashlib.blake2b(f"callstats:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class AdvisoryLock:
    """Session advisory locks on one connection of this process's own, kept open in
    autocommit: two round trips a batch (lock, unlock). The store orders its own threads
    first, so one connection serves the process; a connection found broken is replaced
    (its session, and any lock it held, ended with it)."""

    def __init__(self, engine: Engine):
        self._engine = engine
        self._guard = threading.Lock()
        self._held: Connection | None = None

    @contextmanager
    def __call__(self, name: str) -> Iterator[object]:
        key = lock_key(name)
        with self._guard:
            self._run("SELECT pg_advisory_lock(:key)", key)
            try:
                yield None
            finally:
                try:
                    self._run("SELECT pg_advisory_unlock(:key)", key)
                except sa.exc.SQLAlchemyError:
                    self._discard()  # the session is gone, and the lock with it

    def close(self) -> None:
        with self._guard:
            if self._held is not None:
                self._held.close()
                self._held = None

    def _connection(self) -> Connection:
        if self._held is None:
            conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            conn.execute(sa.text(f"SET lock_timeout = '{LOCK_TIMEOUT_SECONDS}s'"))
            self._held = conn
        return self._held

    def _discard(self) -> None:
        if self._held is not None:
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                self._held.invalidate()
            self._held = None

    def _run(self, statement: str, key: int) -> None:
        try:
            self._connection().execute(sa.text(statement), {"key": key})
        except sa.exc.DBAPIError as error:
            self._discard()
            if "lock timeout" in str(error.orig).lower():
                raise LockTimeout(f"writer lock still taken after {LOCK_TIMEOUT_SECONDS} s"
                                  ) from None
            if not error.connection_invalidated:
                raise
            self._connection().execute(sa.text(statement), {"key": key})  # once, anew


class FileLock:
    """`flock` on `<stem>.<name>.lock` in `directory` (None: one process only, a thread
    lock is enough: an in-memory database has no other process)."""

    def __init__(self, directory: Path | None, stem: str):
        self._directory, self._stem = directory, stem
        self._threads: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @contextmanager
    def __call__(self, name: str) -> Iterator[object]:
        with self._guard:
            in_process = self._threads.setdefault(name, threading.Lock())
        with in_process:  # flock does not exclude threads sharing one process's file
            if self._directory is None:
                yield None
                return
            safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
            with (self._directory / f"{self._stem}.{safe}.lock").open("a+b") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield handle
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)

    def close(self) -> None:
        pass


def writer_lock_for(engine: Engine) -> AdvisoryLock | FileLock:
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine)
    database = engine.url.database
    if not database or database == ":memory:":
        return FileLock(None, "")
    path = Path(database).resolve()
    return FileLock(path.parent, path.name)
