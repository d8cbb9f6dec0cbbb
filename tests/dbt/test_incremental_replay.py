"""Incremental builds equal a full rebuild (docs/incremental.md).

The demo data is replayed day by day: everything before the last
``REPLAY_DAYS`` days is built once, then each day's raw rows are appended and
the incremental models are run (tests/support/replay.py). Rows arrive late
(events and orders up to ``LOOKBACK`` days after their timestamp, and some
10 and 40 days late, far outside the lookback, and 5-7 days late at 02:00
UTC, around the first day of the customer-days window, whose reporting date
in the replay's timezone (America/New_York) is the day before), old orders get new versions
(one 40 days late), event ids come back as duplicates (in the window, with an implausibly early
timestamp, without a timestamp, 40 days late, and dated before the staged
copy so that it takes over), identical copies of old rows arrive again and
keyless rows arrive on later days. The final incremental build must equal a
``--full-refresh`` build of the same raw data in a second DuckDB file, row
for row, for every staging, intermediate and mart relation. A second
incremental build without new data changes nothing, and a row much later
than the lookback is absorbed by the next daily run, without
``--full-refresh``.

Only the incremental models carry state between runs; every other model is a
table or a view rebuilt from them. So the daily runs select the incremental
models, what they read and the bookkeeping built after them
(``+int_triaged_rows_by_day``, which also brings ``int_customer_early_events``,
incremental by customer and built before the bookkeeping), and the incremental marts
(``customer_cohorts``, ``int_customer_stage_snapshots``: every run advances
as_of_date, so they recompute their last period and the customers or months
the day's rows changed; ``int_purchase_days``: the customers whose purchase
days changed), and the final ``dbt build`` builds and tests
everything.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from support.dbt import dbt_output_tail, run_dbt
from support.replay import replay_plan

from retention.contract import TABLE_NAMES
from retention.raw.load import load_frames, select_list
from retention.reference.compare import compare_frames

log = logging.getLogger(__name__)

CUSTOMERS = 800
SEED = 7
REPLAY_DAYS = 30
# A reporting timezone behind UTC: a UTC day and a reporting date differ,
# which is where the windows' edges are (UTC for the late-day counts,
# reporting dates for the customer-days).
VARS: dict[str, Any] = {"reporting_timezone": "America/New_York"}
# The incremental models and what they read: the four staging/intermediate
# ones (with the bookkeeping built after them) and the incremental marts,
# which carry state too (a mart built from stale state would differ).
DAILY_SELECT = (
    "--select",
    "+int_triaged_rows_by_day",
    "+customer_cohorts",
    "+int_customer_stage_snapshots",
    "+int_purchase_days",
)
INCREMENTAL_MODELS = (
    "staging.stg_events__triaged",
    "staging.stg_orders__triaged",
    "intermediate.int_purchases",
    "intermediate.int_customer_event_days",
    "intermediate.int_customer_early_events",
    "intermediate.int_purchase_days",
    "intermediate.int_customer_stage_snapshots",
    "marts.customer_cohorts",
)
COMPARED_SCHEMAS = ("staging", "intermediate", "marts")


@dataclass
class Replay:
    work_dir: Path
    incremental_db: Path
    full_db: Path
    final_day: dt.date
    daily_seconds: list[float] = field(default_factory=list)
    injected: dict[str, int] = field(default_factory=dict)


def _dbt(subcommand: str, database: Path, work_dir: Path, *args: str) -> str:
    code, output = run_dbt(subcommand, database, VARS, work_dir, tuple(args))
    assert code == 0, f"dbt {subcommand} {' '.join(args)} failed:\n{dbt_output_tail(output)}"
    return output


def _append(database: Path, table: str, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    with duckdb.connect(str(database)) as con:
        con.register("_new_rows", frame)
        con.execute(
            f"insert into raw.{table} select {select_list(table, set(frame.columns))} "
            "from _new_rows"
        )
        con.unregister("_new_rows")


def _relations(database: Path) -> list[str]:
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            f"where table_schema in {COMPARED_SCHEMAS} order by 1"
        ).fetchall()
    return [row[0] for row in rows]


def _read_relation(database: Path, relation: str) -> pd.DataFrame:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.sql(f"select * from {relation}").df()


def _differences(left_db: Path, right_db: Path, relations: list[str]) -> list[str]:
    """Every relation of the incremental warehouse equals the full refresh's:
    same columns and types, same rows (retention/reference/compare.py)."""
    problems = []
    for relation in relations:
        problems += [
            f"{relation}: {p}"
            for p in compare_frames(
                _read_relation(left_db, relation),
                _read_relation(right_db, relation),
                labels=("incremental", "full refresh"),
                same_types=True,
            )
        ]
    return problems


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replay]:
    started = time.monotonic()
    work_dir = tmp_path_factory.mktemp("incremental_replay")
    plan = replay_plan(work_dir / "raw", CUSTOMERS, SEED, REPLAY_DAYS)
    injected = plan.injected
    incremental_db = work_dir / "incremental.duckdb"
    load_frames(plan.initial, incremental_db)
    _dbt("run", incremental_db, work_dir, *DAILY_SELECT)

    daily_seconds = []
    for replay_day in plan.days:
        _append(incremental_db, "events", replay_day.events)
        _append(incremental_db, "orders", replay_day.orders)
        run_started = time.monotonic()
        _dbt("run", incremental_db, work_dir, *DAILY_SELECT)
        daily_seconds.append(time.monotonic() - run_started)
    _dbt("build", incremental_db, work_dir)

    full_db = work_dir / "full.duckdb"
    with duckdb.connect(str(full_db)) as con:
        con.execute(f"attach '{incremental_db}' as replayed (read_only)")
        con.execute("create schema raw")
        for table in TABLE_NAMES:
            con.execute(f"create table raw.{table} as select * from replayed.raw.{table}")
    _dbt("build", full_db, work_dir, "--full-refresh")

    log.info(
        "replay: %d daily runs, %.1f s per run (min %.1f, max %.1f); whole fixture %.0f s;"
        " injected %s",
        len(daily_seconds), float(np.mean(daily_seconds)), min(daily_seconds),
        max(daily_seconds), time.monotonic() - started, injected,
    )
    yield Replay(work_dir, incremental_db, full_db, plan.last.date(), daily_seconds, injected)


def test_replay_covers_at_least_30_days_with_late_rows(replay: Replay) -> None:
    assert len(replay.daily_seconds) >= 30
    for kind in ("late_generated_events", "late_generated_orders", "late_order_update",
                 "event_id_repeated_in_window", "event_id_repeated_dated_1970",
                 "keyless_event_one_day_late", "keyless_order_two_days_late",
                 "new_event_10_days_late", "new_event_40_days_late",
                 "new_order_10_days_late", "new_order_40_days_late",
                 "event_id_repeated_40_days_late", "event_id_repeated_before_its_staged_copy",
                 "identical_copy_of_an_old_event", "keyless_event_10_days_late",
                 "order_version_40_days_late", "identical_copy_of_an_old_order",
                 "new_event_on_the_window_edge"):
        assert replay.injected.get(kind, 0) > 0, kind


def test_daily_incremental_builds_equal_a_full_refresh(replay: Replay) -> None:
    relations = _relations(replay.full_db)
    assert set(INCREMENTAL_MODELS) <= set(relations)
    assert {"marts.cohort_retention", "marts.customers", "marts.customer_cohorts"} <= set(
        relations
    )
    assert _relations(replay.incremental_db) == relations
    assert _differences(replay.incremental_db, replay.full_db, relations) == []


def test_late_order_updates_replaced_the_staged_row(replay: Replay) -> None:
    """The comparison above could pass if both builds ignored late updates:
    check against raw that every order's staged row is its latest version."""
    with duckdb.connect(str(replay.incremental_db), read_only=True) as con:
        stale = con.execute(
            """
            select count(*)
            from staging.stg_orders as staged
            inner join raw.orders as raw_orders
                on staged.order_id = trim(raw_orders.order_id)
            where raw_orders.updated_at > staged.updated_at
            """
        ).fetchall()[0][0]
        refunded_late = con.execute(
            "select count(*) from staging.stg_orders where status = 'refunded'"
            " and updated_at >= ordered_at + interval 14 day"
        ).fetchall()[0][0]
    assert stale == 0
    assert refunded_late > 0


