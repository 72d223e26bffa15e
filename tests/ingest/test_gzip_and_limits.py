"""gzip bodies and the body size limit (SPEC 6: counted as sent and after decoding)."""

from __future__ import annotations

import gzip
import tracemalloc

import pytest

from callstats.ingest.batches import (
    BatchRejected,
    BodyTooLarge,
    Format,
    parse_cdrs,
    parse_snapshots,
)
from callstats.ingest.readers import gunzip_limited, maybe_gunzip

ROWS = b"".join(b'{"id":%d,"time_start":1,"duration":0}\n' % i for i in range(1, 51))


def test_concatenated_members_are_one_body() -> None:
    body = b"".join(gzip.compress(ROWS[i:i + 300]) for i in range(0, len(ROWS), 300))
    assert body.count(b"\x1f\x8b\x08") > 1
    table = parse_cdrs(body, Format.NDJSON, len(ROWS))  # the limit is exactly the decoded size
    assert table.column("id").to_pylist() == list(range(1, 51))


def test_an_empty_member_among_others() -> None:
    body = gzip.compress(ROWS) + gzip.compress(b"")
    assert parse_cdrs(body, Format.NDJSON, len(ROWS)).num_rows == 50


def test_a_gzip_bomb_is_refused_without_decoding_it_all() -> None:
    bomb = gzip.compress(b"\0" * 100_000_000, compresslevel=9)
    assert len(bomb) < 200_000
    with pytest.raises(BodyTooLarge):
        parse_cdrs(bomb, Format.NDJSON, 1 << 20)
    with pytest.raises(BodyTooLarge):
        parse_snapshots(bomb, Format.NDJSON, 1 << 20)
    # and the decoder stops near the limit instead of inflating 100 MB first
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLarge):
            gunzip_limited(bomb, 1 << 20)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20


@pytest.mark.parametrize("members", [1, 3])
def test_decoded_size_just_over_the_limit(members: int) -> None:
    body = b"".join(gzip.compress(ROWS) for _ in range(members))
    limit = len(ROWS) * members
    assert len(gunzip_limited(body, limit)) == limit
    with pytest.raises(BodyTooLarge):
        gunzip_limited(body, limit - 1)


@pytest.mark.parametrize("parse", [parse_cdrs, parse_snapshots])
def test_the_body_as_sent_counts_too(parse) -> None:  # noqa: ANN001
    with pytest.raises(BodyTooLarge):
        parse(ROWS, Format.NDJSON, len(ROWS) - 1)
    with pytest.raises(BodyTooLarge):
        parse(gzip.compress(ROWS), Format.NDJSON, len(gzip.compress(ROWS)) - 1)


@pytest.mark.parametrize(
    "body",
    [
        gzip.compress(ROWS)[:-4],  # no length trailer
        gzip.compress(ROWS)[:40],
        gzip.compress(ROWS)[:3],
        gzip.compress(ROWS) + gzip.compress(ROWS)[:30],  # second member cut short
        b"\x1f\x8b" + b"\x00" * 30,  # the magic, then nonsense
        gzip.compress(ROWS) + b"trailing garbage",
        bytes(b ^ 0xFF if i == 30 else b for i, b in enumerate(gzip.compress(ROWS))),
    ],
    ids=["no-trailer", "cut", "header-only", "second-cut", "bad-header", "garbage", "corrupt"],
)
def test_broken_gzip_is_rejected(body: bytes) -> None:
    with pytest.raises(BatchRejected) as caught:
        parse_cdrs(body, Format.NDJSON, 1 << 20)
    [error] = caught.value.errors
    assert (error.row, error.field) == (None, None) and "gzip" in error.message
    with pytest.raises(BatchRejected):
        parse_snapshots(body, Format.NDJSON, 1 << 20)


def test_plain_bodies_pass_through() -> None:
    assert maybe_gunzip(ROWS, 1) == ROWS  # the limit applies to decoding only
    assert maybe_gunzip(b"", 0) == b""
