"""One route per report definition: authenticate, read the params within the caller's
tenancy, answer from the result cache or the store, encode as JSON or CSV. Blocking work
(metadata, store) runs in the thread pool."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from callstats.http.csv_encoding import CSV_TYPE, data_as_csv, wants_csv
from callstats.http.customer_auth import Principal, authenticate
from callstats.http.customer_headers import ok_response
from callstats.http.errors import ApiError
from callstats.http.jsonbody import dump
from callstats.http.openapi import report_openapi
from callstats.http.plain_dispatch import plain_endpoint
from callstats.http.responses import CUSTOMER_UNAUTHORIZED, FORBIDDEN, NOT_MODIFIED, documented
from callstats.http.services import Services
from callstats.http.tenancy import account_resolver
from callstats.metadata.store import MetadataUnavailable
from callstats.reports.cache import cache_key
from callstats.reports.context import ReportContext
from callstats.reports.definitions import Report
from callstats.reports.params import BadParams, Check, Role, parse_params
from callstats.stores.base import QueryTimeout, StoreError

# A check of the request against the principal before its params are read (e.g. the PBX
# routes' client id): raises ApiError.
Gate = Callable[[Request, Principal], None]


def query_lists(request: Request) -> dict[str, list[str]]:
    """The query string as key → every value sent, in order."""
    query: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        query.setdefault(key, []).append(value)
    return query


def report_context(report: Report, request: Request, services: Services,
                   principal: Principal) -> ReportContext:
    checks: dict[Role, Check] = {Role.ACCOUNT: account_resolver(services, principal)}
    parsed = parse_params(report.params, query_lists(request), checks)
    return ReportContext(services.store, parsed, int(services.clock() * 1_000_000),
                         principal.customer_id, principal.account_ids, report.side,
                         services.settings.snapshot_max_age)


def add_report_route(router: APIRouter, report: Report, gate: Gate | None = None,
                     path: str | None = None, in_schema: bool = True) -> None:
    """Route GET `path` (default the report's) to the report."""

    async def endpoint(request: Request) -> Response:
        services: Services = request.app.state.services
        as_csv = report.csv and wants_csv(request.headers.get("accept", ""))

        def work() -> bytes:
            with services.metadata.one_request():  # auth and account-id: one counter read
                principal = authenticate(request, services)
                if gate is not None:
                    gate(request, principal)
                ctx = report_context(report, request, services, principal)

            def compute() -> bytes:
                body = report.run(ctx)
                if as_csv:
                    data = body["data"]
                    assert isinstance(data, dict)
                    return data_as_csv(data)
                return dump(body)

            key = cache_key(report, ctx, "csv" if as_csv else "json")
            return services.results.get_or_compute(key, compute)

        body = await run_in_threadpool(work)
        return ok_response(request, body, CSV_TYPE) if as_csv else ok_response(request, body)

    plain_endpoint(endpoint)  # http/plain_dispatch.py may call it without FastAPI
    endpoint.__name__ = (path or report.path).strip("/").replace("-", "_").replace("/", "_")
    router.add_api_route(path or report.path, endpoint, methods=["GET"],
                         summary=report.summary, response_model=None,
                         include_in_schema=in_schema, openapi_extra=report_openapi(report),
                         responses=documented(NOT_MODIFIED, BadParams, CUSTOMER_UNAUTHORIZED,
                                              *((FORBIDDEN,) if gate else ()), StoreError,
                                              QueryTimeout, MetadataUnavailable))


def own_client(request: Request, principal: Principal) -> None:
    """PBX routes: `client_id` is the caller's customer id or `@me` (SPEC 5), else 403."""
    if request.path_params["client_id"] not in ("@me", str(principal.customer_id)):
        raise ApiError(403, {"error": "forbidden"})
