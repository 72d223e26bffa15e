"""SPEC 4.2 param rules on every report: missing params in declaration order, empty values,
repeats, strict numbers, every time spelling, error precedence (401, then missing, then
the first invalid param in the documented order), the empty-result rules and the point
limit of the zero-filled series (active calls, quality)."""

from __future__ import annotations

import itertools

import pytest

from tests.support.api import Api
from tests.support.times import SECOND, iso, us
from tests.support.wire import TOO_MANY, UNAUTHORIZED, V1, dumps, invalid, missing

NOW = us("2024-03-05T12:00:00Z") // SECOND
UUID = "5e5e5e5e-0000-4000-8000-000000000001"
OTHER_UUID = "5e5e5e5e-0000-4000-8000-000000000002"
EMPTY_STATS = {"data": {"t": [], "total_calls": [], "successful_calls": [], "failed_calls": [],
                        "total_duration": [], "acd": [], "asr": [], "total_price": []},
               "rows": 0, "totals": {"t": 0, "total_calls": 0, "successful_calls": 0,
                                     "failed_calls": 0, "total_duration": "0.0", "acd": None,
                                     "asr": None, "total_price": "0.0"}}
EMPTY_SERIES = {"data": {"t": [], "calls": []}, "rows": 0}
EMPTY_QUALITY = {"data": {"t": [], "total_calls": [], "acd": [], "asr": [], "cps": []},
                 "rows": 0, "totals": {"total_calls": 0, "acd": None, "asr": None,
                                       "cps": "0.0"}}
EMPTY_CODES = {"data": [], "rows": 0}
# Instants that hold exactly one CDR each.
INSTANTS = [us(t) for t in ("2024-03-01T10:00:00Z", "2024-03-01T10:00:00.5Z",
                            "2024-03-01T10:00:00.123456Z", "2024-03-01T00:00:00Z",
                            "2024-03-01T04:30:00Z", "2024-02-29T23:59:59.999999Z")]


@pytest.fixture(scope="module")
def api(make_api) -> Api:  # type: ignore[no-untyped-def]
    api = make_api(NOW)
    api.customer("mine", 1)
    api.customer("theirs", 2)
    api.account(1, id=1, uuid=UUID)
    api.account(2, id=2, uuid=OTHER_UUID)
    api.cdrs([{"id": i + 1, "time_start": t, "duration": 10, "customer_acc_id": 1,
               "vendor_acc_id": 1, "customer_id": 1, "extension_id": 5}
              for i, t in enumerate(INSTANTS)])
    api.snapshots([{"snapshot_timestamp": (NOW - 30) * SECOND, "node_id": 1,
                    "calls": [{"customer_acc_id": 1, "vendor_acc_id": 1}]}])
    return api


def token(api: Api) -> str:
    return api.dynamic_token(1)


def get(api: Api, path: str, params: list[tuple[str, str]], auth: str | None = None):  # type: ignore[no-untyped-def]
    return api.get(V1 + path if not path.startswith("/client") else path, params=params,
                   token=token(api) if auth is None else auth)


def assert_error(response, body: bytes, status: int = 400) -> None:  # type: ignore[no-untyped-def]
    assert (response.status_code, response.content) == (status, body)


STATS = ["/origination-statistics", "/termination-statistics"]
SERIES = ["/origination-active-calls", "/termination-active-calls"]
QUALITY = ["/origination-statistics-quality", "/termination-statistics-quality"]
CODES = ["/origination-disconnect-codes", "/termination-disconnect-codes"]
CDR_REPORTS = [*STATS, *SERIES, *QUALITY, *CODES]  # the reports with 4.3's filters
BASE = {  # a valid request of each report
    **{p: [("account-id", UUID), ("from-time", "2024-03-01"), ("sampling", "day")]
       for p in STATS},
    **{p: [("account-id", UUID), ("from-time", iso((NOW - 600) * SECOND))] for p in SERIES},
    "/outgoing-active-calls": [("account-id", UUID)],
    **{p: [("account-id", UUID), ("from-time", "2024-03-01"), ("sampling", "15minutes")]
       for p in QUALITY},
    **{p: [("account-id", UUID), ("from-time", "2024-03-01")] for p in CODES},
}
REQUIRED = {**{p: ["account-id", "from-time", "sampling"] for p in [*STATS, *QUALITY]},
            **{p: ["account-id", "from-time"] for p in [*SERIES, *CODES]},
            "/outgoing-active-calls": ["account-id"]}


