"""Customer API v1 sign-in (SPEC 4.1): POST /auth (a JWT, or the session cookie), GET /auth
(is the token valid), DELETE /auth (sign out)."""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from callstats.auth.tokens import mint_token
from callstats.http.customer_auth import (
    LOGIN_FAILED,
    UNAUTHORIZED,
    authenticate,
    client_ip,
    cookie_header,
    expired_cookie,
    ip_allowed,
    login_failed,
)
from callstats.http.errors import ApiError
from callstats.http.jsonbody import json_response
from callstats.http.openapi import UNAUTHORIZED_SCHEMA
from callstats.http.services import Services
from callstats.metadata.passwords import verify_password

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


def _auth_error(description: str, body: Mapping[str, object]) -> dict[str, object]:
    return {"description": description,
            "content": {"application/json": {"schema": UNAUTHORIZED_SCHEMA, "example": body}}}


LOGIN_RESPONSES = {
    "201": {"description": "A token, or (cookie_auth) an empty body and the session cookie",
            "content": {"application/json": {"schema": {
                "type": "object", "required": ["jwt"], "properties": {"jwt": {"type": "string"}},
                "additionalProperties": False}}}},
    "401": _auth_error("Unknown login, wrong password or client IP not allowed",
                       LOGIN_FAILED),
}


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


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
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
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
        cookie = cookie_header(token, expires, services.settings.cookie_secure)
        return Response(status_code=201, headers={"set-cookie": cookie})
    return json_response({"jwt": token}, 201)


@router.get("/auth", summary="200 while the token is valid", response_class=Response,
            responses={200: {"description": "Empty body: the token is valid"},
                       401: _auth_error("No valid token", UNAUTHORIZED)})
async def check_session(request: Request) -> Response:
    await run_in_threadpool(authenticate, request, _services(request))
    return Response(status_code=200)


@router.delete("/auth", status_code=204, summary="Log out: expires the session cookie",
               response_class=Response)
async def logout(request: Request) -> Response:
    request.state.refresh_cookie = None  # never refresh on logout
    cookie = expired_cookie(_services(request).settings.cookie_secure)
    return Response(status_code=204, headers={"set-cookie": cookie})


@router.api_route("/auth", methods=["OPTIONS", "PUT", "PATCH"], include_in_schema=False)
async def auth_other_methods() -> Response:
    """405 naming all of /auth's methods (the router names only its first route's)."""
    raise ApiError(405, {"error": "method not allowed"}, {"allow": "GET, POST, DELETE"})
