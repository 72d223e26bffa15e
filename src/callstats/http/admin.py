"""Admin API (SPEC 6): customers, accounts, api-accesses, data ingestion, customer tokens
and what the instance serves (so the CLI can manage a running server over HTTP)."""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from callstats import __version__
from callstats.auth.tokens import mint_dynamic_token, mint_token
from callstats.http.errors import ApiError
from callstats.http.jsonbody import json_response
from callstats.http.request_body import read_body
from callstats.http.responses import (
    ADMIN_OFF,
    ADMIN_UNAUTHORIZED,
    NOT_FOUND,
    UNSUPPORTED_TYPE,
    documented,
)
from callstats.http.services import Services
from callstats.ingest.batches import (
    BatchRejected,
    BodyTooLarge,
    Format,
    parse_snapshots,
)
from callstats.ingest.group_commit import groupable
from callstats.ingest.readers import format_for_content_type
from callstats.ingest.stream import store_cdr_body
from callstats.metadata.store import Conflict, InvalidValue, MetadataUnavailable, MissingReference
from callstats.redact import redact_url
from callstats.stores.base import StoreError, StoreFull

PREFIX = "/api/admin/v1"


def services_of(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


# The router's dependencies are coroutines although they never wait: FastAPI hands a plain
# function to the thread pool on every request, and these two were two thread hand-offs
# per admin request (~15% of the GIL's time under 16 single-CDR clients).
async def services(request: Request) -> Services:
    return services_of(request)


async def require_admin(request: Request) -> None:
    """Bearer CALLSTATS_ADMIN_TOKEN, compared in constant time; unset token = API off."""
    expected = services_of(request).settings.admin_token
    if not expected:
        raise ApiError(404, {"error": "not found"})
    given = request.headers.get("authorization", "")
    scheme, _, token = given.partition(" ")
    if scheme != "Bearer" or not hmac.compare_digest(token.encode(), expected.encode()):
        raise ApiError(401, {"error": "unauthorized"}, {"www-authenticate": "Bearer"})


router = APIRouter(prefix=PREFIX, dependencies=[Depends(require_admin)], tags=["admin"],
                   responses=documented(ADMIN_UNAUTHORIZED, ADMIN_OFF, MetadataUnavailable))
# What the routes answer besides the router's own (a route's 404 or 422 replaces the
# router's, so each names them all).
CREATED = documented(ADMIN_OFF, RequestValidationError, Conflict, MissingReference,
                     InvalidValue, BodyTooLarge)
ONE = documented(ADMIN_OFF, NOT_FOUND, RequestValidationError)
INGESTED = documented(ADMIN_OFF, UNSUPPORTED_TYPE, BodyTooLarge, BatchRejected, StoreError,
                      StoreFull)
ServicesDep = Annotated[Services, Depends(services)]
MAX_JSON_BODY = 1024 * 1024
M = TypeVar("M", bound=BaseModel)
Found = TypeVar("Found")


def json_body(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """The JSON body as `model`, read only once the admin check passed: a FastAPI body
    parameter is read (and malformed JSON refused) before any dependency runs."""

    async def parse(request: Request) -> M:
        raw = await read_body(request, MAX_JSON_BODY)
        try:
            return model.model_validate_json(raw)
        except ValidationError as exc:
            raise RequestValidationError(
                exc.errors(include_url=False, include_input=False)
            ) from None

    return parse


def body_doc(model: type[BaseModel]) -> dict[str, object]:
    """The OpenAPI request body that `json_body(model)` reads."""
    schema = model.model_json_schema()
    return {"requestBody": {"required": True,
                            "content": {"application/json": {"schema": schema}}}}


class CustomerIn(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    id: int | None = Field(None, ge=1)


class AccountIn(BaseModel):
    customer_id: int
    name: str = Field(min_length=1, max_length=255)
    uuid: str | None = None
    id: int | None = Field(None, ge=1)


class ApiAccessIn(BaseModel):
    customer_id: int
    login: str = Field(min_length=1, max_length=255)
    password: str = Field(min_length=1, max_length=1024)
    account_ids: list[int] = []
    allowed_ips: list[str] = []


class TokenIn(BaseModel):
    """Exactly one of `login` (a token of that login) or `customer_id` (a dynamic token,
    sub "D", scoped by `account_ids` and `allowed_ips`)."""

    login: str | None = Field(None, min_length=1, max_length=255)
    customer_id: int | None = None
    account_ids: list[int] = []
    allowed_ips: list[str] = []
    lifetime: int | None = Field(None, ge=1, le=10 * 366 * 86400,
                                 description="Seconds; default CALLSTATS_TOKEN_LIFETIME")


CustomerBody = Annotated[CustomerIn, Depends(json_body(CustomerIn))]
AccountBody = Annotated[AccountIn, Depends(json_body(AccountIn))]
ApiAccessBody = Annotated[ApiAccessIn, Depends(json_body(ApiAccessIn))]
TokenBody = Annotated[TokenIn, Depends(json_body(TokenIn))]


def _found(item: Found | None) -> Found:
    if item is None:
        raise ApiError(404, {"error": "not found"})
    return item


def _deleted(done: bool) -> Response:
    if not done:
        raise ApiError(404, {"error": "not found"})
    return Response(status_code=204)


@router.post("/customers", status_code=201, openapi_extra=body_doc(CustomerIn),
             responses=CREATED)
async def create_customer(body: CustomerBody, s: ServicesDep) -> Response:
    customer = await run_in_threadpool(s.metadata.create_customer, body.name, body.id)
    return json_response(customer.__dict__, 201)


@router.get("/customers")
async def list_customers(s: ServicesDep) -> Response:
    return json_response([c.__dict__ for c in await run_in_threadpool(s.metadata.list_customers)])


@router.get("/customers/{id}", responses=ONE)
async def show_customer(id: int, s: ServicesDep) -> Response:
    return json_response(_found(await run_in_threadpool(s.metadata.get_customer, id)).__dict__)


@router.delete("/customers/{id}", status_code=204, responses=ONE)
async def delete_customer(id: int, s: ServicesDep) -> Response:
    return _deleted(await run_in_threadpool(s.metadata.delete_customer, id))


@router.post("/accounts", status_code=201, openapi_extra=body_doc(AccountIn),
             responses=CREATED)
async def create_account(body: AccountBody, s: ServicesDep) -> Response:
    account = await run_in_threadpool(
        s.metadata.create_account, body.customer_id, body.name, body.uuid, body.id
    )
    return json_response(account.__dict__, 201)


@router.get("/accounts")
async def list_accounts(s: ServicesDep) -> Response:
    return json_response([a.__dict__ for a in await run_in_threadpool(s.metadata.list_accounts)])


@router.get("/accounts/{id}", responses=ONE)
async def show_account(id: int, s: ServicesDep) -> Response:
    return json_response(_found(await run_in_threadpool(s.metadata.get_account, id)).__dict__)


@router.delete("/accounts/{id}", status_code=204, responses=ONE)
async def delete_account(id: int, s: ServicesDep) -> Response:
    return _deleted(await run_in_threadpool(s.metadata.delete_account, id))


@router.post("/api-accesses", status_code=201, openapi_extra=body_doc(ApiAccessIn),
             responses=CREATED)
async def create_api_access(body: ApiAccessBody, s: ServicesDep) -> Response:
    access = await run_in_threadpool(
        s.metadata.create_api_access, body.customer_id, body.login, body.password,
        body.account_ids, body.allowed_ips,
    )
    return json_response(access.public(), 201)


@router.get("/api-accesses")
async def list_api_accesses(s: ServicesDep) -> Response:
    items = await run_in_threadpool(s.metadata.list_api_accesses)
    return json_response([a.public() for a in items])


@router.get("/api-accesses/{id}", responses=ONE)
async def show_api_access(id: int, s: ServicesDep) -> Response:
    return json_response(_found(await run_in_threadpool(s.metadata.get_api_access, id)).public())


@router.delete("/api-accesses/{id}", status_code=204, responses=ONE)
async def delete_api_access(id: int, s: ServicesDep) -> Response:
    return _deleted(await run_in_threadpool(s.metadata.delete_api_access, id))


@router.post("/tokens", status_code=201, openapi_extra=body_doc(TokenIn),
             responses=documented(ADMIN_OFF, NOT_FOUND, RequestValidationError,
                                  MissingReference, InvalidValue, BodyTooLarge))
async def create_token(body: TokenBody, s: ServicesDep) -> Response:
    """A customer API token signed with this server's secret, for exactly one of `login`
    (that login's token) or `customer_id` (a dynamic token, sub "D", limited to
    `account_ids` and `allowed_ips` when given); `lifetime` in seconds, default
    CALLSTATS_TOKEN_LIFETIME. Answers `{"token", "expires_at"}` (unix seconds)."""
    if (body.login is None) == (body.customer_id is None):
        raise InvalidValue("give exactly one of login or customer_id")
    lifetime = body.lifetime or s.settings.token_lifetime
    now = time.time()
    secret = s.settings.ensure_jwt_secret()
    if body.login is not None:
        access = await run_in_threadpool(s.metadata.find_login, body.login)
        if access is None:
            raise ApiError(404, {"error": f"login {body.login!r} not found"})
        token = mint_token(secret, access.id, lifetime, now)
    else:
        assert body.customer_id is not None
        if await run_in_threadpool(s.metadata.get_customer, body.customer_id) is None:
            raise MissingReference(f"customer {body.customer_id} not found")
        token = mint_dynamic_token(secret, body.customer_id, lifetime, now, body.account_ids,
                                   body.allowed_ips)
    return json_response({"token": token, "expires_at": int(now) + lifetime}, 201)


@router.get("/instance")
async def instance(s: ServicesDep) -> Response:
    """What this server holds: its version, data directory, CDR store and metadata
    database (passwords hidden), so a client can tell whether it manages the same data."""
    settings = s.settings
    return json_response({
        "version": __version__,
        "data_dir": str(settings.data_dir.resolve()),
        "store": redact_url(settings.store_url()),
        "metadata": redact_url(settings.metadata_database_url()),
    })


# --- ingestion -------------------------------------------------------------------------


def _format(request: Request, default: Format | None) -> Format:
    content_type = request.headers.get("content-type", "")
    fmt = format_for_content_type(content_type) if content_type else default
    if fmt is None:
        raise ApiError(415, {"error": f"unsupported content type {content_type!r}: use "
                                      "application/x-ndjson, text/csv or "
                                      "application/vnd.apache.parquet"})
    return fmt


def ingestion_doc(*media_types: str) -> dict[str, object]:
    """The OpenAPI request body of an ingestion route: a document in one of these types,
    optionally gzip-encoded (Content-Encoding: gzip)."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {"requestBody": {"required": True, "content": {t: binary for t in media_types}}}


FILE_TYPES = ("application/x-ndjson", "text/csv", "application/vnd.apache.parquet")


@router.post("/cdrs", responses=INGESTED, openapi_extra=ingestion_doc(*FILE_TYPES))
async def ingest_cdrs(request: Request, s: ServicesDep) -> Response:
    fmt = _format(request, None)
    body = await read_body(request, s.settings.max_body)

    if s.group_commit is not None and groupable(body, fmt):  # answered from its group
        result = await s.group_commit.submit_async(body)
    else:
        result = await run_in_threadpool(store_cdr_body, s.store, body, fmt,
                                          s.settings.max_body, s.settings.max_string_length)
    metrics = request.app.state.metrics
    metrics.ingested.labels("cdrs").inc(result.inserted)
    metrics.duplicates.inc(result.duplicates)
    return json_response(result.as_dict())


@router.post("/active-calls", responses=INGESTED,
             openapi_extra=ingestion_doc("application/json", *FILE_TYPES))
async def ingest_active_calls(request: Request, s: ServicesDep) -> Response:
    fmt = _format(request, Format.NDJSON)
    body = await read_body(request, s.settings.max_body)

    def work():  # type: ignore[no-untyped-def]
        batch = parse_snapshots(body, fmt, s.settings.max_body, s.settings.max_string_length)
        s.store.replace_snapshots(batch)
        return {"snapshots": len(batch.snapshots), "calls": batch.calls.num_rows}

    result = await run_in_threadpool(work)
    request.app.state.metrics.ingested.labels("snapshot_calls").inc(result["calls"])
    return json_response(result)
