"""The `callstats` command line."""

from __future__ import annotations

import getpass
import time
from pathlib import Path
from typing import Annotated, Literal

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from callstats.cli import demo, simulate
from callstats.cli import ingest as ingest_files
from callstats.cli.manage import (
    Backend,
    LocalBackend,
    ManageError,
    RemoteBackend,
    describe_local,
    other_server_warning,
)
from callstats.cli.remote import ServerError
from callstats.redact import redact_url
from callstats.settings import Settings
from callstats.stores.base import StoreError

# Markdown help: single line breaks in docstrings and help strings reflow (rich mode keeps
# them, so lines wrapped in the source would wrap mid-sentence on screen).
MARKUP: Literal["markdown"] = "markdown"
app = typer.Typer(no_args_is_help=True, help="Call statistics for VoIP customers.",
                  pretty_exceptions_enable=False, rich_markup_mode=MARKUP)
ingest_app = typer.Typer(no_args_is_help=True, help="Load CDRs or active-call snapshots.",
                         rich_markup_mode=MARKUP)
customers_app = typer.Typer(no_args_is_help=True, help="Manage customers.",
                            rich_markup_mode=MARKUP)
accounts_app = typer.Typer(no_args_is_help=True, help="Manage customer accounts.",
                           rich_markup_mode=MARKUP)
logins_app = typer.Typer(no_args_is_help=True, help="Manage customer API logins.",
                         rich_markup_mode=MARKUP)
token_app = typer.Typer(no_args_is_help=True, help="Mint customer API tokens.",
                        rich_markup_mode=MARKUP)
app.add_typer(ingest_app, name="ingest")
app.add_typer(customers_app, name="customers")
app.add_typer(accounts_app, name="accounts")
app.add_typer(logins_app, name="logins")
app.add_typer(token_app, name="token")
app.command("demo")(demo.demo)
app.command("simulate")(simulate.simulate)

console = Console()
err = Console(stderr=True)
DEFAULTS = Settings.model_fields

DataDir = Annotated[Path, typer.Option(
    "--data-dir", envvar="CALLSTATS_DATA_DIR",
    help="Data directory: the DuckDB store and the default SQLite metadata")]
DEFAULT_DATA_DIR: Path = DEFAULTS["data_dir"].default
Url = Annotated[str | None, typer.Option(
    envvar="CALLSTATS_URL", show_default=False,
    help="A running server to act on through its admin API, e.g. http://127.0.0.1:8080 "
    "(default: act on the data directory's own files)")]
AdminToken = Annotated[str | None, typer.Option(
    envvar="CALLSTATS_ADMIN_TOKEN", show_default=False,
    help="Admin token of the --url server (the CALLSTATS_ADMIN_TOKEN it was started with)")]


def load_settings(data_dir: Path | None = None, **overrides: object) -> Settings:
    try:
        settings = Settings()
    except ValidationError as exc:
        raise fail("invalid settings: " + "; ".join(
            f"CALLSTATS_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}"
            for e in exc.errors()) + ". Fix the variables (`callstats settings` explains "
            "each) and run the command again") from None
    if data_dir is not None:
        settings.data_dir = data_dir
    for name, value in overrides.items():
        if value is not None:
            setattr(settings, name, value)
    return settings


def fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    return typer.Exit(1)


def warn(message: str) -> None:
    err.print(f"[yellow]warning:[/yellow] {escape(message)}", highlight=False)


