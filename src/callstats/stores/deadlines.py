"""Per-query time limits for engines that can only be interrupted from outside (DuckDB):
one watchdog thread for the whole store, not a timer thread per query."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

REPEAT = 0.005  # seconds between interrupts once a deadline has passed


class Watchdog:
    """Calls `on_expire` of every deadline that passes before its block ends."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._live: set[int] = set()
        self._ids = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    @contextmanager
    def deadline(self, seconds: float | None, on_expire: Callable[[], None]
                 ) -> Iterator[Callable[[], bool]]:
        """Run the block with a deadline (None or ≤ 0: none); yields `expired()`."""
        if not seconds or seconds <= 0:
            yield lambda: False
            return
        ident = next(self._ids)
        fired = threading.Event()

        def expire() -> None:
            fired.set()
            on_expire()

        with self._wake:
            self._live.add(ident)
            heapq.heappush(self._heap, (time.monotonic() + seconds, ident, expire))
            self._ensure_thread()
            self._wake.notify()
        try:
            yield fired.is_set
        finally:
            with self._wake:
                self._live.discard(ident)

    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="callstats-deadlines",
                                            daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._heap:
                    self._wake.wait()
                when, ident, expire = self._heap[0]
                wait = when - time.monotonic()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                heapq.heappop(self._heap)
                if ident in self._live:  # under the lock: its block has not ended yet
                    expire()
                    # An interrupt that lands before the engine began executing is lost:
                    # repeat it until the block ends.
                    heapq.heappush(self._heap, (time.monotonic() + REPEAT, ident, expire))
