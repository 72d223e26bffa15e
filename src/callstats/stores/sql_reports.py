"""The report methods of the `Store` interface, once for every SQL store: build the
statement with the store's dialect, run it, read the rows back."""

from __future__ import annotations

from collections.abc import Sequence

from callstats.queries import (
    CodeCount,
    ConcurrentQuery,
    ConcurrentRow,
    CurrentCallsQuery,
    DisconnectCodesQuery,
    ExtensionRow,
    ExtensionsQuery,
    PbxQuery,
    QualityAnswer,
    QualityQuery,
    TrafficQuery,
    TrafficRow,
)
from callstats.stores import report_sql, rollups
from callstats.stores.sql import Dialect, Statement


class SqlReports:
    """Mixed into each store, which supplies `dialect` and `run`."""

    dialect: Dialect
    # Whether reports may read the minute rollup where rollups.plan allows (False: every
    # report reads raw rows, the reference the rollup's answers must equal).
    rollups: bool = True

    def reading(self) -> Dialect:
        """The dialect a report reads with now (a store may name fewer relations while
        some of its parts are empty)."""
        return self.dialect

    def rollups_trusted_from(self) -> int | None:
        """The earliest instant (µs) where the rollup counts exactly the stored raw rows
        (None: everywhere)."""
        return None

    def run(self, statement: Statement) -> Sequence[tuple[object, ...]]:
        """The rows of a report statement, within the store's query time limit; raises
        StoreUnavailable or QueryTimeout for the engine's troubles, anything else for ours."""
        raise NotImplementedError

    def traffic(self, query: TrafficQuery) -> list[TrafficRow]:
        plan = rollups.traffic_plan(query, self.rollups_trusted_from()) if self.rollups else None
        if plan is not None:
            return rollups.traffic(query, self.reading(), plan, self.run)
        return report_sql.traffic_rows(self.run(report_sql.traffic(query, self.reading())))

    def quality(self, query: QualityQuery) -> QualityAnswer:
        plan = rollups.quality_plan(query, self.rollups_trusted_from()) if self.rollups else None
        if plan is not None:
            return rollups.quality(query, self.reading(), plan, self.run)
        return report_sql.quality_answer(self.run(report_sql.quality(query, self.reading())))

    def disconnect_codes(self, query: DisconnectCodesQuery) -> list[CodeCount]:
        return report_sql.code_rows(self.run(report_sql.disconnect_codes(query, self.reading())))

    def concurrent_calls(self, query: ConcurrentQuery) -> list[ConcurrentRow]:
        return report_sql.concurrent_rows(
            self.run(report_sql.concurrent_calls(query, self.reading())))

    def current_calls(self, query: CurrentCallsQuery) -> list[tuple[object, ...]]:
        return list(self.run(report_sql.current_calls(query, self.reading())))

    def pbx_counts(self, query: PbxQuery) -> dict[str, int]:
        return report_sql.pbx_rows(self.run(report_sql.pbx_counts(query, self.reading())))

    def pbx_extensions(self, query: ExtensionsQuery) -> list[ExtensionRow]:
        return report_sql.extension_rows(
            self.run(report_sql.pbx_extensions(query, self.reading())))
