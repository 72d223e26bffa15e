"""OpenAPI descriptions derived from the report definitions (never written by hand)."""

from __future__ import annotations

from callstats.reports.definitions import Report
from callstats.reports.params import DECIMAL, INTEGER, Param
from callstats.reports.schemas import Schema, array, obj

ERROR_SCHEMA = obj({"error": {"type": "string"}})
UNAUTHORIZED_SCHEMA = obj({"errors": array({"type": "object"})})


def param_schema(param: Param) -> Schema:
    schema: Schema = {"type": param.type.name}
    if param.type is INTEGER:
        schema = {"type": "integer", "format": "int64"}
    elif param.type is DECIMAL:
        schema["pattern"] = r"^-?[0-9]+(\.[0-9]+)?$"
    elif param.type.fmt:
        schema["format"] = param.type.fmt
    if param.type.enum:
        schema["enum"] = list(param.type.enum)
    if param.type.pattern:
        schema["pattern"] = param.type.pattern
    if param.default is not None:
        schema["default"] = param.default
    return schema


def parameters(report: Report) -> list[dict[str, object]]:
    # An optional param sent empty (`to-time=`) counts as absent (SPEC 4.2).
    return [*report.path_params, *(
        {"name": p.name, "in": "query", "required": p.required, "description": p.doc,
         "schema": param_schema(p)} | ({} if p.required else {"allowEmptyValue": True})
        for p in report.params)]


def report_openapi(report: Report) -> dict[str, object]:
    content: dict[str, object] = {"application/json": {"schema": report.schema}}
    if report.csv:
        content["text/csv"] = {"schema": {"type": "string"}}
    # The route lists its other statuses (http/responses.py `documented`).
    return {"parameters": parameters(report),
            "responses": {"200": {"description": "The report", "content": content}}}
