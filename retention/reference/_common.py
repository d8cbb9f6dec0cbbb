"""Small helpers shared by the reference marts.

- Money is carried as exact integer *micro-units* (``1`` = 0.000001 of the
  reporting currency) and becomes ``float`` only in the returned marts
  (:func:`money`, :func:`money_or_null`, :func:`money_ratio`).
- A rate whose denominator is 0 is NULL (``NaN``), never 0
  (docs/design/CONTRACT.md section 3; :func:`ratio`).
- Dates are naive ``datetime64`` values at midnight, the local date in
  ``reporting_timezone`` (:func:`local_date`); periods of the cohort_grain
  and calendar months are running numbers (:func:`period_index`,
  :func:`month_index`) so that "periods between" is a subtraction.
- Statistics as docs/metric_decisions.md fixes them: :func:`percentile`
  (continuous), :func:`mean` (exact), :func:`ntile` (larger buckets first).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

MICROS_PER_UNIT = 1_000_000


ONE_DAY = pd.Timedelta(days=1)


NAN = float("nan")


WEEK_EPOCH = pd.Timestamp("1970-01-05")


def money(micros: int, divisor: int = 1) -> float:
    """``micros / 10**6 / divisor`` as the float nearest to the exact value."""
    return float(Fraction(int(micros), MICROS_PER_UNIT * divisor))


def money_or_null(micros: int, divisor: int) -> float:
    """``micros / divisor`` in currency units; NULL when the divisor is 0."""
    return NAN if divisor == 0 else money(micros, divisor)


def money_ratio(numerator_micros: int, denominator_micros: int) -> float:
    """A ratio of two amounts; NULL when the denominator is 0."""
    if denominator_micros == 0:
        return NAN
    return float(Fraction(int(numerator_micros), int(denominator_micros)))


def ratio(numerator: int, denominator: int) -> float:
    """A rate; NULL (NaN) when the denominator is 0 (CONTRACT.md section 3)."""
    return float("nan") if denominator == 0 else numerator / denominator


def local_date(timestamps_utc: pd.Series, timezone: str) -> pd.Series:
    """staging_rules.md: "staging adds the same instant converted to
    ``reporting_timezone`` and its date"; METRICS.md: "Purchase date: the date
    of ``ordered_at`` in ``reporting_timezone``".
    """
    local = timestamps_utc.dt.tz_localize("UTC").dt.tz_convert(timezone)
    return local.dt.tz_localize(None).dt.normalize()


def period_index(dates: pd.Series | pd.Timestamp, grain: str) -> Any:
    """A running number of the cohort_grain period containing each date, so
    that "whole periods between" two period starts is a subtraction.

    week = ISO week (Monday start), month, quarter (METRICS.md
    "period_number", CONTRACT.md ``cohort_grain``).
    """
    if isinstance(dates, pd.Timestamp):
        return int(period_index(pd.Series([dates]), grain).iloc[0])
    if grain == "week":
        return (dates - WEEK_EPOCH).dt.days // 7
    months = dates.dt.year * 12 + dates.dt.month - 1
    return months if grain == "month" else months // 3


def period_start(index: pd.Series, grain: str) -> pd.Series:
    """The first day of the period with the given :func:`period_index`."""
    index = pd.Series(index).astype("int64")
    if grain == "week":
        return (WEEK_EPOCH + pd.to_timedelta(index * 7, unit="D")).astype("datetime64[us]")
    months = index if grain == "month" else index * 3
    parts = pd.DataFrame({"year": months // 12, "month": months % 12 + 1, "day": 1})
    return pd.to_datetime(parts).astype("datetime64[us]")


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


NTILE_BUCKETS = 5


def ntile(count: int, buckets: int = NTILE_BUCKETS) -> np.ndarray:
    """SQL ``ntile(buckets)`` over ``count`` ordered rows: the rows are split
    into ``buckets`` groups whose sizes differ by at most 1, the larger groups
    first (metric_decisions.md: "ntile puts the larger buckets first").
    Returns the bucket (1-based) of each row in order.
    """
    base, extra = divmod(count, buckets)
    sizes = [base + 1] * extra + [base] * (buckets - extra)
    return np.repeat(np.arange(1, buckets + 1), sizes).astype("int64")


def empty_frame(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
