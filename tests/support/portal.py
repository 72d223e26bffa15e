"""The portal under test: a real server on 127.0.0.1 (uvicorn in a thread over the real
app, store and metadata) filled with the demo's simulated traffic, and headless Chromium
driven by Playwright against it.

Time: the server's clock and the browser's both run from a fixed weekday morning (the
most recent Wednesday 10:00 UTC), so every view has busy data whatever the hour the suite
runs at; both clocks then advance in real time. The data is the demo's (`prepare_demo`),
so what the tests see is what a visitor of `make demo` sees.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import uvicorn
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    Request,
    Response,
    Route,
)

from callstats.http.app import create_app
from callstats.http.services import Services
from callstats.settings import Settings
from callstats.sim.demo_data import DemoSetup, prepare_demo
from tests.support.stores import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "demo-password"
OTHER_LOGIN, OTHER_PASSWORD, OTHER_CUSTOMER = "kestrel", "other-password", 1002
ADMIN_TOKEN = "portal-admin-token"
SECRET = "portal-test-secret-" + "p" * 40
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
ZONE = "Europe/London"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "portal" / "screenshots"
V1 = "/api/rest/customer/v1"
# API routes the portal's views read that another change adds (SPEC 9); a test needing one
# the server does not serve yet is skipped, naming it (see `needs` in tests/portal).
ACCOUNTS = V1 + "/accounts"
CDR_LISTS = (V1 + "/cdrs", V1 + "/incoming-cdrs")
QUALITY = (V1 + "/origination-statistics-quality", V1 + "/termination-statistics-quality",
           V1 + "/origination-disconnect-codes", V1 + "/termination-disconnect-codes")


def weekday_morning(now: float) -> float:
    """The most recent Wednesday 10:00 UTC at or before `now` (unix seconds)."""
    day = 86400
    midnight = now - now % day
    weekday = (int(midnight // day) + 3) % 7  # 0 = Monday (1970-01-01 was a Thursday)
    wednesday = midnight - ((weekday - 2) % 7) * day + 10 * 3600
    return wednesday if wednesday <= now else wednesday - 7 * day


class ShiftedClock:
    """Real time moved back by a fixed offset: it still advances."""

    def __init__(self, start: float):
        self.offset = time.time() - start

    def __call__(self) -> float:
        return time.time() - self.offset


@dataclass
class PortalServer:
    url: str
    services: Services
    setup: DemoSetup
    clock: ShiftedClock
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def settings(self) -> Settings:
        return self.services.settings

    def token(self, login: str = "demo", password: str = PASSWORD) -> str:
        response = httpx.post(self.url + V1 + "/auth",
                              json={"auth": {"login": login, "password": password}})
        assert response.status_code == 201, response.text
        return str(response.json()["jwt"])

    def api(self, path_and_query: str, token: str, accept: str = "application/json"
            ) -> httpx.Response:
        """The API's own answer to a URL the page used (same path, same query)."""
        return httpx.get(self.url + path_and_query, headers={"Authorization": token,
                                                              "Accept": accept})

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.services.close()


def start_server(data_dir: Path, **overrides: Any) -> PortalServer:
    start = weekday_morning(time.time())
    clock = ShiftedClock(start)
    settings = Settings(**{
        "data_dir": data_dir, "admin_token": ADMIN_TOKEN, "jwt_secret": SECRET,
        "token_lifetime": 14 * 86400,  # the cookie's Expires is in the shifted past
        "snapshot_max_age": 3600,  # the suite outlives 180 s: the last snapshot stays live
        "maintenance_interval": 0,
        # The suite signs in as one login far more often than 10 times a minute; the
        # attempt limits are tests/api/test_login_limits.py's subject.
        "login_rate": "0", "login_rate_per_ip": "0", **overrides})
    services = Services.open(settings, clock)
    setup = prepare_demo(services, seed=7, days=3, now=start, password=PASSWORD)
    services.metadata.create_api_access(OTHER_CUSTOMER, OTHER_LOGIN, OTHER_PASSWORD)
    port = free_port()
    config = uvicorn.Config(create_app(services=services), host="127.0.0.1", port=port,
                            log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="portal-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the portal test server did not start")
        time.sleep(0.02)
    return PortalServer(f"http://127.0.0.1:{port}", services, setup, clock, server, thread)


