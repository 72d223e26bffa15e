"""SPEC 3.1's yeti CDR fields posted to /api/admin/v1/cdrs in every format land in the store
exactly (every store kind); pdd keeps milliseconds and refuses finer values; rates keep
28 digits with 10 decimals."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import httpx
import orjson
import pytest

from callstats.columns import YETI_CDR_COLUMNS
from callstats.http.services import Services
from callstats.settings import Settings
from tests.support.bodies import ADMIN, CSV, NDJSON, PARQUET, csv_body, gz, ndjson, parquet_body
from tests.support.stores import cdr_value

pytestmark = pytest.mark.anyio

# Every yeti field set, in the text a switch writes.
FIELDS: dict[str, str] = {
    "success": "false", "destination_prefix": "4930", "dialpeer_prefix": "49",
    "lega_disconnect_reason": "OK", "legb_disconnect_reason": "Busy Here",
    "src_name_out": "Zoë", "src_prefix_out": "380441234567", "dst_prefix_out": "4930123456",
    "diversion_in": "sip:b@x", "diversion_out": "sip:c@y", "from_domain": "a.example",
    "to_domain": "b.example", "ruri_domain": "c.example", "orig_call_id": "o-1@a",
    "term_call_id": "t-1@b", "lega_user_agent": "Linphone/5", "legb_user_agent": "FreeSWITCH",
    "sign_term_ip": "203.0.113.7", "destination_initial_interval": "60",
    "destination_next_interval": "30", "dialpeer_initial_interval": "1",
    "dialpeer_next_interval": "6", "auth_orig_transport_protocol_id": "1",
    "auth_orig_port": "5060", "sign_term_port": "5061", "sign_term_transport_protocol_id": "2",
    "destination_initial_rate": "0.0123456789", "destination_next_rate": "0.01",
    "destination_fee": "0.5", "dialpeer_initial_rate": "123456789012345678.0123456789",
    "dialpeer_next_rate": "0.0000000001", "dialpeer_fee": "0",
}
KINDS = {c.name: c.kind.value for c in YETI_CDR_COLUMNS}


def _typed(name: str, text: str) -> object:
    kind = KINDS[name]
    if kind == "bool":
        return text == "true"
    if kind == "int":
        return int(text)
    if kind == "decimal":
        return Decimal(text)
    return text


def _row(cdr_id: int) -> dict[str, object]:
    return {"id": cdr_id, "time_start": "2024-03-01T10:00:00Z", "duration": 60,
            "customer_acc_id": 10, "pdd": "1.234", **FIELDS}


def _json_lines(rows: list[dict[str, object]]) -> bytes:
    """Typed JSON values, decimals as JSON numbers written out exactly."""
    def value(name: str, text: object) -> str:
        if name in KINDS and KINDS[name] == "decimal":
            return str(text)
        return orjson.dumps(_typed(name, str(text)) if name in KINDS else text).decode()

    return b"".join(("{" + ",".join(f'"{k}":{value(k, v)}' for k, v in row.items())
                     + "}\n").encode() for row in rows)


BODIES: dict[str, Callable[[list[dict[str, object]]], tuple[dict[str, str], bytes]]] = {
    "ndjson": lambda rows: (NDJSON, _json_lines(rows)),
    "csv": lambda rows: (CSV, csv_body(rows)),
    "parquet": lambda rows: (PARQUET, parquet_body([{k: _typed(k, v) if k in KINDS else v
                                                     for k, v in r.items()} for r in rows])),
}


@pytest.fixture
def settings(store_settings: Settings) -> Settings:
    return store_settings


async def _post(client: httpx.AsyncClient, headers: dict[str, str], body: bytes,
                admin: dict[str, str]) -> httpx.Response:
    return await client.post(f"{ADMIN}/cdrs", content=body, headers={**admin, **headers})


@pytest.mark.parametrize("gzipped", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("fmt", BODIES)
async def test_every_yeti_field_is_stored_from_every_format(
        fmt: str, gzipped: bool, client: httpx.AsyncClient, services: Services,
        admin_headers: dict[str, str]) -> None:
    headers, body = BODIES[fmt]([_row(1)])
    response = await _post(client, headers, gz(body) if gzipped else body, admin_headers)
    assert response.status_code == 200, response.text
    assert response.json()["inserted"] == 1
    for name, text in FIELDS.items():
        assert cdr_value(services.store, name, 1) == _typed(name, text), name
    assert cdr_value(services.store, "pdd", 1) == Decimal("1.234")


@pytest.mark.parametrize(("column", "value", "message"), [
    ("pdd", "1.2345", "too many decimal places"),
    ("pdd", "1000000", "out of range"),
    ("destination_fee", "0.00000000001", "too many decimal places"),
    ("dialpeer_initial_rate", "1234567890123456789.0", "out of range"),
    ("sign_term_port", "5060.5", "is not an integer"),
    ("success", "maybe", "is not a boolean"),
])
async def test_values_the_columns_cannot_keep_are_refused(
        column: str, value: str, message: str, client: httpx.AsyncClient,
        services: Services, admin_headers: dict[str, str]) -> None:
    headers, body = BODIES["csv"]([_row(1), {**_row(2), column: value}])
    response = await _post(client, headers, body, admin_headers)
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert (error["row"], error["field"]) == (2, column)
    assert message in error["message"]
    assert services.store.count_cdrs() == 0  # all or nothing


async def test_success_defaults_to_answered(client: httpx.AsyncClient, services: Services,
                                            admin_headers: dict[str, str]) -> None:
    rows = [{"id": 1, "time_start": "2024-03-01T10:00:00Z", "duration": 5},
            {"id": 2, "time_start": "2024-03-01T10:00:00Z", "duration": 0}]
    response = await _post(client, NDJSON, ndjson(rows), admin_headers)
    assert response.status_code == 200, response.text
    assert [cdr_value(services.store, "success", i) for i in (1, 2)] == [True, False]
