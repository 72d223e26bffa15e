"""The engine-neutral questions the reports ask the stores.

Reports build these from parsed params; each store answers them in its own dialect with
every value bound. Times are unix microseconds (UTC); buckets are integer arithmetic on
them, so no engine needs time-zone support.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple


class Op(Enum):
    """Every filter operation any endpoint offers (SPEC 4.2 suffixes, SPEC 9.1 JSON:API
    operators). A filter never matches a row whose column is NULL, whatever the op."""

    EQ = "eq"
    NOT_EQ = "not_eq"
    GT = "gt"  # strict
    GTEQ = "gteq"
    LT = "lt"  # strict
    LTEQ = "lteq"
    IN = "in"  # value: a tuple of values
    NOT_IN = "not_in"  # value: a tuple of values
    STARTS_WITH = "starts-with"  # case-sensitive, literal
    ENDS_WITH = "ends-with"  # case-sensitive, literal
    CONTAINS = "contains"  # case-insensitive (Python's str.lower on both sides), literal
    CONTAINS_ANY = "cont_any"  # value: a tuple; CONTAINS for any of them
    IS_NULL = "is-null"  # value: True (IS NULL) or False (IS NOT NULL)


@dataclass(frozen=True)
class Filter:
    column: str
    op: Op
    value: object


@dataclass(frozen=True)
class Side:
    """Origination and termination differ only in these columns (one definition for both)."""

    name: str
    account_column: str
    price_column: str
    last_cdr_only: bool
    # An unanswered CDR's disconnect code on this side: the first of these that is set.
    code_columns: tuple[str, ...]


ORIGINATION = Side("origination", "customer_acc_id", "customer_price", last_cdr_only=True,
                   code_columns=("lega_disconnect_code", "internal_disconnect_code"))
TERMINATION = Side("termination", "vendor_acc_id", "vendor_price", last_cdr_only=False,
                   code_columns=("legb_disconnect_code", "internal_disconnect_code"))


@dataclass(frozen=True)
class Offsets:
    """UTC offsets in force over a query's range: `offsets[i]` (seconds) applies from
    `starts[i]` (unix µs, ascending; starts[0] is ignored) until the next start. One entry
    for UTC or for a zone without transitions in the range."""

    starts: tuple[int, ...] = (0,)
    offsets: tuple[int, ...] = (0,)


@dataclass(frozen=True)
class Buckets:
    """Group by floor((time + offset) / step): `step_us` 60 s … 1 day."""

    step_us: int
    offsets: Offsets = Offsets()


@dataclass(frozen=True)
class TrafficQuery:
    side: Side
    account_id: int
    from_us: int  # inclusive
    to_us: int  # inclusive
    buckets: Buckets
    filters: tuple[Filter, ...] = ()


class TrafficRow(NamedTuple):
    """Exact aggregates of one bucket (`bucket` = local bucket number). A named tuple, not
    a frozen dataclass: a minute report makes one per bucket (~100 for a typical day) and
    a frozen dataclass took ~0.9 µs to build against ~0.3 (docs/performance.md, "Answers
    that grow with the store")."""

    bucket: int
    offset: int  # the UTC offset (seconds) the bucket number was computed with
    total: int
    successful: int
    duration: int  # seconds
    price_micros: int  # the price sum in millionths: exact, and integer arithmetic is fast


@dataclass(frozen=True)
class QualityQuery:
    """Per bucket of a fixed-length UTC grid (`step_us`): counts, NER failures and pdd
    sums; with `percentiles`, pdd nearest-rank percentiles per bucket and overall."""

    side: Side
    account_id: int
    from_us: int  # inclusive
    to_us: int  # inclusive
    step_us: int
    filters: tuple[Filter, ...] = ()
    percentiles: tuple[int, ...] = ()  # e.g. (50, 95, 99)


@dataclass(frozen=True)
class QualityRow:
    bucket: int  # floor(time_start / step)
    total: int
    successful: int
    duration: int  # seconds
    failed: int  # CDRs whose disconnect code is not network-effective (NER)
    pdd_count: int  # CDRs with a pdd
    pdd_millis: int  # their pdd sum, in integer milliseconds
    # Nearest-rank pdd (integer ms) for each of QualityQuery.percentiles; () when not asked,
    # meaningless when pdd_count is 0.
    percentiles: tuple[int, ...] = ()


@dataclass(frozen=True)
class QualityAnswer:
    buckets: list[QualityRow]  # the buckets with calls, ascending
    whole: QualityRow | None = None  # the whole range (zero calls when none)


@dataclass(frozen=True)
class DisconnectCodesQuery:
    side: Side
    account_id: int
    from_us: int  # inclusive
    to_us: int  # inclusive
    filters: tuple[Filter, ...] = ()


@dataclass(frozen=True)
class CodeCount:
    code: int | None  # 200 for answered CDRs; None: no code set
    calls: int


@dataclass(frozen=True)
class ConcurrentQuery:
    side: Side
    account_id: int
    from_us: int
    to_us: int
    buckets: Buckets
    filters: tuple[Filter, ...] = ()


@dataclass(frozen=True)
class ConcurrentRow:
    bucket: int
    offset: int
    calls: int  # sum over nodes of each node's peak within the bucket


@dataclass(frozen=True)
class CurrentCallsQuery:
    account_id: int
    fresh_from_us: int  # a node's snapshot counts if fresh_from ≤ its time ≤ fresh_to
    fresh_to_us: int
    filters: tuple[Filter, ...] = ()


@dataclass(frozen=True)
class PbxQuery:
    """One direction of one client's PBX summary (SPEC 5). `out`: CDRs whose customer_id is
    the client (accounts: customer_acc_id); `in`: vendor_id (accounts: vendor_acc_id)."""

    client_id: int
    direction: str  # "in" or "out"
    from_us: int  # inclusive
    to_us: int  # exclusive
    account_ids: tuple[int, ...] = ()  # empty: every account
    extension_ids: tuple[int, ...] | None = None  # None: no extension filter
    per_call: bool = False  # /calls/stats/: group CDRs into calls by local_tag


@dataclass(frozen=True)
class ExtensionsQuery:
    """The extension ids in one client's CDRs of either direction (SPEC 5 extension), on
    the accounts the caller may use (empty: all; customer_acc_id for out, vendor_acc_id
    for in)."""

    client_id: int
    account_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class ExtensionRow:
    extension_id: int
    first_us: int  # earliest time_start
    last_us: int  # latest time_start
    cdrs: int


PBX_COUNTS = ("answered", "bridged", "bridged_duration", "busy", "duration", "failed",
              "not answered", "rejected", "total", "diverted", "answered elsewhere")


@dataclass(frozen=True)
class SortKey:
    """One column, ascending or descending; ties go by the resource's id in the same
    direction. NULL sorts after every value ascending, before them descending (as
    PostgreSQL, where yeti's lists come from, orders by default)."""

    column: str
    descending: bool = False


@dataclass(frozen=True)
class CdrListQuery:
    """One page of a side's CDRs (SPEC 9.3): `/cdrs` is ORIGINATION (is_last_cdr, by
    customer_acc_id), `/incoming-cdrs` TERMINATION (by vendor_acc_id). `account_ids` are
    the caller's usable accounts (never empty: no account, no query); `filters` name
    stored columns (a `time_start` window included, as the resource's default adds it).
    The answer: the total count of matching rows and the page's rows with `columns`, in
    that order. `limit` None: every row from `offset` (the CSV stream)."""

    side: Side
    account_ids: tuple[int, ...]
    filters: tuple[Filter, ...]
    sort: SortKey
    columns: tuple[str, ...]
    offset: int = 0
    limit: int | None = 50
