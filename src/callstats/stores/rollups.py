"""Minute rollups: exact sums per (side, account, minute), kept beside the raw CDRs.

Every stored CDR a side's reports can read (origination: last CDRs by customer_acc_id;
termination: every CDR by vendor_acc_id) adds to one rollup row of its side, account and
UTC minute: calls, successful calls, duration, price, and the quality series' NER failures,
pdd count and pdd milliseconds (SPEC 9.4). The stores keep these sums in the same
transaction as the raw rows (DuckDB) or in the same INSERT (ClickHouse materialized views
on the de-duplicated inserts), and read them always with sum(), so several rows of a key
(before a compaction or a merge) add up to the same answer.

`plan` decides, without touching a store, whether a query may read the rollup: only its
whole minutes come from it, the partial minutes at the range's edges from raw rows, and
only where every CDR of a rollup minute falls into one bucket with one UTC offset. The
builders below then write the rollup's statement once for every dialect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from callstats.dispositions import NETWORK_EFFECTIVE_CODES
from callstats.queries import Filter, Offsets, QualityQuery, Side, TrafficQuery
from callstats.stores.report_sql import (
    disposition_code,
    floor_div,
    offset_at,
    pdd_millis,
    side_rows,
)
from callstats.stores.sql import INT64, Binder, Dialect, Statement

MINUTE_US = 60_000_000
SIDE_CODES = {"origination": 0, "termination": 1}
# Filter columns a rollup row is keyed by, beyond its side, account and minute: none yet
# (docs/performance.md measures which would pay).
KEY_FILTERS: frozenset[str] = frozenset()
# The columns of a rollup row, in table order: the key, then the sums.
KEYS = ("side", "account_id", "minute")
SUMS = ("calls", "successful", "seconds", "price", "failed", "pdd_count", "pdd_ms")


@dataclass(frozen=True)
class RollupPlan:
    """Read minutes `first_minute`..`last_minute` (unix minutes, inclusive) from the
    rollup and the instants of `edges` (µs ranges, inclusive) from raw rows."""

    first_minute: int
    last_minute: int
    edges: tuple[tuple[int, int], ...]


def plan(from_us: int, to_us: int, step_us: int, offsets: Offsets = Offsets(),
         filters: Sequence[Filter] = (), percentiles: Sequence[int] = (),
         trusted_from_us: int | None = None) -> RollupPlan | None:
    """How a query over `from_us`..`to_us` (inclusive) may read the rollup; None: it may
    not (a filter on a column the rollup does not keep, percentiles, which need every pdd,
    a bucket or UTC offset or offset change that splits a minute, a range starting before
    `trusted_from_us` (where retention may have removed raw rows the rollup still counts),
    or no whole minute in the range)."""
    if percentiles or any(f.column not in KEY_FILTERS for f in filters):
        return None
    if step_us % MINUTE_US or any(o % 60 for o in offsets.offsets):
        return None
    if any(start % MINUTE_US for start in offsets.starts[1:]):
        return None
    if trusted_from_us is not None and from_us < trusted_from_us:
        return None
    first = -(-from_us // MINUTE_US)
    last = (to_us + 1) // MINUTE_US - 1
    if first > last:
        return None
    edges = []
    if from_us < first * MINUTE_US:
        edges.append((from_us, first * MINUTE_US - 1))
    if to_us >= (last + 1) * MINUTE_US:
        edges.append(((last + 1) * MINUTE_US, to_us))
    return RollupPlan(first, last, tuple(edges))


def traffic_plan(q: TrafficQuery, trusted_from_us: int | None = None) -> RollupPlan | None:
    return plan(q.from_us, q.to_us, q.buckets.step_us, q.buckets.offsets, q.filters,
                trusted_from_us=trusted_from_us)


def quality_plan(q: QualityQuery, trusted_from_us: int | None = None) -> RollupPlan | None:
    return plan(q.from_us, q.to_us, q.step_us, Offsets(), q.filters, q.percentiles,
                trusted_from_us)


# --- keeping the rollup ------------------------------------------------------------------

def _failed(side: Side) -> str:
    code = disposition_code(side)
    return f"({code}) IS NULL OR ({code}) NOT IN ({', '.join(map(str, NETWORK_EFFECTIVE_CODES))})"


def minute_of(d: Dialect, micros: str) -> str:
    """floor(micros / 1 minute) with constants only (a materialized view binds nothing)."""
    shift = 10**17 // MINUTE_US + 1
    return f"({d.int_div(f'{micros} + {shift * MINUTE_US}', str(MINUTE_US))} - {shift})"


def delta(d: Dialect, side: Side, source: str) -> str:
    """A SELECT of the rollup rows (KEYS, SUMS) the CDRs of `source` add on `side`.
    Constants only, no bound value: the ClickHouse store defines a view with it."""
    account = side.account_column
    picked = [f"{account} IS NOT NULL", *(["is_last_cdr"] if side.last_cdr_only else [])]
    return (
        f"SELECT {SIDE_CODES[side.name]} AS side, {d.int64(account)} AS account_id, "
        f"{minute_of(d, d.micros('time_start'))} AS minute, count(*) AS calls, "
        f"{d.count_if('duration > 0')} AS successful, sum(duration) AS seconds, "
        f"sum({side.price_column}) AS price, {d.count_if(_failed(side))} AS failed, "
        f"count({pdd_millis(d)}) AS pdd_count, "
        f"coalesce(sum({pdd_millis(d)}), 0) AS pdd_ms "
        f"FROM {source} WHERE {' AND '.join(picked)} GROUP BY account_id, minute"
    )


# --- reading it --------------------------------------------------------------------------

def _units(d: Dialect, bind: Binder, side: Side, account_id: int, p: RollupPlan,
           raw: Sequence[str], rolled: Sequence[str]) -> str:
    """The rollup's minutes of the plan and the raw CDRs of its edges as one relation:
    `ts` (µs) then the columns `rolled` names in the rollup, `raw` per CDR."""
    rollup = (f"SELECT minute * {MINUTE_US} AS ts, {', '.join(rolled)} FROM {d.minutes} "
              f"WHERE side = {bind(SIDE_CODES[side.name], INT64)} "
              f"AND account_id = {bind(account_id, INT64)} AND minute BETWEEN "
              f"{bind(p.first_minute, INT64)} AND {bind(p.last_minute, INT64)}")
    if not p.edges:
        return rollup
    edges = " OR ".join(f"({side_rows(d, bind, side, account_id, low, high, ())})"
                        for low, high in p.edges)
    return (f"{rollup} UNION ALL SELECT {d.micros('time_start')} AS ts, {', '.join(raw)} "
            f"FROM {d.cdrs} WHERE {edges}")


def traffic(q: TrafficQuery, d: Dialect, p: RollupPlan) -> Statement:
    """report_sql.traffic's rows, from the rollup where `p` says."""
    bind = d.binder()
    units = _units(d, bind, q.side, q.account_id, p,
                   raw=["1 AS n", f"{d.int64('duration > 0')} AS ok", "duration AS dur",
                        f"{q.side.price_column} AS price"],
                   rolled=["calls AS n", "successful AS ok", "seconds AS dur", "price"])
    text = (
        f"SELECT {floor_div(d, bind, 'ts + off', q.buckets.step_us)} AS bucket, "
        f"{d.int_div('off', '1000000')} AS offset_s, sum(n), sum(ok), sum(dur), "
        f"{d.price_sum('price')} FROM (SELECT ts, {offset_at(d, bind, q.buckets, 'ts')} "
        f"AS off, n, ok, dur, price FROM ({units}) AS units) AS placed "
        "GROUP BY bucket, offset_s ORDER BY bucket"
    )
    return Statement(text, bind.params)


