"""The demo shop's experiments: raw.experiment_assignments (CONTRACT.md section 5).

Three experiments, assigned per chunk from the chunk's clean customers and orders
with a random stream of their own (``SeedSequence(seed, spawn_key=(3, chunk))``), so
the other raw tables are exactly those of a generator without experiments:

- ``onboarding_checklist`` (``control``, ``checklist``): every customer who signs up
  from ``ONBOARDING_START`` on, assigned at signup. The planted effect: among the
  customers whose 30-day window ends by the calendar end, ``checklist`` converts
  ``PLANTED_LIFT`` (absolute) more often within 30 days. The purchases are the
  simulated shop's, unchanged; the effect is planted through the assignment, which
  puts exactly the share of converters into ``checklist`` that gives a conversion
  difference of ``PLANTED_LIFT`` (half the customers in each variant).
- ``homepage_layout`` (``control``, ``grid``, ``carousel``): customers who signed up
  before ``ONBOARDING_START``, assigned uniformly at random during
  ``LAYOUT_START`` + 14 days. No effect.
- ``free_shipping_banner`` (``control``, ``banner``): the customers who signed up in
  2024, split exactly 60/40 (a broken assignment): the sample-ratio-mismatch check
  must fire. No effect on outcomes.

The dirty assignment rows (docs/bad_input.md) are added by
:func:`retention.demo.dirty.dirty_assignments`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from retention.contract import arrow_schema

ONBOARDING = "onboarding_checklist"
LAYOUT = "homepage_layout"
BANNER = "free_shipping_banner"

ONBOARDING_START = np.datetime64("2025-07-01T00:00:00", "us")
LAYOUT_START = np.datetime64("2025-09-01T00:00:00", "us")
BANNER_SIGNUPS = (
    np.datetime64("2024-01-01T00:00:00", "us"),
    np.datetime64("2025-01-01T00:00:00", "us"),
)
BANNER_START = np.datetime64("2025-03-01T00:00:00", "us")
CALENDAR_END = np.datetime64("2026-06-30", "D")
# Planted: +10 points of 30-day conversion for `checklist` against `control`.
PLANTED_LIFT = 0.10
PLANTED_WINDOW_DAYS = 30
BANNER_CONTROL_SHARE = 0.6
US_PER_DAY = 86_400_000_000


@dataclass(frozen=True)
class Experiment:
    """One demo experiment: its id and variants (the control first)."""

    experiment_id: str
    variants: tuple[str, ...]


EXPERIMENTS: tuple[Experiment, ...] = (
    Experiment(ONBOARDING, ("control", "checklist")),
    Experiment(LAYOUT, ("control", "grid", "carousel")),
    Experiment(BANNER, ("control", "banner")),
)


def _converted_within(
    customer_ids: np.ndarray,
    start: np.ndarray,
    orders: pa.Table,
    days: int,
) -> np.ndarray:
    """Per customer: a completed order dated (UTC) on days 0..``days`` after ``start``."""
    completed = pc.equal(orders.column("status"), "completed")
    buyers = orders.filter(completed)
    order_customer = buyers.column("customer_id").to_numpy(zero_copy_only=False)
    order_day = buyers.column("ordered_at").to_numpy().astype("datetime64[D]")
    position = {c: i for i, c in enumerate(customer_ids)}
    start_day = start.astype("datetime64[D]")
    converted = np.zeros(len(customer_ids), dtype=bool)
    for customer, day in zip(order_customer, order_day, strict=True):
        i = position.get(customer)
        if i is not None:
            offset = (day - start_day[i]).astype(np.int64)
            if 0 <= offset <= days:
                converted[i] = True
    return converted


def _planted_split(rng: np.random.Generator, converted: np.ndarray, lift: float) -> np.ndarray:
    """0/1 (control/treatment) per customer: half of them in each, with the treatment's
    conversion rate ``lift`` above the control's (as close as whole customers allow)."""
    n = len(converted)
    arm = np.zeros(n, dtype=np.int64)
    treated = n // 2 + int(rng.integers(0, 2)) * (n % 2)
    converters = np.flatnonzero(converted)
    others = np.flatnonzero(~converted)
    # treatment converters a: a / T - (n1 - a) / (n - T) = lift
    n1 = len(converters)
    a = (lift + n1 / max(n - treated, 1)) / (1 / max(treated, 1) + 1 / max(n - treated, 1))
    a = int(np.clip(round(a), max(0, treated - len(others)), min(n1, treated)))
    arm[rng.permutation(converters)[:a]] = 1
    arm[rng.permutation(others)[: treated - a]] = 1
    return arm


