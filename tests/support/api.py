"""The customer API under test: the real app in-process (httpx.ASGITransport over
`create_app(services=Services.open(settings, clock=…))`), a real store and SQLite
metadata, data and tenants put in through the admin API.

`Api` drives the async app from a private event loop so hypothesis tests and module-scoped
datasets can be plain synchronous code.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path

import httpx
import jwt

from callstats.http.app import create_app
from callstats.http.services import Services
from callstats.settings import Settings
from tests.support.bodies import ADMIN, NDJSON, ndjson
from tests.support.times import iso

ADMIN_TOKEN = "test-admin-token"
SECRET = "api-test-secret-" + "z" * 32
PEER = "127.0.0.1"
TIME_KEYS = ("time_start", "time_connect", "time_end", "snapshot_timestamp", "start_time",
             "connect_time")


class Clock:
    """The server clock of a test app: fixed until a test moves it."""

    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


class Api:
    def __init__(self, data_dir: Path, now: float, **settings: object):
        base: dict[str, object] = {"data_dir": data_dir, "admin_token": ADMIN_TOKEN,
                                   "jwt_secret": SECRET}
        self.settings = Settings(**{**base, **settings})  # type: ignore[arg-type]
        self.clock = Clock(now)
        self.services = Services.open(self.settings, clock=self.clock)
        self.app = create_app(services=self.services)
        self.loop = asyncio.new_event_loop()
        self._clients: dict[str, httpx.AsyncClient] = {}

    def close(self) -> None:
        for client in self._clients.values():
            self.loop.run_until_complete(client.aclose())
        self.loop.close()
        self.services.close()

    def _client(self, peer: str) -> httpx.AsyncClient:
        if peer not in self._clients:
            transport = httpx.ASGITransport(app=self.app, client=(peer, 50123))
            self._clients[peer] = httpx.AsyncClient(transport=transport,
                                                    base_url="http://testserver")
        return self._clients[peer]

    def request(self, method: str, url: str, *, peer: str = PEER, **kw: object
                ) -> httpx.Response:
        return self.loop.run_until_complete(
            self._client(peer).request(method, url, **kw))  # type: ignore[arg-type]

    def get(self, url: str, params: object = None, token: str | None = None,
            headers: Mapping[str, str] | None = None, **kw: object) -> httpx.Response:
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = token
        return self.request("GET", url, params=params, headers=all_headers, **kw)

    # --- the operator's side -------------------------------------------------------------

    def admin(self, method: str, path: str, payload: object = None) -> object:
        response = self.request(method, ADMIN + path, json=payload,
                                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert response.status_code in (200, 201, 204), response.text
        return response.json() if response.content else None

    def customer(self, name: str, id: int | None = None) -> int:
        return self.admin("POST", "/customers", {"name": name, "id": id})["id"]  # type: ignore[index]

    def account(self, customer_id: int, id: int | None = None, uuid: str | None = None
                ) -> tuple[int, str]:
        made = self.admin("POST", "/accounts", {"customer_id": customer_id, "name": f"acc{id}",
                                                "id": id, "uuid": uuid})
        return made["id"], made["uuid"]  # type: ignore[index]

    def login(self, customer_id: int, login: str, password: str = "pw",
              account_ids: Iterable[int] = (), allowed_ips: Iterable[str] = ()) -> int:
        made = self.admin("POST", "/api-accesses", {
            "customer_id": customer_id, "login": login, "password": password,
            "account_ids": list(account_ids), "allowed_ips": list(allowed_ips)})
        return made["id"]  # type: ignore[index]

    def token(self, api_access_id: int, lifetime: int = 10 * 365 * 86400) -> str:
        """A token exactly as yeti mints it (PyJWT, the seed's claim shape)."""
        claims = {"aud": ["customer-v1"], "sub": api_access_id,
                  "exp": int(self.clock()) + lifetime}
        return jwt.encode(claims, SECRET, algorithm="HS256")

    def dynamic_token(self, customer_id: int, account_ids: list[int] | None = None,
                      allowed_ips: list[str] | None = None) -> str:
        cfg: dict[str, object] = {"customer_id": customer_id}
        if account_ids is not None:
            cfg["account_ids"] = account_ids
        if allowed_ips is not None:
            cfg["allowed_ips"] = allowed_ips
        claims = {"aud": ["customer-v1"], "sub": "D", "cfg": cfg,
                  "exp": int(self.clock()) + 10 * 365 * 86400}
        return jwt.encode(claims, SECRET, algorithm="HS256")

    def cdrs(self, rows: list[dict[str, object]]) -> None:
        body = ndjson([wire(r) for r in rows])
        response = self.request("POST", ADMIN + "/cdrs", content=body, headers={
            **NDJSON, "Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert response.status_code == 200, response.text
        assert response.json()["inserted"] == len(rows), response.text

    def snapshots(self, envelopes: list[dict[str, object]]) -> None:
        body = ndjson([wire(e) for e in envelopes])
        response = self.request("POST", ADMIN + "/active-calls", content=body, headers={
            **NDJSON, "Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert response.status_code == 200, response.text


def wire(value: object) -> object:
    """Test data (µs ints under *time* keys, Decimals) in the ingestion's JSON spelling."""
    if isinstance(value, dict):
        return {k: (iso(v) if isinstance(v, int) and k in TIME_KEYS else wire(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [wire(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value
