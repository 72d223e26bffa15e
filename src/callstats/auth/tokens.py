"""Customer tokens (SPEC 4.1): HS256 JWTs that a yeti-web instance with the same secret
would also mint and accept."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from functools import lru_cache

import jwt

AUDIENCE = "customer-v1"
ALGORITHM = "HS256"


class InvalidToken(Exception):
    """Any reason a token is not accepted; callers answer 401 without saying which."""


@dataclass(frozen=True)
class TokenClaims:
    api_access_id: int | None  # None for a dynamic token
    exp: int
    customer_id: int | None = None  # dynamic tokens carry their scope themselves
    account_ids: list[int] = field(default_factory=list)
    allowed_ips: list[str] = field(default_factory=list)

    @property
    def dynamic(self) -> bool:
        return self.api_access_id is None


def mint_token(secret: str, api_access_id: int, lifetime: int, now: float) -> str:
    claims = {"aud": [AUDIENCE], "sub": api_access_id, "exp": int(now) + lifetime}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def mint_dynamic_token(
    secret: str,
    customer_id: int,
    lifetime: int,
    now: float,
    account_ids: list[int] | None = None,
    allowed_ips: list[str] | None = None,
) -> str:
    cfg = {"customer_id": customer_id, "account_ids": account_ids or [],
           "allowed_ips": allowed_ips or []}
    claims = {"aud": [AUDIENCE], "sub": "D", "cfg": cfg, "exp": int(now) + lifetime}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(secret: str, token: str, now: float) -> TokenClaims:
    """The claims of a token signed with `secret` and not expired at `now`, else
    InvalidToken. The signature and claims are checked once per token (and secret) and
    kept; the expiry against `now` on every call."""
    claims = _verified(secret, token)
    if claims.exp <= now:
        raise InvalidToken("expired")
    return claims


@lru_cache(maxsize=4096)
def _verified(secret: str, token: str) -> TokenClaims:
    """A token's claims if its signature and fields are good (expiry aside). A pure
    function of its arguments, so kept (LRU); a refusal raises and is not kept."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], audience=AUDIENCE,
            options={"require": ["exp", "sub"], "verify_sub": False, "verify_exp": False},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from None
    exp = claims.get("exp")
    if type(exp) is not int:
        raise InvalidToken("expired")
    sub = claims.get("sub")
    if sub == "D":
        return _dynamic(claims, exp)
    if type(sub) is int or (type(sub) is str and sub.isascii() and sub.isdigit()):
        return TokenClaims(int(sub), exp)
    raise InvalidToken("bad sub")


def _dynamic(claims: dict[str, object], exp: int) -> TokenClaims:
    cfg = claims.get("cfg")
    if not isinstance(cfg, dict) or type(cfg.get("customer_id")) is not int:
        raise InvalidToken("bad cfg")
    account_ids = cfg.get("account_ids") or []
    allowed_ips = cfg.get("allowed_ips") or []
    if (
        not isinstance(account_ids, list)
        or not isinstance(allowed_ips, list)
        or not all(type(a) is int for a in account_ids)
        or not all(isinstance(ip, str) and _is_cidr(ip) for ip in allowed_ips)
    ):
        raise InvalidToken("bad cfg")
    return TokenClaims(None, exp, cfg["customer_id"], list(account_ids), list(allowed_ips))


def _is_cidr(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True
