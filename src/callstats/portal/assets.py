"""The portal's files, read from the package on first request and kept in memory with
their gzip encoding and ETag, so a page costs no disk reads and no per-request compression.

No bundler: what is in `static/` is exactly what the browser runs.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import threading
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable

STATIC = files("callstats.portal").joinpath("static")
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".html": "text/html; charset=utf-8", ".svg": "image/svg+xml",
         ".txt": "text/plain; charset=utf-8", ".md": "text/plain; charset=utf-8",
         ".json": "application/json"}
COMPRESSIBLE = (".js", ".css", ".html", ".svg", ".txt", ".md", ".json")


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None  # None when gzip would not help
    etag: str
    media_type: str


def make_asset(name: str, body: bytes) -> Asset:
    suffix = name[name.rfind("."):] if "." in name else ""
    media_type = TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    gzipped = gzip.compress(body, 9, mtime=0) if suffix in COMPRESSIBLE else None
    if gzipped is not None and len(gzipped) >= len(body):
        gzipped = None
    return Asset(body, gzipped, f'"{hashlib.sha256(body).hexdigest()[:32]}"', media_type)


class Assets:
    """Files under `static/` by their path relative to it ("views/traffic.js")."""

    def __init__(self, root: Traversable = STATIC):
        self.root = root
        self._cache: dict[str, Asset | None] = {}
        self._lock = threading.Lock()

    def get(self, path: str) -> Asset | None:
        if path in self._cache:
            return self._cache[path]
        asset = self._load(path)
        with self._lock:
            self._cache[path] = asset
        return asset

    def _load(self, path: str) -> Asset | None:
        parts = path.split("/")
        if not path or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
            return None
        node = self.root
        for part in parts:
            node = node.joinpath(part)
        if not node.is_file():
            return None
        return make_asset(parts[-1], node.read_bytes())

    def modules(self) -> list[str]:
        """The portal's own ES modules (vendored code aside), for `modulepreload` links:
        the browser then fetches them all at once instead of import by import."""
        found: list[str] = []

        def walk(node: Traversable, prefix: str) -> None:
            for child in sorted(node.iterdir(), key=lambda c: c.name):
                if child.is_dir() and child.name != "vendor":
                    walk(child, f"{prefix}{child.name}/")
                elif child.name.endswith(".js") and prefix + child.name != "docs.js":
                    found.append(prefix + child.name)

        walk(self.root, "")
        return found
