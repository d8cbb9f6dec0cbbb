"""The demo's experiments read out as planted (retention/demo/experiments.py),
on the shared demo build (1,500 customers, seed 42, default vars):

- onboarding_checklist: the planted +10 points of 30-day conversion is found
  (p < 0.05) and measured close to what was planted;
- homepage_layout (three variants, no effect): not flagged, neither by a
  30-day conversion p-value nor by the sample-ratio check;
- free_shipping_banner (a 60/40 split): the sample-ratio check fires
  (p < 0.001), and its p-value equals scipy's chi-square test of the counts.

The statistics themselves are compared with scipy in
tests/dbt/test_statistics_macros.py and, mart by mart, with the reference in
tests/dbt/test_marts_match_reference.py.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from scipy import stats

from retention.demo.experiments import BANNER, LAYOUT, ONBOARDING, PLANTED_LIFT


@pytest.fixture(scope="module")
def demo(dbt_build) -> dict[str, pd.DataFrame]:
    build = dbt_build("demo", {})
    assert build.ok, build.tail()
    with duckdb.connect(str(build.database_path), read_only=True) as con:
        return {
            mart: con.sql(f"select * from marts.{mart}").to_arrow_table().to_pandas()
            for mart in ("experiment_results", "experiment_health")
        }


def _conversion_30(results: pd.DataFrame, experiment: str) -> pd.DataFrame:
    rows = results[
        (results["experiment_id"] == experiment)
        & (results["metric"] == "conversion")
        & (results["window_days"] == 30)
        & (results["variant"] != "control")
    ]
    assert not rows.empty, experiment
    return rows


def _health(health: pd.DataFrame, experiment: str) -> pd.Series:
    return health.set_index("experiment_id").loc[experiment]


def test_the_planted_effect_is_found(demo) -> None:
    row = _conversion_30(demo["experiment_results"], ONBOARDING).iloc[0]
    assert row["variant"] == "checklist"
    assert row["p_value"] < 0.05, row.to_dict()
    assert row["ci_low"] > 0, row.to_dict()
    assert abs(row["absolute_lift"] - PLANTED_LIFT) < 0.03, row.to_dict()
    assert _health(demo["experiment_health"], ONBOARDING)["srm_p_value"] >= 0.05


def test_the_null_experiment_is_not_flagged(demo) -> None:
    rows = _conversion_30(demo["experiment_results"], LAYOUT)
    assert set(rows["variant"]) == {"grid", "carousel"}
    assert (rows["p_value"] >= 0.05).all(), rows.to_dict("records")
    health = _health(demo["experiment_health"], LAYOUT)
    assert health["variants"] == 3
    assert health["srm_p_value"] >= 0.05


def test_the_broken_split_fires_the_srm_check(demo) -> None:
    health = _health(demo["experiment_health"], BANNER)
    assert health["srm_p_value"] < 0.001
    counts = [health["smallest_variant_customers"], health["largest_variant_customers"]]
    assert health["largest_variant_customers"] / health["assigned_customers"] == pytest.approx(
        0.6, abs=0.02
    )
    assert health["srm_p_value"] == pytest.approx(stats.chisquare(counts).pvalue, abs=1e-6)
