"""Group commit: small CDR posts that arrive together share one parse and one transaction.

A switch posting each CDR as the call ends sends thousands of one-row bodies a second.
Alone, each pays a whole parse (~60 column conversions) and a transaction with its own
write-ahead-log sync, most of it fixed cost. Here one committer thread takes every post
waiting since its last commit, parses their bodies as one NDJSON document, stores the
rows in one transaction (`insert_cdr_groups`: as if the posts were stored one after
another, so a repeat of an earlier post's id is a duplicate) and answers each post once
that transaction is durable. While it commits, the next group gathers.

Only bodies that are plainly one JSON object per line are grouped (`groupable`): their
rows are then the lines, in order, so the joined document's rows split back exactly. If
the joined document is refused, or the group's transaction fails, every post of the group
is parsed and stored alone, so a bad post gets its own 422 (rows numbered within it) and
the others succeed.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import pyarrow as pa

from callstats.ingest.batches import Format, parse_cdrs
from callstats.ingest.readers import GZIP_MAGIC
from callstats.stores.base import InsertResult, Store

MAX_BODY = 64 * 1024  # larger posts are batches already: they commit alone
MAX_GROUP_ROWS = 20_000  # one transaction's rows at most (a group's memory stays small)
# Posters answered by the last commit post again within a moment: the committer waits for
# as many posts as the most posters it saw at once lately (a commit's group plus the posts
# already waiting when it ended), so groups do not shrink to the few that happened to be
# first (a commit costs nearly the same for 1 row or 50). Counting the group alone let a
# group split in two stay split: each half, 8 of 16 clients, was "as many as last time",
# taken while the other half's posters were still coming back (in-process, 16 threads:
# 8.0 CDRs a group in one run of three, at 1.3-1.9 times the CPU per CDR). It waits
# at least GATHER_SECONDS and at most half its last commit's time, up to MAX_GATHER_SECONDS:
# on a busy machine an answered poster takes longer than 2 ms to post again, and a group
# split in two pays two commits for the same rows.
GATHER_SECONDS = 0.002
MAX_GATHER_SECONDS = 0.010
RECENT_GROUPS = 8


@runtime_checkable
class GroupInsert(Protocol):
    def insert_cdr_groups(self, tables: Sequence[pa.Table]) -> list[InsertResult]: ...


def record_lines(body: bytes) -> int:
    """How many JSON-object lines `body` is, or 0 unless every line (CR aside) is one:
    starts with `{`, ends with `}`, and no line is blank."""
    if len(body) > MAX_BODY or body[:2] == GZIP_MAGIC or body[:3] == b"\xef\xbb\xbf":
        return 0
    lines = body.strip(b" \t\r\n").split(b"\n")
    for line in lines:
        line = line.strip(b" \t\r")
        if not (line.startswith(b"{") and line.endswith(b"}")):
            return 0
    return len(lines)


def groupable(body: bytes, fmt: Format) -> bool:
    return fmt is Format.NDJSON and record_lines(body) > 0


@dataclass
class _Post:
    body: bytes
    rows: int
    done: threading.Event = field(default_factory=threading.Event)
    result: InsertResult | None = None
    error: BaseException | None = None
    waiter: asyncio.Future[InsertResult] | None = None  # submit_async's, set on its loop


class GroupCommitter:
    """Stores groupable NDJSON CDR bodies through one committer thread (started on first
    use); `submit` returns once the post's rows are durable, or raises its error."""

    def __init__(self, store: Store, max_string: int, max_group_rows: int = MAX_GROUP_ROWS):
        self._store, self._max_string = store, max_string
        self._max_rows = max_group_rows
        self._waiting: list[_Post] = []
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._closed = False
        self._recent_posters: deque[int] = deque([1], maxlen=RECENT_GROUPS)
        self._last_commit_seconds = 0.0
        self.groups = 0  # commits made, for the curious (bench, tests)

    def submit(self, body: bytes) -> InsertResult:
        post = self._enqueue(_Post(body, record_lines(body)))
        post.done.wait()
        if post.error is not None:
            raise post.error
        assert post.result is not None
        return post.result

    async def submit_async(self, body: bytes) -> InsertResult:
        """`submit` for a coroutine on an event loop: the post waits on a future the
        committer settles, so no thread is handed the request only to block in it (the
        thread pool's hand-off and wake-up were per-post work of a group commit). A
        cancelled caller's rows are still stored (and durable before `close` returns)."""
        loop = asyncio.get_running_loop()
        post = _Post(body, record_lines(body), waiter=loop.create_future())
        self._enqueue(post)
        assert post.waiter is not None
        return await post.waiter

    def _enqueue(self, post: _Post) -> _Post:
        if not post.rows:
            raise ValueError("not a groupable body: store it alone")
        with self._lock:
            if self._closed:
                raise RuntimeError("group committer is closed")
            self._waiting.append(post)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name="callstats-group-commit")
                self._thread.start()
            self._wake.notify()
        return post

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._wake.notify()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._waiting and not self._closed:
                    self._wake.wait()
                if not self._waiting:
                    return  # closed, nothing left
                wanted = max(self._recent_posters)
                deadline = time.monotonic() + max(GATHER_SECONDS, min(
                    self._last_commit_seconds / 2, MAX_GATHER_SECONDS))
                while (len(self._waiting) < wanted and not self._closed
                       and (left := deadline - time.monotonic()) > 0):
                    self._wake.wait(left)
                group: list[_Post] = []
                rows = 0
                while self._waiting and (not group or rows + self._waiting[0].rows
                                         <= self._max_rows):
                    rows += self._waiting[0].rows
                    group.append(self._waiting.pop(0))
                self.groups += 1
            started = time.monotonic()
            self._commit(group)
            self._last_commit_seconds = time.monotonic() - started
            with self._lock:  # the group's posters come back; the waiting ones are here
                self._recent_posters.append(len(group) + len(self._waiting))

    def _commit(self, group: list[_Post]) -> None:
        try:
            if len(group) > 1 and isinstance(self._store, GroupInsert):
                tables = self._parse_together(group)
                if tables is not None:
                    try:
                        results = self._store.insert_cdr_groups(tables)
                    except Exception:  # noqa: BLE001 - each post alone tells whose it is
                        pass
                    else:
                        for post, result in zip(group, results, strict=True):
                            post.result = result
                        return
            for post in group:  # alone: its own parse, transaction and error
                try:
                    post.result = self._store.insert_cdrs(
                        parse_cdrs(post.body, Format.NDJSON, len(post.body), self._max_string))
                except BaseException as exc:  # raised in the request's thread
                    post.error = exc
        finally:
            waiting: dict[asyncio.AbstractEventLoop, list[_Post]] = {}
            for post in group:
                if post.result is None and post.error is None:  # pragma: no cover
                    post.error = RuntimeError("group commit failed")
                post.done.set()
                if post.waiter is not None:
                    waiting.setdefault(post.waiter.get_loop(), []).append(post)
            for loop, posts in waiting.items():  # one wake-up of each loop per group
                _call_soon(loop, _settle, posts)

    def _parse_together(self, group: list[_Post]) -> list[pa.Table] | None:
        """Each post's rows from one parse of the joined bodies, or None when that parse
        is refused (some post is bad: each is then parsed alone)."""
        joined = b"\n".join(post.body.strip(b" \t\r\n") for post in group)
        try:
            table = parse_cdrs(joined, Format.NDJSON, len(joined), self._max_string)
        except Exception:  # noqa: BLE001 - the posts alone give each its own answer
            return None
        if table.num_rows != sum(post.rows for post in group):
            return None  # pragma: no cover - every line is one row
        tables, offset = [], 0
        for post in group:
            tables.append(table.slice(offset, post.rows))
            offset += post.rows
        return tables


def _settle(posts: list[_Post]) -> None:
    """On the posts' event loop: hand each waiting coroutine its answer."""
    for post in posts:
        waiter = post.waiter
        if waiter is None or waiter.done():  # its request was cancelled meanwhile
            continue
        if post.error is not None:
            waiter.set_exception(post.error)
        else:
            assert post.result is not None
            waiter.set_result(post.result)


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[[list[_Post]], None],
               posts: list[_Post]) -> None:
    try:
        loop.call_soon_threadsafe(callback, posts)
    except RuntimeError:  # the loop is closed: no one waits for these answers any more
        pass