def test_rerun_without_new_data_changes_nothing(replay: Replay, tmp_path: Path) -> None:
    before = tmp_path / "before.duckdb"
    shutil.copy(replay.incremental_db, before)
    _dbt("build", replay.incremental_db, replay.work_dir)
    relations = _relations(before)
    assert _differences(before, replay.incremental_db, relations) == []


def test_row_far_later_than_the_lookback_is_absorbed_by_the_daily_run(
    replay: Replay, tmp_path: Path
) -> None:
    """An event and a new version of an old order, both dated 40 days before
    the last day, arrive after the replay: one daily run (no --full-refresh)
    stages both, updates int_customer_event_days and int_purchases, and the
    books balance."""
    database = tmp_path / "late.duckdb"
    shutil.copy(replay.incremental_db, database)
    too_late = pd.Timestamp(replay.final_day) - pd.Timedelta(days=40) + pd.Timedelta(hours=10)
    with duckdb.connect(str(database), read_only=True) as con:
        customer_id = con.execute(
            "select min(customer_id) from staging.stg_events where not is_anonymous"
        ).fetchall()[0][0]
        order_id, amount = con.execute(
            "select order_id, order_amount from staging.stg_orders where is_purchase"
            " and coalesce(updated_at, ordered_at) < ? order by order_id limit 1",
            [too_late - pd.Timedelta(days=30)],
        ).fetchall()[0]
    _append(database, "events", pd.DataFrame({
        "event_id": ["E-too-late"], "customer_id": [customer_id], "event_name": ["page_view"],
        "occurred_at": [too_late], "platform": ["web"], "properties": ["{}"],
    }))
    with duckdb.connect(str(database)) as con:
        con.execute(
            "insert into raw.orders select * replace (cast(? as timestamp) as updated_at,"
            " order_amount + 11 as order_amount) from raw.orders where trim(order_id) = ?"
            " order by updated_at desc nulls last limit 1",
            [too_late, order_id],
        )
    _dbt("run", database, tmp_path, *DAILY_SELECT)
    with duckdb.connect(str(database), read_only=True) as con:
        event_date = con.execute(
            "select event_date from staging.stg_events where event_id = 'E-too-late'"
        ).fetchall()
        assert len(event_date) == 1, "the late event is staged"
        # the customer-day, counted from the staged events (a view over all
        # of them), equals the incrementally maintained row
        expected = con.execute(
            "select count(*) from staging.stg_events where customer_id = ? and event_date = ?",
            [customer_id, event_date[0][0]],
        ).fetchall()[0][0]
        maintained = con.execute(
            "select events from intermediate.int_customer_event_days"
            " where customer_id = ? and event_date = ?",
            [customer_id, event_date[0][0]],
        ).fetchall()
        staged_amount = con.execute(
            "select order_amount from staging.stg_orders where order_id = ?", [order_id]
        ).fetchall()[0][0]
        purchase_updated = con.execute(
            "select updated_at from intermediate.int_purchases where order_id = ?", [order_id]
        ).fetchall()[0][0]
    assert maintained == [(expected,)] and expected >= 1
    assert staged_amount == amount + 11
    assert pd.Timestamp(purchase_updated) == too_late
    _dbt("test", database, tmp_path, "--select", "reconcile_staging_row_counts")


