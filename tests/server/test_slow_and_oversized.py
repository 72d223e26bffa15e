"""SPEC 11 in the real server (http/server.py, in a thread, raw sockets on 127.0.0.1): slow
and silent clients are cut off, oversized request lines and headers get JSON errors with
the SPEC 4.6 headers."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from callstats.settings import Settings
from tests.support.bodies import cdr, ndjson
from tests.support.servers import ADMIN_TOKEN, JWT_SECRET, in_thread_server
from tests.support.sockets import RawResponse, closed_by_peer, connect, read_response
from tests.support.wire import SECURITY_HEADERS

TIMEOUT = 1.0  # every timeout of the server under test
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("server") / "data",
                        admin_token=ADMIN_TOKEN, jwt_secret=JWT_SECRET,
                        header_timeout=TIMEOUT, body_timeout=TIMEOUT,
                        keepalive_timeout=TIMEOUT, login_rate="1/60")
    with in_thread_server(settings) as base:
        yield base


def assert_json_error(response: RawResponse | None, status: int, error: str) -> None:
    assert response is not None, "closed without an answer"
    assert response.status == status
    assert orjson.loads(response.body) == {"error": error}
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.headers["connection"] == "close"
    assert UUID.fullmatch(response.headers["x-request-id"])
    assert re.fullmatch(r"[0-9]+\.[0-9]{6}", response.headers["x-runtime"])
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


def seconds_until_closed(sock: socket.socket) -> float:
    started = time.monotonic()
    assert closed_by_peer(sock)
    return time.monotonic() - started


# --- slow and silent clients -----------------------------------------------------------


def test_a_silent_connection_is_closed_after_the_header_timeout(url: str) -> None:
    with connect(url) as sock:
        assert seconds_until_closed(sock) < TIMEOUT + 3


def test_slow_headers_get_408_even_while_bytes_trickle(url: str) -> None:
    with connect(url) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        response = None
        for _ in range(30):  # a header byte every 0.2 s: progress, but never done
            try:
                sock.sendall(b"X")
            except (BrokenPipeError, ConnectionResetError):
                break
            time.sleep(0.2)
            sock.setblocking(False)
            try:
                peek = sock.recv(1, socket.MSG_PEEK)
            except BlockingIOError:
                peek = b""
            finally:
                sock.setblocking(True)
            if peek:
                break
        response = read_response(sock)
        assert time.monotonic() - started < TIMEOUT + 3
        assert_json_error(response, 408, "request headers not received in time")
        assert closed_by_peer(sock)


def test_a_stalled_body_gets_408_and_the_connection_closes(url: str) -> None:
    with connect(url) as sock:
        sock.sendall(b"POST /api/admin/v1/cdrs HTTP/1.1\r\nHost: x\r\n"
                     b"Authorization: Bearer " + ADMIN_TOKEN.encode() + b"\r\n"
                     b"Content-Type: application/x-ndjson\r\nContent-Length: 1000\r\n\r\n"
                     b'{"id": 1')
        started = time.monotonic()
        response = read_response(sock)
        assert time.monotonic() - started < TIMEOUT + 3
        assert_json_error(response, 408, "request body not received in time")
        assert closed_by_peer(sock)


def test_a_slow_body_that_keeps_progressing_is_served(url: str) -> None:
    body = ndjson([cdr(4242)])
    pieces = [body[i:i + len(body) // 4 + 1] for i in range(0, len(body), len(body) // 4 + 1)]
    with connect(url) as sock:
        sock.sendall(b"POST /api/admin/v1/cdrs HTTP/1.1\r\nHost: x\r\n"
                     b"Authorization: Bearer " + ADMIN_TOKEN.encode() + b"\r\n"
                     b"Content-Type: application/x-ndjson\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body))
        for piece in pieces:  # 4+ pieces 0.6 s apart: longer than the timeout in all
            time.sleep(TIMEOUT * 0.6)
            sock.sendall(piece)
        response = read_response(sock)
        assert response is not None and response.status == 200, response
        assert orjson.loads(response.body)["received"] == 1


def test_an_idle_keep_alive_connection_is_closed(url: str) -> None:
    with connect(url) as sock:
        for _ in range(2):  # the connection is reused while it is busy
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            response = read_response(sock)
            assert response is not None and response.status == 200
        assert seconds_until_closed(sock) < TIMEOUT + 3


# --- oversized request lines and headers ----------------------------------------------


def exchange(url: str, data: bytes) -> RawResponse | None:
    with connect(url) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before all of it was read; the answer is still there
        return read_response(sock)


V1 = b"/api/rest/customer/v1/origination-statistics"


@pytest.mark.parametrize("complete", [True, False])
def test_a_request_line_over_8_kib_is_414(url: str, complete: bool) -> None:
    line = b"GET " + V1 + b"?x=" + b"a" * 8200 + b" HTTP/1.1\r\n"
    data = line + b"Host: x\r\n\r\n" if complete else line[:8500 - 20]
    assert_json_error(exchange(url, data), 414, "request line over 8192 bytes")


def test_a_request_line_under_8_kib_is_served(url: str) -> None:
    response = exchange(url, b"GET " + V1 + b"?x=" + b"a" * 8000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert response is not None and response.status == 401  # reached the app


@pytest.mark.parametrize("headers", [
    b"Authorization: " + b"a" * (1024 * 1024) + b"\r\n",  # 1 MiB, in many reads
    b"".join(b"X-Filler-%d: %s\r\n" % (i, b"b" * 1000) for i in range(70)),
])
def test_headers_over_64_kib_are_431(url: str, headers: bytes) -> None:
    data = b"GET " + V1 + b" HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n"
    assert_json_error(exchange(url, data), 431, "request headers over 65536 bytes")


def test_headers_under_64_kib_are_served(url: str) -> None:
    headers = b"".join(b"X-Filler-%d: %s\r\n" % (i, b"b" * 1000) for i in range(60))
    response = exchange(url, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    assert response is not None and response.status == 200


def test_a_malformed_request_is_400_json(url: str) -> None:
    assert_json_error(exchange(url, b"GET / HTTP/1.1\r\nno colon here\r\n\r\n"), 400,
                      "malformed HTTP request")


def test_login_limits_reach_the_wire(url: str, tmp_path: Path) -> None:
    body = b'{"auth":{"login":"nobody","password":"x"}}'
    request = (b"POST /api/rest/customer/v1/auth HTTP/1.1\r\nHost: x\r\nContent-Type: "
               b"application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    first, second = exchange(url, request), exchange(url, request)
    assert first is not None and first.status == 401
    assert second is not None and second.status == 429
    assert second.body == b'{"errors":[{"title":"Too many requests","code":"429","status":"429"}]}'
    assert 1 <= int(second.headers["retry-after"]) <= 60


# --- a head that begins within a read (after a body, pipelined) -------------------------


def read_until_closed(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def ingest_head(length: int) -> bytes:
    return (b"POST /api/admin/v1/cdrs HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Bearer " + ADMIN_TOKEN.encode() + b"\r\n"
            b"Content-Type: application/x-ndjson\r\nContent-Length: %d\r\n\r\n" % length)


def test_a_request_after_a_large_body_in_the_same_write_is_served(url: str) -> None:
    """The bytes of a body read together with the next request's head are not counted as
    that head's (most of a 250 KB body may share the read of the next head)."""
    body = ndjson([cdr(600_000 + i) for i in range(4000)])
    assert len(body) > 3 * 65536
    with connect(url) as sock:
        sock.sendall(ingest_head(len(body)) + body
                     + b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answers = read_until_closed(sock)
    assert answers.startswith(b"HTTP/1.1 200 ")
    assert answers.count(b"HTTP/1.1 200 ") == 2
    assert answers.endswith(b'{"status":"ok"}')


def test_headers_over_64_kib_after_a_body_in_the_same_write_are_431(url: str) -> None:
    """A head that begins within a read is counted from the next read on."""
    body = ndjson([cdr(700_000)])
    with connect(url) as sock:
        sock.sendall(ingest_head(len(body)) + body + b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        try:
            for i in range(80):
                sock.sendall(b"X-Filler-%d: %s\r\n" % (i, b"b" * 1000))
                time.sleep(0.005)
            sock.sendall(b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before all of it was read
        answers = read_until_closed(sock)
    first, _, second = answers.partition(b"HTTP/1.1 431 ")
    assert first.startswith(b"HTTP/1.1 200 ")
    assert second.endswith(b'{"error":"request headers over 65536 bytes"}')
