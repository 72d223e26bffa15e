"""A JSON:API create body (SPEC 9.6) against a resource's writable attributes: malformed
documents are jsonapi-resources' 400s, unusable values 422s naming their pointer."""

from __future__ import annotations

import orjson
import pytest

from callstats.jsonapi.create import parse_create
from callstats.jsonapi.errors import JsonApiError
from callstats.reports.resources import CHART_ACTIVE_CALLS
from tests.support.jsonapi import chart_body, error
from tests.support.times import us

UUID = "7a7a7a7a-0000-4000-8000-000000000001"


def parse(body: object):  # type: ignore[no-untyped-def]
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return parse_create(CHART_ACTIVE_CALLS, raw)


def errors_of(body: object) -> list[object]:
    with pytest.raises(JsonApiError) as caught:
        parse(body)
    return caught.value.document()["errors"]  # type: ignore[return-value]


def test_the_body_yeti_client_sends() -> None:
    made = parse(chart_body("chart-active-calls", UUID, "2020-05-02 14:25:05",
                            "2020-05-03T14:25:05+02:00"))
    assert made.attributes == {"from_time": us("2020-05-02T14:25:05Z"),
                               "to_time": us("2020-05-03T12:25:05Z")}
    assert made.account == UUID and made.invalid == ()


def test_absent_and_null_attributes_take_their_defaults() -> None:
    assert parse(chart_body("chart-active-calls", UUID)).attributes == {}
    body = {"data": {"type": "chart-active-calls", "attributes": {"from-time": None,
                                                                   "toTime": None}}}
    made = parse(body)
    assert made.attributes == {} and made.account is None


@pytest.mark.parametrize("value", ["yesterday", 1700000000, "2024-02-30", True, ["x"]])
def test_a_time_it_cannot_read_is_a_422_on_its_pointer(value: object) -> None:
    body = {"data": {"type": "chart-active-calls", "attributes": {"from-time": value}}}
    assert [e.as_dict() for e in parse(body).invalid] == [{
        "title": "is invalid", "detail": "from-time - is invalid", "code": "100",
        "source": {"pointer": "/data/attributes/from-time"}, "status": "422"}]


@pytest.mark.parametrize("linkage", [
    None, {}, {"data": None}, {"data": {"id": UUID}}, {"data": {"type": "cdrs", "id": UUID}},
    {"data": {"type": "accounts", "id": 5}}, "x",
])
def test_anything_but_an_accounts_linkage_is_no_account(linkage: object) -> None:
    body = {"data": {"type": "chart-active-calls", "relationships": {"account": linkage}}}
    assert parse(body).account is None


@pytest.mark.parametrize(("body", "expected"), [
    (b"{not json", error("Invalid data format", "The body is not valid JSON.", "122")),
    (b"", error("Invalid data format", "The body is not valid JSON.", "122")),
    ({}, error("Missing Parameter", "The required parameter, data, is missing.", "106")),
    ([], error("Missing Parameter", "The required parameter, data, is missing.", "106")),
    ({"data": []}, error("Invalid data format", "Data must be a hash.", "122")),
    ({"data": {"type": "accounts"}},
     error("Type Mismatch", "accounts is not a valid type for this operation.", "116")),
    ({"data": {}}, error("Type Mismatch", "None is not a valid type for this operation.", "116")),
    ({"data": {"type": "chart-active-calls", "attributes": {"originated-calls": []}}},
     error("Param not allowed", "originated-calls is not allowed.", "105")),
    ({"data": {"type": "chart-active-calls", "relationships": {"customer": {}}}},
     error("Param not allowed", "customer is not allowed.", "105")),
    ({"data": {"type": "chart-active-calls", "attributes": []}},
     error("Invalid data format", "Data must be a hash.", "122")),
])
def test_malformed_documents_are_400s(body: object, expected: dict[str, str]) -> None:
    assert errors_of(body) == [expected]
