"""The CDR lists (SPEC 9.3) against the plain-Python reference of tests/support/cdr_lists:
each example draws CDRs filling every shown column onto accounts of its own (and a
foreign customer's, and none), then asks drawn list requests — filters of every operator
of every attribute's type in every spelling, any sort, paging inside and beyond the
last page, sparse fieldsets, JSON or CSV, a caller with all or one of the accounts — and
compares the body byte for byte. Then the fixed cases: errors, /{id}, the window."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, Phase, event, given, note, settings
from hypothesis import strategies as st

from tests.support import cdr_lists as ref
from tests.support.api import Api
from tests.support.jsonapi import bad_filter, bad_page, bad_sort, get, not_allowed, not_found
from tests.support.times import SECOND, iso
from tests.support.wire import dumps

NOW = 1_735_000_000 * SECOND
FOREIGN = 9
EXAMPLES = settings(max_examples=40, deadline=None,
                    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # print, no shrink
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CSV_TYPE = "text/csv; charset=utf-8"


def uuid_of(account: int) -> str:
    return f"{account:08x}-0000-4000-8000-{account:012x}"


@dataclass
class World:
    api: Api
    numbers: Iterator[int]


@pytest.fixture(scope="module")
def world(make_api) -> World:  # type: ignore[no-untyped-def]
    api = make_api(NOW / SECOND)
    api.customer("foreign", 2)
    api.account(2, id=FOREIGN, uuid=uuid_of(FOREIGN))
    return World(api, itertools.count(1))


@dataclass
class Example:
    customer: int
    accounts: tuple[int, int]
    first_id: int

    @classmethod
    def make(cls, n: int) -> Example:
        return cls(100 + n, (1000 + 2 * n, 1001 + 2 * n), n * 100_000)


@EXAMPLES
@given(data=st.data())
def test_lists_match_the_reference(world: World, data: st.DataObject) -> None:
    example = Example.make(next(world.numbers))
    a1, a2 = example.accounts
    sent = data.draw(ref.cdr_rows(example.first_id, [a1, a1, a2, FOREIGN, None], NOW))
    rows = [ref.stored(r) for r in sent]
    api = world.api
    api.customer(f"c{example.customer}", example.customer)
    for account in example.accounts:
        api.account(example.customer, id=account, uuid=uuid_of(account))
    if sent:
        api.cdrs(sent)
    callers = {"all": ({a1: uuid_of(a1), a2: uuid_of(a2)},
                       api.dynamic_token(example.customer)),
               "one": ({a2: uuid_of(a2)}, api.dynamic_token(example.customer, [a2]))}
    for _ in range(data.draw(st.integers(1, 4))):
        type_name = data.draw(st.sampled_from(list(ref.SIDES)))
        usable, token = callers[data.draw(st.sampled_from(list(callers)))]
        found, sort, fields, number, size, link_params, params, as_csv = data.draw(
            ref.list_requests(rows, type_name, usable, NOW))
        note(f"{type_name} {params} csv={as_csv}")
        chosen = ref.selected(rows, type_name, usable, found, sort, NOW)
        event(f"rows: {min(len(chosen), 3)}{'+' if len(chosen) >= 3 else ''}")
        if as_csv:
            response = get(api, f"/{type_name}", token, params, {"Accept": "text/csv"})
            assert response.status_code == 200, response.text
            assert response.headers["content-type"] == CSV_TYPE
            assert response.content == ref.csv_text(chosen, type_name, fields)
            continue
        response = get(api, f"/{type_name}", token, params)
        assert response.status_code == 200, response.text
        expected = ref.document(chosen, type_name, usable, fields, number, size, link_params)
        assert response.json() == expected
        assert response.content == dumps(expected)


# --- fixed cases -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fixed(world: World) -> tuple[Api, str, list[dict]]:
    """Customer 50 (accounts 500, 501) with CDRs now, 2 and 30 days ago, a non-last one."""
    api = world.api
    api.customer("fixed", 50)
    for account in (500, 501):
        api.account(50, id=account, uuid=uuid_of(account))
    rows = [
        {"id": 7_000_001, "time_start": NOW - 60 * SECOND, "duration": 30,
         "customer_acc_id": 500, "vendor_acc_id": 501, "src_name_in": "Alice",
         "lega_disconnect_code": 0, "legb_disconnect_code": 486},
        {"id": 7_000_002, "time_start": NOW - 2 * ref.DAY, "duration": 0,
         "customer_acc_id": 500, "vendor_acc_id": 500},
        {"id": 7_000_003, "time_start": NOW - 30 * ref.DAY, "duration": 5,
         "customer_acc_id": 501, "vendor_acc_id": 501},
        {"id": 7_000_004, "time_start": NOW - 120 * SECOND, "duration": 3,
         "customer_acc_id": 500, "vendor_acc_id": 500, "is_last_cdr": False},
        {"id": 7_000_005, "time_start": NOW - 120 * SECOND, "duration": 3,
         "customer_acc_id": FOREIGN, "vendor_acc_id": FOREIGN},
    ]
    api.cdrs(rows)
    return api, api.dynamic_token(50), rows


def test_the_default_window_and_its_overrides(fixed: tuple[Api, str, list[dict]]) -> None:
    api, token, _ = fixed
    ids = lambda params: [d["id"] for d in get(api, "/cdrs", token, params).json()["data"]]  # noqa: E731
    assert ids({}) == ["7000001"]  # the last 24 h; the non-last CDR is not a /cdrs row
    since = iso(NOW - 40 * ref.DAY)
    for op in ("gteq", "gt"):
        assert ids({f"filter[time_start_{op}]": since}) == ["7000001", "7000002", "7000003"]
    assert ids({"filter[time_start_eq]": iso(NOW - 2 * ref.DAY)}) == ["7000002"]
    # an upper bound alone keeps the window
    assert ids({"filter[time_start_lt]": iso(NOW)}) == ["7000001"]
    incoming = get(api, "/incoming-cdrs", token, {"filter[time_start_gteq]": since}).json()
    assert [d["id"] for d in incoming["data"]] == ["7000001", "7000004", "7000002", "7000003"]


def test_show_finds_a_cdr_whatever_its_time_and_only_the_callers(
        fixed: tuple[Api, str, list[dict]]) -> None:
    api, token, _ = fixed
    old = get(api, "/cdrs/7000003", token)
    assert old.status_code == 200 and old.json()["data"]["id"] == "7000003"
    shown = get(api, "/cdrs/7000001", token).json()["data"]["attributes"]
    assert shown["lega-disconnect-code"] is None and shown["src-name-in"] == "Alice"
    incoming = get(api, "/incoming-cdrs/7000001", token).json()["data"]
    assert incoming["attributes"]["legb-disconnect-code"] == 486
    assert incoming["relationships"]["account"]["data"]["id"] == uuid_of(501)
    for path in ("/cdrs/7000004", "/cdrs/7000005", "/incoming-cdrs/7000005", "/cdrs/1"):
        key = path.rsplit("/", 1)[1]
        response = get(api, path, token)
        assert (response.status_code, response.json()) == (404, {"errors": [not_found(key)]})
    one = api.dynamic_token(50, [501])
    assert get(api, "/cdrs/7000001", one).status_code == 404
    assert get(api, "/incoming-cdrs/7000001", one).status_code == 200


@pytest.mark.parametrize(("params", "error"), [
    ({"filter[nope_eq]": "1"}, not_allowed("nope_eq")),
    ({"filter[rec_eq]": "true"}, not_allowed("rec_eq")),
    ({"filter[duration_cont]": "1"}, not_allowed("duration_cont")),
    ({"filter[success_gt]": "true"}, not_allowed("success_gt")),
    ({"filter[duration_gt]": "x"}, bad_filter("duration_gt", "x")),
    ({"filter[customer_price_eq]": "1e-3"}, bad_filter("customer_price_eq", "1e-3")),
    ({"filter[time_start_gteq]": "yesterday"}, bad_filter("time_start_gteq", "yesterday")),
    ({"filter[success_eq]": "yes"}, bad_filter("success_eq", "yes")),
    ({"filter[account_id_eq]": uuid_of(FOREIGN)},
     bad_filter("account_id_eq", uuid_of(FOREIGN))),
    ({"filter[account_id_in]": f"{uuid_of(500)},{uuid_of(FOREIGN)}"},
     bad_filter("account_id_in", f"{uuid_of(500)},{uuid_of(FOREIGN)}")),
    ({"filter[account_id_eq]": "not-a-uuid"}, bad_filter("account_id_eq", "not-a-uuid")),
    ({"sort": "rec"}, bad_sort("cdrs", "rec")),
    ({"sort": "vendor-price"}, bad_sort("cdrs", "vendor-price")),
    ({"sort": "duration,id"}, bad_sort("cdrs", "duration,id")),
    ({"page[size]": "0"}, bad_page("size", "0")),
    ({"page[number]": "-1"}, bad_page("number", "-1")),
    ({"page[number]": "x"}, bad_page("number", "x")),
])
def test_bad_requests_get_jsonapi_errors(fixed: tuple[Api, str, list[dict]], params: dict,
                                         error: dict) -> None:
    api, token, _ = fixed
    for accept in ("application/vnd.api+json", "text/csv"):
        response = get(api, "/cdrs", token, params, {"Accept": accept})
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/vnd.api+json"
        assert response.json() == {"errors": [error]}


def test_page_size_over_the_maximum(fixed: tuple[Api, str, list[dict]]) -> None:
    api, token, _ = fixed
    response = get(api, "/incoming-cdrs", token, {"page[size]": "1001"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "118"


def test_a_bad_id_is_an_invalid_value(fixed: tuple[Api, str, list[dict]]) -> None:
    api, token, _ = fixed
    response = get(api, "/cdrs/abc", token)
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "103"


def test_csv_of_a_caller_without_accounts_is_the_header(fixed: tuple[Api, str, list[dict]]
                                                        ) -> None:
    api, _, _ = fixed
    nobody = api.dynamic_token(50, [FOREIGN])  # names only another customer's account
    response = get(api, "/cdrs", nobody, {"filter[time_start_gteq]": iso(0)},
                   {"Accept": "text/csv"})
    assert response.status_code == 200
    assert response.content == ref.csv_text([], "cdrs", None)
    body = get(api, "/cdrs", nobody).json()
    assert body["data"] == [] and body["meta"]["total-count"] == 0
