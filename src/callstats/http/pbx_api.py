"""PBX call statistics routes (SPEC 5), with the customer API's auth, params and headers."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from callstats.http.customer_auth import authenticate
from callstats.http.customer_headers import ok_json
from callstats.http.errors import ApiError
from callstats.http.openapi import parameters
from callstats.http.services import Services
from callstats.reports import pbx
from callstats.reports.definitions import Report
from callstats.reports.params import parse_params

router = APIRouter(tags=["PBX call statistics"])


def _openapi(report: Report, per_call: bool) -> dict[str, object]:
    keys = pbx.CALL_KEYS if per_call else pbx.PBX_COUNTS
    counts = {"type": "object", "properties": {k: {"type": "integer"} for k in keys},
              "required": list(keys), "additionalProperties": False}
    body = {"type": "object", "properties": {"in": counts, "out": counts},
            "required": ["in", "out"], "additionalProperties": False}
    client = {"name": "client_id", "in": "path", "required": True,
              "description": "The token's customer id, or @me", "schema": {"type": "string"}}
    error = {"application/json": {"schema": {"type": "object"}}}
    return {
        "parameters": [client, *parameters(report)],
        "responses": {"200": {"description": "Counts per direction",
                              "content": {"application/json": {"schema": body}}},
                      "400": {"description": "Invalid params", "content": error},
                      "401": {"description": "No valid token", "content": error},
                      "403": {"description": "Another client's id", "content": error}},
    }


def _add(report: Report, per_call: bool) -> None:
    async def endpoint(request: Request) -> Response:
        services: Services = request.app.state.services

        def work() -> dict:
            principal = authenticate(request, services)
            client_id = request.path_params["client_id"]
            if client_id not in ("@me", str(principal.customer_id)):
                raise ApiError(403, {"error": "forbidden"})
            query: dict[str, list[str]] = {}
            for key, value in request.query_params.multi_items():
                query.setdefault(key, []).append(value)
            parsed = parse_params(report.params, query)
            return pbx.run(services.store, parsed, principal.customer_id,
                           principal.account_ids, per_call, int(services.clock() * 1e6))

        return ok_json(request, await run_in_threadpool(work))

    endpoint.__name__ = "calls_stats" if per_call else "cdr_stats"
    router.add_api_route(report.path, endpoint, methods=["GET"], summary=report.summary,
                         openapi_extra=_openapi(report, per_call), response_model=None)
    # The form without the trailing slash answers the same, directly (no redirect).
    router.add_api_route(report.path.rstrip("/"), endpoint, methods=["GET"],
                         include_in_schema=False, response_model=None)


_add(pbx.CALL_STATS, per_call=True)
_add(pbx.CDR_STATS, per_call=False)
