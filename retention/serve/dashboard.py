"""A static HTML retention dashboard read from the DuckDB marts.

One self-contained file (plotly.js inlined, no network needed): cohort
retention heatmap, rolling-retention and cohort LTV curves, monthly churn and
CRR, time between purchases, LTV/CAC by channel, the lifecycle flow of the
last complete month, the benchmark scorecard, signup conversion curves, a
"Segments" section (retention, churn and 12-month LTV per value of a
segment dimension, one dimension at a time through a picker), NPS over time,
repurchase by NPS class, CRR with a grain switch, product (day-N) retention,
activation drivers (the retention lift of each early action) and an
"Experiments" section (per experiment: each variant's value with the 95%
interval of its difference to control, for a window x metric picked in the
chart, and the sample-ratio-mismatch status). The dbt
exposure ``retention_dashboard`` (models/_exposures.yml) lists the marts in
``MARTS_READ`` and ``MARTS_OPTIONAL``; a test keeps the two in step.
``MARTS_READ`` must all be there; the marts of ``MARTS_OPTIONAL`` came later
(segments: issue 14; signup conversion, NPS, churn by grain and product
retention: issue 15; activation drivers: issue 16) or are off in some builds
(the NPS marts and ``activity_retention`` need events: ``using_events:
false`` disables them).
Without them the section or panel says so and the rest of the dashboard is
drawn as before. The experiment marts (``MARTS_EXPERIMENTS``, off with
``using_experiment_assignments: false``) have their own exposure,
``retention_experiments_dashboard``; without them there is no Experiments
section.

The marts are read from the schema ``--schema`` (default ``marts``: the
published file, a standalone build; installed as a package the warehouse
holds them in ``retention_marts`` or whatever the project's
``generate_schema_name`` made of it).
"""

from __future__ import annotations

import argparse
import html
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from retention import RetentionError
from retention._sql import quote_ident

DEFAULT_OUT = Path("artifacts/dashboard/retention_dashboard.html")
DEFAULT_SCHEMA = "marts"
MARTS_READ = (
    "cohort_retention",
    "churn",
    "customers",
    "time_between_purchases",
    "channel_economics",
    "retention_kpis",
    "retention_scorecard",
    "lifecycle_flows",
)
# Read when present: the Segments section needs all three segment marts, the
# signup conversion panel its mart; an older warehouse without them gets the
# dashboard without them (and a note instead).
SEGMENT_MARTS = (
    "cohort_retention_by_segment",
    "churn_by_segment",
    "ltv_by_segment",
)
# Read when present, one panel each (a note in its place without the mart):
# issue 15; the NPS marts and activity_retention are off without events.
# activation_drivers (issue 16) is built without events too (its
# first_purchase row).
NPS_MART = "nps"
NPS_RETENTION_MART = "nps_retention"
CHURN_BY_GRAIN_MART = "churn_by_grain"
ACTIVITY_RETENTION_MART = "activity_retention"
SIGNUP_CONVERSION_MART = "signup_conversion"
ACTIVATION_DRIVERS_MART = "activation_drivers"
MARTS_OPTIONAL = (
    *SEGMENT_MARTS,
    SIGNUP_CONVERSION_MART,
    CHURN_BY_GRAIN_MART,
    NPS_MART,
    NPS_RETENTION_MART,
    ACTIVITY_RETENTION_MART,
    ACTIVATION_DRIVERS_MART,
)
# Signup months drawn as conversion curves (the latest ones with signups).
SIGNUP_CURVE_MONTHS = 6
# activation_drivers: only events whose did and did-not groups both have this
# many customers are drawn (analyses/activation_drivers_ranked.sql), at most
# DRIVERS_SHOWN of them, the largest lifts.
DRIVERS_MIN_GROUP_CUSTOMERS = 30
DRIVERS_SHOWN = 12
# Read when present: the Experiments section (optional raw table,
# using_experiment_assignments; the dbt exposure retention_experiments_dashboard).
MARTS_EXPERIMENTS = ("experiment_results", "experiment_health")
# experiment_health.srm_p_value below this: the split is not what was intended.
SRM_ALARM_P_VALUE = 0.001
EXPERIMENT_METRIC_LABELS = {
    "conversion": "conversion",
    "repeat": "repeat (2+ purchase days)",
    "activation": "activation",
    "net_revenue_per_customer": "net revenue per customer",
}
# The window x metric shown first (the others through the chart's menu).
EXPERIMENT_DEFAULT = (30, "conversion")
# Segment values drawn per dimension, the largest by customers; the rest are
# named in a note under the picker.
SEGMENT_TOP_VALUES = 8
# A pooled retention point needs at least this many cohort customers behind
# it: the oldest periods rest on one or two small cohorts and only add noise.
SEGMENT_MIN_COHORT_CUSTOMERS = 30
SEGMENT_PALETTE = (
    "#2563eb", "#dc2626", "#059669", "#d97706",
    "#7c3aed", "#0891b2", "#db2777", "#4b5563",
)  # fmt: skip
# Cohorts drawn as curves: the first month of each quarter keeps them legible.
CURVE_COHORT_MONTHS = (1, 4, 7, 10)
LTV_TO_CAC_TARGET = 3.0
FONT = "Inter, Segoe UI, Helvetica, Arial, sans-serif"
ACCENT = "#2563eb"
STATUS_COLORS = {
    "within": "#15803d",
    "above": "#b45309",
    "below": "#b91c1c",
    "no_data": "#6b7280",
    "no_benchmark": "#475569",
}
# For each KPI, whether a value above the range is good news.
HIGHER_IS_BETTER = {
    "repeat_rate_180d": True,
    "purchase_frequency_12m": True,
    "monthly_churn_rate": False,
    "ltv_to_cac_12m": True,
    "nrr_12m": True,
}

log = logging.getLogger(__name__)


@dataclass
class Marts:
    """The marts the dashboard reads, as DataFrames."""

    frames: dict[str, pd.DataFrame]

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]

    def __contains__(self, name: str) -> bool:
        return name in self.frames


