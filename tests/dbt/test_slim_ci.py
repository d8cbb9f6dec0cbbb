"""The pull-request slim build of .github/workflows/ci.yml works.

Production = the shared demo build (conftest.py): its manifest and its
warehouse. A copy of the project with one mart changed then runs the CI
command `dbt build --select state:modified+ --defer --state <production>`:
it must pass and build exactly the changed mart and its children, reading
every unchanged parent from production.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from support.dbt import DBT, REPO

# dbt_packages: integration_tests/dbt_packages/retention links back to the
# repository.
IGNORE = shutil.ignore_patterns(
    ".venv", ".git", "data", "target", "logs", "artifacts", "__pycache__", ".*_cache",
    "dbt_packages",
)


def _dbt(args: list[str], project: Path, database: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DBT), *args, "--project-dir", str(project), "--profiles-dir", str(REPO / "profiles")],
        cwd=project,
        env={
            **os.environ,
            "RETENTION_DUCKDB_PATH": str(database),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        },
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_slim_build_builds_only_the_changed_mart_and_its_children(dbt_build, tmp_path) -> None:
    production = dbt_build("demo", {})
    assert production.ok, f"{production.describe()} failed:\n{production.tail()}"
    state = tmp_path / "production-state"
    parsed = _dbt(["parse", "--quiet", "--target-path", str(state)], REPO, production.database_path)
    assert parsed.returncode == 0, parsed.stdout + parsed.stderr

    project = tmp_path / "pull-request"
    shutil.copytree(REPO, project, ignore=IGNORE)
    churn_sql = project / "models" / "marts" / "churn" / "churn.sql"
    churn_sql.write_text("{# changed in a pull request #}\n" + churn_sql.read_text())
    (project / "data").mkdir()
    database = project / "data" / "warehouse.duckdb"
    shutil.copy(production.database_path, database)

    done = _dbt(
        [
            "build",
            "--select",
            "state:modified+",
            "--defer",
            "--state",
            str(state),
            "--target-path",
            str(project / "target"),
        ],
        project,
        database,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    built = set(re.findall(r"OK created sql \w+ model \w+\.(\w+)", output))
    assert built == {"churn", "retention_kpis", "retention_scorecard"}, built
    results = json.loads((project / "target" / "run_results.json").read_text())
    ran = {r["unique_id"].split(".")[2] for r in results["results"]}
    assert "stg_orders" not in ran and "int_purchases" not in ran, sorted(ran)
