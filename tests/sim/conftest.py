"""Shared traffic for the simulator tests: generated once per session, never mocked."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pyarrow as pa
import pytest

from callstats.sim import IdSequence, TrafficModel, demo_world, history_tables
from tests.support.sim import DAY, NOW


@pytest.fixture(scope="session")
def model() -> TrafficModel:
    return TrafficModel(demo_world())


@pytest.fixture(scope="session")
def week_tables(model: TrafficModel) -> list[pa.Table]:
    """Seven days of history ending at NOW, ids from 1000."""
    return list(history_tables(model, 11, NOW - 7 * DAY, NOW, IdSequence(1000)))


@pytest.fixture(scope="session")
def week(week_tables: list[pa.Table]) -> Iterator[duckdb.DuckDBPyConnection]:
    """The week as table `cdrs` of an in-memory DuckDB, to query its statistics."""
    con = duckdb.connect()
    con.register("cdrs", pa.concat_tables(week_tables))
    yield con
    con.close()
