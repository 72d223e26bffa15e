"""Fixtures of the PBX statistics tests (SPEC 5): apps over fresh data dirs."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

# Reuse the operator-side body helpers of tests/http (http_helpers: ndjson, ADMIN, …).
from tests.support.pbx import PbxApi
from tests.support.stores import StoreUrls


@pytest.fixture(scope="module")
def make_pbx(tmp_path_factory: pytest.TempPathFactory, store_urls: StoreUrls
             ) -> Iterator[Callable[[int], PbxApi]]:
    """`make_pbx(now_us)`: an app over its own data dir and store (each store kind in turn)
    with the server clock fixed at `now_us`, closed at the end of the module."""
    made: list[PbxApi] = []

    def make(now_us: int) -> PbxApi:
        data_dir = tmp_path_factory.mktemp("pbx")
        api = PbxApi(data_dir, now_us, store_urls(data_dir))
        made.append(api)
        return api

    yield make
    for api in made:
        api.close()
