"""The resource tables hold what SPEC 9 lists: attributes in its order, filters by type, and
the OpenAPI derived from them names every filter."""

from __future__ import annotations

from callstats.columns import CDR_BY_NAME
from callstats.jsonapi.document import attributes
from callstats.jsonapi.openapi import list_parameters
from callstats.reports.resources import ACCOUNTS, CDRS, CHART_ACTIVE_CALLS, INCOMING_CDRS

# SPEC 9.3, verbatim.
CDRS_ATTRIBUTES = (
    "time-start, time-connect, time-end, duration, success, destination-initial-interval, "
    "destination-initial-rate, destination-next-interval, destination-next-rate, "
    "destination-fee, customer-price, customer-duration, src-name-in, src-prefix-in, "
    "from-domain, dst-prefix-in, to-domain, ruri-domain, diversion-in, local-tag, "
    "lega-disconnect-code, lega-disconnect-reason, auth-orig-transport-protocol-id, "
    "auth-orig-ip, auth-orig-port, src-prefix-routing, dst-prefix-routing, "
    "destination-prefix, orig-call-id, lega-user-agent, rec")
INCOMING_ATTRIBUTES = (
    "time-start, time-connect, time-end, duration, success, dialpeer-initial-interval, "
    "dialpeer-initial-rate, dialpeer-next-interval, dialpeer-next-rate, dialpeer-fee, "
    "dialpeer-prefix, vendor-price, vendor-duration, src-name-out, src-prefix-out, "
    "dst-prefix-out, src-prefix-routing, dst-prefix-routing, diversion-out, local-tag, "
    "legb-disconnect-code, legb-disconnect-reason, sign-term-ip, sign-term-port, "
    "sign-term-transport-protocol-id, term-call-id, legb-user-agent, rec")
TYPE_OF_KIND = {"int": "number", "decimal": "number", "timestamp": "datetime",
                "str": "string", "bool": "boolean"}


def test_the_cdr_lists_show_specs_attributes_in_order() -> None:
    for resource, listed in ((CDRS, CDRS_ATTRIBUTES), (INCOMING_CDRS, INCOMING_ATTRIBUTES)):
        assert [a.key for a in resource.shown] == listed.split(", ")
        assert attributes(resource, {})["rec"] is False  # no recordings are held


def test_every_cdr_attribute_but_rec_filters_by_its_columns_type() -> None:
    for resource, account_column in ((CDRS, "customer_acc_id"),
                                     (INCOMING_CDRS, "vendor_acc_id")):
        filterable = resource.filterable
        shown = {a.name for a in resource.shown} - {"rec"}
        assert set(filterable) == shown | {"id", "account_id"}
        for name in shown:
            assert filterable[name].type.name == TYPE_OF_KIND[CDR_BY_NAME[name].kind.value]
        assert filterable["id"].type.name == "number"
        assert (filterable["account_id"].type.name, filterable["account_id"].stored) == (
            "uuid", account_column)
        assert resource.account_column == account_column
        assert resource.default_sort == "-time_start" and resource.id_column == "id"


def test_accounts() -> None:
    assert [a.key for a in ACCOUNTS.shown] == ["name"]
    assert {n: a.type.name for n, a in ACCOUNTS.filterable.items()} == {
        "name": "string", "uuid": "uuid"}
    assert ACCOUNTS.account_column is None and ACCOUNTS.default_sort == "name"


def test_openapi_names_every_filter_sort_and_page_parameter() -> None:
    names = [p["name"] for p in list_parameters(ACCOUNTS)]
    assert names == [
        *(f"filter[name_{op}]" for op in "eq not_eq cont start end in not_in cont_any".split()),
        *(f"filter[uuid_{op}]" for op in "eq not_eq in not_in".split()),
        "sort", "page[number]", "page[size]", "fields[accounts]"]
    cdr_filters = [p["name"] for p in list_parameters(CDRS) if p["name"].startswith("filter")]
    assert "filter[time_start_gteq]" in cdr_filters and "filter[rec_eq]" not in cdr_filters
    assert len(cdr_filters) == len(set(cdr_filters)) == sum(
        len(a.type.ops) for a in CDRS.filterable.values())


def test_charts_take_their_window_and_show_their_series() -> None:
    assert list(CHART_ACTIVE_CALLS.writable) == ["from_time", "to_time"]
    assert [a.key for a in CHART_ACTIVE_CALLS.shown] == [
        "from-time", "to-time", "terminated-calls", "originated-calls"]
