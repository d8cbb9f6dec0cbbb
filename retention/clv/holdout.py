"""Holdout check of the BG/NBD fit of a dbt build (Fader, Hardie & Lee 2005, section 5).

The build must have been run with rfm_observation_end = end of the calibration
period and as_of_date = end of the holdout period (CDNOW: 1997-09-30 and
1998-06-30, 39 + 39 weeks). Everything is read from the build's DuckDB file:
the fitted parameters (marts.clv_model_params), the calibration summary
(marts.rfm_summary) and the purchase days (intermediate.int_purchase_days).

- ``conditional_expectations``: per number of calibration repeat purchases
  (0..7+), actual vs expected repeat purchases in the holdout (the paper's
  conditional-expectation table);
- ``weekly_tracking``: actual vs expected repeat purchases of the whole
  cohort per week since the first purchase (the paper's tracking plots);
- ``holdout_error_sd``: how far the holdout total may fall from its
  prediction if BG/NBD is right: sampling noise of the purchases plus the
  uncertainty of the estimated parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

BG_NBD_PARAMETERS = ("r", "alpha", "a", "b")
FREQUENCY_CAP = 7  # the paper's table groups 7 and more repeat purchases


@dataclass
class HoldoutData:
    """What one build holds for the holdout check."""

    params: dict[str, float]  # r, alpha, a, b
    rfm: pd.DataFrame  # customer_id, frequency, recency, t (calibration)
    purchase_days: pd.DataFrame  # customer_id, purchase_date, purchase_day_number
    observation_end: pd.Timestamp
    holdout_end: pd.Timestamp
    time_unit_days: int

    @property
    def holdout_length(self) -> float:
        """Length of the holdout period in time units (CDNOW: 39 weeks)."""
        return (self.holdout_end - self.observation_end).days / self.time_unit_days


def read_holdout_data(database_path: str | Path) -> HoldoutData:
    """Read the fitted BG/NBD, calibration summary and purchase days of a build."""
    with duckdb.connect(str(database_path), read_only=True) as con:
        fit = con.sql(
            "select parameter, value, observation_end, time_unit_days"
            " from marts.clv_model_params where model = 'bg_nbd'"
        ).df()
        rfm = con.sql(
            "select customer_id, frequency, recency, t from marts.rfm_summary"
            " order by customer_id"
        ).df()
        days = con.sql(
            "select customer_id, purchase_date, purchase_day_number"
            " from intermediate.int_purchase_days"
        ).df()
        as_of = con.sql("select as_of_date from intermediate.int_as_of_date").fetchall()[0][0]
    values = dict(zip(fit["parameter"], fit["value"], strict=True))
    missing = [p for p in BG_NBD_PARAMETERS if pd.isna(values.get(p))]
    if missing:
        raise ValueError(f"{database_path}: BG/NBD parameters {missing} are missing (no fit)")
    days["purchase_date"] = pd.to_datetime(days["purchase_date"])
    return HoldoutData(
        params={p: float(values[p]) for p in BG_NBD_PARAMETERS},
        rfm=rfm,
        purchase_days=days,
        observation_end=pd.Timestamp(fit["observation_end"].iloc[0]),
        holdout_end=pd.Timestamp(as_of),
        time_unit_days=int(fit["time_unit_days"].iloc[0]),
    )


def bg_nbd(params: dict[str, float]):
    """A lifetimes BetaGeoFitter holding ``params`` (no refit)."""
    from lifetimes import BetaGeoFitter

    fitter = BetaGeoFitter()
    fitter.params_ = pd.Series({p: params[p] for p in BG_NBD_PARAMETERS})
    return fitter


def customer_holdout(data: HoldoutData) -> pd.DataFrame:
    """Per calibration customer: frequency, recency, t, actual and expected holdout purchases."""
    days = data.purchase_days
    in_holdout = (days["purchase_date"] > data.observation_end) & (
        days["purchase_date"] <= data.holdout_end
    )
    actual = days[in_holdout].groupby("customer_id").size()
    frame = data.rfm.copy()
    frame["actual"] = frame["customer_id"].map(actual).fillna(0).astype(int)
    frame["expected"] = np.asarray(
        bg_nbd(data.params).conditional_expected_number_of_purchases_up_to_time(
            data.holdout_length,
            frame["frequency"].to_numpy(dtype=float),
            frame["recency"].to_numpy(dtype=float),
            frame["t"].to_numpy(dtype=float),
        ),
        dtype=float,
    )
    return frame


def conditional_expectations(customers: pd.DataFrame) -> pd.DataFrame:
    """The paper's table: by calibration repeat purchases 0..7+, customers and
    mean actual / expected holdout repeat purchases, plus a ``total`` row (sums)."""
    bins = customers["frequency"].clip(upper=FREQUENCY_CAP).astype(int)
    grouped = customers.groupby(bins)
    table = pd.DataFrame(
        {
            "customers": grouped.size(),
            "actual_mean": grouped["actual"].mean(),
            "expected_mean": grouped["expected"].mean(),
            "actual_total": grouped["actual"].sum().astype(float),
            "expected_total": grouped["expected"].sum(),
        }
    )
    table.index = [f"{i}+" if i == FREQUENCY_CAP else str(i) for i in table.index]
    table.index.name = "calibration_repeat_purchases"
    total = pd.DataFrame(
        {
            "customers": [len(customers)],
            "actual_mean": [customers["actual"].mean()],
            "expected_mean": [customers["expected"].mean()],
            "actual_total": [float(customers["actual"].sum())],
            "expected_total": [customers["expected"].sum()],
        },
        index=pd.Index(["total"], name="calibration_repeat_purchases"),
    )
    return pd.concat([table, total])


def weekly_tracking(data: HoldoutData) -> pd.DataFrame:
    """Per time unit k = 1.. since the earliest first purchase: actual and expected
    repeat purchases of the calibration cohort (BG/NBD's unconditional E[X(t)]
    from each customer's first purchase), per unit and cumulative."""
    days = data.purchase_days[data.purchase_days["customer_id"].isin(data.rfm["customer_id"])]
    first = days[days["purchase_day_number"] == 1].set_index("customer_id")["purchase_date"]
    start = first.min()
    unit = data.time_unit_days
    periods = int(np.ceil(((data.holdout_end - start).days + 1) / unit))
    repeat = days[(days["purchase_day_number"] > 1) & (days["purchase_date"] <= data.holdout_end)]
    period_of = ((repeat["purchase_date"] - start).dt.days // unit + 1).to_numpy()
    actual = np.bincount(period_of, minlength=periods + 1)[1 : periods + 1]
    born = ((first - start).dt.days / unit).to_numpy(dtype=float)
    fitter = bg_nbd(data.params)
    ends = np.arange(1, periods + 1, dtype=float)
    cumulative = np.array(
        [
            np.asarray(
                fitter.expected_number_of_purchases_up_to_time(np.clip(end - born, 0, None)),
                dtype=float,
            ).sum()
            for end in ends
        ]
    )
    calibration_days = (data.observation_end - start).days  # day index of observation_end
    return pd.DataFrame(
        {
            "period": ends.astype(int),
            "actual": actual,
            "expected": np.diff(np.concatenate([[0.0], cumulative])),
            "actual_cumulative": np.cumsum(actual),
            "expected_cumulative": cumulative,
            # a period belongs to the holdout when its first day is after observation_end
            "is_holdout": (ends - 1) * unit > calibration_days,
        }
    )


def _holdout_total(params: dict[str, float], customers: pd.DataFrame, length: float) -> float:
    fitter = bg_nbd(params)
    return float(
        np.sum(
            fitter.conditional_expected_number_of_purchases_up_to_time(
                length,
                customers["frequency"].to_numpy(dtype=float),
                customers["recency"].to_numpy(dtype=float),
                customers["t"].to_numpy(dtype=float),
            )
        )
    )


def sampling_sd(
    params: dict[str, float],
    customers: pd.DataFrame,
    length: float,
    simulations: int = 400,
    seed: int = 0,
) -> float:
    """Standard deviation of the holdout total if BG/NBD with ``params`` is true.

    Simulates each customer's holdout from the exact posterior given their
    calibration history: alive with probability p_alive; if alive,
    lambda ~ Gamma(r + x, alpha + T) and p ~ Beta(a, b + x); then purchases at
    rate lambda, dropping out with probability p after each.
    """
    rng = np.random.default_rng(seed)
    r, alpha, a, b = (params[p] for p in BG_NBD_PARAMETERS)
    x = customers["frequency"].to_numpy(dtype=float)
    tx = customers["recency"].to_numpy(dtype=float)
    t = customers["t"].to_numpy(dtype=float)
    p_alive = np.asarray(bg_nbd(params).conditional_probability_alive(x, tx, t), dtype=float)
    totals = np.empty(simulations)
    for k in range(simulations):
        active = rng.random(x.size) < p_alive
        lam = rng.gamma(r + x, 1.0 / (alpha + t))
        drop = rng.beta(a, b + x)
        clock = np.zeros(x.size)
        count = 0
        while active.any():
            clock[active] += rng.exponential(1.0 / lam[active])
            bought = active & (clock <= length)
            count += int(bought.sum())
            active = bought & (rng.random(x.size) >= drop)
        totals[k] = count
    return float(totals.std(ddof=1))


def parameter_sd(params: dict[str, float], customers: pd.DataFrame, length: float) -> float:
    """Standard deviation of the predicted holdout total from the estimation error
    of the parameters: delta method on the log-parameters, with their covariance
    = inverse of the observed information (Hessian of the BG/NBD log-likelihood)."""
    from autograd import hessian
    from lifetimes import BetaGeoFitter

    x = customers["frequency"].to_numpy(dtype=float)
    tx = customers["recency"].to_numpy(dtype=float)
    t = customers["t"].to_numpy(dtype=float)
    log_params = np.log([params[p] for p in BG_NBD_PARAMETERS])
    weights = np.ones_like(x)
    mean_hessian = hessian(BetaGeoFitter._negative_log_likelihood)(
        log_params, x, tx, t, weights, 0.0
    )
    covariance = np.linalg.inv(mean_hessian * x.size)
    gradient = np.empty(4)
    for i in range(4):
        step = np.zeros(4)
        step[i] = 1e-5
        up = dict(zip(BG_NBD_PARAMETERS, np.exp(log_params + step), strict=True))
        down = dict(zip(BG_NBD_PARAMETERS, np.exp(log_params - step), strict=True))
        gradient[i] = (_holdout_total(up, customers, length) - _holdout_total(
            down, customers, length
        )) / 2e-5
    return float(np.sqrt(gradient @ covariance @ gradient))


def holdout_error_sd(data: HoldoutData, customers: pd.DataFrame) -> tuple[float, float, float]:
    """(sampling sd, parameter sd, combined sd) of actual - expected holdout total."""
    sampling = sampling_sd(data.params, customers, data.holdout_length)
    parameter = parameter_sd(data.params, customers, data.holdout_length)
    return sampling, parameter, float(np.hypot(sampling, parameter))


def table_markdown(table: pd.DataFrame) -> str:
    """The conditional-expectation table as Markdown."""
    lines = [
        "| calibration repeat purchases | customers | actual mean | expected mean"
        " | actual total | expected total |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, row in table.iterrows():
        lines.append(
            f"| {label} | {int(row['customers'])} | {row['actual_mean']:.3f}"
            f" | {row['expected_mean']:.3f} | {row['actual_total']:.0f}"
            f" | {row['expected_total']:.1f} |"
        )
    return "\n".join(lines)
