"""The MetricFlow semantic layer answers with the marts' numbers.

Runs ``mf validate-configs`` and a few ``mf query`` calls against the DuckDB
warehouse of the shared demo build (conftest.py), and compares every answer
with numbers computed here, independently, from the marts with pandas: the
per-row rates the marts store, and pooled ratios of sums for coarser groups.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from support.dbt import REPO

from retention.reference.compare import compare_frames

MF = Path(sys.executable).with_name("mf")
DBT = Path(sys.executable).with_name("dbt")
TIMEOUT_SECONDS = 600


@pytest.fixture(scope="module")
def warehouse(dbt_build) -> Path:
    build = dbt_build("demo", {})
    assert build.ok, f"{build.describe()} failed:\n{build.tail()}"
    # mf reads target/semantic_manifest.json of the project; write it fresh.
    parsed = subprocess.run(
        [str(DBT), "parse", "--quiet"],
        cwd=REPO,
        env=_env(build.database_path),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )
    assert parsed.returncode == 0, parsed.stdout + parsed.stderr
    return build.database_path


def _env(database_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "RETENTION_DUCKDB_PATH": str(database_path),
        "DBT_PROFILES_DIR": str(REPO / "profiles"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def _mf(database_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MF), *args],
        cwd=REPO,
        env=_env(database_path),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )


def mf_query(
    database_path: Path,
    tmp_path: Path,
    metrics: list[str],
    group_by: list[str],
    where: str | None = None,
) -> pd.DataFrame:
    """``mf query`` written to CSV and read back."""
    out = tmp_path / f"{'_'.join(metrics)}__{'_'.join(group_by) or 'total'}.csv"
    args = ["query", "--metrics", ",".join(metrics), "--csv", str(out)]
    if group_by:
        args += ["--group-by", ",".join(group_by)]
    if where:
        args += ["--where", where]
    done = _mf(database_path, *args)
    assert done.returncode == 0 and out.exists(), done.stdout + done.stderr
    return pd.read_csv(out)


def mart(database_path: Path, name: str) -> pd.DataFrame:
    with duckdb.connect(str(database_path), read_only=True) as con:
        return con.sql(f"select * from marts.{name}").df()


def as_dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.date


def assert_close(actual: pd.Series, expected: pd.Series, what: str) -> None:
    """Two columns equal row by row (the project's one comparison,
    retention/reference/compare.py: NULL only equals NULL, floats within 1e-9)."""
    assert len(actual) == len(expected), f"{what}: {len(actual)} rows, expected {len(expected)}"
    rows = range(len(actual))
    problems = compare_frames(
        pd.DataFrame({"row": rows, "value": actual.astype(float).to_numpy()}),
        pd.DataFrame({"row": rows, "value": expected.astype(float).to_numpy()}),
        ["row"],
        labels=("mf", "mart"),
    )
    assert not problems, f"{what}: " + "; ".join(problems)


def test_mf_validate_configs_passes(warehouse: Path) -> None:
    done = _mf(warehouse, "validate-configs")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Successfully validated the semantics" in output, output
    assert "Successfully validated metrics against data warehouse" in output, output


def test_pooled_retention_curve_is_ratio_of_sums_over_cohorts(
    warehouse: Path, tmp_path: Path
) -> None:
    metrics = ["retention_rate", "rolling_retention_rate", "cohort_ltv_per_customer"]
    got = mf_query(warehouse, tmp_path, metrics, ["cohort__period_number"])
    got = got.sort_values("cohort__period_number").reset_index(drop=True)

    cohorts = mart(warehouse, "cohort_retention")
    sums = (
        cohorts.groupby("period_number")[
            ["active_customers", "retained_on_or_after", "cohort_size", "cumulative_gross_margin"]
        ]
        .sum()
        .astype(float)
    )
    expected = sums.sort_index().reset_index()
    assert got["cohort__period_number"].tolist() == expected["period_number"].tolist()
    assert_close(
        got["retention_rate"], expected.active_customers / expected.cohort_size, "retention"
    )
    assert_close(
        got["rolling_retention_rate"],
        expected.retained_on_or_after / expected.cohort_size,
        "rolling retention",
    )
    assert_close(
        got["cohort_ltv_per_customer"],
        expected.cumulative_gross_margin / expected.cohort_size,
        "cohort LTV",
    )
    # Period 0: everyone is active; later periods lose customers.
    assert got["retention_rate"].iloc[0] == pytest.approx(1.0)
    assert got["retention_rate"].iloc[1] < 1.0


def test_retention_per_cohort_and_period_equals_cohort_retention_mart(
    warehouse: Path, tmp_path: Path
) -> None:
    got = mf_query(
        warehouse,
        tmp_path,
        ["retention_rate", "rolling_retention_rate"],
        ["cohort__cohort_period__day", "cohort__period_number"],
    )
    got["cohort_period"] = as_dates(got["cohort__cohort_period__day"])
    got = got.rename(columns={"cohort__period_number": "period_number"})
    expected = mart(warehouse, "cohort_retention")
    expected["cohort_period"] = as_dates(expected["cohort_period"])
    joined = expected.merge(
        got, on=["cohort_period", "period_number"], how="outer", suffixes=("", "_mf")
    )
    assert len(joined) == len(expected), "mf and the mart have different (cohort, period) rows"
    assert_close(joined["retention_rate_mf"], joined["retention_rate"], "retention")
    assert_close(joined["rolling_retention_rate_mf"], joined["rolling_retention_rate"], "rolling")


def test_churn_and_crr_by_month_and_pooled_by_year(warehouse: Path, tmp_path: Path) -> None:
    churn = mart(warehouse, "churn")
    churn["month"] = as_dates(churn["period_start"])

    monthly = mf_query(warehouse, tmp_path, ["churn_rate", "crr"], ["metric_time__month"])
    monthly["month"] = as_dates(monthly["metric_time__month"])
    joined = churn.merge(monthly, on="month", suffixes=("", "_mf"))
    assert len(joined) == len(churn)
    assert_close(joined["churn_rate_mf"], joined["churn_rate"], "monthly churn")
    assert_close(joined["crr_mf"], joined["crr"], "monthly crr")

    yearly = mf_query(warehouse, tmp_path, ["churn_rate", "crr"], ["metric_time__year"])
    yearly["year"] = pd.to_datetime(yearly["metric_time__year"]).dt.year
    churn["year"] = pd.to_datetime(churn["period_start"]).dt.year
    churn["e_minus_n"] = churn.customers_end - churn.new_customers_active_end
    sums = churn.groupby("year")[["churned_customers", "e_minus_n", "customers_start"]].sum()
    sums = sums.astype(float)
    start = sums.customers_start.replace(0, np.nan)
    expected = pd.DataFrame(
        {
            "churn_expected": sums.churned_customers / start,
            "crr_expected": sums.e_minus_n / start,
        }
    ).reset_index()
    joined = expected.merge(yearly, on="year")
    assert len(joined) == len(expected) >= 2
    assert_close(joined["churn_rate"], joined["churn_expected"], "yearly pooled churn")
    assert_close(joined["crr"], joined["crr_expected"], "yearly pooled crr")


def test_value_and_repeat_metrics_match_retention_kpis(warehouse: Path, tmp_path: Path) -> None:
    kpis = mart(warehouse, "retention_kpis")
    kpis["month"] = as_dates(kpis["month_start"])
    metrics = ["aov", "purchase_frequency", "repeat_purchase_rate", "nrr_12m"]
    monthly = mf_query(warehouse, tmp_path, metrics, ["metric_time__month"])
    monthly["month"] = as_dates(monthly["metric_time__month"])
    joined = kpis.merge(monthly, on="month", suffixes=("", "_mf"))
    assert len(joined) == len(kpis)
    for metric in metrics:
        assert_close(joined[f"{metric}_mf"], joined[metric], f"monthly {metric}")
    assert joined["nrr_12m"].notna().any(), "the demo data should have 24 months for NRR"

    # A year: purchases pooled over its months; stocks (repeat buyers, NRR
    # base) taken at the year's last month.
    yearly = mf_query(warehouse, tmp_path, metrics, ["metric_time__year"])
    yearly["year"] = pd.to_datetime(yearly["metric_time__year"]).dt.year
    kpis["year"] = pd.to_datetime(kpis["month_start"]).dt.year
    flows = kpis.groupby("year")[["net_revenue", "purchases", "active_customers"]].sum()
    flows = flows.astype(float)
    last = kpis.sort_values("month_start").groupby("year").tail(1).set_index("year")
    expected = pd.DataFrame(
        {
            "aov": flows.net_revenue / flows.purchases,
            "purchase_frequency": flows.purchases / flows.active_customers,
            "repeat_purchase_rate": last.repeat_purchase_rate,
            "nrr_12m": last.nrr_12m,
        }
    ).reset_index()
    joined = expected.merge(yearly, on="year", suffixes=("", "_mf"))
    assert len(joined) == len(expected) >= 2
    for metric in metrics:
        assert_close(joined[f"{metric}_mf"], joined[metric], f"yearly {metric}")


def test_cac_and_ltv_to_cac_per_cohort_and_pooled_by_channel(
    warehouse: Path, tmp_path: Path
) -> None:
    economics = mart(warehouse, "channel_economics")
    economics["month"] = as_dates(economics["cohort_month"])
    metrics = ["cac", "ltv_to_cac_12m"]

    cells = mf_query(
        warehouse,
        tmp_path,
        metrics,
        ["channel_cohort__acquisition_channel", "metric_time__month"],
    )
    cells = cells.rename(columns={"channel_cohort__acquisition_channel": "acquisition_channel"})
    cells["month"] = as_dates(cells["metric_time__month"])
    joined = economics.merge(cells, on=["acquisition_channel", "month"], suffixes=("", "_mf"))
    assert len(joined) == len(economics)
    assert_close(joined["cac_mf"], joined["cac"], "cac per channel-month")
    assert_close(joined["ltv_to_cac_12m_mf"], joined["ltv_to_cac_12m"], "LTV/CAC per cell")

    by_channel = mf_query(warehouse, tmp_path, metrics, ["channel_cohort__acquisition_channel"])
    by_channel = by_channel.rename(
        columns={"channel_cohort__acquisition_channel": "acquisition_channel"}
    )
    paid = economics[economics.spend > 0].copy()
    mature = paid[paid.ltv_12m.notna()].copy()
    mature["margin_12m"] = mature.ltv_12m * mature.new_customers
    spend = paid.groupby("acquisition_channel").spend.sum().astype(float)
    new = paid.groupby("acquisition_channel").new_customers.sum().astype(float)
    margin = mature.groupby("acquisition_channel").margin_12m.sum()
    mature_spend = mature.groupby("acquisition_channel").spend.sum().astype(float)
    expected = pd.DataFrame(
        {
            "acquisition_channel": sorted(economics.acquisition_channel.unique()),
        }
    )
    expected["cac_expected"] = expected.acquisition_channel.map(spend / new.replace(0, np.nan))
    expected["ltv_to_cac_expected"] = expected.acquisition_channel.map(
        margin / mature_spend.replace(0, np.nan)
    )
    joined = expected.merge(by_channel, on="acquisition_channel")
    assert len(joined) == len(expected)
    assert_close(joined["cac"], joined["cac_expected"], "pooled cac")
    assert_close(joined["ltv_to_cac_12m"], joined["ltv_to_cac_expected"], "pooled LTV/CAC")
    assert joined["cac"].notna().sum() >= 3, "several paid channels expected in the demo data"


@pytest.mark.parametrize("dimension", ["country_code", "acquisition_channel"])
def test_segment_metrics_by_value_are_ratios_of_the_segment_marts_sums(
    warehouse: Path, tmp_path: Path, dimension: str
) -> None:
    """``mf query --metrics segment_retention_rate --group-by
    segment__segment_value --where segment__dimension = <dimension>`` and the
    churn and LTV ones: pooled ratios of the marts' sums, computed here."""
    cohorts = mart(warehouse, "cohort_retention_by_segment")
    cohorts = cohorts[cohorts["segment"] == dimension]
    sums = cohorts.groupby("segment_value")[["active_customers", "cohort_size"]].sum()
    got = mf_query(
        warehouse,
        tmp_path,
        ["segment_retention_rate"],
        ["segment__segment_value"],
        f"{{{{ Dimension('segment__dimension') }}}} = '{dimension}'",
    ).set_index("segment__segment_value")
    assert sorted(got.index) == sorted(sums.index) and len(sums) > 2
    got = got.loc[sums.index]
    expected = sums.active_customers.astype(float) / sums.cohort_size
    assert_close(got["segment_retention_rate"], expected, f"retention by {dimension}")

    churn = mart(warehouse, "churn_by_segment")
    churn = churn[churn["segment"] == dimension]
    churn_sums = churn.groupby("segment_value")[["churned_customers", "customers_start"]].sum()
    got = mf_query(
        warehouse,
        tmp_path,
        ["segment_churn_rate"],
        ["segment_month__segment_value"],
        f"{{{{ Dimension('segment_month__dimension') }}}} = '{dimension}'",
    ).set_index("segment_month__segment_value")
    got = got.loc[churn_sums.index]
    start = churn_sums.customers_start.replace(0, np.nan).astype(float)
    assert_close(got["segment_churn_rate"], churn_sums.churned_customers / start, "churn")

    ltv = mart(warehouse, "ltv_by_segment")
    ltv = ltv[(ltv["segment"] == dimension) & ltv["ltv_12m"].notna()]
    ltv = ltv.assign(margin=ltv["ltv_12m"] * ltv["customers"])
    ltv_sums = ltv.groupby("segment_value")[["margin", "customers"]].sum()
    got = mf_query(
        warehouse,
        tmp_path,
        ["segment_ltv_12m"],
        ["segment_cohort__segment_value"],
        f"{{{{ Dimension('segment_cohort__dimension') }}}} = '{dimension}'",
    ).set_index("segment_cohort__segment_value")
    got = got.loc[ltv_sums.index]
    assert_close(got["segment_ltv_12m"], ltv_sums.margin / ltv_sums.customers, "ltv 12m")


