"""marts.customers and marts.rfm_summary.

Follows docs/design/CONTRACT.md section 3 (columns), docs/design/METRICS.md
"Time between purchases", "Value", "RFM summary" and "Lifecycle stage", and
docs/metric_decisions.md "Customers" and "RFM summary".
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import pandas as pd

from ._common import NAN, empty_frame, money, money_or_null, ntile, percentile
from .purchases import customer_basics, purchase_days

CUSTOMER_COLUMNS = [
    "customer_id",
    "store",
    "acquisition_channel",
    "country_code",
    "cohort_period",
    "first_purchase_date",
    "last_purchase_date",
    "purchases",
    "purchase_days",
    "net_revenue",
    "gross_margin",
    "has_cost",
    "aov",
    "days_to_second_purchase",
    "avg_days_between_purchases",
    "median_days_between_purchases",
    "recency_days",
    "tenure_days",
    "is_active",
    "historical_cltv",
    "lifecycle_stage",
    "rfm_recency_score",
    "rfm_frequency_score",
    "rfm_monetary_score",
    # appended by .nps.with_latest_nps (METRICS.md "NPS")
    "latest_nps_score",
    "latest_nps_class",
    # appended by .signup.with_days_to_first_purchase (METRICS.md "Signup conversion")
    "days_to_first_purchase",
]
# The columns computed from purchases here (the rest come from other modules).
PURCHASE_COLUMNS = CUSTOMER_COLUMNS[: CUSTOMER_COLUMNS.index("rfm_monetary_score") + 1]


RFM_COLUMNS = [
    "customer_id",
    "frequency",
    "recency",
    "t",
    "monetary_value",
    "observation_end",
    "time_unit_days",
]


def _ntile_scores(frame: pd.DataFrame, by: str, ascending: bool) -> pd.Series:
    """ntile(5) of ``frame`` ordered by ``by`` (then customer_id ascending,
    metric_decisions.md "ties always by customer_id ascending").
    """
    ordered = frame.sort_values(
        [by, "customer_id"], ascending=[ascending, True], kind="stable"
    ).index
    return pd.Series(ntile(len(ordered)), index=ordered).reindex(frame.index)


def lifecycle_stage(customer: Mapping[str, Any], churn_window_days: int) -> str:
    """METRICS.md "Lifecycle stage", "Exactly one of, first match wins":

    1. ``churned``: not active (recency_days >= churn_window_days).
    2. ``new``: one purchase day and tenure_days < 30.
    3. ``reactivated``: the last gap > churn_window_days and recency_days < 30
       (metric_decisions.md: "last gap" = days between the last two purchase
       days).
    4. ``champion``: all three RFM scores >= 4.
    5. ``at_risk``: recency_days > 2 x avg_days_between_purchases (2+
       purchase days), or recency_days >= churn_window_days / 2 "as a real
       number" (one purchase day).
    6. ``active``: everything else.
    """
    recency = customer["recency_days"]
    days = customer["purchase_days"]
    if recency >= churn_window_days:
        return "churned"
    if days == 1 and customer["tenure_days"] < 30:
        return "new"
    last_gap = customer["last_gap_days"]
    if days >= 2 and last_gap > churn_window_days and recency < 30:
        return "reactivated"
    if (
        customer["rfm_recency_score"] >= 4
        and customer["rfm_frequency_score"] >= 4
        and customer["rfm_monetary_score"] >= 4
    ):
        return "champion"
    if days >= 2:
        # avg = (last - first) / (purchase_days - 1); compare without rounding.
        span = customer["span_days"]
        if recency * (days - 1) > 2 * span:
            return "at_risk"
    elif 2 * recency >= churn_window_days:
        return "at_risk"
    return "active"


def build_customers(
    purchases: pd.DataFrame,
    days: pd.DataFrame,
    stg_orders: pd.DataFrame,
    stg_customers: pd.DataFrame,
    as_of: pd.Timestamp,
    grain: str,
    churn_window_days: int,
) -> pd.DataFrame:
    """marts.customers, one row per customer with at least one purchase
    (CONTRACT.md section 3), purchases up to as_of_date.

    - purchases = count of purchase orders; purchase_days = distinct purchase
      dates (metric_decisions.md: "count purchase **orders**").
    - has_cost: "true when the cost of **every** purchase of the customer is
      known"; gross_margin counts net revenue for unknown costs.
    - aov = net_revenue / purchases (METRICS.md "Value").
    - days_to_second_purchase = the first gap (NULL if none);
      avg_days_between_purchases = (last - first) / (purchase_days - 1)
      (NULL if fewer than 2 purchase days); median_days_between_purchases =
      continuous median of the gaps.
    - recency_days = as_of_date - last_purchase_date; tenure_days = as_of_date
      - first_purchase_date; is_active = recency_days < churn_window_days.
    - historical_cltv = gross_margin ("lifetime gross margin to as_of_date").
    - RFM scores (metric_decisions.md): ntile(5) over all customers in the
      mart, 5 = best; recency by recency_days descending, frequency by
      purchase_days ascending, monetary by net_revenue ascending; ties by
      customer_id ascending.
    - lifecycle_stage: :func:`lifecycle_stage`.
    """
    if purchases.empty:
        return empty_frame(CUSTOMER_COLUMNS)
    frame = _customer_totals(purchases, days, stg_orders, stg_customers, grain)
    frame = _with_recency_and_scores(frame, as_of)
    return _customers_mart(frame, churn_window_days)


def _customer_totals(
    purchases: pd.DataFrame,
    days: pd.DataFrame,
    stg_orders: pd.DataFrame,
    stg_customers: pd.DataFrame,
    grain: str,
) -> pd.DataFrame:
    """One row per customer with a purchase: :func:`.purchases.customer_basics`,
    the order totals (purchases, net revenue and gross margin micros,
    has_cost), purchase_days, country_code and ``gap_list``, the gaps between
    consecutive purchase days in order.
    """
    costs = stg_orders[["order_id", "has_cost"]]
    with_cost = purchases.merge(costs, on="order_id", how="left")
    basics = customer_basics(purchases, grain)
    totals = with_cost.groupby("customer_id", as_index=False).agg(
        purchases=("order_id", "count"),
        net_revenue_micros=("net_revenue_micros", "sum"),
        gross_margin_micros=("gross_margin_micros", "sum"),
        has_cost=("has_cost", "all"),
    )
    gaps = days[days["gap_days"].notna()]
    gap_lists = gaps.groupby("customer_id")["gap_days"].agg(lambda s: [int(v) for v in s])
    day_counts = days.groupby("customer_id")["order_date"].count().rename("purchase_days")

    frame = basics.merge(totals, on="customer_id").merge(day_counts.reset_index(), on="customer_id")
    countries = stg_customers[["customer_id", "country_code"]]
    frame = frame.merge(countries, on="customer_id", how="left")
    frame["gap_list"] = [gap_lists.get(c, []) for c in frame["customer_id"]]

    return frame


def _with_recency_and_scores(frame: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Add recency_days, tenure_days, span_days (last - first purchase date),
    last_gap_days and the three RFM ntile scores."""
    frame["recency_days"] = (as_of - frame["last_purchase_date"]).dt.days.astype("int64")
    frame["tenure_days"] = (as_of - frame["first_purchase_date"]).dt.days.astype("int64")
    frame["span_days"] = (
        frame["last_purchase_date"] - frame["first_purchase_date"]
    ).dt.days.astype("int64")
    frame["last_gap_days"] = [g[-1] if g else None for g in frame["gap_list"]]
    frame["net_revenue_micros"] = frame["net_revenue_micros"].astype("int64")
    frame["gross_margin_micros"] = frame["gross_margin_micros"].astype("int64")

    frame["rfm_recency_score"] = _ntile_scores(frame, "recency_days", ascending=False)
    frame["rfm_frequency_score"] = _ntile_scores(frame, "purchase_days", ascending=True)
    frame["rfm_monetary_score"] = _ntile_scores(frame, "net_revenue_micros", ascending=True)

    return frame


