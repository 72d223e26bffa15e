"""The five reports against a plain-Python reference of SPEC 4.3–4.5 (api_reference):
a seeded dataset ingested once through the admin API, hypothesis drawing the requests
(every filter param and op, every sampling, time zones with and without DST, from/to in
every spelling, inside, around and beyond the data, the server clock) and comparing the
body byte for byte."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from tests.support import api_data
from tests.support import api_reference as ref
from tests.support.api import Api
from tests.support.api_data import ANCHORS, NOW
from tests.support.differential import (
    CDR_TIMES,
    CDRS,
    DECIMALS,
    INTS,
    SENT_CDRS,
    SENT_SNAPSHOTS,
    SNAPSHOT_TIMES,
    SNAPSHOTS,
    SPANS,
    TEXTS,
)
from tests.support.strategies import ZONES, filters, instants, mostly, time_text
from tests.support.times import SECOND, iso, us
from tests.support.wire import TOO_MANY, V1, dumps

CUSTOMER_OF = api_data.ACCOUNTS

EXAMPLES = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@dataclass
class World:
    api: Api
    uuids: dict[int, str]
    tokens: dict[int, str]  # customer id → token of a login with all its accounts


@pytest.fixture(scope="module")
def world(make_api) -> World:  # type: ignore[no-untyped-def]
    api = make_api(NOW / SECOND)
    api.customer("one", 1)
    api.customer("two", 2)
    uuids = {acc: api.account(customer, id=acc)[1] for acc, customer in CUSTOMER_OF.items()}
    tokens = {customer: api.token(api.login(customer, f"login{customer}"))
              for customer in (1, 2)}
    api.cdrs(SENT_CDRS)
    api.snapshots(SENT_SNAPSHOTS)
    return World(api, uuids, tokens)


def account_param(world: World, account: int, upper: bool) -> str:
    uuid = world.uuids[account]
    return uuid.upper() if upper else uuid


def _call(world: World, path: str, account: int, params: list[tuple[str, str]], now: int,
          shuffle: list[int]):  # type: ignore[no-untyped-def]
    world.api.clock.now = now / SECOND
    ordered = [params[i] for i in shuffle if i < len(params)] + params[len(shuffle):]
    return world.api.get(V1 + path, params=ordered, token=world.tokens[CUSTOMER_OF[account]])


def _check(response, expected: object) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    if currently_in_test_context():
        rows = expected["rows"]  # type: ignore[index]
        event(f"rows: {min(rows, 3)}{'+' if rows >= 3 else ''}")
    got = response.json()
    assert got == expected, _first_difference(got, expected, response.request.url)
    assert response.content == dumps(expected)


def _first_difference(got: object, expected: object, where: object) -> str:
    if isinstance(got, dict) and isinstance(expected, dict):
        for key in got.keys() | expected.keys():
            if got.get(key) != expected.get(key):
                return f"{key}: " + _first_difference(got.get(key), expected.get(key), where)
    if isinstance(got, list) and isinstance(expected, list) and len(got) == len(expected):
        for i, (a, b) in enumerate(zip(got, expected, strict=True)):
            if a != b:
                return f"[{i}] " + _first_difference(a, b, where)
    return f"{got!r} != {expected!r} ({where})"


instant = instants(CDR_TIMES, ANCHORS + [NOW], api_data.START, api_data.END, NOW)
clock = mostly(NOW, instant)


@st.composite
def bounds(draw: st.DrawFn, moments: st.SearchStrategy[int], spans: list[int]
           ) -> tuple[int, int | None, list[tuple[str, str]]]:
    """from, to (None: absent) and their params in some spelling."""
    start = draw(moments)
    end = draw(st.one_of(
        st.none(), moments.filter(lambda t: t >= start),
        st.sampled_from(spans).flatmap(lambda s: st.integers(-s // 20, s)).map(
            lambda d: start + d * SECOND)))
    params = [("from-time", draw(time_text(start)))]
    if end is not None:
        params.append(("to-time", draw(time_text(end))))
    elif draw(st.booleans()):
        params.append(("to-time", ""))  # empty optional: absent
    return start, end, params


def _filter_params(chosen) -> tuple[list[tuple[str, str]], list[ref.Filter]]:  # type: ignore[no-untyped-def]
    return ([(p.name, text) for p, text, _ in chosen],
            [(p.column, p.op, value) for p, _, value in chosen])


# --- SPEC 4.3 --------------------------------------------------------------------------

SIDES = ["origination", "termination"]
UNKNOWN = {"origination": ("vendor-price-eq", "1"), "termination": ("auth-orig-ip", "10.0.0.1")}


@st.composite
def traffic_requests(draw: st.DrawFn):  # type: ignore[no-untyped-def]
    side = draw(st.sampled_from(SIDES))
    account = draw(st.sampled_from([11, 12, 21]))
    sampling = draw(st.sampled_from(["minute", "5minutes", "hour", "day", "week", "month"]))
    zone = draw(st.sampled_from(ZONES))
    start, end, params = draw(bounds(instant, [3 * 86400, 60 * 86400, 400 * 86400]))
    chosen = draw(filters(ref.cdr_filters(side), TEXTS, INTS, DECIMALS))
    filter_params, semantic = _filter_params(chosen)
    params += [("sampling", sampling), *filter_params]
    if zone:
        params.append(("time-zone", zone))
    if draw(st.booleans()):
        params.append(UNKNOWN[side])  # another report's param: ignored
    return side, account, sampling, zone, start, end, semantic, params


@EXAMPLES
@given(request=traffic_requests(), now=clock, upper=st.booleans(),
       shuffle=st.permutations(range(8)))
def test_statistics_match_the_reference(world: World, request, now: int, upper: bool,  # type: ignore[no-untyped-def]
                                        shuffle: list[int]) -> None:
    side, account, sampling, zone, start, end, semantic, params = request
    params = [("account-id", account_param(world, account, upper)), *params]
    response = _call(world, f"/{side}-statistics", account, params, now, shuffle)
    expected = ref.traffic(CDRS, side, account, start, end, now, sampling,
                           ZoneInfo(zone) if zone else None, semantic)
    _check(response, expected)


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"])
@pytest.mark.parametrize("sampling", ["hour", "day", "week", "month"])
def test_statistics_over_every_dst_change(world: World, zone: str, sampling: str) -> None:
    """The whole data range in one request: every DST change of the year inside it."""
    params = [("account-id", world.uuids[11]), ("from-time", "2024-01-01"),
              ("to-time", "2024-12-31T23:59:59Z"), ("sampling", sampling), ("time-zone", zone)]
    for side in SIDES:
        response = _call(world, f"/{side}-statistics", 11, params, NOW, [])
        _check(response, ref.traffic(CDRS, side, 11, us("2024-01-01T00:00:00Z"),
                                     us("2024-12-31T23:59:59Z"), NOW, sampling,
                                     ZoneInfo(zone), []))


# --- SPEC 4.4 --------------------------------------------------------------------------

snapshot_instant = instants(SNAPSHOT_TIMES, api_data.SNAPSHOT_ANCHORS + [NOW],
                            api_data.START, api_data.END, NOW)


@st.composite
def concurrent_requests(draw: st.DrawFn):  # type: ignore[no-untyped-def]
    side = draw(st.sampled_from(SIDES))
    account = draw(st.sampled_from([11, 12, 21]))
    sampling = draw(st.sampled_from([None, "minute", "5minutes", "hour", "day"]))
    zone = draw(st.sampled_from(ZONES))
    start, end, params = draw(bounds(snapshot_instant, SPANS[sampling or "minute"]))
    chosen = draw(filters(ref.cdr_filters(side), TEXTS, INTS, DECIMALS))
    filter_params, semantic = _filter_params(chosen)
    params += filter_params
    if sampling:
        params.append(("sampling", sampling))
    if zone:
        params.append(("time-zone", zone))
    if draw(st.booleans()):
        params.append(UNKNOWN[side])
    return side, account, sampling or "minute", zone, start, end, semantic, params


@EXAMPLES
@given(request=concurrent_requests(), now=mostly(NOW, snapshot_instant),
       upper=st.booleans(), shuffle=st.permutations(range(8)))
def test_active_call_series_match_the_reference(world: World, request, now: int,  # type: ignore[no-untyped-def]
                                                upper: bool, shuffle: list[int]) -> None:
    side, account, sampling, zone, start, end, semantic, params = request
    params = [("account-id", account_param(world, account, upper)), *params]
    response = _call(world, f"/{side}-active-calls", account, params, now, shuffle)
    try:
        expected = ref.concurrent(SNAPSHOTS, side, account, start, end, now, sampling,
                                  ZoneInfo(zone) if zone else None, semantic)
    except ref.TooManyPoints:
        assert (response.status_code, response.content) == (400, TOO_MANY)
        event("too many points")
        return
    _check(response, expected)


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York"])
@pytest.mark.parametrize("sampling", ["hour", "day"])
def test_peaks_on_dst_change_days(world: World, zone: str, sampling: str) -> None:
    """A day (or repeated local hour) holding both offsets is still one bucket whose value
    is each node's peak over all of it, not the sum of the peaks of its two halves."""
    for anchor in (api_data.SNAPSHOT_ANCHORS[1], api_data.SNAPSHOT_ANCHORS[2]):
        start, end = anchor - 4 * 3600 * SECOND, anchor + 4 * 3600 * SECOND
        params = [("account-id", world.uuids[11]), ("from-time", iso(start)),
                  ("to-time", iso(end)), ("sampling", sampling), ("time-zone", zone)]
        for side in SIDES:
            response = _call(world, f"/{side}-active-calls", 11, params, NOW, [])
            _check(response, ref.concurrent(SNAPSHOTS, side, 11, start, end, NOW, sampling,
                                            ZoneInfo(zone), []))


