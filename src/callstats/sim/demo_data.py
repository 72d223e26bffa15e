"""What `callstats demo` puts into fresh services before it serves: the operator's
customers and accounts, the demo login, a month of CDRs and the last hours' snapshots."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa

from callstats.http.services import Services
from callstats.ingest.batches import Format, parse_snapshots
from callstats.sim.catalog import demo_world
from callstats.sim.feed import ndjson
from callstats.sim.history import history_days, history_tables
from callstats.sim.ids import IdSequence, clock_start_id
from callstats.sim.live import LiveTraffic
from callstats.sim.model import TrafficModel
from callstats.sim.world import World

DEMO_LOGIN = "demo"
INSERT_ROWS = 150_000  # per store transaction: fewer, larger inserts are much faster
SNAPSHOT_HOURS = 2.0


@dataclass(frozen=True)
class DemoSetup:
    world: World
    login: str
    password: str
    history_cdrs: int
    history_end: float  # unix seconds; live traffic continues from here
    next_id: int


def prepare_demo(
    services: Services,
    *,
    seed: int,
    days: int,
    now: float,
    password: str,
    snapshot_hours: float = SNAPSHOT_HOURS,
    on_step: Callable[[int, int], None] | None = None,
) -> DemoSetup:
    """Fill fresh services: the customers and accounts, the demo login (the demo customer,
    all its accounts), `days` of history ending at `now` and each node's snapshots of the
    last `snapshot_hours`. `on_step(done, total)` reports progress (a step per day)."""
    world = demo_world()
    for contractor in world.contractors():
        services.metadata.create_customer(contractor.name, contractor.id)
        for account in contractor.accounts:
            services.metadata.create_account(contractor.id, account.name, account.uuid,
                                             account.id)
    services.metadata.create_api_access(world.demo_customer_id, DEMO_LOGIN, password)
    model = TrafficModel(world)
    start = now - days * 86400
    ids = IdSequence(clock_start_id(start))
    total = len(history_days(start, now)) + 1
    stored, pending = 0, []
    for done, table in enumerate(history_tables(model, seed, start, now, ids), 1):
        pending.append(table)
        if sum(t.num_rows for t in pending) >= INSERT_ROWS or done == total - 1:
            stored += services.store.insert_cdrs(pa.concat_tables(pending)).inserted
            pending = []
        if on_step:
            on_step(done, total)
    services.store.maintain()  # cluster the history, as a long-running server would have
    backfill_snapshots(services, model, seed, now - min(snapshot_hours * 3600, days * 86400),
                       now)
    if on_step:
        on_step(total, total)
    return DemoSetup(world, DEMO_LOGIN, password, stored, now, ids.next)


def backfill_snapshots(services: Services, model: TrafficModel, seed: int, since: float,
                       until: float, interval: float = 60.0) -> int:
    """Each node's snapshot every `interval` seconds in [since, until), so concurrent-call
    charts do not start empty. The calls are the history's own (the same seeded blocks);
    the CDRs this replay emits are already stored and dropped. Returns the call rows."""
    if until <= since:
        return 0
    live = LiveTraffic(model, seed, since, IdSequence(1))
    envelopes = []
    at = since
    while at < until:
        envelopes += live.tick(at).snapshots
        at += interval
    batch = parse_snapshots(ndjson(envelopes), Format.NDJSON, services.settings.max_body)
    services.store.replace_snapshots(batch)
    rows: int = batch.calls.num_rows
    return rows
