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

The signup conversion panel: its curves equal pooled sums computed here from
the signup_conversion mart with pandas (screenshot
dashboard_signup_conversion.png); without the mart the panel is a note.

The lifecycle flow panel: the stage x stage matrix of the last complete
month equals the lifecycle_flows rows of that month (screenshot
dashboard_lifecycle_flow.png).

The panels of issue 15 (NPS by month, repurchase by NPS class, CRR with a
grain switch, product retention): each figure's traces hold the numbers
computed here from the marts' counts; the grain buttons switch the traces in
Chromium (screenshot dashboard_nps_grain.png); without their marts (an older
warehouse, or using_events: false) or with empty marts each panel says so
and the rest is drawn.
"""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from support.browser import SCREENSHOTS, dump_dom, screenshot
from support.dbt import REPO, run_dbt

from retention.reference.compare import compare_frames
from retention.serve.dashboard import (
    DRIVERS_MIN_GROUP_CUSTOMERS,
    DRIVERS_SHOWN,
    MARTS_EXPERIMENTS,
    MARTS_OPTIONAL,
    MARTS_READ,
    PRODUCT_MIN_ELIGIBLE,
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
    "Net Promoter Score by response month",
    "Do promoters come back? Repurchase by NPS class",
    "CRR and churn rate by period grain",
    "Product retention: day-N return by signup quarter",
    "Activation drivers",
)
# The panels of issues 15 and 16: panel div id -> the mart it draws.
PANEL_MARTS = {
    "panel-nps": "nps",
    "panel-nps-repurchase": "nps_retention",
    "panel-crr-by-grain": "churn_by_grain",
    "panel-product-retention": "activity_retention",
    "panel-activation-drivers": "activation_drivers",
}


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
    for kpi in ("repeat_rate_180d", "monthly_churn_rate", "ltv_to_cac_12m", "nrr_12m", "nps"):
        assert f'<td class="kpi">{kpi}</td>' in dom, f"scorecard row {kpi} missing"
    nps_row = dom.split('<td class="kpi">nps</td>', 1)[1].split("</tr>", 1)[0]
    assert "no_benchmark" in nps_row and "information only" in nps_row, nps_row
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


def test_dashboard_without_optional_marts_leaves_their_parts_out_with_a_note(
    demo_database: Path, tmp_path: Path
) -> None:
    """An older warehouse without any mart of MARTS_OPTIONAL: the Segments
    section and each panel of issues 15 and 16 say which mart is missing."""
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
    assert not panel_figures(page)
    for panel_id, name in PANEL_MARTS.items():
        note = re.search(rf"<div class='panel[^']*' id='{panel_id}'>(.*?)</div>", page).group(1)
        assert f"Not drawn: the marts lack {name} (" in note, note
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


# --- NPS, repurchase by class, CRR by grain, product retention --------------


@pytest.fixture(scope="module")
def panel_marts(demo_database: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(demo_database), read_only=True) as con:
        return {name: con.sql(f"select * from marts.{name}").df() for name in PANEL_MARTS.values()}


def panel_figures(page: str) -> dict[str, tuple[list[dict], dict]]:
    """panel id -> (traces, layout) of its ``Plotly.newPlot`` call."""
    decoder = json.JSONDecoder()
    figures = {}
    for match in re.finditer(r'Plotly\.newPlot\(\s*"(panel-[^"]+)-figure",\s*', page):
        traces, end = decoder.raw_decode(page, match.end())
        layout_at = re.compile(r",\s*").match(page, end).end()
        figures[match.group(1)] = (traces, decoder.raw_decode(page, layout_at)[0])
    return figures


def trace_values(array: list | dict) -> list:
    """A trace's data array as a list: plotly writes numeric arrays from
    numpy or pandas as typed arrays, ``{"dtype": ..., "bdata": base64}``."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)


def drawn_points(traces: list[dict], key: str) -> pd.DataFrame:
    """One row per point of the traces: the trace name, x as ``key``, y as ``value``."""
    return pd.DataFrame(
        [
            {"name": trace["name"], key: x, "value": y}
            for trace in traces
            for x, y in zip(trace_values(trace["x"]), trace_values(trace["y"]), strict=True)
        ]
    )


