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

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from callstats.dispositions import NETWORK_EFFECTIVE_CODES
from callstats.queries import (
    Filter,
    Offsets,
    QualityAnswer,
    QualityQuery,
    QualityRow,
    Side,
    TrafficQuery,
    TrafficRow,
)
from callstats.stores import report_sql
from callstats.stores.report_sql import (
    _int,
    disposition_code,
    floor_div,
    micros,
    offset_at,
    pdd_millis,
    quality_answer,
    traffic_rows,
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
# ...and the first and last time_start (µs) of the minute's CDRs: read with min() and max().
BOUNDS = (("first_us", "min"), ("last_us", "max"))


@dataclass(frozen=True)
class RollupPlan:
    """Read minutes `first_minute`..`last_minute` (unix minutes, inclusive) from the rollup.
    `cut_from` (µs) when the range starts inside the first minute, `cut_to` when it ends
    inside the last: that minute counts whole if all its CDRs lie in the range (its first
    and last CDR times tell), not at all if none does, else its part in the range is read
    from raw rows."""

    first_minute: int
    last_minute: int
    cut_from: int | None = None
    cut_to: int | None = None


UTC = Offsets()


def plan(from_us: int, to_us: int, step_us: int, offsets: Offsets = UTC,
         filters: Sequence[Filter] = (), percentiles: Sequence[int] = (),
         trusted_from_us: int | None = None) -> RollupPlan | None:
    """How a query over `from_us`..`to_us` (inclusive) may read the rollup; None: it may
    not (a filter on a column the rollup does not keep, percentiles, which need every pdd,
    a bucket or UTC offset or offset change that splits a minute, a range starting before
    `trusted_from_us` (where retention may have removed raw rows the rollup still counts),
    or a range inside one minute, cut at both ends)."""
    if percentiles or any(f.column not in KEY_FILTERS for f in filters):
        return None
    if step_us % MINUTE_US or any(o % 60 for o in offsets.offsets):
        return None
    if any(start % MINUTE_US for start in offsets.starts[1:]):
        return None
    if trusted_from_us is not None and from_us < trusted_from_us:
        return None
    first, last = from_us // MINUTE_US, to_us // MINUTE_US
    cut_from = from_us if from_us % MINUTE_US else None
    cut_to = to_us if (to_us + 1) % MINUTE_US else None
    if first == last and cut_from is not None and cut_to is not None:
        return None
    return RollupPlan(first, last, cut_from, cut_to)


def traffic_plan(q: TrafficQuery, trusted_from_us: int | None = None) -> RollupPlan | None:
    return plan(q.from_us, q.to_us, q.buckets.step_us, q.buckets.offsets, q.filters,
                trusted_from_us=trusted_from_us)


def quality_plan(q: QualityQuery, trusted_from_us: int | None = None) -> RollupPlan | None:
    return plan(q.from_us, q.to_us, q.step_us, UTC, q.filters, q.percentiles,
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
        f"coalesce(sum({pdd_millis(d)}), 0) AS pdd_ms, "
        f"min({d.micros('time_start')}) AS first_us, max({d.micros('time_start')}) AS last_us "
        f"FROM {source} WHERE {' AND '.join(picked)} GROUP BY account_id, minute"
    )


def totals(d: Dialect, sides: Sequence[Side], since_minute: int | None) -> Statement:
    """One row: per side of `sides`, the calls and seconds it reads from minute
    `since_minute` on (None: all) counted from the raw rows, then the same summed from the
    rollup (one scan of each). The two agree unless the rollup lost rows, which a
    ClickHouse materialized view that fails on an insert does while the insert's raw rows
    stay (and chdb's streaming insert reports no error)."""
    bind = d.binder()
    raw_since = rolled_since = "TRUE"
    if since_minute is not None:
        raw_since = f"{d.micros('time_start')} >= {bind(since_minute * MINUTE_US, INT64)}"
        rolled_since = f"minute >= {bind(since_minute, INT64)}"
    raw, rolled = [], []
    for side in sides:
        picked = " AND ".join([f"{side.account_column} IS NOT NULL",
                               *(["is_last_cdr"] if side.last_cdr_only else [])])
        own = f"side = {SIDE_CODES[side.name]}"
        raw += [d.int64(d.count_if(picked)), d.int64(d.sum_if("duration", picked))]
        rolled += [d.int64(d.sum_if("calls", own)), d.int64(d.sum_if("seconds", own))]
    text = (f"SELECT * FROM (SELECT {', '.join(raw)} FROM {d.cdrs} WHERE {raw_since}) "
            f"AS raw CROSS JOIN (SELECT {', '.join(rolled)} FROM {d.minutes} "
            f"WHERE {rolled_since}) AS rolled")
    return Statement(text, bind.params)


# --- reading it --------------------------------------------------------------------------

Run = Callable[[Statement], Sequence[tuple[object, ...]]]
WHOLE, FIRST, LAST = 0, 1, 2  # the parts of a plan's minutes: whole ones, the cut ones


def _minutes(d: Dialect, bind: Binder, side: Side, account_id: int, p: RollupPlan,
             keys: Sequence[tuple[str, str]], sums: Sequence[tuple[str, str]],
             grouped: bool, constant: frozenset[str] = frozenset()) -> str:
    """Per (`keys`, part): `sums` (each (aggregate, column)), then the first and last CDR
    time of the part; `keys` are (expression, name) over the rollup's columns, those named
    in `constant` the same for every row (bound values only). Not `grouped` (buckets of one
    minute): each rollup row as it is, one bucket each, rows of one key from parts not
    merged yet added up by the caller; no hash aggregate, which is most of a small report's
    engine time. Grouped, the constant keys and an uncut plan's part stay out of GROUP BY:
    DuckDB hashes a constant key like any other (the largest account's month by hour:
    statement 4.2 → 3.5 ms CPU, docs/performance.md)."""
    parts = []
    if p.cut_from is not None:
        parts.append(f"WHEN minute = {bind(p.first_minute, INT64)} THEN {FIRST}")
    if p.cut_to is not None:
        parts.append(f"WHEN minute = {bind(p.last_minute, INT64)} THEN {LAST}")
    part = f"CASE {' '.join(parts)} ELSE {WHOLE} END" if parts else str(WHOLE)
    named = ", ".join(f"{expression} AS {name}" for expression, name in keys)
    # The bounds matter only to a cut minute: else not read at all (two columns fewer).
    if grouped:
        values = [aggregate for aggregate, _ in sums]
        bounds = "min(first_us), max(last_us)" if parts else "0, 0"
        varying = [name for _, name in keys if name not in constant]
        group = f" GROUP BY {', '.join([*varying, *(['part'] if parts else [])])}"
    else:
        values = [column for _, column in sums]
        bounds, group = ("first_us, last_us" if parts else "0, 0"), ""
    return (f"SELECT {named}, {part} AS part, {', '.join(values)}, {bounds} FROM {d.minutes} "
            f"WHERE side = {bind(SIDE_CODES[side.name], INT64)} "
            f"AND account_id = {bind(account_id, INT64)} AND minute BETWEEN "
            f"{bind(p.first_minute, INT64)} AND {bind(p.last_minute, INT64)}{group}")


@dataclass
class _Cut:
    """A cut minute's rows added up: its bucket key, sums, first and last CDR time."""

    key: tuple[int, int]
    values: list[int]
    first: int
    last: int


def _add_cut(cuts: dict[int, _Cut], part: int, key: tuple[int, int], values: Sequence[int],
             first: int, last: int) -> None:
    found = cuts.get(part)
    if found is None:
        cuts[part] = _Cut(key, list(values), first, last)
        return
    for i, value in enumerate(values):
        found.values[i] += value
    found.first, found.last = min(found.first, first), max(found.last, last)


def _settle(p: RollupPlan, cuts: dict[int, _Cut],
            sums: dict[tuple[int, int], list[int]]) -> list[tuple[int, int]]:
    """Add each cut minute's sums whose CDRs all lie in the range, drop those with none
    there; return the ranges (µs, inclusive) to read from raw rows instead: a cut that
    falls between a minute's CDRs."""
    ranges = []
    for part, cut in cuts.items():
        if part == FIRST and p.cut_from is not None:
            inside, outside = cut.first >= p.cut_from, cut.last < p.cut_from
            edge = (p.cut_from, (p.first_minute + 1) * MINUTE_US - 1)
        elif part == LAST and p.cut_to is not None:
            inside, outside = cut.last <= p.cut_to, cut.first > p.cut_to
            edge = (p.last_minute * MINUTE_US, p.cut_to)
        else:  # pragma: no cover - parts come only from the plan's cuts
            raise AssertionError(part)
        if inside:
            _add(sums, cut.key, cut.values)
        elif not outside:
            ranges.append(edge)
    return ranges


def traffic_statement(q: TrafficQuery, d: Dialect, p: RollupPlan) -> Statement:
    """Per (bucket, offset, part): the traffic sums, first and last CDR time."""
    bind = d.binder()
    ts = f"minute * {MINUTE_US}"
    off = offset_at(d, bind, q.buckets, ts)
    keys = [(floor_div(d, bind, f"{ts} + {off}", q.buckets.step_us), "bucket"),
            (d.int_div(off, "1000000"), "offset_s")]
    sums = [(f"sum({c})", c) for c in ("calls", "successful", "seconds")]
    one_offset = frozenset(["offset_s"] if len(q.buckets.offsets.offsets) == 1 else [])
    text = _minutes(d, bind, q.side, q.account_id, p, keys,
                    [*sums, (d.price_sum("price"), "price")], q.buckets.step_us != MINUTE_US,
                    one_offset)
    return Statement(text, bind.params)


def traffic(q: TrafficQuery, d: Dialect, p: RollupPlan, run: Run) -> list[TrafficRow]:
    """report_sql.traffic's rows (ordered by bucket, then offset), from the rollup where
    `p` says and from raw rows where a cut minute needs them."""
    sums: dict[tuple[int, int], list[int]] = {}
    cuts: dict[int, _Cut] = {}
    for bucket, offset, part, n, ok, seconds, price, first, last in run(
            traffic_statement(q, d, p)):
        key, values = (_int(bucket), _int(offset)), (_int(n), _int(ok), _int(seconds),
                                                     micros(price))
        if part == WHOLE:
            _add(sums, key, values)
        else:
            _add_cut(cuts, _int(part), key, values, _int(first), _int(last))
    for low, high in _settle(p, cuts, sums):
        edge = replace(q, from_us=low, to_us=high)
        for row in traffic_rows(run(report_sql.traffic(edge, d))):
            _add(sums, (row.bucket, row.offset),
                 (row.total, row.successful, row.duration, row.price_micros))
    return [TrafficRow(b, o, *values) for (b, o), values in sorted(sums.items())]


def quality_statement(q: QualityQuery, d: Dialect, p: RollupPlan) -> Statement:
    bind = d.binder()
    keys = [(floor_div(d, bind, f"minute * {MINUTE_US}", q.step_us), "bucket")]
    text = _minutes(d, bind, q.side, q.account_id, p, keys,
                    [(f"sum({c})", c) for c in ("calls", "successful", "seconds", "failed",
                                                "pdd_count", "pdd_ms")],
                    q.step_us != MINUTE_US)
    return Statement(text, bind.params)


def quality(q: QualityQuery, d: Dialect, p: RollupPlan, run: Run) -> QualityAnswer:
    """report_sql.quality's answer (no percentiles), from the rollup where `p` says."""
    sums: dict[tuple[int, int], list[int]] = {}
    cuts: dict[int, _Cut] = {}
    for bucket, part, *values, first, last in run(quality_statement(q, d, p)):
        key, ints = (_int(bucket), 0), tuple(map(_int, values))
        if part == WHOLE:
            _add(sums, key, ints)
        else:
            _add_cut(cuts, _int(part), key, ints, _int(first), _int(last))
    for low, high in _settle(p, cuts, sums):
        edge = replace(q, from_us=low, to_us=high)
        for row in quality_answer(run(report_sql.quality(edge, d))).buckets:
            _add(sums, (row.bucket, 0), (row.total, row.successful, row.duration, row.failed,
                                         row.pdd_count, row.pdd_millis))
    buckets = [_quality_row(b, values) for (b, _), values in sorted(sums.items())]
    whole = [sum(column) for column in zip(*(v for v in sums.values()), strict=True)]
    return QualityAnswer(buckets, _quality_row(0, whole or [0] * 6))


def _quality_row(bucket: int, values: Sequence[int]) -> QualityRow:
    total, successful, duration, failed, pdd_count, pdd_millis = values
    return QualityRow(bucket, total, successful, duration, failed, pdd_count, pdd_millis)


def _add(sums: dict[tuple[int, int], list[int]], key: tuple[int, int],
         values: Sequence[int]) -> None:
    found = sums.get(key)
    if found is None:
        sums[key] = list(values)
    else:
        for i, value in enumerate(values):
            found[i] += value
