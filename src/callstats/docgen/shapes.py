"""Markdown helpers for the generated blocks: table cells, code spans, and JSON schemas
written as compact shapes (`{"jwt": string}`)."""

from __future__ import annotations

from collections.abc import Mapping

Schema = Mapping[str, object]
WIDTH = 88


def cell(text: str) -> str:
    """Text fit for one Markdown table cell."""
    return " ".join(text.replace("|", "\\|").split())


def code(text: str) -> str:
    return f"`{text}`"


def _one_line(schema: object) -> str:
    return shape(schema, width=10**9)


def shape(schema: object, indent: int = 0, width: int = WIDTH) -> str:
    """A JSON schema as the shape of the values it admits: objects with their keys
    (`key?` when optional), `[item]` arrays, `a | b` alternatives, scalar type names (with
    their format), `"x"` constants; broken over lines past `width`."""
    if not isinstance(schema, Mapping) or not schema:
        return "…"
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = schema[key]
            assert isinstance(options, list)
            return " | ".join(shape(o, indent, width) for o in options)
    if "enum" in schema:
        values = schema["enum"]
        assert isinstance(values, list)
        return " | ".join(f'"{v}"' if isinstance(v, str) else str(v) for v in values)
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(shape({**schema, "type": k}, indent, width) for k in kind)
    if kind == "array" or "items" in schema:
        return f"[{shape(schema.get('items', {}), indent, width)}]"
    if kind == "object" or "properties" in schema:
        return _object(schema, indent, width)
    if kind is None:
        return "…"
    fmt = schema.get("format")
    if kind == "string" and fmt == "binary":
        return "bytes"
    if kind == "string" and schema.get("pattern") in (r"^-?[0-9]+\.[0-9]+$",
                                                       r"^[0-9]+\.[0-9]+$"):
        return "decimal string"
    if kind == "string" and schema.get("pattern") == r"^-?[0-9]+\.[0-9]{3}$":
        return "decimal string (3 places)"
    return f"{kind} ({fmt})" if isinstance(fmt, str) else str(kind)


def _object(schema: Mapping[str, object], indent: int, width: int) -> str:
    properties = schema.get("properties") or {}
    assert isinstance(properties, Mapping)
    required = set(schema.get("required") or ())  # type: ignore[call-overload]
    extra = schema.get("additionalProperties")
    if not properties:
        if isinstance(extra, Mapping):
            return f"{{<name>: {shape(extra, indent, width)}}}"
        return "{…}"
    keys = [f'"{k}"' + ("" if k in required else "?") for k in properties]
    flat = "{" + ", ".join(f"{k}: {_one_line(v)}" for k, v in
                           zip(keys, properties.values(), strict=True)) + "}"
    if indent + len(flat) <= width:
        return flat
    pad = " " * (indent + 2)
    inner = ",\n".join(f"{pad}{k}: {shape(v, indent + 2, width)}"
                       for k, v in zip(keys, properties.values(), strict=True))
    return "{\n" + inner + "\n" + " " * indent + "}"
