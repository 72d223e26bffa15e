"""Customer tokens (SPEC 4.1): what `callstats.auth.tokens` mints and accepts."""

from __future__ import annotations

import base64
import warnings

import jwt
import orjson
import pytest

from callstats.auth.tokens import (
    InvalidToken,
    TokenClaims,
    decode_token,
    mint_dynamic_token,
    mint_token,
)

SECRET = "test-secret-" + "x" * 32
NOW = 1_700_000_000


def signed(claims: dict[str, object], secret: str = SECRET, **kw: object) -> str:
    return jwt.encode(claims, secret, algorithm="HS256", **kw)  # type: ignore[arg-type]


def test_minted_token_round_trips_with_yeti_claims() -> None:
    token = mint_token(SECRET, 42, 86400, NOW + 0.9)
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="customer-v1",
                        options={"verify_exp": False, "verify_sub": False})
    assert claims == {"aud": ["customer-v1"], "sub": 42, "exp": NOW + 86400}
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert decode_token(SECRET, token, NOW) == TokenClaims(42, NOW + 86400)


def test_dynamic_token_round_trips() -> None:
    token = mint_dynamic_token(SECRET, 7, 60, NOW, [3, 4], ["10.0.0.0/8"])
    claims = decode_token(SECRET, token, NOW)
    assert claims == TokenClaims(None, NOW + 60, 7, [3, 4], ["10.0.0.0/8"])
    assert claims.dynamic
    bare = decode_token(SECRET, mint_dynamic_token(SECRET, 7, 60, NOW), NOW)
    assert (bare.account_ids, bare.allowed_ips) == ([], [])


@pytest.mark.parametrize("sub", [42, "42"])
def test_integer_or_digit_string_sub(sub: object) -> None:
    token = signed({"aud": ["customer-v1"], "sub": sub, "exp": NOW + 10})
    assert decode_token(SECRET, token, NOW).api_access_id == 42


def test_a_plain_string_audience_is_accepted() -> None:
    token = signed({"aud": "customer-v1", "sub": 1, "exp": NOW + 10})
    assert decode_token(SECRET, token, NOW).api_access_id == 1


def _unsigned(claims: dict[str, object]) -> str:
    def part(data: object) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(data)).rstrip(b"=").decode()
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _hs512(claims: dict[str, object]) -> str:
    """Signed with the right secret, but not with HS256."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the test secret is short for SHA-512
        return jwt.encode(claims, SECRET, algorithm="HS512")


GOOD = {"aud": ["customer-v1"], "sub": 1, "exp": NOW + 10}
REJECTED = {
    "wrong secret": signed(GOOD, "another-secret-" + "y" * 32),
    "alg none": _unsigned(GOOD),
    "HS512": _hs512(GOOD),
    "wrong audience": signed({**GOOD, "aud": ["admin"]}),
    "no audience": signed({"sub": 1, "exp": NOW + 10}),
    "expired": signed({**GOOD, "exp": NOW - 1}),
    "expires now": signed({**GOOD, "exp": NOW}),
    "no exp": signed({"aud": ["customer-v1"], "sub": 1}),
    "string exp": signed({**GOOD, "exp": str(NOW + 10)}),
    "no sub": signed({"aud": ["customer-v1"], "exp": NOW + 10}),
    "word sub": signed({**GOOD, "sub": "alice"}),
    "negative string sub": signed({**GOOD, "sub": "-1"}),
    "unicode digit sub": signed({**GOOD, "sub": "\u0661"}),
    "bool sub": signed({**GOOD, "sub": True}),
    "list sub": signed({**GOOD, "sub": [1]}),
    "dynamic without cfg": signed({**GOOD, "sub": "D"}),
    "dynamic cfg not an object": signed({**GOOD, "sub": "D", "cfg": [1]}),
    "dynamic without customer": signed({**GOOD, "sub": "D", "cfg": {"account_ids": [1]}}),
    "dynamic bool customer": signed({**GOOD, "sub": "D", "cfg": {"customer_id": True}}),
    "dynamic string customer": signed({**GOOD, "sub": "D", "cfg": {"customer_id": "7"}}),
    "dynamic account ids not a list": signed(
        {**GOOD, "sub": "D", "cfg": {"customer_id": 7, "account_ids": 5}}),
    "dynamic account ids a string": signed(
        {**GOOD, "sub": "D", "cfg": {"customer_id": 7, "account_ids": "12"}}),
    "dynamic account ids an object": signed(
        {**GOOD, "sub": "D", "cfg": {"customer_id": 7, "account_ids": {"1": 1}}}),
    "dynamic account id string": signed(
        {**GOOD, "sub": "D", "cfg": {"customer_id": 7, "account_ids": ["1"]}}),
    "dynamic allowed ips not a list": signed(
        {**GOOD, "sub": "D", "cfg": {"customer_id": 7, "allowed_ips": 5}}),
    "dynamic allowed ips a string": signed(
        {**GOOD, "sub": "D", "cfg": {"customer_id": 7, "allowed_ips": "10.0.0.0/8"}}),
    "dynamic allowed ip not a CIDR": signed(
        {**GOOD, "sub": "D", "cfg": {"customer_id": 7, "allowed_ips": ["everywhere"]}}),
    "dynamic allowed ip a number": signed(
        {**GOOD, "sub": "D", "cfg": {"customer_id": 7, "allowed_ips": [10]}}),
    "not a jwt": "hello",
    "empty": "",
    "three garbage parts": "a.b.c",
    "non-ascii": "é.é.é",
}


@pytest.mark.parametrize("case", REJECTED)
def test_rejected_tokens_raise_invalid_token_only(case: str) -> None:
    with pytest.raises(InvalidToken):
        decode_token(SECRET, REJECTED[case], NOW)


def test_empty_lists_in_a_dynamic_token_mean_all() -> None:
    token = signed({**GOOD, "sub": "D",
                    "cfg": {"customer_id": 7, "account_ids": None, "allowed_ips": []}})
    claims = decode_token(SECRET, token, NOW)
    assert (claims.customer_id, claims.account_ids, claims.allowed_ips) == (7, [], [])


def test_a_kept_token_is_still_refused_once_expired_and_under_another_secret() -> None:
    token = mint_token(SECRET, 42, 60, NOW)
    assert decode_token(SECRET, token, NOW).api_access_id == 42  # verified and kept
    assert decode_token(SECRET, token, NOW + 59).api_access_id == 42
    with pytest.raises(InvalidToken):
        decode_token(SECRET, token, NOW + 60)
    with pytest.raises(InvalidToken):
        decode_token("another-secret-" + "y" * 32, token, NOW)
