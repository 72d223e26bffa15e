"""Fixtures of the PBX statistics tests (SPEC 5): apps over fresh data dirs."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Reuse the operator-side body helpers of tests/http (http_helpers: ndjson, ADMIN, …).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "http"))

from pbx_helpers import PbxApi  # noqa: E402


@pytest.fixture(scope="module")
def make_pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[int], PbxApi]]:
    """`make_pbx(now_us)`: an app over its own data dir with the server clock fixed at
    `now_us`, closed at the end of the module."""
    made: list[PbxApi] = []

    def make(now_us: int) -> PbxApi:
        api = PbxApi(tmp_path_factory.mktemp("pbx"), now_us)
        made.append(api)
        return api

    yield make
    for api in made:
        api.close()
