"""The generated history lands in the ranges real traffic of its kind shows, measured as
the quality reports measure it (the store's own quality query over a week of history).

The ranges and their sources are in docs/demo.md ("How realistic"): ASR 40-70% for
business, PBX, retail and wholesale traffic (outbound dialler campaigns 25-45%), NER
93-99.5% over calls (origination; 88% and up over legs, as termination counts them, where
failed failover attempts and 302 diversions weigh too), ACD 90-360 s (campaigns 45-120 s),
average post-dial delay 1-4 s.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa
import pytest

from callstats.queries import ORIGINATION, TERMINATION, QualityQuery, QualityRow, Side
from callstats.sim import TrafficModel
from callstats.stores.duckdb_store import DuckDBStore
from tests.support.sim import DAY, NOW

DAY_US = int(DAY) * 1_000_000
WEEK_FROM_US = int((NOW - 7 * DAY) * 1_000_000)
WEEK_TO_US = int(NOW * 1_000_000)
CAMPAIGNS = 10021  # Kestrel's outbound dialler account


@dataclass(frozen=True)
class Range:
    low: float
    high: float

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high


ASR = Range(40, 70)
CAMPAIGN_ASR = Range(25, 45)
CALL_NER = Range(93, 99.5)  # origination: each call's outcome
LEG_NER = Range(88, 99.5)  # termination: every leg, failed failover attempts included
ACD_SECONDS = Range(90, 360)
CAMPAIGN_ACD_SECONDS = Range(45, 120)
PDD_SECONDS = Range(1, 4)


@pytest.fixture(scope="module")
def store(week_tables: list[pa.Table], tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[DuckDBStore]:
    store = DuckDBStore(tmp_path_factory.mktemp("realism") / "cdr.duckdb")
    for table in week_tables:
        store.insert_cdrs(table)
    yield store
    store.close()


def week(store: DuckDBStore, side: Side, account_id: int) -> QualityRow | None:
    answer = store.quality(QualityQuery(side, account_id, WEEK_FROM_US, WEEK_TO_US,
                                        step_us=8 * DAY_US))
    return answer.whole if answer.whole is not None and answer.whole.total else None


def asr(row: QualityRow) -> float:
    return 100 * row.successful / row.total


def accounts(model: TrafficModel, side: Side) -> list[int]:
    """The accounts that carry calls on this side: customers' (and the inbound carrier's)
    as origination, the vendors' and the PBX customers' as termination."""
    if side is ORIGINATION:
        return sorted({f.account_id for f in model.flows})
    return sorted({int(a) for a in model.vendor_acc_id}
                  | {f.target_account_id for f in model.flows if f.target_account_id})


@pytest.mark.parametrize("side", [ORIGINATION, TERMINATION], ids=lambda s: s.name)
def test_every_account_answers_as_its_kind_of_traffic_does(
        store: DuckDBStore, model: TrafficModel, side: Side) -> None:
    measured = {}
    for account in accounts(model, side):
        row = week(store, side, account)
        assert row is not None and row.total > 2_000, account
        measured[account] = row
    for account, row in measured.items():
        campaign = account == CAMPAIGNS
        assert asr(row) in (CAMPAIGN_ASR if campaign else ASR), (side.name, account, asr(row))
        acd = row.duration / row.successful
        assert acd in (CAMPAIGN_ACD_SECONDS if campaign else ACD_SECONDS), (account, acd)
        ner = 100 * (row.total - row.failed) / row.total
        assert ner in (LEG_NER if side is TERMINATION else CALL_NER), (side.name, account, ner)
        assert row.pdd_millis / row.pdd_count / 1000 in PDD_SECONDS, account


def test_the_demo_customers_charts_stay_in_range_every_day(store: DuckDBStore,
                                                           model: TrafficModel) -> None:
    """What a demo visitor sees first: the demo customer's daily ASR on each account,
    as origination and (its PBX account receiving calls) as termination."""
    customer = model.world.demo_customer
    shown = [(side, account.id) for account in customer.accounts for side in
             (ORIGINATION, TERMINATION) if week(store, side, account.id) is not None]
    assert len(shown) >= 3
    for side, account in shown:
        days = store.quality(QualityQuery(side, account, WEEK_FROM_US, WEEK_TO_US,
                                          step_us=DAY_US)).buckets
        full_days = [d for d in days if d.total >= 300]
        assert len(full_days) >= 5, (side.name, account)
        for day in full_days:
            assert asr(day) in ASR, (side.name, account, day.bucket, asr(day))


def test_the_operator_as_a_whole_sits_mid_range(store: DuckDBStore,
                                                model: TrafficModel) -> None:
    rows = [week(store, ORIGINATION, a) for a in accounts(model, ORIGINATION)]
    calls = sum(r.total for r in rows if r)
    answered = sum(r.successful for r in rows if r)
    assert 45 <= 100 * answered / calls <= 62
