"""SPEC 7: no param, token or header lets a customer see another customer's data, on every
customer endpoint (the nine reports and both PBX summaries).

Account 101 (customer 1) holds 1 call, account 102 (customer 1) 2 calls, account 201
(customer 2) 4 calls — CDRs on both sides and calls in a live snapshot — so every count a
response shows names exactly the accounts it was computed from.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass

import jwt
import orjson
import pytest

from tests.support.api import Api
from tests.support.tenants import A1, A2, ALLOWED_IP, B1, CALLS, OWNER, UUIDS
from tests.support.times import SECOND, iso
from tests.support.wire import FORBIDDEN, LOGIN_FAILED, UNAUTHORIZED, V1, invalid

NOW = 1_735_000_000


def populate(api: Api) -> None:
    api.customer("A", 1)
    api.customer("B", 2)
    for account, owner in OWNER.items():
        api.account(owner, id=account, uuid=UUIDS[account])
    rows, calls, next_id = [], [], 1
    for account, count in CALLS.items():
        for _ in range(count):
            owner = OWNER[account]
            rows.append({"id": next_id, "time_start": (NOW - 3600) * SECOND, "duration": 30,
                         "customer_id": owner, "customer_acc_id": account,
                         "vendor_id": owner, "vendor_acc_id": account, "local_tag": f"c{next_id}",
                         "extension_id": 7})
            calls.append({"customer_acc_id": account, "vendor_acc_id": account,
                          "customer_id": owner, "start_time": (NOW - 100) * SECOND})
            next_id += 1
    api.cdrs(rows)
    api.snapshots([{"snapshot_timestamp": (NOW - 10) * SECOND, "node_id": 1, "calls": calls}])


@dataclass
class World:
    api: Api
    logins: dict[str, int]
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def world(make_api) -> World:  # type: ignore[no-untyped-def]
    api = make_api(NOW)
    populate(api)
    logins = {
        "a_all": api.login(1, "a-all"),
        "a_limited": api.login(1, "a-limited", account_ids=[A1]),
        "a_ip": api.login(1, "a-ip", allowed_ips=[f"{ALLOWED_IP}/32"]),
        "b_all": api.login(2, "b-all"),
        "a_gone": api.login(1, "a-gone"),
    }
    tokens = {name: api.token(access) for name, access in logins.items()}
    api.admin("DELETE", f"/api-accesses/{logins['a_gone']}")
    return World(api, logins, tokens)


# --- the endpoints and what their bodies reveal ------------------------------------------

FROM = "2024-12-23T00:00:00Z"


def _stats(body: dict) -> int:
    return body["totals"]["total_calls"]


def _series(body: dict) -> int:
    return sum(body["data"]["calls"])


def _rows(body: dict) -> int:
    return body["rows"]


def _codes(body: dict) -> int:
    return sum(item["calls"] for item in body["data"])


REPORTS: dict[str, tuple[list[tuple[str, str]], Callable[[dict], int]]] = {
    "/origination-statistics": ([("from-time", FROM), ("sampling", "day")], _stats),
    "/termination-statistics": ([("from-time", FROM), ("sampling", "day")], _stats),
    "/origination-active-calls": ([("from-time", iso((NOW - 60) * SECOND))], _series),
    "/termination-active-calls": ([("from-time", iso((NOW - 60) * SECOND))], _series),
    "/outgoing-active-calls": ([], _rows),
    "/origination-statistics-quality": ([("from-time", FROM), ("sampling", "15minutes"),
                                         ("metrics", "ner,pdd-p50")], _stats),
    "/termination-statistics-quality": ([("from-time", FROM), ("sampling", "minute")], _stats),
    "/origination-disconnect-codes": ([("from-time", FROM)], _codes),
    "/termination-disconnect-codes": ([("from-time", FROM)], _codes),
}
PBX = ["/client/{}/calls/stats/", "/client/{}/cdr/stats/", "/client/{}/cdr/stats"]


def report(world: World, path: str, account_params: list[tuple[str, str]], token: str,
           peer: str = "127.0.0.1", headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    extra, _ = REPORTS[path]
    return world.api.get(V1 + path, params=[*account_params, *extra], token=token,
                         peer=peer, headers=headers)


def seen(path: str, response) -> int:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return REPORTS[path][1](response.json())


def pbx_seen(response) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    body = response.json()
    return body["out"]["total"], body["in"]["total"]


@pytest.mark.parametrize("path", REPORTS)
def test_each_customer_sees_its_own_accounts(world: World, path: str) -> None:
    for name, account in (("a_all", A1), ("a_all", A2), ("b_all", B1), ("a_limited", A1)):
        response = report(world, path, [("account-id", UUIDS[account])], world.tokens[name])
        assert seen(path, response) == CALLS[account]


@pytest.mark.parametrize("path", PBX)
def test_each_customer_sees_its_own_pbx_counts(world: World, path: str) -> None:
    for token, client, counts in (("a_all", "1", (3, 3)), ("a_all", "@me", (3, 3)),
                                  ("b_all", "2", (4, 4)), ("b_all", "@me", (4, 4)),
                                  ("a_limited", "@me", (1, 1))):
        response = world.api.get(path.format(client), token=world.tokens[token])
        assert pbx_seen(response) == counts


# --- params ------------------------------------------------------------------------------

ACCOUNT_ATTACKS = {
    "other customer's account": [("account-id", UUIDS[B1])],
    "…upper case": [("account-id", UUIDS[B1].upper())],
    "…mixed case": [("account-id", UUIDS[B1][:8].upper() + UUIDS[B1][8:])],
    "…with a space before": [("account-id", " " + UUIDS[B1])],
    "…with a space after": [("account-id", UUIDS[B1] + " ")],
    "own then other's": [("account-id", UUIDS[A1]), ("account-id", UUIDS[B1])],
    "other's then own": [("account-id", UUIDS[B1]), ("account-id", UUIDS[A1])],
    "own twice": [("account-id", UUIDS[A1]), ("account-id", UUIDS[A1])],
    "own with a space": [("account-id", UUIDS[A1] + " ")],
    "own, braces": [("account-id", "{" + UUIDS[A1] + "}")],
    "own, no dashes": [("account-id", UUIDS[A1].replace("-", ""))],
    "own, urn": [("account-id", "urn:uuid:" + UUIDS[A1])],
    "an account id": [("account-id", str(B1))],
    "a list": [("account-id", f"{UUIDS[A1]},{UUIDS[B1]}")],
    "array syntax": [("account-id[]", UUIDS[B1]), ("account-id", UUIDS[A1] + "x")],
}


@pytest.mark.parametrize("path", REPORTS)
@pytest.mark.parametrize("attack", ACCOUNT_ATTACKS)
def test_account_params_never_reach_another_customer(world: World, path: str, attack: str
                                                     ) -> None:
    response = report(world, path, ACCOUNT_ATTACKS[attack], world.tokens["a_all"])
    assert (response.status_code, response.content) == (400, invalid("account-id"))


@pytest.mark.parametrize("path", REPORTS)
def test_other_scoping_params_are_ignored(world: World, path: str) -> None:
    smuggled = [("account-id", UUIDS[A1]), ("customer_id", "2"), ("customer-id", "2"),
                ("customer_acc_id", str(B1)), ("account_id", UUIDS[B1]),
                ("vendor-acc-id", str(B1)), ("client_id", "2"), ("account-id[]", UUIDS[B1])]
    response = report(world, path, smuggled, world.tokens["a_all"])
    assert seen(path, response) == CALLS[A1]


@pytest.mark.parametrize("path", PBX)
@pytest.mark.parametrize("client", ["2", "02", "01", " 1", "1 ", "me", "@ME", "@me2", "-1",
                                    "1,2", "%401", "0"])
def test_pbx_client_id_must_be_the_tokens_customer(world: World, path: str, client: str
                                                   ) -> None:
    response = world.api.get(path.format(client), token=world.tokens["a_all"])
    assert (response.status_code, response.content) == (403, FORBIDDEN)


@pytest.mark.parametrize("path", PBX)
def test_pbx_query_params_do_not_widen_the_scope(world: World, path: str) -> None:
    response = world.api.get(path.format("@me"), token=world.tokens["a_limited"], params=[
        ("client_id", "2"), ("customer_id", "2"), ("account_id", str(B1)),
        ("account-id", UUIDS[A2]), ("extension_id", "7")])
    assert pbx_seen(response) == (1, 1)


# --- tokens ------------------------------------------------------------------------------


def forged(token: str, **claims: object) -> str:
    """The token with its claims changed and its signature kept."""
    header, payload, signature = token.split(".")
    data = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data.update(claims)
    encoded = base64.urlsafe_b64encode(orjson.dumps(data)).rstrip(b"=").decode()
    return f"{header}.{encoded}.{signature}"


def unsigned(claims: dict[str, object]) -> str:
    def part(value: object) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(value)).rstrip(b"=").decode()
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def bad_tokens(world: World) -> dict[str, str]:
    b_sub = world.logins["b_all"]
    claims = {"aud": ["customer-v1"], "sub": b_sub, "exp": NOW + 3600}
    dynamic_b = {"aud": ["customer-v1"], "sub": "D", "exp": NOW + 3600,
                 "cfg": {"customer_id": 2, "account_ids": [], "allowed_ips": []}}
    return {
        "deleted login": world.tokens["a_gone"],
        "forged sub": forged(world.tokens["a_all"], sub=b_sub),
        "forged digit-string sub": forged(world.tokens["a_all"], sub=str(b_sub)),
        "forged dynamic scope": forged(world.api.dynamic_token(1), cfg={
            "customer_id": 2, "account_ids": [], "allowed_ips": []}),
        "forged account_ids": forged(world.api.dynamic_token(1, [A1]), cfg={
            "customer_id": 1, "account_ids": [A2], "allowed_ips": []}),
        "wrong secret": jwt.encode(claims, "not-the-secret-" + "q" * 32, algorithm="HS256"),
        "wrong secret, dynamic": jwt.encode(dynamic_b, "not-the-secret-" + "q" * 32,
                                            algorithm="HS256"),
        "alg none": unsigned(claims),
        "alg none, dynamic": unsigned(dynamic_b),
        "expired": jwt.encode({**claims, "sub": world.logins["a_all"], "exp": NOW - 1},
                              world.api.settings.jwt_secret, algorithm="HS256"),
        "no token": "",
        "garbage": "Bearer not.a.jwt",
    }


BAD_TOKENS = ["deleted login", "forged sub", "forged digit-string sub", "forged dynamic scope",
              "forged account_ids", "wrong secret", "wrong secret, dynamic", "alg none",
              "alg none, dynamic", "expired", "no token", "garbage"]


@pytest.mark.parametrize("path", [*REPORTS, *PBX])
@pytest.mark.parametrize("name", BAD_TOKENS)
def test_bad_tokens_get_401(world: World, path: str, name: str) -> None:
    token = bad_tokens(world)[name]
    for account in (A1, B1):
        if path in REPORTS:
            response = report(world, path, [("account-id", UUIDS[account])], token)
        else:
            response = world.api.get(path.format(OWNER[account]), token=token)
        assert (response.status_code, response.content) == (401, UNAUTHORIZED)


@pytest.mark.parametrize("path", REPORTS)
@pytest.mark.parametrize("token_of", ["login limited to A1", "dynamic limited to A1",
                                      "dynamic naming B's account"])
def test_tokens_limited_to_accounts(world: World, path: str, token_of: str) -> None:
    token = {"login limited to A1": world.tokens["a_limited"],
             "dynamic limited to A1": world.api.dynamic_token(1, [A1]),
             "dynamic naming B's account": world.api.dynamic_token(1, [B1])}[token_of]
    allowed = {A1} if token_of != "dynamic naming B's account" else set()
    for account in (A1, A2, B1):
        response = report(world, path, [("account-id", UUIDS[account])], token)
        if account in allowed:
            assert seen(path, response) == CALLS[account]
        else:
            assert (response.status_code, response.content) == (400, invalid("account-id"))


@pytest.mark.parametrize("path", PBX)
def test_pbx_with_tokens_limited_to_accounts(world: World, path: str) -> None:
    for token, customer, counts in ((world.tokens["a_limited"], 1, (1, 1)),
                                    (world.api.dynamic_token(1, [A1]), 1, (1, 1)),
                                    (world.api.dynamic_token(1, [A2]), 1, (2, 2)),
                                    (world.api.dynamic_token(1, [B1]), 1, (0, 0)),
                                    (world.api.dynamic_token(2), 2, (4, 4))):
        for client in ("@me", str(customer)):
            assert pbx_seen(world.api.get(path.format(client), token=token)) == counts
        response = world.api.get(path.format(3 - customer), token=token)
        assert (response.status_code, response.content) == (403, FORBIDDEN)


def test_a_deleted_customer_takes_its_logins_and_tokens_along(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(NOW)
    populate(api)
    login = api.login(2, "b-login")
    tokens = [api.token(login), api.dynamic_token(2)]
    for token in tokens:
        assert report_on(api, token).status_code == 200
    api.admin("DELETE", "/customers/2")
    for token in tokens:
        assert (report_on(api, token).status_code, report_on(api, token).content) == (
            401, UNAUTHORIZED)


def report_on(api: Api, token: str):  # type: ignore[no-untyped-def]
    return api.get(V1 + "/outgoing-active-calls", params={"account-id": UUIDS[B1]},
                   token=token)


# --- client IP headers -------------------------------------------------------------------

SPOOFS = [{"X-Forwarded-For": ALLOWED_IP}, {"X-Real-IP": ALLOWED_IP},
          {"X-Forwarded-For": f"{ALLOWED_IP}, {ALLOWED_IP}", "X-Real-IP": ALLOWED_IP},
          {"Forwarded": f"for={ALLOWED_IP}"}]


@pytest.mark.parametrize("path", REPORTS)
def test_ip_headers_are_not_trusted_without_trusted_proxies(world: World, path: str) -> None:
    token = world.tokens["a_ip"]
    mine = [("account-id", UUIDS[A1])]
    assert seen(path, report(world, path, mine, token, peer=ALLOWED_IP)) == CALLS[A1]
    for headers in SPOOFS:
        for peer in ("10.9.9.9", "127.0.0.1"):
            response = report(world, path, mine, token, peer=peer, headers=headers)
            assert (response.status_code, response.content) == (401, UNAUTHORIZED)


def test_login_from_a_spoofed_ip_fails_like_a_wrong_password(world: World) -> None:
    for headers in SPOOFS:
        response = world.api.request("POST", V1 + "/auth", peer="10.9.9.9", headers=headers,
                                     json={"auth": {"login": "a-ip", "password": "pw"}})
        assert (response.status_code, response.content) == (401, LOGIN_FAILED)
    response = world.api.request("POST", V1 + "/auth", peer=ALLOWED_IP,
                                 json={"auth": {"login": "a-ip", "password": "pw"}})
    assert response.status_code == 201


PROXY = "10.9.9.9"


@pytest.fixture(scope="module")
def proxied(make_api) -> tuple[Api, str]:  # type: ignore[no-untyped-def]
    api = make_api(NOW, trusted_proxies=f"{PROXY}/32, 10.9.8.0/24")
    populate(api)
    return api, api.token(api.login(1, "a-ip", allowed_ips=[f"{ALLOWED_IP}/32"]))


@pytest.mark.parametrize(("peer", "headers", "allowed"), [
    (PROXY, {"X-Real-IP": ALLOWED_IP}, True),
    (PROXY, {"X-Forwarded-For": ALLOWED_IP}, True),
    (PROXY, {"X-Forwarded-For": f"{ALLOWED_IP}, 10.9.8.7"}, True),  # proxies skipped
    (PROXY, {"X-Forwarded-For": f"10.6.6.6, {ALLOWED_IP}"}, True),  # rightmost counts
    (PROXY, {"X-Forwarded-For": f"{ALLOWED_IP}, 10.6.6.6"}, False),
    (PROXY, {"X-Real-IP": "10.6.6.6", "X-Forwarded-For": ALLOWED_IP}, False),
    (PROXY, {"X-Real-IP": "not-an-ip"}, False),
    (PROXY, {}, False),  # the proxy itself is not the client
    ("10.9.9.10", {"X-Real-IP": ALLOWED_IP}, False),  # not a trusted proxy
    ("10.9.9.10", {"X-Forwarded-For": ALLOWED_IP}, False),
    (ALLOWED_IP, {"X-Real-IP": "10.6.6.6"}, True),  # a direct client is the peer
])
@pytest.mark.parametrize("path", REPORTS)
def test_ip_headers_from_trusted_proxies(proxied: tuple[Api, str], path: str, peer: str,
                                         headers: dict[str, str], allowed: bool) -> None:
    api, token = proxied
    extra, reveal = REPORTS[path]
    response = api.get(V1 + path, params=[("account-id", UUIDS[A1]), *extra], token=token,
                       peer=peer, headers=headers)
    if allowed:
        assert response.status_code == 200, response.text
        assert reveal(response.json()) == CALLS[A1]
    else:
        assert (response.status_code, response.content) == (401, UNAUTHORIZED)
