"""What a report runs with: the store, the parsed request, the caller's tenancy and the
server clock. Built by the HTTP layer once authentication and params are checked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from callstats.queries import Side
from callstats.reports.params import Parsed, Role
from callstats.stores.base import Store


@dataclass(frozen=True)
class ReportContext:
    store: Store
    parsed: Parsed
    now_us: int
    customer_id: int  # the caller's customer
    account_ids: frozenset[int]  # the accounts the caller may use; empty: all the customer's
    side: Side | None = None  # origination or termination, for reports that have one
    snapshot_max_age: int = 180  # seconds a node's latest snapshot counts as live (4.5)

    @property
    def account_id(self) -> int:
        """The account the request names (checked against the caller's tenancy)."""
        return self.parsed.account_id()

    def window(self) -> tuple[int, int] | None:
        """[from-time, to-time] in µs, to-time defaulting to now (SPEC 4.2); None when the
        answer is the empty one: from after to, or from in the future."""
        from_us = self.parsed.time(Role.FROM)
        to_us = self.parsed.time(Role.TO)
        to_us = self.now_us if to_us is None else to_us
        assert from_us is not None, "from-time is required"
        if from_us > to_us or from_us > self.now_us:
            return None
        return from_us, to_us

    def require_side(self) -> Side:
        assert self.side is not None, "a report with a side runs with one"
        return self.side


Body = dict[str, object]
Runner = Callable[[ReportContext], Body]
