"""SPEC 4.1: logging in (JWT or session cookie), GET/DELETE /auth, the ways a token is
presented, cookie refresh, and which tokens are accepted."""

from __future__ import annotations

import base64
from email.utils import parsedate_to_datetime

import jwt
import orjson
import pytest

from tests.support.api import SECRET, Api
from tests.support.wire import LOGIN_FAILED, UNAUTHORIZED, V1

NOW = 1_760_000_000
LIFETIME = 7200
UUID = "a0a0a0a0-0000-4000-8000-0000000000a0"
COOKIE = "_yeti_customer_v1_session"


@pytest.fixture(scope="module")
def api(make_api) -> Api:  # type: ignore[no-untyped-def]
    # Many logins per test module: the attempt limits are test_login_limits.py's subject.
    api = make_api(NOW, token_lifetime=LIFETIME, login_rate="0", login_rate_per_ip="0")
    api.customer("c", 1)
    api.customer("d", 2)
    api.account(1, id=1, uuid=UUID)
    api.login(1, "alice", "wonderland")
    api.login(1, "walled", "garden", allowed_ips=["10.1.0.0/16"])
    api.login(2, "bob", "builder")
    return api


def login(api: Api, name: str, password: str, peer: str = "127.0.0.1", **extra: object):  # type: ignore[no-untyped-def]
    return api.request("POST", V1 + "/auth", peer=peer,
                       json={"auth": {"login": name, "password": password, **extra}})


def claims(token: str) -> dict:
    return jwt.decode(token, SECRET, algorithms=["HS256"], audience="customer-v1",
                      options={"verify_exp": False, "verify_sub": False})


