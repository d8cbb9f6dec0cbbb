"""An invalid var stops the build with a message naming the var and the allowed values.

Every case runs the real dbt CLI against a throw-away DuckDB file; nothing is mocked.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.dbt import run_dbt


def dbt_output(subcommand: str, tmp_path: Path, dbt_vars: dict) -> tuple[int, str]:
    return run_dbt(subcommand, tmp_path / "vars.duckdb", dbt_vars, tmp_path)


INVALID_VARS = [
    pytest.param(
        {"cohort_grain": "fortnight"}, "cohort_grain", "week, month, quarter", id="unknown_grain"
    ),
    pytest.param(
        {"churn_window_days": 0}, "churn_window_days", "whole number of days >= 1", id="zero_window"
    ),
    pytest.param(
        {"churn_window_days": -30},
        "churn_window_days",
        "whole number of days >= 1",
        id="negative_window",
    ),
    pytest.param(
        {"churn_window_days": "ninety"},
        "churn_window_days",
        "whole number of days >= 1",
        id="text_window",
    ),
    pytest.param(
        {"churn_grains": ["month", "fortnight"]},
        "churn_grains",
        "day, week, month, quarter, half_year, year",
        id="unknown_churn_grain",
    ),
    pytest.param(
        {"churn_grains": ["week", "Week"]}, "churn_grains", "distinct grains", id="repeated_grain"
    ),
    pytest.param({"churn_grains": []}, "churn_grains", "non-empty list", id="no_churn_grain"),
    pytest.param({"as_of_date": "yesterday"}, "as_of_date", "YYYY-MM-DD", id="word_date"),
    pytest.param(
        {"as_of_date": "2026-02-30"}, "as_of_date", "real calendar date", id="impossible_date"
    ),
    pytest.param(
        {"purchase_statuses": []}, "purchase_statuses", "non-empty list", id="empty_statuses"
    ),
    pytest.param(
        {"reporting_timezone": "UTC'; drop table x; --"},
        "reporting_timezone",
        "IANA time zone",
        id="injected_timezone",
    ),
    pytest.param(
        {"min_valid_date": "2030-01-01", "max_valid_date": "2020-01-01"},
        "min_valid_date/max_valid_date",
        "min_valid_date < max_valid_date",
        id="inverted_window",
    ),
    pytest.param(
        {"rfm_time_unit_days": 0}, "rfm_time_unit_days", "whole number of days >= 1", id="rfm_unit"
    ),
    pytest.param(
        {"incremental_lookback_days": -1},
        "incremental_lookback_days",
        "whole number of days >= 0",
        id="negative_lookback",
    ),
    pytest.param(
        {"incremental_lookback_days": "a week"},
        "incremental_lookback_days",
        "whole number of days >= 0",
        id="text_lookback",
    ),
    pytest.param(
        {"retention_days": [1, 1, 7]}, "retention_days", "distinct whole numbers", id="dup_days"
    ),
    pytest.param(
        {"activation_window_days": -1},
        "activation_window_days",
        "whole number of days >= 0",
        id="negative_activation_window",
    ),
    pytest.param(
        {"driver_outcome_days": 7},
        "driver_outcome_days",
        "greater than activation_window_days (7)",
        id="outcome_window_inside_early_window",
    ),
    pytest.param(
        {"rfm_observation_end": "1997-9-30"}, "rfm_observation_end", "YYYY-MM-DD", id="rfm_end"
    ),
    pytest.param(
        {"clv_horizon_months": 0},
        "clv_horizon_months",
        "whole number of months >= 1",
        id="zero_clv_horizon",
    ),
    pytest.param(
        {"clv_monthly_discount_rate": 1.5},
        "clv_monthly_discount_rate",
        "0 <= rate < 1",
        id="clv_discount_rate_above_one",
    ),
    pytest.param(
        {"clv_penalizer_coef": -0.1},
        "clv_penalizer_coef",
        "a number >= 0",
        id="negative_clv_penalizer",
    ),
    pytest.param(
        {"retention_schema_prefix": "Retention-"},
        "retention_schema_prefix",
        "lowercase letters, digits and underscores",
        id="schema_prefix_not_an_identifier",
    ),
    # Mapping a user's data (CONTRACT.md section 4, docs/package.md).
    pytest.param(
        {"orders_identifier": "shop orders; drop table x"},
        "orders_identifier",
        "a table name made of letters",
        id="identifier_not_a_name",
    ),
    pytest.param({"using_events": "maybe"}, "using_events", "true or false", id="using_not_bool"),
    pytest.param(
        {"stores": [{"name": "EU shop", "schema": "shop_eu"}]},
        "stores",
        "a list of stores",
        id="store_name_not_lowercase",
    ),
    pytest.param(
        {"stores": [{"name": "eu", "schema": "a"}, {"name": "eu", "schema": "b"}]},
        "stores",
        "distinct names",
        id="store_twice",
    ),
    pytest.param(
        {"stores": [{"name": "eu"}]}, "stores", "schema: <schema", id="store_without_schema"
    ),
    pytest.param(
        {"customer_passthrough_columns": ["email"]},
        "customer_passthrough_columns",
        "not email",
        id="passthrough_pii",
    ),
    pytest.param(
        {"customer_passthrough_columns": ["country_code"]},
        "customer_passthrough_columns",
        "not a column of the contract",
        id="passthrough_contract_column",
    ),
    pytest.param(
        {"first_order_passthrough_columns": [{"name": "utm", "alias": "store"}]},
        "first_order_passthrough_columns",
        "'store' is taken",
        id="passthrough_alias_taken",
    ),
    pytest.param(
        {"customer_passthrough_columns": ["tier"], "first_order_passthrough_columns": ["tier"]},
        "first_order_passthrough_columns",
        "'tier' is taken",
        id="passthrough_twice",
    ),
    pytest.param(
        {"segment_dimensions": ["acquisition_channel", "planet"]},
        "segment_dimensions",
        "from: acquisition_channel, acquisition_campaign, country_code, store",
        id="unknown_segment_dimension",
    ),
    pytest.param(
        {"segment_dimensions": ["loyalty_tier"]},
        "segment_dimensions",
        "then customer_passthrough_columns",
        id="segment_dimension_not_passed_through",
    ),
    pytest.param(
        {"segment_max_values": 0}, "segment_max_values", "whole number >= 1", id="max_values"
    ),
    pytest.param(
        {"experiment_windows_days": [30, 7, 30]},
        "experiment_windows_days",
        "distinct whole numbers of days >= 0",
        id="dup_experiment_windows",
    ),
    pytest.param(
        {"experiment_control_variant": "  "},
        "experiment_control_variant",
        "a variant name",
        id="blank_control_variant",
    ),
    pytest.param(
        {"using_experiment_assignments": "maybe"},
        "using_experiment_assignments",
        "true or false",
        id="using_experiments_not_boolean",
    ),
]


@pytest.mark.parametrize(("dbt_vars", "var_name", "allowed"), INVALID_VARS)
def test_invalid_var_stops_parse_with_named_var(
    tmp_path: Path, dbt_vars: dict, var_name: str, allowed: str
) -> None:
    code, output = dbt_output("parse", tmp_path, dbt_vars)
    assert code != 0, output[-2000:]
    assert f"Invalid value for var '{var_name}'" in output, output[-2000:]
    assert allowed in output, output[-2000:]
    assert "Traceback" not in output, output[-2000:]


def test_unknown_timezone_stops_build_before_any_model(tmp_path: Path) -> None:
    code, output = dbt_output("run", tmp_path, {"reporting_timezone": "Mars/Olympus_Mons"})
    assert code != 0, output[-2000:]
    assert "Invalid value for var 'reporting_timezone': Mars/Olympus_Mons" in output
    assert "time zone name the database knows" in output
    assert "Traceback" not in output
    assert "OK created" not in output


@pytest.mark.parametrize(
    "dbt_vars",
    [
        {"cohort_grain": "Week", "churn_window_days": "30", "as_of_date": "2026-06-30"},
        {"cohort_grain": "quarter", "purchase_statuses": ["Completed", " shipped "]},
        {"churn_grains": [" Half_Year", "day"]},
        {"clv_horizon_months": 24, "clv_monthly_discount_rate": 0.0, "clv_penalizer_coef": 0.001},
        {
            "orders_identifier": "shop_orders",
            "using_events": "false",
            "using_marketing_spend": False,
            "stores": [{"name": "eu", "schema": "shop_eu"}, {"name": "us_2", "schema": "shop_us"}],
            "customer_passthrough_columns": ["Loyalty_Tier"],
            "first_order_passthrough_columns": [{"name": "utm_source", "alias": "first_utm"}],
            "segment_dimensions": ["Store", "loyalty_tier", "first_utm", "acquisition_campaign"],
            "segment_max_values": "10",
        },
    ],
    ids=[
        "case_and_text_tolerated",
        "statuses_normalized",
        "churn_grains_normalized",
        "clv_vars",
        "mapping_vars",
    ],
)
def test_valid_vars_parse(tmp_path: Path, dbt_vars: dict) -> None:
    code, output = dbt_output("parse", tmp_path, dbt_vars)
    assert code == 0, output[-2000:]
