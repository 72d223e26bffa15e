"""docs/api.md's generated blocks, made from the app itself: every operation of its
OpenAPI document (params, bodies, statuses) with what the report and resource
declarations add (param aliases, filter operators per attribute), every other route, and
the domain-error table. An operation, param or route the app gains shows up here by
itself; one whose answer nothing describes makes the generator fail."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.requests import ClientDisconnect

from callstats import dispositions
from callstats.docgen.data_format import COLUMN_DOCS
from callstats.docgen.shapes import cell, code, shape
from callstats.http import customer_api
from callstats.http.app import create_app
from callstats.http.errors import ERRORS
from callstats.http.methods import http_routes
from callstats.http.responses import EVERY_OPERATION
from callstats.ingest.batches import BatchRejected, BodyTooLarge
from callstats.ingest.convert import RowError
from callstats.jsonapi.document import API_PREFIX
from callstats.jsonapi.model import Resource
from callstats.metadata.locks import LockTimeout
from callstats.metadata.store import (
    Account,
    ApiAccess,
    Conflict,
    Customer,
    InvalidValue,
    MetadataUnavailable,
    MissingReference,
)
from callstats.portal.pages import PAGES
from callstats.queries import PBX_COUNTS
from callstats.reports.definitions import CUSTOMER_REPORTS, PBX_REPORTS, Report
from callstats.reports.params import BadParams, Param
from callstats.reports.pbx import CALL_KEYS
from callstats.reports.resources import RESOURCES
from callstats.stores.base import InsertResult, QueryTimeout, StoreError, StoreFull

Operation = Mapping[str, Any]
METHODS = ("get", "post", "put", "patch", "delete")
SERVER_STATUSES = {str(o.status) for o in EVERY_OPERATION}


def _fields(cls: type, hidden: tuple[str, ...] = ()) -> dict[str, object]:
    """The JSON schema of a dataclass's public fields (the admin API's objects)."""
    types: dict[object, object] = {
        int: {"type": "integer"}, str: {"type": "string"},
        "int": {"type": "integer"}, "str": {"type": "string"},
        "list[int]": {"type": "array", "items": {"type": "integer"}},
        "list[str]": {"type": "array", "items": {"type": "string"}}}
    props = {f.name: types[f.type] for f in dataclasses.fields(cls)
             if f.name not in hidden}
    return {"type": "object", "properties": props, "required": list(props)}


_ADMIN = "/api/admin/v1"
_OBJECTS = {"customers": _fields(Customer), "accounts": _fields(Account),
            "api-accesses": _fields(ApiAccess, ("password_hash",))}
# The success bodies the OpenAPI document leaves open, by (method, path).
SUCCESS_BODIES: dict[tuple[str, str], object] = {
    ("get", "/healthz"): {"type": "object", "properties": {"status": {"enum": ["ok"]}},
                          "required": ["status"]},
    ("get", "/readyz"): {"type": "object", "properties": {"status": {"enum": ["ready"]}},
                         "required": ["status"]},
    ("post", f"{_ADMIN}/cdrs"): _fields(InsertResult),
    ("post", f"{_ADMIN}/active-calls"): {
        "type": "object", "required": ["snapshots", "calls"],
        "properties": {"snapshots": {"type": "integer"}, "calls": {"type": "integer"}}},
    # POST /tokens and GET /instance: the CLI's management of a running server.
    ("post", f"{_ADMIN}/tokens"): {
        "type": "object", "required": ["token", "expires_at"],
        "properties": {"token": {"type": "string"}, "expires_at": {"type": "integer"}}},
    ("get", f"{_ADMIN}/instance"): {
        "type": "object", "required": ["version", "data_dir", "store", "metadata"],
        "properties": {k: {"type": "string"}
                       for k in ("version", "data_dir", "store", "metadata")}},
    **{(method, f"{_ADMIN}/{name}{tail}"): body
       for name, one in _OBJECTS.items()
       for method, tail, body in (("get", "", {"type": "array", "items": one}),
                                  ("post", "", one), ("get", "/{id}", one))},
}

# What the routes outside the OpenAPI document serve (besides the PBX paths' slashless
# twins and the portal's pages, recognised by rule).
OTHER_ROUTES: dict[str, str] = {
    "/openapi.json": "This API as an OpenAPI 3.1 document",
    "/docs": "The API documentation (Swagger UI, served from the package, offline)",
    "/portal/branding.css": "The portal's colours (CALLSTATS_PORTAL_ACCENT)",
    "/portal/{path:path}": "The portal's files (scripts, styles, fonts), gzipped when the "
                           "client takes it, revalidated by ETag",
}

# An instance of each domain error, to show the body it is answered with.
ERROR_SAMPLES: dict[type[Exception], Exception] = {
    BatchRejected: BatchRejected([RowError(3, "duration", "must not be negative")]),
    BodyTooLarge: BodyTooLarge(),
    BadParams: BadParams("missing required param(s) from-time"),
    Conflict: Conflict("login already taken"),
    MissingReference: MissingReference("customer 40 not found"),
    InvalidValue: InvalidValue("invalid CIDR '10.0.0.0/33'"),
    RequestValidationError: RequestValidationError([{
        "loc": ("body", "name"), "msg": "String should have at least 1 character",
        "type": "string_too_short"}]),
    StoreError: StoreError("…"),
    QueryTimeout: QueryTimeout("…"),
    StoreFull: StoreFull("…"),
    LockTimeout: LockTimeout("…"),
    MetadataUnavailable: MetadataUnavailable("…"),
    ClientDisconnect: ClientDisconnect(),
}


# Meanings of the params the OpenAPI document leaves without a description.
PARAM_DOCS: dict[str, str] = {
    "id": "The record's id (in the list's `id`)",
    "page[number]": "Page, from 1",
    "page[size]": "Records per page",
    "fields[]": "Comma-separated attributes to return, in that order (empty: none)",
}


def param_doc(param: Mapping[str, Any]) -> str:
    """A param's meaning; KeyError for a param nothing describes."""
    name = str(param["name"])
    if param.get("description"):
        return str(param["description"])
    return PARAM_DOCS[re.sub(r"^fields\[.*\]$", "fields[]", name)]


