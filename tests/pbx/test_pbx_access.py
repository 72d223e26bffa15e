"""Who may ask for what (SPEC 5, 4.1, 4.6): the routes with and without the trailing slash,
`@me` and the token's own customer id, 403 for any other client id, 401 before 403 and
400, tenant and account isolation, and the customer API's headers on PBX responses."""

from __future__ import annotations

import re
from collections.abc import Callable

import orjson
import pytest

from callstats.auth.tokens import mint_dynamic_token, mint_token
from tests.support.api import SECRET
from tests.support.pbx import LIFETIME, PbxApi, Scope, expected, path, stored
from tests.support.times import DAY, SECOND, us
from tests.support.wire import FORBIDDEN, SECURITY_HEADERS, UNAUTHORIZED, dumps, etag_of, invalid

NOW = us("2024-07-01T12:00:00Z")
A, B = 5, 6  # customers: A owns accounts 51 and 52, B owns 61
T0 = NOW - 3600 * SECOND


def cdr(id: int, **fields: object) -> dict[str, object]:
    return {"id": id, "time_start": T0 + id * SECOND, "duration": 0, **fields}


ROWS = [
    # A places calls on both its accounts…
    cdr(1, customer_id=A, customer_acc_id=51, duration=10, local_tag="a1"),
    cdr(2, customer_id=A, customer_acc_id=51, duration=20, extension_id=7),
    cdr(3, customer_id=A, customer_acc_id=52, legb_disconnect_code=486, local_tag="shared"),
    cdr(4, customer_id=A, customer_acc_id=52, lega_disconnect_code=603, local_tag="shared",
        time_start=T0),
    # …and receives calls on them, one of them from B.
    cdr(5, vendor_id=A, vendor_acc_id=51, duration=30, is_redirected=True),
    cdr(6, vendor_id=A, vendor_acc_id=52, lega_disconnect_code=480, bridged=True,
        bridged_duration=4, answered_elsewhere=True),
    cdr(7, customer_id=B, customer_acc_id=61, vendor_id=A, vendor_acc_id=52, duration=40),
    # B's own traffic, one call sharing A's local_tag (answered: it must not answer A's).
    cdr(8, customer_id=B, customer_acc_id=61, duration=100, local_tag="shared"),
    cdr(9, customer_id=B, customer_acc_id=61, duration=100, local_tag="a1"),
    cdr(10, vendor_id=B, vendor_acc_id=61, internal_disconnect_code=500),
    # A's ids in B's account columns (and the reverse) count for nobody's account filter.
    cdr(11, customer_id=B, customer_acc_id=51, duration=1000),
    cdr(12, vendor_id=B, vendor_acc_id=52, duration=1000),
    cdr(13, customer_id=A, customer_acc_id=61, duration=2000),
]


class App:
    def __init__(self, api: PbxApi):
        self.api = api
        self.a_login = api.login(A, "a")
        self.a = api.jwt("a")
        self.b = api.token(api.login(B, "b"))
        self.a51 = api.token(api.login(A, "a-51", [51]))
        self.a52_dynamic = api.dynamic_token(A, [52])


def build(make_pbx: Callable[[int], PbxApi]) -> App:
    api = make_pbx(NOW)
    for customer, accounts in ((A, (51, 52)), (B, (61,))):
        api.customer(customer)
        for account in accounts:
            api.account(customer, account)
    api.cdrs(ROWS)
    return App(api)


@pytest.fixture(scope="module")
def app(make_pbx: Callable[[int], PbxApi]) -> App:
    return build(make_pbx)


def body_of(client: int, accounts: frozenset[int] = frozenset(), per_call: bool = True
            ) -> bytes:
    """The reference's body for a client over ROWS, in the default window."""
    scope = Scope(client, accounts, NOW - DAY, NOW, None)
    return dumps(expected([stored(r) for r in ROWS], scope, per_call))


# --- routes and client ids -----------------------------------------------------------------

@pytest.mark.parametrize("per_call", [True, False])
def test_both_spellings_of_the_path_answer_directly(app: App, per_call: bool) -> None:
    bodies = set()
    for client_id in ("@me", A):
        for slash in (True, False):
            response = app.api.get(path(client_id, per_call, slash), token=app.a)
            assert response.status_code == 200, response.text
            assert "location" not in response.headers
            assert not response.history
            bodies.add(response.content)
    assert bodies == {body_of(A, per_call=per_call)}


