"""The `callstats` command line."""

from __future__ import annotations

import getpass
import os
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from callstats.auth.tokens import mint_dynamic_token, mint_token
from callstats.cli import demo, simulate
from callstats.cli import ingest as ingest_files
from callstats.metadata.store import Conflict, InvalidValue, MetadataStore, MissingReference
from callstats.settings import Settings
from callstats.stores.base import StoreError

app = typer.Typer(no_args_is_help=True, help="Call statistics for VoIP customers.",
                  pretty_exceptions_enable=False)
ingest_app = typer.Typer(no_args_is_help=True, help="Load CDRs or active-call snapshots.")
customers_app = typer.Typer(no_args_is_help=True, help="Manage customers.")
accounts_app = typer.Typer(no_args_is_help=True, help="Manage customer accounts.")
logins_app = typer.Typer(no_args_is_help=True, help="Manage customer API logins.")
token_app = typer.Typer(no_args_is_help=True, help="Customer API tokens.")
app.add_typer(ingest_app, name="ingest")
app.add_typer(customers_app, name="customers")
app.add_typer(accounts_app, name="accounts")
app.add_typer(logins_app, name="logins")
app.add_typer(token_app, name="token")
app.command("demo")(demo.demo)
app.command("simulate")(simulate.simulate)

console = Console()
err = Console(stderr=True)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory [env CALLSTATS_DATA_DIR; ./callstats-data]"),
]


def load_settings(data_dir: Path | None = None, **overrides: object) -> Settings:
    settings = Settings()
    if data_dir is not None:
        settings.data_dir = data_dir
    for name, value in overrides.items():
        if value is not None:
            setattr(settings, name, value)
    return settings


def fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address [env CALLSTATS_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port [env CALLSTATS_PORT]")] = None,
    data_dir: DataDir = None,
) -> None:
    """Serve the customer API, the admin API and the PBX stats."""
    from callstats.http.app import create_app
    from callstats.http.server import server
    from callstats.logs import configure_logging

    settings = load_settings(data_dir, host=host, port=port)
    configure_logging(settings.log_level)
    server(create_app(settings), settings).run()


def _ingest(kind: str, files: list[Path], url: str | None, admin_token: str | None,
            data_dir: Path | None, batch_rows: int | None) -> None:
    settings = load_settings(data_dir)
    if batch_rows is None:  # a request stays well under CALLSTATS_MAX_BODY; a local
        batch_rows = (50_000 if url else 500_000) if kind == "cdrs" else 1_000  # txn is big
    for path in files:
        if not path.is_file():
            raise fail(f"{path}: no such file")
    try:
        if url:
            token = admin_token or settings.admin_token
            if not token:
                raise fail("--admin-token or CALLSTATS_ADMIN_TOKEN is needed with --url")
            sink, close = ingest_files.http_sink(url, token)
        else:
            sink, close = ingest_files.local_sink(settings)
    except StoreError as exc:
        raise fail(str(exc)) from None
    try:
        ingest_files.run(kind, files, sink, batch_rows, console)
        if not url and kind == "cdrs":
            console.print("New CDRs are clustered for fast reports by the server's "
                          "housekeeping, or now by `callstats compact`.")
    except ingest_files.IngestFailed as exc:
        raise fail(ingest_files.describe_failure(exc)) from None
    except Exception as exc:  # unreadable file, server down: one clear line, no traceback
        raise fail(f"{type(exc).__name__}: {exc}") from None
    finally:
        close()


Files = Annotated[list[Path], typer.Argument(help="NDJSON, CSV or Parquet files, maybe .gz")]
Url = Annotated[str | None, typer.Option(help="A running server, e.g. http://127.0.0.1:8080")]
AdminToken = Annotated[str | None, typer.Option(help="Admin token [env CALLSTATS_ADMIN_TOKEN]")]
BatchRows = Annotated[int | None, typer.Option(
    help="Rows per request (default 50,000) or, into --data-dir, per transaction "
    "(default 500,000)", min=1)]


