"""yeti-web's own request specs of GET /accounts and /accounts/{id}, replayed against
callstats on every store kind: the cases of tests/support/yeti_specs.py, with yeti's data
shapes, requests and expected answers."""

from __future__ import annotations

from dataclasses import dataclass

import jwt
import pytest

from callstats.http.customer_auth import COOKIE
from tests.support.api import SECRET, Api
from tests.support.jsonapi import get
from tests.support.yeti_specs import AUTH, CUSTOMERS, INDEX, STRING_FILTERS, UUID_FILTERS, AuthCase

NOW = 1_735_000_000
RANDOM_UUID = "0f0f0f0f-1234-4abc-8def-0123456789ab"


def account_id(customer: int, position: int) -> int:
    return customer * 100 + position + 1


def account_uuid(customer: int, position: int) -> str:
    return f"{customer:08x}-0000-4000-8000-{position + 1:012x}"


@dataclass
class World:
    api: Api
    logins: dict[int, int]  # customer → its api access (all accounts)


@pytest.fixture(scope="module")
def world(make_api) -> World:  # type: ignore[no-untyped-def]
    api = make_api(NOW)
    logins = {}
    for customer in CUSTOMERS:
        api.customer(f"customer {customer.id}", customer.id)
        for position, name in enumerate(customer.accounts):
            api.admin("POST", "/accounts", {
                "customer_id": customer.id, "name": name,
                "id": account_id(customer.id, position),
                "uuid": account_uuid(customer.id, position)})
        logins[customer.id] = api.login(customer.id, f"login-{customer.id}")
    return World(api, logins)


def _token(world: World, customer: int, allowed: tuple[int, ...], dynamic: bool) -> str:
    ids = [account_id(customer, p) for p in allowed]
    if dynamic:
        return world.api.dynamic_token(customer, account_ids=ids or None)
    if not ids:
        return world.api.token(world.logins[customer])
    access = world.api.login(customer, f"limited-{customer}-{len(ids)}-{dynamic}",
                             account_ids=ids)
    return world.api.token(access)


@pytest.mark.parametrize("case", INDEX, ids=[c.context for c in INDEX])
def test_index(world: World, case) -> None:  # type: ignore[no-untyped-def]
    token = _token(world, case.customer, case.allowed, case.dynamic)
    response = get(world.api, "/accounts", token, case.params)
    assert response.status_code == 200
    body = response.json()
    assert sorted(d["id"] for d in body["data"]) == sorted(
        account_uuid(case.customer, p) for p in case.expect)
    if case.total is not None:
        assert body["meta"] == {"total-count": case.total}
    assert {"first", "last"} <= set(body["links"])  # jsonapi_responds_with_pagination_links


@pytest.mark.parametrize(("name", "value", "includes", "excludes"), STRING_FILTERS,
                         ids=[f[0] for f in STRING_FILTERS])
def test_filters_by_string_field(world: World, name: str, value: str, includes: tuple[str, ...],
                                 excludes: tuple[str, ...]) -> None:
    names = next(c for c in CUSTOMERS if c.id == 5).accounts
    by_name = {n: account_uuid(5, p) for p, n in enumerate(names)}
    response = get(world.api, "/accounts", world.api.token(world.logins[5]),
                   {f"filter[{name}]": value})
    shown = {d["id"] for d in response.json()["data"]}
    assert {by_name[n] for n in includes} <= shown
    assert not {by_name[n] for n in excludes} & shown


@pytest.mark.parametrize(("name", "value", "includes", "excludes"), UUID_FILTERS,
                         ids=[f[0] for f in UUID_FILTERS])
def test_filters_by_uuid_field(world: World, name: str, value: str, includes: str,
                               excludes: str) -> None:
    records = {"suitable": account_uuid(1, 0), "other": account_uuid(1, 1)}
    sent = value.format(random=RANDOM_UUID, **records)
    response = get(world.api, "/accounts", world.api.token(world.logins[1]),
                   {f"filter[{name}]": sent})
    shown = {d["id"] for d in response.json()["data"]}
    assert records[includes] in shown and records[excludes] not in shown


def test_show_returns_record_with_expected_attributes(world: World) -> None:
    key = account_uuid(1, 0)
    response = get(world.api, f"/accounts/{key}", world.api.token(world.logins[1]))
    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == {"id", "type", "links", "attributes"}
    assert (data["id"], data["type"], data["attributes"]) == (key, "accounts",
                                                              {"name": "account 01"})


def test_show_of_an_account_not_listed_in_allowed_ids_is_404(world: World) -> None:
    token = _token(world, 2, (0,), dynamic=False)
    assert get(world.api, f"/accounts/{account_uuid(2, 1)}", token).status_code == 404


def _claims(world: World, subject: object, lifetime: int | None) -> dict[str, object]:
    claims: dict[str, object] = {"aud": ["customer-v1"], "sub": subject}
    if lifetime is not None:
        claims["exp"] = int(world.api.clock()) + lifetime
    return claims


def _credentials(world: World, kind: str) -> dict[str, str]:
    login = world.logins[1]
    dynamic = {"sub": "D", "cfg": {"customer_id": 1}}

    def signed(subject: object = login, lifetime: int | None = 60, **extra: object) -> str:
        return jwt.encode({**_claims(world, subject, lifetime), **extra}, SECRET, "HS256")

    tokens = {
        "header": signed(), "header-no-exp": signed(lifetime=None),
        "dynamic-header": signed(**dynamic), "invalid-header": "invalid",
        "expired-header": signed(lifetime=-60), "unknown-header": signed(999_999),
        "cookie": signed(), "dynamic-cookie": signed(**dynamic), "invalid-cookie": "test",
        "expired-cookie": signed(lifetime=-60), "unknown-cookie": signed(999_999),
        "logout-cookie": "logout",
    }
    if kind == "none":
        return {}
    if kind == "cookie-and-invalid-header":
        return {"Authorization": "invalid", "Cookie": f"{COOKIE}={signed()}"}
    if kind.endswith("cookie"):
        return {"Cookie": f"{COOKIE}={tokens[kind]}"}
    return {"Authorization": tokens[kind]}


@pytest.mark.parametrize("path", ["/accounts", "/accounts/{own}"])
@pytest.mark.parametrize("case", AUTH, ids=[c.context for c in AUTH])
def test_check_authorization(world: World, case: AuthCase, path: str) -> None:
    response = get(world.api, path.format(own=account_uuid(1, 0)), None,
                   headers=_credentials(world, case.credentials))
    assert response.status_code == case.status, case.note
    assert ("set-cookie" in response.headers) is case.sets_cookie
