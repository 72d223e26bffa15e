"""What the CLI tells a user: plain words with the fix, never an exception class; what
was stored before a failure, counted right; no empty progress bar before an error; help
that reads whole, with defaults and environment variables shown."""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from callstats.cli.main import app
from callstats.http.services import Services
from callstats.settings import Settings
from tests.support.servers import threaded_server

CLASS_NAME = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)*(?:Error|Exception|File|Failed)\b:")


def run(*args: str, columns: int = 200) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": str(columns)})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("CALLSTATS_URL", "CALLSTATS_ADMIN_TOKEN", "CALLSTATS_STORE",
                 "CALLSTATS_METADATA_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CALLSTATS_PORT", "1")  # no server to warn about
    directory = tmp_path / "data"
    monkeypatch.setenv("CALLSTATS_DATA_DIR", str(directory))
    return directory


def cdrs(path: Path, count: int, bad: set[int] = frozenset()) -> Path:  # type: ignore[assignment]
    rows = [{"id": i, "time_start": "yesterday" if i in bad else "2026-01-01 00:00:00",
             "duration": 1} for i in range(1, count + 1)]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def one_line(text: str) -> str:
    return " ".join(text.split())


def test_an_unknown_file_type_is_told_with_the_fix(data_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "calls.txt").write_text("hello")
    code, out, err = run("ingest", "cdrs", str(tmp_path / "calls.txt"))
    assert code == 1 and out == ""  # no progress bar, not even an empty one
    message = one_line(err)
    assert message.startswith(f"error: {tmp_path / 'calls.txt'}: unknown file type")
    assert ".ndjson" in message and ".csv" in message and ".parquet" in message
    assert "UnsupportedFile" not in message and not CLASS_NAME.search(message)


def test_a_failure_in_the_first_batch_says_nothing_was_stored(data_dir: Path,
                                                              tmp_path: Path) -> None:
    code, out, err = run("ingest", "cdrs", str(cdrs(tmp_path / "a.ndjson", 6, {2})),
                         "--batch-rows", "4")
    message = one_line(err)
    assert code == 1 and out == ""
    assert "batch 1 (from row 1) rejected; nothing was stored." in message
    assert "earlier" not in message and "Stored before" not in message
    assert "row 2 time_start" in message and "run the same command again" in message


def test_a_later_failure_counts_what_was_stored(data_dir: Path, tmp_path: Path) -> None:
    code, out, err = run("ingest", "cdrs", str(cdrs(tmp_path / "a.ndjson", 10, {6})),
                         "--batch-rows", "4")
    message = one_line(err)
    assert code == 1
    assert ("a.ndjson: batch 2 (from row 5) rejected; nothing of that batch was stored. "
            "Stored before: 1 batch (4 rows) of a.ndjson.") in message
    assert "a.ndjson" in out  # the bar of what was stored
    code, out, err = run("ingest", "cdrs", str(cdrs(tmp_path / "ok.ndjson", 3)),
                         str(cdrs(tmp_path / "b.ndjson", 3, {1})))
    message = one_line(err)
    assert code == 1
    assert ("b.ndjson: batch 1 (from row 1) rejected; nothing of this file was stored. "
            "Stored before: 1 earlier file.") in message


def test_a_store_held_by_another_process_is_told_without_engine_noise(
        data_dir: Path, tmp_path: Path) -> None:
    path = data_dir / "cdr.duckdb"
    data_dir.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; "
                               f"c = duckdb.connect({str(path)!r}); print('held', flush=True); "
                               "time.sleep(60)"], stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        code, out, err = run("ingest", "cdrs", str(cdrs(tmp_path / "a.ndjson", 2)))
    finally:
        holder.kill()
        holder.wait()
    message = one_line(err)
    assert code == 1 and out == ""
    assert f"{path.resolve()} is in use by process {holder.pid}" in message
    assert "--url" in message
    assert "//" not in message and "IO Error" not in message and "duckdb.org" not in message


