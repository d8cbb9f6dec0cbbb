"""Incremental builds equal a full rebuild (docs/incremental.md).

The demo data is replayed day by day: everything before the last
``REPLAY_DAYS`` days is built once, then each day's raw rows are appended and
the incremental models are run. Rows arrive late (events and orders up to
``LOOKBACK`` days after their timestamp, and some 10 and 40 days late, far
outside the lookback), old orders get new versions (one 40 days late), event
ids come back as duplicates (in the window, with an implausibly early
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
(``+int_triaged_rows_by_day``), and the final ``dbt build`` builds and tests
everything.
"""

from __future__ import annotations

import datetime as dt
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

from retention.contract import TABLE_NAMES
from retention.demo.generate import generate
from retention.raw.load import load_frames, select_list
from retention.reference.compare import compare_frames

log = logging.getLogger(__name__)

CUSTOMERS = 800
SEED = 7
REPLAY_DAYS = 30
LOOKBACK = 3  # the incremental_lookback_days default of dbt_project.yml
VARS: dict[str, Any] = {}
DAILY_SELECT = ("--select", "+int_triaged_rows_by_day")
FAR_LATE_DAYS = (10, 40)  # far outside the lookback: found by the per-day counts
INCREMENTAL_MODELS = (
    "staging.stg_events__triaged",
    "staging.stg_orders__triaged",
    "intermediate.int_purchases",
    "intermediate.int_customer_event_days",
)
COMPARED_SCHEMAS = ("staging", "intermediate", "marts")
PLAUSIBLE = (pd.Timestamp("1990-01-01"), pd.Timestamp("2100-01-01"))


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


def _read_parquet(path: Path) -> pd.DataFrame:
    with duckdb.connect() as con:
        return con.sql(f"select * from read_parquet('{path}')").df()


def _arrival_days(
    timestamps: pd.Series, rng: np.random.Generator, first_replay: pd.Timestamp, last: pd.Timestamp
) -> pd.Series:
    """The day a row reaches raw: the day of its timestamp, or (NULL or
    implausible timestamp) a random day of the last 60 days."""
    plausible = timestamps.notna() & (timestamps >= PLAUSIBLE[0]) & (timestamps < PLAUSIBLE[1])
    days = timestamps.dt.normalize().where(plausible)
    random_days = last - pd.to_timedelta(rng.integers(0, 60, len(timestamps)), unit="D")
    days = days.where(plausible, pd.Series(random_days, index=timestamps.index))
    return days.astype("datetime64[us]")


def _make_late(
    arrival: pd.Series, rng: np.random.Generator, first_replay: pd.Timestamp, last: pd.Timestamp,
    share: float,
) -> tuple[pd.Series, int]:
    """A share of the rows due in the replay arrive 1..LOOKBACK days late."""
    due = (arrival >= first_replay) & (rng.random(len(arrival)) < share)
    delay = pd.to_timedelta(rng.integers(1, LOOKBACK + 1, len(arrival)), unit="D")
    late = (arrival + delay).where(due, arrival).clip(upper=last)
    return late, int((late != arrival).sum())


