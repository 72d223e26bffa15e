"""Legs as the JSON a switch's exporter would post: CDRs (SPEC 3.1) and active calls in a
snapshot (SPEC 3.2, seed 004's keys plus the scoping keys)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from callstats.columns import CDR_COLUMNS
from callstats.sim.model import TrafficModel, price_micros
from callstats.sim.vectors import MICROS

CDR_NAMES = tuple(c.name for c in CDR_COLUMNS)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def unix_time_text(micros: int) -> str:
    """UTC wall time with microseconds, the CDR spelling yeti's exports use."""
    return (_EPOCH + timedelta(microseconds=micros)).strftime(TIME_FORMAT)


def money_text(micros: int) -> str:
    return f"{Decimal(micros).scaleb(-6):f}"


def rate_text(micros: int) -> str:
    """A tariff rate as rate decks write it: no trailing zeros, one decimal kept."""
    whole, _, fraction = money_text(micros).partition(".")
    return f"{whole}.{fraction.rstrip('0') or '0'}"


def json_rows(legs: pa.Table) -> list[dict[str, Any]]:
    """Legs as JSON-ready dicts: times as UTC text with microseconds (plus `<name>_us`,
    unix microseconds, to compare with), money as exact decimal text. Column-wise, then
    one conversion to Python."""
    for name in ("time_start", "time_connect", "time_end"):
        column = legs.column(name)
        legs = legs.append_column(f"{name}_us", pc.cast(column, pa.int64()))
        text = pc.strftime(column, format="%Y-%m-%d %H:%M:%S")  # %S carries the micros
        legs = legs.set_column(legs.schema.get_field_index(name), name, text)
    for name in legs.column_names:  # prices and rates: exact decimal text
        if pa.types.is_decimal(legs.schema.field(name).type):
            legs = legs.set_column(legs.schema.get_field_index(name), name,
                                   pc.cast(legs.column(name), pa.string()))
    records: list[dict[str, Any]] = legs.to_pylist()
    return records


def cdr_record(leg: dict[str, Any], cdr_id: int) -> dict[str, Any]:
    """A row of `json_rows` as a SPEC 3.1 CDR."""
    record = {name: leg[name] for name in CDR_NAMES}
    record["id"] = cdr_id
    return record


def _billed(seconds: int, initial: int, increment: int) -> int:
    if seconds <= 0:
        return 0
    return initial + -(-max(seconds - initial, 0) // increment) * increment


def active_call(leg: dict[str, Any], at_micros: int, model: TrafficModel) -> dict[str, Any]:
    """The leg as the switch lists it at `at_micros`: connected seconds and charges so far."""
    connect_us = leg["time_connect_us"]
    connected = connect_us is not None and connect_us <= at_micros
    so_far = (at_micros - connect_us) // MICROS if connected else 0
    initial, increment = leg["sim_initial_interval"], leg["sim_next_interval"]
    billed = _billed(so_far, initial, increment)
    customer_rate, vendor_rate = leg["sim_customer_rate"], leg["sim_vendor_rate"]
    transport, port, _ = model.flow_origin(leg["sim_flow"])
    node_ip = model.node_ip[leg["sim_node_id"]]
    return {
        "start_time": leg["time_start"],
        "connect_time": leg["time_connect"] if connected else None,
        "destination_prefix": leg["sim_rate_prefix"],
        "destination_initial_interval": initial,
        "destination_initial_rate": rate_text(customer_rate),
        "destination_next_interval": increment,
        "destination_next_rate": rate_text(customer_rate),
        "destination_fee": "0.0",
        "src_name_in": leg["src_name_in"],
        "src_prefix_in": leg["src_prefix_in"],
        "dst_prefix_in": leg["dst_prefix_in"],
        "src_prefix_routing": leg["src_prefix_routing"],
        "dst_prefix_routing": leg["dst_prefix_routing"],
        "from_domain": leg["auth_orig_ip"],
        "to_domain": node_ip,
        "ruri_domain": node_ip,
        "diversion_in": leg["sim_diversion_in"],
        "pai_in": f"<sip:+{leg['src_prefix_in']}@{leg['auth_orig_ip']}>",
        "ppi_in": None,
        "privacy_in": None,
        "rpid_in": None,
        "rpid_privacy_in": None,
        "auth_orig_transport_protocol_id": transport,
        "auth_orig_ip": leg["auth_orig_ip"],
        "auth_orig_port": port,
        "customer_id": leg["customer_id"],
        "customer_acc_id": leg["customer_acc_id"],
        "vendor_id": leg["vendor_id"],
        "vendor_acc_id": leg["vendor_acc_id"],
        "src_country_id": leg["src_country_id"],
        "dst_country_id": leg["dst_country_id"],
        "duration": so_far,
        "customer_price": money_text(price_micros(customer_rate, billed)),
        "vendor_price": money_text(price_micros(vendor_rate, so_far)),
        "local_tag": leg["local_tag"],
    }

