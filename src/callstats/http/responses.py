"""The statuses each operation can answer, for the OpenAPI document (SPEC 11).

An operation lists its causes: domain errors (their status, description and body schema
come from the table in http/errors.py that also renders them) and the answers raised as
`ApiError` or made below the app, declared here once. `documented()` merges them by
status into FastAPI's `responses=`; a status with several bodies gets them as `anyOf`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from callstats.http.errors import ERRORS
from callstats.http.openapi import ERROR_SCHEMA, UNAUTHORIZED_SCHEMA

JSON = "application/json"


@dataclass(frozen=True)
class Outcome:
    status: int
    description: str
    schema: dict[str, object] | None = field(default_factory=lambda: ERROR_SCHEMA)
    headers: dict[str, object] = field(default_factory=dict)


def _header(description: str, schema: dict[str, object]) -> dict[str, object]:
    return {"description": description, "schema": schema}


NOT_MODIFIED = Outcome(304, "Not modified: If-None-Match matched the ETag", None)
ADMIN_UNAUTHORIZED = Outcome(401, "Missing or wrong admin token (Bearer)", headers={
    "WWW-Authenticate": _header("Bearer", {"type": "string"})})
ADMIN_OFF = Outcome(404, "The admin API is off (CALLSTATS_ADMIN_TOKEN unset)")
NOT_FOUND = Outcome(404, "No such object")
UNSUPPORTED_TYPE = Outcome(415, "Content type not NDJSON, CSV or Parquet")
CUSTOMER_UNAUTHORIZED = Outcome(401, "No valid token", UNAUTHORIZED_SCHEMA)
LOGIN_REFUSED = Outcome(401, "Unknown login, wrong password or client IP not allowed",
                       UNAUTHORIZED_SCHEMA)
LOGIN_LIMITED = Outcome(429, "Too many attempts for this login or from this client IP",
                        UNAUTHORIZED_SCHEMA,
                        {"Retry-After": _header("Seconds to wait", {"type": "integer"})})
FORBIDDEN = Outcome(403, "Another client's id")
READINESS = Outcome(503, "The store or the metadata database is unreachable", {
    "type": "object", "required": ["status", "problems"], "properties": {
        "status": {"type": "string"},
        "problems": {"type": "object", "additionalProperties": {"type": "string"}}}})
# Answered by the server (http/server.py) or the request log, whatever the operation.
EVERY_OPERATION = (
    Outcome(400, "Malformed HTTP request"),
    Outcome(408, "Headers or body not received in time"),
    Outcome(414, "Request line over 8 KiB"),
    Outcome(431, "Request headers over 64 KiB"),
    Outcome(500, "Internal server error (details only in the server log)"),
)


Cause = Outcome | type[Exception]


def documented(*causes: Cause) -> dict[int | str, dict[str, object]]:
    """FastAPI `responses=` for these causes, merged by status."""
    by_status: dict[int, list[Outcome]] = {}
    for cause in causes:
        outcome = cause if isinstance(cause, Outcome) else _outcome_of(cause)
        by_status.setdefault(outcome.status, []).append(outcome)
    return {status: _response(outcomes) for status, outcomes in sorted(by_status.items())}


def _outcome_of(error: type[Exception]) -> Outcome:
    kind = ERRORS[error]
    return Outcome(kind.status, kind.description, kind.schema)


def _response(outcomes: list[Outcome]) -> dict[str, object]:
    descriptions = list(dict.fromkeys(o.description for o in outcomes))
    response: dict[str, object] = {"description": "; ".join(descriptions)}
    schemas = [o.schema for o in outcomes if o.schema is not None]
    unique = [s for i, s in enumerate(schemas) if s not in schemas[:i]]
    if unique:
        schema = unique[0] if len(unique) == 1 else {"anyOf": unique}
        response["content"] = {JSON: {"schema": schema}}
    headers = {name: h for o in outcomes for name, h in o.headers.items()}
    if headers:
        response["headers"] = headers
    return response
