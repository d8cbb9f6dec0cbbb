"""Purchase days, the customers' first purchases and
marts.time_between_purchases.

Follows docs/design/METRICS.md "Building blocks" (purchase day, cohort of a
customer) and "Time between purchases", docs/metric_decisions.md "Time
between purchases", and docs/design/CONTRACT.md section 3 for the columns.
"""

from __future__ import annotations

import pandas as pd

from ._common import mean, percentile
from .cohorts import cohort_customers

TRANSITIONS = ("1-2", "2-3", "3+", "all")


TBP_COLUMNS = [
    "cohort_period",
    "transition",
    "customers",
    "gaps",
    "mean_days",
    "median_days",
    "p75_days",
    "p90_days",
]


def purchase_days(purchases: pd.DataFrame) -> pd.DataFrame:
    """METRICS.md "Purchase day: a distinct (customer, purchase date).
    Same-day purchases merge into one purchase day ...; their revenue is
    summed." One row per purchase day with ``orders``, ``net_revenue_micros``,
    ``gross_margin_micros``, ``day_number`` (1 = first purchase day) and
    ``gap_days`` (days since the previous purchase day; NA on the first).

    The gap on purchase day k + 1 is "the k-th gap ... between purchase days
    k and k+1" (METRICS.md "Time between purchases"), so its ``gap_number``
    is ``day_number - 1``.
    """
    days = (
        purchases.groupby(["customer_id", "order_date"], as_index=False)
        .agg(
            orders=("order_id", "count"),
            net_revenue_micros=("net_revenue_micros", "sum"),
            gross_margin_micros=("gross_margin_micros", "sum"),
        )
        .sort_values(["customer_id", "order_date"], kind="stable")
        .reset_index(drop=True)
    )
    days["net_revenue_micros"] = days["net_revenue_micros"].astype("int64")
    days["gross_margin_micros"] = days["gross_margin_micros"].astype("int64")
    by_customer = days.groupby("customer_id")
    days["day_number"] = by_customer.cumcount().astype("int64") + 1
    days["gap_days"] = by_customer["order_date"].diff().dt.days.astype("Int64")
    days["gap_number"] = days["day_number"] - 1
    return days


def customer_basics(purchases: pd.DataFrame, grain: str) -> pd.DataFrame:
    """One row per customer with a purchase: channel (already ``unknown`` for a
    customer missing from raw.customers), first purchase date, the
    cohort_grain cohort period (METRICS.md "Cohort of a customer", see
    :func:`.cohorts.cohort_customers`) and the last purchase date.
    """
    last = purchases.groupby("customer_id", as_index=False).agg(
        last_purchase_date=("order_date", "max")
    )
    return cohort_customers(purchases, grain).merge(last, on="customer_id")


def _transition_of(gap_number: int) -> str:
    """METRICS.md: "transition ``1-2`` is k = 1, ``2-3`` is k = 2, ``3+`` is
    every k >= 3"."""
    if gap_number == 1:
        return "1-2"
    if gap_number == 2:
        return "2-3"
    return "3+"


def build_time_between_purchases(days: pd.DataFrame, basics: pd.DataFrame) -> pd.DataFrame:
    """marts.time_between_purchases, one row per cohort_period x transition.

    - METRICS.md: "Gaps are days between consecutive purchase days of one
      customer"; "Customers with a single purchase day have no gaps and are
      excluded from gap statistics (they are not zeros)."
    - metric_decisions.md: "One row for every cohort_period (cohort_grain) x
      transition (``1-2``, ``2-3``, ``3+``, ``all``), also when the transition
      has no gap yet: then ``customers`` and ``gaps`` are 0 and the statistics
      NULL"; "``customers`` = distinct customers contributing at least one gap
      to the row"; "``mean_days`` = mean of the gaps; percentiles continuous".

    The cohort periods are those of the customers with a purchase (the
    cohorts that exist).
    """
    gaps = days[days["gap_days"].notna()].merge(
        basics[["customer_id", "cohort_period"]], on="customer_id"
    )
    gaps["transition"] = [_transition_of(int(k)) for k in gaps["gap_number"]]
    rows = []
    for cohort in sorted(basics["cohort_period"].unique()):
        in_cohort = gaps[gaps["cohort_period"] == cohort]
        for transition in TRANSITIONS:
            selected = (
                in_cohort
                if transition == "all"
                else in_cohort[in_cohort["transition"] == transition]
            )
            values = selected["gap_days"].astype("int64").to_numpy()
            rows.append(
                {
                    "cohort_period": cohort,
                    "transition": transition,
                    "customers": int(selected["customer_id"].nunique()),
                    "gaps": len(values),
                    "mean_days": mean(values),
                    "median_days": percentile(values, 50),
                    "p75_days": percentile(values, 75),
                    "p90_days": percentile(values, 90),
                }
            )
    frame = pd.DataFrame(rows, columns=TBP_COLUMNS)
    frame["cohort_period"] = frame["cohort_period"].astype("datetime64[us]")
    frame["transition"] = frame["transition"].astype(object)
    for column in ("customers", "gaps"):
        frame[column] = frame[column].astype("int64")
    for column in ("mean_days", "median_days", "p75_days", "p90_days"):
        frame[column] = frame[column].astype("float64")
    return frame
