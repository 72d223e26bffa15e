"""`python -m callstats.docgen [--check] [DOCS_DIR]`: rewrite the generated blocks of the
reference docs (default `docs/` of the current directory); `--check` only reports."""

from __future__ import annotations

import sys
from pathlib import Path

from callstats.docgen import regenerate


def main(argv: list[str]) -> int:
    check = "--check" in argv
    rest = [a for a in argv if a != "--check"]
    docs_dir = Path(rest[0]) if rest else Path("docs")
    stale = regenerate(docs_dir, write=not check)
    for name in stale:
        print(f"{docs_dir / name}: {'out of date' if check else 'rewritten'}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
