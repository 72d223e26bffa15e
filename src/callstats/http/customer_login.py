"""Customer API v1 sign-in (SPEC 4.1): POST /auth (a JWT, or the session cookie), GET /auth
(is the token valid), DELETE /auth (sign out)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from callstats.auth.tokens import mint_token
from callstats.http.customer_auth import (
    authenticate,
    cookie_header,
    expired_cookie,
)
from callstats.http.jsonbody import json_response
from callstats.http.login_guard import checked_login
from callstats.http.responses import (
    CUSTOMER_UNAUTHORIZED,
    LOGIN_LIMITED,
    LOGIN_REFUSED,
    documented,
)
from callstats.http.services import Services
from callstats.ingest.batches import BodyTooLarge
from callstats.metadata.store import MetadataUnavailable

router = APIRouter()

AUTH_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {
        "type": "object", "required": ["auth"],
        "properties": {"auth": {"type": "object", "required": ["login", "password"],
                                "properties": {"login": {"type": "string"},
                                               "password": {"type": "string"},
                                               "cookie_auth": {"type": "boolean"}}}}}}},
}


LOGIN_CREATED = {"201": {
    "description": "A token, or (cookie_auth) an empty body and the session cookie",
    "content": {"application/json": {"schema": {
        "type": "object", "required": ["jwt"], "properties": {"jwt": {"type": "string"}},
        "additionalProperties": False}}}}}


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


@router.post("/auth", status_code=201,
             openapi_extra={"requestBody": AUTH_BODY, "responses": LOGIN_CREATED},
             responses=documented(LOGIN_REFUSED, LOGIN_LIMITED, BodyTooLarge,
                                  MetadataUnavailable),
             summary="Log in: a JWT, or a session cookie with cookie_auth")
async def login(request: Request) -> Response:
    services = _services(request)
    access, attempt = await checked_login(request, services)
    now = services.clock()
    lifetime = services.settings.token_lifetime
    token = mint_token(services.settings.ensure_jwt_secret(), access.id, lifetime, now)
    if attempt.cookie_auth:
        cookie = cookie_header(token, int(now) + lifetime, services.settings.cookie_secure)
        return Response(status_code=201, headers={"set-cookie": cookie})
    return json_response({"jwt": token}, 201)


@router.get("/auth", summary="200 while the token is valid", response_class=Response,
            responses={200: {"description": "Empty body: the token is valid"},
                       **documented(CUSTOMER_UNAUTHORIZED, MetadataUnavailable)})
async def check_session(request: Request) -> Response:
    await run_in_threadpool(authenticate, request, _services(request))
    return Response(status_code=200)


@router.delete("/auth", status_code=204, summary="Log out: expires the session cookie",
               response_class=Response)
async def logout(request: Request) -> Response:
    request.state.refresh_cookie = None  # never refresh on logout
    cookie = expired_cookie(_services(request).settings.cookie_secure)
    return Response(status_code=204, headers={"set-cookie": cookie})