def quality(q: QualityQuery, d: Dialect, p: RollupPlan) -> Statement:
    """report_sql.quality's rows (no percentiles), from the rollup where `p` says."""
    bind = d.binder()
    pdd = pdd_millis(d)
    units = _units(d, bind, q.side, q.account_id, p,
                   raw=["1 AS n", f"{d.int64('duration > 0')} AS ok", "duration AS dur",
                        f"{d.int64(_failed(q.side))} AS bad",
                        f"{d.int64(f'{pdd} IS NOT NULL')} AS timed",
                        f"coalesce({pdd}, 0) AS timed_ms"],
                   rolled=["calls AS n", "successful AS ok", "seconds AS dur",
                           "failed AS bad", "pdd_count AS timed", "pdd_ms AS timed_ms"])
    sums = ", ".join(f"coalesce(sum({unit}), 0) AS {name}" for unit, name in (
        ("n", "calls"), ("ok", "answered"), ("dur", "seconds"), ("bad", "failed"),
        ("timed", "timed"), ("timed_ms", "timed_ms")))
    text = (f"SELECT whole, bucket, calls, answered, seconds, failed, timed, timed_ms "
            f"FROM (SELECT grouping(bucket) AS whole, bucket, {sums} FROM (SELECT "
            f"{floor_div(d, bind, 'ts', q.step_us)} AS bucket, n, ok, dur, bad, timed, "
            f"timed_ms FROM ({units}) AS units) AS picked "
            "GROUP BY GROUPING SETS ((bucket), ())) AS grouped")
    return Statement(text, bind.params)
