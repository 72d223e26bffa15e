"""Hypothesis draws the data too: each example gets a fresh account (and fresh switch
nodes) in one shared store, ingests its own CDRs and snapshots through the admin API and
compares the statistics and the active-call series with the reference."""

from __future__ import annotations

import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import api_reference as ref
from tests.support.api import Api
from tests.support.api_data import ANCHORS, NOW, TEXTS, stored
from tests.support.strategies import ZONES, filters
from tests.support.times import SECOND, iso
from tests.support.wire import TOO_MANY, V1, dumps

EXAMPLES = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
IDS = itertools.count(1)
HOUR = 3600 * SECOND


@pytest.fixture(scope="module")
def api(make_api) -> Api:  # type: ignore[no-untyped-def]
    api = make_api(NOW / SECOND)
    api.customer("one", 1)
    return api


def fresh_account(api: Api) -> tuple[int, str, str]:
    account_id, uuid = api.account(1)
    return account_id, uuid, api.dynamic_token(1, [account_id])


money = st.integers(0, 6).flatmap(lambda places: st.decimals(
    -50, 500, places=places, allow_nan=False, allow_infinity=False))
offsets = st.integers(-30 * HOUR, 30 * HOUR)


@st.composite
def cdr_rows(draw: st.DrawFn, account: int, base: int) -> list[dict]:
    rows = []
    for _ in range(draw(st.integers(0, 25))):
        row = {
            "id": next(IDS),
            "time_start": base + draw(offsets),
            "duration": draw(st.one_of(st.just(0), st.integers(1, 10_000))),
            "customer_acc_id": draw(st.sampled_from([account, account, None])),
            "vendor_acc_id": draw(st.sampled_from([account, None])),
            "is_last_cdr": draw(st.booleans()),
            "src_prefix_routing": draw(st.sampled_from(TEXTS)),
            "dst_prefix_routing": draw(st.sampled_from(TEXTS)),
            "src_country_id": draw(st.sampled_from([None, 1, 2])),
            "customer_price": draw(money),
            "vendor_price": draw(money),
        }
        rows.append({k: v for k, v in row.items() if v is not None})
    return rows


@st.composite
def snapshot_envelopes(draw: st.DrawFn, account: int, base: int) -> list[dict]:
    nodes = [next(IDS) for _ in range(draw(st.integers(1, 3)))]
    envelopes = []
    for node in nodes:
        times = draw(st.sets(offsets, max_size=8))
        for ts in sorted(times):
            calls = [{"customer_acc_id": draw(st.sampled_from([account, None])),
                      "vendor_acc_id": draw(st.sampled_from([account, None])),
                      "duration": draw(st.integers(0, 100)),
                      "src_prefix_routing": draw(st.sampled_from(TEXTS))}
                     for _ in range(draw(st.integers(0, 5)))]
            envelopes.append({"snapshot_timestamp": base + ts, "node_id": node,
                              "calls": [{k: v for k, v in c.items() if v is not None}
                                        for c in calls]})
    return envelopes


@st.composite
def queries(draw: st.DrawFn, base: int, samplings: list[str]):  # type: ignore[no-untyped-def]
    start = base + draw(offsets)
    end = start + draw(st.integers(-HOUR, 40 * HOUR))
    sampling = draw(st.sampled_from(samplings))
    zone = draw(st.sampled_from(ZONES))
    params = [("from-time", iso(start)), ("to-time", iso(end)), ("sampling", sampling)]
    if zone:
        params.append(("time-zone", zone))
    return start, end, sampling, ZoneInfo(zone) if zone else None, params


@EXAMPLES
@given(data=st.data())
def test_drawn_cdrs_give_the_reference_statistics(api: Api, data: st.DataObject) -> None:
    account, uuid, token = fresh_account(api)
    base = data.draw(st.sampled_from(ANCHORS))
    rows = data.draw(cdr_rows(account, base))
    if rows:
        api.cdrs(rows)
    side = data.draw(st.sampled_from(["origination", "termination"]))
    start, end, sampling, zone, params = data.draw(
        queries(base, ["minute", "5minutes", "hour", "day", "week", "month"]))
    chosen = data.draw(filters(ref.cdr_filters(side), [t for t in TEXTS if t], [0, 1, 2, 60],
                               [Decimal(0), Decimal("1.5")]))
    params += [(p.name, text) for p, text, _ in chosen] + [("account-id", uuid)]
    response = api.get(f"{V1}/{side}-statistics", params=params, token=token)
    expected = ref.traffic(stored(rows), side, account, start, end, NOW, sampling, zone,
                           [(p.column, p.op, value) for p, _, value in chosen])
    assert response.status_code == 200, response.text
    assert response.json() == expected
    assert response.content == dumps(expected)


@EXAMPLES
@given(data=st.data())
def test_drawn_snapshots_give_the_reference_series(api: Api, data: st.DataObject) -> None:
    account, uuid, token = fresh_account(api)
    base = data.draw(st.sampled_from(ANCHORS))
    envelopes = data.draw(snapshot_envelopes(account, base))
    if envelopes:
        api.snapshots(envelopes)
    side = data.draw(st.sampled_from(["origination", "termination"]))
    start, end, sampling, zone, params = data.draw(
        queries(base, ["minute", "5minutes", "hour", "day"]))
    params.append(("account-id", uuid))
    response = api.get(f"{V1}/{side}-active-calls", params=params, token=token)
    try:
        expected = ref.concurrent(stored(envelopes), side, account, start, end, NOW,
                                  sampling, zone, [])
    except ref.TooManyPoints:
        assert (response.status_code, response.content) == (400, TOO_MANY)
        return
    assert response.status_code == 200, response.text
    assert response.json() == expected
    assert response.content == dumps(expected)
