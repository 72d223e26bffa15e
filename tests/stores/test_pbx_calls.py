"""The PBX rollups of the DuckDB store: every /calls/stats/ answer read from the per-call
rollup (stores/pbx_calls.py) and every /cdr/stats/ answer read from the hourly sums
(stores/pbx_hours.py) equals the raw rows' answer, whatever the calls (CDRs of one call in
several batches and compactions, some still in the tail, calls straddling a range edge or
an hour, mixing accounts or extensions, CDRs without local_tag) and whatever the
request."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from callstats.ingest.batches import cdrs_from_table
from callstats.queries import PbxQuery
from callstats.stores import pbx_calls
from callstats.stores.duckdb_store import DuckDBStore
from callstats.stores.pbx_calls import answers
from tests.support.times import SECOND

BASE = 1_711_843_200 * SECOND  # on an hour
HOUR = 3600 * SECOND
CODES = (None, 0, 200, 486, 487, 503, 480, 603, 607, 600, 408)
CLIENTS = (1, 2)
ACCOUNTS = (11, 12, 21)
EXTENSIONS = (5, 6, 7)
TYPES = {"id": pa.int64(), "time_start": pa.timestamp("us", "UTC"), "duration": pa.int64(),
         "customer_id": pa.int64(), "vendor_id": pa.int64(), "customer_acc_id": pa.int64(),
         "vendor_acc_id": pa.int64(), "is_last_cdr": pa.bool_(), "local_tag": pa.string(),
         "extension_id": pa.int64(), "bridged": pa.bool_(), "bridged_duration": pa.int64(),
         "lega_disconnect_code": pa.int64(), "legb_disconnect_code": pa.int64(),
         "internal_disconnect_code": pa.int64()}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBStore]:
    opened = DuckDBStore(tmp_path_factory.mktemp("pbx_calls") / "cdr.duckdb")
    yield opened
    opened.close()


EXAMPLES = itertools.count()


@st.composite
def cdrs(draw: st.DrawFn, tags: list[str]) -> dict[str, object]:
    answered = draw(st.integers(0, 3)) == 0
    return {
        "time_start": BASE + draw(st.sampled_from([0, 0, 0, -1, 1, 2])) * HOUR
        + draw(st.integers(0, 20)) * 10 * SECOND + draw(st.sampled_from([0, 0, 1, 7])),
        "duration": draw(st.integers(1, 900)) if answered else 0,
        "customer_id": draw(st.sampled_from([*CLIENTS, None])),
        "vendor_id": draw(st.sampled_from([*CLIENTS, None])),
        "customer_acc_id": draw(st.sampled_from([*ACCOUNTS, ACCOUNTS[0], None])),
        "vendor_acc_id": draw(st.sampled_from([*ACCOUNTS, ACCOUNTS[0], None])),
        "is_last_cdr": draw(st.booleans()),
        "local_tag": draw(st.sampled_from([*tags, *tags, "", None])),
        "extension_id": draw(st.sampled_from([*EXTENSIONS, EXTENSIONS[0], None])),
        "bridged": draw(st.sampled_from([None, True, False])),
        "bridged_duration": draw(st.one_of(st.none(), st.integers(0, 500))),
        "lega_disconnect_code": draw(st.sampled_from(CODES)),
        "legb_disconnect_code": draw(st.sampled_from(CODES)),
        "internal_disconnect_code": draw(st.sampled_from(CODES)),
    }


def _table(rows: list[dict[str, object]]) -> pa.Table:
    return cdrs_from_table(pa.table({name: pa.array([r[name] for r in rows], kind)
                                     for name, kind in TYPES.items()}))


def _answer(store: DuckDBStore, query: PbxQuery, use: bool) -> dict[str, int]:
    """Through the rollup (even where the store would not take it), else raw rows."""
    if use:
        return store.pbx_calls_from_rollup(query)
    store.rollups = use
    try:
        return store.pbx_counts(query)
    finally:
        store.rollups = True


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_rollup_answers_equal_raw_answers(store: DuckDBStore, data: st.DataObject) -> None:
    n = next(EXAMPLES)
    tags = [f"t{n}-{i}" for i in range(data.draw(st.integers(1, 6)))]
    rows = data.draw(st.lists(cdrs(tags), min_size=1, max_size=30))
    first_id = 10**9 + n * 10**4
    ids = data.draw(st.lists(st.integers(0, len(rows) + 3), min_size=len(rows),
                             max_size=len(rows)))
    for row, cdr_id in zip(rows, ids, strict=True):
        row["id"] = first_id + cdr_id  # repeats: the first stored wins
    cuts = sorted(data.draw(st.lists(st.integers(0, len(rows)), min_size=1, max_size=3)))
    for low, high in itertools.pairwise([0, *cuts, len(rows)]):
        if low < high:
            again = data.draw(st.integers(0, low)) if low else low
            store.insert_cdrs(_table(rows[again:high]))
        if data.draw(st.integers(0, 2)) == 0:  # a call's CDRs in several compactions
            store.compact()
    # The rows of every earlier example stay: clients and accounts repeat across examples,
    # so each request also sees other examples' calls (compacted and merged long ago).
    times = sorted({int(r["time_start"]) for r in rows})  # type: ignore[call-overload]
    edges = st.one_of(
        st.sampled_from(times).flatmap(lambda t: st.sampled_from([t - 1, t, t + 1])),
        st.integers(-1, 3).flatmap(lambda h: st.sampled_from(
            [BASE + h * HOUR - 1, BASE + h * HOUR, BASE + h * HOUR + 1])),
        st.integers(BASE - HOUR - 10 * SECOND, BASE + 2 * HOUR + 220 * SECOND))
    for _ in range(6):
        low, high = sorted((data.draw(edges), data.draw(edges)))
        if data.draw(st.integers(0, 3)) == 0:
            low, high = BASE - 2 * HOUR, BASE + 4 * HOUR  # every CDR inside
        per_cdr = PbxQuery(
            data.draw(st.sampled_from(CLIENTS)), data.draw(st.sampled_from(["in", "out"])),
            low, high,
            tuple(data.draw(st.lists(st.sampled_from(ACCOUNTS), max_size=2, unique=True))))
        event(f"whole hours: {-(-low // HOUR) < high // HOUR}")
        assert store.pbx_cdrs_from_rollup(per_cdr) == _answer(store, per_cdr, False)
        assert store.pbx_counts(per_cdr) == _answer(store, per_cdr, False)
        query = PbxQuery(
            data.draw(st.sampled_from(CLIENTS)), data.draw(st.sampled_from(["in", "out"])),
            low, high,
            tuple(data.draw(st.lists(st.sampled_from(ACCOUNTS), max_size=2, unique=True))),
            data.draw(st.one_of(st.none(), st.lists(st.sampled_from(EXTENSIONS), max_size=2,
                                                     unique=True).map(tuple))),
            per_call=True)
        event(f"tail rows: {store.unclustered_rows() > 0}")
        assert store.pbx_counts(query) == _answer(store, query, False)
        assert _answer(store, query, True) == _answer(store, query, False)


def test_the_rollup_path_is_taken_per_call_without_an_extension_filter() -> None:
    month = (BASE, BASE + 30 * 86_400 * SECOND)
    assert answers(PbxQuery(1, "out", *month, per_call=True))
    assert answers(PbxQuery(1, "in", *month, account_ids=(11,), per_call=True))
    assert not answers(PbxQuery(1, "out", *month, extension_ids=(5,), per_call=True))
    assert not answers(PbxQuery(1, "out", *month))


def test_a_call_split_across_compactions_is_one_row(tmp_path: Path) -> None:
    """Compaction merges a call's new CDRs into its row: one row per call, its facts those
    of all its compacted CDRs."""
    store = DuckDBStore(tmp_path / "cdr.duckdb")
    try:
        row = {name: None for name in TYPES} | {
            "duration": 0, "customer_id": 1, "customer_acc_id": 11, "is_last_cdr": False,
            "local_tag": "a", "legb_disconnect_code": 486}
        store.insert_cdrs(_table([{**row, "id": 1, "time_start": BASE}]))
        store.compact()
        store.insert_cdrs(_table([{**row, "id": 2, "time_start": BASE + SECOND,
                                   "duration": 5, "customer_acc_id": 12}]))
        query = PbxQuery(1, "out", BASE, BASE + 10 * SECOND, per_call=True)
        assert _answer(store, query, True) == _answer(store, query, False)  # one in the tail
        store.compact()
        [(calls, cdrs, accounts_low, accounts_high, seconds, answered)] = store.cursor().execute(
            f"SELECT count(*), sum(cdrs), min(account_low), max(account_high), sum(seconds), "
            f"bool_or(answered) FROM {pbx_calls.TABLE} WHERE direction = 0").fetchall()
        assert (calls, cdrs, accounts_low, accounts_high, seconds, answered) == (
            1, 2, 11, 12, 5, True)
        assert store.pbx_counts(query)["answered"] == 1
        assert _answer(store, query, True) == _answer(store, query, False)
    finally:
        store.close()