# --- missing and empty -------------------------------------------------------------------


@pytest.mark.parametrize("path", BASE)
def test_missing_params_are_listed_in_declaration_order(api: Api, path: str) -> None:
    required = REQUIRED[path]
    assert_error(get(api, path, []), missing(*required))
    for size in range(1, len(required)):
        for kept in itertools.combinations(required, size):
            params = [(k, v) for k, v in BASE[path] if k in kept]
            assert_error(get(api, path, params[::-1]),
                         missing(*[r for r in required if r not in kept]))


@pytest.mark.parametrize("path", BASE)
def test_names_are_exact(api: Api, path: str) -> None:
    params = [(spelled, v) for k, v in BASE[path] for spelled in (k.upper(), k.title())]
    assert_error(get(api, path, params), missing(*REQUIRED[path]))


@pytest.mark.parametrize("path", BASE)
def test_an_empty_required_param_is_invalid(api: Api, path: str) -> None:
    for name in REQUIRED[path]:
        params = [(k, "" if k == name else v) for k, v in BASE[path]]
        assert_error(get(api, path, params), invalid(name))


@pytest.mark.parametrize("path", BASE)
def test_an_empty_optional_param_is_absent(api: Api, path: str) -> None:
    expected = get(api, path, BASE[path]).content
    optional = {"to-time", "time-zone", "duration-eq", "src-prefix-routing-contains",
                "auth-orig-ip", "src-country-id"}
    if path in SERIES:
        optional.add("sampling")
    if path in QUALITY:
        optional.add("metrics")
    if path == "/outgoing-active-calls":
        optional = {"auth-orig-ip", "auth-orig-port", "connect-time-null", "src-name-in-eq"}
    response = get(api, path, BASE[path] + [(name, "") for name in sorted(optional)])
    assert (response.status_code, response.content) == (200, expected)


@pytest.mark.parametrize("path", BASE)
def test_repeated_params_are_refused(api: Api, path: str) -> None:
    for name, value in BASE[path]:
        assert_error(get(api, path, BASE[path] + [(name, value)]), invalid(name))
    repeatable = {"duration-eq": "10", "to-time": "2024-03-05", "time-zone": "UTC"}
    if path in QUALITY:
        repeatable["metrics"] = "ner"
    if path == "/outgoing-active-calls":
        repeatable = {"auth-orig-port": "1", "src-name-in-eq": "x", "connect-time-null": "true"}
    for name, value in repeatable.items():
        assert_error(get(api, path, BASE[path] + [(name, value), (name, value)]), invalid(name))
        assert_error(get(api, path, BASE[path] + [(name, ""), (name, "")]), invalid(name))


def test_unknown_params_are_ignored(api: Api) -> None:
    for path in BASE:
        plain = get(api, path, BASE[path])
        noisy = get(api, path, [("foo", "bar"), *BASE[path], ("page[size]", "x"),
                                ("account_id", OTHER_UUID), ("duration-ne", "x")])
        assert (noisy.status_code, noisy.content) == (200, plain.content)


# --- numbers -----------------------------------------------------------------------------

BAD_INTEGERS = ["1e3", " 1", "1 ", "+1", "NaN", "nan", "Infinity", "-Infinity", "1.", "1.0",
                "0x10", "0b1", "1_000", "--1", "-", "１", "٣", "1,000", "9223372036854775808",
                "-9223372036854775809", "99999999999999999999999", "\t1", "1\n", "true"]