def test_signup_conversion_rate_by_day_n_pools_weeks_and_equals_each_row(
    warehouse: Path, tmp_path: Path
) -> None:
    """``signup_conversion_rate`` grouped by day N is sum(converted) /
    sum(eligible) over the signup weeks; per week and N it is the mart's
    conversion_rate (NULL where nobody is eligible)."""
    conversion = mart(warehouse, "signup_conversion")
    sums = conversion.groupby("day_n")[["converted_customers", "eligible_customers"]].sum()
    got = mf_query(
        warehouse, tmp_path, ["signup_conversion_rate"], ["signup_cohort__day_n"]
    ).set_index("signup_cohort__day_n")
    assert sorted(got.index) == sorted(sums.index) and len(sums) >= 2
    got = got.loc[sums.index]
    expected = sums.converted_customers.astype(float) / sums.eligible_customers.replace(0, np.nan)
    assert_close(got["signup_conversion_rate"], expected, "pooled conversion by day N")

    cells = mf_query(
        warehouse,
        tmp_path,
        ["signup_conversion_rate"],
        ["signup_cohort__signup_week__day", "signup_cohort__day_n"],
    )
    cells["signup_week"] = as_dates(cells["signup_cohort__signup_week__day"])
    cells = cells.rename(columns={"signup_cohort__day_n": "day_n"})
    conversion["signup_week"] = as_dates(conversion["signup_week"])
    joined = conversion.merge(cells, on=["signup_week", "day_n"], how="outer")
    assert len(joined) == len(conversion), "mf and the mart have different (week, N) rows"
    assert_close(joined["signup_conversion_rate"], joined["conversion_rate"], "per week and N")
    assert conversion["conversion_rate"].isna().any(), "the latest weeks lack long N"


