"""Shared pytest fixtures: dbt builds on throw-away DuckDB files, and the
marker of each test kind (the folder a test lives in: unit, dbt, browser,
engines, package).

``dbt_build(dataset, vars)`` loads a dataset's raw tables into a fresh DuckDB
file, runs ``dbt build`` on it with the given ``--vars`` and returns a
:class:`support.dbt.DbtBuild`. Builds cost 30-60 s each, so they are cached
for the whole session (of each pytest-xdist worker, under ``make pytest``),
keyed by (dataset, vars): every test of the process that asks for the same
pair shares one build. Each build has its own database, target path and log
path, so builds cannot collide.

``make pytest`` runs the tests in worker processes (pytest-xdist, ``--dist
loadfile``): each test file is one unit of work, so a module fixture (a dbt
build) is set up once, and the files that compare marts with the reference
on the shared cases of ``support.marts`` are one unit together
(``pytest_xdist_make_scheduler`` below).

Datasets: ``demo`` (the generator, 1,500 customers, generated once per
session) and ``edge`` (tests/support/edge_cases.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.dbt import (
    DBT,
    DEMO_CUSTOMERS,
    DbtBuild,
    dbt_output_tail,
    run_dbt_build,
    vars_key,
)

KINDS = ("unit", "dbt", "browser", "engines", "package")

# Test files that read the same dbt builds (the cases of support.marts):
# one pytest-xdist work unit, so that one worker builds each case once.
SHARED_BUILD_FILES = frozenset(
    {
        "test_marts_match_reference.py",
        "test_segment_marts_match_reference.py",
        "test_value_marts_match_reference.py",
        "test_rfm_matches_lifetimes.py",
    }
)

# The engine equality tests need Postgres or Spark: make test-postgres and
# make test-spark run them (RETENTION_ENGINE set); plain pytest does not
# collect them.
collect_ignore = [] if os.environ.get("RETENTION_ENGINE") else ["engines"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test with its kind, the folder under tests/ it lives in."""
    for item in items:
        parts = Path(item.fspath).parts
        kind = next((part for part in reversed(parts) if part in KINDS), None)
        if kind is not None:
            item.add_marker(getattr(pytest.mark, kind))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under ``--dist loadfile``: one unit per test file, SHARED_BUILD_FILES
    one unit together. (pytest-xdist's own ``loadgroup`` marks have no
    effect with pytest 9, which no longer lets a plugin rename a test.)"""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SharedBuildsScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            return "shared reference builds" if Path(scope).name in SHARED_BUILD_FILES else scope

    return SharedBuildsScheduling(config, log)


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
    assert DBT.exists(), f"{DBT} is not installed (make venv)"

    from retention.raw.load import load, load_frames
    from retention.reference import read_raw

    builds: dict[tuple[str, str], DbtBuild] = {}

    def build(dataset: str, vars: dict[str, Any]) -> DbtBuild:
        key = (dataset, vars_key(vars))
        if key in builds:
            return builds[key]
        work_dir = tmp_path_factory.mktemp(f"dbt_{dataset}")
        database_path = work_dir / "warehouse.duckdb"
        if dataset == "demo":
            load(request.getfixturevalue("demo_raw_dir"), database_path, progress=False)
        elif dataset == "edge":
            from support.edge_cases import edge_case_raw

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


@pytest.fixture
def built(dbt_build, request: pytest.FixtureRequest):
    """(case, its build) for a ``support.marts.Case``: parametrize indirectly
    with the cases (tests/dbt/test_*marts_match_reference.py)."""
    case = request.param
    return case, dbt_build(case.dataset, case.vars)