def launch(playwright: Playwright) -> Browser:
    """Debian's Chromium, headless; never a downloaded browser."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS,
                                      headless=True)


@dataclass
class Watch:
    """What a page did that it must not: console errors, uncaught exceptions, requests
    to anywhere but the server under test (those are refused and recorded)."""

    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    answers: dict[str, bytes] = field(default_factory=dict)  # path?query → body (API, 200)

    def answer(self, path_and_query: str) -> Any:
        """The JSON the page itself received for this request (its latest answer)."""
        return json.loads(self.answers[path_and_query])

    def assert_clean(self, expected_statuses: tuple[int, ...] = ()) -> None:
        """No request left the server; no console error but the browser's own note of an
        HTTP status the test provoked on purpose (a 401 after expiry, say)."""
        assert self.outside == [], f"requests left 127.0.0.1: {self.outside}"
        expected = tuple(f"status of {s} " for s in expected_statuses)
        errors = [e for e in self.errors if not (expected and any(x in e for x in expected))]
        assert errors == [], f"console errors: {errors}"


def new_context(browser: Browser, server: PortalServer, watch: Watch, *,
                viewport: dict[str, int] = DESKTOP, scheme: str = "light",
                **options: Any) -> BrowserContext:
    context = browser.new_context(viewport=viewport, color_scheme=scheme,  # type: ignore[arg-type]
                                  timezone_id=ZONE, locale="en-GB", accept_downloads=True,
                                  **options)
    context.clock.install(time=server.clock())
    origin = urlsplit(server.url).netloc

    def guard(route: Route, request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob") or parts.netloc == origin:
            watch.requests.append(request.url)
            route.continue_()
        else:
            watch.outside.append(request.url)
            route.abort()

    context.route("**/*", guard)
    context.on("page", lambda page: observe(page, watch))
    return context


def observe(page: Page, watch: Watch) -> None:
    page.on("console", lambda m: watch.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: watch.errors.append(f"uncaught: {e}"))

    def answered(response: Response) -> None:
        parts = urlsplit(response.url)
        api = parts.path.startswith((V1, "/client/"))
        if api and response.status == 200 and response.request.method == "GET":
            key = parts.path + (f"?{parts.query}" if parts.query else "")
            watch.answers[key] = response.body()

    page.on("response", answered)


def sign_in(page: Page, server: PortalServer, login: str = "demo",
            password: str = PASSWORD, path: str = "/") -> None:
    page.goto(server.url + "/sign-in" + (f"?next={path}" if path != "/" else ""))
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.locator("nav.views").wait_for(state="visible")


def wait_loaded(page: Page) -> None:
    """Until the view's data is on the page: no load under way, every chart drawn."""
    page.wait_for_function("""() => document.body.dataset.pending === '0'
        && !document.querySelector('main .loading')
        && [...document.querySelectorAll('figure.chart')].every(f => f.dataset.drawn)""")


def table_rows(page: Page, selector: str) -> list[dict[str, str]]:
    """Each body row of the table at `selector` as {data-key: text} (a <time>'s datetime
    attribute, and a bucket's unix seconds as "t", where the cell has them); the row's own
    data attributes as "@name"."""
    return page.eval_on_selector_all(f"{selector} tbody tr", """rows => rows.map(row => {
        const out = {};
        for (const [key, value] of Object.entries(row.dataset)) out['@' + key] = value;
        for (const cell of row.querySelectorAll('td[data-key]')) {
            const time = cell.querySelector('time');
            out[cell.dataset.key] = time ? (time.dataset.t ?? time.getAttribute('datetime'))
                                         : cell.textContent;
        }
        return out;
    })""")


def footer_row(page: Page, selector: str) -> dict[str, str]:
    return page.eval_on_selector(f"{selector} tfoot tr", """row => Object.fromEntries(
        [...row.querySelectorAll('td[data-key]')].map(c => [c.dataset.key, c.textContent]))""")


def shown(value: object) -> str:
    """How a table shows an API value: as the API wrote it (JSON's `true`), null as an em
    dash."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "—" if value is None else str(value)


def api_link(page: Page, name: str | None = None) -> str:
    """Path and query of the page's "as JSON" link: the exact request behind its table."""
    links = page.locator("a.api-link")
    link = links.filter(has_text=name) if name else links.first
    href = link.first.get_attribute("href")
    assert href
    return href


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def missing_routes(server: PortalServer, paths: tuple[str, ...]) -> list[str]:
    return [path for path in paths if not has_route(server, path)]


def has_route(server: PortalServer, path: str) -> bool:
    """Whether the server under test serves `path` (an API route another change adds)."""
    app = server.server.config.app
    return path in app.openapi()["paths"]  # type: ignore[attr-defined]


def accounts(server: PortalServer) -> list[tuple[str, str]]:
    """(uuid, name) of the demo customer's accounts."""
    customer = server.setup.world.demo_customer
    return [(a.uuid, a.name) for a in customer.accounts]


def other_accounts(server: PortalServer) -> list[str]:
    return [a.uuid for a in server.setup.world.contractor(OTHER_CUSTOMER).accounts]

