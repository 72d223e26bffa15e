"""Seeds 000, 001, 002 and 004 replayed: CDRs and snapshots built to produce exactly the
seeds' numbers, requested as the seeds do, answered with the seeds' exact bytes (the `t`
values moved to real minute boundaries, SPEC 8) and headers."""

from __future__ import annotations

import re
from decimal import Decimal

import jwt
import orjson
import pytest

from tests.support.api import Api
from tests.support.times import SECOND, iso, us
from tests.support.wire import V1, etag_of

# The seeds' bodies exactly as sent (compact; each one's sha256 prefix is the seed's etag
# and its length the seed's content-length, checked below).
SEED_000 = (b'{"data":{"t":[1734700000,1734700060,1734700120],"total_calls":[150,120,180],'
            b'"successful_calls":[130,100,150],"failed_calls":[20,20,30],"total_duration":'
            b'["650.5","480.0","720.0"],"acd":["5.0","4.8","4.8"],"asr":["86.67","83.33",'
            b'"83.33"],"total_price":["45.25","32.5","48.0"]},"rows":3,"totals":{"t":0,'
            b'"total_calls":450,"successful_calls":380,"failed_calls":70,"total_duration":'
            b'"1850.5","acd":"4.87","asr":"84.44","total_price":"125.75"}}')
SEED_001 = (b'{"data":{"t":[1734700000,1734700060,1734700120],"total_calls":[180,140,200],'
            b'"successful_calls":[155,120,170],"failed_calls":[25,20,30],"total_duration":'
            b'["750.25","580.5","820.0"],"acd":["4.84","4.84","4.82"],"asr":["86.11","85.71",'
            b'"85.0"],"total_price":["65.75","50.25","70.5"]},"rows":3,"totals":{"t":0,'
            b'"total_calls":520,"successful_calls":445,"failed_calls":75,"total_duration":'
            b'"2150.75","acd":"4.83","asr":"85.58","total_price":"186.5"}}')
SEED_002 = b'{"data":{"t":[1734700000,1734700060,1734700120],"calls":[12,8,15]},"rows":123}'
SEED_004 = (b'{"data":[{"snapshot_timestamp":"2025-12-18 15:38:34","start_time":"2025-12-18 '
            b'15:38:34","connect_time":null,"destination_prefix":"123",'
            b'"destination_initial_interval":1,"destination_initial_rate":"2.3",'
            b'"destination_next_interval":60,"destination_next_rate":"3.4","destination_fee":'
            b'"0.0","src_name_in":"test","src_prefix_in":"456","dst_prefix_in":"678",'
            b'"src_prefix_routing":"333","dst_prefix_routing":"7863","from_domain":"qwe",'
            b'"to_domain":"asd","ruri_domain":"qwe.asd","diversion_in":null,"pai_in":null,'
            b'"ppi_in":null,"privacy_in":null,"rpid_in":null,"rpid_privacy_in":null,'
            b'"auth_orig_transport_protocol_id":123,"auth_orig_ip":"10.20.30.40",'
            b'"auth_orig_port":8888}],"rows":123}')
SEED_T = b"[1734700000,1734700060,1734700120]"
# Real minute boundaries next to the seeds' hand-edited t values.
T0 = 1734700000 // 60 * 60
T = [T0, T0 + 60, T0 + 120]

SEED_HEADERS = {
    "x-frame-options": "SAMEORIGIN",
    "x-xss-protection": "0",
    "x-content-type-options": "nosniff",
    "x-permitted-cross-domain-policies": "none",
    "referrer-policy": "strict-origin-when-cross-origin",
    "content-type": "application/json; charset=utf-8",
    "vary": "Accept",
    "cache-control": "max-age=0, private, must-revalidate",
}
SEED_HEADER_NAMES = set(SEED_HEADERS) | {"etag", "x-request-id", "x-runtime", "content-length"}