def test_the_bodies_are_worked_out_by_hand(app: App) -> None:
    """A's view of ROWS, independently of the reference implementation."""
    response = app.api.get(path("@me", True), token=app.a)
    assert response.content == (
        b'{"in":{"answered":2,"bridged":3,"bridged_duration":74,"busy":0,"duration":70,'
        b'"failed":0,"not answered":1,"rejected":0,"total":3},'
        b'"out":{"answered":3,"bridged":3,"bridged_duration":2030,"busy":1,"duration":2030,'
        b'"failed":0,"not answered":0,"rejected":0,"total":4}}'
    )
    response = app.api.get(path("@me", False), token=app.a)
    assert response.content == (
        b'{"in":{"answered":2,"bridged":3,"bridged_duration":74,"busy":0,"duration":70,'
        b'"failed":0,"not answered":1,"rejected":0,"total":3,"diverted":1,'
        b'"answered elsewhere":1},'
        b'"out":{"answered":3,"bridged":3,"bridged_duration":2030,"busy":1,"duration":2030,'
        b'"failed":0,"not answered":0,"rejected":1,"total":5,"diverted":0,'
        b'"answered elsewhere":0}}'
    )


@pytest.mark.parametrize("per_call", [True, False])
@pytest.mark.parametrize("client_id", [B, 0, "abc", "@you", "@ME", "-5", "%40me%20", "5.0"])
def test_any_other_client_id_is_forbidden(app: App, client_id: object,
                                          per_call: bool) -> None:
    for slash in (True, False):
        response = app.api.get(path(client_id, per_call, slash), token=app.a)
        assert response.status_code == 403
        assert response.content == FORBIDDEN


@pytest.mark.parametrize("per_call", [True, False])
@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer not-a-jwt"},
    {"Cookie": "_yeti_customer_v1_session=garbage"},
])
@pytest.mark.parametrize("client_id", ["@me", A, B, "abc"])
def test_no_valid_token_is_401_before_403_and_400(app: App, headers: dict[str, str],
                                                  client_id: object, per_call: bool) -> None:
    for params in ({}, {"start_datetime": "bad", "extension_id": "x"}):
        response = app.api.get(path(client_id, per_call), params, headers=headers)
        assert response.status_code == 401
        assert response.content == UNAUTHORIZED


def test_expired_and_foreign_tokens_are_401(app: App) -> None:
    expired = mint_token(SECRET, app.a_login, 60, NOW / SECOND - 3600)
    foreign = mint_token("another-secret-" + "q" * 32, app.a_login, LIFETIME, NOW / SECOND)
    for token in (expired, foreign):
        response = app.api.get(path("@me", True), token=token)
        assert (response.status_code, response.content) == (401, UNAUTHORIZED)


def test_a_token_works_as_bearer_bare_or_cookie(app: App) -> None:
    expected_body = body_of(A)
    for headers in ({"Authorization": f"Bearer {app.a}"}, {"Authorization": app.a},
                    {"Cookie": f"_yeti_customer_v1_session={app.a}"}):
        response = app.api.get(path("@me", True), headers=headers)
        assert response.status_code == 200
        assert response.content == expected_body
    assert "_yeti_customer_v1_session=" in response.headers["set-cookie"]  # refreshed


# --- isolation -----------------------------------------------------------------------------

@pytest.mark.parametrize("per_call", [True, False])
def test_each_customer_counts_only_its_own_cdrs(app: App, per_call: bool) -> None:
    for token, client in ((app.a, A), (app.b, B)):
        response = app.api.get(path("@me", per_call), token=token)
        assert response.content == body_of(client, per_call=per_call)
    response = app.api.get(path(B, per_call), token=app.a)
    assert (response.status_code, response.content) == (403, FORBIDDEN)


@pytest.mark.parametrize("headers", [
    {"Cookie": "_yeti_customer_v1_session={b}"},  # the Authorization header wins
    {"X-Forwarded-For": "10.0.0.1", "X-Real-IP": "10.0.0.2", "X-Customer-Id": "6"},
    {"Accept": "application/vnd.api+json"},
])
@pytest.mark.parametrize("params", [
    {},
    {"customer_id": B, "client_id": B, "account_ids": 61, "vendor_id": B},
    {"start_datetime": "2024-01-01", "end_datetime": "2030-01-01"},
    {"extension_id": "7,8"},
])
def test_no_param_or_header_reaches_another_customer(app: App, headers: dict[str, str],
                                                     params: dict[str, object]) -> None:
    real = {k: v.format(b=app.b) for k, v in headers.items()}
    response = app.api.get(path("@me", False), params, token=app.a, headers=real)
    assert response.status_code == 200
    body = orjson.loads(response.content)
    rows = [r for r in ROWS if A in (r.get("customer_id"), r.get("vendor_id"))]
    start = NOW - DAY if "start_datetime" not in params else us("2024-01-01T00:00:00Z")
    end = NOW if "end_datetime" not in params else us("2030-01-01T00:00:00Z")
    extensions = frozenset({7, 8}) if "extension_id" in params else None
    scope = Scope(A, frozenset(), start, end, extensions)
    assert body == expected([stored(r) for r in rows], scope, per_call=False)


