"""What the views do over time and on request: views that refresh themselves pause while
the tab is hidden; CSV downloads are the API's own CSV of the same query."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Page

from tests.support.portal import V1, PortalServer, Watch, accounts, api_link, wait_loaded


def hide(page: Page, hidden: bool) -> None:
    """What the browser does when the tab goes to the background (and back)."""
    page.evaluate("""hidden => {
        Object.defineProperty(document, 'hidden', {value: hidden, configurable: true});
        Object.defineProperty(document, 'visibilityState',
                              {value: hidden ? 'hidden' : 'visible', configurable: true});
        document.dispatchEvent(new Event('visibilitychange'));
    }""", hidden)


def count(watch: Watch, path: str) -> int:
    return sum(1 for u in watch.requests if urlsplit(u).path == path)


def test_live_calls_refresh_and_pause_while_hidden(signed_in: Page, portal: PortalServer,
                                                   watch: Watch) -> None:
    page = signed_in
    uuid = accounts(portal)[0][0]
    page.goto(portal.url + f"/live?account={uuid}&refresh=2")
    wait_loaded(page)
    path = f"{V1}/outgoing-active-calls"
    first = count(watch, path)
    page.wait_for_timeout(4500)
    running = count(watch, path)
    assert running >= first + 2  # every 2 s while visible
    assert page.evaluate("document.body.dataset.refresh") == "running"
    hide(page, True)
    assert page.evaluate("document.body.dataset.refresh") == "paused"
    before = count(watch, path)
    page.wait_for_timeout(4500)
    assert count(watch, path) == before  # nothing while hidden
    hide(page, False)
    page.wait_for_timeout(500)
    assert count(watch, path) == before + 1  # at once when shown again
    talking = page.locator(".talking").first.inner_text()
    page.wait_for_timeout(2100)
    assert page.locator(".talking").first.inner_text() != talking or talking == "not connected"
    watch.assert_clean()


def test_concurrent_calls_refresh_only_for_ranges_reaching_now(
        signed_in: Page, portal: PortalServer, watch: Watch) -> None:
    page = signed_in
    uuid = accounts(portal)[0][0]
    path = f"{V1}/origination-active-calls"
    page.goto(portal.url + f"/concurrent?account={uuid}&range=1h&refresh=2")
    wait_loaded(page)
    first = count(watch, path)
    page.wait_for_timeout(2600)
    assert count(watch, path) > first
    page.goto(portal.url + f"/concurrent?account={uuid}&range=yesterday&refresh=2")
    wait_loaded(page)
    settled = count(watch, path)
    page.wait_for_timeout(2600)
    assert count(watch, path) == settled  # a closed range never changes: no refresh
    watch.assert_clean()


def test_traffic_csv_is_the_apis_csv(signed_in: Page, portal: PortalServer, watch: Watch,
                                     token: str) -> None:
    page = signed_in
    uuid = accounts(portal)[0][0]
    page.goto(portal.url + f"/traffic?account={uuid}&range=24h&sampling=hour&duration-gt=5")
    wait_loaded(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    saved = download.value
    assert saved.suggested_filename.startswith("origination-statistics-")
    assert saved.suggested_filename.endswith(".csv")
    content = open(saved.path(), "rb").read()
    expected = portal.api(api_link(page), token, accept="text/csv")
    assert expected.headers["content-type"] == "text/csv; charset=utf-8"
    assert content == expected.content
    assert content.startswith(b"t,total_calls,") and content.count(b"\r\n") > 10
    watch.assert_clean()


def test_concurrent_csv_is_the_apis_csv(signed_in: Page, portal: PortalServer, watch: Watch,
                                        token: str) -> None:
    page = signed_in
    uuid = accounts(portal)[0][0]
    page.goto(portal.url + f"/concurrent?account={uuid}&range=1h&refresh=0")
    wait_loaded(page)
    for button, link in (("CSV: originated", "Originated"), ("CSV: terminated", "Terminated")):
        with page.expect_download() as download:
            page.get_by_role("button", name=button).click()
        content = open(download.value.path(), "rb").read()
        assert content == portal.api(api_link(page, link), token, accept="text/csv").content
        assert content.startswith(b"t,calls\r\n")
    watch.assert_clean()