def day_text(days: pd.Series) -> pd.Series:
    return pd.to_datetime(days).dt.strftime("%Y-%m-%d")


def test_nps_panel_draws_each_months_score_and_shares(
    dashboard: Path, panel_marts: dict[str, pd.DataFrame]
) -> None:
    """Three traces (the demo's months are all complete): every month of the
    mart, the NPS and shares computed here from its counts."""
    nps = panel_marts["nps"]
    assert nps.is_complete_period.all() and len(nps) >= 24
    traces, _ = panel_figures(dashboard.read_text())["panel-nps"]
    assert [trace["name"] for trace in traces] == ["NPS", "promoter share", "detractor share"]
    drawn = drawn_points(traces, "month")
    respondents = nps.respondents.replace(0, float("nan")).astype(float)
    expected = pd.concat(
        pd.DataFrame({"name": name, "month": day_text(nps.month_start), "value": value})
        for name, value in (
            ("NPS", 100 * (nps.promoters - nps.detractors) / respondents),
            ("promoter share", nps.promoters / respondents),
            ("detractor share", nps.detractors / respondents),
        )
    )
    differences = compare_frames(drawn, expected, ["name", "month"])
    assert not differences, differences
    assert drawn[drawn.name == "NPS"].value.nunique() > 5, "a flat NPS line would hide a bug"


def test_repurchase_panel_pools_eligible_responses_per_class(
    dashboard: Path, panel_marts: dict[str, pd.DataFrame]
) -> None:
    rows = panel_marts["nps_retention"]
    sums = rows.groupby("nps_class")[["repurchased", "eligible_respondents"]].sum()
    assert (rows.eligible_respondents < rows.respondents).any(), "the demo has ineligible months"
    (bars,), _ = panel_figures(dashboard.read_text())["panel-nps-repurchase"]
    assert bars["x"] == ["promoter", "passive", "detractor"]
    expected = [sums.repurchased[name] / sums.eligible_respondents[name] for name in bars["x"]]
    assert trace_values(bars["y"]) == pytest.approx(expected, abs=1e-12)
    assert trace_values(bars["y"])[0] > trace_values(bars["y"])[2], (
        "the demo's promoters buy again more than its detractors"
    )


def test_crr_panel_has_one_trace_group_and_button_per_grain(
    dashboard: Path, panel_marts: dict[str, pd.DataFrame]
) -> None:
    """Buttons for exactly the grains of the mart (month first shown); each
    button shows its grain's traces only; the quarter traces hold (E - N) / S
    and churned / S computed here for the quarters with customers at the
    start."""
    grains = panel_marts["churn_by_grain"]
    order = ["day", "week", "month", "quarter", "half_year", "year"]
    present = [grain for grain in order if grain in set(grains.grain)]
    assert present == order, "the demo build has every grain"
    traces, layout = panel_figures(dashboard.read_text())["panel-crr-by-grain"]
    (menu,) = layout["updatemenus"]
    labels = [button["label"] for button in menu["buttons"]]
    assert labels == [grain.replace("_", " ") for grain in present]
    assert labels[menu["active"]] == "month"
    assert [trace["visible"] for trace in traces] == menu["buttons"][menu["active"]]["args"][0][
        "visible"
    ]
    for label, button in zip(labels, menu["buttons"], strict=True):
        shown = [
            t["name"] for t, on in zip(traces, button["args"][0]["visible"], strict=True) if on
        ]
        assert shown and all(f", {label}" in name for name in shown), (label, shown)
    # The year grain's last period (2026, as_of_date 2026-06-30) is in progress.
    assert any(t["name"] == "CRR (E - N) / S, year (in progress)" for t in traces)

    quarters = grains[(grains.grain == "quarter") & (grains.customers_start > 0)]
    complete = quarters[quarters.is_complete_period]
    start = complete.customers_start.astype(float)
    expected = pd.concat(
        [
            pd.DataFrame(
                {
                    "name": "CRR (E - N) / S, quarter",
                    "period": day_text(complete.period_start),
                    "value": (complete.customers_end - complete.new_customers_active_end) / start,
                }
            ),
            pd.DataFrame(
                {
                    "name": "churn rate, quarter",
                    "period": day_text(complete.period_start),
                    "value": complete.churned_customers / start,
                }
            ),
        ]
    )
    drawn = drawn_points([t for t in traces if t["name"] in set(expected.name)], "period")
    differences = compare_frames(drawn, expected, ["name", "period"])
    assert not differences, differences
    assert len(complete) >= 8