@pytest.mark.parametrize(("body", "etag", "length"), [
    (SEED_000, 'W/"188f9c27510b7a6ce4ed292abcb6a1ee"', 436),
    (SEED_001, 'W/"c21960ce26893fe33aa0a78a6133dd28"', 440),
    (SEED_002, 'W/"74f6d3138b09a8d51ebec0b9f023340a"', 78),
    (SEED_004, 'W/"61d37454512ec8e024f317acce0f3dc9"', 674),
])
def test_the_seed_bodies_here_are_the_seeds_bytes(body: bytes, etag: str, length: int) -> None:
    assert (etag_of(body), len(body)) == (etag, length)


def yeti_token(api_access_id: int, exp: int, secret: str) -> str:
    """What yeti-web sends: header {"alg":"HS256"} only, the seed's claims."""
    claims = {"aud": ["customer-v1"], "sub": api_access_id, "exp": exp}
    return jwt.encode(claims, secret, algorithm="HS256", headers={"typ": None})


def seed_request_headers(token: str) -> dict[str, str]:
    return {"Accept": "application/vnd.api+json", "Content-Type": "application/vnd.api+json",
            "Authorization": token, "Host": "example.org", "Cookie": ""}


def assert_seed_response(response, body: bytes) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    assert response.content == body
    assert set(response.headers) == SEED_HEADER_NAMES
    assert {k: response.headers[k] for k in SEED_HEADERS} == SEED_HEADERS
    assert response.headers["content-length"] == str(len(body))
    assert response.headers["etag"] == etag_of(body)
    assert re.fullmatch(r"[0-9a-f-]{36}", response.headers["x-request-id"])
    assert re.fullmatch(r"[0-9]+\.[0-9]{6}", response.headers["x-runtime"])


@pytest.fixture(scope="module")
def api(make_api) -> Api:  # type: ignore[no-untyped-def]
    api = make_api(NOW)
    api.customer("seed customer", 40)
    api.customer("someone else", 41)
    api.account(40, id=1, uuid="fd6cb45e-6674-11f1-9edb-da575d109341")  # seed 001's
    api.account(40, id=2, uuid="fe7bf814-6674-11f1-9edb-da575d109341")  # seed 000's
    api.account(40, id=3, uuid="069b073a-e7d9-11f0-932e-0a63caf27539")  # seed 002's
    api.account(40, id=4, uuid="06b61b60-e7d9-11f0-932e-0a63caf27539")  # seed 004's
    api.account(41, id=5)
    assert api.login(40, "seed-login") == LOGIN
    return api


LOGIN = 1  # the first api_access of a fresh metadata store
NOW = T0 + 200


def bucket_cdrs(first_id: int, t: int, total: int, successful: int, seconds: int,
                price: Decimal, **columns: object) -> list[dict]:
    """`total` CDRs in the minute starting at `t` with exactly these sums; spread over the
    whole minute, its first and last microsecond included."""
    cents = int(price * 100)
    rows = []
    for k in range(total):
        answered = k < successful
        duration = seconds // successful + (1 if k < seconds % successful else 0)
        share = cents // total + (1 if k < cents % total else 0)
        offset = [0, 60 * SECOND - 1][k] if k < 2 else k * 59 * SECOND // total
        rows.append({"id": first_id + k, "time_start": t * SECOND + offset,
                     "duration": duration if answered else 0,
                     **{name: (Decimal(share) / 100 if value == "price" else value)
                        for name, value in columns.items()}})
    return rows


SEED_001_BUCKETS = [(180, 155, 45015, Decimal("65.75")), (140, 120, 34830, Decimal("50.25")),
                    (200, 170, 49200, Decimal("70.5"))]
SEED_000_BUCKETS = [(150, 130, 39030, Decimal("45.25")), (120, 100, 28800, Decimal("32.5")),
                    (180, 150, 43200, Decimal("48.0"))]


