"""A group of batches (group commit, `insert_cdr_groups`) stores what the same batches
stored one after another would, on every store: the same answers per batch, the same rows,
the same minute rollup — with ids repeating within a batch, between the group's batches
and against rows stored before."""

from __future__ import annotations

from pathlib import Path

import orjson
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callstats.ingest.batches import Format, parse_cdrs
from callstats.stores.base import Store, open_store
from tests.support.stores import STORE_KINDS, StoreUrls, minute_rollup, stored_cdrs

_drawn_cdr = st.fixed_dictionaries({
    "id": st.integers(1, 12),
    "duration": st.integers(0, 3).map(lambda d: d * 7),
    "customer_acc_id": st.sampled_from([1, 2, None]),
    "vendor_acc_id": st.sampled_from([5, None]),
    "customer_price": st.sampled_from(["0.5", "1.25", "0"]),
    "lega_disconnect_code": st.sampled_from([None, 200, 503]),
    "pdd": st.sampled_from([None, 1.5, 0.25]),
    "time_start": st.sampled_from(["2024-03-01 10:00:00", "2024-03-01 10:00:59",
                                   "2024-03-01 10:01:00"]),
})


def _cdrs(rows: list[dict[str, object]]) -> pa.Table:
    """The parsed batch of these rows; none: a batch of no rows (a body of no rows is
    refused before it gets to a store, a group's member may still have none)."""
    lines = [orjson.dumps({"time_start": "2024-03-01 10:00:00", "duration": 0, **row})
             for row in rows or [{"id": 0}]]
    table = parse_cdrs(b"\n".join(lines), Format.NDJSON, 1 << 20)
    return table if rows else table.slice(0, 0)


def _stored(store: Store) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    return stored_cdrs(store, 0, 100), minute_rollup(store)


@pytest.mark.parametrize("kind", STORE_KINDS)
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(stored=st.lists(_drawn_cdr, max_size=4),
       group=st.lists(st.lists(_drawn_cdr, max_size=5), min_size=1, max_size=4))
def test_a_group_stores_what_its_batches_one_after_another_would(
        kind: str, chdb_dir: Path, tmp_path_factory: pytest.TempPathFactory,
        stored: list[dict[str, object]], group: list[list[dict[str, object]]]) -> None:
    urls = StoreUrls(kind, chdb_dir)
    together = open_store(urls(tmp_path_factory.mktemp("together")))
    alone = open_store(urls(tmp_path_factory.mktemp("alone")))
    try:
        for opened in (together, alone):
            if stored:
                opened.insert_cdrs(_cdrs(stored))
        results = together.insert_cdr_groups([_cdrs(batch) for batch in group])  # type: ignore[attr-defined]
        assert results == [alone.insert_cdrs(_cdrs(batch)) for batch in group]
        assert _stored(together) == _stored(alone)
    finally:
        together.close()
        alone.close()