def reports_by_path() -> dict[str, Report]:
    found = {customer_api.PREFIX + r.path: r for r in CUSTOMER_REPORTS}
    return found | {r.path: r for r in PBX_REPORTS}


def resource_of(path: str) -> Resource | None:
    if not path.startswith(API_PREFIX):
        return None
    return next((r for r in RESOURCES.values() if path[len(API_PREFIX):] == r.path), None)


def operations(document: Mapping[str, Any]) -> list[tuple[str, str, Operation]]:
    return [(method, path, op) for path, ops in document["paths"].items()
            for method, op in ops.items() if method in METHODS]


def anchor(method: str, path: str) -> str:
    """The id GitHub gives the operation's heading `` `METHOD path` ``."""
    text = f"{method} {path}".lower()
    return "".join(c for c in text.replace(" ", "-") if c.isalnum() or c in "-_")


def _param_type(schema: Mapping[str, Any]) -> str:
    if schema.get("type") == "array" and "items" not in schema:
        text = f"comma-separated {schema.get('format', 'values')} values"
    else:
        text = shape(schema, width=10**9)
    if "default" in schema:
        text += f", default `{schema['default']}`"
    return text


def params_table(op: Operation, report: Report | None, resource: Resource | None) -> str:
    declared: dict[str, Param] = {p.name: p for p in report.params} if report else {}
    rows = ["| param | in | required | type | meaning |", "|---|---|---|---|---|"]
    for p in op.get("parameters", []):
        name = p["name"]
        if resource is not None and name.startswith("filter["):
            continue  # one row per attribute, in the filter table
        spellings = [code(name)]
        extra = ""
        schema = p.get("schema", {})
        if resource is not None and name == "sort":  # the attributes' table says which
            schema = {"type": "string"}
        param = declared.get(name)
        if param is not None:
            spellings += [code(a) for a in param.aliases]
            if param.repeatable:
                extra = " (repeatable)"
        rows.append(f"| {' or '.join(spellings)} | {p['in']} | "
                    f"{'yes' if p.get('required') else 'no'} | "
                    f"{cell(_param_type(schema))} | "
                    f"{cell(param_doc(p))}{extra} |")
    return "\n".join(rows) if len(rows) > 2 else ""


