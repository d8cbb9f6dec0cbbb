"""marts.lifecycle_flows.

Follows docs/design/METRICS.md "Lifecycle flows" and "Lifecycle stage",
the lifecycle_flows bullet of "Readings fixed for the second wave", and
docs/design/CONTRACT.md section 7 for the columns:

- "Snapshot dates: every month end before as_of_date, plus as_of_date";
  "snapshots start at the end of the first purchase month".
- "On each snapshot date s, every customer with a first purchase on or
  before s gets the stage of 'Lifecycle stage' evaluated as if as_of_date =
  s (recency, tenure, gaps and RFM quintiles all computed from purchases on
  or before s)": :func:`stages_on` evaluates the customers mart's own rules
  (:func:`.customers.lifecycle_stage`, quintiles as in
  :func:`.customers.build_customers`) on the purchases up to s.
- "One row per snapshot x from_stage x to_stage ... (`none` for customers
  without a purchase yet at the previous snapshot)"; "only (from_stage,
  to_stage) pairs with at least one customer get a row".
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from ._common import empty_frame, month_index, month_last_day
from .customers import _with_recency_and_scores, lifecycle_stage
from .purchases import purchase_days

FLOW_COLUMNS = ["snapshot_date", "from_stage", "to_stage", "customers"]

NO_STAGE = "none"


def snapshot_dates(first_purchase: pd.Timestamp, as_of: pd.Timestamp) -> list[pd.Timestamp]:
    """The month ends from the first purchase's month that are before
    as_of_date, then as_of_date itself."""
    dates = []
    month = month_index(first_purchase)
    while month_last_day(month) < as_of:
        dates.append(month_last_day(month))
        month += 1
    return [*dates, as_of]


def stages_on(days: pd.DataFrame, snapshot: pd.Timestamp, churn_window_days: int) -> pd.Series:
    """The lifecycle stage of every customer with a purchase day on or before
    ``snapshot``, from those purchase days only (index customer_id).

    ``days`` are :func:`.purchases.purchase_days` rows; a day's gap is to the
    customer's previous purchase day, which is on or before the snapshot too.
    """
    seen = days[days["order_date"] <= snapshot]
    by_customer = seen.groupby("customer_id", sort=True)
    frame = pd.DataFrame(
        {
            "first_purchase_date": by_customer["order_date"].min(),
            "last_purchase_date": by_customer["order_date"].max(),
            "purchase_days": by_customer.size(),
            "net_revenue_micros": by_customer["net_revenue_micros"].sum(),
            "gross_margin_micros": by_customer["gross_margin_micros"].sum(),
        }
    ).reset_index()
    # Each customer's gaps in date order (purchase_days sorts by customer, date).
    gaps = seen[seen["gap_days"].notna()]
    gap_lists: dict[str, list[int]] = {}
    for customer, gap in zip(gaps["customer_id"], gaps["gap_days"].astype("int64"), strict=True):
        gap_lists.setdefault(customer, []).append(int(gap))
    frame["gap_list"] = [gap_lists.get(c, []) for c in frame["customer_id"]]
    # recency / tenure / span / last gap as of the snapshot, and the three
    # ntile(5) scores over the customers seen by then (ties by customer_id).
    frame = _with_recency_and_scores(frame, snapshot)
    return pd.Series(
        [lifecycle_stage(row, churn_window_days) for row in frame.to_dict("records")],
        index=frame["customer_id"],
        dtype=object,
    )


def build_lifecycle_flows(
    purchases: pd.DataFrame, as_of: pd.Timestamp, churn_window_days: int
) -> pd.DataFrame:
    """marts.lifecycle_flows: customers per snapshot x stage at the previous
    snapshot (``none`` before a customer's first purchase) x stage now."""
    if purchases.empty:
        return empty_frame(FLOW_COLUMNS)
    days = purchase_days(purchases)
    previous: dict[str, str] = {}
    rows = []
    for snapshot in snapshot_dates(days["order_date"].min(), as_of):
        current = stages_on(days, snapshot, churn_window_days)
        moves = Counter(
            (previous.get(customer, NO_STAGE), stage) for customer, stage in current.items()
        )
        rows += [
            {"snapshot_date": snapshot, "from_stage": f, "to_stage": t, "customers": n}
            for (f, t), n in sorted(moves.items())
        ]
        previous = current.to_dict()
    frame = pd.DataFrame(rows, columns=FLOW_COLUMNS)
    frame["snapshot_date"] = frame["snapshot_date"].astype("datetime64[us]")
    frame["from_stage"] = frame["from_stage"].astype(object)
    frame["to_stage"] = frame["to_stage"].astype(object)
    frame["customers"] = frame["customers"].astype("int64")
    return frame