def test_a_table_from_an_older_version_asks_for_a_full_refresh(
    replay: Replay, tmp_path: Path
) -> None:
    """stg_events__triaged built before it had key_hash: the incremental run
    stops with a message naming the table, the column and the remedy."""
    database = tmp_path / "older.duckdb"
    shutil.copy(replay.incremental_db, database)
    with duckdb.connect(str(database)) as con:
        con.execute("alter table staging.stg_events__triaged drop column key_hash")
    code, output = run_dbt("run", database, VARS, tmp_path, ("--select", "stg_events__triaged"))
    assert code != 0
    flat = " ".join(output.split())
    assert "has no column key_hash: it was built by an older version of this project" in flat, (
        output[-2000:]
    )
    assert "dbt build --full-refresh" in flat
    _dbt("run", database, tmp_path, "--select", "stg_events__triaged", "--full-refresh")


def test_a_table_that_stores_the_retired_triage_key_loses_it_in_the_next_run(
    replay: Replay, tmp_path: Path
) -> None:
    """stg_events__triaged built by a version that stored triage_key: the
    next incremental run drops the column and leaves every row as it was."""
    database = tmp_path / "retired.duckdb"
    shutil.copy(replay.incremental_db, database)
    table = "staging.stg_events__triaged"
    with duckdb.connect(str(database)) as con:
        con.execute(f"alter table {table} add column triage_key varchar")
        con.execute(f"update {table} set triage_key = coalesce(event_id, 'older')")
        before = con.execute(f"select * exclude (triage_key) from {table}").df()
    output = _dbt("run", database, tmp_path, "--select", "stg_events__triaged")
    assert "dropping column triage_key" in output
    with duckdb.connect(str(database)) as con:
        columns = [row[0] for row in con.execute(f"describe {table}").fetchall()]
        after = con.execute(f"select * from {table}").df()
    assert "triage_key" not in columns and "key_hash" in columns
    order = ["key_hash", "version_rank", "occurred_at", "event_id"]
    pd.testing.assert_frame_equal(
        before.sort_values(order, ignore_index=True), after.sort_values(order, ignore_index=True)
    )



