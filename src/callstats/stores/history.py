"""The CDR table's shape before each schema upgrade, for the migrations that replay it.

A fresh data directory runs every migration from the first, so a migration must build
exactly what it built when it was written, whatever `CDR_COLUMNS` says today. Stores take
the earlier shapes from here, and the columns each upgrade added.
"""

from __future__ import annotations

from dataclasses import replace

from callstats.columns import CDR_COLUMNS, YETI_CDR_COLUMNS, Column, Kind

_ADDED = {c.name for c in YETI_CDR_COLUMNS}

# Schema of the first release: SPEC 3.1's core columns, pdd a binary float.
FIRST_CDR_COLUMNS: tuple[Column, ...] = tuple(
    replace(c, kind=Kind.FLOAT, scale=0) if c.name == "pdd" else c
    for c in CDR_COLUMNS if c.name not in _ADDED
)

# Upgrade "yeti CDR fields": these columns appended, in this order; pdd made exact.
YETI_FIELDS_ADDED: tuple[Column, ...] = YETI_CDR_COLUMNS
EXACT_PDD: Column = next(c for c in CDR_COLUMNS if c.name == "pdd")

# pdd as exact milliseconds, from the float an earlier schema kept: the nearest
# millisecond of the double, halves away from zero (both stores compute it alike; the
# upgrade tests hold them to one table of values); values beyond decimal(9, 3), NaN and
# infinities become NULL.
PDD_LIMIT = "999999.9995"

