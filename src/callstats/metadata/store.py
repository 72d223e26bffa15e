"""Customers, accounts and API logins (SPEC 3.3), one code path on SQLite and PostgreSQL.

Every method is one short transaction. Conflicts and dangling references surface as
`Conflict` / `MissingReference`, which the HTTP layer maps to 409 / 422.
"""

from __future__ import annotations

import ipaddress
import sqlite3
import threading
import uuid as uuid_module
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from callstats.metadata.locks import writer_lock_for
from callstats.metadata.passwords import hash_password

SCHEMA_VERSION = 1
SCHEMA_LOCK_KEY = 0x63616C6C73746174  # b"callstat": PostgreSQL advisory lock of schema setup

# BIGINT ids, but INTEGER on SQLite, where only "INTEGER PRIMARY KEY" auto-assigns.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MAX_ID = 2**63 - 1  # the largest BIGINT

# Ids are never reused after a delete (AUTOINCREMENT on SQLite; on PostgreSQL a sequence
# that only moves forward): a token names its api access or customer by id, and must not
# come back to life as someone else's.
meta = sa.MetaData()
customers = sa.Table(
    "customers", meta,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False),
    sqlite_autoincrement=True,
)
accounts = sa.Table(
    "accounts", meta,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),
    sa.Column("customer_id", sa.BigInteger, sa.ForeignKey("customers.id"), nullable=False,
              index=True),
    sa.Column("name", sa.String(255), nullable=False),
    sqlite_autoincrement=True,
)
api_accesses = sa.Table(
    "api_accesses", meta,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("customer_id", sa.BigInteger, sa.ForeignKey("customers.id"), nullable=False,
              index=True),
    sa.Column("login", sa.String(255), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("account_ids", sa.Text, nullable=False),  # JSON list of ints
    sa.Column("allowed_ips", sa.Text, nullable=False),  # JSON list of CIDR strings
    sqlite_autoincrement=True,
)
schema_version = sa.Table(
    "callstats_metadata_schema", meta, sa.Column("version", sa.Integer, nullable=False)
)
# One row, one counter that a trigger on each table above moves forward on every write by
# any process (this code, an older version of it, or SQL typed by hand): the key of the
# per-process lookup cache, so a deleted login or account is refused by the very next
# request everywhere.
changes = sa.Table(
    "callstats_metadata_changes", meta, sa.Column("counter", sa.BigInteger, nullable=False)
)
_WATCHED = ("customers", "accounts", "api_accesses")
# max(): two processes creating a fresh SQLite file at once can each insert the row (its
# count is read outside a transaction); the triggers move every row alike, so the
# greatest is the counter either way.
_CHANGES_QUERY = sa.select(sa.func.max(changes.c.counter))
_CACHED_LOOKUPS = 10_000  # per process; beyond it lookups are answered but not kept


class Conflict(Exception):
    """An id, uuid or login that is already taken."""


class MissingReference(Exception):
    """A reference to a customer or account that does not exist (or not the customer's)."""


class InvalidValue(Exception):
    """A value that cannot be stored, e.g. a malformed CIDR or UUID."""


class MetadataUnavailable(Exception):
    """The metadata database cannot be reached (or, SQLite, opened or written): the HTTP
    layer answers 503. The pool checks connections before use, so once the database is
    back the next request succeeds, without a restart."""


# SQLite reports its own bugs and unavailability alike as OperationalError: only these
# messages mean "the database cannot be used right now".
_SQLITE_UNAVAILABLE = ("database is locked", "unable to open database file", "disk i/o error",
                       "database or disk is full", "readonly database")


def _classify_errors(engine: Engine) -> None:
    """Turn "cannot reach the database" into MetadataUnavailable on every statement and
    connect; any other database error stays what it is (our bug: a 500)."""

    @sa.event.listens_for(engine, "handle_error")
    def unavailable(context: sa.engine.ExceptionContext) -> None:
        error = context.original_exception
        if engine.dialect.name == "sqlite":
            down = isinstance(error, sqlite3.OperationalError) and any(
                text in str(error).lower() for text in _SQLITE_UNAVAILABLE)
        else:
            down = context.is_disconnect or isinstance(
                context.sqlalchemy_exception, sa.exc.OperationalError | sa.exc.InterfaceError)
        if down:
            raise MetadataUnavailable(f"metadata database unavailable: {error}") from error


@dataclass(frozen=True)
class Customer:
    id: int
    name: str


@dataclass(frozen=True)
class Account:
    id: int
    uuid: str
    customer_id: int
    name: str


@dataclass(frozen=True)
class ApiAccess:
    id: int
    customer_id: int
    login: str
    account_ids: list[int] = field(default_factory=list)
    allowed_ips: list[str] = field(default_factory=list)
    password_hash: str = field(default="", repr=False)

    def public(self) -> dict[str, object]:
        data = asdict(self)
        del data["password_hash"]
        return data


_POOLED_CONNECTIONS = 40  # anyio's default thread pool, where request handlers run


def make_engine(url: str) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # hide_parameters: a failed statement's message (and so a traceback) would otherwise
    # carry the bound values, password hashes included.
    if url.startswith("sqlite:"):
        # A pooled connection per request thread (the server's pool has 40): past the
        # default 5 kept, each request would open a connection (and SQLite read the
        # schema) and close it again.
        engine = sa.create_engine(url, connect_args={"check_same_thread": False},
                                  hide_parameters=True, pool_size=_POOLED_CONNECTIONS)
    else:
        engine = sa.create_engine(url, pool_pre_ping=True, hide_parameters=True)
    _classify_errors(engine)
    return engine


class MetadataStore:
    def __init__(self, url: str):
        self.engine = make_engine(url)
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":  # processes starting at once on a fresh
                # database would race to create the same tables: one at a time, till commit
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"),
                             {"key": SCHEMA_LOCK_KEY})
            meta.create_all(conn)
            if conn.execute(sa.select(sa.func.count()).select_from(schema_version)).scalar() == 0:
                conn.execute(schema_version.insert().values(version=SCHEMA_VERSION))
            if conn.execute(sa.select(sa.func.count()).select_from(changes)).scalar() == 0:
                conn.execute(changes.insert().values(counter=0))
            _install_change_triggers(conn)

        self._writer_lock = writer_lock_for(self.engine)
        # (counter, {lookup: answer}) as of that counter; replaced whenever it moves.
        self._known: tuple[int, dict[tuple[str, object], object]] = (-1, {})
        self._pinned = threading.local()  # .counter: read once for this thread's request

    def writer_lock(self, name: str) -> AbstractContextManager[object]:
        """`with metadata.writer_lock(name):` one writer of `name` at a time, across every
        process sharing this metadata database (see metadata.locks)."""
        return self._writer_lock(name)

    def close(self) -> None:
        self._writer_lock.close()
        self.engine.dispose()

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    # --- customers ---------------------------------------------------------------------

    def create_customer(self, name: str, id: int | None = None) -> Customer:
        with self._begin() as conn:
            values: dict[str, object] = {"name": name}
            if id is not None:
                values["id"] = _storable_id(id)
            new_id = _inserted_id(conn.execute(customers.insert().values(**values)))
            _bump_sequence(conn, "customers", id)
        return Customer(int(new_id), name)

    def list_customers(self) -> list[Customer]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(customers).order_by(customers.c.id)).all()
        return [Customer(r.id, r.name) for r in rows]

    def get_customer(self, id: int) -> Customer | None:
        def load(conn: Connection) -> Customer | None:
            row = conn.execute(sa.select(customers).where(_id_is(customers.c.id, id))).first()
            return Customer(row.id, row.name) if row else None

        return self._lookup(("customer", id), load)  # type: ignore[return-value]

    def delete_customer(self, id: int) -> bool:
        """Delete a customer with its accounts and logins (their tokens stop at once)."""
        with self._begin() as conn:
            conn.execute(api_accesses.delete().where(_id_is(api_accesses.c.customer_id, id)))
            conn.execute(accounts.delete().where(_id_is(accounts.c.customer_id, id)))
            return conn.execute(customers.delete().where(_id_is(customers.c.id, id))).rowcount > 0

    # --- accounts ----------------------------------------------------------------------

    def create_account(
        self, customer_id: int, name: str, uuid: str | None = None, id: int | None = None
    ) -> Account:
        account_uuid = _normalize_uuid(uuid) if uuid else str(uuid_module.uuid1())
        with self._begin() as conn:
            _require_customer(conn, customer_id)
            values: dict[str, object] = {"customer_id": customer_id, "name": name,
                                         "uuid": account_uuid}
            if id is not None:
                values["id"] = _storable_id(id)
            new_id = _inserted_id(conn.execute(accounts.insert().values(**values)))
            _bump_sequence(conn, "accounts", id)
        return Account(int(new_id), account_uuid, customer_id, name)

    def list_accounts(self, customer_id: int | None = None) -> list[Account]:
        query = sa.select(accounts).order_by(accounts.c.id)
        if customer_id is not None:
            query = query.where(_id_is(accounts.c.customer_id, customer_id))
        with self.engine.connect() as conn:
            return [Account(r.id, r.uuid, r.customer_id, r.name) for r in conn.execute(query)]

    def get_account(self, id: int) -> Account | None:
        def load(conn: Connection) -> Account | None:
            r = conn.execute(sa.select(accounts).where(_id_is(accounts.c.id, id))).first()
            return Account(r.id, r.uuid, r.customer_id, r.name) if r else None

        return self._lookup(("account", id), load)  # type: ignore[return-value]

    def delete_account(self, id: int) -> bool:
        with self._begin() as conn:
            return conn.execute(accounts.delete().where(_id_is(accounts.c.id, id))).rowcount > 0

    # --- api accesses ------------------------------------------------------------------

    def create_api_access(
        self,
        customer_id: int,
        login: str,
        password: str,
        account_ids: list[int] | None = None,
        allowed_ips: list[str] | None = None,
    ) -> ApiAccess:
        account_ids = sorted(set(account_ids or []))
        allowed_ips = [_normalize_cidr(c) for c in allowed_ips or []]
        password_hash = hash_password(password)  # slow on purpose: outside the transaction
        with self._begin() as conn:
            _require_customer(conn, customer_id)
            owned = set(
                conn.execute(
                    sa.select(accounts.c.id).where(accounts.c.customer_id == customer_id)
                ).scalars()
            )
            foreign = [a for a in account_ids if a not in owned]
            if foreign:
                raise MissingReference(
                    f"account(s) {', '.join(map(str, foreign))} not found for customer "
                    f"{customer_id}"
                )
            new_id = _inserted_id(conn.execute(
                api_accesses.insert().values(
                    customer_id=customer_id, login=login, password_hash=password_hash,
                    account_ids=orjson.dumps(account_ids).decode(),
                    allowed_ips=orjson.dumps(allowed_ips).decode(),
                )
            ))
        return ApiAccess(int(new_id), customer_id, login, account_ids, allowed_ips,
                         password_hash)

    def list_api_accesses(self, customer_id: int | None = None) -> list[ApiAccess]:
        query = sa.select(api_accesses).order_by(api_accesses.c.id)
        if customer_id is not None:
            query = query.where(_id_is(api_accesses.c.customer_id, customer_id))
        with self.engine.connect() as conn:
            return [_api_access(r) for r in conn.execute(query)]

    def get_api_access(self, id: int) -> ApiAccess | None:
        def load(conn: Connection) -> ApiAccess | None:
            query = sa.select(api_accesses).where(_id_is(api_accesses.c.id, id))
            r = conn.execute(query).first()
            return _api_access(r) if r else None

        return self._lookup(("api_access", id), load)  # type: ignore[return-value]

    def find_account_by_uuid(self, account_uuid: str) -> Account | None:
        """The account with this UUID (canonical lower-case form)."""
        def load(conn: Connection) -> Account | None:
            query = sa.select(accounts).where(accounts.c.uuid == account_uuid)
            r = conn.execute(query).first()
            return Account(r.id, r.uuid, r.customer_id, r.name) if r else None

        return self._lookup(("account_uuid", account_uuid), load)  # type: ignore[return-value]

    def changes(self) -> int:
        """The change counter: moves forward with every write to the metadata tables."""
        with self.engine.connect() as conn:
            return int(conn.execute(_CHANGES_QUERY).scalar_one())

    def find_login(self, login: str) -> ApiAccess | None:
        with self.engine.connect() as conn:
            r = conn.execute(sa.select(api_accesses).where(api_accesses.c.login == login)).first()
        return _api_access(r) if r else None

    def delete_api_access(self, id: int) -> bool:
        with self._begin() as conn:
            query = api_accesses.delete().where(_id_is(api_accesses.c.id, id))
            return conn.execute(query).rowcount > 0

    @contextmanager
    def one_request(self) -> Iterator[None]:
        """Lookups inside the block (one request, on this thread) read the change counter
        once, at the first of them: the request sees the metadata as of its start, as a
        single transaction would, and the next request reads the counter anew."""
        self._pinned.counter = None
        self._pinned.active = True
        try:
            yield
        finally:
            self._pinned.active = False

    def _lookup(self, key: tuple[str, object], load: Callable[[Connection], object]) -> object:
        """`load(conn)`'s answer, kept per process while the change counter stays put.

        The counter is read first, the row after it, in one connection: a kept answer is
        never older than the counter it is kept under, and a write anywhere moves the
        counter in the write's own transaction, so every request that starts after a
        write commits misses the old answers. One indexed one-row read per lookup (or per
        request, in `one_request`) instead of a table read, a row and an object."""
        pinned = self._pinned
        active = getattr(pinned, "active", False)
        counter: int | None = pinned.counter if active else None
        if counter is not None:  # read at the request's first lookup
            known = self._known
            if known[0] == counter and key in known[1]:
                return known[1][key]
        with self.engine.connect() as conn:
            if counter is None:
                counter = int(conn.execute(_CHANGES_QUERY).scalar_one())
                if active:
                    pinned.counter = counter
                if self._known[0] != counter:
                    self._known = (counter, {})
            known = self._known
            entries = known[1]
            if known[0] == counter and key in entries:
                return entries[key]
            answer = load(conn)
        if known[0] != counter:  # another thread moved on: answer, keep nothing
            return answer
        if len(entries) < _CACHED_LOOKUPS:
            entries[key] = answer
        return answer

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        """A transaction whose integrity errors surface as Conflict."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except sa.exc.IntegrityError as error:
            raise Conflict(_conflict_message(error)) from None


def _install_change_triggers(conn: Connection) -> None:
    """A trigger per table moving `callstats_metadata_changes.counter` on every insert,
    update and delete (PostgreSQL: also truncate; BEFORE the statement, so a writer takes
    the counter's row lock before any other, and two writers cannot deadlock on it)."""
    bump = "UPDATE callstats_metadata_changes SET counter = counter + 1"
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(
            "CREATE OR REPLACE FUNCTION callstats_metadata_changed() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN {bump}; RETURN NULL; END $$"))
        for table in _WATCHED:
            present = conn.execute(sa.text(
                "SELECT 1 FROM pg_trigger WHERE tgname = 'callstats_changed' "
                f"AND tgrelid = '{table}'::regclass")).first()
            if present is None:
                conn.execute(sa.text(
                    f"CREATE TRIGGER callstats_changed BEFORE INSERT OR UPDATE OR DELETE "
                    f"OR TRUNCATE ON {table} FOR EACH STATEMENT "
                    "EXECUTE FUNCTION callstats_metadata_changed()"))
        return
    for table in _WATCHED:
        for operation in ("INSERT", "UPDATE", "DELETE"):
            conn.execute(sa.text(
                f"CREATE TRIGGER IF NOT EXISTS callstats_changed_{table}_{operation.lower()} "
                f"AFTER {operation} ON {table} BEGIN {bump}; END"))


