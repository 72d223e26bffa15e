"""`callstats demo`: a throwaway server with a month of realistic traffic and live calls.

Everything lives in a temporary directory removed on exit. The history (and the last
hours' active-call snapshots) goes straight into the store; live traffic then arrives over
HTTP through the admin API, exactly as `callstats simulate` would send it, so the demo
exercises the real ingestion path.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shlex
import tempfile
import time
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from callstats.http.app import create_app
from callstats.http.server import server as http_server
from callstats.http.services import Services
from callstats.settings import Settings
from callstats.sim.demo_data import DemoSetup, prepare_demo
from callstats.sim.feed import Feeder, FeedRefused, admin_client, run_feed
from callstats.sim.ids import IdSequence
from callstats.sim.live import LiveTraffic

# Seconds between live ticks: the portal's live view refreshes every 10 s, so the calls it
# lists change while a visitor watches.
LIVE_INTERVAL = 10.0


def demo(
    host: Annotated[str, typer.Option(envvar="CALLSTATS_HOST", help="Listen address")
                    ] = Settings.model_fields["host"].default,
    port: Annotated[int, typer.Option(envvar="CALLSTATS_PORT", help="Listen port")
                    ] = Settings.model_fields["port"].default,
    days: Annotated[int, typer.Option(help="Days of history to generate", min=0, max=400)] = 30,
    seed: Annotated[int, typer.Option(help="Traffic seed: same seed, same calls", min=0)] = 7,
    password: Annotated[str, typer.Option(
        help="Password of the demo login (default: a random one, printed)",
        show_default=False)] = "",
) -> None:
    """Serve a throwaway callstats with a demo customer and login, a month of realistic
    history and live simulated traffic.

    Data lives in a temporary directory removed on exit (Ctrl-C)."""
    console = Console()
    with tempfile.TemporaryDirectory(prefix="callstats-demo-") as tmp:
        settings = Settings(
            data_dir=Path(tmp), store="", metadata_url="", host=host, port=port,
            admin_token=secrets.token_urlsafe(24),
            jwt_secret=secrets.token_hex(32),
        )
        services = Services.open(settings)
        try:
            setup = _prepare_with_progress(console, services, seed, days,
                                           password or secrets.token_urlsafe(9))
            console.rule()
            for line in banner(settings, setup):
                console.print(line, soft_wrap=True, highlight=False, markup=False)
            console.rule()
            asyncio.run(serve_with_traffic(services, setup, seed, console))
        except KeyboardInterrupt:
            pass
        finally:
            services.close()
    console.print("demo stopped; its temporary data is removed")


def _prepare_with_progress(console: Console, services: Services, seed: int, days: int,
                           password: str) -> DemoSetup:
    columns = (TextColumn("generating history"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("history", total=days + 2)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        started = time.monotonic()
        setup = prepare_demo(services, seed=seed, days=days, now=time.time(),
                             password=password, on_step=advance)
    console.print(f"{setup.history_cdrs:,} CDRs of {days} days generated and stored in "
                  f"{time.monotonic() - started:.1f} s")
    return setup


def base_url(settings: Settings) -> str:
    host = settings.host
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


def banner(settings: Settings, setup: DemoSetup) -> list[str]:
    """What a visitor needs to try the demo; one item per line, no wrapping inside."""
    url = base_url(settings)
    customer = setup.world.demo_customer
    auth = orjson.dumps({"auth": {"login": setup.login, "password": setup.password}}).decode()
    return [
        f"portal:         {url}/",
        f"login:          {setup.login}",
        f"password:       {setup.password}",
        f"API docs:       {url}/docs",
        f"customer:       {customer.name} (id {customer.id})",
        *(f"account-id:     {a.uuid}  ({a.name})" for a in customer.accounts),
        f"admin token:    {settings.admin_token}",
        "manage it from another shell (customers, accounts, logins, token mint, ingest):",
        f"  export CALLSTATS_URL={url} CALLSTATS_ADMIN_TOKEN={settings.admin_token}",
        "sign in to the API (the response holds the JWT):",
        f"  curl -s -X POST {url}/api/rest/customer/v1/auth"
        f" -H 'Content-Type: application/json' -d {shlex.quote(auth)}",
        f"Live traffic arrives every {LIVE_INTERVAL:.0f} seconds. Ctrl-C stops the demo and "
        "deletes its data.",
    ]


async def serve_with_traffic(services: Services, setup: DemoSetup, seed: int,
                             console: Console) -> None:
    """Serve until stopped; once the server is up, feed it live traffic over HTTP."""
    settings = services.settings
    server = http_server(create_app(services=services), settings, log_level="warning")
    serving = asyncio.create_task(server.serve())
    while not server.started and not serving.done():
        await asyncio.sleep(0.05)
    feeding = (asyncio.create_task(_feed(settings, setup, seed, console))
               if server.started else None)
    try:
        await serving
    finally:
        if feeding:
            feeding.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await feeding


async def _feed(settings: Settings, setup: DemoSetup, seed: int, console: Console) -> None:
    live = LiveTraffic(setup.world, seed, setup.history_end, IdSequence(setup.next_id))
    async with admin_client(base_url(settings), settings.admin_token) as client:
        try:
            await run_feed(Feeder(client), live, first_tick=time.time(), interval=LIVE_INTERVAL)
        except FeedRefused as exc:  # keep serving the history; say why nothing new arrives
            console.print(f"[yellow]live traffic stopped:[/yellow] {exc}")
