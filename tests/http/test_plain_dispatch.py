"""http/plain_dispatch.py: a report GET answered without FastAPI's router and request
handler gets the same status, headers and body as through them (the same app with the
dispatch left out), and the request log and metrics see the same route."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from callstats.http.plain_dispatch import PlainDispatch, plain_routes
from tests.support.api import Api
from tests.support.bodies import cdr

NOW = 1_709_300_000.0  # 2024-03-01T13:33:20Z
V1 = "/api/rest/customer/v1"
VOLATILE = ("x-request-id", "x-runtime")


def routed_only(api: Api) -> Api:
    """`api`'s app with every request going through FastAPI's router."""
    api.app.user_middleware = [m for m in api.app.user_middleware if m.cls is not PlainDispatch]
    return api


@pytest.fixture(scope="module")
def apis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, Api]]:
    made = []
    for name in ("plain", "routed"):
        api = Api(tmp_path_factory.mktemp(name) / "data", NOW)
        customer = api.customer("c", id=7)
        api.account(customer, id=70, uuid="00000000-0000-4000-8000-000000000070")
        api.account(api.customer("other", id=8), id=80,
                    uuid="00000000-0000-4000-8000-000000000080")
        api.login(customer, "l", account_ids=[70])
        api.cdrs([cdr(i, customer_acc_id=70, time_start=f"2024-03-01T10:0{i % 10}:00Z")
                  for i in range(1, 40)])
        made.append(api)
    plain, routed = made
    yield plain, routed_only(routed)
    for api in made:
        api.close()


DAY = {"from-time": "2024-03-01T00:00:00Z", "to-time": "2024-03-01T23:59:59Z"}
OWN = {"account-id": "00000000-0000-4000-8000-000000000070", **DAY}
CASES: list[tuple[str, str, dict[str, str], dict[str, str]]] = [
    ("GET", "/origination-statistics", {**OWN, "sampling": "minute"}, {}),
    ("GET", "/origination-statistics", {**OWN, "sampling": "hour"}, {"Accept": "text/csv"}),
    ("HEAD", "/origination-statistics", {**OWN, "sampling": "hour"}, {}),
    ("GET", "/termination-statistics", {**OWN, "sampling": "day"}, {}),
    ("GET", "/origination-disconnect-codes", OWN, {}),
    ("GET", "/origination-statistics", {**OWN, "sampling": "week"}, {}),  # 400
    ("GET", "/origination-statistics", DAY, {}),  # 400: no account
    ("GET", "/origination-statistics",  # another customer's account
     {**OWN, "account-id": "00000000-0000-4000-8000-000000000080", "sampling": "hour"}, {}),
    ("GET", "/origination-statistics", {**OWN, "sampling": "hour"}, {"no-token": "1"}),  # 401
    ("GET", "/origination-statistics/", {**OWN, "sampling": "hour"}, {}),  # the router's
    ("POST", "/origination-statistics", {}, {}),  # 405
]


def answer(api: Api, method: str, path: str, params: dict[str, str],
           headers: dict[str, str]) -> tuple[int, list[tuple[str, str]], bytes]:
    if "no-token" not in headers:
        headers = {**headers, "Authorization": api.token(1)}
    response: httpx.Response = api.request(method, V1 + path, params=params,
                                           headers=headers)
    kept = [(k, v) for k, v in response.headers.multi_items() if k not in VOLATILE]
    return response.status_code, kept, response.content


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]} {c[1]} {sorted(c[2])}")
def test_the_same_answer_as_through_the_router(apis: tuple[Api, Api],
                                               case: tuple[str, str, dict[str, str],
                                                           dict[str, str]]) -> None:
    plain, routed = apis
    assert answer(plain, *case) == answer(routed, *case)


def test_an_etag_from_the_plain_path_gives_304(apis: tuple[Api, Api]) -> None:
    plain, routed = apis
    case = ("GET", "/origination-statistics", {**OWN, "sampling": "hour"}, {})
    first = answer(plain, *case)
    assert first == answer(routed, *case)
    etag = dict(first[1])["etag"]
    again = (*case[:3], {"If-None-Match": etag})
    not_modified = answer(plain, *again)
    assert not_modified[0] == 304
    assert not_modified == answer(routed, *again)


def test_the_metrics_name_the_same_route(apis: tuple[Api, Api]) -> None:
    def counted(api: Api) -> list[str]:
        text = api.request("GET", "/metrics").text
        return sorted(line for line in text.splitlines()
                      if line.startswith("callstats_http_requests_total{")
                      and "/metrics" not in line)
    plain, routed = apis
    for api in apis:
        answer(api, "GET", "/origination-statistics", {**OWN, "sampling": "hour"}, {})
    assert counted(plain) == counted(routed)
    assert any('route="/api/rest/customer/v1/origination-statistics",status="200"' in line
               for line in counted(plain))


def test_every_customer_report_without_path_params_is_dispatched(apis: tuple[Api, Api]
                                                                 ) -> None:
    plain, _ = apis
    table = plain_routes(plain.app.router.routes)
    assert f"{V1}/origination-statistics" in table
    assert all(path.startswith(V1) and "{" not in path for path in table)


def test_a_route_registered_earlier_for_the_same_path_keeps_it(tmp_path: Path) -> None:
    api = Api(tmp_path / "data", NOW)
    try:
        @api.app.get(f"{V1}/origination-statistics", include_in_schema=False)
        def first() -> dict[str, str]:
            return {"first": "yes"}
        api.app.router.routes.insert(0, api.app.router.routes.pop())
        assert f"{V1}/origination-statistics" not in plain_routes(api.app.router.routes)
        assert api.get(f"{V1}/origination-statistics").json() == {"first": "yes"}
    finally:
        api.close()
