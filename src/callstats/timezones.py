"""The time zones a report accepts (SPEC 11): tzdata's zone and backward-link names.

Both the names and the rules come from the Python `tzdata` package, not from the host's
/usr/share/zoneinfo: there, `localtime`, `posixrules`, the `posix/` and `right/` trees (and
whatever else a distribution drops in) would make the answer depend on the machine, and so
would the host's tzdata version. `Factory` is tzdata's placeholder zone for "not yet set",
no place's time, so it is left out too.
"""

from __future__ import annotations

from functools import cache, lru_cache
from importlib import resources
from zoneinfo import ZoneInfo

# Names no request may use even if a tzdata release listed them.
_EXCLUDED_NAMES = frozenset({"Factory", "localtime", "posixrules"})
_EXCLUDED_TREES = ("posix/", "right/")


@cache
def zone_names() -> frozenset[str]:
    """Every canonical zone and backward link of the installed tzdata release."""
    listed = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8")
    return frozenset(name for name in listed.split()
                     if name not in _EXCLUDED_NAMES and not name.startswith(_EXCLUDED_TREES)
                     and ".." not in name)


@lru_cache(maxsize=1024)
def canonical_zone(name: str) -> ZoneInfo:
    """The zone named exactly `name` (letter case included), else ValueError."""
    if name not in zone_names():
        raise ValueError(f"unknown time zone {name!r}")
    with resources.files("tzdata.zoneinfo").joinpath(*name.split("/")).open("rb") as data:
        return ZoneInfo.from_file(data, key=name)
