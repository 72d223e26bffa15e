"""Data directories as the previous schema made them (DuckDB version 3, ClickHouse version
1), written from that release's DDL, verbatim: the schema-upgrade tests open them with
today's stores. Never derive these from today's code."""

from __future__ import annotations

from pathlib import Path

import duckdb

from callstats.stores.clickhouse_transport import Transport

OLD_CDR_COLUMNS = (
    "id BIGINT NOT NULL, time_start TIMESTAMP NOT NULL, time_connect TIMESTAMP, time_end "
    "TIMESTAMP, duration BIGINT NOT NULL, customer_id BIGINT, customer_acc_id BIGINT, "
    "vendor_id BIGINT, vendor_acc_id BIGINT, is_last_cdr BOOLEAN NOT NULL, local_tag VARCHAR, "
    "src_country_id BIGINT, dst_country_id BIGINT, src_prefix_in VARCHAR, dst_prefix_in "
    "VARCHAR, src_prefix_routing VARCHAR, dst_prefix_routing VARCHAR, src_name_in VARCHAR, "
    "auth_orig_ip VARCHAR, customer_price DECIMAL(18, 6) NOT NULL, vendor_price DECIMAL(18, 6) "
    "NOT NULL, customer_duration BIGINT, vendor_duration BIGINT, lega_disconnect_code BIGINT, "
    "legb_disconnect_code BIGINT, internal_disconnect_code BIGINT, is_redirected BOOLEAN NOT "
    "NULL, extension_id BIGINT, bridged BOOLEAN, bridged_duration BIGINT, answered_elsewhere "
    "BOOLEAN NOT NULL, pdd DOUBLE"
)
OLD_CALL_COLUMNS = (
    "start_time TIMESTAMP, connect_time TIMESTAMP, destination_prefix VARCHAR, "
    "destination_initial_interval BIGINT, destination_initial_rate DECIMAL(18, 10), "
    "destination_next_interval BIGINT, destination_next_rate DECIMAL(18, 10), destination_fee "
    "DECIMAL(18, 10), src_name_in VARCHAR, src_prefix_in VARCHAR, dst_prefix_in VARCHAR, "
    "src_prefix_routing VARCHAR, dst_prefix_routing VARCHAR, from_domain VARCHAR, to_domain "
    "VARCHAR, ruri_domain VARCHAR, diversion_in VARCHAR, pai_in VARCHAR, ppi_in VARCHAR, "
    "privacy_in VARCHAR, rpid_in VARCHAR, rpid_privacy_in VARCHAR, "
    "auth_orig_transport_protocol_id BIGINT, auth_orig_ip VARCHAR, auth_orig_port BIGINT, "
    "customer_id BIGINT, customer_acc_id BIGINT, vendor_id BIGINT, vendor_acc_id BIGINT, "
    "src_country_id BIGINT, dst_country_id BIGINT, duration BIGINT, customer_price "
    "DECIMAL(18, 6) NOT NULL, vendor_price DECIMAL(18, 6) NOT NULL, local_tag VARCHAR"
)
DUCKDB_VERSION_3 = [
    "CREATE TABLE schema_version (version INTEGER NOT NULL)",
    f"CREATE TABLE cdrs_recent ({OLD_CDR_COLUMNS})",
    "CREATE TABLE snapshots (node_id BIGINT NOT NULL, snapshot_timestamp TIMESTAMP NOT NULL,"
    " calls INTEGER NOT NULL, PRIMARY KEY (node_id, snapshot_timestamp))",
    "CREATE TABLE snapshot_calls (node_id BIGINT NOT NULL, snapshot_timestamp TIMESTAMP "
    f"NOT NULL, position INTEGER NOT NULL, {OLD_CALL_COLUMNS})",
    "CREATE TABLE ingest_log (logged_at TIMESTAMP NOT NULL DEFAULT now()::TIMESTAMP,"
    " kind VARCHAR NOT NULL, received BIGINT NOT NULL, inserted BIGINT NOT NULL)",
    f"CREATE TABLE cdrs ({OLD_CDR_COLUMNS})",
    f"CREATE TABLE cdrs_merging ({OLD_CDR_COLUMNS})",
    "CREATE OR REPLACE VIEW cdr_rows AS SELECT * FROM cdrs UNION ALL "
    "SELECT * FROM cdrs_merging UNION ALL SELECT * FROM cdrs_recent",
    "INSERT INTO schema_version VALUES (1), (2), (3)",
]


def old_duckdb_file(path: Path,
                    rows: dict[str, list[tuple[int, int, int, int, float | None]]]) -> None:
    """A version-3 DuckDB file; `rows` per CDR table: (id, time_start in unix µs,
    duration, customer_acc_id, pdd) with every other column at its old default."""
    con = duckdb.connect(str(path))
    for statement in DUCKDB_VERSION_3:
        con.execute(statement)
    for table, values in rows.items():
        for row in values:
            con.execute(
                f"INSERT INTO {table} (id, time_start, duration, customer_acc_id, pdd, "
                "is_last_cdr, customer_price, vendor_price, is_redirected, "
                "answered_elsewhere) VALUES (?, make_timestamp(?), ?, ?, ?, true, 0, 0, false, "
                "false)", list(row))
    con.close()


