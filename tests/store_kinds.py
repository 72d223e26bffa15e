"""The stores every store-dependent suite runs on, and fresh store URLs of each kind."""

from __future__ import annotations

import os
from pathlib import Path

# A ClickHouse server to run the store suites on as well (clickhouse://user:pass@host:8123).
CLICKHOUSE_URL = os.environ.get("CALLSTATS_TEST_CLICKHOUSE_URL", "")
# Every store suite runs on each: the embedded DuckDB store, the ClickHouse store on the
# engine in-process (chdb), and on a server when one is given.
STORE_KINDS = ("duckdb", "chdb", *(("clickhouse",) if CLICKHOUSE_URL else ()))


class StoreUrls:
    """Fresh store URLs of one kind. chdb runs one data directory per process, so every
    chdb store of the session is a database of its own in one directory."""

    _made = 0

    def __init__(self, kind: str, chdb_dir: Path):
        self.kind, self._chdb_dir = kind, chdb_dir

    def __call__(self, data_dir: Path) -> str:
        StoreUrls._made += 1
        database = f"t{os.getpid()}_{StoreUrls._made}"
        if self.kind == "chdb":
            return f"chdb://{self._chdb_dir}?database={database}"
        if self.kind == "clickhouse":
            return f"{CLICKHOUSE_URL.rstrip('/')}/{database}"
        return f"duckdb://{data_dir / 'cdr.duckdb'}"
