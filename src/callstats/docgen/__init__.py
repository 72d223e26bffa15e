"""The reference docs' generated blocks, made from the code's own declarations.

A doc holds hand-written prose around blocks marked `<!-- generated:NAME -->` …
`<!-- end:NAME -->`; `python -m callstats.docgen` rewrites every block from the column
tables, the report and resource declarations and the app's OpenAPI document, and
`--check` says which doc differs (the test suite runs the same comparison).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path

Blocks = Mapping[str, str]

_BLOCK = re.compile(
    r"(<!-- generated:(?P<name>[a-z0-9-]+) -->\n)(?P<body>.*?)(<!-- end:(?P=name) -->)", re.S)


class MissingBlock(Exception):
    """A doc lacks a marker pair the generator fills, or has one it does not know."""


def fill(text: str, blocks: Blocks) -> str:
    """`text` with every generated block's body replaced by `blocks[name]`; each block the
    generator makes must appear exactly once, and no other may."""
    seen: list[str] = []

    def body(match: re.Match[str]) -> str:
        name = match.group("name")
        if name not in blocks:
            raise MissingBlock(f"unknown generated block {name!r}")
        seen.append(name)
        content = blocks[name].rstrip("\n") + "\n"
        return f"{match.group(1)}{content}{match.group(4)}"

    out = _BLOCK.sub(body, text)
    missing = [n for n in blocks if n not in seen]
    twice = sorted({n for n in seen if seen.count(n) > 1})
    if missing or twice:
        raise MissingBlock(f"blocks missing: {missing}, repeated: {twice}")
    return out


def documents() -> dict[str, Callable[[], Blocks]]:
    """Each generated doc (path under the repository's `docs/`) and its blocks."""
    from callstats.docgen import api, data_format

    return {"data-format.md": data_format.blocks, "api.md": api.blocks}


def regenerate(docs_dir: Path, write: bool) -> list[str]:
    """The docs whose text differs from what the generator makes (rewritten if `write`)."""
    stale = []
    for name, make in documents().items():
        path = docs_dir / name
        text = path.read_text()
        new = fill(text, make())
        if new != text:
            stale.append(name)
            if write:
                path.write_text(new)
    return stale