def report(api: Api, headers: dict[str, str], params: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return api.get(V1 + "/outgoing-active-calls",
                   params={"account-id": UUID} if params is None else params,
                   headers=headers)


def set_cookies(response) -> list[str]:  # type: ignore[no-untyped-def]
    return response.headers.get_list("set-cookie")


def cookie_token(header: str) -> tuple[str, int]:
    """(token, Expires as unix seconds) of a session Set-Cookie, checking its exact form."""
    value, path, expires, http_only, same_site = header.split("; ")
    name, token = value.split("=", 1)
    assert (name, path, http_only, same_site) == (COOKIE, "Path=/", "HttpOnly", "SameSite=Lax")
    assert expires.startswith("Expires=") and expires.endswith(" GMT")
    return token, int(parsedate_to_datetime(expires.removeprefix("Expires=")).timestamp())


# --- POST /auth --------------------------------------------------------------------------


def test_login_returns_a_yeti_token(api: Api) -> None:
    response = login(api, "alice", "wonderland")
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert list(response.json()) == ["jwt"]
    token = response.json()["jwt"]
    assert response.content == b'{"jwt":"%s"}' % token.encode()
    assert claims(token) == {"aud": ["customer-v1"], "sub": 1, "exp": NOW + LIFETIME}
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert "set-cookie" not in response.headers
    assert report(api, {"Authorization": token}).status_code == 200
    assert login(api, "alice", "wonderland", cookie_auth=False).json().keys() == {"jwt"}


def test_cookie_auth_sets_the_session_cookie(api: Api) -> None:
    response = login(api, "alice", "wonderland", cookie_auth=True)
    assert (response.status_code, response.content) == (201, b"")
    [header] = set_cookies(response)
    token, expires = cookie_token(header)
    assert claims(token) == {"aud": ["customer-v1"], "sub": 1, "exp": NOW + LIFETIME}
    assert expires == NOW + LIFETIME
    assert report(api, {"Cookie": f"{COOKIE}={token}"}).status_code == 200
    pbx = api.get("/client/@me/cdr/stats/", headers={"Cookie": f"{COOKIE}={token}"})
    assert pbx.status_code == 200  # Path=/: the PBX endpoints receive it too


@pytest.mark.parametrize(("name", "password", "peer"), [
    ("alice", "wrong", "127.0.0.1"),
    ("alice", "Wonderland", "127.0.0.1"),
    ("nobody", "wonderland", "127.0.0.1"),
    ("ALICE", "wonderland", "127.0.0.1"),
    ("alice ", "wonderland", "127.0.0.1"),
    ("walled", "garden", "10.2.0.1"),  # IP not allowed
    ("walled", "garden", "127.0.0.1"),
    ("alice", "", "127.0.0.1"),
    ("", "", "127.0.0.1"),
])
def test_login_failures_look_alike(api: Api, name: str, password: str, peer: str) -> None:
    for extra in ({}, {"cookie_auth": True}):
        response = login(api, name, password, peer=peer, **extra)
        assert (response.status_code, response.content) == (401, LOGIN_FAILED)
        assert "set-cookie" not in response.headers
    assert login(api, "walled", "garden", peer="10.1.2.3").status_code == 201


@pytest.mark.parametrize("body", [b"", b"{", b"[]", b'{"auth": null}', b'{"auth": {}}',
                                  b'{"auth": {"login": 1, "password": 2}}',
                                  b'{"login": "alice", "password": "wonderland"}',
                                  b'{"auth": {"login": "alice"}}'])
def test_malformed_logins_fail_as_logins(api: Api, body: bytes) -> None:
    response = api.request("POST", V1 + "/auth", content=body,
                           headers={"content-type": "application/json"})
    assert (response.status_code, response.content) == (401, LOGIN_FAILED)


# --- GET and DELETE /auth ------------------------------------------------------------------


def test_get_auth(api: Api) -> None:
    token = api.token(1)
    response = api.get(V1 + "/auth", headers={"Authorization": token})
    assert (response.status_code, response.content) == (200, b"")
    assert "set-cookie" not in response.headers
    for headers in ({}, {"Authorization": token + "x"}, {"Cookie": f"{COOKIE}=nope"}):
        response = api.get(V1 + "/auth", headers=headers)
        assert (response.status_code, response.content) == (401, UNAUTHORIZED)
        assert "set-cookie" not in response.headers


def test_delete_auth_expires_the_cookie_once(api: Api) -> None:
    token = api.token(1)
    for headers in ({}, {"Cookie": f"{COOKIE}={token}"}, {"Authorization": token}):
        response = api.request("DELETE", V1 + "/auth", headers=headers)
        assert (response.status_code, response.content) == (204, b"")
        [header] = set_cookies(response)
        parts = header.split("; ")
        assert parts[0] == f"{COOKIE}="
        assert "Path=/" in parts
        expired = "Max-Age=0" in parts or any(
            p.startswith("Expires=") and parsedate_to_datetime(p[8:]).timestamp() < NOW
            for p in parts)
        assert expired, header


# --- presenting a token --------------------------------------------------------------------


@pytest.mark.parametrize("form", ["{t}", "Bearer {t}", "bearer {t}", "  Bearer   {t}  ",
                                  "Token {t}"])
def test_authorization_header_forms(api: Api, form: str) -> None:
    response = report(api, {"Authorization": form.format(t=api.token(1))})
    assert response.status_code == 200, response.text


def test_the_header_wins_over_the_cookie(api: Api) -> None:
    good, bad = api.token(1), api.token(1)[:-3] + "AAA"
    response = report(api, {"Authorization": good, "Cookie": f"{COOKIE}={bad}"})
    assert response.status_code == 200
    assert "set-cookie" not in response.headers  # not authorized by the cookie
    response = report(api, {"Authorization": bad, "Cookie": f"{COOKIE}={good}"})
    assert (response.status_code, response.content) == (401, UNAUTHORIZED)


def test_cookie_requests_get_a_fresh_cookie_but_not_on_401(api: Api) -> None:
    [header] = set_cookies(login(api, "alice", "wonderland", cookie_auth=True))
    first, _ = cookie_token(header)
    api.clock.now = NOW + 100
    try:
        for params, status in (({"account-id": UUID}, 200),
                               ({"account-id": "nope"}, 400),
                               ({}, 400)):
            response = report(api, {"Cookie": f"{COOKIE}={first}"}, params)
            assert response.status_code == status
            [refreshed] = set_cookies(response)
            token, expires = cookie_token(refreshed)
            assert token != first
            assert expires == NOW + 100 + LIFETIME
            assert claims(token) == {"aud": ["customer-v1"], "sub": 1, "exp": expires}
        check = api.get(V1 + "/auth", headers={"Cookie": f"{COOKIE}={first}"})
        assert check.status_code == 200 and len(set_cookies(check)) == 1
        pbx = api.get("/client/2/cdr/stats/", headers={"Cookie": f"{COOKIE}={first}"})
        assert pbx.status_code == 403 and len(set_cookies(pbx)) == 1
        api.clock.now = NOW + LIFETIME  # the first cookie has expired
        response = report(api, {"Cookie": f"{COOKIE}={first}"})
        assert (response.status_code, response.content) == (401, UNAUTHORIZED)
        assert set_cookies(response) == []
    finally:
        api.clock.now = NOW


def test_a_dynamic_cookie_is_refreshed_with_its_scope(api: Api) -> None:
    token = api.dynamic_token(1, [1], ["127.0.0.0/8"])
    [header] = set_cookies(report(api, {"Cookie": f"{COOKIE}={token}"}))
    refreshed, _ = cookie_token(header)
    assert claims(refreshed)["cfg"] == {"customer_id": 1, "account_ids": [1],
                                        "allowed_ips": ["127.0.0.0/8"]}


# --- which tokens -----------------------------------------------------------------------------


def signed(payload: dict, secret: str = SECRET, **headers: object) -> str:
    return jwt.encode(payload, secret, algorithm="HS256", headers=headers or None)


@pytest.mark.parametrize("payload", [
    {"aud": ["customer-v1"], "sub": 1, "exp": NOW + 60},
    {"aud": ["customer-v1"], "sub": "1", "exp": NOW + 60},
    {"aud": "customer-v1", "sub": 1, "exp": NOW + 60},
    {"aud": ["customer-v1"], "sub": 1, "exp": NOW + 60, "iat": NOW, "jti": "x"},
    {"aud": ["customer-v1"], "sub": "D", "exp": NOW + 60, "cfg": {"customer_id": 1}},
    {"aud": ["customer-v1"], "sub": "D", "exp": NOW + 60,
     "cfg": {"customer_id": 1, "account_ids": [1], "allowed_ips": ["127.0.0.1/32"]}},
])
def test_accepted_tokens(api: Api, payload: dict) -> None:
    for token in (signed(payload), signed(payload, typ=None)):
        assert report(api, {"Authorization": token}).status_code == 200


def _none_alg(payload: dict) -> str:
    def part(value: object) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(value)).rstrip(b"=").decode()
    return f"{part({'alg': 'none'})}.{part(payload)}."


