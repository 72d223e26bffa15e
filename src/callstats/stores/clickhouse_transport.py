"""Two ways to reach the ClickHouse engine behind one small interface: a server over HTTP
(clickhouse-connect) or the engine in-process (chdb). The store's SQL is identical for both;
values always travel as ClickHouse query parameters (`{name:Type}` in the SQL text),
serialized by clickhouse-connect's own binder on both paths.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast
from urllib.parse import parse_qs, unquote, urlsplit

import pyarrow as pa
from clickhouse_connect.driver.binding import bind_query

from callstats.stores.base import QueryTimeout, StoreError, StoreUnavailable

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
Params = Mapping[str, object]
Settings = Mapping[str, object]
Rows = list[tuple[Any, ...]]  # engine values: int, str, bool, Decimal, None

# Engine error codes that mean "cannot answer now" (503), not "this query is wrong" (our
# bug, 500): timeouts, limits, memory, disk, network, replicas, read-only tables.
TIMEOUT_CODES = frozenset({159})  # TIMEOUT_EXCEEDED
UNAVAILABLE_CODES = frozenset({
    3, 32, 33, 74, 75, 76, 198, 202, 203, 209, 210, 211, 214, 225, 236, 241, 242, 243, 252,
    279, 285, 286, 319, 364, 373, 394, 425, 439, 473, 999, 1000})
_CODE = re.compile(r"Code: (\d+)")


class EngineError(RuntimeError):
    """The engine refused a statement as wrong: a bug of ours (500), never shown to a
    client; the engine's text goes to the log only."""


def classify(message: str, code: int | None = None) -> Exception:
    """The exception an engine failure stands for, by its ClickHouse error code."""
    if code is None:
        found = _CODE.search(message)
        code = int(found.group(1)) if found else None
    if code in TIMEOUT_CODES:
        return QueryTimeout(message)
    if code is None or code in UNAVAILABLE_CODES:
        return StoreUnavailable(message)
    return EngineError(message)


class Transport(Protocol):
    def rows(self, sql: str, params: Params | None = None,
             settings: Settings | None = None) -> Rows:
        """The result rows as tuples of Python values (int, str, bool, Decimal, None)."""

    def arrow(self, sql: str, params: Params | None = None,
              settings: Settings | None = None) -> pa.Table:
        """The result as an Arrow table (texts as strings)."""

    def command(self, sql: str, params: Params | None = None) -> None: ...

    def insert_arrow(self, table: str, data: pa.Table) -> None:
        """Insert an Arrow table (column names = table columns) as one block."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class Target:
    """What a `clickhouse://` or `chdb://` store URL names."""

    scheme: str
    database: str
    path: str = ""  # chdb: the engine's data directory
    host: str = ""
    port: int = 8123
    username: str = "default"
    password: str = ""
    secure: bool = False
    cluster: str = ""  # ON CLUSTER name: replicated + distributed tables


def parse_url(url: str) -> Target:
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    cluster = query.get("cluster", "")
    if parts.scheme == "chdb":
        database = query.get("database", "callstats")
        path = unquote(parts.path)
        if not path or parts.netloc:
            raise StoreError(f"bad store URL {url!r}: expected chdb:///path/to/dir")
        if cluster:
            raise StoreError("chdb is a single node: `cluster` needs a clickhouse:// server")
        target = Target("chdb", database, path=path)
    elif parts.scheme in ("clickhouse", "clickhouses"):
        database = unquote(parts.path.lstrip("/")) or "callstats"
        target = Target(
            "clickhouse", database, host=parts.hostname or "localhost",
            port=parts.port or (8443 if parts.scheme == "clickhouses" else 8123),
            username=unquote(parts.username or "default"),
            password=unquote(parts.password or ""),
            secure=parts.scheme == "clickhouses" or query.get("secure") in ("1", "true"),
            cluster=cluster)
    else:
        raise StoreError(f"unsupported ClickHouse store URL {url!r}")
    for name in filter(None, (target.database, target.cluster)):
        if not _IDENTIFIER.fullmatch(name):
            raise StoreError(f"bad ClickHouse name {name!r} in store URL (letters, digits, _)")
    return target


def open_transport(target: Target) -> Transport:
    if target.scheme == "chdb":
        return ChdbTransport(target.path)
    return HttpTransport(target)


def _bound(sql: str, params: Params | None) -> tuple[str, dict[str, str]]:
    """clickhouse-connect's serialization of server-side parameters (names without the
    `param_` prefix its HTTP form uses)."""
    if not params:
        return sql, {}
    query, bound = bind_query(sql, dict(params))
    return str(query), {k.removeprefix("param_"): v for k, v in bound.items()}


def _setting(value: object) -> str:
    """A setting's value in a SETTINGS clause (numbers only: they come from our config)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError(f"setting values are numbers, not {value!r}")
    return repr(value)


def _arrow_rows(table: pa.Table) -> Rows:
    return list(zip(*(column.to_pylist() for column in table.columns), strict=True))


class _Inserter(Protocol):
    def __enter__(self) -> _Inserter: ...
    def __exit__(self, *exc: object) -> None: ...
    def append(self, data: bytes) -> None: ...
    def finish(self) -> None: ...


class _ChdbConnection(Protocol):
    """What we use of chdb's (untyped) connection."""

    def query(self, sql: str, fmt: str, params: dict[str, str] | None = None) -> object: ...
    def send_insert(self, sql: str, fmt: str) -> _Inserter: ...
    def close(self) -> None: ...


