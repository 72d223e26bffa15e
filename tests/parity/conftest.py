"""Fixtures of the store parity suite: one app per store kind, side by side."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# The data generators and helpers of the API and PBX suites (and what they import).
TESTS = Path(__file__).resolve().parents[1]
for _helpers in ("http", "api", "pbx"):
    if str(TESTS / _helpers) not in sys.path:
        sys.path.insert(0, str(TESTS / _helpers))

from api_helpers import SECOND, Api  # noqa: E402
from parity_helpers import Apps  # noqa: E402
from store_kinds import STORE_KINDS, StoreUrls  # noqa: E402


@pytest.fixture(scope="module")
def make_apps(tmp_path_factory: pytest.TempPathFactory, chdb_dir: Path
              ) -> Iterator[Callable[[int], Apps]]:
    """`make_apps(now_us)`: an app on each store kind (its own data dir; chdb stores share
    the session's chdb directory), all with the clock at `now_us`; closed with the module."""
    made: list[Apps] = []

    def make(now_us: int) -> Apps:
        apis = {}
        for kind in STORE_KINDS:
            data_dir = tmp_path_factory.mktemp(f"parity-{kind}")
            apis[kind] = Api(data_dir, now_us / SECOND, store=StoreUrls(kind, chdb_dir)(data_dir))
        made.append(Apps(apis))
        return made[-1]

    yield make
    for apps in made:
        apps.close()
