"""Fixtures of the store parity suite: one app per store kind, side by side."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.api import Api
from tests.support.parity import Apps
from tests.support.stores import STORE_KINDS, StoreUrls
from tests.support.times import SECOND


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
