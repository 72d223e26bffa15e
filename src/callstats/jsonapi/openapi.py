"""OpenAPI of the JSON:API operations, derived from the resource tables: every filter of
every attribute by its type's operators, the sort values, paging, sparse fieldsets, and
the documents' schemas."""

from __future__ import annotations

from callstats.jsonapi.document import MEDIA_TYPE
from callstats.jsonapi.model import Resource
from callstats.jsonapi.query import MAX_PAGE_SIZE
from callstats.jsonapi.types import LIST_OPS

ERRORS = {"type": "object", "required": ["errors"], "properties": {"errors": {
    "type": "array", "items": {"type": "object", "required": ["title", "code", "status"],
                               "properties": {"title": {"type": "string"},
                                              "detail": {"type": "string"},
                                              "code": {"type": "string"},
                                              "status": {"type": "string"},
                                              "source": {"type": "object"}}}}}}
_UNAUTHORIZED = {"description": "No valid token", "content": {MEDIA_TYPE: {"schema": ERRORS}}}


def _errors(description: str) -> dict[str, object]:
    return {"description": description, "content": {MEDIA_TYPE: {"schema": ERRORS}}}


def _nullable(schema: dict[str, object]) -> dict[str, object]:
    return {"anyOf": [schema, {"type": "null"}]}


def resource_schema(resource: Resource, links: bool = True) -> dict[str, object]:
    attributes = {a.key: _nullable(a.type.schema) for a in resource.shown}
    properties: dict[str, object] = {
        "id": {"type": "string"}, "type": {"type": "string", "enum": [resource.type]},
        "attributes": {"type": "object", "properties": attributes,
                       "additionalProperties": False},
    }
    required = ["id", "type", "attributes"]
    if links:
        properties["links"] = {"type": "object", "required": ["self"],
                               "properties": {"self": {"type": "string"}}}
        required.append("links")
    if resource.account_column is not None:
        linkage: dict[str, object] = {"type": "object", "required": ["type", "id"],
                   "properties": {"type": {"enum": ["accounts"]}, "id": {"type": "string"}}}
        properties["relationships"] = {
            "type": "object", "required": ["account"],
            "properties": {"account": {"type": "object", "required": ["data"],
                                       "properties": {"data": _nullable(linkage)}}}}
        required.append("relationships")
    return {"type": "object", "required": required, "properties": properties,
            "additionalProperties": False}


def list_parameters(resource: Resource) -> list[dict[str, object]]:
    params: list[dict[str, object]] = []
    for attribute in resource.filterable.values():
        for op in attribute.type.ops:
            listed = op in LIST_OPS
            schema = {"type": "string"} if listed else attribute.type.filter_schema
            params.append({
                "name": f"filter[{attribute.name}_{op}]", "in": "query", "required": False,
                "schema": schema, "allowEmptyValue": True,
                "description": f"{attribute.name} {op}"
                               + (" (comma-separated values)" if listed else "")})
    sorts = [key for a in resource.sortable.values() for key in (a.key, f"-{a.key}")]
    params += [
        {"name": "sort", "in": "query", "required": False,
         "schema": {"type": "string", "enum": ["id", "-id", *sorts]},
         "description": f"One attribute, - first for descending (default {resource.default_sort})"},
        {"name": "page[number]", "in": "query", "required": False,
         "schema": {"type": "integer", "minimum": 1, "default": 1}},
        {"name": "page[size]", "in": "query", "required": False,
         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": 50}},
        {"name": f"fields[{resource.type}]", "in": "query", "required": False,
         "schema": {"type": "string"},
         "description": "Comma-separated attributes to return, in that order"},
    ]
    return params


def list_operation(resource: Resource, csv: bool = False) -> dict[str, object]:
    """`csv`: the list also answers `Accept: text/csv` with every matching record."""
    document = {"type": "object", "required": ["data", "meta", "links"], "properties": {
        "data": {"type": "array", "items": resource_schema(resource)},
        "meta": {"type": "object", "required": ["total-count"],
                 "properties": {"total-count": {"type": "integer", "minimum": 0}}},
        "links": {"type": "object", "required": ["first", "last"],
                  "properties": {k: {"type": "string"}
                                 for k in ("first", "prev", "next", "last")}}}}
    content: dict[str, object] = {MEDIA_TYPE: {"schema": document}}
    if csv:
        content["text/csv"] = {"schema": {"type": "string"}}
    return {"parameters": list_parameters(resource), "responses": {
        "200": {"description": f"A page of {resource.type}"
                               + (" (text/csv: every matching one)" if csv else ""),
                "content": content},
        "304": {"description": "Not modified (If-None-Match matched the ETag)"},
        "400": _errors("A filter, sort, page or fields value that cannot be used"),
        "401": _UNAUTHORIZED,
    }}


def show_operation(resource: Resource, key_schema: dict[str, object]) -> dict[str, object]:
    document = {"type": "object", "required": ["data"],
                "properties": {"data": resource_schema(resource)}}
    return {"parameters": [{"name": "id", "in": "path", "required": True,
                            "schema": key_schema},
                           {"name": f"fields[{resource.type}]", "in": "query",
                            "required": False, "schema": {"type": "string"}}],
            "responses": {
                "200": {"description": f"One of {resource.type}",
                        "content": {MEDIA_TYPE: {"schema": document}}},
                "304": {"description": "Not modified (If-None-Match matched the ETag)"},
                "400": _errors("An id or fields value that cannot be used"),
                "401": _UNAUTHORIZED,
                "404": _errors("No such record the caller may see"),
            }}


def create_operation(resource: Resource) -> dict[str, object]:
    attributes = {a.key: _nullable(a.type.filter_schema) for a in resource.writable.values()}
    linkage = {"type": "object", "required": ["data"], "properties": {"data": {
        "type": "object", "required": ["type", "id"],
        "properties": {"type": {"enum": ["accounts"]}, "id": {"type": "string"}}}}}
    body = {"type": "object", "required": ["data"], "properties": {"data": {
        "type": "object", "required": ["type"], "properties": {
            "type": {"enum": [resource.type]},
            "attributes": {"type": "object", "properties": attributes,
                           "additionalProperties": False},
            "relationships": {"type": "object", "properties": {"account": linkage},
                              "additionalProperties": False}}}}}
    document = {"type": "object", "required": ["data"],
                "properties": {"data": resource_schema(resource, links=False)}}
    return {
        "requestBody": {"required": True, "content": {
            MEDIA_TYPE: {"schema": body}, "application/json": {"schema": body}}},
        "responses": {
            "201": {"description": f"The {resource.type} computed",
                    "content": {MEDIA_TYPE: {"schema": document}}},
            "400": _errors("Not a JSON:API document of this type"),
            "401": _UNAUTHORIZED,
            "413": _errors("A body over 64 KiB"),
            "422": _errors("A value that cannot be used: a bad time, from after to, an "
                           "account that is not the caller's, too many points"),
        }}
