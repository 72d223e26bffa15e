"""`callstats demo` and `callstats simulate`, run for real (a uvicorn on a free port)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
import uvicorn
from rich.console import Console
from typer.testing import CliRunner

from callstats.cli import demo, simulate
from callstats.http.app import create_app
from callstats.http.services import Services
from callstats.metadata.passwords import verify_password
from callstats.settings import Settings
from callstats.sim import demo_world
from callstats.sim.demo_data import DemoSetup, prepare_demo
from tests.support.sim import DAY, NOW
from tests.support.stores import free_port

ADMIN_TOKEN = "test-admin-token"  # tests/conftest.py's settings


@pytest.fixture
def server_url(services: Services) -> Iterator[str]:
    """A real server over the test's services, in a thread."""
    port = free_port()
    config = uvicorn.Config(create_app(services=services), host="127.0.0.1", port=port,
                            log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_prepare_demo_creates_the_login_history_and_recent_snapshots(services: Services) -> None:
    setup = prepare_demo(services, seed=7, days=1, now=NOW, password="s3cret-demo")
    access = services.metadata.find_login("demo")
    world = demo_world()
    assert access is not None and access.customer_id == world.demo_customer_id
    assert access.account_ids == []  # every account of the demo customer
    assert verify_password(access.password_hash, "s3cret-demo")
    assert len(services.metadata.list_accounts(world.demo_customer_id)) == 2
    assert len(services.metadata.list_customers()) == len(world.contractors())
    assert setup.history_cdrs == services.store.count_cdrs() > 10_000
    [(first, last, top)] = services.store.cursor().execute(
        "SELECT epoch(min(time_start)), epoch(max(time_end)), max(id) FROM cdr_rows").fetchall()
    assert NOW - DAY <= first and last <= NOW == setup.history_end
    assert setup.next_id == top + 1
    [(snapshots, nodes, calls)] = services.store.cursor().execute(
        "SELECT count(*), count(DISTINCT node_id), sum(calls) FROM snapshots").fetchall()
    assert (snapshots, nodes) == (2 * 60 * len(world.nodes), len(world.nodes))
    assert calls > 2 * 60 * 20  # a weekday morning keeps dozens of calls up


def test_banner_tells_how_to_sign_in(tmp_path: Path) -> None:
    setup = DemoSetup(demo_world(), "demo", "pw'x", 0, NOW, 1)
    settings = Settings(data_dir=tmp_path, host="0.0.0.0", port=9000, admin_token="adm")
    text = "\n".join(demo.banner(settings, setup))
    assert "http://127.0.0.1:9000/docs" in text and "adm" in text
    assert "/api/rest/customer/v1/auth" in text
    assert "export CALLSTATS_URL=http://127.0.0.1:9000 CALLSTATS_ADMIN_TOKEN=adm" in text
    assert """-d '{"auth":{"login":"demo","password":"pw'"'"'x"}}'""" in text


def test_demo_serves_and_feeds_itself(services: Services) -> None:
    services.settings.port = free_port()
    setup = prepare_demo(services, seed=7, days=0, now=time.time(), password="pw")

    async def serve_briefly() -> None:
        serving = asyncio.create_task(demo.serve_with_traffic(services, setup, 7, Console()))
        for _ in range(200):  # the first tick posts snapshots at once
            await asyncio.sleep(0.05)
            if services.store.cursor().execute("SELECT count(*) FROM snapshots").fetchall()[0][0]:
                break
        serving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await serving

    asyncio.run(serve_briefly())
    nodes = len(demo_world().nodes)
    assert services.store.cursor().execute("SELECT count(*) FROM snapshots").fetchall() == [
        (nodes,)]


def test_simulate_command_feeds_a_running_server(server_url: str, services: Services) -> None:
    app = typer.Typer()
    app.command("simulate")(simulate.simulate)
    app.command("demo")(demo.demo)
    result = CliRunner().invoke(app, [
        "simulate", "--url", server_url, "--speed", "3600", "--duration", "1",
        "--start-time", "2025-10-09T09:00:00Z", "--seed", "5"],
        env={"CALLSTATS_ADMIN_TOKEN": ADMIN_TOKEN})
    assert result.exit_code == 0, result.output
    assert "created 29 customers/accounts" in result.output
    assert services.store.count_cdrs() > 0
    assert f"sent {services.store.count_cdrs()} CDRs" in result.output


def test_simulate_needs_the_admin_token(server_url: str) -> None:
    app = typer.Typer()
    app.command("simulate")(simulate.simulate)
    app.command("demo")(demo.demo)
    result = CliRunner().invoke(app, ["simulate", "--url", server_url, "--duration", "1"],
                                env={"CALLSTATS_ADMIN_TOKEN": "wrong"})
    assert result.exit_code == 1
    assert "admin token" in result.output


def test_a_fast_bounded_run_ends_at_the_present() -> None:
    assert simulate.default_start(NOW, speed=60, duration=120) == NOW - 7200
    assert simulate.default_start(NOW, speed=60, duration=0) == NOW
    assert simulate.default_start(NOW, speed=1, duration=120) == NOW
    assert simulate.parse_start("2025-10-09T08:53:20Z") == NOW
    assert simulate.parse_start("1760000000") == NOW
    with pytest.raises(typer.BadParameter):
        simulate.parse_start("yesterday")
