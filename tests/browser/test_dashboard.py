"""`python -m retention dashboard` writes a self-contained HTML dashboard.

Builds it from the shared demo build's marts (conftest.py), checks that it
needs no network, renders it in headless Chromium (every chart drawn, the
scorecard filled in) and saves a screenshot to artifacts/screenshots/.

The Segments section: one figure set per dimension of the segment marts,
numbers equal to pooled sums computed here from the marts with pandas, a
picker that switches the dimension in Chromium (screenshot
dashboard_segments.png), and a dashboard without the segment marts (an older
warehouse) that leaves the section out with a note.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from support.browser import SCREENSHOTS, dump_dom, screenshot
from support.dbt import REPO, run_dbt

from retention.reference.compare import compare_frames
from retention.serve.dashboard import (
    MARTS_EXPERIMENTS,
    MARTS_OPTIONAL,
    MARTS_READ,
    SEGMENT_MIN_COHORT_CUSTOMERS,
    SEGMENT_TOP_VALUES,
)

CHART_TITLES = (
    "Cohort retention",
    "Rolling retention",
    "Cohort LTV",
    "Monthly churn and customer retention rate",
    "LTV / CAC by acquisition channel",
    "Time between purchases",
)


def write_dashboard(database: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "retention",
            "dashboard",
            "--database",
            str(database),
            "--out",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def demo_database(dbt_build) -> Path:
    build = dbt_build("demo", {})
    assert build.ok, f"{build.describe()} failed:\n{build.tail()}"
    return build.database_path


@pytest.fixture(scope="module")
def dashboard(demo_database: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dashboard") / "retention_dashboard.html"
    done = write_dashboard(demo_database, out)
    assert done.returncode == 0, done.stderr
    return out


def test_dashboard_is_one_file_that_needs_no_network(dashboard: Path) -> None:
    text = dashboard.read_text()
    assert "Plotly" in text, "plotly.js should be inlined"
    external = re.findall(r"<(?:script|link)[^>]+(?:src|href)=['\"]?https?://", text)
    assert not external, f"the dashboard loads from the network: {external[:3]}"


def test_dashboard_renders_every_chart_and_the_scorecard(dashboard: Path) -> None:
    dom = re.sub(r"<script.*?</script>", "", dump_dom(dashboard.as_uri()), flags=re.S)
    drawn = dom.count('class="main-svg"')
    assert drawn >= len(CHART_TITLES), f"only {drawn} plotly SVGs were drawn"
    for title in CHART_TITLES:
        assert title in dom, f"chart {title!r} missing"
    for kpi in ("repeat_rate_180d", "monthly_churn_rate", "ltv_to_cac_12m", "nrr_12m"):
        assert f'<td class="kpi">{kpi}</td>' in dom, f"scorecard row {kpi} missing"
    assert "no data" not in dom.split("scorecard", 1)[1].split("</table>", 1)[0], (
        "the demo data should fill every scorecard value"
    )
    only = tmp_path / "experiments.html"
    only.write_text(
        page.replace(
            "</body>",
            "<style>.cards, main > .grid > .panel:not(#experiments) { display: none; }</style>"
            "</body>",
        )
    )
    shot = screenshot(only.as_uri(), SCREENSHOTS / "dashboard_experiments.png", 1500, 1150)
    assert shot.stat().st_size > 30_000, "screenshot looks empty"


def test_dashboard_without_experiment_marts_has_no_experiments_section(
    demo_database: Path, tmp_path: Path
) -> None:
    without = tmp_path / "without.duckdb"
    shutil.copy(demo_database, without)
    with duckdb.connect(str(without)) as con:
        for name in MARTS_EXPERIMENTS:
            con.execute(f"drop table marts.{name}")
    out = tmp_path / "dashboard.html"
    done = write_dashboard(without, out)
    assert done.returncode == 0, done.stderr
    page = out.read_text()
    assert "id='experiments'" not in page and not experiment_figures(page)
    assert "Benchmark scorecard" in page
