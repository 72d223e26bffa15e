"""CALLSTATS_DUCKDB_MEMORY_LIMIT reaches the DuckDB engine, and a bad value is refused at start."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from callstats.settings import Settings
from callstats.stores.duckdb_store import DuckDBStore


@pytest.mark.parametrize(("value", "engine_reports"), [
    ("1GiB", "1.0 GiB"), ("512MiB", "512.0 MiB"), ("256 MiB", "256.0 MiB"),
])
def test_memory_limit_reaches_the_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         value: str, engine_reports: str) -> None:
    monkeypatch.setenv("CALLSTATS_DUCKDB_MEMORY_LIMIT", value)
    store = Settings(data_dir=tmp_path).open_store()
    try:
        assert isinstance(store, DuckDBStore)
        row = store._db.execute("SELECT current_setting('memory_limit')").fetchone()
        assert row == (engine_reports,)
    finally:
        store.close()


@pytest.mark.parametrize("value", ["lots", "1 GB please", "-1GB", "80%", "1PB"])
def test_a_bad_memory_limit_is_a_settings_error(monkeypatch: pytest.MonkeyPatch,
                                                value: str) -> None:
    monkeypatch.setenv("CALLSTATS_DUCKDB_MEMORY_LIMIT", value)
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert "duckdb_memory_limit" in str(caught.value)
    assert "a size such as 512MB" in str(caught.value)
