"""marts.activation_drivers, one row per event_name (docs/design/CONTRACT.md
section 7; docs/design/METRICS.md "Activation drivers" and "Readings fixed
for the second wave"; docs/metric_decisions.md "Activation drivers").

Written from the spec: for each early action, two 0/1 vectors over the
population (did the action, retained) and their Pearson correlation
(numpy), the retention rates of both groups, and the pooled two-proportion
z-test with scipy's normal tail.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ._common import empty_frame, local_date, ratio
from .vars import DriverVars

PSEUDO_EVENT = "first_purchase"

DRIVER_COLUMNS = [
    "event_name",
    "customers",
    "did_customers",
    "did_share",
    "retained_if_did",
    "retained_if_not",
    "retention_lift",
    "retention_difference",
    "phi",
    "p_value",
]

NAN = float("nan")


def build_activation_drivers(
    stg_customers: pd.DataFrame,
    stg_events: pd.DataFrame | None,
    purchases: pd.DataFrame,
    as_of: pd.Timestamp,
    timezone: str,
    driver_vars: DriverVars,
) -> pd.DataFrame:
    """marts.activation_drivers (METRICS.md "Activation drivers"):

    - population: customers with a (plausible) signup date whose signup
      date + driver_outcome_days <= as_of_date (local dates in
      reporting_timezone; day 0 = signup day);
    - did(e): a non-anonymous staged event named e on days
      0..activation_window_days; the pseudo-event ``first_purchase``: a
      purchase day on those days. A staged event named ``first_purchase``
      is left out (metric_decisions.md: the name is the pseudo-event's);
    - retained: a purchase day on days activation_window_days + 1 ..
      driver_outcome_days;
    - one row per event name done by someone of the population in the early
      window, and always one for ``first_purchase``.

    ``stg_events`` None: the shop has no events table (using_events: false),
    so only ``first_purchase``.
    """
    population = _population(stg_customers, as_of, timezone, driver_vars)
    ids = population.index
    window = driver_vars.activation_window_days

    purchase_offsets = _offsets(purchases, "order_date", population)
    early_buyers = set(
        purchase_offsets.loc[purchase_offsets["day"].between(0, window), "customer_id"]
    )
    retained_ids = set(
        purchase_offsets.loc[
            purchase_offsets["day"].between(window + 1, driver_vars.driver_outcome_days),
            "customer_id",
        ]
    )

    did: dict[str, set[str]] = {PSEUDO_EVENT: early_buyers}
    if stg_events is not None:
        events = stg_events[
            ~stg_events["is_anonymous"].astype(bool)
            & (stg_events["event_name"] != PSEUDO_EVENT)
            & (stg_events["event_date"] <= as_of)
        ]
        event_offsets = _offsets(events, "event_date", population)
        early = event_offsets[event_offsets["day"].between(0, window)]
        for name, customers in early.groupby("event_name")["customer_id"]:
            did[str(name)] = set(customers)

    retained = np.array([customer in retained_ids for customer in ids], dtype=float)
    rows = [
        _row(name, np.array([c in did[name] for c in ids], dtype=float), retained)
        for name in sorted(did)
    ]
    frame = pd.DataFrame(rows, columns=DRIVER_COLUMNS) if rows else empty_frame(DRIVER_COLUMNS)
    for column in ("customers", "did_customers"):
        frame[column] = frame[column].astype("int64")
    for column in DRIVER_COLUMNS[3:]:
        frame[column] = frame[column].astype("float64")
    return frame


def _population(
    stg_customers: pd.DataFrame, as_of: pd.Timestamp, timezone: str, driver_vars: DriverVars
) -> pd.DataFrame:
    """Customers whose outcome window has ended by as_of_date, indexed by
    customer_id, with ``signup_date``."""
    customers = stg_customers[stg_customers["signed_up_at"].notna()].copy()
    customers["signup_date"] = local_date(customers["signed_up_at"], timezone)
    outcome_end = customers["signup_date"] + pd.Timedelta(days=driver_vars.driver_outcome_days)
    customers = customers[outcome_end <= as_of]
    return customers.set_index("customer_id")[["signup_date"]].sort_index()


def _offsets(frame: pd.DataFrame, date_column: str, population: pd.DataFrame) -> pd.DataFrame:
    """Rows of population customers with ``day``: days after their signup."""
    rows = frame[frame["customer_id"].isin(population.index)]
    signup = population["signup_date"].reindex(rows["customer_id"]).to_numpy()
    days = (rows[date_column].to_numpy() - signup) / np.timedelta64(1, "D")
    return rows.assign(day=days.astype("int64") if len(rows) else days)


def _row(name: str, did: np.ndarray, retained: np.ndarray) -> dict[str, object]:
    n = did.size
    n_did = int(did.sum())
    n_not = n - n_did
    retained_did = int((did * retained).sum())
    retained_not = int(((1 - did) * retained).sum())
    if_did = ratio(retained_did, n_did)
    if_not = ratio(retained_not, n_not)
    lift = NAN if np.isnan(if_not) or if_not == 0 else if_did / if_not
    varies = 0 < n_did < n and 0 < retained.sum() < n
    return {
        "event_name": name,
        "customers": n,
        "did_customers": n_did,
        "did_share": ratio(n_did, n),
        "retained_if_did": if_did,
        "retained_if_not": if_not,
        "retention_lift": lift,
        "retention_difference": if_did - if_not,
        "phi": float(np.corrcoef(did, retained)[0, 1]) if varies else NAN,
        "p_value": _pooled_z_p_value(retained_did, n_did, retained_not, n_not),
    }


def _pooled_z_p_value(successes_a: int, n_a: int, successes_b: int, n_b: int) -> float:
    """Two-sided p-value of the two-proportion z-test with the pooled rate;
    NULL when a group is empty or the pooled rate is 0 or 1."""
    if n_a == 0 or n_b == 0:
        return NAN
    pooled = (successes_a + successes_b) / (n_a + n_b)
    if pooled in (0.0, 1.0):
        return NAN
    se = np.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    z = (successes_a / n_a - successes_b / n_b) / se
    return float(2 * stats.norm.sf(abs(z)))
