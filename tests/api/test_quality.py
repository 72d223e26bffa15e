"""The quality series and the disconnect-code table (SPEC 9.4, 9.5) against the plain-Python
reference (api_reference), on every store: requests drawn over the seeded dataset (every
filter param, every sampling, metrics in any order, from/to in every spelling, the clock),
data drawn per example (pdd ties and single values, codes on every column), and fixed
cases for the nearest rank, zero fill, DST zones, CSV and the codes' order."""

from __future__ import annotations

import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.support import api_data
from tests.support import api_reference as ref
from tests.support.api import Api
from tests.support.api_data import ANCHORS, NOW
from tests.support.differential import (
    CDR_TIMES,
    CDRS,
    DECIMALS,
    INTS,
    TEXTS,
    World,
    check_body,
    seeded_world,
)
from tests.support.strategies import ZONES, bounds, filter_params, filters, instants, mostly
from tests.support.times import SECOND, iso, us, utc
from tests.support.wire import TOO_MANY, V1

EXAMPLES = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SIDES = ["origination", "termination"]
SAMPLINGS = ["minute", "5minutes", "15minutes"]
METRICS = ["ner", "pdd-avg", "pdd-p50", "pdd-p95", "pdd-p99"]
# Request spans (seconds) per sampling: inside the point limit, and beyond it.
SPANS = {"minute": [3 * 3600, 60_000 * 60], "5minutes": [2 * 86400, 60_000 * 300],
         "15minutes": [5 * 86400, 60_000 * 900]}
UNKNOWN = {"origination": ("vendor-price-eq", "1"), "termination": ("auth-orig-ip", "10.0.0.1")}


@pytest.fixture(scope="module")
def world(make_api) -> World:  # type: ignore[no-untyped-def]
    return seeded_world(make_api, snapshots=False)


instant = instants(CDR_TIMES, ANCHORS + [NOW], api_data.START, api_data.END, NOW)
metric_lists = st.lists(st.sampled_from(METRICS), unique=True, max_size=5)


def metric_params(metrics: list[str]) -> list[tuple[str, str]]:
    return [("metrics", ",".join(metrics))] if metrics else []


@st.composite
def quality_requests(draw: st.DrawFn):  # type: ignore[no-untyped-def]
    side = draw(st.sampled_from(SIDES))
    account = draw(st.sampled_from([11, 12, 21]))
    sampling = draw(st.sampled_from(SAMPLINGS))
    start, end, params = draw(bounds(instant, SPANS[sampling]))
    names, semantic = filter_params(draw(filters(ref.cdr_filters(side), TEXTS, INTS, DECIMALS)))
    metrics = draw(metric_lists)
    params += [("sampling", sampling), *names, *metric_params(metrics)]
    zone = draw(st.sampled_from(ZONES))
    params += [("time-zone", zone)] if zone else []
    if draw(st.booleans()):
        params.append(UNKNOWN[side])  # another report's param: ignored
    return side, account, sampling, metrics, start, end, semantic, params


@EXAMPLES
@given(request=quality_requests(), now=mostly(NOW, instant), upper=st.booleans(),
       shuffle=st.permutations(range(8)))
def test_quality_matches_the_reference(world: World, request, now: int, upper: bool,  # type: ignore[no-untyped-def]
                                       shuffle: list[int]) -> None:
    side, account, sampling, metrics, start, end, semantic, params = request
    params = [("account-id", world.account_param(account, upper)), *params]
    response = world.call(f"/{side}-statistics-quality", account, params, now, shuffle)
    try:
        expected = ref.quality(CDRS, side, account, start, end, now, sampling, metrics,
                               semantic)
    except ref.TooManyPoints:
        assert (response.status_code, response.content) == (400, TOO_MANY)
        event("too many points")
        return
    check_body(response, expected)


@st.composite
def code_requests(draw: st.DrawFn):  # type: ignore[no-untyped-def]
    side = draw(st.sampled_from(SIDES))
    account = draw(st.sampled_from([11, 12, 21]))
    start, end, params = draw(bounds(instant, [3 * 86400, 60 * 86400, 400 * 86400]))
    names, semantic = filter_params(draw(filters(ref.cdr_filters(side), TEXTS, INTS, DECIMALS)))
    params += names
    if draw(st.booleans()):
        params.append(UNKNOWN[side])
    return side, account, start, end, semantic, params