def _conflict_message(error: Exception) -> str:
    text = str(getattr(error, "orig", error)).lower()
    for what in ("login", "uuid"):
        if what in text:
            return f"{what} already taken"
    return "id already taken"


def _require_customer(conn: Connection, customer_id: int) -> None:
    query = sa.select(customers.c.id).where(_id_is(customers.c.id, customer_id))
    if conn.execute(query).first() is None:
        raise MissingReference(f"customer {customer_id} not found")


def _bump_sequence(conn: Connection, table: str, explicit_id: int | None) -> None:
    """After an explicit id on PostgreSQL, move the serial past it (SQLite does by itself),
    never back: ids of deleted rows stay used."""
    if explicit_id is None or conn.dialect.name != "postgresql":
        return
    conn.execute(
        sa.text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), greatest("
            f"(SELECT max(id) FROM {table}), "
            f"pg_sequence_last_value(pg_get_serial_sequence('{table}', 'id')::regclass), 1))"
        )
    )


def _id_is(column: sa.Column[int], id: int) -> sa.ColumnElement[bool]:
    """`column = id`, false for an id no row can have (a driver refuses it out of range)."""
    return column == id if -MAX_ID - 1 <= id <= MAX_ID else sa.false()


def _inserted_id(result: sa.CursorResult[Any]) -> int:
    """The primary key the database gave the row just inserted."""
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the database returned no primary key for an insert")
    return int(key[0])


def _storable_id(id: int) -> int:
    if not -MAX_ID - 1 <= id <= MAX_ID:
        raise InvalidValue(f"id {id} out of range")
    return id


def _normalize_uuid(text: str) -> str:
    try:
        return str(uuid_module.UUID(text))
    except ValueError:
        raise InvalidValue(f"invalid uuid {text!r}") from None


def _normalize_cidr(text: str) -> str:
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        raise InvalidValue(f"invalid CIDR {text!r}") from None


def _api_access(row: sa.Row[Any]) -> ApiAccess:
    return ApiAccess(
        row.id, row.customer_id, row.login, orjson.loads(row.account_ids),
        orjson.loads(row.allowed_ips), row.password_hash,
    )
