"""SPEC 4.6: the headers of every customer API and PBX response (errors included), compact
UTF-8 JSON, ETag / If-None-Match, X-Request-Id, Accept: application/vnd.api+json, and the
CSV form of the statistics and active-call series."""

from __future__ import annotations

import csv
import io
import re
import uuid

import orjson
import pytest

from tests.support.api import Api
from tests.support.times import SECOND, iso
from tests.support.wire import V1, etag_of

NOW = 1_750_000_000 // 60 * 60
UUID = "c5c5c5c5-0000-4000-8000-0000000000c5"
FIXED = {
    "x-frame-options": "SAMEORIGIN",
    "x-xss-protection": "0",
    "x-content-type-options": "nosniff",
    "x-permitted-cross-domain-policies": "none",
    "referrer-policy": "strict-origin-when-cross-origin",
    "vary": "Accept",
}
JSON = "application/json; charset=utf-8"
CACHE = "max-age=0, private, must-revalidate"
ALWAYS = set(FIXED) | {"x-request-id", "x-runtime", "content-length"}


@pytest.fixture(scope="module")
def api(make_api) -> Api:  # type: ignore[no-untyped-def]
    api = make_api(NOW)
    api.customer("c", 1)
    api.account(1, id=1, uuid=UUID)
    api.cdrs([{"id": i, "time_start": (NOW - 3600 + i * 61) * SECOND, "duration": i % 3 * 45,
               "customer_acc_id": 1, "vendor_acc_id": 1, "customer_id": 1,
               "customer_price": "0.125", "src_prefix_routing": "Zürich ☎"}
              for i in range(1, 30)])
    api.snapshots([{"snapshot_timestamp": (NOW - 60 * k) * SECOND, "node_id": 1, "calls": [
        {"customer_acc_id": 1, "vendor_acc_id": 1, "src_name_in": "Zürich ☎ \"q\" \\",
         "start_time": (NOW - 500) * SECOND, "destination_initial_rate": "0.5"}] * (5 - k)}
        for k in range(0, 5)])
    return api


def _token(api: Api) -> str:
    return api.dynamic_token(1)


SINCE = iso((NOW - 3600) * SECOND)
OK_REQUESTS = {
    "origination-statistics": (V1 + "/origination-statistics",
                               {"account-id": UUID, "from-time": SINCE, "sampling": "minute"}),
    "termination-statistics": (V1 + "/termination-statistics",
                               {"account-id": UUID, "from-time": SINCE, "sampling": "hour"}),
    "origination-active-calls": (V1 + "/origination-active-calls",
                                 {"account-id": UUID, "from-time": iso((NOW - 600) * SECOND)}),
    "termination-active-calls": (V1 + "/termination-active-calls",
                                 {"account-id": UUID, "from-time": iso((NOW - 600) * SECOND)}),
    "outgoing-active-calls": (V1 + "/outgoing-active-calls", {"account-id": UUID}),
    "calls-stats": ("/client/@me/calls/stats/", {}),
    "cdr-stats": ("/client/1/cdr/stats", {}),
}


def check_headers(response, status: int, cached: bool) -> None:  # type: ignore[no-untyped-def]
    """The SPEC 4.6 header set: exact names, fixed values, compact JSON bodies."""
    assert response.status_code == status, response.text
    names = set(response.headers)
    expected = ALWAYS | ({"etag", "cache-control"} if cached else set())
    if response.content:  # (empty bodies: GET /auth, DELETE /auth, 304, cookie login)
        expected |= {"content-type"}
    if status in (204, 304):  # no body, no length
        expected -= {"content-length"}
    extra = names - expected - {"set-cookie", "allow"}
    assert not extra and expected <= names, (sorted(names), sorted(expected))
    assert {k: response.headers[k] for k in FIXED} == FIXED
    assert len(response.headers.get_list("vary")) == 1
    assert re.fullmatch(r"[0-9]+\.[0-9]{6}", response.headers["x-runtime"])
    if "content-length" in expected:
        assert response.headers["content-length"] == str(len(response.content))
    if cached:
        assert response.headers["etag"] == etag_of(response.content) or status == 304
        assert response.headers["cache-control"] == CACHE
    if response.content and response.headers["content-type"] == JSON:
        # compact, UTF-8 unescaped, no trailing newline: exactly what orjson writes
        assert response.content == orjson.dumps(response.json())


@pytest.mark.parametrize("name", OK_REQUESTS)
def test_200_responses(api: Api, name: str) -> None:
    path, params = OK_REQUESTS[name]
    for accept in (None, "application/vnd.api+json", "application/json", "*/*"):
        headers = {"Accept": accept} if accept else {}
        response = api.get(path, params=params, token=_token(api), headers=headers)
        check_headers(response, 200, cached=True)
        assert response.headers["content-type"] == JSON
        if accept:
            plain = api.get(path, params=params, token=_token(api))
            assert response.content == plain.content


ERRORS = {  # name → (path, params, token?, status)
    "401": (V1 + "/origination-statistics", {}, False, 401),
    "400 missing": (V1 + "/origination-statistics", {}, True, 400),
    "400 invalid": (V1 + "/termination-active-calls", {"account-id": "x", "from-time": "y"},
                    True, 400),
    "400 too many points": (V1 + "/origination-active-calls",
                            {"account-id": UUID, "from-time": "2000-01-01"}, True, 400),
    "401 outgoing": (V1 + "/outgoing-active-calls", {"account-id": UUID}, False, 401),
    "403 pbx": ("/client/2/cdr/stats/", {}, True, 403),
    "400 pbx": ("/client/@me/calls/stats/", {"start_datetime": "x"}, True, 400),
    "401 pbx": ("/client/@me/calls/stats", {}, False, 401),
    "404 unknown report": (V1 + "/no-such-report", {}, True, 404),
    "401 get auth": (V1 + "/auth", {}, False, 401),
}


