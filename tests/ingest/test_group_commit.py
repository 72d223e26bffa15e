"""Group commit (ingest/group_commit.py): concurrent small posts share a transaction, yet
each is answered as if stored alone — every acknowledged row stored exactly once, a bad
post refused with its own errors while the others of its group succeed."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from callstats.ingest.batches import BatchRejected, Format, parse_cdrs
from callstats.ingest.group_commit import GroupCommitter, groupable, record_lines
from callstats.stores.base import InsertResult
from callstats.stores.duckdb_store import DuckDBStore
from tests.support.bodies import cdr, ndjson


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBStore]:
    opened = DuckDBStore(tmp_path / "cdr.duckdb")
    yield opened
    opened.close()


def stored_ids(store: DuckDBStore) -> list[int]:
    return [r[0] for r in store.cursor().execute("SELECT id FROM cdr_rows ORDER BY id").fetchall()]


def submit_all(committer: GroupCommitter, bodies: list[bytes]
               ) -> list[InsertResult | BaseException]:
    """Every body submitted from its own thread at once; each one's answer or error."""
    answers: list[InsertResult | BaseException] = [RuntimeError("no answer")] * len(bodies)
    start = threading.Barrier(len(bodies))

    def post(index: int) -> None:
        start.wait()
        try:
            answers[index] = committer.submit(bodies[index])
        except BaseException as exc:  # the test looks at it
            answers[index] = exc

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_concurrent_posts_store_each_row_once_and_credit_one_post(store: DuckDBStore) -> None:
    committer = GroupCommitter(store, 4096)
    # 64 posts of 1-3 rows; ids overlap between posts and repeat within one.
    bodies = [ndjson([cdr(1 + (n * 7 + k) % 100) for k in range(1 + n % 3)]) for n in range(64)]
    bodies[5] = ndjson([cdr(500), cdr(500)])
    answers = submit_all(committer, bodies)
    committer.close()
    assert all(isinstance(a, InsertResult) for a in answers)
    results = [a for a in answers if isinstance(a, InsertResult)]
    expected = sorted({r["id"] for body in bodies for r in map(_row, body.splitlines())})
    assert stored_ids(store) == expected  # exactly once each
    assert sum(r.inserted for r in results) == len(expected)  # one post credited per row
    for body, result in zip(bodies, results, strict=True):
        assert result.received == record_lines(body)
        assert result.inserted + result.duplicates == result.received
    assert results[5].duplicates >= 1  # its own repeat at least


def _row(line: bytes) -> dict[str, int]:
    import orjson

    return orjson.loads(line)  # type: ignore[no-any-return]


def test_a_bad_post_gets_its_own_errors_and_the_others_of_its_group_succeed(
        store: DuckDBStore) -> None:
    committer = GroupCommitter(store, 4096)
    good = [ndjson([cdr(10 + n)]) for n in range(8)]
    bad = ndjson([cdr(100), cdr(101, duration=-5)])
    with pytest.raises(BatchRejected) as alone:
        parse_cdrs(bad, Format.NDJSON, 1 << 20)
    # Hold the store's writer so that every post waits and they form one group.
    with store._write_lock:
        answers: list[InsertResult | BaseException] = []
        waiter = threading.Thread(target=lambda: answers.extend(
            submit_all(committer, [*good[:4], bad, *good[4:]])))
        waiter.start()
        waiter.join(0.5)
    waiter.join()
    committer.close()
    rejected = answers[4]
    assert isinstance(rejected, BatchRejected)
    assert [e.as_dict() for e in rejected.errors] == [e.as_dict() for e in alone.value.errors]
    assert all(isinstance(a, InsertResult) and a.inserted == 1
               for i, a in enumerate(answers) if i != 4)
    assert stored_ids(store) == list(range(10, 18))  # nothing of the bad post


def test_only_plain_small_ndjson_is_grouped() -> None:
    assert groupable(ndjson([cdr(1), cdr(2)]), Format.NDJSON)
    assert record_lines(ndjson([cdr(1), cdr(2)]) + b"\r\n") == 2
    assert not groupable(ndjson([cdr(1)]), Format.CSV)
    assert not groupable(b'{"id": 1}\n\n{"id": 2}', Format.NDJSON)  # a blank line
    assert not groupable(b'[{"id": 1}]', Format.NDJSON)
    assert not groupable(b'{\n"id": 1}', Format.NDJSON)  # one object over two lines
    assert not groupable(b"\xef\xbb\xbf" + ndjson([cdr(1)]), Format.NDJSON)
    assert not groupable(ndjson([cdr(n) for n in range(2000)]), Format.NDJSON)  # > 64 KiB


def test_coroutines_get_their_own_answers_from_one_group(store: DuckDBStore) -> None:
    """`submit_async`: posts awaited on an event loop are answered from the committer's
    thread through the loop, each with its own result or error, in one group."""
    committer = GroupCommitter(store, 4096)
    bodies = [ndjson([cdr(20 + n)]) for n in range(12)]
    bodies[3] = ndjson([cdr(23), cdr(23)])  # its own repeat
    bodies[7] = ndjson([cdr(27, duration=-1)])

    async def post_all() -> list[InsertResult | BaseException]:
        with store._write_lock:  # every post waits, so they gather into one group
            tasks = [asyncio.ensure_future(committer.submit_async(b)) for b in bodies]
            await asyncio.sleep(0.2)
        return await asyncio.gather(*tasks, return_exceptions=True)

    answers = asyncio.run(post_all())
    committer.close()
    assert isinstance(answers[7], BatchRejected)
    assert answers[3] == InsertResult(2, 1, 1)
    assert all(a == InsertResult(1, 1, 0) for i, a in enumerate(answers) if i not in (3, 7))
    assert stored_ids(store) == [20 + n for n in range(12) if n != 7]


def test_a_cancelled_coroutine_s_rows_are_stored_by_close(store: DuckDBStore) -> None:
    """A request cancelled while its post waits (client gone, shutdown) does not take the
    post back: its rows are stored, and durable once `close` returns."""
    committer = GroupCommitter(store, 4096)

    async def post_and_cancel() -> None:
        with store._write_lock:
            task = asyncio.ensure_future(committer.submit_async(ndjson([cdr(5), cdr(6)])))
            await asyncio.sleep(0.05)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(post_and_cancel())
    committer.close()
    assert stored_ids(store) == [5, 6]
