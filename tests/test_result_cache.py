"""Cached report bodies are exactly the fresh ones, and new data invalidates them."""

from __future__ import annotations

import json

import httpx
import pytest

from callstats.http.app import create_app
from callstats.http.services import Services

pytestmark = pytest.mark.anyio
ACCOUNT = "fd6cb45e-6674-11f1-9edb-da575d109341"
OTHER = "fd6cb45e-6674-11f1-9edb-da575d109342"


@pytest.fixture
async def api(services: Services, admin_headers: dict[str, str]):  # type: ignore[no-untyped-def]
    services.clock = lambda: 1_800_000_000.0
    transport = httpx.ASGITransport(app=create_app(services=services))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        await client.post("/api/admin/v1/customers", json={"name": "A", "id": 1},
                          headers=admin_headers)
        for account_id, uuid in ((7, ACCOUNT), (8, OTHER)):
            await client.post("/api/admin/v1/accounts", headers=admin_headers, json={
                "customer_id": 1, "name": "a", "id": account_id, "uuid": uuid})
        await client.post("/api/admin/v1/api-accesses", headers=admin_headers,
                          json={"customer_id": 1, "login": "a", "password": "p"})
        token = (await client.post("/api/rest/customer/v1/auth",
                                   json={"auth": {"login": "a", "password": "p"}})).json()["jwt"]
        client.headers["Authorization"] = token
        yield client


async def ingest(client: httpx.AsyncClient, admin: dict[str, str], *rows: dict) -> None:
    answer = await client.post("/api/admin/v1/cdrs", content="\n".join(map(json.dumps, rows)),
                               headers={**admin, "Content-Type": "application/x-ndjson"})
    assert answer.status_code == 200


STATS = "/api/rest/customer/v1/origination-statistics"
PARAMS = {"account-id": ACCOUNT, "from-time": "2026-01-01", "to-time": "2026-01-02",
          "sampling": "hour"}


async def test_new_data_for_the_account_invalidates(api: httpx.AsyncClient, services: Services,
                                                    admin_headers: dict[str, str]) -> None:
    await ingest(api, admin_headers, {"id": 1, "time_start": "2026-01-01 10:00:00",
                                      "duration": 60, "customer_acc_id": 7})
    first = await api.get(STATS, params=PARAMS)
    again = await api.get(STATS, params=PARAMS)
    assert again.content == first.content and services.results.hits == 1
    await ingest(api, admin_headers, {"id": 2, "time_start": "2026-01-01 11:00:00",
                                      "duration": 0, "customer_acc_id": 7})
    fresh = await api.get(STATS, params=PARAMS)
    assert fresh.json()["totals"]["total_calls"] == 2


async def test_other_accounts_data_keeps_the_entry(api: httpx.AsyncClient, services: Services,
                                                   admin_headers: dict[str, str]) -> None:
    await api.get(STATS, params=PARAMS)
    await ingest(api, admin_headers, {"id": 3, "time_start": "2026-01-01 10:00:00",
                                      "duration": 5, "customer_acc_id": 8})
    await api.get(STATS, params=PARAMS)
    assert services.results.hits == 1


async def test_clock_dependent_answers_are_never_cached(api: httpx.AsyncClient,
                                                        services: Services) -> None:
    no_to_time = {k: v for k, v in PARAMS.items() if k != "to-time"}
    await api.get(STATS, params=no_to_time)
    await api.get(STATS, params=no_to_time)
    future = {**PARAMS, "from-time": "2030-01-01", "to-time": "2030-01-02"}
    await api.get(STATS, params=future)
    await api.get(STATS, params=future)
    assert services.results.hits == 0


async def test_snapshots_invalidate_active_call_series(api: httpx.AsyncClient,
                                                       services: Services,
                                                       admin_headers: dict[str, str]) -> None:
    path = "/api/rest/customer/v1/origination-active-calls"
    params = {"account-id": ACCOUNT, "from-time": "2026-01-01T10:00:00Z",
              "to-time": "2026-01-01T10:05:00Z"}
    before = (await api.get(path, params=params)).json()["data"]["calls"]
    envelope = {"snapshot_timestamp": "2026-01-01T10:01:00Z", "calls": [{"customer_acc_id": 7}]}
    answer = await api.post("/api/admin/v1/active-calls", json=envelope, headers=admin_headers)
    assert answer.status_code == 200
    after = (await api.get(path, params=params)).json()["data"]["calls"]
    assert sum(before) == 0 and sum(after) == 1


async def test_csv_and_json_are_cached_apart(api: httpx.AsyncClient) -> None:
    as_json = await api.get(STATS, params=PARAMS)
    as_csv = await api.get(STATS, params=PARAMS, headers={"Accept": "text/csv"})
    assert as_json.headers["content-type"].startswith("application/json")
    assert as_csv.text.startswith("t,total_calls")
