"""SPEC 4.2 filter operators, one test per operator, on the statistics, the active-call
series and the live call list: values match literally (`%`, `_`, `\\`, quotes, SQL),
`-contains` is case-insensitive on Unicode, the others case-sensitive, NULL never matches.

Value i sits in minute i (statistics and series) and in the live list with start time i,
so a response names exactly the values that matched.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from tests.support.api import Api
from tests.support.times import SECOND, iso
from tests.support.wire import V1

T0 = 1_718_000_040 // 60 * 60
NOW = T0 + 3600
VALUES: list[str | None] = [
    "100%", "1005", "100", "10_5", "1x5", "a\\b", "a\\\\b", "ab", "it's", 'say "hi"',
    "'; DROP TABLE cdrs; --", "xÄBy", "äbc", "ÄB", "Straße", None, "%", "_", "\\", "",
    "ÉCOLE", "école", "İstanbul", "ΟΔΟΣ", "Straße ǅ",
]
QUERIES = ["100%", "%", "_", "10_5", "\\", "a\\b", "a\\\\b", "'", "it's", '"', 'say "hi"',
           "'; DROP TABLE cdrs; --", "ÄB", "äb", "äB", "xÄBy", "ß", "Straße", "100", "1", "5",
           "x", "*", "?", ".", "[a-z]", "a%b", "%%", "\\%", "\\_", "école", "ÉCOLE", "É",
           "' OR '1'='1", "%'; --",
           "istanbul", "i̇stanbul", "İSTANBUL", "οδοσ", "οδος", "ǆ", "STRASSE"]
ACCOUNT = 1
UUID = "0f0f0f0f-1111-4222-8333-444455556666"

STATS_COLUMNS = [("origination", "src-prefix-routing"), ("termination", "dst-prefix-routing"),
                 ("origination", "dst-prefix-routing"), ("termination", "src-prefix-routing")]
CURRENT_COLUMNS = ["src-name-in", "src-prefix-in", "dst-prefix-in", "src-prefix-routing",
                   "dst-prefix-routing"]


@pytest.fixture(scope="module")
def api(make_api) -> Api:  # type: ignore[no-untyped-def]
    api = make_api(NOW)
    api.customer("c", 1)
    api.account(1, id=ACCOUNT, uuid=UUID)
    api.account(1, id=2)
    text = ("src_prefix_routing", "dst_prefix_routing")
    live = ("src_name_in", "src_prefix_in", "dst_prefix_in", *text)
    cdrs, snapshots, calls = [], [], []
    for i, value in enumerate(VALUES):
        common = {"duration": i * 10, "src_country_id": i, "dst_country_id": 100 + i,
                  "auth_orig_ip": f"10.0.0.{i}", "customer_price": Decimal(i) / 2,
                  "vendor_price": Decimal(i) / 4, **{c: value for c in text}}
        cdrs.append({"id": i + 1, "time_start": (T0 + 60 * i) * SECOND, "customer_acc_id": 1,
                     "vendor_acc_id": 1, **common})
        cdrs.append({"id": 1000 + i, "time_start": (T0 + 60 * i) * SECOND,
                     "customer_acc_id": 2, "vendor_acc_id": 2, **common})  # not this account
        snapshots.append({"snapshot_timestamp": (T0 + 60 * i) * SECOND, "node_id": 1, "calls": [
            {"customer_acc_id": 1, "vendor_acc_id": 1, **common},
            {"customer_acc_id": 2, "vendor_acc_id": 2, **common}]})
        calls.append({"customer_acc_id": 1, "start_time": (T0 + i) * SECOND,
                      "connect_time": None if i % 2 else (T0 + i + 1) * SECOND,
                      "auth_orig_port": 5000 + i, "auth_orig_transport_protocol_id": i % 3,
                      "auth_orig_ip": f"10.0.0.{i}", **{c: value for c in live}})
    snapshots.append({"snapshot_timestamp": (NOW - 5) * SECOND, "node_id": 2, "calls": calls})
    api.cdrs(cdrs)
    api.snapshots(snapshots)
    return api


def _minutes(body: dict) -> set[int]:
    return {(t - T0) // 60 for t in body["data"]["t"]}


def statistics(api: Api, side: str, params: list[tuple[str, str]]) -> set[int]:
    response = api.get(f"{V1}/{side}-statistics", token=api.dynamic_token(1), params=[
        ("account-id", UUID), ("from-time", iso(T0 * SECOND)), ("sampling", "minute"),
        *params])
    assert response.status_code == 200, response.text
    return _minutes(response.json())


def series(api: Api, side: str, params: list[tuple[str, str]]) -> set[int]:
    response = api.get(f"{V1}/{side}-active-calls", token=api.dynamic_token(1), params=[
        ("account-id", UUID), ("from-time", iso(T0 * SECOND)),
        ("to-time", iso((T0 + 60 * len(VALUES) - 1) * SECOND)), *params])
    assert response.status_code == 200, response.text
    body = response.json()
    return {(t - T0) // 60 for t, n in zip(body["data"]["t"], body["data"]["calls"],
                                           strict=True) if n}


def live(api: Api, params: list[tuple[str, str]]) -> set[int]:
    response = api.get(f"{V1}/outgoing-active-calls", token=api.dynamic_token(1),
                       params=[("account-id", UUID), *params])
    assert response.status_code == 200, response.text
    starts = [item["start_time"] for item in response.json()["data"]]
    assert starts == sorted(starts, reverse=True)
    return {int(s[-2:]) - int(iso(T0 * SECOND)[17:19]) for s in starts}


def matching(predicate: Callable[[str, str], bool], query: str) -> set[int]:
    return {i for i, v in enumerate(VALUES) if v and predicate(v, query)}


def check_text_operator(api: Api, op: str, predicate: Callable[[str, str], bool]) -> None:
    for k, query in enumerate(QUERIES):
        expected = matching(predicate, query)
        side, column = STATS_COLUMNS[k % len(STATS_COLUMNS)]
        assert statistics(api, side, [(f"{column}-{op}", query)]) == expected, (column, query)
        assert series(api, side, [(f"{column}-{op}", query)]) == expected, (column, query)
        column = CURRENT_COLUMNS[k % len(CURRENT_COLUMNS)]
        assert live(api, [(f"{column}-{op}", query)]) == expected, (column, query)
    assert statistics(api, "origination", []) == set(range(len(VALUES)))  # cdrs still there


def test_eq(api: Api) -> None:
    check_text_operator(api, "eq", str.__eq__)
    assert matching(str.__eq__, "10_5") == {3}  # not a LIKE pattern
    assert matching(str.__eq__, "'; DROP TABLE cdrs; --") == {10}


def test_starts_with(api: Api) -> None:
    check_text_operator(api, "starts-with", str.startswith)
    assert matching(str.startswith, "100%") == {0}
    assert matching(str.startswith, "äb") == {12}  # case-sensitive


def test_ends_with(api: Api) -> None:
    check_text_operator(api, "ends-with", str.endswith)
    assert matching(str.endswith, "_") == {17}
    assert matching(str.endswith, "\\b") == {5, 6}


def contains(value: str, query: str) -> bool:
    return query.lower() in value.lower()


def test_contains(api: Api) -> None:
    check_text_operator(api, "contains", contains)
    assert matching(contains, "äb") == matching(contains, "ÄB") == {11, 12, 13}
    assert matching(contains, "école") == {20, 21}


NUMERIC = {  # param → the value of row i it compares with
    "duration": lambda i: i * 10,
    "customer-price": lambda i: Decimal(i) / 2,
    "vendor-price": lambda i: Decimal(i) / 4,
}
NUMBERS = ["0", "30", "35", "-1", "1000", "1.5", "1.50", "1.25", "0.0", "-0", "00030", "-0.5",
           "9223372036854775807", "-9223372036854775808", "0.000001", "1.4999999999999999",
           # beyond the stored scale (6) and DuckDB's 38 digits: still compared exactly
           "1.00000000000000000000000000000000000001", "0.99999999999999999999999999999999999999",
           "2.5000001", "2.4999999", "-0.0000001", "1234567890123456789012345678901234567890",
           "0.1234567890123456789012345678"]


def check_numeric_operator(api: Api, op: str, predicate: Callable[[object, object], bool]
                           ) -> None:
    for name, value_of in NUMERIC.items():
        for text in NUMBERS:
            if name == "duration" and ("." in text or abs(int(text)) >= 2**63):
                continue
            wanted = Decimal(text)
            expected = {i for i in range(len(VALUES)) if predicate(value_of(i), wanted)}
            sides = {"customer-price": ["origination"], "vendor-price": ["termination"]}.get(
                name, ["origination", "termination"])
            for side in sides:
                param = [(f"{name}-{op}", text)]
                assert statistics(api, side, param) == expected, (name, text)
                assert series(api, side, param) == expected, (name, text)


def test_numeric_eq(api: Api) -> None:
    check_numeric_operator(api, "eq", lambda a, b: a == b)
    for name, column in (("src-country-id", 0), ("dst-country-id", 100)):
        for i in (0, 3, 21):
            param = [(name, str(column + i))]
            assert statistics(api, "termination", param) == {i}
            assert series(api, "origination", param) == {i}
    assert statistics(api, "origination", [("auth-orig-ip", "10.0.0.3")]) == {3}
    assert statistics(api, "origination", [("auth-orig-ip", "10.0.0.%")]) == set()
    assert live(api, [("auth-orig-ip", "10.0.0.4")]) == {4}
    assert live(api, [("auth-orig-port", "5007")]) == {7}
    assert live(api, [("auth-orig-transport-protocol-id", "2")]) == {
        i for i in range(len(VALUES)) if i % 3 == 2}


def test_gt(api: Api) -> None:
    check_numeric_operator(api, "gt", lambda a, b: a > b)


def test_lt(api: Api) -> None:
    check_numeric_operator(api, "lt", lambda a, b: a < b)


def test_connect_time_null(api: Api) -> None:
    odd = {i for i in range(len(VALUES)) if i % 2}
    assert live(api, [("connect-time-null", "true")]) == odd
    assert live(api, [("connect-time-null", "false")]) == set(range(len(VALUES))) - odd


def test_filters_combine_with_and(api: Api) -> None:
    params = [("src-prefix-routing-contains", "1"), ("duration-gt", "15"),
              ("customer-price-lt", "2")]
    assert statistics(api, "origination", params) == {2, 3}
    assert live(api, [("src-prefix-in-starts-with", "10"), ("connect-time-null", "false")]) == {
        0, 2}
