"""Feed a running callstats server over its admin API, as a switch's exporter would: every
tick, the CDRs of calls that ended (NDJSON) and each node's active-call snapshot."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from callstats.sim.live import LiveTraffic, Tick
from callstats.sim.world import World

ADMIN = "/api/admin/v1"
NDJSON = {"content-type": "application/x-ndjson"}
MAX_BATCH = 5000  # CDRs per request, well under the default body limit


def error_message(response: httpx.Response) -> str:
    """The server's `{"error": …}` text, else the start of its body."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return str(body["error"])
    return response.text[:300]


class FeedRefused(Exception):
    """The server refused in a way retrying cannot fix: wrong token, admin API off, or a
    batch it calls invalid."""


def admin_client(url: str, token: str, **kwargs: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=url.rstrip("/"), headers={"authorization": f"Bearer {token}"},
        timeout=30.0, **kwargs,  # type: ignore[arg-type]
    )


def ndjson(records: list[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


def _check(response: httpx.Response) -> httpx.Response:
    if response.status_code in (401, 403):
        raise FeedRefused("the server refused the admin token (check CALLSTATS_ADMIN_TOKEN)")
    if response.status_code == 404:
        raise FeedRefused(f"{response.request.url.path} not found: is the admin API enabled "
                          "(CALLSTATS_ADMIN_TOKEN set on the server)?")
    if response.status_code >= 400:
        raise FeedRefused(f"the server refused {response.request.url.path} "
                          f"(HTTP {response.status_code}): {error_message(response)}")
    return response


async def ensure_world(client: httpx.AsyncClient, world: World) -> int:
    """Create the world's customers and accounts the server lacks (409 = already there);
    return how many were created."""
    created = 0
    for contractor in world.contractors():
        created += await _create(client, "/customers", {"id": contractor.id,
                                                        "name": contractor.name})
        for account in contractor.accounts:
            created += await _create(client, "/accounts", {
                "id": account.id, "customer_id": contractor.id, "name": account.name,
                "uuid": account.uuid,
            })
    return created


async def _create(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> int:
    response = await client.post(ADMIN + path, json=body)
    if response.status_code == 409:
        return 0
    _check(response)
    return 1


@dataclass
class FeedStats:
    ticks: int = 0
    cdrs_sent: int = 0
    cdrs_inserted: int = 0
    snapshot_calls: int = 0
    unreachable: int = 0  # ticks the server could not be reached
    backlog: int = 0  # CDRs waiting to be re-sent
    simulated_time: float = 0.0
    active_calls: int = 0


class Feeder:
    """Posts ticks. CDRs the server did not take (it was unreachable) are kept and sent
    again first; a missed snapshot is simply superseded by the next one."""

    def __init__(self, client: httpx.AsyncClient, stats: FeedStats | None = None):
        self.client = client
        self.stats = stats or FeedStats()
        self._backlog: list[dict[str, Any]] = []

    async def post(self, tick: Tick) -> None:
        self.stats.ticks += 1
        self.stats.simulated_time = tick.at
        self.stats.active_calls = tick.active_calls
        self._backlog += tick.cdrs
        try:
            while self._backlog:
                batch = self._backlog[:MAX_BATCH]
                response = _check(await self.client.post(
                    ADMIN + "/cdrs", content=ndjson(batch), headers=NDJSON))
                del self._backlog[:len(batch)]
                self.stats.cdrs_sent += len(batch)
                self.stats.cdrs_inserted += response.json()["inserted"]
            response = _check(await self.client.post(
                ADMIN + "/active-calls", content=ndjson(tick.snapshots), headers=NDJSON))
            self.stats.snapshot_calls += response.json()["calls"]
        except httpx.TransportError:
            self.stats.unreachable += 1
        finally:
            self.stats.backlog = len(self._backlog)


async def run_feed(
    feeder: Feeder,
    live: LiveTraffic,
    *,
    speed: float = 1.0,
    interval: float = 60.0,
    duration: float = 0.0,
    first_tick: float | None = None,
    on_tick: Callable[[FeedStats], None] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> FeedStats:
    """Tick every `interval` simulated seconds from `first_tick` (default: the live start),
    simulated time running `speed` times as fast as real time, for `duration` real
    seconds (0: until cancelled). A slow server delays posts, never the simulated clock."""
    first = live.start if first_tick is None else first_tick
    began = clock()
    count = 0
    while True:
        due = count * interval / speed
        if duration and (due > duration or clock() - began > duration):
            return feeder.stats
        wait = began + due - clock()
        if wait > 0:
            await sleep(wait)
        await feeder.post(live.tick(first + count * interval))
        if on_tick:
            on_tick(feeder.stats)
        count += 1
