"""SPEC 4.3: buckets floor, also before 1970 — a call at 1969-12-31T23:59:30Z is in the
minute that starts at t=-60, not at t=0 (engines divide truncating toward zero). Every
sampling and zone, statistics and active-call series, against the plain-Python reference
on every store."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.support import api_reference as ref
from tests.support.api import Api
from tests.support.times import SECOND, iso, us
from tests.support.wire import V1, dumps

NOW = us("2024-01-01T00:00:00Z")
TIMES = [us(t) for t in ("1969-12-31T23:59:30Z", "1969-12-31T23:59:59.999999Z",
                         "1970-01-01T00:00:00Z", "1969-12-31T23:04:59.5Z",
                         "1969-12-28T12:00:00Z", "1969-11-30T23:59:59Z", "1960-02-29T01:02:03Z",
                         "1900-01-01T00:00:00Z", "1900-01-01T00:00:59Z")]
CDRS = [{"id": i + 1, "time_start": t, "duration": i * 7, "customer_acc_id": 1,
         "vendor_acc_id": 1, "customer_price": "0.5"} for i, t in enumerate(TIMES)]
SNAPSHOTS = [{"snapshot_timestamp": t, "node_id": n, "calls": [
    {"customer_acc_id": 1, "vendor_acc_id": 1}] * (i % 3 + 1)}
    for i, t in enumerate(TIMES[:6]) for n in (1, 2)]
UUID = "0e0e0e0e-1111-4222-8333-444455556666"


@pytest.fixture(scope="module")
def api(make_api) -> Api:  # type: ignore[no-untyped-def]
    api = make_api(NOW / SECOND)
    api.customer("c", 1)
    api.account(1, id=1, uuid=UUID)
    api.cdrs(CDRS)
    api.snapshots(SNAPSHOTS)
    return api


@pytest.fixture(scope="module")
def bearer(api: Api) -> str:
    return api.token(api.login(1, "before-1970"))


@pytest.mark.parametrize("zone", [None, "UTC", "America/New_York", "Asia/Kolkata"])
@pytest.mark.parametrize("sampling", ["minute", "5minutes", "hour", "day", "week", "month"])
@pytest.mark.parametrize("side", ["origination", "termination"])
def test_statistics_floor_before_1970(api: Api, bearer: str, side: str, sampling: str,
                                      zone: str | None) -> None:
    params = [("account-id", UUID), ("from-time", "0001-01-01"),
              ("to-time", iso(us("1970-01-01T00:00:00Z"))), ("sampling", sampling)]
    if zone:
        params.append(("time-zone", zone))
    response = api.get(V1 + f"/{side}-statistics", params=params, token=bearer)
    stored = [{**c, "customer_price": Decimal(str(c["customer_price"]))} for c in CDRS]
    expected = ref.traffic(stored, side, 1, us("0001-01-01T00:00:00Z"),
                           us("1970-01-01T00:00:00Z"), NOW, sampling,
                           ZoneInfo(zone) if zone else None, [])
    assert response.status_code == 200, response.text
    assert response.content == dumps(expected)
    if sampling == "minute" and zone is None:
        assert expected["data"]["t"][-3:] == [-3600 + 4 * 60, -60, 0]


@pytest.mark.parametrize("zone", [None, "America/New_York"])
@pytest.mark.parametrize("sampling", ["minute", "5minutes", "hour", "day"])
def test_active_call_series_floor_before_1970(api: Api, bearer: str, sampling: str,
                                              zone: str | None) -> None:
    start, end = us("1969-12-31T22:00:00Z"), us("1970-01-01T00:00:00Z")
    params = [("account-id", UUID), ("from-time", iso(start)), ("to-time", iso(end)),
              ("sampling", sampling)]
    if zone:
        params.append(("time-zone", zone))
    response = api.get(V1 + "/origination-active-calls", params=params, token=bearer)
    expected = ref.concurrent(SNAPSHOTS, "origination", 1, start, end, NOW, sampling,
                              ZoneInfo(zone) if zone else None, [])
    assert response.status_code == 200, response.text
    assert response.content == dumps(expected)
    assert sum(expected["data"]["calls"]) > 0
