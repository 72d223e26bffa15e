"""GET /accounts and /accounts/{uuid} (SPEC 9.1, 9.2) through the real app, on every store
kind: exact documents, filters by name and uuid, sort, paging and links, sparse fieldsets,
errors, and the SPEC 4.6 headers with the JSON:API media type."""

from __future__ import annotations

import hashlib

import orjson
import pytest

from callstats.http.customer_auth import COOKIE
from tests.support.api import Api
from tests.support.jsonapi import (
    MEDIA_TYPE,
    bad_filter,
    bad_page,
    bad_sort,
    error,
    get,
    ids,
    not_allowed,
    not_found,
)
from tests.support.wire import SECURITY_HEADERS, UNAUTHORIZED, V1

NOW = 1_735_000_000
BASE = "http://testserver" + V1
# Customer 1's accounts (names chosen for code-point order and a tie), and customer 2's.
MINE = {11: ("beta", "b0000000-0000-4000-8000-000000000011"),
        12: ("Alpha", "a0000000-0000-4000-8000-000000000012"),
        13: ("alpha", "a0000000-0000-4000-8000-000000000013"),
        14: ("beta", "a0000000-0000-4000-8000-000000000014"),
        15: ("Zürich 50%_off", "c0000000-0000-4000-8000-000000000015")}
THEIRS = {21: ("alpha", "d0000000-0000-4000-8000-000000000021")}
BY_NAME = ["a0000000-0000-4000-8000-000000000012",  # Alpha
           "c0000000-0000-4000-8000-000000000015",  # Zürich… (Z before a)
           "a0000000-0000-4000-8000-000000000013",  # alpha
           "a0000000-0000-4000-8000-000000000014",  # beta, the smaller uuid first
           "b0000000-0000-4000-8000-000000000011"]  # beta


@pytest.fixture(scope="module")
def api(make_api) -> Api:  # type: ignore[no-untyped-def]
    api = make_api(NOW)
    api.customer("A", 1)
    api.customer("B", 2)
    for owner, accounts in ((1, MINE), (2, THEIRS)):
        for account_id, (name, uuid) in accounts.items():
            api.admin("POST", "/accounts", {"customer_id": owner, "id": account_id,
                                            "name": name, "uuid": uuid.upper()})
    api.login(1, "all")
    api.login(1, "some", account_ids=[11, 13])
    return api


@pytest.fixture(scope="module")
def token(api: Api) -> str:
    return api.dynamic_token(1)


def _uuid(account_id: int) -> str:
    return {**MINE, **THEIRS}[account_id][1]


def test_the_list_document_exactly(api: Api, token: str) -> None:
    response = get(api, "/accounts", token, {"filter[uuid_in]": f"{_uuid(12)},{_uuid(11)}"})
    assert response.status_code == 200
    expected = {
        "data": [{"id": _uuid(i), "type": "accounts",
                  "links": {"self": f"{BASE}/accounts/{_uuid(i)}"},
                  "attributes": {"name": MINE[i][0]}} for i in (12, 11)],
        "meta": {"total-count": 2},
        "links": {name: f"{BASE}/accounts?filter%5Buuid_in%5D={_uuid(12)}%2C{_uuid(11)}"
                        "&page%5Bnumber%5D=1&page%5Bsize%5D=50" for name in ("first", "last")},
    }
    assert response.content == orjson.dumps(expected)


