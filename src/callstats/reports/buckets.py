"""Time buckets without engine time-zone support.

Engines group by floor((t + offset) / step) and the offset, where the offset comes from a
short table of the zone's UTC offsets over the query range (bound values, one CASE branch
per DST transition). Day buckets are the finest calendar unit engines see; weeks and
months are rolled up here from exact day sums. Bucket numbers become `t` (the bucket
start's unix seconds) here too, with zoneinfo deciding where local midnight falls.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from callstats.queries import Buckets, Offsets

SECOND = 1_000_000
STEP_SECONDS = {"minute": 60, "5minutes": 300, "15minutes": 900, "hour": 3600, "day": 86400,
                "week": 86400, "month": 86400}
ZONED = ("hour", "day", "week", "month")  # the samplings a time-zone aligns
FIXED = ("minute", "5minutes", "15minutes", "hour")  # buckets of one length (local hours too)


# Zoned buckets need local dates within datetime's years 1–9999 whatever the zone's offset:
# a zoned report reads the instants from FIRST_US to LAST_US (no CDR is older or newer).
FIRST_US = (date(1, 1, 2) - date(1970, 1, 1)).days * 86400 * SECOND
LAST_US = (date(9999, 12, 31) - date(1970, 1, 1)).days * 86400 * SECOND - 1


def zoned_range(sampling: str, zone: ZoneInfo | None, from_us: int, to_us: int
                ) -> tuple[int, int]:
    """[from, to] cut to what `zone` can bucket (all of it for UTC-fixed buckets)."""
    if zone is None or sampling not in ZONED:
        return from_us, to_us
    return max(from_us, FIRST_US), min(to_us, LAST_US)


def buckets_for(sampling: str, zone: ZoneInfo | None, from_us: int, to_us: int) -> Buckets:
    step = STEP_SECONDS[sampling] * SECOND
    if zone is None or sampling not in ZONED:
        return Buckets(step)
    return Buckets(step, offsets_between(zone, from_us, to_us))


def offsets_between(zone: ZoneInfo, from_us: int, to_us: int) -> Offsets:
    """The zone's UTC offsets in force from `from_us` to `to_us`, with transition instants."""
    starts, offsets = [from_us], [_offset(zone, from_us)]
    day = 86400 * SECOND
    cursor = from_us
    while cursor < to_us:
        following = min(cursor + day, to_us)
        if _offset(zone, following) != offsets[-1]:
            change = _first_change(zone, cursor, following, offsets[-1])
            starts.append(change)
            offsets.append(_offset(zone, change))
        cursor = following
    return Offsets(tuple(starts), tuple(offsets))


def _offset(zone: ZoneInfo, micros: int) -> int:
    moment = datetime.fromtimestamp(micros // SECOND, UTC).astimezone(zone)
    offset = moment.utcoffset()
    return int(offset.total_seconds()) if offset else 0


def _first_change(zone: ZoneInfo, low: int, high: int, before: int) -> int:
    """The first whole second in (low, high] whose offset differs from `before`."""
    low_s, high_s = low // SECOND, high // SECOND
    while high_s - low_s > 1:
        middle = (low_s + high_s) // 2
        if _offset(zone, middle * SECOND) == before:
            low_s = middle
        else:
            high_s = middle
    return high_s * SECOND


def local_day(bucket: int) -> date:
    return date(1970, 1, 1) + timedelta(days=bucket)


def midnight(day: date, zone: ZoneInfo | None) -> int:
    """Unix seconds of local midnight starting `day`."""
    moment = datetime(day.year, day.month, day.day, tzinfo=zone or UTC)
    return int(moment.timestamp())


def bucket_start(sampling: str, bucket: int, offset: int, zone: ZoneInfo | None) -> int:
    """`t` of a bucket an engine returned (number of `step`s since the local epoch)."""
    if sampling in FIXED:
        return bucket * STEP_SECONDS[sampling] - offset
    day = local_day(bucket)
    if sampling == "week":  # starts Sunday 00:00, as ClickHouse toStartOfWeek mode 0
        day -= timedelta(days=(day.weekday() + 1) % 7)
    elif sampling == "month":
        day = day.replace(day=1)
    return midnight(day, zone)


def bucket_of(sampling: str, micros: int, zone: ZoneInfo | None) -> int:
    """`t` of the bucket holding the instant `micros`."""
    offset = _offset(zone, micros) if zone and sampling in ZONED else 0
    step = STEP_SECONDS[sampling]
    local = (micros // SECOND + offset) // step
    return bucket_start(sampling, local, offset, zone)


def next_bucket(sampling: str, t: int, zone: ZoneInfo | None) -> int:
    if sampling in FIXED:
        return t + STEP_SECONDS[sampling]
    day = datetime.fromtimestamp(t, zone or UTC).date() + timedelta(days=1)
    return midnight(day, zone)


def series(sampling: str, from_us: int, to_us: int, zone: ZoneInfo | None,
           limit: int) -> list[int] | None:
    """Every bucket start from bucket(from) to bucket(to); None when more than `limit`."""
    estimate = (to_us - from_us) // (STEP_SECONDS[sampling] * SECOND)
    if estimate > limit + 2:
        return None
    points = []
    t = bucket_of(sampling, from_us, zone)
    while t * SECOND <= to_us:
        points.append(t)
        if len(points) > limit:
            return None
        t = next_bucket(sampling, t, zone)
    return points
