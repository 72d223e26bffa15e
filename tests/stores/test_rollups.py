"""The minute rollup (stores/rollups.py): when a query may read it, and that every answer
read from it equals the raw rows' answer, on each store, whatever the data, the batches
(repeats and duplicates included), the compactions between them and the request."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from callstats.ingest.batches import cdrs_from_table
from callstats.queries import (
    ORIGINATION,
    TERMINATION,
    Buckets,
    Filter,
    Offsets,
    Op,
    QualityQuery,
    Side,
    TrafficQuery,
)
from callstats.reports.buckets import STEP_SECONDS, buckets_for, offsets_between
from callstats.stores import rollups
from callstats.stores.base import Store, StoreError, open_store
from callstats.stores.clickhouse_store import ClickHouseStore, minute_rollup_ddl
from callstats.stores.duckdb_store import _naive_utc
from callstats.stores.report_sql import micros
from callstats.stores.rollups import MINUTE_US, RollupPlan, plan
from callstats.stores.sql import DUCKDB
from tests.support.stores import StoreUrls
from tests.support.times import SECOND

M = MINUTE_US
# 2024-03-31 00:00 UTC: Europe's clocks go forward at 01:00 UTC, Lord Howe's by half an hour
# a week later; the drawn CDRs and requests lie within a few hours of it (or of 1969).
BASES = (1_711_843_200 * SECOND, -3 * 3600 * SECOND)
ZONES = (None, "UTC", "Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe",
         "Asia/Kathmandu", "America/St_Johns")
CODES = (None, 0, 200, 486, 487, 503, 404, 480, 603, 500)


# --- the decision, a pure function ---------------------------------------------------------

@pytest.mark.parametrize(("args", "expected"), [
    # whole minutes: the rollup alone
    ((0, 2 * M - 1, M), RollupPlan(0, 1)),
    # a ragged start and end: those minutes cut
    ((5, 3 * M + 7, M), RollupPlan(0, 3, 5, 3 * M + 7)),
    ((5, M + 3, M), RollupPlan(0, 1, 5, M + 3)),
    ((M, M, M), RollupPlan(1, 1, None, M)),
    # negative times floor, not truncate
    ((-M - 1, -1, 3600 * SECOND), RollupPlan(-2, -1, -M - 1, None)),
    # inside one minute, cut at both ends: raw rows only
    ((5, 7, M), None),
    # a bucket that splits a minute
    ((0, 10 * M - 1, 30 * SECOND), None),
])
def test_plan_of_ranges(args: tuple[int, int, int], expected: RollupPlan | None) -> None:
    assert plan(*args) == expected


@pytest.mark.parametrize(("kwargs", "usable"), [
    ({}, True),
    ({"offsets": Offsets((0,), (19_800,))}, True),  # +05:30
    ({"offsets": Offsets((0,), (20_700,))}, True),  # +05:45
    ({"offsets": Offsets((0,), (-12_600,))}, True),  # -03:30
    ({"offsets": Offsets((0,), (1_800,))}, True),
    ({"offsets": Offsets((0,), (4_200 + 30,))}, False),  # an offset of seconds (LMT)
    ({"offsets": Offsets((0, 5 * M), (3600, 7200))}, True),  # a change on a minute
    ({"offsets": Offsets((0, 5 * M + 1), (3600, 7200))}, False),  # ...inside one
    ({"offsets": Offsets((7, 5 * M), (3600, 7200))}, True),  # starts[0] is the range's
    ({"filters": (Filter("dst_prefix_routing", Op.STARTS_WITH, "44"),)}, False),
    ({"percentiles": (50,)}, False),
    ({"trusted_from_us": 0}, True),
    ({"trusted_from_us": 1}, False),  # the range starts where retention may have cut
])
def test_plan_of_zones_filters_and_retention(kwargs: dict[str, object], usable: bool) -> None:
    found = plan(0, 60 * M - 1, 3600 * SECOND, **kwargs)  # type: ignore[arg-type]
    assert (found is not None) is usable


def test_every_sampling_is_whole_minutes() -> None:
    assert all(seconds * SECOND % M == 0 for seconds in STEP_SECONDS.values())


# --- answers: the rollup's equal the raw rows', on both stores -----------------------------

@pytest.fixture(scope="module", params=("duckdb", "chdb"))
def store(request: pytest.FixtureRequest, chdb_dir: Path,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    url = StoreUrls(request.param, chdb_dir)(tmp_path_factory.mktemp("rollups"))
    opened = open_store(url)
    yield opened
    opened.close()


EXAMPLES = itertools.count()


def mostly_near(anywhere: st.SearchStrategy[int]) -> st.SearchStrategy[int]:
    """One of three minutes three times in four (CDRs sharing a minute), else anywhere."""
    return st.tuples(st.integers(0, 3), st.integers(-1, 1), anywhere).map(
        lambda p: p[1] if p[0] else p[2])


@st.composite
def instants(draw: st.DrawFn, base: int) -> int:
    minute = draw(mostly_near(st.integers(-200, 200)))
    within = draw(st.one_of(st.sampled_from([0, 1, M - 1, 30 * SECOND]),
                            st.integers(0, M - 1)))
    return base + minute * M + within


@st.composite
def cdrs(draw: st.DrawFn, base: int, accounts: list[int]) -> dict[str, object]:
    answered = draw(st.booleans())
    return {
        "time_start": draw(instants(base)),
        "duration": draw(st.integers(1, 900)) if answered else 0,
        "customer_acc_id": draw(st.sampled_from([accounts[0], *accounts, None])),
        "vendor_acc_id": draw(st.sampled_from([*accounts, None])),
        "is_last_cdr": draw(st.booleans()),
        "customer_price": Decimal(draw(st.integers(0, 10**9))).scaleb(-6),
        "vendor_price": Decimal(draw(st.integers(0, 10**9))).scaleb(-6),
        "lega_disconnect_code": draw(st.sampled_from(CODES)),
        "legb_disconnect_code": draw(st.sampled_from(CODES)),
        "internal_disconnect_code": draw(st.sampled_from(CODES)),
        "pdd": draw(st.one_of(st.none(), st.integers(0, 20_000).map(
            lambda ms: Decimal(ms).scaleb(-3)))),
    }


def _table(rows: list[dict[str, object]]) -> pa.Table:
    types = {"id": pa.int64(), "time_start": pa.timestamp("us", "UTC"),
             "duration": pa.int64(), "customer_acc_id": pa.int64(),
             "vendor_acc_id": pa.int64(), "is_last_cdr": pa.bool_(),
             "customer_price": pa.decimal128(18, 6), "vendor_price": pa.decimal128(18, 6),
             "lega_disconnect_code": pa.int64(), "legb_disconnect_code": pa.int64(),
             "internal_disconnect_code": pa.int64(), "pdd": pa.decimal128(9, 3)}
    return cdrs_from_table(pa.table({name: pa.array([r[name] for r in rows], kind)
                                     for name, kind in types.items()}))


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_rollup_answers_equal_raw_answers(store: Store, data: st.DataObject) -> None:
    n = next(EXAMPLES)
    accounts = [10_000 + 2 * n, 10_001 + 2 * n]
    first_id = 10**9 + n * 10**4
    base = data.draw(st.sampled_from(BASES))
    rows = data.draw(st.lists(cdrs(base, accounts), min_size=3, max_size=40))
    # Ids in drawn batches: a batch may repeat an id of its own or of an earlier batch
    # (with other values: the first stored wins), so the rollup must count neither twice.
    ids = data.draw(st.lists(st.integers(0, len(rows) + 5), min_size=len(rows),
                             max_size=len(rows)))
    for row, cdr_id in zip(rows, ids, strict=True):
        row["id"] = first_id + cdr_id
    cuts = sorted(data.draw(st.lists(st.integers(0, len(rows)), min_size=1, max_size=3)))
    for low, high in itertools.pairwise([0, *cuts, len(rows)]):
        if low < high:
            again = data.draw(st.integers(0, low)) if low else low
            store.insert_cdrs(_table(rows[again:high]))
        if data.draw(st.integers(0, 3)) == 0:  # rows of one key in several parts, else
            store.compact()
    stored: dict[object, dict[str, object]] = {}
    for row in rows:
        stored.setdefault(row["id"], row)  # the first of an id wins
    for _ in range(4):
        side = data.draw(st.sampled_from([ORIGINATION, TERMINATION]))
        account = data.draw(st.sampled_from([accounts[0], *accounts]))
        # Edges anywhere, on a CDR's time (±1 µs), or between two CDRs of one minute.
        times = sorted(int(r["time_start"]) for r in stored.values()  # type: ignore[call-overload]
                       if r[side.account_column] == account
                       and (r["is_last_cdr"] or not side.last_cdr_only))
        pairs = [(a, b) for a, b in itertools.pairwise(times) if a < b and a // M == b // M]
        near = st.sampled_from(times or [base]).flatmap(
            lambda t: st.sampled_from([t - 1, t, t + 1]))
        edges = st.one_of(instants(base), near)
        if pairs:
            edges = st.one_of(edges, st.sampled_from(pairs).flatmap(st.sampled_from))
        low, high = data.draw(edges), data.draw(edges)
        if high < low:
            high = low + data.draw(st.integers(0, 5 * M))
        if data.draw(st.booleans()):
            high -= 1  # a range ending just before a minute, as "to" a minute often does
        if low > high:
            continue
        if data.draw(st.booleans()):
            sampling = data.draw(st.sampled_from(sorted(STEP_SECONDS)))
            zone = data.draw(st.sampled_from(ZONES))
            buckets = buckets_for(sampling, None if zone is None else ZoneInfo(zone),
                                  low, high)
            traffic = TrafficQuery(side, account, low, high, buckets)
            event(f"traffic via rollup: {rollups.traffic_plan(traffic) is not None}")
            answer = _traffic(store, traffic, True)
            # Rows of one bucket with two offsets (a local hour twice) come in either order.
            assert answer == sorted(_traffic(store, traffic, False),
                                    key=lambda r: (r.bucket, r.offset))
            assert sum(row.total for row in answer) == len(
                [r for r in stored.values() if r[side.account_column] == account
                 and low <= r["time_start"] <= high  # type: ignore[operator]
                 and (r["is_last_cdr"] or not side.last_cdr_only)])
        else:
            step = data.draw(st.sampled_from([60, 300, 900])) * SECOND
            quality = QualityQuery(side, account, low, high, step)
            event(f"quality via rollup: {rollups.quality_plan(quality) is not None}")
            assert _answer(store, quality, True) == _answer(store, quality, False)


def _traffic(store: Store, query: TrafficQuery, use: bool) -> object:
    found = rollups.traffic_plan(query)
    if use and found is not None and found.cut_from is not None:
        event(f"first minute split: {_split(store, query.side, query.account_id, found)}")
    store.rollups = use  # type: ignore[attr-defined]
    try:
        return store.traffic(query)
    finally:
        store.rollups = True  # type: ignore[attr-defined]


def _split(store: Store, side: Side, account: int, found: RollupPlan) -> bool:
    """Whether the cut of the plan's first minute falls between its CDRs."""
    assert found.cut_from is not None
    low, high = found.first_minute * M, found.first_minute * M + M - 1
    query = TrafficQuery(side, account, low, high, Buckets(M))
    before, after = replace(query, to_us=found.cut_from - 1), replace(query, from_us=found.cut_from)
    return bool(store.traffic(before)) and bool(store.traffic(after))


