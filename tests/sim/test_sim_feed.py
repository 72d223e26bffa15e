"""The simulator feeding the real app over HTTP (in-process), store and metadata real."""

from __future__ import annotations

import httpx
import pytest

from callstats.http.app import create_app
from callstats.http.services import Services
from callstats.sim import IdSequence, LiveTraffic, TrafficModel, demo_world
from callstats.sim.feed import Feeder, FeedRefused, admin_client, ensure_world, run_feed
from tests.support.sim import NOW
from tests.support.stores import free_port

pytestmark = pytest.mark.anyio
ADMIN_TOKEN = "test-admin-token"  # tests/conftest.py's settings


class SimulatedClock:
    """Real seconds that pass only when the feed sleeps: a run of minutes in no time."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def in_process(services: Services, token: str = ADMIN_TOKEN) -> httpx.AsyncClient:
    app = create_app(services=services)
    return admin_client("http://testserver", token, transport=httpx.ASGITransport(app=app))


async def test_feed_fills_the_store_with_cdrs_and_snapshots(
    services: Services, model: TrafficModel
) -> None:
    world = demo_world()
    accounts = sum(len(c.accounts) for c in world.contractors())
    clock = SimulatedClock()
    async with in_process(services) as client:
        assert await ensure_world(client, world) == len(world.contractors()) + accounts
        assert await ensure_world(client, world) == 0  # 409: already there
        live = LiveTraffic(model, 4, NOW, IdSequence(1))
        stats = await run_feed(Feeder(client), live, speed=1, interval=60, duration=300,
                               clock=clock, sleep=clock.sleep)
    assert stats.ticks == 6 and clock.now == 300
    assert stats.simulated_time == NOW + 300
    assert 0 < stats.cdrs_sent == stats.cdrs_inserted == services.store.count_cdrs()
    snapshots = services.store.cursor().execute(
        "SELECT count(*), count(DISTINCT snapshot_timestamp), sum(calls) FROM snapshots"
    ).fetchall()
    assert snapshots == [(6 * len(world.nodes), 6, stats.snapshot_calls)]
    assert stats.snapshot_calls > 6 * 20
    assert {a.id for a in services.metadata.list_accounts(world.demo_customer_id)} == {
        a.id for a in world.demo_customer.accounts}


async def test_faster_than_real_time_in_real_time(services: Services, model: TrafficModel
                                                  ) -> None:
    async with in_process(services) as client:
        live = LiveTraffic(model, 4, NOW, IdSequence(1))
        stats = await run_feed(Feeder(client), live, speed=36_000, duration=0.2)
    assert 1 <= stats.ticks <= 121
    assert stats.simulated_time == NOW + 60 * (stats.ticks - 1)


async def test_a_wrong_token_stops_the_feed(services: Services) -> None:
    async with in_process(services, token="not-the-token") as client:
        with pytest.raises(FeedRefused, match="admin token"):
            await ensure_world(client, demo_world())


async def test_cdrs_wait_while_the_server_is_unreachable(model: TrafficModel) -> None:
    live = LiveTraffic(model, 4, NOW, IdSequence(1))
    async with admin_client(f"http://127.0.0.1:{free_port()}", ADMIN_TOKEN) as client:
        feeder = Feeder(client)
        for minute in range(4):
            await feeder.post(live.tick(NOW + 60 * minute))
    assert feeder.stats.unreachable == 4 and feeder.stats.cdrs_sent == 0
    assert feeder.stats.backlog == live.ids.next - 1 > 0
