"""JSON schemas of report bodies: each report definition names its own (OpenAPI and the
schemathesis checks read them)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from callstats.columns import ACTIVE_CALL_KEYS
from callstats.dispositions import CLASSES
from callstats.reports.quality import METRICS

Schema = dict[str, object]
INT_ARRAY: Schema = {"type": "array", "items": {"type": "integer"}}
DECIMAL_TEXT: Schema = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]+$"}
NULLABLE_DECIMAL: Schema = {"anyOf": [DECIMAL_TEXT, {"type": "null"}]}
INTEGER: Schema = {"type": "integer"}


def obj(properties: Mapping[str, Schema], optional: Mapping[str, Schema] | None = None
        ) -> Schema:
    """An object with exactly these keys, and maybe the `optional` ones."""
    return {"type": "object", "properties": dict(properties) | dict(optional or {}),
            "required": list(properties), "additionalProperties": False}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def bucketed(metrics: Mapping[str, Schema], totals: bool) -> Schema:
    """`{"data": {"t": [...], <metric>: [...]}, "rows": N[, "totals": {...}]}`."""
    data = {"t": INT_ARRAY} | {k: array(v) for k, v in metrics.items()}
    body: dict[str, Schema] = {"data": obj(data), "rows": INTEGER}
    if totals:
        body["totals"] = obj({"t": INTEGER} | dict(metrics))
    return obj(body)


TRAFFIC_METRICS: dict[str, Schema] = {
    "total_calls": INTEGER, "successful_calls": INTEGER, "failed_calls": INTEGER,
    "total_duration": DECIMAL_TEXT, "acd": NULLABLE_DECIMAL, "asr": NULLABLE_DECIMAL,
    "total_price": DECIMAL_TEXT}
TRAFFIC = bucketed(TRAFFIC_METRICS, totals=True)
CONCURRENT = bucketed({"calls": INTEGER}, totals=False)

# SPEC 9.4: yeti's quality keys, then the `metrics` a request asks for (in its order).
SECONDS_TEXT: Schema = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{3}$"}
QUALITY_METRICS: dict[str, Schema] = {
    "total_calls": INTEGER, "acd": NULLABLE_DECIMAL, "asr": NULLABLE_DECIMAL,
    "cps": DECIMAL_TEXT}
QUALITY_EXTRAS: dict[str, Schema] = {
    name: NULLABLE_DECIMAL if name == "ner" else nullable(SECONDS_TEXT) for name in METRICS}
QUALITY = obj({
    "data": obj({"t": INT_ARRAY} | {k: array(v) for k, v in QUALITY_METRICS.items()},
                {k: array(v) for k, v in QUALITY_EXTRAS.items()}),
    "rows": INTEGER,
    "totals": obj(QUALITY_METRICS, QUALITY_EXTRAS)})

DISCONNECT_CODES = obj({"data": array(obj({
    "code": nullable(INTEGER),
    "class": {"type": "string", "enum": list(CLASSES)},
    "calls": INTEGER, "share": DECIMAL_TEXT})), "rows": INTEGER})

_INTEGER_KEYS = {"destination_initial_interval", "destination_next_interval",
                 "auth_orig_transport_protocol_id", "auth_orig_port"}
CURRENT_CALLS = obj({
    "data": array(obj({k: nullable(INTEGER if k in _INTEGER_KEYS else {"type": "string"})
                       for k in ACTIVE_CALL_KEYS})),
    "rows": INTEGER})


EXTENSIONS = obj({"data": array(obj({
    "extension_id": INTEGER, "first_call": {"type": "string"}, "last_call": {"type": "string"},
    "cdrs": INTEGER})), "rows": INTEGER})


def counts(keys: Iterable[str]) -> Schema:
    return obj({k: INTEGER for k in keys})


def pbx_summary(keys: Iterable[str]) -> Schema:
    keys = tuple(keys)
    return obj({"in": counts(keys), "out": counts(keys)})
