"""Apps built over settings of the test's own (a small body limit, the admin API off)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from callstats.http.app import create_app
from callstats.http.services import Services
from callstats.settings import Settings


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[Callable[..., object]]:
    """`async with make_client(max_body=…) as (client, services):` an app of its own over
    fresh services, with the test settings changed as given."""
    opened: list[Services] = []

    @asynccontextmanager
    async def make(
        raise_app_exceptions: bool = True, **changes: object
    ) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
        base = {"data_dir": tmp_path / f"data-{len(opened)}", "admin_token": "test-admin-token",
                "jwt_secret": "test-secret-" + "x" * 32}
        services = Services.open(Settings(**{**base, **changes}))
        opened.append(services)
        transport = httpx.ASGITransport(app=create_app(services=services),
                                        raise_app_exceptions=raise_app_exceptions)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c, services

    yield make
    for services in opened:
        services.close()
