"""When calls start: a diurnal load curve in each flow's local time, lower at weekends.

Each curve gives, per local hour, the share of the flow's peak hourly volume; values are
interpolated between hour midpoints so load ramps rather than steps.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from callstats.sim.world import Profile

HOURLY_SHAPE: dict[Profile, tuple[float, ...]] = {
    # Offices: quiet night, ramp from 07:00, morning peak, lunch dip, fade after 17:00.
    Profile.BUSINESS: (
        0.04, 0.03, 0.02, 0.02, 0.03, 0.06, 0.15, 0.35, 0.70, 0.95, 1.00, 0.97,
        0.80, 0.88, 0.95, 0.92, 0.85, 0.65, 0.40, 0.25, 0.18, 0.12, 0.08, 0.05,
    ),
    # Households: a daytime plateau and an evening peak.
    Profile.RESIDENTIAL: (
        0.10, 0.06, 0.04, 0.03, 0.03, 0.05, 0.10, 0.25, 0.40, 0.50, 0.55, 0.58,
        0.62, 0.60, 0.58, 0.60, 0.68, 0.80, 0.92, 1.00, 0.95, 0.75, 0.45, 0.22,
    ),
    # Staffed 08:00-20:00, closed overnight.
    Profile.CONTACT_CENTRE: (
        0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.10, 0.75, 1.00, 1.00, 0.95,
        0.80, 0.90, 1.00, 0.95, 0.90, 0.80, 0.60, 0.35, 0.05, 0.0, 0.0, 0.0,
    ),
}
# Load on Saturday and Sunday relative to a weekday.
WEEKEND: dict[Profile, tuple[float, float]] = {
    Profile.BUSINESS: (0.30, 0.18),
    Profile.RESIDENTIAL: (0.95, 0.90),
    Profile.CONTACT_CENTRE: (0.40, 0.0),
}


def load_factor(profile: Profile, local_hour: np.ndarray, weekday: np.ndarray) -> np.ndarray:
    """Share of peak load at fractional local hours (0-24) on weekdays (Monday = 0)."""
    shape = np.asarray(HOURLY_SHAPE[profile])
    knots = np.arange(-0.5, 25.0)  # hour midpoints, wrapped at both ends
    values = np.concatenate(([shape[-1]], shape, [shape[0]]))
    factor = np.interp(local_hour, knots, values)
    saturday, sunday = WEEKEND[profile]
    weighted: np.ndarray = factor * np.select([weekday == 5, weekday == 6],
                                              [saturday, sunday], 1.0)
    return weighted


@lru_cache(maxsize=4096)
def utc_offset_seconds(timezone: str, unix_seconds: int) -> int:
    """The zone's offset from UTC at that instant (daylight saving included)."""
    offset = datetime.fromtimestamp(unix_seconds, ZoneInfo(timezone)).utcoffset()
    return int(offset.total_seconds()) if offset else 0


def expected_calls(
    profile: Profile, timezone: str, peak_per_hour: float, slot_starts: np.ndarray,
    slot_seconds: int,
) -> np.ndarray:
    """Mean number of calls starting in each slot (slots given by their unix start)."""
    middle = slot_starts + slot_seconds / 2
    first, last = (utc_offset_seconds(timezone, int(t)) for t in (slot_starts[0], middle[-1]))
    if first == last:
        offset: np.ndarray | int = first
    else:  # a daylight-saving change within these slots
        offset = np.array([utc_offset_seconds(timezone, int(t)) for t in middle])
    local = middle + offset
    local_hour = (local % 86400) / 3600
    weekday = ((local // 86400).astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    return peak_per_hour * slot_seconds / 3600 * load_factor(profile, local_hour, weekday)
