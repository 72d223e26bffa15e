"""A list request's query string against a resource table (SPEC 9.1): every operator of
every type, the spellings yeti-client and jsonapi-resources use, sort, paging, sparse
fieldsets, the default window, and jsonapi-resources' error objects."""

from __future__ import annotations

from decimal import Decimal

import pytest

from callstats.jsonapi.errors import JsonApiError
from callstats.jsonapi.query import Page, parse_fields, parse_list, underscore
from callstats.queries import Filter, Op, SortKey
from callstats.reports.resources import ACCOUNTS, CDRS, RESOURCES
from tests.support.jsonapi import (
    EVERY_TYPE,
    bad_filter,
    bad_page,
    bad_sort,
    error,
    not_allowed,
)
from tests.support.times import DAY, us

NOW = us("2024-06-10T12:00:00Z")
WINDOW = Filter("t", Op.GTEQ, NOW - DAY)
U1, U2 = "7a7a7a7a-0000-4000-8000-000000000001", "7a7a7a7a-0000-4000-8000-000000000002"


def parse(*query: tuple[str, str], resource=EVERY_TYPE, **kw):  # type: ignore[no-untyped-def]
    return parse_list(resource, list(query), NOW, **kw)


def errors_of(*query: tuple[str, str], resource=EVERY_TYPE) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    with pytest.raises(JsonApiError) as caught:
        parse_list(resource, list(query), NOW, known=RESOURCES)
    return caught.value.document()["errors"]  # type: ignore[return-value]


def only_filter(key: str, value: str) -> Filter:
    filters = parse((f"filter[{key}]", value)).filters
    return next(f for f in filters if f != WINDOW)


# (attribute, op, value sent, the Filter the store is asked) for every operator of every type
CASES = [
    *(("n", op, "-42", Filter("n", Op(op), -42))
      for op in ("eq", "not_eq", "gt", "gteq", "lt", "lteq")),
    ("n", "in", "1,2,3", Filter("n", Op.IN, (1, 2, 3))),
    ("n", "not_in", "7", Filter("n", Op.NOT_IN, (7,))),
    *(("d", op, "0.10", Filter("d_col", Op(op), Decimal("0.10")))
       for op in ("eq", "not_eq", "gt", "gteq", "lt", "lteq")),
    ("d", "in", "0.1,2", Filter("d_col", Op.IN, (Decimal("0.1"), Decimal(2)))),
    ("d", "not_in", "-1.5", Filter("d_col", Op.NOT_IN, (Decimal("-1.5"),))),
    *(("t", op, "2024-06-01T00:00:00+02:00", Filter("t", Op(op), us("2024-05-31T22:00:00Z")))
       for op in ("eq", "not_eq", "gt", "gteq", "lt", "lteq")),
    ("t", "in", "2024-06-01,2024-06-02 10:00:00",
     Filter("t", Op.IN, (us("2024-06-01T00:00:00Z"), us("2024-06-02T10:00:00Z")))),
    ("t", "not_in", "2024-06-01T00:00:00.123456Z",
     Filter("t", Op.NOT_IN, (us("2024-06-01T00:00:00.123456Z"),))),
    ("s", "eq", "a%_\\'", Filter("s", Op.EQ, "a%_\\'")),  # literal, commas and all
    ("s", "eq", "a,b", Filter("s", Op.EQ, "a,b")),
    ("s", "not_eq", "x", Filter("s", Op.NOT_EQ, "x")),
    ("s", "cont", "İx", Filter("s", Op.CONTAINS, "İx")),
    ("s", "start", "49", Filter("s", Op.STARTS_WITH, "49")),
    ("s", "end", "00", Filter("s", Op.ENDS_WITH, "00")),
    ("s", "in", 'a,"b,c", d', Filter("s", Op.IN, ("a", "b,c", " d"))),  # CSV, as yeti reads
    ("s", "not_in", "a", Filter("s", Op.NOT_IN, ("a",))),
    ("s", "cont_any", "ab,CD", Filter("s", Op.CONTAINS_ANY, ("ab", "CD"))),
    ("b", "eq", "true", Filter("b", Op.EQ, True)),
    ("b", "eq", "0", Filter("b", Op.EQ, False)),
    ("b", "not_eq", "false", Filter("b", Op.NOT_EQ, False)),
    ("u", "eq", U1.upper(), Filter("u", Op.EQ, U1)),  # any letter case
    ("u", "not_eq", U1, Filter("u", Op.NOT_EQ, U1)),
    ("u", "in", f"{U1},{U2}", Filter("u", Op.IN, (U1, U2))),
    ("u", "not_in", U2, Filter("u", Op.NOT_IN, (U2,))),
]


@pytest.mark.parametrize(("attribute", "op", "value", "expected"), CASES,
                         ids=[f"{a}_{o}" for a, o, _, _ in CASES])
def test_every_operator_of_every_type(attribute: str, op: str, value: str,
                                      expected: Filter) -> None:
    assert only_filter(f"{attribute}_{op}", value) == expected