GOOD_INTEGERS = ["0", "-1", "007", "-0", "9223372036854775807", "-9223372036854775808"]
BAD_DECIMALS = ["1e3", "1E-3", "1.", ".5", "-.5", "+1", "+1.5", "NaN", "Infinity", " 1",
                "1 ", "1,5", "0x10", "1.2.3", "１.5", "1_0", "--1", "-", "1.5e0", "١"]
GOOD_DECIMALS = ["1", "-1.5", "0.000001", "00.5", "-0", "123456789012.123456"]


@pytest.mark.parametrize("path", CDR_REPORTS)
@pytest.mark.parametrize("name", ["src-country-id", "dst-country-id", "duration-eq",
                                  "duration-gt", "duration-lt"])
def test_integers_are_strict(api: Api, path: str, name: str) -> None:
    for text in BAD_INTEGERS:
        assert_error(get(api, path, BASE[path] + [(name, text)]), invalid(name))
    for text in GOOD_INTEGERS:
        assert get(api, path, BASE[path] + [(name, text)]).status_code == 200, text


@pytest.mark.parametrize(("path", "name"), [
    (path, f"{side}-price-{op}")
    for path, side in (*((p, "customer") for p in CDR_REPORTS[::2]),
                       *((p, "vendor") for p in CDR_REPORTS[1::2]))
    for op in ("eq", "gt", "lt")])
def test_decimals_are_strict(api: Api, path: str, name: str) -> None:
    for text in BAD_DECIMALS:
        assert_error(get(api, path, BASE[path] + [(name, text)]), invalid(name))
    for text in GOOD_DECIMALS:
        assert get(api, path, BASE[path] + [(name, text)]).status_code == 200, text


@pytest.mark.parametrize("name", ["auth-orig-port", "auth-orig-transport-protocol-id"])
def test_live_call_integers_are_strict(api: Api, name: str) -> None:
    path = "/outgoing-active-calls"
    for text in BAD_INTEGERS:
        assert_error(get(api, path, BASE[path] + [(name, text)]), invalid(name))
    for text in GOOD_INTEGERS:
        assert get(api, path, BASE[path] + [(name, text)]).status_code == 200, text


def test_connect_time_null_is_true_or_false(api: Api) -> None:
    path = "/outgoing-active-calls"
    for text in ("TRUE", "True", "1", "0", "yes", "t", "false ", "null"):
        assert_error(get(api, path, BASE[path] + [("connect-time-null", text)]),
                     invalid("connect-time-null"))


def test_other_values(api: Api) -> None:
    for path in STATS:
        for sampling in ("Minute", "MINUTE", "minutes", "5minute", "5-minutes", "hours",
                         "quarter", "year", " day", "day "):
            assert_error(get(api, path, [*BASE[path][:2], ("sampling", sampling)]),
                         invalid("sampling"))
        for sampling in ("minute", "5minutes", "hour", "day", "week", "month"):
            assert get(api, path, [*BASE[path][:2], ("sampling", sampling)]).status_code == 200
    for path in SERIES:
        for sampling in ("week", "month", "Minute", "second"):
            assert_error(get(api, path, BASE[path] + [("sampling", sampling)]),
                         invalid("sampling"))
    for path in QUALITY:
        for sampling in ("hour", "day", "15minute", "15-minutes", "quarter", "Minute"):
            assert_error(get(api, path, [*BASE[path][:2], ("sampling", sampling)]),
                         invalid("sampling"))
        for sampling in ("minute", "5minutes", "15minutes"):
            assert get(api, path, [*BASE[path][:2], ("sampling", sampling)]).status_code == 200
        for metrics in ("ner,ner", "NER", "ner,", ",ner", "ner,,pdd-avg", "pdd-p90", "pdd",
                        "ner pdd-avg", "ner;pdd-avg", " ner", "pdd_avg", "pdd-avg,ner,pdd-avg"):
            assert_error(get(api, path, BASE[path] + [("metrics", metrics)]), invalid("metrics"))
        for metrics in ("ner", "pdd-p99,ner", "pdd-avg,pdd-p50,pdd-p95,pdd-p99,ner"):
            response = get(api, path, BASE[path] + [("metrics", metrics)])
            assert list(response.json()["totals"])[4:] == metrics.split(","), metrics
    for path in CDR_REPORTS:
        for zone in ("europe/berlin", "Europe/Berlín", "Mars/Olympus", "../../etc/passwd",
                     "/etc/localtime", "+05:30", "UTC+2", "Europe/", " UTC", "Europe//Berlin",
                     # on the host's zoneinfo path, but no tzdata zone (SPEC 11)
                     "localtime", "posixrules", "Factory", "posix/UTC", "right/UTC",
                     "posix/Europe/Berlin", "Europe/../UTC", "Europe/Berlin/.."):
            assert_error(get(api, path, BASE[path] + [("time-zone", zone)]),
                         invalid("time-zone"))
        for zone in ("UTC", "Europe/Berlin", "Asia/Kolkata", "America/Argentina/Buenos_Aires",
                     "Etc/GMT+5", "Europe/Kyiv", "US/Eastern", "Europe/Kiev", "GMT"):
            assert get(api, path, BASE[path] + [("time-zone", zone)]).status_code == 200


