"""The admin API over HTTP (SPEC 6): customers, accounts, api-accesses, and its auth."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from callstats.http.services import Services
from callstats.metadata.passwords import verify_password
from tests.support.bodies import ADMIN, NDJSON, cdr, envelope, ndjson

pytestmark = pytest.mark.anyio
JSON_TYPE = "application/json; charset=utf-8"


async def post(client: httpx.AsyncClient, headers: dict[str, str], path: str,
               body: object, status: int = 201) -> dict[str, object]:
    response = await client.post(f"{ADMIN}{path}", json=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == JSON_TYPE
    return response.json()


# --- customers -------------------------------------------------------------------------


async def test_customer_lifecycle(client: httpx.AsyncClient, admin_headers: dict[str, str],
                                  services: Services) -> None:
    created = await post(client, admin_headers, "/customers", {"name": "Acme"})
    assert created == {"id": created["id"], "name": "Acme"}
    explicit = await post(client, admin_headers, "/customers", {"name": "Globex", "id": 42})
    assert explicit == {"id": 42, "name": "Globex"}

    listed = await client.get(f"{ADMIN}/customers", headers=admin_headers)
    assert listed.status_code == 200
    assert listed.headers["content-type"] == JSON_TYPE
    assert listed.json() == [created, explicit]
    assert listed.content.startswith(b'[{"id":')  # bare, compact JSON array

    shown = await client.get(f"{ADMIN}/customers/42", headers=admin_headers)
    assert (shown.status_code, shown.json()) == (200, explicit)

    deleted = await client.delete(f"{ADMIN}/customers/42", headers=admin_headers)
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert services.metadata.get_customer(42) is None

    for method in ("GET", "DELETE"):
        gone = await client.request(method, f"{ADMIN}/customers/42", headers=admin_headers)
        assert (gone.status_code, gone.json()) == (404, {"error": "not found"})


async def test_taken_customer_id_is_409(client: httpx.AsyncClient,
                                        admin_headers: dict[str, str]) -> None:
    await post(client, admin_headers, "/customers", {"name": "Acme", "id": 3})
    body = await post(client, admin_headers, "/customers", {"name": "Other", "id": 3}, 409)
    assert body == {"error": "id already taken"}
    listed = await client.get(f"{ADMIN}/customers", headers=admin_headers)
    assert listed.json() == [{"id": 3, "name": "Acme"}]


@pytest.mark.parametrize("body", [
    {}, {"name": ""}, {"name": 5}, {"name": "x" * 256}, {"name": "Acme", "id": 0},
    {"name": "Acme", "id": -1}, {"name": "Acme", "id": "seven"}, [], "Acme", None,
])
async def test_invalid_customer_is_422(client: httpx.AsyncClient, admin_headers: dict[str, str],
                                       services: Services, body: object) -> None:
    response = await client.post(f"{ADMIN}/customers", json=body, headers=admin_headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"].startswith("invalid")
    assert services.metadata.list_customers() == []


@pytest.mark.parametrize("raw", [b"", b"{", b"{\"name\": \"a\"", b"\xff\xfe", b"name=Acme"])
async def test_malformed_json_is_422(client: httpx.AsyncClient, admin_headers: dict[str, str],
                                     services: Services, raw: bytes) -> None:
    response = await client.post(f"{ADMIN}/customers", content=raw,
                                 headers={**admin_headers, "content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["error"].startswith("invalid body")
    assert services.metadata.list_customers() == []


async def test_an_id_out_of_range_is_absent_or_invalid(
    client: httpx.AsyncClient, admin_headers: dict[str, str], services: Services
) -> None:
    for resource in ("customers", "accounts", "api-accesses"):
        for method in ("GET", "DELETE"):
            response = await client.request(method, f"{ADMIN}/{resource}/{2**64}",
                                            headers=admin_headers)
            assert response.status_code == 404, (resource, method, response.text)
    big = await post(client, admin_headers, "/customers", {"name": "Big", "id": 2**63}, 422)
    assert "out of range" in big["error"]
    missing = await post(client, admin_headers, "/accounts",
                         {"customer_id": 2**64, "name": "main"}, 422)
    assert "not found" in missing["error"]
    assert services.metadata.list_customers() == []


async def test_a_non_integer_id_in_the_path_is_not_a_server_error(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.get(f"{ADMIN}/customers/abc", headers=admin_headers)
    assert response.status_code in (404, 422)
    assert response.headers["content-type"] == JSON_TYPE


async def test_wrong_method_is_405_with_allow(client: httpx.AsyncClient,
                                              admin_headers: dict[str, str]) -> None:
    response = await client.put(f"{ADMIN}/customers/1", json={}, headers=admin_headers)
    assert response.status_code == 405
    assert response.json() == {"error": "method not allowed"}
    assert response.headers["allow"] == "GET, HEAD, DELETE"  # every route of the path


# --- accounts --------------------------------------------------------------------------


async def test_account_lifecycle(client: httpx.AsyncClient, admin_headers: dict[str, str],
                                 services: Services) -> None:
    customer = await post(client, admin_headers, "/customers", {"name": "Acme"})
    auto = await post(client, admin_headers, "/accounts",
                      {"customer_id": customer["id"], "name": "main"})
    assert auto == {"id": auto["id"], "uuid": auto["uuid"], "customer_id": customer["id"],
                    "name": "main"}
    assert auto["uuid"] == auto["uuid"].lower() and len(auto["uuid"]) == 36
    explicit = await post(client, admin_headers, "/accounts", {
        "customer_id": customer["id"], "name": "second", "id": 77,
        "uuid": "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
    })
    assert explicit == {"id": 77, "uuid": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                        "customer_id": customer["id"], "name": "second"}

    listed = await client.get(f"{ADMIN}/accounts", headers=admin_headers)
    assert (listed.status_code, listed.json()) == (200, [auto, explicit])
    shown = await client.get(f"{ADMIN}/accounts/77", headers=admin_headers)
    assert (shown.status_code, shown.json()) == (200, explicit)

    deleted = await client.delete(f"{ADMIN}/accounts/77", headers=admin_headers)
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert services.metadata.get_account(77) is None
    assert (await client.get(f"{ADMIN}/accounts/77", headers=admin_headers)).status_code == 404
    assert (await client.delete(f"{ADMIN}/accounts/77", headers=admin_headers)).status_code == 404


async def test_account_conflicts_and_references(
    client: httpx.AsyncClient, admin_headers: dict[str, str], services: Services
) -> None:
    customer = await post(client, admin_headers, "/customers", {"name": "Acme"})
    first = await post(client, admin_headers, "/accounts",
                       {"customer_id": customer["id"], "name": "main", "id": 5})
    taken_id = await post(client, admin_headers, "/accounts",
                          {"customer_id": customer["id"], "name": "x", "id": 5}, 409)
    assert taken_id == {"error": "id already taken"}
    taken_uuid = await post(client, admin_headers, "/accounts",
                            {"customer_id": customer["id"], "name": "x",
                             "uuid": first["uuid"].upper()}, 409)
    assert taken_uuid == {"error": "uuid already taken"}
    missing = await post(client, admin_headers, "/accounts",
                         {"customer_id": 999, "name": "x"}, 422)
    assert missing == {"error": "customer 999 not found"}
    bad_uuid = await post(client, admin_headers, "/accounts",
                          {"customer_id": customer["id"], "name": "x", "uuid": "nope"}, 422)
    assert bad_uuid == {"error": "invalid uuid 'nope'"}
    unnamed = await post(client, admin_headers, "/accounts", {"customer_id": customer["id"]}, 422)
    assert "name" in unnamed["error"]
    assert [a.id for a in services.metadata.list_accounts()] == [5]


# --- api accesses ----------------------------------------------------------------------


async def test_api_access_lifecycle_never_shows_the_password(
    client: httpx.AsyncClient, admin_headers: dict[str, str], services: Services
) -> None:
    password = "Pa55-word-Never-Shown"
    customer = await post(client, admin_headers, "/customers", {"name": "Acme"})
    account = await post(client, admin_headers, "/accounts",
                         {"customer_id": customer["id"], "name": "main"})
    response = await client.post(f"{ADMIN}/api-accesses", headers=admin_headers, json={
        "customer_id": customer["id"], "login": "alice", "password": password,
        "account_ids": [account["id"]], "allowed_ips": ["10.0.0.1/24", "2001:db8::/48"],
    })
    assert response.status_code == 201, response.text
    created = response.json()
    assert created == {"id": created["id"], "customer_id": customer["id"], "login": "alice",
                       "account_ids": [account["id"]],
                       "allowed_ips": ["10.0.0.0/24", "2001:db8::/48"]}
    stored = services.metadata.find_login("alice")
    assert stored is not None and verify_password(stored.password_hash, password)

    bodies = [response.content]
    listed = await client.get(f"{ADMIN}/api-accesses", headers=admin_headers)
    assert (listed.status_code, listed.json()) == (200, [created])
    shown = await client.get(f"{ADMIN}/api-accesses/{created['id']}", headers=admin_headers)
    assert (shown.status_code, shown.json()) == (200, created)
    bodies += [listed.content, shown.content]
    for body in bodies:
        assert password.encode() not in body
        assert b"argon2" not in body and b"password" not in body
        assert stored.password_hash.encode() not in body

    deleted = await client.delete(f"{ADMIN}/api-accesses/{created['id']}", headers=admin_headers)
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert services.metadata.find_login("alice") is None
    again = await client.get(f"{ADMIN}/api-accesses/{created['id']}", headers=admin_headers)
    assert again.status_code == 404


async def test_api_access_defaults(client: httpx.AsyncClient, admin_headers: dict[str, str]
                                   ) -> None:
    customer = await post(client, admin_headers, "/customers", {"name": "Acme"})
    created = await post(client, admin_headers, "/api-accesses",
                         {"customer_id": customer["id"], "login": "bob", "password": "pw"})
    assert (created["account_ids"], created["allowed_ips"]) == ([], [])


async def test_api_access_errors(client: httpx.AsyncClient, admin_headers: dict[str, str],
                                 services: Services) -> None:
    acme = await post(client, admin_headers, "/customers", {"name": "Acme"})
    globex = await post(client, admin_headers, "/customers", {"name": "Globex"})
    foreign = await post(client, admin_headers, "/accounts",
                         {"customer_id": globex["id"], "name": "theirs"})
    await post(client, admin_headers, "/api-accesses",
               {"customer_id": acme["id"], "login": "carol", "password": "pw"})

    def access(**changes: object) -> dict[str, object]:
        return {"customer_id": acme["id"], "login": "dave", "password": "pw", **changes}

    taken = await post(client, admin_headers, "/api-accesses", access(login="carol"), 409)
    assert taken == {"error": "login already taken"}
    no_customer = await post(client, admin_headers, "/api-accesses", access(customer_id=999), 422)
    assert no_customer == {"error": "customer 999 not found"}
    not_theirs = await post(client, admin_headers, "/api-accesses",
                            access(account_ids=[foreign["id"]]), 422)
    assert str(foreign["id"]) in not_theirs["error"]
    bad_cidr = await post(client, admin_headers, "/api-accesses",
                          access(allowed_ips=["10.0.0.0/33"]), 422)
    assert bad_cidr == {"error": "invalid CIDR '10.0.0.0/33'"}
    for invalid in (access(password=""), access(login=""), access(account_ids=["x"]),
                    access(allowed_ips=[1]), {"login": "dave", "password": "pw"}):
        body = await post(client, admin_headers, "/api-accesses", invalid, 422)
        assert body["error"].startswith("invalid value")
    assert [a.login for a in services.metadata.list_api_accesses()] == ["carol"]


async def test_deleting_a_customer_over_http_deletes_its_accounts_and_logins(
    client: httpx.AsyncClient, admin_headers: dict[str, str], services: Services
) -> None:
    customer = await post(client, admin_headers, "/customers", {"name": "Acme"})
    account = await post(client, admin_headers, "/accounts",
                         {"customer_id": customer["id"], "name": "main"})
    login = await post(client, admin_headers, "/api-accesses",
                       {"customer_id": customer["id"], "login": "erin", "password": "pw"})
    await client.post(f"{ADMIN}/cdrs", content=ndjson([cdr(1, customer_id=customer["id"])]),
                      headers={**admin_headers, **NDJSON})

    response = await client.delete(f"{ADMIN}/customers/{customer['id']}", headers=admin_headers)
    assert response.status_code == 204
    for path in (f"/accounts/{account['id']}", f"/api-accesses/{login['id']}"):
        assert (await client.get(f"{ADMIN}{path}", headers=admin_headers)).status_code == 404
    assert services.metadata.find_login("erin") is None
    assert services.store.count_cdrs() == 1  # CDRs stay


# --- admin auth ------------------------------------------------------------------------

WRITES: list[tuple[str, str, object]] = [
    ("POST", "/customers", {"name": "Intruder"}),
    ("POST", "/accounts", {"customer_id": 1, "name": "x"}),
    ("POST", "/api-accesses", {"customer_id": 1, "login": "intruder", "password": "pw"}),
    ("DELETE", "/customers/1", None),
    ("DELETE", "/accounts/1", None),
    ("DELETE", "/api-accesses/1", None),
    ("GET", "/customers", None),
    ("GET", "/customers/1", None),
    ("GET", "/accounts", None),
    ("GET", "/accounts/1", None),
    ("GET", "/api-accesses", None),
    ("GET", "/api-accesses/1", None),
]
BAD_AUTH: list[dict[str, str]] = [
    {},
    {"Authorization": ""},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer "},
    {"Authorization": "Bearer wrong-token"},
    {"Authorization": "test-admin-token"},  # the token without "Bearer "
    {"Authorization": "bearer test-admin-token"},
    {"Authorization": "BEARER test-admin-token"},
    {"Authorization": "Basic test-admin-token"},
    {"Authorization": "Bearer  test-admin-token"},
    {"Authorization": "Bearer test-admin-token "},
    {"Authorization": "Bearer test-admin-tokenx"},
    {"Authorization": "Bearer test-admin-toke"},
    {"Authorization": "Bearer TEST-ADMIN-TOKEN"},
    {"Authorization": "Bearer test-admin-token, Bearer test-admin-token"},
    {"X-Admin-Token": "test-admin-token"},
]


async def seed(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    await post(client, headers, "/customers", {"name": "Acme", "id": 1})
    await post(client, headers, "/accounts", {"customer_id": 1, "name": "main", "id": 1})
    await post(client, headers, "/api-accesses",
               {"customer_id": 1, "login": "owner", "password": "pw"})


def snapshot(services: Services) -> tuple[object, ...]:
    m = services.metadata
    return (m.list_customers(), m.list_accounts(), m.list_api_accesses(),
            services.store.count_cdrs())


async def test_bad_admin_auth_is_401_and_does_nothing(
    client: httpx.AsyncClient, admin_headers: dict[str, str], services: Services
) -> None:
    await seed(client, admin_headers)
    before = snapshot(services)
    for auth in BAD_AUTH:
        for method, path, body in WRITES:
            response = await client.request(method, f"{ADMIN}{path}", json=body, headers=auth)
            assert response.status_code == 401, (auth, method, path, response.text)
            assert response.json() == {"error": "unauthorized"}
            assert response.headers["www-authenticate"] == "Bearer"
            assert b"Acme" not in response.content and b"owner" not in response.content
        for path, body in (("/cdrs", ndjson([cdr(1)])),
                           ("/active-calls", ndjson([envelope("2024-03-01T10:00:00Z")]))):
            response = await client.post(f"{ADMIN}{path}", content=body,
                                         headers={**auth, **NDJSON})
            assert response.status_code == 401, (auth, path, response.text)
    assert snapshot(services) == before
    assert (await client.get(f"{ADMIN}/customers", headers=admin_headers)).status_code == 200


async def test_auth_is_checked_before_the_body_is_read(
    client: httpx.AsyncClient, services: Services
) -> None:
    """Without the token, even a malformed or oversized body gets 401, not 422/413."""
    for raw in (b"{not json", b"x" * (2 * 1024 * 1024)):
        response = await client.post(f"{ADMIN}/customers", content=raw,
                                     headers={"content-type": "application/json"})
        assert response.status_code == 401, response.text
    response = await client.post(f"{ADMIN}/cdrs", content=b"\x00garbage",
                                 headers={"content-type": "text/plain"})
    assert response.status_code == 401
    assert services.metadata.list_customers() == []


async def test_an_oversized_admin_json_body_is_413(
    client: httpx.AsyncClient, admin_headers: dict[str, str], services: Services
) -> None:
    response = await client.post(f"{ADMIN}/customers",
                                 content=b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}',
                                 headers={**admin_headers, "content-type": "application/json"})
    assert response.status_code == 413
    assert services.metadata.list_customers() == []


async def test_no_admin_token_turns_the_admin_api_off(
    make_client: Callable[..., object]
) -> None:
    async with make_client(admin_token="") as (client, services):
        for auth in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer x"}):
            for method, path, body in WRITES:
                response = await client.request(method, f"{ADMIN}{path}", json=body,
                                                headers=auth)
                assert response.status_code == 404, (method, path, response.text)
                assert response.json() == {"error": "not found"}
            for path in ("/cdrs", "/active-calls"):
                response = await client.post(f"{ADMIN}{path}", content=ndjson([cdr(1)]),
                                             headers={**auth, **NDJSON})
                assert response.status_code == 404
        assert services.metadata.list_customers() == []
        assert services.store.count_cdrs() == 0
        assert (await client.get("/healthz")).status_code == 200
