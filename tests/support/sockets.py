"""Real servers for tests of what lives in the server, not the app: the product's own
server (http/server.py) in a thread of the test process, or `callstats serve` as a
process; and raw sockets to talk to them byte by byte."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from callstats.http.app import create_app
from callstats.http.server import Server, server
from callstats.settings import Settings
from tests.support.stores import free_port

ADMIN_TOKEN = "servers-admin-token"
JWT_SECRET = "servers-secret-" + "s" * 32


@contextmanager
def in_thread_server(settings: Settings) -> Iterator[str]:
    """The product's server over an app of `settings`, on a free port of 127.0.0.1, in a
    thread; yields its base URL and stops it (gracefully) at the end."""
    settings = settings.model_copy(update={"host": "127.0.0.1", "port": free_port()})
    running: Server = server(create_app(settings), settings, log_level="warning")
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the in-thread server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{settings.port}"
    finally:
        running.should_exit = True
        thread.join(timeout=60)


@dataclass
class ServeProcess:
    process: subprocess.Popen[bytes]
    url: str
    port: int
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def spawn_serve(tmp_path: Path, **settings: str) -> ServeProcess:
    """`callstats serve` as a process of its own, ready (readyz 200) when returned."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLSTATS_")}
    env.update(CALLSTATS_HOST="127.0.0.1", CALLSTATS_PORT=str(port),
               CALLSTATS_DATA_DIR=str(tmp_path / "data"), CALLSTATS_ADMIN_TOKEN=ADMIN_TOKEN,
               CALLSTATS_JWT_SECRET=JWT_SECRET, CALLSTATS_LOG_LEVEL="warning", **settings)
    log = tmp_path / f"serve-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "callstats.cli.main", "serve"],
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    served = ServeProcess(process, f"http://127.0.0.1:{port}", port, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"serve exited with {process.returncode}:\n{served.output()}")
        try:
            if httpx.get(f"{served.url}/readyz", timeout=2).status_code == 200:
                return served
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"serve not ready in time:\n{served.output()}")


def stop_serve(served: ServeProcess) -> None:
    if served.process.poll() is None:
        served.process.kill()
    served.process.wait(timeout=30)


def connect(url: str, timeout: float = 10) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=timeout)


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def read_response(sock: socket.socket) -> RawResponse | None:
    """One HTTP/1.1 response with a content-length, or None if the server closed first."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return RawResponse(int(status_line.split()[1]), headers, body[:length])


def closed_by_peer(sock: socket.socket) -> bool:
    """True if the server has closed the connection (reads EOF, or a reset)."""
    try:
        return sock.recv(65536) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
