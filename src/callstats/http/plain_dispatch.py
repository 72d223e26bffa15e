"""A shorter way in for the report routes (docs/performance.md, "A lean request path: the
HTTP share").

A report endpoint takes only the `Request` and returns a finished `Response`, so FastAPI's
per-request machinery does nothing for it: no dependency to solve, no parameter or body to
validate, no response model to serialize. Yet under 32 clients the route lookup over every
included router, FastAPI's request handler and its exit-stack and exception layers took
about a fifth of a report request's Python time (~0.26 ms). This middleware, the
innermost, answers a GET for the exact path of such an endpoint itself: it sets the same
scope keys the router would (`route`, `endpoint`, `path_params`), and runs the endpoint the
way Starlette runs any plain endpoint (`request_response`), under Starlette's own
`ExceptionMiddleware` built from the app's exception handlers, so errors map exactly as on
the routed path. Everything else (other paths, a path the router would give to an earlier
route, a root path) goes on to the router; FastAPI still owns the route and its OpenAPI
entry.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.routing import BaseRoute, Route, compile_path, request_response
from starlette.types import ASGIApp, Receive, Scope, Send

# Endpoints that take only the Request and return a Response (report_routes.py registers
# its own): safe to call without FastAPI's request handler.
_PLAIN: weakref.WeakSet[Callable[..., Any]] = weakref.WeakSet()


def plain_endpoint(endpoint: Callable[..., Any]) -> None:
    """Mark `endpoint` as taking only the Request and returning a Response."""
    _PLAIN.add(endpoint)


def routed_paths(routes: Iterable[BaseRoute]) -> Iterator[tuple[str, BaseRoute]]:
    """(full path, route) of every route in the router's order of matching. FastAPI keeps
    an included router as one entry whose `effective_route_contexts()` yields its routes
    with their full paths (older releases copied the routes in instead)."""
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is None:
            yield getattr(route, "path", ""), route
            continue
        for context in contexts():
            yield context.path, context.original_route


def plain_routes(routes: Iterable[BaseRoute]) -> dict[str, Route]:
    """Path → route, for each plain GET endpoint with no path parameters that the router
    would pick for that path (no earlier route matches it)."""
    table: dict[str, Route] = {}
    earlier: list[re.Pattern[str] | None] = []
    for path, route in routed_paths(routes):
        if (isinstance(route, Route) and route.endpoint in _PLAIN and "{" not in path
                and route.methods is not None and "GET" in route.methods
                and not any(p is None or p.match(path) for p in earlier)):
            table[path] = route
        # A route of another kind (a mount, a host) might match any path after it.
        earlier.append(compile_path(path)[0] if isinstance(route, Route) else None)
    return table


class PlainDispatch:
    """ASGI middleware in front of the router of `routes` (built at the first request,
    when every route and exception handler is registered)."""

    def __init__(self, app: ASGIApp, routes: list[BaseRoute]):
        self.app = app
        self._routes = routes
        self._apps: dict[str, tuple[Route, ASGIApp]] | None = None

    def _build(self, scope: Scope) -> dict[str, tuple[Route, ASGIApp]]:
        # As Starlette builds its stack: 500 / Exception belong to ServerErrorMiddleware.
        handlers = {key: handler for key, handler in scope["app"].exception_handlers.items()
                    if key not in (500, Exception)}
        return {path: (route, ExceptionMiddleware(request_response(route.endpoint), handlers))
                for path, route in plain_routes(self._routes).items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("root_path"):
            if self._apps is None:
                self._apps = self._build(scope)
            found = self._apps.get(scope["path"])
            if found is not None:
                route, app = found
                scope["route"], scope["endpoint"], scope["path_params"] = (
                    route, route.endpoint, {})
                await app(scope, receive, send)
                return
        await self.app(scope, receive, send)
