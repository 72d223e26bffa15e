"""Finished report bodies, reused while the data under them is unchanged.

A key holds the report, the account, every parsed param and the store's data version for
that account, so any ingestion touching the account makes old entries unreachable (they
age out of the LRU). Only answers that cannot depend on the clock are cached."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from callstats.reports.context import ReportContext
from callstats.reports.definitions import CacheScope, Report
from callstats.reports.params import Role


class ResultCache:
    def __init__(self, size: int = 4096):
        self._size = size
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get_or_compute(self, key: Hashable | None, compute: Callable[[], bytes]) -> bytes:
        """`compute()` unless `key` has an entry; `key` None means "do not cache"."""
        if key is None:
            return compute()
        with self._lock:
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return body
            self.misses += 1
        body = compute()
        with self._lock:
            self._entries[key] = body
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return body


def cache_key(report: Report, ctx: ReportContext, variant: str) -> Hashable | None:
    """The key of a report answer, or None when it must not be cached: the report's data
    has no version the store can promise (other writers), or the answer may depend on the
    clock (no to-time, or a from-time in the future). `variant`: the body's format."""
    parsed = ctx.parsed
    if report.cache is CacheScope.NONE or not parsed.has(Role.TO):
        return None
    from_us = parsed.time(Role.FROM)
    if from_us is None or from_us > ctx.now_us:
        return None
    if report.cache is CacheScope.SNAPSHOTS:
        scope = "snapshots"
    else:
        scope = ctx.require_side().account_column
    version = ctx.store.data_version(scope, ctx.account_id)
    if version is None:
        return None
    values = tuple(sorted((k, str(v)) for k, v in parsed.values.items()))
    return (report.path, ctx.account_id, version, values, variant)
