"""The dbt vars the reference reads (docs/design/CONTRACT.md section 2).

:func:`parse_vars` gives the vars of the staging and the order-cohort marts
(:class:`RunVars`), :func:`parse_value_vars` those of the value and product
marts (:class:`ValueVars`), :func:`parse_wave_vars` those of the second-wave
marts of CONTRACT.md section 6 (:class:`WaveVars`), :func:`parse_driver_vars`
those of ``activation_drivers`` (:class:`DriverVars`). Each applies the
defaults of its section and rejects an invalid value with a ``ValueError``
naming the variable.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

GRAINS = ("week", "month", "quarter")


@dataclass(frozen=True)
class RunVars:
    """The dbt vars this reference understands, parsed and validated."""

    as_of_date: pd.Timestamp | None
    reporting_timezone: str
    cohort_grain: str
    churn_window_days: int
    purchase_statuses: tuple[str, ...]
    min_valid_date: pd.Timestamp
    max_valid_date: pd.Timestamp


def _parse_date_var(name: str, value: Any) -> pd.Timestamp:
    try:
        parsed = pd.Timestamp(str(value))
    except (ValueError, TypeError) as error:
        raise ValueError(f"var {name}: {value!r} is not a date 'YYYY-MM-DD'") from error
    if pd.isna(parsed) or parsed != parsed.normalize():
        raise ValueError(f"var {name}: {value!r} is not a date 'YYYY-MM-DD'")
    return parsed


def parse_vars(vars: Mapping[str, Any] | None) -> RunVars:
    """Apply the defaults of CONTRACT.md section 2 and reject invalid values.

    "An invalid value (unknown grain, non-positive window, unparseable date)
    must stop the build with a message that names the variable and the
    allowed values." Purchase statuses are "compared after lower/trim", so
    the listed values are lower-cased and trimmed as well.
    """
    vars = dict(vars or {})

    as_of_raw = vars.get("as_of_date")
    as_of = None if as_of_raw in (None, "") else _parse_date_var("as_of_date", as_of_raw)

    timezone = str(vars.get("reporting_timezone") or "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(
            f"var reporting_timezone: unknown time zone {timezone!r} (use an IANA name)"
        ) from error

    grain = str(vars.get("cohort_grain") or "month").strip().lower()
    if grain not in GRAINS:
        raise ValueError(f"var cohort_grain: {grain!r}; allowed values: {', '.join(GRAINS)}")

    window_raw = vars.get("churn_window_days", 90)
    try:
        window = int(window_raw)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"var churn_window_days: {window_raw!r} is not a positive integer"
        ) from error
    if window <= 0 or window != float(window_raw):
        raise ValueError(f"var churn_window_days: {window_raw!r} is not a positive integer")

    statuses_raw = vars.get("purchase_statuses", ["completed"])
    if isinstance(statuses_raw, str):
        statuses_raw = [statuses_raw]
    statuses = tuple(sorted({str(s).strip().lower() for s in statuses_raw}))
    if not statuses:
        raise ValueError("var purchase_statuses: give at least one status")

    return RunVars(
        as_of_date=as_of,
        reporting_timezone=timezone,
        cohort_grain=grain,
        churn_window_days=window,
        purchase_statuses=statuses,
        min_valid_date=_parse_date_var(
            "min_valid_date", vars.get("min_valid_date") or "1990-01-01"
        ),
        max_valid_date=_parse_date_var(
            "max_valid_date", vars.get("max_valid_date") or "2099-12-31"
        ),
    )


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
    end = None if end_raw in (None, "") else _parse_date_var("rfm_observation_end", end_raw)
    unit = _int_var("rfm_time_unit_days", vars.get("rfm_time_unit_days", 1), 1)
    return ValueVars(retention_days, event, window, end, unit)


CHURN_GRAIN_NAMES = ("day", "week", "month", "quarter", "half_year", "year")


@dataclass(frozen=True)
class WaveVars:
    """The vars of CONTRACT.md section 6 this reference reads, parsed."""

    churn_grains: tuple[str, ...]
    nps_repurchase_window_days: int


def parse_wave_vars(vars: Mapping[str, Any] | None) -> WaveVars:
    """Defaults of CONTRACT.md section 6: churn_grains ``[day, week, month,
    quarter, half_year, year]`` (kept in that order), nps_repurchase_window_days
    90. An unknown or repeated grain, an empty list or a window < 1 is a
    ValueError naming the var.
    """
    vars = dict(vars or {})
    grains_raw = vars.get("churn_grains", list(CHURN_GRAIN_NAMES))
    if isinstance(grains_raw, str):
        grains_raw = [grains_raw]
    grains = [str(g).strip().lower() for g in grains_raw]
    if not grains or len(set(grains)) != len(grains) or set(grains) - set(CHURN_GRAIN_NAMES):
        raise ValueError(
            f"var churn_grains: {grains_raw!r}; allowed: distinct values of"
            f" {', '.join(CHURN_GRAIN_NAMES)}"
        )
    window = _int_var("nps_repurchase_window_days", vars.get("nps_repurchase_window_days", 90), 1)
    return WaveVars(tuple(g for g in CHURN_GRAIN_NAMES if g in grains), window)


@dataclass(frozen=True)
class DriverVars:
    """The vars of ``activation_drivers`` (METRICS.md "Activation drivers"):
    the early window (activation_window_days, CONTRACT.md section 2) and the
    end of the outcome window (driver_outcome_days, section 6)."""

    activation_window_days: int
    driver_outcome_days: int


def parse_driver_vars(vars: Mapping[str, Any] | None) -> DriverVars:
    """Defaults activation_window_days 7, driver_outcome_days 30. The outcome
    window (activation_window_days + 1 .. driver_outcome_days) must not be
    empty: driver_outcome_days <= activation_window_days is a ValueError
    naming driver_outcome_days."""
    vars = dict(vars or {})
    window = _int_var("activation_window_days", vars.get("activation_window_days", 7), 0)
    outcome = _int_var("driver_outcome_days", vars.get("driver_outcome_days", 30), 1)
    if outcome <= window:
        raise ValueError(
            f"var driver_outcome_days: {outcome} is not greater than"
            f" activation_window_days ({window})"
        )
    return DriverVars(window, outcome)
