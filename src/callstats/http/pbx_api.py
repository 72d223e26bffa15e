"""PBX call statistics routing (SPEC 5), with the customer API's auth, params and headers;
each path also answers without its trailing slash, directly (no redirect)."""

from __future__ import annotations

from fastapi import APIRouter

from callstats.http.report_routes import add_report_route, own_client
from callstats.reports.definitions import PBX_REPORTS


def router() -> APIRouter:
    routes = APIRouter(tags=["PBX call statistics"])
    for report in PBX_REPORTS:
        add_report_route(routes, report, gate=own_client)
        add_report_route(routes, report, gate=own_client, path=report.path.rstrip("/"),
                         in_schema=False)
    return routes
