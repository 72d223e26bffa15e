"""`GET /cdrs`, `/incoming-cdrs` and their `/{id}` (SPEC 9.3): one side's CDRs of the
accounts the caller may use (the same rule as the reports: an api access's or a dynamic
token's `account_ids`, else all of its customer's), read through the resource tables of
reports/resources.py. `Accept: text/csv` streams every matching row, a store chunk at a
time."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from callstats.http.csv_encoding import CSV_TYPE, wants_csv
from callstats.http.customer_auth import authenticate
from callstats.http.customer_headers import CACHE_CONTROL
from callstats.http.jsonapi import answer, listed, parse_key, query_items, services_of, shown
from callstats.http.responses import documented
from callstats.http.services import Services
from callstats.http.tenancy import account_resolver, usable_accounts
from callstats.jsonapi import errors, tabular
from callstats.jsonapi.document import API_PREFIX, Record
from callstats.jsonapi.model import Resource
from callstats.jsonapi.openapi import list_operation, show_operation
from callstats.jsonapi.query import ListRequest, parse_fields, parse_list
from callstats.metadata.store import MetadataUnavailable
from callstats.queries import ORIGINATION, TERMINATION, CdrListQuery, Filter, Op, Side, SortKey
from callstats.reports.resources import CDRS, INCOMING_CDRS, RESOURCES
from callstats.stores.base import QueryTimeout, StoreError

LISTS: tuple[tuple[Resource, Side], ...] = ((CDRS, ORIGINATION), (INCOMING_CDRS, TERMINATION))


def router() -> APIRouter:
    routes = APIRouter(prefix=API_PREFIX, tags=["customer API v1: resources"])
    failures = documented(StoreError, QueryTimeout, MetadataUnavailable)
    for resource, side in LISTS:
        listing = list_operation(resource, csv=True)
        routes.add_api_route(resource.path, _list_endpoint(resource, side), methods=["GET"],
                             summary=resource.summary, response_class=Response,
                             openapi_extra=listing, responses=failures)
        routes.add_api_route(f"{resource.path}/{{id}}", _show_endpoint(resource, side),
                             methods=["GET"], summary=f"One of {resource.type}",
                             response_class=Response, responses=failures,
                             openapi_extra=show_operation(resource, {"type": "string",
                                                                     "pattern": "^[0-9]+$"}))
    return routes


def _columns(resource: Resource, side: Side, fields: tuple[str, ...] | None,
             sort: SortKey) -> tuple[str, ...]:
    """What a list reads: the id, the account (its relationship), the attributes shown and
    the sort column (where a chunk of the CSV stream resumes)."""
    shown = tabular.chosen(resource, fields)
    wanted = [resource.id_column, side.account_column, sort.column,
              *(a.stored for a in shown if a.stored is not None)]
    return tuple(dict.fromkeys(wanted))


class _Caller:
    """The accounts a request may read, by id → uuid."""

    def __init__(self, request: Request, services: Services):
        principal = authenticate(request, services)
        self.accounts = {a.id: a.uuid for a in usable_accounts(services, principal)}
        self.resolve = account_resolver(services, principal)

    def with_account(self, side: Side, record: Record) -> tuple[Record, str | None]:
        """A row and the uuid of the account its relationship names."""
        return record, self.accounts.get(record[side.account_column])  # type: ignore[call-overload]

    def query(self, side: Side, filters: tuple[Filter, ...], sort: SortKey,
              columns: tuple[str, ...], offset: int = 0, limit: int | None = 50
              ) -> CdrListQuery:
        return CdrListQuery(side, tuple(sorted(self.accounts)), filters, sort, columns,
                            offset, limit)


def _list_endpoint(resource: Resource, side: Side) -> Callable[[Request], object]:
    async def endpoint(request: Request) -> Response:
        services = services_of(request)
        as_csv = wants_csv(request.headers.get("accept", ""))

        def work() -> Response:
            caller = _Caller(request, services)
            listing = parse_list(resource, query_items(request), int(services.clock() * 1e6),
                                 checks={"account_id": caller.resolve}, known=RESOURCES)
            columns = _columns(resource, side, listing.fields, listing.sort)
            if as_csv:
                query = caller.query(side, listing.filters, listing.sort, columns, limit=None)
                return _csv(services, resource, listing, query, bool(caller.accounts))
            query = caller.query(side, listing.filters, listing.sort, columns,
                                 listing.page.offset, listing.page.size)
            store = services.store
            total = store.cdr_count(query) if caller.accounts else 0
            rows = store.cdr_page(query) if total > query.offset else []
            records = (caller.with_account(side, dict(zip(columns, row, strict=True)))
                       for row in rows)
            return listed(request, resource, listing, records, total)

        return await answer(work)

    endpoint.__name__ = f"list_{resource.type.replace('-', '_')}"
    return endpoint


def _csv(services: Services, resource: Resource, listing: ListRequest, query: CdrListQuery,
         any_account: bool) -> Response:
    """The header, then every matching row. The first chunk is read before answering, so
    a store that cannot answer gets the reports' 503; a failure later cuts the stream."""
    chunks = services.store.cdr_chunks(query) if any_account else iter(())
    first = next(chunks, None)

    def body() -> Iterator[bytes]:
        yield tabular.header(resource, listing.fields)
        if first is not None:
            yield tabular.lines(resource, first, listing.fields)
        for chunk in chunks:
            yield tabular.lines(resource, chunk, listing.fields)

    return StreamingResponse(body(), 200, media_type=CSV_TYPE,
                             headers={"cache-control": CACHE_CONTROL})


def _show_endpoint(resource: Resource, side: Side) -> Callable[[Request], object]:
    async def endpoint(request: Request) -> Response:
        services = services_of(request)
        key = request.path_params["id"]

        def work() -> Response:
            caller = _Caller(request, services)
            fields = parse_fields(resource, query_items(request), RESOURCES)
            cdr_id = parse_key(resource, key)
            sort = SortKey(resource.id_column)
            columns = _columns(resource, side, fields, sort)
            query = caller.query(side, (Filter(resource.id_column, Op.EQ, cdr_id),), sort,
                                 columns, 0, 1)
            rows = services.store.cdr_page(query) if caller.accounts else []
            if not rows:
                raise errors.JsonApiError(errors.record_not_found(key))
            record, account = caller.with_account(side, dict(zip(columns, rows[0], strict=True)))
            return shown(request, resource, record, fields, account)

        return await answer(work)

    endpoint.__name__ = f"show_{resource.type.replace('-', '_')}"
    return endpoint