@EXAMPLES
@given(request=code_requests(), now=mostly(NOW, instant), upper=st.booleans(),
       shuffle=st.permutations(range(8)))
def test_disconnect_codes_match_the_reference(world: World, request, now: int,  # type: ignore[no-untyped-def]
                                              upper: bool, shuffle: list[int]) -> None:
    side, account, start, end, semantic, params = request
    params = [("account-id", world.account_param(account, upper)), *params]
    response = world.call(f"/{side}-disconnect-codes", account, params, now, shuffle)
    check_body(response, ref.disconnect_codes(CDRS, side, account, start, end, now, semantic))


def _seen(rows: list[dict], column: str) -> list[str]:
    values = sorted({r[column] for r in rows if r.get(column) not in (None, "")}, key=str)
    return [format(v, "f") if isinstance(v, Decimal) else str(v) for v in values[:3]]


@pytest.mark.parametrize("side", SIDES)
def test_every_filter_param(world: World, side: str) -> None:
    """Each filter param with values the account's CDRs have, on both reports; each must
    select a different set for some value (else the comparison proves nothing)."""
    start, end = ANCHORS[0] - 6 * 3600 * SECOND, ANCHORS[0] + 6 * 3600 * SECOND
    window = [("account-id", world.uuids[11]), ("from-time", iso(start)),
              ("to-time", iso(end))]
    rows = ref.side_cdrs(CDRS, side, 11, start, end, [])
    assert len(rows) > 20
    for param in ref.cdr_filters(side):
        values = _seen(rows, param.column)
        if param.op in ("starts-with", "ends-with", "contains"):
            values = [v[:2] if param.op == "starts-with" else v[-2:] for v in values]
        answers = set()
        for text in values:
            value: object = {"int": int, "decimal": Decimal}.get(param.kind, str)(text)
            semantic = [(param.column, param.op, value)]
            params = [*window, (param.name, text)]
            quality = world.call(f"/{side}-statistics-quality", 11, [
                *params, ("sampling", "15minutes"), ("metrics", ",".join(METRICS))], NOW, [])
            check_body(quality, ref.quality(CDRS, side, 11, start, end, NOW, "15minutes",
                                            METRICS, semantic))
            codes = world.call(f"/{side}-disconnect-codes", 11, params, NOW, [])
            check_body(codes, ref.disconnect_codes(CDRS, side, 11, start, end, NOW, semantic))
            answers.add(quality.content)
        assert len(answers) > 1 or len(values) < 2, param.name


# --- drawn data ---------------------------------------------------------------------------

IDS = itertools.count(1)
HOUR = 3600 * SECOND
# Few distinct pdd values (ties everywhere), some only once, NULLs, 3 decimals throughout.
PDDS = [None, Decimal("0.300"), Decimal("0.300"), Decimal("1.000"), Decimal("1.005"),
        Decimal("2.675"), Decimal("0.001"), Decimal("12.345")]
CODES = [None, 0, 200, 486, 600, 603, 607, 408, 480, 487, 500, 404]


@pytest.fixture(scope="module")
def api(make_api) -> Api:  # type: ignore[no-untyped-def]
    api = make_api(NOW / SECOND)
    api.customer("one", 1)
    return api


