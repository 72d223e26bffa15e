"""Liveness, readiness and Prometheus metrics; none needs a token."""

from __future__ import annotations

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from callstats.http.jsonbody import json_response

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> Response:
    return json_response({"status": "ok"})


@router.get("/readyz")
async def readyz(request: Request) -> Response:
    services = request.app.state.services
    problems = {}
    for name, part in (("store", services.store), ("metadata", services.metadata)):
        try:
            await run_in_threadpool(part.ping)
        except Exception as exc:  # any failure means "not ready", reported by name
            problems[name] = str(exc)[:200]
    if problems:
        return json_response({"status": "unavailable", "problems": problems}, 503)
    return json_response({"status": "ready"})


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
