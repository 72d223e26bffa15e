"""The attempt limits' arithmetic, on an injected clock: N in any S seconds, sliding."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest

from callstats.auth.login_limits import (
    HASHING_NICENESS,
    MAX_NICENESS,
    HasherBusy,
    LoginLimits,
    PasswordChecker,
    Rate,
    niceness_below,
    parse_rate,
    retry_after,
)
from callstats.metadata.passwords import hash_password


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(("text", "rate"), [("10/60", Rate(10, 60)), ("300/60", Rate(300, 60)),
                                            ("1/0.5", Rate(1, 0.5)), ("0", None), ("0/60", None),
                                            (" 5/1 ", Rate(5, 1))])
def test_parse_rate(text: str, rate: Rate | None) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["", "10", "10/0", "-1/60", "10/-5", "a/b", "10/60/1", "1e3/60"])
def test_parse_rate_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rate(text)


def test_n_attempts_in_any_window_then_the_oldest_must_age_out() -> None:
    clock = Clock()
    limits = LoginLimits(Rate(3, 60), None, clock)
    for step in (0, 10, 20):
        clock.now = 1000 + step
        assert limits.attempt("alice", "ip") == 0
    clock.now = 1030
    assert limits.attempt("alice", "ip") == pytest.approx(30)  # the t=0 attempt leaves at 60
    clock.now = 1059.5
    assert limits.attempt("alice", "ip") == pytest.approx(0.5)
    clock.now = 1060
    assert limits.attempt("alice", "ip") == 0  # sliding: one slot freed, not a reset
    assert limits.attempt("alice", "ip") == pytest.approx(10)
    assert limits.attempt("bob", "ip") == 0


def test_refused_attempts_do_not_count_and_both_limits_must_allow() -> None:
    clock = Clock()
    limits = LoginLimits(Rate(2, 10), Rate(3, 10), clock)
    assert limits.attempt("a", "ip1") == 0
    assert limits.attempt("a", "ip1") == 0
    for _ in range(5):
        assert limits.attempt("a", "ip1") > 0  # refused by the login limit, not counted
    assert limits.attempt("b", "ip1") == 0  # so the IP has used 3, not 8
    assert limits.attempt("c", "ip1") > 0
    assert limits.attempt("c", "ip2") == 0
    assert limits.attempt(None, "ip2") == 0  # no login (a malformed body): the IP counts
    clock.now += 10
    assert limits.attempt("a", "ip1") == 0


def test_forgotten_keys_are_swept() -> None:
    clock = Clock()
    limits = LoginLimits(Rate(1, 5), None, clock)
    for i in range(1000):
        limits.attempt(f"login{i}", "ip")
    clock.now += 6
    limits.attempt("last", "ip")
    assert sum(len(limiter._attempts) for _, limiter in limits._limits) == 1


def test_retry_after_is_whole_seconds_rounded_up() -> None:
    assert [retry_after(w) for w in (0.01, 1, 1.2, 59.99)] == ["1", "1", "2", "60"]


def test_password_checks_queue_boundedly_below_the_request_threads() -> None:
    checker = PasswordChecker(max_waiting=3, threads=1)
    stored = hash_password("right")

    async def flood() -> list[object]:
        return await asyncio.gather(*(checker.verify(stored, p) for p in
                                      ("right", "wrong", "right", "x", "y")),
                                    return_exceptions=True)

    try:
        results = asyncio.run(flood())
        assert results[:3] == [True, False, True]
        assert all(isinstance(r, HasherBusy) for r in results[3:])
        # The worker thread's own priority (Linux: per thread).
        worker = checker._executor.submit(
            lambda: (os.getpriority(os.PRIO_PROCESS, threading.get_native_id()),
                     threading.get_ident())).result()
        assert worker[0] == niceness_below(os.getpriority(os.PRIO_PROCESS, 0))
        assert worker[1] != threading.get_ident()
        assert asyncio.run(checker.verify(None, "anything")) is False
    finally:
        checker.close()


def test_the_hashing_thread_keeps_its_gap_below_a_niced_server_up_to_the_lowest_level() -> None:
    assert niceness_below(0) == HASHING_NICENESS
    assert niceness_below(5) == 5 + HASHING_NICENESS
    assert niceness_below(10) == MAX_NICENESS == 19
    assert niceness_below(19) == MAX_NICENESS
