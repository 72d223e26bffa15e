"""PBX params (SPEC 5, 4.2): start_datetime / end_datetime in every accepted spelling,
start inclusive and end exclusive, the defaults (end = now, start = end − 24 h), bad values,
and extension_id in its three spellings.

Every CDR is answered with a duration of its own power of two, so the `duration` of a
body names exactly the CDRs counted."""

from __future__ import annotations

from collections.abc import Callable

import orjson
import pytest

from tests.support.pbx import PbxApi, path
from tests.support.times import DAY, SECOND, us
from tests.support.wire import invalid

NOW = us("2024-05-02T06:00:00Z")  # the server clock
T = us("2024-05-01T10:00:00Z")
U = T + 3600 * SECOND
MOMENTS = [  # (time_start, extension_id) of CDR k, whose duration is 2**k
    (T - 1, 1), (T, 2), (T + 1, 3), (U - 1, None), (U, 1),
    (NOW - DAY - 1, 2), (NOW - DAY, 3), (NOW - 1, 1), (NOW, 2),
    (us("2024-04-30T00:00:00Z"), 3), (us("2024-04-30T00:00:00Z") - 1, 1),
]
CLIENT = 5
ZEROS = {"calls": {"answered": 0, "bridged": 0, "bridged_duration": 0, "busy": 0,
                   "duration": 0, "failed": 0, "not answered": 0, "rejected": 0, "total": 0}}
ZEROS["cdr"] = {**ZEROS["calls"], "diverted": 0, "answered elsewhere": 0}


def counted(start: int, end: int, extensions: set[int] | None = None) -> int:
    return sum(2**k for k, (t, ext) in enumerate(MOMENTS)
               if start <= t < end and (extensions is None or ext in extensions))


@pytest.fixture(scope="module")
def app(make_pbx: Callable[[int], PbxApi]) -> tuple[PbxApi, str]:
    api = make_pbx(NOW)
    api.customer(CLIENT)
    rows = []
    for k, (moment, extension) in enumerate(MOMENTS):
        for n, side in enumerate(({"customer_id": CLIENT}, {"vendor_id": CLIENT})):
            rows.append({"id": 2 * k + n + 1, "time_start": moment, "duration": 2**k,
                         "extension_id": extension, **side})
    api.cdrs(rows)
    return api, api.dynamic_token(CLIENT)


def seconds(api: PbxApi, token: str, query: object, per_call: bool = True) -> int:
    """The duration counted, the same in both directions."""
    if isinstance(query, str):  # a raw query string, sent as the client wrote it
        response = api.get(path("@me", per_call) + "?" + query, token=token)
    else:
        response = api.get(path("@me", per_call), query, token=token)
    assert response.status_code == 200, response.text
    body = orjson.loads(response.content)
    assert body["in"] == body["out"]
    return body["out"]["duration"]


T_SPELLINGS = ["2024-05-01T10:00:00Z", "2024-05-01T10:00:00.000000Z", "2024-05-01T10:00:00",
               "2024-05-01 10:00:00", "2024-05-01T12:00:00+02:00", "2024-05-01T12:00:00+0200",
               "2024-05-01T12:00:00 02:00", "2024-05-01 05:00:00-05:00",
               "2024-05-01T04:30:00-0530", "2024-05-01T10:00:00+00:00"]
U_SPELLINGS = [s.replace("T10", "T11").replace("T12", "T13").replace(" 10", " 11")
               .replace(" 05", " 06").replace("T04", "T05") for s in T_SPELLINGS]


@pytest.mark.parametrize("per_call", [True, False])
@pytest.mark.parametrize(("start", "end"), list(zip(T_SPELLINGS, U_SPELLINGS, strict=True)))
def test_start_inclusive_end_exclusive_in_every_spelling(
        app: tuple[PbxApi, str], start: str, end: str, per_call: bool) -> None:
    api, token = app
    expected = 2**1 + 2**2 + 2**3  # T, T + 1 µs, U − 1 µs; not T − 1 µs, not U
    assert counted(T, U) == expected
    query = {"start_datetime": start, "end_datetime": end}
    assert seconds(api, token, query, per_call) == expected


def test_an_unencoded_plus_reads_as_plus(app: tuple[PbxApi, str]) -> None:
    """`+02:00` sent raw arrives as ` 02:00` (a form-encoded space) and still means +02:00."""
    api, token = app
    query = "start_datetime=2024-05-01T12:00:00+02:00&end_datetime=2024-05-01T13:00:00%2B0200"
    assert seconds(api, token, query) == counted(T, U)


def test_a_bare_date_is_midnight_utc(app: tuple[PbxApi, str]) -> None:
    api, token = app
    day = us("2024-04-30T00:00:00Z")
    query = {"start_datetime": "2024-04-30", "end_datetime": "2024-05-01"}
    assert seconds(api, token, query) == counted(day, day + DAY) == 2**9