# --- times -------------------------------------------------------------------------------

GOOD_TIMES = {  # spelling → the instant it means
    "2024-03-01T10:00:00Z": INSTANTS[0],
    "2024-03-01T10:00:00+00:00": INSTANTS[0],
    "2024-03-01T10:00:00-00:00": INSTANTS[0],
    "2024-03-01T12:00:00+02:00": INSTANTS[0],
    "2024-03-01T12:00:00+0200": INSTANTS[0],
    "2024-03-01T05:00:00-05:00": INSTANTS[0],
    "2024-03-01T05:00:00-0500": INSTANTS[0],
    "2024-03-01T15:30:00+05:30": INSTANTS[0],
    "2024-03-01T10:00:00": INSTANTS[0],
    "2024-03-01 10:00:00": INSTANTS[0],
    "2024-03-01 10:00:00Z": INSTANTS[0],
    "2024-03-01T12:00:00 02:00": INSTANTS[0],  # "+" sent unencoded, read as a space
    "2024-03-01 12:00:00 0200": INSTANTS[0],
    "2024-03-01T10:00:00.000Z": INSTANTS[0],
    "2024-03-01T10:00:00.5Z": INSTANTS[1],
    "2024-03-01T10:00:00.500000Z": INSTANTS[1],
    "2024-03-01T12:00:00.5+02:00": INSTANTS[1],
    "2024-03-01T10:00:00.123456Z": INSTANTS[2],
    "2024-03-01T10:00:00.1234569Z": INSTANTS[2],  # beyond µs: truncated
    "2024-03-01 10:00:00.123456": INSTANTS[2],
    "2024-03-01": INSTANTS[3],
    "2024-03-01T10:00:00+05:30": INSTANTS[4],
    "2024-03-01T00:00:00+00:00": INSTANTS[3],
    "2024-03-01T01:00:00.999999+01:00": INSTANTS[3] + 999_999,  # no CDR there
    "2024-02-29T23:59:59.999999Z": INSTANTS[5],
}
BAD_TIMES = ["2024-03-01T10:00Z", "2024-03-01T10Z", "2024-3-1", "20240301", "20240301T100000Z",
             "2024-03-01T10:00:00ZZ", "2024-03-01T10:00:00+2", "2024-03-01T10:00:00+02",
             "2024-03-01T10:00:00+25:00", "2024-03-01T10:00:00+02:60", "2024-13-01",
             "2024-02-30", "2023-02-29", "2024-03-01T24:00:00Z", "2024-03-01T10:60:00Z",
             "2024-03-01T10:00:61Z", "1709287200", "1709287200.5", "yesterday", "now",
             "2024-03-01T10:00:00.Z", "2024-03-01T10:00:00 +02:00", "2024-03-01 Z",
             "2024-03-01TZ", " 2024-03-01", "2024-03-01 ", "2024-03-01T10:00:00+02:00:00",
             "２０２４-03-01", "2024-03-01T1０:00:00Z", "2024-03-01T10:00:00,5Z",
             "2024-03-01T10:00:00 Z", "2024/03/01", "01.03.2024", "2024-03-01T10:00:00UTC"]


