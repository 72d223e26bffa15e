"""Report params declared as data, and the one parser that reads any table of them.

A `Param` names the query-string key, the stored column, the operation and the value
type; a report is a tuple of them. Parsing, validation, the store filters and the
OpenAPI parameter list are all derived from that tuple.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from zoneinfo import ZoneInfo

from callstats.queries import Filter, Op
from callstats.timeparse import parse_iso_micros
from callstats.timezones import canonical_zone


class BadParams(Exception):
    """400 with `{"error": message}`."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Role(Enum):
    """What a param does besides filtering a column."""

    FILTER = "filter"
    ACCOUNT = "account"
    FROM = "from"
    TO = "to"
    SAMPLING = "sampling"
    TIME_ZONE = "time-zone"
    EXTENSIONS = "extensions"
    METRICS = "metrics"


@dataclass(frozen=True)
class ValueType:
    name: str  # OpenAPI type
    parse: Callable[[str], object]  # raises ValueError when invalid
    fmt: str | None = None  # OpenAPI format
    enum: tuple[str, ...] = ()
    pattern: str | None = None  # OpenAPI pattern (a regular expression the value matches)


_INT = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
INT64 = 2**63


def _int(text: str) -> int:
    if not _INT.fullmatch(text) or len(text) > 20:
        raise ValueError(text)
    value = int(text)
    if not -INT64 <= value < INT64:
        raise ValueError(text)
    return value


def _decimal(text: str) -> Decimal:
    if not _DECIMAL.fullmatch(text) or len(text) > 40:
        raise ValueError(text)
    return Decimal(text)


def _time(text: str) -> int:
    # ASCII only: Python's \d also matches other scripts' digits ("２０２４-03-01").
    micros = parse_iso_micros(text) if text.isascii() else None
    if micros is None:
        raise ValueError(text)
    return micros


def _uuid(text: str) -> str:
    if not _UUID.fullmatch(text):
        raise ValueError(text)
    return str(uuid.UUID(text))


def _bool(text: str) -> bool:
    if text not in ("true", "false"):
        raise ValueError(text)
    return text == "true"


def _zone(text: str) -> ZoneInfo:
    return canonical_zone(text)


def _choice(*names: str) -> ValueType:
    def parse(text: str) -> str:
        if text not in names:
            raise ValueError(text)
        return text

    return ValueType("string", parse, enum=names)


INTEGER = ValueType("integer", _int, "int64")
DECIMAL = ValueType("string", _decimal, "decimal")
TIME = ValueType("string", _time, "date-time")
UUID = ValueType("string", _uuid, "uuid")
TEXT = ValueType("string", str)
BOOLEAN = ValueType("string", _bool, enum=("true", "false"))
ZONE = ValueType("string", _zone, "iana-time-zone")
SAMPLINGS = ("minute", "5minutes", "hour", "day", "week", "month")
SAMPLING = _choice(*SAMPLINGS)


def _int_list(text: str) -> tuple[int, ...]:
    return tuple(_int(item) for item in text.split(","))


INTEGER_LIST = ValueType("array", _int_list, "int64")
SERIES_SAMPLING = _choice("minute", "5minutes", "hour", "day")
QUALITY_SAMPLING = _choice("minute", "5minutes", "15minutes")


def names_of(*names: str) -> ValueType:
    """A comma-separated selection of `names`, each at most once, in the order sent."""
    assert all(re.fullmatch(r"[a-z0-9-]+", n) for n in names), names

    def parse(text: str) -> tuple[str, ...]:
        chosen = tuple(text.split(","))
        if not set(chosen) <= set(names) or len(set(chosen)) != len(chosen):
            raise ValueError(text)
        return chosen

    name = "|".join(names)  # plain words and dashes: nothing to escape
    return ValueType("string", parse, "comma-separated", pattern=f"^({name})(,({name}))*$")


@dataclass(frozen=True)
class Param:
    name: str
    type: ValueType
    column: str | None = None
    op: Op = Op.EQ
    role: Role = Role.FILTER
    required: bool = False
    doc: str = ""
    default: object = None
    aliases: tuple[str, ...] = ()  # other spellings of the key, e.g. "extension_id[]"
    repeatable: bool = False  # values of every occurrence (and comma lists) are joined


