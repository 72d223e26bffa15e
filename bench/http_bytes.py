"""The raw bytes of the same requests from two checkouts' servers (`callstats serve`, one
after the other, each on a fresh data directory with bench/customer_api.py's metadata),
compared less `date`, `x-request-id` and `x-runtime`: a check that a change to the HTTP
stack (e.g. the protocol, a dispatch) leaves every answer's bytes as they were. Prints one
line per request and the differing answers; asserts nothing.

    python bench/http_bytes.py --compare <other checkout>
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from customer_api import SECRET, account_uuid, iso, write_metadata  # noqa: E402
from ingest import DAY, START, Server  # noqa: E402

from callstats.auth.tokens import mint_token  # noqa: E402

LOGIN = b'{"auth":{"login":"nobody","password":"x"}}'
V1 = "/api/rest/customer/v1"


def requests() -> dict[str, bytes]:
    """Name → raw request: reports (JSON, CSV, HEAD, HTTP/1.0, closing, 304), the errors
    the app answers, what the router and the method guard answer, what the protocol
    refuses, and bodies (a login: sized, chunked, with Expect)."""
    token = mint_token(SECRET, 2, 86400, time.time())
    query = (f"account-id={account_uuid(491)}&from-time={iso(START)}"
             f"&to-time={iso(START + DAY - 1)}&sampling=minute")
    report = f"{V1}/origination-statistics?{query}"
    auth = f"Authorization: Bearer {token}\r\n"

    def get(target: str, *fields: str, version: str = "1.1", method: str = "GET") -> str:
        host = "Host: x\r\n" if version == "1.1" else ""
        return f"{method} {target} HTTP/{version}\r\n{host}{''.join(fields)}\r\n"

    fillers = "".join(f"X-F-{i}: {'b' * 1000}\r\n" for i in range(70))
    login = f"POST {V1}/auth HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    text = {
        "report": get(report, auth),
        "report csv": get(report, "Accept: text/csv\r\n", auth),
        "report head": get(report, auth, method="HEAD"),
        "report HTTP/1.0": get(report, auth, version="1.0"),
        "report, connection: close": get(report, "Connection: close\r\n", auth),
        "report 304": get(report, "If-None-Match: ETAG\r\n", auth),
        "bad params": get(f"{V1}/origination-statistics?account-id=x", auth),
        "no token": get(report),
        "trailing slash": get(f"{V1}/origination-statistics/?{query}", auth),
        "POST to a report": get(f"{V1}/origination-statistics", "Content-Length: 0\r\n",
                                auth, method="POST"),
        "OPTIONS": get(f"{V1}/origination-statistics", method="OPTIONS"),
        "404": get("/nope"),
        "healthz": get("/healthz"),
        "openapi": get("/openapi.json"),
        "pipelined": get("/healthz") + get(report, auth),
        "percent-encoded path": get(f"{V1}/origination%2Dstatistics?{query}", auth),
        "malformed head": "GET / HTTP/1.1\r\nno colon here\r\n\r\n",
        "unknown version": get("/", version="9.9"),
        "request line over 8 KiB": get("/?" + "a" * 9000),
        "head over 64 KiB": get("/healthz", fillers),
        "whitespace around values": get(report, f"Authorization:   Bearer {token}   \r\n"),
        "X-Forwarded-For": get(report, "X-Forwarded-For: 1.2.3.4\r\n", auth),
    }
    raw = {name: request.encode() for name, request in text.items()}
    raw["login"] = login.encode() + b"Content-Length: %d\r\n\r\n" % len(LOGIN) + LOGIN
    raw["login, chunked"] = (login.encode() + b"Transfer-Encoding: chunked\r\n\r\n"
                             + b"%x\r\n" % len(LOGIN) + LOGIN + b"\r\n0\r\n\r\n")
    raw["login, Expect: 100-continue"] = (
        login.encode() + b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(LOGIN)
        + LOGIN)
    return raw


def exchange(port: int, raw: bytes, quiet: float) -> bytes:
    """Everything the server sends until it closes or stays quiet for `quiet` seconds."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(quiet)
    out = b""
    try:
        sock.sendall(raw)
        while chunk := sock.recv(65536):
            out += chunk
    except (TimeoutError, ConnectionResetError, BrokenPipeError):
        pass
    finally:
        sock.close()
    return out


def normalized(answer: bytes) -> bytes:
    for name in (b"date", b"x-request-id", b"x-runtime"):
        answer = re.sub(rb"(?im)^(" + name + rb"): [^\r]*", rb"\1: -", answer)
    return answer


def answers(src: Path, quiet: float) -> dict[str, bytes]:
    data = Path(tempfile.mkdtemp())
    write_metadata(data / "metadata.sqlite")
    server = Server(data, env={"CALLSTATS_JWT_SECRET": SECRET, "PYTHONPATH": str(src)})
    try:
        reqs = requests()
        first = exchange(server.port, reqs["report"], quiet)
        found = re.search(rb'etag: (W/"[0-9a-f]+")', first)
        etag = found.group(1) if found else b""
        return {name: normalized(exchange(server.port, raw.replace(b"ETAG", etag), quiet))
                for name, raw in reqs.items()}
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", type=Path, required=True,
                        help="another checkout (a directory holding src/)")
    parser.add_argument("--quiet", type=float, default=5.0,
                        help="seconds of silence that end an answer on a kept-alive connection")
    args = parser.parse_args()
    here = Path(__file__).resolve().parent.parent
    theirs = answers(args.compare.resolve() / "src", args.quiet)
    ours = answers(here / "src", args.quiet)
    differ = 0
    for name in theirs:
        same = theirs[name] == ours[name]
        differ += not same
        status = theirs[name][:12].decode("latin-1") or "(nothing)"
        print(f"{'same' if same else 'DIFF'}  {name}: {status}, "
              f"{len(theirs[name])} / {len(ours[name])} bytes")
        if not same:
            print(f"    {args.compare.name}: {theirs[name][:600]!r}")
            print(f"    this checkout: {ours[name][:600]!r}")
    print(f"\n{differ} of {len(theirs)} answers differ")


if __name__ == "__main__":
    main()
