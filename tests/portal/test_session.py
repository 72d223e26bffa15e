"""Signing in and out of the portal in a real browser: the cookie session (never readable
by script), yeti's message for a wrong password, an expired session, the keyboard alone."""

from __future__ import annotations

import re
from collections.abc import Callable

import jwt
from playwright.sync_api import BrowserContext, Page, Route, expect
from playwright.sync_api import Error as PlaywrightError

from tests.support.portal import PASSWORD, SECRET, V1, PortalServer, Watch, sign_in, wait_loaded

COOKIE = "_yeti_customer_v1_session"


def test_sign_in_lands_on_the_overview_with_an_httponly_lax_cookie(
        page: Page, portal: PortalServer, watch: Watch) -> None:
    page.goto(portal.url + "/")
    expect(page).to_have_url(portal.url + "/sign-in")  # no session: to the sign-in page
    expect(page.locator(".notice")).to_have_count(0)  # a first visit is no "expired" session
    sign_in(page, portal)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    [cookie] = [c for c in page.context.cookies() if c["name"] == COOKIE]
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax"
    assert cookie["secure"] is False  # CALLSTATS_COOKIE_SECURE is off on this http server
    assert COOKIE not in page.evaluate("document.cookie")
    assert page.evaluate("JSON.stringify(localStorage)").find(cookie["value"]) == -1
    watch.assert_clean(expected_statuses=(401,))  # the first GET /auth, before signing in


def test_a_wrong_password_shows_yetis_message(page: Page, portal: PortalServer,
                                              watch: Watch) -> None:
    page.goto(portal.url + "/sign-in")
    page.get_by_label("Login").fill("demo")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Incorrect login or password.")
    expect(page).to_have_url(portal.url + "/sign-in")
    expect(page.get_by_label("Password")).to_be_focused()
    assert not [c for c in page.context.cookies() if c["name"] == COOKIE]
    watch.assert_clean(expected_statuses=(401,))


def test_sign_in_with_the_keyboard_only(page: Page, portal: PortalServer) -> None:
    page.goto(portal.url + "/sign-in")
    expect(page.get_by_label("Login")).to_be_focused()  # the form takes focus at once
    page.keyboard.type("demo")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # focus is visible
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(page.locator("main")).to_be_focused()  # focus follows the move to the new view
    # on a fresh load, the skip link comes first, then the navigation
    page.reload()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Traffic":
            break
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Traffic")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/traffic\?"))


def test_an_expired_session_returns_to_sign_in_with_a_message(
        make_context: Callable[..., BrowserContext], portal: PortalServer, watch: Watch) -> None:
    page = make_context().new_page()
    sign_in(page, portal, path="/concurrent")
    expect(page.get_by_role("heading", name="Concurrent calls")).to_be_visible()
    here = page.url
    # No answer in flight: each one carries a refreshed cookie that would replace the
    # expired one set below (the sliding session, doing its job).
    wait_loaded(page)
    # the browser still holds a cookie, but its token's lifetime is over
    [cookie] = [c for c in page.context.cookies() if c["name"] == COOKIE]
    claims = jwt.decode(cookie["value"], options={"verify_signature": False})
    expired = jwt.encode({**claims, "exp": int(portal.clock()) - 1}, SECRET, algorithm="HS256")
    page.context.add_cookies([{**cookie, "value": expired}])  # type: ignore[list-item]
    page.get_by_label("Range").select_option("1h")  # the next request finds the session gone
    expect(page).to_have_url(re.compile(r"/sign-in\?"))
    expect(page.locator(".notice")).to_have_text(
        "Your session has expired. Please sign in again.")
    # signing in again reopens the view the user was on
    page.get_by_label("Login").fill("demo")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Concurrent calls")).to_be_visible()
    assert "range=1h" in page.url and page.url.split("?")[0] == here.split("?")[0]
    watch.assert_clean(expected_statuses=(401,))


def test_a_session_the_browser_dropped_also_says_expired(
        make_context: Callable[..., BrowserContext], portal: PortalServer, watch: Watch) -> None:
    page = make_context().new_page()
    sign_in(page, portal)
    wait_loaded(page)  # no answer in flight that would set the cookie again
    page.context.clear_cookies()  # the cookie's Expires passed
    page.goto(portal.url + "/traffic")
    expect(page.locator(".notice")).to_have_text(
        "Your session has expired. Please sign in again.")
    watch.assert_clean(expected_statuses=(401,))


def test_sign_out_expires_the_cookie(signed_in: Page, portal: PortalServer, watch: Watch) -> None:
    page = signed_in
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(portal.url + "/sign-in?reason=signed-out")
    expect(page.get_by_role("status").filter(has_text="You are signed out.")).to_be_visible()
    assert not [c for c in page.context.cookies() if c["name"] == COOKIE]
    page.goto(portal.url + "/")
    expect(page).to_have_url(portal.url + "/sign-in")  # no "expired" note after signing out
    expect(page.locator(".notice")).to_have_count(0)
    watch.assert_clean(expected_statuses=(401,))


def test_an_answer_still_in_flight_at_sign_out_cannot_sign_the_customer_back_in(
        signed_in: Page, portal: PortalServer, watch: Watch) -> None:
    """Every answer refreshes the session cookie. The browser is made to receive a view's
    answer just after the sign-out's, as happens when the server answers in that order:
    the portal must have given up on that answer before it asked to sign out."""
    page = signed_in
    wait_loaded(page)
    held: list[Route] = []

    def answer_late(route: Route) -> None:
        if route.request.method == "GET":
            held.append(route)  # answered after the sign-out, below
            return
        sign_out = route.fetch()
        late = []
        for view_request in held:  # the server answers these (refreshed cookie and all)…
            try:
                late.append((view_request, view_request.fetch()))
            except PlaywrightError:
                pass  # the page gave the request up
        route.fulfill(response=sign_out)  # …but the browser gets the sign-out's first
        for view_request, answer in late:
            try:
                view_request.fulfill(response=answer)
            except PlaywrightError:
                pass  # the page gave the request up

    page.route(f"**{V1}/**", answer_late)
    page.get_by_role("link", name="Concurrent calls").click()
    while not held:
        page.wait_for_timeout(20)
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(portal.url + "/sign-in?reason=signed-out")
    page.wait_for_timeout(200)  # room for a late answer to land
    assert not [c for c in page.context.cookies() if c["name"] == COOKIE]
    watch.assert_clean(expected_statuses=(401,))


def test_next_never_leaves_the_portal(page: Page, portal: PortalServer) -> None:
    page.goto(portal.url + "/sign-in?next=//evil.example/x")
    page.get_by_label("Login").fill("demo")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    assert page.url.startswith(portal.url + "/")
