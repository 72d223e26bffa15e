"""Seeded multi-leg PBX calls and the request strategies of the PBX differential tests
(shared with the parity suite)."""

from __future__ import annotations

import random

from hypothesis import strategies as st

from tests.support.times import SECOND, spellings, us

NOW = us("2024-06-15T12:00:00Z")
ACCOUNTS = {1: [11, 12], 2: [21, 22], 3: [31]}  # customer → its accounts
CODES = [486, 600, 603, 607, 408, 480, 487, 500, 503, 404, 200]
EXTENSIONS = [100, 101, 102, 200]

def _maybe(rng: random.Random, value: object, p: float = 0.5) -> object:
    return value if rng.random() < p else None


def _flag(rng: random.Random) -> object:
    """A boolean in one of the ingestion's spellings, or missing."""
    return rng.choice([None, None, None, True, False, 1, 0])


def _code(rng: random.Random) -> object:
    roll = rng.random()
    return None if roll < 0.45 else 0 if roll < 0.6 else rng.choice(CODES)


def generate(rng: random.Random, calls: int, first_id: int, customers: list[int | None],
             accounts: dict[int, list[int]], times: list[int]) -> list[dict[str, object]]:
    """Multi-leg calls: a customer per call, a vendor per leg (routing attempts), local_tags
    of their own, shared across calls, empty or missing, every optional column sometimes
    missing, codes sometimes 0 (not set), bridged sometimes given against the duration."""
    rows: list[dict[str, object]] = []
    for c in range(calls):
        roll = rng.random()
        tag = (f"call-{first_id}-{c}" if roll < 0.6 else f"shared-{rng.randrange(8)}"
               if roll < 0.75 else rng.choice(["", None]))
        customer = rng.choice(customers)
        t0 = rng.choice(times) + rng.choice([0, 0, rng.randrange(-600, 600) * SECOND])
        for _ in range(rng.choice([1, 1, 1, 2, 2, 3, 4])):
            vendor = rng.choice(customers)
            row: dict[str, object] = {
                "time_start": t0 + rng.choice([0, 0, rng.randrange(60 * SECOND)]),
                "duration": 0 if rng.random() < 0.6 else rng.randrange(1, 3600),
                "customer_id": customer, "vendor_id": vendor,
                "customer_acc_id": _account(rng, customer, accounts),
                "vendor_acc_id": _account(rng, vendor, accounts),
                "extension_id": rng.choice([None, *EXTENSIONS]),
                "local_tag": tag, "is_last_cdr": _flag(rng),
                "legb_disconnect_code": _code(rng), "lega_disconnect_code": _code(rng),
                "internal_disconnect_code": _code(rng),
                "bridged": rng.choice([None, None, None, True, False]),
                "bridged_duration": _maybe(rng, rng.randrange(0, 500), 0.3),
                "is_redirected": _flag(rng), "answered_elsewhere": _flag(rng),
            }
            rows.append({k: v for k, v in row.items() if v is not None or rng.random() < 0.3})
    ids = list(range(first_id, first_id + len(rows)))
    rng.shuffle(ids)  # id order is not time order: ties on time_start go to the highest id
    return [{"id": i, **row} for i, row in zip(ids, rows, strict=True)]


def _account(rng: random.Random, customer: int | None, accounts: dict[int, list[int]]
             ) -> int | None:
    roll = rng.random()
    if customer in accounts and roll < 0.8:
        return rng.choice(accounts[customer])
    if roll < 0.9:
        return None
    return rng.choice([a for owned in accounts.values() for a in owned])


@st.composite
def extension_params(draw: st.DrawFn) -> tuple[list[tuple[str, str]], frozenset[int] | None]:
    """An extension filter in one of its spellings (or none, or sent empty)."""
    ids = draw(st.lists(st.sampled_from([*EXTENSIONS, 999, -1]), min_size=1, max_size=4))
    form = draw(st.sampled_from(["none", "empty", "repeat", "brackets", "comma", "mixed"]))
    if form == "none":
        return [], None
    if form == "empty":
        return [(draw(st.sampled_from(["extension_id", "extension_id[]"])), "")], None
    texts = [str(i) for i in ids]
    if form == "repeat":
        params = [("extension_id", t) for t in texts]
    elif form == "brackets":
        params = [("extension_id[]", t) for t in texts]
    elif form == "comma":
        params = [("extension_id", ",".join(texts))]
    else:
        params = [("extension_id", ",".join(texts[:2]))]
        params += [("extension_id[]", t) for t in texts[2:]]
    return params, frozenset(ids)


def time_param(draw: st.DrawFn, name: str, bounds: list[int]
               ) -> tuple[list[tuple[str, str]], int | None]:
    moment = draw(st.none() | st.sampled_from(bounds))
    if moment is None:
        return draw(st.sampled_from([[], [(name, "")]])), None
    return [(name, draw(st.sampled_from(spellings(moment))))], moment


