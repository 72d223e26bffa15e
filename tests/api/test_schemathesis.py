"""schemathesis against /openapi.json, in-process over the ASGI app: every customer API and
PBX operation (the JSON:API resources and charts included), with a valid token, answers
without a 5xx and as its schema documents (status codes, content types, headers, bodies)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from tests.support.api import Api
from tests.support.times import SECOND, us

NOW = us("2024-06-10T12:00:00Z") // SECOND
UUID = "7a7a7a7a-0000-4000-8000-000000000001"


@pytest.fixture(scope="module")
def api(make_api) -> Api:  # type: ignore[no-untyped-def]
    api = make_api(NOW)
    api.customer("c", 1)
    api.account(1, id=1, uuid=UUID)
    api.login(1, "user", "secret")
    api.cdrs([{"id": i, "time_start": (NOW - i * 3000) * SECOND, "duration": i % 4 * 20,
               "customer_id": 1, "customer_acc_id": 1, "vendor_id": 1, "vendor_acc_id": 1,
               "customer_price": "0.015", "vendor_price": "0.01", "local_tag": f"t{i // 2}",
               "src_prefix_routing": "4930", "extension_id": i % 3,
               "legb_disconnect_code": [0, 486, 603, 487][i % 4]} for i in range(1, 200)])
    api.snapshots([{"snapshot_timestamp": (NOW - i * 50) * SECOND, "node_id": i % 2,
                    "calls": [{"customer_acc_id": 1, "vendor_acc_id": 1, "start_time":
                               (NOW - 500) * SECOND, "destination_initial_rate": "0.5",
                               "src_name_in": "Zürich"}] * (i % 3)} for i in range(60)])
    return api


@pytest.fixture(scope="module")
def api_schema(api: Api):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_asgi("/openapi.json", api.app)


schema = schemathesis.pytest.from_fixture("api_schema").include(
    path_regex=r"^/(api/rest/customer/v1|client)/")


def _aim(case) -> None:  # type: ignore[no-untyped-def]
    """Point about half the generated requests at data the token may see: the account's
    UUID and the token's own client id (chosen from the generated values, so hypothesis
    still decides)."""
    query = case.query or {}
    account = query.get("account-id")
    if isinstance(account, str) and account[:1] in "02468ace":
        query["account-id"] = UUID if account[1:2] not in "01" else UUID.upper()
    client = (case.path_parameters or {}).get("client_id")
    if isinstance(client, str) and len(client) % 2 == 0:
        case.path_parameters["client_id"] = "@me" if len(client) % 4 else "1"
    if _even(case.path_parameters or {}, "id"):
        case.path_parameters["id"] = UUID
    linkage = _account_linkage(case.body)
    if linkage is not None and _even(linkage, "id"):  # only replaced, never added
        linkage["id"] = UUID


def _even(values: dict, key: str) -> bool:  # type: ignore[type-arg]
    value = values.get(key)
    return isinstance(value, str) and value[:1] != "" and value[:1] in "02468ace"


def _account_linkage(body: object) -> dict | None:  # type: ignore[type-arg]
    """relationships.account.data of a generated JSON:API create body, if it has one."""
    for key in ("data", "relationships", "account", "data"):
        if not isinstance(body, dict):
            return None
        body = body.get(key)
    return body if isinstance(body, dict) else None


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_matches_its_schema(case, api: Api) -> None:  # type: ignore[no-untyped-def]
    _aim(case)
    case.call_and_validate(headers={"Authorization": api.dynamic_token(1)},
                           excluded_checks=[positive_data_acceptance])
