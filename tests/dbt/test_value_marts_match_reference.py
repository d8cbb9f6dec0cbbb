"""The dbt value and product marts equal the pandas reference.

The seven marts time_between_purchases, customers, rfm_summary,
channel_economics, retention_kpis, retention_scorecard and activity_retention
(CONTRACT.md section 3) built by dbt are compared, every contract column, with
retention/reference/ on the same raw tables, for the cases of
test_marts_match_reference.py (their dbt builds are cached by conftest and
shared) plus one demo build with non-default rfm / product-retention vars
(shared with test_rfm_matches_lifetimes.py).

Keys, counts, dates, booleans and strings must be equal; money and rates within
1e-9 (retention/reference/compare.py); NULL must match NULL.
The reference was written from the spec only (METRICS.md and
docs/metric_decisions.md): a mismatch means one side departs from the spec,
not that the reference wins by default.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from support.marts import BENCHMARKS, CASES, DEMO_RFM_VARS, Case, fail_differs, read_relation

from retention.reference import compute_value_marts
from retention.reference.compare import compare_frames

# mart -> its grain (CONTRACT.md section 3).
VALUE_MART_KEYS: dict[str, list[str]] = {
    "time_between_purchases": ["cohort_period", "transition"],
    "customers": ["customer_id"],
    "rfm_summary": ["customer_id"],
    "channel_economics": ["acquisition_channel", "cohort_month"],
    "retention_kpis": ["month_start"],
    "retention_scorecard": ["kpi"],
    "activity_retention": ["signup_week", "day_n"],
    "nps": ["month_start"],
    "nps_retention": ["month_start", "nps_class"],
}

# One extra build: weeks and an earlier observation end for rfm_summary,
# other retention days / activation event / window for activity_retention.
EXTRA_CASES = [
    Case("demo-rfm-weeks-activity-vars", "demo", json.dumps(DEMO_RFM_VARS, sort_keys=True))
]
VALUE_CASES = [*CASES, *EXTRA_CASES]

_REFERENCE: dict[Case, dict[str, pd.DataFrame]] = {}


def value_reference_for(case: Case, build) -> dict[str, pd.DataFrame]:
    if case not in _REFERENCE:
        _REFERENCE[case] = compute_value_marts(build.raw, case.vars, benchmarks=BENCHMARKS)
    return _REFERENCE[case]




@pytest.mark.parametrize("built", [pytest.param(c, id=c.id) for c in EXTRA_CASES], indirect=True)
def test_extra_dbt_build_succeeds(built):
    """test_marts_match_reference.py checks the builds of its own cases."""
    case, build = built
    assert build.ok, f"[{case.id}] {build.describe()} exited {build.returncode}:\n{build.tail()}"


@pytest.mark.parametrize("mart", list(VALUE_MART_KEYS))
@pytest.mark.parametrize("built", [pytest.param(c, id=c.id) for c in VALUE_CASES], indirect=True)
def test_value_mart_matches_reference(built, mart):
    case, build = built
    expected = value_reference_for(case, build)[mart]
    actual = read_relation(build, "marts", mart)
    problems = compare_frames(actual, expected, VALUE_MART_KEYS[mart])
    extra = [c for c in actual.columns if c not in expected.columns]
    if extra:
        # Models may add columns (CONTRACT.md), so this is only reported.
        print(f"[{case.id}] marts.{mart} has extra columns {extra}")
    if problems:
        fail_differs(case, build, f"marts.{mart}", problems)


def test_reference_returns_exactly_the_contract_columns():
    """CONTRACT.md section 3 columns (and the extra columns docs/metric_decisions.md
    adds), in order, for every value mart."""
    from support.edge_cases import edge_case_raw

    contract = {
        "time_between_purchases": "cohort_period, transition, customers, gaps, mean_days,"
        " median_days, p75_days, p90_days",
        "customers": "customer_id, store, acquisition_channel, country_code, cohort_period,"
        " first_purchase_date, last_purchase_date, purchases, purchase_days, net_revenue,"
        " gross_margin, has_cost, aov, days_to_second_purchase, avg_days_between_purchases,"
        " median_days_between_purchases, recency_days, tenure_days, is_active,"
        " historical_cltv, lifecycle_stage, rfm_recency_score, rfm_frequency_score,"
        " rfm_monetary_score, latest_nps_score, latest_nps_class, days_to_first_purchase",
        "rfm_summary": "customer_id, frequency, recency, t, monetary_value, observation_end,"
        " time_unit_days",
        "channel_economics": "acquisition_channel, cohort_month, new_customers, spend, cac,"
        " ltv_3m, ltv_6m, ltv_12m, ltv_to_cac_12m, payback_months",
        "retention_kpis": "month_start, active_customers, new_customers, returning_customers,"
        " purchases, net_revenue, aov, purchase_frequency, repeat_purchase_rate,"
        " returning_revenue_share, repeat_rate_180d, nrr_12m, grr_12m, formula_cltv,"
        " is_complete_period,"
        # the ratio parts the semantic layer pools (docs/metric_decisions.md)
        " buyers_to_date, repeat_buyers_to_date, nrr_base_revenue_12m,"
        " nrr_current_revenue_12m",
        "retention_scorecard": "kpi, value, measured_for, benchmark_low, benchmark_high,"
        " status, source",
        "activity_retention": "signup_week, day_n, cohort_size, eligible_customers,"
        " retained_on, retention_rate_on, retained_on_or_after, retention_rate_on_or_after,"
        " activated_customers, activation_rate",
        "nps": "month_start, responses, respondents, promoters, passives, detractors,"
        " promoter_share, detractor_share, nps, is_complete_period",
        "nps_retention": "month_start, nps_class, respondents, eligible_respondents,"
        " repurchased, repurchase_rate",
    }
    marts = compute_value_marts(edge_case_raw(), {}, benchmarks=BENCHMARKS)
    assert set(marts) == set(contract)
    for mart, columns in contract.items():
        assert list(marts[mart].columns) == columns.split(", "), mart
