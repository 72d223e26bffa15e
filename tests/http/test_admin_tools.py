"""The admin API's tools for clients managing a running server: customer tokens minted
with the server's secret (POST /tokens) and what the server holds (GET /instance)."""

from __future__ import annotations

import httpx
import jwt
import pytest

from callstats.http.services import Services
from tests.support.bodies import ADMIN

pytestmark = pytest.mark.anyio


async def test_the_instance_names_what_the_server_holds(
        client: httpx.AsyncClient, admin_headers: dict[str, str], services: Services) -> None:
    answer = await client.get(f"{ADMIN}/instance", headers=admin_headers)
    assert answer.status_code == 200
    settings = services.settings
    assert answer.json() == {
        "version": answer.json()["version"],
        "data_dir": str(settings.data_dir.resolve()),
        "store": settings.store_url(),
        "metadata": settings.metadata_database_url(),
    }
    assert (await client.get(f"{ADMIN}/instance")).status_code == 401


async def test_tokens_are_minted_with_the_servers_secret(
        client: httpx.AsyncClient, admin_headers: dict[str, str], services: Services) -> None:
    services.metadata.create_customer("Acme", 40)
    access = services.metadata.create_api_access(40, "acme", "pw", [], [])
    secret = services.settings.ensure_jwt_secret()
    for body, sub in [({"login": "acme"}, access.id), ({"customer_id": 40}, "D")]:
        answer = await client.post(f"{ADMIN}/tokens", json={**body, "lifetime": 60},
                                   headers=admin_headers)
        assert answer.status_code == 201, answer.text
        claims = jwt.decode(answer.json()["token"], secret, algorithms=["HS256"],
                            audience="customer-v1", options={"verify_sub": False})
        assert claims["sub"] == sub and claims["exp"] == answer.json()["expires_at"]
    default = await client.post(f"{ADMIN}/tokens", json={"login": "acme"}, headers=admin_headers)
    expires_in = default.json()["expires_at"] - claims["exp"] + 60
    assert abs(expires_in - services.settings.token_lifetime) <= 5


async def test_the_token_endpoint_refuses_what_it_cannot_mint(
        client: httpx.AsyncClient, admin_headers: dict[str, str], services: Services) -> None:
    services.metadata.create_customer("Acme", 40)
    for body, status, error in [
        ({"login": "x", "customer_id": 40}, 422, "give exactly one of login or customer_id"),
        ({}, 422, "give exactly one of login or customer_id"),
        ({"customer_id": 40, "lifetime": 0}, 422, "invalid value lifetime"),
        ({"login": "nobody"}, 404, "login 'nobody' not found"),
        ({"customer_id": 41}, 422, "customer 41 not found"),
    ]:
        answer = await client.post(f"{ADMIN}/tokens", json=body, headers=admin_headers)
        assert (answer.status_code, answer.json()["error"][:len(error)]) == (status, error)
    assert (await client.post(f"{ADMIN}/tokens", json={"customer_id": 40})).status_code == 401
