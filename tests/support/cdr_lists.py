"""The CDR lists (SPEC 9.3) in plain Python: hypothesis strategies for CDR rows that fill
every column the lists show (values chosen so filters and sorts hit ties, NULLs, quotes,
commas, case and non-ASCII), the stored form ingestion keeps, and the reference answer of
a list request (JSON document or CSV text), written from the SPEC, not from callstats."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import quote_plus

from hypothesis import strategies as st

from callstats.columns import CDR_BY_NAME, Kind
from callstats.reports.resources import CDR_ATTRIBUTES, CDR_TYPES
from tests.support.api_data import TEXTS
from tests.support.times import SECOND, iso

BASE = "http://testserver/api/rest/customer/v1"
DAY = 86_400 * SECOND
SIDES = {"cdrs": ("origination", "customer_acc_id"),
         "incoming-cdrs": ("termination", "vendor_acc_id")}
LIST_OPS = ("in", "not_in", "cont_any")
NUMBER_OPS = ("eq", "not_eq", "gt", "gteq", "lt", "lteq", "in", "not_in")
OPS_BY_KIND = {Kind.INT: NUMBER_OPS, Kind.DEC: NUMBER_OPS, Kind.TS: NUMBER_OPS,
               Kind.STR: ("eq", "not_eq", "cont", "start", "end", "in", "not_in", "cont_any"),
               Kind.BOOL: ("eq", "not_eq")}

INTS = [0, 1, 2, 30, 60, 5060, -1, 3600, 486]
CODES = [0, 200, 404, 486, 503]
DURATIONS = [0, 0, 1, 2, 30, 60, 61, 3600]
RATES = [Decimal(t) for t in ("0", "0.05", "2.3", "2.30", "0.0000000001", "123.456", "10",
                              "-1.5", "0.0000001")]
PRICES = [Decimal(t) for t in ("0", "0.005", "1.5", "0.000001", "12.34", "-0.25")]
STRINGS = [t for t in TEXTS if t] + ["a,b", 'x"y', "line\nbreak", "A", "a"]


def shown_columns(type_name: str) -> tuple[str, ...]:
    side = SIDES[type_name][0]
    return CDR_ATTRIBUTES[side]


ALL_COLUMNS = sorted({c for side in CDR_ATTRIBUTES.values() for c in side})


@st.composite
def cdr_rows(draw: st.DrawFn, first_id: int, accounts: Sequence[int | None], now: int,
             max_size: int = 30) -> list[dict[str, object]]:
    """CDRs as sent (µs times, Decimals; None or absent: missing) on `accounts`, starting
    around `now` − 2 days … `now` + 1 h, many at shared instants."""
    count = draw(st.integers(0, max_size))
    instants = draw(st.lists(st.integers(now - 2 * DAY, now + 3600 * SECOND), min_size=1,
                             max_size=8))
    rows = []
    for i in range(count):
        start = draw(st.one_of(st.sampled_from(instants),
                               st.integers(now - 2 * DAY, now + 3600 * SECOND)))
        row: dict[str, object] = {
            "id": first_id + i,
            "time_start": start,
            "duration": draw(st.sampled_from(DURATIONS)),
            "customer_acc_id": draw(st.sampled_from(accounts)),
            "vendor_acc_id": draw(st.sampled_from(accounts)),
            "is_last_cdr": draw(st.sampled_from([True, True, False, None])),
        }
        for name in ALL_COLUMNS:
            if name in row or name == "time_start":
                continue
            row[name] = draw(_value(name, start))
        rows.append({k: v for k, v in row.items() if v is not None})
    return rows


def _value(name: str, start: int) -> st.SearchStrategy[object]:
    column = CDR_BY_NAME[name]
    none = st.none()
    if column.kind is Kind.TS:
        return st.one_of(none, st.integers(0, 4000 * SECOND).map(lambda d: start + d))
    if column.kind is Kind.INT:
        return st.one_of(none, st.sampled_from(CODES if "disconnect_code" in name else INTS))
    if column.kind is Kind.DEC:
        return st.one_of(none, st.sampled_from(PRICES if column.scale == 6 else RATES))
    if column.kind is Kind.BOOL:
        return st.sampled_from([None, True, False])
    return st.one_of(none, st.sampled_from(STRINGS + [""]))


def stored(row: dict[str, object]) -> dict[str, object]:
    """What ingestion keeps (SPEC 3.1): missing prices 0, is_last_cdr true, success
    duration > 0; an empty text and a disconnect code 0 are no value."""
    kept = {k: v for k, v in row.items() if v != ""}
    for code in ("lega_disconnect_code", "legb_disconnect_code"):
        if kept.get(code) == 0:
            del kept[code]
    kept.setdefault("customer_price", Decimal(0))
    kept.setdefault("vendor_price", Decimal(0))
    kept.setdefault("is_last_cdr", True)
    kept.setdefault("success", kept["duration"] > 0)  # type: ignore[operator]
    return kept


# --- the reference -----------------------------------------------------------------------

@dataclass(frozen=True)
class Condition:
    column: str
    op: str
    value: object  # parsed: int µs, int, Decimal, str, bool, or a tuple for list ops


def rails(micros: int) -> str:
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
    return (f"{moment.year:04d}-" + moment.strftime("%m-%dT%H:%M:%S")
            + f".{moment.microsecond // 1000:03d}Z")


def decimal_text(value: Decimal) -> str:
    text = format(value, "f")
    if "." not in text:
        return text + ".0"
    whole, fraction = text.split(".")
    return f"{whole}.{fraction.rstrip('0') or '0'}"


def spelled(name: str, value: object) -> object:
    if value is None:
        return None
    kind = CDR_BY_NAME[name].kind
    if kind is Kind.TS:
        assert isinstance(value, int)
        return rails(value)
    if kind is Kind.DEC:
        assert isinstance(value, Decimal)
        return decimal_text(value)
    return value


def holds(value: object, c: Condition) -> bool:
    if value is None:
        return False  # a NULL matches no filter, not_eq and not_in included
    v, x = value, c.value
    tests = {
        "eq": lambda: v == x, "not_eq": lambda: v != x, "gt": lambda: v > x,  # type: ignore[operator]
        "gteq": lambda: v >= x, "lt": lambda: v < x, "lteq": lambda: v <= x,  # type: ignore[operator]
        "in": lambda: v in x, "not_in": lambda: v not in x,  # type: ignore[operator]
        "cont": lambda: x.lower() in v.lower(),  # type: ignore[attr-defined]
        "start": lambda: v.startswith(x), "end": lambda: v.endswith(x),  # type: ignore[attr-defined]
        "cont_any": lambda: any(n.lower() in v.lower() for n in x),  # type: ignore[attr-defined, union-attr]
    }
    return bool(tests[c.op]())


def selected(rows: Sequence[dict[str, object]], type_name: str, accounts: dict[int, str],
             conditions: Sequence[Condition], sort: tuple[str, bool], now: int
             ) -> list[dict[str, object]]:
    """The list's rows in order: the side's rows on the caller's accounts (origination:
    last CDRs), every condition, the 24 h default window, sorted with NULL last ascending
    (first descending), ties by id alike."""
    _, account_column = SIDES[type_name]
    windowed = any(c.column == "time_start" and c.op in ("gt", "gteq", "eq")
                   for c in conditions)
    picked = []
    for row in rows:
        if row.get(account_column) not in accounts:
            continue
        if type_name == "cdrs" and not row["is_last_cdr"]:
            continue
        if not windowed and row["time_start"] < now - DAY:  # type: ignore[operator]
            continue
        if all(holds(row.get(c.column), c) for c in conditions):
            picked.append(row)
    column, descending = sort

    def key(row: dict[str, object]) -> tuple[object, ...]:
        value = row.get(column)
        return (value is None, value if value is not None else 0, row["id"])

    return sorted(picked, key=key, reverse=descending)


def item(row: dict[str, object], type_name: str, accounts: dict[int, str],
         fields: Sequence[str] | None) -> dict[str, object]:
    names = list(shown_columns(type_name)) + ["rec"] if fields is None else list(fields)
    attributes = {n.replace("_", "-"): (False if n == "rec" else spelled(n, row.get(n)))
                  for n in names}
    account = accounts[row[SIDES[type_name][1]]]  # type: ignore[index]
    return {"id": str(row["id"]), "type": type_name,
            "links": {"self": f"{BASE}/{type_name}/{row['id']}"},
            "attributes": attributes,
            "relationships": {"account": {"data": {"type": "accounts", "id": account}}}}


def link(type_name: str, params: Sequence[tuple[str, str]], number: int, size: int) -> str:
    pairs = [*params, ("page[number]", str(number)), ("page[size]", str(size))]
    query = sorted(f"{quote_plus(k, safe='')}={quote_plus(v, safe='')}" for k, v in pairs)
    return f"{BASE}/{type_name}?{'&'.join(query)}"


def document(rows: list[dict[str, object]], type_name: str, accounts: dict[int, str],
             fields: Sequence[str] | None, number: int, size: int,
             link_params: Sequence[tuple[str, str]]) -> dict[str, object]:
    total = len(rows)
    page = rows[(number - 1) * size:number * size]
    last = max(1, -(-total // size))
    links = {"first": link(type_name, link_params, 1, size)}
    if number > 1:
        links["prev"] = link(type_name, link_params, number - 1, size)
    if number < last:
        links["next"] = link(type_name, link_params, number + 1, size)
    links["last"] = link(type_name, link_params, last, size)
    return {"data": [item(r, type_name, accounts, fields) for r in page],
            "meta": {"total-count": total}, "links": links}


def csv_text(rows: list[dict[str, object]], type_name: str,
             fields: Sequence[str] | None) -> bytes:
    names = list(shown_columns(type_name)) + ["rec"] if fields is None else list(fields)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["id", *(n.replace("_", "-") for n in names)])
    for row in rows:
        cells: list[object] = [row["id"]]
        for n in names:
            value = False if n == "rec" else spelled(n, row.get(n))
            cells.append("" if value is None else
                         ("true" if value else "false") if isinstance(value, bool) else value)
        writer.writerow(cells)
    return out.getvalue().encode()


# --- drawn requests ----------------------------------------------------------------------

def filter_text(kind: Kind, op: str, values: Sequence[object]) -> str:
    texts = [_text(kind, v) for v in values]
    if op not in LIST_OPS:
        return texts[0]
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(texts)  # quotes a CR or LF too
    return out.getvalue().removesuffix("\r\n")


def _text(kind: Kind, value: object) -> str:
    if kind is Kind.TS:
        assert isinstance(value, int)
        return iso(value)
    if kind is Kind.BOOL:
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def spelled_name(draw: st.DrawFn, name: str) -> str:
    """snake_case, yeti-client's camelCase or dasherized: one filter."""
    style = draw(st.sampled_from(["snake", "snake", "camel", "dash"]))
    if style == "camel":
        head, *rest = name.split("_")
        return head + "".join(p.capitalize() for p in rest)
    return name.replace("_", "-") if style == "dash" else name


