"""`make demo` tells a visitor where the portal is and how to sign in, first."""

from __future__ import annotations

from pathlib import Path

from callstats.cli import demo
from callstats.settings import Settings
from callstats.sim.catalog import demo_world
from callstats.sim.demo_data import DemoSetup


def test_the_banner_starts_with_the_portal_and_the_login(tmp_path: Path) -> None:
    setup = DemoSetup(demo_world(), "demo", "secret-pw", 0, 1_760_000_000.0, 1)
    settings = Settings(data_dir=tmp_path, host="0.0.0.0", port=9000, admin_token="adm")
    first, login, password, docs = demo.banner(settings, setup)[:4]
    assert first.split() == ["portal:", "http://127.0.0.1:9000/"]
    assert login.split() == ["login:", "demo"]
    assert password.split() == ["password:", "secret-pw"]
    assert docs.split() == ["API", "docs:", "http://127.0.0.1:9000/docs"]