def schemas_holding_marts(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Schema -> the marts of ``MARTS_READ`` it has, for every schema that has any."""
    rows = con.execute(
        "select table_schema, table_name from information_schema.tables"
        " where table_name in (select unnest(?)) order by 1, 2",
        [list(MARTS_READ)],
    ).fetchall()
    holders: dict[str, list[str]] = {}
    for schema, table in rows:
        holders.setdefault(schema, []).append(table)
    return holders


def check_schema(con: duckdb.DuckDBPyConnection, database: Path, schema: str) -> None:
    """:class:`RetentionError` naming ``--schema`` and the schemas that do
    hold the marts, unless ``schema`` has every mart of ``MARTS_READ``."""
    holders = schemas_holding_marts(con)
    missing = sorted(set(MARTS_READ) - set(holders.get(schema, [])))
    if not missing:
        return
    exists = con.execute(
        "select count(*) from information_schema.schemata where schema_name = ?", [schema]
    ).fetchone()[0]
    complete = [name for name, tables in holders.items() if len(tables) == len(MARTS_READ)]
    problem = (
        f"schema {schema!r} lacks the marts {missing}"
        if exists
        else f"{database} has no schema {schema!r}"
    )
    found = (
        f"the schemas holding all the dashboard's marts: {', '.join(complete)}"
        f" (pass --schema {complete[0]})"
        if complete
        else "schemas holding some of the dashboard's marts: "
        + ("; ".join(f"{name} ({', '.join(tables)})" for name, tables in holders.items()) or "none")
    )
    raise RetentionError(f"--schema {schema}: {problem}; {found}")


def read_marts(database: Path, schema: str = DEFAULT_SCHEMA) -> Marts:
    """The marts of ``MARTS_READ`` in ``schema`` of the DuckDB file ``database``."""
    if not database.exists():
        raise FileNotFoundError(f"{database} does not exist: run `make build` first")
    with duckdb.connect(str(database), read_only=True) as con:
        check_schema(con, database, schema)
        present = {
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables"
                " where table_schema = ? and table_name in (select unnest(?))",
                [schema, [*MARTS_OPTIONAL, *MARTS_EXPERIMENTS]],
            ).fetchall()
        }
        names = [
            *MARTS_READ,
            *(name for name in (*MARTS_OPTIONAL, *MARTS_EXPERIMENTS) if name in present),
        ]
        frames = {
            name: con.sql(f"select * from {quote_ident(schema)}.{quote_ident(name)}").df()
            for name in names
        }
    return Marts(frames)


def _layout(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "font": {"size": 17}},
        template="plotly_white",
        font={"family": FONT, "size": 13},
        height=height,
        margin={"l": 70, "r": 30, "t": 60, "b": 55},
        legend={"orientation": "h", "y": -0.18},
    )
    return fig


def _month_label(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.strftime("%Y-%m")


def heatmap(marts: Marts) -> go.Figure:
    cohorts = marts["cohort_retention"]
    grid = cohorts.pivot(index="cohort_period", columns="period_number", values="retention_rate")
    grid = grid.sort_index(ascending=False)
    sizes = cohorts.groupby("cohort_period").cohort_size.first().reindex(grid.index)
    labels = [
        f"{label} (n={size:,})"
        for label, size in zip(_month_label(grid.index.to_series()), sizes, strict=True)
    ]
    text = grid.map(lambda v: "" if pd.isna(v) else f"{v:.0%}")
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=list(grid.columns),
            y=labels,
            text=text.to_numpy(),
            texttemplate="%{text}",
            textfont={"size": 9},
            colorscale="Blues",
            zmin=0,
            zmax=0.5,
            colorbar={"title": "retention", "tickformat": ".0%"},
            hovertemplate="cohort %{y}<br>period %{x}<br>retention %{z:.1%}<extra></extra>",
        )
    )
    fig.update_xaxes(title="periods since first purchase (period_number)", dtick=1)
    fig.update_yaxes(title="cohort (first purchase period, size)")
    return _layout(
        fig,
        "Cohort retention: share of each cohort buying in period k (period 0 = 100%)",
        height=max(520, 22 * len(labels) + 140),
    )


def _curve_cohorts(cohorts: pd.DataFrame) -> list[pd.Timestamp]:
    starts = sorted(pd.to_datetime(cohorts.cohort_period.unique()))
    picked = [c for c in starts if c.month in CURVE_COHORT_MONTHS]
    return picked or starts


def _cohort_curves(
    marts: Marts, column: str, title: str, y_title: str, tickformat: str, pooled: str
) -> go.Figure:
    cohorts = marts["cohort_retention"].copy()
    cohorts["cohort_period"] = pd.to_datetime(cohorts.cohort_period)
    picked = _curve_cohorts(cohorts)
    fig = go.Figure()
    palette = [
        "#1e3a8a", "#1d4ed8", "#3b82f6", "#60a5fa", "#0f766e", "#14b8a6",
        "#7c3aed", "#a78bfa", "#be185d", "#f472b6", "#b45309", "#f59e0b",
    ]  # fmt: skip
    for i, cohort in enumerate(picked):
        rows = cohorts[cohorts.cohort_period == cohort].sort_values("period_number")
        fig.add_trace(
            go.Scatter(
                x=rows.period_number,
                y=rows[column],
                mode="lines",
                name=cohort.strftime("%Y-%m"),
                line={"width": 1.6, "color": palette[i % len(palette)]},
            )
        )
    # Pooled curve over every cohort: a ratio of sums, not a mean of rates.
    numerator = {
        "rolling_retention_rate": "retained_on_or_after",
        "cumulative_gross_margin_per_customer": "cumulative_gross_margin",
    }[column]
    sums = cohorts.groupby("period_number")[[numerator, "cohort_size"]].sum().astype(float)
    fig.add_trace(
        go.Scatter(
            x=sums.index,
            y=sums[numerator] / sums.cohort_size,
            mode="lines",
            name=pooled,
            line={"width": 4, "color": "#111827", "dash": "dot"},
        )
    )
    fig.update_xaxes(title="periods since first purchase", dtick=3)
    fig.update_yaxes(title=y_title, tickformat=tickformat, rangemode="tozero")
    return _layout(fig, title, height=460)


def rolling_retention(marts: Marts) -> go.Figure:
    return _cohort_curves(
        marts,
        "rolling_retention_rate",
        "Rolling retention: bought in period k or any later period",
        "rolling retention",
        ".0%",
        "all cohorts (pooled)",
    )


def cohort_ltv(marts: Marts) -> go.Figure:
    return _cohort_curves(
        marts,
        "cumulative_gross_margin_per_customer",
        "Cohort LTV: cumulative gross margin per acquired customer",
        "gross margin per customer",
        ",.0f",
        "all cohorts (pooled)",
    )


def churn_trend(marts: Marts) -> go.Figure:
    churn = marts["churn"].sort_values("period_start")
    complete = churn[churn.is_complete_period & churn.customers_start.gt(0)]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(
        go.Bar(
            x=complete.period_start,
            y=complete.customers_start,
            name="customers active at month start (S)",
            marker_color="#eef0f3",
        ),
        secondary_y=True,
    )
    fig.add_trace(
        go.Scatter(
            x=complete.period_start,
            y=complete.churn_rate,
            name="churn rate",
            mode="lines+markers",
            line={"color": "#dc2626", "width": 2.5},
        ),
        secondary_y=False,
    )
    fig.add_trace(
        go.Scatter(
            x=complete.period_start,
            y=complete.crr,
            name="CRR (E - N) / S",
            mode="lines+markers",
            line={"color": ACCENT, "width": 2.5},
        ),
        secondary_y=False,
    )
    fig.add_hline(
        y=0.07,
        line_dash="dash",
        line_color="#dc2626",
        annotation_text="churn benchmark 7%",
        annotation_position="top left",
    )
    fig.update_yaxes(title="rate", tickformat=".0%", secondary_y=False, rangemode="tozero")
    fig.update_yaxes(title="customers (S)", secondary_y=True, showgrid=False)
    fig.update_xaxes(title="month (complete months)")
    return _layout(fig, "Monthly churn and customer retention rate (CRR)", height=460)


def time_between_purchases(marts: Marts) -> go.Figure:
    customers = marts["customers"]
    gaps = customers.days_to_second_purchase.dropna().astype(float)
    tbp = marts["time_between_purchases"]
    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.6, 0.4],
        subplot_titles=(
            "days from first to second purchase day (customers)",
            "median and p90 of the 1-2 gap by cohort",
        ),
    )
    fig.add_trace(
        go.Histogram(x=gaps, xbins={"start": 0, "size": 15}, marker_color=ACCENT, name="customers"),
        row=1,
        col=1,
    )
    median = float(gaps.median()) if len(gaps) else 0.0
    fig.add_vline(
        x=median,
        line_dash="dash",
        line_color="#111827",
        annotation_text=f"median {median:.0f} days",
        row=1,
        col=1,
    )
    first = tbp[tbp.transition == "1-2"].sort_values("cohort_period")
    for column, color in (("median_days", ACCENT), ("p90_days", "#f59e0b")):
        fig.add_trace(
            go.Scatter(
                x=first.cohort_period,
                y=first[column],
                mode="lines+markers",
                name=column.replace("_days", "") + " days (1-2)",
                line={"color": color},
            ),
            row=1,
            col=2,
        )
    fig.update_xaxes(title="days", range=[0, 365], row=1, col=1)
    fig.update_yaxes(title="customers", row=1, col=1)
    fig.update_xaxes(title="cohort", row=1, col=2)
    fig.update_yaxes(title="days", row=1, col=2)
    fig.update_annotations(font_size=13)
    return _layout(fig, "Time between purchases (TBP)", height=440)


def ltv_to_cac(marts: Marts) -> go.Figure:
    economics = marts["channel_economics"]
    mature = economics[(economics.spend > 0) & economics.ltv_12m.notna()].copy()
    mature["margin_12m"] = mature.ltv_12m * mature.new_customers
    by_channel = mature.groupby("acquisition_channel").agg(
        margin_12m=("margin_12m", "sum"),
        spend=("spend", "sum"),
        new_customers=("new_customers", "sum"),
    )
    by_channel["ltv_to_cac"] = by_channel.margin_12m / by_channel.spend.astype(float)
    by_channel["cac"] = by_channel.spend.astype(float) / by_channel.new_customers
    by_channel["ltv_12m"] = by_channel.margin_12m / by_channel.new_customers
    by_channel = by_channel.sort_values("ltv_to_cac")
    colors = ["#15803d" if v >= LTV_TO_CAC_TARGET else "#b91c1c" for v in by_channel.ltv_to_cac]
    fig = go.Figure(
        go.Bar(
            y=by_channel.index,
            x=by_channel.ltv_to_cac,
            orientation="h",
            marker_color=colors,
            text=[
                f"{r.ltv_to_cac:.1f}x  (LTV {r.ltv_12m:,.0f} / CAC {r.cac:,.0f})"
                for r in by_channel.itertuples()
            ],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:.2f}x<extra></extra>",
        )
    )
    fig.add_vline(
        x=LTV_TO_CAC_TARGET,
        line_dash="dash",
        annotation_text="target 3x",
        annotation_position="top",
    )
    fig.update_xaxes(
        title="12-month LTV / CAC (pooled over cohorts with 12 complete months)",
        range=[0, max(float(by_channel.ltv_to_cac.max()) * 1.45, 4.0)] if len(by_channel) else None,
    )
    fig.update_yaxes(title="acquisition channel (paid)")
    _layout(fig, "LTV / CAC by acquisition channel", height=460)
    fig.update_layout(margin={"l": 130})
    return fig


def signup_conversion(marts: Marts) -> go.Figure:
    """Conversion curves of ``signup_conversion``: per signup month (the
    month of the signup week's Monday) of the latest ``SIGNUP_CURVE_MONTHS``,
    sum(converted) / sum(eligible) at each day N, drawn only where every
    signup of the month has reached day N; and all weeks pooled (every
    eligible customer), the semantic layer's signup_conversion_rate."""
    rows = marts["signup_conversion"].copy()
    rows["signup_month"] = pd.to_datetime(rows.signup_week).dt.to_period("M").dt.start_time
    fig = go.Figure()
    months = sorted(rows.signup_month.unique())[-SIGNUP_CURVE_MONTHS:]
    sums = rows.groupby(["signup_month", "day_n"])[
        ["signups", "eligible_customers", "converted_customers"]
    ].sum()
    for i, month in enumerate(months):
        curve = sums.loc[month].sort_index()
        curve = curve[curve.eligible_customers.eq(curve.signups) & curve.signups.gt(0)]
        if curve.empty:
            continue  # no day N that every signup of the month has reached
        label = pd.Timestamp(month).strftime("%Y-%m")
        counts = list(zip(curve.converted_customers, curve.eligible_customers, strict=True))
        fig.add_trace(
            go.Scatter(
                x=[int(n) for n in curve.index],
                y=[_ratio(c, e) for c, e in counts],
                customdata=[[int(c), int(e)] for c, e in counts],
                mode="lines+markers",
                name=f"signed up {label}",
                line={"width": 2, "color": SEGMENT_PALETTE[i % len(SEGMENT_PALETTE)]},
                hovertemplate=f"{label}, day %{{x}}: %{{y:.1%}}"
                " (%{customdata[0]:,} of %{customdata[1]:,})<extra></extra>",
            )
        )
    pooled = rows.groupby("day_n")[["converted_customers", "eligible_customers"]].sum()
    pooled = pooled[pooled.eligible_customers.gt(0)].sort_index()
    fig.add_trace(
        go.Scatter(
            x=[int(n) for n in pooled.index],
            y=(pooled.converted_customers / pooled.eligible_customers).astype(float).tolist(),
            mode="lines+markers",
            name="all signup weeks (pooled)",
            line={"width": 4, "color": "#111827", "dash": "dot"},
        )
    )
    fig.update_xaxes(title="days since signup (N of retention_days)")
    fig.update_yaxes(title="converted by day N", tickformat=".0%", rangemode="tozero")
    return _layout(
        fig,
        "Signup conversion: share of signups with a first purchase by day N"
        " (months: points where every signup has reached day N)",
        height=460,
    )


def signup_conversion_html(marts: Marts) -> str:
    """The signup conversion panel, or a note when the mart is missing or empty."""
    if "signup_conversion" not in marts or marts["signup_conversion"].empty:
        reason = (
            "the marts lack signup_conversion (built since issue 15: rebuild with dbt build)"
            if "signup_conversion" not in marts
            else "signup_conversion has no rows (no customer with a signup date)"
        )
        return (
            "<div class='panel wide' id='signup-conversion-panel'><h2>Signup conversion</h2>"
            f"<p class='segment-note'>Not drawn: {html.escape(reason)}.</p></div>"
        )
    return (
        "<div class='panel wide' id='signup-conversion-panel'>"
        + signup_conversion(marts).to_html(
            full_html=False,
            include_plotlyjs=False,
            config={"displayModeBar": False},
            div_id="signup-conversion",
        )
        + "</div>"
    )


# Stages in journey order (METRICS.md "Lifecycle stage"); `none` = no purchase yet.
LIFECYCLE_STAGES = ("new", "active", "champion", "at_risk", "churned", "reactivated")


def last_complete_flow_month(flows: pd.DataFrame) -> pd.Timestamp | None:
    """The latest snapshot that is a month end (the last complete month's
    transitions; the as_of_date snapshot of a mid-month as_of_date is not)."""
    dates = pd.to_datetime(pd.Series(flows.snapshot_date.unique()))
    month_ends = dates[dates == dates + pd.offsets.MonthEnd(0)]
    return month_ends.max() if len(month_ends) else None


def lifecycle_flow(marts: Marts) -> go.Figure:
    """Stage x stage matrix of the last complete month: customers per (stage
    at the previous month end, stage at this one), coloured by the share of
    the row (where the customers of a stage went)."""
    flows = marts["lifecycle_flows"].copy()
    flows["snapshot_date"] = pd.to_datetime(flows.snapshot_date)
    month = last_complete_flow_month(flows)
    moves = flows[flows.snapshot_date == month]
    grid = (
        moves.pivot_table(index="from_stage", columns="to_stage", values="customers", aggfunc="sum")
        .reindex(index=["none", *LIFECYCLE_STAGES], columns=list(LIFECYCLE_STAGES))
        .fillna(0)
        .astype(int)
    )
    shares = grid.div(grid.sum(axis=1).replace(0, float("nan")), axis=0)
    # Plain lists (not arrays) keep the figure's numbers readable in the page.
    fig = go.Figure(
        go.Heatmap(
            z=[[None if pd.isna(v) else float(v) for v in row] for row in shares.to_numpy()],
            x=list(grid.columns),
            y=["none (first purchase)", *LIFECYCLE_STAGES],
            customdata=grid.to_numpy().tolist(),
            text=grid.map(lambda n: f"{n:,}" if n else "").to_numpy().tolist(),
            texttemplate="%{text}",
            colorscale="Blues",
            zmin=0,
            zmax=1,
            colorbar={"title": "share of row", "tickformat": ".0%"},
            hovertemplate="%{y} -> %{x}: %{customdata:,} customers"
            " (%{z:.0%} of %{y})<extra></extra>",
        )
    )
    fig.update_xaxes(title="stage at this month end", side="bottom")
    fig.update_yaxes(title="stage at the previous month end", autorange="reversed")
    label = month.strftime("%B %Y") if month is not None else "no complete month yet"
    _layout(fig, f"Lifecycle flow: customers moving between stages, {label}", height=460)
    fig.update_layout(margin={"l": 170})
    return fig


def _format_value(kpi: str, value: float | None) -> str:
    if value is None or pd.isna(value):
        return "no data"
    if kpi == "nps":
        return f"{value:.1f}"
    if kpi in ("purchase_frequency_12m", "ltv_to_cac_12m"):
        return f"{value:.2f}"
    return f"{value:.1%}"


def _format_range(kpi: str, low: float | None, high: float | None) -> str:
    parts = [
        "" if bound is None or pd.isna(bound) else _format_value(kpi, bound)
        for bound in (low, high)
    ]
    if parts[0] and parts[1]:
        return f"{parts[0]} to {parts[1]}"
    return f">= {parts[0]}" if parts[0] else f"<= {parts[1]}" if parts[1] else "-"


def scorecard_html(marts: Marts) -> str:
    rows = []
    for r in marts["retention_scorecard"].itertuples():
        status = str(r.status)
        good = {
            "within": True,
            "above": HIGHER_IS_BETTER.get(r.kpi, True),
            "below": not HIGHER_IS_BETTER.get(r.kpi, True),
        }.get(status)
        verdict = "no data" if good is None else ("healthy" if good else "needs attention")
        color_key = "no_data" if good is None else "within" if good else "below"
        if status == "no_benchmark":
            verdict, color_key = "information only", "no_benchmark"
        color = STATUS_COLORS[color_key]
        measured = "" if pd.isna(r.measured_for) else pd.Timestamp(r.measured_for).strftime("%Y-%m")
        rows.append(
            "<tr>"
            f"<td class='kpi'>{html.escape(str(r.kpi))}</td>"
            f"<td class='num'>{_format_value(r.kpi, r.value)}</td>"
            f"<td>{measured}</td>"
            f"<td>{_format_range(r.kpi, r.benchmark_low, r.benchmark_high)}</td>"
            f"<td><span class='pill' style='background:{color}'>{html.escape(status)}"
            f" &middot; {verdict}</span></td>"
            "</tr>"
        )
    return (
        "<table class='scorecard'><thead><tr><th>KPI</th><th>value</th><th>measured for</th>"
        "<th>benchmark</th><th>status</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def activation_drivers(marts: Marts) -> go.Figure:
    """Retention lift per early action (activation_drivers), largest last
    (on top), with its did-share: events whose two groups both have at least
    DRIVERS_MIN_GROUP_CUSTOMERS customers. Green: lift > 1 with p < 0.05;
    red: lift < 1 with p < 0.05; grey: not significant."""
    title = "Activation drivers: retention lift of an action in the early window after signup"
    drivers = marts[ACTIVATION_DRIVERS_MART]
    rows = drivers[
        (drivers.did_customers >= DRIVERS_MIN_GROUP_CUSTOMERS)
        & (drivers.customers - drivers.did_customers >= DRIVERS_MIN_GROUP_CUSTOMERS)
        & drivers.retention_lift.notna()
    ]
    rows = rows.sort_values(["retention_lift", "event_name"]).tail(DRIVERS_SHOWN)
    significant = rows.p_value.astype(float) < 0.05
    colors = [
        ("#15803d" if lift > 1 else "#b91c1c") if sig else "#9ca3af"
        for lift, sig in zip(rows.retention_lift.astype(float), significant, strict=True)
    ]
    fig = go.Figure(
        go.Bar(
            y=rows.event_name.tolist(),
            x=[float(v) for v in rows.retention_lift],
            orientation="h",
            marker_color=colors,
            customdata=[
                [r.did_share, r.retained_if_did, r.retained_if_not, r.phi, r.p_value]
                for r in rows.itertuples()
            ],
            text=[
                f"{r.retention_lift:.2f}x  ({r.did_share:.0%} did it)" for r in rows.itertuples()
            ],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: lift %{x:.2f}x; did it: %{customdata[0]:.1%}; retained"
            " %{customdata[1]:.1%} if did, %{customdata[2]:.1%} if not; phi"
            " %{customdata[3]:.3f}, p %{customdata[4]:.2g}<extra></extra>",
        )
    )
    fig.add_vline(
        x=1.0, line_dash="dash", annotation_text="no difference", annotation_position="bottom"
    )
    fig.update_xaxes(
        title="retained if did / retained if not (a purchase in the outcome window,"
        " by default days 8..30 after signup; correlation, not causation)",
        range=[0, max(float(rows.retention_lift.max()) * 1.45, 2.0)] if len(rows) else None,
    )
    fig.update_yaxes(title=f"early action (both groups >= {DRIVERS_MIN_GROUP_CUSTOMERS})")
    _layout(fig, title, height=460)
    fig.update_layout(margin={"l": 150})
    return fig


def headline(marts: Marts) -> tuple[str, str]:
    """(as_of_date text, KPI cards HTML) from the latest months."""
    churn = marts["churn"].sort_values("period_start")
    kpis = marts["retention_kpis"].sort_values("month_start")
    as_of = pd.Timestamp(churn.period_end.max()).strftime("%Y-%m-%d")
    last_complete = churn[churn.is_complete_period].iloc[-1]
    last_kpis = kpis[kpis.is_complete_period].iloc[-1]
    customers = marts["customers"]
    cards = [
        ("customers", f"{len(customers):,}", "with at least one purchase"),
        ("active now", f"{int(customers.is_active.sum()):,}", "bought within the churn window"),
        (
            "monthly churn",
            f"{last_complete.churn_rate:.1%}",
            pd.Timestamp(last_complete.period_start).strftime("%B %Y"),
        ),
        (
            "AOV",
            f"{last_kpis.aov:,.2f}",
            pd.Timestamp(last_kpis.month_start).strftime("%B %Y"),
        ),
        (
            "repeat purchase rate",
            f"{last_kpis.repeat_purchase_rate:.1%}",
            "customers with 2+ purchase days",
        ),
    ]
    html_cards = "".join(
        f"<div class='card'><div class='label'>{html.escape(label)}</div>"
        f"<div class='value'>{html.escape(value)}</div>"
        f"<div class='note'>{html.escape(note)}</div></div>"
        for label, value, note in cards
    )
    return as_of, html_cards


def missing_segment_marts(marts: Marts) -> list[str]:
    """The marts of ``SEGMENT_MARTS`` that ``marts`` lacks."""
    return [name for name in SEGMENT_MARTS if name not in marts]


def segment_dimensions(marts: Marts) -> list[str]:
    """The segment dimensions in the segment marts, sorted."""
    return sorted(
        set().union(*(set(marts[name].segment.dropna().unique()) for name in SEGMENT_MARTS))
    )


def segment_customers(marts: Marts, segment: str) -> pd.Series:
    """Customers per value of ``segment`` (the cohorts' sizes summed), largest
    first, ties by value."""
    cohorts = marts["cohort_retention_by_segment"]
    first = cohorts[(cohorts.segment == segment) & (cohorts.period_number == 0)]
    sizes = first.groupby("segment_value").cohort_size.sum().astype(int).reset_index()
    sizes = sizes.sort_values(["cohort_size", "segment_value"], ascending=[False, True])
    return sizes.set_index("segment_value").cohort_size


def _ratio(numerator: float, denominator: float) -> float | None:
    return float(numerator) / float(denominator) if denominator else None


def segment_retention(marts: Marts, segment: str, shown: list[str]) -> go.Figure:
    """Pooled retention curve per value: sum(active) / sum(cohort size) over
    the cohorts whose period k is complete; points after period 0 resting on
    fewer than ``SEGMENT_MIN_COHORT_CUSTOMERS`` cohort customers are left
    out."""
    cohorts = marts["cohort_retention_by_segment"]
    rows = cohorts[
        (cohorts.segment == segment)
        & cohorts.is_complete_period.fillna(False).astype(bool)
        & cohorts.segment_value.isin(shown)
    ]
    sums = rows.groupby(["segment_value", "period_number"])[
        ["active_customers", "cohort_size"]
    ].sum()
    periods = sums.index.get_level_values("period_number")
    sums = sums[(sums.cohort_size >= SEGMENT_MIN_COHORT_CUSTOMERS) | (periods == 0)]
    fig = go.Figure()
    for i, value in enumerate(shown):
        if value not in sums.index.get_level_values(0):
            continue
        curve = sums.loc[value].sort_index()
        fig.add_trace(
            go.Scatter(
                x=[int(k) for k in curve.index],
                y=[
                    _ratio(a, n)
                    for a, n in zip(curve.active_customers, curve.cohort_size, strict=True)
                ],
                customdata=[
                    [int(a), int(n)]
                    for a, n in zip(curve.active_customers, curve.cohort_size, strict=True)
                ],
                mode="lines+markers",
                marker={"size": 4},
                name=value,
                line={"width": 2, "color": SEGMENT_PALETTE[i % len(SEGMENT_PALETTE)]},
                hovertemplate=f"{html.escape(value)}<br>period %{{x}}: %{{y:.1%}}"
                " (%{customdata[0]:,} of %{customdata[1]:,})<extra></extra>",
            )
        )
    fig.update_xaxes(
        title="periods since first purchase (complete periods; points with at least"
        f" {SEGMENT_MIN_COHORT_CUSTOMERS} cohort customers)",
        dtick=3,
    )
    fig.update_yaxes(title="retention (pooled over cohorts)", tickformat=".0%", rangemode="tozero")
    return _layout(
        fig,
        f"Retention by {segment}: active customers / cohort customers, pooled over cohorts",
        height=460,
    )


def _segment_bars(
    segment: str,
    shown: list[str],
    rates: dict[str, float | None],
    counts: dict[str, list[int]],
    title: str,
    y_title: str,
    tickformat: str,
    hover: str,
) -> go.Figure:
    values = [value for value in shown if value in rates]
    colors = [SEGMENT_PALETTE[shown.index(v) % len(SEGMENT_PALETTE)] for v in values]
    text_format = "{:.1%}" if tickformat.endswith("%") else "{:,.0f}"
    fig = go.Figure(
        go.Bar(
            x=values,
            y=[rates[v] for v in values],
            customdata=[counts[v] for v in values],
            marker_color=colors,
            text=["n/a" if rates[v] is None else text_format.format(rates[v]) for v in values],
            textposition="outside",
            cliponaxis=False,
            hovertemplate=hover,
            name=segment,
        )
    )
    fig.update_xaxes(title=segment)
    fig.update_yaxes(title=y_title, tickformat=tickformat, rangemode="tozero")
    return _layout(fig, title, height=440)


def segment_churn(marts: Marts, segment: str, shown: list[str]) -> go.Figure:
    """Monthly churn rate per value, pooled over the complete months:
    sum(churned) / sum(customers at month start)."""
    churn = marts["churn_by_segment"]
    rows = churn[
        (churn.segment == segment)
        & churn.is_complete_period.fillna(False).astype(bool)
        & churn.segment_value.isin(shown)
    ]
    sums = rows.groupby("segment_value")[["churned_customers", "customers_start"]].sum()
    months = (
        " to ".join(
            pd.Timestamp(day).strftime("%Y-%m")
            for day in (rows.period_start.min(), rows.period_start.max())
        )
        if len(rows)
        else "no complete month"
    )
    return _segment_bars(
        segment,
        shown,
        {v: _ratio(r.churned_customers, r.customers_start) for v, r in sums.iterrows()},
        {v: [int(r.churned_customers), int(r.customers_start)] for v, r in sums.iterrows()},
        f"Monthly churn by {segment}, pooled over complete months {months}",
        "churned / customers at month start",
        ".1%",
        "%{x}: %{y:.2%} (%{customdata[0]:,} churned of %{customdata[1]:,}"
        " customer-months)<extra></extra>",
    )


def segment_ltv(marts: Marts, segment: str, shown: list[str]) -> go.Figure:
    """12-month LTV per value: sum(ltv_12m x customers) / sum(customers) over
    the cohorts that have an ltv_12m."""
    ltv = marts["ltv_by_segment"]
    rows = ltv[(ltv.segment == segment) & ltv.ltv_12m.notna() & ltv.segment_value.isin(shown)]
    rows = rows.assign(margin_12m=rows.ltv_12m.astype(float) * rows.customers)
    sums = rows.groupby("segment_value")[["margin_12m", "customers"]].sum()
    return _segment_bars(
        segment,
        shown,
        {v: _ratio(r.margin_12m, r.customers) for v, r in sums.iterrows()},
        {v: [int(r.customers)] for v, r in sums.iterrows()},
        f"12-month LTV by {segment} (gross margin per customer, cohorts with 12 months)",
        "gross margin per customer, months 0..12",
        ",.0f",
        "%{x}: %{y:,.2f} per customer (%{customdata[0]:,} customers)<extra></extra>",
    )


def _segment_id(segment: str) -> str:
    return "segment-" + re.sub(r"[^A-Za-z0-9_-]", "_", segment)


def _left_out_note(customers: pd.Series, shown: list[str]) -> str:
    total = int(customers.sum())
    if len(customers) <= len(shown):
        return f"All {len(customers)} values ({total:,} customers)."
    rest = customers.drop(shown)
    named = ", ".join(f"{html.escape(str(v))} ({n:,})" for v, n in rest.head(20).items())
    more = f" and {len(rest) - 20} more" if len(rest) > 20 else ""
    return (
        f"The {len(shown)} largest of {len(customers)} values by customers"
        f" ({int(customers[shown].sum()):,} of {total:,} customers);"
        f" left out of the plots: {named}{more}."
    )


SEGMENT_SCRIPT = """
(function () {
  var picker = document.getElementById('segment-picker');
  function show(segment) {
    document.querySelectorAll('#segments .segment-block').forEach(function (block) {
      var on = block.getAttribute('data-segment') === segment;
      block.style.display = on ? '' : 'none';
      if (on && window.Plotly) {
        block.querySelectorAll('.plotly-graph-div').forEach(function (gd) {
          window.Plotly.Plots.resize(gd);
        });
      }
    });
  }
  picker.addEventListener('change', function () { show(picker.value); });
  show(picker.value);
})();
"""


def segments_html(marts: Marts) -> str:
    """The Segments section: a picker of the dimensions and, per dimension,
    retention curves, monthly churn and 12-month LTV of its largest values.
    The figures of every dimension are in the page; the picker shows one
    set (with scripts off, all are shown). A note instead when the segment
    marts are missing or empty."""
    head = "<div class='panel wide' id='segments'><h2>Segments</h2>"
    missing = missing_segment_marts(marts)
    if missing:
        log.info("no Segments section: the schema lacks %s", ", ".join(missing))
        return (
            head
            + "<p class='segment-note'>Not drawn: the marts lack "
            + ", ".join(html.escape(name) for name in missing)
            + " (built since the segment marts of issue 14: rebuild with dbt build).</p></div>"
        )
    dimensions = segment_dimensions(marts)
    if not dimensions:
        return head + (
            "<p class='segment-note'>Not drawn: the segment marts have no rows"
            " (var segment_dimensions is empty?).</p></div>"
        )
    config = {"displayModeBar": False}
    options = []
    blocks = []
    for i, segment in enumerate(dimensions):
        customers = segment_customers(marts, segment)
        shown = [str(v) for v in customers.index[:SEGMENT_TOP_VALUES]]
        block_id = _segment_id(segment)
        figures = (
            ("wide", "retention", segment_retention(marts, segment, shown)),
            ("", "churn", segment_churn(marts, segment, shown)),
            ("", "ltv", segment_ltv(marts, segment, shown)),
        )
        options.append(
            f"<option value='{html.escape(segment)}'{' selected' if i == 0 else ''}>"
            f"{html.escape(segment)}</option>"
        )
        blocks.append(
            f"<div class='segment-block' id='{block_id}' data-segment='{html.escape(segment)}'>"
            f"<p class='segment-note'>{html.escape(segment)}: "
            f"{_left_out_note(customers, shown)}</p><div class='grid'>"
            + "".join(
                f"<div class='{css}'>"
                + fig.to_html(
                    full_html=False,
                    include_plotlyjs=False,
                    config=config,
                    div_id=f"{block_id}-{kind}",
                )
                + "</div>"
                for css, kind, fig in figures
            )
            + "</div></div>"
        )
    picker = (
        "<p class='segment-picker'><label for='segment-picker'>segment dimension </label>"
        f"<select id='segment-picker'>{''.join(options)}</select>"
        " <span class='segment-note'>rates are ratios of sums over cohorts and months"
        " (docs/design/METRICS.md, Segments); 'unknown' and 'other' are values"
        " like any other</span></p>"
    )
    return head + picker + "".join(blocks) + f"<script>{SEGMENT_SCRIPT}</script></div>"


# --- NPS, CRR by grain, product retention (issue 15) -------------------------
# One panel each, from a mart of MARTS_OPTIONAL; a note in its place when the
# mart is missing (using_events: false, or a warehouse built before issue 15;
# activation drivers, drawn above, takes its place in PANELS too) or has no
# rows.

NPS_CLASSES = ("promoter", "passive", "detractor")
NPS_CLASS_COLORS = {"promoter": "#15803d", "passive": "#9ca3af", "detractor": "#b91c1c"}
# The grains of churn_by_grain in the order of the switch; the month is shown first.
GRAINS = ("day", "week", "month", "quarter", "half_year", "year")
DEFAULT_GRAIN = "month"
# A day-N point of a signup-quarter curve needs at least this many eligible
# customers behind it (the pooled curves over all cohorts are always drawn).
PRODUCT_MIN_ELIGIBLE = 30


def _flag(values: pd.Series) -> pd.Series:
    """A nullable boolean column as plain booleans (NULL is False)."""
    return values.fillna(False).astype(bool)


def _ratios(numerators: pd.Series, denominators: pd.Series) -> list[float | None]:
    return [_ratio(n, d) for n, d in zip(numerators, denominators, strict=True)]


def _dates(values: pd.Series) -> list[str]:
    return [pd.Timestamp(day).strftime("%Y-%m-%d") for day in values]


def nps_trend(marts: Marts) -> go.Figure:
    """NPS per response month (top) and the promoter and detractor shares
    (bottom), straight from ``nps``; the month containing as_of_date
    (``is_complete_period`` false) is drawn apart, hollow, as in progress.
    Months without respondents have no point (NULL nps)."""
    nps = marts[NPS_MART].sort_values("month_start")
    complete = _flag(nps.is_complete_period)
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        row_heights=[0.55, 0.45],
        vertical_spacing=0.1,
        subplot_titles=(
            "NPS = 100 x (promoters - detractors) / respondents",
            "promoter and detractor shares of the month's respondents",
        ),
    )
    series = (
        ("NPS", "nps", 1, ACCENT),
        ("promoter share", "promoter_share", 2, NPS_CLASS_COLORS["promoter"]),
        ("detractor share", "detractor_share", 2, NPS_CLASS_COLORS["detractor"]),
    )
    for in_progress, rows in ((False, nps[complete]), (True, nps[~complete])):
        if rows.empty:
            continue
        for name, column, row, color in series:
            fig.add_trace(
                go.Scatter(
                    x=_dates(rows.month_start),
                    y=rows[column],
                    customdata=rows[["respondents", "responses"]].astype(int).to_numpy(),
                    name=f"{name} (month in progress)" if in_progress else name,
                    legendgroup="in progress" if in_progress else column,
                    mode="markers" if in_progress else "lines+markers",
                    marker={
                        "color": color,
                        "size": 9 if in_progress else 5,
                        "symbol": "circle-open" if in_progress else "circle",
                    },
                    line={"color": color, "width": 2.2},
                    hovertemplate=f"{name} %{{x|%Y-%m}}: "
                    + ("%{y:.1f}" if column == "nps" else "%{y:.1%}")
                    + " (%{customdata[0]:,} respondents, %{customdata[1]:,} responses)"
                    + (" - month in progress" if in_progress else "")
                    + "<extra></extra>",
                ),
                row=row,
                col=1,
            )
    fig.add_hline(y=0, line_color="#6b7280", line_width=1, row=1, col=1)
    fig.update_yaxes(title="NPS", range=[-100, 100], row=1, col=1)
    fig.update_yaxes(title="share", tickformat=".0%", rangemode="tozero", row=2, col=1)
    fig.update_xaxes(title="response month (hollow: the month in progress)", row=2, col=1)
    fig.update_annotations(font_size=13)
    return _layout(fig, "Net Promoter Score by response month", height=520)


def nps_repurchase(marts: Marts) -> go.Figure:
    """Repurchase rate per NPS class pooled over the response months:
    sum(repurchased) / sum(eligible_respondents) of ``nps_retention``; only
    the eligible responses count (their whole repurchase window is seen)."""
    rows = marts[NPS_RETENTION_MART]
    sums = (
        rows.groupby("nps_class")[["eligible_respondents", "repurchased"]]
        .sum()
        .reindex(list(NPS_CLASSES), fill_value=0)
        .astype(int)
    )
    rates = _ratios(sums.repurchased, sums.eligible_respondents)
    eligible_months = rows[rows.eligible_respondents.gt(0)].month_start
    months = (
        " to ".join(
            pd.Timestamp(day).strftime("%Y-%m")
            for day in (eligible_months.min(), eligible_months.max())
        )
        if len(eligible_months)
        else "none yet"
    )
    fig = go.Figure(
        go.Bar(
            x=list(NPS_CLASSES),
            y=rates,
            customdata=sums[["repurchased", "eligible_respondents"]].to_numpy(),
            marker_color=[NPS_CLASS_COLORS[name] for name in NPS_CLASSES],
            text=[
                "n/a" if rate is None else f"{rate:.1%} ({r:,} of {n:,})"
                for rate, r, n in zip(
                    rates, sums.repurchased, sums.eligible_respondents, strict=True
                )
            ],
            textposition="outside",
            cliponaxis=False,
            name="repurchase rate",
            hovertemplate="%{x}: %{y:.1%} (%{customdata[0]:,} repurchased of"
            " %{customdata[1]:,} eligible respondents)<extra></extra>",
        )
    )
    fig.update_xaxes(
        title=f"NPS class of the latest response of the month (eligible responses of {months})"
    )
    fig.update_yaxes(
        title="repurchased / eligible respondents", tickformat=".0%", rangemode="tozero"
    )
    return _layout(fig, "Do promoters come back? Repurchase by NPS class", height=520)


def _grain_label(grain: str) -> str:
    return grain.replace("_", " ")


def crr_by_grain(marts: Marts) -> go.Figure:
    """CRR (E - N) / S and churn rate per period of ``churn_by_grain``, one
    trace group per grain present, switched by buttons (the month first).
    Periods with customers at the start only; the period containing
    as_of_date, when not complete, is drawn apart (hollow)."""
    rows = marts[CHURN_BY_GRAIN_MART]
    present = [grain for grain in GRAINS if grain in set(rows.grain)]
    shown = DEFAULT_GRAIN if DEFAULT_GRAIN in present else present[0]
    fig = go.Figure()
    groups: dict[str, list[int]] = {}
    for grain in present:
        periods = rows[(rows.grain == grain) & rows.customers_start.gt(0)]
        periods = periods.sort_values("period_start")
        complete = _flag(periods.is_complete_period)
        many = len(periods) > 60
        label = _grain_label(grain)
        groups[grain] = []
        for in_progress, part in ((False, periods[complete]), (True, periods[~complete])):
            if part.empty:
                continue
            for name, column, color in (
                ("CRR (E - N) / S", "crr", ACCENT),
                ("churn rate", "churn_rate", "#dc2626"),
            ):
                groups[grain].append(len(fig.data))
                fig.add_trace(
                    go.Scatter(
                        x=_dates(part.period_start),
                        y=part[column],
                        customdata=part[["customers_start"]].astype(int).to_numpy(),
                        name=f"{name}, {label}" + (" (in progress)" if in_progress else ""),
                        legendgroup=f"{grain}-{column}",
                        visible=grain == shown,
                        mode="markers" if in_progress else "lines" if many else "lines+markers",
                        marker={
                            "color": color,
                            "size": 9 if in_progress else 5,
                            "symbol": "circle-open" if in_progress else "circle",
                        },
                        line={"color": color, "width": 1.4 if many else 2.4},
                        hovertemplate=f"{label} from %{{x|%Y-%m-%d}}: {name} %{{y:.1%}}"
                        " (S = %{customdata[0]:,})"
                        + (", in progress" if in_progress else "")
                        + "<extra></extra>",
                    )
                )
    buttons = [
        {
            "label": _grain_label(grain),
            "method": "update",
            "args": [
                {"visible": [i in groups[grain] for i in range(len(fig.data))]},
                {"xaxis.title.text": f"{_grain_label(grain)} (period start)"},
            ],
        }
        for grain in present
    ]
    fig.update_layout(
        updatemenus=[
            {
                "type": "buttons",
                "direction": "right",
                "active": present.index(shown),
                "buttons": buttons,
                "x": 1.0,
                "xanchor": "right",
                "y": 1.04,
                "yanchor": "bottom",
                "showactive": True,
                "pad": {"l": 0, "t": 0},
            }
        ]
    )
    fig.update_xaxes(title=f"{_grain_label(shown)} (period start)")
    fig.update_yaxes(title="rate", tickformat=".0%", rangemode="tozero")
    _layout(fig, "CRR and churn rate by period grain", height=480)
    fig.update_layout(margin={"t": 90})
    return fig


def _signup_quarter(weeks: pd.Series) -> pd.Series:
    days = pd.to_datetime(weeks)
    return days.dt.year.astype(str) + "-Q" + days.dt.quarter.astype(str)


def product_retention(marts: Marts) -> go.Figure:
    """Day-N product retention of ``activity_retention``, "on day N" (left)
    and "on or after day N" (right): per signup quarter and pooled over
    every signup week, sum(retained) / sum(eligible) (a quarter's point
    needs at least ``PRODUCT_MIN_ELIGIBLE`` eligible customers)."""
    rows = marts[ACTIVITY_RETENTION_MART].assign(
        signup_quarter=lambda frame: _signup_quarter(frame.signup_week)
    )
    counts = ["retained_on", "retained_on_or_after", "eligible_customers"]
    quarters = rows.groupby(["signup_quarter", "day_n"])[counts].sum()
    quarters = quarters[quarters.eligible_customers >= PRODUCT_MIN_ELIGIBLE]
    pooled = rows.groupby("day_n")[counts].sum()
    names = sorted(quarters.index.get_level_values("signup_quarter").unique())
    # Lighter to darker by signup quarter (one quarter: the dark end).
    colors = (
        sample_colorscale("Blues", len(names), low=0.3, high=0.95)
        if len(names) > 1
        else sample_colorscale("Blues", [0.95]) * len(names)
    )
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.08,
        subplot_titles=("returned on day N", "returned on or after day N (up to as_of_date)"),
    )
    for col, column, kind in ((1, "retained_on", "on"), (2, "retained_on_or_after", "on or after")):
        curves = [
            (f"signed up {q}", quarters.loc[q].sort_index(), colors[i], 1.3)
            for i, q in enumerate(names)
        ]
        curves.append(("all cohorts (pooled)", pooled, "#111827", 3.5))
        for name, curve, color, width in curves:
            fig.add_trace(
                go.Scatter(
                    x=[int(n) for n in curve.index],
                    y=_ratios(curve[column], curve.eligible_customers),
                    customdata=curve[[column, "eligible_customers"]].astype(int).to_numpy(),
                    mode="lines+markers",
                    marker={"size": 4 if width < 2 else 7},
                    name=name,
                    legendgroup=name,
                    showlegend=col == 1,
                    line={"width": width, "color": color},
                    hovertemplate=f"{name}, {kind} day %{{x}}: %{{y:.1%}}"
                    " (%{customdata[0]:,} of %{customdata[1]:,} eligible)<extra></extra>",
                ),
                row=1,
                col=col,
            )
    weeks = rows.drop_duplicates("signup_week")
    activation = _ratio(weeks.activated_customers.sum(), weeks.cohort_size.sum())
    activated = "n/a" if activation is None else f"{activation:.1%}"
    fig.update_xaxes(
        title="days after signup (N; cohorts that reached day N only)",
        tickvals=[int(n) for n in pooled.index],
        type="log" if len(pooled) and pooled.index.min() > 0 else "linear",
    )
    fig.update_yaxes(title="retained / eligible", tickformat=".0%", rangemode="tozero")
    fig.update_annotations(font_size=13)
    return _layout(
        fig,
        f"Product retention: day-N return by signup quarter (activation rate, pooled: {activated})",
        height=500,
    )


def _panel_note(panel_id: str, title: str, note: str, css: str = "") -> str:
    return (
        f"<div class='panel {css}' id='{panel_id}'><h2>{html.escape(title)}</h2>"
        f"<p class='segment-note'>Not drawn: {note}</p></div>"
    )


# (panel id, title, css, the marts it needs, the figure, why a mart may be absent)
PANELS = (
    ("panel-nps", "Net Promoter Score by response month", "", (NPS_MART,), nps_trend, "events"),
    (
        "panel-nps-repurchase",
        "Repurchase by NPS class",
        "",
        (NPS_RETENTION_MART,),
        nps_repurchase,
        "events",
    ),
    (
        "panel-crr-by-grain",
        "CRR and churn rate by period grain",
        "wide",
        (CHURN_BY_GRAIN_MART,),
        crr_by_grain,
        "",
    ),
    (
        "panel-product-retention",
        "Product retention",
        "wide",
        (ACTIVITY_RETENTION_MART,),
        product_retention,
        "events",
    ),
    (
        "panel-activation-drivers",
        "Activation drivers",
        "wide",
        (ACTIVATION_DRIVERS_MART,),
        activation_drivers,
        "",
    ),
)


def optional_panels_html(marts: Marts) -> str:
    """The panels of ``PANELS``: a figure when its marts are there and have
    rows, a note saying which mart is missing or empty otherwise."""
    parts = []
    for panel_id, title, css, needed, draw, needs in PANELS:
        missing = [name for name in needed if name not in marts]
        empty = [name for name in needed if name in marts and marts[name].empty]
        if missing:
            log.info("no panel %s: the schema lacks %s", panel_id, ", ".join(missing))
            why = (
                "using_events is false (no events), or the warehouse was built before it"
                if needs == "events"
                else "the warehouse was built before it"
            )
            parts.append(
                _panel_note(
                    panel_id,
                    title,
                    f"the marts lack {', '.join(missing)} ({why}: rebuild with dbt build).",
                    css,
                )
            )
        elif empty:
            parts.append(_panel_note(panel_id, title, f"{', '.join(empty)} has no rows yet.", css))
        else:
            figure = draw(marts).to_html(
                full_html=False,
                include_plotlyjs=False,
                config={"displayModeBar": False},
                div_id=f"{panel_id}-figure",
            )
            parts.append(f"<div class='panel {css}' id='{panel_id}'>{figure}</div>")
    return "".join(parts)


def experiment_figure(results: pd.DataFrame, experiment_id: str) -> go.Figure:
    """One experiment: per variant its value (bars) with the 95% interval of
    its difference to control drawn around the value (control_value +
    ci_low .. control_value + ci_high: a whisker that crosses the dashed
    control line is no significant difference), one trace per window x
    metric, switched by the chart's menu."""
    rows = results[results["experiment_id"] == experiment_id]
    combos = sorted(
        {(int(w), m) for w, m in zip(rows["window_days"], rows["metric"], strict=True)},
        key=lambda c: (
            c[0],
            list(EXPERIMENT_METRIC_LABELS).index(c[1]) if c[1] in EXPERIMENT_METRIC_LABELS else 99,
        ),
    )
    default = EXPERIMENT_DEFAULT if EXPERIMENT_DEFAULT in combos else combos[0]
    fig = go.Figure()
    buttons = []
    for window, metric in combos:
        part = rows[(rows["window_days"] == window) & (rows["metric"] == metric)].sort_values(
            "variant"
        )
        high = (part["control_value"] + part["ci_high"] - part["value"]).clip(lower=0)
        low = (part["value"] - part["control_value"] - part["ci_low"]).clip(lower=0)
        text = [
            "n=0" if n == 0 else (f"n={n}" + ("" if pd.isna(p) else f", p={p:.3g}"))
            for n, p in zip(part["eligible_customers"], part["p_value"], strict=True)
        ]
        label = f"{EXPERIMENT_METRIC_LABELS.get(metric, metric)}, {window} days"
        fig.add_trace(
            go.Bar(
                x=part["variant"].tolist(),
                y=part["value"].tolist(),
                text=text,
                textposition="outside",
                # the control bar (no lift, its own control value) in grey
                marker_color=[
                    "#9ca3af" if pd.isna(lift) and value == control else ACCENT
                    for value, control, lift in zip(
                        part["value"], part["control_value"], part["absolute_lift"], strict=True
                    )
                ],
                error_y={
                    "type": "data",
                    "array": high.tolist(),
                    "arrayminus": low.tolist(),
                    "visible": True,
                },
                name=label,
                visible=(window, metric) == default,
                hovertemplate="%{x}: %{y:.4g}<extra></extra>",
            )
        )
        control = part["control_value"].dropna()
        buttons.append(
            {
                "label": label,
                "args": [
                    {"visible": []},
                    {"shapes": [_control_line(control.iloc[0])] if not control.empty else []},
                ],
            }
        )
    for i, button in enumerate(buttons):
        button["args"][0]["visible"] = [j == i for j in range(len(buttons))]
        button["method"] = "update"
    first = combos.index(default)
    fig.update_layout(
        updatemenus=[
            {
                "buttons": buttons,
                "active": first,
                "x": 1.0,
                "xanchor": "right",
                "y": 1.18,
                "yanchor": "top",
            }
        ],
        shapes=buttons[first]["args"][1]["shapes"],
        showlegend=False,
    )
    return _layout(fig, experiment_id, height=380)


def _control_line(value: float) -> dict:
    return {
        "type": "line",
        "xref": "paper",
        "x0": 0,
        "x1": 1,
        "y0": value,
        "y1": value,
        "line": {"dash": "dash", "color": "#6b7280", "width": 1},
    }


def srm_status_html(health: pd.Series) -> str:
    """The sample-ratio-mismatch status of one experiment, in words."""
    p = health["srm_p_value"]
    counts = (
        f"{int(health['assigned_customers'])} customers in {int(health['variants'])} variants"
        f" (smallest {health['smallest_variant_customers']:.0f},"
        f" largest {health['largest_variant_customers']:.0f})"
        if health["assigned_customers"] > 0
        else "no counted customer"
    )
    several = int(health["customers_in_several_variants"])
    extra = f"; {several} in several variants, left out" if several else ""
    if pd.isna(p):
        status, color = "SRM: not tested (fewer than 2 variants)", STATUS_COLORS["no_data"]
    elif p < SRM_ALARM_P_VALUE:
        status = f"SRM ALARM: p = {p:.2g}, the split is not what was intended: distrust the results"
        color = STATUS_COLORS["below"]
    else:
        status, color = f"SRM ok: p = {p:.2g}", STATUS_COLORS["within"]
    return (
        f"<p class='segment-note'><span class='pill' style='background:{color}'>"
        f"{html.escape(status)}</span> {html.escape(counts + extra)}</p>"
    )


def experiments_html(marts: Marts) -> str:
    """The Experiments section: one panel per experiment of experiment_health
    (the SRM status, and each variant's value for a window x metric); nothing
    when the experiment marts are absent (using_experiment_assignments:
    false), a note when they are empty."""
    if not all(name in marts for name in MARTS_EXPERIMENTS):
        return ""
    health = marts["experiment_health"].sort_values("experiment_id")
    head = "<div class='panel wide' id='experiments'><h2>Experiments</h2>"
    if health.empty:
        return head + "<p class='segment-note'>No experiment assignments.</p></div>"
    note = (
        "<p class='segment-note'>Bars: each variant's value over the customers whose whole"
        " window is observed; whiskers: the 95% interval of the difference to control,"
        " drawn around the value (crossing the dashed control line: no significant"
        " difference). Pick the window and metric in each chart's menu. No correction for"
        " peeking or many comparisons (docs/experiments.md).</p>"
    )
    panels = []
    for _, row in health.iterrows():
        figure = ""
        div_id = "experiment-" + re.sub(r"[^a-z0-9_-]", "-", str(row["experiment_id"]).lower())
        if (marts["experiment_results"]["experiment_id"] == row["experiment_id"]).any():
            figure = experiment_figure(marts["experiment_results"], row["experiment_id"]).to_html(
                full_html=False,
                include_plotlyjs=False,
                config={"displayModeBar": False},
                div_id=div_id,
            )
        panels.append(
            f"<div class='experiment' data-experiment='{html.escape(row['experiment_id'])}'>"
            f"{srm_status_html(row)}{figure}</div>"
        )
    return head + note + "<div class='grid'>" + "".join(panels) + "</div></div>"


STYLE = """
body { font-family: %(font)s; margin: 0; background: #f3f4f6; color: #111827; }
header { background: #0f172a; color: white; padding: 22px 32px; }
header h1 { margin: 0 0 4px 0; font-size: 26px; }
header p { margin: 0; color: #cbd5e1; }
main { padding: 20px 32px 40px; }
.cards { display: grid; grid-template-columns: repeat(5, 1fr); gap: 14px; margin-bottom: 18px; }
.card { background: white; border-radius: 10px; padding: 14px 18px; box-shadow: 0 1px 3px #0002; }
.card .label { font-size: 13px; color: #6b7280; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 28px; font-weight: 700; margin: 4px 0; }
.card .note { font-size: 12px; color: #6b7280; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
.panel { background: white; border-radius: 10px; padding: 8px; box-shadow: 0 1px 3px #0002; }
.wide { grid-column: 1 / -1; }
h2 { font-size: 18px; margin: 8px 10px 10px; }
table.scorecard { border-collapse: collapse; width: 100%%; font-size: 15px; }
.scorecard th, .scorecard td {
  text-align: left; padding: 9px 12px; border-bottom: 1px solid #e5e7eb;
}
.scorecard th { color: #6b7280; font-weight: 600; font-size: 13px; text-transform: uppercase; }
.scorecard td.num { font-weight: 700; }
.scorecard td.kpi { font-family: ui-monospace, monospace; }
.pill { color: white; border-radius: 999px; padding: 3px 10px; font-size: 13px; }
footer { color: #6b7280; font-size: 12px; padding: 0 32px 24px; }
.segment-picker { margin: 4px 10px 10px; font-size: 15px; }
.segment-picker select { font: inherit; padding: 4px 8px; margin-left: 6px; }
.segment-note { color: #6b7280; font-size: 13px; margin: 4px 10px 10px; }
"""


def render(marts: Marts, database: Path, schema: str = DEFAULT_SCHEMA) -> str:
    as_of, cards = headline(marts)
    panels = [
        ("wide", heatmap(marts)),
        ("", rolling_retention(marts)),
        ("", cohort_ltv(marts)),
        ("", churn_trend(marts)),
        ("", ltv_to_cac(marts)),
        ("wide", time_between_purchases(marts)),
        ("wide", lifecycle_flow(marts)),
    ]
    body = "".join(
        f"<div class='panel {css}'>"
        + fig.to_html(full_html=False, include_plotlyjs=False, config={"displayModeBar": False})
        + "</div>"
        for css, fig in panels
    )
    scorecard = (
        "<div class='panel wide'><h2>Benchmark scorecard (latest complete period)</h2>"
        + scorecard_html(marts)
        + "</div>"
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Retention dashboard</title>"
        f"<style>{STYLE % {'font': FONT}}</style>"
        f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body>"
        "<header><h1>Retention dashboard</h1>"
        f"<p>as of {as_of} &middot; marts read from {html.escape(database.name)}"
        f" (schema {html.escape(schema)})"
        " &middot; definitions in docs/design/METRICS.md</p></header>"
        f"<main><div class='cards'>{cards}</div>"
        f"<div class='grid'>{scorecard}{body}{signup_conversion_html(marts)}"
        f"{optional_panels_html(marts)}"
        f"{segments_html(marts)}{experiments_html(marts)}</div></main>"
        "<footer>Built by <code>make dashboard</code> from the marts "
        + ", ".join(
            name for name in (*MARTS_READ, *MARTS_OPTIONAL, *MARTS_EXPERIMENTS) if name in marts
        )
        + ".</footer></body></html>"
    )


def write_dashboard(database: Path, out: Path, schema: str = DEFAULT_SCHEMA) -> Path:
    marts = read_marts(database, schema)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(marts, database, schema), encoding="utf-8")
    log.info("wrote %s (%.1f MB)", out, out.stat().st_size / 1e6)
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database",
        type=Path,
        default=Path(os.environ.get("RETENTION_DUCKDB_PATH", "data/warehouse.duckdb")),
        help="DuckDB file holding the marts"
        " (default: $RETENTION_DUCKDB_PATH or data/warehouse.duckdb)",
    )
    parser.add_argument(
        "--schema",
        default=DEFAULT_SCHEMA,
        help=f"schema of the marts in --database (default {DEFAULT_SCHEMA}: a published file or"
        " a standalone build; a project that installs the package: e.g. retention_marts)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"HTML file ({DEFAULT_OUT})")


def run(args: argparse.Namespace) -> int:
    write_dashboard(args.database, args.out, args.schema)
    return 0
