"""The README's "Running it for real" recipe, run as written.

The commands are read from README.md itself and run one by one through bash, as a user
pasting them would, against a real `callstats serve` process. Only what a test machine
must change is changed: the data directory (/var/lib/callstats) becomes a temporary one,
`sudo` is dropped, port 8080 becomes a free port, `pip install .` is skipped (the test's
environment has the package installed) and the password prompt is answered through
CALLSTATS_LOGIN_PASSWORD. Then the customer, account, login, ingested CDRs, active calls
and minted token are checked through the server's APIs; a README that drifts from the
CLI fails here.
"""

from __future__ import annotations

import getpass
import gzip
import json
import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from tests.support.stores import free_port

README = Path(__file__).resolve().parents[2] / "README.md"
PASSWORD = "recipe-password-1"
V1 = "/api/rest/customer/v1"


def recipe(readme: str) -> list[str]:
    """The command lines of the first sh block under "## Running it for real"."""
    section = readme.split("## Running it for real", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the recipe section has no sh block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_recipe_lines_are_found() -> None:
    lines = recipe(README.read_text())
    assert lines[0].startswith("pip install .")
    assert any("callstats serve" in line for line in lines)
    assert any("token mint" in line for line in lines)


def cdr_file(path: Path, ids: range, day: str) -> None:
    table = pa.table({
        "id": list(ids),
        "time_start": [f"{day}T10:{i % 60:02d}:00Z" for i in ids],
        "duration": [30 + i % 50 for i in ids],
        "customer_acc_id": [1017] * len(ids),
        "customer_price": ["0.012000"] * len(ids),
    })
    csv = path.with_suffix("")
    pacsv.write_csv(table, csv)
    path.write_bytes(gzip.compress(csv.read_bytes()))
    csv.unlink()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """Where the user stands: the recipe's input files, nothing else."""
    work = tmp_path / "work"
    work.mkdir()
    cdr_file(work / "cdrs-2026-11-01.csv.gz", range(1, 121), "2026-11-01")
    cdr_file(work / "cdrs-2026-11-02.csv.gz", range(121, 201), "2026-11-02")
    snapshot = {"snapshot_timestamp": "2026-11-02T10:00:00Z", "node_id": 1,
                "calls": [{"customer_acc_id": 1017, "duration": 12},
                          {"customer_acc_id": 1017, "duration": 40}]}
    (work / "snapshot.json").write_text(json.dumps(snapshot) + "\n")
    return work


@pytest.fixture
def background() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_the_readme_recipe_works_as_written(tmp_path: Path, workdir: Path,
                                            background: list[subprocess.Popen[bytes]]
                                            ) -> None:
    port = free_port()
    data_dir = tmp_path / "var-lib-callstats"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLSTATS_")}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
               USER=getpass.getuser(), CALLSTATS_PORT=str(port),
               CALLSTATS_LOGIN_PASSWORD=PASSWORD, CALLSTATS_LOG_LEVEL="warning",
               CALLSTATS_MAINTENANCE_INTERVAL="0")
    outputs: dict[str, str] = {}
    for line in recipe(README.read_text()):
        command = (line.replace("/var/lib/callstats", str(data_dir))
                   .replace("127.0.0.1:8080", f"127.0.0.1:{port}"))
        words = shlex.split(command, comments=True)
        if words[:2] == ["pip", "install"]:
            continue  # the package is this environment's
        if words[0] == "sudo":
            command = command.split("sudo ", 1)[1]
        if words[0] == "export":
            name = words[1].split("=", 1)[0]
            value = subprocess.run(["bash", "-c", f'{command}\nprintf %s "${name}"'],
                                   env=env, cwd=workdir, capture_output=True, text=True,
                                   check=True).stdout
            assert value, f"{line!r} set nothing"
            env[name] = value
            continue
        if words[-1] == "&":
            log = (tmp_path / "server.log").open("wb")
            background.append(subprocess.Popen(
                ["bash", "-c", "exec " + shlex.join(words[:-1])], env=env, cwd=workdir,
                stdout=log, stderr=subprocess.STDOUT))
            continue  # the next command waits for the server to answer, as a user's would
        done = subprocess.run(["bash", "-c", command], env=env, cwd=workdir,
                              capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, (f"{line!r} failed:\n{done.stdout}\n{done.stderr}\n"
                                      f"server log:\n{_log(tmp_path)}")
        assert "warning" not in done.stderr, f"{line!r}: {done.stderr}"
        outputs[" ".join(words[:3])] = done.stdout

    # Everything went to the server's data directory, nothing to a ./callstats-data.
    assert not (workdir / "callstats-data").exists()
    assert (data_dir / "metadata.sqlite").exists() and (data_dir / "cdr.duckdb").exists()
    url = env["CALLSTATS_URL"]
    admin = httpx.Client(base_url=url, timeout=30,
                         headers={"Authorization": f"Bearer {env['CALLSTATS_ADMIN_TOKEN']}"})
    assert admin.get("/api/admin/v1/customers").json() == [{"id": 40, "name": "Acme Telecom"}]
    [account] = admin.get("/api/admin/v1/accounts").json()
    assert (account["id"], account["customer_id"], account["name"]) == (1017, 40, "main")
    [login] = admin.get("/api/admin/v1/api-accesses").json()
    assert (login["login"], login["customer_id"]) == ("acme", 40)

    # The minted token reads the ingested CDRs and active calls.
    token = outputs["callstats token mint"].strip().splitlines()[-1]
    client = httpx.Client(base_url=url, timeout=30, headers={"Authorization": token})
    stats = client.get(V1 + "/origination-statistics", params={
        "account-id": account["uuid"], "from-time": "2026-11-01T00:00:00Z",
        "to-time": "2026-11-03T00:00:00Z", "sampling": "day"})
    assert stats.status_code == 200, stats.text
    assert stats.json()["totals"]["total_calls"] == 200
    active = client.get(V1 + "/origination-active-calls", params={
        "account-id": account["uuid"], "from-time": "2026-11-02T09:59:00Z",
        "to-time": "2026-11-02T10:02:00Z"})
    assert active.status_code == 200, active.text
    assert max(active.json()["data"]["calls"]) == 2
    # And the login's password works as the customer portal and API use it.
    auth = httpx.post(url + V1 + "/auth", json={"auth": {"login": "acme",
                                                          "password": PASSWORD}})
    assert auth.status_code == 201, auth.text


def _log(tmp_path: Path) -> str:
    path = tmp_path / "server.log"
    return path.read_text() if path.exists() else "(no server log)"
