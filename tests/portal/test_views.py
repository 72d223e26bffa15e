"""Each view shows the API's numbers for the view's own params: the page's tables are read
back and compared with the JSON the API gives the same query (with a token of the same
login), and the query is checked against the view's state in the URL."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.support.portal import (
    QUALITY,
    V1,
    ZONE,
    PortalServer,
    Watch,
    accounts,
    api_link,
    footer_row,
    has_route,
    shown,
    table_rows,
    wait_loaded,
)

TRAFFIC_KEYS = ["total_calls", "successful_calls", "failed_calls", "total_duration", "acd",
                "asr", "total_price"]


def query_of(link: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(link).query)


def requested(watch: Watch, path: str) -> list[str]:
    """Path and query of every request the page made to `path`."""
    out = []
    for url in watch.requests:
        parts = urlsplit(url)
        if parts.path == path:
            out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


def open_view(page: Page, portal: PortalServer, path: str) -> None:
    page.goto(portal.url + path)
    wait_loaded(page)


def test_overview_shows_each_accounts_last_24_hours(signed_in: Page, portal: PortalServer,
                                                    watch: Watch, token: str) -> None:
    page = signed_in
    wait_loaded(page)
    cards = page.locator("article.card")
    expect(cards).to_have_count(len(accounts(portal)))
    for uuid, name in accounts(portal):
        card = page.locator(f'article.card[data-account="{uuid}"]')
        expect(card.get_by_role("heading")).to_have_text(name)
        for side in ("origination", "termination"):
            [url] = [u for u in requested(watch, f"{V1}/{side}-statistics")
                     if query_of(u)["account-id"] == [uuid]]
            query = query_of(url)
            assert query["sampling"] == ["hour"] and query["time-zone"] == [ZONE]
            totals = portal.api(url, token).json()["totals"]
            for key in ("total_calls", "asr", "acd", "total_duration", "total_price",
                        "successful_calls"):
                value = card.locator(f'dl[data-side="{side}"] [data-key="{key}"] dd')
                assert value.inner_text().split()[0] == shown(totals[key]), (side, key)
        [live] = [u for u in requested(watch, f"{V1}/outgoing-active-calls")
                  if query_of(u)["account-id"] == [uuid]]
        rows = portal.api(live, token).json()["rows"]
        assert card.locator(".calls-now").get_attribute("data-rows") == str(rows)
        sparkline = card.locator("figure.chart")
        expect(sparkline).to_have_attribute("data-drawn", "true")
    assert sum(int(c.get_attribute("data-rows") or 0)
               for c in page.locator(".calls-now").all()) > 0  # a busy morning: calls now
    watch.assert_clean()


def traffic_matches(page: Page, portal: PortalServer, token: str) -> dict:
    link = api_link(page)
    body = portal.api(link, token).json()
    rows = table_rows(page, "table.report-table")
    assert [int(r["t"]) for r in rows] == body["data"]["t"]
    for i, row in enumerate(rows):
        assert [row[k] for k in TRAFFIC_KEYS] == [shown(body["data"][k][i]) for k in TRAFFIC_KEYS]
    totals = footer_row(page, "table.report-table")
    assert [totals[k] for k in TRAFFIC_KEYS] == [shown(body["totals"][k]) for k in TRAFFIC_KEYS]
    return body


def test_traffic_origination_matches_the_api(signed_in: Page, portal: PortalServer,
                                             watch: Watch, token: str) -> None:
    uuid, _ = accounts(portal)[0]
    open_view(signed_in, portal, f"/traffic?account={uuid}&side=origination&range=24h"
                                 "&sampling=hour")
    body = traffic_matches(signed_in, portal, token)
    assert body["rows"] > 10 and body["totals"]["total_calls"] > 100
    query = query_of(api_link(signed_in))
    assert query["account-id"] == [uuid] and query["sampling"] == ["hour"]
    assert query["time-zone"] == [ZONE] and "to-time" not in query
    expect(signed_in.locator("figure.chart")).to_have_count(5)
    watch.assert_clean()


def test_traffic_termination_with_filters_matches_the_api(
        signed_in: Page, portal: PortalServer, watch: Watch, token: str) -> None:
    uuid, _ = accounts(portal)[0]
    open_view(signed_in, portal, f"/traffic?account={uuid}&side=termination&range=7d"
                                 "&sampling=day&duration-gt=30&tz=America/New_York")
    body = traffic_matches(signed_in, portal, token)
    assert body["rows"] >= 3
    query = query_of(api_link(signed_in))
    assert query["duration-gt"] == ["30"] and query["time-zone"] == ["America/New_York"]
    # the filter shows in the form, where it can be changed
    expect(signed_in.locator(".filter-row")).to_have_count(1)
    expect(signed_in.locator(".filter-row .filter-input")).to_have_value("30")
    watch.assert_clean()


def test_traffic_filters_added_in_the_form_reach_the_api_and_the_url(
        signed_in: Page, portal: PortalServer, watch: Watch, token: str) -> None:
    uuid, _ = accounts(portal)[0]
    open_view(signed_in, portal, f"/traffic?account={uuid}&range=24h&sampling=hour")
    page = signed_in
    page.get_by_role("button", name="Add filter").click()
    page.get_by_label("Filter 1: field").select_option(label="Destination number (routing)")
    page.get_by_label("Filter 1: operation").select_option(label="starts with")
    page.get_by_label("Filter 1: value").fill("44")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile("dst-prefix-routing-starts-with=44"))
    wait_loaded(page)
    assert query_of(api_link(page))["dst-prefix-routing-starts-with"] == ["44"]
    filtered = traffic_matches(page, portal, token)
    page.reload()  # the URL alone reopens the same view
    wait_loaded(page)
    assert traffic_matches(page, portal, token) == filtered
    expect(page.get_by_label("Filter 1: value")).to_have_value("44")
    page.go_back()
    wait_loaded(page)
    assert "dst-prefix-routing-starts-with" not in query_of(api_link(page))
    watch.assert_clean()


def test_an_invalid_filter_value_shows_the_apis_message(
        signed_in: Page, portal: PortalServer, watch: Watch) -> None:
    uuid, _ = accounts(portal)[0]
    signed_in.goto(portal.url + f"/traffic?account={uuid}&range=24h&duration-gt=ten")
    expect(signed_in.get_by_role("alert")).to_have_text(
        "The API refused the request: invalid value duration-gt")
    watch.assert_clean(expected_statuses=(400,))


def test_time_zone_defaults_to_the_browsers_and_can_be_changed(
        signed_in: Page, portal: PortalServer, watch: Watch, token: str) -> None:
    uuid, _ = accounts(portal)[0]
    open_view(signed_in, portal, f"/traffic?account={uuid}&range=7d&sampling=day")
    page = signed_in
    assert query_of(page.url)["tz"] == [ZONE]  # the context's (browser's) zone
    expect(page.get_by_label("Time zone")).to_have_value(ZONE)
    page.get_by_label("Time zone").select_option("Asia/Tokyo")
    expect(page).to_have_url(re.compile("tz=Asia%2FTokyo"))
    wait_loaded(page)
    assert query_of(api_link(page))["time-zone"] == ["Asia/Tokyo"]
    rows = table_rows(page, "table.report-table")
    # day buckets start at midnight in Tokyo (15:00 UTC)
    assert {int(r["t"]) % 86400 for r in rows} == {15 * 3600}
    traffic_matches(page, portal, token)
    watch.assert_clean()


def test_concurrent_calls_show_both_sides(signed_in: Page, portal: PortalServer,
                                          watch: Watch, token: str) -> None:
    uuid, _ = accounts(portal)[0]
    open_view(signed_in, portal, f"/concurrent?account={uuid}&range=1h&sampling=minute")
    # zero-filled up to "now": the answer the page got, which a later request may outgrow
    # by a minute; that later answer still starts with the page's buckets
    orig = watch.answer(api_link(signed_in, "Originated"))
    term = watch.answer(api_link(signed_in, "Terminated"))
    later = portal.api(api_link(signed_in, "Originated"), token).json()
    assert later["data"]["t"][:len(orig["data"]["t"])] == orig["data"]["t"]
    rows = table_rows(signed_in, "table.report-table")
    assert [int(r["t"]) for r in rows] == orig["data"]["t"] == term["data"]["t"]
    assert [int(r["origination"]) for r in rows] == orig["data"]["calls"]
    assert [int(r["termination"]) for r in rows] == term["data"]["calls"]
    assert len(rows) >= 60 and max(orig["data"]["calls"]) > 0 and max(term["data"]["calls"]) > 0
    watch.assert_clean()


def test_live_calls_match_the_api(signed_in: Page, portal: PortalServer, watch: Watch,
                                  token: str) -> None:
    uuid, _ = accounts(portal)[0]
    open_view(signed_in, portal, f"/live?account={uuid}&refresh=0")
    body = portal.api(api_link(signed_in), token).json()
    assert body["rows"] > 0
    expect(signed_in.locator(".live-count")).to_have_text(str(body["rows"]))
    rows = table_rows(signed_in, "table.live-table")
    assert len(rows) == body["rows"]
    for row, call in zip(rows, body["data"], strict=True):
        assert row["start_time"] == call["start_time"]
        assert row["dst_prefix_in"] == shown(call["dst_prefix_in"])
        assert row["destination_initial_rate"] == shown(call["destination_initial_rate"])
    watch.assert_clean()


def test_live_calls_filters(signed_in: Page, portal: PortalServer, watch: Watch,
                            token: str) -> None:
    uuid, _ = accounts(portal)[0]
    open_view(signed_in, portal, f"/live?account={uuid}&refresh=0&connect-time-null=false")
    body = portal.api(api_link(signed_in), token).json()
    assert query_of(api_link(signed_in))["connect-time-null"] == ["false"]
    assert all(call["connect_time"] for call in body["data"])
    assert len(table_rows(signed_in, "table.live-table")) == body["rows"]
    watch.assert_clean()


def test_call_summary_matches_the_pbx_api(signed_in: Page, portal: PortalServer,
                                          watch: Watch, token: str) -> None:
    open_view(signed_in, portal, "/summary?range=24h")
    calls = portal.api(api_link(signed_in, "Calls as JSON"), token).json()
    cdrs = portal.api(api_link(signed_in, "CDRs as JSON"), token).json()
    for direction in ("in", "out"):
        panel = f'section.summary[data-direction="{direction}"] table'
        rows = {r["@measure"]: r for r in table_rows(signed_in, panel)}
        for key, value in calls[direction].items():
            assert rows[key]["calls"] == str(value), (direction, key)
        for key, value in cdrs[direction].items():
            assert rows[key]["cdrs"] == str(value), (direction, key)
        assert calls[direction]["total"] > 0
    extensions = has_route(portal, "/client/{client_id}/extensions/")
    watch.assert_clean(expected_statuses=() if extensions else (404,))


QUALITY_KEYS = ["total_calls", "cps", "asr", "ner", "acd", "pdd-avg", "pdd-p50", "pdd-p95",
                "pdd-p99"]


@pytest.mark.needs(*QUALITY)
def test_quality_matches_the_api(signed_in: Page, portal: PortalServer, watch: Watch,
                                 token: str) -> None:
    uuid, _ = accounts(portal)[0]
    open_view(signed_in, portal, f"/quality?account={uuid}&range=6h&sampling=15minutes")
    series_link = api_link(signed_in)
    query = query_of(series_link)
    assert query["metrics"] == ["ner,pdd-avg,pdd-p50,pdd-p95,pdd-p99"]
    assert query["sampling"] == ["15minutes"] and query["time-zone"] == [ZONE]
    body = watch.answer(series_link)  # zero-filled up to "now": the page's own answer
    rows = table_rows(signed_in, "table.report-table")
    assert [int(r["t"]) for r in rows] == body["data"]["t"] and len(rows) >= 24
    for i, row in enumerate(rows):
        assert [row[k] for k in QUALITY_KEYS] == [shown(body["data"][k][i]) for k in QUALITY_KEYS]
    later = portal.api(series_link, token).json()  # asked again: the same buckets, and more
    assert later["data"]["t"][:len(body["data"]["t"])] == body["data"]["t"]
    [codes_link] = [u for u in watch.answers if "-disconnect-codes?" in u]
    codes = portal.api(codes_link, token).json()
    shown_codes = table_rows(signed_in, "table.codes-table")
    assert [(r["code"], r["class"], r["calls"], r["share"]) for r in shown_codes] == [
        (shown(c["code"]), c["class"], str(c["calls"]), c["share"]) for c in codes["data"]]
    expect(signed_in.locator("section.codes .bars li")).to_have_count(len(codes["data"]))
    expect(signed_in.locator("figure.chart")).to_have_count(5)
    watch.assert_clean()
