"""docs/data-format.md and docs/api.md match the code: their generated blocks are what
`callstats.docgen` makes now, every column, route and report param has its line, and
what the prose shows (the examples, the defaults) is what ingestion does."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from callstats.columns import CDR_COLUMNS, SNAPSHOT_CALL_COLUMNS, Column, Kind
from callstats.docgen import documents, fill
from callstats.docgen.api import param_doc
from callstats.docgen.data_format import column_rows
from callstats.http.app import create_app
from callstats.http.customer_api import PREFIX
from callstats.http.methods import http_routes
from callstats.ingest.batches import ENVELOPE_COLUMNS, Format, parse_cdrs, parse_snapshots
from callstats.reports.definitions import CUSTOMER_REPORTS, PBX_REPORTS, Report

DOCS = Path(__file__).resolve().parents[1] / "docs"
MAX = 1 << 20


def block(doc: str, name: str) -> str:
    text = (DOCS / doc).read_text()
    match = re.search(rf"<!-- generated:{name} -->\n(.*?)<!-- end:{name} -->", text, re.S)
    assert match, name
    return match.group(1)


@pytest.mark.parametrize("doc", list(documents()))
def test_generated_blocks_are_what_the_code_declares(doc: str) -> None:
    text = (DOCS / doc).read_text()
    assert fill(text, documents()[doc]()) == text, (
        f"docs/{doc} is out of date: run `make docs`")


def _first_cells(table: str) -> list[str]:
    return [line.split("|")[1].strip().strip("`") for line in table.splitlines()
            if line.startswith("| `")]


@pytest.mark.parametrize(("name", "columns"), [
    ("cdr-columns", CDR_COLUMNS), ("snapshot-calls", SNAPSHOT_CALL_COLUMNS),
    ("envelope", ENVELOPE_COLUMNS)])
def test_every_column_has_its_row(name: str, columns: tuple[Column, ...]) -> None:
    names = [c.name for c in columns] + (["calls"] if name == "envelope" else [])
    assert _first_cells(block("data-format.md", name)) == names


def test_a_column_without_its_doc_line_cannot_be_documented() -> None:
    with pytest.raises(KeyError):
        column_rows((Column("brand_new_column", Kind.INT),), {})


def _when_missing() -> dict[str, str]:
    rows = [line.split("|") for line in block("data-format.md", "cdr-columns").splitlines()
            if line.startswith("| `")]
    return {r[1].strip().strip("`"): r[3].strip() for r in rows}


@pytest.mark.parametrize("duration", [0, 5])
def test_the_documented_defaults_are_what_ingestion_stores(duration: int) -> None:
    body = f'{{"id": 1, "time_start": "2026-11-30 10:00:00", "duration": {duration}}}'
    row = parse_cdrs(body.encode(), Format.NDJSON, MAX).to_pylist()[0]
    derived = {"`duration > 0`": duration > 0,
               "`duration` when bridged, else `0`": duration if row["bridged"] else 0}
    for name, doc in _when_missing().items():
        if doc == "required":
            continue
        expected = {"NULL": None, "`true`": True, "`false`": False}.get(doc)
        if doc in derived:
            expected = derived[doc]
        elif doc == "`0`":
            expected = Decimal(0)
        assert row[name] == expected, (name, doc)


def _examples(language: str) -> list[bytes]:
    text = (DOCS / "data-format.md").read_text()
    return [m.encode() for m in re.findall(rf"```{language}\n(.*?)```", text, re.S)]


def test_the_examples_are_accepted_and_agree() -> None:
    cdr_json, snapshots = _examples("ndjson")
    (cdr_csv,) = _examples("csv")
    as_json = parse_cdrs(cdr_json, Format.NDJSON, MAX)
    assert as_json.num_rows == 1
    assert as_json.equals(parse_cdrs(cdr_csv, Format.CSV, MAX))
    batch = parse_snapshots(snapshots, Format.NDJSON, MAX)
    assert len(batch.snapshots) == 2 and batch.calls.num_rows == 1


def _section(text: str, method: str, path: str) -> str:
    heading = f"#### `{method.upper()} {path}`\n"
    assert heading in text, heading
    rest = text.split(heading, 1)[1]
    return rest.split("\n#### ", 1)[0].split("\n### ", 1)[0]


def test_every_route_of_the_app_is_in_the_api_reference() -> None:
    app = create_app()
    documented = app.openapi()["paths"]
    text = (DOCS / "api.md").read_text()
    others = block("api.md", "other-routes")
    for path, methods in http_routes(app.router.routes):
        if path in documented:
            for method in methods - {"HEAD"}:
                _section(text, method, path)
        else:
            assert f"| `{path}` |" in others, path


def _filters(section: str) -> set[str]:
    """`<attribute>_<op>` of every operator an attribute row of the filter table lists."""
    found = set()
    for line in section.splitlines():
        cells = line.split("|")
        if len(cells) > 4 and re.fullmatch(r" `[a-z_]+`( \(filter only\))? ", cells[1]):
            attribute = cells[1].split("`")[1]
            found |= {f"{attribute}_{op}" for op in re.findall(r"`([a-z_]+)`", cells[3])}
    return found


def test_every_param_of_every_operation_is_in_its_section() -> None:
    document = create_app().openapi()
    text = (DOCS / "api.md").read_text()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            section = _section(text, method, path)
            for param in operation.get("parameters", []):
                name = param["name"]
                if name.startswith("filter[") and "| attribute |" in section:
                    assert name[len("filter["):-1] in _filters(section), (path, name)
                else:
                    assert f"`{name}`" in section, (path, name)


@pytest.mark.parametrize("report", [*CUSTOMER_REPORTS, *PBX_REPORTS], ids=lambda r: r.path)
def test_every_declared_report_param_has_its_line(report: Report) -> None:
    path = PREFIX + report.path if report in CUSTOMER_REPORTS else report.path
    section = _section((DOCS / "api.md").read_text(), "get", path)
    lines = section.splitlines()
    for param in report.params:
        line = next((x for x in lines if x.startswith(f"| `{param.name}`")), None)
        assert line is not None, param.name
        assert " ".join(param.doc.split()) in line, param.name
        assert ("| yes |" in line) == param.required, param.name
        for alias in param.aliases:
            assert f"`{alias}`" in line, alias


def test_a_param_nothing_describes_cannot_be_documented() -> None:
    assert all(p.doc for r in (*CUSTOMER_REPORTS, *PBX_REPORTS) for p in r.params)
    assert param_doc({"name": "fields[cdrs]"})
    with pytest.raises(KeyError):
        param_doc({"name": "brand-new-param", "in": "query"})
