"""Locks that order writers across processes, held through the metadata database.

A store that several processes write (ClickHouse) checks a batch's ids against the
stored ones and then inserts the new rows; two writers doing that at once for the same
ids would both insert them. The metadata database is the one thing every process of a
deployment shares, so the check-and-insert is sequenced through it:

- PostgreSQL: a transaction-scoped advisory lock, held on one connection for as long as
  the batch is written. Released at commit or rollback, and by the server when the
  connection dies, so a crashed writer never leaves it taken.
- SQLite (processes on one host): an exclusive `flock` on a file beside the database,
  released when the process holding it exits, however it exits.
"""

from __future__ import annotations

import fcntl
import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

WriterLock = Callable[[str], AbstractContextManager[object]]  # see stores.base.WriterLock
LOCK_TIMEOUT_SECONDS = 120  # a writer waits this long, then its batch fails (503)


class LockTimeout(Exception):
    """The writer lock stayed taken for LOCK_TIMEOUT_SECONDS."""


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a lock name."""
    digest = hashlib.blake2b(f"callstats:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def advisory_lock(engine: Engine) -> WriterLock:
    @contextmanager
    def hold(name: str) -> Iterator[object]:
        with engine.begin() as conn:
            try:  # one round trip: the wait's limit, then the lock
                conn.execute(sa.text("SELECT set_config('lock_timeout', :limit, true), "
                                     "pg_advisory_xact_lock(:key)"),
                             {"limit": f"{LOCK_TIMEOUT_SECONDS}s", "key": lock_key(name)})
            except sa.exc.OperationalError as error:
                if "lock timeout" in str(error.orig).lower():
                    raise LockTimeout(f"writer lock {name!r} still taken after "
                                      f"{LOCK_TIMEOUT_SECONDS} s") from None
                raise
            yield conn

    return hold


def file_lock(directory: Path | None, stem: str) -> WriterLock:
    """`flock` on `<stem>.<name>.lock` in `directory` (None: one process only, a thread
    lock is enough: an in-memory database has no other process)."""
    threads: dict[str, threading.Lock] = {}
    guard = threading.Lock()

    @contextmanager
    def hold(name: str) -> Iterator[object]:
        with guard:
            in_process = threads.setdefault(name, threading.Lock())
        with in_process:  # flock does not exclude threads sharing one process's file
            if directory is None:
                yield None
                return
            safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
            with (directory / f"{stem}.{safe}.lock").open("a+b") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield handle
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)

    return hold


def writer_lock_for(engine: Engine) -> WriterLock:
    if engine.dialect.name == "postgresql":
        return advisory_lock(engine)
    database = engine.url.database
    if not database or database == ":memory:":
        return file_lock(None, "")
    path = Path(database).resolve()
    return file_lock(path.parent, path.name)
