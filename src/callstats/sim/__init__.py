"""A seeded traffic model of a VoIP operator, for the demo and `callstats simulate`.

- `catalog.demo_world()`: the operator (customers, carriers, numbering, switch nodes).
- `history.history_tables(...)`: past CDRs as Arrow tables in the store's CDR schema.
- `live.LiveTraffic(...).tick(now)`: CDRs of calls that just ended, and each node's
  active-call snapshot, as JSON-ready dicts.
- `feed`: posting those to a running server's admin API.

Same seed, same calls: history and live traffic are cut from the same per-day blocks.
"""

from callstats.sim.catalog import demo_world
from callstats.sim.history import history_tables
from callstats.sim.ids import IdSequence, clock_start_id
from callstats.sim.live import LiveTraffic, Tick
from callstats.sim.model import TrafficModel
from callstats.sim.world import World

__all__ = ["IdSequence", "LiveTraffic", "Tick", "TrafficModel", "World", "clock_start_id",
           "demo_world", "history_tables"]
