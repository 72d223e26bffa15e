"""Compact UTF-8 JSON bodies (SPEC 4.6): no spaces, no escaping, no trailing newline."""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from starlette.responses import Response

JSON_TYPE = "application/json; charset=utf-8"


def dump(body: object) -> bytes:
    return orjson.dumps(body)


def json_response(body: object, status: int = 200, headers: Mapping[str, str] | None = None
                  ) -> Response:
    return Response(dump(body), status, headers=headers, media_type=JSON_TYPE)
