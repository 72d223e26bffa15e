"""SPEC 11: a method a path does not serve (OPTIONS included) → 405 whose Allow names every
method of the path (HEAD with GET), on every route of the app; HEAD answers as GET does,
without the body."""

from __future__ import annotations

import re

import httpx
import pytest

from callstats.http.app import create_app
from callstats.http.methods import http_routes
from tests.support.wire import SECURITY_HEADERS

pytestmark = pytest.mark.anyio

ADMIN = "/api/admin/v1"
V1 = "/api/rest/customer/v1"
PROBED = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND")
# A few paths spelled out, so a route lost or added by accident shows here.
EXPECTED_ALLOW = {
    f"{ADMIN}/customers": "GET, HEAD, POST",
    f"{ADMIN}/customers/1": "GET, HEAD, DELETE",
    f"{ADMIN}/accounts/1": "GET, HEAD, DELETE",
    f"{ADMIN}/api-accesses/1": "GET, HEAD, DELETE",
    f"{ADMIN}/cdrs": "POST",
    f"{ADMIN}/active-calls": "POST",
    f"{V1}/auth": "GET, HEAD, POST, DELETE",
    f"{V1}/origination-statistics": "GET, HEAD",
    f"{V1}/outgoing-active-calls": "GET, HEAD",
    "/client/@me/calls/stats/": "GET, HEAD",
    "/client/@me/calls/stats": "GET, HEAD",
    "/client/@me/extensions/": "GET, HEAD",
    "/healthz": "GET, HEAD",
    "/readyz": "GET, HEAD",
    "/metrics": "GET, HEAD",
    "/openapi.json": "GET, HEAD",
}


def concrete_paths() -> list[str]:
    """One request path per route path of the app, its parameters filled in."""
    paths = {re.sub(r"\{(\w+)(:\w+)?\}", lambda m: "@me" if m[1] == "client_id" else "1",
                    path) for path, _ in http_routes(create_app().routes)}
    return sorted(paths)


def allow_of(response: httpx.Response) -> set[str]:
    return {m.strip() for m in response.headers["allow"].split(",")}


async def test_the_spelled_out_paths_exist(client: httpx.AsyncClient,
                                           admin_headers: dict[str, str]) -> None:
    assert set(EXPECTED_ALLOW) - set(concrete_paths()) <= {"/client/@me/calls/stats"}
    for path, allow in EXPECTED_ALLOW.items():
        response = await client.request("OPTIONS", path, headers=admin_headers)
        assert response.status_code == 405, path
        assert response.headers["allow"] == allow, path


@pytest.mark.parametrize("path", concrete_paths())
async def test_every_method_outside_allow_is_405_and_inside_is_served(
        path: str, client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    options = await client.request("OPTIONS", path, headers=admin_headers)
    assert options.status_code == 405
    assert options.json() == {"error": "method not allowed"}
    assert options.headers["content-type"] == "application/json; charset=utf-8"
    allow = allow_of(options)
    assert ("GET" in allow) == ("HEAD" in allow)
    for method in PROBED:
        response = await client.request(method, path, headers=admin_headers)
        if method in allow:
            assert response.status_code != 405, (method, path)
        else:
            assert response.status_code == 405, (method, path)
            assert allow_of(response) == allow, (method, path)


async def test_customer_405s_carry_the_spec_headers(client: httpx.AsyncClient) -> None:
    for path in (f"{V1}/auth", f"{V1}/termination-statistics", "/client/1/cdr/stats/"):
        response = await client.request("PUT", path)
        assert response.status_code == 405
        assert "x-request-id" in response.headers and "x-runtime" in response.headers
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value


async def test_head_is_get_without_the_body(client: httpx.AsyncClient,
                                            admin_headers: dict[str, str]) -> None:
    for path in ("/healthz", f"{ADMIN}/customers", "/openapi.json"):
        get = await client.get(path, headers=admin_headers)
        head = await client.head(path, headers=admin_headers)
        assert (head.status_code, head.content) == (get.status_code, b"")
        assert head.headers["content-length"] == get.headers["content-length"]
        assert head.headers["content-type"] == get.headers["content-type"]
    head = await client.head(f"{V1}/origination-statistics")
    assert (head.status_code, head.content) == (401, b"")