def _customers_mart(frame: pd.DataFrame, churn_window_days: int) -> pd.DataFrame:
    """The CONTRACT.md columns of marts.customers, ordered by customer_id."""
    out = pd.DataFrame(
        {
            "customer_id": frame["customer_id"].astype(object),
            # One store (the var stores empty): CONTRACT.md section 4 names it.
            "store": pd.Series("default", index=frame.index, dtype=object),
            "acquisition_channel": frame["acquisition_channel"].astype(object),
            "country_code": frame["country_code"].astype(object),
            "cohort_period": frame["cohort_period"].astype("datetime64[us]"),
            "first_purchase_date": frame["first_purchase_date"].astype("datetime64[us]"),
            "last_purchase_date": frame["last_purchase_date"].astype("datetime64[us]"),
            "purchases": frame["purchases"].astype("int64"),
            "purchase_days": frame["purchase_days"].astype("int64"),
            "net_revenue": frame["net_revenue_micros"].map(money),
            "gross_margin": frame["gross_margin_micros"].map(money),
            "has_cost": frame["has_cost"].astype(bool),
            "aov": [
                money_or_null(m, n)
                for m, n in zip(frame["net_revenue_micros"], frame["purchases"], strict=True)
            ],
            "days_to_second_purchase": pd.array(
                [g[0] if g else None for g in frame["gap_list"]], dtype="Int64"
            ),
            "avg_days_between_purchases": [
                NAN if d < 2 else float(Fraction(int(s), int(d) - 1))
                for s, d in zip(frame["span_days"], frame["purchase_days"], strict=True)
            ],
            "median_days_between_purchases": [percentile(g, 50) for g in frame["gap_list"]],
            "recency_days": frame["recency_days"],
            "tenure_days": frame["tenure_days"],
            "is_active": (frame["recency_days"] < churn_window_days).astype(bool),
            "historical_cltv": frame["gross_margin_micros"].map(money),
            "lifecycle_stage": [
                lifecycle_stage(row, churn_window_days) for row in frame.to_dict("records")
            ],
            "rfm_recency_score": frame["rfm_recency_score"].astype("int64"),
            "rfm_frequency_score": frame["rfm_frequency_score"].astype("int64"),
            "rfm_monetary_score": frame["rfm_monetary_score"].astype("int64"),
        }
    )
    out["lifecycle_stage"] = out["lifecycle_stage"].astype(object)
    out["avg_days_between_purchases"] = out["avg_days_between_purchases"].astype("float64")
    out["median_days_between_purchases"] = out["median_days_between_purchases"].astype("float64")
    return out.sort_values("customer_id", kind="stable").reset_index(drop=True)[PURCHASE_COLUMNS]


