"""Traffic as it happens: at each tick, the CDRs of calls that just ended and each switch
node's list of calls in progress.

The same day blocks as the history, so the two agree: a call in progress at the start
was not in the history (it had not ended) and its CDRs come out of the live feed.
A leg is listed in a node's snapshot at exactly the instants t with
time_start <= t < time_end, and its CDR is emitted at the first tick after its call ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from callstats.sim.calls import BLOCK_SECONDS, MAX_CALL_SECONDS, generate_block
from callstats.sim.ids import IdSequence
from callstats.sim.model import TrafficModel
from callstats.sim.vectors import MICROS
from callstats.sim.wire import active_call, cdr_record, json_rows, unix_time_text
from callstats.sim.world import World


@dataclass(frozen=True)
class Tick:
    at: float  # unix seconds
    cdrs: list[dict[str, Any]]  # SPEC 3.1 records, JSON-ready
    snapshots: list[dict[str, Any]]  # one SPEC 3.2 envelope per node, JSON-ready

    @property
    def active_calls(self) -> int:
        return sum(len(s["calls"]) for s in self.snapshots)


@dataclass
class _Call:
    end: int  # unix microseconds its last leg ends
    order: int  # admission order: ties in `end` keep it
    legs: list[dict[str, Any]]


@dataclass
class _Block:
    legs: pa.Table
    call_start: np.ndarray
    cursor: int = 0


class LiveTraffic:
    """Stateful: ticks must come in non-decreasing time order."""

    def __init__(self, world: World | TrafficModel, seed: int, start: float, ids: IdSequence):
        """`start` (unix seconds): calls that ended before it belong to the history."""
        self.model = world if isinstance(world, TrafficModel) else TrafficModel(world)
        self.seed = seed
        self.start = start
        self.ids = ids
        self._now = int(start * MICROS)
        self._next_block = int((start - MAX_CALL_SECONDS) // BLOCK_SECONDS)
        self._blocks: list[_Block] = []
        self._active: list[_Call] = []
        self._admitted = 0

    @property
    def calls_in_progress(self) -> int:
        return len(self._active)

    def tick(self, now: float) -> Tick:
        now_us = int(now * MICROS)
        if now_us < self._now:
            raise ValueError("live traffic cannot go back in time")
        self._now = now_us
        self._admit(now_us)
        ended = sorted((c for c in self._active if c.end <= now_us), key=lambda c: (c.end, c.order))
        self._active = [c for c in self._active if c.end > now_us]
        legs = [leg for call in ended for leg in call.legs]
        cdrs = [cdr_record(leg, int(i)) for leg, i in zip(legs, self.ids.take(len(legs)),
                                                           strict=True)]
        return Tick(now, cdrs, self._snapshots(now_us))

    def _admit(self, now_us: int) -> None:
        """Take in every call that has started by `now_us` and ends after the start."""
        while self._next_block * BLOCK_SECONDS * MICROS <= now_us:
            legs = generate_block(self.model, self.seed, self._next_block, live=True)
            self._blocks.append(_Block(legs, legs.column("sim_call_start").to_numpy()))
            self._next_block += 1
        start_us = int(self.start * MICROS)
        for block in self._blocks:
            stop = int(np.searchsorted(block.call_start, now_us, side="right"))
            if stop > block.cursor:
                legs = block.legs.slice(block.cursor, stop - block.cursor)
                block.cursor = stop
                legs = legs.filter(pc.greater(legs.column("sim_call_end"), start_us))
                for call in _group_by_call(json_rows(legs)):
                    self._active.append(_Call(call[0]["sim_call_end"], self._admitted, call))
                    self._admitted += 1
        self._blocks = [b for b in self._blocks if b.cursor < len(b.call_start)]

    def _snapshots(self, now_us: int) -> list[dict[str, Any]]:
        by_node: dict[int, list[dict[str, Any]]] = {int(n): [] for n in self.model.node_ids}
        for call in self._active:
            for leg in call.legs:
                if leg["time_start_us"] <= now_us < leg["time_end_us"]:
                    by_node[leg["sim_node_id"]].append(active_call(leg, now_us, self.model))
        stamp = unix_time_text(now_us)
        return [{"snapshot_timestamp": stamp, "node_id": node, "calls": calls}
                for node, calls in by_node.items()]


def _group_by_call(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Consecutive legs sharing a local_tag (a block keeps a call's legs together)."""
    calls: list[list[dict[str, Any]]] = []
    for row in rows:
        if calls and calls[-1][0]["local_tag"] == row["local_tag"]:
            calls[-1].append(row)
        else:
            calls.append([row])
    return calls

