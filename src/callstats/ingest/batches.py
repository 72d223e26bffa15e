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
    document_error,
)
from callstats.ingest.jsonpath import Path, path_at
from callstats.ingest.limits import DEFAULT_MAX_STRING
from callstats.ingest.readers import (
    BodyTooLarge,
    Format,
    checked_text,
    columns_from_records,
    json_error,
    maybe_gunzip,
    opens_with_an_object,
    parquet_columns,
    parse_ndjson,
    quote_numbers,
    quoting,
    read_columns,
)
from callstats.ingest.text import describe_byte, line_at

__all__ = ["BatchRejected", "BodyTooLarge", "Format", "SnapshotBatch", "parse_cdrs",
           "parse_snapshots", "SNAPSHOT_TABLE_SCHEMA", "DEFAULT_MAX_STRING"]


def decoded_body(data: bytes, max_body: int) -> bytes:
    """The body as its format reads it: within the size limit as sent and after gzip
    decoding, and not empty (an empty body is a mistake, a document without rows is not:
    a CSV header alone or a Parquet file of no rows is a batch of zero rows)."""
    if len(data) > max_body:
        raise BodyTooLarge()
    data = maybe_gunzip(data, max_body)
    if not data:
        raise BatchRejected([document_error("empty body")])
    return data


def parse_cdrs(data: bytes, fmt: Format, max_body: int,
               max_string: int = DEFAULT_MAX_STRING) -> pa.Table:
    """Typed CDR table in SPEC 3.1 column order; rows keep their input order."""
    raw, n_rows = read_columns(decoded_body(data, max_body), fmt, CDR_COLUMNS)
    return derive_cdr_defaults(convert_table(raw, n_rows, CDR_COLUMNS, max_string))


def cdrs_from_table(raw: pa.Table, max_string: int = DEFAULT_MAX_STRING) -> pa.Table:
    """Typed CDR table from a Parquet file's table (as `parse_cdrs` reads Parquet)."""
    columns, n_rows = parquet_columns(raw, CDR_COLUMNS)
    return derive_cdr_defaults(convert_table(columns, n_rows, CDR_COLUMNS, max_string))


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


def parse_snapshots(data: bytes, fmt: Format, max_body: int,
                    max_string: int = DEFAULT_MAX_STRING) -> SnapshotBatch:
    data = decoded_body(data, max_body)
    if fmt is Format.NDJSON:
        return _snapshots_from_envelopes(_read_envelopes(data), max_string)
    return _snapshots_from_flat_rows(data, fmt, max_string)


_QUOTING = quoting(ENVELOPE_COLUMNS + SNAPSHOT_CALL_COLUMNS)


def _read_envelopes(data: bytes) -> list[dict[str, object]]:
    """One envelope (maybe pretty-printed), a JSON array of them, or NDJSON of them."""
    data = checked_text(data, _envelope_utf8_error)
    read = quote_numbers(data, _QUOTING)
    try:
        whole = orjson.loads(read)
    except orjson.JSONDecodeError as exc:
        if looks_like_ndjson(data):  # its numbers are quoted already (no line added)
            return parse_ndjson(read, None, lambda path: _envelope_field(path, False))
        raise BatchRejected([_document_json_error(read.decode(), exc)]) from None
    if isinstance(whole, dict):
        return [whole]
    if isinstance(whole, list):
        errors = [RowError(i, None, "expected an envelope object")
                  for i, e in enumerate(whole, 1) if not isinstance(e, dict)]
        if errors:
            raise BatchRejected(errors)
        return whole
    raise BatchRejected([RowError(1, None, "expected an envelope object")])


def looks_like_ndjson(data: bytes) -> bool:
    """Whether a body that is not one JSON document is NDJSON (blank lines alone are:
    NDJSON of no envelopes)."""
    return opens_with_an_object(data.split(b"\n")) is not False


def _is_array(text: str) -> bool:
    return text.lstrip().startswith("[")


def _envelope_row(path: Path | None, is_array: bool) -> int | None:
    """The envelope a path points into: the array element, or the one envelope."""
    if not is_array:
        return 1
    return path[0] + 1 if path and isinstance(path[0], int) else None


def _document_json_error(text: str, exc: orjson.JSONDecodeError) -> RowError:
    """An error in a body that is one JSON document: the envelope and field holding it."""
    is_array = _is_array(text)
    row = _envelope_row(path_at(text, min(exc.pos, len(text))), is_array)
    return json_error(row, text, exc, field=lambda path: _envelope_field(path, is_array))


def _envelope_utf8_error(data: bytes, offset: int) -> RowError:
    if looks_like_ndjson(data):
        number, line, at = line_at(data, offset)
        path = path_at(line.decode("utf-8", "replace"), len(line[:at].decode()))
        return RowError(number, _envelope_field(path, False), describe_byte(data, offset))
    text = data.decode("utf-8", "replace")
    path = path_at(text, len(data[:offset].decode()))
    is_array = _is_array(text)
    return RowError(_envelope_row(path, is_array), _envelope_field(path, is_array),
                    describe_byte(data, offset))


def _envelope_field(path: Path | None, is_array: bool) -> str | None:
    """`node_id`, `calls` or `calls[2].duration`: where in its envelope a path points."""
    steps = list(path or ())[1:] if is_array else list(path or ())
    if not steps or not isinstance(steps[0], str):
        return None
    if steps[0] == "calls" and len(steps) > 2 and isinstance(steps[2], str):
        return f"calls[{steps[1]}].{steps[2]}"
    return steps[0]


def _snapshots_from_envelopes(envelopes: list[dict[str, object]],
                              max_string: int) -> SnapshotBatch:
    heads, head_rows = columns_from_records(envelopes, ENVELOPE_COLUMNS)
    errors: list[RowError] = []
    try:
        head = convert_table(heads, head_rows, ENVELOPE_COLUMNS, max_string)
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
        table = convert_table(raw, n_calls, SNAPSHOT_CALL_COLUMNS, max_string)
    except BatchRejected as exc:
        errors += [  # a call's row is its place among all calls: name its envelope
            RowError(owner[e.row - 1][0] + 1, f"calls[{owner[e.row - 1][1]}].{e.field}",
                     e.message)
            for e in exc.errors if e.row is not None
        ]
    if errors or head is None:
        raise BatchRejected(errors)
    nodes = head.column("node_id").to_pylist()
    stamps = pc.cast(head.column("snapshot_timestamp"), pa.int64()).to_pylist()
    keys = list(zip(nodes, stamps, strict=True))
    return _assemble(keys, [i for i, _ in owner], [p for _, p in owner], table)


def _snapshots_from_flat_rows(data: bytes, fmt: Format, max_string: int) -> SnapshotBatch:
    """CSV/Parquet: one row per call, carrying its snapshot's node_id and timestamp.
    Such files cannot express an empty snapshot; NDJSON envelopes can."""
    raw, n_rows = read_columns(data, fmt, ENVELOPE_COLUMNS + SNAPSHOT_CALL_COLUMNS)
    table = convert_table(raw, n_rows, ENVELOPE_COLUMNS + SNAPSHOT_CALL_COLUMNS, max_string)
    nodes = table.column("node_id").to_pylist()
    stamps = pc.cast(table.column("snapshot_timestamp"), pa.int64()).to_pylist()
    index_of: dict[tuple[int, int], int] = {}
    envelope: list[int] = []
    positions: list[int] = []
    sizes: list[int] = []
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
