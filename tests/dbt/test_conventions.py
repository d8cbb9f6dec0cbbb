"""Project conventions over target/manifest.json.

dbt-bouncer (dbt-bouncer.yml, `make conventions`) checks descriptions,
uniqueness tests, names and layer lineage. These tests check what it cannot
express (a single-column primary key is also not_null) and that its
configuration really catches a broken convention. The project's generic
tests are its own (macros/generic_tests/): dbt's unique and not_null are
is_unique and is_not_null there (test_metadata.name in the manifest).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support.dbt import REPO, run_dbt

BOUNCER = Path(sys.executable).with_name("dbt-bouncer")
# Keys that may be NULL, with the reason.
UNIQUE_TEST = "is_unique"
NOT_NULL_TEST = "is_not_null"
NULLABLE_KEYS = {
    "int_as_of_date.as_of_date": "one-row model; NULL while the raw tables are empty",
}


@pytest.fixture(scope="module")
def manifest_dir(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("conventions") / "target"
    code, output = run_dbt("parse", target.parent / "parse.duckdb", {}, target.parent)
    assert code == 0, output[-3000:]
    return target


def bouncer(artifacts: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    config = yaml.safe_load((REPO / "dbt-bouncer.yml").read_text())
    config["dbt_artifacts_dir"] = str(artifacts)
    config_file = tmp_path / "dbt-bouncer.yml"
    config_file.write_text(yaml.safe_dump(config))
    return subprocess.run(
        [str(BOUNCER), "--config-file", str(config_file)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_single_column_primary_keys_are_also_not_null(manifest_dir: Path) -> None:
    manifest = json.loads((manifest_dir / "manifest.json").read_text())
    tests: dict[tuple[str, str], set[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or not node.get("test_metadata"):
            continue
        column = node.get("column_name")
        model = node.get("attached_node")
        if column and model:
            tests.setdefault((model, column), set()).add(node["test_metadata"]["name"])
    assert any(UNIQUE_TEST in names for names in tests.values()), "no is_unique test found"
    unique_without_not_null = sorted(
        f"{model.split('.')[-1]}.{column}"
        for (model, column), names in tests.items()
        if UNIQUE_TEST in names
        and NOT_NULL_TEST not in names
        and f"{model.split('.')[-1]}.{column}" not in NULLABLE_KEYS
    )
    assert not unique_without_not_null, (
        f"primary keys tested unique but not not_null: {unique_without_not_null}"
    )


def test_dbt_bouncer_passes_on_the_project(manifest_dir: Path, tmp_path: Path) -> None:
    done = bouncer(manifest_dir, tmp_path)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_dbt_bouncer_catches_broken_conventions(manifest_dir: Path, tmp_path: Path) -> None:
    """A manifest with a misnamed staging model, an intermediate model that
    reads a mart and a mart that reads a source must fail, naming each."""
    broken = tmp_path / "broken"
    broken.mkdir()
    manifest = json.loads((manifest_dir / "manifest.json").read_text())
    nodes = manifest["nodes"]
    staging = nodes["model.retention.stg_orders"]
    staging["name"] = "orders_clean"
    nodes["model.retention.int_purchases"]["depends_on"]["nodes"].append(
        "model.retention.retention_kpis"
    )
    source_id = next(iter(manifest["sources"]))
    nodes["model.retention.churn"]["depends_on"]["nodes"].append(source_id)
    nodes["model.retention.customers"]["description"] = ""
    (broken / "manifest.json").write_text(json.dumps(manifest))

    done = bouncer(broken, tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output[-3000:]
    for expected in (
        "check_model_names",
        "check_lineage_permitted_upstream_models",
        "check_lineage_source_cannot_be_used",
        "check_model_description_populated",
    ):
        assert expected in output, f"{expected} did not fire:\n{output[-3000:]}"