GOOD = {"aud": ["customer-v1"], "sub": 1, "exp": NOW + 60}


@pytest.mark.parametrize("token", [
    signed({"aud": ["customer-v1"], "sub": 1}),  # no exp
    signed({**GOOD, "exp": NOW}),
    signed({**GOOD, "exp": NOW - 1}),
    signed({**GOOD, "exp": str(NOW + 60)}),
    signed({**GOOD, "exp": NOW + 60.5}),
    signed({**GOOD, "aud": ["customer-v2"]}),
    signed({"sub": 1, "exp": NOW + 60}),
    signed({**GOOD, "sub": 99}),  # no such login
    signed({**GOOD, "sub": "1x"}),
    signed({**GOOD, "sub": 1.0}),
    signed({**GOOD, "sub": True}),
    signed({**GOOD, "sub": "١"}),
    signed({**GOOD, "sub": None}),
    signed({k: v for k, v in GOOD.items() if k != "sub"}),
    signed({**GOOD, "sub": "D"}),  # dynamic without cfg
    signed({**GOOD, "sub": "D", "cfg": {"customer_id": "1"}}),
    signed({**GOOD, "sub": "D", "cfg": {"customer_id": 99}}),  # no such customer
    signed({**GOOD, "sub": "D", "cfg": {"customer_id": 1, "allowed_ips": ["10.9.0.0/16"]}}),
    signed(GOOD, "another-secret-" + "k" * 32),
    _none_alg(GOOD),
    jwt.encode(GOOD, SECRET, algorithm="HS384"),
    jwt.encode(GOOD, SECRET, algorithm="HS512"),
    "",
    "Bearer",
    "a.b.c",
])
def test_refused_tokens(api: Api, token: str) -> None:
    for headers in ({"Authorization": token}, {"Cookie": f"{COOKIE}={token}"}):
        response = report(api, headers)
        assert (response.status_code, response.content) == (401, UNAUTHORIZED)
        assert "set-cookie" not in response.headers


def test_a_deleted_login_stops_at_once(api: Api) -> None:
    access = api.login(1, "short-lived", "pw")
    token = login(api, "short-lived", "pw").json()["jwt"]
    assert report(api, {"Authorization": token}).status_code == 200
    api.admin("DELETE", f"/api-accesses/{access}")
    response = report(api, {"Authorization": token})
    assert (response.status_code, response.content) == (401, UNAUTHORIZED)
    response = login(api, "short-lived", "pw")
    assert (response.status_code, response.content) == (401, LOGIN_FAILED)
