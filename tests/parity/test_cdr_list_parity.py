"""Parity of the CDR lists (SPEC 9.3): drawn CDRs filling every column the lists show,
ingested into every store, then drawn list and /{id} requests (every filter operator of
every type, sorts, paging, fields, JSON and CSV) answered byte for byte alike."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, Phase, event, given, note, settings
from hypothesis import strategies as st

from tests.support import cdr_lists as ref
from tests.support.parity import Apps, Case
from tests.support.times import SECOND
from tests.support.wire import V1

NOW = 1_735_000_000 * SECOND
EXAMPLES = settings(max_examples=25, deadline=None,
                    phases=[Phase.explicit, Phase.reuse, Phase.generate],
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def example_apps(make_apps: Callable[[int], Apps]) -> Iterator[tuple[Apps, Iterator[int]]]:
    yield make_apps(NOW), itertools.count(1)


@EXAMPLES
@given(data=st.data())
def test_drawn_cdr_lists_agree(example_apps: tuple[Apps, Iterator[int]],
                               data: st.DataObject) -> None:
    apps, numbers = example_apps
    n = next(numbers)
    customer, accounts = 300 + n, [3000 + 2 * n, 3001 + 2 * n]
    apps.customer(customer)
    uuids = {a: apps.account(customer, a) for a in accounts}
    rows = data.draw(ref.cdr_rows(n * 100_000, [*accounts, accounts[0], None], NOW))
    if rows:
        apps.cdrs(rows)
    stored = [ref.stored(r) for r in rows]
    tokens = [(uuids, apps.dynamic_token(customer)),
              ({accounts[1]: uuids[accounts[1]]}, apps.dynamic_token(customer, accounts[1:]))]
    for _ in range(data.draw(st.integers(1, 4))):
        type_name = data.draw(st.sampled_from(list(ref.SIDES)))
        usable, token = data.draw(st.sampled_from(tokens))
        if rows and data.draw(st.integers(0, 4)) == 0:
            cdr = data.draw(st.sampled_from(rows))["id"]
            case = Case(f"{V1}/{type_name}/{cdr}", (), token, NOW)
        else:
            *_, params, as_csv = data.draw(ref.list_requests(stored, type_name, usable, NOW))
            headers = (("Accept", "text/csv"),) if as_csv else ()
            case = Case(f"{V1}/{type_name}", tuple(params), token, NOW, headers)
        note(str(case))
        answer = apps.get(case)
        event(f"{type_name}: {answer.status_code}")
