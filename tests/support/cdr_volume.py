"""Many CDRs quickly, for the tests and benchmarks that need volume (the CSV stream's
memory): numpy columns filling the times, numbers, prices, rates and the texts the lists
show, typed through ingestion's own Arrow conversion."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from callstats.ingest.batches import cdrs_from_table

SECOND = 1_000_000


def cdr_table(rows: int, first_id: int, account: int, start_us: int, span_us: int,
              seed: int = 1) -> pa.Table:
    """`rows` CDRs of one account (both sides), time_start ascending over the span."""
    rng = np.random.default_rng(seed)
    answered = rng.random(rows) < 0.55
    starts = start_us + np.sort(rng.integers(0, span_us, rows))
    duration = np.where(answered, rng.integers(1, 600, rows), 0)
    numbers = rng.integers(10**9, 10**10, rows).astype(str)
    return cdrs_from_table(pa.table({
        "id": np.arange(first_id, first_id + rows),
        "time_start": pa.array(starts).cast(pa.timestamp("us", "UTC")),
        "time_connect": pa.array(starts + 2 * SECOND, mask=~answered).cast(
            pa.timestamp("us", "UTC")),
        "time_end": pa.array(starts + (duration + 2) * SECOND).cast(pa.timestamp("us", "UTC")),
        "duration": duration,
        "customer_acc_id": np.full(rows, account), "vendor_acc_id": np.full(rows, account),
        "customer_price": _cents(rng, rows), "vendor_price": _cents(rng, rows),
        "destination_initial_rate": pa.array(rng.integers(0, 10**6, rows).astype(np.int32)).cast(
            pa.decimal128(28, 10)),
        "destination_initial_interval": np.full(rows, 60),
        "src_name_in": pa.array(np.char.add("caller ", numbers[::-1])),
        "src_prefix_in": pa.array(numbers),
        "dst_prefix_in": pa.array(np.char.add("44", numbers)),
        "dst_prefix_routing": pa.array(np.char.add("44", numbers)),
        "local_tag": pa.array(np.char.add("tag-", np.arange(rows).astype(str))),
        "auth_orig_ip": pa.array(np.full(rows, "192.0.2.10")),
        "lega_disconnect_code": np.where(answered, 200, 486),
        "lega_disconnect_reason": pa.array(np.where(answered, "OK", "Busy Here")),
        "lega_user_agent": pa.array(np.full(rows, "Yealink SIP-T46S 66.85.0.5")),
        "orig_call_id": pa.array(np.char.add(numbers, "@192.0.2.10")),
    }))


def _cents(rng: np.random.Generator, rows: int) -> pa.Array:
    return pa.array(rng.integers(0, 5_000, rows).astype(np.int32)).cast(pa.decimal128(18, 6))
