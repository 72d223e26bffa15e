"""Deterministic (seeded) datasets for the differential tests: CDRs and active-call
snapshots over two customers' accounts, crowded around DST changes, week and month starts
and the test clock, with the awkward values (%, _, \\, quotes, Unicode, NULLs) the filters
must treat literally."""

from __future__ import annotations

import random
from decimal import Decimal

from tests.support.times import SECOND, us

# Customer 1 owns accounts 11 and 12, customer 2 owns account 21.
ACCOUNTS = {11: 1, 12: 1, 21: 2}
NOW = us("2024-11-05T12:00:00Z")
START, END = us("2024-02-25T00:00:00Z"), us("2024-11-09T00:00:00Z")
ANCHORS = [us(t) for t in (
    "2024-03-31T01:00:00Z",  # Europe/Berlin springs forward
    "2024-10-27T01:00:00Z",  # Europe/Berlin falls back
    "2024-03-10T07:00:00Z",  # America/New_York springs forward
    "2024-11-03T06:00:00Z",  # America/New_York falls back
    "2024-06-01T00:00:00Z",  # a month start (UTC), a Saturday
    "2024-05-31T22:00:00Z",  # …and in Berlin
    "2024-06-30T18:30:00Z",  # a month start in Kolkata
    "2024-06-02T00:00:00Z",  # a Sunday (UTC)
)]
SNAPSHOT_ANCHORS = [ANCHORS[i] for i in (0, 1, 3, 5, 6)]

TEXTS = ["4930", "49301234", "1212555", "12125", "44%", "44%1", "4401", "44_1", "4411",
         "a\\b", "a\\\\b", "ÄBc", "äbC", "xÄBy", "x'y", '"q"', "'; DROP TABLE cdrs; --",
         "Straße", "", None]
IPS = ["10.0.0.1", "10.0.0.2", "192.168.1.10", None]
COUNTRIES = [None, 1, 2, 3, 44]


def stored(rows: list[dict]) -> list[dict]:
    """What ingestion keeps: prices default to 0 (SPEC 3.1, 3.2); an empty string is a
    missing value, like an empty CSV cell (docs/ingestion.md), so it is stored as NULL."""
    def keep(row: dict) -> dict:
        row = {k: v for k, v in row.items() if v != ""}
        if "calls" in row:
            row["calls"] = [keep(c) for c in row["calls"]]
        else:
            for price in ("customer_price", "vendor_price"):
                row.setdefault(price, Decimal(0))
        return row

    return [keep(r) for r in rows]


def _time(rng: random.Random, near: list[int], spread: int) -> int:
    roll = rng.random()
    if roll < 0.35:
        return rng.randrange(START, END)
    anchor = rng.choice(near)
    if roll < 0.6:
        return anchor + rng.randrange(-2 * 3600, 2 * 3600) * SECOND + rng.randrange(SECOND)
    return anchor + rng.randrange(-spread, spread) * SECOND + rng.choice([0, rng.randrange(SECOND)])


def _price(rng: random.Random) -> Decimal | None:
    roll = rng.random()
    if roll < 0.15:
        return None  # defaults to 0
    if roll < 0.6:
        return Decimal(rng.randrange(0, 4000)) / 200  # multiples of 0.005: ties to round
    if roll < 0.7:
        return Decimal(rng.randrange(-5000, 5000)) / 1000
    return Decimal(rng.randrange(0, 10**8)) / 10**6


