"""Domain errors and their HTTP meaning, mapped in one place: one table gives each error
its status, body and description, and both the exception handlers and the OpenAPI
document (http/responses.py) are made from it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from callstats.http.jsonbody import json_response
from callstats.http.openapi import ERROR_SCHEMA
from callstats.ingest.batches import BatchRejected, BodyTooLarge
from callstats.metadata.locks import LockTimeout
from callstats.metadata.store import (
    Conflict,
    InvalidValue,
    MetadataUnavailable,
    MissingReference,
)
from callstats.reports.params import BadParams
from callstats.stores.base import QueryTimeout, StoreError, StoreFull

log = logging.getLogger("callstats.errors")

ROW_ERRORS_SCHEMA: dict[str, object] = {
    "type": "object", "required": ["errors"], "additionalProperties": False,
    "properties": {"errors": {"type": "array", "items": {
        "type": "object", "required": ["row", "field", "message"],
        "properties": {"row": {"type": ["integer", "null"]},
                       "field": {"type": ["string", "null"]},
                       "message": {"type": "string"}}}}}}


class ApiError(Exception):
    """A client-facing error with its status and JSON body."""

    def __init__(self, status: int, body: object, headers: dict[str, str] | None = None):
        self.status, self.body, self.headers = status, body, headers or {}


@dataclass(frozen=True)
class ErrorKind:
    status: int
    description: str
    body: Callable[[Exception], object]
    schema: dict[str, object]
    log_level: int | None = None  # log the error's own text (never in the body)


def _message(text: str) -> Callable[[Exception], object]:
    return lambda e: {"error": text}


def _validation_body(exc: Exception) -> dict[str, str]:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
    message = first.get("msg", "invalid")
    return {"error": f"invalid value {where}: {message}" if where else f"invalid body: {message}"}


ERRORS: dict[type[Exception], ErrorKind] = {
    BatchRejected: ErrorKind(
        422, "Invalid rows or document: nothing stored",
        lambda e: {"errors": [x.as_dict() for x in e.errors]},  # type: ignore[attr-defined]
        ROW_ERRORS_SCHEMA),
    BodyTooLarge: ErrorKind(413, "Body over the size limit: nothing read further",
                            _message("request body too large"), ERROR_SCHEMA),
    BadParams: ErrorKind(400, "Missing or invalid params",
                         lambda e: {"error": e.message}, ERROR_SCHEMA),  # type: ignore[attr-defined]
    Conflict: ErrorKind(409, "Id, uuid or login already taken",
                        lambda e: {"error": str(e)}, ERROR_SCHEMA),
    MissingReference: ErrorKind(422, "A referenced customer or account does not exist",
                                lambda e: {"error": str(e)}, ERROR_SCHEMA),
    InvalidValue: ErrorKind(422, "A value that cannot be stored",
                            lambda e: {"error": str(e)}, ERROR_SCHEMA),
    RequestValidationError: ErrorKind(422, "Body or path does not match the schema",
                                      _validation_body, ERROR_SCHEMA),
    # The engine's text is for the operator's log, never for the client.
    StoreError: ErrorKind(503, "The CDR store cannot answer", _message("store unavailable"),
                          ERROR_SCHEMA, logging.WARNING),
    QueryTimeout: ErrorKind(503, "A query ran past CALLSTATS_QUERY_TIMEOUT and was stopped",
                            _message("query timed out"), ERROR_SCHEMA, logging.WARNING),
    StoreFull: ErrorKind(507, "The store's disk is full: nothing of the request was stored",
                         _message("store out of disk space: nothing of this request was "
                                  "stored"), ERROR_SCHEMA, logging.ERROR),
    # Writers of a shared store queue behind a stuck one: for the client, the store.
    LockTimeout: ErrorKind(503, "The store's writer lock could not be taken in time",
                           _message("store unavailable"), ERROR_SCHEMA, logging.WARNING),
    MetadataUnavailable: ErrorKind(503, "The metadata database cannot be reached",
                                   _message("metadata database unavailable"), ERROR_SCHEMA,
                                   logging.WARNING),
    # The client went away, or the server cut off a stalled body (http/server.py): nobody
    # reads this answer, but the request log records it.
    ClientDisconnect: ErrorKind(408, "The body did not arrive in time",
                                _message("request body not received"), ERROR_SCHEMA),
}


def install_error_handlers(app: FastAPI) -> None:
    for error, kind in ERRORS.items():
        app.add_exception_handler(error, _handler(kind))

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return json_response(exc.body, exc.status, exc.headers)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return json_response({"error": str(exc.detail).lower()}, exc.status_code, exc.headers)

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(StarletteHTTPException, http_error)


def _handler(kind: ErrorKind) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handle(request: Request, exc: Exception) -> Response:
        if kind.log_level is not None:
            log.log(kind.log_level, "%s on %s: %s", type(exc).__name__, request.url.path, exc)
        return json_response(kind.body(exc), kind.status)

    return handle
