"""Health, readiness, metrics, request ids and request logs (SPEC 6, 4.6)."""

from __future__ import annotations

import logging
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from callstats.http.services import Services
from tests.support.bodies import ADMIN, NDJSON, cdr, ndjson

pytestmark = pytest.mark.anyio
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert (response.status_code, response.json()) == (200, {"status": "ready"})


async def test_readyz_is_503_when_the_store_is_closed(client: httpx.AsyncClient,
                                                      services: Services) -> None:
    services.store.close()
    response = await client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and set(body["problems"]) == {"store"}
    assert (await client.get("/healthz")).status_code == 200  # alive, just not ready


async def test_readyz_is_503_when_the_metadata_is_gone(
    make_client: Callable[..., object], tmp_path: Path
) -> None:
    (tmp_path / "meta").mkdir()
    url = f"sqlite:///{tmp_path / 'meta' / 'metadata.sqlite'}"
    async with make_client(metadata_url=url) as (client, services):
        assert (await client.get("/readyz")).status_code == 200
        shutil.rmtree(tmp_path / "meta")  # SQLite cannot open a file in a missing directory
        services.metadata.engine.dispose()
        response = await client.get("/readyz")
        assert response.status_code == 503, response.text
        assert set(response.json()["problems"]) == {"metadata"}


async def test_ops_routes_need_no_token(client: httpx.AsyncClient) -> None:
    for path in ("/healthz", "/readyz", "/metrics"):
        response = await client.get(path, headers={"Authorization": "Bearer wrong"})
        assert response.status_code == 200, path


async def test_metrics_is_prometheus_text(client: httpx.AsyncClient,
                                          admin_headers: dict[str, str]) -> None:
    await client.get("/healthz")
    await client.get("/healthz")
    await client.get("/no-such-page")
    await client.get(f"{ADMIN}/customers/5", headers=admin_headers)
    await client.post(f"{ADMIN}/cdrs", content=ndjson([cdr(1), cdr(2)]),
                      headers={**admin_headers, **NDJSON})
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert "# TYPE callstats_http_requests_total counter" in text
    assert 'callstats_http_requests_total{route="/healthz",status="200"} 2.0' in text
    assert 'callstats_http_requests_total{route="unmatched",status="404"} 1.0' in text
    assert ('callstats_http_requests_total{route="/api/admin/v1/customers/{id}",status="404"}'
            " 1.0") in text
    assert 'callstats_http_requests_total{route="/api/admin/v1/cdrs",status="200"} 1.0' in text
    assert 'callstats_http_request_seconds_count{route="/healthz"} 2.0' in text
    assert 'callstats_ingested_rows_total{kind="cdrs"} 2.0' in text
    assert "no-such-page" not in text  # unmatched paths do not become labels


async def test_each_app_has_its_own_metrics(make_client: Callable[..., object]) -> None:
    async with make_client() as (one, _), make_client() as (two, _):
        await one.get("/healthz")
        text = (await two.get("/metrics")).text
        assert 'route="/healthz"' not in text


# --- request id and runtime ------------------------------------------------------------


async def test_request_id_and_runtime_on_every_response(
    make_client: Callable[..., object], admin_headers: dict[str, str]
) -> None:
    async with make_client(max_body=100) as (client, _):
        requests = [
            ("GET", "/healthz", {}, None),
            ("GET", "/no-such-page", {}, None),
            ("GET", f"{ADMIN}/customers", {}, None),  # 401
            ("POST", f"{ADMIN}/customers", admin_headers, b"{}"),  # 422
            ("GET", f"{ADMIN}/customers/9", admin_headers, None),  # 404
            ("POST", f"{ADMIN}/cdrs", {**admin_headers, **NDJSON}, b"x" * 200),  # 413
            ("POST", f"{ADMIN}/cdrs", admin_headers, b"{}"),  # 415
            ("DELETE", "/healthz", {}, None),  # 405
        ]
        for method, path, headers, body in requests:
            response = await client.request(method, path, headers=headers, content=body)
            assert response.status_code in (200, 401, 404, 405, 413, 415, 422)
            assert UUID.fullmatch(response.headers["x-request-id"]), (path, response.headers)
            assert re.fullmatch(r"\d+\.\d{6}", response.headers["x-runtime"])
            assert float(response.headers["x-runtime"]) < 10
            assert response.headers.get_list("x-request-id") == [
                response.headers["x-request-id"]]


@pytest.mark.parametrize("given", ["abc-123", "A.b_C-9", "x" * 255, "0", "req.2024-03-01"])
async def test_a_well_formed_request_id_is_echoed(client: httpx.AsyncClient, given: str) -> None:
    response = await client.get("/healthz", headers={"X-Request-Id": given})
    assert response.headers["x-request-id"] == given


@pytest.mark.parametrize("given", ["", "x" * 256, "has space", "a/b", "é", "a,b", "<script>",
                                   "a\tb", "a;b=c"])
async def test_a_malformed_request_id_is_replaced(client: httpx.AsyncClient, given: str) -> None:
    response = await client.get("/healthz", headers={"X-Request-Id": given.encode("utf-8")})
    assert UUID.fullmatch(response.headers["x-request-id"])


async def test_request_ids_are_new_each_time(client: httpx.AsyncClient) -> None:
    ids = {(await client.get("/healthz")).headers["x-request-id"] for _ in range(5)}
    assert len(ids) == 5


