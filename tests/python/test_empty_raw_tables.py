"""Empty raw tables are valid input (CONTRACT.md section 1): the build passes, marts are empty."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[2]
DBT = str(Path(sys.executable).with_name("dbt"))

RAW_DDL = {
    "customers": "customer_id varchar, signed_up_at timestamp, email varchar, "
    "country_code varchar, acquisition_channel varchar, acquisition_campaign varchar, "
    "updated_at timestamp",
    "orders": "order_id varchar, customer_id varchar, ordered_at timestamp, status varchar, "
    "order_amount decimal(18,2), refunded_amount decimal(18,2), cost_amount decimal(18,2), "
    "updated_at timestamp",
    "events": "event_id varchar, customer_id varchar, event_name varchar, "
    "occurred_at timestamp, platform varchar, properties varchar",
    "marketing_spend": "spend_date date, channel varchar, campaign varchar, "
    "spend_amount decimal(18,2)",
}

MARTS = ["customer_cohorts", "cohort_retention", "cohort_retention_by_channel", "churn"]


def test_build_on_empty_raw_tables_passes_with_empty_marts(tmp_path: Path) -> None:
    database = tmp_path / "empty.duckdb"
    with duckdb.connect(str(database)) as connection:
        connection.execute("create schema raw")
        for table, columns in RAW_DDL.items():
            connection.execute(f"create table raw.{table} ({columns})")
    env = {
        **os.environ,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "RETENTION_DUCKDB_PATH": str(database),
    }
    result = subprocess.run(
        [
            DBT,
            "build",
            "--project-dir",
            str(REPO),
            "--profiles-dir",
            str(REPO / "profiles"),
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    with duckdb.connect(str(database), read_only=True) as connection:
        for mart in MARTS:
            rows = connection.execute(f"select count(*) from marts.{mart}").fetchall()[0][0]
            assert rows == 0, mart