def filter_table(op: Operation, resource: Resource) -> str:
    """One row per attribute: its type and the operators `filter[<attribute>_<op>]` takes
    (read off the OpenAPI params, so the table lists exactly what the route accepts)."""
    ops: dict[str, list[str]] = {}
    for p in op.get("parameters", []):
        name = p["name"]
        if name.startswith("filter[") and name.endswith("]"):
            key = name[len("filter["):-1]
            named = next(a for a in resource.filterable if key.startswith(a + "_")
                         and key[len(a) + 1:] in resource.filterable[a].type.ops)
            ops.setdefault(named, []).append(key[len(named) + 1:])
    rows = ["| attribute | type | `filter[<attribute>_<op>]` operators | sort | meaning |",
            "|---|---|---|---|---|"]
    for attribute in resource.attributes:
        if attribute.name not in ops and attribute.name not in resource.sortable:
            continue
        sort = "yes" if attribute.name in resource.sortable else ""
        shown = "" if attribute.shown else " (filter only)"
        meaning = COLUMN_DOCS.get(attribute.name, "") if attribute.stored == attribute.name else ""
        rows.append(f"| `{attribute.name}`{shown} | {attribute.type.name} | "
                    f"{' '.join(code(o) for o in ops.get(attribute.name, []))} | {sort} | "
                    f"{cell(meaning)} |")
    return "\n".join(rows)


def _body_shape(content: Mapping[str, Any], fallback: object = None,
                width: int = 88) -> list[tuple[str, str]]:
    """(media types, shape) per distinct schema of a request or response body."""
    by_shape: dict[str, list[str]] = {}
    for media, spec in content.items():
        schema = spec.get("schema") or fallback
        by_shape.setdefault(shape(schema, indent=0, width=width), []).append(media)
    return [(", ".join(code(m) for m in media), text) for text, media in by_shape.items()]


def request_body(op: Operation) -> list[str]:
    body = op.get("requestBody")
    if not body:
        return []
    out = ["Request body:"]
    for media, text in _body_shape(body.get("content", {})):
        out += [f"- {media}" + (": any bytes of that format, maybe gzip-compressed"
                                if text == "bytes" else "")]
        if text != "bytes":
            out += ["", "  ```", *("  " + line for line in text.splitlines()), "  ```"]
    return out


def responses(method: str, path: str, op: Operation) -> list[str]:
    rows = ["| status | meaning | body |", "|---|---|---|"]
    bodies: list[str] = []
    for status, response in sorted(op["responses"].items()):
        if status in SERVER_STATUSES and _server_answer(response, status):
            continue
        meaning = cell(response.get("description", ""))
        headers = list(response.get("headers", {}))
        if headers:
            meaning += " (header " + ", ".join(code(h) for h in headers) + ")"
        content = response.get("content", {})
        if status.startswith("2"):
            fallback = SUCCESS_BODIES.get((method, path))
            shapes = _body_shape(content, fallback)
            if any(text == "…" for _, text in shapes):
                raise KeyError(f"no body documented for {method.upper()} {path} {status}")
            inline = [f"{media} {code(text)}" for media, text in shapes
                      if "\n" not in text and len(text) <= 60]
            kinds = "; ".join(inline + [media for media, text in shapes
                                        if "\n" in text or len(text) > 60]) or "empty"
            rows.append(f"| {status} | {meaning} | {cell(kinds)} |")
            for media, text in shapes:
                if "\n" in text or len(text) > 60:
                    bodies += ["", f"{status} {media}:", "", "```", text, "```"]
        else:
            shapes = _body_shape(content, width=10**9)
            body = "; ".join(code(text) for _, text in shapes) or "empty"
            rows.append(f"| {status} | {meaning} | {cell(body)} |")
    return rows + bodies


def _server_answer(response: Mapping[str, Any], status: str) -> bool:
    """Whether a response is the server's own for this status (listed once for all)."""
    return any(str(o.status) == status and o.description in response.get("description", "")
               for o in EVERY_OPERATION)


def operation_section(method: str, path: str, op: Operation) -> str:
    report = reports_by_path().get(path)
    resource = resource_of(path) if method == "get" else None
    lines = [f"#### `{method.upper()} {path}`", ""]
    summary = op.get("summary", "")
    description = op.get("description", "")
    lines += [cell(text) + "." if not text.endswith(".") else cell(text)
              for text in (summary, description) if text]
    lines.append("")
    table = params_table(op, report, resource)
    if table:
        lines += ["Params:", "", table, ""]
    if resource is not None and any(p["name"].startswith("filter[")
                                    for p in op.get("parameters", [])):
        window = resource.default_window
        default = ("" if window is None else
                   f"; without a `{window.attribute}` filter by "
                   f"{'/'.join(code(o) for o in window.unless)}, only the last "
                   f"{window.seconds // 3600} h")
        lines += [f"Filters (default sort `{resource.default_sort}`{default}):", "",
                  filter_table(op, resource), ""]
    body = request_body(op)
    if body:
        lines += [*body, ""]
    lines += responses(method, path, op)
    return "\n".join(lines).rstrip() + "\n"