_OLD_CH_CDRS = (
    "id Int64, time_start Int64, time_connect Nullable(Int64), time_end Nullable(Int64), "
    "duration Int64, customer_id Nullable(Int64), customer_acc_id Nullable(Int64), vendor_id "
    "Nullable(Int64), vendor_acc_id Nullable(Int64), is_last_cdr Bool, local_tag "
    "Nullable(String), src_country_id Nullable(Int64), dst_country_id Nullable(Int64), "
    "src_prefix_in Nullable(String), dst_prefix_in Nullable(String), src_prefix_routing "
    "Nullable(String), dst_prefix_routing Nullable(String), src_name_in Nullable(String), "
    "auth_orig_ip Nullable(String), customer_price Decimal(18, 6), vendor_price Decimal(18, "
    "6), customer_duration Nullable(Int64), vendor_duration Nullable(Int64), "
    "lega_disconnect_code Nullable(Int64), legb_disconnect_code Nullable(Int64), "
    "internal_disconnect_code Nullable(Int64), is_redirected Bool, extension_id "
    "Nullable(Int64), bridged Nullable(Bool), bridged_duration Nullable(Int64), "
    "answered_elsewhere Bool, pdd Nullable(Float64), INDEX id_range id TYPE minmax "
    "GRANULARITY 1"
)
_OLD_CH_CALLS = (
    "node_id Int64, snapshot_timestamp Int64, version UInt64, position Int32, start_time "
    "Nullable(Int64), connect_time Nullable(Int64), destination_prefix Nullable(String), "
    "destination_initial_interval Nullable(Int64), destination_initial_rate "
    "Nullable(Decimal(18, 10)), destination_next_interval Nullable(Int64), "
    "destination_next_rate Nullable(Decimal(18, 10)), destination_fee Nullable(Decimal(18, "
    "10)), src_name_in Nullable(String), src_prefix_in Nullable(String), dst_prefix_in "
    "Nullable(String), src_prefix_routing Nullable(String), dst_prefix_routing "
    "Nullable(String), from_domain Nullable(String), to_domain Nullable(String), ruri_domain "
    "Nullable(String), diversion_in Nullable(String), pai_in Nullable(String), ppi_in "
    "Nullable(String), privacy_in Nullable(String), rpid_in Nullable(String), "
    "rpid_privacy_in Nullable(String), auth_orig_transport_protocol_id Nullable(Int64), "
    "auth_orig_ip Nullable(String), auth_orig_port Nullable(Int64), customer_id "
    "Nullable(Int64), customer_acc_id Nullable(Int64), vendor_id Nullable(Int64), "
    "vendor_acc_id Nullable(Int64), src_country_id Nullable(Int64), dst_country_id "
    "Nullable(Int64), duration Nullable(Int64), customer_price Decimal(18, 6), vendor_price "
    "Decimal(18, 6), local_tag Nullable(String)"
)
_MONTH = "PARTITION BY toYYYYMM(fromUnixTimestamp64Micro({c}))"
_NULLABLE_KEYS = "SETTINGS allow_nullable_key = 1"


def clickhouse_version_1(db: str) -> list[str]:
    return [
        f"CREATE DATABASE IF NOT EXISTS {db}",
        f"CREATE TABLE IF NOT EXISTS {db}.schema_version (version UInt32, applied_at DateTime "
        f"DEFAULT now()) ENGINE = MergeTree ORDER BY (version) {_NULLABLE_KEYS}",
        f"CREATE TABLE IF NOT EXISTS {db}.cdrs ({_OLD_CH_CDRS}) ENGINE = MergeTree "
        f"{_MONTH.format(c='time_start')} ORDER BY (customer_acc_id, time_start) "
        f"{_NULLABLE_KEYS}",
        f"CREATE TABLE IF NOT EXISTS {db}.snapshots (node_id Int64, snapshot_timestamp Int64, "
        f"version UInt64, calls UInt32) ENGINE = MergeTree "
        f"{_MONTH.format(c='snapshot_timestamp')} ORDER BY (snapshot_timestamp, node_id) "
        f"{_NULLABLE_KEYS}",
        f"CREATE TABLE IF NOT EXISTS {db}.snapshot_calls ({_OLD_CH_CALLS}) ENGINE = MergeTree "
        f"{_MONTH.format(c='snapshot_timestamp')} ORDER BY (customer_acc_id, "
        f"snapshot_timestamp) {_NULLABLE_KEYS}",
        f"INSERT INTO {db}.schema_version (version) VALUES (1)",
    ]


def old_clickhouse_database(db: Transport, database: str,
                            rows: list[tuple[int, int, int, int, float | None]]) -> None:
    """A version-1 ClickHouse database; rows as for `old_duckdb_file`, the time in µs."""
    for statement in clickhouse_version_1(database):
        db.command(statement)
    values = ", ".join(
        f"({i}, {ts}, {d}, {a}, {'NULL' if pdd is None else repr(pdd)}, true, 0, 0, false, false)"
        for i, ts, d, a, pdd in rows)
    db.command(f"INSERT INTO {database}.cdrs (id, time_start, duration, customer_acc_id, pdd, "
               f"is_last_cdr, customer_price, vendor_price, is_redirected, answered_elsewhere) "
               f"VALUES {values}")
