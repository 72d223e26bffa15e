"""The seeded dataset of the reports' differential tests (and of the parity suite): what is
sent, what ingestion stores, and the values the drawn filters pick from; the world those
tests ask (tenants and tokens over the dataset) and how they compare an answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import httpx
from hypothesis import event
from hypothesis.control import currently_in_test_context

from tests.support import api_data
from tests.support.api import Api
from tests.support.api_data import NOW
from tests.support.times import SECOND
from tests.support.wire import V1, dumps

SENT_CDRS = api_data.cdrs(seed=7, count=2500)
SENT_SNAPSHOTS = api_data.snapshots(seed=8)
CDRS, SNAPSHOTS = api_data.stored(SENT_CDRS), api_data.stored(SENT_SNAPSHOTS)
CDR_TIMES = sorted({c["time_start"] for c in CDRS})
SNAPSHOT_TIMES = sorted({s["snapshot_timestamp"] for s in SNAPSHOTS})
TEXTS = [t for t in api_data.TEXTS if t]
INTS = sorted({0, 1, 2, 3, 44, 5, 30, 60, 600, 3600, -1, 5060, 8888}
              | {c["duration"] for c in CDRS[:50]})
DECIMALS = sorted({c.get("customer_price", Decimal(0)) for c in CDRS[:40]}
                  | {c.get("vendor_price", Decimal(0)) for c in CDRS[:40]})

# Request spans (seconds) per sampling: inside the point limit, and beyond it.
SPANS = {"minute": [3 * 3600, 60_000 * 60], "5minutes": [86400, 60_000 * 300],
         "hour": [3 * 86400, 60_000 * 3600], "day": [30 * 86400, 60_000 * 86400]}


@dataclass
class World:
    api: Api
    uuids: dict[int, str]
    tokens: dict[int, str]  # customer id → token of a login with all its accounts

    def call(self, path: str, account: int, params: list[tuple[str, str]], now: int,
             shuffle: list[int]) -> httpx.Response:
        """GET a customer report at clock `now`, the params reordered by `shuffle`."""
        self.api.clock.now = now / SECOND
        ordered = [params[i] for i in shuffle if i < len(params)] + params[len(shuffle):]
        return self.api.get(V1 + path, params=ordered,
                            token=self.tokens[api_data.ACCOUNTS[account]])

    def account_param(self, account: int, upper: bool) -> str:
        uuid = self.uuids[account]
        return uuid.upper() if upper else uuid


def seeded_world(make_api: Callable[..., Api], snapshots: bool = True) -> World:
    """Customers 1 and 2 with api_data's accounts and a login each, holding the seeded
    CDRs (and snapshots)."""
    api = make_api(NOW / SECOND)
    api.customer("one", 1)
    api.customer("two", 2)
    uuids = {acc: api.account(customer, id=acc)[1]
             for acc, customer in api_data.ACCOUNTS.items()}
    tokens = {customer: api.token(api.login(customer, f"login{customer}"))
              for customer in (1, 2)}
    api.cdrs(SENT_CDRS)
    if snapshots:
        api.snapshots(SENT_SNAPSHOTS)
    return World(api, uuids, tokens)


def check_body(response: httpx.Response, expected: object) -> None:
    """A 200 whose body is `expected`, byte for byte (SPEC 4.6's compact JSON)."""
    assert response.status_code == 200, response.text
    if currently_in_test_context():
        rows = expected["rows"]  # type: ignore[index]
        event(f"rows: {min(rows, 3)}{'+' if rows >= 3 else ''}")
    got = response.json()
    assert got == expected, first_difference(got, expected, response.request.url)
    assert response.content == dumps(expected)


def first_difference(got: object, expected: object, where: object) -> str:
    if isinstance(got, dict) and isinstance(expected, dict):
        for key in got.keys() | expected.keys():
            if got.get(key) != expected.get(key):
                return f"{key}: " + first_difference(got.get(key), expected.get(key), where)
    if isinstance(got, list) and isinstance(expected, list) and len(got) == len(expected):
        for i, (a, b) in enumerate(zip(got, expected, strict=True)):
            if a != b:
                return f"[{i}] " + first_difference(a, b, where)
    return f"{got!r} != {expected!r} ({where})"
