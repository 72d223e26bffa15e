"""Routes of the portal: its pages (one HTML shell; the modules render the view the path
names), its files under `/portal/`, and the offline API documentation at `/docs`."""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter, Request
from starlette.responses import Response

from callstats.portal.assets import Asset, Assets, make_asset
from callstats.portal.pages import PAGES, branding_css, shell
from callstats.portal.security import portal_headers
from callstats.settings import Settings

ASSET_PREFIX = "/portal/"


def portal_router(settings: Settings, assets: Assets | None = None) -> APIRouter:
    assets = assets or Assets()
    headers = portal_headers(settings)
    router = APIRouter(include_in_schema=False)

    @cache
    def made(name: str) -> Asset:
        body = shell(settings, assets) if name == "index.html" else branding_css(settings)
        return make_asset(name, body)

    async def page(request: Request) -> Response:
        return respond(request, made("index.html"), headers)

    for path in PAGES:
        router.add_api_route(f"/{path}", page, methods=["GET", "HEAD"])

    @router.api_route(ASSET_PREFIX + "branding.css", methods=["GET", "HEAD"])
    async def branding(request: Request) -> Response:
        return respond(request, made("branding.css"), headers)

    @router.api_route(ASSET_PREFIX + "{path:path}", methods=["GET", "HEAD"])
    async def asset(request: Request, path: str) -> Response:
        return respond(request, assets.get(path), headers)

    @router.api_route("/docs", methods=["GET", "HEAD"])
    async def docs(request: Request) -> Response:
        return respond(request, assets.get("docs.html"), headers)

    return router


def respond(request: Request, asset: Asset | None, headers: dict[str, str]) -> Response:
    """The asset, gzipped when the client takes it; 304 when it has this version. Browsers
    revalidate each time (no-cache), so a new release is picked up on the next load."""
    if asset is None:
        return Response(b"not found\n", 404, headers=headers, media_type="text/plain")
    common = {**headers, "etag": asset.etag, "cache-control": "no-cache",
              "vary": "Accept-Encoding"}
    if asset.etag in (t.strip() for t in request.headers.get("if-none-match", "").split(",")):
        return Response(status_code=304, headers=common)
    if asset.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
        return Response(asset.gzipped, 200, headers={**common, "content-encoding": "gzip"},
                        media_type=asset.media_type)
    return Response(asset.body, 200, headers=common, media_type=asset.media_type)
