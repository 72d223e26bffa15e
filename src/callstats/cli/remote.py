"""A running server's admin API as the CLI uses it, with every failure told in plain words
and the fix (`ServerError`), never as an HTTP library's exception."""

from __future__ import annotations

import time
from typing import Any

import httpx

ADMIN = "/api/admin/v1"
# How long a command waits for a server that is not answering yet: `callstats serve … &`
# followed at once by the next line of the README's recipe must still work.
DEFAULT_WAIT = 30.0


class ServerError(Exception):
    """What went wrong with the server, as one message for the user."""


class AdminClient:
    def __init__(self, url: str, admin_token: str, wait: float | None = None,
                 timeout: float = 300):
        if not url.startswith(("http://", "https://")):
            raise ServerError(f"--url {url!r} is not a server address: give it as "
                              "http://host:port, e.g. http://127.0.0.1:8080")
        if not admin_token:
            raise ServerError("managing a server over --url needs its admin token: pass "
                              "--admin-token or set CALLSTATS_ADMIN_TOKEN to the token the "
                              "server was started with")
        self.url = url.rstrip("/")
        self._wait = DEFAULT_WAIT if wait is None else wait
        self._client = httpx.Client(base_url=self.url, timeout=timeout,
                                    headers={"Authorization": f"Bearer {admin_token}"})
        self._checked = False

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The server's answer to an admin request; 401, a disabled admin API and an
        unreachable server raise ServerError, other statuses are the caller's to read."""
        if not self._checked:
            self._checked = True
            self.instance()
        response = self._send(method, ADMIN + path, **kwargs)
        self._refused(response)
        return response

    def instance(self) -> dict[str, Any]:
        """What the server holds: version, data_dir, store, metadata."""
        response = self._send("GET", ADMIN + "/instance")
        self._refused(response)
        if response.status_code == 404:
            raise ServerError(
                f"the server at {self.url} answers 404 to the admin API: it is off there "
                "(start the server with CALLSTATS_ADMIN_TOKEN set) or the server is older "
                "than this command")
        data: dict[str, Any] = self.json(response, 200)
        return data

    def json(self, response: httpx.Response, *expected: int) -> Any:
        """The body of an expected answer; any other status raises ServerError with the
        server's own message."""
        if response.status_code in expected:
            return response.json() if response.content else None
        raise ServerError(self.describe(response))

    def describe(self, response: httpx.Response) -> str:
        message = error_message(response)
        status = response.status_code
        if status == 413:
            return (f"the server at {self.url} refused the request as too large "
                    f"({message}): send less at once")
        if status in (502, 503, 504):
            return (f"the server at {self.url} cannot serve this now ({message}); "
                    "nothing was changed: try again once its store and metadata database "
                    "are reachable (see its log)")
        if status >= 500:
            return (f"the server at {self.url} failed ({message}); nothing was changed: "
                    "see the server's log")
        return message

    def _refused(self, response: httpx.Response) -> None:
        if response.status_code == 401:
            raise ServerError(
                f"the server at {self.url} refused the admin token: pass the token the "
                "server was started with (--admin-token or CALLSTATS_ADMIN_TOKEN)")

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        deadline = time.monotonic() + self._wait
        while True:
            try:
                return self._client.request(method, path, **kwargs)
            except httpx.ConnectError as exc:
                if time.monotonic() >= deadline:
                    raise ServerError(
                        f"cannot reach the server at {self.url} ({_reason(exc)}): start it "
                        "with `callstats serve`, or give its address with --url or "
                        "CALLSTATS_URL") from None
                time.sleep(0.25)
            except httpx.TimeoutException:
                raise ServerError(f"the server at {self.url} did not answer in time; it "
                                  "may still be working on the request: check its log "
                                  "before trying again") from None
            except httpx.TransportError as exc:
                raise ServerError(f"the connection to the server at {self.url} failed "
                                  f"({_reason(exc)}): check the address and try again"
                                  ) from None


def error_message(response: httpx.Response) -> str:
    """The server's `{"error": …}` text, else the status in words."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return str(body["error"])
    return f"HTTP {response.status_code} {response.reason_phrase}".strip()


def _reason(exc: Exception) -> str:
    text = str(exc)
    if "refused" in text.lower():
        return "connection refused"
    return text.split("] ", 1)[-1] or "no answer"
