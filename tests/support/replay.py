"""The demo data replayed day by day (docs/incremental.md): which raw rows
exist before the replay, and which arrive on each day of it, with late rows,
late order versions, repeated event ids and keyless rows on top. Shared by
the DuckDB replay (tests/dbt/test_incremental_replay.py) and the Spark one
(tests/engines/test_spark_incremental_replay.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from retention.contract import TABLE_NAMES
from retention.demo.generate import generate

LOOKBACK = 3  # the incremental_lookback_days default of dbt_project.yml
FAR_LATE_DAYS = (10, 40)  # far outside the lookback: found by the per-day counts
# around the first day of int_customer_event_days' window (LOOKBACK + 2 days)
EDGE_LATE_DAYS = (LOOKBACK + 2, LOOKBACK + 3, LOOKBACK + 4)
PLAUSIBLE = (pd.Timestamp("1990-01-01"), pd.Timestamp("2100-01-01"))


@dataclass
class ReplayDay:
    day: pd.Timestamp
    events: pd.DataFrame
    orders: pd.DataFrame


@dataclass
class ReplayPlan:
    """The raw tables before the replay, then the rows of each day."""

    initial: dict[str, pd.DataFrame]
    days: list[ReplayDay]
    last: pd.Timestamp
    injected: dict[str, int] = field(default_factory=dict)


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
    # new events at 02:00 UTC 5, 6 and 7 days late: the first UTC day of
    # int_customer_event_days' window (lookback + 2 days before its latest
    # day) is one of them, and in a reporting timezone behind UTC (the
    # replay's) the event's date is the day before that window
    for late in EDGE_LATE_DAYS:
        part = old_events.sample(1, random_state=rng.integers(1 << 30)).copy()
        part["event_id"] = f"E-edge-{late}-{tag}"
        part["customer_id"] = customers.sample(1, random_state=rng.integers(1 << 30)).iloc[0]
        part["occurred_at"] = day - pd.Timedelta(days=late) + pd.Timedelta(hours=2)
        new_events.append(part)
    counts["new_event_on_the_window_edge"] = len(EDGE_LATE_DAYS)
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


def replay_plan(raw_dir: Path, customers: int, seed: int, replay_days: int) -> ReplayPlan:
    """Generate the demo shop into ``raw_dir`` and split its rows into what
    exists before the last ``replay_days`` days and what arrives on each."""
    generate(raw_dir, customers=customers, seed=seed, progress=False)
    frames = {t: _read_parquet(raw_dir / f"{t}.parquet") for t in TABLE_NAMES}
    events, orders = frames["events"], frames["orders"]
    rng = np.random.default_rng(seed)

    last = events["occurred_at"][events["occurred_at"] < PLAUSIBLE[1]].max().normalize()
    first_replay = last - pd.Timedelta(days=replay_days - 1)
    event_day = _arrival_days(events["occurred_at"], rng, first_replay, last)
    event_day, late_events = _make_late(event_day, rng, first_replay, last, 0.05)
    order_day = _arrival_days(
        orders["updated_at"].fillna(orders["ordered_at"]), rng, first_replay, last
    )
    order_day, late_orders = _make_late(order_day, rng, first_replay, last, 0.10)
    injected = {"late_generated_events": late_events, "late_generated_orders": late_orders}
    initial = {
        "customers": frames["customers"],
        "marketing_spend": frames["marketing_spend"],
        "experiment_assignments": frames["experiment_assignments"],
        "events": events[event_day < first_replay],
        "orders": orders[order_day < first_replay],
    }
    days = []
    for offset in range(replay_days):
        day = first_replay + pd.Timedelta(days=offset)
        extra_events, extra_orders, counts = _injected_rows(events, orders, day, rng)
        for kind, n in counts.items():
            injected[kind] = injected.get(kind, 0) + n
        days.append(ReplayDay(
            day,
            pd.concat([events[event_day == day], extra_events]),
            pd.concat([orders[order_day == day], extra_orders]),
        ))
    return ReplayPlan(initial, days, last, injected)