def _duration(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.35:
        return 0
    if roll < 0.55:
        return rng.choice([30, 60, 90, 120, 600, 3600])
    return rng.randrange(1, 7200)


# Disconnect codes: SPEC 5's classes, others, 200 on unanswered legs, 0 (= not set).
CODES = [None, None, 0, 0, 200, 486, 600, 603, 607, 408, 480, 487, 487, 500, 503, 404]
# pdd seconds with 3 decimals: common values (ties for the percentiles), spread values,
# ones whose binary float is just off the millisecond (1.005, 2.675), extremes.
PDDS = [Decimal(v) for v in ("0.300", "0.300", "1.500", "1.005", "2.675", "0.000", "0.001",
                             "999999.999", "-0.005")]


def _quality_fields(rng: random.Random) -> dict[str, object]:
    """pdd and disconnect codes, from their own random stream so adding them left every
    other field of the datasets as it was."""
    roll = rng.random()
    pdd = None if roll < 0.3 else rng.choice(PDDS) if roll < 0.5 else \
        Decimal(rng.randrange(0, 12_000)) / 1000
    return {"pdd": pdd, **{column: rng.choice(CODES) for column in (
        "lega_disconnect_code", "legb_disconnect_code", "internal_disconnect_code")}}


def cdrs(seed: int, count: int, accounts: list[int | None] | None = None) -> list[dict]:
    rng = random.Random(seed)
    quality_rng = random.Random(-seed - 1)
    accounts = accounts or [11, 11, 12, 21, None]
    rows = []
    for i in range(count):
        row: dict[str, object] = {
            "id": seed * 1_000_000 + i,
            "time_start": _time(rng, ANCHORS, 40 * 3600),
            "duration": _duration(rng),
            "customer_acc_id": rng.choice(accounts),
            "vendor_acc_id": rng.choice(accounts),
            "is_last_cdr": rng.random() < 0.8,
            "src_country_id": rng.choice(COUNTRIES),
            "dst_country_id": rng.choice(COUNTRIES),
            "src_prefix_routing": rng.choice(TEXTS),
            "dst_prefix_routing": rng.choice(TEXTS),
            "auth_orig_ip": rng.choice(IPS),
            "customer_price": _price(rng),
            "vendor_price": _price(rng),
            **_quality_fields(quality_rng),
        }
        if rng.random() < 0.05:  # several CDRs at one instant
            row["time_start"] = rows[-1]["time_start"] if rows else row["time_start"]
        rows.append({k: v for k, v in row.items() if v is not None})
    return rows


def _rate(rng: random.Random) -> Decimal | None:
    return rng.choice([None, Decimal("2.3"), Decimal("3.40"), Decimal("0"), Decimal("0.05"),
                       Decimal("10"), Decimal("0.0000000001"), Decimal("123.4560000000"),
                       Decimal(rng.randrange(0, 10**9)) / 10**7])


def call(rng: random.Random, ts: int, starts: list[int]) -> dict:
    """One active call of a snapshot taken at `ts`."""
    start = rng.choice([None, rng.choice(starts), ts - rng.randrange(0, 4000) * SECOND
                        - rng.randrange(SECOND)])
    connect = None if start is None or rng.random() < 0.4 else start + rng.randrange(20 * SECOND)
    row: dict[str, object] = {
        "customer_acc_id": rng.choice([11, 11, 12, 21, None]),
        "vendor_acc_id": rng.choice([11, 12, 21, None]),
        "customer_id": 1, "vendor_id": 2,
        "duration": rng.choice([None, 0, 5, 60, rng.randrange(0, 4000)]),
        "src_country_id": rng.choice(COUNTRIES),
        "dst_country_id": rng.choice(COUNTRIES),
        "customer_price": _price(rng),
        "vendor_price": _price(rng),
        "local_tag": f"tag-{rng.randrange(10**9)}",
        "start_time": start,
        "connect_time": connect,
        "destination_prefix": rng.choice(["123", "49", None]),
        "destination_initial_interval": rng.choice([1, 60, None]),
        "destination_initial_rate": _rate(rng),
        "destination_next_interval": rng.choice([1, 60, None]),
        "destination_next_rate": _rate(rng),
        "destination_fee": _rate(rng),
        "src_name_in": rng.choice(TEXTS),
        "src_prefix_in": rng.choice(TEXTS),
        "dst_prefix_in": rng.choice(TEXTS),
        "src_prefix_routing": rng.choice(TEXTS),
        "dst_prefix_routing": rng.choice(TEXTS),
        "from_domain": rng.choice(["qwe", None]),
        "to_domain": rng.choice(["asd", None]),
        "ruri_domain": rng.choice(["qwe.asd", None]),
        "diversion_in": rng.choice([None, None, "sip:1@x"]),
        "pai_in": rng.choice([None, "pai"]),
        "ppi_in": None,
        "privacy_in": rng.choice([None, "id"]),
        "rpid_in": None,
        "rpid_privacy_in": None,
        "auth_orig_transport_protocol_id": rng.choice([1, 2, None]),
        "auth_orig_ip": rng.choice(IPS),
        "auth_orig_port": rng.choice([5060, 8888, None]),
    }
    return {k: v for k, v in row.items() if v is not None}


def snapshots(seed: int) -> list[dict]:
    """Snapshots of nodes 0–2 around some anchors, and dense ones around NOW (node 2 also
    sends one from a clock an hour ahead)."""
    rng = random.Random(seed)
    out: list[dict] = []
    starts = [NOW - 100 * SECOND, NOW - 100 * SECOND + 1, NOW - 3000 * SECOND]

    def take(node: int, ts: int, counts: tuple[int, ...] = (0, 1, 2, 3, 4, 6)) -> None:
        count = rng.choice(counts)
        out.append({"snapshot_timestamp": ts, "node_id": node,
                    "calls": [call(rng, ts, starts) for _ in range(count)]})

    for node in (0, 1, 2):
        for anchor in SNAPSHOT_ANCHORS:
            ts = anchor - 3 * 3600 * SECOND + rng.randrange(600) * SECOND
            while ts < anchor + 3 * 3600 * SECOND:
                take(node, ts)
                ts += rng.randrange(60, 700) * SECOND + rng.choice([0, rng.randrange(SECOND)])
        ts = NOW - 700 * SECOND + rng.randrange(60) * SECOND
        while ts < NOW + 500 * SECOND:
            take(node, ts, (0, 4, 6, 8, 10, 12))
            ts += rng.randrange(20, 130) * SECOND + rng.randrange(SECOND)
    take(2, NOW + 3600 * SECOND)  # a node whose clock runs far ahead
    # Nodes 3 and 4 sit exactly on (and just off) the edges of the freshness window at NOW.
    for node, edge in ((3, -181), (3, -180), (4, 180), (4, 181)):
        out.append({"snapshot_timestamp": NOW + edge * SECOND, "node_id": node, "calls": [
            {**call(rng, NOW, starts), "customer_acc_id": 11} for _ in range(2)]})
    return out
