"""Parity on drawn data and drawn requests. Each example draws CDRs (the API and PBX
suites' generators), snapshots and re-posts of them, ingests them into a customer, accounts
and switch nodes of its own (overlapping batches: duplicates too), then asks every store
the same drawn requests (any customer report or PBX endpoint, any param spelling, filters,
samplings, zones, clocks) and compares the answers byte for byte."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from callstats.reports.definitions import (
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
from callstats.reports.params import QUALITY_SAMPLING, SAMPLING, SERIES_SAMPLING
from callstats.reports.quality import METRICS
from tests.support import api_data
from tests.support.api_data import ANCHORS, NOW, SNAPSHOT_ANCHORS
from tests.support.differential import DECIMALS, INTS, SPANS, TEXTS
from tests.support.parity import Apps, Case, account_uuid, filter_params
from tests.support.pbx import path as pbx_path
from tests.support.pbx_data import extension_params, time_param
from tests.support.pbx_data import generate as generate_pbx_calls
from tests.support.strategies import ZONES, filters, instants, mostly, time_text
from tests.support.times import DAY, SECOND
from tests.support.wire import V1

STATISTICS = (ORIGINATION_STATISTICS, TERMINATION_STATISTICS)
SERIES = (ORIGINATION_ACTIVE_CALLS, TERMINATION_ACTIVE_CALLS)
QUALITY = (ORIGINATION_QUALITY, TERMINATION_QUALITY)
CODES = (ORIGINATION_DISCONNECT_CODES, TERMINATION_DISCONNECT_CODES)
REPORTS = (*STATISTICS, *SERIES, OUTGOING_ACTIVE_CALLS, *QUALITY, *CODES)
QUALITY_SPANS = {"minute": [3 * 3600, 60_000 * 60], "5minutes": [2 * 86400, 60_000 * 300],
                 "15minutes": [5 * 86400, 60_000 * 900]}
FILTER_KINDS = {p.column: p.kind for report in REPORTS for p in filter_params(report)}
DRAWN_ZONES = [*ZONES, "Australia/Lord_Howe"]
PBX_TIMES = [NOW - DAY, NOW - DAY + 1, NOW - 3600 * SECOND, NOW - 1, NOW, NOW - 2 * DAY]
EXAMPLES = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


class Example:
    """What one example owns: a customer with two accounts, ids and switch nodes no other
    example uses, so every example sees only its own data."""

    def __init__(self, apps: Apps, n: int):
        self.customer = 100 + n
        self.accounts = [1000 + 10 * n, 1000 + 10 * n + 1]
        self.first_id = 10**12 + n * 10**6
        self.nodes = [10_000 + 10 * n + i for i in range(5)]
        self.tokens = [apps.dynamic_token(self.customer),
                       apps.dynamic_token(self.customer, self.accounts[:1])]

    def register(self, apps: Apps) -> None:
        apps.customer(self.customer)
        for account in self.accounts:
            apps.account(self.customer, account)


@pytest.fixture(scope="module")
def example_apps(make_apps: Callable[[int], Apps]) -> Iterator[tuple[Apps, Iterator[int]]]:
    yield make_apps(NOW), itertools.count(1)


def draw_cdrs(rng: random.Random, example: Example, count: int, calls: int) -> list[dict]:
    """api_data's CDRs and the PBX suite's multi-leg calls, on the example's accounts."""
    mine = example.accounts
    rows = api_data.cdrs(rng.randrange(10**6), count, [mine[0], mine[0], mine[1], None])
    rows = [{**row, "id": example.first_id + i} for i, row in enumerate(rows)]
    return rows + generate_pbx_calls(
        rng, calls, example.first_id + count, [example.customer, example.customer, 1, None],
        {example.customer: mine, 1: [11]}, PBX_TIMES)


def draw_snapshots(rng: random.Random, example: Example, count: int) -> list[dict]:
    """api_data's snapshot calls on the example's nodes and accounts, around the clock and
    the DST anchors."""
    mine = dict(zip((11, 12, 21), (example.accounts[0], example.accounts[1],
                                   example.accounts[1]), strict=True))
    starts = [NOW - 100 * SECOND, NOW - 3000 * SECOND]
    envelopes = []
    for _ in range(count):
        anchor = rng.choice([NOW, NOW, *SNAPSHOT_ANCHORS])
        ts = anchor + rng.randrange(-400, 200) * SECOND + rng.choice([0, rng.randrange(SECOND)])
        calls = [api_data.call(rng, ts, starts) for _ in range(rng.choice((0, 1, 2, 4, 6)))]
        for call in calls:
            for column in ("customer_acc_id", "vendor_acc_id"):
                if column in call:
                    call[column] = mine[call[column]]
        envelopes.append({"snapshot_timestamp": ts, "node_id": rng.choice(example.nodes),
                          "calls": calls})
    return envelopes


@dataclass(frozen=True)
class FilterValues:
    """Values filters draw from: the API suite's, and those of the example's data."""

    texts: list[str]
    ints: list[int]
    decimals: list[Decimal]

    @classmethod
    def of(cls, rows: list[dict], envelopes: list[dict]) -> FilterValues:
        records = [*rows, *(call for e in envelopes for call in e["calls"])]
        seen: dict[str, set] = {"text": set(TEXTS), "int": set(INTS), "decimal": set(DECIMALS)}
        for record in records:
            for column, kind in FILTER_KINDS.items():
                if record.get(column) not in (None, "") and kind in seen:
                    seen[kind].add(record[column])
        return cls(*(sorted(seen[kind]) for kind in ("text", "int", "decimal")))


