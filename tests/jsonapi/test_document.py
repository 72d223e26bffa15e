"""Documents as jsonapi-resources writes them (SPEC 9.1): timestamps as Rails encodes them,
decimals as SPEC 4.5 spells them, attributes in table or `fields` order, relationships,
and the paged paginator's links."""

from __future__ import annotations

from decimal import Decimal

import pytest

from callstats.jsonapi.document import attributes, list_document, page_link, resource_object
from callstats.jsonapi.query import Page
from callstats.jsonapi.types import rails_time
from tests.support.jsonapi import EVERY_TYPE
from tests.support.times import us

BASE = "https://stats.example"
URL = f"{BASE}/api/rest/customer/v1/things"


@pytest.mark.parametrize(("micros", "text"), [
    (us("2024-06-10T12:00:00Z"), "2024-06-10T12:00:00.000Z"),
    (us("2024-06-10T12:00:00.999999Z"), "2024-06-10T12:00:00.999Z"),  # truncated, not rounded
    (us("2024-06-10T12:00:00.0015Z"), "2024-06-10T12:00:00.001Z"),
    (us("1969-12-31T23:59:59.9999Z"), "1969-12-31T23:59:59.999Z"),  # before 1970: floored
    (us("0001-01-01T00:00:00Z"), "0001-01-01T00:00:00.000Z"),
    (us("9999-12-31T23:59:59.999999Z"), "9999-12-31T23:59:59.999Z"),
])
def test_timestamps(micros: int, text: str) -> None:
    assert rails_time(micros) == text


RECORD = {"id": 7, "n": 5, "d_col": Decimal("2.300000"), "t": us("2024-06-10T12:00:00.5Z"),
          "s": "x", "b": False, "u": None, "acc": 3}


def test_attributes_are_dasherized_spelled_and_null_when_missing() -> None:
    assert attributes(EVERY_TYPE, RECORD) == {
        "n": 5, "d": "2.3", "t": "2024-06-10T12:00:00.500Z", "s": "x", "b": False, "u": None,
        "rec": False}
    assert attributes(EVERY_TYPE, {"d_col": Decimal("0E-10")})["d"] == "0.0"
    assert attributes(EVERY_TYPE, {"d_col": Decimal("10")})["d"] == "10.0"
    assert attributes(EVERY_TYPE, {"d_col": Decimal("0.0500")})["d"] == "0.05"


def test_fields_choose_the_attributes_and_their_order() -> None:
    assert list(attributes(EVERY_TYPE, RECORD, ("s", "n"))) == ["s", "n"]
    assert attributes(EVERY_TYPE, RECORD, ()) == {}


def test_a_resource_object() -> None:
    assert resource_object(EVERY_TYPE, RECORD, BASE, ("n",), account="uuid-3") == {
        "id": "7", "type": "things", "links": {"self": f"{URL}/7"}, "attributes": {"n": 5},
        "relationships": {"account": {"data": {"type": "accounts", "id": "uuid-3"}}}}
    bare = resource_object(EVERY_TYPE, RECORD, BASE, ("n",), with_links=False)
    assert "links" not in bare and bare["relationships"] == {"account": {"data": None}}


@pytest.mark.parametrize(("total", "number", "size", "links"), [
    (0, 1, 50, {"first": 1, "last": 1}),  # empty: last is page 1
    (50, 1, 50, {"first": 1, "last": 1}),
    (51, 1, 50, {"first": 1, "next": 2, "last": 2}),
    (51, 2, 50, {"first": 1, "prev": 1, "last": 2}),
    (12, 2, 5, {"first": 1, "prev": 1, "next": 3, "last": 3}),
    (12, 9, 5, {"first": 1, "prev": 8, "last": 3}),  # beyond the last page
])
def test_paged_links(total: int, number: int, size: int, links: dict[str, int]) -> None:
    body = list_document([], total, Page(number, size), BASE, "/things", [])
    assert body["meta"] == {"total-count": total}
    assert body["links"] == {name: f"{URL}?page%5Bnumber%5D={n}&page%5Bsize%5D={size}"
                             for name, n in links.items()}
    assert list(body) == ["data", "meta", "links"]


def test_links_keep_the_request_in_rails_to_query_spelling() -> None:
    params = [("sort", "-t"), ("filter[sCont]", "a b&c/ü"), ("fields[things]", "n,s")]
    assert page_link(URL, params, 2, 10) == (
        f"{URL}?fields%5Bthings%5D=n%2Cs&filter%5BsCont%5D=a+b%26c%2F%C3%BC"
        "&page%5Bnumber%5D=2&page%5Bsize%5D=10&sort=-t")