async def test_a_server_error_is_json_and_still_carries_the_request_id(
    make_client: Callable[..., object], admin_headers: dict[str, str],
    caplog: pytest.LogCaptureFixture
) -> None:
    """A store that fails unexpectedly (here: closed under the app) answers 500 with the
    usual headers and a JSON body, and the request is still logged and counted."""
    caplog.set_level(logging.INFO, logger="callstats.request")
    async with make_client(raise_app_exceptions=False) as (client, services):
        services.store.close()
        response = await client.post(f"{ADMIN}/cdrs", content=ndjson([cdr(1)]),
                                     headers={**admin_headers, **NDJSON, "X-Request-Id": "r-500"})
        assert response.status_code >= 500
        assert response.headers["x-request-id"] == "r-500"
        assert "x-runtime" in response.headers
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        assert "error" in response.json()
        [line] = [orjson.loads(r.getMessage()) for r in caplog.records
                  if r.name == "callstats.request"]
        assert (line["request_id"], line["status"]) == ("r-500", response.status_code)
        metrics = (await client.get("/metrics")).text
        assert (f'callstats_http_requests_total{{route="/api/admin/v1/cdrs",'
                f'status="{response.status_code}"}} 1.0') in metrics


# --- request logs ----------------------------------------------------------------------


@pytest.fixture
def request_log(caplog: pytest.LogCaptureFixture,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.LogCaptureFixture]:
    """Every record of every logger, callstats' included even when configure_logging ran."""
    monkeypatch.setattr(logging.getLogger("callstats"), "propagate", True)
    caplog.set_level(logging.DEBUG)
    yield caplog


def request_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [orjson.loads(r.getMessage()) for r in caplog.records
            if r.name == "callstats.request"]


async def test_one_json_line_per_request(client: httpx.AsyncClient,
                                         admin_headers: dict[str, str],
                                         request_log: pytest.LogCaptureFixture) -> None:
    first = await client.get("/healthz", headers={"X-Request-Id": "probe-1"})
    second = await client.get(f"{ADMIN}/customers/12?secret=hunter2", headers=admin_headers)
    third = await client.get("/nowhere")
    lines = request_lines(request_log)
    assert len(lines) == 3
    assert lines[0]["request_id"] == "probe-1" == first.headers["x-request-id"]
    assert (lines[0]["route"], lines[0]["status"], lines[0]["method"]) == ("/healthz", 200, "GET")
    assert lines[1]["request_id"] == second.headers["x-request-id"]
    assert (lines[1]["route"], lines[1]["status"]) == ("/api/admin/v1/customers/{id}", 404)
    assert (lines[2]["route"], lines[2]["status"]) == ("unmatched", 404)
    assert lines[2]["request_id"] == third.headers["x-request-id"]
    for line in lines:
        assert {"request_id", "route", "status", "runtime", "customer"} <= set(line)
        assert isinstance(line["runtime"], float) and 0 <= line["runtime"] < 10
    for record in request_log.records:
        if record.name == "callstats.request":
            assert record.levelno == logging.INFO
            assert "\n" not in record.getMessage()
            assert "hunter2" not in record.getMessage()


async def test_no_secret_ever_reaches_a_log(
    make_client: Callable[..., object], request_log: pytest.LogCaptureFixture
) -> None:
    admin_token = "adm-" + uuid.uuid4().hex
    password = "pw-" + uuid.uuid4().hex
    bearer = "eyJhbGciOiJIUzI1NiJ9." + uuid.uuid4().hex + ".sig"
    admin = {"Authorization": f"Bearer {admin_token}"}
    async with make_client(admin_token=admin_token, max_body=10_000,
                           raise_app_exceptions=False) as (client, services):
        customer = (await client.post(f"{ADMIN}/customers", json={"name": "Acme"},
                                      headers=admin)).json()
        access = {"customer_id": customer["id"], "login": "alice", "password": password}
        for body in (access, access,  # created, then 409
                     {**access, "login": "bob", "allowed_ips": ["bad"]},  # 422 from the store
                     {**access, "login": "", "password": password},  # 422 from validation
                     {**access, "customer_id": 999}):  # 422 missing reference
            await client.post(f"{ADMIN}/api-accesses", json=body, headers=admin)
        await client.post(f"{ADMIN}/api-accesses",
                          headers={**admin, "content-type": "application/json"},
                          content=b'{"password": "' + password.encode() + b'", ')  # bad JSON
        await client.post(f"{ADMIN}/api-accesses", json=access,
                          headers={"Authorization": f"Bearer {password}"})  # 401
        await client.get(f"{ADMIN}/api-accesses", headers=admin)
        await client.get("/healthz", headers={"Authorization": bearer,
                                              "Cookie": f"_yeti_customer_v1_session={bearer}"})
        await client.get(f"/healthz?token={bearer}", headers={"Authorization": f"Bearer {bearer}"})
        await client.get(f"/api/rest/customer/v1/auth?password={password}",
                         headers={"Authorization": bearer})
        await client.post(f"{ADMIN}/cdrs", content=ndjson([cdr(1, local_tag=password)]),
                          headers={**admin, **NDJSON})
        await client.post(f"{ADMIN}/cdrs", content=ndjson([cdr(2, duration=password)]),
                          headers={**admin, **NDJSON})  # 422 naming the field
        stored_hash = services.metadata.find_login("alice").password_hash
        services.store.close()
        await client.post(f"{ADMIN}/cdrs", content=ndjson([cdr(3)]), headers={**admin, **NDJSON})
    assert len(request_lines(request_log)) == 15
    server_records = [r for r in request_log.records  # the test client logs its own URLs
                      if not r.name.startswith(("httpx", "httpcore"))]
    assert server_records
    for record in server_records:
        text = f"{record.getMessage()} {record.args!r} {record.exc_info!r} {record.exc_text}"
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        for secret in (admin_token, password, bearer, stored_hash):
            assert secret not in text, (record.name, text)
