"""yeti-web's own request specs of GET /cdrs, /incoming-cdrs and their /{id}, replayed
against callstats on every store kind: the shapes of tests/support/yeti_specs.py (the
default window and its overrides, pagination, account_ids, the account filters, every
ransack filter the specs run, the show's attributes), with yeti's data and answers."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.support.api import Api
from tests.support.jsonapi import get
from tests.support.times import SECOND
from tests.support.yeti_specs import (
    ACCOUNT_FILTERS,
    BOOLEAN_FILTERS,
    CDR_FILTERED,
    DATETIME_FILTERS,
    INET_FILTERS,
    NUMBER_FILTERS,
    PAGINATION,
    SHOW_KEYS,
    STRING_FILTERS,
    WINDOW,
)

NOW = 1_735_000_000 * SECOND  # 2024-12-24T00:26:40Z
HOUR = 3600 * SECOND
TODAY, YESTERDAY = "2024-12-24", "2024-12-23"
MIDNIGHT = 1_734_998_400 * SECOND
SIDES = {"cdrs": "customer_acc_id", "incoming-cdrs": "vendor_acc_id"}
LISTS = list(SIDES)


def uuid_of(account: int) -> str:
    return f"{account:08x}-0000-4000-8000-{account:012x}"


@dataclass
class World:
    api: Api
    ids: Any  # the next CDR id
    accounts: Any  # the next account id
    token: str  # customer 1, every account

    def account(self) -> int:
        account = next(self.accounts)
        self.api.account(1, id=account, uuid=uuid_of(account))
        return account

    def cdr(self, type_name: str, account: int, **values: object) -> str:
        """`create(:cdr, customer_acc: account, …)` (vendor_acc for incoming)."""
        cdr_id = next(self.ids)
        row = {**factory(cdr_id), SIDES[type_name]: account, **values}
        self.api.cdrs([{k: v for k, v in row.items() if v is not None}])
        return str(cdr_id)


def factory(cdr_id: int) -> dict[str, object]:
    """A CDR as yeti's factory makes one: started now, answered, every shown field set."""
    return {
        "id": cdr_id, "time_start": NOW - 60 * SECOND, "time_connect": NOW - 55 * SECOND,
        "time_end": NOW, "duration": 55, "is_last_cdr": True, "success": True,
        "customer_id": 1, "vendor_id": 2, "local_tag": f"tag-{cdr_id}",
        "destination_initial_interval": 1, "destination_next_interval": 1,
        "destination_initial_rate": Decimal("0.0123"), "destination_next_rate": Decimal("0.0123"),
        "destination_fee": Decimal("0"), "customer_price": Decimal("0.011275"),
        "customer_duration": 55, "src_name_in": "Alice", "src_prefix_in": "4930111",
        "from_domain": "a.example", "dst_prefix_in": "4930222", "to_domain": "b.example",
        "ruri_domain": "b.example", "diversion_in": "4930333", "orig_call_id": f"o{cdr_id}",
        "lega_disconnect_code": 200, "lega_disconnect_reason": "Bye",
        "auth_orig_transport_protocol_id": 1, "auth_orig_ip": "192.0.2.1",
        "auth_orig_port": 5060, "src_prefix_routing": "4930111",
        "dst_prefix_routing": "4930222", "destination_prefix": "4930",
        "lega_user_agent": "UA a", "dialpeer_initial_interval": 1, "dialpeer_next_interval": 1,
        "dialpeer_initial_rate": Decimal("0.01"), "dialpeer_next_rate": Decimal("0.01"),
        "dialpeer_fee": Decimal("0"), "dialpeer_prefix": "49", "vendor_price": Decimal("0.009"),
        "vendor_duration": 55, "src_name_out": "Alice", "src_prefix_out": "4930111",
        "dst_prefix_out": "4930222", "diversion_out": "4930444",
        "legb_disconnect_code": 200, "legb_disconnect_reason": "Bye",
        "sign_term_ip": "198.51.100.7", "sign_term_port": 5060,
        "sign_term_transport_protocol_id": 1, "term_call_id": f"t{cdr_id}",
        "legb_user_agent": "UA b",
    }


