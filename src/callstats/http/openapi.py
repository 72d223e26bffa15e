"""OpenAPI descriptions derived from the report param tables (never written by hand)."""

from __future__ import annotations

from callstats.columns import ACTIVE_CALL_KEYS
from callstats.reports.definitions import Report
from callstats.reports.params import DECIMAL, INTEGER, Param
from callstats.reports.traffic import METRICS

_INT_ARRAY = {"type": "array", "items": {"type": "integer"}}
_DECIMAL_TEXT = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]+$"}
_NULLABLE_DECIMAL = {"anyOf": [_DECIMAL_TEXT, {"type": "null"}]}


def param_schema(param: Param) -> dict[str, object]:
    schema: dict[str, object] = {"type": param.type.name}
    if param.type is INTEGER:
        schema = {"type": "integer", "format": "int64"}
    elif param.type is DECIMAL:
        schema["pattern"] = r"^-?[0-9]+(\.[0-9]+)?$"
    elif param.type.fmt:
        schema["format"] = param.type.fmt
    if param.type.enum:
        schema["enum"] = list(param.type.enum)
    if param.default is not None:
        schema["default"] = param.default
    return schema


def parameters(report: Report) -> list[dict[str, object]]:
    # An optional param sent empty (`to-time=`) counts as absent (SPEC 4.2).
    return [{"name": p.name, "in": "query", "required": p.required, "description": p.doc,
             "schema": param_schema(p)} | ({} if p.required else {"allowEmptyValue": True})
            for p in report.params]


def _traffic_schema() -> dict[str, object]:
    item_schema = {"total_calls": {"type": "integer"}, "successful_calls": {"type": "integer"},
                   "failed_calls": {"type": "integer"}, "total_duration": _DECIMAL_TEXT,
                   "acd": _NULLABLE_DECIMAL, "asr": _NULLABLE_DECIMAL,
                   "total_price": _DECIMAL_TEXT}
    data = {"t": _INT_ARRAY} | {k: {"type": "array", "items": item_schema[k]} for k in METRICS}
    totals = {"t": {"type": "integer"}} | item_schema
    return _object({"data": _object(data), "rows": {"type": "integer"},
                    "totals": _object(totals)})


def _concurrent_schema() -> dict[str, object]:
    return _object({"data": _object({"t": _INT_ARRAY, "calls": _INT_ARRAY}),
                    "rows": {"type": "integer"}})


_INTEGER_KEYS = {"destination_initial_interval", "destination_next_interval",
                 "auth_orig_transport_protocol_id", "auth_orig_port"}


def _current_schema() -> dict[str, object]:
    def nullable(schema: dict[str, object]) -> dict[str, object]:
        return {"anyOf": [schema, {"type": "null"}]}

    call = _object({k: nullable({"type": "integer"} if k in _INTEGER_KEYS else {"type": "string"})
                    for k in ACTIVE_CALL_KEYS})
    return _object({"data": {"type": "array", "items": call}, "rows": {"type": "integer"}})


def _object(properties: dict[str, object]) -> dict[str, object]:
    return {"type": "object", "properties": properties, "required": list(properties),
            "additionalProperties": False}


ERROR = _object({"error": {"type": "string"}})
UNAUTHORIZED = _object({"errors": {"type": "array", "items": {"type": "object"}}})


def report_openapi(report: Report) -> dict[str, object]:
    if report.path.endswith("-statistics"):
        ok = _traffic_schema()
    elif report.path.startswith("/outgoing"):
        ok = _current_schema()
    else:
        ok = _concurrent_schema()
    content = {"application/json": {"schema": ok}}
    if not report.path.startswith("/outgoing"):
        content["text/csv"] = {"schema": {"type": "string"}}
    return {
        "parameters": parameters(report),
        "responses": {
            "200": {"description": "The report", "content": content},
            "304": {"description": "Not modified (If-None-Match matched the ETag)"},
            "400": {"description": "Missing or invalid params",
                    "content": {"application/json": {"schema": ERROR}}},
            "401": {"description": "No valid token",
                    "content": {"application/json": {"schema": UNAUTHORIZED}}},
        },
    }
