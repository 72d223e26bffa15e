"""Management commands against a running server (--url / CALLSTATS_URL), and what a local
command says about where it writes and about a server holding other data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import jwt
import pytest
from typer.testing import CliRunner

from callstats.cli.main import app
from callstats.http.services import Services
from callstats.settings import Settings
from tests.support.servers import threaded_server

ADMIN = "manage-admin-token"
SECRET = "manage-secret-" + "z" * 32


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "300"})
    return result.exit_code, " ".join(result.output.split())  # unwrapped


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Services]]:
    """A real server on its own data dir; the CLI's environment points elsewhere."""
    for name in ("CALLSTATS_URL", "CALLSTATS_ADMIN_TOKEN", "CALLSTATS_JWT_SECRET",
                 "CALLSTATS_METADATA_URL", "CALLSTATS_STORE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CALLSTATS_DATA_DIR", str(tmp_path / "local"))
    monkeypatch.setenv("CALLSTATS_PORT", "1")  # no other server to warn about
    settings = Settings(data_dir=tmp_path / "served", admin_token=ADMIN, jwt_secret=SECRET,
                        maintenance_interval=0)
    services = Services.open(settings)
    try:
        with threaded_server(services) as url:
            yield url, services
    finally:
        services.close()


def test_every_management_command_reaches_the_server(
        served: tuple[str, Services], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url, services = served
    monkeypatch.setenv("CALLSTATS_URL", url)
    monkeypatch.setenv("CALLSTATS_ADMIN_TOKEN", ADMIN)
    code, out = run("customers", "add", "Acme Telecom", "--id", "40")
    assert code == 0 and f"created in the server at {url}" in out, out
    code, out = run("accounts", "add", "main", "--customer", "40", "--id", "1017")
    assert code == 0, out
    code, out = run("logins", "add", "acme", "--customer", "40", "--password", "pw",
                    "--account", "1017")
    assert code == 0, out
    assert [c.name for c in services.metadata.list_customers()] == ["Acme Telecom"]
    assert [(a.id, a.customer_id) for a in services.metadata.list_accounts()] == [(1017, 40)]
    [access] = services.metadata.list_api_accesses()
    assert (access.login, access.account_ids) == ("acme", [1017])
    assert not (tmp_path / "local").exists()  # nothing written locally

    assert "Acme Telecom" in run("customers", "list")[1]
    assert "1017" in run("accounts", "list", "--customer", "40")[1]
    assert "1017" not in run("accounts", "list", "--customer", "41")[1]
    assert "acme" in run("logins", "list")[1]

    code, out = run("token", "mint", "--login", "acme", "--lifetime", "600")
    assert code == 0, out
    claims = jwt.decode(out, SECRET, algorithms=["HS256"], audience="customer-v1",
                        options={"verify_sub": False})
    assert claims["sub"] == access.id
    code, out = run("token", "mint", "--customer", "40", "--account", "1017")
    dynamic = jwt.decode(out, SECRET, algorithms=["HS256"], audience="customer-v1")
    assert dynamic["cfg"] == {"customer_id": 40, "account_ids": [1017], "allowed_ips": []}
    assert dynamic["exp"] - claims["exp"] > 80_000  # the server's default lifetime, 1 day

    code, out = run("token", "mint", "--login", "nobody")
    assert code == 1 and "login 'nobody' not found" in out
    code, out = run("token", "mint", "--customer", "99")
    assert code == 1 and "customer 99 not found" in out
    code, out = run("customers", "add", "Again", "--id", "40")
    assert code == 1 and "already taken" in out
    code, out = run("accounts", "add", "x", "--customer", "99")
    assert code == 1 and "customer 99 not found" in out

    assert run("logins", "delete", str(access.id))[0] == 0
    assert run("accounts", "delete", "1017")[0] == 0
    code, out = run("customers", "delete", "40")
    assert code == 0 and f"deleted from the server at {url}" in out
    code, out = run("customers", "delete", "40")
    assert code == 1 and f"customer 40 not found in the server at {url}" in out
    assert services.metadata.list_customers() == []


def test_a_local_command_names_its_data_and_warns_of_a_server_holding_other_data(
        served: tuple[str, Services], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url, services = served
    monkeypatch.setenv("CALLSTATS_PORT", str(urlsplit(url).port))
    local = (tmp_path / "local" / "metadata.sqlite").resolve()
    # Without the admin token the server cannot say what it holds: a softer warning.
    code, out = run("customers", "add", "Acme")
    assert code == 0 and f"customer 1 'Acme' created in {local}" in out
    assert f"warning: a server answers at {url}" in out and "--url" in out
    monkeypatch.setenv("CALLSTATS_ADMIN_TOKEN", ADMIN)
    code, out = run("customers", "list")
    assert code == 0 and f"customers in {local}" in out
    assert f"warning: the server at {url} holds {services.settings.data_dir.resolve()}" in out
    assert f"--url {url}" in out
    # The same data directory as the server's: no warning.
    code, out = run("customers", "list", "--data-dir", str(services.settings.data_dir))
    assert code == 0 and "warning" not in out
    # And a local token is signed with the local secret: the warning is what tells.
    code, out = run("token", "mint", "--customer", "1")
    assert code == 0 and "warning: the server at" in out


def test_server_problems_in_plain_words(served: tuple[str, Services],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    url, _ = served
    code, out = run("customers", "list", "--url", url)
    assert code == 1 and "needs its admin token" in out and "CALLSTATS_ADMIN_TOKEN" in out
    code, out = run("customers", "list", "--url", url, "--admin-token", "wrong")
    assert code == 1 and "refused the admin token" in out
    code, out = run("customers", "list", "--url", "127.0.0.1:1", "--admin-token", ADMIN)
    assert code == 1 and "is not a server address" in out
    monkeypatch.setattr("callstats.cli.remote.DEFAULT_WAIT", 0.5)
    code, out = run("customers", "list", "--url", "http://127.0.0.1:1", "--admin-token", ADMIN)
    assert code == 1 and "cannot reach the server at http://127.0.0.1:1" in out
    assert "callstats serve" in out and "Error" not in out


def test_a_server_without_admin_api_is_told(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CALLSTATS_URL", raising=False)
    settings = Settings(data_dir=tmp_path / "off", admin_token="", jwt_secret=SECRET,
                        maintenance_interval=0)
    services = Services.open(settings)
    try:
        with threaded_server(services) as url:
            code, out = run("customers", "list", "--url", url, "--admin-token", ADMIN)
    finally:
        services.close()
    assert code == 1 and "admin API" in out and "CALLSTATS_ADMIN_TOKEN set" in out