# --- SPEC 4.5 --------------------------------------------------------------------------

FRESH_EDGES = [t + d * SECOND for t in SNAPSHOT_TIMES[-80:] for d in (-180, 180)]


@st.composite
def current_requests(draw: st.DrawFn):  # type: ignore[no-untyped-def]
    account = draw(st.sampled_from([11, 12, 21]))
    chosen = draw(filters(ref.CURRENT_FILTERS, TEXTS, INTS, DECIMALS))
    filter_params, semantic = _filter_params(chosen)
    return account, semantic, filter_params


@EXAMPLES
@given(request=current_requests(),
       now=mostly(NOW, st.one_of(st.sampled_from(FRESH_EDGES),
                                 st.integers(NOW - 900 * SECOND, NOW + 900 * SECOND))),
       upper=st.booleans(), shuffle=st.permutations(range(8)))
def test_outgoing_active_calls_match_the_reference(world: World, request, now: int,  # type: ignore[no-untyped-def]
                                                   upper: bool, shuffle: list[int]) -> None:
    account, semantic, filter_params = request
    params = [("account-id", account_param(world, account, upper)), *filter_params]
    response = _call(world, "/outgoing-active-calls", account, params, now, shuffle)
    expected = ref.current(SNAPSHOTS, account, now, world.api.settings.snapshot_max_age,
                           semantic)
    _check(response, expected)