def test_product_retention_panel_pools_cohorts_by_day_n(
    dashboard: Path, panel_marts: dict[str, pd.DataFrame]
) -> None:
    """Both subplots end with the pooled curve sum(retained) / sum(eligible)
    per day N; a signup quarter's "on day N" point equals its own sums and
    has at least PRODUCT_MIN_ELIGIBLE eligible customers."""
    rows = panel_marts["activity_retention"]
    pooled = rows.groupby("day_n")[["retained_on", "retained_on_or_after", "eligible_customers"]]
    pooled = pooled.sum().astype(float)
    traces, _ = panel_figures(dashboard.read_text())["panel-product-retention"]
    by_axis = {axis: [t for t in traces if t.get("xaxis", "x") == axis] for axis in ("x", "x2")}
    for axis, column in (("x", "retained_on"), ("x2", "retained_on_or_after")):
        last = by_axis[axis][-1]
        assert last["name"] == "all cohorts (pooled)"
        assert trace_values(last["x"]) == [int(n) for n in pooled.index]
        assert trace_values(last["y"]) == pytest.approx(
            list(pooled[column] / pooled.eligible_customers), abs=1e-12
        )
    days = pd.to_datetime(rows.signup_week)
    rows = rows.assign(quarter=days.dt.year.astype(str) + "-Q" + days.dt.quarter.astype(str))
    first = sorted(rows.quarter.unique())[0]
    sums = rows[rows.quarter == first].groupby("day_n")[["retained_on", "eligible_customers"]]
    sums = sums.sum()
    sums = sums[sums.eligible_customers >= PRODUCT_MIN_ELIGIBLE]
    (curve,) = [t for t in by_axis["x"] if t["name"] == f"signed up {first}"]
    assert trace_values(curve["x"]) == [int(n) for n in sums.index]
    assert trace_values(curve["y"]) == pytest.approx(
        list(sums.retained_on / sums.eligible_customers), abs=1e-12
    )
    assert len(by_axis["x"]) == len(by_axis["x2"]) == rows.quarter.nunique() + 1


def test_grain_buttons_switch_the_crr_traces_in_chromium(dashboard: Path, tmp_path: Path) -> None:
    """Clicking the "quarter" button shows the quarter traces only; the
    screenshot shows the four panels with the quarter picked."""
    traces, _ = panel_figures(dashboard.read_text())["panel-crr-by-grain"]
    names = [trace["name"] for trace in traces]
    page = tmp_path / "panels.html"
    page.write_text(
        dashboard.read_text().replace(
            "</body>",
            "<style>.cards, main > .grid > .panel:not([id^='panel-']) { display: none; }</style>"
            "<script>window.addEventListener('load', function () { setTimeout(function () {"
            " var gd = document.getElementById('panel-crr-by-grain-figure');"
            " var button = Array.from(gd.querySelectorAll('.updatemenu-button')).find("
            "   function (b) { return b.textContent === 'quarter'; });"
            " button.dispatchEvent(new MouseEvent('click', {bubbles: true}));"
            " setTimeout(function () {"
            "  document.body.setAttribute('data-visible', JSON.stringify("
            "   gd.data.map(function (t) { return t.visible === true; })));"
            " }, 500); }, 500); });</script></body>",
        )
    )
    dom = dump_dom(page.as_uri())
    visible = json.loads(html.unescape(re.search(r'data-visible="([^"]+)"', dom).group(1)))
    assert len(visible) == len(names)
    shown = [name for name, on in zip(names, visible, strict=True) if on]
    assert shown == ["CRR (E - N) / S, quarter", "churn rate, quarter"], shown
    section = dom.split('id="panel-nps"', 1)[1]
    assert section.count('class="main-svg"') >= 4, "the panels' figures were not drawn"
    shot = screenshot(page.as_uri(), SCREENSHOTS / "dashboard_nps_grain.png", 1500, 1750)
    assert shot.stat().st_size > 50_000, "screenshot looks empty"


