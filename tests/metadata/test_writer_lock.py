"""The metadata store's writer lock: one holder of a name at a time, across threads and
processes, on SQLite (a file lock beside the database) and PostgreSQL (advisory lock);
released when its holder dies."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from callstats.metadata.locks import lock_key
from callstats.metadata.store import MetadataStore

HOLD = """
import sys, time
from callstats.metadata.store import MetadataStore
store = MetadataStore(sys.argv[1])
with store.writer_lock(sys.argv[2]):
    print("held", flush=True)
    time.sleep(float(sys.argv[3]))
"""


def holder(metadata_url: str, name: str, seconds: float) -> subprocess.Popen[bytes]:
    """Another process holding the lock `name` for `seconds` (once it printed "held")."""
    process = subprocess.Popen([sys.executable, "-c", HOLD, metadata_url, name, str(seconds)],
                               stdout=subprocess.PIPE)
    assert process.stdout is not None and process.stdout.readline() == b"held\n"
    return process


def time_to_take(metadata: MetadataStore, name: str) -> float:
    started = time.monotonic()
    with metadata.writer_lock(name):
        return time.monotonic() - started


def test_another_process_waits_for_the_holder(metadata_url: str,
                                             metadata: MetadataStore) -> None:
    process = holder(metadata_url, "cdrs", 1.5)
    try:
        assert time_to_take(metadata, "cdrs") > 0.8
        assert time_to_take(metadata, "other-name") < 0.5  # names do not share a lock
    finally:
        process.wait(timeout=30)


def test_a_killed_holder_releases_the_lock(metadata_url: str, metadata: MetadataStore) -> None:
    process = holder(metadata_url, "cdrs", 600)
    process.kill()
    process.wait(timeout=30)
    assert time_to_take(metadata, "cdrs") < 5


def test_threads_of_one_process_take_turns(metadata: MetadataStore) -> None:
    inside: list[int] = []
    overlaps: list[int] = []

    def work(n: int) -> None:
        for _ in range(5):
            with metadata.writer_lock("cdrs"):
                inside.append(n)
                if len(inside) > 1:
                    overlaps.append(n)
                time.sleep(0.005)
                inside.remove(n)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == []


def test_a_failing_holder_releases_the_lock(metadata: MetadataStore) -> None:
    with pytest.raises(RuntimeError), metadata.writer_lock("cdrs"):
        raise RuntimeError("the insert failed")
    assert time_to_take(metadata, "cdrs") < 0.5


def test_lock_keys_are_stable_and_distinct() -> None:
    assert lock_key("clickhouse-cdrs:callstats") == lock_key("clickhouse-cdrs:callstats")
    assert lock_key("clickhouse-cdrs:a") != lock_key("clickhouse-cdrs:b")
    assert -(2**63) <= lock_key("x") < 2**63
