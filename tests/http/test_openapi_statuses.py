"""SPEC 11: the OpenAPI document lists every status each operation can answer (the
schemathesis suite checks the answers against it; this pins the table itself)."""

from __future__ import annotations

import pytest

from callstats.http.app import create_app

ADMIN, V1 = "/api/admin/v1", "/api/rest/customer/v1"
SERVER = {"400", "408", "414", "431", "500"}  # the server's own, on every operation
EXPECTED = {
    ("get", "/healthz"): {"200"},
    ("get", "/readyz"): {"200", "503"},
    ("get", "/metrics"): {"200"},
    ("get", f"{ADMIN}/customers"): {"200", "401", "404", "503"},
    ("post", f"{ADMIN}/customers"): {"201", "401", "404", "409", "413", "422", "503"},
    ("get", f"{ADMIN}/accounts/{{id}}"): {"200", "401", "404", "422", "503"},
    ("delete", f"{ADMIN}/api-accesses/{{id}}"): {"204", "401", "404", "422", "503"},
    ("post", f"{ADMIN}/cdrs"): {"200", "401", "404", "413", "415", "422", "503", "507"},
    ("post", f"{ADMIN}/active-calls"): {"200", "401", "404", "413", "415", "422", "503",
                                       "507"},
    ("post", f"{V1}/auth"): {"201", "401", "413", "429", "503"},
    ("get", f"{V1}/auth"): {"200", "401", "503"},
    ("delete", f"{V1}/auth"): {"204"},
    ("get", f"{V1}/origination-statistics"): {"200", "304", "400", "401", "503"},
    ("get", f"{V1}/outgoing-active-calls"): {"200", "304", "400", "401", "503"},
    ("get", "/client/{client_id}/cdr/stats/"): {"200", "304", "400", "401", "403", "503"},
}


@pytest.fixture(scope="module")
def document() -> dict:  # type: ignore[type-arg]
    return create_app().openapi()


@pytest.mark.parametrize(("method", "path"), list(EXPECTED))
def test_statuses(document: dict, method: str, path: str) -> None:  # type: ignore[type-arg]
    responses = document["paths"][path][method]["responses"]
    assert set(responses) == EXPECTED[method, path] | SERVER
    for status, response in responses.items():
        assert response["description"], status
        if status.startswith(("4", "5")):
            assert "application/json" in response["content"], status


def test_every_operation_has_the_server_statuses(document: dict) -> None:  # type: ignore[type-arg]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert SERVER <= set(operation["responses"]), (method, path)


def test_metrics_is_text_and_the_limits_say_when_to_retry(document: dict) -> None:  # type: ignore[type-arg]
    metrics = document["paths"]["/metrics"]["get"]["responses"]["200"]
    assert list(metrics["content"]) == ["text/plain"]
    limited = document["paths"][f"{V1}/auth"]["post"]["responses"]["429"]
    assert "Retry-After" in limited["headers"]
    ingest_422 = document["paths"][f"{ADMIN}/cdrs"]["post"]["responses"]["422"]
    assert "errors" in ingest_422["content"]["application/json"]["schema"]["properties"]
