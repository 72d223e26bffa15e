"""Bodies for the operator-side HTTP tests: CDRs in every format, snapshot envelopes."""

from __future__ import annotations

import gzip
import io

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

ADMIN = "/api/admin/v1"
NDJSON = {"content-type": "application/x-ndjson"}
CSV = {"content-type": "text/csv"}
PARQUET = {"content-type": "application/vnd.apache.parquet"}


def cdr(id: int, **extra: object) -> dict[str, object]:
    """A minimal valid CDR (SPEC 3.1)."""
    row: dict[str, object] = {"id": id, "time_start": "2024-03-01T10:00:00Z",
                              "duration": id % 3 * 10}
    row.update(extra)
    return row


def ndjson(rows: list[dict[str, object]]) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in rows)


def csv_body(rows: list[dict[str, object]]) -> bytes:
    names = list(rows[0])
    lines = [",".join(names)] + [",".join(str(r.get(n, "")) for n in names) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def parquet_body(rows: list[dict[str, object]], keep: int | None = None) -> bytes:
    """`rows` as Parquet; `keep=0` keeps their columns and types but none of the rows."""
    table = pa.Table.from_pylist(rows)
    sink = io.BytesIO()
    pq.write_table(table if keep is None else table.slice(0, keep), sink)
    return sink.getvalue()


def gz(data: bytes) -> bytes:
    return gzip.compress(data)


def envelope(ts: str, node_id: int = 1, calls: int = 2) -> dict[str, object]:
    """An active-call snapshot (SPEC 3.2) with `calls` calls on account 10."""
    return {"snapshot_timestamp": ts, "node_id": node_id, "calls": [
        {"customer_acc_id": 10, "duration": 5 * i, "local_tag": f"call-{node_id}-{i}"}
        for i in range(calls)
    ]}
