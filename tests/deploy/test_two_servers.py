"""Scale-out: several `callstats serve` processes over one PostgreSQL metadata database (and,
when CALLSTATS_TEST_CLICKHOUSE_URL names a server, one ClickHouse store) answer alike.

Real processes, not two apps in one interpreter: anything a process keeps in memory
instead of asking the shared databases shows up here as a stale answer on the other one,
and processes starting together must not trip over each other creating the schema.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa

from callstats.metadata.store import MetadataStore, schema_version
from tests.support.bodies import ADMIN, NDJSON, cdr, envelope, ndjson
from tests.support.servers import ADMIN_HEADERS, Server
from tests.support.stores import CLICKHOUSE_URL

V1 = "/api/rest/customer/v1"
POSTGRES = pytest.mark.parametrize("metadata_url", ["postgresql"], indirect=True)


@pytest.fixture
def start_pair(start_servers: Callable[..., list[Server]]
               ) -> Callable[..., tuple[Server, Server]]:
    """`start_pair(**CALLSTATS_settings)`: processes A and B, started at once and ready."""
    def start(**settings: str) -> tuple[Server, Server]:
        a, b = start_servers(2, **settings)
        return a, b
    return start


def admin_post(client: httpx.Client, path: str, body: dict[str, object]) -> dict:
    response = client.post(f"{ADMIN}{path}", json=body, headers=ADMIN_HEADERS)
    assert response.status_code == 201, response.text
    return response.json()


def admin_delete(client: httpx.Client, path: str) -> None:
    response = client.delete(f"{ADMIN}{path}", headers=ADMIN_HEADERS)
    assert response.status_code == 204, response.text


def log_in(client: httpx.Client, login: str, password: str) -> httpx.Response:
    return client.post(f"{V1}/auth", json={"auth": {"login": login, "password": password}})


def jwt_of(client: httpx.Client, login: str, password: str) -> str:
    response = log_in(client, login, password)
    assert response.status_code == 201, response.text
    return response.json()["jwt"]


def statistics(client: httpx.Client, token: str, account_uuid: str) -> httpx.Response:
    return client.get(f"{V1}/origination-statistics", headers={"Authorization": token},
                      params={"account-id": account_uuid, "from-time": "2024-03-01T00:00:00Z",
                              "to-time": "2024-03-02T00:00:00Z", "sampling": "hour"})


@POSTGRES
def test_processes_starting_at_once_on_a_fresh_database_all_open_it(metadata_url: str) -> None:
    """A rollout starts every process at once; each creates the schema if it is missing,
    and none may fail on a table another one created in the same instant."""
    barrier = threading.Barrier(8, timeout=30)

    def open_at_once(_: int) -> MetadataStore:
        barrier.wait()
        return MetadataStore(metadata_url)

    with ThreadPoolExecutor(8) as pool:
        opened = list(pool.map(open_at_once, range(8)))
    with opened[0].engine.connect() as conn:
        assert conn.execute(sa.select(schema_version.c.version)).scalars().all() == [1]
    for store in opened:
        store.close()


@pytest.mark.slow
@POSTGRES
def test_metadata_changes_on_one_process_apply_on_the_other_at_once(
        start_pair, metadata_url: str) -> None:
    a, b = start_pair(CALLSTATS_METADATA_URL=metadata_url)
    with a.client() as on_a, b.client() as on_b:
        customer = admin_post(on_a, "/customers", {"name": "Acme"})
        first = admin_post(on_a, "/accounts", {"customer_id": customer["id"], "name": "main"})
        access = admin_post(on_a, "/api-accesses", {
            "customer_id": customer["id"], "login": "alice", "password": "wonderland"})

        # Made on A, usable on B with no delay; a token either one minted works on both.
        token_from_b = jwt_of(on_b, "alice", "wonderland")
        token_from_a = jwt_of(on_a, "alice", "wonderland")
        for client in (on_a, on_b):
            for token in (token_from_a, token_from_b):
                response = statistics(client, token, first["uuid"])
                assert response.status_code == 200, response.text

        # The other way round: an account (and customer) made on B counts on A at once.
        second = admin_post(on_b, "/accounts", {"customer_id": customer["id"], "name": "2nd"})
        assert statistics(on_a, token_from_a, second["uuid"]).status_code == 200
        other = admin_post(on_b, "/customers", {"name": "Globex"})
        listed = on_a.get(f"{ADMIN}/customers", headers=ADMIN_HEADERS).json()
        assert [c["id"] for c in listed] == [customer["id"], other["id"]]

        # An account deleted on A is gone on B at once.
        admin_delete(on_a, f"/accounts/{second['id']}")
        for client in (on_a, on_b):
            assert statistics(client, token_from_b, second["uuid"]).status_code == 400
            assert statistics(client, token_from_b, first["uuid"]).status_code == 200

        # A login deleted on B stops on both at once: no new token, old ones refused.
        admin_delete(on_b, f"/api-accesses/{access['id']}")
        for client in (on_a, on_b):
            assert log_in(client, "alice", "wonderland").status_code == 401
            for token in (token_from_a, token_from_b):
                assert statistics(client, token, first["uuid"]).status_code == 401
                assert client.get(f"{V1}/auth",
                                  headers={"Authorization": token}).status_code == 401


@pytest.mark.slow
@POSTGRES
@pytest.mark.parametrize("server", ["clickhouse-http", "clickhouse"])
def test_processes_on_one_clickhouse_store_give_identical_reports(
        start_pair, metadata_url: str, server: str, request: pytest.FixtureRequest) -> None:
    """On the server CALLSTATS_TEST_CLICKHOUSE_URL names, and always on the engine behind
    tests/clickhouse_http.py (one ClickHouse database reached over HTTP by both)."""
    if server == "clickhouse" and not CLICKHOUSE_URL:
        pytest.skip("CALLSTATS_TEST_CLICKHOUSE_URL is not set (clickhouse://user:pass@host:8123)"
                    ": no ClickHouse server to share between the two processes")
    base = CLICKHOUSE_URL if server == "clickhouse" else request.getfixturevalue(
        "clickhouse_http_url")
    database = f"two_servers_{uuid.uuid4().hex[:12]}"
    a, b = start_pair(CALLSTATS_METADATA_URL=metadata_url,
                      CALLSTATS_STORE=f"{base.rstrip('/')}/{database}")
    now = datetime.now(UTC).replace(microsecond=0)
    with a.client() as on_a, b.client() as on_b:
        customer = admin_post(on_a, "/customers", {"name": "Acme"})
        # Account 10: the account http_helpers.envelope puts its calls on.
        account = admin_post(on_a, "/accounts",
                             {"customer_id": customer["id"], "name": "main", "id": 10})
        admin_post(on_a, "/api-accesses", {
            "customer_id": customer["id"], "login": "alice", "password": "wonderland"})
        rows = [cdr(i, customer_id=customer["id"], customer_acc_id=10, customer_price=f"{i}.125",
                    vendor_id=customer["id"] if i % 2 else 99, vendor_acc_id=10 if i % 2 else 11,
                    time_start=f"2024-03-01T{i % 24:02d}:{i % 60:02d}:00Z")
                for i in range(1, 201)]
        ingested = on_a.post(f"{ADMIN}/cdrs", content=ndjson(rows),
                             headers={**ADMIN_HEADERS, **NDJSON})
        assert ingested.json() == {"received": 200, "inserted": 200, "duplicates": 0}
        # Per minute, node n holds n + m calls m minutes ago: peaks 7, 5, 3; 3 calls now.
        snapshots = [envelope(utc(now - timedelta(minutes=m)), node, calls=node + m)
                     for m in (0, 1, 2) for node in (1, 2)]
        posted = on_a.post(f"{ADMIN}/active-calls", content=ndjson(snapshots),
                           headers={**ADMIN_HEADERS, **NDJSON})
        assert posted.status_code == 200, posted.text

        token = {"Authorization": jwt_of(on_b, "alice", "wonderland")}
        history = {"from-time": "2024-03-01T00:00:00Z", "to-time": "2024-03-02T00:00:00Z"}
        recent = {"from-time": utc(now - timedelta(minutes=5)), "to-time": utc(now)}
        reports = [  # path, params, what shows the ingested rows are in the answer
            ("/origination-statistics", {**history, "sampling": "hour"},
             lambda body: body["totals"]["total_calls"] == 200),
            ("/termination-statistics", {**history, "sampling": "day",
                                         "time-zone": "Europe/Kyiv"},
             lambda body: body["totals"]["total_calls"] == 100),
            ("/origination-active-calls", {**recent, "sampling": "minute"},
             lambda body: sorted(body["data"]["calls"])[-3:] == [3, 5, 7]),
            ("/outgoing-active-calls", {}, lambda body: body["rows"] == 3),
        ]
        for path, params, shows_the_data in reports:
            query = {"account-id": account["uuid"], **params}
            on_each = [client.get(V1 + path, params=query, headers=token)
                       for client in (on_a, on_b)]
            assert [r.status_code for r in on_each] == [200, 200], on_each[0].text
            assert on_each[0].content == on_each[1].content, path
            assert shows_the_data(on_each[0].json()), on_each[0].text
        pbx = [client.get("/client/@me/cdr/stats/", headers=token,
                          params={"start_datetime": history["from-time"],
                                  "end_datetime": history["to-time"]})
               for client in (on_a, on_b)]
        assert pbx[0].status_code == 200, pbx[0].text
        assert pbx[0].content == pbx[1].content
        assert (pbx[0].json()["out"]["total"], pbx[0].json()["in"]["total"]) == (200, 100)


def utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
