"""Domain errors and their HTTP meaning, mapped in one place."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from callstats.http.jsonbody import json_response
from callstats.ingest.batches import BatchRejected, BodyTooLarge
from callstats.metadata.locks import LockTimeout
from callstats.metadata.store import Conflict, InvalidValue, MissingReference
from callstats.reports.params import BadParams
from callstats.stores.base import QueryTimeout, StoreError

log = logging.getLogger("callstats.errors")


class ApiError(Exception):
    """A client-facing error with its status and JSON body."""

    def __init__(self, status: int, body: object, headers: dict[str, str] | None = None):
        self.status, self.body, self.headers = status, body, headers or {}


def install_error_handlers(app: FastAPI) -> None:
    def handler(status: int, body):  # type: ignore[no-untyped-def]
        async def handle(request: Request, exc: Exception) -> Response:
            return json_response(body(exc), status)
        return handle

    app.add_exception_handler(
        BatchRejected, handler(422, lambda e: {"errors": [x.as_dict() for x in e.errors]})
    )
    app.add_exception_handler(
        BodyTooLarge, handler(413, lambda e: {"error": "request body too large"})
    )
    app.add_exception_handler(BadParams, handler(400, lambda e: {"error": e.message}))
    app.add_exception_handler(Conflict, handler(409, lambda e: {"error": str(e)}))
    app.add_exception_handler(MissingReference, handler(422, lambda e: {"error": str(e)}))
    app.add_exception_handler(InvalidValue, handler(422, lambda e: {"error": str(e)}))
    async def store_error(request: Request, exc: Exception) -> Response:
        # The engine's text is for the operator's log, never for the client.
        log.warning("store failure on %s: %s", request.url.path, exc)
        if isinstance(exc, QueryTimeout):
            return json_response({"error": "query timed out"}, 503)
        return json_response({"error": "store unavailable"}, 503)

    app.add_exception_handler(StoreError, store_error)
    # Writers of a shared store queue behind a stuck one: for the client, the store.
    app.add_exception_handler(LockTimeout, store_error)
    app.add_exception_handler(RequestValidationError, handler(422, _validation_body))

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return json_response(exc.body, exc.status, exc.headers)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return json_response({"error": str(exc.detail).lower()}, exc.status_code, exc.headers)

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(StarletteHTTPException, http_error)


def _validation_body(exc: Exception) -> dict[str, str]:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
    message = first.get("msg", "invalid")
    return {"error": f"invalid value {where}: {message}" if where else f"invalid body: {message}"}
