"""marts.activity_retention, one row per signup_week x day_n
(docs/design/CONTRACT.md section 3; docs/design/METRICS.md "Product (event)
retention"; docs/metric_decisions.md "Product retention").
"""

from __future__ import annotations

import pandas as pd

from ._common import empty_frame, local_date, period_index, period_start, ratio
from .vars import ValueVars

ACTIVITY_COLUMNS = [
    "signup_week",
    "day_n",
    "cohort_size",
    "eligible_customers",
    "retained_on",
    "retention_rate_on",
    "retained_on_or_after",
    "retention_rate_on_or_after",
    "activated_customers",
    "activation_rate",
]


def build_activity_retention(
    stg_customers: pd.DataFrame,
    stg_events: pd.DataFrame,
    as_of: pd.Timestamp,
    timezone: str,
    value_vars: ValueVars,
) -> pd.DataFrame:
    """marts.activity_retention, one row per signup_week x day_n (METRICS.md
    "Product (event) retention", metric_decisions.md "Product retention"):

    - cohort: customers with a (plausible) signup date on or before
      as_of_date, by ISO week (Monday) of the signup date (local date in
      reporting_timezone); rows for every signup week with customers x every
      N of retention_days.
    - "Active on day d: at least one event by that customer on date d", from
      non-anonymous staged events dated on or before as_of_date.
    - eligible(N): cohort customers whose signup date + N <= as_of_date.
    - retained_on(N): eligible customers active on exactly signup date + N;
      retained_on_or_after(N): active on any date >= signup date + N, up to
      as_of_date. Rates divide by eligible_customers.
    - activated_customers: cohort customers whose earliest activation_event
      is 0..activation_window_days days after the signup date (day 0
      included); activation_rate = activated / cohort_size. "Nothing after
      [as_of_date] is counted anywhere" (staging_rules.md), so the earliest
      activation event is taken among the events on or before as_of_date.
    """
    customers = _signup_cohorts(stg_customers, as_of, timezone)
    if customers.empty:
        return empty_frame(ACTIVITY_COLUMNS)
    active_days, activated = _customer_activity(stg_events, customers, as_of, value_vars)

    rows = []
    for week, cohort in customers.groupby("signup_week", sort=True):
        size = len(cohort)
        n_activated = int(cohort["customer_id"].isin(activated).sum())
        for n in value_vars.retention_days:
            day_n = pd.Timedelta(days=n)
            eligible = cohort[cohort["signup_date"] + day_n <= as_of]
            on, on_or_after = _retained(eligible, active_days, day_n)
            rows.append(
                {
                    "signup_week": week,
                    "day_n": n,
                    "cohort_size": size,
                    "eligible_customers": len(eligible),
                    "retained_on": on,
                    "retention_rate_on": ratio(on, len(eligible)),
                    "retained_on_or_after": on_or_after,
                    "retention_rate_on_or_after": ratio(on_or_after, len(eligible)),
                    "activated_customers": n_activated,
                    "activation_rate": ratio(n_activated, size),
                }
            )
    frame = pd.DataFrame(rows, columns=ACTIVITY_COLUMNS)
    frame["signup_week"] = frame["signup_week"].astype("datetime64[us]")
    for column in ACTIVITY_COLUMNS[1:]:
        if "rate" in column:
            frame[column] = frame[column].astype("float64")
        else:
            frame[column] = frame[column].astype("int64")
    return frame


def _signup_cohorts(
    stg_customers: pd.DataFrame, as_of: pd.Timestamp, timezone: str
) -> pd.DataFrame:
    """The customers with a (plausible) signup date on or before as_of_date,
    with ``signup_date`` (local date) and ``signup_week`` (its ISO week's
    Monday)."""
    customers = stg_customers[stg_customers["signed_up_at"].notna()].copy()
    customers["signup_date"] = local_date(customers["signed_up_at"], timezone)
    customers = customers[customers["signup_date"] <= as_of]
    if customers.empty:
        return customers
    customers["signup_week"] = period_start(
        period_index(customers["signup_date"], "week"), "week"
    ).values
    return customers


def _customer_activity(
    stg_events: pd.DataFrame,
    customers: pd.DataFrame,
    as_of: pd.Timestamp,
    value_vars: ValueVars,
) -> tuple[pd.Series, set[str]]:
    """The active dates of each cohort customer (a set per customer_id, from
    non-anonymous events on or before as_of_date) and the ids of the
    customers activated within activation_window_days of their signup date.
    """
    events = stg_events[~stg_events["is_anonymous"] & (stg_events["event_date"] <= as_of)]
    events = events[events["customer_id"].isin(customers["customer_id"])]
    active_days = events.groupby("customer_id")["event_date"].agg(lambda s: set(s))
    first_activation = (
        events[events["event_name"] == value_vars.activation_event]
        .groupby("customer_id")["event_date"]
        .min()
    )

    signup = customers.set_index("customer_id")["signup_date"]
    offsets = (first_activation - signup.reindex(first_activation.index)).dt.days
    activated = set(offsets.index[(offsets >= 0) & (offsets <= value_vars.activation_window_days)])
    return active_days, activated


def _retained(
    eligible: pd.DataFrame, active_days: pd.Series, day_n: pd.Timedelta
) -> tuple[int, int]:
    """(retained_on, retained_on_or_after) of the eligible customers: active on
    exactly signup date + N, and on any date from signup date + N on."""
    on = on_or_after = 0
    for customer_id, signup_date in zip(
        eligible["customer_id"], eligible["signup_date"], strict=True
    ):
        dates = active_days.get(customer_id, set())
        target = signup_date + day_n
        on += target in dates
        on_or_after += any(d >= target for d in dates)
    return on, on_or_after
