"""Live traffic: snapshots agree with CDRs, records pass ingestion, history joins seamlessly."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa
import pytest

from callstats.columns import ACTIVE_CALL_KEYS
from callstats.ingest.batches import Format, parse_cdrs, parse_snapshots
from callstats.sim import IdSequence, LiveTraffic, Tick, TrafficModel, history_tables
from tests.support.bodies import ndjson
from tests.support.sim import DAY, MAX_BODY, NOW

WATCHED_MINUTES = 90
DRAIN_SECONDS = 4 * 3600  # longer than any call lasts


@dataclass(frozen=True)
class Run:
    ticks: list[Tick]  # one a minute while watched
    cdrs: list[dict]  # every CDR emitted, drain included


def run_live(model: TrafficModel, seed: int, start: float) -> Run:
    live = LiveTraffic(model, seed, start, IdSequence(10))
    ticks = [live.tick(start + 60 * i) for i in range(WATCHED_MINUTES)]
    drained = [live.tick(start + 60 * WATCHED_MINUTES + 600 * i)
               for i in range(DRAIN_SECONDS // 600)]
    return Run(ticks, [c for t in ticks + drained for c in t.cdrs])


@pytest.fixture(scope="module")
def run(model: TrafficModel) -> Run:
    return run_live(model, 3, NOW)


def seconds(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_every_listed_call_has_a_cdr_in_progress_then_and_vice_versa(run: Run) -> None:
    legs = [(c["local_tag"], c["customer_acc_id"], c["vendor_acc_id"], c["time_start"],
             seconds(c["time_start"]), seconds(c["time_end"])) for c in run.cdrs]
    listed_total = 0
    for tick in run.ticks:
        listed = [(c["local_tag"], c["customer_acc_id"], c["vendor_acc_id"], c["start_time"])
                  for s in tick.snapshots for c in s["calls"]]
        in_progress = [leg[:4] for leg in legs if leg[4] <= tick.at < leg[5]]
        assert sorted(listed) == sorted(in_progress)
        listed_total += len(listed)
    assert listed_total > 20 * WATCHED_MINUTES  # a busy weekday morning


def test_each_node_reports_every_tick_with_its_own_calls(run: Run, model: TrafficModel) -> None:
    nodes = sorted(int(n) for n in model.node_ids)
    for tick in run.ticks:
        assert [s["node_id"] for s in tick.snapshots] == nodes
        assert all(datetime.fromisoformat(s["snapshot_timestamp"]).replace(tzinfo=UTC)
                   .timestamp() == tick.at for s in tick.snapshots)
    assert all(any(s["calls"] for s in t.snapshots if s["node_id"] == n)
               for n in nodes for t in run.ticks[-5:])


def test_calls_are_emitted_once_when_they_have_ended(run: Run) -> None:
    previous = NOW - 1
    seen: set[str] = set()
    for tick in run.ticks:
        ends: dict[str, float] = {}
        for cdr in tick.cdrs:
            ends[cdr["local_tag"]] = max(ends.get(cdr["local_tag"], 0), seconds(cdr["time_end"]))
        assert all(previous < end <= tick.at for end in ends.values())
        assert not seen & ends.keys()
        seen |= ends.keys()
        previous = tick.at
    assert len(seen) > 500
    ids = [c["id"] for c in run.cdrs]
    assert ids == list(range(10, 10 + len(ids)))


def test_snapshot_calls_carry_seed_004_keys_and_scoping_keys(run: Run) -> None:
    call = next(c for t in run.ticks for s in t.snapshots for c in s["calls"])
    extra = ["customer_id", "customer_acc_id", "vendor_id", "vendor_acc_id", "src_country_id",
             "dst_country_id", "duration", "customer_price", "vendor_price", "local_tag"]
    assert list(call) == list(ACTIVE_CALL_KEYS[1:]) + extra
    connected = [c for t in run.ticks for s in t.snapshots for c in s["calls"]
                 if c["connect_time"]]
    assert connected and all(c["duration"] >= 0 for c in connected)
    assert any(c["duration"] > 60 and c["customer_price"] != "0.000000" for c in connected)
    assert any(c["diversion_in"] for t in run.ticks for s in t.snapshots for c in s["calls"])


def test_records_pass_ingestion(run: Run) -> None:
    table = parse_cdrs(ndjson(run.cdrs), Format.NDJSON, MAX_BODY)
    assert table.num_rows == len(run.cdrs)
    assert table.column("id").to_pylist() == [c["id"] for c in run.cdrs]
    assert [str(p) for p in table.column("customer_price").to_pylist()] == [
        c["customer_price"] for c in run.cdrs]
    envelopes = [s for t in run.ticks for s in t.snapshots]
    batch = parse_snapshots(ndjson(envelopes), Format.NDJSON, MAX_BODY)
    assert len(batch.snapshots) == len(envelopes)
    assert batch.calls.num_rows == sum(len(s["calls"]) for s in envelopes)


def test_same_seed_same_ticks(model: TrafficModel) -> None:
    first, again = (LiveTraffic(model, 9, NOW, IdSequence(1)) for _ in range(2))
    for minute in (0, 1, 7):
        assert first.tick(NOW + 60 * minute) == again.tick(NOW + 60 * minute)


def test_time_does_not_go_back(model: TrafficModel) -> None:
    live = LiveTraffic(model, 1, NOW, IdSequence(1))
    live.tick(NOW + 60)
    with pytest.raises(ValueError):
        live.tick(NOW)


def test_live_traffic_continues_the_history_without_gap_or_overlap(
    model: TrafficModel, run: Run
) -> None:
    """History to NOW plus live from NOW = history to the end of the live run."""
    since, until = NOW - DAY / 2, NOW + 60 * (WATCHED_MINUTES - 1)

    def calls(table: pa.Table) -> set[tuple[str, str]]:
        return {(t, s.strftime("%Y-%m-%d %H:%M:%S.%f")) for t, s in zip(
            table.column("local_tag").to_pylist(), table.column("time_start").to_pylist(),
            strict=True)}

    before = calls(pa.concat_tables(history_tables(model, 3, since, NOW, IdSequence(1))))
    whole = calls(pa.concat_tables(history_tables(model, 3, since, until, IdSequence(1))))
    live = {(c["local_tag"], c["time_start"]) for t in run.ticks for c in t.cdrs}
    started_since = {(tag, start) for tag, start in live if seconds(start) >= since}
    assert not before & started_since
    assert before | started_since == whole
