"""Every report, declared once: its path, params (in the order the SPEC lists them, which
decides which invalid param is named first), kind, response schema, cache scope, runner and
formats. Routing, OpenAPI and caching read these fields; nothing is inferred from a path.
Origination and termination share one builder."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from callstats.queries import ORIGINATION, PBX_COUNTS, TERMINATION, Op, Side
from callstats.reports import codes, concurrent, current, pbx, quality, schemas, traffic
from callstats.reports.context import Runner
from callstats.reports.params import (
    BOOLEAN,
    DECIMAL,
    INTEGER,
    QUALITY_SAMPLING,
    SAMPLING,
    SERIES_SAMPLING,
    TEXT,
    TIME,
    UUID,
    ZONE,
    Param,
    Role,
    compare_filters,
    names_of,
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


class ReportKind(Enum):
    STATISTICS = "statistics"  # exact sums per time bucket that has data, with totals
    SERIES = "series"  # one point per bucket of the range, zero-filled
    LIST = "list"  # items, e.g. calls in progress
    SUMMARY = "summary"  # counts without buckets (PBX)


class CacheScope(Enum):
    """What data an answer depends on, so a cached body is dropped when it changes."""

    NONE = "none"  # not cached
    ACCOUNT_CDRS = "account-cdrs"  # the CDRs of the account on the report's side
    SNAPSHOTS = "snapshots"  # active-call snapshots


@dataclass(frozen=True)
class Report:
    path: str
    summary: str
    params: tuple[Param, ...]
    kind: ReportKind
    run: Runner
    schema: schemas.Schema  # the 200 body
    side: Side | None = None
    cache: CacheScope = CacheScope.NONE
    csv: bool = False  # `Accept: text/csv` gives the data arrays as CSV
    # Path parameters (OpenAPI parameter objects) a route adds before the query params.
    path_params: tuple[dict[str, object], ...] = ()


def traffic_report(side: Side) -> Report:
    sampling = Param("sampling", SAMPLING, role=Role.SAMPLING, required=True,
                     doc="Bucket size; week starts Sunday 00:00, month on the 1st")
    return Report(
        f"/{side.name}-statistics",
        f"{side.name.capitalize()} traffic statistics per time bucket",
        (ACCOUNT, FROM_TIME, sampling, TO_TIME, *_cdr_filters(side), TIME_ZONE),
        ReportKind.STATISTICS, traffic.run, schemas.TRAFFIC, side,
        cache=CacheScope.ACCOUNT_CDRS, csv=True,
    )


def concurrent_report(side: Side) -> Report:
    sampling = Param("sampling", SERIES_SAMPLING, role=Role.SAMPLING, default="minute",
                     doc="Bucket size (default minute)")
    return Report(
        f"/{side.name}-active-calls",
        f"Peak concurrent {side.name} calls per time bucket, from active-call snapshots",
        (ACCOUNT, FROM_TIME, TO_TIME, *_cdr_filters(side), sampling, TIME_ZONE),
        ReportKind.SERIES, concurrent.run, schemas.CONCURRENT, side,
        cache=CacheScope.SNAPSHOTS, csv=True,
    )


# Quality buckets and the code table are on the UTC grid (no hours or days a zone could
# shift); the zone is still read and checked, as on the 4.3 endpoint they mirror.
ZONE_CHECKED = Param("time-zone", ZONE, role=Role.TIME_ZONE,
                     doc="IANA zone, checked as on the statistics reports; moves nothing "
                         "here (every zone's offset today is whole quarter hours)")
METRICS = Param("metrics", names_of(*quality.METRICS), role=Role.METRICS,
                doc="Extra series, comma-separated, each at most once, appended in this "
                    f"order: {', '.join(quality.METRICS)} (NER in %, PDD in seconds)")


def quality_report(side: Side) -> Report:
    sampling = Param("sampling", QUALITY_SAMPLING, role=Role.SAMPLING, required=True,
                     doc="Bucket size: 1, 5 or 15 minutes")
    return Report(
        f"/{side.name}-statistics-quality",
        f"{side.name.capitalize()} call quality per time bucket, zero-filled: calls, ACD "
        "(seconds), ASR, CPS; NER and PDD on request",
        (ACCOUNT, FROM_TIME, sampling, TO_TIME, *_cdr_filters(side), ZONE_CHECKED, METRICS),
        ReportKind.SERIES, quality.run, schemas.QUALITY, side,
        cache=CacheScope.ACCOUNT_CDRS, csv=True,
    )


def disconnect_codes_report(side: Side) -> Report:
    return Report(
        f"/{side.name}-disconnect-codes",
        f"{side.name.capitalize()} CDRs per disconnect code, with its class and share",
        (ACCOUNT, FROM_TIME, TO_TIME, *_cdr_filters(side), ZONE_CHECKED),
        ReportKind.LIST, codes.run, schemas.DISCONNECT_CODES, side,
        cache=CacheScope.ACCOUNT_CDRS,
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
    ReportKind.LIST, current.run, schemas.CURRENT_CALLS,
)

ORIGINATION_STATISTICS = traffic_report(ORIGINATION)
TERMINATION_STATISTICS = traffic_report(TERMINATION)
ORIGINATION_ACTIVE_CALLS = concurrent_report(ORIGINATION)
TERMINATION_ACTIVE_CALLS = concurrent_report(TERMINATION)
ORIGINATION_QUALITY = quality_report(ORIGINATION)
TERMINATION_QUALITY = quality_report(TERMINATION)
ORIGINATION_DISCONNECT_CODES = disconnect_codes_report(ORIGINATION)
TERMINATION_DISCONNECT_CODES = disconnect_codes_report(TERMINATION)
# The customer API v1 reports (SPEC 4.3–4.5, 9.4, 9.5), routed under /api/rest/customer/v1.
CUSTOMER_REPORTS = (ORIGINATION_STATISTICS, TERMINATION_STATISTICS, ORIGINATION_ACTIVE_CALLS,
                    TERMINATION_ACTIVE_CALLS, OUTGOING_ACTIVE_CALLS, ORIGINATION_QUALITY,
                    TERMINATION_QUALITY, ORIGINATION_DISCONNECT_CODES,
                    TERMINATION_DISCONNECT_CODES)

# The PBX summaries (SPEC 5), routed at the server root.
CLIENT_ID = {"name": "client_id", "in": "path", "required": True,
             "description": "The token's customer id, or @me", "schema": {"type": "string"}}
CALL_STATS = Report("/client/{client_id}/calls/stats/",
                    "PBX summary counting calls (CDRs grouped by local_tag)", pbx.PBX_PARAMS,
                    ReportKind.SUMMARY, pbx.calls, schemas.pbx_summary(pbx.CALL_KEYS),
                    path_params=(CLIENT_ID,))
CDR_STATS = Report("/client/{client_id}/cdr/stats/", "PBX summary counting every CDR",
                   pbx.PBX_PARAMS, ReportKind.SUMMARY, pbx.cdrs,
                   schemas.pbx_summary(PBX_COUNTS), path_params=(CLIENT_ID,))
EXTENSIONS = Report("/client/{client_id}/extensions/",
                    "The extension ids in the client's CDRs (either direction), with their "
                    "first and last call and CDR count", (), ReportKind.LIST, pbx.extensions,
                    schemas.EXTENSIONS, path_params=(CLIENT_ID,))
PBX_REPORTS = (CALL_STATS, CDR_STATS, EXTENSIONS)
