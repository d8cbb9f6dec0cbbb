"""The project installed as a package in a user's dbt project, on Postgres,
built by ``retention build``: the CLV fit finds the package's relations from
the user's project, a failing model of the user's skips only what depends on
it, and the marts equal a standalone DuckDB build of the same raw data.

Runs only when ``RETENTION_ENGINE`` is ``postgres`` (``make test-postgres``,
which starts a private cluster; the test creates a database of its own in
it). The user's project is ``integration_tests/`` (docs/package.md) with a
Postgres output in its profile and three models added to it:
``broken_report`` (fails: division by zero), ``after_broken`` (reads it and
the package's ``customer_value_predictions``: one dbt build would skip it)
and ``clv_report`` (reads only ``customer_value_predictions``: built after
the fit). The first ``retention build`` must exit 1 and still fit; the
second, with ``broken_report`` and ``after_broken`` removed, is a daily
(incremental) run that exits 0.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from support.dbt import DBT, DBT_TIMEOUT_SECONDS, dbt_output_tail, run_dbt_build
from support.package_project import (
    RAW_TABLES,
    USER_RAW_SCHEMA,
    USER_TABLE_NAMES,
    copy_user_project,
)

from retention.engine_marts import FIT_TOLERANCES, MART_KEYS
from retention.reference.compare import compare_frames

ENGINE = os.environ.get("RETENTION_ENGINE", "")
CUSTOMERS = 300
DATABASE = "retention_package"
MARTS_SCHEMA = "retention_marts"

pytestmark = pytest.mark.skipif(
    ENGINE != "postgres", reason="set RETENTION_ENGINE=postgres (make test-postgres)"
)

PROFILE = """\
retention_integration_tests:
  target: prod
  outputs:
    prod:
      type: postgres
      host: "{{ env_var('RETENTION_PG_HOST') }}"
      port: "{{ env_var('RETENTION_PG_PORT') | int }}"
      user: "{{ env_var('RETENTION_PG_USER') }}"
      password: "{{ env_var('RETENTION_PG_PASSWORD', '') }}"
      dbname: "{{ env_var('RETENTION_PG_DBNAME') }}"
      schema: main
      search_path: main
      threads: 2
