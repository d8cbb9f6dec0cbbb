"""Where ``retention publish`` and ``retention dashboard`` look for the marts,
without dbt: a wrong ``--schema`` is refused with a message that names the
option and the schemas that do hold the marts; publishing is blocked by the
package's part of a build only (the real builds: tests/dbt/test_publish.py,
tests/package/test_package_mode.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from retention import RetentionError
from retention.serve.publish import Mart, PublishRefused, choose_marts, package_part

PACKAGE_MARTS = [Mart("retention_marts", name) for name in ("churn", "customers")]


def test_publish_refuses_a_schema_without_marts_naming_where_they_are() -> None:
    with pytest.raises(PublishRefused) as refused:
        choose_marts(PACKAGE_MARTS, "marts")
    message = str(refused.value)
    assert message.startswith("--schema marts:"), message
    assert "it built them in retention_marts" in message, message
    assert "Pass --schema retention_marts" in message, message
    assert "--schema-from-manifest" in message, message


def test_publish_takes_the_marts_of_the_schema_or_all_from_the_manifest() -> None:
    elsewhere = Mart("analytics", "cohort_retention")
    assert choose_marts([*PACKAGE_MARTS, elsewhere], "retention_marts") == PACKAGE_MARTS
    assert choose_marts([elsewhere, *PACKAGE_MARTS], None) == [
        PACKAGE_MARTS[0], elsewhere, PACKAGE_MARTS[1]
    ]


def _node(package: str, resource_type: str, *depends_on: str) -> dict[str, object]:
    return {
        "package_name": package,
        "resource_type": resource_type,
        "depends_on": {"nodes": list(depends_on)},
    }


def test_the_package_part_holds_its_nodes_their_parents_and_tests_of_them() -> None:
    """A user's model the marts do not read, and its test, are outside; a
    user's test of a package model is inside."""
    manifest = {
        "nodes": {
            "model.retention.stg_orders": _node("retention", "model"),
            "model.retention.customers": _node(
                "retention", "model", "model.retention.stg_orders"
            ),
            "test.retention.is_unique_customers": _node(
                "retention", "test", "model.retention.customers"
            ),
            "model.shop.orders_report": _node("shop", "model", "model.retention.customers"),
            "test.shop.not_null_orders_report": _node(
                "shop", "test", "model.shop.orders_report"
            ),
            "test.shop.customers_are_recent": _node(
                "shop", "test", "model.retention.customers"
            ),
        },
        "unit_tests": {
            "unit_test.retention.customers.one": _node(
                "retention", "unit_test", "model.retention.customers"
            ),
        },
        "parent_map": {
            "model.retention.customers": ["model.retention.stg_orders"],
            "model.retention.stg_orders": ["source.retention.raw.orders"],
        },
    }
    assert package_part(manifest) == {
        "model.retention.stg_orders",
        "model.retention.customers",
        "test.retention.is_unique_customers",
        "unit_test.retention.customers.one",
        "test.shop.customers_are_recent",
        "source.retention.raw.orders",
    }


@pytest.fixture
def user_warehouse(tmp_path: Path) -> Path:
    """A DuckDB file like a user's: the package's dashboard marts in
    retention_marts (empty tables), the user's own customers and churn in
    marts."""
    from retention.serve.dashboard import MARTS_READ

    database = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("create schema retention_marts")
        con.execute("create schema marts")
        for name in MARTS_READ:
            con.execute(f"create table retention_marts.{name} (id integer)")
        for name in ("customers", "churn"):
            con.execute(f"create table marts.{name} (owned_by varchar)")
    return database


def test_dashboard_refuses_a_schema_without_its_marts(user_warehouse: Path) -> None:
    from retention.serve.dashboard import read_marts

    with pytest.raises(RetentionError) as refused:
        read_marts(user_warehouse, "marts")
    message = str(refused.value)
    assert message.startswith("--schema marts: schema 'marts' lacks the marts"), message
    assert "pass --schema retention_marts" in message, message

    with pytest.raises(RetentionError) as refused:
        read_marts(user_warehouse, "dev_retention_marts")
    message = str(refused.value)
    assert "has no schema 'dev_retention_marts'" in message, message
    assert "pass --schema retention_marts" in message, message


def test_dashboard_cli_reports_the_wrong_schema_without_a_traceback(
    user_warehouse: Path, tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "retention", "dashboard", "--database", str(user_warehouse),
         "--schema", "nope", "--out", str(tmp_path / "dashboard.html")],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "--schema nope" in done.stderr and "retention_marts" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert not (tmp_path / "dashboard.html").exists()