def _answer(store: Store, query: QualityQuery | TrafficQuery, use: bool) -> Any:
    store.rollups = use  # type: ignore[attr-defined]
    try:
        if isinstance(query, TrafficQuery):
            return store.traffic(query)
        return store.quality(query)
    finally:
        store.rollups = True  # type: ignore[attr-defined]


def test_rebuilding_the_clickhouse_rollup_again_counts_once(chdb_dir: Path,
                                                             tmp_path: Path) -> None:
    """The upgrade's statements run again (a process that died before recording the
    version): the rollup is emptied and rebuilt, never counted twice."""
    store = ClickHouseStore(StoreUrls("chdb", chdb_dir)(tmp_path))
    try:
        row = {"time_start": BASES[0] + 5 * SECOND, "duration": 7, "customer_acc_id": 3,
               "vendor_acc_id": 4, "is_last_cdr": True, "customer_price": Decimal("0.5"),
               "vendor_price": Decimal("0.25"), "lega_disconnect_code": None,
               "legb_disconnect_code": None, "internal_disconnect_code": None, "pdd": None}
        store.insert_cdrs(_table([{**row, "id": 1}, {**row, "id": 2}]))
        for statement in minute_rollup_ddl(store.layout):
            store.db.command(statement)
        query = TrafficQuery(TERMINATION, 4, BASES[0], BASES[0] + M - 1, Buckets(M))
        [answer] = store.traffic(query)
        assert (answer.total, answer.duration, answer.price_micros) == (2, 14, 500_000)
    finally:
        store.close()