def test_crr_by_grain_per_period_equals_churn_by_grain_and_pools_by_sums(
    warehouse: Path, tmp_path: Path
) -> None:
    """``crr_by_grain`` and ``churn_rate_by_grain`` grouped by grain and day:
    one answer per row of churn_by_grain, equal to (E - N_end) / S and
    churned / S computed here from the mart's counts (and to its stored
    rates); the month rows grouped by quarter pool as ratios of sums."""
    grains = mart(warehouse, "churn_by_grain")
    grains["day"] = as_dates(grains["period_start"])
    metrics = ["crr_by_grain", "churn_rate_by_grain"]
    got = mf_query(warehouse, tmp_path, metrics, ["churn_period__grain", "metric_time__day"])
    got = got.rename(columns={"churn_period__grain": "grain"})
    got["day"] = as_dates(got["metric_time__day"])
    joined = grains.merge(got, on=["grain", "day"], how="outer", suffixes=("", "_mf"))
    assert len(joined) == len(grains), "mf and the mart have different (grain, period) rows"
    assert set(joined["grain"]) == {"day", "week", "month", "quarter", "half_year", "year"}
    start = joined.customers_start.replace(0, np.nan).astype(float)
    end_not_new = (joined.customers_end - joined.new_customers_active_end).astype(float)
    assert_close(joined["crr_by_grain"], end_not_new / start, "crr per grain and period")
    assert_close(joined["crr_by_grain"], joined["crr"], "crr equals the mart's")
    assert_close(
        joined["churn_rate_by_grain"], joined.churned_customers / start, "churn per period"
    )
    assert_close(joined["churn_rate_by_grain"], joined["churn_rate"], "churn equals the mart's")

    months = grains[grains["grain"] == "month"].copy()
    months["quarter"] = pd.to_datetime(months["period_start"]).dt.to_period("Q").dt.start_time
    months["e_minus_n"] = months.customers_end - months.new_customers_active_end
    sums = months.groupby("quarter")[["e_minus_n", "customers_start"]].sum().astype(float)
    expected = (sums.e_minus_n / sums.customers_start.replace(0, np.nan)).rename("expected")
    pooled = mf_query(
        warehouse,
        tmp_path,
        ["crr_by_grain"],
        ["metric_time__quarter"],
        "{{ Dimension('churn_period__grain') }} = 'month'",
    )
    pooled["quarter"] = pd.to_datetime(pooled["metric_time__quarter"])
    joined = expected.reset_index().merge(pooled, on="quarter")
    assert len(joined) == len(expected) >= 4
    assert_close(joined["crr_by_grain"], joined["expected"], "quarters pooled from months")


