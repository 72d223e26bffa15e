"""GET /client/{client_id}/extensions/ (SPEC 5 extension): every extension id in the
client's CDRs of either direction, ascending, with its first and last call and CDR count,
on the accounts the caller may use — against a plain-Python reference on seeded multi-leg
calls, on every store; the PBX routes' auth and client rules."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import pytest

from tests.support.pbx import PbxApi
from tests.support.pbx_data import ACCOUNTS, NOW, generate
from tests.support.times import DAY, SECOND
from tests.support.wire import FORBIDDEN, UNAUTHORIZED, dumps

ROUTE = "/client/{}/extensions/"


def wall(micros: int) -> str:
    return datetime.fromtimestamp(micros // SECOND, UTC).strftime("%Y-%m-%d %H:%M:%S")


def expected(rows: list[dict[str, object]], client: int, accounts: frozenset[int]
             ) -> dict[str, object]:
    seen: dict[int, list[int]] = {}
    for row in rows:
        out = row.get("customer_id") == client and (
            not accounts or row.get("customer_acc_id") in accounts)
        into = row.get("vendor_id") == client and (
            not accounts or row.get("vendor_acc_id") in accounts)
        extension = row.get("extension_id")
        if (out or into) and extension is not None:
            seen.setdefault(int(extension), []).append(int(row["time_start"]))  # type: ignore[call-overload]
    data = [{"extension_id": e, "first_call": wall(min(t)), "last_call": wall(max(t)),
             "cdrs": len(t)} for e, t in sorted(seen.items())]
    return {"data": data, "rows": len(data)}


@pytest.fixture(scope="module")
def world(make_pbx: Callable[[int], PbxApi]) -> tuple[PbxApi, list[dict[str, object]]]:
    api = make_pbx(NOW)
    for customer, owned in ACCOUNTS.items():
        api.customer(customer)
        for account in owned:
            api.account(customer, account)
    rng = random.Random(1717)
    times = [NOW + rng.randrange(-40 * DAY, DAY) for _ in range(40)]
    rows = generate(rng, 400, 1, [1, 1, 2, 2, 3, None], ACCOUNTS, times)
    api.cdrs(rows)
    return api, rows


@pytest.mark.parametrize(("client", "limit"), [(1, ()), (1, (11,)), (2, (21, 22)), (2, (22,)),
                                               (3, ())])
@pytest.mark.parametrize("slash", [True, False])
def test_extensions_match_the_reference(world: tuple[PbxApi, list[dict[str, object]]],
                                        client: int, limit: tuple[int, ...], slash: bool
                                        ) -> None:
    api, rows = world
    token = api.dynamic_token(client, list(limit) or None)
    for who in ("@me", str(client)):
        route = ROUTE.format(who)
        response = api.get(route if slash else route.rstrip("/"), token=token)
        assert response.status_code == 200, response.text
        assert response.content == dumps(expected(rows, client, frozenset(limit)))
        assert response.headers["content-type"] == "application/json; charset=utf-8"


def test_the_dataset_has_extensions_in_both_directions(
        world: tuple[PbxApi, list[dict[str, object]]]) -> None:
    _, rows = world
    body: Mapping[str, object] = expected(rows, 1, frozenset())
    assert body["rows"] == 4
    assert any(r.get("vendor_id") == 1 and r.get("extension_id") for r in rows)


def test_another_client_is_403_and_no_token_is_401(
        world: tuple[PbxApi, list[dict[str, object]]]) -> None:
    api, _ = world
    token = api.dynamic_token(1)
    assert api.get(ROUTE.format(2), token=token).content == FORBIDDEN
    assert api.get(ROUTE.format("@me")).content == UNAUTHORIZED
    assert api.get(ROUTE.format(2)).status_code == 401  # 401 before 403