@pytest.mark.parametrize(("start", "sampling", "expected"), [
    (5 * SECOND, "minute", [2, 1]),  # the cut minute counts whole: both parts' rows
    (30 * SECOND, "minute", [1, 1]),  # the cut falls between its CDRs: raw rows
    (55 * SECOND, "hour", [1]),  # none of the cut minute's CDRs is in range
])
def test_a_cut_minute_adds_up_its_rows_from_every_part(
        store: Store, start: int, sampling: str, expected: list[int]) -> None:
    """One minute's CDRs in two batches (two rollup rows until a compaction merges them),
    asked with a range cut inside that minute."""
    n = next(EXAMPLES)
    account, base = 20_000 + n, BASES[0] + n * 3600 * SECOND
    row = {"duration": 7, "customer_acc_id": account, "vendor_acc_id": account,
           "is_last_cdr": True, "customer_price": Decimal("0.5"),
           "vendor_price": Decimal("0.25"), "lega_disconnect_code": None,
           "legb_disconnect_code": None, "internal_disconnect_code": None, "pdd": None}
    for i, at in enumerate((10, 50, 70)):
        store.insert_cdrs(_table([{**row, "id": 2 * 10**9 + n * 10 + i,
                                   "time_start": base + at * SECOND}]))
    low, high = base + start, base + 3 * M - 1
    query = TrafficQuery(TERMINATION, account, low, high, buckets_for(sampling, None, low, high))
    assert rollups.traffic_plan(query) is not None
    assert [r.total for r in store.traffic(query)] == expected
    assert store.traffic(query) == _traffic(store, query, False)


