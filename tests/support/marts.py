"""The build cases the reference comparisons share, and reading a built warehouse.

``CASES``: the datasets and vars that tests/dbt/test_marts_match_reference.py
and test_value_marts_match_reference.py build (the ``dbt_build`` fixture
caches each build, so both files share them). ``DEMO_RFM_VARS``: the extra
demo build of the RFM / product-retention vars.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd
import pytest

from retention.paths import seed_path

# The KPI benchmarks seed the reference's scorecard reads (as dbt does).
BENCHMARKS = seed_path("kpi_benchmarks.csv")

@dataclass(frozen=True)
class Case:
    id: str
    dataset: str
    vars_json: str  # hashable; see .vars

    @property
    def vars(self) -> dict[str, Any]:
        return json.loads(self.vars_json)


def _case(case_id: str, dataset: str, **vars: Any) -> Case:
    return Case(case_id, dataset, json.dumps(vars, sort_keys=True))


# Eight builds in all (each ~10-60 s).
CASES = [
    _case("demo-month", "demo"),
    _case("demo-week", "demo", cohort_grain="week"),
    _case("demo-quarter", "demo", cohort_grain="quarter"),
    _case(
        "demo-month-ny-window30",
        "demo",
        churn_window_days=30,
        reporting_timezone="America/New_York",
    ),
    _case("edge-month", "edge"),
    # An extra purchase status (C19's 'SHIPPED ' order counts) and a later
    # plausibility window: orders dated before 2023-01-01 UTC (C13's first
    # purchase, O-9012 of 1990) become implausible_ordered_at.
    _case(
        "edge-week-shipped-min2023",
        "edge",
        cohort_grain="week",
        purchase_statuses=["completed", "shipped"],
        min_valid_date="2023-01-01",
    ),
    # An explicit as_of_date before the last orders (staged, never counted).
    _case("edge-month-asof", "edge", as_of_date="2025-01-20"),
    # UTC-5 (POSIX sign): C08's 02:00 UTC purchase moves to the previous quarter,
    # C02's Monday 03:00 UTC signup to the previous ISO week.
    # churn_by_grain at three of its grains only (listed out of order);
    # signup_conversion and activity_retention at other days N (day 0 too).
    _case(
        "edge-quarter-utc-minus-5",
        "edge",
        cohort_grain="quarter",
        reporting_timezone="Etc/GMT+5",
        churn_grains=["half_year", "day", "month"],
        retention_days=[0, 2, 7],
    ),
]

# The second demo build: weeks and an observation end half a year before the
# demo's as_of_date (2026-06-30). The product-retention vars ride along so
# that test_value_marts_match_reference.py checks them on the same build.
DEMO_RFM_VARS: dict[str, Any] = {
    "rfm_time_unit_days": 7,
    "rfm_observation_end": "2025-12-31",
    "retention_days": [2, 3, 28],
    "activation_event": "product_view",
    "activation_window_days": 2,
}


def _find_relation(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> str | None:
    """``schema.table`` as built (exact schema name, else dbt's ``<x>_<schema>``)."""
    rows = connection.execute(
        "select table_schema from information_schema.tables where table_name = ?", [table]
    ).fetchall()
    schemas = [r[0] for r in rows]
    for candidate in [schema] + sorted(s for s in schemas if s.endswith(f"_{schema}")):
        if candidate in schemas:
            return f'"{candidate}"."{table}"'
    return None


def read_relation(build, schema: str, table: str) -> pd.DataFrame:
    """A table of the built warehouse as a DataFrame (decimals stay Decimal)."""
    with duckdb.connect(str(build.database_path), read_only=True) as connection:
        relation = _find_relation(connection, schema, table)
        if relation is None:
            pytest.fail(
                f"{schema}.{table} does not exist after the {build.describe()}"
                f" (exit code {build.returncode}). dbt output tail:\n{build.tail()}"
            )
        return connection.sql(f"select * from {relation}").to_arrow_table().to_pandas()


def count_rows(build, schema: str, table: str, group_by: str | None = None) -> dict[Any, int]:
    with duckdb.connect(str(build.database_path), read_only=True) as connection:
        relation = _find_relation(connection, schema, table)
        if relation is None:
            pytest.fail(
                f"{schema}.{table} does not exist after the {build.describe()}:\n{build.tail()}"
            )
        if group_by is None:
            return {None: connection.execute(f"select count(*) from {relation}").fetchall()[0][0]}
        rows = connection.execute(
            f"select {group_by}, count(*) from {relation} group by 1"
        ).fetchall()
        return {key: int(n) for key, n in rows}


def fail_differs(case: Case, build, what: str, problems: list[str]) -> None:
    """Fail the test: ``what`` of ``case``'s build differs from the reference."""
    message = f"[{case.id}] {what} differs from the reference ({build.describe()}):\n" + "\n".join(
        f"  - {p}" for p in problems
    )
    if not build.ok:
        message += (
            f"\n\n(the full dbt build exited {build.returncode}, see its build test;"
            f" these marts come from the models-only build)\n{build.models_only_note}"
        )
    pytest.fail(message, pytrace=False)
