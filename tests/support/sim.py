"""Constants and small helpers of the simulator tests."""

from __future__ import annotations

import duckdb

# Thursday 2025-10-09 08:53:20 UTC: a weekday morning in Europe.
NOW = 1_760_000_000.0
DAY = 86400.0
MAX_BODY = 64 * 1024 * 1024


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()
