"""Where the management commands (customers, accounts, logins, token mint) act: a running
server through its admin API (`--url`), or the metadata database of a data directory.

Both say where they act (`where`), so no command changes one place while the user looks
at another; a local one also warns when a server answering at CALLSTATS_HOST:PORT holds
other data than the one it writes to.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

import httpx

from callstats.auth.tokens import mint_dynamic_token, mint_token
from callstats.cli.remote import AdminClient, ServerError, error_message
from callstats.metadata.store import (
    Account,
    ApiAccess,
    Conflict,
    Customer,
    InvalidValue,
    MetadataStore,
    MissingReference,
)
from callstats.redact import redact_url
from callstats.settings import Settings


class ManageError(Exception):
    """A refused change, as one message for the user."""


class Backend(Protocol):
    where: str

    def create_customer(self, name: str, id: int | None) -> Customer: ...
    def list_customers(self) -> list[Customer]: ...
    def delete_customer(self, id: int) -> bool: ...
    def create_account(self, customer_id: int, name: str, uuid: str | None,
                       id: int | None) -> Account: ...
    def list_accounts(self, customer_id: int | None) -> list[Account]: ...
    def delete_account(self, id: int) -> bool: ...
    def create_api_access(self, customer_id: int, login: str, password: str,
                          account_ids: list[int], allowed_ips: list[str]) -> ApiAccess: ...
    def list_api_accesses(self, customer_id: int | None) -> list[ApiAccess]: ...
    def delete_api_access(self, id: int) -> bool: ...
    def mint(self, login: str | None, customer_id: int | None, account_ids: list[int],
             allowed_ips: list[str], lifetime: int | None) -> str: ...
    def close(self) -> None: ...


class LocalBackend:
    """The metadata database the settings name (default `<data_dir>/metadata.sqlite`)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        if not settings.metadata_url:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.where = describe_local(settings)
        self._store = MetadataStore(settings.metadata_database_url())

    def close(self) -> None:
        self._store.close()

    def _do(self, action: Any, *args: Any) -> Any:
        try:
            return action(*args)
        except (Conflict, MissingReference, InvalidValue) as exc:
            raise ManageError(str(exc)) from None

    def create_customer(self, name: str, id: int | None) -> Customer:
        customer: Customer = self._do(self._store.create_customer, name, id)
        return customer

    def list_customers(self) -> list[Customer]:
        return self._store.list_customers()

    def delete_customer(self, id: int) -> bool:
        return self._store.delete_customer(id)

    def create_account(self, customer_id: int, name: str, uuid: str | None,
                       id: int | None) -> Account:
        account: Account = self._do(self._store.create_account, customer_id, name, uuid, id)
        return account

    def list_accounts(self, customer_id: int | None) -> list[Account]:
        return self._store.list_accounts(customer_id)

    def delete_account(self, id: int) -> bool:
        return self._store.delete_account(id)

    def create_api_access(self, customer_id: int, login: str, password: str,
                          account_ids: list[int], allowed_ips: list[str]) -> ApiAccess:
        access: ApiAccess = self._do(self._store.create_api_access, customer_id, login,
                                     password, account_ids, allowed_ips)
        return access

    def list_api_accesses(self, customer_id: int | None) -> list[ApiAccess]:
        return self._store.list_api_accesses(customer_id)

    def delete_api_access(self, id: int) -> bool:
        return self._store.delete_api_access(id)

    def mint(self, login: str | None, customer_id: int | None, account_ids: list[int],
             allowed_ips: list[str], lifetime: int | None) -> str:
        secret = self.settings.ensure_jwt_secret()
        seconds = lifetime or self.settings.token_lifetime
        if login is not None:
            access = self._store.find_login(login)
            if access is None:
                raise ManageError(f"login {login!r} not found in {self.where}")
            return mint_token(secret, access.id, seconds, time.time())
        assert customer_id is not None
        return mint_dynamic_token(secret, customer_id, seconds, time.time(), account_ids,
                                  allowed_ips)