class ChdbTransport:
    """The engine in-process. chdb runs one embedded server per process (one data path), and
    a session used by two threads at once breaks bound parameters: every store on the path
    shares one connection, and calls are serialized."""

    _shared: dict[str, tuple[_ChdbConnection, int]] = {}
    _registry_lock = threading.Lock()
    _call_lock = threading.RLock()

    def __init__(self, path: str):
        try:
            import chdb
        except ImportError:
            raise StoreError("chdb:// stores need the chdb package: "
                             "pip install 'callstats[chdb]'") from None

        self.path = path
        with self._registry_lock:
            if path in self._shared:
                connection, users = self._shared[path]
            else:
                if self._shared:
                    (other,) = self._shared
                    raise StoreError(f"chdb already runs on {other} in this process; one "
                                     "chdb data directory per process")
                try:
                    opened = chdb.connect(path)  # type: ignore[no-untyped-call]
                    connection, users = cast(_ChdbConnection, opened), 0
                except Exception as exc:  # chdb raises RuntimeError with the engine's text
                    raise StoreError(f"cannot open chdb at {path}: {exc}") from None
            self._shared[path] = (connection, users + 1)
        self._connection = connection

    def _query(self, sql: str, params: Params | None, output: str,
               settings: Settings | None = None) -> object:
        query, bound = _bound(sql, params)
        if settings:
            query += " SETTINGS " + ", ".join(f"{k} = {_setting(v)}" for k, v in settings.items())
        with self._call_lock:
            try:
                return self._connection.query(query, output, params=bound or None)
            except Exception as exc:  # chdb raises RuntimeError with the engine's text
                failure = classify(f"ClickHouse (chdb): {exc}")
                if isinstance(failure, QueryTimeout):
                    self._drain()
                raise failure from exc

    def _drain(self) -> None:
        """chdb leaves the Arrow stream of a query stopped by its time limit behind, and
        the next query reads it ("Unexpected empty message"): read it now."""
        try:
            self._connection.query("SELECT 1", "Arrowtable")
        except Exception:  # noqa: S110 - the leftover is exactly what this discards
            pass

    def rows(self, sql: str, params: Params | None = None,
             settings: Settings | None = None) -> Rows:
        table = self._query(sql, params, "Arrowtable", settings)
        assert isinstance(table, pa.Table)
        return _arrow_rows(table)

    def arrow(self, sql: str, params: Params | None = None,
              settings: Settings | None = None) -> pa.Table:
        table = self._query(sql, params, "Arrowtable", settings)
        assert isinstance(table, pa.Table)
        return table

    def command(self, sql: str, params: Params | None = None) -> None:
        self._query(sql, params, "CSV")

    def insert_arrow(self, table: str, data: pa.Table) -> None:
        sink = io.BytesIO()
        with pa.ipc.new_stream(sink, data.schema) as writer:
            writer.write_table(data)
        columns = ", ".join(data.column_names)
        with self._call_lock:
            try:
                with self._connection.send_insert(
                        f"INSERT INTO {table} ({columns})", "ArrowStream") as inserter:
                    inserter.append(sink.getvalue())
                    inserter.finish()
            except Exception as exc:
                raise classify(f"ClickHouse (chdb): {exc}") from exc

    def close(self) -> None:
        with self._registry_lock:
            connection, users = self._shared[self.path]
            if users > 1:
                self._shared[self.path] = (connection, users - 1)
                return
            del self._shared[self.path]
            connection.close()


class HttpTransport:
    """A ClickHouse server (or cluster node) through clickhouse-connect. One client without
    a session is safe to share between threads."""

    def __init__(self, target: Target):
        import clickhouse_connect
        from clickhouse_connect.driver.exceptions import ClickHouseError, DatabaseError

        self._errors: tuple[type[Exception], ...] = (ClickHouseError, OSError)
        self._refused: type[Exception] = DatabaseError
        try:
            self._client = clickhouse_connect.get_client(
                host=target.host, port=target.port, username=target.username,
                password=target.password, secure=target.secure,
                autogenerate_session_id=False)
        except Exception as exc:
            raise StoreError(f"cannot reach ClickHouse at {target.host}:{target.port}: "
                             f"{exc}") from None

    def _failure(self, exc: Exception) -> Exception:
        """A refusal by the server is classified by its code; any other failure of the
        client (connection refused, reset, timed out) means the store is unreachable."""
        if isinstance(exc, self._refused) and _CODE.search(str(exc)):
            return classify(f"ClickHouse: {exc}")
        return StoreUnavailable(f"ClickHouse: {exc}")

    def rows(self, sql: str, params: Params | None = None,
             settings: Settings | None = None) -> Rows:
        try:
            result = self._client.query(sql, parameters=dict(params or {}),
                                        settings=dict(settings or {}))
            return [tuple(row) for row in result.result_rows]
        except self._errors as exc:
            raise self._failure(exc) from exc

    def arrow(self, sql: str, params: Params | None = None,
              settings: Settings | None = None) -> pa.Table:
        try:
            return self._client.query_arrow(sql, parameters=dict(params or {}),
                                            settings=dict(settings or {}))
        except self._errors as exc:
            raise self._failure(exc) from exc

    def command(self, sql: str, params: Params | None = None) -> None:
        try:
            self._client.command(sql, parameters=dict(params or {}))
        except self._errors as exc:
            raise self._failure(exc) from exc

    def insert_arrow(self, table: str, data: pa.Table) -> None:
        database, _, name = table.rpartition(".")
        try:
            # Into a Distributed table, return only once the shards hold the rows: the
            # next batch's id check must see them, and acknowledged means stored.
            self._client.insert_arrow(name, data, database=database or None,
                                      settings={"insert_distributed_sync": 1})
        except self._errors as exc:
            raise self._failure(exc) from exc

    def close(self) -> None:
        self._client.close()
