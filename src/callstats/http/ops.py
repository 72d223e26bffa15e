"""Liveness, readiness and Prometheus metrics; none needs a token."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from callstats.http.jsonbody import json_response
from callstats.http.responses import READINESS, documented

router = APIRouter(tags=["operations"])
log = logging.getLogger("callstats.ops")


@router.get("/healthz", summary="Liveness: 200 while the process serves requests")
async def healthz() -> Response:
    return json_response({"status": "ok"})


@router.get("/readyz", summary="Readiness: the store and the metadata database answer",
            responses=documented(READINESS))
async def readyz(request: Request) -> Response:
    """Ready while the store and the metadata database both answer; asked anew each time,
    so it turns 200 again by itself once they are back."""
    services = request.app.state.services
    problems = {}
    for name, part in (("store", services.store), ("metadata", services.metadata)):
        try:
            await run_in_threadpool(part.ping)
        except Exception as exc:  # any failure means "not ready", reported by name; the
            log.warning("readyz: %s: %s", name, exc)  # engine's text only in the log
            problems[name] = "unreachable"
    if problems:
        return json_response({"status": "unavailable", "problems": problems}, 503)
    return json_response({"status": "ready"})


@router.get("/metrics", summary="Prometheus metrics", response_class=Response, responses={200: {
    "description": "Prometheus text exposition",
    "content": {"text/plain": {"schema": {"type": "string"}}}}})
async def metrics(request: Request) -> Response:
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
