"""An invalid var stops the build with a message naming the var and the allowed values.

Every case runs the real dbt CLI against a throw-away DuckDB file; nothing is mocked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DBT = str(Path(sys.executable).with_name("dbt"))


def run_dbt(args: list[str], tmp_path: Path, dbt_vars: dict) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "RETENTION_DUCKDB_PATH": str(tmp_path / "vars.duckdb"),
    }
    command = [
        DBT,
        *args,
        "--project-dir",
        str(REPO),
        "--profiles-dir",
        str(REPO / "profiles"),
        "--target-path",
        str(tmp_path / "target"),
        "--log-path",
        str(tmp_path / "logs"),
        "--vars",
        json.dumps(dbt_vars),
    ]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


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
]


@pytest.mark.parametrize(("dbt_vars", "var_name", "allowed"), INVALID_VARS)
def test_invalid_var_stops_parse_with_named_var(
    tmp_path: Path, dbt_vars: dict, var_name: str, allowed: str
) -> None:
    result = run_dbt(["parse"], tmp_path, dbt_vars)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-2000:]
    assert f"Invalid value for var '{var_name}'" in output, output[-2000:]
    assert allowed in output, output[-2000:]
    assert "Traceback" not in output, output[-2000:]


def test_unknown_timezone_stops_build_before_any_model(tmp_path: Path) -> None:
    result = run_dbt(["run"], tmp_path, {"reporting_timezone": "Mars/Olympus_Mons"})
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-2000:]
    assert "Invalid value for var 'reporting_timezone': Mars/Olympus_Mons" in output
    assert "time zone name the database knows" in output
    assert "Traceback" not in output
    assert "OK created" not in output


@pytest.mark.parametrize(
    "dbt_vars",
    [
        {"cohort_grain": "Week", "churn_window_days": "30", "as_of_date": "2026-06-30"},
        {"cohort_grain": "quarter", "purchase_statuses": ["Completed", " shipped "]},
    ],
    ids=["case_and_text_tolerated", "statuses_normalized"],
)
def test_valid_vars_parse(tmp_path: Path, dbt_vars: dict) -> None:
    result = run_dbt(["parse"], tmp_path, dbt_vars)
    assert result.returncode == 0, (result.stdout + result.stderr)[-2000:]