@st.composite
def cdr_rows(draw: st.DrawFn, account: int, base: int) -> list[dict]:
    rows = []
    for _ in range(draw(st.integers(0, 30))):
        row = {
            "id": next(IDS), "time_start": base + draw(st.integers(-HOUR, HOUR)),
            "duration": draw(st.sampled_from([0, 0, 1, 30, 600])),
            "customer_acc_id": draw(st.sampled_from([account, account, None])),
            "vendor_acc_id": draw(st.sampled_from([account, None])),
            "is_last_cdr": draw(st.booleans()),
            "pdd": draw(st.one_of(st.sampled_from(PDDS), st.decimals(
                0, 30, places=3, allow_nan=False, allow_infinity=False))),
            "src_prefix_routing": draw(st.sampled_from(api_data.TEXTS)),
            **{column: draw(st.sampled_from(CODES)) for column in (
                "lega_disconnect_code", "legb_disconnect_code", "internal_disconnect_code")},
        }
        rows.append({k: v for k, v in row.items() if v is not None})
    return rows


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_drawn_cdrs_give_the_reference_answers(api: Api, data: st.DataObject) -> None:
    account, uuid = api.account(1)
    token = api.dynamic_token(1, [account])
    base = data.draw(st.sampled_from(ANCHORS))
    rows = data.draw(cdr_rows(account, base))
    if rows:
        api.cdrs(rows)
    stored = api_data.stored(rows)
    side = data.draw(st.sampled_from(SIDES))
    sampling = data.draw(st.sampled_from(SAMPLINGS))
    start = base + data.draw(st.integers(-2 * HOUR, HOUR))
    end = start + data.draw(st.integers(-HOUR, 3 * HOUR))
    metrics = data.draw(metric_lists)
    chosen = data.draw(filters(ref.cdr_filters(side), [t for t in api_data.TEXTS if t],
                               [0, 1, 30], [Decimal(0)]))
    names, semantic = filter_params(chosen)
    window = [("account-id", uuid), ("from-time", iso(start)), ("to-time", iso(end)), *names]
    response = api.get(f"{V1}/{side}-statistics-quality", token=token, params=[
        *window, ("sampling", sampling), *metric_params(metrics)])
    check_body(response, ref.quality(stored, side, account, start, end, NOW, sampling,
                                     metrics, semantic))
    response = api.get(f"{V1}/{side}-disconnect-codes", params=window, token=token)
    check_body(response, ref.disconnect_codes(stored, side, account, start, end, NOW,
                                              semantic))


# --- fixed cases ----------------------------------------------------------------------------

MINUTE = 60 * SECOND
T0 = us("2024-05-01T10:00:00Z")


def _pdd_rows(account: int, minute: int, pdds: list[str | None], first_id: int) -> list[dict]:
    return [{"id": first_id + i, "time_start": T0 + minute * MINUTE + i * SECOND // 10,
             "duration": 0, "customer_acc_id": account,
             **({"pdd": pdd} if pdd is not None else {})} for i, pdd in enumerate(pdds)]


# minute → pdd values, and the (avg, p50, p95, p99) SPEC 9.4's definitions give them.
RANKS = {
    0: (["0.250"], ("0.250", "0.250", "0.250", "0.250")),  # a single value
    1: (["0.200", "0.100"], ("0.150", "0.100", "0.200", "0.200")),  # p50 of 2: the lower
    2: (["1.000", "1.000", "1.000", "2.000"], ("1.250", "1.000", "2.000", "2.000")),  # ties
    3: ([f"0.{k:03d}" for k in range(1, 101)], ("0.051", "0.050", "0.095", "0.099")),
    4: ([f"0.{k:03d}" for k in range(1, 21)], ("0.011", "0.010", "0.019", "0.020")),
    5: ([None, None], (None, None, None, None)),  # calls without pdd
    6: (["0.001", "0.002"], ("0.002", "0.001", "0.002", "0.002")),  # avg 1.5 ms: rounds up
    7: (["1.005", "2.675", "999999.999"], ("333334.560", "2.675", "999999.999",
                                           "999999.999")),
    8: (["-0.005", "-0.002"], ("-0.004", "-0.005", "-0.002", "-0.002")),  # avg -3.5 ms
}


@pytest.fixture(scope="module")
def ranked(api: Api) -> tuple[str, str]:
    account, uuid = api.account(1)
    rows = []
    for minute, (pdds, _) in RANKS.items():
        rows += _pdd_rows(account, minute, pdds, 10**9 + 1000 * minute)
    api.cdrs(rows)
    return uuid, api.dynamic_token(1, [account])


