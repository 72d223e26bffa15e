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
from pbx_helpers import (
    DAY,
    SECOND,
    PbxApi,
    Scope,
    Stored,
    dumps,
    expected,
    path,
    spellings,
    stored,
    us,
)

NOW = us("2024-06-15T12:00:00Z")
ACCOUNTS = {1: [11, 12], 2: [21, 22], 3: [31]}  # customer → its accounts
CODES = [486, 600, 603, 607, 408, 480, 487, 500, 503, 404, 200]
EXTENSIONS = [100, 101, 102, 200]
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _maybe(rng: random.Random, value: object, p: float = 0.5) -> object:
    return value if rng.random() < p else None


def _flag(rng: random.Random) -> object:
    """A boolean in one of the ingestion's spellings, or missing."""
    return rng.choice([None, None, None, True, False, 1, 0])


def _code(rng: random.Random) -> object:
    roll = rng.random()
    return None if roll < 0.45 else 0 if roll < 0.6 else rng.choice(CODES)


def generate(rng: random.Random, calls: int, first_id: int, customers: list[int | None],
             accounts: dict[int, list[int]], times: list[int]) -> list[dict[str, object]]:
    """Multi-leg calls: a customer per call, a vendor per leg (routing attempts), local_tags
    of their own, shared across calls, empty or missing, every optional column sometimes
    missing, codes sometimes 0 (not set), bridged sometimes given against the duration."""
    rows: list[dict[str, object]] = []
    for c in range(calls):
        roll = rng.random()
        tag = (f"call-{first_id}-{c}" if roll < 0.6 else f"shared-{rng.randrange(8)}"
               if roll < 0.75 else rng.choice(["", None]))
        customer = rng.choice(customers)
        t0 = rng.choice(times) + rng.choice([0, 0, rng.randrange(-600, 600) * SECOND])
        for _ in range(rng.choice([1, 1, 1, 2, 2, 3, 4])):
            vendor = rng.choice(customers)
            row: dict[str, object] = {
                "time_start": t0 + rng.choice([0, 0, rng.randrange(60 * SECOND)]),
                "duration": 0 if rng.random() < 0.6 else rng.randrange(1, 3600),
                "customer_id": customer, "vendor_id": vendor,
                "customer_acc_id": _account(rng, customer, accounts),
                "vendor_acc_id": _account(rng, vendor, accounts),
                "extension_id": rng.choice([None, *EXTENSIONS]),
                "local_tag": tag, "is_last_cdr": _flag(rng),
                "legb_disconnect_code": _code(rng), "lega_disconnect_code": _code(rng),
                "internal_disconnect_code": _code(rng),
                "bridged": rng.choice([None, None, None, True, False]),
                "bridged_duration": _maybe(rng, rng.randrange(0, 500), 0.3),
                "is_redirected": _flag(rng), "answered_elsewhere": _flag(rng),
            }
            rows.append({k: v for k, v in row.items() if v is not None or rng.random() < 0.3})
    ids = list(range(first_id, first_id + len(rows)))
    rng.shuffle(ids)  # id order is not time order: ties on time_start go to the highest id
    return [{"id": i, **row} for i, row in zip(ids, rows, strict=True)]


def _account(rng: random.Random, customer: int | None, accounts: dict[int, list[int]]
             ) -> int | None:
    roll = rng.random()
    if customer in accounts and roll < 0.8:
        return rng.choice(accounts[customer])
    if roll < 0.9:
        return None
    return rng.choice([a for owned in accounts.values() for a in owned])


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
def extension_params(draw: st.DrawFn) -> tuple[list[tuple[str, str]], frozenset[int] | None]:
    """An extension filter in one of its spellings (or none, or sent empty)."""
    ids = draw(st.lists(st.sampled_from([*EXTENSIONS, 999, -1]), min_size=1, max_size=4))
    form = draw(st.sampled_from(["none", "empty", "repeat", "brackets", "comma", "mixed"]))
    if form == "none":
        return [], None
    if form == "empty":
        return [(draw(st.sampled_from(["extension_id", "extension_id[]"])), "")], None
    texts = [str(i) for i in ids]
    if form == "repeat":
        params = [("extension_id", t) for t in texts]
    elif form == "brackets":
        params = [("extension_id[]", t) for t in texts]
    elif form == "comma":
        params = [("extension_id", ",".join(texts))]
    else:
        params = [("extension_id", ",".join(texts[:2]))]
        params += [("extension_id[]", t) for t in texts[2:]]
    return params, frozenset(ids)


def time_param(draw: st.DrawFn, name: str, bounds: list[int]
               ) -> tuple[list[tuple[str, str]], int | None]:
    moment = draw(st.none() | st.sampled_from(bounds))
    if moment is None:
        return draw(st.sampled_from([[], [(name, "")]])), None
    return [(name, draw(st.sampled_from(spellings(moment))))], moment


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
