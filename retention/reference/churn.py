"""marts.churn, one row per calendar month (docs/design/CONTRACT.md
section 3; docs/design/METRICS.md "Churn", non-contractual;
docs/metric_decisions.md "Cohorts and churn"), and marts.churn_by_grain, the
same at every grain of ``churn_grains`` (CONTRACT.md section 7; METRICS.md
"Churn and CRR at every grain").
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
    """One row of marts.churn (see :func:`churn_period`)."""
    month_end = month_start + pd.offsets.MonthEnd(0)
    return churn_period(purchases, first_purchase, month_start, month_end, as_of, window_days)


def churn_period(
    purchases: pd.DataFrame,
    first_purchase: pd.Series,
    month_start: pd.Timestamp,
    month_end: pd.Timestamp,
    as_of: pd.Timestamp,
    window_days: int,
) -> dict[str, Any]:
    """One period of churn, straight from METRICS.md "Churn" (the period
    being a calendar month for marts.churn, any grain for churn_by_grain):

    - f = period start, l = last counted day = period end, or as_of_date;
    - S = active on f - 1; E = active on l; N = first purchase date in [f, l];
    - retained = S and E; churned = S and not E; reactivated = E, not S, not N;
      new_customers_active_end = N and E;
    - churn_rate = churned / S; retention_rate = retained / S;
      crr = (E - new_customers_active_end) / S;
    - is_complete_period: period end <= as_of_date.
    """
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


CHURN_GRAINS = ("day", "week", "month", "quarter", "half_year", "year")
CHURN_BY_GRAIN_COLUMNS = ["grain", *CHURN_COLUMNS]


def grain_start(day: pd.Timestamp, grain: str) -> pd.Timestamp:
    """First day of the ``grain`` period containing ``day`` (METRICS.md
    "Churn and CRR at every grain"): the day itself, the Monday of its ISO
    week, the first of its month, of its quarter, January 1 or July 1
    (half_year: Jan-Jun, Jul-Dec), January 1.
    """
    day = pd.Timestamp(day).normalize()
    if grain == "day":
        return day
    if grain == "week":
        return day - pd.Timedelta(days=day.weekday())
    first_month = {
        "month": day.month,
        "quarter": 3 * ((day.month - 1) // 3) + 1,
        "half_year": 1 if day.month <= 6 else 7,
        "year": 1,
    }[grain]
    return pd.Timestamp(year=day.year, month=first_month, day=1)


def next_grain_start(start: pd.Timestamp, grain: str) -> pd.Timestamp:
    """The start of the period after the one starting on ``start``."""
    if grain == "day":
        return start + ONE_DAY
    if grain == "week":
        return start + pd.Timedelta(days=7)
    months = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}[grain]
    return start + pd.DateOffset(months=months)


def build_churn_by_grain(
    purchases: pd.DataFrame,
    as_of: pd.Timestamp,
    window_days: int,
    grains: tuple[str, ...] = CHURN_GRAINS,
) -> pd.DataFrame:
    """marts.churn_by_grain: "Rows for every period from the one containing
    the first purchase through the one containing as_of_date, for each grain
    in churn_grains"; each row is :func:`churn_period` with f and l the
    period's first and last counted day.
    """
    if purchases.empty:
        return pd.DataFrame(columns=CHURN_BY_GRAIN_COLUMNS)
    first_purchase = purchases.groupby("customer_id")["order_date"].min()
    rows = []
    for grain in grains:
        start = grain_start(first_purchase.min(), grain)
        last = grain_start(as_of, grain)
        while start <= last:
            following = next_grain_start(start, grain)
            row = churn_period(
                purchases, first_purchase, start, following - ONE_DAY, as_of, window_days
            )
            rows.append({"grain": grain, **row})
            start = following
    churn = pd.DataFrame(rows, columns=CHURN_BY_GRAIN_COLUMNS)
    for column in ("period_start", "period_end"):
        churn[column] = churn[column].astype("datetime64[us]")
    return churn
