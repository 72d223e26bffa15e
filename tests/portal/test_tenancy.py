"""Tenancy through the portal: whatever is typed into the URL, a signed-in customer's pages
show only its own data; another customer's account gets the API's refusal and nothing of
that account's traffic."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.portal import (
    CDR_LISTS,
    OTHER_LOGIN,
    OTHER_PASSWORD,
    QUALITY,
    V1,
    PortalServer,
    Watch,
    accounts,
    has_route,
    other_accounts,
    sign_in,
    wait_loaded,
)

REFUSED = "This account is not one of the accounts you may see. Pick one from the list."


@pytest.mark.parametrize("path", [
    "/traffic?account={}&range=7d&sampling=day",
    "/traffic?account={}&side=termination&range=7d&sampling=day",
    pytest.param("/quality?account={}&range=6h", marks=pytest.mark.needs(*QUALITY)),
    "/concurrent?account={}&range=1h",
    "/live?account={}&refresh=0",
    pytest.param("/calls?account={}&range=7d", marks=pytest.mark.needs(*CDR_LISTS)),
])
def test_another_customers_account_in_the_url_shows_nothing_of_it(
        signed_in: Page, portal: PortalServer, watch: Watch, path: str, token: str) -> None:
    other = other_accounts(portal)[0]
    signed_in.goto(portal.url + path.format(other))
    expect(signed_in.get_by_role("alert")).to_have_text(REFUSED)
    expect(signed_in.locator("main table")).to_have_count(0)
    expect(signed_in.locator("figure.chart")).to_have_count(0)
    # the picker never offers it as one of the customer's accounts
    own = {uuid for uuid, _ in accounts(portal)}
    options = signed_in.get_by_label("Account").locator("option").all()
    listed = {o.get_attribute("value") for o in options} - {"", other}
    assert listed == own
    watch.assert_clean(expected_statuses=(400,))


def test_the_other_customer_sees_its_own_accounts_only(page: Page, portal: PortalServer,
                                                       watch: Watch) -> None:
    sign_in(page, portal, OTHER_LOGIN, OTHER_PASSWORD)
    wait_loaded(page)
    shown = {c.get_attribute("data-account") for c in page.locator("article.card").all()}
    assert shown == set(other_accounts(portal))
    demo_account = accounts(portal)[0][0]
    page.goto(portal.url + f"/traffic?account={demo_account}&range=7d&sampling=day")
    expect(page.get_by_role("alert")).to_have_text(REFUSED)
    expect(page.locator("main table")).to_have_count(0)
    watch.assert_clean(expected_statuses=(400,))


def test_summary_is_always_the_signed_in_customers(page: Page, portal: PortalServer,
                                                   watch: Watch) -> None:
    """The call summary asks for `@me`; a client id typed into the URL changes nothing."""
    sign_in(page, portal, OTHER_LOGIN, OTHER_PASSWORD)
    page.goto(portal.url + "/summary?range=24h&client_id=1001")
    wait_loaded(page)
    summary = [u for u in watch.requests if "/calls/stats" in u]
    assert summary and all("/client/@me/calls/stats/" in u for u in summary)
    assert all("client_id" not in u.split("?")[1] for u in summary if "?" in u)
    extensions = has_route(portal, "/client/{client_id}/extensions/")
    watch.assert_clean(expected_statuses=() if extensions else (404,))


def test_no_request_carries_another_customers_account(
        signed_in: Page, portal: PortalServer, watch: Watch) -> None:
    """Walking every view of the demo login, every API request names its own accounts."""
    own = {uuid for uuid, _ in accounts(portal)}
    for path in ("/", "/traffic", "/quality", "/concurrent", "/live?refresh=0", "/calls",
                 "/summary"):
        signed_in.goto(portal.url + path)
        wait_loaded(signed_in)
    named = [u for u in watch.requests if V1 in u and "account" in u]
    assert named
    for other in other_accounts(portal):
        assert not [u for u in named if other in u]
    assert any(uuid in u for u in named for uuid in own)
