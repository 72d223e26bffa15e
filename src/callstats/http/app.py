"""The app factory. The lifespan owns the store and metadata connections; nothing happens
at import time."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from callstats import __version__
from callstats.http import (
    admin,
    customer_api,
    customer_cdrs,
    customer_charts,
    customer_resources,
    ops,
    pbx_api,
)
from callstats.http.customer_headers import CustomerHeaders
from callstats.http.errors import install_error_handlers
from callstats.http.maintenance import Maintenance
from callstats.http.methods import MethodGuard
from callstats.http.metrics import Metrics
from callstats.http.plain_dispatch import PlainDispatch
from callstats.http.requestlog import RequestLog
from callstats.http.responses import EVERY_OPERATION, documented
from callstats.http.services import Services
from callstats.portal.routes import portal_router
from callstats.settings import Settings


def create_app(
    settings: Settings | None = None,
    services: Services | None = None,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    """An app over `services` (kept open by the caller) or over services it opens itself
    from `settings` for its lifetime."""
    settings = settings or (services.settings if services else Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = services is None
        app.state.services = services or Services.open(settings, clock)
        maintenance = Maintenance(app.state.services.store,
                                  settings.maintenance_interval).start()
        try:
            yield
        finally:
            maintenance.stop()
            if owned:
                app.state.services.close()

    app = FastAPI(
        title="callstats",
        version=__version__,
        description="Call statistics for VoIP customers; yeti customer API v1 compatible.",
        lifespan=lifespan,
        docs_url=None,  # the portal serves /docs from the package, offline
        redoc_url=None,
    )
    if services is not None:
        app.state.services = services
    app.state.metrics = Metrics()
    install_error_handlers(app)
    every_operation = documented(*EVERY_OPERATION)  # the server's own answers
    for router in (ops.router, admin.router, customer_api.router(),
                   customer_resources.router(), customer_cdrs.router(),
                   customer_charts.router(), pbx_api.router(),
                   portal_router(settings)):
        app.include_router(router, responses=every_operation)
    # Innermost: GETs of the report routes skip FastAPI's routing and request handler.
    app.add_middleware(PlainDispatch, routes=app.router.routes)
    app.add_middleware(MethodGuard, routes=app.router.routes)
    # Outermost last: the SPEC 4.6 headers go on every customer response, also on the 500
    # that RequestLog answers for a fault of ours.
    app.add_middleware(RequestLog, metrics=app.state.metrics)
    app.add_middleware(CustomerHeaders)
    return app
