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

from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import cast

from callstats.dispositions import NETWORK_EFFECTIVE_CODES
from callstats.queries import (
    Buckets,
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


def _rollup_row(d: Dialect, side: str, account: str, time_us: str, price: str, failed: str,
                pdd_ms: str) -> str:
    """The select list of rollup rows (KEYS, SUMS) over CDR inputs given as expressions:
    the side's code, the account, time_start in µs, the price, whether the call failed,
    pdd in milliseconds (and duration as stored). Written once for both spellings below."""
    return (
        f"{side} AS side, {d.int64(account)} AS account_id, "
        f"{minute_of(d, time_us)} AS minute, count(*) AS calls, "
        f"{d.count_if('duration > 0')} AS successful, sum(duration) AS seconds, "
        f"sum({price}) AS price, {d.count_if(failed)} AS failed, "
        f"count({pdd_ms}) AS pdd_count, coalesce(sum({pdd_ms}), 0) AS pdd_ms, "
        f"min({time_us}) AS first_us, max({time_us}) AS last_us"
    )


def _picked(side: Side) -> str:
    """The CDRs a side's rollup counts."""
    return " AND ".join([f"{side.account_column} IS NOT NULL",
                         *(["is_last_cdr"] if side.last_cdr_only else [])])


def delta(d: Dialect, side: Side, source: str) -> str:
    """A SELECT of the rollup rows (KEYS, SUMS) the CDRs of `source` add on `side`.
    Constants only, no bound value: the ClickHouse store defines a view with it."""
    row = _rollup_row(d, str(SIDE_CODES[side.name]), side.account_column,
                      d.micros("time_start"), side.price_column, _failed(side), pdd_millis(d))
    return f"SELECT {row} FROM {source} WHERE {_picked(side)} GROUP BY account_id, minute"


def deltas(d: Dialect, sides: Sequence[Side], source: str) -> str:
    """The rows `delta` gives for each of `sides`, from one aggregate over every side's
    inputs: a small batch's statement is mostly planning, and one hash aggregate plans
    in less time than one per side (docs/performance.md, "Many small posts")."""
    inputs = " UNION ALL ".join(
        f"SELECT {SIDE_CODES[side.name]} AS side_code, {side.account_column} AS account, "
        f"{d.micros('time_start')} AS time_us, duration, {side.price_column} AS price_in, "
        f"({_failed(side)}) AS is_failed, {pdd_millis(d)} AS pdd_in "
        f"FROM {source} WHERE {_picked(side)}" for side in sides)
    row = _rollup_row(d, "side_code", "account", "time_us", "price_in", "is_failed", "pdd_in")
    return f"SELECT {row} FROM ({inputs}) AS inputs GROUP BY side, account_id, minute"


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


@dataclass(frozen=True)
class SideTotals:
    """One side's calls and seconds as `totals` counts them: from the raw rows, and
    summed from the rollup."""

    side: Side
    stored: tuple[int, int]
    rolled: tuple[int, int]


def totals_of(row: Sequence[object], sides: Sequence[Side]) -> list[SideTotals]:
    """`totals`' one row read back, per side in the order asked."""
    half = 2 * len(sides)
    return [SideTotals(side, (_int(row[2 * n]), _int(row[2 * n + 1])),
                       (_int(row[half + 2 * n]), _int(row[half + 2 * n + 1])))
            for n, side in enumerate(sides)]


# --- reading it --------------------------------------------------------------------------

Run = Callable[[Statement], Sequence[tuple[object, ...]]]
TRAFFIC_SUMS = ("calls", "successful", "seconds", "price")
QUALITY_SUMS = ("calls", "successful", "seconds", "failed", "pdd_count", "pdd_ms")
WHOLE, FIRST, LAST = 0, 1, 2  # the parts of a plan's minutes: whole ones, the cut ones


def _minutes(d: Dialect, bind: Binder, side: Side, account_id: int, p: RollupPlan,
             keys: Sequence[tuple[str, str]], sums: Sequence[tuple[str, str]],
             constant: frozenset[str] = frozenset()) -> str:
    """Per (`keys`, part) of buckets longer than a minute: `sums` (each (aggregate,
    column)), then the first and last CDR time of the part; `keys` are (expression, name)
    over the rollup's columns, those named in `constant` the same for every row (bound
    values only). The constant keys and an uncut plan's part stay out of GROUP BY: DuckDB
    hashes a constant key like any other (the largest account's month by hour: statement
    4.2 → 3.5 ms CPU, docs/performance.md). Buckets of one minute read `_minute_rows`."""
    parts = []
    if p.cut_from is not None:
        parts.append(f"WHEN minute = {bind(p.first_minute, INT64)} THEN {FIRST}")
    if p.cut_to is not None:
        parts.append(f"WHEN minute = {bind(p.last_minute, INT64)} THEN {LAST}")
    part = f"CASE {' '.join(parts)} ELSE {WHOLE} END" if parts else str(WHOLE)
    named = ", ".join(f"{expression} AS {name}" for expression, name in keys)
    values = [aggregate for aggregate, _ in sums]
    # The bounds matter only to a cut minute: else not read at all (two columns fewer).
    bounds = "min(first_us), max(last_us)" if parts else "0, 0"
    varying = [name for _, name in keys if name not in constant]
    group = f" GROUP BY {', '.join([*varying, *(['part'] if parts else [])])}"
    return (f"SELECT {named}, {part} AS part, {', '.join(values)}, {bounds} FROM {d.minutes} "
            f"WHERE side = {bind(SIDE_CODES[side.name], INT64)} "
            f"AND account_id = {bind(account_id, INT64)} AND minute BETWEEN "
            f"{bind(p.first_minute, INT64)} AND {bind(p.last_minute, INT64)}{group}")


def _minute_rows(d: Dialect, bind: Binder, side: Side, account_id: int, p: RollupPlan,
                 columns: Sequence[str]) -> str:
    """Each rollup row of the plan's minutes as stored (buckets of one minute): its minute,
    `columns`, and the first and last CDR time only where the plan cuts a minute. The
    caller works out each row's bucket, UTC offset and part from its minute
    (`_gather_minutes`): an expression per key cost DuckDB more to bind and optimise than
    a typical day's ~100 rows cost Python (docs/performance.md, "The report
    statement")."""
    bounds = ", first_us, last_us" if p.cut_from is not None or p.cut_to is not None else ""
    return (f"SELECT minute, {', '.join(columns)}{bounds} FROM {d.minutes} "
            f"WHERE side = {bind(SIDE_CODES[side.name], INT64)} "
            f"AND account_id = {bind(account_id, INT64)} AND minute BETWEEN "
            f"{bind(p.first_minute, INT64)} AND {bind(p.last_minute, INT64)}")


def _gather_minutes(rows: Iterable[Sequence[object]], p: RollupPlan, buckets: Buckets,
                    width: int, price_at: int | None,
                    sums: dict[tuple[int, int], list[int]], cuts: dict[int, _Cut]) -> None:
    """Add `_minute_rows`' rows (the minute, then `width` sums, the one at `price_at` a
    price, then the bounds where a minute is cut) into `sums` (whole minutes) and `cuts`
    (a cut minute's), each under its minute's (bucket, UTC offset) key.

    One loop, the key and the sums worked out inline where one offset is in force (every
    UTC request): the minute rows of a typical day grow with the store (~100 at 10M
    CDRs), and a helper call or two per row was ~0.8 of the ~1.8 µs of the store's Python
    per row (docs/performance.md, "Answers that grow with the store")."""
    first = p.first_minute if p.cut_from is not None else None
    last = p.last_minute if p.cut_to is not None else None
    offsets = buckets.offsets.offsets
    key_of = None if len(offsets) == 1 else _minute_bucket(buckets)
    shift, offset = offsets[0] // 60, offsets[0]
    end = width + 1
    found_in = sums.get
    for row in rows:
        minute = _int(row[0])
        values = cast(list[int], list(row[1:end]))
        if price_at is not None:
            values[price_at] = micros(values[price_at])
        key = (minute + shift, offset) if key_of is None else key_of(minute)
        if minute == first or minute == last:
            _add_cut(cuts, FIRST if minute == first else LAST, key, values,
                     _int(row[-2]), _int(row[-1]))
            continue
        found = found_in(key)
        if found is None:
            sums[key] = values
        else:
            for i, value in enumerate(values):
                found[i] += value


def _minute_bucket(buckets: Buckets) -> Callable[[int], tuple[int, int]]:
    """A minute's (bucket, UTC offset) for buckets of one minute, as `offset_at` and
    `floor_div` compute them in SQL: the offset in force at the minute's start, a whole
    number of minutes (the plan allows no other), added to the minute."""
    starts, offsets = buckets.offsets.starts, buckets.offsets.offsets

    def key(minute: int) -> tuple[int, int]:
        offset = offsets[bisect_right(starts, minute * MINUTE_US, 1) - 1]
        return minute + offset // 60, offset

    return key


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
    """Per (bucket, offset, part): the traffic sums, first and last CDR time; for buckets
    of one minute, the rollup rows as stored (`_minute_rows`, read through `_gather_minutes`)."""
    bind = d.binder()
    if q.buckets.step_us == MINUTE_US:
        columns = [*TRAFFIC_SUMS[:3], d.stored_price(TRAFFIC_SUMS[3])]
        return Statement(_minute_rows(d, bind, q.side, q.account_id, p, columns), bind.params)
    ts = f"minute * {MINUTE_US}"
    off = offset_at(d, bind, q.buckets, ts)
    keys = [(floor_div(d, bind, f"{ts} + {off}", q.buckets.step_us), "bucket"),
            (d.int_div(off, "1000000"), "offset_s")]
    sums = [(f"sum({c})", c) for c in TRAFFIC_SUMS[:3]]
    one_offset = frozenset(["offset_s"] if len(q.buckets.offsets.offsets) == 1 else [])
    text = _minutes(d, bind, q.side, q.account_id, p, keys,
                    [*sums, (d.price_sum("price"), "price")], one_offset)
    return Statement(text, bind.params)


def traffic(q: TrafficQuery, d: Dialect, p: RollupPlan, run: Run) -> list[TrafficRow]:
    """report_sql.traffic's rows (ordered by bucket, then offset), from the rollup where
    `p` says and from raw rows where a cut minute needs them."""
    sums: dict[tuple[int, int], list[int]] = {}
    cuts: dict[int, _Cut] = {}
    rows = run(traffic_statement(q, d, p))
    if q.buckets.step_us == MINUTE_US:
        _gather_minutes(rows, p, q.buckets, len(TRAFFIC_SUMS), TRAFFIC_SUMS.index("price"),
                        sums, cuts)
    else:
        for bucket, offset, part, n, ok, seconds, price, first, last in rows:
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
    if q.step_us == MINUTE_US:
        return Statement(_minute_rows(d, bind, q.side, q.account_id, p, QUALITY_SUMS),
                         bind.params)
    keys = [(floor_div(d, bind, f"minute * {MINUTE_US}", q.step_us), "bucket")]
    text = _minutes(d, bind, q.side, q.account_id, p, keys,
                    [(f"sum({c})", c) for c in QUALITY_SUMS])
    return Statement(text, bind.params)


def quality(q: QualityQuery, d: Dialect, p: RollupPlan, run: Run) -> QualityAnswer:
    """report_sql.quality's answer (no percentiles), from the rollup where `p` says."""
    sums: dict[tuple[int, int], list[int]] = {}
    cuts: dict[int, _Cut] = {}
    rows = run(quality_statement(q, d, p))
    if q.step_us == MINUTE_US:
        _gather_minutes(rows, p, Buckets(MINUTE_US), len(QUALITY_SUMS), None, sums, cuts)
    else:
        for bucket, part, *values, first, last in rows:
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
