"""A raw table that does not exist, and is not switched off, stops the run
before anything is built with a message naming the table and the vars that
place it or switch it off, not a database error (docs/package.md)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from support.dbt import create_empty_raw_tables, run_dbt


def run_without(tmp_path: Path, tables: str | tuple[str, ...], vars: dict) -> tuple[int, str]:
    database = tmp_path / "missing.duckdb"
    create_empty_raw_tables(database)
    with duckdb.connect(str(database)) as con:
        for table in (tables,) if isinstance(tables, str) else tables:
            con.execute(f"drop table raw.{table}")
    return run_dbt("build", database, vars, tmp_path)


@pytest.mark.parametrize(
    ("table", "switch"),
    [
        ("marketing_spend", "using_marketing_spend: false"),
        ("events", "using_events: false"),
        ("experiment_assignments", "using_experiment_assignments: false"),
    ],
)
def test_a_missing_optional_table_names_the_var_that_switches_it_off(
    tmp_path: Path, table: str, switch: str
) -> None:
    code, output = run_without(tmp_path, table, {})
    flat = " ".join(output.split())
    assert code != 0, flat[-2000:]
    assert f'Raw table "missing"."raw"."{table}" does not exist' in flat, flat[-2000:]
    assert f"{table}_identifier" in flat and switch in flat, flat[-2000:]
    assert "Catalog Error" not in flat and "Traceback" not in flat
    assert "OK created" not in flat


def test_a_missing_required_table_names_where_the_project_looks(tmp_path: Path) -> None:
    code, output = run_without(tmp_path, "orders", {})
    flat = " ".join(output.split())
    assert code != 0, flat[-2000:]
    assert 'Raw table "missing"."raw"."orders" does not exist' in flat, flat[-2000:]
    assert "raw_database / raw_schema and orders_identifier" in flat
    assert "set using_" not in flat
    assert "OK created" not in flat


def test_a_table_switched_off_need_not_exist(tmp_path: Path) -> None:
    """Two optional tables absent and switched off in one build: it passes, and
    the experiment models are not built (docs/experiments.md)."""
    code, output = run_without(
        tmp_path,
        ("marketing_spend", "experiment_assignments"),
        {"using_marketing_spend": False, "using_experiment_assignments": "false"},
    )
    assert code == 0, output[-3000:]
    flat = " ".join(output.split())
    assert "using_marketing_spend is false" in flat
    assert "using_experiment_assignments is false: stg_experiment_assignments" in flat
    with duckdb.connect(str(tmp_path / "missing.duckdb"), read_only=True) as con:
        tables = con.execute("select table_name from information_schema.tables").fetchall()
        built = {row[0] for row in tables}
    assert "customers" in built
    assert not {"experiment_results", "experiment_health", "stg_experiment_assignments"} & built
