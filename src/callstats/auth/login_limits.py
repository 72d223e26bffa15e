"""Login attempt limits and password checking for `POST /auth` (SPEC 11).

Two limits, per login and per client IP, each `N/S`: N attempts in any S seconds, every
attempt counting whether its password was right or not (a refused attempt does not count,
so `Retry-After` says truthfully when the next one is taken). The window slides: each key
keeps the times of its last N attempts, and only while they are younger than S seconds.

Password hashes are checked on a small dedicated pool (a thread per core, at most two) at
a lower CPU priority than the request threads, with a bounded queue: a flood of logins
gets the CPU the reports leave, and reports keep their latency.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import os
import re
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from callstats.metadata.passwords import verify_password

_RATE = re.compile(r"([0-9]+)/([0-9]+(?:\.[0-9]+)?)")
# How far below the request threads the hashing thread runs (Linux nice levels; threads
# argon2 starts inherit it).
HASHING_NICENESS = 10
MAX_NICENESS = 19


@dataclass(frozen=True)
class Rate:
    attempts: int
    seconds: float


def parse_rate(text: str) -> Rate | None:
    """`N/S` → Rate; `0` (or `0/S`) → None, no limit; anything else → ValueError."""
    text = text.strip()
    if text == "0":
        return None
    match = _RATE.fullmatch(text)
    if not match or float(match[2]) <= 0:
        raise ValueError(f"expected N/S (attempts per seconds) or 0, got {text!r}")
    attempts = int(match[1])
    return Rate(attempts, float(match[2])) if attempts else None


class RateLimiter:
    """At most `rate.attempts` per key in any `rate.seconds`: the times of each key's
    last attempts, kept while they are inside the window."""

    def __init__(self, rate: Rate):
        self.rate = rate
        self._attempts: dict[bytes, deque[float]] = {}
        self._next_sweep = 0.0

    def wait(self, key: bytes, now: float) -> float:
        """Seconds until an attempt under `key` would be taken (0: now)."""
        times = self._attempts.get(key)
        if times is None or len(times) < self.rate.attempts:
            return 0.0
        return max(0.0, times[0] + self.rate.seconds - now)

    def count(self, key: bytes, now: float) -> None:
        times = self._attempts.setdefault(key, deque(maxlen=self.rate.attempts))
        times.append(now)
        if now >= self._next_sweep:  # forget keys whose window has emptied
            horizon = now - self.rate.seconds
            self._attempts = {k: t for k, t in self._attempts.items() if t[-1] > horizon}
            self._next_sweep = now + self.rate.seconds


class LoginLimits:
    """The per-login and per-IP limits together: an attempt is taken only if both allow
    it, and then counts against both."""

    def __init__(self, per_login: Rate | None, per_ip: Rate | None,
                 clock: Callable[[], float]):
        self._limits = [(kind, RateLimiter(rate)) for kind, rate in
                        (("login", per_login), ("ip", per_ip)) if rate is not None]
        self._clock = clock
        self._lock = threading.Lock()

    def attempt(self, login: str | None, ip: str) -> float:
        """0 if the attempt is taken (and counted), else the seconds to wait."""
        keys = {"login": None if login is None else _key(login), "ip": _key(ip)}
        with self._lock:
            now = self._clock()
            applicable = [(limiter, key) for kind, limiter in self._limits
                          if (key := keys[kind]) is not None]
            wait = max((limiter.wait(key, now) for limiter, key in applicable), default=0.0)
            if wait > 0:
                return wait
            for limiter, key in applicable:
                limiter.count(key, now)
            return 0.0


def retry_after(wait: float) -> str:
    """Whole seconds, rounded up, at least 1."""
    return str(max(1, math.ceil(wait)))


def _key(text: str) -> bytes:
    # A digest, so a long login costs a dict entry no more than a short one.
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class HasherBusy(Exception):
    """More logins wait for the password check than the queue takes."""


class PasswordChecker:
    """argon2 verification on dedicated low-priority threads, `max_waiting` at most
    queued; unknown logins are checked against a dummy hash, so they cost the same."""

    def __init__(self, max_waiting: int = 64, threads: int = min(2, os.cpu_count() or 1)):
        self._executor = ThreadPoolExecutor(threads, "password-check",
                                            initializer=_lower_priority)
        self._executor.submit(verify_password, None, "")  # makes the dummy hash now
        self._waiting = 0
        self._max_waiting = max_waiting

    async def verify(self, password_hash: str | None, password: str) -> bool:
        if self._waiting >= self._max_waiting:
            raise HasherBusy()
        self._waiting += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, verify_password,
                                              password_hash, password)
        finally:
            self._waiting -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def niceness_below(current: int) -> int:
    """The hashing thread's nice level: HASHING_NICENESS below the level it starts at (a
    server started under `nice` keeps the gap), capped at Linux's lowest priority, 19."""
    return min(MAX_NICENESS, current + HASHING_NICENESS)


def _lower_priority() -> None:
    """Run this thread (and the threads it starts) below the request threads: on Linux a
    thread id is a valid PRIO_PROCESS target and affects that thread alone."""
    try:
        thread = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, niceness_below(current))
    except (AttributeError, OSError):  # not Linux: the queue bound still holds
        pass
