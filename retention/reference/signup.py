"""marts.signup_conversion (signup_week x day_n) and
customers.days_to_first_purchase (docs/design/CONTRACT.md section 7;
docs/design/METRICS.md "Signup conversion" and "Readings fixed for the
second wave"; docs/metric_decisions.md "Signup conversion").
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ._common import empty_frame, local_date, period_index, period_start, ratio

SIGNUP_CONVERSION_COLUMNS = [
    "signup_week",
    "day_n",
    "signups",
    "eligible_customers",
    "converted_customers",
    "conversion_rate",
]


def customer_signups(
    stg_customers: pd.DataFrame,
    purchases: pd.DataFrame,
    as_of: pd.Timestamp | None,
    timezone: str,
) -> pd.DataFrame:
    """One row per staged customer who signed up on or before as_of_date,
    with ``signup_date`` (the local date of signed_up_at in
    reporting_timezone), ``signup_week`` (Monday of its ISO week),
    ``first_purchase_date`` and ``days_to_first_purchase``.

    - "Customers with a signup date (reporting_timezone)": staging keeps
      only plausible signups (an implausible one is NULL); "A signup after
      as_of_date counts as no signup everywhere".
    - "days_to_first_purchase = first purchase date − signup date (NULL
      without a purchase; a purchase before signup gives 0, it is not
      negative)". ``purchases`` are the counted purchases (on or before
      as_of_date). A buyer missing from raw.customers has no signup.
    """
    columns = [
        "customer_id",
        "signup_date",
        "signup_week",
        "first_purchase_date",
        "days_to_first_purchase",
    ]
    if as_of is None:
        return empty_frame(columns)
    signed = stg_customers[stg_customers["signed_up_at"].notna()]
    frame = pd.DataFrame(
        {
            "customer_id": signed["customer_id"].astype(object).to_numpy(),
            "signup_date": local_date(signed["signed_up_at"], timezone).to_numpy(),
        }
    )
    frame = frame[frame["signup_date"] <= as_of].reset_index(drop=True)
    if frame.empty:
        return empty_frame(columns)
    frame["signup_week"] = period_start(period_index(frame["signup_date"], "week"), "week").values
    first = {
        customer_id: pd.Timestamp(day)
        for customer_id, day in purchases.groupby("customer_id")["order_date"].min().items()
    }
    frame["first_purchase_date"] = pd.to_datetime(
        [first.get(customer_id, pd.NaT) for customer_id in frame["customer_id"]]
    ).astype("datetime64[us]")
    days = (frame["first_purchase_date"] - frame["signup_date"]).dt.days
    frame["days_to_first_purchase"] = pd.array(
        [None if pd.isna(d) else max(int(d), 0) for d in days], dtype="Int64"
    )
    return frame[columns]


def build_signup_conversion(
    signups: pd.DataFrame, as_of: pd.Timestamp | None, retention_days: Iterable[int]
) -> pd.DataFrame:
    """One row per signup week with signups x every N of retention_days:

    - signups: the week's customers (with or without a purchase);
    - eligible: signup date + N <= as_of_date;
    - converted: eligible with days_to_first_purchase <= N;
    - conversion_rate = converted / eligible (NULL when nobody is eligible).
    """
    if signups.empty or as_of is None:
        return empty_frame(SIGNUP_CONVERSION_COLUMNS)
    rows = []
    for week, cohort in signups.groupby("signup_week", sort=True):
        days = cohort["days_to_first_purchase"]
        for n in retention_days:
            eligible = cohort["signup_date"] + pd.Timedelta(days=n) <= as_of
            converted = eligible & days.notna() & (days.fillna(n + 1) <= n)
            rows.append(
                {
                    "signup_week": week,
                    "day_n": n,
                    "signups": len(cohort),
                    "eligible_customers": int(eligible.sum()),
                    "converted_customers": int(converted.sum()),
                    "conversion_rate": ratio(int(converted.sum()), int(eligible.sum())),
                }
            )
    frame = pd.DataFrame(rows, columns=SIGNUP_CONVERSION_COLUMNS)
    frame["signup_week"] = frame["signup_week"].astype("datetime64[us]")
    for column in SIGNUP_CONVERSION_COLUMNS[1:-1]:
        frame[column] = frame[column].astype("int64")
    frame["conversion_rate"] = frame["conversion_rate"].astype("float64")
    return frame


def with_days_to_first_purchase(customers: pd.DataFrame, signups: pd.DataFrame) -> pd.DataFrame:
    """customers with ``days_to_first_purchase`` (Int64) appended: NULL for a
    customer without a signup on or before as_of_date."""
    out = customers.copy()
    days = signups.set_index("customer_id")["days_to_first_purchase"]
    mapped = out["customer_id"].astype(object).map(days.to_dict())
    out["days_to_first_purchase"] = pd.array(
        [None if pd.isna(d) else int(d) for d in mapped], dtype="Int64"
    )
    return out
