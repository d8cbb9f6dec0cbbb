"""marts.retention_kpis and marts.retention_scorecard.

Follows docs/design/CONTRACT.md section 3 (columns), docs/design/METRICS.md
"Repeat and revenue retention" and "Benchmarks" (seed ``kpi_benchmarks``),
and docs/metric_decisions.md "Retention KPIs" and "Scorecard". The
benchmarks seed is given by the caller (:func:`read_benchmarks`).
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

from ._common import (
    MICROS_PER_UNIT,
    NAN,
    empty_frame,
    money,
    money_or_null,
    money_ratio,
    month_index,
    month_last_day,
    month_start,
    ratio,
)

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
    "buyers_to_date",
    "repeat_buyers_to_date",
    "nrr_base_revenue_12m",
    "nrr_current_revenue_12m",
]
# The rate columns (float) and the counts (int) of KPI_COLUMNS.
KPI_RATES = KPI_COLUMNS[5:14]
KPI_COUNTS = [
    "active_customers",
    "new_customers",
    "returning_customers",
    "purchases",
    "buyers_to_date",
    "repeat_buyers_to_date",
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


def _nrr_grr(revenue: pd.DataFrame, month: int, first_month: int) -> dict[str, float]:
    """metric_decisions.md ``nrr_12m``: "current window = the 12 calendar
    months ending with this month; base window = the 12 months before that.
    Base customers = net revenue > 0 in the base window. nrr = their net
    revenue in the current window / their net revenue in the base window;
    grr caps each customer's current revenue at their base revenue. NULL
    unless the base window starts on or after the earliest purchase month."
    ``revenue``: customer_id, month, net_revenue_micros. Also the ratio's
    parts: nrr_base_revenue_12m (their base-window revenue, NULL before 24
    months of history) and nrr_current_revenue_12m (their current-window
    revenue, NULL when nrr_12m is).
    """
    base_start = month - 23
    if base_start < first_month:
        return {
            "nrr_12m": NAN,
            "grr_12m": NAN,
            "nrr_base_revenue_12m": NAN,
            "nrr_current_revenue_12m": NAN,
        }
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
    nrr = money_ratio(int(current.sum()), base_total)
    grr = money_ratio(int(np.minimum(current, base).sum()), base_total)
    return {
        "nrr_12m": nrr,
        "grr_12m": grr,
        "nrr_base_revenue_12m": money(base_total),
        "nrr_current_revenue_12m": NAN if np.isnan(nrr) else money(int(current.sum())),
    }


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
      (churn_rate from marts.churn, :func:`.churn.build_churn`).
    - is_complete_period: month end <= as_of_date.
    """
    if purchases.empty:
        return empty_frame(KPI_COLUMNS)
    frame = purchases.assign(month=month_index(purchases["order_date"]))
    first_date = frame.groupby("customer_id")["order_date"].min()
    frame["first_month"] = month_index(frame["customer_id"].map(first_date))
    second_date = days.loc[days["day_number"] == 2].set_index("customer_id")["order_date"]
    first_month = int(frame["month"].min())
    revenue = frame.groupby(["customer_id", "month"], as_index=False)["net_revenue_micros"].sum()
    monthly = _monthly_totals(frame, first_month, as_of)
    churn_rates = {
        int(month_index(pd.Timestamp(r.period_start))): float(r.churn_rate)
        for r in churn.itertuples()
    }

    rows = []
    for month in monthly.index:
        rows.append(
            {
                "month_start": month_start(month),
                **_order_kpis(frame[frame["month"] == month], month),
                **_repeat_kpis(days, first_date, second_date, month, as_of),
                **_nrr_grr(revenue, month, first_month),
                "formula_cltv": _formula_cltv(monthly, churn_rates, month),
                "is_complete_period": bool(monthly.at[month, "is_complete"]),
            }
        )
    kpis = pd.DataFrame(rows, columns=KPI_COLUMNS)
    kpis["month_start"] = kpis["month_start"].astype("datetime64[us]")
    for column in KPI_COUNTS:
        kpis[column] = kpis[column].astype("int64")
    for column in [*KPI_RATES, "nrr_base_revenue_12m", "nrr_current_revenue_12m"]:
        kpis[column] = kpis[column].astype("float64")
    kpis["is_complete_period"] = kpis["is_complete_period"].astype(bool)
    return kpis


def _monthly_totals(frame: pd.DataFrame, first_month: int, as_of: pd.Timestamp) -> pd.DataFrame:
    """Indexed by month number, from the earliest purchase month to the month
    containing as_of_date: is_complete (month end <= as_of_date), active
    (distinct buyers) and gross_margin_micros (0 for a month without any)."""
    monthly = pd.DataFrame(index=range(first_month, month_index(as_of) + 1))
    monthly["is_complete"] = [month_last_day(m) <= as_of for m in monthly.index]
    monthly["active"] = frame.groupby("month")["customer_id"].nunique()
    monthly["gross_margin_micros"] = frame.groupby("month")["gross_margin_micros"].sum()
    return monthly.fillna({"active": 0, "gross_margin_micros": 0})