@pytest.fixture(scope="module")
def world(make_api) -> World:  # type: ignore[no-untyped-def]
    api = make_api(NOW / SECOND)
    api.customer("customer", 1)
    api.customer("someone else", 2)
    api.account(2, id=2, uuid=uuid_of(2))
    made = World(api, itertools.count(1), itertools.count(10), api.dynamic_token(1))
    mine = made.account()
    for type_name in LISTS:  # CDRs of someone else, and non-last CDRs of the customer
        for _ in range(2):
            made.cdr(type_name, 2)
            made.cdr(type_name, mine, is_last_cdr=False)
    return made


def listed(world: World, type_name: str, params: dict[str, str], token: str | None = None
           ) -> list[str]:
    response = get(world.api, f"/{type_name}", token or world.token, params)
    assert response.status_code == 200, response.text
    return [d["id"] for d in response.json()["data"]]


def ago(text: str) -> str:
    """`<ago 48>` as `48.hours.ago.strftime('%F %T')`."""
    if not text.startswith("<ago "):
        return text
    hours = float(text[5:-1])
    return datetime.fromtimestamp((NOW - hours * HOUR) / SECOND, UTC).strftime("%F %T")


@pytest.mark.parametrize("type_name", LISTS)
@pytest.mark.parametrize("case", WINDOW, ids=[c.context for c in WINDOW])
def test_the_default_window(world: World, case, type_name: str) -> None:  # type: ignore[no-untyped-def]
    account = world.account()
    included = [world.cdr(type_name, account, time_start=NOW - int(h * HOUR))
                for h in case.included]
    for hours in case.excluded:
        world.cdr(type_name, account, time_start=NOW - int(hours * HOUR))
    not_last = world.cdr(type_name, account, is_last_cdr=False)  # a row of incoming only
    params = {k: ago(v) for k, v in case.params.items()}
    shown = listed(world, type_name, {**params, "filter[account_id_eq]": uuid_of(account)})
    expected = included + ([] if type_name == "cdrs" else [not_last])
    assert sorted(shown) == sorted(expected)


@pytest.mark.parametrize("type_name", LISTS)
@pytest.mark.parametrize(("context", "count", "params", "window"), PAGINATION,
                         ids=[p[0] for p in PAGINATION])
def test_pagination(world: World, type_name: str, context: str, count: int,
                    params: dict[str, str], window: tuple[int, int]) -> None:
    customer = 1000 + next(world.accounts)
    world.api.customer(f"paged {customer}", customer)
    account = next(world.accounts)
    world.api.account(customer, id=account, uuid=uuid_of(account))
    records = [world.cdr(type_name, account, time_start=NOW - (i + 1) * 60 * SECOND)
               for i in range(count)]  # newest first, as records_ids are ordered
    response = get(world.api, f"/{type_name}", world.api.dynamic_token(customer), params)
    body = response.json()
    assert body["meta"] == {"total-count": count}
    assert sorted(d["id"] for d in body["data"]) == sorted(records[window[0]:window[1]])


@pytest.mark.parametrize("type_name", LISTS)
def test_with_account_ids_only_the_allowed_accounts(world: World, type_name: str) -> None:
    accounts = [world.account() for _ in range(4)]
    allowed = accounts[:2]
    expected = [world.cdr(type_name, a) for a in allowed]
    access = world.api.login(1, f"allowed-{type_name}", account_ids=allowed)
    shown = listed(world, type_name, {}, world.api.token(access))
    assert sorted(shown) == sorted(expected)


@pytest.mark.parametrize("type_name", LISTS)
@pytest.mark.parametrize(("name", "value"), ACCOUNT_FILTERS, ids=[f[0] for f in ACCOUNT_FILTERS])
def test_filters_by_account(world: World, type_name: str, name: str, value: str) -> None:
    customer = 2000 + next(world.accounts)
    world.api.customer(f"filtered {customer}", customer)
    account, another, another2 = (next(world.accounts) for _ in range(3))
    for a in (account, another, another2):
        world.api.account(customer, id=a, uuid=uuid_of(a))
    for _ in range(2):
        world.cdr(type_name, account)
    expected = world.cdr(type_name, another)
    sent = value.format(account=uuid_of(account), another=uuid_of(another),
                        another2=uuid_of(another2))
    shown = listed(world, type_name, {f"filter[{name}]": sent},
                   world.api.dynamic_token(customer))
    assert shown == [expected]


