"""The HTTP server of `callstats serve` and `callstats demo` (SPEC 11): uvicorn's httptools
protocol with the limits a public server needs.

- Slow or silent clients are cut off: the request line and headers must arrive within
  CALLSTATS_HEADER_TIMEOUT (counted from connecting, or from the first byte of a later
  request on the connection), a body may go CALLSTATS_BODY_TIMEOUT without progress, an
  idle keep-alive connection lasts CALLSTATS_KEEPALIVE_TIMEOUT.
- A request line over 8 KiB → 414, headers over 64 KiB in all → 431, a malformed request
  → 400; each a JSON body with the SPEC 4.6 headers, then the connection is closed.
- SIGTERM (or Ctrl-C): stop accepting, close idle connections and those still sending
  headers, let every request whose headers arrived finish within CALLSTATS_SHUTDOWN_GRACE,
  then exit 0.

uvicorn gives no hook for any of this, so the protocol watches the parser's callbacks and
the bytes of each read, and answers the refusals itself, below the ASGI app.

httptools (llhttp, C) rather than h11 (pure Python): under 32 clients of typical report
requests h11's parsing and response writing took about a quarter of a request's Python
time (~0.38 ms), httptools' ~0.14 ms (docs/performance.md,
"A lean request path: the HTTP share"). The limits above are the same, measured the same
way (tests/server/test_slow_and_oversized.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import socket
import threading
import time
import uuid
from collections.abc import Generator
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

import orjson
import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from callstats.http.customer_headers import SECURITY_HEADERS
from callstats.http.jsonbody import JSON_TYPE, dump
from callstats.settings import Settings

log = logging.getLogger("callstats.request")


@dataclass(frozen=True)
class Limits:
    header_timeout: float = 30.0
    body_timeout: float = 30.0
    request_line_bytes: int = 8 * 1024
    header_bytes: int = 64 * 1024  # request line and header fields together

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(settings.header_timeout, settings.body_timeout)


class Refusal(Exception):
    """A request refused before it reaches the app, with its status and JSON error."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol plus header/body timeouts and head size limits.

    httptools (llhttp) has no limit of its own on a head's size and keeps a header's value
    until it ends, so the head is counted here as it arrives: every read that starts inside
    a head adds its bytes (a head that begins in the middle of a read, after a pipelined
    request or a body, is counted from the next read on, so it buffers at most one read of
    256 KiB more before a check), and the request line's bytes until its newline. Once the
    head is complete it is measured exactly, before the request reaches the app."""

    def __init__(self, config: ServerConfig, server_state: ServerState,
                 app_state: dict[str, Any], _loop: asyncio.AbstractEventLoop | None = None):
        super().__init__(config, server_state, app_state, _loop)
        self.limits = config.limits
        self._header_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._head_started = 0.0  # perf_counter of the current request's first byte
        self._refusal: Refusal | None = None
        self._reading_head = True  # the next bytes belong to a request's head
        self._in_body = False  # a head arrived, its message has not ended
        self._heads_ended = 0  # heads completed, to tell whether one ended within a read
        self._heads_at_read = 0  # ... as the current read began
        self._read_in_head = True  # the current read began inside a head
        self._began_mid_read = False  # a message began within the current read
        self._head_bytes = 0  # bytes of the current head counted so far
        self._line_bytes: int | None = 0  # its request line's, None: not counted

    # --- the connection's life ---------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timers()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._read_in_head = counted = self._reading_head  # this read starts in a head
        if counted:  # bytes of a request line or headers
            if not self._head_started:
                self._head_started = time.perf_counter()
            if self._header_timer is None:
                self._arm_header_timer()
        self._heads_at_read, self._began_mid_read = self._heads_ended, False
        super().data_received(data)  # the parser's callbacks below run in here
        if self.transport.is_closing():
            return
        if self._reading_head:
            if self._began_mid_read:  # counted from the next read on; its line is not
                self._line_bytes = None
            elif counted and self._heads_ended == self._heads_at_read:
                self._check_partial_head(data)
        elif self._in_body:
            self._arm_body_timer()  # progress

    def on_message_begin(self) -> None:
        if not self._read_in_head or self._heads_ended != self._heads_at_read:
            self._began_mid_read = True  # after a body or another request in this read
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._check_head()
        self._cancel(self._header_timer)
        self._header_timer, self._head_started = None, 0.0
        self._reading_head, self._in_body = False, True
        self._heads_ended += 1
        self._head_bytes, self._line_bytes = 0, 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._reading_head, self._in_body = True, False
        self._cancel(self._body_timer)
        self._body_timer = None
        super().on_message_complete()

    # --- head size limits --------------------------------------------------------------

    def _check_partial_head(self, data: bytes) -> None:
        self._head_bytes += len(data)
        if self._line_bytes is not None:
            line_end = data.find(b"\n")
            self._line_bytes += len(data) if line_end < 0 else line_end
            if self._line_bytes > self.limits.request_line_bytes:
                self._refuse_now(414, f"request line over {self.limits.request_line_bytes} bytes")
                return
            if line_end >= 0:
                self._line_bytes = None  # ended: the line is measured whole at the end
        if self._head_bytes > self.limits.header_bytes:
            self._refuse_now(431, f"request headers over {self.limits.header_bytes} bytes")

    def _check_head(self) -> None:
        """The measure the h11 protocol used before: method, target and version, then
        each field's name and value with their separators."""
        line = len(self.parser.get_method()) + len(self.url) + len(b"  HTTP/1.1")
        if line > self.limits.request_line_bytes:
            self._refuse(414, f"request line over {self.limits.request_line_bytes} bytes")
        fields = sum(len(name) + len(value) + 4 for name, value in self.headers)
        if line + fields > self.limits.header_bytes:
            self._refuse(431, f"request headers over {self.limits.header_bytes} bytes")

    def _refuse(self, status: int, message: str) -> None:
        """Raised inside a parser callback: httptools stops and uvicorn answers 400 through
        `send_400_response`, which sends this refusal instead."""
        self._refusal = Refusal(status, message)
        raise self._refusal

    def _refuse_now(self, status: int, message: str) -> None:
        self._refusal = Refusal(status, message)
        self.logger.warning("Invalid HTTP request received.")
        self.send_400_response(message)

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to anything httptools (or a limit above) refuses: JSON instead."""
        refusal = self._refusal or Refusal(400, "malformed HTTP request")
        self._respond_and_close(refusal.status, refusal.message)

    # --- timeouts ----------------------------------------------------------------------

    def _arm_header_timer(self) -> None:
        self._cancel(self._header_timer)
        self._header_timer = self.loop.call_later(self.limits.header_timeout,
                                                  self._header_timed_out)

    def _arm_body_timer(self) -> None:
        self._cancel(self._body_timer)
        self._body_timer = self.loop.call_later(self.limits.body_timeout, self._body_timed_out)

    def _header_timed_out(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or not self._reading_head:
            return
        if self._head_started:  # part of a request came: say why it ends
            self._respond_and_close(408, "request headers not received in time")
        else:  # a silent connection: nothing to answer
            self.transport.close()

    def _body_timed_out(self) -> None:
        self._body_timer = None
        if self.transport.is_closing():
            return
        if self.flow.read_paused:  # we are not reading, so the client cannot progress
            self._arm_body_timer()
            return
        cycle = self.cycle
        if cycle is not None and not cycle.response_started:
            cycle.disconnected = True  # the app's receive() now gets http.disconnect
            cycle.message_event.set()
            self._respond_and_close(408, "request body not received in time")
        else:
            self.transport.close()

    def _cancel_timers(self) -> None:
        for timer in (self._header_timer, self._body_timer):
            self._cancel(timer)
        self._header_timer = self._body_timer = None

    @staticmethod
    def _cancel(timer: asyncio.TimerHandle | None) -> None:
        if timer is not None:
            timer.cancel()

    # --- answering below the app -------------------------------------------------------

    def _respond_and_close(self, status: int, message: str) -> None:
        """A JSON error with the SPEC 4.6 headers, written straight to the socket (there may
        be no request to answer), then the connection closed."""
        body = dump({"error": message})
        request_id = str(uuid.uuid4())
        runtime = time.perf_counter() - self._head_started if self._head_started else 0.0
        headers = [
            (b"date", formatdate(usegmt=True).encode()),
            (b"content-type", JSON_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
            (b"x-request-id", request_id.encode()),
            (b"x-runtime", f"{runtime:.6f}".encode()),
            *SECURITY_HEADERS,
        ]
        head = b"HTTP/1.1 %d %s\r\n" % (status, _REASONS[status].encode())
        head += b"".join(name + b": " + value + b"\r\n" for name, value in headers)
        self.transport.write(head + b"\r\n" + body)
        self.transport.close()
        self._cancel_timers()
        log.info(orjson.dumps({"request_id": request_id, "method": None, "route": "unparsed",
                               "status": status, "runtime": round(runtime, 6),
                               "customer": None}).decode())


_REASONS = {400: "Bad Request", 408: "Request Timeout", 414: "URI Too Long",
            431: "Request Header Fields Too Large"}


class ServerConfig(uvicorn.Config):
    """uvicorn's config plus the limits its protocol reads."""

    def __init__(self, app: ASGIApp, settings: Settings, **options: Any):
        self.limits = Limits.of(settings)
        # proxy_headers=False: the client IP is the socket peer unless
        # CALLSTATS_TRUSTED_PROXIES says otherwise (SPEC 4.1); uvicorn would otherwise trust
        # X-Forwarded-For from loopback.
        options = {"access_log": False, "log_level": settings.log_level, **options}
        super().__init__(app, host=settings.host, port=settings.port, http=GuardedHttpToolsProtocol,
                         proxy_headers=False, server_header=False, lifespan="on",
                         timeout_keep_alive=settings.keepalive_timeout,  # type: ignore[arg-type]
                         timeout_graceful_shutdown=settings.shutdown_grace,  # type: ignore[arg-type]
                         **options)


class Server(uvicorn.Server):
    """uvicorn's server, ending with exit status 0 after a graceful SIGTERM or Ctrl-C
    (uvicorn re-raises the signal once it has shut down, so the process would die of it)."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """After the lifespan has opened the store and the metadata: what the process holds
        now (modules, the app, its routes, ~120k objects) lives as long as the process, so
        the garbage collector stops walking it (`gc.freeze`): a full collection walked all
        of it, 50-80 ms each, several in a server's first minute under load as the result
        cache and the kept spellings fill the oldest generation (docs/performance.md,
        "Answers that grow with the store"). Anything made later is collected as before."""
        await super().startup(sockets)
        gc.collect()  # not to keep what is garbage already
        gc.freeze()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def server(app: ASGIApp, settings: Settings, **options: Any) -> Server:
    return Server(ServerConfig(app, settings, **options))
