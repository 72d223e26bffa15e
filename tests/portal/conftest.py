"""Fixtures of the portal's browser tests: one server with the demo's traffic for the
package (torn down with it, so Playwright's event loop never meets later suites), one
Chromium, and a fresh browser context (cookies, clock, request guard) per
test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.support.portal import (
    ACCOUNTS,
    PortalServer,
    Watch,
    launch,
    missing_routes,
    new_context,
    sign_in,
    start_server,
)


@pytest.fixture(scope="package")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalServer]:
    server = start_server(tmp_path_factory.mktemp("portal"))
    yield server
    server.stop()


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = launch(playwright)
    yield launched
    launched.close()


@pytest.fixture(autouse=True)
def needs(request: pytest.FixtureRequest) -> None:
    """A browser test needs GET /accounts (every view's account picker), and whatever
    `@pytest.mark.needs(path, …)` names: skipped, naming the route, while the server under
    test does not serve it (another change adds it), run as soon as it does."""
    if "make_context" not in request.fixturenames:
        return
    paths = [ACCOUNTS]
    for marker in request.node.iter_markers("needs"):
        paths += list(marker.args)
    missing = missing_routes(request.getfixturevalue("portal"), tuple(paths))
    if missing:
        pytest.skip(f"the server does not serve {', '.join(missing)} yet")


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def make_context(browser: Browser, portal: PortalServer, watch: Watch
                 ) -> Iterator[Callable[..., BrowserContext]]:
    """`make_context(viewport=…, scheme=…)`: a browser context guarded by `watch`."""
    made: list[BrowserContext] = []

    def make(**options: object) -> BrowserContext:
        context = new_context(browser, portal, watch, **options)  # type: ignore[arg-type]
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture
def page(make_context: Callable[..., BrowserContext]) -> Page:
    """A page in a fresh desktop context, not signed in."""
    return make_context().new_page()


@pytest.fixture
def signed_in(page: Page, portal: PortalServer) -> Page:
    """A page signed in as the demo login, on the overview."""
    sign_in(page, portal)
    return page


@pytest.fixture(scope="package")
def token(portal: PortalServer) -> str:
    """A JWT of the demo login, to ask the API what the pages show."""
    return portal.token()