def test_panels_without_rows_say_so(demo_database: Path, tmp_path: Path) -> None:
    """Empty NPS and activity marts (no events in the raw tables): those
    panels say the mart has no rows; CRR by grain and activation drivers
    (not emptied here) are still drawn."""
    empty = tmp_path / "empty_events.duckdb"
    shutil.copy(demo_database, empty)
    with duckdb.connect(str(empty)) as con:
        for name in ("nps", "nps_retention", "activity_retention"):
            con.execute(f"delete from marts.{name}")
    out = tmp_path / "dashboard.html"
    done = write_dashboard(empty, out)
    assert done.returncode == 0, done.stderr
    page = out.read_text()
    assert sorted(panel_figures(page)) == ["panel-activation-drivers", "panel-crr-by-grain"]
    for panel_id in ("panel-nps", "panel-nps-repurchase", "panel-product-retention"):
        note = re.search(rf"<div class='panel[^']*' id='{panel_id}'>(.*?)</div>", page).group(1)
        assert f"Not drawn: {PANEL_MARTS[panel_id]} has no rows yet." in note, note


# --- Experiments -----------------------------------------------------------


def experiment_figures(page: str) -> dict[str, list[dict]]:
    """div id -> the traces of each ``Plotly.newPlot`` call of an experiment figure."""
    decoder = json.JSONDecoder()
    return {
        match.group(1): decoder.raw_decode(page, match.end())[0]
        for match in re.finditer(r'Plotly\.newPlot\(\s*"(experiment-[^"]+)",\s*', page)
    }


def test_experiments_exposure_lists_exactly_the_experiment_marts(tmp_path: Path) -> None:
    target = tmp_path / "target"
    code, output = run_dbt("parse", target.parent / "parse.duckdb", {}, target.parent)
    assert code == 0, output[-3000:]
    manifest = json.loads((target / "manifest.json").read_text())
    exposure = manifest["exposures"]["exposure.retention.retention_experiments_dashboard"]
    assert sorted(exposure["depends_on"]["nodes"]) == sorted(
        f"model.retention.{name}" for name in MARTS_EXPERIMENTS
    )


def test_experiment_panels_show_the_marts_and_the_srm_status(
    dashboard: Path, demo_database: Path, tmp_path: Path
) -> None:
    """One panel per experiment; the trace shown first is 30-day conversion with
    the mart's values, whiskers from the mart's interval; the 60/40 demo split
    raises the SRM alarm, the others do not; Chromium draws every panel
    (screenshot dashboard_experiments.png, the other panels hidden)."""
    page = dashboard.read_text()
    with duckdb.connect(str(demo_database), read_only=True) as con:
        health = con.sql("select * from marts.experiment_health").df()
        results = con.sql("select * from marts.experiment_results").df()
    figures = experiment_figures(page)
    assert sorted(figures) == sorted(f"experiment-{e}" for e in health["experiment_id"])
    for experiment_id in health["experiment_id"]:
        traces = figures[f"experiment-{experiment_id}"]
        shown = [t for t in traces if t.get("visible") is not False]
        assert len(shown) == 1 and shown[0]["name"] == "conversion, 30 days"
        expected = results[
            (results.experiment_id == experiment_id)
            & (results.window_days == 30)
            & (results.metric == "conversion")
        ].sort_values("variant")
        assert list(shown[0]["x"]) == expected["variant"].tolist()
        assert list(shown[0]["y"]) == pytest.approx(expected["value"].tolist())
        treated = expected[expected["ci_high"].notna()]
        plus = pd.Series(list(shown[0]["error_y"]["array"]), index=expected.index)[treated.index]
        assert plus.tolist() == pytest.approx(
            (treated["control_value"] + treated["ci_high"] - treated["value"]).tolist()
        )
    sections = page.split("data-experiment='")[1:]
    status = {section.split("'", 1)[0]: section for section in sections}
    assert "SRM ALARM" in status["free_shipping_banner"]
    assert "SRM ok" in status["homepage_layout"] and "SRM ok" in status["onboarding_checklist"]
    dom = re.sub(r"<script.*?</script>", "", dump_dom(dashboard.as_uri()), flags=re.S)
    drawn = dom.split('id="experiments"', 1)[1].count('class="main-svg"')
    assert drawn >= len(health), f"only {drawn} experiment figures drawn"
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
