"""POST /chart-active-calls and /chart-originated-cps (SPEC 9.6) through the real app, on
every store kind: yeti-web's own request specs replayed (tests/support: their data as
snapshots and CDRs), one zero-filled point per minute, the values of SPEC 4.4 and 9.4's
cps, the defaults, and the 422s yeti answers."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from tests.support.api import Api
from tests.support.jsonapi import MEDIA_TYPE, blank_account, chart_body, error, post_chart
from tests.support.times import SECOND, us

NOW = us("2019-01-03T00:00:00Z") // SECOND
A1, A2, B1 = "a1a1a1a1-0000-4000-8000-000000000101", "a2a2a2a2-0000-4000-8000-000000000102", \
    "b1b1b1b1-0000-4000-8000-000000000201"
DAY_POINTS = 24 * 60 + 1  # minute(from) .. minute(to), both included


def _calls(count: int, **keys: object) -> list[dict[str, object]]:
    return [dict(keys) for _ in range(count)]


@pytest.fixture(scope="module")
def api(make_api) -> Api:  # type: ignore[no-untyped-def]
    api = make_api(NOW)
    api.customer("A", 1)
    api.customer("B", 2)
    for owner, account_id, account_uuid in ((1, 101, A1), (1, 102, A2), (2, 201, B1)):
        api.account(owner, id=account_id, uuid=account_uuid)
    api.login(1, "all")
    api.login(1, "other-account-only", account_ids=[102])
    # yeti-web chart_active_calls spec: its stats rows become snapshots of those counts.
    api.snapshots([
        {"snapshot_timestamp": us("2019-01-01T00:00:01Z"), "node_id": 1,
         "calls": _calls(10, customer_acc_id=101) + _calls(15, vendor_acc_id=101)},
        {"snapshot_timestamp": us("2019-01-01T15:15:00Z"), "node_id": 1,
         "calls": _calls(17, customer_acc_id=101) + _calls(13, vendor_acc_id=101)},
        {"snapshot_timestamp": us("2019-01-02T00:00:01Z"), "node_id": 1,  # out of range
         "calls": _calls(100, customer_acc_id=101) + _calls(150, vendor_acc_id=101)},
        {"snapshot_timestamp": us("2019-01-01T00:00:01Z"), "node_id": 2,  # another account
         "calls": _calls(76, customer_acc_id=102) + _calls(89, vendor_acc_id=102)},
        # two nodes in one minute: each node's peak, summed
        {"snapshot_timestamp": us("2019-01-01T12:00:05Z"), "node_id": 1,
         "calls": _calls(3, customer_acc_id=101)},
        {"snapshot_timestamp": us("2019-01-01T12:00:35Z"), "node_id": 1,
         "calls": _calls(5, customer_acc_id=101)},
        {"snapshot_timestamp": us("2019-01-01T12:00:50Z"), "node_id": 3,
         "calls": _calls(2, customer_acc_id=101, vendor_acc_id=101)},
    ])
    # yeti-web chart_originated_cps spec's CDRs.
    rows: list[dict[str, object]] = []

    def cdrs(count: int, time_start: str, **keys: object) -> None:
        for _ in range(count):
            rows.append({"id": len(rows) + 1, "time_start": us(time_start), "duration": 10,
                         "customer_acc_id": 101, "is_last_cdr": True, **keys})

    cdrs(4, "2019-01-01T00:00:00Z")
    cdrs(2, "2019-01-01T00:00:59Z")
    cdrs(12, "2019-01-01T23:59:59Z")
    cdrs(1, "2019-01-01T15:34:00Z", is_last_cdr=False)  # not the last CDR of its call
    cdrs(1, "2019-01-02T02:15:00Z")  # out of range
    cdrs(1, "2018-12-31T23:59:59Z")
    cdrs(1, "2019-01-01T12:00:01Z", customer_acc_id=102)  # another account
    cdrs(1, "2019-01-01T12:00:01Z", customer_acc_id=None, vendor_acc_id=101)  # termination
    api.cdrs(rows)
    return api


@pytest.fixture(scope="module")
def token(api: Api) -> str:
    return api.token(1)


def _minute(text: str) -> str:
    return text[:17] + "00.000Z"


def _series(points: dict[str, object], zero: object, start: str, count: int
            ) -> list[dict[str, object]]:
    """`count` minutes from `start`, valued from `points` (by x), else `zero`."""
    first = datetime.fromisoformat(start)
    minutes = (first + timedelta(minutes=i) for i in range(count))
    return [{"x": x, "y": points.get(x, zero)}
            for x in (m.strftime("%Y-%m-%dT%H:%M:00.000Z") for m in minutes)]


def _created(response, type_name: str, account: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == MEDIA_TYPE
    assert response.headers["etag"].startswith('W/"')
    data = response.json()["data"]
    assert list(data) == ["id", "type", "attributes", "relationships"]
    assert uuid.UUID(data["id"]).version == 4
    assert data["type"] == type_name
    assert data["relationships"] == {"account": {"data": {"type": "accounts", "id": account}}}
    return data["attributes"]  # type: ignore[no-any-return]


def test_yeti_webs_active_calls_spec(api: Api, token: str) -> None:
    body = chart_body("chart-active-calls", A1, "2019-01-01T00:00:00.000Z",
                      "2019-01-02T00:00:00.000Z")
    attributes = _created(post_chart(api, "chart-active-calls", token, body),
                          "chart-active-calls", A1)
    assert list(attributes) == ["from-time", "to-time", "terminated-calls", "originated-calls"]
    assert attributes["from-time"] == "2019-01-01T00:00:00.000Z"
    assert attributes["to-time"] == "2019-01-02T00:00:00.000Z"
    assert attributes["originated-calls"] == _series(
        {"2019-01-01T00:00:00.000Z": 10, "2019-01-01T15:15:00.000Z": 17,
         "2019-01-01T12:00:00.000Z": 5 + 2}, 0, "2019-01-01T00:00:00Z", DAY_POINTS)
    assert attributes["terminated-calls"] == _series(
        {"2019-01-01T00:00:00.000Z": 15, "2019-01-01T15:15:00.000Z": 13,
         "2019-01-01T12:00:00.000Z": 2}, 0, "2019-01-01T00:00:00Z", DAY_POINTS)


def test_yeti_webs_originated_cps_spec(api: Api, token: str) -> None:
    body = chart_body("chart-originated-cps", A1, "2019-01-01T00:00:00.000Z",
                      "2019-01-02T00:00:00.000Z")
    attributes = _created(post_chart(api, "chart-originated-cps", token, body),
                          "chart-originated-cps", A1)
    assert list(attributes) == ["from-time", "to-time", "cps"]
    assert attributes["cps"] == _series(
        {"2019-01-01T00:00:00.000Z": "0.1", "2019-01-01T23:59:00.000Z": "0.2"}, "0.0",
        "2019-01-01T00:00:00Z", DAY_POINTS)


def test_yeti_clients_own_spelling_and_partial_minutes(api: Api, token: str) -> None:
    """yeti-client sends `YYYY-MM-DD HH:MM:SS` (UTC here); points run from minute(from) to
    minute(to), and only what lies in [from, to] counts."""
    body = chart_body("chart-originated-cps", A1, "2019-01-01 00:00:30", "2019-01-01 00:01:10")
    attributes = _created(post_chart(api, "chart-originated-cps", token, body),
                          "chart-originated-cps", A1)
    assert attributes["from-time"] == "2019-01-01T00:00:30.000Z"
    assert attributes["cps"] == [{"x": "2019-01-01T00:00:00.000Z", "y": "0.0333"},  # 2 / 60
                                 {"x": "2019-01-01T00:01:00.000Z", "y": "0.0"}]
    body = chart_body("chart-active-calls", A1, "2019-01-01 12:00:30", "2019-01-01 12:00:30")
    attributes = _created(post_chart(api, "chart-active-calls", token, body),
                          "chart-active-calls", A1)
    assert attributes["originated-calls"] == [{"x": "2019-01-01T12:00:00.000Z", "y": 0}]


@pytest.mark.parametrize(("attributes", "window"), [
    ({}, ("2019-01-02T00:00:00.000Z", "2019-01-03T00:00:00.000Z")),
    ({"to-time": "2019-01-01T12:00:00.5Z"},
     ("2018-12-31T12:00:00.500Z", "2019-01-01T12:00:00.500Z")),
    ({"from-time": "2019-01-02T23:00:00Z"},
     ("2019-01-02T23:00:00.000Z", "2019-01-03T00:00:00.000Z")),
    ({"from-time": None, "to-time": None},
     ("2019-01-02T00:00:00.000Z", "2019-01-03T00:00:00.000Z")),
])
def test_defaults_to_now_and_a_day_before(api: Api, token: str, attributes: dict[str, object],
                                          window: tuple[str, str]) -> None:
    body = chart_body("chart-active-calls", A1)
    body["data"]["attributes"] = attributes  # type: ignore[index]
    made = _created(post_chart(api, "chart-active-calls", token, body), "chart-active-calls", A1)
    assert (made["from-time"], made["to-time"]) == window
    points = made["originated-calls"]
    assert isinstance(points, list)
    assert points[0]["x"] == _minute(window[0]) and points[-1]["x"] == _minute(window[1])


def _problems(api: Api, token: str | None, body: object, type_name: str = "chart-active-calls"
              ) -> tuple[int, object]:
    response = post_chart(api, type_name, token, body)
    assert response.headers["content-type"] == MEDIA_TYPE
    return response.status_code, response.json()


@pytest.mark.parametrize("type_name", ["chart-active-calls", "chart-originated-cps"])
@pytest.mark.parametrize("account", [None, A1, B1, "e0000000-0000-4000-8000-000000000999",
                                     "x", ""])
def test_an_account_the_caller_may_not_use_is_blank(api: Api, type_name: str,
                                                    account: str | None) -> None:
    token = api.token(2)  # customer 1's login limited to A2: A1 is not its to use
    status, body = _problems(api, token, chart_body(type_name, account), type_name)
    assert (status, body) == (422, {"errors": [blank_account()]})
    mine = post_chart(api, type_name, token, chart_body(type_name, A2.upper()))
    _created(mine, type_name, A2)


def test_from_after_to_and_too_many_points_are_422s(api: Api, token: str) -> None:
    later = chart_body("chart-active-calls", A1, "2019-01-02T00:00:01Z", "2019-01-02T00:00:00Z")
    assert _problems(api, token, later) == (422, {"errors": [{
        "title": "from-time must not be later than to-time",
        "detail": "from-time must not be later than to-time", "code": "100",
        "source": {"pointer": "/data"}, "status": "422"}]})
    long = chart_body("chart-originated-cps", A1, "2018-01-01T00:00:00Z", "2019-01-01T00:00:00Z")
    status, body = _problems(api, token, long, "chart-originated-cps")
    assert status == 422
    assert body["errors"][0]["detail"].startswith("too many points (max 50000)")  # type: ignore[index]


def test_every_problem_at_once(api: Api, token: str) -> None:
    body = chart_body("chart-active-calls", None, "soon", "2019-01-01T00:00:00Z")
    assert _problems(api, token, body) == (422, {"errors": [{
        "title": "is invalid", "detail": "from-time - is invalid", "code": "100",
        "source": {"pointer": "/data/attributes/from-time"}, "status": "422"},
        blank_account()]})


def test_malformed_bodies_and_no_token(api: Api, token: str) -> None:
    wrong_type = chart_body("chart-originated-cps", A1)
    assert _problems(api, token, wrong_type) == (400, {"errors": [error(
        "Type Mismatch", "chart-originated-cps is not a valid type for this operation.", "116")]})
    assert _problems(api, None, chart_body("chart-active-calls", A1))[0] == 401
    response = api.request("POST", "/api/rest/customer/v1/chart-active-calls",
                           content=b"{", headers={"Authorization": token})
    assert response.status_code == 400


def test_a_body_over_64_kib_is_refused(api: Api, token: str) -> None:
    body = chart_body("chart-active-calls", A1)
    body["padding"] = "x" * 70_000
    status, answer = _problems(api, token, body)
    assert (status, answer) == (413, {"errors": [error(
        "Request body too large", "The body is over 65536 bytes.", "413", "413")]})