@st.composite
def time_range(draw: st.DrawFn, moments: st.SearchStrategy[int], spans: list[int]
               ) -> list[tuple[str, str]]:
    """from-time, and to-time (absent, empty, or any moment: before from-time too), each
    in some spelling SPEC 4.2 allows."""
    start = draw(moments)
    end = draw(st.one_of(st.none(), moments, st.sampled_from(spans).flatmap(
        lambda span: st.integers(-span // 20, span)).map(lambda d: start + d * SECOND)))
    params = [("from-time", draw(time_text(start)))]
    if end is not None:
        params.append(("to-time", draw(time_text(end))))
    elif draw(st.booleans()):
        params.append(("to-time", ""))  # empty optional: absent
    return params


@st.composite
def customer_requests(draw: st.DrawFn, example: Example, times: list[int],
                      values: FilterValues) -> Case:
    report: Report = draw(st.sampled_from(REPORTS))
    account = draw(st.sampled_from(example.accounts))
    params = [("account-id", account_uuid(account))]
    headers: tuple[tuple[str, str], ...] = ()
    moments = instants(times, [*ANCHORS, NOW], api_data.START, api_data.END, NOW)
    if report in STATISTICS:
        params += draw(time_range(moments, [3 * 86400, 60 * 86400, 400 * 86400]))
        params.append(("sampling", draw(st.sampled_from(SAMPLING.enum))))
    elif report in SERIES:
        sampling = draw(st.sampled_from([None, *SERIES_SAMPLING.enum]))
        params += draw(time_range(moments, SPANS[sampling or "minute"]))
        if sampling:
            params.append(("sampling", sampling))
    elif report in QUALITY:
        sampling = draw(st.sampled_from(QUALITY_SAMPLING.enum))
        params += draw(time_range(moments, QUALITY_SPANS[sampling]))
        params.append(("sampling", sampling))
        metrics = draw(st.lists(st.sampled_from(METRICS), unique=True))
        params += [("metrics", ",".join(metrics))] if metrics else []
    elif report in CODES:
        params += draw(time_range(moments, [3 * 86400, 60 * 86400, 400 * 86400]))
    if report is not OUTGOING_ACTIVE_CALLS:  # CSV: JSON anyway for the codes
        zone = draw(st.sampled_from(DRAWN_ZONES))
        params += [("time-zone", zone)] if zone else []
        if draw(st.booleans()):
            headers = (("Accept", "text/csv"),)
    chosen = draw(filters(filter_params(report), values.texts, values.ints, values.decimals,
                          max_size=3))
    params += [(param.name, text) for param, text, _ in chosen]
    now = draw(mostly(NOW, st.integers(NOW - 900 * SECOND, NOW + 900 * SECOND)))
    token = example.tokens[0] if account != example.accounts[0] else \
        draw(st.sampled_from(example.tokens))
    return Case(V1 + report.path, tuple(draw(st.permutations(params))), token, now, headers)


@st.composite
def pbx_requests(draw: st.DrawFn, example: Example, times: list[int]) -> Case:
    moments = sorted({*times, *PBX_TIMES, NOW + DAY})
    start, _ = time_param(draw, "start_datetime", moments)
    end, _ = time_param(draw, "end_datetime", moments)
    extension, _ = draw(extension_params())
    client = draw(st.sampled_from(["@me", str(example.customer)]))
    url = pbx_path(client, per_call=draw(st.booleans()), slash=draw(st.booleans()))
    return Case(url, tuple(draw(st.permutations(start + end + extension))),
                draw(st.sampled_from(example.tokens)), NOW)


@EXAMPLES
@given(seed=st.integers(0, 2**32 - 1), cdr_count=st.integers(0, 60),
       pbx_calls=st.integers(0, 12), snapshot_count=st.integers(0, 6),
       repeat_cdrs=st.booleans(), repost=st.booleans(), data=st.data())
def test_drawn_data_and_requests(example_apps: tuple[Apps, Iterator[int]], seed: int,
                                 cdr_count: int, pbx_calls: int, snapshot_count: int,
                                 repeat_cdrs: bool, repost: bool, data: st.DataObject
                                 ) -> None:
    """The data is drawn from `seed` and the requests from `data` before anything is
    ingested, so a draw hypothesis rejects costs no ingestion."""
    apps, numbers = example_apps
    example = Example(apps, next(numbers))
    rng = random.Random(seed)
    rows = draw_cdrs(rng, example, cdr_count, pbx_calls)
    envelopes = draw_snapshots(rng, example, snapshot_count)
    times = sorted({r["time_start"] for r in rows} | {e["snapshot_timestamp"]
                                                      for e in envelopes}) or [NOW]
    # Nine customer endpoints to the PBX's two.
    customer = customer_requests(example, times, FilterValues.of(rows, envelopes))
    cases = data.draw(st.lists(st.one_of(customer, customer, pbx_requests(example, times)),
                               min_size=3, max_size=6))
    example.register(apps)
    if rows:
        # In-batch repeats (the first wins); maybe a second batch overlapping the first.
        split = rng.randrange(1, len(rows) + 1) if repeat_cdrs else len(rows)
        apps.cdrs(rows[:split] + [{**row, "duration": 7} for row in rows[:split:3]])
        if repeat_cdrs:
            apps.cdrs(rows[split // 2:])
    if envelopes:
        apps.snapshots(envelopes)
        if repost:  # the same (node, instant) with other calls replaces a snapshot
            others = draw_snapshots(rng, example, len(envelopes))
            apps.snapshots([{**envelope, "calls": other["calls"]}
                            for envelope, other in zip(envelopes[::2], others, strict=False)])
    for case in cases:
        note(str(case))
        answer = apps.get(case)
        parts = case.path.strip("/").split("/")  # the report, or calls / cdr of the PBX
        event(f"{parts[-1] if case.path.startswith(V1) else parts[2]}: {answer.status_code}")