def test_purchase_days_from_an_older_version_gain_their_running_measures(
    replay: Replay, tmp_path: Path
) -> None:
    """int_purchase_days built before it carried the running measures: the
    next incremental run adds the columns and rewrites every customer, so
    the table and int_customer_stage_snapshots equal the replay's."""
    database = tmp_path / "older_days.duckdb"
    shutil.copy(replay.incremental_db, database)
    table = "intermediate.int_purchase_days"
    retired = ("first_purchase_date", "next_purchase_date", "net_revenue_to_date")
    with duckdb.connect(str(database)) as con:
        for column in retired:
            con.execute(f"alter table {table} drop column {column}")
    _dbt("run", database, tmp_path, "--select", "int_purchase_days", "int_customer_stage_snapshots")
    assert _differences(
        replay.incremental_db, database, [table, "intermediate.int_customer_stage_snapshots"]
    ) == []


def _test_results(work_dir: Path) -> dict[str, dict[str, Any]]:
    """The data tests of the last dbt invocation in ``work_dir``, by name:
    status, failing rows and compiled SQL (run_results.json)."""
    results = json.loads((work_dir / "target" / "run_results.json").read_text())["results"]
    return {
        result["unique_id"].split(".")[2]: result
        for result in results
        if result["unique_id"].startswith("test.")
    }