class RemoteBackend:
    """A running server's admin API."""

    def __init__(self, url: str, admin_token: str):
        self._client = AdminClient(url, admin_token)
        self.where = f"the server at {self._client.url}"

    def close(self) -> None:
        self._client.close()

    def _json(self, method: str, path: str, *expected: int, **kwargs: Any) -> Any:
        try:
            response = self._client.request(method, path, **kwargs)
            return self._client.json(response, *expected)
        except ServerError as exc:
            raise ManageError(str(exc)) from None

    def _delete(self, path: str) -> bool:
        try:
            response = self._client.request("DELETE", path)
        except ServerError as exc:
            raise ManageError(str(exc)) from None
        if response.status_code == 404:
            return False
        self._client.json(response, 204)
        return True

    def create_customer(self, name: str, id: int | None) -> Customer:
        return Customer(**self._json("POST", "/customers", 201, json={"name": name, "id": id}))

    def list_customers(self) -> list[Customer]:
        return [Customer(**c) for c in self._json("GET", "/customers", 200)]

    def delete_customer(self, id: int) -> bool:
        return self._delete(f"/customers/{id}")

    def create_account(self, customer_id: int, name: str, uuid: str | None,
                       id: int | None) -> Account:
        body = {"customer_id": customer_id, "name": name, "uuid": uuid, "id": id}
        return Account(**self._json("POST", "/accounts", 201, json=body))

    def list_accounts(self, customer_id: int | None) -> list[Account]:
        accounts = [Account(**a) for a in self._json("GET", "/accounts", 200)]
        return [a for a in accounts if customer_id is None or a.customer_id == customer_id]

    def delete_account(self, id: int) -> bool:
        return self._delete(f"/accounts/{id}")

    def create_api_access(self, customer_id: int, login: str, password: str,
                          account_ids: list[int], allowed_ips: list[str]) -> ApiAccess:
        body = {"customer_id": customer_id, "login": login, "password": password,
                "account_ids": account_ids, "allowed_ips": allowed_ips}
        return ApiAccess(**self._json("POST", "/api-accesses", 201, json=body))

    def list_api_accesses(self, customer_id: int | None) -> list[ApiAccess]:
        accesses = [ApiAccess(**a) for a in self._json("GET", "/api-accesses", 200)]
        return [a for a in accesses if customer_id is None or a.customer_id == customer_id]

    def delete_api_access(self, id: int) -> bool:
        return self._delete(f"/api-accesses/{id}")

    def mint(self, login: str | None, customer_id: int | None, account_ids: list[int],
             allowed_ips: list[str], lifetime: int | None) -> str:
        body = {"login": login, "customer_id": customer_id, "account_ids": account_ids,
                "allowed_ips": allowed_ips, "lifetime": lifetime}
        answer = self._json("POST", "/tokens", 201, json=body)
        return str(answer["token"])


def describe_local(settings: Settings) -> str:
    """The metadata database a local command uses, as the user would name it."""
    if settings.metadata_url:
        return f"the metadata database {redact_url(settings.metadata_url)}"
    return f"{(settings.data_dir / 'metadata.sqlite').resolve()}"


def serve_url(settings: Settings) -> str:
    """Where `callstats serve` with these settings listens, as a client reaches it."""
    host = settings.host
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


def other_server_warning(settings: Settings, what: str) -> str | None:
    """A warning when a server answers where `callstats serve` would listen but holds
    other data than `what` (the local metadata or store this command uses), else None."""
    url = serve_url(settings)
    headers = {"Authorization": f"Bearer {settings.admin_token}"} if settings.admin_token else {}
    try:
        response = httpx.get(url + "/api/admin/v1/instance", headers=headers, timeout=0.5)
    except httpx.HTTPError:
        return None  # nobody there: nothing to confuse this data with
    fix = (f"to manage that server instead, add --url {url} (or export CALLSTATS_URL={url}) "
           "with its admin token")
    if response.status_code == 200:
        served = response.json()
        if served.get("metadata") == redact_url(settings.metadata_database_url()):
            return None
        return (f"the server at {url} holds {served.get('data_dir')} (metadata "
                f"{served.get('metadata')}), but this command uses {what}: {fix}; or pass "
                "--data-dir to match it")
    if response.status_code in (401, 404) and error_message(response) in (
            "unauthorized", "not found"):
        return (f"a server answers at {url}, and this command does not go through it: it "
                f"uses {what}. If that server holds another data directory, {fix}")
    return None
