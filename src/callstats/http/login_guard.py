"""`POST /auth`'s checks (SPEC 4.1, 11): the attempt limits first, then the login and its
password, the same work whatever the login, and 401 with one body for every reason."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from callstats.auth.login_limits import HasherBusy, retry_after
from callstats.http.customer_auth import client_ip, ip_allowed, login_failed
from callstats.http.errors import ApiError
from callstats.http.request_body import read_body
from callstats.http.services import Services
from callstats.metadata.store import ApiAccess

TOO_MANY_REQUESTS = {"errors": [{"title": "Too many requests", "code": "429", "status": "429"}]}
MAX_LOGIN_BODY = 64 * 1024  # far above any login; a larger body is refused (413) unread


@dataclass(frozen=True)
class LoginRequest:
    login: str
    password: str
    cookie_auth: bool


def too_many_requests(wait: float) -> ApiError:
    return ApiError(429, TOO_MANY_REQUESTS, {"retry-after": retry_after(wait)})


async def checked_login(request: Request, services: Services) -> tuple[ApiAccess, LoginRequest]:
    """The api access the request's credentials name, or ApiError 429 / 401."""
    metrics = request.app.state.metrics.logins
    attempt = _parse(await read_body(request, MAX_LOGIN_BODY))
    ip = client_ip(request, services.settings.trusted_proxies)
    wait = services.login_limits.attempt(attempt.login if attempt else None, ip)
    if wait:
        metrics.labels("limited").inc()
        raise too_many_requests(wait)
    if attempt is None:
        metrics.labels("refused").inc()
        raise login_failed()
    access = await run_in_threadpool(services.metadata.find_login, attempt.login)
    try:  # unknown logins are checked against a dummy hash: the same time either way
        valid = await services.passwords.verify(access.password_hash if access else None,
                                                attempt.password)
    except HasherBusy:
        metrics.labels("limited").inc()
        raise too_many_requests(1) from None
    if access is None or not valid or not ip_allowed(ip, access.allowed_ips):
        metrics.labels("refused").inc()
        raise login_failed()
    metrics.labels("accepted").inc()
    return access, attempt


def _parse(raw: bytes) -> LoginRequest | None:
    try:
        auth = orjson.loads(raw)["auth"]
        login, password = auth["login"], auth["password"]
        cookie_auth = auth.get("cookie_auth", False) is True
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
        return None
    if not isinstance(login, str) or not isinstance(password, str):
        return None
    return LoginRequest(login, password, cookie_auth)
