"""Customer API v1 routing (SPEC 4): sign-in and the reports, each route derived from its
report definition (reports/definitions.py)."""

from __future__ import annotations

from fastapi import APIRouter

from callstats.http import customer_login
from callstats.http.report_routes import add_report_route
from callstats.reports.definitions import CUSTOMER_REPORTS

PREFIX = "/api/rest/customer/v1"


def router() -> APIRouter:
    routes = APIRouter(prefix=PREFIX, tags=["customer API v1"])
    routes.include_router(customer_login.router)
    for report in CUSTOMER_REPORTS:
        add_report_route(routes, report)
    return routes
