"""The housekeeping thread at shutdown: a compaction under way is interrupted, not waited
for (it can take a minute), and loses nothing: its rows stay where they were and the next
start moves them."""

from __future__ import annotations

import time
from pathlib import Path

from callstats.http.maintenance import Maintenance
from callstats.stores.duckdb_store import DuckDBStore
from tests.support.cdr_volume import SECOND, cdr_table

ROWS = 1_000_000  # what the store's housekeeping waits for before it compacts


def wait_until_compacting(store: DuckDBStore) -> None:
    deadline = time.monotonic() + 60
    while store._compacting is None:
        assert time.monotonic() < deadline, "the housekeeping thread never began compacting"
        time.sleep(0.002)


def test_stopping_interrupts_a_compaction_under_way_and_loses_nothing(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "cdr.duckdb")
    store.insert_cdrs(cdr_table(ROWS, 1, 7, 1_735_000_000 * SECOND, 86_400 * SECOND))
    maintenance = Maintenance(store, interval=0.01).start()
    wait_until_compacting(store)
    maintenance.stop()
    # Stopped before the compaction could commit: every row is still waiting for it.
    assert store.unclustered_rows() == ROWS
    assert store.count_cdrs() == ROWS
    store.close()
    reopened = DuckDBStore(tmp_path / "cdr.duckdb")
    assert reopened.compact() == ROWS
    assert reopened.count_cdrs() == ROWS
    [(distinct,)] = reopened.cursor().execute("SELECT count(DISTINCT id) FROM cdrs").fetchall()
    assert distinct == ROWS
    reopened.close()


def test_an_interrupt_reaches_only_the_run_under_way(tmp_path: Path) -> None:
    """A store used again after a shutdown's interrupt (an app's lifespan ended, another
    begins over the same store) compacts as before."""
    store = DuckDBStore(tmp_path / "cdr.duckdb")
    store.insert_cdrs(cdr_table(1_000, 1, 7, 1_735_000_000 * SECOND, 86_400 * SECOND))
    store.interrupt_maintenance()
    assert store.compact() == 1_000
    assert store.unclustered_rows() == 0
    store.close()
