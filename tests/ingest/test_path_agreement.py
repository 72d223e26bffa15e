"""SPEC 11: every ingestion path accepts and rejects exactly the same documents, with the
same errors, and a rejected document stores nothing.

Hypothesis draws documents (good values and malformed ones: integers beyond 64 bits,
NaN and Infinity, invalid UTF-8, over-long strings, NUL, quotes and line breaks) and
breaks their bytes anywhere; every path gets the same bytes: the parser plain and
gzip-encoded, the exact NDJSON reader without the Arrow fast path, POST to a real server
plain and gzip-encoded, `callstats ingest --url` and `callstats ingest` into a data dir.
Across formats, one document written as NDJSON, CSV and Parquet gets one verdict, and
a row's verdict never depends on the rows beside it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callstats.ingest.batches import BatchRejected, Format, parse_cdrs
from tests.support.documents import MAX_STRING, Document, broken, documents
from tests.support.ingest_paths import LIMIT, IngestPaths, Outcome

OFFSETS = itertools.count(1)  # each example's ids (and node ids) are its own
SPAN = 1000
SLOW = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
FORMATS = st.sampled_from(list(Format))


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IngestPaths]:
    opened = IngestPaths(tmp_path_factory.mktemp("paths"), MAX_STRING)
    yield opened
    opened.close()


def assert_paths_agree(paths: IngestPaths, kind: str, fmt: Format, body: bytes,
                       offset: int, ids_intact: bool = False) -> Outcome:
    """Every path gives `body` the same verdict and keeps the same rows. `ids_intact`:
    the body's ids are the example's own (not broken into others), so every row
    inserted is found among them."""
    parsed = paths.parse_paths(kind, fmt, body)
    stored = paths.store_paths(kind, fmt, body, (offset, offset + SPAN - 1))
    verdict = parsed["parse"]
    for name, outcome in parsed.items():
        assert outcome == verdict, name
    for name, outcome in stored.items():
        assert outcome == stored["POST"], name
    served = stored["POST"]
    assert served.status == verdict.status
    if verdict.status == 422:
        assert served.answer == verdict.answer  # the same errors, word for word
        assert served.rows == []  # a rejected document stores nothing
    elif kind == "cdrs":
        assert served.answer["received"] == verdict.answer["received"]  # type: ignore[index]
        if ids_intact:
            assert len(served.rows) == served.answer["inserted"]  # type: ignore[index]
    return verdict


@SLOW
@given(documents(), FORMATS)
def test_every_path_judges_a_document_alike(paths: IngestPaths, document: Document,
                                             fmt: Format) -> None:
    offset = next(OFFSETS) * SPAN
    assert_paths_agree(paths, "cdrs", fmt, document.render(fmt, offset), offset,
                       ids_intact=True)


@SLOW
@given(documents(), st.sampled_from([Format.NDJSON, Format.CSV]), st.data())
def test_every_path_judges_broken_bytes_alike(paths: IngestPaths, document: Document,
                                              fmt: Format, data: st.DataObject) -> None:
    offset = next(OFFSETS) * SPAN
    body = data.draw(broken(document.render(fmt, offset)))
    assert_paths_agree(paths, "cdrs", fmt, body, offset)


@SLOW
@given(documents(), st.data())
def test_every_path_judges_a_broken_parquet_file_alike(paths: IngestPaths,
                                                        document: Document,
                                                        data: st.DataObject) -> None:
    offset = next(OFFSETS) * SPAN
    body = document.render(Format.PARQUET, offset)
    cut = data.draw(st.integers(0, 10**6)) * len(body) // 10**6
    assert_paths_agree(paths, "cdrs", Format.PARQUET, body[:cut], offset)


def test_empty_bodies_on_every_path(paths: IngestPaths) -> None:
    for fmt in Format:
        for kind in ("cdrs", "active-calls"):
            verdict = assert_paths_agree(paths, kind, fmt, b"", 0)
            assert verdict == Outcome(422, [{"row": None, "field": None,
                                             "message": "empty body"}])


# --- snapshots ----------------------------------------------------------------------------

CALL_CELLS = st.fixed_dictionaries({}, optional={
    "duration": st.sampled_from([5, "7", -1, "x", 1.5]),
    "local_tag": st.sampled_from(["a", "", "x" * (MAX_STRING + 1), None]),
    "customer_price": st.sampled_from(["0.5", 0.25, "0.1234567"]),
    "customer_acc_id": st.sampled_from([10, 9223372036854775807]),
})


@st.composite
def envelopes(draw: st.DrawFn, offset: int) -> bytes:
    lines = []
    for _ in range(draw(st.integers(1, 3))):
        head = {"node_id": offset + draw(st.integers(0, 2)),
                "snapshot_timestamp": draw(st.sampled_from(
                    ["2024-03-01T10:00:00Z", 1709287260, "later"]))}
        calls = draw(st.lists(CALL_CELLS, max_size=3))
        line = orjson.dumps({**head, "calls": calls})
        token = draw(st.sampled_from([None, b"NaN", b"9223372036854775808", b'"\xff"']))
        if token is not None:  # a malformed value under a key of the envelope or a call
            key = draw(st.sampled_from([b'"node_id":', b'"duration":', b'"local_tag":']))
            at = line.find(key)
            if at >= 0:
                end = at + len(key)
                stop = min(i for i in (line.find(b",", end), line.find(b"}", end)) if i >= 0)
                line = line[:end] + token + line[stop:]
        lines.append(line)
    return b"\n".join(lines)


@SLOW
@given(st.data())
def test_every_path_judges_snapshots_alike(paths: IngestPaths, data: st.DataObject) -> None:
    offset = next(OFFSETS) * SPAN
    body = data.draw(envelopes(offset))
    if data.draw(st.booleans()):
        body = data.draw(broken(body))
    assert_paths_agree(paths, "active-calls", Format.NDJSON, body, offset)


# --- one document, every format; one row, alone or not -----------------------------------


def verdict_of(document: Document, fmt: Format, offset: int
               ) -> tuple[str, object]:
    try:
        table = parse_cdrs(document.render(fmt, offset), fmt, LIMIT, MAX_STRING)
    except BatchRejected as exc:
        return "422", sorted((e.row or 0, e.field or "") for e in exc.errors)
    return "200", table.to_pylist()


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(documents())
def test_one_document_gets_one_verdict_in_every_format(document: Document) -> None:
    verdicts = {fmt: verdict_of(document, fmt, 1000) for fmt in Format}
    assert verdicts[Format.CSV] == verdicts[Format.NDJSON]
    assert verdicts[Format.PARQUET] == verdicts[Format.NDJSON]


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(documents(max_rows=5), FORMATS)
def test_a_rows_verdict_does_not_depend_on_the_others(document: Document, fmt: Format
                                                     ) -> None:
    """The errors of a document are the errors each row has alone (renumbered)."""
    together = verdict_of(document, fmt, 1000)
    alone = [verdict_of(Document(document.names, (row,), document.as_numbers), fmt, 1000)
             for row in document.rows]
    if together[0] == "200":
        assert all(v[0] == "200" for v in alone)
        assert together[1] == [r for v in alone for r in v[1]]  # type: ignore[union-attr]
        return
    if not document.is_utf8():
        return  # the first byte that is not UTF-8 stops the reading: one error only
    expected = sorted((number, error[1]) for number, v in enumerate(alone, 1)
                      if v[0] == "422" for error in v[1])  # type: ignore[union-attr]
    assert together[1] == expected