def test_nps_per_month_equals_the_mart_and_pools_respondents_by_year(
    warehouse: Path, tmp_path: Path
) -> None:
    """``nps``, ``nps_promoter_share`` and ``nps_detractor_share`` by month
    equal 100 x (promoters - detractors) / respondents and the shares
    computed here from the mart's counts (and its stored nps); by year they
    pool the months' respondents."""
    nps = mart(warehouse, "nps")
    nps["month"] = as_dates(nps["month_start"])
    metrics = ["nps", "nps_promoter_share", "nps_detractor_share"]
    monthly = mf_query(warehouse, tmp_path, metrics, ["metric_time__month"])
    monthly["month"] = as_dates(monthly["metric_time__month"])
    joined = nps.merge(monthly, on="month", how="outer", suffixes=("", "_mf"))
    assert len(joined) == len(nps) >= 12
    respondents = joined.respondents.replace(0, np.nan).astype(float)
    assert_close(
        joined["nps_mf"], 100 * (joined.promoters - joined.detractors) / respondents, "nps"
    )
    assert_close(joined["nps_mf"], joined["nps"], "nps equals the mart's")
    assert_close(joined["nps_promoter_share"], joined.promoters / respondents, "promoters")
    assert_close(joined["nps_detractor_share"], joined.detractors / respondents, "detractors")

    yearly = mf_query(warehouse, tmp_path, ["nps"], ["metric_time__year"])
    yearly["year"] = pd.to_datetime(yearly["metric_time__year"]).dt.year
    nps["year"] = pd.to_datetime(nps["month_start"]).dt.year
    sums = nps.groupby("year")[["promoters", "detractors", "respondents"]].sum().astype(float)
    expected = (100 * (sums.promoters - sums.detractors) / sums.respondents).rename("expected")
    joined = expected.reset_index().merge(yearly, on="year")
    assert len(joined) == len(expected) >= 2
    assert_close(joined["nps"], joined["expected"], "yearly pooled nps")


