"""SPEC 4.6 headers on every customer API and PBX response, errors included, plus the
refreshed session cookie of cookie-authorized requests (401 aside)."""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from callstats.http.jsonbody import JSON_TYPE, dump

CUSTOMER_PREFIXES = ("/api/rest/customer/v1", "/client/")
SECURITY_HEADERS = [
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"x-xss-protection", b"0"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-permitted-cross-domain-policies", b"none"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"vary", b"Accept"),
]
CACHE_CONTROL = "max-age=0, private, must-revalidate"


def etag_of(body: bytes) -> str:
    """What Rails' Rack::ETag sends: the first 32 hex digits of the body's SHA-256."""
    return f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'


def ok_response(request: Request, body: bytes, media_type: str = JSON_TYPE) -> Response:
    """200 with ETag and cache-control, or 304 when the client already has this body."""
    etag = etag_of(body)
    headers = {"etag": etag, "cache-control": CACHE_CONTROL}
    if etag in _listed_etags(request.headers.get("if-none-match", "")):
        return Response(status_code=304, headers=headers)
    return Response(body, 200, headers=headers, media_type=media_type)


def ok_json(request: Request, payload: object) -> Response:
    return ok_response(request, dump(payload))


def _listed_etags(header: str) -> set[str]:
    tags = {t.strip() for t in header.split(",") if t.strip()}
    # W/"x" and "x" name the same representation for If-None-Match (weak comparison).
    return tags | {f"W/{t}" for t in tags if not t.startswith("W/")}


class CustomerHeaders:
    """ASGI middleware adding the fixed headers, and the refreshed session cookie."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(CUSTOMER_PREFIXES):
            await self.app(scope, receive, send)
            return

        async def send_wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0] != b"vary"]
                headers += SECURITY_HEADERS
                cookie = scope.get("state", {}).get("refresh_cookie")
                if cookie and message["status"] != 401 and not any(
                        h[0] == b"set-cookie" for h in headers):
                    headers.append((b"set-cookie", cookie.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_wrapped)