@ingest_app.command("cdrs")
def ingest_cdrs(files: Files, url: Url = None, admin_token: AdminToken = None,
                data_dir: DataDir = None, batch_rows: BatchRows = None) -> None:
    """Load CDR files (columns: docs/data-format.md); already stored ids count as duplicates."""
    _ingest("cdrs", files, url, admin_token, data_dir, batch_rows)


@ingest_app.command("active-calls")
def ingest_active_calls(files: Files, url: Url = None, admin_token: AdminToken = None,
                        data_dir: DataDir = None, batch_rows: BatchRows = None) -> None:
    """Load active-call snapshots (docs/data-format.md): NDJSON envelopes, or flat
    CSV/Parquet rows carrying node_id and snapshot_timestamp."""
    _ingest("active-calls", files, url, admin_token, data_dir, batch_rows)


# --- metadata management ---------------------------------------------------------------


def _metadata(data_dir: Path | None) -> MetadataStore:
    settings = load_settings(data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return MetadataStore(settings.metadata_database_url())


def _run(action):  # type: ignore[no-untyped-def]
    try:
        return action()
    except (Conflict, MissingReference, InvalidValue) as exc:
        raise fail(str(exc)) from None


def _table(title: str, columns: list[str], rows: list[list[object]]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*[", ".join(map(str, v)) if isinstance(v, list) else str(v) for v in row])
    console.print(table)


@customers_app.command("add")
def customers_add(name: str, id: Annotated[int | None, typer.Option(help="Explicit id")] = None,
                  data_dir: DataDir = None) -> None:
    """Create a customer."""
    customer = _run(lambda: _metadata(data_dir).create_customer(name, id))
    console.print(f"customer {customer.id} {customer.name!r} created")


@customers_app.command("list")
def customers_list(data_dir: DataDir = None) -> None:
    """List customers."""
    rows = [[c.id, c.name] for c in _metadata(data_dir).list_customers()]
    _table("customers", ["id", "name"], rows)


@customers_app.command("delete")
def customers_delete(id: int, data_dir: DataDir = None) -> None:
    """Delete a customer with its accounts and logins (its CDRs stay)."""
    if not _metadata(data_dir).delete_customer(id):
        raise fail(f"customer {id} not found")
    console.print(f"customer {id} deleted")


@accounts_app.command("add")
def accounts_add(
    name: str,
    customer: Annotated[int, typer.Option(help="Owning customer id")],
    uuid: Annotated[str | None, typer.Option(help="Account UUID (default: new)")] = None,
    id: Annotated[int | None, typer.Option(help="Explicit id (the switch's account id)")] = None,
    data_dir: DataDir = None,
) -> None:
    """Create an account; its id is what CDRs carry in customer_acc_id / vendor_acc_id."""
    account = _run(lambda: _metadata(data_dir).create_account(customer, name, uuid, id))
    console.print(f"account {account.id} {account.name!r} uuid {account.uuid} created")


@accounts_app.command("list")
def accounts_list(customer: Annotated[int | None, typer.Option()] = None,
                  data_dir: DataDir = None) -> None:
    """List accounts."""
    rows = [[a.id, a.uuid, a.customer_id, a.name]
            for a in _metadata(data_dir).list_accounts(customer)]
    _table("accounts", ["id", "uuid", "customer", "name"], rows)


@accounts_app.command("delete")
def accounts_delete(id: int, data_dir: DataDir = None) -> None:
    """Delete an account (its CDRs stay)."""
    if not _metadata(data_dir).delete_account(id):
        raise fail(f"account {id} not found")
    console.print(f"account {id} deleted")


@logins_app.command("add")
def logins_add(
    login: str,
    customer: Annotated[int, typer.Option(help="Customer id")],
    password: Annotated[str | None, typer.Option(
        help="Password [env CALLSTATS_LOGIN_PASSWORD; prompted when absent]")] = None,
    account: Annotated[list[int] | None, typer.Option(
        help="Limit to this account id (repeatable; default all the customer's)")] = None,
    allow_ip: Annotated[list[str] | None, typer.Option(
        help="Allowed client CIDR (repeatable; default any)")] = None,
    data_dir: DataDir = None,
) -> None:
    """Create a customer API login."""
    secret = password or os.environ.get("CALLSTATS_LOGIN_PASSWORD") or getpass.getpass(
        "password: ")
    if not secret:
        raise fail("a password is required")
    access = _run(lambda: _metadata(data_dir).create_api_access(
        customer, login, secret, account or [], allow_ip or []))
    console.print(f"login {access.login!r} (api access {access.id}) created")


@logins_app.command("list")
def logins_list(customer: Annotated[int | None, typer.Option()] = None,
                data_dir: DataDir = None) -> None:
    """List customer API logins (never their passwords)."""
    rows = [[a.id, a.login, a.customer_id, a.account_ids or "all", a.allowed_ips or "any"]
            for a in _metadata(data_dir).list_api_accesses(customer)]
    _table("logins", ["id", "login", "customer", "accounts", "allowed IPs"], rows)


@logins_app.command("delete")
def logins_delete(id: int, data_dir: DataDir = None) -> None:
    """Delete a login; its tokens stop working at once."""
    if not _metadata(data_dir).delete_api_access(id):
        raise fail(f"login {id} not found")
    console.print(f"login {id} deleted")


@token_app.command("mint")
def token_mint(
    login: Annotated[str | None, typer.Option(help="Mint for this login")] = None,
    customer: Annotated[int | None, typer.Option(
        help="Mint a dynamic token (sub 'D') for this customer instead")] = None,
    account: Annotated[list[int] | None, typer.Option(
        help="Dynamic token: limit to account id (repeatable)")] = None,
    allow_ip: Annotated[list[str] | None, typer.Option(
        help="Dynamic token: allowed client CIDR (repeatable)")] = None,
    lifetime: Annotated[int | None, typer.Option(
        help="Seconds [env CALLSTATS_TOKEN_LIFETIME; 86400]")] = None,
    data_dir: DataDir = None,
) -> None:
    """Print a customer API token signed with the server's secret."""
    settings = load_settings(data_dir)
    secret = settings.ensure_jwt_secret()
    seconds = lifetime or settings.token_lifetime
    if (login is None) == (customer is None):
        raise fail("give exactly one of --login or --customer")
    if login is not None:
        access = MetadataStore(settings.metadata_database_url()).find_login(login)
        if access is None:
            raise fail(f"login {login!r} not found")
        typer.echo(mint_token(secret, access.id, seconds, time.time()))
    else:
        assert customer is not None
        typer.echo(mint_dynamic_token(secret, customer, seconds, time.time(), account or [],
                                      allow_ip or []))


@app.command()
def compact(data_dir: DataDir = None) -> None:
    """Reorganize the store now: DuckDB clusters new CDRs by account and time, ClickHouse
    merges parts (the server's housekeeping does this over time by itself)."""
    settings = load_settings(data_dir)
    try:
        store = settings.open_store()
    except StoreError as exc:
        raise fail(str(exc)) from None
    started = time.perf_counter()
    try:
        with console.status("compacting…"):
            rows = store.compact()
    finally:
        store.close()
    console.print(f"{rows:,} rows reorganized in "
                  f"{time.perf_counter() - started:.1f} s")


@app.command("settings")
def show_settings() -> None:
    """Every CALLSTATS_* variable with its current value and meaning (secrets hidden)."""
    settings = Settings()
    table = Table(title="settings")
    for column in ("variable", "value", "meaning"):
        table.add_column(column)
    for name, field in Settings.model_fields.items():
        value = getattr(settings, name)
        shown = "(set)" if value and name in SECRET_SETTINGS else str(value)
        table.add_row(f"CALLSTATS_{name.upper()}", shown, field.description or "")
    console.print(table)


SECRET_SETTINGS = {"admin_token", "jwt_secret"}


def main() -> None:
    app()


if __name__ == "__main__":
    main()
