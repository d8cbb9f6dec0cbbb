"""Invalid CLV vars stop dbt with a message naming the var and the allowed values."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_vars_validation import run_dbt

INVALID_CLV_VARS = [
    pytest.param({"clv_horizon_months": 0}, "clv_horizon_months", "whole number of months >= 1",
                 id="zero_horizon"),
    pytest.param({"clv_monthly_discount_rate": 1.5}, "clv_monthly_discount_rate",
                 "0 <= rate < 1", id="discount_rate_above_one"),
    pytest.param({"clv_penalizer_coef": -0.1}, "clv_penalizer_coef", "a number >= 0",
                 id="negative_penalizer"),
]


@pytest.mark.parametrize(("dbt_vars", "var_name", "allowed"), INVALID_CLV_VARS)
def test_invalid_clv_var_stops_parse_with_named_var(
    tmp_path: Path, dbt_vars: dict, var_name: str, allowed: str
) -> None:
    result = run_dbt(["parse"], tmp_path, dbt_vars)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-2000:]
    assert f"Invalid value for var '{var_name}'" in output, output[-2000:]
    assert allowed in output, output[-2000:]
    assert "Traceback" not in output, output[-2000:]


def test_valid_clv_vars_parse(tmp_path: Path) -> None:
    result = run_dbt(
        ["parse"],
        tmp_path,
        {"clv_horizon_months": 24, "clv_monthly_discount_rate": 0.0, "clv_penalizer_coef": 0.001},
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-2000:]