@pytest.mark.parametrize("name", ERRORS)
def test_error_responses(api: Api, name: str) -> None:
    path, params, with_token, status = ERRORS[name]
    for accept in (None, "application/vnd.api+json", "text/csv"):
        headers = {"Accept": accept} if accept else {}
        response = api.get(path, params=params, token=_token(api) if with_token else None,
                           headers=headers)
        check_headers(response, status, cached=False)
        assert response.headers["content-type"] == JSON
        body = response.json()
        assert set(body) == ({"errors"} if status == 401 else {"error"})


def test_other_customer_api_responses(api: Api) -> None:
    login = api.request("POST", V1 + "/auth", json={"auth": {"login": "x", "password": "y"}})
    check_headers(login, 401, cached=False)
    check_headers(api.request("DELETE", V1 + "/auth"), 204, cached=False)
    check_headers(api.get(V1 + "/auth", token=_token(api)), 200, cached=False)
    not_allowed = api.request("POST", V1 + "/origination-statistics")
    check_headers(not_allowed, 405, cached=False)
    assert not_allowed.headers["allow"] == "GET, HEAD"
    options = api.request("OPTIONS", V1 + "/auth")
    check_headers(options, 405, cached=False)
    assert options.headers["allow"] == "GET, HEAD, POST, DELETE"


def test_json_is_compact_utf8(api: Api) -> None:
    response = api.get(V1 + "/outgoing-active-calls", params={"account-id": UUID},
                       token=_token(api))
    assert 'Zürich ☎ \\"q\\" \\\\'.encode() in response.content
    assert response.content.startswith(b'{"data":[{"snapshot_timestamp":"')
    stats = api.get(*OK_REQUESTS["origination-statistics"], token=_token(api))
    assert stats.content.startswith(b'{"data":{"t":[')
    assert b'"rows":' in stats.content and b", " not in stats.content


@pytest.mark.parametrize("name", OK_REQUESTS)
def test_etag_and_if_none_match(api: Api, name: str) -> None:
    path, params = OK_REQUESTS[name]
    first = api.get(path, params=params, token=_token(api))
    etag = first.headers["etag"]
    assert re.fullmatch(r'W/"[0-9a-f]{32}"', etag)
    strong = etag.removeprefix("W/")
    for header in (etag, strong, f'W/"0000", {etag}', f'{strong} , "x"'):
        again = api.get(path, params=params, token=_token(api),
                        headers={"If-None-Match": header})
        check_headers(again, 304, cached=True)
        assert again.content == b""
        assert again.headers["etag"] == etag
    changed = etag[:-2] + ("0" if etag[-2] != "0" else "1") + '"'
    for header in ('W/"0000"', changed, changed.removeprefix("W/"), "*x"):
        fresh = api.get(path, params=params, token=_token(api),
                        headers={"If-None-Match": header})
        check_headers(fresh, 200, cached=True)
        assert fresh.content == first.content


def test_an_etag_never_hides_an_error(api: Api) -> None:
    ok = api.get(*OK_REQUESTS["outgoing-active-calls"], token=_token(api))
    for token in (None, "x"):
        response = api.get(V1 + "/outgoing-active-calls", params={"account-id": UUID},
                           token=token, headers={"If-None-Match": ok.headers["etag"]})
        assert response.status_code == 401


@pytest.mark.parametrize(("sent", "echoed"), [
    ("abc", True),
    ("req-1.2_3", True),
    ("A" * 255, True),
    (str(uuid.uuid4()), True),
    ("A" * 256, False),
    ("has space", False),
    ("semi;colon", False),
    ("ümlaut", False),
    ("a/b", False),
    ("", False),
])
def test_request_id(api: Api, sent: str, echoed: bool) -> None:
    for path, params, token in ((V1 + "/outgoing-active-calls", {"account-id": UUID}, True),
                                (V1 + "/outgoing-active-calls", {}, True),
                                ("/client/@me/cdr/stats/", {}, False)):
        response = api.get(path, params=params, token=_token(api) if token else None,
                           headers={"X-Request-Id": sent.encode()})
        got = response.headers["x-request-id"]
        if echoed:
            assert got == sent
        else:
            assert got != sent
            assert uuid.UUID(got).version == 4
    a = api.get(V1 + "/auth").headers["x-request-id"]
    b = api.get(V1 + "/auth").headers["x-request-id"]
    assert a != b


def _csv_rows(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.mark.parametrize("name", ["origination-statistics", "termination-statistics",
                                  "origination-active-calls", "termination-active-calls"])
def test_csv(api: Api, name: str) -> None:
    path, params = OK_REQUESTS[name]
    json_body = api.get(path, params=params, token=_token(api)).json()
    for accept in ("text/csv", "text/csv; charset=utf-8", "text/csv, application/json;q=0.5"):
        response = api.get(path, params=params, token=_token(api), headers={"Accept": accept})
        check_headers(response, 200, cached=True)
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        data = json_body["data"]
        rows = _csv_rows(response)
        assert rows[0] == list(data) and rows[0][0] == "t"
        assert len(rows) == 1 + len(data["t"]) == 1 + json_body["rows"]
        for i, row in enumerate(rows[1:]):
            assert row == ["" if data[k][i] is None else str(data[k][i]) for k in data]
        assert "totals" not in response.text
    empty = api.get(path, params={**params, "from-time": iso((NOW + 60) * SECOND)},
                    token=_token(api), headers={"Accept": "text/csv"})
    assert _csv_rows(empty) == [list(json_body["data"])]