def test_experiment_rates_per_variant_and_window_equal_results(
    warehouse: Path, tmp_path: Path
) -> None:
    """The four experiment metrics grouped by experiment, variant and window
    equal experiment_results.value of each metric, and the counts computed
    here from the customer x window rows (eligible customers only)."""
    keys = ["experiment_id", "variant", "window_days"]
    metrics = {
        "conversion": "experiment_conversion_rate",
        "repeat": "experiment_repeat_rate",
        "activation": "experiment_activation_rate",
        "net_revenue_per_customer": "experiment_net_revenue_per_customer",
    }
    got = mf_query(
        warehouse,
        tmp_path,
        list(metrics.values()),
        [f"experiment_customer__{key}" for key in keys],
    ).rename(columns={f"experiment_customer__{key}": key for key in keys})

    results = mart(warehouse, "experiment_results")
    values = results.pivot(index=keys, columns="metric", values="value")
    joined = values.reset_index().merge(got, on=keys, how="outer", indicator=True)
    assert (joined["_merge"] == "both").all(), "mf and experiment_results have different groups"
    assert len(joined) >= 12 and joined.experiment_id.nunique() >= 3
    for metric, name in metrics.items():
        assert_close(joined[name], joined[metric], f"{name} equals the mart's {metric}")

    with duckdb.connect(str(warehouse), read_only=True) as con:
        windows = con.sql("select * from intermediate.int_experiment_customer_windows").df()
    eligible = windows[windows.is_eligible]
    counted = (
        eligible.assign(
            converted=eligible.purchase_days >= 1,
            repeated=eligible.purchase_days >= 2,
            revenue=eligible.net_revenue.astype(float),
        )
        .groupby(keys)
        .agg(n=("customer_id", "size"), converted=("converted", "sum"), revenue=("revenue", "sum"))
        .reset_index()
    )
    joined = joined.merge(counted, on=keys, how="left")
    eligible_n = joined.n.replace(0, np.nan).astype(float)
    assert_close(joined.experiment_conversion_rate, joined.converted / eligible_n, "conversion")
    assert_close(
        joined.experiment_net_revenue_per_customer, joined.revenue / eligible_n, "revenue"
    )