@pytest.mark.parametrize("prices", [
    ("999999999999.999999", "999999999999.999999", "0.000001"),  # past 10^12 in one minute
    ("-999999999999.999999", "0.5", "-0.000001"),
    ("0", "-0.5", "0.5"),  # a sum of zero, and -0.5 alone in a minute
])
def test_minute_rows_read_prices_exactly(store: Store, prices: tuple[str, ...]) -> None:
    """Minute buckets read each rollup row's price as the store's dialect hands it over
    (DuckDB: the decimal's text); every sum equals the raw rows', at DECIMAL(18, 6)'s
    limits, negative, zero, in a cut minute and in whole ones."""
    n = next(EXAMPLES)
    account, base = 30_000 + n, BASES[0] + n * 3600 * SECOND
    row = {"duration": 7, "customer_acc_id": account, "vendor_acc_id": account,
           "is_last_cdr": True, "lega_disconnect_code": None, "legb_disconnect_code": None,
           "internal_disconnect_code": None, "pdd": None}
    at = (5, 20, 40, 65, 130)  # two minutes of three CDRs' prices each way, one alone
    store.insert_cdrs(_table([{**row, "id": 3 * 10**9 + n * 10 + i,
                               "time_start": base + second * SECOND,
                               "customer_price": Decimal(prices[i % 3]),
                               "vendor_price": Decimal(prices[(i + 1) % 3])}
                              for i, second in enumerate(at)]))
    for low in (base, base + 10 * SECOND):  # whole minutes, then the first one cut
        for side in (ORIGINATION, TERMINATION):
            query = TrafficQuery(side, account, low, base + 3 * M - 1, Buckets(M))
            assert rollups.traffic_plan(query) is not None
            assert store.traffic(query) == _traffic(store, query, False)


@pytest.mark.parametrize(("text", "expected"), [
    ("0.006601", 6601), ("-3.000000", -3_000_000), ("-0.500000", -500_000),
    ("999999999999.999999", 999_999_999_999_999_999), ("1.5", 1_500_000), ("-12", -12_000_000),
])
def test_a_price_read_as_text_is_its_micro_units(text: str, expected: int) -> None:
    """DuckDB's text of a DECIMAL(38, 6) (six places) and shorter spellings alike."""
    assert micros(text) == expected == micros(Decimal(text))


