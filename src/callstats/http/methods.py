"""Methods per path (SPEC 11), decided once for every route: a method the path does not
serve (OPTIONS included) → 405 whose `Allow` names every method of the path, and HEAD is
answered wherever GET is.

Starlette's router answers 405 from the first route whose path matches, so a path served
by several routes (GET and DELETE of `/customers/{id}`, the three of `/auth`) listed only
one route's methods; FastAPI routes also refuse HEAD. Here the routes are grouped by path
once, at the first request, and looked up before routing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from starlette.routing import BaseRoute, Route, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from callstats.http.jsonbody import JSON_TYPE, dump

# The order methods are listed in; anything else sorts after, alphabetically.
_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
_NOT_ALLOWED = dump({"error": "method not allowed"})


@dataclass(frozen=True)
class _PathMethods:
    pattern: re.Pattern[str]
    methods: frozenset[str]
    allow: bytes  # the Allow header value


def http_routes(routes: Iterable[BaseRoute]) -> Iterator[tuple[str, set[str]]]:
    """(full path, methods) of every HTTP route. FastAPI keeps an included router as one
    entry whose `effective_route_contexts()` yields its routes with their full paths
    (older releases copied the routes in instead); anything else, a mount say, is left to
    the router."""
    for route in routes:
        if isinstance(route, Route) and route.methods is not None:
            yield route.path, set(route.methods)
        contexts = getattr(route, "effective_route_contexts", None)
        for context in contexts() if contexts is not None else ():
            original = context.original_route
            if isinstance(original, Route) and original.methods is not None:
                yield context.path, set(original.methods)


def allowed_methods(routes: Iterable[BaseRoute]) -> list[_PathMethods]:
    """Each path's methods, HEAD added beside GET."""
    by_path: dict[str, set[str]] = {}
    for path, methods in http_routes(routes):
        by_path.setdefault(path, set()).update(methods)
    table = []
    for path, methods in by_path.items():
        if "GET" in methods:
            methods.add("HEAD")
        ordered = sorted(methods, key=lambda m: (_ORDER.index(m) if m in _ORDER else 99, m))
        table.append(_PathMethods(compile_path(path)[0], frozenset(methods),
                                  ", ".join(ordered).encode()))
    return table


class MethodGuard:
    """ASGI middleware in front of the router of `routes`."""

    def __init__(self, app: ASGIApp, routes: list[BaseRoute]):
        self.app = app
        self._routes = routes
        self._table: list[_PathMethods] = []
        self._built = False

    def _lookup(self, path: str) -> _PathMethods | None:
        if not self._built:  # routes are all registered by the first request
            self._table, self._built = allowed_methods(self._routes), True
        for entry in self._table:
            if entry.pattern.match(path):
                return entry
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        entry = self._lookup(scope["path"]) if scope["type"] == "http" else None
        method = scope.get("method", "")
        if entry is None or method in entry.methods and method != "HEAD":
            await self.app(scope, receive, send)
            return
        if method in entry.methods:  # HEAD: GET without the body
            await self.app({**scope, "method": "GET"}, receive, _without_body(send))
            return
        await send({"type": "http.response.start", "status": 405, "headers": [
            (b"content-type", JSON_TYPE.encode()), (b"allow", entry.allow),
            (b"content-length", b"%d" % len(_NOT_ALLOWED))]})
        await send({"type": "http.response.body", "body": _NOT_ALLOWED})


def _without_body(send: Send) -> Send:
    """HEAD: GET's status and headers (content-length included), no body."""

    async def send_head(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return send_head
