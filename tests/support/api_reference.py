"""A plain-Python model of SPEC 4.3–4.5, 9.4 and 9.5, written from the spec text alone: no
SQL, no import from callstats. Exact arithmetic with Fraction/Decimal; buckets with zoneinfo.

Data: CDRs and snapshot calls are dicts keyed by column name (times as unix µs, money as
Decimal, missing values absent or None). Filters are (column, op, value) with the value
already read (int, Decimal, str, bool).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from tests.support.times import EPOCH, SECOND

MAX_POINTS = 50_000

# --- the params of each report (SPEC 4.3–4.5), as the spec lists them --------------------


@dataclass(frozen=True)
class FilterParam:
    name: str
    column: str
    op: str  # eq, starts-with, ends-with, contains, gt, lt, null
    kind: str  # int, decimal, text, bool


def _text(prefix: str, column: str) -> list[FilterParam]:
    return [FilterParam(f"{prefix}-{op}", column, op, "text")
            for op in ("eq", "starts-with", "ends-with", "contains")]


def _compare(prefix: str, column: str, kind: str) -> list[FilterParam]:
    return [FilterParam(f"{prefix}-{op}", column, op, kind) for op in ("eq", "gt", "lt")]


def cdr_filters(side: str) -> list[FilterParam]:
    params = [FilterParam("src-country-id", "src_country_id", "eq", "int"),
              FilterParam("dst-country-id", "dst_country_id", "eq", "int"),
              *_text("src-prefix-routing", "src_prefix_routing"),
              *_text("dst-prefix-routing", "dst_prefix_routing"),
              *_compare("duration", "duration", "int")]
    if side == "origination":
        return params + [FilterParam("auth-orig-ip", "auth_orig_ip", "eq", "text"),
                         *_compare("customer-price", "customer_price", "decimal")]
    return params + _compare("vendor-price", "vendor_price", "decimal")


CURRENT_FILTERS = [
    FilterParam("auth-orig-ip", "auth_orig_ip", "eq", "text"),
    FilterParam("auth-orig-port", "auth_orig_port", "eq", "int"),
    FilterParam("auth-orig-transport-protocol-id", "auth_orig_transport_protocol_id", "eq",
                "int"),
    FilterParam("connect-time-null", "connect_time", "null", "bool"),
    *(p for prefix in ("src-name-in", "src-prefix-in", "dst-prefix-in", "src-prefix-routing",
                       "dst-prefix-routing")
      for p in _text(prefix, prefix.replace("-", "_"))),
]

ACCOUNT_COLUMN = {"origination": "customer_acc_id", "termination": "vendor_acc_id"}
PRICE_COLUMN = {"origination": "customer_price", "termination": "vendor_price"}

Filter = tuple[str, str, object]  # column, op, value


def matches(row: dict, filters: Iterable[Filter]) -> bool:
    for column, op, wanted in filters:
        value = row.get(column)
        if op == "null":
            if (value is None) != wanted:
                return False
            continue
        if value is None:
            return False  # a missing value never matches
        if op == "eq" and not value == wanted:
            return False
        if op == "starts-with" and not value.startswith(wanted):
            return False
        if op == "ends-with" and not value.endswith(wanted):
            return False
        if op == "contains" and wanted.lower() not in value.lower():
            return False
        if op == "gt" and not value > wanted:
            return False
        if op == "lt" and not value < wanted:
            return False
    return True


# --- numbers ---------------------------------------------------------------------------


def round_half_away(value: Fraction, places: int = 2) -> Fraction:
    """To `places` decimal places, ties away from zero."""
    unit = 10**places
    magnitude = math.floor(abs(value) * unit + Fraction(1, 2))
    return Fraction(magnitude if value >= 0 else -magnitude, unit)


def spell(value: Fraction | Decimal | int) -> str:
    """Exact decimal text of a terminating value: trailing zeros trimmed, one kept."""
    value = Fraction(value)
    places = 0
    while (value * 10**places).denominator != 1:
        places += 1
    digits = str(abs(value.numerator * 10**places // value.denominator)).rjust(places + 1, "0")
    whole, fraction = digits[:len(digits) - places], digits[len(digits) - places:]
    return ("-" if value < 0 else "") + whole + "." + (fraction.rstrip("0") or "0")


def metric(value: Fraction | Decimal | int) -> str:
    return spell(round_half_away(Fraction(value)))


# --- buckets ---------------------------------------------------------------------------

STEPS = {"minute": 60, "5minutes": 300, "15minutes": 900}


def local_time(micros: int, zone: ZoneInfo | None) -> datetime:
    return (EPOCH + timedelta(microseconds=micros)).astimezone(zone or UTC)


def midnight(day: date, zone: ZoneInfo | None) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=zone or UTC).timestamp())


def bucket(sampling: str, micros: int, zone: ZoneInfo | None) -> int:
    """Unix seconds of the start of the bucket holding `micros`."""
    if sampling in STEPS:  # never zone-aligned
        step = STEPS[sampling] * SECOND
        return micros // step * step // SECOND
    moment = local_time(micros, zone)
    if sampling == "hour":  # the local hour, this occurrence of it (fold kept)
        return int(moment.replace(minute=0, second=0, microsecond=0).timestamp())
    day = moment.date()
    if sampling == "week":  # Sunday
        day -= timedelta(days=(day.weekday() + 1) % 7)
    elif sampling == "month":
        day = day.replace(day=1)
    return midnight(day, zone)


def next_bucket(sampling: str, start: int, zone: ZoneInfo | None) -> int:
    if sampling in STEPS:
        return start + STEPS[sampling]
    if sampling == "hour":
        return bucket("hour", (start + 3600) * SECOND, zone)
    assert sampling == "day"
    return midnight(local_time(start * SECOND, zone).date() + timedelta(days=1), zone)


# --- SPEC 4.3 --------------------------------------------------------------------------

TRAFFIC_KEYS = ("total_calls", "successful_calls", "failed_calls", "total_duration", "acd",
                "asr", "total_price")


def _traffic_metrics(calls: Sequence[dict], price_column: str) -> dict[str, object]:
    total = len(calls)
    successful = sum(1 for c in calls if c["duration"] > 0)
    seconds = sum(c["duration"] for c in calls)
    price = sum((Decimal(c.get(price_column) or 0) for c in calls), Decimal(0))
    return {
        "total_calls": total,
        "successful_calls": successful,
        "failed_calls": sum(1 for c in calls if c["duration"] == 0),
        "total_duration": metric(Fraction(seconds, 60)),
        "acd": metric(Fraction(seconds, 60) / successful) if successful else None,
        "asr": metric(Fraction(100 * successful, total)) if total else None,
        "total_price": metric(price),
    }


def side_cdrs(cdrs: Iterable[dict], side: str, account_id: int, from_us: int, to_us: int,
              filters: Sequence[Filter]) -> list[dict]:
    """SPEC 4.3's rows: the account's CDRs of the side (origination: last CDRs only) with
    from ≤ time_start ≤ to, matching every filter."""
    account = ACCOUNT_COLUMN[side]
    return [c for c in cdrs
            if c.get(account) == account_id
            and (side == "termination" or c.get("is_last_cdr", True))
            and from_us <= c["time_start"] <= to_us and matches(c, filters)]


def traffic(cdrs: Iterable[dict], side: str, account_id: int, from_us: int,
            to_us: int | None, now_us: int, sampling: str, zone: ZoneInfo | None,
            filters: Sequence[Filter]) -> dict:
    to_us = now_us if to_us is None else to_us
    chosen: list[dict] = []
    if from_us <= to_us and from_us <= now_us:
        chosen = side_cdrs(cdrs, side, account_id, from_us, to_us, filters)
    groups: dict[int, list[dict]] = {}
    for c in chosen:
        groups.setdefault(bucket(sampling, c["time_start"], zone), []).append(c)
    data: dict[str, list] = {"t": sorted(groups)} | {k: [] for k in TRAFFIC_KEYS}
    for t in data["t"]:
        for key, value in _traffic_metrics(groups[t], PRICE_COLUMN[side]).items():
            data[key].append(value)
    return {"data": data, "rows": len(groups),
            "totals": {"t": 0} | _traffic_metrics(chosen, PRICE_COLUMN[side])}


# --- SPEC 4.4 --------------------------------------------------------------------------


class TooManyPoints(Exception):
    pass


def series(sampling: str, from_us: int, to_us: int, zone: ZoneInfo | None) -> list[int]:
    """Every bucket start from bucket(from) to bucket(to), at most MAX_POINTS of them."""
    points = []
    t = bucket(sampling, from_us, zone)
    while t * SECOND <= to_us:
        points.append(t)
        if len(points) > MAX_POINTS:
            raise TooManyPoints()
        t = next_bucket(sampling, t, zone)
    return points


def concurrent(snapshots: Iterable[dict], side: str, account_id: int, from_us: int,
               to_us: int | None, now_us: int, sampling: str, zone: ZoneInfo | None,
               filters: Sequence[Filter]) -> dict:
    to_us = now_us if to_us is None else to_us
    if from_us > to_us or from_us > now_us:
        return {"data": {"t": [], "calls": []}, "rows": 0}
    zone = zone if sampling in ("hour", "day") else None
    points = series(sampling, from_us, to_us, zone)
    account = ACCOUNT_COLUMN[side]
    peaks: dict[tuple[int, int], int] = {}  # (bucket, node) → peak
    for snap in snapshots:
        ts = snap["snapshot_timestamp"]
        if not from_us <= ts <= to_us:
            continue
        n = sum(1 for c in snap["calls"] if c.get(account) == account_id and matches(c, filters))
        key = (bucket(sampling, ts, zone), snap.get("node_id", 0))
        peaks[key] = max(peaks.get(key, 0), n)
    calls = [sum(v for (b, _), v in peaks.items() if b == t) for t in points]
    return {"data": {"t": points, "calls": calls}, "rows": len(points)}


# --- SPEC 9.4, 9.5 ----------------------------------------------------------------------

QUALITY_KEYS = ("total_calls", "acd", "asr", "cps")
CODE_COLUMNS = {"origination": ("lega_disconnect_code", "internal_disconnect_code"),
                "termination": ("legb_disconnect_code", "internal_disconnect_code")}
CODE_CLASSES = {200: "answered", 486: "busy", 600: "busy", 603: "rejected", 607: "rejected",
                408: "not answered", 480: "not answered", 487: "not answered"}
PERCENTILES = {"pdd-p50": 50, "pdd-p95": 95, "pdd-p99": 99}


def disconnect_code(cdr: dict, side: str) -> int | None:
    """200 when answered, else the first set code of the side (0 is "not set"), else None."""
    if cdr["duration"] > 0:
        return 200
    return next((cdr[c] for c in CODE_COLUMNS[side] if cdr.get(c)), None)


def code_class(code: int | None) -> str:
    return CODE_CLASSES.get(code, "failed") if code is not None else "failed"


def seconds3(value: Fraction | Decimal) -> str:
    """Seconds with exactly three decimals, rounded half away from zero."""
    thousandths = round_half_away(Fraction(value), 3) * 1000
    assert thousandths.denominator == 1
    sign, whole, rest = "-" if thousandths < 0 else "", *divmod(abs(int(thousandths)), 1000)
    return f"{sign}{whole}.{rest:03d}"


def nearest_rank(values: Sequence[Decimal], p: int) -> Decimal:
    """The smallest value with at least p% of the values at or below it."""
    ordered = sorted(values)
    return next(v for v in ordered
                if bisect.bisect_right(ordered, v) * 100 >= p * len(ordered))


def _quality(calls: Sequence[dict], side: str, seconds: int, metrics: Sequence[str]
             ) -> dict[str, object]:
    total = len(calls)
    answered = [c["duration"] for c in calls if c["duration"] > 0]
    pdds = [Decimal(c["pdd"]) for c in calls if c.get("pdd") is not None]
    failed = sum(1 for c in calls if code_class(disconnect_code(c, side)) == "failed")
    values: dict[str, object] = {
        "total_calls": total,
        "acd": metric(Fraction(sum(answered), len(answered))) if answered else None,
        "asr": metric(Fraction(100 * len(answered), total)) if total else None,
        "cps": spell(round_half_away(Fraction(total, seconds), 4)),
    }
    for name in metrics:
        if name == "ner":
            values[name] = metric(Fraction(100 * (total - failed), total)) if total else None
        elif not pdds:
            values[name] = None
        elif name == "pdd-avg":
            values[name] = seconds3(Fraction(sum(pdds)) / len(pdds))
        else:
            values[name] = seconds3(nearest_rank(pdds, PERCENTILES[name]))
    return values


def quality(cdrs: Iterable[dict], side: str, account_id: int, from_us: int,
            to_us: int | None, now_us: int, sampling: str, metrics: Sequence[str],
            filters: Sequence[Filter]) -> dict:
    """SPEC 9.4: every bucket from bucket(from) to bucket(to) (UTC: its samplings are
    minutes, which 4.3 never aligns to a zone), zero-filled."""
    to_us = now_us if to_us is None else to_us
    keys = (*QUALITY_KEYS, *metrics)
    seconds = STEPS[sampling]
    points: list[int] = []
    chosen: list[dict] = []
    if from_us <= to_us and from_us <= now_us:
        points = series(sampling, from_us, to_us, None)
        chosen = side_cdrs(cdrs, side, account_id, from_us, to_us, filters)
    groups: dict[int, list[dict]] = {t: [] for t in points}
    for c in chosen:
        groups[bucket(sampling, c["time_start"], None)].append(c)
    data: dict[str, list] = {"t": points} | {k: [] for k in keys}
    for t in points:
        for key, value in _quality(groups[t], side, seconds, metrics).items():
            data[key].append(value)
    totals = _quality(chosen, side, seconds, metrics)
    busiest = max((len(calls) for calls in groups.values()), default=0)
    totals["cps"] = spell(round_half_away(Fraction(busiest, seconds), 4))
    return {"data": data, "rows": len(points), "totals": totals}


def disconnect_codes(cdrs: Iterable[dict], side: str, account_id: int, from_us: int,
                     to_us: int | None, now_us: int, filters: Sequence[Filter]) -> dict:
    to_us = now_us if to_us is None else to_us
    chosen: list[dict] = []
    if from_us <= to_us and from_us <= now_us:
        chosen = side_cdrs(cdrs, side, account_id, from_us, to_us, filters)
    counts: dict[int | None, int] = {}
    for c in chosen:
        code = disconnect_code(c, side)
        counts[code] = counts.get(code, 0) + 1
    order = sorted(counts, key=lambda code: (-counts[code], code is None, code or 0))
    data = [{"code": code, "class": code_class(code), "calls": counts[code],
             "share": metric(Fraction(100 * counts[code], len(chosen)))} for code in order]
    return {"data": data, "rows": len(data)}


# --- SPEC 4.5 --------------------------------------------------------------------------

ACTIVE_CALL_KEYS = (
    "snapshot_timestamp", "start_time", "connect_time", "destination_prefix",
    "destination_initial_interval", "destination_initial_rate", "destination_next_interval",
    "destination_next_rate", "destination_fee", "src_name_in", "src_prefix_in",
    "dst_prefix_in", "src_prefix_routing", "dst_prefix_routing", "from_domain", "to_domain",
    "ruri_domain", "diversion_in", "pai_in", "ppi_in", "privacy_in", "rpid_in",
    "rpid_privacy_in", "auth_orig_transport_protocol_id", "auth_orig_ip", "auth_orig_port",
)
TIME_KEYS = ("snapshot_timestamp", "start_time", "connect_time")
RATE_KEYS = ("destination_initial_rate", "destination_next_rate", "destination_fee")


def wall_time(micros: int) -> str:
    return (EPOCH + timedelta(seconds=micros // SECOND)).strftime("%Y-%m-%d %H:%M:%S")


def current(snapshots: Iterable[dict], account_id: int, now_us: int, max_age_s: int,
            filters: Sequence[Filter]) -> dict:
    latest: dict[int, dict] = {}
    for snap in snapshots:
        ts, node = snap["snapshot_timestamp"], snap.get("node_id", 0)
        if now_us - max_age_s * SECOND <= ts <= now_us + max_age_s * SECOND and (
                node not in latest or ts > latest[node]["snapshot_timestamp"]):
            latest[node] = snap
    found = []
    for node, snap in latest.items():
        for position, call in enumerate(snap["calls"]):
            if call.get("customer_acc_id") == account_id and matches(call, filters):
                start = call.get("start_time")
                key = (start is None, -(start or 0), node, position)
                found.append((key, snap["snapshot_timestamp"], call))
    items = []
    for _, ts, call in sorted(found, key=lambda f: f[0]):
        item: dict[str, object] = {}
        for key in ACTIVE_CALL_KEYS:
            value = ts if key == "snapshot_timestamp" else call.get(key)
            if value is not None and key in TIME_KEYS:
                value = wall_time(value)
            elif value is not None and key in RATE_KEYS:
                value = spell(Decimal(value))
            item[key] = value
        items.append(item)
    return {"data": items, "rows": len(items)}