def _rows(experiment_id: str, customer_ids: np.ndarray, variants: np.ndarray, at: np.ndarray):
    return {
        "experiment_id": np.full(len(customer_ids), experiment_id, dtype=object),
        "customer_id": customer_ids.astype(object),
        "variant": variants.astype(object),
        "assigned_at": at.astype("datetime64[us]"),
    }


def _random_times(rng: np.random.Generator, start: np.datetime64, days: int, n: int) -> np.ndarray:
    """Whole seconds in [start, start + days)."""
    seconds = rng.integers(0, days * 86_400, size=n)
    return start + (seconds * 1_000_000).astype("timedelta64[us]")


def experiment_assignments(
    rng: np.random.Generator, customers: pa.Table, orders: pa.Table
) -> pa.Table:
    """The clean assignment rows of one chunk, from its clean customers and orders."""
    ids = customers.column("customer_id").to_numpy(zero_copy_only=False).astype(object)
    signup = customers.column("signed_up_at").to_numpy().astype("datetime64[us]")
    parts = []

    # onboarding_checklist: assigned at signup; the planted effect on 30-day conversion.
    onboard = signup >= ONBOARDING_START
    o_ids, o_at = ids[onboard], signup[onboard]
    window_end = o_at.astype("datetime64[D]") + np.timedelta64(PLANTED_WINDOW_DAYS, "D")
    observed = window_end <= CALENDAR_END
    arm = np.zeros(len(o_ids), dtype=np.int64)
    converted = _converted_within(o_ids[observed], o_at[observed], orders, PLANTED_WINDOW_DAYS)
    arm[observed] = _planted_split(rng, converted, PLANTED_LIFT)
    arm[~observed] = rng.integers(0, 2, size=int((~observed).sum()))
    names = np.array(EXPERIMENTS[0].variants, dtype=object)
    parts.append(_rows(ONBOARDING, o_ids, names[arm], o_at))

    # homepage_layout: earlier signups, uniform over three variants, no effect.
    layout = signup < ONBOARDING_START
    l_ids = ids[layout]
    names = np.array(EXPERIMENTS[1].variants, dtype=object)
    l_arm = rng.integers(0, 3, size=len(l_ids))
    parts.append(
        _rows(LAYOUT, l_ids, names[l_arm], _random_times(rng, LAYOUT_START, 14, len(l_ids)))
    )

    # free_shipping_banner: 2024 signups split exactly 60/40 (the SRM check must fire).
    banner = (signup >= BANNER_SIGNUPS[0]) & (signup < BANNER_SIGNUPS[1])
    b_ids = ids[banner]
    b_arm = np.ones(len(b_ids), dtype=np.int64)
    b_arm[rng.permutation(len(b_ids))[: int(round(BANNER_CONTROL_SHARE * len(b_ids)))]] = 0
    names = np.array(EXPERIMENTS[2].variants, dtype=object)
    parts.append(
        _rows(BANNER, b_ids, names[b_arm], _random_times(rng, BANNER_START, 7, len(b_ids)))
    )

    columns = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
    schema = arrow_schema("experiment_assignments")
    return pa.table(
        {field.name: pa.array(columns[field.name], type=field.type) for field in schema},
        schema=schema,
    )