def build_rfm_summary(
    purchases: pd.DataFrame, observation_end: pd.Timestamp, unit_days: int
) -> pd.DataFrame:
    """marts.rfm_summary (METRICS.md "RFM summary", compatible with
    ``lifetimes``). With unit u and observation end e, "purchases after e are
    ignored"; a customer appears when their first purchase is on or before e
    (metric_decisions.md):

    - frequency = purchase days - 1;
    - recency = (last purchase date - first purchase date) / u;
    - t = (e - first purchase date) / u;
    - monetary_value = mean net revenue per purchase day over the purchase
      days after the first; 0 when frequency = 0.

    ``recency`` and ``t`` are doubles (days / rfm_time_unit_days).
    """
    observed = purchases[purchases["order_date"] <= observation_end]
    if observed.empty:
        return empty_frame(RFM_COLUMNS)
    days = purchase_days(observed)
    rows = []
    for customer_id, group in days.groupby("customer_id", sort=True):
        first, last = group["order_date"].min(), group["order_date"].max()
        frequency = len(group) - 1
        repeat_micros = int(group.loc[group["day_number"] > 1, "net_revenue_micros"].sum())
        rows.append(
            {
                "customer_id": customer_id,
                "frequency": frequency,
                "recency": (last - first).days / unit_days,
                "t": (observation_end - first).days / unit_days,
                "monetary_value": 0.0 if frequency == 0 else money(repeat_micros, frequency),
                "observation_end": observation_end,
                "time_unit_days": unit_days,
            }
        )
    frame = pd.DataFrame(rows, columns=RFM_COLUMNS)
    frame["customer_id"] = frame["customer_id"].astype(object)
    frame["frequency"] = frame["frequency"].astype("int64")
    frame["time_unit_days"] = frame["time_unit_days"].astype("int64")
    frame["observation_end"] = frame["observation_end"].astype("datetime64[us]")
    for column in ("recency", "t", "monetary_value"):
        frame[column] = frame[column].astype("float64")
    return frame
