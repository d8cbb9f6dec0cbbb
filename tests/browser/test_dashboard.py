"""`python -m retention dashboard` writes a self-contained HTML dashboard.

Builds it from the shared demo build's marts (conftest.py), checks that it
needs no network, renders it in headless Chromium (every chart drawn, the
scorecard filled in) and saves a screenshot to artifacts/screenshots/.

The "Activation drivers" panel: the lift bars equal the mart's rows whose
two groups are large enough, largest lift on top, each with its did-share.

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
    DRIVERS_MIN_GROUP_CUSTOMERS,
    DRIVERS_SHOWN,
    MARTS_OPTIONAL,
    MARTS_OPTIONAL_PANELS,
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
    "Activation drivers",
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
        f"model.retention.{name}" for name in (*MARTS_READ, *MARTS_OPTIONAL, *MARTS_OPTIONAL_PANELS)
    )


# --- Activation drivers ----------------------------------------------------


def plotly_figure_titled(page: str, title: str) -> tuple[list[dict], dict]:
    """(traces, layout) of the one figure whose layout title starts with ``title``."""
    decoder = json.JSONDecoder()
    found = []
    for match in re.finditer(r'Plotly\.newPlot\(\s*"[^"]+",\s*', page):
        traces, end = decoder.raw_decode(page, match.end())
        end = re.compile(r"\s*,\s*").match(page, end).end()
        layout, _ = decoder.raw_decode(page, end)
        if layout.get("title", {}).get("text", "").startswith(title):
            found.append((traces, layout))
    assert len(found) == 1, f"{len(found)} figures titled {title!r}"
    return found[0]


def test_activation_drivers_panel_shows_the_marts_lifts(
    dashboard: Path, demo_database: Path
) -> None:
    with duckdb.connect(str(demo_database), read_only=True) as con:
        drivers = con.sql("select * from marts.activation_drivers").df()
    large = drivers[
        (drivers.did_customers >= DRIVERS_MIN_GROUP_CUSTOMERS)
        & (drivers.customers - drivers.did_customers >= DRIVERS_MIN_GROUP_CUSTOMERS)
        & drivers.retention_lift.notna()
    ]
    expected = large.sort_values(["retention_lift", "event_name"]).tail(DRIVERS_SHOWN)
    assert len(expected) >= 5, "the demo should have several comparable early actions"
    assert "sign_up" not in set(expected.event_name), "everyone signs up: too few did not"
    (bars,), _ = plotly_figure_titled(dashboard.read_text(), "Activation drivers")
    assert bars["y"] == expected.event_name.tolist()
    drawn = pd.DataFrame({"event_name": bars["y"], "retention_lift": bars["x"]})
    assert not compare_frames(drawn, expected[["event_name", "retention_lift"]], ["event_name"])
    for text, share in zip(bars["text"], expected.did_share, strict=True):
        assert f"({share:.0%} did it)" in text, text
    top = expected.iloc[-1]
    assert top.retention_lift > 1.5 and top.p_value < 0.05, top


# --- Segments --------------------------------------------------------------


@pytest.fixture(scope="module")
def segment_marts(demo_database: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(demo_database), read_only=True) as con:
        return {name: con.sql(f"select * from marts.{name}").df() for name in MARTS_OPTIONAL}


def plotly_figures(page: str) -> dict[str, list[dict]]:
    """div id -> the traces of each ``Plotly.newPlot`` call of a segment figure."""
    decoder = json.JSONDecoder()
    return {
        match.group(1): decoder.raw_decode(page, match.end())[0]
        for match in re.finditer(r'Plotly\.newPlot\(\s*"(segment-[^"]+)",\s*', page)
    }


def shown_values(marts: dict[str, pd.DataFrame], segment: str) -> tuple[list[str], list[str]]:
    """(the largest values by customers, the rest): customers counted from
    ltv_by_segment (one row per cohort and value), ties by value."""
    ltv = marts["ltv_by_segment"]
    sizes = ltv[ltv.segment == segment].groupby("segment_value").customers.sum()
    order = sorted(sizes.index, key=lambda value: (-int(sizes[value]), value))
    return order[:SEGMENT_TOP_VALUES], order[SEGMENT_TOP_VALUES:]


def expected_retention(marts: dict[str, pd.DataFrame], segment: str, shown: list[str]):
    cohorts = marts["cohort_retention_by_segment"]
    rows = cohorts[
        (cohorts.segment == segment)
        & (cohorts.is_complete_period == True)  # noqa: E712 (a nullable boolean)
        & cohorts.segment_value.isin(shown)
    ]
    sums = rows.groupby(["segment_value", "period_number"], as_index=False).agg(
        active=("active_customers", "sum"), size=("cohort_size", "sum")
    )
    sums = sums[(sums["size"] >= SEGMENT_MIN_COHORT_CUSTOMERS) | (sums.period_number == 0)]
    sums["rate"] = sums.active / sums["size"]
    return sums[["segment_value", "period_number", "rate"]]


def expected_churn(marts: dict[str, pd.DataFrame], segment: str, shown: list[str]):
    churn = marts["churn_by_segment"]
    rows = churn[
        (churn.segment == segment)
        & (churn.is_complete_period == True)  # noqa: E712
        & churn.segment_value.isin(shown)
    ]
    sums = rows.groupby("segment_value", as_index=False)[
        ["churned_customers", "customers_start"]
    ].sum()
    sums["rate"] = sums.churned_customers / sums.customers_start
    return sums[["segment_value", "rate"]]


def expected_ltv(marts: dict[str, pd.DataFrame], segment: str, shown: list[str]):
    ltv = marts["ltv_by_segment"]
    rows = ltv[(ltv.segment == segment) & ltv.ltv_12m.notna() & ltv.segment_value.isin(shown)]
    rows = rows.assign(margin=rows.ltv_12m * rows.customers)
    sums = rows.groupby("segment_value", as_index=False)[["margin", "customers"]].sum()
    sums["rate"] = sums.margin / sums.customers
    return sums[["segment_value", "rate"]]


def test_segment_section_has_one_figure_set_per_dimension_of_the_marts(
    dashboard: Path, segment_marts: dict[str, pd.DataFrame]
) -> None:
    page = dashboard.read_text()
    dimensions = sorted(segment_marts["cohort_retention_by_segment"].segment.unique())
    assert len(dimensions) >= 3, f"the demo build should segment by 3 dimensions: {dimensions}"
    picker = re.search(r"<select id='segment-picker'>(.*?)</select>", page, flags=re.S)
    assert picker, "no segment picker"
    assert re.findall(r"<option value='([^']+)'", picker.group(1)) == dimensions
    blocks = re.findall(r"class='segment-block' id='segment-[^']+' data-segment='([^']+)'", page)
    assert blocks == dimensions
    figures = plotly_figures(page)
    kinds = ("retention", "churn", "ltv")
    assert sorted(figures) == sorted(
        f"segment-{segment}-{kind}" for segment in dimensions for kind in kinds
    )


def test_segment_figures_show_pooled_sums_of_the_marts(
    dashboard: Path, segment_marts: dict[str, pd.DataFrame]
) -> None:
    page = dashboard.read_text()
    figures = plotly_figures(page)
    left_out_somewhere = False
    for segment in sorted(segment_marts["ltv_by_segment"].segment.unique()):
        shown, rest = shown_values(segment_marts, segment)
        curves = figures[f"segment-{segment}-retention"]
        assert [trace["name"] for trace in curves] == shown, segment
        drawn = pd.DataFrame(
            [
                {"segment_value": trace["name"], "period_number": x, "rate": y}
                for trace in curves
                for x, y in zip(trace["x"], trace["y"], strict=True)
            ]
        )
        expected = expected_retention(segment_marts, segment, shown)
        assert not compare_frames(drawn, expected, ["segment_value", "period_number"]), (
            segment,
            compare_frames(drawn, expected, ["segment_value", "period_number"]),
        )
        for kind, expect in (("churn", expected_churn), ("ltv", expected_ltv)):
            (bars,) = figures[f"segment-{segment}-{kind}"]
            assert bars["x"] == shown, (segment, kind)
            drawn = pd.DataFrame({"segment_value": bars["x"], "rate": bars["y"]})
            expected = expect(segment_marts, segment, shown)
            differences = compare_frames(drawn, expected, ["segment_value"])
            assert not differences, (segment, kind, differences)
        if rest:
            left_out_somewhere = True
            note = re.search(
                rf"<p class='segment-note'>{re.escape(segment)}: (.*?)</p>", page
            ).group(1)
            assert f"largest of {len(shown) + len(rest)} values" in note, note
            for value in rest:
                assert f"{value} (" in note, (value, note)
    assert left_out_somewhere, "the demo data should have a dimension with more values than drawn"


def test_segment_picker_switches_the_dimension_in_chromium(
    dashboard: Path, segment_marts: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    """Picking a dimension shows its figures only; the screenshot shows the
    section (the other panels hidden) with country_code picked."""
    dimensions = sorted(segment_marts["cohort_retention_by_segment"].segment.unique())
    picked = "country_code" if "country_code" in dimensions else dimensions[-1]
    assert picked != dimensions[0], "the picker should start on the first dimension"
    page = tmp_path / "segments.html"
    page.write_text(
        dashboard.read_text().replace(
            "</body>",
            "<style>.cards, main > .grid > .panel:not(#segments) { display: none; }</style>"
            "<script>window.addEventListener('load', function () {"
            " var picker = document.getElementById('segment-picker');"
            f" picker.value = '{picked}';"
            " picker.dispatchEvent(new Event('change')); });</script></body>",
        )
    )
    for url, shown in ((dashboard.as_uri(), dimensions[0]), (page.as_uri(), picked)):
        dom = dump_dom(url)
        blocks = re.findall(
            r'<div class="segment-block" id="[^"]+" data-segment="([^"]+)"( style="[^"]*")?', dom
        )
        assert sorted(name for name, _ in blocks) == dimensions, blocks
        for name, style in blocks:
            assert ("display: none" in style) == (name != shown), (url, name, style)
        section = dom.split(f'data-segment="{shown}"', 1)[1].split('class="segment-block"', 1)[0]
        assert section.count('class="main-svg"') >= 3, f"{shown}: figures not drawn"
    shot = screenshot(page.as_uri(), SCREENSHOTS / "dashboard_segments.png", 1500, 1250)
    assert shot.stat().st_size > 50_000, "screenshot looks empty"


def test_dashboard_without_optional_marts_leaves_them_out_with_a_note(
    demo_database: Path, tmp_path: Path
) -> None:
    older = tmp_path / "older.duckdb"
    shutil.copy(demo_database, older)
    with duckdb.connect(str(older)) as con:
        for name in (*MARTS_OPTIONAL, *MARTS_OPTIONAL_PANELS):
            con.execute(f"drop table marts.{name}")
    out = tmp_path / "dashboard.html"
    done = write_dashboard(older, out)
    assert done.returncode == 0, done.stderr
    page = out.read_text()
    assert "Not drawn: the marts lack " + ", ".join(MARTS_OPTIONAL) in page
    assert "<select id='segment-picker'" not in page and not plotly_figures(page)
    assert "Cohort retention" in page and "Benchmark scorecard" in page
    assert "Not drawn: the marts lack activation_drivers" in page
