"""A static HTML retention dashboard read from the DuckDB marts.

One self-contained file (plotly.js inlined, no network needed): cohort
retention heatmap, rolling-retention and cohort LTV curves, monthly churn and
CRR, time between purchases, LTV/CAC by channel, activation drivers (lift of
each early action), the benchmark scorecard and a "Segments" section
(retention, churn and 12-month LTV per value of a segment dimension, one
dimension at a time through a picker). The dbt
exposure ``retention_dashboard`` (models/_exposures.yml) lists the marts in
``MARTS_READ``, ``MARTS_OPTIONAL`` and ``MARTS_OPTIONAL_PANELS``; a test
keeps them in step.
``MARTS_READ`` must all be there; the segment marts of ``MARTS_OPTIONAL``
came later (issue 14): without them the section says so and the rest of the
dashboard is drawn as before; so did ``activation_drivers``
(``MARTS_OPTIONAL_PANELS``): without it its panel holds a note.

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
)
# Read when present: the Segments section needs all three; an older warehouse
# without them gets the dashboard without the section (and a note instead).
MARTS_OPTIONAL = (
    "cohort_retention_by_segment",
    "churn_by_segment",
    "ltv_by_segment",
)
# Read when present, each drawn by one panel (a note in the panel without it).
MARTS_OPTIONAL_PANELS = ("activation_drivers",)
# activation_drivers: only events whose did and did-not groups both have this
# many customers are drawn (analyses/activation_drivers_ranked.sql), at most
# DRIVERS_SHOWN of them, the largest lifts.
DRIVERS_MIN_GROUP_CUSTOMERS = 30
DRIVERS_SHOWN = 12
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
STATUS_COLORS = {"within": "#15803d", "above": "#b45309", "below": "#b91c1c", "no_data": "#6b7280"}
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
        + (
            "; ".join(f"{name} ({', '.join(tables)})" for name, tables in holders.items())
            or "none"
        )
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
                [schema, [*MARTS_OPTIONAL, *MARTS_OPTIONAL_PANELS]],
            ).fetchall()
        }
        optional = (*MARTS_OPTIONAL, *MARTS_OPTIONAL_PANELS)
        names = [*MARTS_READ, *(name for name in optional if name in present)]
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


def _format_value(kpi: str, value: float | None) -> str:
    if value is None or pd.isna(value):
        return "no data"
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
    if "activation_drivers" not in marts:
        fig = go.Figure()
        fig.add_annotation(
            text="Not drawn: the marts lack activation_drivers (rebuild with dbt build).",
            showarrow=False,
        )
        return _layout(fig, title, height=300)
    drivers = marts["activation_drivers"]
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
    """The marts of ``MARTS_OPTIONAL`` that ``marts`` lacks."""
    return [name for name in MARTS_OPTIONAL if name not in marts]


def segment_dimensions(marts: Marts) -> list[str]:
    """The segment dimensions in the segment marts, sorted."""
    return sorted(
        set().union(*(set(marts[name].segment.dropna().unique()) for name in MARTS_OPTIONAL))
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
        ("wide", activation_drivers(marts)),
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
        f"<div class='grid'>{scorecard}{body}{segments_html(marts)}</div></main>"
        "<footer>Built by <code>make dashboard</code> from the marts "
        + ", ".join(
            name for name in (*MARTS_READ, *MARTS_OPTIONAL, *MARTS_OPTIONAL_PANELS) if name in marts
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