def test_seed_001_origination_statistics(api: Api) -> None:
    rows: list[dict] = []
    for t, (total, ok, seconds, price) in zip(T, SEED_001_BUCKETS, strict=True):
        rows += bucket_cdrs(100_000 + len(rows), t, total, ok, seconds, price,
                            customer_acc_id=1, customer_price="price", vendor_price=Decimal(9))
    noise = [  # none of these may count
        {"id": 1, "time_start": T0 * SECOND, "duration": 50, "customer_acc_id": 1,
         "is_last_cdr": False, "customer_price": Decimal(7)},  # an earlier attempt
        {"id": 2, "time_start": T0 * SECOND - 1, "duration": 50, "customer_acc_id": 1},
        {"id": 3, "time_start": NOW * SECOND + 1, "duration": 50, "customer_acc_id": 1},
        {"id": 4, "time_start": T0 * SECOND, "duration": 50, "customer_acc_id": 5},
        {"id": 5, "time_start": T0 * SECOND, "duration": 50, "vendor_acc_id": 1},
    ]
    api.cdrs(rows + noise)
    token = yeti_token(LOGIN, T0 + 86400, api.settings.jwt_secret)
    assert token.startswith("eyJhbGciOiJIUzI1NiJ9.")  # the seed's JWT header
    response = api.get(V1 + "/origination-statistics", params={
        "account-id": "fd6cb45e-6674-11f1-9edb-da575d109341", "from-time": iso(T0 * SECOND),
        "sampling": "minute"}, headers=seed_request_headers(token))
    assert_seed_response(response, SEED_001.replace(SEED_T, str(T).replace(" ", "").encode()))


def test_seed_000_termination_statistics(api: Api) -> None:
    rows: list[dict] = []
    for t, (total, ok, seconds, price) in zip(T, SEED_000_BUCKETS, strict=True):
        # Termination counts every attempt, last or not.
        rows += bucket_cdrs(200_000 + len(rows), t, total, ok, seconds, price,
                            vendor_acc_id=2, vendor_price="price", customer_acc_id=2,
                            customer_price=Decimal(3))
    for row in rows[::3]:
        row["is_last_cdr"] = False
    noise = [{"id": 10, "time_start": T0 * SECOND, "duration": 50, "customer_acc_id": 2},
             {"id": 11, "time_start": T0 * SECOND, "duration": 50, "vendor_acc_id": 5}]
    api.cdrs(rows + noise)
    token = yeti_token(LOGIN, T0 + 86400, api.settings.jwt_secret)
    response = api.get(V1 + "/termination-statistics", params={
        "account-id": "fe7bf814-6674-11f1-9edb-da575d109341",
        "from-time": "2024-12-20T13:06:00Z", "sampling": "minute"},
        headers=seed_request_headers(token))
    assert iso(T0 * SECOND).startswith("2024-12-20T13:06:00")
    assert_seed_response(response, SEED_000.replace(SEED_T, str(T).replace(" ", "").encode()))


def test_seed_002_origination_active_calls(api: Api) -> None:
    def snap(node: int, t: int, mine: int, others: int = 2) -> dict:
        calls = [{"customer_acc_id": 3, "vendor_acc_id": 5}] * mine
        calls += [{"customer_acc_id": 5, "vendor_acc_id": 3}] * others
        return {"snapshot_timestamp": t * SECOND, "node_id": node, "calls": calls}

    api.snapshots([
        snap(1, T0 + 5, 5), snap(1, T0 + 40, 7), snap(2, T0 + 59, 5),  # 7 + 5
        snap(1, T0 + 60, 3), snap(1, T0 + 119, 8), snap(2, T0 + 90, 0),  # 8 + 0
        snap(1, T0 + 120, 10), snap(2, T0 + 121, 5), snap(2, T0 + 130, 4),  # 10 + 5
        snap(1, T0 + 151, 40),  # after now (the default to-time)
    ])
    token = yeti_token(LOGIN, T0 + 86400, api.settings.jwt_secret)
    api.clock.now = T0 + 150  # to-time defaults to now: the third minute
    try:
        response = api.get(V1 + "/origination-active-calls", params={
            "account-id": "069b073a-e7d9-11f0-932e-0a63caf27539",
            "from-time": iso((T0 + 15) * SECOND)}, headers=seed_request_headers(token))
    finally:
        api.clock.now = NOW
    body = SEED_002.replace(SEED_T, str(T).replace(" ", "").encode()).replace(
        b'"rows":123', b'"rows":3')
    assert_seed_response(response, body)