def _injected_rows(
    events: pd.DataFrame, orders: pd.DataFrame, day: pd.Timestamp, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """Rows that arrive on ``day`` on top of the generated ones."""
    counts: dict[str, int] = {}
    hour = pd.Timedelta(hours=int(rng.integers(0, 20)), minutes=int(rng.integers(0, 59)))
    old_events = events[
        events["event_id"].notna()
        & (events["occurred_at"] < day - pd.Timedelta(days=20))
        & (events["occurred_at"] >= PLAUSIBLE[0])
    ]
    new_events = []
    # an event id seen weeks ago comes back with today's timestamp: a duplicate
    part = old_events.sample(2, random_state=rng.integers(1 << 30)).copy()
    part["occurred_at"] = day + hour
    new_events.append(part)
    counts["event_id_repeated_in_window"] = len(part)
    # an event id seen weeks ago comes back without a timestamp: a duplicate
    part = old_events.sample(1, random_state=rng.integers(1 << 30)).copy()
    part["occurred_at"] = pd.NaT
    new_events.append(part)
    counts["event_id_repeated_without_time"] = len(part)
    # every fifth day an event id seen weeks ago comes back dated 1970: it is
    # the first copy now (quarantined) and the old staged copy a duplicate
    if day.day % 5 == 0:
        part = old_events.sample(1, random_state=rng.integers(1 << 30)).copy()
        part["occurred_at"] = pd.Timestamp("1970-01-01")
        new_events.append(part)
        counts["event_id_repeated_dated_1970"] = len(part)
    # an identical copy of an event of two days ago, and a keyless event of yesterday
    recent = events[
        events["event_id"].notna()
        & (events["occurred_at"] >= day - pd.Timedelta(days=2))
        & (events["occurred_at"] < day - pd.Timedelta(days=1))
    ]
    if len(recent):
        new_events.append(recent.sample(1, random_state=rng.integers(1 << 30)))
        counts["identical_copy_two_days_late"] = 1
        part = recent.sample(1, random_state=rng.integers(1 << 30)).copy()
        part["event_id"] = None
        part["occurred_at"] = day - pd.Timedelta(days=1) + hour
        new_events.append(part)
        counts["keyless_event_one_day_late"] = 1

    old_orders = orders[
        orders["order_id"].notna()
        & (orders["ordered_at"] < day - pd.Timedelta(days=14))
        & (orders["ordered_at"] >= PLAUSIBLE[0])
        & (orders["status"] == "completed")
    ]
    new_orders = []
    # an order placed weeks ago is refunded today, another changes amount
    # (its version time is yesterday: the update itself arrives a day late)
    part = old_orders.sample(2, random_state=rng.integers(1 << 30)).copy()
    part.iloc[0, part.columns.get_loc("status")] = "refunded"
    part.iloc[0, part.columns.get_loc("refunded_amount")] = part.iloc[0]["order_amount"]
    part.iloc[0, part.columns.get_loc("updated_at")] = day + hour
    part.iloc[1, part.columns.get_loc("order_amount")] = part.iloc[1]["order_amount"] + 5
    part.iloc[1, part.columns.get_loc("updated_at")] = day - pd.Timedelta(days=1) + hour
    new_orders.append(part)
    counts["late_order_update"] = len(part)
    # a keyless order dated two days ago
    part = old_orders.sample(1, random_state=rng.integers(1 << 30)).copy()
    part["order_id"] = None
    part["updated_at"] = day - pd.Timedelta(days=2) + hour
    new_orders.append(part)
    counts["keyless_order_two_days_late"] = 1
    if day.day % 4 == 0:
        far_events, far_orders, far_counts = _far_late_rows(events, orders, day, hour, rng)
        new_events += far_events
        new_orders += far_orders
        counts.update(far_counts)
    return pd.concat(new_events), pd.concat(new_orders), counts


def _far_late_rows(
    events: pd.DataFrame, orders: pd.DataFrame, day: pd.Timestamp, hour: pd.Timedelta,
    rng: np.random.Generator,
) -> tuple[list[pd.DataFrame], list[pd.DataFrame], dict[str, int]]:
    """Rows 10 and 40 days late: far outside the lookback window."""
    counts: dict[str, int] = {}
    new_events, new_orders = [], []
    tag = day.strftime("%Y%m%d")
    customers = events["customer_id"].dropna()
    purchases = orders[
        orders["order_id"].notna() & (orders["status"] == "completed")
        & orders["customer_id"].notna()
    ]
    old_events = events[
        events["event_id"].notna()
        & (events["occurred_at"] < day - pd.Timedelta(days=50))
        & (events["occurred_at"] >= PLAUSIBLE[0])
    ]
    for late in FAR_LATE_DAYS:
        dated = day - pd.Timedelta(days=late) + hour
        # a new event of a known customer, a new purchase
        part = old_events.sample(1, random_state=rng.integers(1 << 30)).copy()
        part["event_id"] = f"E-late-{late}-{tag}"
        part["customer_id"] = customers.sample(1, random_state=rng.integers(1 << 30)).iloc[0]
        part["occurred_at"] = dated
        new_events.append(part)
        counts[f"new_event_{late}_days_late"] = 1
        part = purchases.sample(1, random_state=rng.integers(1 << 30)).copy()
        part["order_id"] = f"O-late-{late}-{tag}"
        part["ordered_at"] = dated
        part["updated_at"] = dated
        new_orders.append(part)
        counts[f"new_order_{late}_days_late"] = 1
    # an event id staged weeks ago comes back 40 days late (a duplicate), and
    # another one dated a day before its staged copy (it takes over: the old
    # copy becomes a duplicate on its customer-day)
    part = old_events.sample(2, random_state=rng.integers(1 << 30)).copy()
    part.iloc[0, part.columns.get_loc("occurred_at")] = day - pd.Timedelta(days=40) + hour
    part.iloc[1, part.columns.get_loc("occurred_at")] = (
        part.iloc[1]["occurred_at"] - pd.Timedelta(days=1)
    )
    new_events.append(part)
    counts["event_id_repeated_40_days_late"] = 1
    counts["event_id_repeated_before_its_staged_copy"] = 1
    # an identical copy of an old event, and a keyless event 10 days late
    new_events.append(old_events.sample(1, random_state=rng.integers(1 << 30)))
    counts["identical_copy_of_an_old_event"] = 1
    part = old_events.sample(1, random_state=rng.integers(1 << 30)).copy()
    part["event_id"] = None
    part["occurred_at"] = day - pd.Timedelta(days=10) + hour
    new_events.append(part)
    counts["keyless_event_10_days_late"] = 1
    # an order placed months ago gets a new version whose updated_at is 40
    # days ago, and an identical copy of an old order version arrives again
    old_purchases = purchases[
        (purchases["ordered_at"] < day - pd.Timedelta(days=60))
        & (purchases["ordered_at"] >= PLAUSIBLE[0])
    ]
    part = old_purchases.sample(2, random_state=rng.integers(1 << 30)).copy()
    part.iloc[0, part.columns.get_loc("order_amount")] = part.iloc[0]["order_amount"] + 7
    part.iloc[0, part.columns.get_loc("updated_at")] = day - pd.Timedelta(days=40) + hour
    new_orders.append(part)
    counts["order_version_40_days_late"] = 1
    counts["identical_copy_of_an_old_order"] = 1
    return new_events, new_orders, counts


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
    raw_dir = work_dir / "raw"
    generate(raw_dir, customers=CUSTOMERS, seed=SEED, progress=False)
    frames = {t: _read_parquet(raw_dir / f"{t}.parquet") for t in TABLE_NAMES}
    events, orders = frames["events"], frames["orders"]
    rng = np.random.default_rng(SEED)

    last = events["occurred_at"][events["occurred_at"] < PLAUSIBLE[1]].max().normalize()
    first_replay = last - pd.Timedelta(days=REPLAY_DAYS - 1)
    event_day = _arrival_days(events["occurred_at"], rng, first_replay, last)
    event_day, late_events = _make_late(event_day, rng, first_replay, last, 0.05)
    order_day = _arrival_days(
        orders["updated_at"].fillna(orders["ordered_at"]), rng, first_replay, last
    )
    order_day, late_orders = _make_late(order_day, rng, first_replay, last, 0.10)
    injected = {"late_generated_events": late_events, "late_generated_orders": late_orders}

    incremental_db = work_dir / "incremental.duckdb"
    load_frames(
        {
            "customers": frames["customers"],
            "marketing_spend": frames["marketing_spend"],
            "experiment_assignments": frames["experiment_assignments"],
            "events": events[event_day < first_replay],
            "orders": orders[order_day < first_replay],
        },
        incremental_db,
    )
    _dbt("run", incremental_db, work_dir, *DAILY_SELECT)

    daily_seconds = []
    for offset in range(REPLAY_DAYS):
        day = first_replay + pd.Timedelta(days=offset)
        extra_events, extra_orders, counts = _injected_rows(events, orders, day, rng)
        for kind, n in counts.items():
            injected[kind] = injected.get(kind, 0) + n
        _append(incremental_db, "events", pd.concat([events[event_day == day], extra_events]))
        _append(incremental_db, "orders", pd.concat([orders[order_day == day], extra_orders]))
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
    yield Replay(work_dir, incremental_db, full_db, last.date(), daily_seconds, injected)


def test_replay_covers_at_least_30_days_with_late_rows(replay: Replay) -> None:
    assert len(replay.daily_seconds) >= 30
    for kind in ("late_generated_events", "late_generated_orders", "late_order_update",
                 "event_id_repeated_in_window", "event_id_repeated_dated_1970",
                 "keyless_event_one_day_late", "keyless_order_two_days_late",
                 "new_event_10_days_late", "new_event_40_days_late",
                 "new_order_10_days_late", "new_order_40_days_late",
                 "event_id_repeated_40_days_late", "event_id_repeated_before_its_staged_copy",
                 "identical_copy_of_an_old_event", "keyless_event_10_days_late",
                 "order_version_40_days_late", "identical_copy_of_an_old_order"):
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
