"""schemathesis against /openapi.json, in-process over the ASGI app, with every check on:
every operation (customer API with its JSON:API resources — the CDR lists too — and
charts, PBX, admin,
operations), with valid credentials, answers
without a 5xx, with a status, content type, headers and body its schema documents, refuses
schema-invalid input, and answers 405 with a matching Allow for methods it does not serve.

Valid data that the schema cannot tell is semantically wrong has its documented answer:
400 for report params (an account that is not the token's, from-time after to-time, too
many points) and 422 for admin bodies that name a missing customer or account or carry an
invalid row; positive_data_acceptance takes those too, on those operations only."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks

from tests.support.api import ADMIN_TOKEN, Api
from tests.support.times import SECOND, us

NOW = us("2024-06-10T12:00:00Z") // SECOND
UUID = "7a7a7a7a-0000-4000-8000-000000000001"
POSITIVE = ["2xx", "3xx", "401", "403", "404", "409", "429"]
CONFIG = schemathesis.Config.from_dict({"operations": [
    {"include-path-regex": "^/(api/rest/customer/v1|client)/",
     "checks": {"positive_data_acceptance": {"expected-statuses": [*POSITIVE, "400"]}}},
    {"include-path-regex": "^/api/admin/v1/",
     "checks": {"positive_data_acceptance": {"expected-statuses": [*POSITIVE, "422"]}}},
]})
load_all_checks()
ALL_CHECKS = list(CHECKS.get_all())


@pytest.fixture(scope="module")
def api(make_api) -> Api:  # type: ignore[no-untyped-def]
    api = make_api(NOW, login_rate="0", login_rate_per_ip="0")
    api.customer("c", 1)
    api.account(1, id=1, uuid=UUID)
    api.login(1, "user", "secret")
    api.cdrs([{"id": i, "time_start": (NOW - i * 3000) * SECOND, "duration": i % 4 * 20,
               "customer_id": 1, "customer_acc_id": 1, "vendor_id": 1, "vendor_acc_id": 1,
               "customer_price": "0.015", "vendor_price": "0.01", "local_tag": f"t{i // 2}",
               "src_prefix_routing": "4930", "extension_id": i % 3,
               "legb_disconnect_code": [0, 486, 603, 487][i % 4],
               "lega_disconnect_code": [0, 503, 200][i % 3],
               **({"pdd": f"{i % 7}.{i:03d}"} if i % 5 else {})} for i in range(1, 200)])
    api.snapshots([{"snapshot_timestamp": (NOW - i * 50) * SECOND, "node_id": i % 2,
                    "calls": [{"customer_acc_id": 1, "vendor_acc_id": 1, "start_time":
                               (NOW - 500) * SECOND, "destination_initial_rate": "0.5",
                               "src_name_in": "Zürich"}] * (i % 3)} for i in range(60)])
    return api


@pytest.fixture(scope="module")
def api_schema(api: Api):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_asgi("/openapi.json", api.app, config=CONFIG)


schema = schemathesis.pytest.from_fixture("api_schema")


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
    for key in ("filter[account_id_eq]", "filter[account_id_in]"):
        if _even(query, key):
            query[key] = UUID  # a CDR list's own account
    if _even(case.path_parameters or {}, "id"):
        # a CDR's id on the CDR lists (one the account has), an account's uuid elsewhere
        case.path_parameters["id"] = str(len(case.path_parameters["id"])) \
            if "cdrs/" in case.path else UUID
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
    admin = case.path.startswith("/api/admin/")
    token = f"Bearer {ADMIN_TOKEN}" if admin else api.dynamic_token(1)
    case.call_and_validate(headers={"Authorization": token}, checks=ALL_CHECKS)