SEED_004_CALL = {
    "customer_acc_id": 4, "customer_id": 40, "vendor_acc_id": 5, "duration": 0,
    "start_time": "2025-12-18 15:38:34", "connect_time": None, "destination_prefix": "123",
    "destination_initial_interval": 1, "destination_initial_rate": 2.3,
    "destination_next_interval": 60, "destination_next_rate": "3.4", "destination_fee": 0,
    "src_name_in": "test", "src_prefix_in": "456", "dst_prefix_in": "678",
    "src_prefix_routing": "333", "dst_prefix_routing": "7863", "from_domain": "qwe",
    "to_domain": "asd", "ruri_domain": "qwe.asd", "auth_orig_transport_protocol_id": 123,
    "auth_orig_ip": "10.20.30.40", "auth_orig_port": 8888, "local_tag": "seed-004",
}


def test_seed_004_outgoing_active_calls(api: Api) -> None:
    ts = us("2025-12-18T15:38:34Z")
    api.snapshots([{"snapshot_timestamp": "2025-12-18 15:38:34", "node_id": 7,
                    "calls": [SEED_004_CALL, {**SEED_004_CALL, "customer_acc_id": 5}]}])
    api.clock.now = ts / SECOND + 26
    try:
        token = yeti_token(LOGIN, int(api.clock.now) + 3600, api.settings.jwt_secret)
        response = api.get(V1 + "/outgoing-active-calls",
                           params={"account-id": "06b61b60-e7d9-11f0-932e-0a63caf27539"},
                           headers=seed_request_headers(token))
    finally:
        api.clock.now = NOW
    assert_seed_response(response, SEED_004.replace(b'"rows":123', b'"rows":1'))
    [item] = response.json()["data"]
    assert list(item) == list(_seed_004_item())  # exactly the seed's keys, in its order


def _seed_004_item() -> dict:
    return orjson.loads(SEED_004)["data"][0]


def test_outgoing_active_call_value_spellings(api: Api) -> None:
    """SPEC 4.5 formats beyond the seed: seconds truncated, rates not rounded, trailing
    zeros trimmed with one kept, integers as numbers, missing values null."""
    ts = us("2025-12-19T10:00:00.999999Z")
    call = {"customer_acc_id": 4, "start_time": "2025-12-19T09:59:58.999999Z",
            "connect_time": us("2025-12-19T09:59:59.5Z") / SECOND,  # as unix seconds
            "destination_initial_rate": "0.05",
            "destination_next_rate": 10, "destination_fee": "0.0000000001",
            "destination_initial_interval": 0, "auth_orig_port": 5060}
    api.snapshots([{"snapshot_timestamp": iso(ts), "node_id": 8, "calls": [call]}])
    api.clock.now = ts / SECOND
    try:
        response = api.get(V1 + "/outgoing-active-calls",
                           params={"account-id": "06b61b60-e7d9-11f0-932e-0a63caf27539"},
                           token=api.token(LOGIN))
    finally:
        api.clock.now = NOW
    [item] = response.json()["data"]
    assert list(item) == list(_seed_004_item())
    assert {k: v for k, v in item.items() if v is not None} == {
        "snapshot_timestamp": "2025-12-19 10:00:00", "start_time": "2025-12-19 09:59:58",
        "connect_time": "2025-12-19 09:59:59", "destination_initial_rate": "0.05",
        "destination_next_rate": "10.0", "destination_fee": "0.0000000001",
        "destination_initial_interval": 0, "auth_orig_port": 5060}
