"""A list request's query string (`filter[…]`, `sort`, `page[…]`, `fields[…]`) read against
a resource's table, into engine-neutral filters, one sort key and a page.

Spellings accepted as jsonapi-resources unformats them: `filter[time_start_gteq]`,
yeti-client's camelCase `filter[timeStartGteq]` and the dasherized `filter[time-start-gteq]`
are one filter. Every other parameter is ignored. Errors come as jsonapi-resources
reports them: at most one per part, in its order (fields, filters, sort, page).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from callstats.jsonapi import errors
from callstats.jsonapi.model import Attribute, Resource
from callstats.jsonapi.types import LIST_OPS, OPS, SECOND
from callstats.queries import Filter, Op, SortKey

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
_BRACKETED = re.compile(r"(filter|fields|page)\[([^\[\]]*)\]\Z")
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")
_POSITIVE = re.compile(r"[0-9]{1,15}")  # offsets stay within 64 bits
T = TypeVar("T")

Check = Callable[[object], object]  # a filter value → the value the store compares; ValueError


def underscore(name: str) -> str:
    """`timeStartGteq`, `time-start-gteq` → `time_start_gteq` (Rails' `underscore`)."""
    return _CAMEL.sub(r"_\1", name).replace("-", "_").lower()


@dataclass(frozen=True)
class Page:
    number: int = 1
    size: int = DEFAULT_PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


@dataclass(frozen=True)
class ListRequest:
    filters: tuple[Filter, ...]
    sort: SortKey
    page: Page
    fields: tuple[str, ...] | None  # attribute names to show, in order; None: all
    link_params: tuple[tuple[str, str], ...]  # fields, filter and sort as sent, for links


def parse_list(resource: Resource, query: Sequence[tuple[str, str]], now_us: int,
               checks: Mapping[str, Check] | None = None,
               known: Mapping[str, Resource] | None = None) -> ListRequest:
    """`checks` give a filter's values meaning beyond syntax (an account uuid the caller may
    use, as the account id the store compares); `known` the other declared resources, whose
    names `fields[…]` may use too."""
    grouped, link_params = _grouped(query)
    sort_values = [value for key, value in query if key == "sort"]
    found: list[errors.ErrorObject] = []
    fields = _guard(found, lambda: _fields(resource, grouped, known or {}))
    filters = _guard(found, lambda: _filters(resource, grouped, checks or {}, now_us))
    sort = _guard(found, lambda: _sort(resource, sort_values))
    page = _guard(found, lambda: _page(grouped))
    if found:
        raise errors.JsonApiError(*found)
    assert filters is not None and sort is not None and page is not None
    return ListRequest(filters, sort, page, fields, link_params)


def parse_fields(resource: Resource, query: Sequence[tuple[str, str]],
                 known: Mapping[str, Resource] | None = None) -> tuple[str, ...] | None:
    """Only `fields[…]`, as a single record's request reads it."""
    return _fields(resource, _grouped(query)[0], known or {})


def _grouped(query: Sequence[tuple[str, str]]
             ) -> tuple[dict[tuple[str, str], list[str]], tuple[tuple[str, str], ...]]:
    """Values by (part, normalized name), and the pairs a page link repeats."""
    grouped: dict[tuple[str, str], list[str]] = {}
    link_params: list[tuple[str, str]] = []
    for key, value in query:
        match = _BRACKETED.match(key)
        if key == "sort":
            link_params.append((key, value))
        elif match:
            part, name = match.groups()
            normalized = name if part == "fields" else underscore(name)
            grouped.setdefault((part, normalized), []).append(value)
            if part != "page":
                link_params.append((key, value))
    return grouped, tuple(link_params)


def _guard(found: list[errors.ErrorObject], part: Callable[[], T]) -> T | None:
    try:
        return part()
    except errors.JsonApiError as exc:
        found.extend(exc.errors)
        return None


def _fields(resource: Resource, grouped: Mapping[tuple[str, str], list[str]],
            known: Mapping[str, Resource]) -> tuple[str, ...] | None:
    chosen: tuple[str, ...] | None = None
    for (part, type_name), values in grouped.items():
        if part != "fields":
            continue
        target = resource if type_name == resource.type else known.get(type_name)
        if target is None:
            raise errors.JsonApiError(errors.invalid_resource(type_name))
        shown = {a.name for a in target.shown}
        names: list[str] = []
        for value in values:
            for item in (v.strip() for v in value.split(",")):
                name = underscore(item)
                if item and name not in shown:
                    raise errors.JsonApiError(errors.invalid_field(type_name, item))
                if item and name not in names:
                    names.append(name)
        if target is resource:
            chosen = tuple(names)
    return chosen


def _filters(resource: Resource, grouped: Mapping[tuple[str, str], list[str]],
             checks: Mapping[str, Check], now_us: int) -> tuple[Filter, ...]:
    filters: list[Filter] = []
    used: list[tuple[str, str]] = []
    for (part, name), values in grouped.items():
        if part != "filter":
            continue
        attribute, op = _split(resource, name)
        if len(values) != 1:
            raise errors.JsonApiError(errors.invalid_filter_value(name, ",".join(values)))
        if values[0] == "":
            continue  # an empty value, as forms send, is no filter
        value = _value(attribute, op, name, values[0], checks.get(attribute.name))
        assert attribute.stored is not None
        filters.append(Filter(attribute.stored, OPS[op], value))
        used.append((attribute.name, op))
    window = resource.default_window
    if window and not any(a == window.attribute and op in window.unless for a, op in used):
        column = resource.attribute(window.attribute).stored
        assert column is not None
        filters.append(Filter(column, Op.GTEQ, now_us - window.seconds * SECOND))
    return tuple(filters)


def _split(resource: Resource, name: str) -> tuple[Attribute, str]:
    """`time_start_not_eq` → (time_start, not_eq): the longest operator whose prefix is a
    filterable attribute of a type offering it."""
    filterable = resource.filterable
    for op in sorted(OPS, key=len, reverse=True):
        if name.endswith(f"_{op}"):
            attribute = filterable.get(name[:-len(op) - 1])
            if attribute is not None and op in attribute.type.ops:
                return attribute, op
    raise errors.JsonApiError(errors.filter_not_allowed(name))


def _value(attribute: Attribute, op: str, name: str, raw: str, check: Check | None
           ) -> object:
    try:
        texts = next(csv.reader([raw], strict=True)) if op in LIST_OPS else [raw]
        values = [attribute.type.parse(text) for text in texts]
        if check is not None:
            values = [check(v) for v in values]
    except (ValueError, csv.Error):
        raise errors.JsonApiError(errors.invalid_filter_value(name, raw)) from None
    if not values:
        raise errors.JsonApiError(errors.invalid_filter_value(name, raw))
    return tuple(values) if op in LIST_OPS else values[0]


def _sort(resource: Resource, values: list[str]) -> SortKey:
    present = [v for v in values if v != ""]
    if not present:
        return _sort_key(resource, resource.default_sort)
    if len(present) > 1 or "," in present[0]:
        raise errors.JsonApiError(errors.invalid_sort(resource.type, ",".join(present)))
    try:
        return _sort_key(resource, present[0])
    except KeyError:
        raise errors.JsonApiError(errors.invalid_sort(resource.type, present[0])) from None


def _sort_key(resource: Resource, text: str) -> SortKey:
    descending = text.startswith("-")
    name = underscore(text.removeprefix("-"))
    if name == "id":
        return SortKey(resource.id_column, descending)
    column = resource.sortable[name].stored
    if column is None:
        raise KeyError(name)
    return SortKey(column, descending)


def _page(grouped: Mapping[tuple[str, str], list[str]]) -> Page:
    number = _page_value(grouped, "number", 1)
    size = _page_value(grouped, "size", DEFAULT_PAGE_SIZE)
    if size > MAX_PAGE_SIZE:
        raise errors.JsonApiError(errors.invalid_page(
            "size", str(size), f"size exceeds maximum page size of {MAX_PAGE_SIZE}."))
    return Page(number, size)


def _page_value(grouped: Mapping[tuple[str, str], list[str]], name: str, default: int) -> int:
    values = grouped.get(("page", name))
    if values is None:
        return default
    if len(values) != 1 or not _POSITIVE.fullmatch(values[0]) or int(values[0]) < 1:
        raise errors.JsonApiError(errors.invalid_page(name, ",".join(values)))
    return int(values[0])
