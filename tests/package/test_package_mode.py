"""The project installed as a package in a user's dbt project builds the same
marts as a standalone build, and leaves the user's own models alone.

``integration_tests/`` is that user's project (docs/package.md): it installs
this repository through ``packages.yml`` (``local: ../``), has models of its
own named ``stg_orders``, ``customers``, ``churn`` and
``metricflow_time_spine``, its own production-style ``generate_schema_name``,
and keeps the raw tables in ``shop_raw`` under names of its own
(``shop_orders``, ... mapped with the ``<table>_identifier`` vars). The test copies it into a
temporary folder (``local:`` then names this repository by its absolute
path), loads the demo data into ``shop_raw`` of a fresh DuckDB file, runs
``dbt deps`` + ``dbt build`` with the user's prod target, and a standalone
build of the same data, then compares.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest
from support.dbt import REPO, dbt_output_tail, run_dbt_build
from support.package_project import (
    PACKAGE,
    UserProject,
    copy_user_project,
    move_raw_tables,
    package_marts,
    read,
)

from retention.reference.compare import compare_frames

CUSTOMERS = 800
PYTHON_MODELS = {
    "int_clv_settings",
    "int_clv_model_fit",
    "int_clv_customer_predictions",
    "clv_model_params",
    "customer_value_predictions",
}
# The user's models named like the package's: (schema, rows) in the prod target.
USER_MODELS = {
    "stg_orders": ("main", 1),
    "customers": ("marts", 1),
    "churn": ("marts", 1),
    "metricflow_time_spine": ("main", 3),
}


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from retention.demo.generate import generate
    from retention.raw.load import load

    work = tmp_path_factory.mktemp("package_mode")
    raw_dir = work / "raw"
    generate(raw_dir, customers=CUSTOMERS, progress=False)

    standalone_db = work / "standalone.duckdb"
    load(raw_dir, standalone_db, progress=False)
    standalone_dir = work / "standalone"
    standalone_dir.mkdir()
    standalone_code, standalone_output = run_dbt_build(standalone_db, {}, standalone_dir)

    package_db = work / "package.duckdb"
    load(raw_dir, package_db, progress=False)
    move_raw_tables(package_db)
    user = UserProject(copy_user_project(work / "user_project"), package_db)
    deps_code, deps_output = user.dbt("deps")
    started = time.monotonic()
    build_code, build_output = user.dbt("build") if deps_code == 0 else (deps_code, "")
    seconds = time.monotonic() - started
    if build_code == 0:
        nodes = len(user.manifest()["nodes"])
        print(f"[package] {work.name}: {nodes} nodes, dbt build {seconds:.0f} s")
    return {
        "standalone_db": standalone_db,
        "standalone": (standalone_code, standalone_output),
        "user": user,
        "deps": (deps_code, deps_output),
        "build": (build_code, build_output),
        "build_seconds": seconds,
        "work": work,
    }


def test_standalone_and_package_builds_pass(builds) -> None:
    code, output = builds["standalone"]
    assert code == 0, "standalone build failed:\n" + dbt_output_tail(output)
    code, output = builds["deps"]
    assert code == 0, "dbt deps (local package) failed:\n" + output[-3000:]
    code, output = builds["build"]
    assert code == 0, "dbt build of integration_tests failed:\n" + dbt_output_tail(output)
    assert "Completed successfully" in output


def test_every_package_mart_equals_the_standalone_mart(builds) -> None:
    assert builds["build"][0] == 0 and builds["standalone"][0] == 0, "a build failed"
    user = builds["user"]
    marts = package_marts(user.package_models())
    names = {node["name"] for node in marts}
    # Every mart of the contract, the predictive ones included (python_models
    # is true in integration_tests/dbt_project.yml).
    expected = {"customers", "churn", "cohort_retention", "retention_scorecard"}
    expected |= {"clv_model_params", "customer_value_predictions"}
    assert not expected - names, sorted(expected - names)
    problems = []
    for node in marts:
        assert node["schema"] == "retention_marts", (node["name"], node["schema"])
        package = read(user.database_path, node["schema"], node["name"])
        standalone = read(builds["standalone_db"], "marts", node["name"])
        assert len(standalone) > 0, f"marts.{node['name']} is empty"
        differences = compare_frames(package, standalone, None, labels=("package", "standalone"))
        problems += [f"{node['name']}: {line}" for line in differences[:5]]
    assert not problems, "\n".join(problems)


def test_the_users_own_models_stay_the_users(builds) -> None:
    assert builds["build"][0] == 0, "the package build failed"
    user = builds["user"]
    manifest = user.manifest()
    models = {
        (node["package_name"], node["name"]): node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }
    for name, (schema, rows) in USER_MODELS.items():
        node = models[("retention_integration_tests", name)]
        assert node["schema"] == schema, (name, node["schema"])
        frame = read(user.database_path, schema, name)
        assert len(frame) == rows and set(frame["owned_by"]) == {"user"}, (name, frame)
    # The user's own generic tests (dbt's unique and not_null) read the
    # user's model and run through dbt's own test macros: nothing of the
    # package replaces them (its tests have names of their own, is_unique,
    # is_not_null, ..., macros/generic_tests/).
    user_tests = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test" and node["package_name"] == "retention_integration_tests"
    ]
    assert sorted(node["test_metadata"]["name"] for node in user_tests) == ["not_null", "unique"]
    for node in user_tests:
        assert node["depends_on"]["nodes"] == ["model.retention_integration_tests.customers"], node[
            "unique_id"
        ]
        macros = node["depends_on"]["macros"]
        core_macro = f"macro.dbt.test_{node['test_metadata']['name']}"
        assert core_macro in macros, (node["unique_id"], macros)
        package_macros = [m for m in macros if m.startswith(f"macro.{PACKAGE}.")]
        assert not package_macros, (node["unique_id"], package_macros)
    # The package's namesakes: in the package's own schemas, with its data.
    for name, schema in {
        "stg_orders": "retention_staging",
        "customers": "retention_marts",
        "churn": "retention_marts",
    }.items():
        node = models[(PACKAGE, name)]
        assert node["schema"] == schema, (name, node["schema"])
        frame = read(user.database_path, schema, name)
        assert "owned_by" not in frame.columns and len(frame) > 1, name
    spine = models[(PACKAGE, "retention_time_spine")]
    assert len(read(user.database_path, spine["schema"], "retention_time_spine")) == 40000
    # Every package relation is in a retention_* schema or the spine's.
    schemas = {node["schema"] for (package, _), node in models.items() if package == PACKAGE}
    assert schemas == {
        "retention_staging",
        "retention_intermediate",
        "retention_marts",
        spine["schema"],
    }, schemas


def test_package_nodes_depend_only_on_package_nodes_and_sources(builds) -> None:
    assert builds["deps"][0] == 0, "dbt deps failed"
    manifest = builds["user"].manifest()
    resources = {
        **manifest["nodes"],
        **manifest["exposures"],
        **manifest["semantic_models"],
        **manifest["metrics"],
        **manifest.get("unit_tests", {}),
    }
    foreign = [
        f"{unique_id} -> {dependency}"
        for unique_id, node in resources.items()
        if node["package_name"] == PACKAGE
        for dependency in node.get("depends_on", {}).get("nodes", [])
        if dependency.split(".")[1] != PACKAGE
    ]
    assert not foreign, "\n".join(foreign)
    # And the build log has no warning of a package node read a root node.
    assert "depends on the root project node" not in builds["build"][1]


def test_python_models_false_in_the_users_vars_turns_them_off(builds, tmp_path: Path) -> None:
    """python_models: false set where a user sets vars (their dbt_project.yml,
    scoped to the package) disables the five predictive CLV models."""
    folder = copy_user_project(tmp_path / "user_project", "    python_models: false\n")
    user = UserProject(folder, tmp_path / "unused.duckdb")
    code, output = user.dbt("deps")
    assert code == 0, output[-3000:]
    code, output = user.dbt("parse", "--no-partial-parse")
    assert code == 0, output[-3000:]
    manifest = user.manifest()
    enabled = {
        node["name"] for node in manifest["nodes"].values() if node["package_name"] == PACKAGE
    }
    disabled = {
        node["name"]
        for versions in manifest["disabled"].values()
        for node in versions
        if node["package_name"] == PACKAGE
    }
    assert not PYTHON_MODELS - disabled, sorted(PYTHON_MODELS - disabled)
    assert not PYTHON_MODELS & enabled, sorted(PYTHON_MODELS & enabled)
    assert "customers" in enabled and "churn" in enabled


# Publishing and the dashboard from the package's marts (docs/package.md,
# "Publishing and the dashboard in your project"), on the build above: the
# user's prod target puts them in retention_marts, and the user's own
# customers and churn sit in `marts`, the default --schema.
PACKAGE_MARTS_SCHEMA = "retention_marts"


def retention_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m retention <args>``, run from ``cwd`` as a user would (the
    package imported from this checkout, whatever the installed one is)."""
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "retention", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": path, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def publication(builds, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``retention publish --schema retention_marts`` run in the user's
    project folder: run_results.json and manifest.json come from its target/."""
    assert builds["build"][0] == 0, "the package build failed"
    user = builds["user"]
    out = tmp_path_factory.mktemp("package_publication") / "published"
    done = retention_cli(
        "publish",
        "--database",
        str(user.database_path),
        "--schema",
        PACKAGE_MARTS_SCHEMA,
        "--out",
        str(out),
        cwd=user.folder,
    )
    assert done.returncode == 0, done.stderr
    return out


def test_publish_copies_exactly_the_package_marts(builds, publication: Path) -> None:
    user = builds["user"]
    marts = sorted(node["name"] for node in package_marts(user.package_models()))
    with duckdb.connect(str(publication / "retention.duckdb"), read_only=True) as con:
        con.execute(f"attach '{user.database_path}' as wh (read_only)")
        published = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables"
                " where table_catalog = 'retention' and table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        assert published == marts
        differing = {
            mart: con.execute(
                f"select count(*) from ((from wh.{PACKAGE_MARTS_SCHEMA}.{mart}"
                f" except all from marts.{mart}) union all (from marts.{mart}"
                f" except all from wh.{PACKAGE_MARTS_SCHEMA}.{mart}))"
            ).fetchone()[0]
            for mart in marts
        }
        assert not {mart: n for mart, n in differing.items() if n}, differing
        # The package's customers, not the user's one-row marts.customers.
        assert con.execute("select count(*) from marts.customers").fetchone()[0] > 1
        source = con.execute("select source_schemas from meta.publication").fetchone()[0]
        assert source == PACKAGE_MARTS_SCHEMA


def test_publish_finds_the_package_marts_in_the_manifest(
    builds, publication: Path, tmp_path: Path
) -> None:
    """--schema-from-manifest publishes the same marts of the same build."""
    user = builds["user"]
    out = tmp_path / "published"
    done = retention_cli(
        "publish",
        "--database",
        str(user.database_path),
        "--schema-from-manifest",
        "--no-parquet",
        "--out",
        str(out),
        cwd=user.folder,
    )
    assert done.returncode == 0, done.stderr
    first, second = (
        json.loads((folder / "publication.json").read_text()) for folder in (publication, out)
    )
    assert second["build_id"] == first["build_id"]
    assert second["source_schemas"] == PACKAGE_MARTS_SCHEMA
    assert second["tables"] == first["tables"]


def test_publish_with_the_default_schema_names_the_schema_of_the_package_marts(
    builds, tmp_path: Path
) -> None:
    """The default --schema marts holds the user's own customers and churn,
    none of the package's marts: refused, naming the option and
    retention_marts, with no traceback."""
    assert builds["build"][0] == 0, "the package build failed"
    user = builds["user"]
    done = retention_cli(
        "publish",
        "--database",
        str(user.database_path),
        "--out",
        str(tmp_path / "published"),
        cwd=user.folder,
    )
    assert done.returncode == 2, done.stderr
    assert "--schema marts" in done.stderr, done.stderr
    assert f"it built them in {PACKAGE_MARTS_SCHEMA}" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert not (tmp_path / "published" / "retention.duckdb").exists()


def test_publish_ignores_a_failed_user_model_but_not_a_failed_package_node(
    builds, tmp_path: Path
) -> None:
    """The build's own run_results.json with statuses edited: the user's
    customers model failed (its tests skipped), which no mart depends on, is
    logged and published; a failed package model is refused."""
    assert builds["build"][0] == 0, "the package build failed"
    user = builds["user"]
    results = json.loads((user.folder / "target" / "run_results.json").read_text())
    user_customers = "model.retention_integration_tests.customers"
    package_mart = f"model.{PACKAGE}.cohort_retention"
    ids = {result["unique_id"] for result in results["results"]}
    assert {user_customers, package_mart} <= ids

    def publish_with(name: str, statuses: dict[str, str]) -> subprocess.CompletedProcess[str]:
        edited = json.loads(json.dumps(results))
        for result in edited["results"]:
            result["status"] = statuses.get(result["unique_id"], result["status"])
        target = tmp_path / name / "target"
        target.mkdir(parents=True)
        shutil.copy2(user.folder / "target" / "manifest.json", target / "manifest.json")
        (target / "run_results.json").write_text(json.dumps(edited))
        return retention_cli(
            "publish",
            "--database",
            str(user.database_path),
            "--project-dir",
            str(user.folder),
            "--target-path",
            str(target),
            "--schema",
            PACKAGE_MARTS_SCHEMA,
            "--no-parquet",
            "--out",
            str(tmp_path / name / "published"),
            cwd=tmp_path,
        )

    user_tests = {uid for uid in ids if uid.startswith("test.retention_integration_tests.")}
    assert user_tests, sorted(ids)[:20]
    done = publish_with(
        "user_failed", {user_customers: "error", **dict.fromkeys(user_tests, "skipped")}
    )
    assert done.returncode == 0, done.stderr
    assert "outside the retention package" in done.stderr, done.stderr
    assert user_customers in done.stderr, done.stderr
    assert (tmp_path / "user_failed" / "published" / "retention.duckdb").exists()

    done = publish_with("package_failed", {package_mart: "error"})
    assert done.returncode == 2, done.stderr
    assert f"{package_mart}: error" in done.stderr, done.stderr
    assert "published marts stay as they were" in done.stderr, done.stderr
    assert not (tmp_path / "package_failed" / "published" / "retention.duckdb").exists()


def test_dashboard_renders_the_package_marts(builds, publication: Path, tmp_path: Path) -> None:
    """From the publication (schema marts) and from the user's warehouse with
    --schema retention_marts: the same headline figures, those of the
    package's marts; the default schema of the warehouse is refused, naming
    retention_marts."""
    from retention.serve.dashboard import headline, read_marts

    user = builds["user"]
    _, cards = headline(read_marts(user.database_path, PACKAGE_MARTS_SCHEMA))
    for name, database, schema_args in (
        ("published", publication / "retention.duckdb", ()),
        ("warehouse", user.database_path, ("--schema", PACKAGE_MARTS_SCHEMA)),
    ):
        out = tmp_path / f"{name}.html"
        done = retention_cli(
            "dashboard",
            "--database",
            str(database),
            *schema_args,
            "--out",
            str(out),
            cwd=user.folder,
        )
        assert done.returncode == 0, done.stderr
        text = out.read_text()
        assert cards in text, name
        assert "Plotly" in text and "Cohort retention" in text, name
    assert f"(schema {PACKAGE_MARTS_SCHEMA})" in (tmp_path / "warehouse.html").read_text()
    done = retention_cli(
        "dashboard",
        "--database",
        str(user.database_path),
        "--out",
        str(tmp_path / "refused.html"),
        cwd=user.folder,
    )
    assert done.returncode == 2, done.stderr
    assert "--schema marts" in done.stderr, done.stderr
    assert f"pass --schema {PACKAGE_MARTS_SCHEMA}" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr, done.stderr


def test_daily_build_tests_the_touched_rows_in_package_mode(builds) -> None:
    """A daily build in the user's project (no new data): the package's
    incremental models remember their run windows and the package's data
    tests on them read only those rows (macros/touched_rows.sql works without
    an override of dbt's get_where_subquery), and pass; the user's own
    stg_orders, named like the package's, is not mistaken for it."""
    assert builds["build"][0] == 0, "the package build failed"
    user = builds["user"]
    code, output = user.dbt(
        "build", "--select", "+int_triaged_rows_by_day", "stg_orders__quarantine",
        "--exclude-resource-type", "unit_test",
    )
    assert code == 0, dbt_output_tail(output)
    results = json.loads((user.folder / "target" / "run_results.json").read_text())["results"]
    touched = {
        tuple(result["unique_id"].split(".")[1:3]): result["status"]
        for result in results
        if result["unique_id"].startswith("test.")
        and "touched_rows" in (result.get("compiled_code") or "")
    }
    assert set(touched.values()) == {"pass"}, touched
    for name in ("is_unique_stg_orders_order_id", "is_unique_int_purchases_order_id",
                 "is_not_null_stg_events_event_id"):
        assert (PACKAGE, name) in touched, sorted(touched)
    assert {package for package, _ in touched} == {PACKAGE}, sorted(touched)
