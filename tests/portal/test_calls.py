"""The Calls view against the CDR lists (SPEC 9.3) and the drill-down from a chart bucket
to the calls behind it: the page's rows are the API's rows for the page's own query, and
a bucket's calls are exactly the calls the bucket counts."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.support.portal import (
    CDR_LISTS,
    PortalServer,
    Watch,
    accounts,
    api_link,
    shown,
    table_rows,
    wait_loaded,
)

pytestmark = pytest.mark.needs(*CDR_LISTS)


def query_of(link: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(link).query)


def rows_match(page: Page, body: dict) -> None:
    rows = table_rows(page, "table.calls-table")
    assert [r["id"] for r in rows] == [item["id"] for item in body["data"]]
    for row, item in zip(rows, body["data"], strict=True):
        for key, text in row.items():
            if key in item["attributes"]:
                assert text == shown(item["attributes"][key]), (item["id"], key)


def test_outgoing_calls_match_the_api(signed_in: Page, portal: PortalServer, watch: Watch,
                                      token: str) -> None:
    uuid = accounts(portal)[0][0]
    signed_in.goto(portal.url + f"/calls?account={uuid}&range=24h")
    wait_loaded(signed_in)
    link = api_link(signed_in)
    query = query_of(link)
    assert query["filter[account_id_eq]"] == [uuid] and query["sort"] == ["-time-start"]
    assert "filter[time_start_gteq]" in query and query["page[size]"] == ["50"]
    body = portal.api(link, token).json()
    assert body["meta"]["total-count"] > 100 and len(body["data"]) == 50
    rows_match(signed_in, body)
    total = signed_in.locator("[data-total]").get_attribute("data-total")
    assert total == str(body["meta"]["total-count"])
    watch.assert_clean()


def test_incoming_calls_filtered_sorted_and_paged(signed_in: Page, portal: PortalServer,
                                                  watch: Watch, token: str) -> None:
    page = signed_in
    page.goto(portal.url + "/calls?dir=in&range=7d&size=25&sort=duration&page=2"
                           "&filter[duration_gt]=60")
    wait_loaded(page)
    body = portal.api(api_link(page), token).json()
    assert query_of(api_link(page))["filter[duration_gt]"] == ["60"]
    assert len(body["data"]) == 25 and all(i["attributes"]["duration"] > 60 for i in body["data"])
    durations = [i["attributes"]["duration"] for i in body["data"]]
    assert durations == sorted(durations)
    rows_match(page, body)
    page.get_by_role("link", name="Next page").click()
    expect(page).to_have_url(re.compile(r"page=3"))
    wait_loaded(page)
    rows_match(page, portal.api(api_link(page), token).json())
    # sorting by a column header: descending on a second click
    page.get_by_role("button", name="Sort by Duration (s)").click()
    expect(page).to_have_url(re.compile(r"sort=-duration"))
    wait_loaded(page)
    assert query_of(api_link(page))["page[number]"] == ["1"]
    rows_match(page, portal.api(api_link(page), token).json())
    watch.assert_clean()


def test_calls_csv_is_the_apis_csv_of_every_matching_row(
        signed_in: Page, portal: PortalServer, watch: Watch, token: str) -> None:
    page = signed_in
    uuid = accounts(portal)[0][0]
    page.goto(portal.url + f"/calls?account={uuid}&range=6h&filter[duration_gt]=0")
    wait_loaded(page)
    button = page.locator("button.csv")
    url = button.get_attribute("data-url")
    assert url and "page" not in url and query_of(url)["filter[duration_gt]"] == ["0"]
    with page.expect_download() as download:
        button.click()
    content = open(download.value.path(), "rb").read()
    expected = portal.api(url, token, accept="text/csv")
    assert content == expected.content
    total = portal.api(api_link(page), token).json()["meta"]["total-count"]
    assert content.count(b"\n") == total + 1  # header and every call, not only the page
    watch.assert_clean()


def bucket_point(page: Page, chart: int, t: int) -> dict[str, float]:
    """Where on the page a chart draws bucket `t` (its x) — over the plot's middle."""
    return page.locator("figure.chart").nth(chart).evaluate("""(figure, t) => {
        const u = figure.uplot, box = u.over.getBoundingClientRect();
        return {x: box.left + u.valToPos(t, 'x'), y: box.top + box.height / 2};
    }""", t)


def drill_down(page: Page, portal: PortalServer, token: str, side: str) -> None:
    report = portal.api(api_link(page), token).json()
    t = report["data"]["t"]
    busiest = max(range(len(t)), key=lambda i: report["data"]["total_calls"][i])
    point = bucket_point(page, 0, t[busiest])
    page.mouse.move(point["x"], point["y"])
    page.locator("figure.chart").first.evaluate(
        "f => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    page.mouse.down()
    page.mouse.up()
    expect(page).to_have_url(re.compile(r"/calls\?"))
    wait_loaded(page)
    view = query_of(page.url)
    assert view["dir"] == ["out" if side == "origination" else "in"]
    link = api_link(page)
    query = query_of(link)
    start = query["filter[time_start_gteq]"][0]
    # the bucket's start, or the range's when the range starts inside the first bucket
    since = datetime.fromisoformat(start.replace("Z", "+00:00")).timestamp()
    assert start.startswith(time_text(t[busiest])) or (busiest == 0 and t[0] < since < t[1])
    body = portal.api(link, token).json()
    # the bucket's calls: as many as the bucket counts, each starting inside it
    assert body["meta"]["total-count"] == report["data"]["total_calls"][busiest]
    rows_match(page, body)


def time_text(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def test_a_click_on_a_traffic_bucket_opens_its_calls(signed_in: Page, portal: PortalServer,
                                                     watch: Watch, token: str) -> None:
    uuid = accounts(portal)[0][0]
    for side in ("origination", "termination"):
        signed_in.goto(portal.url + f"/traffic?account={uuid}&side={side}&range=24h"
                                    "&sampling=hour&duration-gt=0")
        wait_loaded(signed_in)
        drill_down(signed_in, portal, token, side)
        assert query_of(api_link(signed_in))["filter[duration_gt]"] == ["0"]  # filter kept
    watch.assert_clean()


def test_a_bucket_link_in_the_table_opens_the_same_calls(
        signed_in: Page, portal: PortalServer, watch: Watch, token: str) -> None:
    uuid = accounts(portal)[0][0]
    signed_in.goto(portal.url + f"/traffic?account={uuid}&range=24h&sampling=hour")
    wait_loaded(signed_in)
    report = portal.api(api_link(signed_in), token).json()
    first = signed_in.locator("table.report-table tbody tr").first
    first.get_by_role("link").press("Enter")  # the keyboard's way in
    wait_loaded(signed_in)
    body = portal.api(api_link(signed_in), token).json()
    assert body["meta"]["total-count"] == report["data"]["total_calls"][0]
    watch.assert_clean()


def test_a_country_filter_the_list_lacks_is_named(signed_in: Page, portal: PortalServer,
                                                  watch: Watch) -> None:
    uuid = accounts(portal)[0][0]
    signed_in.goto(portal.url + f"/traffic?account={uuid}&range=24h&sampling=hour"
                                "&dst-country-id=826")
    wait_loaded(signed_in)
    signed_in.locator("table.report-table tbody tr").first.get_by_role("link").click()
    wait_loaded(signed_in)
    expect(signed_in.locator(".notice")).to_contain_text("dst-country-id=826")
    watch.assert_clean()
