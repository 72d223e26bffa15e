"""The PBX statistics under test (SPEC 5): the real app in-process over a real DuckDB store
and SQLite metadata, tenants and CDRs put in through the admin API, plus a plain-Python
reference of SPEC 5's counting rules for the differential tests.

`PbxApi` drives the async app from a private event loop so hypothesis tests and
module-scoped datasets can be plain synchronous code.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
from http_helpers import ADMIN, NDJSON, ndjson

from callstats.auth.tokens import mint_dynamic_token, mint_token
from callstats.http.app import create_app
from callstats.http.services import Services
from callstats.settings import Settings

ADMIN_TOKEN = "test-admin-token"
SECRET = "pbx-test-secret-" + "p" * 32
SECOND = 1_000_000
DAY = 86_400 * SECOND
LIFETIME = 10 * 365 * 86_400

CALL_KEYS = ("answered", "bridged", "bridged_duration", "busy", "duration", "failed",
             "not answered", "rejected", "total")
CDR_KEYS = (*CALL_KEYS, "diverted", "answered elsewhere")

UNAUTHORIZED = b'{"errors":[{"title":"Unauthorized","code":"401","status":"401"}]}'
FORBIDDEN = b'{"error":"forbidden"}'
SECURITY_HEADERS = {
    "x-frame-options": "SAMEORIGIN",
    "x-xss-protection": "0",
    "x-content-type-options": "nosniff",
    "x-permitted-cross-domain-policies": "none",
    "referrer-policy": "strict-origin-when-cross-origin",
    "vary": "Accept",
}


def invalid(param: str) -> bytes:
    return b'{"error":"invalid value %s"}' % param.encode()


def etag_of(body: bytes) -> str:
    return f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'


def path(client_id: object, per_call: bool, slash: bool = True) -> str:
    kind = "calls" if per_call else "cdr"
    return f"/client/{client_id}/{kind}/stats" + ("/" if slash else "")


# --- times ---------------------------------------------------------------------------------

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def us(text: str) -> int:
    """Unix µs of an ISO time (UTC when it has no offset), computed test-side."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - EPOCH
    return (delta.days * 86400 + delta.seconds) * SECOND + delta.microseconds


def iso(micros: int) -> str:
    """RFC 3339 UTC with microseconds."""
    return (EPOCH + timedelta(microseconds=micros)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def spellings(micros: int) -> list[str]:
    """Every SPEC 4.2 spelling that names exactly this instant."""
    moment = EPOCH + timedelta(microseconds=micros)
    frac = f".{moment.microsecond:06d}" if moment.microsecond else ""
    base = moment.strftime("%Y-%m-%dT%H:%M:%S") + frac
    plus2 = (moment + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S") + frac
    west = (moment - timedelta(hours=5, minutes=30)).strftime("%Y-%m-%dT%H:%M:%S") + frac
    found = [base + "Z", base, base.replace("T", " "), base + ".000" * (not frac) + "Z",
             plus2 + "+02:00", plus2 + "+0200", plus2 + " 02:00", west + "-05:30",
             west.replace("T", " ") + "-0530", base + "+00:00"]
    if micros % DAY == 0:
        found.append(moment.strftime("%Y-%m-%d"))
    return found


# --- the app ---------------------------------------------------------------------------------

class Clock:
    """A fixed server clock."""

    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


class PbxApi:
    def __init__(self, data_dir: Path, now_us: int, store: str = ""):
        self.settings = Settings(data_dir=data_dir, admin_token=ADMIN_TOKEN,
                                 jwt_secret=SECRET, store=store)
        self.clock = Clock(now_us / SECOND)
        self.services = Services.open(self.settings, clock=self.clock)
        self.loop = asyncio.new_event_loop()
        transport = httpx.ASGITransport(app=create_app(services=self.services),
                                        client=("127.0.0.1", 50123))
        self.client = httpx.AsyncClient(transport=transport, base_url="http://testserver")

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()
        self.services.close()

    def request(self, method: str, url: str, **kw: object) -> httpx.Response:
        return self.loop.run_until_complete(
            self.client.request(method, url, **kw))  # type: ignore[arg-type]

    def get(self, url: str, params: object = None, token: str | None = None,
            headers: Mapping[str, str] | None = None, **kw: object) -> httpx.Response:
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = token
        return self.request("GET", url, params=params, headers=all_headers, **kw)

    def stats(self, token: str, per_call: bool, client_id: object = "@me",
              params: object = None) -> httpx.Response:
        return self.get(path(client_id, per_call), params, token=token)

    # --- the operator's side --------------------------------------------------------------

    def admin(self, method: str, url: str, payload: object = None) -> object:
        response = self.request(method, ADMIN + url, json=payload,
                                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert response.status_code in (200, 201, 204), response.text
        return response.json() if response.content else None

    def customer(self, id: int | None = None) -> int:
        made = self.admin("POST", "/customers", {"name": f"customer {id}", "id": id})
        return made["id"]  # type: ignore[index]

    def account(self, customer_id: int, id: int | None = None) -> int:
        made = self.admin("POST", "/accounts",
                          {"customer_id": customer_id, "name": f"acc {id}", "id": id})
        return made["id"]  # type: ignore[index]

    def login(self, customer_id: int, login: str, account_ids: Iterable[int] = ()) -> int:
        made = self.admin("POST", "/api-accesses", {
            "customer_id": customer_id, "login": login, "password": "pw-" + login,
            "account_ids": list(account_ids)})
        return made["id"]  # type: ignore[index]

    def jwt(self, login: str) -> str:
        """A token of a login, by POST /auth as a customer gets it."""
        response = self.request("POST", "/api/rest/customer/v1/auth",
                                json={"auth": {"login": login, "password": "pw-" + login}})
        assert response.status_code == 201, response.text
        return response.json()["jwt"]

    def token(self, api_access_id: int) -> str:
        return mint_token(SECRET, api_access_id, LIFETIME, self.clock())

    def dynamic_token(self, customer_id: int, account_ids: list[int] | None = None) -> str:
        return mint_dynamic_token(SECRET, customer_id, LIFETIME, self.clock(), account_ids)

    def cdrs(self, rows: Sequence[Mapping[str, object]]) -> None:
        body = ndjson([wire(r) for r in rows])
        response = self.request("POST", ADMIN + "/cdrs", content=body, headers={
            **NDJSON, "Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert response.status_code == 200, response.text
        assert response.json()["inserted"] == len(rows), response.text


def wire(row: Mapping[str, object]) -> dict[str, object]:
    """A test CDR (time_start in µs) in the ingestion's JSON spelling."""
    return {k: iso(v) if k == "time_start" and isinstance(v, int) else v
            for k, v in row.items()}


def dumps(body: object) -> bytes:
    return orjson.dumps(body)


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