def test_nearest_rank_percentiles(api: Api, ranked: tuple[str, str]) -> None:
    uuid, token = ranked
    response = api.get(f"{V1}/origination-statistics-quality", token=token, params=[
        ("account-id", uuid), ("from-time", iso(T0)), ("to-time", iso(T0 + 9 * MINUTE - 1)),
        ("sampling", "minute"), ("metrics", "pdd-avg,pdd-p50,pdd-p95,pdd-p99")])
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    got = list(zip(data["pdd-avg"], data["pdd-p50"], data["pdd-p95"], data["pdd-p99"],
                   strict=True))
    assert got == [RANKS[m][1] for m in range(9)]
    # Over the whole set (the 134 values above): the ceil(p·n/100)-th smallest.
    values = sorted(Decimal(v) for pdds, _ in RANKS.values() for v in pdds if v is not None)
    totals = response.json()["totals"]
    assert len(values) == 134 and totals["total_calls"] == 136
    for p in (50, 95, 99):
        assert totals[f"pdd-p{p}"] == ref.seconds3(values[-(-p * len(values) // 100) - 1])
    assert totals["pdd-p99"] == "2.675"


def test_zero_fill_and_yeti_keys(api: Api, ranked: tuple[str, str]) -> None:
    """Buckets without calls are 0, null, null, "0.0" (and null metrics); ACD is seconds;
    CPS calls per bucket second; totals take the highest bucket's CPS; metrics in the
    order asked, after yeti's keys, in data and totals."""
    uuid, token = ranked
    response = api.get(f"{V1}/origination-statistics-quality", token=token, params=[
        ("account-id", uuid), ("from-time", iso(T0 - 16 * MINUTE)),
        ("to-time", iso(T0 + 20 * MINUTE)), ("sampling", "15minutes"),
        ("metrics", "pdd-p99,ner")])
    body = response.json()
    assert list(body["data"]) == ["t", "total_calls", "acd", "asr", "cps", "pdd-p99", "ner"]
    assert list(body["totals"]) == ["total_calls", "acd", "asr", "cps", "pdd-p99", "ner"]
    quarter = T0 // SECOND // 900 * 900
    assert body["data"]["t"] == [quarter - 1800, quarter - 900, quarter, quarter + 900]
    assert body["data"]["total_calls"] == [0, 0, 136, 0]
    assert body["data"]["cps"] == ["0.0", "0.0", "0.1511", "0.0"]
    assert body["data"]["acd"] == [None, None, None, None]  # nothing answered
    assert body["data"]["asr"] == [None, None, "0.0", None]
    assert body["data"]["ner"] == [None, None, "0.0", None]  # no codes at all: failed
    assert body["totals"]["cps"] == "0.1511" and body["rows"] == 4


def test_ner_acd_cps_by_hand(api: Api) -> None:
    """One minute: 3 answered (10, 20 and 31 s, one with a 503 on it), one busy, one
    cancelled (487), one 503, one 200 without duration, one without any code: NER 6/8 →
    "75.0" (a 200 counts as answered), ACD 61/3 s → "20.33", ASR "37.5", CPS 8/60 →
    "0.1333"; codes by count, then code, the null code last."""
    account, uuid = api.account(1)
    codes = [(10, None), (20, None), (31, 503), (0, 486), (0, 487), (0, 503), (0, 200),
             (0, None)]
    api.cdrs([{"id": 2 * 10**9 + i, "time_start": T0 + i * SECOND, "duration": duration,
               "vendor_acc_id": account, **({"legb_disconnect_code": code} if code else {})}
              for i, (duration, code) in enumerate(codes)])
    token = api.dynamic_token(1, [account])
    params = [("account-id", uuid), ("from-time", iso(T0)), ("to-time", iso(T0 + 59 * SECOND))]
    body = api.get(f"{V1}/termination-statistics-quality", token=token, params=[
        *params, ("sampling", "minute"), ("metrics", "ner")]).json()
    assert body["totals"] == {"total_calls": 8, "acd": "20.33", "asr": "37.5",
                              "cps": "0.1333", "ner": "75.0"}
    codes_body = api.get(f"{V1}/termination-disconnect-codes", params=params,
                         token=token).json()
    assert codes_body == {"data": [
        {"code": 200, "class": "answered", "calls": 4, "share": "50.0"},
        {"code": 486, "class": "busy", "calls": 1, "share": "12.5"},
        {"code": 487, "class": "not answered", "calls": 1, "share": "12.5"},
        {"code": 503, "class": "failed", "calls": 1, "share": "12.5"},
        {"code": None, "class": "failed", "calls": 1, "share": "12.5"},
    ], "rows": 5}


def test_codes_take_the_sides_columns_in_order(api: Api) -> None:
    """Origination: lega, then internal; termination: legb, then internal; 0 is not set;
    an answered CDR is 200 whatever its codes say."""
    account, uuid = api.account(1)
    cdrs = [({"lega_disconnect_code": 486, "legb_disconnect_code": 603,
              "internal_disconnect_code": 500}, 0),
            ({"lega_disconnect_code": 0, "legb_disconnect_code": 0,
              "internal_disconnect_code": 480}, 0),
            ({"lega_disconnect_code": 487, "legb_disconnect_code": 487}, 5),
            ({"legb_disconnect_code": 607}, 0)]
    api.cdrs([{"id": 3 * 10**9 + i, "time_start": T0, "duration": duration,
               "customer_acc_id": account, "vendor_acc_id": account, **codes}
              for i, (codes, duration) in enumerate(cdrs)])
    token = api.dynamic_token(1, [account])
    params = [("account-id", uuid), ("from-time", iso(T0)), ("to-time", iso(T0))]
    origination = api.get(f"{V1}/origination-disconnect-codes", params=params, token=token)
    termination = api.get(f"{V1}/termination-disconnect-codes", params=params, token=token)
    assert [(i["code"], i["calls"]) for i in origination.json()["data"]] == [
        (200, 1), (480, 1), (486, 1), (None, 1)]
    assert [(i["code"], i["calls"]) for i in termination.json()["data"]] == [
        (200, 1), (480, 1), (603, 1), (607, 1)]


QUARTER_ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe",
                 "Asia/Kolkata", "America/St_Johns"]


@pytest.mark.parametrize("zone", QUARTER_ZONES)
def test_buckets_are_local_quarter_hours_across_dst(world: World, zone: str) -> None:
    """Around DST changes in zones with whole-, half- and quarter-hour offsets (and Lord
    Howe's half-hour DST shift) the 15-minute points are contiguous and each starts a local
    quarter hour; the zone changes no byte of the answer."""
    local = ZoneInfo(zone)
    for anchor in (*ANCHORS[:4], us("2024-04-06T15:00:00Z"), us("2024-10-05T15:30:00Z")):
        start, end = anchor - 3 * HOUR, anchor + 3 * HOUR
        base = [("account-id", world.uuids[11]), ("from-time", iso(start)),
                ("to-time", iso(end)), ("sampling", "15minutes"), ("metrics", "ner,pdd-p50")]
        plain = world.call("/origination-statistics-quality", 11, base, NOW, [])
        zoned = world.call("/origination-statistics-quality", 11,
                           [*base, ("time-zone", zone)], NOW, [])
        check_body(zoned, ref.quality(CDRS, "origination", 11, start, end, NOW, "15minutes",
                                      ["ner", "pdd-p50"], []))
        assert zoned.content == plain.content
        points = zoned.json()["data"]["t"]
        assert all(b - a == 900 for a, b in itertools.pairwise(points))
        for t in points:
            moment = utc(t * SECOND).astimezone(local)
            assert (moment.minute % 15, moment.second) == (0, 0), (zone, moment)


def test_csv(api: Api, ranked: tuple[str, str]) -> None:
    """A header of the data keys (asked metrics included), one line per bucket, no totals."""
    uuid, token = ranked
    params = [("account-id", uuid), ("from-time", iso(T0)), ("to-time", iso(T0 + 3 * MINUTE - 1)),
              ("sampling", "minute"), ("metrics", "ner,pdd-p95")]
    response = api.get(f"{V1}/origination-statistics-quality", params=params, token=token,
                       headers={"Accept": "text/csv"})
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    t = T0 // SECOND
    assert response.text == (
        "t,total_calls,acd,asr,cps,ner,pdd-p95\r\n"
        f"{t},1,,0.0,0.0167,0.0,0.250\r\n"
        f"{t + 60},2,,0.0,0.0333,0.0,0.200\r\n"
        f"{t + 120},4,,0.0,0.0667,0.0,2.000\r\n")
    codes = api.get(f"{V1}/origination-disconnect-codes", params=params[:3], token=token,
                    headers={"Accept": "text/csv"})
    assert codes.headers["content-type"] == "application/json; charset=utf-8"


def test_the_dataset_exercises_the_metrics() -> None:
    """Guard against a vacuous comparison: the seeded CDRs have pdd ties, every class of
    code on both sides, and buckets with and without pdd values."""
    for side in SIDES:
        body = ref.disconnect_codes(CDRS, side, 11, 0, None, NOW, [])
        assert {item["class"] for item in body["data"]} == {
            "answered", "busy", "rejected", "not answered", "failed"}
        assert any(item["code"] is None for item in body["data"])
    series = ref.quality(CDRS, "origination", 11, ANCHORS[1] - 2 * HOUR, ANCHORS[1] + 2 * HOUR,
                         NOW, "5minutes", METRICS, [])
    assert any(series["data"]["pdd-p50"]) and None in series["data"]["pdd-p50"]
    assert any(v not in (None, "100.0") for v in series["data"]["ner"])