def test_headers(api: Api, token: str) -> None:
    response = get(api, "/accounts", token)
    assert response.headers["content-type"] == MEDIA_TYPE
    tag = f'W/"{hashlib.sha256(response.content).hexdigest()[:32]}"'
    assert response.headers["etag"] == tag
    assert response.headers["cache-control"] == "max-age=0, private, must-revalidate"
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert response.headers["x-request-id"] and float(response.headers["x-runtime"]) >= 0
    again = get(api, "/accounts", token, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    failed = get(api, "/accounts", "not-a-token")
    assert (failed.status_code, failed.content) == (401, UNAUTHORIZED)
    assert failed.headers["content-type"] == MEDIA_TYPE
    assert failed.headers["x-frame-options"] == "SAMEORIGIN"


def test_default_sort_is_name_in_code_point_order_ties_by_uuid(api: Api, token: str) -> None:
    assert ids(get(api, "/accounts", token)) == BY_NAME
    assert ids(get(api, "/accounts", token, {"sort": "-name"})) == BY_NAME[::-1]
    assert ids(get(api, "/accounts", token, {"sort": "id"})) == sorted(BY_NAME)
    assert ids(get(api, "/accounts", token, {"sort": "-id"})) == sorted(BY_NAME)[::-1]


@pytest.mark.parametrize(("filters", "expected"), [
    ({"filter[name_eq]": "alpha"}, [13]),
    ({"filter[nameEq]": "beta"}, [14, 11]),
    ({"filter[name-not-eq]": "beta"}, [12, 15, 13]),
    ({"filter[name_cont]": "ALP"}, [12, 13]),  # case-insensitive
    ({"filter[name_cont]": "%_"}, [15]),  # literal
    ({"filter[name_cont]": "ÜRICH"}, [15]),
    ({"filter[name_start]": "al"}, [13]),  # case-sensitive
    ({"filter[name_end]": "ta"}, [14, 11]),
    ({"filter[name_in]": "Alpha,beta"}, [12, 14, 11]),
    ({"filter[name_not_in]": "Alpha,beta"}, [15, 13]),
    ({"filter[name_cont_any]": "zür,PH"}, [12, 15, 13]),
    ({"filter[uuid_eq]": _uuid(13).upper()}, [13]),
    ({"filter[uuid_not_eq]": _uuid(13)}, [12, 15, 14, 11]),
    ({"filter[uuid_not_in]": f"{_uuid(13)},{_uuid(15)}"}, [12, 14, 11]),
    ({"filter[name_cont]": "a", "filter[name_end]": "a"}, [12, 13, 14, 11]),
    ({"filter[name_eq]": ""}, [12, 15, 13, 14, 11]),  # empty: no filter
])
def test_filters(api: Api, token: str, filters: dict[str, str], expected: list[int]) -> None:
    assert ids(get(api, "/accounts", token, filters)) == [_uuid(i) for i in expected]


def test_bad_params_get_jsonapi_resources_errors(api: Api, token: str) -> None:
    cases = [
        ({"filter[balance_gt]": "1"}, [not_allowed("balance_gt")]),
        ({"filter[name_gt]": "a"}, [not_allowed("name_gt")]),
        ({"filter[uuid_eq]": "zz"}, [bad_filter("uuid_eq", "zz")]),
        ({"sort": "balance"}, [bad_sort("accounts", "balance")]),
        ({"page[size]": "0"}, [bad_page("size", "0")]),
        ({"page[number]": "x", "sort": "-uuid"},
         [bad_sort("accounts", "-uuid"), bad_page("number", "x")]),
        ({"fields[accounts]": "balance"},
         [error("Invalid field", "balance is not a valid field for accounts.", "104")]),
    ]
    for params, expected in cases:
        response = get(api, "/accounts", token, params)
        assert response.status_code == 400, params
        assert response.headers["content-type"] == MEDIA_TYPE
        assert response.json() == {"errors": expected}, params


def test_pages_and_links(api: Api, token: str) -> None:
    seen = []
    for number in (1, 2, 3):
        response = get(api, "/accounts", token, {"page[size]": "2", "page[number]": str(number),
                                                 "sort": "-name"})
        body = response.json()
        assert body["meta"] == {"total-count": 5}
        link = f"{BASE}/accounts?page%5Bnumber%5D={{}}&page%5Bsize%5D=2&sort=-name"
        expected = {"first": link.format(1), "last": link.format(3)}
        if number > 1:
            expected["prev"] = link.format(number - 1)
        if number < 3:
            expected["next"] = link.format(number + 1)
        assert body["links"] == expected
        seen += ids(response)
    assert seen == BY_NAME[::-1]
    beyond = get(api, "/accounts", token, {"page[number]": "9"}).json()
    assert beyond["data"] == [] and beyond["meta"] == {"total-count": 5}
    assert set(beyond["links"]) == {"first", "prev", "last"}


def test_sparse_fieldsets(api: Api, token: str) -> None:
    [item] = get(api, "/accounts", token, {"fields[accounts]": "", "filter[uuid_eq]": _uuid(11)}
                 ).json()["data"]
    assert item["attributes"] == {}
    shown = get(api, f"/accounts/{_uuid(11)}", token, {"fields[accounts]": "name"}).json()
    assert shown["data"]["attributes"] == {"name": "beta"}


def test_show(api: Api, token: str) -> None:
    response = get(api, f"/accounts/{_uuid(15).upper()}", token)
    assert response.status_code == 200
    assert response.content == orjson.dumps({"data": {
        "id": _uuid(15), "type": "accounts", "links": {"self": f"{BASE}/accounts/{_uuid(15)}"},
        "attributes": {"name": "Zürich 50%_off"}}})
    assert response.headers["content-type"] == MEDIA_TYPE
    assert response.headers["etag"].startswith('W/"')


def test_show_errors(api: Api, token: str) -> None:
    other = get(api, f"/accounts/{_uuid(21)}", token)
    assert (other.status_code, other.json()) == (404, {"errors": [not_found(_uuid(21))]})
    unknown = "e0000000-0000-4000-8000-000000000099"
    assert get(api, f"/accounts/{unknown}", token).json() == {"errors": [not_found(unknown)]}
    malformed = get(api, "/accounts/12", token)
    assert (malformed.status_code, malformed.json()) == (400, {"errors": [error(
        "Invalid field value", "12 is not a valid value for id.", "103")]})
    assert get(api, f"/accounts/{_uuid(11)}", None).status_code == 401


def test_a_login_limited_to_some_accounts_sees_only_those(api: Api) -> None:
    token = api.token(2)  # "some": accounts 11 and 13
    assert ids(get(api, "/accounts", token)) == [_uuid(13), _uuid(11)]
    assert get(api, f"/accounts/{_uuid(12)}", token).status_code == 404
    limited = api.dynamic_token(1, account_ids=[12])
    assert ids(get(api, "/accounts", limited)) == [_uuid(12)]
    assert get(api, f"/accounts/{_uuid(13)}", limited).status_code == 404


def test_cookie_sessions_are_refreshed(api: Api) -> None:
    response = api.get(V1 + "/accounts", headers={"Cookie": f"{COOKIE}={api.token(1)}"})
    assert response.status_code == 200
    assert response.headers["set-cookie"].startswith(f"{COOKIE}=")
