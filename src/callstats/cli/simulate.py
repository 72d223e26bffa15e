"""`callstats simulate`: a traffic generator feeding a running server over HTTP."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.live import Live
from rich.text import Text

from callstats.sim.catalog import demo_world
from callstats.sim.feed import Feeder, FeedRefused, FeedStats, admin_client, ensure_world, run_feed
from callstats.sim.ids import IdSequence, clock_start_id
from callstats.sim.live import LiveTraffic
from callstats.sim.wire import unix_time_text
from callstats.timeparse import parse_iso_micros


def status_line(stats: FeedStats) -> Text:
    clock = unix_time_text(int(stats.simulated_time * 1_000_000))[:19]
    line = (f"{clock} UTC  active calls {stats.active_calls}  CDRs sent {stats.cdrs_sent} "
            f"(new {stats.cdrs_inserted})  snapshots {stats.ticks}")
    if stats.unreachable:
        line += f"  server unreachable {stats.unreachable}x, {stats.backlog} CDRs waiting"
    return Text(line)


def parse_start(text: str) -> float:
    """Unix seconds, or a time as the API accepts it (ISO 8601; UTC without an offset)."""
    try:
        return float(text)
    except ValueError:
        pass
    micros = parse_iso_micros(text)
    if micros is None:
        raise typer.BadParameter(f"{text!r} is neither unix seconds nor an ISO 8601 time")
    return micros / 1_000_000


def default_start(now: float, speed: float, duration: float) -> float:
    """Faster than real time, a bounded run ends at the present rather than in the future
    (future data is invisible to reports and stale to the live-call list)."""
    if speed > 1 and duration > 0:
        return now - duration * speed
    return now


def simulate(
    url: Annotated[str, typer.Option(
        help="The running server", envvar="CALLSTATS_URL")
    ] = "http://127.0.0.1:8080",
    admin_token: Annotated[str, typer.Option(
        help="Admin token of that server",
        envvar="CALLSTATS_ADMIN_TOKEN", show_default=False)] = "",
    seed: Annotated[int, typer.Option(help="Traffic seed: same seed, same calls", min=0)] = 1,
    speed: Annotated[float, typer.Option(
        help="Simulated seconds per real second (60: an hour per minute)", min=0.01)] = 1.0,
    duration: Annotated[float, typer.Option(
        help="Real seconds to run; 0 runs until Ctrl-C", min=0)] = 0.0,
    interval: Annotated[float, typer.Option(
        help="Simulated seconds between posts (CDRs and one snapshot per node)", min=1)] = 60.0,
    start_time: Annotated[str, typer.Option(
        help="Simulated start, unix seconds or ISO 8601 (default: now; with --speed > 1 and "
             "a --duration, early enough to end now)", show_default=False)] = "",
    start_id: Annotated[int, typer.Option(
        help="First CDR id (default: unix milliseconds × 1000, above earlier runs' ids)",
        min=0, show_default=False)] = 0,
) -> None:
    """Feed a running server with realistic live traffic: CDRs of ended calls and each
    switch node's active calls, posted every simulated minute through the admin API.

    Creates the simulated customers and accounts first when the server lacks them."""
    console = Console()
    if not admin_token:
        console.print("[red]error:[/red] --admin-token or CALLSTATS_ADMIN_TOKEN is required")
        raise typer.Exit(1)
    now = time.time()
    start = parse_start(start_time) if start_time else default_start(now, speed, duration)
    world = demo_world()
    live = LiveTraffic(world, seed, start, IdSequence(start_id or clock_start_id(now)))
    stats = FeedStats()
    try:
        asyncio.run(_feed(console, url, admin_token, live, stats, speed, interval, duration))
    except KeyboardInterrupt:
        pass
    except FeedRefused as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    except (OSError, httpx.TransportError):
        console.print(f"[red]error:[/red] cannot reach the server at {url}: start it with "
                      "`callstats serve`, or give its address with --url or CALLSTATS_URL",
                      highlight=False)
        raise typer.Exit(1) from None
    console.print(f"sent {stats.cdrs_sent} CDRs ({stats.cdrs_inserted} new) and "
                  f"{stats.ticks} snapshot rounds ({stats.snapshot_calls} active-call rows)"
                  + (f"; {stats.backlog} CDRs not delivered" if stats.backlog else ""))


async def _feed(console: Console, url: str, token: str, live: LiveTraffic, stats: FeedStats,
                speed: float, interval: float, duration: float) -> None:
    async with admin_client(url, token) as client:
        created = await ensure_world(client, live.model.world)
        if created:
            console.print(f"created {created} customers/accounts of the simulated operator")
        with Live(status_line(stats), console=console, transient=True) as status:
            await run_feed(Feeder(client, stats), live, speed=speed, interval=interval,
                           duration=duration, on_tick=lambda s: status.update(status_line(s)))
