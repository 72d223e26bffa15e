"""JSON:API over HTTP: the media type on every answer (errors and 401s included), the
absolute URL links are built on, and one runner that turns the domain's errors into
`{"errors": [...]}`. The SPEC 4.6 headers come from the customer-API middleware."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from callstats.http.customer_auth import ip_allowed
from callstats.http.customer_headers import CACHE_CONTROL, etag_of, ok_response
from callstats.http.errors import ApiError
from callstats.http.jsonbody import dump
from callstats.http.services import Services
from callstats.jsonapi import errors as jsonapi_errors
from callstats.jsonapi.document import MEDIA_TYPE, Record, list_document, resource_object
from callstats.jsonapi.errors import JsonApiError
from callstats.jsonapi.model import Resource
from callstats.jsonapi.query import ListRequest


def services_of(request: Request) -> Services:
    services = request.app.state.services
    assert isinstance(services, Services)
    return services


def query_items(request: Request) -> list[tuple[str, str]]:
    return list(request.query_params.multi_items())


def base_url(request: Request, trusted_proxies: str) -> str:
    """`scheme://host[:port]` as the client addressed us: the request's own, or what a
    trusted proxy (CALLSTATS_TRUSTED_PROXIES) says in X-Forwarded-Proto/-Host."""
    scheme, host = request.url.scheme, request.headers.get("host") or request.url.netloc
    peer = request.client.host if request.client else ""
    if trusted_proxies.strip() and ip_allowed(peer, trusted_proxies.split(",")):
        proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
        forwarded_host = request.headers.get("x-forwarded-host", "").split(",")[-1].strip()
        scheme = proto if proto in ("http", "https") else scheme
        host = forwarded_host or host
    return f"{scheme}://{host}"


def document(request: Request, body: object, status: int = 200) -> Response:
    """200 with ETag (304 when the client has it), or 201 for a created resource, which
    Rack::ETag tags as well."""
    raw = dump(body)
    if status == 200:
        return ok_response(request, raw, MEDIA_TYPE)
    return Response(raw, status, media_type=MEDIA_TYPE,
                    headers={"etag": etag_of(raw), "cache-control": CACHE_CONTROL})


def parse_key(resource: Resource, key: str) -> object:
    """A show route's `{id}` as the resource's id type; one that cannot be one is the
    invalid-key error (a key that parses but names nothing visible is the route's 404)."""
    try:
        return resource.id_type.parse(key)
    except ValueError:
        raise JsonApiError(jsonapi_errors.invalid_key(key)) from None


def listed(request: Request, resource: Resource, listing: ListRequest,
           records: Iterable[tuple[Record, str | None]], total: int) -> Response:
    """One page of `resource` as a list document: each record with the account uuid of its
    relationship (None where it has none), `total` rows behind the page's links."""
    base = base_url(request, services_of(request).settings.trusted_proxies)
    data = [resource_object(resource, record, base, listing.fields, account)
            for record, account in records]
    return document(request, list_document(data, total, listing.page, base, resource.path,
                                           listing.link_params))


def shown(request: Request, resource: Resource, record: Record,
          fields: Sequence[str] | None, account: str | None = None) -> Response:
    """One record of `resource` as a single-resource document."""
    base = base_url(request, services_of(request).settings.trusted_proxies)
    return document(request, {"data": resource_object(resource, record, base, fields,
                                                      account)})


def errors(exc: JsonApiError | ApiError) -> Response:
    if isinstance(exc, JsonApiError):
        return Response(dump(exc.document()), exc.status, media_type=MEDIA_TYPE)
    return Response(dump(exc.body), exc.status, headers=exc.headers, media_type=MEDIA_TYPE)


async def answer(work: Callable[[], Response]) -> Response:
    """Run `work` (blocking: the metadata and stores) off the event loop; its JSON:API and
    auth errors become JSON:API error documents."""
    try:
        return await run_in_threadpool(work)
    except (JsonApiError, ApiError) as exc:
        return errors(exc)
