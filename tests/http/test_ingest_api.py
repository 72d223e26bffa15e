"""POST /api/admin/v1/cdrs and /active-calls (SPEC 6): formats, gzip, idempotence, all or
nothing, body limits."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator, Callable

import anyio
import httpx
import pytest

from callstats.http.services import Services
from callstats.settings import Settings
from tests.support import stores as store_probe
from tests.support.bodies import (
    ADMIN,
    CSV,
    NDJSON,
    PARQUET,
    cdr,
    csv_body,
    envelope,
    gz,
    ndjson,
    parquet_body,
)
from tests.support.stores import cdr_value

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings(store_settings: Settings) -> Settings:
    """Ingestion runs on every store kind."""
    return store_settings

ROWS = [cdr(i, customer_id=1, customer_acc_id=10, customer_price="0.5") for i in range(1, 6)]
BODIES = {
    "ndjson": (NDJSON, ndjson(ROWS)),
    "csv": (CSV, csv_body(ROWS)),
    "parquet": (PARQUET, parquet_body(ROWS)),
}


def counts(received: int, inserted: int) -> dict[str, int]:
    return {"received": received, "inserted": inserted, "duplicates": received - inserted}


@pytest.fixture
def ingest(client: httpx.AsyncClient, admin_headers: dict[str, str]
           ) -> Callable[..., object]:
    async def post(body: bytes, headers: dict[str, str], path: str = "/cdrs") -> httpx.Response:
        return await client.post(f"{ADMIN}{path}", content=body,
                                  headers={**admin_headers, **headers})
    return post


@pytest.mark.parametrize("fmt", BODIES)
@pytest.mark.parametrize("encoding", ["plain", "gzip", "gzip-undeclared"])
async def test_each_format_stores_once(ingest: Callable[..., object], services: Services,
                                       fmt: str, encoding: str) -> None:
    headers, body = BODIES[fmt]
    if encoding != "plain":
        body = gz(body)
    if encoding == "gzip":
        headers = {**headers, "content-encoding": "gzip"}
    first = await ingest(body, headers)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "application/json; charset=utf-8"
    assert first.json() == counts(5, 5)
    assert services.store.count_cdrs() == 5
    again = await ingest(body, headers)
    assert (again.status_code, again.json()) == (200, counts(5, 0))
    assert services.store.count_cdrs() == 5


async def test_repeated_ids_within_a_batch_count_as_duplicates(
    ingest: Callable[..., object], services: Services
) -> None:
    body = ndjson([cdr(1), cdr(2), cdr(1, duration=99), cdr(3), cdr(2)])
    response = await ingest(body, NDJSON)
    assert response.json() == counts(5, 3)
    # The first row with an id wins.
    assert cdr_value(services.store, "duration", 1) == cdr(1)["duration"]


async def test_a_partly_known_batch_inserts_only_the_new_rows(
    ingest: Callable[..., object], services: Services
) -> None:
    await ingest(ndjson([cdr(1), cdr(2)]), NDJSON)
    response = await ingest(ndjson([cdr(2), cdr(3), cdr(4)]), NDJSON)
    assert response.json() == counts(3, 2)
    assert services.store.count_cdrs() == 4


@pytest.mark.parametrize("content_type", [
    "application/x-ndjson; charset=utf-8", "application/json", "APPLICATION/X-NDJSON",
])
async def test_content_type_spellings(ingest: Callable[..., object], content_type: str) -> None:
    response = await ingest(ndjson([cdr(1)]), {"content-type": content_type})
    assert (response.status_code, response.json()) == (200, counts(1, 1))


async def test_concatenated_gzip_members(ingest: Callable[..., object]) -> None:
    body = gz(ndjson([cdr(1), cdr(2)])) + gz(ndjson([cdr(3)]))
    response = await ingest(body, NDJSON)
    assert (response.status_code, response.json()) == (200, counts(3, 3))


EMPTY_BODY = {"errors": [{"row": None, "field": None, "message": "empty body"}]}


@pytest.mark.parametrize("headers", [NDJSON, CSV, PARQUET], ids=["ndjson", "csv", "parquet"])
async def test_an_empty_body_is_refused_in_every_format(
    ingest: Callable[..., object], services: Services, headers: dict[str, str]
) -> None:
    for body in (b"", gz(b"")):
        for path in ("/cdrs", "/active-calls"):
            response = await ingest(body, headers, path)
            assert (response.status_code, response.json()) == (422, EMPTY_BODY)
    assert services.store.count_cdrs() == 0


async def test_a_document_without_rows_is_zero_rows(ingest: Callable[..., object],
                                                     services: Services) -> None:
    header_only = csv_body([cdr(1)]).split(b"\n", 1)[0] + b"\n"
    no_rows = parquet_body([cdr(1)], keep=0)
    for body, headers in ((b"\n\n", NDJSON), (header_only, CSV), (no_rows, PARQUET)):
        for encoded in (body, gz(body)):
            response = await ingest(encoded, headers)
            assert (response.status_code, response.json()) == (200, counts(0, 0))
    assert services.store.count_cdrs() == 0


BAD_BATCHES = {
    "ndjson bad timestamp": (NDJSON, ndjson([cdr(1), cdr(2, time_start="yesterday"), cdr(3)]),
                             2, "time_start"),
    "ndjson missing id": (NDJSON, ndjson([cdr(1), {"time_start": "2024-03-01", "duration": 1}]),
                          2, "id"),
    "ndjson negative duration": (NDJSON, ndjson([cdr(1, duration=-1)]), 1, "duration"),
    "ndjson 7 decimals": (NDJSON, ndjson([cdr(1), cdr(2), cdr(3, vendor_price="0.0000001")]),
                          3, "vendor_price"),
    "csv bad duration": (CSV, csv_body([cdr(1), cdr(2, duration="abc")]), 2, "duration"),
    "parquet bad bool": (PARQUET, parquet_body([cdr(1, is_last_cdr="maybe"),
                                                cdr(2, is_last_cdr="true")]), 1, "is_last_cdr"),
    "gzip ndjson": (NDJSON, gz(ndjson([cdr(1), cdr(2, duration="x")])), 2, "duration"),
}


@pytest.mark.parametrize("case", BAD_BATCHES)
async def test_one_bad_row_rejects_the_whole_batch(
    ingest: Callable[..., object], services: Services, case: str
) -> None:
    headers, body, row, field = BAD_BATCHES[case]
    response = await ingest(body, headers)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert errors and all(set(e) == {"row", "field", "message"} for e in errors)
    assert (errors[0]["row"], errors[0]["field"]) == (row, field)
    assert isinstance(errors[0]["message"], str) and errors[0]["message"]
    assert services.store.count_cdrs() == 0


async def test_at_most_100_errors(ingest: Callable[..., object], services: Services) -> None:
    response = await ingest(ndjson([cdr(i, duration="x") for i in range(1, 251)]), NDJSON)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert 1 <= len(errors) <= 100
    assert errors[0]["row"] == 1
    assert services.store.count_cdrs() == 0


@pytest.mark.parametrize("body", [b"{not json}\n", b"[1, 2]\n", b"\x1f\x8b\x08garbage"])
async def test_unreadable_bodies_are_422(ingest: Callable[..., object], services: Services,
                                         body: bytes) -> None:
    response = await ingest(body, NDJSON)
    assert response.status_code == 422, response.text
    assert "errors" in response.json()
    assert services.store.count_cdrs() == 0


async def test_a_broken_parquet_file_is_422(ingest: Callable[..., object]) -> None:
    response = await ingest(b"PAR1 this is not parquet", PARQUET)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["row"], error["field"]) == (None, None)
    assert error["message"].startswith("invalid Parquet")


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/xml",
                                          "multipart/form-data; boundary=x"])
async def test_unsupported_content_type_is_415(
    client: httpx.AsyncClient, admin_headers: dict[str, str], services: Services,
    content_type: str | None
) -> None:
    headers = dict(admin_headers)
    if content_type is not None:
        headers["content-type"] = content_type
    response = await client.post(f"{ADMIN}/cdrs", content=ndjson([cdr(1)]), headers=headers)
    assert response.status_code == 415, response.text
    assert "unsupported content type" in response.json()["error"]
    assert services.store.count_cdrs() == 0


# --- body limits -----------------------------------------------------------------------

LIMIT = 4000


async def test_bodies_over_the_limit_are_413_and_store_nothing(
    make_client: Callable[..., object]
) -> None:
    small = ndjson([cdr(i) for i in range(1, 20)])
    big = ndjson([cdr(i) for i in range(1, 200)])
    assert len(small) < LIMIT < len(big)
    bomb = gzip.compress(big + b" " * 50_000)
    assert len(bomb) < LIMIT

    async def chunked() -> AsyncIterator[bytes]:  # no content-length: counted as it comes
        for start in range(0, len(big), 500):
            yield big[start:start + 500]

    async with make_client(max_body=LIMIT) as (client, services):
        headers = {"Authorization": "Bearer test-admin-token", **NDJSON}
        for body in (big, gz(big), bomb, chunked()):
            for path in ("/cdrs", "/active-calls"):
                response = await client.post(f"{ADMIN}{path}", content=body, headers=headers)
                assert response.status_code == 413, (path, response.text)
                assert response.json() == {"error": "request body too large"}
                if not isinstance(body, bytes):
                    break  # a stream is consumed once
        assert services.store.count_cdrs() == 0
        ok = await client.post(f"{ADMIN}/cdrs", content=small, headers=headers)
        assert (ok.status_code, ok.json()) == (200, counts(19, 19))
        ok = await client.post(f"{ADMIN}/cdrs", content=gz(small), headers=headers)
        assert (ok.status_code, ok.json()) == (200, counts(19, 0))


async def test_a_body_of_exactly_the_limit_is_accepted(make_client: Callable[..., object]
                                                       ) -> None:
    body = ndjson([cdr(1)])
    async with make_client(max_body=len(body)) as (client, services):
        response = await client.post(f"{ADMIN}/cdrs", content=body, headers={
            "Authorization": "Bearer test-admin-token", **NDJSON})
        assert response.status_code == 200
        assert services.store.count_cdrs() == 1


# --- active calls ----------------------------------------------------------------------


def stored_snapshots(services: Services) -> list[tuple[int, int, int]]:
    return store_probe.stored_snapshots(services.store)


async def test_one_envelope(ingest: Callable[..., object], services: Services) -> None:
    body = b'{\n  "snapshot_timestamp": "2024-03-01T10:00:00Z",\n  "node_id": 1,\n' \
           b'  "calls": [{"customer_acc_id": 10}, {"customer_acc_id": 11}]\n}'
    response = await ingest(body, {"content-type": "application/json"}, "/active-calls")
    assert (response.status_code, response.json()) == (200, {"snapshots": 1, "calls": 2})
    assert stored_snapshots(services) == [(1, 2, 2)]


async def test_ndjson_of_envelopes(ingest: Callable[..., object], services: Services) -> None:
    body = ndjson([envelope("2024-03-01T10:00:00Z", 1, 3), envelope("2024-03-01T10:00:00Z", 2, 1),
                   envelope("2024-03-01T10:01:00Z", 1, 0)])
    response = await ingest(body, NDJSON, "/active-calls")
    assert (response.status_code, response.json()) == (200, {"snapshots": 3, "calls": 4})
    assert stored_snapshots(services) == [(1, 3, 3), (1, 0, 0), (2, 1, 1)]
    gzipped = await ingest(gz(body), {**NDJSON, "content-encoding": "gzip"}, "/active-calls")
    assert gzipped.json() == {"snapshots": 3, "calls": 4}
    assert stored_snapshots(services) == [(1, 3, 3), (1, 0, 0), (2, 1, 1)]


async def test_an_empty_snapshot_and_a_default_node(ingest: Callable[..., object],
                                                    services: Services) -> None:
    body = b'{"snapshot_timestamp": 1709287200, "calls": []}'
    response = await ingest(body, NDJSON, "/active-calls")
    assert (response.status_code, response.json()) == (200, {"snapshots": 1, "calls": 0})
    assert stored_snapshots(services) == [(0, 0, 0)]


async def test_reposting_a_snapshot_replaces_it(ingest: Callable[..., object],
                                                services: Services) -> None:
    ts = "2024-03-01T10:00:00Z"
    await ingest(ndjson([envelope(ts, 1, 5)]), NDJSON, "/active-calls")
    await ingest(ndjson([envelope(ts, 2, 2)]), NDJSON, "/active-calls")
    response = await ingest(ndjson([envelope("2024-03-01 10:00:00", 1, 1)]), NDJSON,
                            "/active-calls")
    assert response.json() == {"snapshots": 1, "calls": 1}
    assert stored_snapshots(services) == [(1, 1, 1), (2, 2, 2)]
    emptied = await ingest(ndjson([envelope(ts, 1, 0)]), NDJSON, "/active-calls")
    assert emptied.json() == {"snapshots": 1, "calls": 0}
    assert stored_snapshots(services) == [(1, 0, 0), (2, 2, 2)]


async def test_active_calls_without_content_type_are_ndjson(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post(f"{ADMIN}/active-calls", headers=admin_headers,
                                 content=ndjson([envelope("2024-03-01T10:00:00Z")]))
    assert (response.status_code, response.json()) == (200, {"snapshots": 1, "calls": 2})


BAD_ENVELOPES = {
    "bad timestamp": ([envelope("2024-03-01T10:00:00Z"), {"snapshot_timestamp": "soon",
                                                           "calls": []}],
                      2, "snapshot_timestamp"),
    "missing timestamp": ([envelope("2024-03-01T10:00:00Z"), envelope("2024-03-01T10:01:00Z"),
                           {"node_id": 1, "calls": []}], 3, "snapshot_timestamp"),
    "bad call": ([envelope("2024-03-01T10:00:00Z", 1),
                  {"snapshot_timestamp": "2024-03-01T10:00:00Z", "node_id": 2,
                   "calls": [{"customer_acc_id": 1}, {"duration": "long"}]}], 2, "duration"),
    "calls not a list": ([envelope("2024-03-01T10:00:00Z"),
                          {"snapshot_timestamp": "2024-03-01T10:00:00Z", "calls": 5}],
                         2, "calls"),
}


@pytest.mark.parametrize("case", BAD_ENVELOPES)
async def test_a_bad_envelope_rejects_the_batch(ingest: Callable[..., object],
                                                services: Services, case: str) -> None:
    envelopes, row, field = BAD_ENVELOPES[case]
    response = await ingest(ndjson(envelopes), NDJSON, "/active-calls")
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["row"] == row
    assert field in error["field"]
    assert stored_snapshots(services) == []


async def test_ingestion_metrics(ingest: Callable[..., object],
                                 client: httpx.AsyncClient) -> None:
    await ingest(ndjson([cdr(1), cdr(2), cdr(3)]), NDJSON)
    await ingest(ndjson([cdr(3), cdr(4)]), NDJSON)
    await ingest(ndjson([envelope("2024-03-01T10:00:00Z", 1, 4)]), NDJSON, "/active-calls")
    text = (await client.get("/metrics")).text
    assert 'callstats_ingested_rows_total{kind="cdrs"} 4.0' in text
    assert "callstats_ingest_duplicates_total 1.0" in text
    assert 'callstats_ingested_rows_total{kind="snapshot_calls"} 4.0' in text


async def test_concurrent_overlapping_batches_store_each_id_once(
    ingest: Callable[..., object], services: Services
) -> None:
    results: list[dict[str, int]] = []

    async def send(first: int) -> None:
        response = await ingest(ndjson([cdr(i) for i in range(first, first + 400)]), NDJSON)
        results.append(response.json())

    async with anyio.create_task_group() as tasks:
        for first in (1, 101, 201, 301):
            tasks.start_soon(send, first)
    assert sum(r["inserted"] for r in results) == 700 == services.store.count_cdrs()
    assert sum(r["duplicates"] for r in results) == 1600 - 700
