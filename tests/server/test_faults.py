"""SPEC 11 faults, on the real server (in a thread) over real failing parts: a private
PostgreSQL metadata cluster stopped and started, the ClickHouse HTTP stand-in killed and
started again, a DuckDB store on a tmpfs that fills up. 503 (507 for a full disk) with a
clear JSON error while it lasts, /readyz 503, and 200 again without a restart."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from callstats.settings import Settings
from callstats.stores.duckdb_store import DuckDBStore
from tests.support import private_postgres
from tests.support.bodies import ADMIN, NDJSON, cdr, ndjson
from tests.support.servers import ADMIN_TOKEN, JWT_SECRET, in_thread_server
from tests.support.stores import ClickHouseStandIn

pytestmark = pytest.mark.slow
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
V1 = "/api/rest/customer/v1"
UUID = "3c3c3c3c-0000-4000-8000-000000000001"
REPORT = {"account-id": UUID, "from-time": "2024-03-01T00:00:00Z",
          "to-time": "2024-03-02T00:00:00Z", "sampling": "day"}


def settings_for(tmp_path: Path, **changes: object) -> Settings:
    return Settings(data_dir=tmp_path / "data", admin_token=ADMIN_TOKEN, jwt_secret=JWT_SECRET,
                    maintenance_interval=0, **changes)  # type: ignore[arg-type]


def ready(client: httpx.Client) -> httpx.Response:
    return client.get("/readyz")


def ingest(client: httpx.Client, ids: range) -> httpx.Response:
    rows = [cdr(i, customer_id=1, customer_acc_id=1) for i in ids]
    return client.post(ADMIN + "/cdrs", content=ndjson(rows),
                       headers={**ADMIN_HEADERS, **NDJSON})


# --- PostgreSQL metadata ---------------------------------------------------------------


@pytest.fixture
def cluster() -> Iterator[private_postgres.PrivatePostgres]:
    why_not = private_postgres.available()
    if why_not:
        if os.environ.get("CI"):
            pytest.fail(why_not)
        pytest.skip(why_not)
    with private_postgres.private_postgres() as made:
        yield made


def test_metadata_down_is_503_and_back_without_a_restart(
        tmp_path: Path, cluster: private_postgres.PrivatePostgres) -> None:
    with in_thread_server(settings_for(tmp_path, metadata_url=cluster.url)) as url, \
            httpx.Client(base_url=url, timeout=30) as client:
        admin = {"headers": ADMIN_HEADERS}
        assert client.post(ADMIN + "/customers", json={"name": "c", "id": 1}, **admin
                           ).status_code == 201
        assert client.post(ADMIN + "/accounts", json={"customer_id": 1, "name": "a", "id": 1,
                                                      "uuid": UUID}, **admin).status_code == 201
        assert client.post(ADMIN + "/api-accesses", json={
            "customer_id": 1, "login": "user", "password": "pw"}, **admin).status_code == 201
        login = {"auth": {"login": "user", "password": "pw"}}
        token = client.post(V1 + "/auth", json=login).json()["jwt"]
        auth = {"Authorization": token}
        assert ready(client).status_code == 200

        cluster.stop()
        for response in (client.get(V1 + "/origination-statistics", params=REPORT,
                                    headers=auth),
                         client.get(ADMIN + "/customers", **admin),
                         client.post(V1 + "/auth", json=login)):
            assert response.status_code == 503, response.text
            assert response.json() == {"error": "metadata database unavailable"}
            assert response.headers["content-type"] == "application/json; charset=utf-8"
        down = ready(client)
        assert down.status_code == 503
        assert down.json() == {"status": "unavailable", "problems": {"metadata": "unreachable"}}
        assert client.get("/healthz").status_code == 200  # alive, only not ready

        cluster.start()
        assert ready(client).status_code == 200
        assert client.get(V1 + "/origination-statistics", params=REPORT,
                          headers=auth).status_code == 200
        assert client.post(V1 + "/auth", json=login).status_code == 201
        assert [c["id"] for c in client.get(ADMIN + "/customers", **admin).json()] == [1]


# --- ClickHouse ------------------------------------------------------------------------


def test_clickhouse_down_is_503_and_back_without_a_restart(tmp_path: Path) -> None:
    stand_in = ClickHouseStandIn(tmp_path / "clickhouse")
    stand_in.start()
    try:
        settings = settings_for(tmp_path, store=f"{stand_in.url}/faults")
        with in_thread_server(settings) as url, httpx.Client(base_url=url, timeout=60) as client:
            assert ingest(client, range(1, 101)).json()["inserted"] == 100
            assert ready(client).status_code == 200

            stand_in.kill()
            down = ready(client)
            assert down.status_code == 503
            assert down.json() == {"status": "unavailable", "problems": {"store": "unreachable"}}
            refused = ingest(client, range(101, 201))
            assert refused.status_code == 503
            assert refused.json()["error"].startswith("store unavailable")

            stand_in.start()
            assert ready(client).status_code == 200
            assert ingest(client, range(101, 201)).json()["inserted"] == 100
            again = ingest(client, range(1, 201)).json()  # everything acknowledged is there
            assert (again["inserted"], again["duplicates"]) == (0, 200)
    finally:
        stand_in.kill()


# --- disk full -------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs (mount needs root, as on the CI machine)."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(f"cannot mount a tmpfs: {made.stderr}")
        pytest.skip(f"cannot mount a tmpfs: {made.stderr}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_full_disk_is_507_and_loses_nothing_acknowledged(tmp_path: Path,
                                                            small_disk: Path) -> None:
    store_path = small_disk / "cdr.duckdb"
    acknowledged: list[int] = []
    refusals = []
    settings = settings_for(tmp_path, store=f"duckdb://{store_path}")
    with in_thread_server(settings) as url, httpx.Client(base_url=url, timeout=60) as client:
        for batch in range(400):
            ids = range(1 + batch * 1000, 1 + (batch + 1) * 1000)
            response = ingest(client, ids)
            if response.status_code == 200:
                assert response.json()["inserted"] == len(ids)
                acknowledged.extend(ids)
            else:
                refusals.append(response)
                if len(refusals) == 3:  # and it stays refused while the disk is full
                    break
        assert refusals, "the 4 MiB disk never filled up"
        for response in refusals:
            assert response.status_code == 507
            assert response.json() == {"error": "store out of disk space: nothing of this "
                                                "request was stored"}
        assert acknowledged
        assert client.get("/healthz").status_code == 200
    # The server has stopped (the store closed on a full disk): the file still opens, on
    # the same full disk, with every acknowledged row and no other.
    store = DuckDBStore(store_path)
    try:
        assert store.count_cdrs() == len(acknowledged)
    finally:
        store.close()
