"""Real servers for the tests that need more than the in-process app: `callstats serve`
processes (several on one store, crashes, signals) and the app served in a thread of the
test process (by the product's own server, or by plain uvicorn over given services)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from callstats.http.app import create_app
from callstats.http.server import Server as ProductServer
from callstats.http.server import server as product_server
from callstats.http.services import Services
from callstats.settings import Settings
from tests.support.stores import free_port

ADMIN_TOKEN = "real-server-admin-token"
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
JWT_SECRET = "real-servers-" + "s" * 32


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60)

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def output(self) -> str:
        """What the process has written so far (stdout and stderr)."""
        return self.log.read_text(errors="replace")


def server_env(tmp_path: Path, name: str, settings: dict[str, str]) -> dict[str, str]:
    """The environment of a callstats process of the test: none of the caller's
    CALLSTATS_* settings, a data dir of its own, the test's admin token and secret."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLSTATS_")}
    env.update(CALLSTATS_DATA_DIR=str(tmp_path / f"data-{name}"),
               CALLSTATS_ADMIN_TOKEN=ADMIN_TOKEN,
               CALLSTATS_JWT_SECRET=JWT_SECRET,
               CALLSTATS_LOG_LEVEL="warning", **settings)
    return env


def spawn(name: str, tmp_path: Path, settings: dict[str, str]) -> Server:
    port = free_port()
    env = server_env(tmp_path, name, {"CALLSTATS_HOST": "127.0.0.1",
                                      "CALLSTATS_PORT": str(port), **settings})
    log = tmp_path / f"server-{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "callstats.cli.main", "serve"],
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    return Server(name, process, f"http://127.0.0.1:{port}", log)


def wait_ready(server: Server, deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"server {server.name} exited with {server.process.returncode}:\n"
                        f"{server.log.read_text()}")
        try:
            if httpx.get(f"{server.url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail(f"server {server.name} not ready in time:\n{server.log.read_text()}")


def stop(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=10)


def serve_process(tmp_path: Path, name: str = "main", **settings: str) -> Server:
    """One `callstats serve` process with `settings`, ready (readyz 200) when returned;
    its data dir is tmp_path/data-<name>. Stop it with `stop`."""
    server = spawn(name, tmp_path, settings)
    wait_ready(server, time.monotonic() + 60)
    return server


@pytest.fixture
def start_servers(tmp_path: Path) -> Iterator[Callable[..., list[Server]]]:
    """`start_servers(n, **CALLSTATS_settings)`: n processes started at once (as a rollout
    starts them) and ready; all stopped at teardown whatever happened."""
    started: list[Server] = []

    def start(count: int = 2, **settings: str) -> list[Server]:
        batch = [spawn(f"{len(started) + i}", tmp_path, settings) for i in range(count)]
        started.extend(batch)
        deadline = time.monotonic() + 60
        for server in batch:
            wait_ready(server, deadline)
        return batch

    yield start
    for server in started:
        stop(server)


@contextmanager
def threaded_server(services: Services) -> Iterator[str]:
    """The real app over `services`, served by uvicorn on 127.0.0.1 in a thread of this
    process (so the test can look into its store); yields its URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(services=services), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the threaded server did not start")
        time.sleep(0.02)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextmanager
def in_thread_server(settings: Settings) -> Iterator[str]:
    """The product's server over an app of `settings`, on a free port of 127.0.0.1, in a
    thread; yields its base URL and stops it (gracefully) at the end."""
    settings = settings.model_copy(update={"host": "127.0.0.1", "port": free_port()})
    running: ProductServer = product_server(create_app(settings), settings, log_level="warning")
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
