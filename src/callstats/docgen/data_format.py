"""docs/data-format.md's generated blocks: every stored column (CDRs, snapshot envelopes,
snapshot calls) from `callstats.columns`, the value spellings per kind, the formats the
readers know, the ingestion limits and answers. A column added without its line in
`COLUMN_DOCS` makes the generator fail, and so the docs test."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from callstats.columns import ACTIVE_CALL_KEYS, CDR_COLUMNS, SNAPSHOT_CALL_COLUMNS, Column, Kind
from callstats.docgen.shapes import cell, code
from callstats.ingest import readers
from callstats.ingest.batches import ENVELOPE_COLUMNS
from callstats.ingest.limits import MAX_ERRORS
from callstats.reports.resources import CDR_ATTRIBUTES, CDR_TYPES
from callstats.settings import Settings

# What each column means, one line each. Shared by CDRs and snapshot calls where a name is
# the same field of the switch.
COLUMN_DOCS: dict[str, str] = {
    "id": "The CDR's id at the switch, unique: a stored id makes a row a duplicate",
    "time_start": "When the call attempt started; reports bucket and select by it",
    "time_connect": "When the call was answered; empty when it was not",
    "time_end": "When the call ended",
    "duration": "Answered seconds; more than 0 means the call was answered",
    "customer_id": "The originating customer's id (PBX `out`: the client's calls)",
    "customer_acc_id": "The originating customer's account id: origination reports and "
                       "`/cdrs` select by it",
    "vendor_id": "The terminating vendor's id (PBX `in`: the client's calls)",
    "vendor_acc_id": "The vendor's account id: termination reports and `/incoming-cdrs` "
                     "select by it",
    "is_last_cdr": "Whether this is the last CDR of its call (a rerouted call has one CDR "
                   "per attempt); origination counts only last CDRs",
    "local_tag": "The switch's call identifier, shared by the CDRs of one call; the PBX "
                 "call summary groups by it",
    "src_country_id": "Country id of the source number",
    "dst_country_id": "Country id of the destination number",
    "src_prefix_in": "Source number as received",
    "dst_prefix_in": "Destination number as received",
    "src_prefix_routing": "Source number as routed (after the switch's translations)",
    "dst_prefix_routing": "Destination number as routed (after the switch's translations)",
    "src_name_in": "Caller name as received",
    "auth_orig_ip": "IP address the call came from",
    "customer_price": "What the call costs the customer",
    "vendor_price": "What the call costs at the vendor",
    "customer_duration": "Seconds billed to the customer",
    "vendor_duration": "Seconds billed by the vendor",
    "lega_disconnect_code": "SIP code that ended leg A (towards the customer)",
    "legb_disconnect_code": "SIP code that ended leg B (towards the vendor)",
    "internal_disconnect_code": "The switch's own disconnect code",
    "is_redirected": "The call was diverted (PBX `diverted`)",
    "extension_id": "The PBX extension the call belongs to (PBX `extension_id`)",
    "bridged": "The call was bridged to its other party (PBX `bridged`)",
    "bridged_duration": "Seconds bridged (PBX `bridged_duration`)",
    "answered_elsewhere": "The call was answered by another extension (PBX `answered "
                          "elsewhere`)",
    "pdd": "Post-dial delay, seconds (the quality reports' PDD)",
    "success": "Whether the switch counts the call as successful",
    "destination_prefix": "Prefix of the customer's rate that matched",
    "dialpeer_prefix": "Prefix of the vendor's rate (dialpeer) that matched",
    "lega_disconnect_reason": "Text of the leg A disconnect code",
    "legb_disconnect_reason": "Text of the leg B disconnect code",
    "src_name_out": "Caller name as sent to the vendor",
    "src_prefix_out": "Source number as sent to the vendor",
    "dst_prefix_out": "Destination number as sent to the vendor",
    "diversion_in": "Diversion header as received",
    "diversion_out": "Diversion header as sent to the vendor",
    "from_domain": "Domain of the From header",
    "to_domain": "Domain of the To header",
    "ruri_domain": "Domain of the Request-URI",
    "orig_call_id": "SIP Call-ID of leg A",
    "term_call_id": "SIP Call-ID of leg B",
    "lega_user_agent": "User-Agent of the customer's equipment",
    "legb_user_agent": "User-Agent of the vendor's equipment",
    "sign_term_ip": "Signalling IP address the call was sent to",
    "sign_term_port": "Signalling port the call was sent to",
    "sign_term_transport_protocol_id": "Transport protocol id (the switch's) towards the "
                                       "vendor",
    "destination_initial_interval": "Customer rate: first billing interval, seconds",
    "destination_next_interval": "Customer rate: each next billing interval, seconds",
    "dialpeer_initial_interval": "Vendor rate: first billing interval, seconds",
    "dialpeer_next_interval": "Vendor rate: each next billing interval, seconds",
    "auth_orig_transport_protocol_id": "Transport protocol id (the switch's) the call came "
                                       "over",
    "auth_orig_port": "Port the call came from",
    "destination_initial_rate": "Customer rate per minute of the first interval",
    "destination_next_rate": "Customer rate per minute of the next intervals",
    "destination_fee": "Customer connection fee",
    "dialpeer_initial_rate": "Vendor rate per minute of the first interval",
    "dialpeer_next_rate": "Vendor rate per minute of the next intervals",
    "dialpeer_fee": "Vendor connection fee",
    # snapshot envelopes and calls
    "snapshot_timestamp": "When the switch took the snapshot",
    "node_id": "The switch node the snapshot is of; a node's latest fresh snapshot is live",
    "start_time": "When the call started",
    "connect_time": "When the call was answered; empty while it is not",
    "pai_in": "P-Asserted-Identity header as received",
    "ppi_in": "P-Preferred-Identity header as received",
    "privacy_in": "Privacy header as received",
    "rpid_in": "Remote-Party-ID header as received",
    "rpid_privacy_in": "Privacy of the Remote-Party-ID header as received",
}
SNAPSHOT_DOCS: dict[str, str] = {  # where a snapshot call's field means something else
    "duration": "Seconds the call has lasted at the snapshot",
    "customer_acc_id": "The originating customer's account id: `/outgoing-active-calls` and "
                       "`/origination-active-calls` select by it",
    "vendor_acc_id": "The vendor's account id: `/termination-active-calls` selects by it",
}

# Defaults ingestion derives from other columns (ingest.convert.derive_cdr_defaults).
DERIVED_DEFAULTS: dict[str, str] = {
    "success": "`duration > 0`",
    "bridged": "`duration > 0`",
    "bridged_duration": "`duration` when bridged, else `0`",
}

# How values of each kind may be written, whatever the format carries them.
KIND_SPELLINGS: dict[Kind, tuple[str, str, str]] = {  # (name, accepted, refused)
    Kind.INT: ("integer", "any number whose value is a whole signed 64-bit integer: `7`, "
               "`\"7\"`, `7.0`, `\"7e0\"`", "a fraction, anything beyond −2⁶³…2⁶³−1, "
               "`true`/`false`, other text"),
    Kind.BOOL: ("boolean", "`true`/`false` (JSON booleans, or text in any letter case), "
                "`1`/`0` (numbers or text)", "any other number (`1.0` too) or text"),
    Kind.DEC: ("decimal(p, s)", "numbers or text, read exactly from their digits: at most "
               "`s` digits after the point and `p` in all", "more places than the column "
               "keeps (never rounded), NaN/Infinity, booleans"),
    Kind.TS: ("time", "ISO 8601 / RFC 3339 with `Z` or an offset; `YYYY-MM-DD HH:MM:SS[.ffffff]` "
              "(`T` or space, UTC); a bare date `YYYY-MM-DD` (midnight UTC); unix seconds as a "
              "number or text, fractions kept to the microsecond; typed Parquet timestamps "
              "(without a zone: UTC) and dates", "years outside 1–9999, impossible dates, "
              "booleans, other text"),
    Kind.STR: ("text", "strings exactly as given (no trimming or normalization); a JSON "
               "integer as its digits", "JSON numbers with a fraction or exponent, booleans, "
               "objects, arrays; longer than `CALLSTATS_MAX_STRING_LENGTH` characters"),
    Kind.FLOAT: ("float", "finite numbers, or text spelling one", "NaN, infinities, other "
                 "text"),
}


def type_of(column: Column) -> str:
    if column.kind is Kind.DEC:
        return f"decimal({column.precision}, {column.scale})"
    return KIND_SPELLINGS[column.kind][0]


def missing_value(column: Column) -> str:
    if column.required:
        return "required"
    if column.name in DERIVED_DEFAULTS:
        return DERIVED_DEFAULTS[column.name]
    if column.default is None:
        return "NULL"
    if isinstance(column.default, bool):
        return f"`{str(column.default).lower()}`"
    return f"`{column.default}`"


def checks(column: Column) -> str:
    notes = []
    if column.non_negative:
        notes.append("≥ 0")
    if column.zero_is_null:
        notes.append("`0` means not set (stored as NULL)")
    return "; ".join(notes)


def column_rows(columns: Sequence[Column], shown: Mapping[str, Iterable[str]],
                docs: dict[str, str] | None = None) -> str:
    """A table of `columns`: name, type, missing value, checks, where it is shown, meaning.
    KeyError for a column without a line in COLUMN_DOCS (or `docs`)."""
    lines = ["| column | type | when missing | checks | shown in | meaning |",
             "|---|---|---|---|---|---|"]
    for column in columns:
        meaning = (docs or {}).get(column.name) or COLUMN_DOCS[column.name]
        where = ", ".join(f"`{w}`" for w in shown.get(column.name, ()))
        lines.append(f"| `{column.name}` | {type_of(column)} | {missing_value(column)} | "
                     f"{checks(column)} | {where} | {cell(meaning)} |")
    return "\n".join(lines)


def kinds_block() -> str:
    used = [k for k in Kind if any(c.kind is k for c in
                                   (*CDR_COLUMNS, *SNAPSHOT_CALL_COLUMNS, *ENVELOPE_COLUMNS))]
    lines = ["| type | accepted | refused |", "|---|---|---|"]
    lines += [f"| {KIND_SPELLINGS[k][0]} | {KIND_SPELLINGS[k][1]} | {KIND_SPELLINGS[k][2]} |"
              for k in used]
    return "\n".join(lines)


def cdr_block() -> str:
    shown: dict[str, list[str]] = {}
    for side, names in CDR_ATTRIBUTES.items():
        for name in names:
            shown.setdefault(name, []).append(f"/{CDR_TYPES[side]}")
    return column_rows(CDR_COLUMNS, shown)


def envelope_block() -> str:
    return column_rows(ENVELOPE_COLUMNS, {}) + (
        "\n| `calls` | list of call objects | no calls | | | The calls in progress at "
        "`snapshot_timestamp` (below); `[]` or `null`: none |")


def snapshot_calls_block() -> str:
    listed = set(ACTIVE_CALL_KEYS)
    shown = {c.name: ("/outgoing-active-calls",) for c in SNAPSHOT_CALL_COLUMNS
             if c.name in listed}
    return column_rows(SNAPSHOT_CALL_COLUMNS, shown, SNAPSHOT_DOCS)


FORMAT_NAMES = {readers.Format.NDJSON: "NDJSON: one JSON object per line",
                readers.Format.CSV: "CSV (RFC 4180) with a header row",
                readers.Format.PARQUET: "Parquet"}


def formats_block() -> str:
    by_format: dict[readers.Format, tuple[list[str], list[str]]] = {
        f: ([], []) for f in readers.Format}
    for content_type, fmt in readers._CONTENT_TYPES.items():
        by_format[fmt][0].append(code(content_type))
    for suffix, fmt in readers._SUFFIXES.items():
        by_format[fmt][1].append(code(suffix))
    lines = ["| format | `Content-Type` (HTTP) | file name ends (CLI) |", "|---|---|---|"]
    lines += [f"| {FORMAT_NAMES[fmt]} | {', '.join(types)} | {', '.join(suffixes)} (each "
              "maybe followed by `.gz`) |" for fmt, (types, suffixes) in by_format.items()]
    return "\n".join(lines)


def limits_block() -> str:
    fields = Settings.model_fields
    lines = ["| limit | default | meaning |", "|---|---|---|"]
    for name in ("max_body", "max_string_length"):
        field = fields[name]
        lines.append(f"| `CALLSTATS_{name.upper()}` | `{field.default}` | "
                     f"{cell(field.description or '')} |")
    lines.append(f"| errors listed in one 422 | `{MAX_ERRORS}` | the first ones, those "
                 "without a row first, then by row |")
    return "\n".join(lines)


def answers_block() -> str:
    """The statuses and bodies of the two ingestion routes, from the app's OpenAPI."""
    from callstats.docgen import api
    from callstats.http.app import create_app

    document = create_app().openapi()
    parts = []
    for path in ("/api/admin/v1/cdrs", "/api/admin/v1/active-calls"):
        op = document["paths"][path]["post"]
        parts += [f"`POST {path}`:", "", *api.responses("post", path, op), ""]
    return "\n".join(parts)


def blocks() -> dict[str, str]:
    return {"answers": answers_block(), "kinds": kinds_block(), "cdr-columns": cdr_block(),
            "envelope": envelope_block(), "snapshot-calls": snapshot_calls_block(),
            "formats": formats_block(), "limits": limits_block()}
