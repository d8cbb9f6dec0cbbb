"""`python -m retention dashboard` writes a self-contained HTML dashboard.

Builds it from the shared demo build's marts (conftest.py), checks that it
needs no network, renders it in headless Chromium (every chart drawn, the
scorecard filled in) and saves a screenshot to artifacts/screenshots/.

The Segments section: one figure set per dimension of the segment marts,
numbers equal to pooled sums computed here from the marts with pandas, a
picker that switches the dimension in Chromium (screenshot
dashboard_segments.png), and a dashboard without the segment marts (an older
warehouse) that leaves the section out with a note.

The signup conversion panel: its curves equal pooled sums computed here from
the signup_conversion mart with pandas (screenshot
dashboard_signup_conversion.png); without the mart the panel is a note.

The lifecycle flow panel: the stage x stage matrix of the last complete
month equals the lifecycle_flows rows of that month (screenshot
dashboard_lifecycle_flow.png).
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
    MARTS_OPTIONAL,
    MARTS_READ,
    SEGMENT_MARTS,
    SEGMENT_MIN_COHORT_CUSTOMERS,
    SEGMENT_TOP_VALUES,
    SIGNUP_CURVE_MONTHS,
)

CHART_TITLES = (
    "Cohort retention",
    "Rolling retention",
    "Cohort LTV",
    "Monthly churn and customer retention rate",
    "LTV / CAC by acquisition channel",
    "Time between purchases",
    "Signup conversion",
    "Lifecycle flow",
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
        f"model.retention.{name}" for name in (*MARTS_READ, *MARTS_OPTIONAL)
    )


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


def test_dashboard_without_segment_marts_leaves_the_section_out_with_a_note(
    demo_database: Path, tmp_path: Path
) -> None:
    older = tmp_path / "older.duckdb"
    shutil.copy(demo_database, older)
    with duckdb.connect(str(older)) as con:
        for name in MARTS_OPTIONAL:
            con.execute(f"drop table marts.{name}")
    out = tmp_path / "dashboard.html"
    done = write_dashboard(older, out)
    assert done.returncode == 0, done.stderr
    page = out.read_text()
    assert "Not drawn: the marts lack " + ", ".join(SEGMENT_MARTS) in page
    assert "<select id='segment-picker'" not in page and not plotly_figures(page)
    assert "Not drawn: the marts lack signup_conversion" in page
    assert 'id="signup-conversion"' not in page
    assert "Cohort retention" in page and "Benchmark scorecard" in page


# --- Signup conversion -----------------------------------------------------


def figure_traces(page: str, div_id: str) -> list[dict]:
    """The traces of the ``Plotly.newPlot`` call of the figure ``div_id``."""
    match = re.search(rf'Plotly\.newPlot\(\s*"{re.escape(div_id)}",\s*', page)
    assert match, f"no figure {div_id}"
    return json.JSONDecoder().raw_decode(page, match.end())[0]


def test_signup_conversion_curves_are_pooled_sums_of_the_mart(
    dashboard: Path, demo_database: Path
) -> None:
    """One curve per latest signup month: sum(converted) / sum(eligible) over
    the month's signup weeks at each N where all its signups are eligible;
    and every week pooled over the eligible customers."""
    with duckdb.connect(str(demo_database), read_only=True) as con:
        mart = con.sql("select * from marts.signup_conversion").df()
    mart["month"] = pd.to_datetime(mart.signup_week).dt.strftime("%Y-%m")
    sums = mart.groupby(["month", "day_n"], as_index=False)[
        ["signups", "eligible_customers", "converted_customers"]
    ].sum()
    months = sorted(sums.month.unique())[-SIGNUP_CURVE_MONTHS:]
    complete = sums[sums.month.isin(months) & (sums.eligible_customers == sums.signups)]
    expected = complete.assign(
        curve="signed up " + complete.month,
        rate=complete.converted_customers / complete.eligible_customers,
    )[["curve", "day_n", "rate"]]
    pooled = mart.groupby("day_n", as_index=False)[
        ["converted_customers", "eligible_customers"]
    ].sum()
    pooled = pooled[pooled.eligible_customers > 0]
    expected = pd.concat(
        [
            expected,
            pooled.assign(
                curve="all signup weeks (pooled)",
                rate=pooled.converted_customers / pooled.eligible_customers,
            )[["curve", "day_n", "rate"]],
        ],
        ignore_index=True,
    )

    traces = figure_traces(dashboard.read_text(), "signup-conversion")
    drawn = pd.DataFrame(
        [
            {"curve": trace["name"], "day_n": x, "rate": y}
            for trace in traces
            for x, y in zip(trace["x"], trace["y"], strict=True)
        ]
    )
    differences = compare_frames(drawn, expected, ["curve", "day_n"])
    assert not differences, differences
    # The demo has months of signups with every day N reached, and a
    # latest month whose longest N are not reached yet.
    assert len({t["name"] for t in traces}) >= 4
    assert drawn.rate.min() > 0 and drawn.rate.max() <= 1
    assert len(complete[complete.month == months[0]]) > len(complete[complete.month == months[-1]])


def test_signup_conversion_panel_is_drawn_in_chromium(dashboard: Path, tmp_path: Path) -> None:
    page = tmp_path / "signup.html"
    page.write_text(
        dashboard.read_text().replace(
            "</body>",
            "<style>.cards, #segments, main > .grid > .panel:not(#signup-conversion-panel)"
            " { display: none; }</style></body>",
        )
    )
    dom = dump_dom(page.as_uri())
    panel = dom.split('id="signup-conversion-panel"', 1)[1]
    assert panel.count('class="main-svg"') >= 1, "signup conversion figure not drawn"
    assert "Signup conversion" in panel
    shot = screenshot(page.as_uri(), SCREENSHOTS / "dashboard_signup_conversion.png", 1500, 700)
    assert shot.stat().st_size > 30_000, "screenshot looks empty"


# --- Lifecycle flow ----------------------------------------------------------


def titled_figure(page: str, title_start: str) -> tuple[list[dict], dict]:
    """(traces, layout) of the one ``Plotly.newPlot`` whose title starts so."""
    decoder = json.JSONDecoder()
    found = []
    for match in re.finditer(r'Plotly\.newPlot\(\s*"[^"]+",\s*', page):
        traces, end = decoder.raw_decode(page, match.end())
        layout, _ = decoder.raw_decode(page, re.match(r",\s*", page[end:]).end() + end)
        if layout.get("title", {}).get("text", "").startswith(title_start):
            found.append((traces, layout))
    assert len(found) == 1, f"{len(found)} figures titled {title_start!r}"
    return found[0]


def test_lifecycle_flow_matrix_is_the_last_complete_month_of_the_mart(
    dashboard: Path, demo_database: Path, tmp_path: Path
) -> None:
    with duckdb.connect(str(demo_database), read_only=True) as con:
        flows = con.sql("select * from marts.lifecycle_flows").df()
    flows["snapshot_date"] = pd.to_datetime(flows.snapshot_date)
    month = flows.snapshot_date[flows.snapshot_date.dt.is_month_end].max()
    rows = flows[flows.snapshot_date == month]
    (heatmap,), layout = titled_figure(dashboard.read_text(), "Lifecycle flow")
    assert month.strftime("%B %Y") in layout["title"]["text"]
    from_stages = ["none", "new", "active", "champion", "at_risk", "churned", "reactivated"]
    assert heatmap["x"] == from_stages[1:]
    assert [label.split(" ")[0] for label in heatmap["y"]] == from_stages
    drawn = {
        (from_stage, to_stage): count
        for from_stage, counts in zip(from_stages, heatmap["customdata"], strict=True)
        for to_stage, count in zip(heatmap["x"], counts, strict=True)
        if count
    }
    expected = {(r.from_stage, r.to_stage): int(r.customers) for r in rows.itertuples()}
    assert drawn == expected
    # Colour = share of the row: each stage's customers of the previous month end.
    for from_stage, shares in zip(from_stages, heatmap["z"], strict=True):
        total = rows[rows.from_stage == from_stage].customers.sum()
        if total:
            assert abs(sum(shares) - 1) < 1e-9, from_stage
    page = tmp_path / "lifecycle.html"
    page.write_text(
        dashboard.read_text().replace(
            "</body>",
            "<style>.cards, #segments { display: none; }</style>"
            "<script>document.querySelectorAll('main .panel').forEach(function (panel) {"
            " if (panel.textContent.indexOf('Lifecycle flow') < 0) {"
            " panel.style.display = 'none'; } });</script></body>",
        )
    )
    dom = dump_dom(page.as_uri())
    assert "Lifecycle flow: customers moving between stages" in dom
    shot = screenshot(page.as_uri(), SCREENSHOTS / "dashboard_lifecycle_flow.png", 1500, 700)
    assert shot.stat().st_size > 20_000, "screenshot looks empty"