def endpoints_block(document: Mapping[str, Any]) -> str:
    by_tag: dict[str, list[tuple[str, str, Operation]]] = {}
    for method, path, op in operations(document):
        by_tag.setdefault((op.get("tags") or ["other"])[0], []).append((method, path, op))
    parts = []
    for tag, ops in by_tag.items():
        parts.append(f"### {tag}\n")
        parts += [operation_section(m, p, o) for m, p, o in ops]
    return "\n".join(parts)


def index_block(document: Mapping[str, Any]) -> str:
    rows = ["| operation | what |", "|---|---|"]
    rows += [f"| [`{m.upper()} {p}`](#{anchor(m, p)}) | {cell(o.get('summary', ''))} |"
             for m, p, o in operations(document)]
    return "\n".join(rows)


def other_routes(app: FastAPI, document: Mapping[str, Any]) -> list[tuple[str, list[str], str]]:
    """(path, methods, what) of every route the OpenAPI document leaves out."""
    documented = set(document["paths"])
    pages = {f"/{p}" for p in PAGES}
    by_path: dict[str, set[str]] = {}
    for path, methods in http_routes(app.router.routes):
        if path not in documented:
            by_path.setdefault(path, set()).update(methods)
    found = []
    for path, methods in by_path.items():
        if path + "/" in documented:
            what = f"The same as `{path}/`, answered directly (no redirect)"
        elif path in pages:
            what = "A portal view (the portal's HTML page; the view follows the path)"
        else:
            what = OTHER_ROUTES[path]
        found.append((path, sorted(methods | ({"HEAD"} if "GET" in methods else set())), what))
    return found


def other_routes_block(app: FastAPI, document: Mapping[str, Any]) -> str:
    rows = ["| path | methods | what |", "|---|---|---|"]
    rows += [f"| `{path}` | {', '.join(methods)} | {cell(what)} |"
             for path, methods, what in other_routes(app, document)]
    return "\n".join(rows)


def _codes(codes: Sequence[int]) -> str:
    return ", ".join(str(c) for c in codes)


# What each count of the PBX summaries counts (a unit is a CDR, or on /calls/stats/ a call).
PBX_COUNT_DOCS: dict[str, str] = {
    "answered": "units answered (`duration > 0`; a call: any of its CDRs)",
    "bridged": "units bridged (`bridged`)",
    "bridged_duration": "seconds bridged, summed over the bridged units",
    "busy": f"unanswered units whose code is {_codes(dispositions.BUSY_CODES)}",
    "duration": "answered seconds, summed over the answered units",
    "failed": "unanswered units with any other code, or none",
    "not answered": f"unanswered units whose code is {_codes(dispositions.NOT_ANSWERED_CODES)}",
    "rejected": f"unanswered units whose code is {_codes(dispositions.REJECTED_CODES)}",
    "total": "every unit",
    "diverted": "CDRs with `is_redirected` (CDR summary only)",
    "answered elsewhere": "CDRs with `answered_elsewhere` (CDR summary only)",
}


def pbx_counts_block() -> str:
    per_call = set(CALL_KEYS)
    rows = ["| count | what it counts | in `/calls/stats/` |", "|---|---|---|"]
    rows += [f"| `{key}` | {cell(PBX_COUNT_DOCS[key])} | {'yes' if key in per_call else 'no'} |"
             for key in PBX_COUNTS]
    return "\n".join(rows)


def errors_block() -> str:
    rows = ["| status | when | body |", "|---|---|---|"]
    for error, kind in sorted(ERRORS.items(), key=lambda item: item[1].status):
        body = kind.body(ERROR_SAMPLES[error])
        rows.append(f"| {kind.status} | {cell(kind.description)} | "
                    f"{cell(code(_json(body)))} |")
    return "\n".join(rows)


def server_block() -> str:
    rows = ["| status | when |", "|---|---|"]
    rows += [f"| {o.status} | {cell(o.description)} |" for o in EVERY_OPERATION]
    return "\n".join(rows)


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def blocks(app: FastAPI | None = None) -> dict[str, str]:
    app = app or create_app()
    document = app.openapi()
    made: dict[str, Callable[[], str]] = {
        "index": lambda: index_block(document),
        "endpoints": lambda: endpoints_block(document),
        "other-routes": lambda: other_routes_block(app, document),
        "errors": errors_block,
        "server-statuses": server_block,
        "pbx-counts": pbx_counts_block,
    }
    return {name: make() for name, make in made.items()}