def test_store_urls_have_no_doubled_slash(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d")
    assert settings.store_url() == f"duckdb://{(tmp_path / 'd').resolve()}/cdr.duckdb"
    store = Settings(store=f"duckdb:///{tmp_path}/four-slashes.duckdb").open_store()
    try:
        assert str(store.path) == f"{tmp_path}/four-slashes.duckdb"  # type: ignore[attr-defined]
    finally:
        store.close()


def test_server_refusals_over_url_in_plain_words(data_dir: Path, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "served", admin_token="t", jwt_secret="s" * 40,
                        maintenance_interval=0, max_body=2_000)
    services = Services.open(settings)
    try:
        with threaded_server(services) as url:
            big = cdrs(tmp_path / "big.ndjson", 100)
            code, out, err = run("ingest", "cdrs", str(big), "--url", url,
                                 "--admin-token", "t")
            too_large = one_line(err)
            code_wrong, _, wrong = run("ingest", "cdrs", str(big), "--url", url,
                                       "--admin-token", "nope")
    finally:
        services.close()
    assert code == 1 and out == ""
    assert "batch 1 (from row 1) rejected; nothing was stored." in too_large
    assert "over the size limit" in too_large and "--batch-rows" in too_large
    assert code_wrong == 1 and "refused the admin token" in wrong
    for message in (too_large, wrong):
        assert "RuntimeError" not in message and "413" not in message
        assert "401" not in message and not CLASS_NAME.search(message)


def test_top_level_help_reads_whole() -> None:
    """Each command's summary on one line at a wide terminal: no break where the source
    wrapped its docstring."""
    code, out, _ = run("--help", columns=400)
    assert code == 0
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    assert len(commands) >= 10
    for name, command in commands.items():
        summary = " ".join(inspect.cleandoc(command.help or "").split("\n\n")[0].split())
        summary = summary.replace("`", "")
        [line] = [line for line in out.splitlines() if re.match(rf"│ {name}\s", line)]
        assert summary in " ".join(line.split()), (name, line)


@pytest.mark.parametrize(("command", "shown"), [
    (["serve"], ["[env var: CALLSTATS_HOST]", "[default: 127.0.0.1]",
                 "[env var: CALLSTATS_PORT]", "[default: 8080]",
                 "[env var: CALLSTATS_DATA_DIR]", "[default: callstats-data]"]),
    (["demo"], ["[default: 127.0.0.1]", "[default: 8080]", "[default: 30]"]),
    (["ingest", "cdrs"], ["[env var: CALLSTATS_URL]", "[env var: CALLSTATS_ADMIN_TOKEN]",
                          "[default: callstats-data]", "default 50,000"]),
    (["customers", "add"], ["[env var: CALLSTATS_URL]", "[default: callstats-data]"]),
    (["token", "mint"], ["CALLSTATS_TOKEN_LIFETIME", "86400", "[env var: CALLSTATS_URL]"]),
])
def test_help_shows_defaults_and_variables(command: list[str], shown: list[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CALLSTATS_ADMIN_TOKEN", raising=False)
    code, out, _ = run(*command, "--help", columns=300)
    text = one_line(out)
    assert code == 0
    for item in shown:
        assert item in text, (item, text)


def test_help_never_shows_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLSTATS_ADMIN_TOKEN", "very-secret-admin-token")
    for command in (["ingest", "cdrs"], ["customers", "add"], ["simulate"]):
        assert "very-secret-admin-token" not in run(*command, "--help")[1]


def test_a_wait_for_a_starting_server_is_bounded(monkeypatch: pytest.MonkeyPatch,
                                                 data_dir: Path) -> None:
    monkeypatch.setattr("callstats.cli.remote.DEFAULT_WAIT", 1.0)
    started = time.monotonic()
    code, _, err = run("logins", "list", "--url", "http://127.0.0.1:1", "--admin-token", "x")
    assert code == 1 and "cannot reach the server" in err
    assert 0.9 < time.monotonic() - started < 10


def test_simulate_against_no_server_says_so(data_dir: Path) -> None:
    code, out, err = run("simulate", "--url", "http://127.0.0.1:1", "--admin-token", "x",
                         "--duration", "1")
    message = one_line(out + err)
    assert code == 1 and "cannot reach the server at http://127.0.0.1:1" in message
    assert "Traceback" not in message and "ConnectError" not in message


def test_serve_on_a_held_data_dir_says_so_in_one_line(data_dir: Path) -> None:
    data_dir.mkdir()
    path = data_dir / "cdr.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; "
                               f"c = duckdb.connect({str(path)!r}); print('held', flush=True); "
                               "time.sleep(60)"], stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        code, out, err = run("serve", "--port", "1")
    finally:
        holder.kill()
        holder.wait()
    message = one_line(err)
    assert code == 1 and message.startswith(f"error: cannot serve: {path.resolve()} is in use")
    assert "Traceback" not in message and "StoreError" not in message


def test_invalid_settings_are_named_plainly(data_dir: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLSTATS_PORTAL_ACCENT", "red")
    code, out, err = run("customers", "list")
    message = one_line(err)
    assert code == 1 and message.startswith("error: invalid settings: CALLSTATS_PORTAL_ACCENT")
    assert "ValidationError" not in message and "pydantic" not in message
