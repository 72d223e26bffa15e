"""Per-request bookkeeping as plain ASGI middleware: request id, server time, one JSON log
line, and the request metrics. Logs carry no query string values, tokens or passwords."""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from callstats.http.jsonbody import JSON_TYPE
from callstats.http.metrics import Metrics

log = logging.getLogger("callstats.request")
errors = logging.getLogger("callstats.errors")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,255}")
_ERROR_500 = b'{"error":"internal server error"}'
_SHUTTING_DOWN = b'{"error":"server shutting down"}'


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    """A well-formed incoming X-Request-Id, else a new UUID."""
    for name, value in headers:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if _REQUEST_ID.fullmatch(text):
                return text
    return str(uuid.uuid4())


class RequestLog:
    def __init__(self, app: ASGIApp, metrics: Metrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_from(scope["headers"])
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["started"] = started
        status = 500
        started_response = False

        async def send_wrapped(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                status, started_response = message["status"], True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                headers.append((b"x-runtime", f"{time.perf_counter() - started:.6f}".encode()))
                message["headers"] = headers
            await send(message)

        async def answer(status: int, body: bytes) -> None:
            if not started_response:
                await send_wrapped({"type": "http.response.start", "status": status,
                                    "headers": [(b"content-type", JSON_TYPE.encode()),
                                                (b"content-length", b"%d" % len(body))]})
                await send_wrapped({"type": "http.response.body", "body": body})

        try:
            await self.app(scope, receive, send_wrapped)
        except Exception:
            # Our own fault: its details go to this log with the traceback, never to the
            # client, who gets a JSON 500 with the request id.
            errors.exception("internal error (request %s, route %s)", request_id,
                             _route_of(scope))
            await answer(500, _ERROR_500)
        except asyncio.CancelledError:  # still running when the shutdown grace ran out
            await answer(503, _SHUTTING_DOWN)
            raise
        finally:
            runtime = time.perf_counter() - started
            route = _route_of(scope)
            self.metrics.requests.labels(route, str(status)).inc()
            self.metrics.latency.labels(route).observe(runtime)
            if log.isEnabledFor(logging.INFO):  # else the line is not even built
                log.info(orjson.dumps({
                    "request_id": request_id,
                    "method": scope.get("method"),
                    "route": route,
                    "status": status,
                    "runtime": round(runtime, 6),
                    "customer": state.get("customer_id"),
                }).decode())


def _route_of(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path or "unmatched"