def test_a_price_text_past_six_places_is_refused() -> None:
    with pytest.raises(ValueError, match="six decimal places"):
        micros("0.0000001")


@pytest.mark.parametrize(("zone", "cut"), [
    (None, False),  # one offset, no cut minute: GROUP BY the bucket alone
    (None, True),  # ...with cut minutes: by bucket and part
    ("Europe/Berlin", False),  # two offsets in the range: by bucket and offset
    ("Asia/Kathmandu", True),  # one offset of +05:45, cut minutes
])
def test_hour_buckets_group_by_the_varying_keys_only(store: Store, zone: str | None,
                                                     cut: bool) -> None:
    """Hour buckets over rows of several parts (never compacted): the constant keys out
    of GROUP BY give the raw rows' answer, whether the offset and the part vary or not."""
    n = next(EXAMPLES)
    account, base = 30_000 + n, BASES[0] - 3 * 3600 * SECOND
    row = {"customer_acc_id": account, "vendor_acc_id": account, "is_last_cdr": True,
           "vendor_price": Decimal("0.25"), "lega_disconnect_code": 487,
           "legb_disconnect_code": None, "internal_disconnect_code": None}
    for batch in range(3):
        store.insert_cdrs(_table([
            {**row, "id": 3 * 10**9 + n * 1000 + batch * 100 + i,
             "time_start": base + (batch * 7 + i * 13) * M + i * SECOND,
             "duration": i % 3 * 11, "customer_price": Decimal(i).scaleb(-2),
             "pdd": Decimal(i * 250).scaleb(-3)} for i in range(40)]))
    low, high = base, base + 10 * 3600 * SECOND - 1
    if cut:
        low, high = low + 13 * M + 1, high - 30 * SECOND
    buckets = buckets_for("hour", None if zone is None else ZoneInfo(zone), low, high)
    traffic = TrafficQuery(ORIGINATION, account, low, high, buckets)
    assert rollups.traffic_plan(traffic) is not None
    answer = _answer(store, traffic, True)  # _traffic records a hypothesis event
    assert answer and answer == sorted(_answer(store, traffic, False),
                                       key=lambda r: (r.bucket, r.offset))
    quality = QualityQuery(ORIGINATION, account, low, high, 15 * M)
    assert rollups.quality_plan(quality) is not None
    assert _answer(store, quality, True) == _answer(store, quality, False)


@pytest.mark.parametrize("retention_days", [None, 36_500])
def test_a_rollup_that_lost_rows_is_found_and_rebuilt(chdb_dir: Path, tmp_path: Path,
                                                      retention_days: int | None) -> None:
    """A materialized view that fails on an insert: ClickHouse keeps the raw rows, and chdb
    even reports the insert as done, while the minute rollup misses them. The store's
    housekeeping finds the difference and sums the rollup again; meanwhile, and whenever
    that fails, reports read raw rows. (With retention, over the range the rollup is
    trusted for.)"""
    store = ClickHouseStore(StoreUrls("chdb", chdb_dir)(tmp_path), retention_days=retention_days)
    try:
        row = {"time_start": BASES[0] + 5 * SECOND, "duration": 7, "customer_acc_id": 3,
               "vendor_acc_id": 4, "is_last_cdr": True, "customer_price": Decimal("0.5"),
               "vendor_price": Decimal("0.25"), "lega_disconnect_code": None,
               "legb_disconnect_code": None, "internal_disconnect_code": None, "pdd": None}
        store.insert_cdrs(_table([{**row, "id": 1}]))
        assert store.rollup_drift() == []
        # A view that fails on every row whose duration is 9 (any view's failure will do).
        failing = store.table("failing_view")
        store.db.command(f"CREATE TABLE {store.table('sink')} (x Int64) "
                         "ENGINE = MergeTree ORDER BY x")
        store.db.command(f"CREATE MATERIALIZED VIEW {failing} TO {store.table('sink')} AS "
                         f"SELECT throwIf(duration = 9, 'view failed') + 0 AS x "
                         f"FROM {store.table('cdrs')}")
        try:
            store.insert_cdrs(_table([{**row, "id": 2, "duration": 9}]))
        except StoreError:
            pass  # a server reports the view's failure; chdb's streaming insert does not
        store.db.command(f"DROP VIEW {failing}")
        assert store.count_cdrs() == 2  # the raw rows stayed
        drift = store.rollup_drift()  # the views after the failing one added nothing
        assert drift and all(d.endswith(": 2 calls and 16 s stored, 1 calls and 7 s in the "
                                        "minute rollup") for d in drift)
        side = ORIGINATION if drift[0].startswith("origination") else TERMINATION
        query = TrafficQuery(side, 3 if side is ORIGINATION else 4, BASES[0],
                             BASES[0] + M - 1, Buckets(M))
        raw = _answer(store, query, use=False)
        assert [(a.total, a.duration) for a in raw] == [(2, 16)]
        assert _answer(store, query, use=True) != raw  # what the rollup alone would say
        assert store.check_rollups() != []  # found and rebuilt
        assert store.rollup_drift() == []
        assert store.rollups is True
        assert store.traffic(query) == raw
        assert store.check_rollups() == []  # nothing more to do
    finally:
        store.close()


