"""Shared fixtures: real DuckDB files, real SQLite/PostgreSQL metadata, the real app."""

from __future__ import annotations

import logging
import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from callstats.http.app import create_app
from callstats.http.services import Services
from callstats.metadata.store import MetadataStore
from callstats.settings import Settings
from tests.support.servers import start_servers  # noqa: F401 (a fixture)
from tests.support.stores import STORE_KINDS, StoreUrls, clickhouse_http_server

ADMIN_TOKEN = "test-admin-token"
POSTGRES_URL = os.environ.get(
    "CALLSTATS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
@pytest.fixture(scope="session")
def chdb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("chdb")


@pytest.fixture(scope="session")
def clickhouse_http_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A ClickHouse HTTP interface over chdb in another process (started on first use)."""
    with clickhouse_http_server(tmp_path_factory.mktemp("clickhouse-http")) as url:
        yield url


@pytest.fixture(scope="module", params=STORE_KINDS)
def store_urls(request: pytest.FixtureRequest, chdb_dir: Path) -> StoreUrls:
    """Module-wide: every test of a module using it runs once per store kind."""
    return StoreUrls(request.param, chdb_dir)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", admin_token=ADMIN_TOKEN,
                    jwt_secret="test-secret-" + "x" * 32)


@pytest.fixture
def store_settings(settings: Settings, tmp_path: Path, store_urls: StoreUrls) -> Settings:
    """`settings` on each store kind in turn (a module opts in by overriding `settings`)."""
    return settings.model_copy(update={"store": store_urls(tmp_path / "data")})


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    opened = Services.open(settings)
    yield opened
    opened.close()


@pytest.fixture
async def client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(services=services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _postgres_available() -> bool:
    try:
        engine = sa.create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(params=["sqlite", "postgresql"])
def metadata_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each metadata test runs on SQLite and on PostgreSQL (a fresh schema per test)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'metadata.sqlite'}"
        return
    if not _postgres_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL not reachable at {POSTGRES_URL}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def metadata(metadata_url: str) -> Iterator[MetadataStore]:
    store = MetadataStore(metadata_url)
    yield store
    store.close()


_EXIT_STATUS: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _EXIT_STATUS.append(int(exitstatus))


def pytest_unconfigure(config: pytest.Config) -> None:
    """End the process once pytest has written its summary. schemathesis keeps the app it
    tested (and so DuckDB handles) alive until interpreter teardown, where nanobind then
    prints leak warnings after the summary line; nothing remains to clean up by then."""
    if _EXIT_STATUS and not hasattr(config, "workerinput"):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_STATUS[-1])


@pytest.fixture(autouse=True)
def callstats_logging_restored() -> Iterator[None]:
    """`configure_logging` (run by the CLI commands tests invoke in-process) gives the
    `callstats` logger one handler on that moment's stderr and stops propagation; put the
    logger back after each test, so a later test's caplog sees its records and no handler
    writes to a stream pytest has closed."""
    logger = logging.getLogger("callstats")
    handlers, propagate, level = logger.handlers[:], logger.propagate, logger.level
    yield
    logger.handlers[:] = handlers
    logger.propagate = propagate
    logger.setLevel(level)
