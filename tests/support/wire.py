"""Response bytes the SPEC fixes exactly, and the ETag rule (SPEC 4.1, 4.2, 4.6)."""

from __future__ import annotations

import hashlib

import orjson

V1 = "/api/rest/customer/v1"
UNAUTHORIZED = b'{"errors":[{"title":"Unauthorized","code":"401","status":"401"}]}'
LOGIN_FAILED = (b'{"errors":[{"title":"Authentication failed","detail":"Incorrect login or '
                b'password.","code":"401","status":"401"}]}')
FORBIDDEN = b'{"error":"forbidden"}'
TOO_MANY = (b'{"error":"too many points (max 50000): use a coarser sampling or a shorter '
            b'range"}')
SECURITY_HEADERS = {
    "x-frame-options": "SAMEORIGIN",
    "x-xss-protection": "0",
    "x-content-type-options": "nosniff",
    "x-permitted-cross-domain-policies": "none",
    "referrer-policy": "strict-origin-when-cross-origin",
    "vary": "Accept",
}


def invalid(param: str) -> bytes:
    return b'{"error":"invalid value %s"}' % param.encode()


def missing(*params: str) -> bytes:
    return b'{"error":"missing required param(s) %s"}' % ", ".join(params).encode()


def etag_of(body: bytes) -> str:
    """What Rails' Rack::ETag sends: the first 32 hex digits of the body's SHA-256."""
    return f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'


def dumps(body: object) -> bytes:
    return orjson.dumps(body)