@app.command()
def serve(
    host: Annotated[str, typer.Option(envvar="CALLSTATS_HOST", help="Listen address")
                    ] = DEFAULTS["host"].default,
    port: Annotated[int, typer.Option(envvar="CALLSTATS_PORT", help="Listen port")
                    ] = DEFAULTS["port"].default,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Serve the customer API, the admin API, the PBX stats and the portal.

    Every other setting is a CALLSTATS_* variable: `callstats settings` lists them."""
    from callstats.http.app import create_app
    from callstats.http.server import server
    from callstats.http.services import Services
    from callstats.logs import configure_logging
    from callstats.metadata.store import MetadataUnavailable

    settings = load_settings(data_dir, host=host, port=port)
    configure_logging(settings.log_level)
    try:  # opened before serving, so a held store or an unreachable database is one line
        services = Services.open(settings)
    except (StoreError, MetadataUnavailable) as exc:
        raise fail(f"cannot serve: {exc}") from None
    try:
        server(create_app(services=services), settings).run()
    finally:
        services.close()


def _ingest(kind: str, files: list[Path], url: str | None, admin_token: str | None,
            data_dir: Path, batch_rows: int | None) -> None:
    settings = load_settings(data_dir)
    if batch_rows is None:  # a request stays well under CALLSTATS_MAX_BODY; a local
        batch_rows = (50_000 if url else 500_000) if kind == "cdrs" else 1_000  # txn is big
    for path in files:
        if not path.is_file():
            raise fail(f"{path}: no such file")
    try:
        if url:
            sink, close = ingest_files.http_sink(url, admin_token or settings.admin_token)
            where = f"the server at {url.rstrip('/')}"
        else:
            where = redact_url(settings.store_url()).removeprefix("duckdb://")
            if warning := other_server_warning(settings, where):
                warn(warning)
            sink, close = ingest_files.local_sink(settings)
    except ServerError as exc:
        raise fail(str(exc)) from None
    except StoreError as exc:
        raise fail(str(exc)) from None
    try:
        ingest_files.run(kind, files, sink, batch_rows, console, where)
        if not url and kind == "cdrs":
            console.print("New CDRs are clustered for fast reports by the server's "
                          "housekeeping, or now by `callstats compact`.")
    except ingest_files.IngestFailed as exc:
        raise fail(ingest_files.describe_failure(exc)) from None
    except ingest_files.IngestError as exc:
        raise fail(str(exc)) from None
    except Exception as exc:  # anything else: one line, no traceback, no class name
        raise fail(f"ingest stopped: {exc}") from None
    finally:
        close()


Files = Annotated[list[Path], typer.Argument(
    help="NDJSON, CSV or Parquet files, each maybe gzip-compressed (.gz)", show_default=False)]
BatchRows = Annotated[int | None, typer.Option(
    help="Rows per request to --url (default 50,000), or per transaction into the data "
    "directory (default 500,000)", min=1, show_default=False)]


@ingest_app.command("cdrs")
def ingest_cdrs(files: Files, url: Url = None, admin_token: AdminToken = None,
                data_dir: DataDir = DEFAULT_DATA_DIR, batch_rows: BatchRows = None) -> None:
    """Load CDR files (columns: docs/data-format.md); already stored ids count as duplicates."""
    _ingest("cdrs", files, url, admin_token, data_dir, batch_rows)


@ingest_app.command("active-calls")
def ingest_active_calls(files: Files, url: Url = None, admin_token: AdminToken = None,
                        data_dir: DataDir = DEFAULT_DATA_DIR,
                        batch_rows: BatchRows = None) -> None:
    """Load active-call snapshots (docs/data-format.md): NDJSON envelopes, or flat
    CSV/Parquet rows carrying node_id and snapshot_timestamp."""
    _ingest("active-calls", files, url, admin_token, data_dir, batch_rows)


# --- metadata management ---------------------------------------------------------------


def _backend(url: str | None, admin_token: str | None, data_dir: Path) -> Backend:
    """The server at --url, else the data directory's metadata (saying so, and warning when
    a server answering where `callstats serve` listens holds other data)."""
    settings = load_settings(data_dir)
    try:
        if url:
            return RemoteBackend(url, admin_token or settings.admin_token)
        if warning := other_server_warning(settings, describe_local(settings)):
            warn(warning)
        return LocalBackend(settings)
    except ServerError as exc:
        raise fail(str(exc)) from None


def _run(backend: Backend, action):  # type: ignore[no-untyped-def]
    try:
        return action(backend)
    except ManageError as exc:
        raise fail(str(exc)) from None
    finally:
        backend.close()


def _table(title: str, columns: list[str], rows: list[list[object]]) -> None:
    console.print(title, soft_wrap=True, highlight=False, markup=False)  # a path, unwrapped
    table = Table()
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*[", ".join(map(str, v)) if isinstance(v, list) else str(v) for v in row])
    console.print(table)


Customer = Annotated[int, typer.Option(help="Owning customer id", show_default=False)]
CustomerFilter = Annotated[int | None, typer.Option(help="Only this customer's",
                                                    show_default=False)]


@customers_app.command("add")
def customers_add(
    name: str,
    id: Annotated[int | None, typer.Option(help="Explicit id (default: the next free one)",
                                           show_default=False)] = None,
    url: Url = None, admin_token: AdminToken = None, data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Create a customer."""
    backend = _backend(url, admin_token, data_dir)
    customer = _run(backend, lambda b: b.create_customer(name, id))
    console.print(f"customer {customer.id} {customer.name!r} created in {backend.where}",
                  highlight=False, markup=False)


