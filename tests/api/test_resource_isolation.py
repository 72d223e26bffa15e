"""SPEC 7 on the JSON:API resources (SPEC 9): no filter, id, uuid, sort, page or fields
lets a caller see an account it may not use, on /accounts, /accounts/{uuid}, the CDR
lists and their /{id} (JSON and CSV), and both charts, for every kind of token: a login
(all accounts or some), a dynamic token (all or some), another customer's, a deleted
login, a client outside allowed_ips.

Account 101 (customer 1) holds 1 call, 102 (customer 1) 2 calls, 201 (customer 2) 4 calls,
live and in CDRs, so every chart value names the one account it was computed from."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.support.api import Api
from tests.support.jsonapi import (
    bad_filter,
    blank_account,
    chart_body,
    get,
    not_found,
    post_chart,
)
from tests.support.tenants import A1, A2, ALLOWED_IP, B1, CALLS, OWNER, UUIDS
from tests.support.times import SECOND
from tests.support.wire import UNAUTHORIZED

NOW = 1_735_000_000


@dataclass
class World:
    api: Api
    tokens: dict[str, str]
    may_use: dict[str, set[int]]


@pytest.fixture(scope="module")
def world(make_api) -> World:  # type: ignore[no-untyped-def]
    api = make_api(NOW)
    api.customer("A", 1)
    api.customer("B", 2)
    rows, calls = [], []
    for account, owner in OWNER.items():
        api.account(owner, id=account, uuid=UUIDS[account])
        for _ in range(CALLS[account]):
            rows.append({"id": len(rows) + 1, "time_start": (NOW - 600) * SECOND,
                         "duration": 30, "customer_acc_id": account, "vendor_acc_id": account})
            calls.append({"customer_acc_id": account, "vendor_acc_id": account})
    api.cdrs(rows)
    api.snapshots([{"snapshot_timestamp": (NOW - 600) * SECOND, "node_id": 1, "calls": calls}])
    logins = {"a_all": api.login(1, "a-all"), "a_some": api.login(1, "a-some", account_ids=[A1]),
              "a_ip": api.login(1, "a-ip", allowed_ips=[f"{ALLOWED_IP}/32"]),
              "b_all": api.login(2, "b-all"), "a_gone": api.login(1, "a-gone")}
    tokens = {name: api.token(access) for name, access in logins.items()}
    api.admin("DELETE", f"/api-accesses/{logins['a_gone']}")
    tokens["d_all"] = api.dynamic_token(1)
    tokens["d_some"] = api.dynamic_token(1, account_ids=[A2])
    tokens["d_foreign"] = api.dynamic_token(1, account_ids=[B1])  # names another's account
    tokens["b_dyn"] = api.dynamic_token(2)
    may_use = {"b_dyn": {B1}, "a_all": {A1, A2}, "a_some": {A1}, "b_all": {B1}, "d_all": {A1, A2},
               "d_some": {A2}, "d_foreign": set()}
    return World(api, tokens, may_use)


PRINCIPALS = ["a_all", "a_some", "b_all", "d_all", "d_some", "d_foreign"]


def _list_requests() -> list[dict[str, str]]:
    every = ",".join(UUIDS.values())
    requests: list[dict[str, str]] = [{}, {"filter[uuid_in]": every},
                                      {"filter[uuid_not_in]": UUIDS[A1]},
                                      {"filter[name_cont]": "acc"}, {"fields[accounts]": ""}]
    requests += [{"filter[uuid_eq]": u} for u in UUIDS.values()]
    requests += [{"filter[uuidEq]": u.upper()} for u in UUIDS.values()]
    requests += [{"filter[uuid_not_eq]": u} for u in UUIDS.values()]
    requests += [{"sort": s} for s in ("name", "-name", "id", "-id")]
    requests += [{"page[size]": "1", "page[number]": str(n), "sort": "-id"} for n in (1, 2, 3)]
    return requests


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_no_list_request_shows_an_account_the_caller_may_not_use(world: World,
                                                                  principal: str) -> None:
    allowed = {UUIDS[a] for a in world.may_use[principal]}
    token = world.tokens[principal]
    everything = get(world.api, "/accounts", token).json()
    assert {d["id"] for d in everything["data"]} == allowed  # and every allowed one
    assert everything["meta"]["total-count"] == len(allowed)
    for params in _list_requests():
        body = get(world.api, "/accounts", token, params).json()
        shown = {d["id"] for d in body["data"]}
        assert shown <= allowed, params
        assert body["meta"]["total-count"] <= len(allowed), params


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_show_answers_only_usable_accounts(world: World, principal: str) -> None:
    for account, account_uuid in UUIDS.items():
        for key in (account_uuid, account_uuid.upper()):
            response = get(world.api, f"/accounts/{key}", world.tokens[principal])
            if account in world.may_use[principal]:
                assert response.status_code == 200
                assert response.json()["data"]["id"] == account_uuid
            else:
                assert (response.status_code, response.json()) == (
                    404, {"errors": [not_found(key)]})


@pytest.mark.parametrize("chart", ["chart-active-calls", "chart-originated-cps"])
@pytest.mark.parametrize("principal", PRINCIPALS)
def test_charts_only_for_usable_accounts_and_only_their_calls(
        world: World, principal: str, chart: str) -> None:
    frm = "2024-12-24T00:00:00Z"
    for account, account_uuid in UUIDS.items():
        response = post_chart(world.api, chart, world.tokens[principal],
                              chart_body(chart, account_uuid, frm, "2024-12-24T00:40:00Z"))
        if account not in world.may_use[principal]:
            assert (response.status_code, response.json()) == (
                422, {"errors": [blank_account()]})
            continue
        assert response.status_code == 201
        attributes = response.json()["data"]["attributes"]
        if chart == "chart-active-calls":
            for side in ("originated-calls", "terminated-calls"):
                assert max(p["y"] for p in attributes[side]) == CALLS[account]
        else:
            cps = {p["y"] for p in attributes["cps"]}
            assert cps == {"0.0", f"{CALLS[account] / 60:.4f}".rstrip("0")}


# --- the CDR lists (SPEC 9.3) -------------------------------------------------------------

CDR_ACCOUNT = {cdr: account for cdr, account in enumerate(
    (a for a in OWNER for _ in range(CALLS[a])), start=1)}  # the world's ids, in order
EVERY_ID = ",".join(map(str, CDR_ACCOUNT))
SINCE = "2000-01-01T00:00:00Z"


def _cdr_requests(usable: list[str]) -> list[dict[str, str]]:
    requests: list[dict[str, str]] = [{}, {"filter[time_start_gteq]": SINCE},
                                      {"filter[id_in]": EVERY_ID},
                                      {"filter[id_not_in]": "1"}, {"filter[duration_gt]": "0"},
                                      {"fields[cdrs]": "duration"}]
    requests += [{"filter[id_eq]": str(i)} for i in CDR_ACCOUNT]
    requests += [{"filter[account_id_eq]": u} for u in usable]
    requests += [{"filter[account_id_not_eq]": u} for u in usable]
    requests += [{"filter[account_id_not_in]": u} for u in usable]
    requests += [{"sort": s} for s in ("id", "-id", "duration", "-time-start", "local-tag")]
    requests += [{"page[size]": "1", "page[number]": str(n), "sort": "id"} for n in range(1, 9)]
    return requests


@pytest.mark.parametrize("type_name", ["cdrs", "incoming-cdrs"])
@pytest.mark.parametrize("principal", [*PRINCIPALS, "b_dyn"])
def test_no_cdr_list_request_shows_another_accounts_cdrs(world: World, principal: str,
                                                         type_name: str) -> None:
    allowed = {str(i) for i, a in CDR_ACCOUNT.items() if a in world.may_use[principal]}
    token = world.tokens[principal]
    usable = [UUIDS[a] for a in sorted(world.may_use[principal])]
    everything = get(world.api, f"/{type_name}", token).json()
    assert {d["id"] for d in everything["data"]} == allowed  # and every allowed one
    for params in _cdr_requests(usable):
        body = get(world.api, f"/{type_name}", token, params).json()
        assert {d["id"] for d in body["data"]} <= allowed, params
        assert body["meta"]["total-count"] <= len(allowed), params
        for item in body["data"]:
            account = item["relationships"]["account"]["data"]["id"]
            assert account == UUIDS[CDR_ACCOUNT[int(item["id"])]]
        csv = get(world.api, f"/{type_name}", token, params, {"Accept": "text/csv"})
        shown = {line.split(",")[0] for line in csv.text.splitlines()[1:]}
        assert shown <= allowed, params


@pytest.mark.parametrize("type_name", ["cdrs", "incoming-cdrs"])
@pytest.mark.parametrize("principal", [*PRINCIPALS, "b_dyn"])
def test_cdr_show_and_account_filters_only_for_usable_accounts(
        world: World, principal: str, type_name: str) -> None:
    token = world.tokens[principal]
    for cdr, account in CDR_ACCOUNT.items():
        response = get(world.api, f"/{type_name}/{cdr}", token)
        if account in world.may_use[principal]:
            assert response.status_code == 200
        else:
            assert (response.status_code, response.json()) == (
                404, {"errors": [not_found(str(cdr))]})
    for account, account_uuid in UUIDS.items():
        if account in world.may_use[principal]:
            continue
        for op in ("eq", "not_eq", "in", "not_in"):
            name = f"account_id_{op}"
            response = get(world.api, f"/{type_name}", token, {f"filter[{name}]": account_uuid})
            assert (response.status_code, response.json()) == (
                400, {"errors": [bad_filter(name, account_uuid)]})


@pytest.mark.parametrize("principal", ["a_gone", "a_ip", "none", "garbage"])
def test_no_valid_token_no_answer(world: World, principal: str) -> None:
    token = world.tokens.get(principal, None if principal == "none" else "x.y.z")
    requests = [("GET", "/accounts"), ("GET", f"/accounts/{UUIDS[A1]}"), ("GET", "/cdrs"),
                ("GET", "/cdrs/1"), ("GET", "/incoming-cdrs"), ("GET", "/incoming-cdrs/1")]
    for _, path in requests:
        response = get(world.api, path, token)
        assert (response.status_code, response.content) == (401, UNAUTHORIZED), path
    for chart in ("chart-active-calls", "chart-originated-cps"):
        response = post_chart(world.api, chart, token, chart_body(chart, UUIDS[A1]))
        assert (response.status_code, response.content) == (401, UNAUTHORIZED)


def test_allowed_ips_hold_on_the_resources(world: World) -> None:
    token = world.tokens["a_ip"]
    inside = world.api.get("/api/rest/customer/v1/accounts", token=token, peer=ALLOWED_IP)
    assert inside.status_code == 200 and len(inside.json()["data"]) == 2
