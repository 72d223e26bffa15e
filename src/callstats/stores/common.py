"""Engine-neutral pieces of the stores' SQL: which columns a filter may name, and how a
filter value is brought to a column's scale so every engine answers alike."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from callstats.columns import CDR_COLUMNS, SNAPSHOT_CALL_COLUMNS, Kind
from callstats.queries import Op

DAY_US = 86_400_000_000
CDR_NAMES = frozenset(c.name for c in CDR_COLUMNS)
CALL_NAMES = frozenset(c.name for c in SNAPSHOT_CALL_COLUMNS)
# PBX directions (SPEC 5): the client column and the account column of each.
PBX_DIRECTIONS = {"out": ("customer_id", "customer_acc_id"), "in": ("vendor_id", "vendor_acc_id")}
# Disconnect codes the PBX summary names; any other code (or none) is "failed".
BUSY_CODES, NOT_ANSWERED_CODES, REJECTED_CODES = (486, 600), (408, 480, 487), (603, 607)
KNOWN_CODES = BUSY_CODES + REJECTED_CODES + NOT_ANSWERED_CODES

DECIMAL_SCALES = {c.name: c.scale for c in (*CDR_COLUMNS, *SNAPSHOT_CALL_COLUMNS)
                  if c.kind is Kind.DEC}
_BOUND = Decimal(10) ** 18  # beyond every DECIMAL(18, s) value


def at_scale(op: Op, value: Decimal, scale: int) -> Decimal | None:
    """A filter value with the column's scale and the same answer for every stored value
    (None: `=` can never hold). DuckDB binds a Decimal of over 38 digits as a DOUBLE
    (inexact), and one with a larger scale than the column makes the comparison cast the
    column into a type its values may not fit; stored values are multiples of 10^-scale,
    so rounding `>` bounds down and `<` bounds up, and clamping to ±10^18, keeps answers."""
    quantum = Decimal(1).scaleb(-scale)
    bounded = min(max(value, -_BOUND), _BOUND)
    if op is Op.GT:
        return bounded.quantize(quantum, ROUND_FLOOR)
    if op is Op.LT:
        return bounded.quantize(quantum, ROUND_CEILING)
    exact = bounded.quantize(quantum, ROUND_FLOOR)
    return exact if exact == value else None


