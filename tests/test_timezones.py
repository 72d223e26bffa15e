"""The accepted time zones come from the `tzdata` package, whatever the host has."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

import pytest

from callstats.timezones import canonical_zone, zone_names


def test_zone_and_backward_link_names_are_accepted() -> None:
    for name in ("Europe/Kyiv", "Europe/Kiev", "UTC", "US/Eastern", "Etc/GMT-14", "GMT",
                 "America/Indiana/Knox"):
        assert canonical_zone(name).key == name


@pytest.mark.parametrize("name", ["localtime", "posixrules", "Factory", "posix/UTC",
                                  "right/UTC", "right/Europe/Berlin", "Europe/../UTC", "..",
                                  "UTC/..", "utc", "Europe/Kyiv ", "", "/UTC", "UTC/"])
def test_host_files_and_placeholders_are_refused(name: str) -> None:
    with pytest.raises(ValueError):
        canonical_zone(name)


def test_every_listed_name_loads_and_the_host_adds_none() -> None:
    names = zone_names()
    assert len(names) > 500
    for name in names:
        canonical_zone(name).utcoffset(datetime(2024, 1, 1))
    # What the host's zoneinfo path offers beyond tzdata (e.g. localtime) stays refused.
    for extra in zoneinfo.available_timezones() - names:
        with pytest.raises(ValueError):
            canonical_zone(extra)


def test_rules_are_tzdata_s() -> None:
    kyiv = canonical_zone("Europe/Kyiv")
    assert datetime(2024, 7, 1, tzinfo=UTC).astimezone(kyiv).utcoffset().total_seconds() == 3 * 3600
    assert canonical_zone("Europe/Kyiv") is kyiv  # loaded once
