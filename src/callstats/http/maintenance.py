"""The server's housekeeping thread: calls `store.maintain()` every interval until the
app shuts down. Failures are logged and retried next time; they never stop serving."""

from __future__ import annotations

import logging
import threading
import time

from callstats.stores.base import Store

log = logging.getLogger("callstats.maintenance")
INTERRUPT_REPEAT = 0.05  # seconds between interrupts while a run is still under way


class Maintenance:
    def __init__(self, store: Store, interval: float):
        self._store, self._interval = store, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="callstats-maintenance",
                                        daemon=True)

    def start(self) -> Maintenance:
        if self._interval > 0:
            self._thread.start()
        return self

    def stop(self) -> None:
        """End the thread, interrupting a run under way (a compaction can take a minute:
        shutdown must not wait for it; it rolls back and the next start redoes it)."""
        self._stop.set()
        while self._thread.is_alive():
            self._store.interrupt_maintenance()
            self._thread.join(timeout=INTERRUPT_REPEAT)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            started = time.perf_counter()
            try:
                rows = self._store.maintain()
            except Exception:  # logged with its traceback; the next run tries again
                if self._stop.is_set():
                    log.info("store maintenance interrupted by shutdown; the next start "
                             "redoes it")
                    return
                log.exception("store maintenance failed")
                continue
            if rows:
                log.info("store maintenance reorganized %d rows in %.1f s", rows,
                         time.perf_counter() - started)
