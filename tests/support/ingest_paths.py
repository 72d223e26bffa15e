"""Every way a document reaches a store (SPEC 11), side by side, for tests that feed them
the same bytes and compare what each said and what each stored.

Parse paths (in-process, no store): `parse_cdrs`/`parse_snapshots` on the body and on
its gzip encoding, and for NDJSON the exact row-aware reader with the Arrow fast path
out of the way. Store paths, each with a DuckDB store of its own: POST to a real server
(uvicorn in a thread), POST gzip-encoded to another, `callstats ingest --url` to a third,
and `callstats ingest` straight into a data dir (the CLI's own store sink).
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pyarrow as pa
from rich.console import Console

from callstats.cli import ingest as cli
from callstats.columns import CDR_COLUMNS
from callstats.http.services import Services
from callstats.ingest.batches import (
    BatchRejected,
    Format,
    SnapshotBatch,
    decoded_body,
    parse_cdrs,
    parse_snapshots,
)
from callstats.ingest.convert import convert_table, derive_cdr_defaults
from callstats.ingest.readers import checked_text, ndjson_utf8_error, read_ndjson_exact
from callstats.settings import Settings
from tests.support.bodies import ADMIN
from tests.support.servers import threaded_server
from tests.support.stores import stored_cdrs, stored_snapshots

LIMIT = 1 << 20
TOKEN = "paths-admin-token"
CONTENT_TYPES = {Format.NDJSON: "application/x-ndjson", Format.CSV: "text/csv",
                 Format.PARQUET: "application/vnd.apache.parquet"}
SUFFIXES = {Format.NDJSON: ".ndjson", Format.CSV: ".csv", Format.PARQUET: ".parquet"}
ENDPOINTS = {"cdrs": "/cdrs", "active-calls": "/active-calls"}


@dataclass(frozen=True)
class Outcome:
    """What one path said (200 and its counts, or 422 and its errors) and what it kept:
    the rows it parsed (parse paths) or the rows its store now holds (store paths)."""

    status: int
    answer: object
    rows: list[object] = field(default_factory=list)


def exact_ndjson_cdrs(body: bytes, max_string: int) -> pa.Table:
    """parse_cdrs for NDJSON with the Arrow fast path out of the way."""
    data = checked_text(decoded_body(body, LIMIT), ndjson_utf8_error)
    raw, rows = read_ndjson_exact(data, CDR_COLUMNS)
    return derive_cdr_defaults(convert_table(raw, rows, CDR_COLUMNS, max_string))


def _parsed(parse: object) -> Outcome:
    try:
        result = parse()  # type: ignore[operator]
    except BatchRejected as exc:
        return Outcome(422, [e.as_dict() for e in exc.errors])
    if isinstance(result, SnapshotBatch):
        return Outcome(200, {"snapshots": len(result.snapshots)},
                       [result.snapshots, result.calls.to_pylist()])
    return Outcome(200, {"received": result.num_rows}, result.to_pylist())


class IngestPaths:
    def __init__(self, root: Path, max_string: int):
        self.root, self.max_string = root, max_string
        self._servers: list[tuple[object, Services, str]] = []
        for name in ("post", "post-gzip", "cli-url"):
            settings = Settings(data_dir=root / name, admin_token=TOKEN,
                                jwt_secret="paths-" + "p" * 32, maintenance_interval=0,
                                max_string_length=max_string)
            services = Services.open(settings)
            server = threaded_server(services)
            self._servers.append((server, services, server.__enter__()))
        local = Settings(data_dir=root / "cli-local", max_string_length=max_string)
        self.local_store = local.open_store()
        self.client = httpx.Client(timeout=60, headers={"Authorization": f"Bearer {TOKEN}"})
        self._files = 0

    def close(self) -> None:
        self.client.close()
        for server, services, _ in self._servers:
            server.__exit__(None, None, None)  # type: ignore[attr-defined]
            services.close()
        self.local_store.close()

    # --- what each path says -------------------------------------------------------------

    def parse_paths(self, kind: str, fmt: Format, body: bytes) -> dict[str, Outcome]:
        parse = parse_cdrs if kind == "cdrs" else parse_snapshots
        paths = {
            "parse": _parsed(lambda: parse(body, fmt, LIMIT, self.max_string)),
            "parse gzip": _parsed(lambda: parse(gzip.compress(body), fmt, LIMIT,
                                                self.max_string)),
        }
        if kind == "cdrs" and fmt is Format.NDJSON:
            paths["exact"] = _parsed(lambda: exact_ndjson_cdrs(body, self.max_string))
        return paths

    def store_paths(self, kind: str, fmt: Format, body: bytes, keys: tuple[int, int]
                    ) -> dict[str, Outcome]:
        """Each store path's answer, and then its stored rows with ids (CDRs) or node ids
        (snapshots) in `keys`."""
        (_, post, post_url), (_, gzipped, gzip_url), (_, by_cli, cli_url) = self._servers
        outcomes = {
            "POST": (self._post(post_url, kind, fmt, body, gzipped=False), post.store),
            "POST gzip": (self._post(gzip_url, kind, fmt, body, gzipped=True), gzipped.store),
            "ingest --url": (self._cli(kind, fmt, body, cli.http_sink(cli_url, TOKEN)),
                             by_cli.store),
            "ingest --data-dir": (self._cli(kind, fmt, body, (
                cli.store_sink(self.local_store, self.max_string), lambda: None)),
                self.local_store),
        }
        return {name: Outcome(status, answer, self._kept(kind, store, keys))
                for name, ((status, answer), store) in outcomes.items()}

    def _post(self, url: str, kind: str, fmt: Format, body: bytes, gzipped: bool
              ) -> tuple[int, object]:
        headers = {"content-type": CONTENT_TYPES[fmt]}
        if gzipped:
            body, headers["content-encoding"] = gzip.compress(body), "gzip"
        response = self.client.post(f"{url}{ADMIN}{ENDPOINTS[kind]}", content=body,
                                    headers=headers)
        answer = response.json()
        return response.status_code, answer.get("errors", answer)

    def _cli(self, kind: str, fmt: Format, body: bytes, sink: tuple[cli.Sink, object]
             ) -> tuple[int, object]:
        self._files += 1
        path = self.root / f"file-{self._files}{SUFFIXES[fmt]}"
        path.write_bytes(body)
        send, close = sink
        console = Console(file=io.StringIO(), width=200)
        try:
            totals = cli.run(kind, [path], send, 10_000, console)
        except cli.IngestFailed as exc:
            return 422, exc.errors
        finally:
            close()  # type: ignore[operator]
        if kind == "cdrs":
            return 200, {"received": totals.received, "inserted": totals.inserted,
                         "duplicates": totals.duplicates}
        return 200, {"snapshots": totals.snapshots, "calls": totals.calls}

    @staticmethod
    def _kept(kind: str, store: object, keys: tuple[int, int]) -> list[object]:
        if kind == "cdrs":
            return list(stored_cdrs(store, *keys))  # type: ignore[arg-type]
        return [s for s in stored_snapshots(store)  # type: ignore[arg-type]
                if keys[0] <= s[0] <= keys[1]]
