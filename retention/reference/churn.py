"""marts.churn, one row per calendar month (docs/design/CONTRACT.md
section 3; docs/design/METRICS.md "Churn", non-contractual;
docs/metric_decisions.md "Cohorts and churn").
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ._common import ONE_DAY, ratio

CHURN_COLUMNS = [
    "period_start",
    "period_end",
    "customers_start",
    "customers_end",
    "new_customers",
    "new_customers_active_end",
    "retained_customers",
    "churned_customers",
    "reactivated_customers",
    "churn_rate",
    "retention_rate",
    "crr",
    "is_complete_period",
]


def active_customers_on(purchases: pd.DataFrame, day: pd.Timestamp, window_days: int) -> set[str]:
    """METRICS.md "Churn": "Active on day d: last purchase date p <= d and
    d - p < churn_window_days" -- p being the customer's latest purchase date
    on or before d.
    """
    latest = (
        purchases.loc[purchases["order_date"] <= day].groupby("customer_id")["order_date"].max()
    )
    return set(latest.index[(day - latest).dt.days < window_days])


def churn_month(
    purchases: pd.DataFrame,
    first_purchase: pd.Series,
    month_start: pd.Timestamp,
    as_of: pd.Timestamp,
    window_days: int,
) -> dict[str, Any]:
    """One row of marts.churn, straight from METRICS.md "Churn":

    - f = month start, l = last counted day = month end, or as_of_date;
    - S = active on f - 1; E = active on l; N = first purchase date in [f, l];
    - retained = S and E; churned = S and not E; reactivated = E, not S, not N;
      new_customers_active_end = N and E;
    - churn_rate = churned / S; retention_rate = retained / S;
      crr = (E - new_customers_active_end) / S;
    - is_complete_period: month end <= as_of_date.
    """
    month_end = month_start + pd.offsets.MonthEnd(0)
    last_day = min(month_end, as_of)
    start = active_customers_on(purchases, month_start - ONE_DAY, window_days)
    end = active_customers_on(purchases, last_day, window_days)
    new = set(first_purchase.index[(first_purchase >= month_start) & (first_purchase <= last_day)])

    retained = start & end
    churned = start - end
    reactivated = end - start - new
    new_active_end = new & end
    return {
        "period_start": month_start,
        "period_end": last_day,
        "customers_start": len(start),
        "customers_end": len(end),
        "new_customers": len(new),
        "new_customers_active_end": len(new_active_end),
        "retained_customers": len(retained),
        "churned_customers": len(churned),
        "reactivated_customers": len(reactivated),
        "churn_rate": ratio(len(churned), len(start)),
        "retention_rate": ratio(len(retained), len(start)),
        "crr": ratio(len(end) - len(new_active_end), len(start)),
        "is_complete_period": bool(month_end <= as_of),
    }


def build_churn(purchases: pd.DataFrame, as_of: pd.Timestamp, window_days: int) -> pd.DataFrame:
    """marts.churn: "one row per calendar month, from the first purchase month
    through the month containing as_of_date" (CONTRACT.md).
    """
    if purchases.empty:
        return pd.DataFrame(columns=CHURN_COLUMNS)
    first_purchase = purchases.groupby("customer_id")["order_date"].min()
    months = pd.date_range(first_purchase.min().replace(day=1), as_of.replace(day=1), freq="MS")
    rows = [churn_month(purchases, first_purchase, m, as_of, window_days) for m in months]
    churn = pd.DataFrame(rows, columns=CHURN_COLUMNS)
    for column in ("period_start", "period_end"):
        churn[column] = churn[column].astype("datetime64[us]")
    return churn
