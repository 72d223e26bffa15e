"""History: the CDR schema exactly, realistic proportions, calls and legs that hang together."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
import pytest

from callstats.columns import CDR_COLUMNS
from callstats.ingest.convert import arrow_schema
from callstats.sim import IdSequence, TrafficModel, history_tables
from callstats.stores.duckdb_store import DuckDBStore
from tests.support.sim import DAY, NOW, rows


def one_day(model: TrafficModel, seed: int) -> pa.Table:
    return pa.concat_tables(history_tables(model, seed, NOW - DAY, NOW, IdSequence(1)))


def test_same_seed_same_traffic(model: TrafficModel) -> None:
    first, again, other = one_day(model, 5), one_day(model, 5), one_day(model, 6)
    assert first.num_rows > 5000
    assert first.equals(again)
    assert not first.equals(other)


def test_tables_have_exactly_the_cdr_schema_and_store(
    week_tables: list[pa.Table], tmp_path: Path
) -> None:
    assert all(table.schema == arrow_schema(CDR_COLUMNS) for table in week_tables)
    store = DuckDBStore(tmp_path / "cdr.duckdb")
    try:
        for table in week_tables[-3:]:
            result = store.insert_cdrs(table)
            assert (result.inserted, result.duplicates) == (table.num_rows, 0)
        assert store.insert_cdrs(week_tables[-2]).duplicates == week_tables[-2].num_rows
        assert store.count_cdrs() == sum(t.num_rows for t in week_tables[-3:])
    finally:
        store.close()


def test_ids_are_unique_and_increase_from_the_start_id(
    week_tables: list[pa.Table], model: TrafficModel
) -> None:
    ids = pa.concat_tables(week_tables).column("id").to_pylist()
    assert ids == list(range(1000, 1000 + len(ids)))
    sequence = IdSequence(500)
    produced = sum(t.num_rows for t in history_tables(model, 2, NOW - 3600, NOW, sequence))
    assert sequence.next == 500 + produced


def test_history_holds_only_ended_calls_in_the_window(week: duckdb.DuckDBPyConnection) -> None:
    [(first_start, last_end)] = rows(
        week, "SELECT epoch(min(time_start)), epoch(max(time_end)) FROM cdrs")
    assert NOW - 7 * DAY <= first_start < last_end <= NOW


def test_about_half_the_calls_are_unanswered(week: duckdb.DuckDBPyConnection) -> None:
    [(share,)] = rows(week, "SELECT avg((duration = 0)::INT) FROM cdrs WHERE is_last_cdr")
    assert 0.35 <= share <= 0.55  # ASR 45-65%: docs/demo.md, "How realistic"


def test_unanswered_calls_spread_over_the_usual_sip_codes(week: duckdb.DuckDBPyConnection
                                                           ) -> None:
    classes = dict(rows(week, """
        SELECT CASE WHEN code IN (486, 600) THEN 'busy' WHEN code IN (603, 607) THEN 'rejected'
                    WHEN code IN (408, 480, 487) THEN 'not answered' ELSE 'failed' END, count(*)
        FROM (SELECT coalesce(legb_disconnect_code, lega_disconnect_code,
                              internal_disconnect_code) AS code
              FROM cdrs WHERE is_last_cdr AND duration = 0) GROUP BY 1"""))
    total = sum(classes.values())
    assert classes["not answered"] == max(classes.values())
    assert all(classes[c] / total >= 0.05 for c in ("busy", "rejected", "failed"))
    codes = {code for (code,) in rows(week, """
        SELECT DISTINCT coalesce(legb_disconnect_code, lega_disconnect_code,
                                 internal_disconnect_code) FROM cdrs WHERE duration = 0""")}
    assert {486, 600, 603, 607, 408, 480, 487, 404, 503, 502} <= codes
    [(only_internal,)] = rows(week, """SELECT count(*) FROM cdrs WHERE legb_disconnect_code
        IS NULL AND lega_disconnect_code IS NULL AND internal_disconnect_code IS NOT NULL""")
    assert only_internal > 0


def test_each_call_has_exactly_one_last_cdr(week: duckdb.DuckDBPyConnection) -> None:
    [(calls, bad, multi_leg)] = rows(week, """
        SELECT count(*), count(*) FILTER (WHERE lasts != 1), count(*) FILTER (WHERE legs > 1)
        FROM (SELECT sum(is_last_cdr::INT) lasts, count(*) legs FROM cdrs GROUP BY local_tag)""")
    assert bad == 0
    assert 0.05 <= multi_leg / calls <= 0.3


def test_failed_attempts_go_to_other_vendors_before_the_last(
    week: duckdb.DuckDBPyConnection
) -> None:
    [(rerouted, repeated_vendor, overlapping, answered_early)] = rows(week, """
        WITH legs AS (
            SELECT *, lead(time_start) OVER (PARTITION BY local_tag ORDER BY id) next_start
            FROM cdrs WHERE customer_id < 2000)  -- outbound: routed by our switch
        SELECT count(DISTINCT local_tag) FILTER (WHERE NOT is_last_cdr),
               (SELECT count(*) FROM (SELECT local_tag, vendor_acc_id FROM legs
                                      GROUP BY ALL HAVING count(*) > 1)),
               count(*) FILTER (WHERE next_start < time_end),
               count(*) FILTER (WHERE NOT is_last_cdr AND duration > 0)
        FROM legs""")
    assert rerouted > 100
    assert (repeated_vendor, overlapping, answered_early) == (0, 0, 0)


def test_pbx_features(week: duckdb.DuckDBPyConnection) -> None:
    [(elsewhere, elsewhere_without_answer)] = rows(week, """
        SELECT count(*), count(*) FILTER (WHERE NOT EXISTS (
            SELECT 1 FROM cdrs o WHERE o.local_tag = c.local_tag AND o.duration > 0))
        FROM cdrs c WHERE answered_elsewhere""")
    assert elsewhere > 100 and elsewhere_without_answer == 0
    [(diverted, bad_divert)] = rows(week, """
        SELECT count(*), count(*) FILTER (WHERE legb_disconnect_code != 302 OR is_last_cdr
                                          OR duration != 0)
        FROM cdrs WHERE is_redirected""")
    assert diverted > 50 and bad_divert == 0
    [(unbridged, bad_unbridged)] = rows(week, """
        SELECT count(*), count(*) FILTER (WHERE bridged_duration != 0)
        FROM cdrs WHERE duration > 0 AND NOT bridged""")
    assert unbridged > 50 and bad_unbridged == 0
    [(pbx_rows, without_extension)] = rows(week, """
        SELECT count(*), count(*) FILTER (WHERE extension_id IS NULL)
        FROM cdrs WHERE customer_id = 1001 AND customer_acc_id = 10011 OR vendor_id = 1001""")
    assert pbx_rows > 1000 and without_extension == 0


def test_times_and_durations_agree(week: duckdb.DuckDBPyConnection) -> None:
    [(bad,)] = rows(week, """
        SELECT count(*) FROM cdrs WHERE NOT (
            time_start <= time_end
            AND (duration > 0) = (time_connect IS NOT NULL)
            AND (time_connect IS NULL OR time_start < time_connect AND time_connect < time_end)
            AND (time_connect IS NULL OR abs(epoch(time_end - time_connect) - duration) <= 0.5)
            AND (pdd IS NULL OR pdd > 0)
            AND bridged_duration <= duration)""")
    assert bad == 0


def test_prices_are_exact_and_vendors_cost_less(week: duckdb.DuckDBPyConnection) -> None:
    [(answered, dearer_vendor, charged_unanswered, short_billing)] = rows(week, """
        SELECT count(*) FILTER (WHERE duration > 0),
               count(*) FILTER (WHERE duration > 0 AND vendor_price >= customer_price),
               count(*) FILTER (WHERE duration = 0
                                AND (customer_price != 0 OR vendor_price != 0)),
               count(*) FILTER (WHERE customer_duration < duration)
        FROM cdrs""")
    assert answered > 50_000
    assert (dearer_vendor, charged_unanswered, short_billing) == (0, 0, 0)
    per_minute = rows(week, """SELECT DISTINCT customer_duration % 60 FROM cdrs
                               WHERE customer_acc_id IN (10012, 10041, 10042, 10061)""")
    assert per_minute == [(0,)]


@pytest.mark.parametrize(("account", "timezone"), [(10011, "Europe/London"),
                                                   (10061, "America/Los_Angeles")])
def test_load_follows_the_day_and_the_week(
    week: duckdb.DuckDBPyConnection, account: int, timezone: str
) -> None:
    starts = rows(week, f"""SELECT epoch(time_start) FROM cdrs
                           WHERE customer_acc_id = {account} AND is_last_cdr""")
    local = [datetime.fromtimestamp(t, ZoneInfo(timezone)) for (t,) in starts]
    weekday_hours = Counter(t.hour for t in local if t.weekday() < 5)
    night = sum(weekday_hours[h] for h in range(1, 5)) / 4  # mean of 01:00-05:00
    assert max(weekday_hours.values()) > 8 * max(night, 1)
    whole_days = [t for t in local if NOW - 6 * DAY <= t.timestamp() < NOW - DAY]
    weekend = sum(t.weekday() >= 5 for t in whole_days)
    # The five whole days hold one weekend day or two; a weekday carries more than either.
    weekend_days = len({t.date() for t in whole_days if t.weekday() >= 5})
    assert (len(whole_days) - weekend) / (5 - weekend_days) > weekend / weekend_days
