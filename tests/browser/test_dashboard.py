"""`python -m retention dashboard` writes a self-contained HTML dashboard.

Builds it from the shared demo build's marts (conftest.py), checks that it
needs no network, renders it in headless Chromium (every chart drawn, the
scorecard filled in) and saves a screenshot to artifacts/screenshots/.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from support.browser import SCREENSHOTS, dump_dom, screenshot
from support.dbt import REPO, run_dbt

from retention.serve.dashboard import MARTS_READ

CHART_TITLES = (
    "Cohort retention",
    "Rolling retention",
    "Cohort LTV",
    "Monthly churn and customer retention rate",
    "LTV / CAC by acquisition channel",
    "Time between purchases",
)


@pytest.fixture(scope="module")
def dashboard(dbt_build, tmp_path_factory) -> Path:
    build = dbt_build("demo", {})
    assert build.ok, f"{build.describe()} failed:\n{build.tail()}"
    out = tmp_path_factory.mktemp("dashboard") / "retention_dashboard.html"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "retention",
            "dashboard",
            "--database",
            str(build.database_path),
            "--out",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
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
    shot = screenshot(dashboard.as_uri(), SCREENSHOTS / "dashboard.png", 1500, 2950)
    assert shot.stat().st_size > 100_000, "screenshot looks empty"


def test_dashboard_exposure_lists_exactly_the_marts_it_reads(tmp_path: Path) -> None:
    target = tmp_path / "target"
    code, output = run_dbt("parse", target.parent / "parse.duckdb", {}, target.parent)
    assert code == 0, output[-3000:]
    manifest = json.loads((target / "manifest.json").read_text())
    exposure = manifest["exposures"]["exposure.retention.retention_dashboard"]
    assert exposure["type"] == "dashboard"
    assert sorted(exposure["depends_on"]["nodes"]) == sorted(
        f"model.retention.{name}" for name in MARTS_READ
    )
