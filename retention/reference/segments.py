"""marts.cohort_retention_by_segment, marts.churn_by_segment and
marts.ltv_by_segment.

Follows docs/design/METRICS.md "Segments" and "Readings fixed for the second
wave", CONTRACT.md section 7 and docs/metric_decisions.md "Segments". A
segment value's rows are the unsegmented marts computed over the customers
of that value alone, which is what the definitions say: cohort retention
and churn of a value are those of its customers.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import pandas as pd

from ._common import MICROS_PER_UNIT, NAN, month_index, month_last_day, period_index, period_start
from .churn import build_churn
from .cohorts import build_cohort_retention, build_customer_cohorts
from .staging import purchases_until, resolve_as_of_date, stage_all
from .vars import parse_vars

BUILTIN_DIMENSIONS = ("acquisition_channel", "acquisition_campaign", "country_code", "store")
DEFAULT_DIMENSIONS = ("acquisition_channel", "country_code", "store")
DEFAULT_MAX_VALUES = 50
UNKNOWN = "unknown"
OTHER = "other"
# CONTRACT.md section 4: one store, named `default`, when the var stores is empty.
DEFAULT_STORE = "default"
LTV_MONTHS = (3, 6, 12)
LTV_COLUMNS = [
    "segment",
    "segment_value",
    "cohort_period",
    "customers",
    "ltv_3m",
    "ltv_6m",
    "ltv_12m",
    "historical_cltv_per_customer",
    "avg_predicted_cltv",
]


def _value(values: pd.Series, lower: bool) -> pd.Series:
    """METRICS.md: NULL, empty or blank -> `unknown`; channel and campaign
    lower-cased and trimmed."""
    text = values.astype("string").str.strip()
    if lower:
        text = text.str.lower()
    return text.mask(text.isna() | (text == ""), UNKNOWN).astype(object)


def segment_dimensions(vars: Mapping[str, Any] | None) -> tuple[list[str], int]:
    """segment_dimensions (built-ins only here) and segment_max_values."""
    vars = vars or {}
    dimensions = [
        str(d).strip().lower() for d in vars.get("segment_dimensions", DEFAULT_DIMENSIONS)
    ]
    unknown = [d for d in dimensions if d not in BUILTIN_DIMENSIONS]
    if unknown or not dimensions or len(set(dimensions)) != len(dimensions):
        raise ValueError(f"segment_dimensions: {dimensions}")
    max_values = int(vars.get("segment_max_values", DEFAULT_MAX_VALUES))
    if max_values < 1:
        raise ValueError(f"segment_max_values: {max_values}")
    return dimensions, max_values


def customer_segments(
    purchasers: pd.Index, stg_customers: pd.DataFrame, dimensions: list[str], max_values: int
) -> pd.DataFrame:
    """One row per customer with a purchase x dimension: customer_id,
    segment, segment_value. Customers missing from raw.customers are
    `unknown`; a dimension's values beyond its ``max_values`` largest (by
    customers, ties by the value's text) become `other`."""
    known = stg_customers.set_index("customer_id")
    attributes = pd.DataFrame(index=pd.Index(purchasers, name="customer_id"))
    attributes = attributes.join(
        known[["acquisition_channel", "acquisition_campaign", "country_code"]], how="left"
    )
    values = {
        "acquisition_channel": _value(attributes["acquisition_channel"], lower=True),
        "acquisition_campaign": _value(attributes["acquisition_campaign"], lower=True),
        "country_code": _value(attributes["country_code"], lower=False),
        "store": pd.Series(DEFAULT_STORE, index=attributes.index, dtype=object),
    }
    frames = []
    for dimension in dimensions:
        column = values[dimension]
        counts = column.value_counts()
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        kept = {value for value, _ in ranked[:max_values]}
        folded = column.where(column.isin(kept), OTHER)
        frames.append(
            pd.DataFrame(
                {
                    "customer_id": column.index.to_numpy(),
                    "segment": dimension,
                    "segment_value": folded.to_numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _with_segment(frame: pd.DataFrame, segment: str, value: str) -> pd.DataFrame:
    out = frame.copy()
    out.insert(0, "segment_value", value)
    out.insert(0, "segment", segment)
    return out


def _ltv_rows(
    purchases: pd.DataFrame,
    as_of: pd.Timestamp,
    grain: str,
    predicted_cltv: pd.Series | None,
) -> pd.DataFrame:
    """LTV points per cohort period over the customers of ``purchases``
    (docs/metric_decisions.md "Segments")."""
    first = purchases.groupby("customer_id")["order_date"].min()
    first_month = month_index(first)
    with_month = purchases.assign(
        month_number=month_index(purchases["order_date"]).to_numpy()
        - first_month.reindex(purchases["customer_id"]).to_numpy()
    )
    customers = pd.DataFrame({"first_purchase_date": first})
    customers["cohort_index"] = period_index(customers["first_purchase_date"], grain)
    customers["cohort_period"] = period_start(customers["cohort_index"], grain).to_numpy()
    for months in LTV_MONTHS:
        within = with_month[with_month["month_number"] <= months]
        customers[f"margin_{months}m"] = (
            within.groupby("customer_id")["gross_margin_micros"].sum().reindex(customers.index)
        ).fillna(0)
    customers["margin_lifetime"] = purchases.groupby("customer_id")["gross_margin_micros"].sum()
    if predicted_cltv is not None:
        customers["predicted_cltv"] = predicted_cltv.reindex(customers.index)
    rows = []
    for (cohort_index, cohort_period), group in customers.groupby(
        ["cohort_index", "cohort_period"]
    ):
        size = len(group)
        # The cohort period's last day, and the calendar month it falls in.
        last_day = period_start(pd.Series([cohort_index + 1]), grain).iloc[0] - pd.Timedelta(days=1)
        last_month = month_index(pd.Timestamp(last_day))
        row: dict[str, Any] = {"cohort_period": cohort_period, "customers": size}
        for months in LTV_MONTHS:
            complete = month_last_day(last_month + months) <= as_of
            total = int(group[f"margin_{months}m"].sum())
            row[f"ltv_{months}m"] = (
                float(Fraction(total, MICROS_PER_UNIT * size)) if complete else NAN
            )
        row["historical_cltv_per_customer"] = float(
            Fraction(int(group["margin_lifetime"].sum()), MICROS_PER_UNIT * size)
        )
        predicted = group["predicted_cltv"].dropna() if "predicted_cltv" in group else []
        row["avg_predicted_cltv"] = float(predicted.mean()) if len(predicted) else NAN
        rows.append(row)
    return pd.DataFrame(rows)


def compute_segment_marts(
    raw: Mapping[str, pd.DataFrame],
    vars: Mapping[str, Any] | None = None,
    predicted_cltv: pd.Series | None = None,
) -> dict[str, pd.DataFrame]:
    """The three *_by_segment marts from the four raw tables and the vars.
    ``predicted_cltv``: the predictive mart's predicted_cltv by customer_id
    (the BG/NBD fit is not this reference's), or None where it is disabled.
    """
    run = parse_vars(vars)
    dimensions, max_values = segment_dimensions(vars)
    staged = stage_all(raw, run)
    as_of = resolve_as_of_date(staged, run)
    purchases = purchases_until(staged["orders"].staged, staged["customers"].staged, as_of)
    if as_of is None or purchases.empty:
        empty = pd.DataFrame()
        return {
            "cohort_retention_by_segment": empty,
            "churn_by_segment": empty,
            "ltv_by_segment": pd.DataFrame(columns=LTV_COLUMNS),
        }
    purchasers = pd.Index(sorted(purchases["customer_id"].unique()))
    segments = customer_segments(purchasers, staged["customers"].staged, dimensions, max_values)
    cohort_rows, churn_rows, ltv_rows = [], [], []
    for (segment, value), members in segments.groupby(["segment", "segment_value"]):
        subset = purchases[purchases["customer_id"].isin(set(members["customer_id"]))]
        cohorts = build_customer_cohorts(subset, as_of, run.cohort_grain)
        cohort_rows.append(_with_segment(build_cohort_retention(cohorts, by=[]), segment, value))
        churn = build_churn(subset, as_of, run.churn_window_days)
        churn_rows.append(_with_segment(churn, segment, value))
        ltv = _ltv_rows(subset, as_of, run.cohort_grain, predicted_cltv)
        ltv_rows.append(_with_segment(ltv, segment, value))
    ltv = pd.concat(ltv_rows, ignore_index=True)
    ltv["customers"] = ltv["customers"].astype("int64")
    ltv["cohort_period"] = ltv["cohort_period"].astype("datetime64[us]")
    return {
        "cohort_retention_by_segment": pd.concat(cohort_rows, ignore_index=True),
        "churn_by_segment": pd.concat(churn_rows, ignore_index=True),
        "ltv_by_segment": ltv[LTV_COLUMNS],
    }


__all__ = ["compute_segment_marts", "customer_segments"]