def test_daily_run_tests_check_the_rows_it_touched_and_a_full_run_every_row(
    replay: Replay, tmp_path: Path
) -> None:
    """docs/incremental.md, "Data tests in a daily run". Bad rows are written
    into the triaged tables under keys no run replaces, so they survive the
    next run. stg_orders__triaged: two in the window (a second copy of an
    order of the window; an old order's copy moved into the window under
    another triage key, colliding on order_id with the old row outside it),
    an old order's copy moved into the window under its own triage key and
    version rank (colliding with the old row on the triaged table's grain),
    two outside it (a second copy of an old order; an old order without
    customer), plus one row without customer in the window.
    stg_events__triaged: an old event's copy moved into the window under its
    key (triage key, key_hash, version rank: the two-step key_hash lookup
    must find the old row), a second copy of an old event outside the
    window, and a second copy of an old quarantined event outside it. The
    daily `dbt build`s (one before and one after the faults on the triaged
    tables' grain, whose failing tests would skip the views) fail on exactly
    the ones in the window, the old rows outside it included through the
    semi-join on the key, and on the quarantined copy (the quarantines'
    tests check every row); `dbt test` on its own, with no run window,
    finds every one."""
    database = tmp_path / "tampered.duckdb"
    shutil.copy(replay.incremental_db, database)
    triaged = "staging.stg_orders__triaged"
    events = "staging.stg_events__triaged"
    version_time = "coalesce(updated_at, ordered_at)"
    with duckdb.connect(str(database)) as con:
        watermark = con.execute(
            f"select max({version_time}) from {triaged} where disposition = 'staged'"
        ).fetchall()[0][0]
        window_order = con.execute(
            f"select min(triage_key) from {triaged} where disposition = 'staged'"
            f" and {version_time} >= ?",
            [watermark - dt.timedelta(days=1)],
        ).fetchall()[0][0]
        old_orders = [
            row[0]
            for row in con.execute(
                f"select triage_key from {triaged} where disposition = 'staged'"
                f" and {version_time} < ? order by triage_key limit 4",
                [watermark - dt.timedelta(days=20)],
            ).fetchall()
        ]
        event_watermark = con.execute(
            f"select max(occurred_at) from {events} where disposition = 'staged'"
        ).fetchall()[0][0]

        def old_events(disposition: str, count: int) -> list[str]:
            return [
                row[0]
                for row in con.execute(
                    f"select event_id from {events} where disposition = ?"
                    " and event_id is not null and occurred_at >= '1990-01-01'"
                    " and occurred_at < ? order by event_id limit ?",
                    [disposition, event_watermark - dt.timedelta(days=20), count],
                ).fetchall()
            ]

        staged_events, quarantined_events = old_events("staged", 2), old_events("quarantined", 1)
        assert len(old_orders) == 4 and len(staged_events) == 2 and quarantined_events

    def copy(key: str, replace: str, table: str = triaged, disposition: str = "staged") -> None:
        # the events table stores no triage key: its rows here have an event_id
        key_column = "event_id" if table == events else "triage_key"
        with duckdb.connect(str(database)) as con:
            con.execute(
                f"insert into {table} select * replace ({replace}) from {table}"
                f" where {key_column} = ? and disposition = ?",
                [key, disposition],
            )

    # faults on the views' grain (other triage keys) and outside the window
    in_window = f"cast('{watermark}' as timestamp) as updated_at"
    copy(window_order, "triage_key || '~copy' as triage_key")
    copy(old_orders[0], f"triage_key || '~moved' as triage_key, {in_window}")
    copy(old_orders[1], "triage_key || '~old-copy' as triage_key")
    for suffix, when in (("-new", f", {in_window}"), ("-old", "")):
        copy(
            old_orders[2],
            f"order_id || '{suffix}' as order_id, triage_key || '{suffix}' as triage_key,"
            f" null as customer_id{when}",
        )
    copy(staged_events[1], "occurred_at as occurred_at", table=events)
    copy(quarantined_events[0], "occurred_at as occurred_at", table=events,
         disposition="quarantined")
    tested = ("stg_orders__triaged", "stg_orders", "stg_events__triaged",
              "stg_events__quarantine")
    daily_code, daily_output = run_dbt("build", database, VARS, tmp_path, ("--select", *tested))
    daily = _test_results(tmp_path)

    # faults on the triaged tables' grain, in the window: a failing test of
    # a triaged table skips the views, so they get a daily build of their own
    copy(old_orders[3], in_window)
    copy(staged_events[0], f"cast('{event_watermark}' as timestamp) as occurred_at",
         table=events)
    triaged_code, triaged_output = run_dbt(
        "build", database, VARS, tmp_path, ("--select", *tested[::2])
    )
    daily_triaged = _test_results(tmp_path)
    alone_code, alone_output = run_dbt("test", database, VARS, tmp_path, ("--select", *tested))
    alone = _test_results(tmp_path)
    events_unique = (
        "unique_columns_combination_stg_events__triaged_key_hash__event_id__version_rank"
        "__key_hash__version_rank"
    )
    orders_unique = "unique_columns_combination_stg_orders__triaged_triage_key__version_rank"
    quarantine_unique = "unique_columns_combination_stg_events__quarantine_event_id__version_rank"

    assert daily_code != 0, dbt_output_tail(daily_output)
    for name in ("is_unique_stg_orders_order_id", events_unique, orders_unique):
        assert "touched_rows" in daily[name]["compiled_code"], name
    assert "touched_rows" not in daily[quarantine_unique]["compiled_code"]
    assert daily["is_unique_stg_orders_order_id"]["failures"] == 2  # the window's and the moved
    assert daily["is_not_null_stg_orders_customer_id"]["failures"] == 1
    assert daily[orders_unique]["failures"] == 0
    assert daily[events_unique]["failures"] == 0  # the copy outside the window
    assert daily[quarantine_unique]["failures"] == 1  # every row, in a daily run too
    assert triaged_code != 0, dbt_output_tail(triaged_output)
    assert daily_triaged[orders_unique]["failures"] == 1
    assert daily_triaged[events_unique]["failures"] == 1
    assert alone_code != 0, dbt_output_tail(alone_output)
    for name in ("is_unique_stg_orders_order_id", events_unique, orders_unique):
        assert "touched_rows" not in alone[name]["compiled_code"], name
    assert alone["is_unique_stg_orders_order_id"]["failures"] == 4
    assert alone["is_not_null_stg_orders_customer_id"]["failures"] == 2
    assert alone[orders_unique]["failures"] == 1
    assert alone[events_unique]["failures"] == 3
    assert alone[quarantine_unique]["failures"] == 1


def test_full_refresh_run_tests_check_every_row(replay: Replay, tmp_path: Path) -> None:
    """A --full-refresh build remembers no run window: its data tests read the
    whole tables (and pass: the rebuilt tables are clean)."""
    database = tmp_path / "full.duckdb"
    shutil.copy(replay.incremental_db, database)
    _dbt("build", database, tmp_path, "--select", "stg_orders__triaged", "stg_orders",
         "--full-refresh")
    results = _test_results(tmp_path)
    unique = results["is_unique_stg_orders_order_id"]
    assert unique["status"] == "pass"
    assert "touched_rows" not in unique["compiled_code"]
    assert '"stg_orders"' in unique["compiled_code"]
