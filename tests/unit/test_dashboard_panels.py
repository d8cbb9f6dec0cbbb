"""The dashboard panels of issue 15 on small hand-made marts, without dbt or
a browser: the month in progress drawn apart, the grain switch over the
grains present only, the minimum of eligible customers behind a cohort
point, and the note in place of a panel whose mart is missing or empty.
The same panels on the demo build: tests/browser/test_dashboard.py."""

from __future__ import annotations

import pandas as pd
import pytest

from retention.serve.dashboard import (
    PRODUCT_MIN_ELIGIBLE,
    Marts,
    crr_by_grain,
    nps_trend,
    optional_panels_html,
    product_retention,
)


def nps_months() -> pd.DataFrame:
    """Three months; March holds as_of_date (incomplete). February: nobody."""
    return pd.DataFrame(
        {
            "month_start": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]),
            "responses": [5, 0, 2],
            "respondents": [4, 0, 2],
            "promoters": [2, 0, 0],
            "passives": [1, 0, 0],
            "detractors": [1, 0, 2],
            "promoter_share": [0.5, None, 0.0],
            "detractor_share": [0.25, None, 1.0],
            "nps": [25.0, None, -100.0],
            "is_complete_period": [True, True, False],
        }
    )


def test_nps_panel_draws_the_month_in_progress_apart_and_hollow() -> None:
    fig = nps_trend(Marts({"nps": nps_months()}))
    names = [trace.name for trace in fig.data]
    assert names == [
        "NPS",
        "promoter share",
        "detractor share",
        "NPS (month in progress)",
        "promoter share (month in progress)",
        "detractor share (month in progress)",
    ]
    complete, in_progress = fig.data[0], fig.data[3]
    assert list(complete.x) == ["2024-01-01", "2024-02-01"]
    assert complete.y[0] == 25.0 and pd.isna(complete.y[1]), "no respondents: no point"
    assert list(in_progress.x) == ["2024-03-01"] and list(in_progress.y) == [-100.0]
    assert in_progress.marker.symbol == "circle-open" and in_progress.mode == "markers"


def grain_rows(grain: str, starts: list[str], customers_start: list[int]) -> pd.DataFrame:
    n = len(starts)
    return pd.DataFrame(
        {
            "grain": grain,
            "period_start": pd.to_datetime(starts),
            "customers_start": customers_start,
            "customers_end": [10] * n,
            "new_customers_active_end": [2] * n,
            "churned_customers": [3] * n,
            "crr": [None if s == 0 else 8 / s for s in customers_start],
            "churn_rate": [None if s == 0 else 3 / s for s in customers_start],
            "is_complete_period": [True] * (n - 1) + [False],
        }
    )


def test_crr_switch_offers_only_the_grains_present_and_skips_periods_without_s() -> None:
    """No month rows (churn_grains [week, quarter]): the week is shown
    first; a period with S = 0 has no point; the last period is in progress."""
    rows = pd.concat(
        [
            grain_rows("quarter", ["2024-01-01", "2024-04-01", "2024-07-01"], [0, 16, 20]),
            grain_rows("week", ["2024-01-01", "2024-01-08", "2024-01-15"], [0, 10, 8]),
        ]
    )
    fig = crr_by_grain(Marts({"churn_by_grain": rows}))
    (menu,) = fig.layout.updatemenus
    assert [button.label for button in menu.buttons] == ["week", "quarter"]
    assert menu.active == 0
    shown = [trace.name for trace in fig.data if trace.visible]
    assert shown == [
        "CRR (E - N) / S, week",
        "churn rate, week",
        "CRR (E - N) / S, week (in progress)",
        "churn rate, week (in progress)",
    ]
    quarter = next(trace for trace in fig.data if trace.name == "CRR (E - N) / S, quarter")
    assert list(quarter.x) == ["2024-04-01"], "S = 0 in 2024-Q1: no CRR to draw"
    assert list(quarter.y) == pytest.approx([(10 - 2) / 16])
    quarter_button = menu.buttons[1].args[0]["visible"]
    assert [
        name for name, on in zip([t.name for t in fig.data], quarter_button, strict=True) if on
    ] == [
        "CRR (E - N) / S, quarter",
        "churn rate, quarter",
        "CRR (E - N) / S, quarter (in progress)",
        "churn rate, quarter (in progress)",
    ]


def test_product_retention_drops_thin_cohort_points_but_pools_them() -> None:
    """Two signup weeks of 2024-Q1: day 1 has 40 + 20 eligible, day 7 only
    20 (the second week has not reached it): the quarter's day-7 point rests
    on fewer than PRODUCT_MIN_ELIGIBLE and is left out; the pooled curve
    keeps it."""
    assert 20 < PRODUCT_MIN_ELIGIBLE <= 60
    rows = pd.DataFrame(
        {
            "signup_week": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-03-25", "2024-03-25"]),
            "day_n": [1, 7, 1, 7],
            "cohort_size": [40, 40, 20, 20],
            "eligible_customers": [40, 0, 20, 20],
            "retained_on": [8, 0, 2, 1],
            "retained_on_or_after": [20, 0, 6, 3],
            "activated_customers": [10, 10, 5, 5],
        }
    )
    fig = product_retention(Marts({"activity_retention": rows}))
    on_day = [trace for trace in fig.data if trace.xaxis in (None, "x")]
    assert [trace.name for trace in on_day] == ["signed up 2024-Q1", "all cohorts (pooled)"]
    assert list(on_day[0].x) == [1] and list(on_day[0].y) == pytest.approx([10 / 60])
    assert list(on_day[1].x) == [1, 7]
    assert list(on_day[1].y) == pytest.approx([10 / 60, 1 / 20])
    assert "activation rate, pooled: 25.0%" in fig.layout.title.text  # (10 + 5) / (40 + 20)


def test_a_missing_or_empty_mart_gives_a_note_in_place_of_its_panel() -> None:
    empty_nps = nps_months().iloc[0:0]
    page = optional_panels_html(Marts({"nps": empty_nps}))
    assert "id='panel-nps'><h2>Net Promoter Score by response month</h2>" in page
    assert "Not drawn: nps has no rows yet." in page
    assert "Not drawn: the marts lack nps_retention (using_events is false" in page
    assert "Not drawn: the marts lack churn_by_grain (the warehouse was built before it" in page
    assert "Not drawn: the marts lack activity_retention (using_events is false" in page
    assert "Plotly.newPlot" not in page