@pytest.mark.parametrize("delta", [-1, 0, 1])
def test_the_freshness_window_edges(world: World, delta: int) -> None:
    """Node 3's latest snapshot is exactly max-age old at NOW, node 4's exactly max-age
    ahead; a microsecond later (earlier) it no longer counts."""
    now = NOW + delta
    for account in (11, 12):
        response = _call(world, "/outgoing-active-calls", account,
                         [("account-id", world.uuids[account])], now, [])
        _check(response, ref.current(SNAPSHOTS, account, now, 180, []))
    edge = {s["snapshot_timestamp"] for s in SNAPSHOTS if s["node_id"] in (3, 4)}
    shown = ref.current(SNAPSHOTS, 11, now, 180, [])["data"]
    assert sum(ref.wall_time(t) == item["snapshot_timestamp"] for t in edge
               for item in shown) == {-1: 2, 0: 4, 1: 2}[delta]


def test_the_dataset_exercises_the_reports(world: World) -> None:
    """Guard against a vacuous comparison: the reference sees calls and points."""
    items = [item for now in range(NOW - 600 * SECOND, NOW + 600 * SECOND, 30 * SECOND)
             for item in ref.current(SNAPSHOTS, 11, now, 180, [])["data"]]
    assert len(items) >= 30
    assert any(item["start_time"] is None for item in items)
    series = ref.concurrent(SNAPSHOTS, "origination", 11, ANCHORS[1] - 3600 * SECOND,
                            ANCHORS[1] + 3600 * SECOND, NOW, "minute", None, [])
    assert sum(series["data"]["calls"]) > 20
    assert ref.traffic(CDRS, "origination", 11, 0, None, NOW, "day", None, [])["rows"] > 50
