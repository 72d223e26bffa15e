"""The seeded dataset of the reports' differential tests (and of the parity suite): what is
sent, what ingestion stores, and the values the drawn filters pick from."""

from __future__ import annotations

from decimal import Decimal

from tests.support import api_data

SENT_CDRS = api_data.cdrs(seed=7, count=2500)
SENT_SNAPSHOTS = api_data.snapshots(seed=8)
CDRS, SNAPSHOTS = api_data.stored(SENT_CDRS), api_data.stored(SENT_SNAPSHOTS)
CDR_TIMES = sorted({c["time_start"] for c in CDRS})
SNAPSHOT_TIMES = sorted({s["snapshot_timestamp"] for s in SNAPSHOTS})
TEXTS = [t for t in api_data.TEXTS if t]
INTS = sorted({0, 1, 2, 3, 44, 5, 30, 60, 600, 3600, -1, 5060, 8888}
              | {c["duration"] for c in CDRS[:50]})
DECIMALS = sorted({c.get("customer_price", Decimal(0)) for c in CDRS[:40]}
                  | {c.get("vendor_price", Decimal(0)) for c in CDRS[:40]})

# Request spans (seconds) per sampling: inside the point limit, and beyond it.
SPANS = {"minute": [3 * 3600, 60_000 * 60], "5minutes": [86400, 60_000 * 300],
         "hour": [3 * 86400, 60_000 * 3600], "day": [30 * 86400, 60_000 * 86400]}
