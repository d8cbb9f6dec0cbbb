"""Shared pytest fixtures: dbt builds on throw-away DuckDB files.

``dbt_build(dataset, vars)`` loads a dataset's raw tables into a fresh DuckDB
file, runs ``dbt build`` on it with the given ``--vars`` and returns a
:class:`DbtBuild`. Builds cost 30-60 s each, so they are cached for the whole
session, keyed by (dataset, vars): every test that asks for the same pair
shares one build. Each build has its own database, target path and log path,
so builds cannot collide.

Datasets: ``demo`` (the generator, 1,500 customers, generated once per
session) and ``edge`` (tests/python/edge_cases.py).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

DBT = REPO / ".venv" / "bin" / "dbt"

# The engine equality test needs Postgres or Spark: make test-postgres and
# make test-spark run it (RETENTION_ENGINE set); plain pytest does not collect it.
collect_ignore = [] if os.environ.get("RETENTION_ENGINE") else ["test_engine_equality.py"]
DEMO_CUSTOMERS = 1500
DBT_TIMEOUT_SECONDS = 1200
OUTPUT_TAIL_LINES = 60


def dbt_project_ready() -> bool:
    """The SQL side exists (it is being written in parallel)."""
    return (REPO / "dbt_project.yml").exists() and (REPO / "models" / "marts").is_dir()


def dbt_output_tail(output: str, lines: int = OUTPUT_TAIL_LINES) -> str:
    """The end of dbt's output: from its error summary ("Completed with N
    errors") when there is one, else the last ``lines`` lines; no ANSI colours.
    """
    text = re.sub(r"\x1b\[[0-9;]*m", "", output).splitlines()
    summary = [i for i, line in enumerate(text) if "Completed with" in line]
    start = summary[-1] if summary else len(text) - lines
    return "\n".join(text[max(start, 0) :][: 3 * lines])


@dataclass
class DbtBuild:
    """One ``dbt build`` on one dataset with one set of vars."""

    dataset: str
    vars: dict[str, Any]
    database_path: Path
    returncode: int
    output: str  # of the full ``dbt build``
    raw: dict[str, pd.DataFrame] = field(repr=False)
    models_only_note: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def tail(self, lines: int = OUTPUT_TAIL_LINES) -> str:
        """The end of dbt's output, for assertion messages."""
        tail = dbt_output_tail(self.output, lines)
        return f"{tail}\n{self.models_only_note}" if self.models_only_note else tail

    def describe(self) -> str:
        return f"dbt build on {self.dataset!r} with --vars {json.dumps(self.vars)}"


def _vars_key(vars: dict[str, Any]) -> str:
    return json.dumps(vars, sort_keys=True)


def run_dbt(
    subcommand: str,
    database_path: Path,
    vars: dict[str, Any],
    work_dir: Path,
    extra_args: tuple[str, ...] = (),
    project_dir: Path = REPO,
) -> tuple[int, str]:
    """Run ``dbt <subcommand>`` against ``database_path`` with its own target
    and log paths under ``work_dir``; return (exit code, output). A test that
    must edit project files (a seed, say) passes a copy as ``project_dir``."""
    command = [
        str(DBT),
        subcommand,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(REPO / "profiles"),
        "--target",
        "duckdb",
        "--vars",
        json.dumps(vars),
        "--target-path",
        str(work_dir / "target"),
        "--log-path",
        str(work_dir / "logs"),
        *extra_args,
    ]
    env = {
        **os.environ,
        "RETENTION_DUCKDB_PATH": str(database_path),
        "RETENTION_TARGET": "duckdb",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    try:
        completed = subprocess.run(
            command,
            cwd=work_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=DBT_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired as error:
        output = (error.stdout or "") if isinstance(error.stdout, str) else ""
        return -1, f"{output}\n[dbt {subcommand} timed out after {DBT_TIMEOUT_SECONDS} s]"
    return completed.returncode, completed.stdout + completed.stderr


def run_dbt_build(
    database_path: Path, vars: dict[str, Any], work_dir: Path, extra_args: tuple[str, ...] = ()
) -> tuple[int, str]:
    """Run ``dbt build`` against ``database_path``; return (exit code, output)."""
    return run_dbt("build", database_path, vars, work_dir, extra_args)


@pytest.fixture(scope="session")
def demo_raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generator's Parquet for the demo dataset, written once per session."""
    from retention.demo.generate import generate

    out = tmp_path_factory.mktemp("demo_raw")
    generate(out, customers=DEMO_CUSTOMERS, progress=False)
    return out


@pytest.fixture(scope="session")
def dbt_build(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Callable[[str, dict[str, Any]], DbtBuild]:
    """``dbt_build(dataset, vars) -> DbtBuild``, cached per (dataset, vars)."""
    if not dbt_project_ready():
        pytest.skip("the dbt project (dbt_project.yml, models/marts) is not there yet")
    if not DBT.exists():
        pytest.skip(f"{DBT} is not installed")

    from retention.raw.load import load, load_frames
    from retention.reference import read_raw

    builds: dict[tuple[str, str], DbtBuild] = {}

    def build(dataset: str, vars: dict[str, Any]) -> DbtBuild:
        key = (dataset, _vars_key(vars))
        if key in builds:
            return builds[key]
        work_dir = tmp_path_factory.mktemp(f"dbt_{dataset}")
        database_path = work_dir / "warehouse.duckdb"
        if dataset == "demo":
            load(request.getfixturevalue("demo_raw_dir"), database_path, progress=False)
        elif dataset == "edge":
            from edge_cases import edge_case_raw

            load_frames(edge_case_raw(), database_path)
        else:
            raise ValueError(f"unknown dataset {dataset!r}")
        # The reference reads the raw tables back, so both sides see exactly
        # the same (contract-typed) input.
        raw = read_raw(database_path)
        returncode, output = run_dbt_build(database_path, vars, work_dir)
        if returncode != 0:
            # A failing dbt test skips every model downstream of it. Build the
            # models alone as well, so the data comparisons can still report
            # what the marts contain (test_dbt_build_succeeds reports the
            # failure of the full build).
            models_code, models_output = run_dbt_build(
                database_path,
                vars,
                work_dir,
                ("--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"),
            )
            models_only_note = (
                f"[the full build failed; a models-only build (tests excluded) exited"
                f" {models_code}:]\n" + dbt_output_tail(models_output, 12)
            )
        else:
            models_only_note = ""
        builds[key] = DbtBuild(
            dataset, dict(vars), database_path, returncode, output, raw, models_only_note
        )
        return builds[key]

    return build
