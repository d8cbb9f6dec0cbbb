"""marts.experiment_results and marts.experiment_health, from
docs/design/METRICS.md "Experiments" and its reading in "Readings fixed for the
second wave", and docs/design/CONTRACT.md section 7 for the columns.

The statistics come from ``scipy.stats`` (the normal distribution and the
chi-square distribution), not from the SQL's approximation: the comparison
allows 1e-6 on p-values (METRICS.md "Activation drivers").
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ._common import MICROS_PER_UNIT

RESULT_COLUMNS = [
    "experiment_id",
    "variant",
    "window_days",
    "metric",
    "eligible_customers",
    "value",
    "control_value",
    "absolute_lift",
    "relative_lift",
    "ci_low",
    "ci_high",
    "p_value",
]
HEALTH_COLUMNS = [
    "experiment_id",
    "variants",
    "assigned_customers",
    "smallest_variant_customers",
    "largest_variant_customers",
    "srm_p_value",
    "customers_in_several_variants",
    "first_assigned_date",
    "last_assigned_date",
    "rows_after_as_of_date",
]
RATE_METRICS = ("conversion", "repeat", "activation")
REVENUE_METRIC = "net_revenue_per_customer"
# METRICS.md: "Intervals use z = 1.959963984540054 (the 0.975 normal quantile)".
Z_975 = 1.959963984540054
NAN = float("nan")


@dataclass(frozen=True)
class ExperimentVars:
    """CONTRACT.md section 6: experiment_windows_days, experiment_control_variant."""

    windows_days: tuple[int, ...]
    control_variant: str


def parse_experiment_vars(vars: Mapping[str, Any] | None) -> ExperimentVars:
    """Defaults [7, 30, 90] and `control`; the control variant is compared like
    the staged variants (lower-cased, trimmed)."""
    vars = dict(vars or {})
    windows = vars.get("experiment_windows_days", [7, 30, 90])
    if isinstance(windows, int | str):
        windows = [windows]
    parsed = sorted({int(w) for w in windows})
    if not parsed or any(w < 0 for w in parsed):
        raise ValueError(f"var experiment_windows_days: {windows!r}")
    control = str(vars.get("experiment_control_variant") or "control").strip().lower()
    return ExperimentVars(tuple(parsed), control)


def counted_assignments(
    stg_assignments: pd.DataFrame, as_of: pd.Timestamp | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """METRICS.md: rows dated after as_of_date are ignored; "A customer's
    assignment is their earliest row per experiment; a customer seen in two
    variants of one experiment is excluded from it".

    Returns (every experiment x customer with ``variants_seen``, ``variant``,
    ``assigned_date`` and ``rows_after``; the counted ones only).
    """
    rows = stg_assignments[["experiment_id", "customer_id", "variant", "assigned_date"]].copy()
    rows["in_time"] = (
        rows["assigned_date"] <= as_of if as_of is not None else pd.Series(False, index=rows.index)
    )
    rows["in_time"] = rows["in_time"].astype(bool)
    keys = ["experiment_id", "customer_id"]
    everyone = rows[keys].drop_duplicates()
    in_time = rows[rows["in_time"]]
    per_customer = in_time.groupby(keys, as_index=False).agg(
        variants_seen=("variant", "nunique"),
        variant=("variant", "min"),
        assigned_date=("assigned_date", "min"),
    )
    after = rows[~rows["in_time"]].groupby(keys).size().rename("rows_after").reset_index()
    everyone = everyone.merge(per_customer, on=keys, how="left").merge(after, on=keys, how="left")
    everyone["variants_seen"] = everyone["variants_seen"].fillna(0).astype("int64")
    everyone["rows_after"] = everyone["rows_after"].fillna(0).astype("int64")
    counted = everyone[everyone["variants_seen"] == 1].reset_index(drop=True)
    return everyone, counted


def _outcomes(
    counted: pd.DataFrame,
    days: pd.DataFrame,
    activation_days: pd.DataFrame,
    as_of: pd.Timestamp,
    window: int,
) -> pd.DataFrame:
    """Per counted customer, for window W: eligible (assignment date + W <=
    as_of_date), purchase days and net revenue (micros) on days 0..W, and
    activation on days 0..W."""
    frame = counted[["experiment_id", "customer_id", "variant", "assigned_date"]].copy()
    frame["eligible"] = (frame["assigned_date"] + pd.Timedelta(days=window)) <= as_of
    purchases = frame.merge(
        days[["customer_id", "order_date", "net_revenue_micros"]], on="customer_id"
    )
    offset = (purchases["order_date"] - purchases["assigned_date"]).dt.days
    purchases = purchases[(offset >= 0) & (offset <= window)]
    keys = ["experiment_id", "customer_id"]
    bought = purchases.groupby(keys, as_index=False).agg(
        purchase_days=("order_date", "nunique"), net_revenue_micros=("net_revenue_micros", "sum")
    )
    activations = frame.merge(activation_days, on="customer_id")
    offset = (activations["event_date"] - activations["assigned_date"]).dt.days
    activated = activations[(offset >= 0) & (offset <= window)][keys].drop_duplicates()
    activated["activated"] = True
    frame = frame.merge(bought, on=keys, how="left").merge(activated, on=keys, how="left")
    frame["purchase_days"] = frame["purchase_days"].fillna(0).astype("int64")
    frame["net_revenue_micros"] = frame["net_revenue_micros"].fillna(0).astype("int64")
    frame["activated"] = frame["activated"].eq(True)
    return frame


def _rate_stats(
    successes: int, n: int, control_successes: int, control_n: int
) -> tuple[float, float, float]:
    """(ci_low, ci_high, p_value) of p - p_control: 95% Wald interval (whenever
    both groups are non-empty), pooled two-proportion z-test (NULL when a
    group is empty or the pooled rate is 0 or 1)."""
    if n == 0 or control_n == 0:
        return NAN, NAN, NAN
    p, q = successes / n, control_successes / control_n
    se = math.sqrt(p * (1 - p) / n + q * (1 - q) / control_n)
    low, high = (p - q) - Z_975 * se, (p - q) + Z_975 * se
    pooled = (successes + control_successes) / (n + control_n)
    if pooled in (0.0, 1.0):
        return low, high, NAN
    z = (p - q) / math.sqrt(pooled * (1 - pooled) * (1 / n + 1 / control_n))
    return low, high, float(2 * stats.norm.sf(abs(z)))


def _welch_stats(values: np.ndarray, control: np.ndarray) -> tuple[float, float, float]:
    """(ci_low, ci_high, p_value) of mean - mean_control with Welch's standard
    error (sample variances) and the normal approximation; NULL when a group
    has fewer than 2 customers; p NULL when the standard error is 0."""
    if len(values) < 2 or len(control) < 2:
        return NAN, NAN, NAN
    difference = values.mean() - control.mean()
    se = math.sqrt(values.var(ddof=1) / len(values) + control.var(ddof=1) / len(control))
    low, high = difference - Z_975 * se, difference + Z_975 * se
    if se == 0:
        return low, high, NAN
    return low, high, float(2 * stats.norm.sf(abs(difference / se)))


def build_experiment_results(
    counted: pd.DataFrame,
    days: pd.DataFrame,
    activation_days: pd.DataFrame,
    as_of: pd.Timestamp | None,
    settings: ExperimentVars,
) -> pd.DataFrame:
    """METRICS.md "Experiments": one row per experiment x variant x window x
    metric, also with 0 eligible customers."""
    records: list[dict[str, Any]] = []
    if as_of is None or counted.empty:
        return pd.DataFrame(records, columns=RESULT_COLUMNS)
    for window in settings.windows_days:
        outcomes = _outcomes(counted, days, activation_days, as_of, window)
        for experiment_id, experiment in outcomes.groupby("experiment_id", sort=True):
            groups = {v: g[g["eligible"]] for v, g in experiment.groupby("variant", sort=True)}
            control = groups.get(settings.control_variant)
            for variant, group in groups.items():
                records += _variant_rows(experiment_id, variant, window, group, control, settings)
    return pd.DataFrame(records, columns=RESULT_COLUMNS)


def _successes(group: pd.DataFrame, metric: str) -> int:
    if metric == "conversion":
        return int((group["purchase_days"] >= 1).sum())
    if metric == "repeat":
        return int((group["purchase_days"] >= 2).sum())
    return int(group["activated"].sum())


def _variant_rows(
    experiment_id: str,
    variant: str,
    window: int,
    group: pd.DataFrame,
    control: pd.DataFrame | None,
    settings: ExperimentVars,
) -> list[dict[str, Any]]:
    is_control = variant == settings.control_variant
    n = len(group)
    control_n = len(control) if control is not None else 0
    rows = []
    for metric in (*RATE_METRICS, REVENUE_METRIC):
        if metric == REVENUE_METRIC:
            revenue = group["net_revenue_micros"].to_numpy(dtype="float64") / MICROS_PER_UNIT
            value = float(group["net_revenue_micros"].sum()) / MICROS_PER_UNIT / n if n else NAN
            if control is not None and control_n:
                control_revenue = (
                    control["net_revenue_micros"].to_numpy(dtype="float64") / MICROS_PER_UNIT
                )
                control_value = float(control["net_revenue_micros"].sum()) / MICROS_PER_UNIT
                control_value /= control_n
            else:
                control_revenue, control_value = np.array([]), NAN
            low, high, p = _welch_stats(revenue, control_revenue)
        else:
            successes = _successes(group, metric)
            value = successes / n if n else NAN
            control_successes = _successes(control, metric) if control is not None else 0
            control_value = control_successes / control_n if control_n else NAN
            low, high, p = _rate_stats(successes, n, control_successes, control_n)
        if is_control:
            lift = relative = low = high = p = NAN
        else:
            lift = value - control_value
            relative = (
                value / control_value - 1
                if not math.isnan(control_value) and control_value != 0
                else NAN
            )
        rows.append(
            {
                "experiment_id": experiment_id,
                "variant": variant,
                "window_days": window,
                "metric": metric,
                "eligible_customers": n,
                "value": value,
                "control_value": control_value,
                "absolute_lift": lift,
                "relative_lift": relative,
                "ci_low": low,
                "ci_high": high,
                "p_value": p,
            }
        )
    return rows


def srm_p_value(counts: Sequence[int]) -> float:
    """METRICS.md: chi-square of the counts against an equal split with k - 1
    degrees of freedom; exact for two variants, the Wilson-Hilferty
    approximation beyond (the reading fixed for the second wave); NULL with
    fewer than 2 variants."""
    k = len(counts)
    if k < 2:
        return NAN
    expected = sum(counts) / k
    statistic = sum((c - expected) ** 2 / expected for c in counts)
    df = k - 1
    if df == 1:
        return float(stats.chi2.sf(statistic, 1))
    z = ((statistic / df) ** (1 / 3) - (1 - 2 / (9 * df))) / math.sqrt(2 / (9 * df))
    return float(stats.norm.sf(z))


def build_experiment_health(everyone: pd.DataFrame) -> pd.DataFrame:
    """One row per experiment with a staged assignment (CONTRACT.md section 7)."""
    records = []
    for experiment_id, rows in everyone.groupby("experiment_id", sort=True):
        counted = rows[rows["variants_seen"] == 1]
        sizes = counted.groupby("variant").size().sort_index().tolist()
        records.append(
            {
                "experiment_id": experiment_id,
                "variants": len(sizes),
                "assigned_customers": int(sum(sizes)),
                "smallest_variant_customers": min(sizes) if sizes else None,
                "largest_variant_customers": max(sizes) if sizes else None,
                "srm_p_value": srm_p_value(sizes),
                "customers_in_several_variants": int((rows["variants_seen"] >= 2).sum()),
                "first_assigned_date": counted["assigned_date"].min() if sizes else pd.NaT,
                "last_assigned_date": counted["assigned_date"].max() if sizes else pd.NaT,
                "rows_after_as_of_date": int(rows["rows_after"].sum()),
            }
        )
    return pd.DataFrame(records, columns=HEALTH_COLUMNS)


def activation_days_of(
    stg_events: pd.DataFrame, activation_event: str, as_of: pd.Timestamp | None
) -> pd.DataFrame:
    """Customer-days with the activation_event (non-anonymous staged events
    dated on or before as_of_date)."""
    if as_of is None:
        return pd.DataFrame({"customer_id": [], "event_date": []})
    events = stg_events[
        (~stg_events["is_anonymous"])
        & (stg_events["event_name"] == activation_event)
        & (stg_events["event_date"] <= as_of)
    ]
    return events[["customer_id", "event_date"]].drop_duplicates().reset_index(drop=True)
