"""A minimal ClickHouse HTTP interface served by the real engine (chdb), run as its own
process, so the clickhouse-connect transport is tested end to end where no ClickHouse
server is reachable: clickhouse-connect's requests, parameter binding, Native result
decoding and Arrow inserts are all real; only the HTTP framing is this file's.

It is not a substitute for a real server (CALLSTATS_TEST_CLICKHOUSE_URL): no auth, no
sessions, no compression, one query at a time.

Run: python clickhouse_http.py <port> <chdb data dir>
"""

from __future__ import annotations

import re
import sys
import threading
import urllib.parse
from email.parser import BytesParser
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_FORMAT = re.compile(r"\bFORMAT\s+(\w+)\s*$", re.IGNORECASE)


def _form_fields(content_type: str, body: bytes) -> dict[str, str]:
    message = BytesParser(policy=default).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    return {part.get_param("name", header="content-disposition"):
            part.get_payload(decode=True).decode() for part in message.iter_parts()}


def serve(port: int, data_dir: str) -> None:
    import chdb

    connection = chdb.connect(data_dir)
    lock = threading.Lock()  # chdb: one statement at a time per connection

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _reply(self, status: int, data: bytes, fmt: str | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-ClickHouse-Timezone", "UTC")
            if fmt:
                self.send_header("X-ClickHouse-Format", fmt)
            self.end_headers()
            self.wfile.write(data)

        def _handle(self) -> None:
            """The query comes in `query=` and/or the body; an INSERT's data is the body."""
            url = urllib.parse.urlsplit(self.path)
            args = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            content_type = self.headers.get("Content-Type", "")
            if content_type.startswith("multipart/form-data"):  # large parameter values
                args.update(_form_fields(content_type, body))
                body = b""
            query = args.pop("query", "")
            params = {k.removeprefix("param_"): v for k, v in args.items()
                      if k.startswith("param_")}
            try:
                with lock:
                    if query.lstrip().upper().startswith("INSERT"):
                        match = _FORMAT.search(query)
                        with connection.send_insert(
                                _FORMAT.sub("", query),
                                match.group(1) if match else "TabSeparated") as inserter:
                            inserter.append(body)
                            inserter.finish()
                        self._reply(200, b"")
                        return
                    sql = query + body.decode()
                    match = _FORMAT.search(sql)
                    fmt = match.group(1) if match else "TabSeparated"
                    result = connection._conn.query(_FORMAT.sub("", sql), fmt, params=params)
                    self._reply(200, result.bytes(), fmt)
            except Exception as exc:  # the engine's message, as a server would send it
                self._reply(500, f"Code: 1. DB::Exception: {exc}".encode())

        do_GET = do_POST = _handle

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2])
