"""Customer API v1 (SPEC 4): auth and the five reports, each route derived from its
report's param table."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Hashable

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from callstats.auth.tokens import mint_token
from callstats.http.customer_auth import (
    EXPIRED_COOKIE,
    LOGIN_FAILED,
    Principal,
    authenticate,
    client_ip,
    cookie_header,
    ip_allowed,
    login_failed,
)
from callstats.http.customer_auth import UNAUTHORIZED as UNAUTHORIZED_BODY
from callstats.http.customer_headers import ok_response
from callstats.http.errors import ApiError
from callstats.http.jsonbody import dump, json_response
from callstats.http.openapi import UNAUTHORIZED, report_openapi
from callstats.http.services import Services
from callstats.metadata.passwords import verify_password
from callstats.reports import concurrent, current, traffic
from callstats.reports.definitions import (
    ORIGINATION_ACTIVE_CALLS,
    ORIGINATION_STATISTICS,
    OUTGOING_ACTIVE_CALLS,
    TERMINATION_ACTIVE_CALLS,
    TERMINATION_STATISTICS,
    Report,
)
from callstats.reports.params import Parsed, parse_params

PREFIX = "/api/rest/customer/v1"
router = APIRouter(prefix=PREFIX, tags=["customer API v1"])


def _services(request: Request) -> Services:
    return request.app.state.services


def _now_us(services: Services) -> int:
    return int(services.clock() * 1_000_000)


# --- auth ------------------------------------------------------------------------------

AUTH_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {
        "type": "object", "required": ["auth"],
        "properties": {"auth": {"type": "object", "required": ["login", "password"],
                                "properties": {"login": {"type": "string"},
                                               "password": {"type": "string"},
                                               "cookie_auth": {"type": "boolean"}}}}}}},
}



def _auth_error(description: str, body: dict) -> dict[str, object]:
    return {"description": description,
            "content": {"application/json": {"schema": UNAUTHORIZED, "example": body}}}


LOGIN_RESPONSES = {
    "201": {"description": "A token, or (cookie_auth) an empty body and the session cookie",
            "content": {"application/json": {"schema": {
                "type": "object", "required": ["jwt"], "properties": {"jwt": {"type": "string"}},
                "additionalProperties": False}}}},
    "401": _auth_error("Unknown login, wrong password or client IP not allowed",
                       LOGIN_FAILED),
}


@router.post("/auth", status_code=201,
             openapi_extra={"requestBody": AUTH_BODY, "responses": LOGIN_RESPONSES},
             summary="Log in: a JWT, or a session cookie with cookie_auth")
async def login(request: Request) -> Response:
    services = _services(request)
    raw = await request.body()

    def check() -> tuple[str, int, bool]:
        try:
            auth = orjson.loads(raw)["auth"]
            name, password = auth["login"], auth["password"]
            cookie_auth = auth.get("cookie_auth", False) is True
        except (orjson.JSONDecodeError, KeyError, TypeError):
            raise login_failed() from None
        if not isinstance(name, str) or not isinstance(password, str):
            raise login_failed()
        access = services.metadata.find_login(name)
        valid = verify_password(access.password_hash if access else None, password)
        if not access or not valid or not ip_allowed(
                client_ip(request, services.settings.trusted_proxies), access.allowed_ips):
            raise login_failed()
        now = services.clock()
        lifetime = services.settings.token_lifetime
        token = mint_token(services.settings.ensure_jwt_secret(), access.id, lifetime, now)
        return token, int(now) + lifetime, cookie_auth

    token, expires, cookie_auth = await run_in_threadpool(check)
    if cookie_auth:
        return Response(status_code=201, headers={"set-cookie": cookie_header(token, expires)})
    return json_response({"jwt": token}, 201)


@router.get("/auth", summary="200 while the token is valid", response_class=Response,
            responses={200: {"description": "Empty body: the token is valid"},
                       401: _auth_error("No valid token", UNAUTHORIZED_BODY)})
async def check_session(request: Request) -> Response:
    await run_in_threadpool(authenticate, request, _services(request))
    return Response(status_code=200)


@router.delete("/auth", status_code=204, summary="Log out: expires the session cookie",
               response_class=Response)
async def logout(request: Request) -> Response:
    request.state.refresh_cookie = None  # never refresh on logout
    return Response(status_code=204, headers={"set-cookie": EXPIRED_COOKIE})


@router.api_route("/auth", methods=["OPTIONS", "PUT", "PATCH"], include_in_schema=False)
async def auth_other_methods() -> Response:
    """405 naming all of /auth's methods (the router names only its first route's)."""
    raise ApiError(405, {"error": "method not allowed"}, {"allow": "GET, POST, DELETE"})


# --- reports ---------------------------------------------------------------------------


def parse_for(report: Report, request: Request, services: Services,
              principal: Principal) -> tuple[Parsed, int]:
    """Params of `report` with the account resolved within the caller's tenancy."""
    account_ids: list[int] = []

    def own_account(account_uuid: object) -> object:
        account = services.metadata.find_account_by_uuid(str(account_uuid))
        if account is None or not principal.may_use(account):
            raise ValueError("not this customer's account")
        account_ids.append(account.id)
        return account_uuid

    query: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        query.setdefault(key, []).append(value)
    parsed = parse_params(report.params, query, {"account-id": own_account})
    return parsed, account_ids[0]


