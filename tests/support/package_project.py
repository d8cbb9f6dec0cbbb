"""The user's dbt project of ``integration_tests/`` in a temporary folder:
copy it with the vars of one configuration, prepare its raw data, run dbt
in it, read its relations (docs/package.md, tests/package/)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from support.dbt import DBT, DBT_TIMEOUT_SECONDS, REPO

PACKAGE = "retention"
RAW_TABLES = ("customers", "orders", "events", "marketing_spend", "experiment_assignments")
# The user's names of the raw tables (integration_tests/dbt_project.yml).
USER_TABLE_NAMES = {
    "customers": "shop_customers",
    "orders": "shop_orders",
    "events": "app_events",
    "marketing_spend": "ad_spend",
    "experiment_assignments": "ab_assignments",
}
USER_RAW_SCHEMA = "shop_raw"
# The line of integration_tests/dbt_project.yml a configuration's vars replace.
VARS_MARKER = "    python_models: true\n"


class UserProject:
    """A copy of integration_tests/ with its own database."""

    def __init__(self, folder: Path, database_path: Path) -> None:
        self.folder = folder
        self.database_path = database_path

    def dbt(self, *args: str) -> tuple[int, str]:
        env = {
            **os.environ,
            "DBT_PROFILES_DIR": str(self.folder / "profiles"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "INTEGRATION_DUCKDB_PATH": str(self.database_path),
            "INTEGRATION_TARGET": "prod",
        }
        completed = subprocess.run(
            [str(DBT), *args],
            cwd=self.folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=DBT_TIMEOUT_SECONDS,
        )
        return completed.returncode, completed.stdout + completed.stderr

    def manifest(self) -> dict[str, Any]:
        return json.loads((self.folder / "target" / "manifest.json").read_text())

    def package_models(self) -> dict[str, dict[str, Any]]:
        """The package's enabled models by name."""
        return {
            node["name"]: node
            for node in self.manifest()["nodes"].values()
            if node["resource_type"] == "model" and node["package_name"] == PACKAGE
        }

    def disabled_package_nodes(self) -> set[str]:
        return {
            node["name"]
            for versions in self.manifest()["disabled"].values()
            for node in versions
            if node["package_name"] == PACKAGE
        }


def copy_user_project(destination: Path, vars_text: str | None = None) -> Path:
    """integration_tests/ copied to ``destination``, its package pointed at
    this repository; ``vars_text`` (lines of the package's vars, indented
    four spaces) replaces the ``python_models: true`` line."""
    shutil.copytree(
        REPO / "integration_tests",
        destination,
        ignore=shutil.ignore_patterns("target", "dbt_packages", "logs", "package-lock.yml"),
    )
    packages = destination / "packages.yml"
    packages.write_text(packages.read_text().replace("local: ../", f"local: {REPO}"))
    if vars_text is not None:
        project = destination / "dbt_project.yml"
        text = project.read_text()
        assert VARS_MARKER in text
        project.write_text(text.replace(VARS_MARKER, vars_text))
    return destination


def move_raw_tables(
    database_path: Path, tables: tuple[str, ...] = RAW_TABLES, schema: str = USER_RAW_SCHEMA
) -> None:
    """raw.<table> moved to <schema>.<the user's name of it>; the tables not
    in ``tables`` are dropped (a user who has none)."""
    with duckdb.connect(str(database_path)) as con:
        con.execute(f"create schema if not exists {schema}")
        for table in tables:
            con.execute(
                f"create table {schema}.{USER_TABLE_NAMES[table]} as select * from raw.{table}"
            )
        con.execute("drop schema raw cascade")


def empty_raw_tables(database_path: Path, tables: tuple[str, ...]) -> None:
    """The raw tables named emptied in place (columns kept)."""
    with duckdb.connect(str(database_path)) as con:
        for table in tables:
            con.execute(f"delete from raw.{table}")


def read(database_path: Path, schema: str, name: str) -> pd.DataFrame:
    with duckdb.connect(str(database_path), read_only=True) as con:
        return con.execute(f'select * from "{schema}"."{name}"').df()


def package_marts(models: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The package's mart models (models/marts/), sorted by name."""
    return sorted(
        (
            node
            for node in models.values()
            if node["original_file_path"].startswith("models/marts/")
        ),
        key=lambda node: node["name"],
    )
