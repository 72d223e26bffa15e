"""The customer API's JSON:API resources (SPEC 9), each a table of attributes. A CDR
attribute's type comes from its stored column's kind, so a new column is one name in a
list; `/cdrs` and `/incoming-cdrs` are one builder with the side as a parameter."""

from __future__ import annotations

from callstats.columns import CDR_BY_NAME, Kind
from callstats.jsonapi.model import Attribute, DefaultWindow, Resource
from callstats.jsonapi.types import (
    BOOLEAN,
    DATETIME,
    DECIMAL,
    INTEGER,
    STRING,
    UUID,
    AttrType,
    points,
)
from callstats.queries import ORIGINATION, TERMINATION, Side

ACCOUNTS = Resource(
    "accounts", "The accounts the caller may use", UUID, "uuid",
    (Attribute("name", STRING), Attribute("uuid", UUID, shown=False, sortable=False)),
    default_sort="name",
)

_TYPES: dict[Kind, AttrType] = {Kind.INT: INTEGER, Kind.DEC: DECIMAL, Kind.TS: DATETIME,
                                Kind.STR: STRING, Kind.BOOL: BOOLEAN}

CDR_ATTRIBUTES = {
    ORIGINATION.name: (
        "time_start", "time_connect", "time_end", "duration", "success",
        "destination_initial_interval", "destination_initial_rate",
        "destination_next_interval", "destination_next_rate", "destination_fee",
        "customer_price", "customer_duration", "src_name_in", "src_prefix_in", "from_domain",
        "dst_prefix_in", "to_domain", "ruri_domain", "diversion_in", "local_tag",
        "lega_disconnect_code", "lega_disconnect_reason", "auth_orig_transport_protocol_id",
        "auth_orig_ip", "auth_orig_port", "src_prefix_routing", "dst_prefix_routing",
        "destination_prefix", "orig_call_id", "lega_user_agent"),
    TERMINATION.name: (
        "time_start", "time_connect", "time_end", "duration", "success",
        "dialpeer_initial_interval", "dialpeer_initial_rate", "dialpeer_next_interval",
        "dialpeer_next_rate", "dialpeer_fee", "dialpeer_prefix", "vendor_price",
        "vendor_duration", "src_name_out", "src_prefix_out", "dst_prefix_out",
        "src_prefix_routing", "dst_prefix_routing", "diversion_out", "local_tag",
        "legb_disconnect_code", "legb_disconnect_reason", "sign_term_ip", "sign_term_port",
        "sign_term_transport_protocol_id", "term_call_id", "legb_user_agent"),
}
CDR_TYPES = {ORIGINATION.name: "cdrs", TERMINATION.name: "incoming-cdrs"}


def cdr_resource(side: Side) -> Resource:
    """A side's CDR list (SPEC 9.3): its columns, `rec` (no recordings are held), and the
    filters `id` and `account_id` (a uuid; the store compares the account id)."""
    columns = tuple(Attribute(name, _TYPES[CDR_BY_NAME[name].kind])
                    for name in CDR_ATTRIBUTES[side.name])
    return Resource(
        CDR_TYPES[side.name],
        f"The {side.name} CDRs of the caller's accounts, newest first",
        INTEGER, "id",
        (*columns,
         Attribute("rec", BOOLEAN, filterable=False, sortable=False, constant=False),
         Attribute("id", INTEGER, shown=False, sortable=False),
         Attribute("account_id", UUID, side.account_column, shown=False, sortable=False)),
        default_sort="-time_start",
        account_column=side.account_column,
        default_window=DefaultWindow("time_start", 86_400),
    )


CDRS = cdr_resource(ORIGINATION)
INCOMING_CDRS = cdr_resource(TERMINATION)


def chart(type_name: str, summary: str, *series: Attribute) -> Resource:
    """A chart yeti-client creates (SPEC 9.6): from-time and to-time in, series out."""
    window = (Attribute("from_time", DATETIME, filterable=False, sortable=False,
                        writable=True),
              Attribute("to_time", DATETIME, filterable=False, sortable=False, writable=True))
    return Resource(type_name, summary, UUID, "id", (*window, *series), default_sort="id",
                    account_column="account")


def _series(name: str, y: dict[str, object]) -> Attribute:
    return Attribute(name, points(y), filterable=False, sortable=False)


CHART_ACTIVE_CALLS = chart(
    "chart-active-calls", "Peak concurrent calls per minute, both sides of one account",
    _series("terminated_calls", {"type": "integer"}),
    _series("originated_calls", {"type": "integer"}))
CHART_ORIGINATED_CPS = chart(
    "chart-originated-cps", "Calls per second per minute the account originated",
    _series("cps", {"type": "string", "pattern": r"^[0-9]+\.[0-9]+$"}))

RESOURCES = {r.type: r for r in (ACCOUNTS, CDRS, INCOMING_CDRS, CHART_ACTIVE_CALLS,
                                 CHART_ORIGINATED_CPS)}
