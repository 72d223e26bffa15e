"""Every setting of callstats, read once from `CALLSTATS_*` variables into one typed object.

The object is passed to whatever needs it (app factory, CLI commands); nothing reads the
environment anywhere else. Each field's description is its documentation: `callstats
settings` prints them, and docs/configuration.md is generated from the same source.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from callstats.auth.login_limits import parse_rate
from callstats.ingest.limits import DEFAULT_MAX_STRING

if TYPE_CHECKING:
    from callstats.stores.base import Store, WriterLock

# The sizes DuckDB's `memory_limit` accepts: a number and a decimal or binary unit.
_MEMORY_SIZE = re.compile(r"\d+(?:\.\d+)?\s*(?:[KMGT]i?B|B|bytes)", re.IGNORECASE)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CALLSTATS_", extra="ignore")

    data_dir: Path = Field(
        Path("./callstats-data"),
        description="Directory of the embedded store (DuckDB file and default SQLite metadata).",
    )
    store: str = Field(
        "",
        description="CDR/snapshot store URL: `duckdb:///path/cdr.duckdb` (default: "
        "`<data_dir>/cdr.duckdb`), `chdb:///path/dir[?database=name]` (ClickHouse engine "
        "in-process) or `clickhouse://user:pass@host:8123/db` (`clickhouses://` for TLS).",
    )
    retention_days: int | None = Field(
        None, ge=1, le=36_500,
        description="ClickHouse stores: drop CDRs and snapshots this many days after their "
        "time (a table TTL, applied as merges run). Unset: keep everything.",
    )
    clickhouse_cluster: str = Field(
        "",
        description="ClickHouse cluster name: tables are made `ON CLUSTER` as "
        "ReplicatedMergeTree `<table>_local` behind Distributed `<table>`. Empty: one node.",
    )
    metadata_url: str = Field(
        "",
        description="SQLAlchemy URL of the metadata database: `sqlite:///…` (default: "
        "`<data_dir>/metadata.sqlite`) or `postgresql://…`.",
    )
    host: str = Field("127.0.0.1", description="Address `callstats serve` listens on.")
    port: int = Field(8080, description="Port `callstats serve` listens on.")
    admin_token: str = Field(
        "",
        description="Bearer token of the admin API. Empty: the admin API is off (404).",
    )
    jwt_secret: str = Field(
        "",
        description="HS256 secret for customer tokens. Empty: a random secret is made and kept "
        "in `<data_dir>/jwt-secret` so tokens survive restarts.",
    )
    token_lifetime: int = Field(86400, description="Lifetime of minted customer tokens, seconds.")
    trusted_proxies: str = Field(
        "",
        description="Comma-separated IPs/CIDRs of reverse proxies whose X-Real-IP / "
        "X-Forwarded-For give the client IP (default none: the socket peer is the client).",
    )
    snapshot_max_age: int = Field(
        180, description="Seconds a node's latest active-call snapshot counts as live."
    )
    max_body: int = Field(
        64 * 1024 * 1024,
        description="Largest ingestion body in bytes, as sent and again after gzip decoding.",
    )
    max_string_length: int = Field(
        DEFAULT_MAX_STRING, ge=1,
        description="Longest text value ingestion stores, in characters (a CDR or call "
        "field); a longer one rejects its batch (422 naming row and field).",
    )
    maintenance_interval: float = Field(
        60.0,
        description="Seconds between store housekeeping runs in the server (DuckDB: merge "
        "new CDRs into the table clustered by account and time; ClickHouse: delete the calls "
        "of superseded snapshot versions); 0 turns it off.",
    )
    query_timeout: float = Field(
        30.0, ge=0,
        description="Seconds a report query may run before it is stopped and answered 503 "
        "`query timed out` (DuckDB: interrupted; ClickHouse: max_execution_time); 0: no limit.",
    )
    duckdb_memory_limit: str = Field(
        "512MB",
        description="DuckDB store: memory its engine may use (`SET memory_limit`, e.g. "
        "`1GB`, `512MB`); sorts and large inserts spill to `<file>.tmp` beyond it. Empty: "
        "DuckDB's default, 80% of RAM. Ingestion's own buffers (a body and the piece being "
        "parsed) come on top.",
    )
    duckdb_threads: int = Field(
        1, ge=0,
        description="DuckDB store: threads of its engine (`SET threads`), which every query, "
        "insert and compaction shares; 0: DuckDB's default, one per core. Requests run "
        "concurrently, one query each, so one thread apiece served more of them on 2 cores.",
    )
    ingest_group_commit: bool = Field(
        True,
        description="Small NDJSON CDR posts (up to 64 KiB) that arrive together are parsed "
        "and stored in one transaction, each answered once that transaction is durable "
        "(group commit); a batch that fails is retried alone, so only its own request gets "
        "the error. Off: each post is its own transaction.",
    )
    log_level: str = Field("info", description="Log level: debug, info, warning, error.")
    cookie_secure: bool = Field(
        False,
        description="Mark the customer session cookie `Secure` (send it over HTTPS only); "
        "turn on whenever the portal is served over HTTPS.",
    )
    portal_title: str = Field(
        "callstats", min_length=1, max_length=80,
        description="Name shown in the portal's header and browser tab.",
    )
    portal_logo_url: str = Field(
        "",
        description="Logo shown in the portal's header: a path on this server's origin "
        "(e.g. one your reverse proxy serves), a `data:` URL, or an `https://` URL (its "
        "origin is then allowed for images only). Empty: no logo.",
    )
    portal_accent: str = Field(
        "#1f6feb", pattern=r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$",
        description="Accent colour of the portal (buttons, links, first chart series), "
        "`#rgb` or `#rrggbb`.",
    )

    @field_validator("portal_logo_url")
    @classmethod
    def _logo_url(cls, value: str) -> str:
        if value and not value.startswith(("/", "https://", "http://", "data:image/")):
            raise ValueError("a path starting with /, an http(s):// URL or a data:image/ URL")
        if value.startswith("//"):
            raise ValueError("a protocol-relative URL; spell out https://")
        return value

    login_rate: str = Field(
        "10/60",
        description="`POST /auth` attempts allowed per login: `N/S`, N attempts in any S "
        "seconds, right password or not; beyond → 429 with Retry-After. `0` turns it off.",
    )
    login_rate_per_ip: str = Field(
        "300/60",
        description="`POST /auth` attempts allowed per client IP (as CALLSTATS_TRUSTED_PROXIES "
        "decides it), `N/S` like CALLSTATS_LOGIN_RATE; `0` turns it off.",
    )
    header_timeout: float = Field(
        30.0, gt=0,
        description="Seconds a client has to send a request's line and headers, from its "
        "first byte (or from connecting); then the connection is closed.",
    )
    body_timeout: float = Field(
        30.0, gt=0,
        description="Seconds a request body may go without progress; then the request is "
        "answered 408 and the connection closed.",
    )
    keepalive_timeout: float = Field(
        15.0, gt=0, description="Seconds an idle keep-alive connection stays open."
    )
    shutdown_grace: float = Field(
        30.0, ge=0,
        description="On SIGTERM: seconds requests whose headers have arrived get to finish "
        "(new connections are refused, idle ones closed at once); then the server exits.",
    )

    @field_validator("duckdb_memory_limit")
    @classmethod
    def _memory_limit(cls, value: str) -> str:
        # Checked here so a typo fails at start with the variable's name, not as an
        # engine error when the store opens.
        if value and not _MEMORY_SIZE.fullmatch(value.strip()):
            raise ValueError("a size such as 512MB, 1GB or 1.5GiB (empty: DuckDB's default)")
        return value.strip()

    @field_validator("login_rate", "login_rate_per_ip")
    @classmethod
    def _rate(cls, value: str) -> str:
        parse_rate(value)  # raises ValueError, reported with the variable's name
        return value

    def store_url(self) -> str:
        return self.store or f"duckdb://{(self.data_dir / 'cdr.duckdb').resolve()}"

    def open_store(self, writer_lock: WriterLock | None = None) -> Store:
        from callstats.stores.base import open_store

        return open_store(self.store_url(), retention_days=self.retention_days,
                          cluster=self.clickhouse_cluster,
                          query_timeout=self.query_timeout or None, writer_lock=writer_lock,
                          duckdb_memory_limit=self.duckdb_memory_limit,
                          duckdb_threads=self.duckdb_threads)

    def metadata_database_url(self) -> str:
        return self.metadata_url or f"sqlite:///{(self.data_dir / 'metadata.sqlite').resolve()}"

    def ensure_jwt_secret(self) -> str:
        """The configured secret, else one persisted in the data directory."""
        if self.jwt_secret:
            return self.jwt_secret
        import secrets

        path = self.data_dir / "jwt-secret"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        self.jwt_secret = path.read_text().strip()
        return self.jwt_secret
