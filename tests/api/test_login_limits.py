"""SPEC 11: `POST /auth` is limited per login and per client IP (every attempt counts,
right password or not; beyond → 429 with Retry-After and yeti's error shape), and a
login costs the same whatever the login."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.api import Api
from tests.support.wire import LOGIN_FAILED, SECURITY_HEADERS, V1

TOO_MANY = b'{"errors":[{"title":"Too many requests","code":"429","status":"429"}]}'


@pytest.fixture
def make(tmp_path: Path) -> Iterator:  # type: ignore[type-arg]
    made: list[Api] = []

    def make_api(**settings: object) -> Api:
        api = Api(tmp_path / f"data{len(made)}", time.time(), **settings)
        made.append(api)
        api.customer("c", 1)
        api.login(1, "alice", "right")
        api.login(1, "bob", "right")
        return api

    yield make_api
    for api in made:
        api.close()


def attempt(api: Api, login: str, password: str, peer: str = "127.0.0.1") -> httpx.Response:
    return api.request("POST", V1 + "/auth", peer=peer,
                       json={"auth": {"login": login, "password": password}})


def assert_limited(response: httpx.Response, most: int) -> int:
    assert (response.status_code, response.content) == (429, TOO_MANY)
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    wait = response.headers["retry-after"]
    assert wait.isdigit() and 1 <= int(wait) <= most, wait
    return int(wait)


def test_per_login_every_attempt_counts_and_then_even_the_right_password_waits(make) -> None:  # type: ignore[no-untyped-def]
    api = make(login_rate="3/60", login_rate_per_ip="0")
    assert attempt(api, "alice", "wrong").status_code == 401
    assert attempt(api, "alice", "right").status_code == 201  # success counts too
    assert attempt(api, "alice", "wrong").content == LOGIN_FAILED
    assert_limited(attempt(api, "alice", "right"), 60)
    assert_limited(attempt(api, "alice", "wrong", peer="10.9.9.9"), 60)  # any IP
    assert attempt(api, "bob", "right").status_code == 201  # another login is not limited
    # Unknown logins are limited alike: a 429 tells nothing about whether a login exists.
    for _ in range(3):
        assert attempt(api, "nobody", "x").status_code == 401
    assert_limited(attempt(api, "nobody", "x"), 60)


def test_per_ip_limit_counts_every_login_and_malformed_bodies(make) -> None:  # type: ignore[no-untyped-def]
    api = make(login_rate="0", login_rate_per_ip="4/60")
    for login in ("alice", "bob", "carol"):
        assert attempt(api, login, "wrong", peer="192.0.2.1").status_code == 401
    garbage = api.request("POST", V1 + "/auth", peer="192.0.2.1", content=b"{not json")
    assert garbage.content == LOGIN_FAILED
    assert_limited(attempt(api, "alice", "right", peer="192.0.2.1"), 60)
    assert attempt(api, "alice", "right", peer="192.0.2.2").status_code == 201


def test_retry_after_is_when_the_next_attempt_is_taken(make) -> None:  # type: ignore[no-untyped-def]
    api = make(login_rate="2/6", login_rate_per_ip="0")
    assert attempt(api, "alice", "wrong").status_code == 401
    assert attempt(api, "alice", "wrong").status_code == 401
    wait = assert_limited(attempt(api, "alice", "right"), 6)
    time.sleep(wait + 0.05)
    assert attempt(api, "alice", "right").status_code == 201


def test_zero_turns_both_limits_off(make) -> None:  # type: ignore[no-untyped-def]
    api = make(login_rate="0", login_rate_per_ip="0")
    for _ in range(12):
        assert attempt(api, "alice", "wrong").status_code == 401


def test_limits_are_counted_in_the_metrics(make) -> None:  # type: ignore[no-untyped-def]
    api = make(login_rate="1/60", login_rate_per_ip="0")
    attempt(api, "alice", "right")
    attempt(api, "alice", "right")
    attempt(api, "bob", "wrong")
    text = api.request("GET", "/metrics").text
    for outcome in ("accepted", "limited", "refused"):
        assert f'callstats_login_attempts_total{{outcome="{outcome}"}} 1.0' in text


def test_an_unknown_login_costs_what_a_wrong_password_does(make) -> None:  # type: ignore[no-untyped-def]
    api = make(login_rate="0", login_rate_per_ip="0")

    def seconds(login: str) -> float:
        started = time.perf_counter()
        assert attempt(api, login, "wrong").status_code == 401
        return time.perf_counter() - started

    for _ in range(2):  # warm up both paths
        seconds("alice"), seconds("nobody")
    known = statistics.median(seconds("alice") for _ in range(5))
    unknown = statistics.median(seconds(f"nobody{i}") for i in range(5))
    # Both verify one argon2 hash (~0.1-0.5 s); skipping it would take ~1 ms.
    assert unknown > known / 3 and known > unknown / 3, (known, unknown)


def test_an_oversized_login_body_is_refused_unread(make) -> None:  # type: ignore[no-untyped-def]
    api = make()
    response = api.request("POST", V1 + "/auth", content=b"x" * (65 * 1024))
    assert response.status_code == 413