def text_filters(prefix: str, column: str) -> tuple[Param, ...]:
    """`<prefix>-eq`, `-starts-with`, `-ends-with`, `-contains` on a text column."""
    ops = (Op.EQ, Op.STARTS_WITH, Op.ENDS_WITH, Op.CONTAINS)
    return tuple(Param(f"{prefix}-{op.value}", TEXT, column, op, doc=_doc(column, op))
                 for op in ops)


def compare_filters(prefix: str, column: str, value_type: ValueType) -> tuple[Param, ...]:
    """`<prefix>-eq`, `-gt`, `-lt` on a numeric column."""
    return tuple(Param(f"{prefix}-{op.value}", value_type, column, op, doc=_doc(column, op))
                 for op in (Op.EQ, Op.GT, Op.LT))


def _doc(column: str, op: Op) -> str:
    return {
        Op.EQ: f"{column} equals the value",
        Op.STARTS_WITH: f"{column} starts with the value (case-sensitive, literal)",
        Op.ENDS_WITH: f"{column} ends with the value (case-sensitive, literal)",
        Op.CONTAINS: f"{column} contains the value (case-insensitive, literal)",
        Op.GT: f"{column} is greater than the value",
        Op.LT: f"{column} is less than the value",
    }[op]


@dataclass(frozen=True)
class Parsed:
    """A request's params, read through their roles (never their wire names): the
    account resolved within the caller's tenancy, times in µs, the zone, the filters."""

    values: dict[str, object]  # by param name, present params only (+ defaults)
    filters: tuple[Filter, ...]
    roles: dict[Role, object] = field(default_factory=dict)  # non-filter params by role

    def has(self, role: Role) -> bool:
        return role in self.roles

    def time(self, role: Role) -> int | None:
        """A time param (FROM, TO) in unix µs, None when absent."""
        value = self.roles.get(role)
        assert value is None or isinstance(value, int)
        return value

    def text(self, role: Role) -> str | None:
        value = self.roles.get(role)
        assert value is None or isinstance(value, str)
        return value

    def zone(self) -> ZoneInfo | None:
        value = self.roles.get(Role.TIME_ZONE)
        assert value is None or isinstance(value, ZoneInfo)
        return value

    def account_id(self) -> int:
        """The account the request names, as its tenancy check resolved it."""
        value = self.roles[Role.ACCOUNT]
        assert isinstance(value, int)
        return value

    def ints(self, role: Role) -> tuple[int, ...] | None:
        value = self.roles.get(role)
        assert value is None or isinstance(value, tuple)
        return value

    def names(self, role: Role) -> tuple[str, ...]:
        """A selection of names (e.g. METRICS) in the order sent; () when absent."""
        value = self.roles.get(role, ())
        assert isinstance(value, tuple)
        return value


Check = Callable[[object], object]


def parse_params(
    params: Sequence[Param],
    query: Mapping[str, list[str]],
    checks: Mapping[Role, Check] | None = None,
) -> Parsed:
    """Read a query string against a param table, with SPEC 4.2's error precedence:
    every missing required param (in table order), then the first invalid one. `checks`
    add meaning beyond syntax by role (the account must be one the caller may use; the
    check returns what the role stands for, e.g. the account id), raising ValueError."""
    checks = checks or {}
    present: dict[str, list[str]] = {}
    for param in params:
        raw = [v for key in (param.name, *param.aliases) for v in query.get(key, [])]
        if param.repeatable and raw:
            raw = [",".join(raw)] if any(raw) else [""]
        if len(raw) == 1 and raw[0] == "" and not param.required:
            continue  # an empty optional value, as HTML forms send, is absent
        if raw:
            present[param.name] = raw
    missing = [p.name for p in params if p.required and p.name not in present]
    if missing:
        raise BadParams(f"missing required param(s) {', '.join(missing)}")
    values: dict[str, object] = {}
    roles: dict[Role, object] = {}
    filters: list[Filter] = []
    for param in params:
        sent = present.get(param.name)
        if sent is None:
            if param.default is not None:
                values[param.name] = roles[param.role] = param.default
            continue
        if len(sent) != 1:
            raise BadParams(f"invalid value {param.name}")
        try:
            value = param.type.parse(sent[0])
            if param.role in checks:
                value = checks[param.role](value)
        except ValueError:
            raise BadParams(f"invalid value {param.name}") from None
        values[param.name] = value
        if param.role is Role.FILTER:
            assert param.column is not None, param.name
            filters.append(Filter(param.column, param.op, value))
        else:
            roles[param.role] = value
    return Parsed(values, tuple(filters), roles)
