"""A PostgreSQL cluster of a test's own, made from the machine's PostgreSQL binaries
(initdb, pg_ctl as the `postgres` OS user) in a temporary directory on a free port, so a
fault test can stop and start it; the machine's shared server is never touched."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.stores import free_port


def postgres_bin() -> Path | None:
    """The newest /usr/lib/postgresql/*/bin holding initdb and pg_ctl, if any."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(found[-1]).parent if found else None


def available() -> str | None:
    """None if a private cluster can be made here, else why not."""
    if postgres_bin() is None:
        return "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin"
    if shutil.which("runuser") is None or os.geteuid() != 0:
        return "a private cluster needs root (runuser to the postgres user)"
    try:
        subprocess.run(["id", "postgres"], check=True, capture_output=True)
    except subprocess.CalledProcessError:
        return "no postgres OS user"
    return None


class PrivatePostgres:
    def __init__(self, root: Path):
        self.bin = postgres_bin()
        assert self.bin is not None
        self.data = root / "pgdata"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._as_postgres([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                           "--auth=trust", "--no-sync", "-E", "UTF8"])

    def _as_postgres(self, command: list[str]) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True,
                       capture_output=True, timeout=120)

    def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off "
                   f"-c unix_socket_directories={self.data}")
        self._as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options,
                           "-l", str(self.data / "server.log"), "-w", "-t", "60", "start"])

    def stop(self) -> None:
        self._as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast",
                           "-w", "-t", "60", "stop"])


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A started private cluster, stopped and removed at the end."""
    root = Path(tempfile.mkdtemp(prefix="callstats-pg-"))
    shutil.chown(root, "postgres")
    cluster = PrivatePostgres(root)
    cluster.start()
    try:
        yield cluster
    finally:
        try:
            cluster.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(root, ignore_errors=True)
