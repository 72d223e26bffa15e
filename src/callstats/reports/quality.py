"""Call quality per bucket (SPEC 9.4): yeti's total_calls, ACD (seconds), ASR and CPS, one
point per bucket of the range (zero-filled), and on request NER and PDD average and
nearest-rank percentiles. The store returns exact integers per bucket; every ratio and
its spelling is derived here, once for every engine."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from callstats.queries import QualityAnswer, QualityQuery, QualityRow
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
    return Series(points, metrics, step, ctx.store.quality(query)).body()


# The spelled values repeat a lot (a day of minutes holds few distinct counts), and
# spelling is most of a long series' cost: keep the recent ones.
@lru_cache(maxsize=1 << 16)
def _ratio(part: int, whole: int) -> str | None:
    return numbers.asr(part, whole)


@lru_cache(maxsize=1 << 16)
def _acd(seconds: int, answered: int) -> str | None:
    return numbers.acd_seconds(seconds, answered)


@lru_cache(maxsize=1 << 12)
def _cps(calls: int, step: int) -> str:
    return numbers.per_second(calls, step)


@lru_cache(maxsize=1 << 16)
def _seconds(millis: int) -> str:
    return numbers.seconds_of_millis(millis)


class Series:
    """The body of one request: each point's metrics, then the totals."""

    def __init__(self, points: list[int], metrics: Sequence[str], step: int,
                 answer: QualityAnswer | None = None):
        self.points, self.metrics, self.step = points, tuple(metrics), step
        self.answer = answer or QualityAnswer([])
        # Where each asked percentile sits in the store's rank tuples (asked order).
        self.rank_index = {m: i for i, m in enumerate(m for m in self.metrics
                                                      if m in PERCENTILE_OF)}

    def body(self) -> Body:
        keys = (*YETI_KEYS, *self.metrics)
        step, buckets = self.step, self.answer.buckets
        by_t = {row.bucket * step: row for row in buckets}
        empty = self._values(None)
        table = [empty if (row := by_t.get(t)) is None else self._values(row)
                 for t in self.points]
        data: dict[str, list[object]] = {"t": list(self.points)}
        for key, column in zip(keys, zip(*table, strict=True) if table else
                               [()] * len(keys), strict=True):
            data[key] = list(column)
        whole = self.answer.whole or self._sum(buckets)
        totals = dict(zip(keys, self._values(whole), strict=True))
        peak = max((row.total for row in buckets), default=0)
        totals["cps"] = _cps(peak, step)  # the highest bucket's
        return {"data": data, "rows": len(self.points), "totals": totals}

    @staticmethod
    def _sum(buckets: Sequence[QualityRow]) -> QualityRow | None:
        if not buckets:
            return None
        return QualityRow(0, *(sum(column) for column in zip(*(
            (r.total, r.successful, r.duration, r.failed, r.pdd_count, r.pdd_millis)
            for r in buckets), strict=True)))

    def _values(self, row: QualityRow | None) -> list[object]:
        """The values of one point (or of the totals), in key order."""
        if row is None:
            return [0, None, None, "0.0", *(None for _ in self.metrics)]
        values: list[object] = [row.total, _acd(row.duration, row.successful),
                                _ratio(row.successful, row.total), _cps(row.total, self.step)]
        for metric in self.metrics:
            if metric == "ner":
                values.append(_ratio(row.total - row.failed, row.total))
            elif not row.pdd_count:
                values.append(None)
            elif metric == "pdd-avg":
                values.append(_seconds(numbers.rounded(row.pdd_millis, row.pdd_count, 0)))
            else:
                values.append(_seconds(row.percentiles[self.rank_index[metric]]))
        return values
