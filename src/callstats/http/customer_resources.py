"""The customer API's JSON:API resources read from the metadata store: `GET /accounts` and
`GET /accounts/{uuid}` (SPEC 9.2), scoped exactly as the reports are: the accounts an api
access's or a dynamic token's `account_ids` name, else all of its customer's."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from callstats.http.customer_auth import authenticate
from callstats.http.jsonapi import answer, listed, parse_key, query_items, services_of, shown
from callstats.http.tenancy import usable_account, usable_accounts
from callstats.jsonapi import errors
from callstats.jsonapi.document import API_PREFIX, Record
from callstats.jsonapi.matching import select
from callstats.jsonapi.openapi import list_operation, show_operation
from callstats.jsonapi.query import parse_fields, parse_list
from callstats.metadata.store import Account
from callstats.reports.resources import ACCOUNTS, RESOURCES


def router() -> APIRouter:
    routes = APIRouter(prefix=API_PREFIX, tags=["customer API v1: resources"])
    routes.add_api_route("/accounts", list_accounts, methods=["GET"], summary=ACCOUNTS.summary,
                         response_class=Response, openapi_extra=list_operation(ACCOUNTS))
    routes.add_api_route("/accounts/{id}", show_account, methods=["GET"],
                         summary="One account the caller may use", response_class=Response,
                         openapi_extra=show_operation(ACCOUNTS, {"type": "string",
                                                                 "format": "uuid"}))
    return routes


def _record(account: Account) -> Record:
    return {"uuid": account.uuid, "name": account.name}


async def list_accounts(request: Request) -> Response:
    services = services_of(request)

    def work() -> Response:
        principal = authenticate(request, services)
        listing = parse_list(ACCOUNTS, query_items(request), int(services.clock() * 1e6),
                             known=RESOURCES)
        records = [_record(a) for a in usable_accounts(services, principal)]
        chosen = select(records, listing.filters, listing.sort, ACCOUNTS.id_column)
        page = chosen[listing.page.offset:listing.page.offset + listing.page.size]
        return listed(request, ACCOUNTS, listing, ((r, None) for r in page), len(chosen))

    return await answer(work)


async def show_account(request: Request) -> Response:
    services = services_of(request)
    key = request.path_params["id"]

    def work() -> Response:
        principal = authenticate(request, services)
        fields = parse_fields(ACCOUNTS, query_items(request), RESOURCES)
        parse_key(ACCOUNTS, key)
        account = usable_account(services, principal, key)
        if account is None:
            raise errors.JsonApiError(errors.record_not_found(key))
        return shown(request, ACCOUNTS, _record(account), fields)

    return await answer(work)
