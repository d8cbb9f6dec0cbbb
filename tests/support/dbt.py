"""Running dbt from the tests: the project folder, the dbt executable, one
``dbt`` invocation on a throw-away DuckDB file with its own target and log
paths, and the :class:`DbtBuild` record the ``dbt_build`` fixture returns."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from retention.contract import RAW_TABLES
from retention.paths import project_dir

REPO = project_dir()
# dbt of the environment the tests run in (make venv: .venv/bin/dbt).
DBT = Path(sys.executable).with_name("dbt")
DEMO_CUSTOMERS = 1500
DBT_TIMEOUT_SECONDS = 1200
OUTPUT_TAIL_LINES = 60
# ``create table raw.<table> (<RAW_DDL[table]>)``: the contract's columns and types.
RAW_DDL = {
    table: ", ".join(f"{column.name} {column.sql_type}" for column in columns)
    for table, columns in RAW_TABLES.items()
}


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


def vars_key(vars: dict[str, Any]) -> str:
    return json.dumps(vars, sort_keys=True)


def dbt_command(
    subcommand: str,
    target: str,
    vars: dict[str, Any],
    work_dir: Path,
    project_dir: Path = REPO,
    extra_args: tuple[str, ...] = (),
) -> list[str]:
    """``dbt <subcommand>`` on ``target`` with ``--vars`` and its own target and
    log paths under ``work_dir``."""
    return [
        str(DBT),
        subcommand,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(REPO / "profiles"),
        "--target",
        target,
        "--vars",
        json.dumps(vars),
        "--target-path",
        str(work_dir / "target"),
        "--log-path",
        str(work_dir / "logs"),
        *extra_args,
    ]


def create_empty_raw_tables(database_path: Path) -> None:
    """The raw tables of the contract (RAW_TABLES), empty, in a new DuckDB file."""
    import duckdb

    with duckdb.connect(str(database_path)) as connection:
        connection.execute("create schema raw")
        for table, columns in RAW_DDL.items():
            connection.execute(f"create table raw.{table} ({columns})")


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
    command = dbt_command(subcommand, "duckdb", vars, work_dir, project_dir, extra_args)
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