def test_each_type_offers_yetis_operators_and_no_other() -> None:
    offered = {"n": "eq not_eq gt gteq lt lteq in not_in", "d": "eq not_eq gt gteq lt lteq in "
               "not_in", "t": "eq not_eq gt gteq lt lteq in not_in", "s": "eq not_eq cont start "
               "end in not_in cont_any", "b": "eq not_eq", "u": "eq not_eq in not_in"}
    every = {"eq", "not_eq", "gt", "gteq", "lt", "lteq", "in", "not_in", "cont", "start", "end",
             "cont_any"}
    for attribute, ops in offered.items():
        for op in every - set(ops.split()):
            assert errors_of((f"filter[{attribute}_{op}]", "1")) == [
                not_allowed(f"{attribute}_{op}")], (attribute, op)


@pytest.mark.parametrize(("key", "value"), [
    ("n_eq", "1.5"), ("n_eq", "1e3"), ("n_gt", " 1"), ("n_in", "1,x"), ("n_in", "1,,2"),
    ("n_eq", "99999999999999999999"), ("d_eq", "1."), ("d_lt", "NaN"), ("d_in", "0.1,Infinity"),
    ("t_gteq", "yesterday"), ("t_eq", "2024-02-30"), ("t_in", "2024-06-01,x"), ("b_eq", "yes"),
    ("b_eq", "TRUE"), ("u_eq", "7a7a7a7a"), ("u_in", f"{U1},nope"), ("s_in", '"open'),
])
def test_a_value_its_type_cannot_hold_is_a_103(key: str, value: str) -> None:
    assert errors_of((f"filter[{key}]", value)) == [bad_filter(key, value)]


@pytest.mark.parametrize("spelling", ["filter[t_gteq]", "filter[tGteq]", "filter[t-gteq]"])
def test_snake_camel_and_dashed_filters_are_one(spelling: str) -> None:
    [found] = parse((spelling, "2024-06-01")).filters
    assert found == Filter("t", Op.GTEQ, us("2024-06-01T00:00:00Z"))


def test_camel_case_names_of_cdr_filters() -> None:
    """yeti-client's CDR page: accountIdEq, timeStartGteq, timeStartLteq."""
    listing = parse(("filter[accountIdEq]", U1), ("filter[timeStartGteq]", "2024-06-01"),
                    ("filter[timeStartLteq]", "2024-06-02"),
                    ("filter[dstPrefixRoutingStart]", "49"), resource=CDRS)
    assert listing.filters == (
        Filter("customer_acc_id", Op.EQ, U1),
        Filter("time_start", Op.GTEQ, us("2024-06-01T00:00:00Z")),
        Filter("time_start", Op.LTEQ, us("2024-06-02T00:00:00Z")),
        Filter("dst_prefix_routing", Op.STARTS_WITH, "49"))


def test_underscore_is_rails() -> None:
    assert [underscore(n) for n in ("timeStartGteq", "time-start-gteq", "src_name_in_cont_any",
                                    "accountIdNotIn", "a1B")] == [
        "time_start_gteq", "time_start_gteq", "src_name_in_cont_any", "account_id_not_in", "a1_b"]


def test_unknown_and_unfilterable_names_are_102() -> None:
    for name in ("nope_eq", "rec_eq", "n", "n_", "_eq", "n_eq_eq", "n_like"):
        assert errors_of((f"filter[{name}]", "1")) == [not_allowed(name)], name
    assert errors_of(("filter[Bogus]", "1")) == [not_allowed("bogus")]


def test_a_repeated_filter_is_a_103_an_empty_one_none() -> None:
    assert errors_of(("filter[n_eq]", "1"), ("filter[nEq]", "2")) == [bad_filter("n_eq", "1,2")]
    assert parse(("filter[n_eq]", "")).filters == (WINDOW,)
    assert errors_of(("filter[nope_eq]", "")) == [not_allowed("nope_eq")]


def test_other_params_are_ignored() -> None:
    assert parse(("include", "account"), ("filter", "x"), ("page", "2"), ("n_eq", "1"),
                 ("filter[n_eq", "1")).filters == (WINDOW,)


# --- the default window ---------------------------------------------------------------------


@pytest.mark.parametrize(("op", "replaces"), [("gt", True), ("gteq", True), ("eq", True),
                                              ("lt", False), ("lteq", False), ("not_eq", False),
                                              ("in", False)])
def test_without_a_lower_bound_a_list_reads_the_last_24_hours(op: str, replaces: bool) -> None:
    filters = parse((f"filter[t_{op}]", "2024-06-01")).filters
    assert (WINDOW in filters) is not replaces
    assert len(filters) == 1 + (not replaces)


def test_the_cdr_lists_default_window_is_on_time_start() -> None:
    assert parse(resource=CDRS).filters == (Filter("time_start", Op.GTEQ, NOW - DAY),)
    assert parse(resource=ACCOUNTS).filters == ()


# --- sort -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("sort", "expected"), [
    (None, SortKey("t", True)), ("", SortKey("t", True)), ("n", SortKey("n")),
    ("-n", SortKey("n", True)), ("d", SortKey("d_col")), ("id", SortKey("id")),
    ("-id", SortKey("id", True)),
])
def test_sort(sort: str | None, expected: SortKey) -> None:
    assert parse(*([("sort", sort)] if sort is not None else [])).sort == expected


