"""Every store answers every customer and PBX request with the same bytes, on one seeded
history: the randomized datasets of the API and PBX differential suites (tests/api/api_data,
tests/pbx/test_pbx_differential.generate) ingested in overlapping batches with repeated
ids and compactions in between, snapshots re-posted with other calls, and a few CDRs and
snapshots long before the epoch. The fixed battery covers every endpoint, every sampling,
zones with and without DST (and +05:30), every filter param of every report as the report
definitions declare them, CSV, error answers and both PBX endpoints; each filter must also
change some answer, so none is vacuous."""

from __future__ import annotations

import itertools
import json
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import httpx
import pytest

from callstats.queries import Op
from callstats.reports import definitions, pbx
from callstats.reports import quality as quality_metrics
from callstats.reports.definitions import (
    CALL_STATS,
    CDR_STATS,
    EXTENSIONS,
    METRICS,
    ORIGINATION_ACTIVE_CALLS,
    ORIGINATION_DISCONNECT_CODES,
    ORIGINATION_QUALITY,
    ORIGINATION_STATISTICS,
    OUTGOING_ACTIVE_CALLS,
    TERMINATION_ACTIVE_CALLS,
    TERMINATION_DISCONNECT_CODES,
    TERMINATION_QUALITY,
    TERMINATION_STATISTICS,
    Report,
)
from callstats.reports.params import (
    BOOLEAN,
    DECIMAL,
    INTEGER,
    INTEGER_LIST,
    QUALITY_SAMPLING,
    SAMPLING,
    SERIES_SAMPLING,
    TIME,
    UUID,
    ZONE,
    Param,
    Role,
)
from tests.support import api_data
from tests.support.api_data import NOW, SNAPSHOT_ANCHORS
from tests.support.api_reference import FilterParam
from tests.support.parity import Apps, Case, account_uuid, filter_params
from tests.support.pbx import path as pbx_path
from tests.support.pbx_data import ACCOUNTS
from tests.support.pbx_data import NOW as PBX_NOW
from tests.support.pbx_data import generate as generate_pbx_calls
from tests.support.times import DAY, SECOND, iso, spellings, us
from tests.support.wire import V1

STATISTICS = (ORIGINATION_STATISTICS, TERMINATION_STATISTICS)
SERIES = (ORIGINATION_ACTIVE_CALLS, TERMINATION_ACTIVE_CALLS)
QUALITY = (ORIGINATION_QUALITY, TERMINATION_QUALITY)
CODES = (ORIGINATION_DISCONNECT_CODES, TERMINATION_DISCONNECT_CODES)
CDR_REPORTS = (*STATISTICS, *QUALITY, *CODES)  # the reports over CDRs (4.3's rows)
REPORTS = (*STATISTICS, *SERIES, OUTGOING_ACTIVE_CALLS, *QUALITY, *CODES)
ALL_METRICS = ",".join(quality_metrics.METRICS)
# No zone, UTC, two DST zones, +05:30, and Lord Howe's 30-minute DST shift.
ZONES = (None, "UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata",
         "Australia/Lord_Howe")
MATRIX_ZONES = ZONES[:5]
CUSTOMER_OF = {account: customer for customer, owned in ACCOUNTS.items() for account in owned}

SENT_CDRS = api_data.cdrs(seed=7, count=2500)
SENT_SNAPSHOTS = api_data.snapshots(seed=8)
# Valid instants far from the others: just before the epoch (negative µs: truncating and
# flooring division differ), Berlin's 1893 switch from local mean time, the year 1000.
EPOCH_EDGE, LMT_SWITCH, YEAR_1000 = (us(t) for t in (
    "1970-01-01T00:00:00Z", "1893-03-31T23:06:32Z", "1000-06-01T00:00:00Z"))


@dataclass
class World:
    apps: Apps
    tokens: dict[int, str]  # customer id → a token for all its accounts
    pbx_principals: list[tuple[int, str]]  # (customer id, token)
    duplicates: int  # CDRs the stores reported as duplicates


def _with_other_calls(rng: random.Random, envelopes: Sequence[dict]) -> list[dict]:
    """The same snapshots (node, instant) with newly drawn calls, sometimes none."""
    starts = [NOW - 100 * SECOND, NOW - 3000 * SECOND]
    return [{**e, "calls": [api_data.call(rng, e["snapshot_timestamp"], starts)
                            for _ in range(rng.choice((0, 1, 2, 5)))]} for e in envelopes]