@customers_app.command("list")
def customers_list(url: Url = None, admin_token: AdminToken = None,
                   data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """List customers."""
    backend = _backend(url, admin_token, data_dir)
    rows = [[c.id, c.name] for c in _run(backend, lambda b: b.list_customers())]
    _table(f"customers in {backend.where}", ["id", "name"], rows)


@customers_app.command("delete")
def customers_delete(id: int, url: Url = None, admin_token: AdminToken = None,
                     data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """Delete a customer with its accounts and logins (its CDRs stay)."""
    backend = _backend(url, admin_token, data_dir)
    if not _run(backend, lambda b: b.delete_customer(id)):
        raise fail(f"customer {id} not found in {backend.where}")
    console.print(f"customer {id} deleted from {backend.where}", highlight=False, markup=False)


@accounts_app.command("add")
def accounts_add(
    name: str,
    customer: Customer,
    uuid: Annotated[str | None, typer.Option(help="Account UUID (default: a new one)",
                                             show_default=False)] = None,
    id: Annotated[int | None, typer.Option(
        help="Explicit id: the switch's account id (default: the next free one)",
        show_default=False)] = None,
    url: Url = None, admin_token: AdminToken = None, data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Create an account; its id is what CDRs carry in customer_acc_id / vendor_acc_id."""
    backend = _backend(url, admin_token, data_dir)
    account = _run(backend, lambda b: b.create_account(customer, name, uuid, id))
    console.print(f"account {account.id} {account.name!r} uuid {account.uuid} created in "
                  f"{backend.where}", highlight=False, markup=False)


@accounts_app.command("list")
def accounts_list(customer: CustomerFilter = None, url: Url = None,
                  admin_token: AdminToken = None,
                  data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """List accounts."""
    backend = _backend(url, admin_token, data_dir)
    rows = [[a.id, a.uuid, a.customer_id, a.name]
            for a in _run(backend, lambda b: b.list_accounts(customer))]
    _table(f"accounts in {backend.where}", ["id", "uuid", "customer", "name"], rows)


@accounts_app.command("delete")
def accounts_delete(id: int, url: Url = None, admin_token: AdminToken = None,
                    data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """Delete an account (its CDRs stay)."""
    backend = _backend(url, admin_token, data_dir)
    if not _run(backend, lambda b: b.delete_account(id)):
        raise fail(f"account {id} not found in {backend.where}")
    console.print(f"account {id} deleted from {backend.where}", highlight=False, markup=False)


@logins_app.command("add")
def logins_add(
    login: str,
    customer: Annotated[int, typer.Option(help="Customer id", show_default=False)],
    password: Annotated[str | None, typer.Option(
        envvar="CALLSTATS_LOGIN_PASSWORD", show_default=False,
        help="Password (default: asked for)")] = None,
    account: Annotated[list[int] | None, typer.Option(
        help="Limit to this account id (repeatable; default: all the customer's)",
        show_default=False)] = None,
    allow_ip: Annotated[list[str] | None, typer.Option(
        help="Allowed client CIDR (repeatable; default: any)", show_default=False)] = None,
    url: Url = None, admin_token: AdminToken = None, data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Create a customer API login."""
    secret = password or getpass.getpass("password: ")
    if not secret:
        raise fail("a password is required: type one when asked, or pass --password")
    backend = _backend(url, admin_token, data_dir)
    access = _run(backend, lambda b: b.create_api_access(customer, login, secret,
                                                         account or [], allow_ip or []))
    console.print(f"login {access.login!r} (api access {access.id}) created in "
                  f"{backend.where}", highlight=False, markup=False)


@logins_app.command("list")
def logins_list(customer: CustomerFilter = None, url: Url = None,
                admin_token: AdminToken = None, data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """List customer API logins (never their passwords)."""
    backend = _backend(url, admin_token, data_dir)
    rows = [[a.id, a.login, a.customer_id, a.account_ids or "all", a.allowed_ips or "any"]
            for a in _run(backend, lambda b: b.list_api_accesses(customer))]
    _table(f"logins in {backend.where}",
           ["id", "login", "customer", "accounts", "allowed IPs"], rows)


@logins_app.command("delete")
def logins_delete(id: int, url: Url = None, admin_token: AdminToken = None,
                  data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """Delete a login; its tokens stop working at once."""
    backend = _backend(url, admin_token, data_dir)
    if not _run(backend, lambda b: b.delete_api_access(id)):
        raise fail(f"login {id} not found in {backend.where}")
    console.print(f"login {id} deleted from {backend.where}", highlight=False, markup=False)


@token_app.command("mint")
def token_mint(
    login: Annotated[str | None, typer.Option(help="Mint for this login",
                                              show_default=False)] = None,
    customer: Annotated[int | None, typer.Option(
        help="Mint a dynamic token (sub 'D') for this customer instead",
        show_default=False)] = None,
    account: Annotated[list[int] | None, typer.Option(
        help="Dynamic token: limit to account id (repeatable)", show_default=False)] = None,
    allow_ip: Annotated[list[str] | None, typer.Option(
        help="Dynamic token: allowed client CIDR (repeatable)", show_default=False)] = None,
    lifetime: Annotated[int | None, typer.Option(
        min=1, help="Seconds the token is valid",
        show_default=f"CALLSTATS_TOKEN_LIFETIME of the server or data directory, "
        f"{DEFAULTS['token_lifetime'].default} when unset")] = None,
    url: Url = None, admin_token: AdminToken = None, data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Print a customer API token signed with the server's secret."""
    if (login is None) == (customer is None):
        raise fail("give exactly one of --login or --customer")
    backend = _backend(url, admin_token, data_dir)
    token = _run(backend, lambda b: b.mint(login, customer, account or [], allow_ip or [],
                                           lifetime))
    typer.echo(token)


@app.command()
def compact(data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """Reorganize the store now, for fast reports over newly loaded CDRs.

    DuckDB clusters new CDRs by account and time, ClickHouse merges parts; the server's
    housekeeping does this over time by itself."""
    settings = load_settings(data_dir)
    try:
        store = settings.open_store()
    except StoreError as exc:
        raise fail(f"cannot open the store: {exc}") from None
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
    settings = load_settings()
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
