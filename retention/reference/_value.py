"""Independent pandas reference for the value and product marts.

Written only from the written spec, never from the SQL models:

- ``shared/design/CONTRACT.md`` section 3 (mart grains and columns) and
  section 2 (vars),
- ``shared/design/METRICS.md`` (metric definitions),
- ``docs/metric_decisions.md`` (the binding readings where METRICS.md leaves a
  choice), and ``docs/staging_rules.md`` through :mod:`retention.reference`,
  whose staging and purchase helpers are reused here.

:func:`compute_value_marts` returns ``time_between_purchases``, ``customers``,
``rfm_summary``, ``channel_economics``, ``retention_kpis``,
``retention_scorecard`` and ``activity_retention`` with exactly the CONTRACT.md
columns. Conventions are those of :mod:`retention.reference`:

- dates are naive ``datetime64[us]`` values at midnight (local dates in
  ``reporting_timezone``); an unknown date is ``NaT``;
- money is summed as exact integer micro-units and becomes ``float`` only in
  the returned marts; counts are ``int64`` (``Int64`` where NULL is allowed);
- a rate whose denominator is 0 is NULL (``NaN``), never 0 (CONTRACT.md
  section 3).

The functions favour the literal definition over clever shortcuts: each one
quotes the sentence of the spec it implements.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from retention.reference._core import (
    MICROS_PER_UNIT,
    build_churn,
    local_date,
    money,
    parse_vars,
    period_index,
    period_start,
    purchases_until,
    ratio,
    resolve_as_of_date,
    stage_all,
)

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS_SEED = REPO / "seeds" / "kpi_benchmarks.csv"
NTILE_BUCKETS = 5
LTV_MONTHS = (3, 6, 12)
TRANSITIONS = ("1-2", "2-3", "3+", "all")
NAN = float("nan")

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
CUSTOMER_COLUMNS = [
    "customer_id",
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
]
RFM_COLUMNS = [
    "customer_id",
    "frequency",
    "recency",
    "t",
    "monetary_value",
    "observation_end",
    "time_unit_days",
]
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
KPI_COLUMNS = [
    "month_start",
    "active_customers",
    "new_customers",
    "returning_customers",
    "purchases",
    "net_revenue",
    "aov",
    "purchase_frequency",
    "repeat_purchase_rate",
    "returning_revenue_share",
    "repeat_rate_180d",
    "nrr_12m",
    "grr_12m",
    "formula_cltv",
    "is_complete_period",
]
SCORECARD_COLUMNS = [
    "kpi",
    "value",
    "measured_for",
    "benchmark_low",
    "benchmark_high",
    "status",
    "source",
]
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


# --------------------------------------------------------------------------
# Variables (CONTRACT.md section 2, the vars not read by retention.reference)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueVars:
    """The value / product vars of CONTRACT.md section 2, parsed."""

    retention_days: tuple[int, ...]
    activation_event: str
    activation_window_days: int
    rfm_observation_end: pd.Timestamp | None
    rfm_time_unit_days: int


def _int_var(name: str, value: Any, minimum: int) -> int:
    try:
        number = int(value)
        exact = number == float(value)
    except (TypeError, ValueError):
        exact = False
    if not exact or number < minimum:
        raise ValueError(f"var {name}: {value!r} is not an integer >= {minimum}")
    return number


def parse_value_vars(vars: Mapping[str, Any] | None) -> ValueVars:
    """Defaults of CONTRACT.md section 2: retention_days ``[1, 7, 14, 30,
    60, 90]``, activation_event ``add_to_cart``, activation_window_days 7,
    rfm_observation_end = as_of_date (None here), rfm_time_unit_days 1.
    "An invalid value ... must stop the build with a message that names the
    variable": a ValueError naming it.
    """
    vars = dict(vars or {})
    days_raw = vars.get("retention_days", [1, 7, 14, 30, 60, 90])
    if isinstance(days_raw, str):
        days_raw = json.loads(days_raw)
    if isinstance(days_raw, (int, float)):
        days_raw = [days_raw]
    retention_days = tuple(sorted({_int_var("retention_days", d, 0) for d in days_raw}))
    if not retention_days:
        raise ValueError("var retention_days: give at least one day N")

    event = str(vars.get("activation_event") or "add_to_cart").strip().lower()
    window = _int_var("activation_window_days", vars.get("activation_window_days", 7), 0)

    end_raw = vars.get("rfm_observation_end")
    if end_raw in (None, ""):
        end = None
    else:
        end = pd.Timestamp(str(end_raw))
        if pd.isna(end) or end != end.normalize():
            raise ValueError(f"var rfm_observation_end: {end_raw!r} is not a date 'YYYY-MM-DD'")
    unit = _int_var("rfm_time_unit_days", vars.get("rfm_time_unit_days", 1), 1)
    return ValueVars(retention_days, event, window, end, unit)


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------


def month_index(dates: pd.Series | pd.Timestamp) -> Any:
    """A running month number (year * 12 + month - 1)."""
    return period_index(dates, "month")


def month_start(index: int) -> pd.Timestamp:
    """The first day of the month with :func:`month_index` ``index``."""
    return pd.Timestamp(year=index // 12, month=index % 12 + 1, day=1)


def month_last_day(index: int) -> pd.Timestamp:
    """The last day of the month with :func:`month_index` ``index``."""
    return month_start(index + 1) - pd.Timedelta(days=1)


def percentile(values: list[int] | np.ndarray, q: float) -> float:
    """metric_decisions.md: "percentiles continuous (linear interpolation
    between closest ranks, like numpy's default and ``percentile_cont``)";
    NULL for no values.
    """
    if len(values) == 0:
        return NAN
    return float(np.percentile(np.asarray(values, dtype="float64"), q, method="linear"))


def mean(values: list[int] | np.ndarray) -> float:
    """The arithmetic mean of integers (exact before the final rounding)."""
    if len(values) == 0:
        return NAN
    return float(Fraction(int(np.sum(np.asarray(values, dtype="int64"))), len(values)))


def ntile(count: int, buckets: int = NTILE_BUCKETS) -> np.ndarray:
    """SQL ``ntile(buckets)`` over ``count`` ordered rows: the rows are split
    into ``buckets`` groups whose sizes differ by at most 1, the larger groups
    first (metric_decisions.md: "ntile puts the larger buckets first").
    Returns the bucket (1-based) of each row in order.
    """
    base, extra = divmod(count, buckets)
    sizes = [base + 1] * extra + [base] * (buckets - extra)
    return np.repeat(np.arange(1, buckets + 1), sizes).astype("int64")


def _ntile_scores(frame: pd.DataFrame, by: str, ascending: bool) -> pd.Series:
    """ntile(5) of ``frame`` ordered by ``by`` (then customer_id ascending,
    metric_decisions.md "ties always by customer_id ascending").
    """
    ordered = frame.sort_values(
        [by, "customer_id"], ascending=[ascending, True], kind="stable"
    ).index
    return pd.Series(ntile(len(ordered)), index=ordered).reindex(frame.index)


def _money_or_null(micros: int, divisor: int) -> float:
    """``micros / divisor`` in currency units; NULL when the divisor is 0."""
    return NAN if divisor == 0 else money(micros, divisor)


def _money_ratio(numerator_micros: int, denominator_micros: int) -> float:
    """A ratio of two amounts; NULL when the denominator is 0."""
    if denominator_micros == 0:
        return NAN
    return float(Fraction(int(numerator_micros), int(denominator_micros)))


# --------------------------------------------------------------------------
# Purchase days (METRICS.md "Building blocks")
# --------------------------------------------------------------------------


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


def _customer_basics(purchases: pd.DataFrame, grain: str) -> pd.DataFrame:
    """One row per customer with a purchase: channel (already ``unknown`` for a
    customer missing from raw.customers), first purchase date and the
    cohort_grain cohort period (METRICS.md "Cohort of a customer").
    """
    basics = purchases.groupby("customer_id", as_index=False).agg(
        acquisition_channel=("acquisition_channel", "first"),
        first_purchase_date=("order_date", "min"),
        last_purchase_date=("order_date", "max"),
    )
    cohort_index = period_index(basics["first_purchase_date"], grain)
    basics["cohort_period"] = period_start(cohort_index, grain).values
    return basics


# --------------------------------------------------------------------------
# marts.time_between_purchases
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# marts.customers
# --------------------------------------------------------------------------


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
        return _empty(CUSTOMER_COLUMNS)
    costs = stg_orders[["order_id", "has_cost"]]
    with_cost = purchases.merge(costs, on="order_id", how="left")
    basics = _customer_basics(purchases, grain)
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

    out = pd.DataFrame(
        {
            "customer_id": frame["customer_id"].astype(object),
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
                _money_or_null(m, n)
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
    return out.sort_values("customer_id", kind="stable").reset_index(drop=True)[CUSTOMER_COLUMNS]


# --------------------------------------------------------------------------
# marts.rfm_summary
# --------------------------------------------------------------------------


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
        return _empty(RFM_COLUMNS)
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


# --------------------------------------------------------------------------
# marts.channel_economics
# --------------------------------------------------------------------------


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
    if purchases.empty:
        first_dates = pd.Series(dtype="datetime64[us]")
        customers = pd.DataFrame(columns=["customer_id", "acquisition_channel", "cohort_index"])
    else:
        first_dates = purchases.groupby("customer_id")["order_date"].min()
        channels = purchases.groupby("customer_id")["acquisition_channel"].first()
        customers = pd.DataFrame(
            {
                "customer_id": first_dates.index,
                "acquisition_channel": channels.reindex(first_dates.index).values,
                "cohort_index": month_index(first_dates).values,
            }
        )
    new_counts = customers.groupby(["acquisition_channel", "cohort_index"]).size()

    spend = stg_spend[stg_spend["spend_date"] <= as_of]
    spend = spend.assign(month=month_index(spend["spend_date"]))
    spend_micros = spend.groupby(["channel", "month"])["spend_amount_micros"].sum()

    keys = sorted(
        {(str(c), int(m)) for c, m in new_counts.index}
        | {(str(c), int(m)) for c, m in spend_micros.index}
    )

    # Monthly gross margin per customer, to accumulate over months 0..N.
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

    rows = []
    for channel, cohort in keys:
        new = int(new_counts.get((channel, cohort), 0))
        spent = int(spend_micros.get((channel, cohort), 0))
        cac = NAN if spent == 0 or new == 0 else money(spent, new)
        in_cohort = margin[
            (margin["acquisition_channel"] == channel) & (margin["cohort_index"] == cohort)
        ]
        by_number = in_cohort.groupby("month_number")["gross_margin_micros"].sum()
        last_complete = max(
            (k for k in range(0, as_of_month - cohort + 1) if month_last_day(cohort + k) <= as_of),
            default=-1,
        )

        def cumulative(k: int, by_number: pd.Series = by_number) -> int:
            return int(by_number[by_number.index <= k].sum())

        ltv = {
            n: (NAN if n > last_complete or new == 0 else money(cumulative(n), new))
            for n in LTV_MONTHS
        }
        payback = None
        if not np.isnan(cac):
            # cumulative / new >= spend / new  <=>  cumulative >= spend (new > 0).
            payback = next((k for k in range(0, last_complete + 1) if cumulative(k) >= spent), None)
        rows.append(
            {
                "acquisition_channel": channel,
                "cohort_month": month_start(cohort),
                "new_customers": new,
                "spend": money(spent),
                "cac": cac,
                "ltv_3m": ltv[3],
                "ltv_6m": ltv[6],
                "ltv_12m": ltv[12],
                "ltv_to_cac_12m": (
                    NAN
                    if np.isnan(cac) or np.isnan(ltv[12])
                    else _money_ratio(cumulative(12), spent)
                ),
                "payback_months": payback,
            }
        )
    frame = pd.DataFrame(rows, columns=CHANNEL_COLUMNS)
    frame["acquisition_channel"] = frame["acquisition_channel"].astype(object)
    frame["cohort_month"] = frame["cohort_month"].astype("datetime64[us]")
    frame["new_customers"] = frame["new_customers"].astype("int64")
    frame["payback_months"] = pd.array(list(frame["payback_months"]), dtype="Int64")
    for column in ("spend", "cac", "ltv_3m", "ltv_6m", "ltv_12m", "ltv_to_cac_12m"):
        frame[column] = frame[column].astype("float64")
    return frame


# --------------------------------------------------------------------------
# marts.retention_kpis
# --------------------------------------------------------------------------


def _nrr_grr(revenue: pd.DataFrame, month: int, first_month: int) -> tuple[float, float]:
    """metric_decisions.md ``nrr_12m``: "current window = the 12 calendar
    months ending with this month; base window = the 12 months before that.
    Base customers = net revenue > 0 in the base window. nrr = their net
    revenue in the current window / their net revenue in the base window;
    grr caps each customer's current revenue at their base revenue. NULL
    unless the base window starts on or after the earliest purchase month."
    ``revenue``: customer_id, month, net_revenue_micros.
    """
    base_start = month - 23
    if base_start < first_month:
        return NAN, NAN
    base = (
        revenue[(revenue["month"] >= base_start) & (revenue["month"] <= month - 12)]
        .groupby("customer_id")["net_revenue_micros"]
        .sum()
    )
    base = base[base > 0]
    current = (
        revenue[(revenue["month"] >= month - 11) & (revenue["month"] <= month)]
        .groupby("customer_id")["net_revenue_micros"]
        .sum()
        .reindex(base.index, fill_value=0)
    )
    base_total = int(base.sum())
    nrr = _money_ratio(int(current.sum()), base_total)
    grr = _money_ratio(int(np.minimum(current, base).sum()), base_total)
    return nrr, grr


def _formula_cltv(monthly: pd.DataFrame, churn_rates: Mapping[int, float], month: int) -> float:
    """metric_decisions.md ``formula_cltv`` (month m) = "mean over the 12
    complete months ending at m of (gross_margin / active_customers) x 1 /
    mean over the same months of churn.churn_rate. NULL when m is not
    complete, when fewer than 12 complete months end at m, when a month has
    no churn_rate or no active customers, or when the mean churn is 0."
    ``monthly``: indexed by month number, with is_complete, active and
    gross_margin_micros; its first index is the earliest purchase month.
    """
    window = list(range(month - 11, month + 1))
    if window[0] < monthly.index.min() or not monthly.loc[window, "is_complete"].all():
        return NAN
    rates = [churn_rates.get(m, NAN) for m in window]
    if any(np.isnan(r) for r in rates):
        return NAN
    mean_churn = float(np.mean(rates))
    if mean_churn == 0:
        return NAN
    if not (monthly.loc[window, "active"].fillna(0) > 0).all():
        return NAN
    per_customer = [
        Fraction(int(monthly.at[m, "gross_margin_micros"]), int(monthly.at[m, "active"]))
        for m in window
    ]
    mean_margin = float(sum(per_customer) / len(per_customer) / MICROS_PER_UNIT)
    return mean_margin * (1 / mean_churn)


def build_retention_kpis(
    purchases: pd.DataFrame,
    days: pd.DataFrame,
    churn: pd.DataFrame,
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    """marts.retention_kpis, one row per calendar month from the earliest
    purchase month to the month containing as_of_date; "the month end of the
    current month is as_of_date" (metric_decisions.md "Retention KPIs"):

    - active_customers = customers with a purchase in the month;
      new_customers = first purchase in the month; returning_customers =
      active and first purchase before the month.
    - purchases (orders), net_revenue; aov = net_revenue / purchases;
      purchase_frequency = purchases / active_customers.
    - repeat_purchase_rate = customers with >= 2 purchase days on or before
      month end / customers with >= 1 on or before month end.
    - returning_revenue_share = net revenue in the month from customers whose
      first purchase is before the month / net revenue in the month.
    - repeat_rate_180d = new customers of the month whose second purchase day
      is <= 180 days after the first / new customers; NULL until the month's
      end + 180 days <= as_of_date.
    - nrr_12m, grr_12m: :func:`_nrr_grr`; formula_cltv: :func:`_formula_cltv`
      (churn_rate from marts.churn, :func:`retention.reference.build_churn`).
    - is_complete_period: month end <= as_of_date.
    """
    if purchases.empty:
        return _empty(KPI_COLUMNS)
    frame = purchases.assign(month=month_index(purchases["order_date"]))
    first_date = frame.groupby("customer_id")["order_date"].min()
    frame["first_month"] = month_index(frame["customer_id"].map(first_date))
    second_date = days.loc[days["day_number"] == 2].set_index("customer_id")["order_date"]
    first_month = int(frame["month"].min())
    as_of_month = month_index(as_of)
    revenue = frame.groupby(["customer_id", "month"], as_index=False)["net_revenue_micros"].sum()

    monthly = pd.DataFrame(index=range(first_month, as_of_month + 1))
    monthly["is_complete"] = [month_last_day(m) <= as_of for m in monthly.index]
    monthly["active"] = frame.groupby("month")["customer_id"].nunique()
    monthly["gross_margin_micros"] = frame.groupby("month")["gross_margin_micros"].sum()
    monthly = monthly.fillna({"active": 0, "gross_margin_micros": 0})
    churn_rates = {
        int(month_index(pd.Timestamp(r.period_start))): float(r.churn_rate)
        for r in churn.itertuples()
    }

    rows = []
    for month in monthly.index:
        start, end = month_start(month), min(month_last_day(month), as_of)
        in_month = frame[frame["month"] == month]
        active = int(in_month["customer_id"].nunique())
        returning_rows = in_month[in_month["first_month"] < month]
        new_ids = first_date.index[(first_date >= start) & (first_date <= end)]
        orders = len(in_month)
        revenue_micros = int(in_month["net_revenue_micros"].sum())

        days_so_far = days[days["order_date"] <= end].groupby("customer_id").size()
        repeaters = int((days_so_far >= 2).sum())

        if month_last_day(month) + pd.Timedelta(days=180) <= as_of:
            gaps = second_date.reindex(new_ids) - first_date.reindex(new_ids)
            within = int((gaps <= pd.Timedelta(days=180)).sum())
            repeat_180 = ratio(within, len(new_ids))
        else:
            repeat_180 = NAN

        nrr, grr = _nrr_grr(revenue, month, first_month)
        rows.append(
            {
                "month_start": start,
                "active_customers": active,
                "new_customers": len(new_ids),
                "returning_customers": int(returning_rows["customer_id"].nunique()),
                "purchases": orders,
                "net_revenue": money(revenue_micros),
                "aov": _money_or_null(revenue_micros, orders),
                "purchase_frequency": ratio(orders, active),
                "repeat_purchase_rate": ratio(repeaters, len(days_so_far)),
                "returning_revenue_share": _money_ratio(
                    int(returning_rows["net_revenue_micros"].sum()), revenue_micros
                ),
                "repeat_rate_180d": repeat_180,
                "nrr_12m": nrr,
                "grr_12m": grr,
                "formula_cltv": _formula_cltv(monthly, churn_rates, month),
                "is_complete_period": bool(monthly.at[month, "is_complete"]),
            }
        )
    kpis = pd.DataFrame(rows, columns=KPI_COLUMNS)
    kpis["month_start"] = kpis["month_start"].astype("datetime64[us]")
    for column in ("active_customers", "new_customers", "returning_customers", "purchases"):
        kpis[column] = kpis[column].astype("int64")
    for column in KPI_COLUMNS[5:-1]:
        kpis[column] = kpis[column].astype("float64")
    kpis["is_complete_period"] = kpis["is_complete_period"].astype(bool)
    return kpis


# --------------------------------------------------------------------------
# marts.retention_scorecard
# --------------------------------------------------------------------------


def read_benchmarks(path: str | Path = BENCHMARKS_SEED) -> pd.DataFrame:
    """The seed ``kpi_benchmarks`` (kpi, benchmark_low, benchmark_high,
    source); an empty bound is NULL."""
    seed = pd.read_csv(path, dtype={"kpi": str, "source": str})
    seed["benchmark_low"] = pd.to_numeric(seed["benchmark_low"]).astype("float64")
    seed["benchmark_high"] = pd.to_numeric(seed["benchmark_high"]).astype("float64")
    return seed


def scorecard_status(value: float, low: float, high: float) -> str:
    """metric_decisions.md: "``no_data`` when value is NULL; ``below`` when
    value < benchmark_low; ``above`` when value > benchmark_high; else
    ``within`` (a missing bound never fails)."
    """
    if value is None or np.isnan(value):
        return "no_data"
    if not np.isnan(low) and value < low:
        return "below"
    if not np.isnan(high) and value > high:
        return "above"
    return "within"


def scorecard_values(
    purchases: pd.DataFrame,
    kpis: pd.DataFrame,
    churn: pd.DataFrame,
    channels: pd.DataFrame,
    as_of: pd.Timestamp,
) -> dict[str, tuple[float, pd.Timestamp | None]]:
    """The (value, measured_for) of every scorecard KPI; measured_for is the
    first day of the month the value describes (the cohort month for
    ltv_to_cac_12m). metric_decisions.md "Scorecard":

    - ``repeat_rate_180d`` of the latest month where it is not NULL;
    - ``purchase_frequency_12m`` = purchases / distinct buyers over the 12
      complete months ending with the latest complete month;
    - ``monthly_churn_rate`` = churn_rate of the latest complete month;
    - ``ltv_to_cac_12m`` pooled over channels with a CAC for the latest
      cohort month whose ltv_12m is known: sum(ltv_12m x new_customers) /
      sum(spend);
    - ``nrr_12m`` of the latest complete month with a value.
    """
    none: tuple[float, pd.Timestamp | None] = (NAN, None)
    values: dict[str, tuple[float, pd.Timestamp | None]] = {}

    known = kpis[kpis["repeat_rate_180d"].notna()]
    values["repeat_rate_180d"] = (
        (float(known["repeat_rate_180d"].iloc[-1]), known["month_start"].iloc[-1])
        if len(known)
        else none
    )

    complete = kpis[kpis["is_complete_period"]]
    if len(complete):
        latest_complete = int(month_index(pd.Timestamp(complete["month_start"].iloc[-1])))
        in_window = purchases[
            (purchases["order_date"] >= month_start(latest_complete - 11))
            & (purchases["order_date"] <= month_last_day(latest_complete))
        ]
        values["purchase_frequency_12m"] = (
            ratio(len(in_window), in_window["customer_id"].nunique()),
            month_start(latest_complete),
        )
    else:
        values["purchase_frequency_12m"] = none

    complete_churn = churn[churn["is_complete_period"].astype(bool)]
    values["monthly_churn_rate"] = (
        (float(complete_churn["churn_rate"].iloc[-1]), complete_churn["period_start"].iloc[-1])
        if len(complete_churn)
        else none
    )

    with_cac = channels[channels["cac"].notna() & channels["ltv_12m"].notna()]
    if len(with_cac):
        latest = with_cac["cohort_month"].max()
        pooled = with_cac[with_cac["cohort_month"] == latest]
        margin = sum(
            Fraction(float(ltv)) * int(n)
            for ltv, n in zip(pooled["ltv_12m"], pooled["new_customers"], strict=True)
        )
        spent = sum(Fraction(float(s)) for s in pooled["spend"])
        values["ltv_to_cac_12m"] = (float(margin / spent) if spent else NAN, latest)
    else:
        values["ltv_to_cac_12m"] = none

    nrr = kpis[kpis["is_complete_period"] & kpis["nrr_12m"].notna()]
    values["nrr_12m"] = (
        (float(nrr["nrr_12m"].iloc[-1]), nrr["month_start"].iloc[-1]) if len(nrr) else none
    )
    return values


def build_retention_scorecard(
    values: Mapping[str, tuple[float, pd.Timestamp | None]], benchmarks: pd.DataFrame
) -> pd.DataFrame:
    """marts.retention_scorecard, one row per KPI of the benchmarks seed
    (CONTRACT.md: kpi, value, measured_for, benchmark_low, benchmark_high,
    status, source). A KPI of the seed that this project does not measure
    has no value (``no_data``).
    """
    rows = []
    for bench in benchmarks.itertuples():
        value, measured_for = values.get(bench.kpi, (NAN, None))
        rows.append(
            {
                "kpi": bench.kpi,
                "value": value,
                "measured_for": measured_for,
                "benchmark_low": bench.benchmark_low,
                "benchmark_high": bench.benchmark_high,
                "status": scorecard_status(value, bench.benchmark_low, bench.benchmark_high),
                "source": bench.source,
            }
        )
    frame = pd.DataFrame(rows, columns=SCORECARD_COLUMNS)
    frame["measured_for"] = pd.to_datetime(frame["measured_for"]).astype("datetime64[us]")
    for column in ("value", "benchmark_low", "benchmark_high"):
        frame[column] = frame[column].astype("float64")
    for column in ("kpi", "status", "source"):
        frame[column] = frame[column].astype(object)
    return frame


# --------------------------------------------------------------------------
# marts.activity_retention
# --------------------------------------------------------------------------


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
    customers = stg_customers[stg_customers["signed_up_at"].notna()].copy()
    customers["signup_date"] = local_date(customers["signed_up_at"], timezone)
    customers = customers[customers["signup_date"] <= as_of]
    if customers.empty:
        return _empty(ACTIVITY_COLUMNS)
    customers["signup_week"] = period_start(
        period_index(customers["signup_date"], "week"), "week"
    ).values

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

    rows = []
    for week, cohort in customers.groupby("signup_week", sort=True):
        size = len(cohort)
        n_activated = int(cohort["customer_id"].isin(activated).sum())
        for n in value_vars.retention_days:
            day_n = pd.Timedelta(days=n)
            eligible = cohort[cohort["signup_date"] + day_n <= as_of]
            on = on_or_after = 0
            for customer_id, signup_date in zip(
                eligible["customer_id"], eligible["signup_date"], strict=True
            ):
                dates = active_days.get(customer_id, set())
                target = signup_date + day_n
                on += target in dates
                on_or_after += any(d >= target for d in dates)
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


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def compute_value_marts(
    raw: Mapping[str, pd.DataFrame],
    vars: Mapping[str, Any] | None = None,
    benchmarks_path: str | Path = BENCHMARKS_SEED,
) -> dict[str, pd.DataFrame]:
    """The seven value / product marts of CONTRACT.md section 3 from the four
    raw tables and the dbt vars: ``time_between_purchases``, ``customers``,
    ``rfm_summary``, ``channel_economics``, ``retention_kpis``,
    ``retention_scorecard``, ``activity_retention``.

    Staging, as_of_date and purchases come from :mod:`retention.reference`
    (docs/staging_rules.md; METRICS.md "Purchase": only purchases up to
    as_of_date count).
    """
    run = parse_vars(vars)
    value_vars = parse_value_vars(vars)
    staged = stage_all(raw, run)
    as_of = resolve_as_of_date(staged, run)
    stg_orders = staged["orders"].staged
    stg_customers = staged["customers"].staged
    purchases = purchases_until(stg_orders, stg_customers, as_of)
    days = purchase_days(purchases)
    basics = _customer_basics(purchases, run.cohort_grain)

    observation_end = value_vars.rfm_observation_end or as_of
    churn = build_churn(purchases, as_of, run.churn_window_days)
    kpis = build_retention_kpis(purchases, days, churn, as_of)
    channels = build_channel_economics(purchases, staged["marketing_spend"].staged, as_of)
    values = scorecard_values(purchases, kpis, churn, channels, as_of)
    return {
        "time_between_purchases": build_time_between_purchases(days, basics)
        if not purchases.empty
        else _empty(TBP_COLUMNS),
        "customers": build_customers(
            purchases,
            days,
            stg_orders,
            stg_customers,
            as_of,
            run.cohort_grain,
            run.churn_window_days,
        ),
        "rfm_summary": build_rfm_summary(purchases, observation_end, value_vars.rfm_time_unit_days),
        "channel_economics": channels,
        "retention_kpis": kpis,
        "retention_scorecard": build_retention_scorecard(values, read_benchmarks(benchmarks_path)),
        "activity_retention": build_activity_retention(
            stg_customers,
            staged["events"].staged,
            as_of,
            run.reporting_timezone,
            value_vars,
        ),
    }


__all__ = [
    "ValueVars",
    "compute_value_marts",
    "parse_value_vars",
    "purchase_days",
    "ntile",
    "percentile",
    "lifecycle_stage",
    "build_time_between_purchases",
    "build_customers",
    "build_rfm_summary",
    "build_channel_economics",
    "build_retention_kpis",
    "build_retention_scorecard",
    "build_activity_retention",
    "scorecard_values",
    "scorecard_status",
    "read_benchmarks",
]
