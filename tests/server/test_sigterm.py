"""SPEC 11: SIGTERM stops accepting, closes idle connections (and those still sending
headers), lets every request whose headers arrived finish within CALLSTATS_SHUTDOWN_GRACE,
then exits 0. A real `callstats serve` process, raw sockets."""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

import orjson
import pytest

from callstats.stores.duckdb_store import DuckDBStore
from tests.support.bodies import cdr, ndjson
from tests.support.servers import ADMIN_TOKEN, serve_process, stop
from tests.support.sockets import closed_by_peer, connect, read_response

pytestmark = pytest.mark.slow


def ingest_head(length: int) -> bytes:
    return (b"POST /api/admin/v1/cdrs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + ADMIN_TOKEN.encode() + b"\r\nContent-Type: application/x-ndjson\r\n"
            b"Content-Length: %d\r\n\r\n" % length)


def test_sigterm_drains_in_flight_requests_then_exits_0(tmp_path: Path) -> None:
    served = serve_process(tmp_path, CALLSTATS_SHUTDOWN_GRACE="20",
                         CALLSTATS_BODY_TIMEOUT="20", CALLSTATS_MAINTENANCE_INTERVAL="0")
    try:
        body = ndjson([cdr(7), cdr(8)])
        with connect(served.url) as idle, connect(served.url) as partial, \
                connect(served.url) as in_flight:
            idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_response(idle).status == 200  # type: ignore[union-attr]
            partial.sendall(b"GET /healthz HTTP/1.1\r\nHo")
            in_flight.sendall(ingest_head(len(body)) + body[:10])
            time.sleep(0.3)  # the server has read all of that

            served.process.send_signal(signal.SIGTERM)
            time.sleep(1.0)
            assert closed_by_peer(idle)
            assert closed_by_peer(partial)
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", served.port), timeout=2).close()
            assert served.process.poll() is None  # still serving the in-flight request

            time.sleep(1.0)
            in_flight.sendall(body[10:])
            response = read_response(in_flight)
            assert response is not None and response.status == 200, served.output()
            assert orjson.loads(response.body) == {"received": 2, "inserted": 2,
                                                   "duplicates": 0}
            assert closed_by_peer(in_flight)  # and the connection closed behind it
        assert served.process.wait(timeout=20) == 0, served.output()
    finally:
        stop(served)
    store = DuckDBStore(tmp_path / "data-main" / "cdr.duckdb")  # closed cleanly, data kept
    try:
        assert store.count_cdrs() == 2
    finally:
        store.close()


def test_requests_still_running_after_the_grace_are_cut_and_the_exit_is_0(tmp_path: Path
                                                                           ) -> None:
    served = serve_process(tmp_path, CALLSTATS_SHUTDOWN_GRACE="1", CALLSTATS_BODY_TIMEOUT="60")
    try:
        with connect(served.url) as in_flight:
            in_flight.sendall(ingest_head(1000) + b'{"id"')
            time.sleep(0.3)
            started = time.monotonic()
            served.process.send_signal(signal.SIGTERM)
            assert served.process.wait(timeout=20) == 0, served.output()
            assert time.monotonic() - started < 10
            response = read_response(in_flight)
            assert response is not None and response.status == 503
            assert response.body == b'{"error":"server shutting down"}'
            assert closed_by_peer(in_flight)
    finally:
        stop(served)
