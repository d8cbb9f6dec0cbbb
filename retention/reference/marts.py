"""The two entry points: :func:`compute_marts` (staging, customer_cohorts,
cohort_retention, cohort_retention_by_channel, churn, churn_by_grain,
lifecycle_flows) and
:func:`compute_value_marts` (the value and product marts of
docs/design/CONTRACT.md section 3), from the four raw tables and the dbt vars.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ._common import empty_frame
from .activity import build_activity_retention
from .churn import build_churn, build_churn_by_grain
from .cohorts import build_cohort_retention, build_customer_cohorts, customer_cohorts_mart
from .customers import build_customers, build_rfm_summary
from .drivers import build_activation_drivers
from .economics import build_channel_economics
from .experiments import (
    activation_days_of,
    build_experiment_health,
    build_experiment_results,
    counted_assignments,
    parse_experiment_vars,
)
from .kpis import (
    build_retention_kpis,
    build_retention_scorecard,
    nps_scorecard_value,
    read_benchmarks,
    scorecard_values,
)
from .lifecycle import build_lifecycle_flows
from .nps import build_nps, build_nps_retention, nps_responses, with_latest_nps
from .purchases import TBP_COLUMNS, build_time_between_purchases, customer_basics, purchase_days
from .signup import build_signup_conversion, customer_signups, with_days_to_first_purchase
from .staging import purchases_until, resolve_as_of_date, stage_all, staging_counts
from .vars import parse_driver_vars, parse_value_vars, parse_vars, parse_wave_vars


def compute_marts(
    raw: Mapping[str, pd.DataFrame], vars: Mapping[str, Any] | None = None
) -> dict[str, pd.DataFrame]:
    """Compute the reference marts from the raw tables and the dbt vars.

    Returns ``customer_cohorts``, ``cohort_retention``,
    ``cohort_retention_by_channel``, ``churn``, ``churn_by_grain``,
    ``signup_conversion``, ``lifecycle_flows``, ``activation_drivers``,
    ``experiment_results`` and ``experiment_health`` (the CONTRACT.md
    columns),
    plus ``staging_counts`` (see :func:`staging_counts`), the staged tables
    ``stg_customers``, ``stg_orders``, ``stg_events``,
    ``stg_marketing_spend``, ``stg_experiment_assignments``, the counted
    ``purchases`` and ``run`` (one row: the resolved as_of_date and vars).
    """
    run = parse_vars(vars)
    wave = parse_wave_vars(vars)
    retention_days = parse_value_vars(vars).retention_days
    staged = stage_all(raw, run)
    resolved_as_of = resolve_as_of_date(staged, run)
    purchases = purchases_until(staged["orders"].staged, staged["customers"].staged, resolved_as_of)
    # No staged order or event: there are no purchases, every mart is empty
    # and any date serves as as_of_date below.
    as_of = resolved_as_of if resolved_as_of is not None else pd.Timestamp("1970-01-01")

    cohorts = build_customer_cohorts(purchases, as_of, run.cohort_grain)
    experiment_vars = parse_experiment_vars(vars)
    everyone, counted = counted_assignments(staged["experiment_assignments"].staged, resolved_as_of)
    activation = activation_days_of(
        staged["events"].staged, parse_value_vars(vars).activation_event, resolved_as_of
    )
    return {
        "customer_cohorts": customer_cohorts_mart(cohorts),
        "cohort_retention": build_cohort_retention(cohorts, by=[]),
        "cohort_retention_by_channel": build_cohort_retention(cohorts, by=["acquisition_channel"]),
        "churn": build_churn(purchases, as_of, run.churn_window_days),
        "churn_by_grain": build_churn_by_grain(
            purchases, as_of, run.churn_window_days, wave.churn_grains
        ),
        "signup_conversion": build_signup_conversion(
            customer_signups(
                staged["customers"].staged, purchases, resolved_as_of, run.reporting_timezone
            ),
            resolved_as_of,
            retention_days,
        ),
        "lifecycle_flows": build_lifecycle_flows(purchases, as_of, run.churn_window_days),
        "activation_drivers": build_activation_drivers(
            staged["customers"].staged,
            staged["events"].staged,
            purchases,
            as_of,
            run.reporting_timezone,
            parse_driver_vars(vars),
        ),
        "experiment_results": build_experiment_results(
            counted, purchase_days(purchases), activation, resolved_as_of, experiment_vars
        ),
        "experiment_health": build_experiment_health(everyone),
        "staging_counts": staging_counts(staged),
        **{f"stg_{name}": s.staged for name, s in staged.items()},
        "purchases": purchases,
        "run": pd.DataFrame(
            [
                {
                    "as_of_date": resolved_as_of if resolved_as_of is not None else pd.NaT,
                    "reporting_timezone": run.reporting_timezone,
                    "cohort_grain": run.cohort_grain,
                    "churn_window_days": run.churn_window_days,
                }
            ]
        ),
    }


def compute_value_marts(
    raw: Mapping[str, pd.DataFrame],
    vars: Mapping[str, Any] | None = None,
    *,
    benchmarks: str | Path | pd.DataFrame,
) -> dict[str, pd.DataFrame]:
    """The seven value / product marts of CONTRACT.md section 3 from the four
    raw tables and the dbt vars: ``time_between_purchases``, ``customers``,
    ``rfm_summary``, ``channel_economics``, ``retention_kpis``,
    ``retention_scorecard``, ``activity_retention``; and the NPS marts of
    section 7, ``nps`` and ``nps_retention``. ``customers`` carries the
    section 7 additions (``latest_nps_*``, ``days_to_first_purchase``).

    Staging, as_of_date and purchases come from :mod:`.staging`
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
    basics = customer_basics(purchases, run.cohort_grain)

    wave = parse_wave_vars(vars)
    # No staged order or event: every mart is empty, any date serves.
    as_of_or_epoch = as_of if as_of is not None else pd.Timestamp("1970-01-01")
    responses = nps_responses(staged["events"].staged, as_of_or_epoch)
    observation_end = value_vars.rfm_observation_end or as_of
    churn = build_churn(purchases, as_of, run.churn_window_days)
    kpis = build_retention_kpis(purchases, days, churn, as_of)
    channels = build_channel_economics(purchases, staged["marketing_spend"].staged, as_of)
    nps = build_nps(responses, as_of_or_epoch)
    values = {**scorecard_values(purchases, kpis, churn, channels, as_of)}
    values["nps"] = nps_scorecard_value(nps)
    signups = customer_signups(stg_customers, purchases, as_of, run.reporting_timezone)
    return {
        "time_between_purchases": build_time_between_purchases(days, basics)
        if not purchases.empty
        else empty_frame(TBP_COLUMNS),
        "customers": with_days_to_first_purchase(
            with_latest_nps(
                build_customers(
                    purchases,
                    days,
                    stg_orders,
                    stg_customers,
                    as_of,
                    run.cohort_grain,
                    run.churn_window_days,
                ),
                responses,
            ),
            signups,
        ),
        "rfm_summary": build_rfm_summary(purchases, observation_end, value_vars.rfm_time_unit_days),
        "channel_economics": channels,
        "retention_kpis": kpis,
        "retention_scorecard": build_retention_scorecard(values, read_benchmarks(benchmarks)),
        "activity_retention": build_activity_retention(
            stg_customers,
            staged["events"].staged,
            as_of,
            run.reporting_timezone,
            value_vars,
        ),
        "nps": nps,
        "nps_retention": build_nps_retention(
            responses, days, as_of_or_epoch, wave.nps_repurchase_window_days
        ),
    }
