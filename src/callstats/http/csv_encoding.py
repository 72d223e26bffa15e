"""`Accept: text/csv` on the bucketed reports (SPEC 4.6): a header row of the data keys
(`t` first), then exactly one line per bucket, no totals line."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

CSV_TYPE = "text/csv; charset=utf-8"


def wants_csv(accept: str) -> bool:
    return "text/csv" in accept


def data_as_csv(data: Mapping[str, Sequence[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    keys = list(data)
    writer.writerow(keys)
    for row in zip(*(data[k] for k in keys), strict=True):
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue().encode()
