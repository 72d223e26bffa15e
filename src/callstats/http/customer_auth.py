"""Who is asking (SPEC 4.1): a token from the Authorization header or the session cookie,
checked against the login it names (or its own dynamic scope) and the client IP.

The result is a `Principal`, the tenancy every report query is scoped by; no endpoint
can reach the store without one.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import lru_cache

from starlette.requests import Request

from callstats.auth.tokens import InvalidToken, decode_token, mint_dynamic_token, mint_token
from callstats.http.errors import ApiError
from callstats.http.services import Services
from callstats.metadata.store import Account

COOKIE = "_yeti_customer_v1_session"
UNAUTHORIZED = {"errors": [{"title": "Unauthorized", "code": "401", "status": "401"}]}
LOGIN_FAILED = {"errors": [{"title": "Authentication failed",
                            "detail": "Incorrect login or password.", "code": "401",
                            "status": "401"}]}


@dataclass(frozen=True)
class Principal:
    customer_id: int
    account_ids: frozenset[int]  # empty: every account of the customer
    api_access_id: int | None  # None for a dynamic token
    via_cookie: bool
    allowed_ips: tuple[str, ...] = ()

    def may_use(self, account: Account) -> bool:
        return account.customer_id == self.customer_id and (
            not self.account_ids or account.id in self.account_ids)


def unauthorized() -> ApiError:
    return ApiError(401, UNAUTHORIZED)


def login_failed() -> ApiError:
    return ApiError(401, LOGIN_FAILED)


def authenticate(request: Request, services: Services) -> Principal:
    """The principal of a request, or ApiError 401."""
    token, via_cookie = _presented_token(request)
    if not token:
        raise unauthorized()
    secret = services.settings.ensure_jwt_secret()
    try:
        claims = decode_token(secret, token, services.clock())
    except InvalidToken:
        raise unauthorized() from None
    if claims.dynamic:
        assert claims.customer_id is not None
        if services.metadata.get_customer(claims.customer_id) is None:
            raise unauthorized()  # a deleted customer's portal tokens stop at once
        principal = Principal(claims.customer_id, frozenset(claims.account_ids), None,
                              via_cookie, tuple(claims.allowed_ips))
    else:
        assert claims.api_access_id is not None
        access = services.metadata.get_api_access(claims.api_access_id)
        if access is None:  # deleted login (or customer): its tokens stop at once
            raise unauthorized()
        principal = Principal(access.customer_id, frozenset(access.account_ids),
                              access.id, via_cookie, tuple(access.allowed_ips))
    if not ip_allowed(client_ip(request, services.settings.trusted_proxies),
                      list(principal.allowed_ips)):
        raise unauthorized()
    request.state.customer_id = principal.customer_id
    if via_cookie:
        request.state.refresh_cookie = session_cookie(services, principal)
    return principal


def _presented_token(request: Request) -> tuple[str, bool]:
    header = request.headers.get("authorization", "").strip()
    if header:
        return header.split()[-1], False  # "<jwt>" or "Bearer <jwt>": the last word counts
    return request.cookies.get(COOKIE, ""), True


def session_cookie(services: Services, principal: Principal) -> str:
    """A fresh session cookie for a cookie-authorized request (as yeti refreshes it)."""
    now = services.clock()
    lifetime = services.settings.token_lifetime
    secret = services.settings.ensure_jwt_secret()
    if principal.api_access_id is None:
        token = mint_dynamic_token(secret, principal.customer_id, lifetime, now,
                                   sorted(principal.account_ids), list(principal.allowed_ips))
    else:
        token = mint_token(secret, principal.api_access_id, lifetime, now)
    return cookie_header(token, int(now) + lifetime, services.settings.cookie_secure)


def cookie_header(token: str, expires: int, secure: bool = False) -> str:
    """Never readable by script; sent on top-level navigation from other sites (a link to
    the portal keeps the session) but not on their subrequests (SameSite=Lax)."""
    when = format_datetime(datetime.fromtimestamp(expires, UTC), usegmt=True)
    return f"{COOKIE}={token}; Path=/; Expires={when}; {_COOKIE_FLAGS[secure]}"


def expired_cookie(secure: bool = False) -> str:
    return (f"{COOKIE}=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; "
            f"{_COOKIE_FLAGS[secure]}")


_COOKIE_FLAGS = {False: "HttpOnly; SameSite=Lax", True: "HttpOnly; SameSite=Lax; Secure"}


def client_ip(request: Request, trusted: str) -> str:
    """The socket peer, unless it is a trusted proxy: then X-Real-IP, else the rightmost
    X-Forwarded-For address that is not itself a trusted proxy."""
    peer = request.client.host if request.client else ""
    networks = _networks(trusted)
    if not networks or not _in(peer, networks):
        return peer
    real_ip = request.headers.get("x-real-ip", "").strip()
    if real_ip:
        return real_ip
    forwarded = [a.strip() for a in request.headers.get("x-forwarded-for", "").split(",")]
    for address in reversed([a for a in forwarded if a]):
        if not _in(address, networks):
            return address
    return peer


def ip_allowed(ip: str, allowed: list[str]) -> bool:
    if not allowed:
        return True
    return _in(ip, _networks(",".join(allowed)))


@lru_cache(maxsize=256)
def _networks(spec: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks = []
    for item in spec.split(","):
        if item.strip():
            try:
                networks.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError:
                continue  # validated when stored; a bad setting entry trusts nothing
    return tuple(networks)


def _in(address: str, networks) -> bool:  # type: ignore[no-untyped-def]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip.version == n.version and ip in n for n in networks)
