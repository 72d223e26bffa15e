"""Fixtures of the customer API acceptance tests (SPEC 4): apps over fresh data dirs."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

# Reuse the operator-side body helpers of tests/http (http_helpers: ndjson, ADMIN, …).
from tests.support.api import Api
from tests.support.stores import StoreUrls


@pytest.fixture(scope="module")
def make_api(tmp_path_factory: pytest.TempPathFactory, store_urls: StoreUrls
             ) -> Iterator[Callable[..., Api]]:
    """`make_api(now, **settings)`: an app over its own data dir and store (each store kind
    in turn) with a fixed clock, closed at the end of the module."""
    made: list[Api] = []

    def make(now: float, **settings: object) -> Api:
        data_dir = tmp_path_factory.mktemp("api")
        api = Api(data_dir, now, **{"store": store_urls(data_dir), **settings})
        made.append(api)
        return api

    yield make
    for api in made:
        api.close()
