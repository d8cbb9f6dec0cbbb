"""marts.customer_cohorts, marts.cohort_retention and
marts.cohort_retention_by_channel.

Follows docs/design/CONTRACT.md section 3 (their grains and columns),
docs/design/METRICS.md "Building blocks" (cohort of a customer,
period_number) and "Order cohort retention", and docs/metric_decisions.md
"Cohorts and churn".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import money, money_or_null, period_index, period_start, ratio


def cohort_customers(purchases: pd.DataFrame, grain: str) -> pd.DataFrame:
    """METRICS.md "Cohort of a customer": the cohort_grain period containing
    the first purchase date; customers never leave it. One row per customer
    with at least one purchase.
    """
    customers = purchases.groupby("customer_id", as_index=False).agg(
        acquisition_channel=("acquisition_channel", "first"),
        first_purchase_date=("order_date", "min"),
    )
    customers["cohort_index"] = period_index(customers["first_purchase_date"], grain)
    customers["cohort_period"] = period_start(customers["cohort_index"], grain).values
    return customers


def customer_period_grid(customers: pd.DataFrame, as_of: pd.Timestamp, grain: str) -> pd.DataFrame:
    """CONTRACT.md customer_cohorts: "one row per customer x period, from the
    cohort period through the period containing as_of_date", for every
    customer even without purchases in between. ``is_complete_period``: the
    period's last day (next period start - 1 day) <= as_of_date (METRICS.md
    "as_of_date").
    """
    last_index = period_index(as_of, grain)
    periods = (last_index - customers["cohort_index"] + 1).to_numpy()
    grid = customers.loc[customers.index.repeat(periods)].reset_index(drop=True)
    grid["period_number"] = (
        np.concatenate([np.arange(n) for n in periods]).astype("int64")
        if len(periods)
        else np.array([], dtype="int64")
    )
    grid["period_index"] = grid["cohort_index"] + grid["period_number"]
    grid["period_start"] = period_start(grid["period_index"], grain).values
    last_day = period_start(grid["period_index"] + 1, grain).values - np.timedelta64(1, "D")
    grid["is_complete_period"] = last_day <= as_of.to_datetime64()
    return grid


def build_customer_cohorts(
    purchases: pd.DataFrame, as_of: pd.Timestamp, grain: str
) -> pd.DataFrame:
    """marts.customer_cohorts with money still in micro-units.

    Per customer x period: ``purchases_in_period`` (purchase orders),
    ``net_revenue_in_period`` and ``gross_margin_in_period`` (0 when none),
    ``is_active_in_period`` = purchases_in_period > 0, and the cumulative
    versions over periods 0..k (CONTRACT.md marts.customer_cohorts).
    """
    customers = cohort_customers(purchases, grain)
    grid = customer_period_grid(customers, as_of, grain)

    in_period = purchases.assign(period_index=period_index(purchases["order_date"], grain))
    per_period = in_period.groupby(["customer_id", "period_index"], as_index=False).agg(
        purchases_in_period=("order_id", "count"),
        net_revenue_micros=("net_revenue_micros", "sum"),
        gross_margin_micros=("gross_margin_micros", "sum"),
    )
    cohorts = grid.merge(per_period, on=["customer_id", "period_index"], how="left")
    for column in ["purchases_in_period", "net_revenue_micros", "gross_margin_micros"]:
        cohorts[column] = cohorts[column].fillna(0).astype("int64")
    cohorts["is_active_in_period"] = cohorts["purchases_in_period"] > 0

    cohorts = cohorts.sort_values(["customer_id", "period_number"]).reset_index(drop=True)
    by_customer = cohorts.groupby("customer_id")
    cohorts["cumulative_purchases"] = by_customer["purchases_in_period"].cumsum()
    cohorts["cumulative_net_revenue_micros"] = by_customer["net_revenue_micros"].cumsum()
    cohorts["cumulative_gross_margin_micros"] = by_customer["gross_margin_micros"].cumsum()
    return cohorts


def customer_cohorts_mart(cohorts: pd.DataFrame) -> pd.DataFrame:
    """The public columns of marts.customer_cohorts (money as float)."""
    mart = cohorts[
        [
            "customer_id",
            "acquisition_channel",
            "cohort_period",
            "period_start",
            "period_number",
            "purchases_in_period",
        ]
    ].copy()
    mart["net_revenue_in_period"] = cohorts["net_revenue_micros"].map(money)
    mart["gross_margin_in_period"] = cohorts["gross_margin_micros"].map(money)
    mart["is_active_in_period"] = cohorts["is_active_in_period"]
    mart["cumulative_purchases"] = cohorts["cumulative_purchases"]
    mart["cumulative_net_revenue"] = cohorts["cumulative_net_revenue_micros"].map(money)
    mart["cumulative_gross_margin"] = cohorts["cumulative_gross_margin_micros"].map(money)
    mart["is_complete_period"] = cohorts["is_complete_period"]
    return mart


def _rates(numerators: pd.Series, denominators: pd.Series) -> list[float]:
    """Row-wise :func:`ratio` (NULL when the denominator is 0)."""
    return [ratio(a, n) for a, n in zip(numerators, denominators, strict=True)]


def _money_per(micros: pd.Series, counts: pd.Series) -> list[float]:
    """Row-wise money per customer (NULL when there is no customer)."""
    return [money_or_null(m, n) for m, n in zip(micros, counts, strict=True)]


def build_cohort_retention(cohorts: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """METRICS.md "Order cohort retention", one row per cohort x period
    (x ``by`` columns, e.g. acquisition_channel):

    - cohort_size = customers in the cohort;
    - active_customers(k) = cohort customers with >= 1 purchase in period k;
      retention_rate = active_customers / cohort_size;
    - retained_on_or_after(k) = cohort customers with a purchase in period k
      or any later period up to as_of_date; rolling_retention_rate = that /
      cohort_size;
    - purchases, net_revenue, gross_margin of the cohort in period k;
    - cumulative_net_revenue_per_customer(k) = net revenue of the cohort in
      periods 0..k / cohort_size (same for gross margin);
    - rows for k = 0 .. the period containing as_of_date, zero-filled (the
      customer grid already has them).
    """
    cohort_keys = by + ["cohort_period"]
    keys = cohort_keys + ["period_number"]

    frame = cohorts.sort_values(["customer_id", "period_number"]).copy()
    # "a purchase in period k or any later period": is any period >= k active?
    reversed_any = frame.iloc[::-1].groupby("customer_id")["is_active_in_period"].cummax()
    frame["is_retained_on_or_after"] = reversed_any.iloc[::-1].astype(bool)

    sizes = frame.groupby(cohort_keys)["customer_id"].nunique().rename("cohort_size")
    rows = (
        frame.groupby(keys)
        .agg(
            period_start=("period_start", "first"),
            active_customers=("is_active_in_period", "sum"),
            retained_on_or_after=("is_retained_on_or_after", "sum"),
            purchases=("purchases_in_period", "sum"),
            net_revenue_micros=("net_revenue_micros", "sum"),
            gross_margin_micros=("gross_margin_micros", "sum"),
            is_complete_period=("is_complete_period", "first"),
        )
        .reset_index()
        .merge(sizes.reset_index(), on=cohort_keys)
    )
    rows = rows.sort_values(keys).reset_index(drop=True)
    by_cohort = rows.groupby(cohort_keys)
    rows["cumulative_net_micros"] = by_cohort["net_revenue_micros"].cumsum()
    rows["cumulative_margin_micros"] = by_cohort["gross_margin_micros"].cumsum()

    out = rows[keys + ["period_start", "cohort_size", "active_customers"]].copy()
    size = rows["cohort_size"]
    out["retention_rate"] = _rates(rows["active_customers"], size)
    out["retained_on_or_after"] = rows["retained_on_or_after"].astype("int64")
    out["rolling_retention_rate"] = _rates(rows["retained_on_or_after"], size)
    out["purchases"] = rows["purchases"].astype("int64")
    out["net_revenue"] = rows["net_revenue_micros"].map(money)
    out["gross_margin"] = rows["gross_margin_micros"].map(money)
    out["cumulative_net_revenue_per_customer"] = _money_per(rows["cumulative_net_micros"], size)
    out["cumulative_gross_margin_per_customer"] = _money_per(rows["cumulative_margin_micros"], size)
    # metric_decisions.md: the cohort retention marts also carry the cohort's
    # cumulative totals (the numerators of the two per-customer columns).
    out["cumulative_net_revenue"] = rows["cumulative_net_micros"].map(money)
    out["cumulative_gross_margin"] = rows["cumulative_margin_micros"].map(money)
    out["is_complete_period"] = rows["is_complete_period"].astype(bool)
    out["active_customers"] = out["active_customers"].astype("int64")
    out["cohort_size"] = out["cohort_size"].astype("int64")
    columns = ["cohort_period", "period_number", *by] + [c for c in out.columns if c not in keys]
    return out[columns]