@st.composite
def conditions(draw: st.DrawFn, rows: list[dict], type_name: str, usable: dict[int, str],
               now: int) -> tuple[list[Condition], list[tuple[str, str]]]:
    names = [*shown_columns(type_name), "id", "account_id"]
    chosen = draw(st.lists(st.sampled_from(names), max_size=3))
    found: list[Condition] = []
    params: list[tuple[str, str]] = []
    used: set[tuple[str, str]] = set()
    for name in chosen:
        if name == "account_id":
            op = draw(st.sampled_from(["eq", "not_eq", "in", "not_in"]))
            count = draw(st.integers(1, 2)) if op in LIST_OPS else 1
            picked = draw(st.lists(st.sampled_from(sorted(usable)), min_size=count,
                                   max_size=count))
            text = ",".join(usable[a].upper() if draw(st.booleans()) else usable[a]
                            for a in picked)
            value: object = tuple(picked) if op in LIST_OPS else picked[0]
            column = SIDES[type_name][1]
        else:
            kind = CDR_BY_NAME[name].kind
            op = draw(st.sampled_from(OPS_BY_KIND[kind]))
            pool = _pool(rows, name, kind, op, now)
            count = draw(st.integers(1, 3)) if op in LIST_OPS else 1
            values = draw(st.lists(st.sampled_from(pool), min_size=count, max_size=count))
            text = filter_text(kind, op, values)
            if kind is Kind.BOOL and draw(st.booleans()):
                text = "1" if values[0] else "0"
            value = tuple(values) if op in LIST_OPS else values[0]
            column = name
        if (name, op) in used:
            continue
        used.add((name, op))
        found.append(Condition(column, op, value))
        params.append((f"filter[{spelled_name(draw, f'{name}_{op}')}]", text))
    return found, params


