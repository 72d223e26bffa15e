"""Store failures answered by cause (SPEC 11), on the real engines: an unreachable engine
is 503 `store unavailable`, a query past CALLSTATS_QUERY_TIMEOUT is 503 `query timed out`,
and a statement the engine refuses — a fault of ours — is 500 `internal server error`
with the engine's text in the log only. No response ever carries the engine's text."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from callstats.ingest.batches import cdrs_from_table
from callstats.stores.base import QueryTimeout, StoreUnavailable
from callstats.stores.clickhouse_store import ClickHouseStore
from callstats.stores.clickhouse_transport import EngineError, classify
from callstats.stores.duckdb_store import DuckDBStore
from callstats.stores.sql import Statement
from tests.support.api import Api
from tests.support.stores import StoreUrls, clickhouse_http_server
from tests.support.wire import V1

NOW = 1_800_000_000
UUID = "0d0d0d0d-1111-4222-8333-444455556666"
REPORT = (V1 + "/origination-statistics", {"account-id": UUID, "from-time": "2020-01-01",
                                           "sampling": "day"})


def _tenant(api: Api) -> str:
    api.customer("c", 1)
    api.account(1, id=1, uuid=UUID)
    return api.token(api.login(1, "l"))


def _ask(api: Api, token: str) -> tuple[int, bytes]:
    path, params = REPORT
    response = api.get(path, params=params, token=token)
    return response.status_code, response.content


# The CDR lists (SPEC 9.3) answer store failures as the reports do, in JSON and in CSV.
CDR_REQUESTS = [({}, {}), ({"filter[time_start_gteq]": "2020-01-01"}, {"Accept": "text/csv"}),
                ({}, {"Accept": "application/vnd.api+json"})]


def _ask_cdrs(api: Api, token: str) -> list[tuple[int, bytes]]:
    answers = []
    for params, headers in CDR_REQUESTS:
        response = api.get(V1 + "/cdrs", params=params, token=token, headers=headers)
        answers.append((response.status_code, response.content))
    response = api.get(V1 + "/incoming-cdrs/1", token=token)
    return [*answers, (response.status_code, response.content)]


def test_an_unreachable_clickhouse_is_503_store_unavailable(tmp_path: Path) -> None:
    with clickhouse_http_server(tmp_path / "ch") as url:
        api = Api(tmp_path / "data", NOW, store=f"{url}/faults")
        token = _tenant(api)
        assert _ask(api, token)[0] == 200
        assert all(status in (200, 404) for status, _ in _ask_cdrs(api, token))
    try:  # the engine's process is gone now
        assert _ask(api, token) == (503, b'{"error":"store unavailable"}')
        assert _ask_cdrs(api, token) == [(503, b'{"error":"store unavailable"}')] * 4
    finally:
        api.close()


def _many_cdrs(rows: int) -> pa.Table:
    """`rows` CDRs of account 1, one per second from 2020-01-01, typed by ingestion."""
    start = 1_577_836_800_000_000
    return cdrs_from_table(pa.table({
        "id": np.arange(1, rows + 1), "duration": np.arange(rows) % 90,
        "customer_acc_id": np.ones(rows, np.int64),
        "time_start": pa.array(start + np.arange(rows) * 1_000_000).cast(
            pa.timestamp("us", "UTC"))}))


def test_a_report_past_the_query_timeout_is_503_query_timed_out(tmp_path: Path) -> None:
    api = Api(tmp_path / "data", NOW, query_timeout=0.002, maintenance_interval=0)
    try:
        token = _tenant(api)
        api.services.store.insert_cdrs(_many_cdrs(3_000_000))
        status, body = _ask(api, token)
        assert (status, body) == (503, b'{"error":"query timed out"}')
        api.services.store.query_timeout = 60  # type: ignore[attr-defined]
        status, body = _ask(api, token)
        assert status == 200 and b'"rows":35' in body
    finally:
        api.close()


@pytest.mark.parametrize("kind", ["duckdb", "chdb"])
def test_a_statement_the_engine_refuses_is_500_with_details_only_in_the_log(
        kind: str, tmp_path: Path, chdb_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="callstats.errors")
    api = Api(tmp_path / "data", NOW, store=StoreUrls(kind, chdb_dir)(tmp_path / "data"))
    try:
        token = _tenant(api)
        store = api.services.store
        # The operator drops the tables behind the store's back (the CDRs and their minute
        # rollup): every report statement is now one the engine refuses, as a bug in our
        # SQL would be.
        if isinstance(store, DuckDBStore):
            store.cursor().execute("DROP TABLE cdrs")
            store.cursor().execute("DROP TABLE cdr_minutes CASCADE")
        else:
            assert isinstance(store, ClickHouseStore)
            for side in ("origination", "termination"):  # the views feeding the rollup
                store.db.command(f"DROP VIEW IF EXISTS {store.table(f'cdr_minutes_{side}')}")
            store.db.command(f"DROP TABLE {store.table('cdr_minutes')}")
            store.db.command(f"DROP TABLE {store.table('cdrs')}")
        status, body = _ask(api, token)
        assert (status, body) == (500, b'{"error":"internal server error"}')
        assert _ask_cdrs(api, token) == [(500, b'{"error":"internal server error"}')] * 4
        logged = "\n".join(r.getMessage() + str(r.exc_info) for r in caplog.records)
        assert "cdr" in logged.lower()  # the engine's own words are in the log
    finally:
        api.close()


def test_duckdb_interrupts_a_query_at_its_deadline(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "cdr.duckdb", query_timeout=0.05)
    try:
        with pytest.raises(QueryTimeout):
            store.run(Statement("SELECT count(*) FROM range(100000000000) a", {}))
        assert store.run(Statement("SELECT 42", {})) == [(42,)]  # the cursor still works
    finally:
        store.close()


def test_clickhouse_stops_a_query_at_its_deadline(tmp_path: Path, chdb_dir: Path) -> None:
    store = ClickHouseStore(StoreUrls("chdb", chdb_dir)(tmp_path), query_timeout=0.2)
    try:
        with pytest.raises(QueryTimeout):
            store.run(Statement("SELECT count() FROM numbers(1000000000000) "
                                "WHERE sipHash64(number) = 0", {}))
        assert store.run(Statement("SELECT 42", {})) == [(42,)]
    finally:
        store.close()


@pytest.mark.parametrize(("message", "kind"), [
    ("Code: 159. DB::Exception: Timeout exceeded: elapsed 1.2 seconds", QueryTimeout),
    ("Code: 241. DB::Exception: Memory limit exceeded", StoreUnavailable),
    ("Code: 210. DB::NetException: Connection refused", StoreUnavailable),
    ("Connection refused", StoreUnavailable),
    ("Code: 62. DB::Exception: Syntax error: failed at position 8", EngineError),
    ("Code: 47. DB::Exception: Unknown expression identifier `x`", EngineError),
    ("Code: 53. DB::Exception: Type mismatch in IN or VALUES section", EngineError),
])
def test_clickhouse_errors_are_classified_by_code(message: str, kind: type) -> None:
    assert type(classify(message)) is kind
