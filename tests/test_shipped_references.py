"""No doc or help text names a file the repository does not ship: README.md, docs/*.md and
the `--help` of every CLI command are scanned for the workspace's contract ("SPEC 3.1"),
paths outside the repository and links or file names that resolve to nothing."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from callstats.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "callstats"
# The contract and seeds of the workspace this was built in, and its absolute paths.
OUTSIDE = re.compile(r"\bSPEC\b|\.\./shared|/work/|\bseeds?/|\bseed \d{3}\b|\bsection \d")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FILE = re.compile(r"`([A-Za-z0-9_][\w.-]*(?:/[\w.-]+)*\.(?:py|md|toml|sh|js|css|html|cfg|ini))`")


def unshipped(text: str, base: Path) -> list[str]:
    """What in `text` (a doc in `base`) points to something the repository lacks."""
    found = [m.group(0) for m in OUTSIDE.finditer(text)]
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = (base / target.split("#")[0]).resolve()
        if not (path.is_relative_to(ROOT) and path.exists()):
            found.append(target)  # missing, or outside the repository (where it may exist)
    for name in FILE.findall(text):
        if not any((where / name).exists() for where in (base, ROOT, PACKAGE)) and not any(
                path.endswith("/" + name) for path in shipped_files()):
            found.append(name)  # neither a path from here nor the tail of a shipped one
    return found


@functools.cache
def shipped_files() -> tuple[str, ...]:
    """Every file of the repository's tree (its own, not what tools made in it)."""
    skip = {".git", ".venv", "__pycache__", "node_modules", ".pytest_cache", ".mypy_cache",
            ".ruff_cache", "out", "screenshots"}
    found = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in skip and not d.endswith(".egg-info")]
        found += ["/" + str((Path(folder) / f).relative_to(ROOT)) for f in files]
    return tuple(found)


def help_texts() -> Iterator[tuple[str, str]]:
    """(command, `--help` output) of every command and group of the CLI."""
    runner = CliRunner()

    def walk(command: object, words: list[str]) -> Iterator[tuple[str, str]]:
        result = runner.invoke(app, [*words, "--help"], terminal_width=200)
        assert result.exit_code == 0, (words, result.output)
        yield " ".join(["callstats", *words]), result.output
        # Typer's groups (its own copy of click's) list their commands by name.
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, [*words, name])

    yield from walk(typer.main.get_command(app), [])


DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("doc", DOC_FILES, ids=lambda p: p.name)
def test_docs_name_only_what_is_shipped(doc: Path) -> None:
    assert unshipped(doc.read_text(), doc.parent) == []


def test_cli_help_names_only_what_is_shipped() -> None:
    texts = dict(help_texts())
    assert {"callstats ingest cdrs", "callstats serve"} <= set(texts)
    assert {command: found for command, text in texts.items()
            if (found := unshipped(text, ROOT))} == {}


def test_the_check_finds_what_it_looks_for() -> None:
    text = ("Columns as in SPEC 3.1; see ../shared/SPEC.md, [the spec](../shared/SPEC.md), "
            "[gone](docs/gone.md), `src/callstats/nothing.py`, seed 004 (section 5); but "
            "[api](docs/api.md), [web](https://example.com/x.md), [here](#top), "
            "`src/callstats/columns.py` and `docs/api.md` are fine.")
    assert unshipped(text, ROOT) == ["SPEC", "../shared", "SPEC", "../shared", "SPEC",
                                     "seed 004", "section 5", "../shared/SPEC.md", "docs/gone.md",
                                     "src/callstats/nothing.py"]
