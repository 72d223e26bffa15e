"""From an ingestion body to the validated batch a store takes: CDRs (SPEC 3.1) and
active-call snapshots (SPEC 3.2). All or nothing: any bad value rejects the whole batch."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from callstats.columns import CDR_COLUMNS, SNAPSHOT_CALL_COLUMNS, Column, Kind
from callstats.ingest.convert import (
    BatchRejected,
    RowError,
    arrow_schema,
    convert_table,
    derive_cdr_defaults,
)
from callstats.ingest.readers import (
    BodyTooLarge,
    Format,
    columns_from_records,
    exact_keys,
    maybe_gunzip,
    parse_ndjson,
    quote_exact_numbers,
    read_columns,
)

__all__ = ["BatchRejected", "BodyTooLarge", "Format", "SnapshotBatch", "parse_cdrs",
           "parse_snapshots", "SNAPSHOT_TABLE_SCHEMA"]


def parse_cdrs(data: bytes, fmt: Format, max_body: int) -> pa.Table:
    """Typed CDR table in SPEC 3.1 column order; rows keep their input order."""
    if len(data) > max_body:
        raise BodyTooLarge()
    data = maybe_gunzip(data, max_body)
    if not data.strip():
        return arrow_schema(CDR_COLUMNS).empty_table()
    raw, n_rows = read_columns(data, fmt, CDR_COLUMNS)
    return derive_cdr_defaults(convert_table(raw, n_rows, CDR_COLUMNS))


def cdrs_from_table(raw: pa.Table) -> pa.Table:
    """Typed CDR table from a table of a file's own values (as `parse_cdrs` reads Parquet)."""
    names = {c.name for c in CDR_COLUMNS}
    columns = {name: raw.column(name) for name in raw.column_names if name in names}
    return derive_cdr_defaults(convert_table(columns, raw.num_rows, CDR_COLUMNS))


# --- snapshots -------------------------------------------------------------------------

ENVELOPE_COLUMNS: tuple[Column, ...] = (
    Column("snapshot_timestamp", Kind.TS, required=True),
    Column("node_id", Kind.INT, default=0),
)
# A stored call row: which snapshot, its position in it, then the call's own columns.
SNAPSHOT_TABLE_SCHEMA = pa.schema(
    [pa.field("node_id", pa.int64()), pa.field("snapshot_timestamp", pa.timestamp("us", "UTC")),
     pa.field("position", pa.int32())]
)
for _field in arrow_schema(SNAPSHOT_CALL_COLUMNS):
    SNAPSHOT_TABLE_SCHEMA = SNAPSHOT_TABLE_SCHEMA.append(_field)


@dataclass(frozen=True)
class SnapshotBatch:
    # (node_id, snapshot_timestamp as unix microseconds), one per snapshot, input order;
    # a repeated key keeps its last occurrence, as a re-post would.
    snapshots: list[tuple[int, int]]
    calls: pa.Table  # SNAPSHOT_TABLE_SCHEMA rows of the kept snapshots


def parse_snapshots(data: bytes, fmt: Format, max_body: int) -> SnapshotBatch:
    if len(data) > max_body:
        raise BodyTooLarge()
    data = maybe_gunzip(data, max_body)
    if fmt is Format.NDJSON:
        return _snapshots_from_envelopes(_read_envelopes(data))
    return _snapshots_from_flat_rows(data, fmt)


def _read_envelopes(data: bytes) -> list[dict[str, object]]:
    keys = exact_keys(ENVELOPE_COLUMNS + SNAPSHOT_CALL_COLUMNS)
    data = quote_exact_numbers(data, keys)
    try:  # one envelope, possibly pretty-printed, or a JSON array of them
        whole = orjson.loads(data)
    except orjson.JSONDecodeError:
        whole = None
    if isinstance(whole, dict):
        return [whole]
    if isinstance(whole, list) and all(isinstance(e, dict) for e in whole):
        return whole
    return parse_ndjson(data, ())


def _snapshots_from_envelopes(envelopes: list[dict[str, object]]) -> SnapshotBatch:
    heads, head_rows = columns_from_records(envelopes, ENVELOPE_COLUMNS)
    errors: list[RowError] = []
    try:
        head = convert_table(heads, head_rows, ENVELOPE_COLUMNS)
    except BatchRejected as exc:
        errors += exc.errors
        head = None
    calls: list[dict[str, object]] = []
    owner: list[tuple[int, int]] = []  # (envelope index, position) of each call
    for index, envelope in enumerate(envelopes):
        batch = envelope.get("calls", [])
        if batch is None:
            batch = []
        if not isinstance(batch, list) or not all(isinstance(c, dict) for c in batch):
            errors.append(RowError(index + 1, "calls", "expected a list of call objects"))
            continue
        calls += batch
        owner += [(index, position) for position in range(len(batch))]
    try:
        raw, n_calls = columns_from_records(calls, SNAPSHOT_CALL_COLUMNS)
        table = convert_table(raw, n_calls, SNAPSHOT_CALL_COLUMNS)
    except BatchRejected as exc:
        errors += [
            RowError(owner[e.row - 1][0] + 1, f"calls[{owner[e.row - 1][1]}].{e.field}",
                     e.message)
            for e in exc.errors
        ]
    if errors or head is None:
        raise BatchRejected(errors)
    nodes = head.column("node_id").to_pylist()
    stamps = pc.cast(head.column("snapshot_timestamp"), pa.int64()).to_pylist()
    keys = list(zip(nodes, stamps, strict=True))
    return _assemble(keys, [i for i, _ in owner], [p for _, p in owner], table)


def _snapshots_from_flat_rows(data: bytes, fmt: Format) -> SnapshotBatch:
    """CSV/Parquet: one row per call, carrying its snapshot's node_id and timestamp.
    Such files cannot express an empty snapshot; NDJSON envelopes can."""
    raw, n_rows = read_columns(data, fmt, ENVELOPE_COLUMNS + SNAPSHOT_CALL_COLUMNS)
    table = convert_table(raw, n_rows, ENVELOPE_COLUMNS + SNAPSHOT_CALL_COLUMNS)
    nodes = table.column("node_id").to_pylist()
    stamps = pc.cast(table.column("snapshot_timestamp"), pa.int64()).to_pylist()
    index_of: dict[tuple[int, int], int] = {}
    envelope, positions, sizes = [], [], []
    for key in zip(nodes, stamps, strict=True):
        index = index_of.setdefault(key, len(index_of))
        if index == len(sizes):
            sizes.append(0)
        envelope.append(index)
        positions.append(sizes[index])
        sizes[index] += 1
    calls = table.drop_columns(["node_id", "snapshot_timestamp"])
    return _assemble(list(index_of), envelope, positions, calls)


def _assemble(
    keys: list[tuple[int, int]], envelope: list[int], positions: list[int], calls: pa.Table
) -> SnapshotBatch:
    """Attach each call to its snapshot; of snapshots posted twice, the last one wins."""
    last = {key: i for i, key in enumerate(keys)}
    kept = [key for i, key in enumerate(keys) if last[key] == i]
    columns = [
        pa.array([keys[e][0] for e in envelope], pa.int64()),
        pa.array([keys[e][1] for e in envelope], pa.int64()).view(pa.timestamp("us", "UTC")),
        pa.array(positions, pa.int32()),
    ]
    table = pa.Table.from_arrays(columns + list(calls.columns), schema=SNAPSHOT_TABLE_SCHEMA)
    if len(kept) < len(keys):
        table = table.filter(pa.array([last[keys[e]] == e for e in envelope], pa.bool_()))
    return SnapshotBatch(kept, table)