@pytest.mark.parametrize("spelling", GOOD_TIMES)
def test_every_time_spelling_means_its_instant(api: Api, spelling: str) -> None:
    """from-time = to-time = the spelling selects exactly the CDR at that instant."""
    instant = GOOD_TIMES[spelling]
    for path in STATS:
        response = get(api, path, [("account-id", UUID), ("from-time", spelling),
                                   ("to-time", spelling), ("sampling", "minute")])
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["totals"]["total_calls"] == (1 if instant in INSTANTS else 0), spelling
        if instant in INSTANTS:
            assert body["data"]["t"] == [instant // SECOND // 60 * 60]


@pytest.mark.parametrize("spelling", BAD_TIMES)
def test_other_time_spellings_are_invalid(api: Api, spelling: str) -> None:
    for path in CDR_REPORTS:
        assert_error(get(api, path, [("account-id", UUID), ("from-time", spelling),
                                     ("sampling", "day")]), invalid("from-time"))
        assert_error(get(api, path, BASE[path] + [("to-time", spelling)]), invalid("to-time"))
    for pbx in ("/client/@me/cdr/stats/", "/client/@me/calls/stats/"):
        for name in ("start_datetime", "end_datetime"):
            assert_error(get(api, pbx, [(name, spelling)]), invalid(name))


def test_pbx_params(api: Api) -> None:
    path = "/client/@me/cdr/stats/"
    window = [("start_datetime", "2024-03-01"), ("end_datetime", "2024-03-02")]
    for extensions in ([("extension_id", "5")], [("extension_id[]", "5")],
                       [("extension_id", "4,5")], [("extension_id", "4"), ("extension_id", "5")],
                       [("extension_id[]", "4"), ("extension_id[]", "5")]):
        response = get(api, path, window + extensions)
        assert response.json()["out"]["total"] == 5, extensions  # the five on 2024-03-01
    assert get(api, path, window + [("extension_id", "4")]).json()["out"]["total"] == 0
    for bad in ("x", "5,", ",5", "5,,6", "1e3", " 5", "5.0"):
        assert_error(get(api, path, window + [("extension_id", bad)]), invalid("extension_id"))
    twice = [("start_datetime", "2024-03-01")] * 2
    assert_error(get(api, path, twice), invalid("start_datetime"))
    assert_error(get(api, path, [("start_datetime", "x"), ("end_datetime", "y")]),
                 invalid("start_datetime"))


# --- precedence --------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*BASE, "/client/@me/cdr/stats/", "/client/2/calls/stats/"])
def test_401_comes_first(api: Api, path: str) -> None:
    for auth in ("", "Bearer x.y.z", api.dynamic_token(1)[:-2]):
        for params in ([], [("account-id", "nope"), ("from-time", "x"), ("start_datetime", "x")]):
            assert_error(get(api, path, params, auth=auth), UNAUTHORIZED, 401)


# Per report, in the order SPEC 4.3–4.5 list the params: a bad value for each param that
# can have one (text filters take any value).
ORDER_STATS = [("account-id", OTHER_UUID), ("from-time", "x"), ("sampling", "x"),
               ("to-time", "x"), ("src-country-id", "x"), ("dst-country-id", "x"),
               ("duration-eq", "x"), ("duration-gt", "x"), ("duration-lt", "x")]
ORIGINATION_PRICE = [("customer-price-eq", "x"), ("customer-price-gt", "x"),
                     ("customer-price-lt", "x")]
TERMINATION_PRICE = [("vendor-price-eq", "x"), ("vendor-price-gt", "x"),
                     ("vendor-price-lt", "x")]
NO_SAMPLING = [p for p in ORDER_STATS if p[0] != "sampling"]
ORDER = {
    "/origination-statistics-quality": ORDER_STATS + ORIGINATION_PRICE + [
        ("time-zone", "x"), ("metrics", "x")],
    "/termination-statistics-quality": ORDER_STATS + TERMINATION_PRICE + [
        ("time-zone", "x"), ("metrics", "x")],
    "/origination-disconnect-codes": NO_SAMPLING + ORIGINATION_PRICE + [("time-zone", "x")],
    "/termination-disconnect-codes": NO_SAMPLING + TERMINATION_PRICE + [("time-zone", "x")],
    "/origination-statistics": ORDER_STATS + [("customer-price-eq", "x"),
                                              ("customer-price-gt", "x"),
                                              ("customer-price-lt", "x"), ("time-zone", "x")],
    "/termination-statistics": ORDER_STATS + [("vendor-price-eq", "x"), ("vendor-price-gt", "x"),
                                              ("vendor-price-lt", "x"), ("time-zone", "x")],
    "/origination-active-calls": [p for p in ORDER_STATS if p[0] != "sampling"] + [
        ("customer-price-eq", "x"), ("customer-price-gt", "x"), ("customer-price-lt", "x"),
        ("sampling", "x"), ("time-zone", "x")],
    "/termination-active-calls": [p for p in ORDER_STATS if p[0] != "sampling"] + [
        ("vendor-price-eq", "x"), ("vendor-price-gt", "x"), ("vendor-price-lt", "x"),
        ("sampling", "x"), ("time-zone", "x")],
    "/outgoing-active-calls": [("account-id", OTHER_UUID), ("auth-orig-port", "x"),
                               ("auth-orig-transport-protocol-id", "x"),
                               ("connect-time-null", "x")],
    "/client/@me/cdr/stats/": [("start_datetime", "x"), ("end_datetime", "x"),
                               ("extension_id", "x")],
}


@pytest.mark.parametrize("path", ORDER)
def test_missing_before_invalid_and_the_first_invalid_is_named(api: Api, path: str) -> None:
    order = ORDER[path]
    valid = dict(BASE.get(path, []))
    for i, j in itertools.combinations(range(len(order)), 2):
        bad = dict([order[j], order[i]])  # sent in reverse order
        params = [(k, v) for k, v in valid.items() if k not in bad] + list(bad.items())
        assert_error(get(api, path, params), invalid(order[i][0]))
    if path in REQUIRED:
        for bad_name, bad_value in order:
            for gone in REQUIRED[path]:
                if gone == bad_name:
                    continue
                params = [(k, v) for k, v in valid.items() if k not in (gone, bad_name)]
                params.append((bad_name, bad_value))
                assert_error(get(api, path, params),
                             missing(*[r for r in REQUIRED[path] if r == gone]))


# --- empty results and the point limit --------------------------------------------------


@pytest.mark.parametrize("path", CDR_REPORTS)
def test_future_or_reversed_ranges_answer_empty(api: Api, path: str) -> None:
    empty = (EMPTY_STATS if path in STATS else EMPTY_SERIES if path in SERIES
             else EMPTY_QUALITY if path in QUALITY else EMPTY_CODES)
    base = [("account-id", UUID), ("sampling", "minute")]
    if path in QUALITY:
        response = get(api, path, base + [("from-time", "9999-12-31"), ("metrics", "pdd-p50,ner")])
        assert response.content == dumps(EMPTY_QUALITY | {
            "data": EMPTY_QUALITY["data"] | {"pdd-p50": [], "ner": []},
            "totals": EMPTY_QUALITY["totals"] | {"pdd-p50": None, "ner": None}})
    for times in ([("from-time", iso((NOW + 1) * SECOND))],
                  [("from-time", iso((NOW + 1) * SECOND)), ("to-time", "9999-12-31")],
                  [("from-time", "9999-12-31T23:59:59Z")],
                  [("from-time", "2024-03-02"), ("to-time", "2024-03-01T23:59:59.999999Z")],
                  [("from-time", iso((NOW + 3600) * SECOND)),
                   ("to-time", iso((NOW - 3600) * SECOND))]):
        response = get(api, path, base + times)
        assert (response.status_code, response.content) == (200, dumps(empty)), times
    for zone in ("Europe/Berlin", "Asia/Kolkata"):
        response = get(api, path, base + [("time-zone", zone), ("from-time", "2024-03-06"),
                                          ("to-time", "9999-12-31")])
        assert (response.status_code, response.content) == (200, dumps(empty))


def test_the_last_instant_is_inclusive(api: Api) -> None:
    to_time = iso(INSTANTS[0])
    for path in STATS:
        response = get(api, path, [("account-id", UUID), ("from-time", iso(INSTANTS[0] - 1)),
                                   ("to-time", to_time), ("sampling", "hour")])
        assert response.json()["totals"]["total_calls"] == 1


@pytest.mark.parametrize("path", [*SERIES, *QUALITY])
def test_the_point_limit(api: Api, path: str) -> None:
    start = (NOW - 50_000 * 60) // 60 * 60  # a minute boundary: 50,000 points up to it + …
    last = start + 49_999 * 60
    minutes = [("sampling", "minute")] if path in QUALITY else []
    ok = get(api, path, [("account-id", UUID), ("from-time", iso(start * SECOND)),
                         ("to-time", iso((last + 59) * SECOND)), *minutes])
    assert ok.status_code == 200, ok.text
    assert ok.json()["rows"] == 50_000
    coarse = (("9999-12-31", "15minutes"), ("2100-01-01", "5minutes")) if path in QUALITY \
        else (("9999-12-31", "day"), ("2100-01-01", "hour"))
    for to_time, sampling in ((iso((last + 60) * SECOND), "minute"),
                              (iso(NOW * SECOND), "minute"), *coarse):
        params = [("account-id", UUID), ("from-time", iso(start * SECOND)),
                  ("to-time", to_time), ("sampling", sampling)]
        assert_error(get(api, path, params), TOO_MANY)
        # checked after every param is validated …
        assert_error(get(api, path, params + [("time-zone", "Nowhere/Else")]),
                     invalid("time-zone"))
        assert_error(get(api, path, params + [("duration-gt", "1.5")]), invalid("duration-gt"))
    # … and after the empty-result rules
    huge = [("account-id", UUID), ("from-time", iso((NOW + 60) * SECOND)),
            ("to-time", "9999-12-31"), *minutes]
    assert (get(api, path, huge).status_code, get(api, path, huge).content) == (
        200, dumps(EMPTY_QUALITY if path in QUALITY else EMPTY_SERIES))
    # to-time defaults to now
    response = get(api, path, [("account-id", UUID), ("from-time", iso((NOW - 120) * SECOND)),
                               *minutes])
    assert response.json()["data"]["t"][-1] == NOW // 60 * 60


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kolkata", "Europe/Berlin"])
def test_zoned_requests_at_the_start_of_time(api: Api, zone: str) -> None:
    """Year 1 in a zone west of UTC is year 0 locally: still an answer, not a 500."""
    window = [("from-time", "0001-01-01"), ("to-time", "0001-01-03T00:00:00Z"),
              ("time-zone", zone)]
    for path in STATS:
        for sampling in ("hour", "day", "week", "month"):
            response = get(api, path, [("account-id", UUID), ("sampling", sampling), *window])
            assert (response.status_code, response.content) == (200, dumps(EMPTY_STATS))
    for path in SERIES:
        for sampling in ("minute", "hour", "day"):
            response = get(api, path, [("account-id", UUID), ("sampling", sampling), *window])
            assert response.status_code == 200, response.text
            assert set(response.json()["data"]["calls"]) <= {0}
