"""The hourly PBX sums of the DuckDB store: `/cdr/stats/`'s eleven counts per (direction,
client, account, UTC hour) of the compacted CDRs, so a month's query adds up some
thousand rows instead of classifying every CDR of the client.

Every count of `/cdr/stats/` is a sum over CDRs, so sums of any partition of the picked
CDRs add up to the answer. A query takes the hours lying wholly inside [from, to) from the
sums (an account filter is a key: an account is kept or not), and from raw rows the
compacted CDRs of the cut hours at the range's edges and every CDR of the tail (not yet
compacted, so not yet summed). Compaction appends the moving CDRs' sums in its own
transaction; rows of one key from several compactions add up, so they are read with sum().
An extension filter is not a key: those queries read raw rows.
"""

from __future__ import annotations

from callstats.queries import PBX_COUNTS, PbxQuery
from callstats.stores.report_sql import PBX_CDR_UNIT, PBX_DIRECTIONS, pbx_picked, pbx_totals
from callstats.stores.sql import DUCKDB, INT64, Dialect, Statement, array_of

HOUR_US = 3_600_000_000
DIRECTION_CODES = {"out": 0, "in": 1}
TABLE = "pbx_hours"
KEYS = ("direction", "client_id", "account_id", "hour")
SUMS = tuple(name.replace(" ", "_") for name in PBX_COUNTS)
COLUMNS = ("direction TINYINT NOT NULL, client_id BIGINT NOT NULL, account_id BIGINT, "
           "hour BIGINT NOT NULL, " + ", ".join(f"{name} BIGINT NOT NULL" for name in SUMS))
ORDER = ", ".join(KEYS)
# floor(µs / hour) for every stored time: shifted into the positives first.
_SHIFT = 10**17 // HOUR_US + 1
_HOUR = f"((epoch_us(time_start) + {_SHIFT * HOUR_US}) // {HOUR_US} - {_SHIFT})"


def answers(q: PbxQuery) -> bool:
    """Whether the sums may answer `q`: per CDR and without an extension filter."""
    return not q.per_call and q.extension_ids is None


def facts(source: str) -> str:
    """The sums the CDRs of `source` add, per key, both directions."""
    parts = []
    for direction, (client, account) in PBX_DIRECTIONS.items():
        units = (f"SELECT {DIRECTION_CODES[direction]} AS direction, {client} AS client_id, "
                 f"{account} AS account_id, {_HOUR} AS hour, {PBX_CDR_UNIT} "
                 f"FROM {source} WHERE {client} IS NOT NULL")
        parts.append(pbx_totals(DUCKDB, units, keys=KEYS))
    return " UNION ALL ".join(parts)


def pbx_hours(q: PbxQuery, d: Dialect, tail: tuple[str, ...]) -> Statement:
    """report_sql.pbx_counts' answer for a per-CDR query without an extension filter: the
    whole hours from the sums of the compacted CDRs, the cut hours of the compacted `d.cdrs`
    and all of the `tail` tables' CDRs from raw rows."""
    assert answers(q)
    bind = d.binder()
    first = -(-q.from_us // HOUR_US)  # the first hour starting at or after `from`
    last = max(first, q.to_us // HOUR_US)  # the hours before it end by `to`
    conditions, read = pbx_picked(q, d, bind)
    names = ", ".join(read)
    picked = " AND ".join(conditions)
    outside = (f"(time_start < {d.time_value(bind(first * HOUR_US, INT64))} "
               f"OR time_start >= {d.time_value(bind(last * HOUR_US, INT64))})")
    raw = " UNION ALL ".join([f"SELECT {names} FROM {d.cdrs} WHERE {picked} AND {outside}",
                              *(f"SELECT {names} FROM {t} WHERE {picked}" for t in tail)])
    summed = [f"direction = {bind(DIRECTION_CODES[q.direction], INT64)}",
              f"client_id = {bind(q.client_id, INT64)}",
              f"hour >= {bind(first, INT64)}", f"hour < {bind(last, INT64)}"]
    if q.account_ids:
        summed.append(d.in_array("account_id", bind(list(q.account_ids), array_of(INT64))))
    sums = ", ".join(f"sum({name})" for name in SUMS)
    text = (f"SELECT {sums} FROM (SELECT {', '.join(SUMS)} FROM {TABLE} "
            f"WHERE {' AND '.join(summed)} UNION ALL "
            f"{pbx_totals(d, f'SELECT {PBX_CDR_UNIT} FROM ({raw}) AS picked')}) AS parts")
    return Statement(text, bind.params)