def _pool(rows: list[dict], name: str, kind: Kind, op: str, now: int) -> list[object]:
    seen = [r[name] for r in rows if r.get(name) is not None]
    if kind is Kind.TS:
        return sorted({*seen, *(t + d for t in seen[:5] for d in (-1, 1)), now - DAY,
                       now})
    if kind is Kind.INT:
        return sorted({*seen, *INTS, *DURATIONS})
    if kind is Kind.DEC:
        return sorted({*seen, *RATES, *PRICES, Decimal("0.05000000001"),
                       Decimal("-0.0000005")})
    if kind is Kind.BOOL:
        return [True, False]
    texts = {*seen, *STRINGS}
    if op in ("cont", "cont_any", "start", "end"):
        texts |= {t[1:] for t in seen if len(t) > 1} | {t[:2].swapcase() for t in seen}
    return sorted(t for t in texts if t)


@st.composite
def list_requests(draw: st.DrawFn, rows: list[dict], type_name: str, usable: dict[int, str],
                  now: int):  # type: ignore[no-untyped-def]
    found, params = draw(conditions(rows, type_name, usable, now))
    sortable = [*shown_columns(type_name), "id"]
    sort_name = draw(st.one_of(st.none(), st.sampled_from(sortable)))
    sort = ("time_start", True)
    if sort_name is not None:
        descending = draw(st.booleans())
        key = sort_name.replace("_", "-") if draw(st.booleans()) else sort_name
        params.append(("sort", ("-" if descending else "") + key))
        sort = (sort_name, descending)
    fields = None
    if draw(st.integers(0, 3)) == 0:
        fields = draw(st.lists(st.sampled_from([*shown_columns(type_name), "rec"]),
                               unique=True, max_size=5))
        params.append((f"fields[{type_name}]", ",".join(f.replace("_", "-") for f in fields)))
    link_params = list(params)
    size = draw(st.sampled_from([None, 1, 2, 3, 7, 50, 1000]))
    number = draw(st.one_of(st.none(), st.integers(1, 12)))
    if size is not None:
        params.append(("page[size]", str(size)))
    if number is not None:
        params.append(("page[number]", str(number)))
    as_csv = draw(st.integers(0, 4)) == 0
    return found, sort, fields, number or 1, size or 50, link_params, \
        draw(st.permutations(params)), as_csv


assert set(CDR_TYPES.values()) == set(SIDES)