def _filter_cases() -> list[tuple[str, str, str]]:
    return [(type_name, kind, attr) for type_name, kinds in CDR_FILTERED.items()
            for kind, attrs in kinds.items() for attr in attrs]


NUMBER_VALUES = {"smaller": 1, "greater": 2}


@pytest.mark.parametrize(("type_name", "kind", "attr"), _filter_cases(),
                         ids=[f"{t}-{a}" for t, _, a in _filter_cases()])
def test_ransack_filters(world: World, type_name: str, kind: str, attr: str) -> None:
    account = world.account()
    scope = {"filter[account_id_eq]": uuid_of(account)}
    if attr == "time_start":  # overrides default filter to avoid conflicts with tests
        scope["filter[time_start_gteq]"] = ago("<ago 1200>")
    if kind == "string":
        records = {v: world.cdr(type_name, account, **{attr: v})
                   for v in ("str", "string", "other")}
        for name, value, includes, excludes in STRING_FILTERS:
            op = name.removeprefix("name_")
            shown = listed(world, type_name, {**scope, f"filter[{attr}_{op}]": value})
            assert {records[n] for n in includes} <= set(shown), (attr, op)
            assert not {records[n] for n in excludes} & set(shown), (attr, op)
        return
    if kind == "number":
        decimal = "rate" in attr or "fee" in attr or "price" in attr
        records = {k: world.cdr(type_name, account, **{attr: Decimal(v) if decimal else v})
                   for k, v in NUMBER_VALUES.items()}
        cases, values = NUMBER_FILTERS, {k: str(v) for k, v in NUMBER_VALUES.items()}
    elif kind == "datetime":
        records = {"smaller": world.cdr(type_name, account, **{attr: MIDNIGHT - 24 * HOUR}),
                   "greater": world.cdr(type_name, account, **{attr: MIDNIGHT})}
        cases = DATETIME_FILTERS
        values = {"smaller": YESTERDAY, "greater": TODAY, "now": "2024-12-24T00:26:40+00:00"}
    elif kind == "boolean":
        records = {"true": world.cdr(type_name, account, **{attr: True}),
                   "false": world.cdr(type_name, account, **{attr: False})}
        cases, values = BOOLEAN_FILTERS, {}
    else:
        records = {"suitable": world.cdr(type_name, account, **{attr: "0.0.0.0"}),
                   "other": world.cdr(type_name, account, **{attr: "1.1.1.1"})}
        cases, values = INET_FILTERS, {}
    for op, value, includes, excludes in cases:
        shown = listed(world, type_name, {**scope, f"filter[{attr}_{op}]": value.format(**values)})
        assert records[includes] in shown and records[excludes] not in shown, (attr, op)


@pytest.mark.parametrize("type_name", LISTS)
def test_show_returns_record_with_expected_attributes(world: World, type_name: str) -> None:
    account = world.account()
    key = world.cdr(type_name, account)
    response = get(world.api, f"/{type_name}/{key}", world.token)
    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == {"id", "type", "links", "attributes", "relationships"}
    assert (data["id"], data["type"]) == (key, type_name)
    attributes = data["attributes"]
    assert set(attributes) == set(SHOW_KEYS[type_name])
    sent = factory(int(key))
    for name, value in attributes.items():
        column = name.replace("-", "_")
        if name == "rec":
            assert value is False
        elif name.startswith("time-"):
            assert value.endswith("Z") and len(value) == 24
        elif isinstance(sent[column], Decimal):
            assert Decimal(value) == sent[column], name
        else:
            assert value == sent[column], name


@pytest.mark.parametrize("type_name", LISTS)
def test_the_account_relationship(world: World, type_name: str) -> None:
    account = world.account()
    ids = [world.cdr(type_name, account) for _ in range(2)]
    body = get(world.api, f"/{type_name}", world.token,
               {"filter[account_id_eq]": uuid_of(account)}).json()
    assert sorted(d["id"] for d in body["data"]) == sorted(ids)
    for item in body["data"]:
        assert item["relationships"]["account"]["data"] == {"id": uuid_of(account),
                                                            "type": "accounts"}
