"""Attribute types: what a filter value means, which operators apply, how a stored value
is written in a document, and its OpenAPI schema. The operator sets are yeti's
(`RansackFilterBuilder`): the type decides, never the attribute."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from callstats.queries import Op
from callstats.reports import numbers
from callstats.reports.params import DECIMAL as DECIMAL_PARAM
from callstats.reports.params import INTEGER as INTEGER_PARAM
from callstats.reports.params import TIME as TIME_PARAM
from callstats.reports.params import UUID as UUID_PARAM

# The wire operator names (`filter[<attribute>_<op>]`) and what each asks the store.
OPS: dict[str, Op] = {
    "eq": Op.EQ, "not_eq": Op.NOT_EQ, "gt": Op.GT, "gteq": Op.GTEQ, "lt": Op.LT,
    "lteq": Op.LTEQ, "in": Op.IN, "not_in": Op.NOT_IN, "cont": Op.CONTAINS,
    "start": Op.STARTS_WITH, "end": Op.ENDS_WITH, "cont_any": Op.CONTAINS_ANY,
}
LIST_OPS = frozenset({"in", "not_in", "cont_any"})  # comma-separated values
NUMBER_OPS = ("eq", "not_eq", "gt", "gteq", "lt", "lteq", "in", "not_in")
STRING_OPS = ("eq", "not_eq", "cont", "start", "end", "in", "not_in", "cont_any")
BOOLEAN_OPS = ("eq", "not_eq")
UUID_OPS = ("eq", "not_eq", "in", "not_in")
SECOND = 1_000_000


def rails_time(micros: int) -> str:
    """`YYYY-MM-DDTHH:MM:SS.fffZ`, UTC, finer fractions truncated (as Rails encodes)."""
    m = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
    return (f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:"
            f"{m.second:02d}.{m.microsecond // 1000:03d}Z")


def _boolean(text: str) -> bool:
    if text not in ("true", "false", "1", "0"):
        raise ValueError(text)
    return text in ("true", "1")


def _same(value: object) -> object:
    return value


def _decimal_text(value: object) -> str:
    assert isinstance(value, Decimal)
    return numbers.spell(value)


def _time_text(value: object) -> str:
    assert isinstance(value, int)
    return rails_time(value)


@dataclass(frozen=True)
class AttrType:
    name: str  # yeti's filter type (number, datetime, string, boolean, uuid)
    ops: tuple[str, ...]  # the filter operators it offers, in yeti's order
    parse: Callable[[str], object]  # one filter value; ValueError when it is not one
    spell: Callable[[object], object]  # a stored value (never None) as a document writes it
    schema: dict[str, object] = field(default_factory=dict)  # OpenAPI of that JSON value
    filter_schema: dict[str, object] = field(default_factory=dict)  # OpenAPI of a value


_DECIMAL_JSON: dict[str, object] = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]+$"}
_TIME_JSON: dict[str, object] = {
    "type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
                                 r"\.[0-9]{3}Z$"}

INTEGER = AttrType("number", NUMBER_OPS, INTEGER_PARAM.parse, _same, {"type": "integer"},
                   {"type": "integer", "format": "int64"})
DECIMAL = AttrType("number", NUMBER_OPS, DECIMAL_PARAM.parse, _decimal_text, _DECIMAL_JSON,
                   {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"})
DATETIME = AttrType("datetime", NUMBER_OPS, TIME_PARAM.parse, _time_text, _TIME_JSON,
                    {"type": "string", "format": "date-time"})
STRING = AttrType("string", STRING_OPS, str, _same, {"type": "string"}, {"type": "string"})
BOOLEAN = AttrType("boolean", BOOLEAN_OPS, _boolean, _same, {"type": "boolean"},
                   {"type": "string", "enum": ["true", "false", "1", "0"]})
UUID = AttrType("uuid", UUID_OPS, UUID_PARAM.parse, _same, {"type": "string", "format": "uuid"},
                {"type": "string", "format": "uuid"})


def _no_filter(text: str) -> object:
    raise ValueError(text)


def points(y_schema: dict[str, object]) -> AttrType:
    """A chart series, `[{"x": <time>, "y": …}]`: shown, never filtered."""
    point = {"type": "object", "properties": {"x": _TIME_JSON, "y": y_schema},
             "required": ["x", "y"], "additionalProperties": False}
    return AttrType("points", (), _no_filter, _same, {"type": "array", "items": point})
