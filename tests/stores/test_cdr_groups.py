"""A group of batches (group commit, `insert_cdr_groups`) stores what the same batches
stored one after another would, on every store: the same answers per batch, the same rows,
the same minute rollup — with ids repeating within a batch, between the group's batches
and against rows stored before."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callstats.ingest.batches import Format, parse_cdrs
from callstats.stores.base import InsertResult, Store, open_store
from callstats.stores.duckdb_store import DuckDBStore
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


# --- DuckDB: the id check a batch above every stored id skips --------------------------

_steps = st.lists(st.tuples(
    st.sampled_from(["batch", "pieces", "group", "failing", "compact", "reopen"]),
    st.lists(st.lists(st.integers(1, 40), max_size=5), min_size=1, max_size=3)),
    min_size=1, max_size=8)


def _model_insert(seen: set[int], ids: list[int]) -> InsertResult:
    """What storing a batch of `ids` answers, by the rule alone: the first row of an id
    not seen before is added."""
    added = [i for i in dict.fromkeys(ids) if i not in seen]
    seen.update(added)
    return InsertResult(len(ids), len(added), len(ids) - len(added))


def _ids_batch(ids: list[int]) -> pa.Table:
    return _cdrs([{"id": i} for i in ids])


def _failing_pieces(pieces: list[pa.Table]) -> Iterator[pa.Table]:
    yield from pieces
    raise RuntimeError("the body's next piece failed to parse")


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(steps=_steps)
def test_duckdb_answers_by_the_id_rule_whether_or_not_it_checks(
        tmp_path_factory: pytest.TempPathFactory,
        steps: list[tuple[str, list[list[int]]]]) -> None:
    """Batches, pieces of one batch, groups, a batch rolled back, compaction and a reopened
    file, with ids rising (the skipped check) or repeating (the check): every answer and
    the stored ids are those of the rule, each id stored once."""
    path = tmp_path_factory.mktemp("ids") / "cdr.duckdb"
    store = DuckDBStore(path)
    seen: set[int] = set()
    try:
        for kind, batches in steps:
            if kind == "batch":
                assert store.insert_cdrs(_ids_batch(batches[0])) == _model_insert(seen, batches[0])
            elif kind == "pieces":
                whole = [i for ids in batches for i in ids]
                assert (store.insert_cdr_chunks(_ids_batch(ids) for ids in batches)
                        == _model_insert(seen, whole))
            elif kind == "group":
                assert (store.insert_cdr_groups([_ids_batch(ids) for ids in batches])
                        == [_model_insert(seen, ids) for ids in batches])
            elif kind == "failing":
                with pytest.raises(RuntimeError):
                    store.insert_cdr_chunks(_failing_pieces([_ids_batch(i) for i in batches]))
            elif kind == "compact":
                store.compact()
            else:
                store.close()
                store = DuckDBStore(path)
        stored = [r[0] for r in store.cursor().execute(
            "SELECT id FROM cdr_rows ORDER BY id").fetchall()]
        assert stored == sorted(seen)
    finally:
        store.close()


def test_a_repeat_in_a_later_piece_above_every_stored_id_is_a_duplicate(
        tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "cdr.duckdb")
    try:
        store.insert_cdrs(_ids_batch([1, 2]))
        pieces = [_ids_batch([10, 11]), _ids_batch([11, 12])]  # 11 is the first piece's
        assert store.insert_cdr_chunks(iter(pieces)) == InsertResult(4, 3, 1)
        assert store.insert_cdr_groups([_ids_batch([20]), _ids_batch([20, 21])]) == [
            InsertResult(1, 1, 0), InsertResult(2, 1, 1)]
    finally:
        store.close()


def test_ids_of_a_rolled_back_batch_are_new_afterwards(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "cdr.duckdb")
    try:
        store.insert_cdrs(_ids_batch([1]))
        with pytest.raises(RuntimeError):
            store.insert_cdr_chunks(_failing_pieces([_ids_batch([5, 6])]))
        assert store.insert_cdrs(_ids_batch([5, 6])) == InsertResult(2, 2, 0)
        assert store.insert_cdrs(_ids_batch([6, 7])) == InsertResult(2, 1, 1)
    finally:
        store.close()