Runner = Callable[[Services, Parsed, int], dict]


def cache_key(report: Report, parsed: Parsed, account_id: int, services: Services,
              as_csv: bool) -> Hashable | None:
    """None when the answer may depend on the clock (no to-time, or a from-time in the
    future) or when the store cannot version its data."""
    if report.side is None or "to-time" not in parsed.values:
        return None
    if int(parsed.values["from-time"]) > _now_us(services):  # type: ignore[arg-type]
        return None
    scope = "snapshots" if report.path.endswith("-active-calls") else \
        report.side.account_column
    version = services.store.data_version(scope, account_id)
    if version is None:
        return None
    values = tuple(sorted((k, str(v)) for k, v in parsed.values.items()))
    return (report.path, account_id, version, values, as_csv)


def _add_report(report: Report, run: Runner, csv_table: bool) -> None:
    async def endpoint(request: Request) -> Response:
        services = _services(request)
        wants_csv = csv_table and "text/csv" in request.headers.get("accept", "")

        def work() -> bytes:
            principal = authenticate(request, services)
            parsed, account_id = parse_for(report, request, services, principal)

            def compute() -> bytes:
                body = run(services, parsed, account_id)
                return as_csv(body["data"]) if wants_csv else dump(body)

            key = cache_key(report, parsed, account_id, services, wants_csv)
            return services.results.get_or_compute(key, compute)

        body = await run_in_threadpool(work)
        if wants_csv:
            return ok_response(request, body, "text/csv; charset=utf-8")
        return ok_response(request, body)

    endpoint.__name__ = report.path.strip("/").replace("-", "_")
    router.add_api_route(report.path, endpoint, methods=["GET"], summary=report.summary,
                         openapi_extra=report_openapi(report), response_model=None)


def as_csv(data: dict[str, list]) -> bytes:
    """Header row of the data keys (`t` first), one line per bucket, no totals."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    keys = list(data)
    writer.writerow(keys)
    for row in zip(*(data[k] for k in keys), strict=True):
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue().encode()


for _report in (ORIGINATION_STATISTICS, TERMINATION_STATISTICS):
    _add_report(_report, lambda s, p, a, side=_report.side: traffic.run(
        s.store, side, p, a, _now_us(s)), csv_table=True)
for _report in (ORIGINATION_ACTIVE_CALLS, TERMINATION_ACTIVE_CALLS):
    _add_report(_report, lambda s, p, a, side=_report.side: concurrent.run(
        s.store, side, p, a, _now_us(s)), csv_table=True)
_add_report(OUTGOING_ACTIVE_CALLS, lambda s, p, a: current.run(
    s.store, p, a, _now_us(s), s.settings.snapshot_max_age), csv_table=False)
