"""Differential tests: the real endpoints against a plain-Python reference of SPEC 5
(pbx_helpers.expected) on randomized multi-leg calls, exact body bytes, both endpoints,
both directions. One dataset per module (seeded RNG) with hypothesis drawing requests,
plus a smaller test drawing the data too."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from tests.support.pbx import PbxApi, Scope, Stored, expected, path, stored
from tests.support.pbx_data import ACCOUNTS, NOW, extension_params, generate, time_param
from tests.support.times import DAY, SECOND, spellings, us
from tests.support.wire import dumps

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class Principal:
    name: str
    token: str
    customer_id: int
    account_ids: frozenset[int]


@dataclass(frozen=True)
class Dataset:
    api: PbxApi
    cdrs: list[Stored]
    principals: list[Principal]
    bounds: list[int]


@pytest.fixture(scope="module")
def dataset(make_pbx: Callable[[int], PbxApi]) -> Dataset:
    api = make_pbx(NOW)
    for customer, owned in ACCOUNTS.items():
        api.customer(customer)
        for account in owned:
            api.account(customer, account)
    rng = random.Random(3003)
    times = [NOW + rng.randrange(-3 * DAY, DAY // 2) for _ in range(60)]
    times += [NOW - DAY, NOW, NOW - 2 * DAY, NOW - DAY - 1]  # the default window's edges
    rows = generate(rng, 500, 1, [1, 1, 2, 2, 3, 4, None], ACCOUNTS, times)
    api.cdrs(rows)
    api.login(3, "c3")
    principals = [
        Principal("c1 login", api.token(api.login(1, "c1")), 1, frozenset()),
        Principal("c1 login on 11", api.token(api.login(1, "c1-11", [11])), 1,
                  frozenset({11})),
        Principal("c1 dynamic on 11, 12", api.dynamic_token(1, [11, 12]), 1,
                  frozenset({11, 12})),
        Principal("c2 dynamic", api.dynamic_token(2), 2, frozenset()),
        Principal("c2 dynamic on 22", api.dynamic_token(2, [22]), 2, frozenset({22})),
        Principal("c3 login by /auth", api.jwt("c3"), 3, frozenset()),
    ]
    starts = sorted({int(r["time_start"]) for r in rows})  # type: ignore[call-overload]
    bounds = sorted({*rng.sample(starts, 60), *(t + d for t in rng.sample(starts, 20)
                                                 for d in (-1, 1)),
                     NOW - DAY, NOW, NOW - 2 * DAY, NOW + DAY,
                     *(us(f"2024-06-{d:02d}") for d in range(11, 17))})
    return Dataset(api, [stored(r) for r in rows], principals, bounds)


@st.composite
def requests(draw: st.DrawFn, data: Dataset) -> tuple[str, list[tuple[str, str]], str,
                                                       Scope, bool]:
    principal = draw(st.sampled_from(data.principals))
    per_call = draw(st.booleans())
    client_id = draw(st.sampled_from(["@me", str(principal.customer_id)]))
    start_params, start = time_param(draw, "start_datetime", data.bounds)
    end_params, end = time_param(draw, "end_datetime", data.bounds)
    extension, extensions = draw(extension_params())
    params = start_params + end_params + extension
    params = draw(st.permutations(params))
    end_us = NOW if end is None else end
    scope = Scope(principal.customer_id, principal.account_ids,
                  end_us - DAY if start is None else start, end_us, extensions)
    url = path(client_id, per_call, slash=draw(st.booleans()))
    note(f"{principal.name}: {url} {params}")
    return url, params, principal.token, scope, per_call


def check(api: PbxApi, cdrs: list[Stored], url: str, params: list[tuple[str, str]],
          token: str, scope: Scope, per_call: bool) -> None:
    response = api.get(url, params, token=token)
    assert response.status_code == 200, response.text
    assert response.content == dumps(expected(cdrs, scope, per_call))


def test_the_dataset_exercises_every_class(dataset: Dataset) -> None:
    """The reference finds every count nonzero somewhere: the draws below can fail."""
    wide = Scope(1, frozenset(), NOW - 4 * DAY, NOW + DAY, None)
    for per_call in (True, False):
        for body in expected(dataset.cdrs, wide, per_call).values():
            assert all(body.values()), body
    calls = expected(dataset.cdrs, wide, True)["out"]
    cdrs = expected(dataset.cdrs, wide, False)["out"]
    assert calls["total"] < cdrs["total"]
    assert calls["bridged"] > calls["answered"] or cdrs["bridged"] > cdrs["answered"]


@pytest.mark.parametrize("per_call", [True, False])
def test_defaults_match_the_reference(dataset: Dataset, per_call: bool) -> None:
    for principal in dataset.principals:
        scope = Scope(principal.customer_id, principal.account_ids, NOW - DAY, NOW, None)
        check(dataset.api, dataset.cdrs, path("@me", per_call), [], principal.token,
              scope, per_call)


@SETTINGS
@given(data=st.data())
def test_requests_match_the_reference(dataset: Dataset, data: st.DataObject) -> None:
    url, params, token, scope, per_call = data.draw(requests(dataset))
    check(dataset.api, dataset.cdrs, url, params, token, scope, per_call)


# --- drawing the data too ------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_app(make_pbx: Callable[[int], PbxApi]) -> tuple[PbxApi, itertools.count]:
    api = make_pbx(NOW)
    api.customer(1)
    api.account(1, 11)
    return api, itertools.count(1)


SMALL_TIMES = [NOW - DAY, NOW - DAY + 1, NOW - 3600 * SECOND, NOW - 1, NOW, NOW - 2 * DAY]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), calls=st.integers(0, 8),
       accounts=st.sampled_from([None, [], ["mine"], ["mine", "other"]]),
       per_call=st.booleans(), window=st.sampled_from([None, 0, 1, 2, 3]),
       compact=st.booleans())
def test_drawn_calls_match_the_reference(small_app: tuple[PbxApi, itertools.count],
                                         seed: int, calls: int, accounts: list[str] | None,
                                         per_call: bool, window: int | None,
                                         compact: bool) -> None:
    """Each example is a new customer with two accounts of its own, whose CDRs (as customer
    and as vendor, mixed with customer 1's) are drawn and then counted. With `compact`, the
    store compacts between two batches, so a call's legs may lie on both sides of it."""
    api, examples = small_app
    n = next(examples)
    client = api.customer()
    mine, other = api.account(client), api.account(client)
    rng = random.Random(seed)
    rows = generate(rng, calls, n * 1000, [client, client, 1, None],
                    {client: [mine, other], 1: [11]}, SMALL_TIMES)
    split = rng.randrange(len(rows) + 1)
    for batch in (rows[:split], rows[split:]):
        if batch:
            api.cdrs(batch)
        if compact:
            api.services.store.compact()  # type: ignore[attr-defined]
    names = {"mine": mine, "other": other}
    account_ids = None if accounts is None else [names[a] for a in accounts]
    token = api.dynamic_token(client, account_ids)
    params: list[tuple[str, str]] = []
    start, end = NOW - DAY, NOW
    if window is not None:
        start, end = sorted(rng.sample(SMALL_TIMES, 2))
        if window < 2:  # start ≥ end: zeros
            start, end = (end, start) if window == 0 else (end, end)
        params = [("start_datetime", rng.choice(spellings(start))),
                  ("end_datetime", rng.choice(spellings(end)))]
    scope = Scope(client, frozenset(account_ids or ()), start, end, None)
    check(api, [stored(r) for r in rows], path("@me", per_call), params, token, scope,
          per_call)