"""
USER_MODELS = {
    "broken_report": "select 1 / (count(*) - count(*)) as ratio\nfrom {{ ref('customers') }}\n",
    "after_broken": (
        "select count(*) as customers\n"
        "from {{ ref('broken_report') }}\n"
        "cross join {{ ref('retention', 'customer_value_predictions') }}\n"
    ),
    "clv_report": (
        "select count(*) as customers\nfrom {{ ref('retention', 'customer_value_predictions') }}\n"
    ),
}


def _pg(dbname: str) -> Any:
    """A connection to ``dbname`` of the cluster the RETENTION_PG_* vars name."""
    import psycopg2

    from retention.raw.load import postgres_dsn

    return psycopg2.connect(postgres_dsn(), dbname=dbname)


def _query(sql: str) -> tuple[list[str], list[tuple]]:
    with _pg(DATABASE) as con, con.cursor() as cur:
        cur.execute(sql)
        return [d[0] for d in cur.description], cur.fetchall()


def _params_if_built() -> tuple[list[str], list[tuple]] | None:
    """clv_model_params, or None when no build has created it yet."""
    import psycopg2

    try:
        return _query(f"select * from {MARTS_SCHEMA}.clv_model_params")
    except psycopg2.errors.UndefinedTable:
        return None


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "RETENTION_PG_DBNAME": DATABASE,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def _run(command: list[str], cwd: Path) -> tuple[int, str]:
    done = subprocess.run(
        command, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=DBT_TIMEOUT_SECONDS
    )
    return done.returncode, done.stdout + done.stderr


def _retention_build(project: Path, timings: Path) -> tuple[int, str, list[dict[str, Any]]]:
    command = [sys.executable, "-m", "retention", "build", "--project-dir", str(project)]
    command += ["--profiles-dir", str(project / "profiles"), "--timings", str(timings)]
    code, output = _run(command, project)
    steps = json.loads(timings.read_text()) if timings.is_file() else []
    return code, output, steps


@pytest.fixture(scope="module")
def package_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from retention.demo.generate import generate
    from retention.raw.load import load

    work = tmp_path_factory.mktemp("package_postgres")
    raw_dir = work / "raw"
    generate(raw_dir, customers=CUSTOMERS, progress=False)

    duckdb_path = work / "standalone.duckdb"
    load(raw_dir, duckdb_path, progress=False)
    code, output = run_dbt_build(duckdb_path, {}, work)
    assert code == 0, f"the standalone DuckDB build failed:\n{dbt_output_tail(output)}"

    server = _pg(os.environ.get("RETENTION_PG_DBNAME", "retention"))
    server.autocommit = True  # create database runs outside a transaction
    with server.cursor() as cur:
        cur.execute(f"drop database if exists {DATABASE}")
        cur.execute(f"create database {DATABASE}")
    server.close()
    load_cmd = [sys.executable, "-m", "retention", "-q", "load", "--engine", "postgres"]
    code, output = _run(load_cmd + ["--source", str(raw_dir), "--no-progress"], work)
    assert code == 0, f"loading raw data into Postgres failed:\n{output[-4000:]}"
    with _pg(DATABASE) as con, con.cursor() as cur:
        cur.execute(f"create schema {USER_RAW_SCHEMA}")
        for table in RAW_TABLES:
            cur.execute(f"alter table raw.{table} set schema {USER_RAW_SCHEMA}")
            cur.execute(
                f"alter table {USER_RAW_SCHEMA}.{table} rename to {USER_TABLE_NAMES[table]}"
            )
        cur.execute("drop schema raw cascade")

    project = copy_user_project(work / "user_project")
    (project / "profiles" / "profiles.yml").write_text(PROFILE)
    for name, sql in USER_MODELS.items():
        (project / "models" / "marts" / f"{name}.sql").write_text(sql)
    code, output = _run([str(DBT), "deps", "--profiles-dir", str(project / "profiles")], project)
    assert code == 0, f"dbt deps failed:\n{output[-4000:]}"

    first = _retention_build(project, work / "first.json")
    first_params = _params_if_built()
    for name in ("broken_report", "after_broken"):
        (project / "models" / "marts" / f"{name}.sql").unlink()
    second = _retention_build(project, work / "second.json")
    return {"duckdb": duckdb_path, "first": first, "first_params": first_params, "second": second}


# the steps of `retention build` with a fit step, in order (its --timings file)
STEP_NAMES = ("dbt parse", "dbt build", "clv fit", "dbt build after the fit")


def _steps(build: tuple[int, str, list[dict[str, Any]]]) -> list[tuple[str, int]]:
    return [(step["name"], step["returncode"]) for step in build[2]]


def test_a_failing_user_model_skips_only_what_depends_on_it(package_builds: dict[str, Any]):
    code, output, _ = package_builds["first"]
    assert code == 1, f"retention build exited {code}:\n{dbt_output_tail(output)}"
    assert _steps(package_builds["first"]) == list(zip(STEP_NAMES, (0, 1, 0, 0), strict=True))
    assert "fqn:retention_integration_tests.marts.broken_report+" in output
    assert package_builds["first_params"] is not None, "the first build fitted nothing"
    columns, rows = package_builds["first_params"]
    statuses = {row[columns.index("fit_status")] for row in rows}
    assert statuses == {"converged"}, f"the first build's fit: {statuses}"


def test_the_build_after_the_fit_builds_the_users_models_of_the_predictions(
    package_builds: dict[str, Any],
):
    """clv_report (downstream of the predictions only) is built; after_broken
    (downstream of the failed model too) is not, as one dbt build skips it."""
    _, tables = _query(
        "select table_name from information_schema.tables where table_schema = 'marts'"
    )
    names = {row[0] for row in tables}
    assert "clv_report" in names and "after_broken" not in names, names
    _, count = _query("select customers from marts.clv_report")
    _, predictions = _query(f"select count(*) from {MARTS_SCHEMA}.customer_value_predictions")
    assert count[0][0] == predictions[0][0] > 0


def test_the_daily_build_in_package_mode_succeeds(package_builds: dict[str, Any]):
    code, output, _ = package_builds["second"]
    assert code == 0, f"retention build exited {code}:\n{dbt_output_tail(output)}"
    assert _steps(package_builds["second"]) == list(zip(STEP_NAMES, (0, 0, 0, 0), strict=True))


def test_the_fit_read_the_packages_relations(package_builds: dict[str, Any]):
    """The BG/NBD fit counts the customers of the package's rfm_summary."""
    _, fitted = _query(
        f"select value from {MARTS_SCHEMA}.clv_model_params "
        "where model = 'bg_nbd' and parameter = 'customers'"
    )
    _, summary = _query(f"select count(*) from {MARTS_SCHEMA}.rfm_summary")
    assert fitted[0][0] == summary[0][0] > 0


@pytest.mark.parametrize("mart", list(MART_KEYS))
def test_package_mart_on_postgres_equals_standalone_duckdb(
    package_builds: dict[str, Any], mart: str
):
    with duckdb.connect(str(package_builds["duckdb"]), read_only=True) as con:
        cur = con.execute(f"select * from marts.{mart}")
        duck = pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description], dtype=object)
    columns, rows = _query(f"select * from {MARTS_SCHEMA}.{mart}")
    engine = pd.DataFrame(rows, columns=columns, dtype=object)
    assert len(duck), f"marts.{mart} is empty on DuckDB: the comparison would prove nothing"
    assert list(duck.columns) == list(engine.columns)
    problems = compare_frames(
        duck,
        engine,
        MART_KEYS[mart],
        labels=("duckdb standalone", "postgres package"),
        tolerances=FIT_TOLERANCES.get(mart),
    )
    assert not problems, "\n".join(problems)