def test_another_customers_new_cdrs_change_nothing(make_pbx: Callable[[int], PbxApi]) -> None:
    """B's CDRs of every kind, sharing A's local_tags and A's accounts in B's columns,
    added after the fact: A's bodies stay as they were."""
    app = build(make_pbx)
    before = {pc: app.api.get(path("@me", pc), token=app.a).content for pc in (True, False)}
    app.api.cdrs([
        cdr(100 + i, customer_id=B, vendor_id=None if i % 2 else B,
            customer_acc_id=(51, 52, 61)[i % 3], vendor_acc_id=(52, 61, 51)[i % 3],
            local_tag=("a1", "shared", "", None)[i % 4], duration=(0, 5)[i % 2],
            bridged=True, legb_disconnect_code=486)
        for i in range(12)])
    for per_call in (True, False):
        assert app.api.get(path("@me", per_call), token=app.a).content == before[per_call]


@pytest.mark.parametrize("per_call", [True, False])
def test_account_limited_tokens_count_only_those_accounts(app: App, per_call: bool) -> None:
    """out by customer_acc_id, in by vendor_acc_id: a login on 51 and a dynamic token on
    52; a customer's own CDRs on no account of a limited token's are not counted."""
    for token, accounts in ((app.a51, frozenset({51})), (app.a52_dynamic, frozenset({52}))):
        response = app.api.get(path("@me", per_call), token=token)
        assert response.status_code == 200
        assert response.content == body_of(A, accounts, per_call)
    response = app.api.get(path("@me", True), token=app.a51)
    body = orjson.loads(response.content)
    assert (body["out"]["total"], body["out"]["duration"]) == (2, 30)  # CDRs 1, 2
    assert (body["in"]["total"], body["in"]["duration"]) == (1, 30)  # CDR 5
    response = app.api.get(path("@me", True), token=app.a52_dynamic)
    body = orjson.loads(response.content)
    assert (body["out"]["total"], body["out"]["busy"]) == (1, 1)  # CDRs 3, 4: one call
    assert (body["in"]["total"], body["in"]["duration"]) == (2, 40)  # CDRs 6, 7


def test_a_deleted_login_or_customer_is_401(make_pbx: Callable[[int], PbxApi]) -> None:
    api = make_pbx(NOW)
    customer = api.customer()
    login = api.login(customer, "gone")
    tokens = [api.jwt("gone"), api.token(login)]
    dynamic = mint_dynamic_token(SECRET, customer, LIFETIME, NOW / SECOND)
    for token in (*tokens, dynamic):
        assert api.get(path("@me", True), token=token).status_code == 200
    api.admin("DELETE", f"/api-accesses/{login}")
    for token in tokens:
        response = api.get(path("@me", True), token=token)
        assert (response.status_code, response.content) == (401, UNAUTHORIZED)
    assert api.get(path("@me", False), token=dynamic).status_code == 200
    api.admin("DELETE", f"/customers/{customer}")
    response = api.get(path(customer, False), token=dynamic)
    assert (response.status_code, response.content) == (401, UNAUTHORIZED)


# --- headers (SPEC 4.6) --------------------------------------------------------------------

@pytest.mark.parametrize("per_call", [True, False])
def test_ok_responses_carry_the_customer_api_headers(app: App, per_call: bool) -> None:
    response = app.api.get(path("@me", per_call), token=app.a,
                           headers={"X-Request-Id": "pbx-req.1_A"})
    assert response.status_code == 200
    body = response.content
    assert body == orjson.dumps(orjson.loads(body))  # compact, no trailing newline
    assert b" " not in body.replace(b"not answered", b"").replace(b"answered elsewhere", b"")
    headers = response.headers
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert headers["content-length"] == str(len(body))
    assert headers["etag"] == etag_of(body)
    assert headers["cache-control"] == "max-age=0, private, must-revalidate"
    assert headers["x-request-id"] == "pbx-req.1_A"
    assert re.fullmatch(r"\d+\.\d{6}", headers["x-runtime"])
    for name, value in SECURITY_HEADERS.items():
        assert headers[name] == value
    again = app.api.get(path("@me", per_call), token=app.a,
                        headers={"If-None-Match": headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["etag"] == headers["etag"]


@pytest.mark.parametrize(("url", "token", "status", "body"), [
    (path("@me", True), None, 401, UNAUTHORIZED),
    (path(B, False), "a", 403, FORBIDDEN),
    (path("@me", True) + "?start_datetime=nope", "a", 400, invalid("start_datetime")),
    (path("@me", False) + "?extension_id=1.5", "a", 400, invalid("extension_id")),
])
def test_error_responses_carry_the_fixed_headers_but_no_etag(
        app: App, url: str, token: str | None, status: int, body: bytes) -> None:
    response = app.api.get(url, token=getattr(app, token) if token else None)
    assert (response.status_code, response.content) == (status, body)
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert "etag" not in response.headers
    assert "cache-control" not in response.headers
    assert re.fullmatch(r"[0-9a-f-]{36}", response.headers["x-request-id"])
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
