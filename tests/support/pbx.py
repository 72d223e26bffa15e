"""The PBX statistics under test (SPEC 5): `PbxApi`, the customer API's test app with the
PBX routes' shapes, and a plain-Python reference of SPEC 5's counting rules for the
differential tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from callstats.auth.tokens import mint_dynamic_token, mint_token
from tests.support.api import SECRET, Api
from tests.support.times import SECOND

LIFETIME = 10 * 365 * 86_400
CALL_KEYS = ("answered", "bridged", "bridged_duration", "busy", "duration", "failed",
             "not answered", "rejected", "total")
CDR_KEYS = (*CALL_KEYS, "diverted", "answered elsewhere")


def path(client_id: object, per_call: bool, slash: bool = True) -> str:
    kind = "calls" if per_call else "cdr"
    return f"/client/{client_id}/{kind}/stats" + ("/" if slash else "")


class PbxApi(Api):
    """The app with a clock in µs, and tenants named after their ids."""

    def __init__(self, data_dir: Path, now_us: int, store: str = ""):
        super().__init__(data_dir, now_us / SECOND, store=store)

    def stats(self, token: str, per_call: bool, client_id: object = "@me",
              params: object = None) -> httpx.Response:
        return self.get(path(client_id, per_call), params, token=token)

    def customer(self, id: int | None = None) -> int:  # type: ignore[override]
        return super().customer(f"customer {id}", id)

    def account(self, customer_id: int, id: int | None = None) -> int:  # type: ignore[override]
        return super().account(customer_id, id)[0]

    def login(self, customer_id: int, login: str,  # type: ignore[override]
              account_ids: Iterable[int] = ()) -> int:
        return super().login(customer_id, login, "pw-" + login, account_ids)

    def jwt(self, login: str) -> str:
        """A token of a login, by POST /auth as a customer gets it."""
        response = self.request("POST", "/api/rest/customer/v1/auth",
                                json={"auth": {"login": login, "password": "pw-" + login}})
        assert response.status_code == 201, response.text
        return str(response.json()["jwt"])

    def token(self, api_access_id: int, lifetime: int = LIFETIME) -> str:
        return mint_token(SECRET, api_access_id, lifetime, self.clock())

    def dynamic_token(self, customer_id: int,  # type: ignore[override]
                      account_ids: list[int] | None = None) -> str:
        return mint_dynamic_token(SECRET, customer_id, LIFETIME, self.clock(), account_ids)

    def cdrs(self, rows: Sequence[Mapping[str, object]]) -> None:  # type: ignore[override]
        super().cdrs([dict(r) for r in rows])


# --- the reference: SPEC 5 in plain Python -------------------------------------------------

@dataclass(frozen=True)
class Stored:
    """One CDR as ingestion stores it: SPEC 3.1's defaults applied."""

    id: int
    time_start: int
    duration: int
    customer_id: int | None
    customer_acc_id: int | None
    vendor_id: int | None
    vendor_acc_id: int | None
    extension_id: int | None
    local_tag: str | None
    is_last_cdr: bool
    codes: tuple[int | None, int | None, int | None]  # legb, lega, internal
    bridged: bool
    bridged_duration: int
    redirected: bool
    elsewhere: bool


def stored(row: Mapping[str, object]) -> Stored:
    def get(key: str, default: object = None) -> object:
        value = row.get(key)
        return default if value is None else value

    duration = int(row["duration"])  # type: ignore[call-overload]
    bridged = bool(get("bridged", duration > 0))
    return Stored(
        int(row["id"]), int(row["time_start"]), duration,  # type: ignore[call-overload]
        get("customer_id"), get("customer_acc_id"), get("vendor_id"),  # type: ignore[arg-type]
        get("vendor_acc_id"), get("extension_id"), get("local_tag"),  # type: ignore[arg-type]
        bool(get("is_last_cdr", True)),
        tuple(get(k) or None for k in ("legb_disconnect_code", "lega_disconnect_code",
                                       "internal_disconnect_code")),  # type: ignore[arg-type]
        bridged, int(get("bridged_duration", duration if bridged else 0)),  # type: ignore[call-overload]
        bool(get("is_redirected", False)), bool(get("answered_elsewhere", False)),
    )


def disposition(cdr: Stored) -> str:
    if cdr.duration > 0:
        return "answered"
    code = next((c for c in cdr.codes if c is not None), None)
    if code in (486, 600):
        return "busy"
    if code in (603, 607):
        return "rejected"
    if code in (408, 480, 487):
        return "not answered"
    return "failed"


def _zeros(keys: Sequence[str]) -> dict[str, int]:
    return dict.fromkeys(keys, 0)


def count_cdrs(cdrs: Iterable[Stored]) -> dict[str, int]:
    counts = _zeros(CDR_KEYS)
    for cdr in cdrs:
        kind = disposition(cdr)
        counts[kind] += 1
        counts["total"] += 1
        if kind == "answered":
            counts["duration"] += cdr.duration
        if cdr.bridged:
            counts["bridged"] += 1
            counts["bridged_duration"] += cdr.bridged_duration
        counts["diverted"] += cdr.redirected
        counts["answered elsewhere"] += cdr.elsewhere
    return counts


def count_calls(cdrs: Iterable[Stored]) -> dict[str, int]:
    calls: dict[object, list[Stored]] = {}
    for cdr in cdrs:
        key = cdr.local_tag if cdr.local_tag else ("alone", cdr.id)
        calls.setdefault(key, []).append(cdr)
    counts = _zeros(CALL_KEYS)
    for legs in calls.values():
        counts["total"] += 1
        if any(leg.duration > 0 for leg in legs):
            counts["answered"] += 1
            counts["duration"] += sum(leg.duration for leg in legs)
        else:
            last = [leg for leg in legs if leg.is_last_cdr] or legs
            counts[disposition(max(last, key=lambda leg: (leg.time_start, leg.id)))] += 1
        bridged = [leg for leg in legs if leg.bridged]
        if bridged:
            counts["bridged"] += 1
            counts["bridged_duration"] += sum(leg.bridged_duration for leg in bridged)
    return counts


@dataclass(frozen=True)
class Scope:
    """What one request asks for, already resolved (defaults applied)."""

    client_id: int
    account_ids: frozenset[int]  # empty: all
    start_us: int
    end_us: int
    extensions: frozenset[int] | None


def expected(cdrs: Iterable[Stored], scope: Scope, per_call: bool) -> dict[str, dict]:
    body = {}
    for direction in ("in", "out"):
        def keep(c: Stored, direction: str = direction) -> bool:
            client, account = ((c.customer_id, c.customer_acc_id) if direction == "out"
                               else (c.vendor_id, c.vendor_acc_id))
            return (client == scope.client_id
                    and (not scope.account_ids or account in scope.account_ids)
                    and scope.start_us <= c.time_start < scope.end_us
                    and (scope.extensions is None or c.extension_id in scope.extensions))

        chosen = [c for c in cdrs if keep(c)]
        body[direction] = count_calls(chosen) if per_call else count_cdrs(chosen)
    return body
