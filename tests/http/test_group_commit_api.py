"""Group commit behind POST /cdrs (DuckDB store): concurrent single-CDR posts are each
answered for their own rows, a bad one with its own 422, and stored exactly once."""

from __future__ import annotations

import anyio
import httpx
import pytest

from callstats.http.services import Services
from tests.support.bodies import ADMIN, NDJSON, cdr, ndjson

pytestmark = pytest.mark.anyio


async def post_all(client: httpx.AsyncClient, headers: dict[str, str],
                   bodies: list[bytes]) -> list[httpx.Response]:
    answers: list[httpx.Response | None] = [None] * len(bodies)

    async def post(index: int) -> None:
        answers[index] = await client.post(f"{ADMIN}/cdrs", content=bodies[index],
                                           headers={**headers, **NDJSON})

    async with anyio.create_task_group() as group:
        for index in range(len(bodies)):
            group.start_soon(post, index)
    return [a for a in answers if a is not None]


async def test_concurrent_single_cdr_posts(client: httpx.AsyncClient, services: Services,
                                           admin_headers: dict[str, str]) -> None:
    assert services.group_commit is not None  # on by default for the DuckDB store
    bodies = [ndjson([cdr(n)]) for n in range(1, 41)]
    bodies[17] = ndjson([cdr(18, duration=-1)])
    answers = await post_all(client, admin_headers, bodies)
    bad = answers[17]
    assert bad.status_code == 422
    assert [(e["row"], e["field"]) for e in bad.json()["errors"]] == [(1, "duration")]
    good = [a for i, a in enumerate(answers) if i != 17]
    assert all(a.status_code == 200 for a in good), [a.text for a in good]
    assert all(a.json() == {"received": 1, "inserted": 1, "duplicates": 0} for a in good)
    assert services.store.count_cdrs() == 39
    again = await post_all(client, admin_headers, [b for i, b in enumerate(bodies) if i != 17])
    assert all(a.json() == {"received": 1, "inserted": 0, "duplicates": 1} for a in again)
    assert services.store.count_cdrs() == 39