def test_sort_spellings_of_cdrs() -> None:
    for spelling in ("-time-start", "-time_start", "-timeStart"):
        assert parse(("sort", spelling), resource=CDRS).sort == SortKey("time_start", True)
    assert parse(resource=CDRS).sort == SortKey("time_start", True)
    assert parse(resource=ACCOUNTS).sort == SortKey("name")
    assert parse(("sort", "-id"), resource=ACCOUNTS).sort == SortKey("uuid", True)


@pytest.mark.parametrize("sort", ["nope", "rec", "-rec", "n,d", "--n", "+n", "account"])
def test_a_sort_the_table_does_not_offer_is_a_114(sort: str) -> None:
    assert errors_of(("sort", sort)) == [bad_sort("things", sort)]


def test_two_sort_params_are_a_114() -> None:
    assert errors_of(("sort", "n"), ("sort", "d")) == [bad_sort("things", "n,d")]
    assert errors_of(("sort", "uuid"), resource=ACCOUNTS) == [bad_sort("accounts", "uuid")]


# --- page -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "page"), [
    ((), Page(1, 50)), ((("page[number]", "3"),), Page(3, 50)),
    ((("page[size]", "1000"),), Page(1, 1000)),
    ((("page[number]", "2"), ("page[size]", "1")), Page(2, 1)),
])
def test_pages(query: tuple[tuple[str, str], ...], page: Page) -> None:
    assert parse(*query).page == page
    assert page.offset == (page.number - 1) * page.size


@pytest.mark.parametrize(("name", "value"), [
    ("number", "0"), ("number", "-1"), ("number", "x"), ("number", "1.5"), ("number", ""),
    ("size", "0"), ("size", " 5"), ("number", "1" * 16), ("size", "+5"),
])
def test_a_page_value_that_is_not_a_positive_integer_is_a_118(name: str, value: str) -> None:
    assert errors_of((f"page[{name}]", value)) == [bad_page(name, value)]


def test_a_page_size_beyond_1000_is_a_118() -> None:
    assert errors_of(("page[size]", "1001")) == [error(
        "Invalid page value", "size exceeds maximum page size of 1000.", "118")]
    assert errors_of(("page[number]", "1"), ("page[number]", "2")) == [bad_page("number", "1,2")]


# --- fields ---------------------------------------------------------------------------------


def test_fields_choose_and_order_the_attributes() -> None:
    assert parse(("fields[things]", "s,n")).fields == ("s", "n")
    assert parse().fields is None
    assert parse(("fields[things]", "")).fields == ()
    assert parse(("fields[things]", "b, rec,b")).fields == ("b", "rec")
    assert parse(("fields[cdrs]", "time-start,customer_price"), resource=CDRS).fields == (
        "time_start", "customer_price")
    assert parse(("fields[accounts]", "name"), known=RESOURCES).fields is None  # another type


def test_a_field_the_type_lacks_is_a_104_an_unknown_type_a_101() -> None:
    assert errors_of(("fields[things]", "s,nope")) == [
        error("Invalid field", "nope is not a valid field for things.", "104")]
    assert errors_of(("fields[things]", "id")) == [
        error("Invalid field", "id is not a valid field for things.", "104")]
    assert errors_of(("fields[accounts]", "balance")) == [
        error("Invalid field", "balance is not a valid field for accounts.", "104")]
    assert errors_of(("fields[account]", "name")) == [
        error("Invalid resource", "account is not a valid resource.", "101")]
    assert parse_fields(ACCOUNTS, [("fields[accounts]", "name"), ("sort", "x")]) == ("name",)


def test_every_part_reports_its_first_error_in_jsonapi_resources_order() -> None:
    assert errors_of(("page[size]", "0"), ("sort", "x"), ("filter[x_eq]", "1"),
                     ("fields[things]", "y")) == [
        error("Invalid field", "y is not a valid field for things.", "104"),
        not_allowed("x_eq"), bad_sort("things", "x"), bad_page("size", "0")]


def test_links_repeat_the_request_as_sent() -> None:
    listing = parse(("filter[tGteq]", "2024-06-01"), ("page[number]", "2"), ("sort", "-n"),
                    ("fields[things]", "n"), ("other", "x"))
    assert listing.link_params == (("filter[tGteq]", "2024-06-01"), ("sort", "-n"),
                                   ("fields[things]", "n"))


def test_checks_give_values_their_meaning() -> None:
    ids = {U1: 11, U2: 12}

    def usable(value: object) -> object:
        if value not in ids:
            raise ValueError(value)
        return ids[str(value)]

    listing = parse(("filter[account_id_in]", f"{U1},{U2.upper()}"), resource=CDRS,
                    checks={"account_id": usable})
    assert Filter("customer_acc_id", Op.IN, (11, 12)) in listing.filters
    other = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(JsonApiError) as caught:
        parse(("filter[account_id_eq]", other), resource=CDRS, checks={"account_id": usable})
    assert caught.value.document()["errors"] == [bad_filter("account_id_eq", other)]
