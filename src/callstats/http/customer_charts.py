"""`POST /chart-active-calls` and `POST /chart-originated-cps` (SPEC 9.6): the JSON:API
create calls yeti-client's statistics page makes. The account is one the caller may use
(anything else is yeti's 422 "account - can't be blank"); to-time defaults to now,
from-time to to-time - 24 h."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from starlette.responses import Response

from callstats.http.customer_auth import authenticate
from callstats.http.jsonapi import answer, base_url, document, services_of
from callstats.http.jsonapi import errors as errors_response
from callstats.http.request_body import read_body
from callstats.http.tenancy import usable_account
from callstats.ingest.batches import BodyTooLarge
from callstats.jsonapi import errors
from callstats.jsonapi.create import CreateRequest, parse_create
from callstats.jsonapi.document import API_PREFIX, resource_object
from callstats.jsonapi.model import Resource
from callstats.jsonapi.openapi import create_operation
from callstats.jsonapi.types import SECOND, rails_time
from callstats.reports import charts
from callstats.reports.concurrent import MAX_POINTS
from callstats.reports.resources import CHART_ACTIVE_CALLS, CHART_ORIGINATED_CPS
from callstats.stores.base import Store

DAY_US = 86_400 * SECOND
MAX_BODY = 64 * 1024  # a chart request is a few hundred bytes
Chart = Callable[[Store, int, int, int, list[int]], dict[str, charts.Points]]


def _window(create: CreateRequest, now_us: int) -> tuple[int, int]:
    to_us = create.attributes.get("to_time", now_us)
    assert isinstance(to_us, int)
    from_us = create.attributes.get("from_time", to_us - DAY_US)
    assert isinstance(from_us, int)
    return from_us, to_us


def router() -> APIRouter:
    routes = APIRouter(prefix=API_PREFIX, tags=["customer API v1: charts"])
    for resource, chart in ((CHART_ACTIVE_CALLS, charts.active_calls),
                            (CHART_ORIGINATED_CPS, charts.originated_cps)):
        routes.add_api_route(resource.path, _endpoint(resource, chart), methods=["POST"],
                             status_code=201, summary=resource.summary,
                             response_class=Response, openapi_extra=create_operation(resource))
    return routes


def _endpoint(resource: Resource, chart: Chart) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        services = services_of(request)
        try:
            body = await read_body(request, MAX_BODY)
        except BodyTooLarge:
            return errors_response(errors.JsonApiError(errors.body_too_large(MAX_BODY)))

        def work() -> Response:
            principal = authenticate(request, services)
            create = parse_create(resource, body)
            problems = list(create.invalid)
            account = (None if create.account is None
                       else usable_account(services, principal, create.account))
            if account is None:
                problems.append(errors.invalid_value("account", "can't be blank",
                                                     "/data/relationships/account"))
            from_us, to_us = _window(create, int(services.clock() * SECOND))
            points = charts.minutes(from_us, to_us)
            if not create.invalid and from_us > to_us:
                problems.append(errors.invalid_value(
                    "", "from-time must not be later than to-time", "/data"))
            elif not create.invalid and points is None:
                problems.append(errors.invalid_value(
                    "", f"too many points (max {MAX_POINTS}): use a shorter range", "/data"))
            if problems:
                raise errors.JsonApiError(*problems)
            assert account is not None and points is not None
            series = chart(services.store, account.id, from_us, to_us, points)
            record: dict[str, object] = {"id": str(uuid.uuid4()), "from_time": from_us,
                                         "to_time": to_us}
            for name, values in series.items():
                record[name] = [{"x": rails_time(t * SECOND), "y": y} for t, y in values]
            data = resource_object(resource, record, base_url(
                request, services.settings.trusted_proxies), account=account.uuid,
                with_links=False)
            return document(request, {"data": data}, 201)

        return await answer(work)

    endpoint.__name__ = resource.type.replace("-", "_")
    return endpoint