@pytest.mark.parametrize("zone", ["Europe/Berlin", "Australia/Lord_Howe"])
@pytest.mark.parametrize("cut", [False, True])
def test_minute_buckets_take_the_offset_in_force_at_each_minute(store: Store, zone: str,
                                                                cut: bool) -> None:
    """Minute buckets read the rollup rows as stored and work out each one's bucket and
    UTC offset in Python: CDRs in the minutes before, at and after a clock change get the
    raw rows' (bucket, offset), the change's own minute the new offset. (The API asks
    minute buckets in UTC only; the store takes any whole-minute offsets.)"""
    n = next(EXAMPLES)
    account = 40_000 + n
    around = (BASES[0], BASES[0] + 8 * 86400 * SECOND)
    change = offsets_between(ZoneInfo(zone), *around).starts[1]
    row = {"customer_acc_id": account, "vendor_acc_id": account, "is_last_cdr": True,
           "customer_price": Decimal("0.5"), "vendor_price": Decimal("0.25"),
           "lega_disconnect_code": None, "legb_disconnect_code": 486,
           "internal_disconnect_code": None, "pdd": Decimal("1.5")}
    store.insert_cdrs(_table([
        {**row, "id": 4 * 10**9 + n * 1000 + i, "time_start": change + minute * M + i,
         "duration": i % 2 * 30} for i, minute in enumerate((-2, -1, -1, 0, 0, 1, 2))]))
    low, high = change - 3 * M, change + 3 * M - 1
    if cut:
        low, high = low + 1, high - 30 * SECOND
    offsets = offsets_between(ZoneInfo(zone), low, high)
    assert len(offsets.offsets) == 2
    traffic = TrafficQuery(ORIGINATION, account, low, high, Buckets(M, offsets))
    assert rollups.traffic_plan(traffic) is not None
    answer = _answer(store, traffic, True)
    assert len(answer) == 5 and answer == _answer(store, traffic, False)
    quality = QualityQuery(ORIGINATION, account, low, high, M)
    assert _answer(store, quality, True) == _answer(store, quality, False)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_one_aggregate_over_both_sides_is_the_per_side_deltas(data: st.DataObject) -> None:
    """`rollups.deltas` (the DuckDB store's per-batch spelling) gives exactly the rows and
    column types of each side's `delta` (the ClickHouse views' spelling) put together."""
    base = data.draw(st.sampled_from(BASES))
    rows = [{**row, "id": n} for n, row in enumerate(
        data.draw(st.lists(cdrs(base, [7, 8]), max_size=30)))]
    con = duckdb.connect()
    try:
        con.register("batch", _naive_utc(_table(rows)))
        one = f"SELECT * FROM ({rollups.deltas(DUCKDB, (ORIGINATION, TERMINATION), 'batch')})"
        apart = " UNION ALL ".join(rollups.delta(DUCKDB, side, "batch")
                                   for side in (ORIGINATION, TERMINATION))
        assert (con.execute(f"DESCRIBE {one}").fetchall()
                == con.execute(f"DESCRIBE {apart}").fetchall())
        assert (sorted(con.execute(one).fetchall())
                == sorted(con.execute(apart).fetchall()))
    finally:
        con.close()
