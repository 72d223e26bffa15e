"""CDR ids: unique and increasing, like a switch's CDR sequence."""

from __future__ import annotations

import numpy as np


class IdSequence:
    """Hands out increasing ids from `next`; never the same id twice."""

    def __init__(self, start: int):
        if start < 1:
            raise ValueError("CDR ids start at 1")
        self.next = start

    def take(self, count: int) -> np.ndarray:
        ids = np.arange(self.next, self.next + count, dtype=np.int64)
        self.next += count
        return ids


def clock_start_id(unix_seconds: float) -> int:
    """A first id above those of any earlier run: unix milliseconds × 1000. A run would
    have to write more than 1000 CDRs per millisecond to reach a later run's range."""
    return int(unix_seconds * 1000) * 1000
