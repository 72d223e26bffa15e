"""The `callstats` command line against real data directories and a real server."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import uvicorn
from typer.testing import CliRunner

from callstats.cli.main import app
from callstats.http.app import create_app
from callstats.metadata.store import MetadataStore
from callstats.settings import Settings
from callstats.stores.duckdb_store import DuckDBStore

ADMIN = "cli-admin-token"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "data"
    monkeypatch.setenv("CALLSTATS_DATA_DIR", str(directory))
    monkeypatch.setenv("CALLSTATS_JWT_SECRET", "cli-secret-" + "y" * 32)
    monkeypatch.delenv("CALLSTATS_ADMIN_TOKEN", raising=False)
    monkeypatch.delenv("CALLSTATS_URL", raising=False)
    monkeypatch.setenv("CALLSTATS_PORT", "1")  # no server of anyone else's to warn about
    return directory


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


def cdr(i: int, **extra: object) -> dict[str, object]:
    return {"id": i, "time_start": f"2026-01-01 00:00:{i % 60:02d}", "duration": i % 7,
            "customer_acc_id": 7, "customer_price": "0.010000", **extra}


def stored_ids(data_dir: Path) -> list[int]:
    store = DuckDBStore(data_dir / "cdr.duckdb")
    try:
        rows = store.cursor().execute("SELECT id FROM cdr_rows ORDER BY id").fetchall()
        return [r[0] for r in rows]
    finally:
        store.close()


def test_customers_accounts_and_logins_are_managed(data_dir: Path) -> None:
    assert run("customers", "add", "Acme", "--id", "40")[0] == 0
    code, out = run("accounts", "add", "main", "--customer", "40", "--id", "7",
                    "--uuid", "FD6CB45E-6674-11F1-9EDB-DA575D109341")
    assert code == 0 and "fd6cb45e-6674-11f1-9edb-da575d109341" in out
    code, out = run("logins", "add", "acme", "--customer", "40", "--password", "pw",
                    "--account", "7", "--allow-ip", "10.0.0.0/8")
    assert code == 0
    code, out = run("logins", "list")
    assert "acme" in out and "10.0.0.0/8" in out and "pw" not in out.split("acme")[1]
    code, out = run("customers", "add", "Again", "--id", "40")
    assert code == 1 and "already taken" in out
    code, out = run("accounts", "add", "x", "--customer", "99")
    assert code == 1 and "customer 99 not found" in out
    metadata = MetadataStore(f"sqlite:///{data_dir / 'metadata.sqlite'}")
    [access] = metadata.list_api_accesses()
    assert (access.customer_id, access.account_ids) == (40, [7])
    metadata.close()
    assert run("customers", "delete", "40")[0] == 0
    assert "acme" not in run("logins", "list")[1]
    assert run("customers", "delete", "40")[0] == 1


def test_token_mint_signs_with_the_server_secret(data_dir: Path) -> None:
    run("customers", "add", "Acme", "--id", "40")
    run("logins", "add", "acme", "--customer", "40", "--password", "pw")
    code, out = run("token", "mint", "--login", "acme", "--lifetime", "600")
    assert code == 0
    claims = jwt.decode(out.strip(), "cli-secret-" + "y" * 32, algorithms=["HS256"],
                        audience="customer-v1", options={"verify_sub": False})
    assert claims["sub"] == 1 and claims["exp"] - time.time() == pytest.approx(600, abs=5)
    code, out = run("token", "mint", "--customer", "40", "--account", "7")
    dynamic = jwt.decode(out.strip(), "cli-secret-" + "y" * 32, algorithms=["HS256"],
                         audience="customer-v1")
    assert dynamic["sub"] == "D" and dynamic["cfg"]["account_ids"] == [7]
    assert run("token", "mint", "--login", "nobody")[0] == 1


def test_ingest_into_the_data_dir_every_format(data_dir: Path, tmp_path: Path) -> None:
    ndjson = tmp_path / "a.ndjson"
    ndjson.write_text("\n".join(json.dumps(cdr(i)) for i in range(1, 101)))
    table = pa.table({"id": list(range(101, 201)),
                      "time_start": [f"2026-01-01 00:01:{i % 60:02d}" for i in range(100)],
                      "duration": [5] * 100})
    csv_path = tmp_path / "b.csv"
    pacsv.write_csv(table, csv_path)
    gz_path = tmp_path / "b.csv.gz"
    gz_path.write_bytes(gzip.compress(csv_path.read_bytes()))
    parquet = tmp_path / "c.parquet"
    pq.write_table(table.set_column(0, "id", pa.array(range(201, 301))), parquet)
    code, out = run("ingest", "cdrs", str(ndjson), str(gz_path), str(parquet),
                    "--batch-rows", "30")
    assert code == 0, out
    assert "inserted" in out and "300" in out and "rows/s" in out
    assert stored_ids(data_dir) == list(range(1, 301))
    code, out = run("ingest", "cdrs", str(ndjson), str(csv_path))  # again: duplicates
    assert code == 0 and "duplicates" in out
    assert stored_ids(data_dir) == list(range(1, 301))
    assert run("compact")[0] == 0
    assert stored_ids(data_dir) == list(range(1, 301))


def test_a_bad_row_stops_with_file_row_and_field(data_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.ndjson"
    rows = [cdr(i) for i in range(1, 8)]
    rows[5]["time_start"] = "yesterday"
    bad.write_text("\n".join(json.dumps(r) for r in rows))
    code, out = run("ingest", "cdrs", str(bad), "--batch-rows", "4")
    assert code == 1
    assert "bad.ndjson" in out and "row 6 time_start" in " ".join(out.split())
    assert stored_ids(data_dir) == [1, 2, 3, 4]  # the first batch, not the rejected one
    assert run("ingest", "cdrs", str(tmp_path / "missing.ndjson"))[0] == 1
    (tmp_path / "x.txt").write_text("hello")
    code, out = run("ingest", "cdrs", str(tmp_path / "x.txt"))
    assert code == 1 and "unknown file type" in out


def test_active_calls_from_envelopes_and_flat_files(data_dir: Path, tmp_path: Path) -> None:
    envelopes = tmp_path / "snap.ndjson"
    envelopes.write_text("\n".join(json.dumps(e) for e in [
        {"snapshot_timestamp": "2026-01-01T00:00:00Z", "node_id": 1,
         "calls": [{"customer_acc_id": 7}, {"customer_acc_id": 8}]},
        {"snapshot_timestamp": "2026-01-01T00:01:00Z", "node_id": 1, "calls": []},
    ]))
    flat = tmp_path / "flat.csv"
    flat.write_text("node_id,snapshot_timestamp,customer_acc_id\n2,2026-01-01 00:00:00,7\n"
                    "2,2026-01-01 00:00:00,9\n")
    code, out = run("ingest", "active-calls", str(envelopes), str(flat))
    assert code == 0, out
    store = DuckDBStore(data_dir / "cdr.duckdb")
    snapshots = store.cursor().execute(
        "SELECT node_id, calls FROM snapshots ORDER BY node_id, snapshot_timestamp").fetchall()
    store.close()
    assert snapshots == [(1, 2), (1, 0), (2, 2)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    settings = Settings(data_dir=tmp_path / "served", admin_token=ADMIN,
                        jwt_secret="s" * 40, maintenance_interval=0)
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                            log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(url + "/healthz").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    yield url
    running.should_exit = True
    thread.join()


def test_ingest_to_a_running_server(server: str, tmp_path: Path, data_dir: Path) -> None:
    path = tmp_path / "a.csv"
    pacsv.write_csv(pa.table({"id": list(range(1, 51)), "duration": [3] * 50,
                              "time_start": ["2026-01-01T00:00:00Z"] * 50}), path)
    code, out = run("ingest", "cdrs", str(path), "--url", server, "--admin-token", ADMIN,
                    "--batch-rows", "20")
    assert code == 0, out
    assert "50" in out
    code, out = run("ingest", "cdrs", str(path), "--url", server, "--admin-token", "wrong")
    assert code == 1 and "refused the admin token" in out and "401" not in out
    code, out = run("ingest", "cdrs", str(path), "--url", server)
    assert code == 1 and "admin-token" in out


def test_settings_lists_every_variable_and_hides_secrets(monkeypatch: pytest.MonkeyPatch,
                                                         data_dir: Path) -> None:
    monkeypatch.setenv("CALLSTATS_ADMIN_TOKEN", "very-secret-admin")
    code, out = run("settings")
    assert code == 0
    assert "CALLSTATS_MAX_BODY" in out and "CALLSTATS_TRUSTED_PROXIES" in out
    assert "very-secret-admin" not in out and "cli-secret" not in out
