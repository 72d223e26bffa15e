"""Documents as jsonapi-resources writes them: resource objects (attributes dasherized in
the table's order, or the order `fields[…]` asked), list documents with
`meta.total-count` and the `paged` paginator's links."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote_plus

from callstats.jsonapi.model import Resource
from callstats.jsonapi.query import Page

MEDIA_TYPE = "application/vnd.api+json"
API_PREFIX = "/api/rest/customer/v1"

Record = Mapping[str, object]  # stored column → value


def attributes(resource: Resource, record: Record,
               fields: Sequence[str] | None = None) -> dict[str, object]:
    chosen = resource.shown if fields is None else [resource.attribute(n) for n in fields]
    written: dict[str, object] = {}
    for attribute in chosen:
        value = attribute.constant if attribute.stored is None else record.get(attribute.stored)
        written[attribute.key] = None if value is None else attribute.type.spell(value)
    return written


def resource_object(resource: Resource, record: Record, base_url: str,
                    fields: Sequence[str] | None = None, account: str | None = None,
                    with_links: bool = True) -> dict[str, object]:
    """`account`: the account uuid of `relationships.account` (resources that have one)."""
    key = str(record[resource.id_column])
    written: dict[str, object] = {"id": key, "type": resource.type}
    if with_links:
        written["links"] = {"self": f"{base_url}{API_PREFIX}{resource.path}/{key}"}
    written["attributes"] = attributes(resource, record, fields)
    if resource.account_column is not None:
        data = None if account is None else {"type": "accounts", "id": account}
        written["relationships"] = {"account": {"data": data}}
    return written


def list_document(data: list[dict[str, object]], total: int, page: Page, base_url: str,
                  path: str, link_params: Sequence[tuple[str, str]]) -> dict[str, object]:
    last = max(1, -(-total // page.size))
    numbers = {"first": 1, "prev": page.number - 1 if page.number > 1 else None,
               "next": page.number + 1 if page.number < last else None, "last": last}
    url = f"{base_url}{API_PREFIX}{path}"
    links = {name: page_link(url, link_params, number, page.size)
             for name, number in numbers.items() if number is not None}
    return {"data": data, "meta": {"total-count": total}, "links": links}


def page_link(url: str, params: Sequence[tuple[str, str]], number: int, size: int) -> str:
    """Rails' `to_query`: each pair escaped as CGI.escape does, the pairs sorted."""
    pairs = [*params, ("page[number]", str(number)), ("page[size]", str(size))]
    query = sorted(f"{quote_plus(k, safe='')}={quote_plus(v, safe='')}" for k, v in pairs)
    return f"{url}?{'&'.join(query)}"