def _ancient_cdrs() -> list[dict]:
    """api_data's CDRs (their own seed) moved to within two days of the old instants."""
    rng = random.Random(11)
    rows = api_data.cdrs(seed=11, count=90)
    for i, row in enumerate(rows):
        anchor = (EPOCH_EDGE, EPOCH_EDGE, LMT_SWITCH, YEAR_1000)[i % 4]
        row["time_start"] = anchor + rng.randrange(-2 * DAY, 2 * DAY)
    return rows


def _ancient_snapshots() -> list[dict]:
    rng = random.Random(12)
    return [{"snapshot_timestamp": ts, "node_id": 7, "calls": [
                api_data.call(rng, ts, [ts - 100 * SECOND]) for _ in range(rng.randrange(6))]}
            for anchor in (EPOCH_EDGE, LMT_SWITCH)
            for ts in range(anchor - 3 * 3600 * SECOND, anchor + 3 * 3600 * SECOND,
                            1789 * SECOND)]


def _pbx_rows() -> list[dict]:
    """The PBX differential suite's multi-leg calls around PBX_NOW (its own seed)."""
    rng = random.Random(3003)
    times = [PBX_NOW + rng.randrange(-3 * DAY, DAY // 2) for _ in range(60)]
    times += [PBX_NOW - DAY, PBX_NOW, PBX_NOW - 2 * DAY, PBX_NOW - DAY - 1]
    return generate_pbx_calls(rng, 500, 1, [1, 1, 2, 2, 3, 4, None], ACCOUNTS, times)


def _ingest(apps: Apps) -> int:
    """The history, in an order that exercises de-duplication and replacement; returns the
    duplicates reported (equal on every store, or `apps` fails)."""
    answers = [apps.cdrs(SENT_CDRS[:1200]), apps.cdrs(SENT_CDRS[800:2000])]
    apps.compact()
    answers += [apps.cdrs(SENT_CDRS[1900:]), apps.cdrs(SENT_CDRS[:1200])]
    fresh = api_data.cdrs(seed=9, count=300)
    # Repeated ids with other values: the first row of a batch wins, stored rows stay.
    repeats = [{**row, "duration": 4321, "customer_price": Decimal("9.99"),
                "vendor_price": Decimal("-1.5")} for row in fresh[::7] + SENT_CDRS[::50]]
    answers.append(apps.cdrs(fresh + repeats + _ancient_cdrs()))
    pbx_rows = _pbx_rows()
    third = len(pbx_rows) // 3
    answers.append(apps.cdrs(pbx_rows[:2 * third]))
    apps.compact()  # a call's legs on both sides of a compaction
    answers += [apps.cdrs(pbx_rows[third:]), apps.cdrs(pbx_rows[::4])]

    half = len(SENT_SNAPSHOTS) // 2
    apps.snapshots(SENT_SNAPSHOTS[:half] + _ancient_snapshots())
    apps.snapshots(SENT_SNAPSHOTS[half:])
    rng = random.Random(10)
    # Every 5th snapshot replaced; every 35th twice in that request (the last one wins).
    apps.snapshots(_with_other_calls(rng, SENT_SNAPSHOTS[::5])
                   + _with_other_calls(rng, SENT_SNAPSHOTS[::35]))
    # Every 35th replaced once more, then a compaction drops the superseded versions
    # (few of them: ClickHouse deletes slowly), then replacements after it, the
    # freshness-edge snapshots of nodes 3 and 4 among them.
    apps.snapshots(_with_other_calls(rng, SENT_SNAPSHOTS[::35]))
    apps.compact()
    apps.snapshots(_with_other_calls(rng, SENT_SNAPSHOTS[3::35] + SENT_SNAPSHOTS[-4:]))
    return sum(a["duplicates"] for a in answers)


@pytest.fixture(scope="module")
def world(make_apps) -> World:  # type: ignore[no-untyped-def]
    apps = make_apps(NOW)
    for customer, owned in ACCOUNTS.items():
        apps.customer(customer)
        for account in owned:
            apps.account(customer, account)
    # Dynamic tokens: logins (an argon2 hash per store) would answer the same on any store.
    tokens = {customer: apps.dynamic_token(customer) for customer in ACCOUNTS}
    principals = [
        (1, tokens[1]), (1, apps.dynamic_token(1, [11])),
        (1, apps.dynamic_token(1, [11, 12])), (2, tokens[2]),
        (2, apps.dynamic_token(2, [22])), (3, tokens[3]),
    ]
    return World(apps, tokens, principals, _ingest(apps))


def test_every_report_is_in_the_battery() -> None:
    """A report added to the definitions must join REPORTS, or this suite would miss it."""
    declared = {value.path for module in (definitions, pbx) for value in vars(module).values()
                if isinstance(value, Report)}
    assert declared == {report.path for report in (*REPORTS, CALL_STATS, CDR_STATS,
                                                   EXTENSIONS)}


def test_the_history_repeats_ids(world: World) -> None:
    """Guard: the overlapping batches were de-duplicated (400 + 100 + 1200 repeated ids of
    api_data, the in-batch repeats, the PBX re-posts), identically on every store."""
    assert world.duplicates > 1700 + len(SENT_CDRS[::50])


# --- building requests -------------------------------------------------------------------

def report_case(world: World, report: Report, account: int,
                params: Sequence[tuple[str, str]], now: int = NOW,
                headers: tuple[tuple[str, str], ...] = ()) -> Case:
    return Case(V1 + report.path, (("account-id", account_uuid(account)), *params),
                world.tokens[CUSTOMER_OF[account]], now, headers)


def zone_param(zone: str | None) -> tuple[tuple[str, str], ...]:
    return (("time-zone", zone),) if zone else ()


def has_data(response: httpx.Response) -> bool:
    body = response.json()
    if isinstance(body["data"], dict) and "calls" in body["data"]:
        return any(body["data"]["calls"])
    if isinstance(body["data"], dict) and "cps" in body["data"]:  # zero-filled
        return any(body["data"]["total_calls"])
    return body["rows"] > 0


WHOLE_YEAR = (("from-time", "2024-01-01"), ("to-time", "2024-12-31T23:59:59.999999Z"))


def around(micros: int, half_width: int) -> tuple[tuple[str, str], ...]:
    return (("from-time", iso(micros - half_width)), ("to-time", iso(micros + half_width)))


def account_times(side_column: str, account: int) -> list[int]:
    return sorted(r["time_start"] for r in SENT_CDRS if r.get(side_column) == account)


def statistics_cases(world: World) -> list[Case]:
    """Every sampling with and without zones over the whole year, other accounts, the
    clock's part, and inclusive bounds on stored instants."""
    cases = []
    for side, report in enumerate(STATISTICS):
        # Every sampling on each side; each (sampling, zone) pair on one of them.
        for k, (sampling, zone) in enumerate(itertools.product(SAMPLING.enum, MATRIX_ZONES)):
            if k % 2 == side:
                cases.append(report_case(world, report, 11, (
                    *WHOLE_YEAR, ("sampling", sampling), *zone_param(zone))))
        for account, sampling in itertools.product((12, 21), ("hour", "week", "month")):
            cases.append(report_case(world, report, account, (
                *WHOLE_YEAR, ("sampling", sampling), ("time-zone", "Europe/Berlin"))))
        # The clock's part: no to-time (until now), from-time ahead of now, from after to.
        for params in ((("from-time", "2024-11-01"), ("sampling", "hour")),
                       (("from-time", "2024-11-01T00:00:00+05:30"), ("sampling", "5minutes"),
                        ("time-zone", "Asia/Kolkata")),
                       (("from-time", "2024-11-06"), ("sampling", "day")),
                       (("from-time", "2024-06-02"), ("to-time", "2024-06-01"),
                        ("sampling", "day"))):
            cases.append(report_case(world, report, 11, params))
        # Before the epoch, across Berlin's LMT switch, in the year 1000.
        for k, (sampling, zone) in enumerate(itertools.product(
                SAMPLING.enum, (None, "Europe/Berlin", "Asia/Kolkata"))):
            if k % 2 == side:
                cases.append(report_case(world, report, 11, (
                    *around(EPOCH_EDGE, 3 * DAY), ("sampling", sampling), *zone_param(zone))))
        for anchor, sampling in ((LMT_SWITCH, "hour"), (LMT_SWITCH, "week"),
                                 (YEAR_1000, "day"), (YEAR_1000, "month")):
            cases.append(report_case(world, report, 11, (
                *around(anchor, 3 * DAY), ("sampling", sampling),
                ("time-zone", "Europe/Berlin"))))
        # Both ends inclusive, to the microsecond, on stored instants.
        column = report.side.account_column  # type: ignore[union-attr]
        times = account_times(column, 11)
        for i, shift in itertools.product((5, len(times) // 3, len(times) // 2), (0, 1)):
            start, end = times[i] + shift, times[i + 40] - shift
            cases.append(report_case(world, report, 11, (
                ("from-time", iso(start)), ("to-time", iso(end)), ("sampling", "minute"))))
    return cases


def _series_window(sampling: str | None, k: int) -> tuple[tuple[str, str], ...]:
    """A range as long as `sampling` allows, around the k-th snapshot anchor."""
    anchor = SNAPSHOT_ANCHORS[k % len(SNAPSHOT_ANCHORS)]
    half = {None: 3 * 3600, "minute": 3 * 3600, "5minutes": 86400, "hour": 3 * 86400,
            "day": 100 * 86400}[sampling] * SECOND
    return (("from-time", iso(anchor - half)), ("to-time", iso(anchor + half)))


def series_cases(world: World) -> list[Case]:
    """Every sampling (and none: the default) with and without zones around the snapshot
    anchors, other accounts, the clock's part, and too many points."""
    cases = []
    for side, report in enumerate(SERIES):
        # Every sampling on each side; each (sampling, zone) pair on one of them.
        for k, (sampling, zone) in enumerate(itertools.product((None, *SERIES_SAMPLING.enum),
                                                               MATRIX_ZONES)):
            if k % 2 != side:
                continue
            sampled = (("sampling", sampling),) if sampling else ()
            cases.append(report_case(world, report, 11, (
                *_series_window(sampling, k), *sampled, *zone_param(zone))))
        for k, (account, sampling) in enumerate(itertools.product((12, 21), ("minute", "hour"))):
            cases.append(report_case(world, report, account, (
                *_series_window(sampling, k), ("sampling", sampling),
                ("time-zone", "America/New_York"))))
        # Before the epoch and across Berlin's switch from local mean time.
        for anchor, sampling, zone in ((EPOCH_EDGE, "minute", None),
                                       (EPOCH_EDGE, "hour", "Asia/Kolkata"),
                                       (LMT_SWITCH, "5minutes", "Europe/Berlin"),
                                       (LMT_SWITCH, "day", "Europe/Berlin")):
            cases.append(report_case(world, report, 11, (
                *around(anchor, 4 * 3600 * SECOND), ("sampling", sampling),
                *zone_param(zone))))
        # Around the clock: no to-time, a DST zone; a range beyond it; too many points.
        cases += [
            report_case(world, report, 11, (("from-time", iso(NOW - 1200 * SECOND)),)),
            report_case(world, report, 12, (("from-time", iso(NOW - 3 * 3600 * SECOND)),
                                            ("sampling", "5minutes"),
                                            ("time-zone", "Europe/Berlin"))),
            report_case(world, report, 11, (("from-time", iso(NOW - 600 * SECOND)),
                                            ("to-time", iso(NOW + 3600 * SECOND)))),
            report_case(world, report, 11, (*WHOLE_YEAR, ("sampling", "minute"))),
        ]
    return cases


def quality_cases(world: World) -> list[Case]:
    """Every sampling with and without zones and metrics around DST changes, other
    accounts, the clock's part, before the epoch, and too many points."""
    cases = []
    for side, report in enumerate(QUALITY):
        for k, (sampling, zone) in enumerate(itertools.product(QUALITY_SAMPLING.enum,
                                                               MATRIX_ZONES)):
            if k % 2 != side:
                continue
            half = {"minute": 3 * 3600, "5minutes": 86400, "15minutes": 3 * 86400}[sampling]
            metrics = (("metrics", ALL_METRICS),) if k % 3 else (("metrics", "pdd-p95,ner"),)
            cases.append(report_case(world, report, 11, (
                *around(api_data.ANCHORS[k % 8], half * SECOND), ("sampling", sampling),
                *zone_param(zone), *metrics)))
        for account in (12, 21):
            cases.append(report_case(world, report, account, (
                *around(api_data.ANCHORS[1], 2 * DAY), ("sampling", "15minutes"),
                ("metrics", ALL_METRICS))))
        cases += [
            report_case(world, report, 11, (("from-time", iso(NOW - 7200 * SECOND)),
                                            ("sampling", "minute"), ("metrics", ALL_METRICS))),
            report_case(world, report, 11, (("from-time", "2024-11-06"), ("sampling", "minute"))),
            report_case(world, report, 11, (*around(EPOCH_EDGE, 2 * DAY),
                                            ("sampling", "15minutes"), ("metrics", ALL_METRICS))),
            report_case(world, report, 11, (*around(LMT_SWITCH, 3600 * SECOND),
                                            ("sampling", "minute"), ("time-zone", "Europe/Berlin"),
                                            ("metrics", "pdd-avg"))),
            report_case(world, report, 11, (*WHOLE_YEAR, ("sampling", "minute"))),
        ]
    return cases


def codes_cases(world: World) -> list[Case]:
    """The whole year and shorter ranges of every account, the clock's part, old CDRs."""
    cases = []
    for report in CODES:
        for account in (11, 12, 21):
            cases.append(report_case(world, report, account, WHOLE_YEAR))
        for k, anchor in enumerate(api_data.ANCHORS):
            cases.append(report_case(world, report, 11 + k % 2, around(anchor, 3 * 3600 * SECOND)))
        cases += [report_case(world, report, 11, (("from-time", "2024-11-01"),)),
                  report_case(world, report, 11, (("from-time", "2024-11-06"),)),
                  report_case(world, report, 11, around(EPOCH_EDGE, 3 * DAY)),
                  report_case(world, report, 11, around(YEAR_1000, 3 * DAY))]
    return cases


def outgoing_cases(world: World) -> list[Case]:
    """Around the clock and on the freshness window's edges (nodes 3 and 4), every account."""
    instants = [NOW + k * 70 * SECOND for k in range(-3, 4)] + [NOW - 1, NOW + 1]
    return [report_case(world, OUTGOING_ACTIVE_CALLS, account, (), now=now)
            for now in instants for account in (11, 12, 21)]


def csv_cases(world: World) -> list[Case]:
    """Text/csv of the four series reports (outgoing-active-calls answers JSON anyway)."""
    accept = (("Accept", "text/csv"),)
    cases = [report_case(world, report, 11, (*WHOLE_YEAR, ("sampling", sampling),
                                             *zone_param(zone)), headers=accept)
             for report in STATISTICS
             for sampling, zone in (("day", None), ("hour", "Europe/Berlin"),
                                    ("month", "Asia/Kolkata"))]
    cases += [report_case(world, report, 11, (*_series_window(sampling, 1),
                                              ("sampling", sampling), *zone_param(zone)),
                          headers=accept)
              for report in SERIES
              for sampling, zone in (("minute", None), ("5minutes", "Europe/Berlin"),
                                     ("day", "Asia/Kolkata"))]
    cases += [report_case(world, report, 11, (*around(api_data.ANCHORS[k], DAY),
                                              ("sampling", sampling), *metrics),
                          headers=accept)
              for report in QUALITY
              for k, (sampling, metrics) in enumerate((
                  ("minute", ()), ("15minutes", (("metrics", ALL_METRICS),))))]
    cases.append(report_case(world, OUTGOING_ACTIVE_CALLS, 11, (), headers=accept))
    return cases


def test_statistics(world: World) -> None:
    answers = world.apps.check_all(statistics_cases(world))
    assert sum(has_data(a) for a in answers) > len(answers) // 2


def test_active_call_series(world: World) -> None:
    answers = world.apps.check_all(series_cases(world))
    assert sum(a.status_code == 200 and has_data(a) for a in answers) > len(answers) // 2


def test_quality(world: World) -> None:
    answers = world.apps.check_all(quality_cases(world))
    assert sum(a.status_code == 200 and has_data(a) for a in answers) > len(answers) // 2
    pdds = [v for a in answers if a.status_code == 200
            for v in a.json()["data"].get("pdd-p99", ())]
    assert any(pdds) and None in pdds


def test_disconnect_codes(world: World) -> None:
    answers = world.apps.check_all(codes_cases(world))
    assert sum(has_data(a) for a in answers) > len(answers) // 2


def test_outgoing_active_calls(world: World) -> None:
    answers = world.apps.check_all(outgoing_cases(world))
    assert sum(has_data(a) for a in answers) > len(answers) // 2
    assert len({a.content for a in answers}) > 10


def test_csv(world: World) -> None:
    answers = world.apps.check_all(csv_cases(world))
    types = [a.headers["content-type"].split(";")[0] for a in answers]
    assert types == ["text/csv"] * (len(answers) - 1) + ["application/json"]
    assert answers[-2].text.startswith("t,total_calls,acd,asr,cps,ner,pdd-avg,")


# --- every filter param of every report ---------------------------------------------------

# Per text operator, a value with LIKE's or case's specials (literal: %, _, \\, Ä vs ä).
TEXT_SPECIALS = {Op.EQ: "44%", Op.STARTS_WITH: "44_", Op.ENDS_WITH: "a\\b",
                 Op.CONTAINS: "ÄB"}
# Beyond int64's range end, and decimals with more places than stored (6), ties, and
# beyond the columns' precision.
SPECIALS = {"int": ("-9223372036854775808",), "bool": ("true", "false"),
            "decimal": ("0.005", "1.0000001", "99999999999999999999.5")}


def seen_values(rows: Iterable[dict], column: str) -> list[str]:
    """The two most common values of `column` in `rows`, as a query string spells them."""
    counts = Counter(r[column] for r in rows if r.get(column) not in (None, ""))
    return [format(v, "f") if isinstance(v, Decimal) else str(v)
            for v, _ in counts.most_common(2)]


def _text_probe(op: Op, value: str) -> str:
    """A value the data has, cut to fit the operator (contains: case swapped)."""
    return {Op.EQ: value, Op.STARTS_WITH: value[:2], Op.ENDS_WITH: value[-2:],
            Op.CONTAINS: value[-2:].swapcase()}[op]


def probe_values(param: FilterParam, rows: list[dict]) -> list[str]:
    """Specials, and values that occur in the rows the request can see."""
    seen = seen_values(rows, param.column)
    if param.kind == "text":
        op = Op(param.op)
        return list(dict.fromkeys([TEXT_SPECIALS[op], *(_text_probe(op, v) for v in seen)]))
    if param.kind == "bool":
        return list(SPECIALS["bool"])
    return [*SPECIALS[param.kind], *seen]


def _visible_rows(world: World, report: Report, account: int,
                  window: tuple[tuple[str, str], ...]) -> list[dict]:
    """The rows of `account` a report could read: CDRs of its side, snapshot calls in the
    window, or the calls the unfiltered outgoing-active-calls shows."""
    if report is OUTGOING_ACTIVE_CALLS:
        return world.apps.get(report_case(world, report, account, ())).json()["data"]
    column = report.side.account_column  # type: ignore[union-attr]
    start, end = (us(dict(window)[name]) for name in ("from-time", "to-time"))
    if report in CDR_REPORTS:
        last_only = report.side.last_cdr_only  # type: ignore[union-attr]
        return [r for r in api_data.stored(SENT_CDRS) if r.get(column) == account
                and start <= r["time_start"] <= end and (r["is_last_cdr"] or not last_only)]
    return [c for e in SENT_SNAPSHOTS if start <= e["snapshot_timestamp"] <= end
            for c in e["calls"] if c.get(column) == account]


FILTER_RANGE = (("from-time", "2024-03-01"), ("to-time", "2024-04-30T23:59:59Z"))


def _filter_base(report: Report, k: int) -> tuple[int, tuple[tuple[str, str], ...]]:
    """(account, params) of the k-th filter param's requests: samplings and zones vary
    between params, not between one param's values, so its answers differ only by value."""
    zone = zone_param(ZONES[k % len(ZONES)])
    if report in STATISTICS:  # two months, both March DST changes
        return 11, (*FILTER_RANGE, ("sampling", SAMPLING.enum[k % 6]), *zone)
    if report in QUALITY:  # the 15-minute points of two months
        return 11, (*FILTER_RANGE, ("sampling", "15minutes"), ("metrics", ALL_METRICS), *zone)
    if report in CODES:
        return 11, (*FILTER_RANGE, *zone)
    if report in SERIES:
        sampling = ("minute", "5minutes", "hour")[k % 3]
        return 11, (*_series_window(sampling, k), ("sampling", sampling), *zone)
    return (11, 12)[k % 2], ()


@pytest.mark.parametrize("report", REPORTS, ids=lambda r: r.path.strip("/"))
def test_every_filter_param(world: World, report: Report) -> None:
    """Each filter param of the report's definition, with specials and values the data
    has; each param must also answer differently for different values (a filter that
    selects the same rows whatever its value proves nothing about its operator)."""
    cases, names, visible = [], [], {}
    for k, param in enumerate(filter_params(report)):
        account, base = _filter_base(report, k)
        if (account, base) not in visible:
            visible[account, base] = _visible_rows(world, report, account, base)
        for value in probe_values(param, visible[account, base]):
            cases.append(report_case(world, report, account, (*base, (param.name, value))))
            names.append(param.name)
    answers = world.apps.check_all(cases)
    bodies: dict[str, set[bytes]] = {}
    with_data: set[str] = set()
    for name, answer in zip(names, answers, strict=True):
        assert answer.status_code == 200, (name, answer.text)
        bodies.setdefault(name, set()).add(answer.content)
        if has_data(answer):
            with_data.add(name)
    vacuous = [name for name in bodies if len(bodies[name]) < 2 or name not in with_data]
    assert not vacuous, f"the probes of {vacuous} all select the same rows"


def test_filters_combine(world: World) -> None:
    """Two and three filters at once, one of each operator family."""
    combos = [
        (("src-prefix-routing-starts-with", "4"), ("duration-gt", "0")),
        (("dst-prefix-routing-contains", "ä"), ("src-country-id", "1"),
         ("duration-lt", "3600")),
        (("customer-price-gt", "0.005"), ("auth-orig-ip", "10.0.0.1")),
        (("vendor-price-lt", "10"), ("dst-prefix-routing-ends-with", "1")),
    ]
    cases = []
    for report in (*STATISTICS, *SERIES, *QUALITY, *CODES):
        names = {p.name for p in report.params}
        for k, combo in enumerate(combos):
            if all(name in names for name, _ in combo):
                account, base = _filter_base(report, k)
                cases.append(report_case(world, report, account, (*base, *combo)))
    cases += [report_case(world, OUTGOING_ACTIVE_CALLS, 11, combo) for combo in (
        (("connect-time-null", "false"), ("src-prefix-in-starts-with", "4")),
        (("connect-time-null", "true"), ("auth-orig-port", "5060"),
         ("dst-prefix-routing-contains", "A")))]
    world.apps.check_all(cases)


# --- error answers, from the param tables -------------------------------------------------

INVALID = ((INTEGER, "1.5"), (DECIMAL, "1e3"), (BOOLEAN, "yes"), (TIME, "2024-02-30"),
           (ZONE, "Mars/Olympus"), (UUID, "not-a-uuid"), (SAMPLING, "fortnight"),
           (SERIES_SAMPLING, "week"), (QUALITY_SAMPLING, "hour"), (INTEGER_LIST, "1,x"),
           (METRICS.type, "ner,ner"))


def _invalid_value(param: Param) -> str | None:
    """A value its type rejects (None: every text is valid)."""
    return next((bad for value_type, bad in INVALID if value_type is param.type), None)


def error_cases(world: World) -> list[Case]:
    """No params, no token, a repeated param, another customer's and an unknown account,
    and each param of each report (PBX too) with a value its type rejects."""
    valid = {Role.ACCOUNT: account_uuid(11), Role.FROM: "2024-10-01",
             Role.TO: "2024-10-03"}
    cases = []
    for report in REPORTS:
        base = [(p.name, valid[p.role] if p.role in valid else
                 "hour" if "hour" in p.type.enum else p.type.enum[-1])
                for p in report.params if p.role in valid or p.role is Role.SAMPLING]
        token = world.tokens[1]
        cases += [Case(V1 + report.path, (), token, NOW),
                  Case(V1 + report.path, tuple(base), None, NOW),
                  Case(V1 + report.path, (*base, ("account-id", account_uuid(11))), token, NOW),
                  Case(V1 + report.path, (("account-id", account_uuid(21)), *base[1:]),
                       token, NOW),
                  Case(V1 + report.path, (("account-id", account_uuid(99)), *base[1:]),
                       token, NOW)]
        for param in report.params:
            bad = _invalid_value(param)
            if bad is not None:
                params = [(n, v) for n, v in base if n != param.name] + [(param.name, bad)]
                cases.append(Case(V1 + report.path, tuple(params), token, NOW))
    for report, per_call in ((CALL_STATS, True), (CDR_STATS, False)):
        url = pbx_path("@me", per_call)
        cases += [Case(url, (), None, PBX_NOW),
                  Case(pbx_path(2, per_call), (), world.tokens[1], PBX_NOW),
                  *(Case(url, ((p.name, _invalid_value(p)),), world.tokens[1], PBX_NOW)
                    for p in report.params if _invalid_value(p) is not None)]
    return cases


def test_error_answers(world: World) -> None:
    answers = world.apps.check_all(error_cases(world))
    assert all(a.status_code in (400, 401, 403) for a in answers), \
        [a.status_code for a in answers]


# --- PBX statistics (SPEC 5) ----------------------------------------------------------------

def _pbx_windows() -> list[tuple[tuple[str, str], ...]]:
    def at(name: str, micros: int, k: int) -> tuple[str, str]:
        options = spellings(micros)
        return name, options[k % len(options)]

    return [
        (),  # the last 24 hours before the clock
        (at("start_datetime", PBX_NOW - 2 * DAY, 1), at("end_datetime", PBX_NOW, 5)),
        (at("start_datetime", PBX_NOW - 3 * DAY, 2), at("end_datetime", PBX_NOW + DAY, 6),
         ("extension_id", "100,101")),
        (at("end_datetime", PBX_NOW - DAY // 3, 3), ("extension_id[]", "102"),
         ("extension_id[]", "200")),
        (at("start_datetime", PBX_NOW - 4 * DAY, 0), ("extension_id", "999"),
         ("extension_id", "100")),
        (at("start_datetime", PBX_NOW, 4), at("end_datetime", PBX_NOW - DAY, 7)),
        (("start_datetime", "2024-06-13"), ("extension_id", "")),
    ]


def pbx_cases(world: World) -> list[Case]:
    """Each principal on both endpoints with three of the windows, in turn."""
    windows, cases = itertools.cycle(_pbx_windows()), []
    for k, ((customer, token), per_call) in enumerate(itertools.product(
            world.pbx_principals, (True, False))):
        for window in itertools.islice(windows, 3):
            client = "@me" if k % 2 else customer
            cases.append(Case(pbx_path(client, per_call, slash=k % 3 != 0), window, token,
                              PBX_NOW))
    return cases


def test_pbx_extensions(world: World) -> None:
    cases = [Case(EXTENSIONS.path.format(client_id="@me" if k % 2 else customer)
                  .rstrip("/" if k % 3 == 0 else ""), (), token, PBX_NOW)
             for k, (customer, token) in enumerate(world.pbx_principals)]
    answers = world.apps.check_all(cases)
    assert all(a.status_code == 200 for a in answers)
    assert sum(a.json()["rows"] for a in answers) > 0


def test_pbx_statistics(world: World) -> None:
    answers = world.apps.check_all(pbx_cases(world))
    assert all(a.status_code == 200 for a in answers)
    counts = [a.json() for a in answers]
    assert sum(any(c["in"].values()) or any(c["out"].values()) for c in counts) \
        > len(counts) // 2


# --- case-insensitive text: Python's str.lower() on every store ----------------------------

CASE_TEXTS = [(13, "İstanbul", ["istanbul", "i̇stanbul", "İSTANBUL"]),
              (14, "ΟΔΟΣ", ["οδοσ", "οδος", "ΟΔΟΣ", "δος"]),
              (15, "Straße ǅ ᲐᲑ", ["strasse", "straße", "ǆ", "აბ", "ᲐᲑ"])]


@pytest.mark.parametrize(("account", "stored", "probes"), CASE_TEXTS)
def test_contains_lower_cases_as_python(world: World, account: int, stored: str,
                                        probes: list[str]) -> None:
    """Texts whose lower case differs between the engines and Python (full Unicode mapping,
    İ → i̇, a word-final Σ → ς): every store counts the CDR exactly when Python's
    `probe.lower() in stored.lower()` holds."""
    uuid = world.apps.account(1, account)
    moment = us("2024-06-01T03:04:05Z")
    world.apps.cdrs([{"id": 900_000_000 + account, "time_start": moment, "duration": 1,
                      "customer_acc_id": account, "src_prefix_routing": stored}])
    for probe in probes:
        answer = world.apps.get(Case(V1 + ORIGINATION_STATISTICS.path, (
            ("account-id", uuid), ("from-time", iso(moment)), ("to-time", iso(moment)),
            ("sampling", "day"), ("src-prefix-routing-contains", probe)), world.tokens[1], NOW))
        calls = json.loads(answer.content)["totals"]["total_calls"]
        assert calls == (probe.lower() in stored.lower()), (stored, probe)
