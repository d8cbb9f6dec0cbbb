"""Empty raw tables are valid input (CONTRACT.md section 1): the build passes, marts are empty."""

from __future__ import annotations

from pathlib import Path

import duckdb
from support.dbt import create_empty_raw_tables, run_dbt_build

MARTS = [
    "customer_cohorts",
    "cohort_retention",
    "cohort_retention_by_channel",
    "churn",
    "customers",
    "lifecycle_flows",
    "time_between_purchases",
    "rfm_summary",
    "channel_economics",
    "retention_kpis",
    "activity_retention",
    "cohort_retention_by_segment",
    "churn_by_segment",
    "ltv_by_segment",
    "experiment_results",
    "experiment_health",
]


def test_empty_raw_tables_build_empty_marts_and_a_no_data_scorecard(tmp_path: Path) -> None:
    database = tmp_path / "empty.duckdb"
    create_empty_raw_tables(database)
    code, output = run_dbt_build(database, {}, tmp_path)
    assert code == 0, output[-3000:]
    with duckdb.connect(str(database), read_only=True) as connection:
        for mart in MARTS:
            rows = connection.execute(f"select count(*) from marts.{mart}").fetchall()[0][0]
            assert rows == 0, mart
        # activation_drivers always has its first_purchase row, here over an
        # empty population: 0 customers, NULL rates.
        drivers = connection.execute(
            "select event_name, customers, did_customers, did_share, phi, p_value"
            " from marts.activation_drivers"
        ).fetchall()
        statuses = connection.execute(
            "select kpi, status from marts.retention_scorecard order by kpi"
        ).fetchall()
    assert drivers == [("first_purchase", 0, 0, None, None, None)]
    # The five benchmarked KPIs of the seed and nps (information only): no
    # value anywhere, so no_data, also for nps (not no_benchmark).
    assert [kpi for kpi, _ in statuses] == [
        "ltv_to_cac_12m",
        "monthly_churn_rate",
        "nps",
        "nrr_12m",
        "purchase_frequency_12m",
        "repeat_rate_180d",
    ]
    assert {status for _, status in statuses} == {"no_data"}
