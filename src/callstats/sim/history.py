"""Past traffic as Arrow tables in exactly the CDR schema, one UTC day per table."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from callstats.columns import CDR_COLUMNS
from callstats.ingest.convert import arrow_schema
from callstats.sim.calls import BLOCK_SECONDS, generate_block
from callstats.sim.ids import IdSequence
from callstats.sim.model import TrafficModel
from callstats.sim.vectors import MICROS
from callstats.sim.world import World

CDR_SCHEMA = arrow_schema(CDR_COLUMNS)


def history_tables(
    world: World | TrafficModel, seed: int, start: float, end: float, ids: IdSequence
) -> Iterator[pa.Table]:
    """CDRs of the calls that started at or after `start` and ended by `end` (unix
    seconds), one table per UTC day the calls started on (maybe empty), rows as the
    switch wrote them when each call ended: ids increase with the call's end."""
    model = world if isinstance(world, TrafficModel) else TrafficModel(world)
    start_us, end_us = int(start * MICROS), int(end * MICROS)
    for block in history_days(start, end):
        legs = generate_block(model, seed, block)
        call_start, call_end = legs.column("sim_call_start"), legs.column("sim_call_end")
        kept = pc.and_(pc.greater_equal(call_start, start_us), pc.less_equal(call_end, end_us))
        yield written_in_end_order(legs.filter(kept), ids)


def history_days(start: float, end: float) -> range:
    """The UTC days (since the epoch) `history_tables` yields a table for, in order."""
    return range(int(start // BLOCK_SECONDS), int(end // BLOCK_SECONDS) + 1)


def written_in_end_order(legs: pa.Table, ids: IdSequence) -> pa.Table:
    """The CDR columns of `legs`, ordered as the switch writes them (by call end, a call's
    legs together) with fresh ids."""
    ends = legs.column("sim_call_end").to_numpy()
    order = np.argsort(ends, kind="stable")
    legs = legs.take(pa.array(order)).select([c.name for c in CDR_COLUMNS])
    legs = legs.set_column(0, "id", pa.array(ids.take(legs.num_rows)))
    return legs.cast(CDR_SCHEMA)
