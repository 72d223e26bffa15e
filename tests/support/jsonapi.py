"""JSON:API test helpers: a resource with one attribute of every type, jsonapi-resources'
error bodies written out by hand (independently of callstats.jsonapi.errors), requests to
the customer API's resources and charts, and the create body yeti-client sends."""

from __future__ import annotations

from collections.abc import Mapping

import httpx
import orjson

from callstats.jsonapi.model import Attribute, DefaultWindow, Resource
from callstats.jsonapi.types import BOOLEAN, DATETIME, DECIMAL, INTEGER, STRING, UUID
from tests.support.api import Api
from tests.support.wire import V1

MEDIA_TYPE = "application/vnd.api+json"

# One filterable attribute per type; `t` carries a 24 h default window as the CDR lists do.
EVERY_TYPE = Resource(
    "things", "test resource", INTEGER, "id",
    (Attribute("n", INTEGER), Attribute("d", DECIMAL, "d_col"), Attribute("t", DATETIME),
     Attribute("s", STRING), Attribute("b", BOOLEAN), Attribute("u", UUID),
     Attribute("rec", BOOLEAN, filterable=False, sortable=False, constant=False),
     Attribute("id", INTEGER, shown=False, sortable=False)),
    default_sort="-t", account_column="acc", default_window=DefaultWindow("t", 86_400),
)


def error(title: str, detail: str, code: str, status: str = "400") -> dict[str, str]:
    return {"title": title, "detail": detail, "code": code, "status": status}


def not_allowed(name: str) -> dict[str, str]:
    return error("Filter not allowed", f"{name} is not allowed.", "102")


def bad_filter(name: str, value: str) -> dict[str, str]:
    return error("Invalid filter value", f"{value} is not a valid value for {name}.", "103")


def bad_sort(type_name: str, criteria: str) -> dict[str, str]:
    return error("Invalid sort criteria",
                 f"{criteria} is not a valid sort criteria for {type_name}", "114")


def bad_page(name: str, value: str) -> dict[str, str]:
    return error("Invalid page value", f"{value} is not a valid value for {name} page "
                 "parameter.", "118")


def not_found(key: str) -> dict[str, str]:
    return error("Record not found", f"The record identified by {key} could not be found.",
                 "404", "404")


def blank_account() -> dict[str, object]:
    return {"title": "can't be blank", "detail": "account - can't be blank", "code": "100",
            "source": {"pointer": "/data/relationships/account"}, "status": "422"}


def get(api: Api, path: str, token: str | None, params: object = None,
        headers: Mapping[str, str] | None = None) -> httpx.Response:
    return api.get(V1 + path, params=params, token=token,
                   headers={"Accept": MEDIA_TYPE, **(headers or {})})


def ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


def chart_body(type_name: str, account: str | None, from_time: str | None = None,
               to_time: str | None = None) -> dict[str, object]:
    """What yeti-client (devour-client) posts for its statistics page."""
    attributes = {k: v for k, v in (("from-time", from_time), ("to-time", to_time)) if v}
    data: dict[str, object] = {"type": type_name, "attributes": attributes}
    if account is not None:
        data["relationships"] = {"account": {"data": {"type": "accounts", "id": account}}}
    return {"data": data}


def post_chart(api: Api, type_name: str, token: str | None, body: object) -> httpx.Response:
    headers = {"Accept": MEDIA_TYPE, "Content-Type": MEDIA_TYPE}
    if token is not None:
        headers["Authorization"] = token
    return api.request("POST", f"{V1}/{type_name}", content=orjson.dumps(body),
                       headers=headers)
