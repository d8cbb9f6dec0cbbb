"""marts.channel_economics, one row per acquisition_channel x cohort month
(docs/design/CONTRACT.md section 3; docs/design/METRICS.md "Value";
docs/metric_decisions.md "Channel economics").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import NAN, money, money_ratio, month_index, month_last_day, month_start
from .cohorts import cohort_customers

LTV_MONTHS = (3, 6, 12)


CHANNEL_COLUMNS = [
    "acquisition_channel",
    "cohort_month",
    "new_customers",
    "spend",
    "cac",
    "ltv_3m",
    "ltv_6m",
    "ltv_12m",
    "ltv_to_cac_12m",
    "payback_months",
]


def _month_cohorts(purchases: pd.DataFrame) -> pd.DataFrame:
    """One row per customer with a purchase: customer_id, acquisition_channel
    and cohort_index, the :func:`month_index` of the first purchase ("Cohort
    month = calendar month of the first purchase (independent of
    cohort_grain)").
    """
    if purchases.empty:
        return pd.DataFrame(columns=["customer_id", "acquisition_channel", "cohort_index"])
    customers = cohort_customers(purchases, "month")
    return customers[["customer_id", "acquisition_channel", "cohort_index"]]


def _monthly_spend(stg_spend: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Staged spend micros per (channel, month index); spend after as_of_date
    is ignored."""
    spend = stg_spend[stg_spend["spend_date"] <= as_of]
    spend = spend.assign(month=month_index(spend["spend_date"]))
    return spend.groupby(["channel", "month"])["spend_amount_micros"].sum()


def _monthly_margin(purchases: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """Gross margin micros per customer and month, with the customer's channel,
    cohort_index and ``month_number`` (0 = the cohort month), to accumulate
    over months 0..N."""
    if purchases.empty:
        margin = pd.DataFrame(columns=["customer_id", "month", "gross_margin_micros"])
    else:
        margin = (
            purchases.assign(month=month_index(purchases["order_date"]))
            .groupby(["customer_id", "month"], as_index=False)["gross_margin_micros"]
            .sum()
        )
    margin = margin.merge(customers, on="customer_id")
    margin["month_number"] = margin["month"] - margin["cohort_index"]
    return margin


def _channel_month(
    channel: str,
    cohort: int,
    new: int,
    spent: int,
    by_number: pd.Series,
    as_of: pd.Timestamp,
    as_of_month: int,
) -> dict[str, object]:
    """One row of marts.channel_economics: ``new`` customers and ``spent``
    micros of the channel in cohort month ``cohort``; ``by_number``: the
    cohort's gross margin micros by month number; ``as_of_month``: the
    :func:`month_index` of as_of_date.
    """
    cac = NAN if spent == 0 or new == 0 else money(spent, new)
    last_complete = max(
        (k for k in range(0, as_of_month - cohort + 1) if month_last_day(cohort + k) <= as_of),
        default=-1,
    )

    def cumulative(k: int) -> int:
        return int(by_number[by_number.index <= k].sum())

    ltv = {
        n: (NAN if n > last_complete or new == 0 else money(cumulative(n), new)) for n in LTV_MONTHS
    }
    payback = None
    if not np.isnan(cac):
        # cumulative / new >= spend / new  <=>  cumulative >= spend (new > 0).
        payback = next((k for k in range(0, last_complete + 1) if cumulative(k) >= spent), None)
    return {
        "acquisition_channel": channel,
        "cohort_month": month_start(cohort),
        "new_customers": new,
        "spend": money(spent),
        "cac": cac,
        "ltv_3m": ltv[3],
        "ltv_6m": ltv[6],
        "ltv_12m": ltv[12],
        "ltv_to_cac_12m": (
            NAN if np.isnan(cac) or np.isnan(ltv[12]) else money_ratio(cumulative(12), spent)
        ),
        "payback_months": payback,
    }


def build_channel_economics(
    purchases: pd.DataFrame, stg_spend: pd.DataFrame, as_of: pd.Timestamp
) -> pd.DataFrame:
    """marts.channel_economics, one row per acquisition_channel x cohort
    month (metric_decisions.md "Channel economics"):

    - "Cohort month = calendar month of the first purchase (independent of
      cohort_grain). Rows: every channel x month that has new customers or
      spend (spend after as_of_date is ignored), from the first such month to
      the month containing as_of_date." A month "has spend" when it has a
      staged spend line (whatever its amount).
    - "``spend`` = staged marketing spend of that channel in that month (0
      when none). ``cac`` = spend / new_customers, NULL when spend is 0 ... or
      new_customers is 0."
    - "``ltv_Nm`` (N = 3, 6, 12) = cumulative gross margin per new customer
      through month number N after the cohort month (month 0 = the cohort
      month, so months 0..N), NULL until month N is complete (its last day <=
      as_of_date)." (and NULL without new customers: denominator 0).
    - "``payback_months`` = the smallest complete month number k >= 0 at
      which the cumulative gross margin per customer through k is >= cac;
      NULL if none yet or if cac is NULL."
    - "``ltv_to_cac_12m`` = ltv_12m / cac (NULL when either is NULL)."
    """
    as_of_month = month_index(as_of)
    customers = _month_cohorts(purchases)
    new_counts = customers.groupby(["acquisition_channel", "cohort_index"]).size()
    spend_micros = _monthly_spend(stg_spend, as_of)
    margin = _monthly_margin(purchases, customers)

    keys = sorted(
        {(str(c), int(m)) for c, m in new_counts.index}
        | {(str(c), int(m)) for c, m in spend_micros.index}
    )
    rows = []
    for channel, cohort in keys:
        in_cohort = margin[
            (margin["acquisition_channel"] == channel) & (margin["cohort_index"] == cohort)
        ]
        by_number = in_cohort.groupby("month_number")["gross_margin_micros"].sum()
        new = int(new_counts.get((channel, cohort), 0))
        spent = int(spend_micros.get((channel, cohort), 0))
        rows.append(_channel_month(channel, cohort, new, spent, by_number, as_of, as_of_month))

    frame = pd.DataFrame(rows, columns=CHANNEL_COLUMNS)
    frame["acquisition_channel"] = frame["acquisition_channel"].astype(object)
    frame["cohort_month"] = frame["cohort_month"].astype("datetime64[us]")
    frame["new_customers"] = frame["new_customers"].astype("int64")
    frame["payback_months"] = pd.array(list(frame["payback_months"]), dtype="Int64")
    for column in ("spend", "cac", "ltv_3m", "ltv_6m", "ltv_12m", "ltv_to_cac_12m"):
        frame[column] = frame[column].astype("float64")
    return frame
