"""Call quality per bucket (SPEC 9.4): yeti's total_calls, ACD (seconds), ASR and CPS, one
point per bucket of the range (zero-filled), and on request NER and PDD average and
nearest-rank percentiles. The store returns exact integers per bucket; every ratio and
its spelling is derived here, once for every engine."""

from __future__ import annotations

from collections.abc import Sequence

from callstats.queries import PddPercentiles, QualityQuery, QualityRow
from callstats.reports import numbers
from callstats.reports.buckets import SECOND, STEP_SECONDS, series
from callstats.reports.concurrent import MAX_POINTS, TOO_MANY
from callstats.reports.context import Body, ReportContext
from callstats.reports.params import BadParams, Role

YETI_KEYS = ("total_calls", "acd", "asr", "cps")
PERCENTILE_OF = {"pdd-p50": 50, "pdd-p95": 95, "pdd-p99": 99}
METRICS = ("ner", "pdd-avg", *PERCENTILE_OF)  # the `metrics` extension, SPEC 9.4


def run(ctx: ReportContext) -> Body:
    parsed = ctx.parsed
    metrics = parsed.names(Role.METRICS)
    sampling = parsed.text(Role.SAMPLING)
    assert sampling is not None, "sampling is required"
    step = STEP_SECONDS[sampling]
    window = ctx.window()
    if window is None:
        return Series([], metrics, step).body()
    from_us, to_us = window
    # Fixed-length buckets on the UTC grid: every zone's offset today is a whole number
    # of quarter hours, so they are the local grid too and `time-zone` moves none.
    points = series(sampling, from_us, to_us, None, MAX_POINTS)
    if points is None:
        raise BadParams(TOO_MANY)
    percentiles = tuple(PERCENTILE_OF[m] for m in metrics if m in PERCENTILE_OF)
    query = QualityQuery(ctx.require_side(), ctx.account_id, from_us, to_us, step * SECOND,
                         parsed.filters, percentiles)
    rows = ctx.store.quality(query)
    ranks = ctx.store.pdd_percentiles(query) if percentiles and rows else None
    return Series(points, metrics, step, rows, ranks).body()


class Series:
    """The body of one request: each point's metrics, then the totals."""

    def __init__(self, points: list[int], metrics: Sequence[str], step: int,
                 rows: Sequence[QualityRow] = (), ranks: PddPercentiles | None = None):
        self.points, self.metrics, self.step = points, tuple(metrics), step
        self.rows = {row.bucket * step: row for row in rows}
        self.ranks = ranks or PddPercentiles({}, None)
        # Where each asked percentile sits in the store's tuples (asked order).
        self.rank_index = {m: i for i, m in enumerate(m for m in self.metrics
                                                      if m in PERCENTILE_OF)}

    def body(self) -> Body:
        keys = (*YETI_KEYS, *self.metrics)
        data: dict[str, list[object]] = {"t": list(self.points)}
        data |= {k: [] for k in keys}
        columns = [data[k] for k in keys]
        empty = self._values(None, None)
        for t in self.points:
            row = self.rows.get(t)
            values = empty if row is None else self._values(
                row, self.ranks.buckets.get(row.bucket))
            for column, value in zip(columns, values, strict=True):
                column.append(value)
        totals = dict(zip(keys, self._values(self._whole(), self.ranks.whole), strict=True))
        peak = max((row.total for row in self.rows.values()), default=0)
        totals["cps"] = numbers.per_second(peak, self.step)  # the highest bucket's
        return {"data": data, "rows": len(self.points), "totals": totals}

    def _whole(self) -> QualityRow | None:
        if not self.rows:
            return None
        sums = [sum(column) for column in zip(*(
            (r.total, r.successful, r.duration, r.failed, r.pdd_count, r.pdd_millis)
            for r in self.rows.values()), strict=True)]
        return QualityRow(0, *sums)

    def _values(self, row: QualityRow | None, ranks: tuple[int, ...] | None
                ) -> list[object]:
        """The values of one point (or of the totals), in key order."""
        if row is None:
            return [0, None, None, "0.0", *(None for _ in self.metrics)]
        values: list[object] = [
            row.total, numbers.acd_seconds(row.duration, row.successful),
            numbers.asr(row.successful, row.total), numbers.per_second(row.total, self.step)]
        for metric in self.metrics:
            if metric == "ner":
                values.append(numbers.asr(row.total - row.failed, row.total))
            elif not row.pdd_count:
                values.append(None)
            elif metric == "pdd-avg":
                values.append(numbers.seconds_of_millis(
                    numbers.rounded(row.pdd_millis, row.pdd_count, 0)))
            else:
                assert ranks is not None, "a bucket with pdd values has percentiles"
                values.append(numbers.seconds_of_millis(ranks[self.rank_index[metric]]))
        return values
