"""`dbt source freshness` on the demo shop: thresholds come from vars, the
status of each raw table follows them, and a future-dated (absurd) row does not
make a stale table look fresh."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import pytest
from support.dbt import DBT, REPO

from retention.demo.generate import generate
from retention.raw.load import load

TABLES = ("customers", "orders", "events", "marketing_spend")
# The newest row of each table by the timestamp the source config uses, computed
# here independently of models/staging/_sources.yml.
NEWEST_SQL = {
    "customers": "select max(coalesce(updated_at, signed_up_at)) from raw.customers",
    "orders": "select max(coalesce(updated_at, ordered_at)) from raw.orders",
    "events": "select max(occurred_at) from raw.events where occurred_at < timestamp '2100-01-01'",
    "marketing_spend": "select max(cast(spend_date as timestamp)) from raw.marketing_spend",
}


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw_dir = tmp_path_factory.mktemp("freshness_raw")
    generate(raw_dir, customers=300, progress=False)
    path = tmp_path_factory.mktemp("freshness_db") / "warehouse.duckdb"
    load(raw_dir, path, progress=False)
    with duckdb.connect(str(path)) as connection:
        # An absurd future event: freshness must ignore it.
        connection.execute(
            "insert into raw.events (event_id, customer_id, event_name, occurred_at)"
            " values ('FUTURE', 'C000000001', 'page_view', timestamp '2199-01-01')"
        )
    return path


def freshness(database: Path, work: Path, vars: dict[str, Any]) -> tuple[int, str, dict]:
    command = [
        str(DBT), "source", "freshness",
        "--project-dir", str(REPO), "--profiles-dir", str(REPO / "profiles"),
        "--target", "duckdb", "--vars", json.dumps(vars),
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
    ]  # fmt: skip
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "RETENTION_DUCKDB_PATH": str(database), "RETENTION_TARGET": "duckdb"}
    done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=600)
    sources_json = work / "target" / "sources.json"
    results = json.loads(sources_json.read_text()) if sources_json.exists() else {}
    return done.returncode, done.stdout + done.stderr, results


def statuses(results: dict) -> dict[str, str]:
    return {r["unique_id"].split(".")[-1]: r["status"] for r in results["results"]}


def ages_in_hours(database: Path) -> dict[str, float]:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with duckdb.connect(str(database), read_only=True) as connection:
        return {
            t: (now - connection.execute(sql).fetchone()[0]).total_seconds() / 3600
            for t, sql in NEWEST_SQL.items()
        }


def test_freshness_reports_each_table_with_its_newest_plausible_row(
    database: Path, tmp_path: Path
) -> None:
    ages = ages_in_hours(database)
    oldest = int(max(ages.values())) + 1000
    code, output, results = freshness(
        database,
        tmp_path,
        {"freshness_warn_after_hours": oldest, "freshness_error_after_hours": oldest + 1},
    )
    assert code == 0, output[-3000:]
    assert statuses(results) == dict.fromkeys(TABLES, "pass")
    for result in results["results"]:
        table = result["unique_id"].split(".")[-1]
        assert result["criteria"]["warn_after"] == {"count": oldest, "period": "hour"}
        # dbt's age of the newest row agrees with ours (within 10 minutes of runtime)
        assert abs(result["max_loaded_at_time_ago_in_s"] / 3600 - ages[table]) < 1 / 6, table


def test_stale_tables_warn_then_error(database: Path, tmp_path: Path) -> None:
    ages = ages_in_hours(database)
    # Warn after 1 hour, error only long after the stalest table: every table warns.
    youngest = min(ages.values())
    assert youngest > 2, "the demo data is expected to end in the past"
    code, output, results = freshness(
        database,
        tmp_path / "warn",
        {
            "freshness_warn_after_hours": 1,
            "freshness_error_after_hours": int(max(ages.values())) + 1000,
        },
    )
    assert code == 0, output[-3000:]
    assert statuses(results) == dict.fromkeys(TABLES, "warn")
    code, output, results = freshness(
        database,
        tmp_path / "error",
        {"freshness_warn_after_hours": 1, "freshness_error_after_hours": 2},
    )
    assert code == 1, output[-3000:]
    assert statuses(results) == dict.fromkeys(TABLES, "error")


def test_invalid_thresholds_stop_with_a_message(database: Path, tmp_path: Path) -> None:
    code, output, _ = freshness(
        database,
        tmp_path,
        {"freshness_warn_after_hours": 100, "freshness_error_after_hours": 10},
    )
    assert code != 0
    assert "Invalid value for var 'freshness_warn_after_hours': 100." in output
    code, output, _ = freshness(database, tmp_path / "b", {"freshness_error_after_hours": "soon"})
    assert code != 0
    assert "Invalid value for var 'freshness_error_after_hours': soon." in output
