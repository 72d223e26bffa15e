"""The five reports against a plain-Python reference of SPEC 4.3–4.5 (api_reference):
a seeded dataset ingested once through the admin API, hypothesis drawing the requests
(every filter param and op, every sampling, time zones with and without DST, from/to in
every spelling, inside, around and beyond the data, the server clock) and comparing the
body byte for byte."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.support import api_data
from tests.support import api_reference as ref
from tests.support.api_data import ANCHORS, NOW
from tests.support.differential import (
    CDR_TIMES,
    CDRS,
    DECIMALS,
    INTS,
    SNAPSHOT_TIMES,
    SNAPSHOTS,
    SPANS,
    TEXTS,
    World,
    check_body,
    seeded_world,
)
from tests.support.strategies import ZONES, bounds, filter_params, filters, instants, mostly
from tests.support.times import SECOND, iso, us
from tests.support.wire import TOO_MANY

EXAMPLES = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def world(make_api) -> World:  # type: ignore[no-untyped-def]
    return seeded_world(make_api)


instant = instants(CDR_TIMES, ANCHORS + [NOW], api_data.START, api_data.END, NOW)
clock = mostly(NOW, instant)


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
    names, semantic = filter_params(chosen)
    params += [("sampling", sampling), *names]
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
    params = [("account-id", world.account_param(account, upper)), *params]
    response = world.call(f"/{side}-statistics", account, params, now, shuffle)
    expected = ref.traffic(CDRS, side, account, start, end, now, sampling,
                           ZoneInfo(zone) if zone else None, semantic)
    check_body(response, expected)


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"])
@pytest.mark.parametrize("sampling", ["hour", "day", "week", "month"])
def test_statistics_over_every_dst_change(world: World, zone: str, sampling: str) -> None:
    """The whole data range in one request: every DST change of the year inside it."""
    params = [("account-id", world.uuids[11]), ("from-time", "2024-01-01"),
              ("to-time", "2024-12-31T23:59:59Z"), ("sampling", sampling), ("time-zone", zone)]
    for side in SIDES:
        response = world.call(f"/{side}-statistics", 11, params, NOW, [])
        check_body(response, ref.traffic(CDRS, side, 11, us("2024-01-01T00:00:00Z"),
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
    names, semantic = filter_params(chosen)
    params += names
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
    params = [("account-id", world.account_param(account, upper)), *params]
    response = world.call(f"/{side}-active-calls", account, params, now, shuffle)
    try:
        expected = ref.concurrent(SNAPSHOTS, side, account, start, end, now, sampling,
                                  ZoneInfo(zone) if zone else None, semantic)
    except ref.TooManyPoints:
        assert (response.status_code, response.content) == (400, TOO_MANY)
        event("too many points")
        return
    check_body(response, expected)


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
            response = world.call(f"/{side}-active-calls", 11, params, NOW, [])
            check_body(response, ref.concurrent(SNAPSHOTS, side, 11, start, end, NOW, sampling,
                                            ZoneInfo(zone), []))


# --- SPEC 4.5 --------------------------------------------------------------------------

FRESH_EDGES = [t + d * SECOND for t in SNAPSHOT_TIMES[-80:] for d in (-180, 180)]


@st.composite
def current_requests(draw: st.DrawFn):  # type: ignore[no-untyped-def]
    account = draw(st.sampled_from([11, 12, 21]))
    chosen = draw(filters(ref.CURRENT_FILTERS, TEXTS, INTS, DECIMALS))
    names, semantic = filter_params(chosen)
    return account, semantic, names


@EXAMPLES
@given(request=current_requests(),
       now=mostly(NOW, st.one_of(st.sampled_from(FRESH_EDGES),
                                 st.integers(NOW - 900 * SECOND, NOW + 900 * SECOND))),
       upper=st.booleans(), shuffle=st.permutations(range(8)))
def test_outgoing_active_calls_match_the_reference(world: World, request, now: int,  # type: ignore[no-untyped-def]
                                                   upper: bool, shuffle: list[int]) -> None:
    account, semantic, filter_params = request
    params = [("account-id", world.account_param(account, upper)), *filter_params]
    response = world.call("/outgoing-active-calls", account, params, now, shuffle)
    expected = ref.current(SNAPSHOTS, account, now, world.api.settings.snapshot_max_age,
                           semantic)
    check_body(response, expected)


@pytest.mark.parametrize("delta", [-1, 0, 1])
def test_the_freshness_window_edges(world: World, delta: int) -> None:
    """Node 3's latest snapshot is exactly max-age old at NOW, node 4's exactly max-age
    ahead; a microsecond later (earlier) it no longer counts."""
    now = NOW + delta
    for account in (11, 12):
        response = world.call("/outgoing-active-calls", account,
                         [("account-id", world.uuids[account])], now, [])
        check_body(response, ref.current(SNAPSHOTS, account, now, 180, []))
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
