"""The stored data model (SPEC 3.1, 3.2) declared once, as data.

Ingestion derives parsing and validation from these tables; each store derives its DDL
from them. A column's `kind` is the only type vocabulary both sides share.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    INT = "int"  # 64-bit signed integer
    BOOL = "bool"
    STR = "str"
    TS = "timestamp"  # stored as UTC, microsecond precision
    DEC = "decimal"  # exact: `precision` significant digits, `scale` of them fractional
    FLOAT = "float"  # no column is one today; kept for the schema history (pdd was one)


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = False
    default: object = None  # used when the value is missing; None means NULL
    scale: int = 0  # fractional digits, for DEC
    precision: int = 18  # significant digits, for DEC
    non_negative: bool = False
    zero_is_null: bool = False  # ClickHouse feeds write 0 for "no disconnect code"


def _col(name: str, kind: Kind, **kw: object) -> Column:
    return Column(name, kind, **kw)  # type: ignore[arg-type]


INT, BOOL, STR, TS, DEC, FLOAT = Kind.INT, Kind.BOOL, Kind.STR, Kind.TS, Kind.DEC, Kind.FLOAT

# Rates and fees keep up to 10 fractional digits (switch rate decks use more than 6).
RATE_SCALE = 10
RATE_PRECISION = 28


def _rate(name: str) -> Column:
    return _col(name, DEC, scale=RATE_SCALE, precision=RATE_PRECISION)


# The fields of a yeti CDR row that the CDR lists show (SPEC 9.3), kept since schema
# upgrade "yeti CDR fields". New columns go at the end: stores append them in this order.
YETI_CDR_COLUMNS: tuple[Column, ...] = (
    _col("success", BOOL),  # defaults to duration > 0 (ingest.convert.derive_cdr_defaults)
    *(_col(name, STR) for name in (
        "destination_prefix", "dialpeer_prefix", "lega_disconnect_reason",
        "legb_disconnect_reason", "src_name_out", "src_prefix_out", "dst_prefix_out",
        "diversion_in", "diversion_out", "from_domain", "to_domain", "ruri_domain",
        "orig_call_id", "term_call_id", "lega_user_agent", "legb_user_agent", "sign_term_ip")),
    *(_col(name, INT) for name in (
        "destination_initial_interval", "destination_next_interval",
        "dialpeer_initial_interval", "dialpeer_next_interval",
        "auth_orig_transport_protocol_id", "auth_orig_port", "sign_term_port",
        "sign_term_transport_protocol_id")),
    *(_rate(name) for name in (
        "destination_initial_rate", "destination_next_rate", "destination_fee",
        "dialpeer_initial_rate", "dialpeer_next_rate", "dialpeer_fee")),
)

CDR_COLUMNS: tuple[Column, ...] = (
    _col("id", INT, required=True),
    _col("time_start", TS, required=True),
    _col("time_connect", TS),
    _col("time_end", TS),
    _col("duration", INT, required=True, non_negative=True),
    _col("customer_id", INT),
    _col("customer_acc_id", INT),
    _col("vendor_id", INT),
    _col("vendor_acc_id", INT),
    _col("is_last_cdr", BOOL, default=True),
    _col("local_tag", STR),
    _col("src_country_id", INT),
    _col("dst_country_id", INT),
    _col("src_prefix_in", STR),
    _col("dst_prefix_in", STR),
    _col("src_prefix_routing", STR),
    _col("dst_prefix_routing", STR),
    _col("src_name_in", STR),
    _col("auth_orig_ip", STR),
    _col("customer_price", DEC, default=0, scale=6),
    _col("vendor_price", DEC, default=0, scale=6),
    _col("customer_duration", INT),
    _col("vendor_duration", INT),
    _col("lega_disconnect_code", INT, zero_is_null=True),
    _col("legb_disconnect_code", INT, zero_is_null=True),
    _col("internal_disconnect_code", INT, zero_is_null=True),
    _col("is_redirected", BOOL, default=False),
    _col("extension_id", INT),
    # bridged defaults to duration > 0 and bridged_duration to duration when bridged:
    # derived in ingestion (see ingest.convert.derive_cdr_defaults).
    _col("bridged", BOOL),
    _col("bridged_duration", INT, non_negative=True),
    _col("answered_elsewhere", BOOL, default=False),
    _col("pdd", DEC, scale=3, precision=9),  # seconds, exact to the millisecond
    *YETI_CDR_COLUMNS,
)

# Keys of seed 004's outgoing-active-calls items, in the seed's order. The snapshot envelope
# supplies snapshot_timestamp; the rest are per call.
ACTIVE_CALL_KEYS: tuple[str, ...] = (
    "snapshot_timestamp",
    "start_time",
    "connect_time",
    "destination_prefix",
    "destination_initial_interval",
    "destination_initial_rate",
    "destination_next_interval",
    "destination_next_rate",
    "destination_fee",
    "src_name_in",
    "src_prefix_in",
    "dst_prefix_in",
    "src_prefix_routing",
    "dst_prefix_routing",
    "from_domain",
    "to_domain",
    "ruri_domain",
    "diversion_in",
    "pai_in",
    "ppi_in",
    "privacy_in",
    "rpid_in",
    "rpid_privacy_in",
    "auth_orig_transport_protocol_id",
    "auth_orig_ip",
    "auth_orig_port",
)

_CALL_KINDS: dict[str, Kind] = {
    "start_time": TS,
    "connect_time": TS,
    "destination_initial_interval": INT,
    "destination_next_interval": INT,
    "auth_orig_transport_protocol_id": INT,
    "auth_orig_port": INT,
    "destination_initial_rate": DEC,
    "destination_next_rate": DEC,
    "destination_fee": DEC,
}

SNAPSHOT_CALL_COLUMNS: tuple[Column, ...] = tuple(
    _col(key, _CALL_KINDS.get(key, STR), scale=RATE_SCALE if _CALL_KINDS.get(key) is DEC else 0)
    for key in ACTIVE_CALL_KEYS[1:]
) + (
    _col("customer_id", INT),
    _col("customer_acc_id", INT),
    _col("vendor_id", INT),
    _col("vendor_acc_id", INT),
    _col("src_country_id", INT),
    _col("dst_country_id", INT),
    _col("duration", INT, non_negative=True),
    _col("customer_price", DEC, default=0, scale=6),
    _col("vendor_price", DEC, default=0, scale=6),
    _col("local_tag", STR),
)

CDR_BY_NAME = {c.name: c for c in CDR_COLUMNS}
