"""`dbt docs generate --static` writes a docs site that opens from a file.

Generates the static site for the shared demo build (conftest.py), opens it
in headless Chromium, checks that the page rendered every mart and the
dashboard exposure, and saves screenshots to artifacts/screenshots/.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from support.browser import SCREENSHOTS, dump_dom, screenshot
from support.dbt import DBT, REPO

TIMEOUT_SECONDS = 900


@pytest.fixture(scope="module")
def docs_site(dbt_build, tmp_path_factory) -> tuple[Path, dict]:
    build = dbt_build("demo", {})
    assert build.ok, f"{build.describe()} failed:\n{build.tail()}"
    target = tmp_path_factory.mktemp("docs") / "target"
    done = subprocess.run(
        [str(DBT), "docs", "generate", "--static", "--target-path", str(target)],
        cwd=REPO,
        env={
            **os.environ,
            "RETENTION_DUCKDB_PATH": str(build.database_path),
            "DBT_PROFILES_DIR": str(REPO / "profiles"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        },
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    site = target / "static_index.html"
    assert site.exists(), f"no {site}"
    manifest = json.loads((target / "manifest.json").read_text())
    return site, manifest


def rendered(dom: str) -> str:
    """The DOM without script bodies (the static site inlines the manifest as
    JSON, so names found there prove nothing about what the page rendered)."""
    return re.sub(r"<script.*?</script>", "", dom, flags=re.S)


def mart_ids(manifest: dict) -> list[str]:
    return sorted(
        node_id
        for node_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
        and node["original_file_path"].startswith("models/marts/")
    )


def test_docs_site_renders_every_mart_and_the_dashboard_exposure(docs_site) -> None:
    site, manifest = docs_site
    marts = mart_ids(manifest)
    assert len(marts) >= 10, marts
    page = rendered(dump_dom(site.as_uri()))
    assert "menu-node" in page, "the docs app did not render its navigation tree"
    missing = [m for m in marts if f'data-nav-unique-id="{m}"' not in page]
    assert not missing, f"marts not shown in the docs navigation: {missing}"
    assert 'data-nav-unique-id="exposure.retention.retention_dashboard"' in page


def test_docs_model_page_shows_description_and_columns(docs_site) -> None:
    site, manifest = docs_site
    node = manifest["nodes"]["model.retention.cohort_retention"]
    url = f"{site.as_uri()}#!/model/{node['unique_id']}"
    page = rendered(dump_dom(url))
    first_words = " ".join(node["description"].split()[:4])
    assert first_words in page, f"description {first_words!r} not rendered"
    for column in ("retention_rate", "rolling_retention_rate", "cohort_size"):
        assert column in page, f"column {column} not rendered"
    shot = screenshot(url, SCREENSHOTS / "docs_cohort_retention.png", 1400, 1000)
    assert shot.stat().st_size > 20_000, "screenshot looks empty"


def test_docs_exposure_page_lists_the_marts_the_dashboard_reads(docs_site) -> None:
    site, _ = docs_site
    url = f"{site.as_uri()}#!/exposure/exposure.retention.retention_dashboard"
    page = rendered(dump_dom(url))
    for mart in ("cohort_retention", "churn", "channel_economics", "retention_scorecard"):
        assert mart in page
    shot = screenshot(url, SCREENSHOTS / "docs_dashboard_exposure.png", 1400, 1000)
    assert shot.stat().st_size > 20_000, "screenshot looks empty"
