"""Every customer report's params, in the order SPEC 4.3–4.5 lists them (that order decides
which invalid param is named first). Origination and termination share one builder."""

from __future__ import annotations

from dataclasses import dataclass

from callstats.queries import ORIGINATION, TERMINATION, Op, Side
from callstats.reports.params import (
    BOOLEAN,
    DECIMAL,
    INTEGER,
    SAMPLING,
    SERIES_SAMPLING,
    TEXT,
    TIME,
    UUID,
    ZONE,
    Param,
    Role,
    compare_filters,
    text_filters,
)

ACCOUNT = Param("account-id", UUID, role=Role.ACCOUNT, required=True,
                doc="Account UUID (any letter case); one of the token's customer's accounts")
FROM_TIME = Param("from-time", TIME, role=Role.FROM, required=True,
                  doc="Start, inclusive: RFC 3339 / ISO 8601, offset honoured, else UTC")
TO_TIME = Param("to-time", TIME, role=Role.TO, doc="End, inclusive (default: now)")
TIME_ZONE = Param("time-zone", ZONE, role=Role.TIME_ZONE,
                  doc="IANA zone aligning hour/day/week/month buckets (default UTC)")


def _cdr_filters(side: Side) -> tuple[Param, ...]:
    common = (
        Param("src-country-id", INTEGER, "src_country_id", doc="src_country_id equals"),
        Param("dst-country-id", INTEGER, "dst_country_id", doc="dst_country_id equals"),
        *text_filters("src-prefix-routing", "src_prefix_routing"),
        *text_filters("dst-prefix-routing", "dst_prefix_routing"),
        *compare_filters("duration", "duration", INTEGER),
    )
    if side is ORIGINATION:
        return common + (
            Param("auth-orig-ip", TEXT, "auth_orig_ip", doc="auth_orig_ip equals"),
            *compare_filters("customer-price", "customer_price", DECIMAL),
        )
    return common + compare_filters("vendor-price", "vendor_price", DECIMAL)


@dataclass(frozen=True)
class Report:
    path: str
    summary: str
    params: tuple[Param, ...]
    side: Side | None = None


def traffic_report(side: Side) -> Report:
    sampling = Param("sampling", SAMPLING, role=Role.SAMPLING, required=True,
                     doc="Bucket size; week starts Sunday 00:00, month on the 1st")
    return Report(
        f"/{side.name}-statistics",
        f"{side.name.capitalize()} traffic statistics per time bucket",
        (ACCOUNT, FROM_TIME, sampling, TO_TIME, *_cdr_filters(side), TIME_ZONE),
        side,
    )


def concurrent_report(side: Side) -> Report:
    sampling = Param("sampling", SERIES_SAMPLING, role=Role.SAMPLING, default="minute",
                     doc="Bucket size (default minute)")
    return Report(
        f"/{side.name}-active-calls",
        f"Peak concurrent {side.name} calls per time bucket, from active-call snapshots",
        (ACCOUNT, FROM_TIME, TO_TIME, *_cdr_filters(side), sampling, TIME_ZONE),
        side,
    )


_CURRENT_TEXT = ("src-name-in", "src-prefix-in", "dst-prefix-in", "src-prefix-routing",
                 "dst-prefix-routing")

OUTGOING_ACTIVE_CALLS = Report(
    "/outgoing-active-calls",
    "The account's calls in progress now (latest fresh snapshot of every node)",
    (
        ACCOUNT,
        Param("auth-orig-ip", TEXT, "auth_orig_ip", doc="auth_orig_ip equals"),
        Param("auth-orig-port", INTEGER, "auth_orig_port", doc="auth_orig_port equals"),
        Param("auth-orig-transport-protocol-id", INTEGER, "auth_orig_transport_protocol_id",
              doc="auth_orig_transport_protocol_id equals"),
        Param("connect-time-null", BOOLEAN, "connect_time", Op.IS_NULL,
              doc="true: calls not yet connected; false: connected calls"),
        *(param for op in (Op.EQ, Op.STARTS_WITH, Op.ENDS_WITH, Op.CONTAINS)
          for prefix in _CURRENT_TEXT
          for param in text_filters(prefix, prefix.replace("-", "_")) if param.op is op),
    ),
)

ORIGINATION_STATISTICS = traffic_report(ORIGINATION)
TERMINATION_STATISTICS = traffic_report(TERMINATION)
ORIGINATION_ACTIVE_CALLS = concurrent_report(ORIGINATION)
TERMINATION_ACTIVE_CALLS = concurrent_report(TERMINATION)