@pytest.mark.parametrize(("query", "start", "end", "by_hand"), [
    ({}, NOW - DAY, NOW, 0b00011011111),
    ({"start_datetime": "", "end_datetime": ""}, NOW - DAY, NOW, 0b00011011111),  # absent
    ({"end_datetime": "2024-05-01T11:00:00Z"}, U - DAY, U, 0b00001101111),
    ({"start_datetime": "2024-05-01T10:00:00Z"}, T, NOW, 0b00010011110),
])
def test_defaults_end_now_and_start_a_day_before_end(
        app: tuple[PbxApi, str], query: dict[str, str], start: int, end: int,
        by_hand: int) -> None:
    api, token = app
    expected = counted(start, end)
    assert expected == by_hand  # bit k: CDR k of MOMENTS
    assert seconds(api, token, query) == expected
    assert seconds(api, token, query, per_call=False) == expected


@pytest.mark.parametrize("per_call", [True, False])
@pytest.mark.parametrize("query", [
    {"start_datetime": "2024-05-01T10:00:00Z", "end_datetime": "2024-05-01T10:00:00Z"},
    {"start_datetime": "2024-05-01T11:00:00Z", "end_datetime": "2024-05-01T10:00:00Z"},
    {"start_datetime": "2024-05-02T06:00:00Z"},  # start = now = the default end
    {"start_datetime": "2030-01-01"},
])
def test_start_at_or_after_end_gives_zeros(app: tuple[PbxApi, str], query: dict[str, str],
                                           per_call: bool) -> None:
    api, token = app
    response = api.get(path("@me", per_call), query, token=token)
    assert response.status_code == 200
    zeros = ZEROS["calls" if per_call else "cdr"]
    assert response.content == orjson.dumps({"in": zeros, "out": zeros})


BAD_TIMES = ["yesterday", "2024-13-01", "2024-02-30", "2024-05-01T10:00", "2024-05-01T25:00:00Z",
             "1714557600", "2024-05-01T10:00:00+24:00", "2024-05-01T10:00:00Z ", "2024/05/01",
             "2024-5-1", "2024-05-01T10:00:00ZZ", " 2024-05-01", "now"]


@pytest.mark.parametrize("per_call", [True, False])
@pytest.mark.parametrize("name", ["start_datetime", "end_datetime"])
@pytest.mark.parametrize("value", BAD_TIMES)
def test_bad_times_are_400(app: tuple[PbxApi, str], name: str, value: str,
                           per_call: bool) -> None:
    api, token = app
    response = api.get(path("@me", per_call), {name: value}, token=token)
    assert response.status_code == 400
    assert response.content == invalid(name)


@pytest.mark.parametrize(("query", "param"), [
    ({"start_datetime": "x", "end_datetime": "y", "extension_id": "z"}, "start_datetime"),
    ({"end_datetime": "y", "extension_id": "z"}, "end_datetime"),
    ([("start_datetime", "2024-05-01"), ("start_datetime", "2024-05-01")], "start_datetime"),
    ([("end_datetime", "2024-05-01"), ("end_datetime", "2024-05-02")], "end_datetime"),
])
def test_the_first_invalid_param_is_named(app: tuple[PbxApi, str], query: object,
                                          param: str) -> None:
    """In the order SPEC 5 lists them; a single-valued param repeated is invalid too."""
    api, token = app
    response = api.get(path("@me", True), query, token=token)
    assert response.status_code == 400
    assert response.content == invalid(param)


@pytest.mark.parametrize("key", ["extension_id", "extension_id[]"])
@pytest.mark.parametrize("value", ["abc", "1,,2", "1.5", "1,", ",1", "1e3", " 1", "0x10",
                                   "1;2", "99999999999999999999999"])
def test_bad_extension_ids_are_400(app: tuple[PbxApi, str], key: str, value: str) -> None:
    api, token = app
    for per_call in (True, False):
        response = api.get(path("@me", per_call), {key: value}, token=token)
        assert response.status_code == 400
        assert response.content == invalid("extension_id")


@pytest.mark.parametrize("query", [
    "extension_id=", "extension_id[]=", "extension_id%5B%5D=",
    "extension_id=&extension_id[]=",
])
def test_an_empty_extension_id_is_absent(app: tuple[PbxApi, str], query: str) -> None:
    api, token = app
    assert seconds(api, token, query) == counted(NOW - DAY, NOW)


@pytest.mark.parametrize(("query", "extensions"), [
    ("extension_id=1", {1}),
    ("extension_id=1&extension_id=3", {1, 3}),
    ("extension_id[]=1&extension_id[]=3", {1, 3}),
    ("extension_id%5B%5D=2", {2}),
    ("extension_id=1,3", {1, 3}),
    ("extension_id=1,2&extension_id[]=3", {1, 2, 3}),
    ("extension_id=7", set()),
    ("extension_id=-1,0", set()),
])
@pytest.mark.parametrize("per_call", [True, False])
def test_extension_ids_in_every_spelling(app: tuple[PbxApi, str], query: str,
                                         extensions: set[int], per_call: bool) -> None:
    """The window holds extensions 1, 2, 3 and a CDR without one (never kept by a filter)."""
    api, token = app
    window = "start_datetime=2024-05-01T00:00:00Z&end_datetime=2024-05-02T00:00:00Z&"
    start, end = us("2024-05-01T00:00:00Z"), us("2024-05-02T00:00:00Z")
    expected = counted(start, end, extensions)
    assert seconds(api, token, window + query, per_call) == expected
    if extensions == {1, 3}:
        assert expected == 2**0 + 2**2 + 2**4 + 2**6  # by hand
