"""Every mart's grain and the fit tolerances: how two engines' marts are compared.

Shared by the engine equality test (tests/engines/test_engine_equality.py) and
the Spark benchmark (retention/bench/spark.py), which compare each mart of
Postgres or Spark with DuckDB's through ``retention.reference.compare``.
A new mart must be added to ``MART_KEYS`` (``test_every_mart_is_compared``
checks that every model of models/marts/ is in it).
"""

from __future__ import annotations

# Every mart (models/marts/** and the cohort table, schema marts) -> its grain.
MART_KEYS: dict[str, list[str]] = {
    "customer_cohorts": ["customer_id", "period_number"],
    "cohort_retention": ["cohort_period", "period_number"],
    "cohort_retention_by_channel": ["cohort_period", "acquisition_channel", "period_number"],
    "activity_retention": ["signup_week", "day_n"],
    "signup_conversion": ["signup_week", "day_n"],
    "churn": ["period_start"],
    "churn_by_grain": ["grain", "period_start"],
    "customers": ["customer_id"],
    "lifecycle_flows": ["snapshot_date", "from_stage", "to_stage"],
    "time_between_purchases": ["cohort_period", "transition"],
    "rfm_summary": ["customer_id"],
    "channel_economics": ["acquisition_channel", "cohort_month"],
    "retention_kpis": ["month_start"],
    "retention_scorecard": ["kpi"],
    "cohort_retention_by_segment": ["segment", "segment_value", "cohort_period", "period_number"],
    "churn_by_segment": ["segment", "segment_value", "period_start"],
    "ltv_by_segment": ["segment", "segment_value", "cohort_period"],
    "nps": ["month_start"],
    "nps_retention": ["month_start", "nps_class"],
    "activation_drivers": ["event_name"],
    "experiment_results": ["experiment_id", "variant", "window_days", "metric"],
    "experiment_health": ["experiment_id"],
    "clv_model_params": ["model", "parameter"],
    "customer_value_predictions": ["customer_id"],
}

# The predictive CLV numbers: DuckDB fits them in a dbt Python model, Postgres
# and Spark in the step `retention clv-fit` with the same code, on keys whose
# monetary_value each engine computes (a decimal sum / a count: the last bits
# may differ), so the Gamma-Gamma fit may stop a little elsewhere. Absolute
# tolerances (compare_frames), per mart and column: parameters and
# log-likelihoods to 1e-6, predictions to 1e-6 (p_alive, purchases) and 1e-4
# currency units (revenue, CLTV, their segment means).
FIT_TOLERANCES: dict[str, dict[str, float]] = {
    "clv_model_params": {"value": 1e-6},
    "customer_value_predictions": {
        "p_alive": 1e-6,
        "expected_purchases": 1e-6,
        "expected_avg_net_revenue": 1e-4,
        "predicted_cltv": 1e-4,
    },
    "ltv_by_segment": {"avg_predicted_cltv": 1e-4},
}

# What `dbt build` rebuilds after the fit step (docs/predictive_clv.md).
AFTER_FIT_SELECTORS: tuple[str, ...] = ("int_clv_step_fit+", "int_clv_step_predictions+")
AFTER_FIT_STEP: tuple[str, ...] = ("--select", *AFTER_FIT_SELECTORS)