def _order_kpis(in_month: pd.DataFrame, month: int) -> dict[str, float | int]:
    """The KPIs of the purchases of one month (``in_month``, with
    ``first_month``): active and returning customers, purchases, net_revenue,
    aov, purchase_frequency and returning_revenue_share."""
    active = int(in_month["customer_id"].nunique())
    returning_rows = in_month[in_month["first_month"] < month]
    orders = len(in_month)
    revenue_micros = int(in_month["net_revenue_micros"].sum())
    return {
        "active_customers": active,
        "returning_customers": int(returning_rows["customer_id"].nunique()),
        "purchases": orders,
        "net_revenue": money(revenue_micros),
        "aov": money_or_null(revenue_micros, orders),
        "purchase_frequency": ratio(orders, active),
        "returning_revenue_share": money_ratio(
            int(returning_rows["net_revenue_micros"].sum()), revenue_micros
        ),
    }


def _repeat_kpis(
    days: pd.DataFrame,
    first_date: pd.Series,
    second_date: pd.Series,
    month: int,
    as_of: pd.Timestamp,
) -> dict[str, float | int]:
    """new_customers, repeat_purchase_rate and repeat_rate_180d of one month,
    whose end is its last day or as_of_date. ``first_date`` and
    ``second_date``: each customer's first and second purchase day."""
    start, end = month_start(month), min(month_last_day(month), as_of)
    new_ids = first_date.index[(first_date >= start) & (first_date <= end)]
    days_so_far = days[days["order_date"] <= end].groupby("customer_id").size()
    repeaters = int((days_so_far >= 2).sum())
    if month_last_day(month) + pd.Timedelta(days=180) <= as_of:
        gaps = second_date.reindex(new_ids) - first_date.reindex(new_ids)
        within = int((gaps <= pd.Timedelta(days=180)).sum())
        repeat_180 = ratio(within, len(new_ids))
    else:
        repeat_180 = NAN
    return {
        "new_customers": len(new_ids),
        "repeat_purchase_rate": ratio(repeaters, len(days_so_far)),
        "repeat_rate_180d": repeat_180,
        "buyers_to_date": len(days_so_far),
        "repeat_buyers_to_date": repeaters,
    }


def read_benchmarks(benchmarks: str | Path | pd.DataFrame) -> pd.DataFrame:
    """The seed ``kpi_benchmarks`` (kpi, benchmark_low, benchmark_high,
    source), given as the path of its CSV file or as a frame of it; an empty
    bound is NULL."""
    if isinstance(benchmarks, pd.DataFrame):
        seed = benchmarks.copy()
    else:
        seed = pd.read_csv(benchmarks, dtype={"kpi": str, "source": str})
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


# metric_decisions.md "Scorecard": KPIs shown for information only, with no
# benchmark (the project's sources give none), and the ``source`` each row
# carries.
INFORMATION_ONLY_SOURCES = {
    "nps": "Information only: the retention literature this project follows"
    ' gives no NPS benchmark (docs/metric_decisions.md "Scorecard")',
}


def nps_scorecard_value(nps: pd.DataFrame) -> tuple[float, pd.Timestamp | None]:
    """metric_decisions.md "Scorecard": ``nps`` = the nps of the latest
    complete month that has respondents (METRICS.md "NPS": 100 x (promoters
    - detractors) / respondents); no value when there is no such month.
    ``nps``: the mart, one row per month_start with respondents, promoters,
    detractors and is_complete_period."""
    spoken = nps[nps["is_complete_period"].astype(bool) & (nps["respondents"] > 0)]
    if spoken.empty:
        return (NAN, None)
    latest = spoken.sort_values("month_start").iloc[-1]
    score = 100 * Fraction(int(latest["promoters"]) - int(latest["detractors"]))
    return (float(score / int(latest["respondents"])), pd.Timestamp(latest["month_start"]))


def build_retention_scorecard(
    values: Mapping[str, tuple[float, pd.Timestamp | None]], benchmarks: pd.DataFrame
) -> pd.DataFrame:
    """marts.retention_scorecard, one row per KPI of the benchmarks seed
    (CONTRACT.md: kpi, value, measured_for, benchmark_low, benchmark_high,
    status, source), then one row per KPI of ``INFORMATION_ONLY_SOURCES``
    with no bounds and status ``no_benchmark`` (``no_data`` without a
    value). A KPI of the seed that this project does not measure has no
    value (``no_data``).
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
    for kpi, source in INFORMATION_ONLY_SOURCES.items():
        value, measured_for = values.get(kpi, (NAN, None))
        rows.append(
            {
                "kpi": kpi,
                "value": value,
                "measured_for": measured_for,
                "benchmark_low": NAN,
                "benchmark_high": NAN,
                "status": "no_data" if np.isnan(value) else "no_benchmark",
                "source": source,
            }
        )
    frame = pd.DataFrame(rows, columns=SCORECARD_COLUMNS)
    frame["measured_for"] = pd.to_datetime(frame["measured_for"]).astype("datetime64[us]")
    for column in ("value", "benchmark_low", "benchmark_high"):
        frame[column] = frame[column].astype("float64")
    for column in ("kpi", "status", "source"):
        frame[column] = frame[column].astype(object)
    return frame
