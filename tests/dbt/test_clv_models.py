"""BG/NBD + Gamma-Gamma marts (clv_model_params, customer_value_predictions).

(a) CDNOW sample through dbt: the fitted parameters equal the published ones
    of Fader, Hardie & Lee (2005) and Fader, Hardie & Lee (2005, "RFM and
    CLV"): BG/NBD r = 0.243, alpha = 4.414, a = 0.793, b = 2.426 (3 decimals),
    log-likelihood -9582.4 (within 0.1); Gamma-Gamma on the 946 repeat
    customers p = 6.25, q = 3.74, gamma (lifetimes' v) = 15.44 (2 decimals).
(b) Holdout: calibration 39 weeks, holdout 39 weeks; actual vs expected
    repeat purchases in total and by calibration repeat purchases (0..7+).
    Tolerance for the total: 3 standard deviations of (actual - expected) if
    BG/NBD were the true process, derived from the fitted model itself:
    sampling noise of the holdout purchases (simulated from each customer's
    exact posterior) and the estimation error of the four parameters (delta
    method, observed information). The table is written to
    reports/cdnow_holdout_check.md.
(c) Parameter recovery: the demo generator is BG/NBD-like, not BG/NBD (see
    retention/clv/bgnbd_sim.py), so a pure BG/NBD process with known parameters
    is simulated, loaded as raw orders and fitted through dbt.
(d) Predictions equal what lifetimes' own methods return for the fitted
    parameters (customer_lifetime_value with freq 'W' on CDNOW, 'D' on the demo).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from support.clv_builds import build_frames, cdnow_sample_build
from support.dbt import REPO

from retention.clv import holdout
from retention.clv.bgnbd_sim import BgNbdProcess, raw_tables, simulate_purchases

PUBLISHED_BG_NBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_BG_NBD_LOG_LIKELIHOOD = -9582.4
PUBLISHED_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.44}
CDNOW_CUSTOMERS = 2357
CDNOW_REPEAT_CUSTOMERS = 946
HOLDOUT_SIGMAS = 3.0
REPORT = REPO / "reports" / "cdnow_holdout_check.md"
# Only the models the fit needs (their data tests run in the full builds).
ONLY_FIT = (
    "--select",
    "+clv_model_params",
    "rfm_summary",
    "--exclude-resource-type",
    "test",
    "--exclude-resource-type",
    "unit_test",
)


def read_params(database: Path) -> pd.DataFrame:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.sql("select * from marts.clv_model_params").df()


def param_values(params: pd.DataFrame, model: str) -> dict[str, float]:
    rows = params[params["model"] == model]
    return dict(zip(rows["parameter"], rows["value"], strict=True))


@pytest.fixture(scope="module")
def cdnow():
    build = cdnow_sample_build()
    if build.returncode != 0:
        pytest.fail(f"dbt build on the CDNOW sample failed:\n{build.tail()}")
    return build


# --------------------------------------------------------------------------
# (a) CDNOW: the published parameters
# --------------------------------------------------------------------------


def test_every_mart_builds_and_passes_its_tests_on_the_cdnow_sample(cdnow):
    assert "Completed successfully" in cdnow.output
    with duckdb.connect(str(cdnow.database_path), read_only=True) as con:
        predictions = con.sql("select count(*) from marts.customer_value_predictions").fetchall()
    assert predictions[0][0] == CDNOW_CUSTOMERS


def test_bg_nbd_on_cdnow_sample_reproduces_the_published_fit(cdnow):
    params = read_params(cdnow.database_path)
    bg = param_values(params, "bg_nbd")
    assert set(params.loc[params["model"] == "bg_nbd", "fit_status"]) == {"converged"}
    assert bg["customers"] == CDNOW_CUSTOMERS
    for name, published in PUBLISHED_BG_NBD.items():
        assert round(bg[name], 3) == published, (name, bg[name])
    assert abs(bg["log_likelihood"] - PUBLISHED_BG_NBD_LOG_LIKELIHOOD) <= 0.1, bg
    assert {str(pd.Timestamp(v).date()) for v in params["observation_end"]} == {"1997-09-30"}
    assert set(params["time_unit_days"]) == {7}


def test_gamma_gamma_on_cdnow_repeat_customers_reproduces_the_published_fit(cdnow):
    gg = param_values(read_params(cdnow.database_path), "gamma_gamma")
    assert gg["customers"] == CDNOW_REPEAT_CUSTOMERS
    for name, published in PUBLISHED_GAMMA_GAMMA.items():
        assert round(gg[name], 2) == published, (name, gg[name])


def test_refit_of_the_same_data_gives_identical_numbers(cdnow, tmp_path):
    """Deterministic: a second build of the same raw tables gives the same parameters."""
    from retention.raw.cdnow import DBT_VARS, cdnow_raw, read_cdnow

    again = build_frames("cdnow_again", cdnow_raw(read_cdnow("sample")), DBT_VARS, ONLY_FIT)
    assert again.returncode == 0, again.tail()
    first = read_params(cdnow.database_path).sort_values(["model", "parameter"])
    second = read_params(again.database_path).sort_values(["model", "parameter"])
    assert first["value"].tolist() == second["value"].tolist()


# --------------------------------------------------------------------------
# (b) Holdout
# --------------------------------------------------------------------------


def test_holdout_repeat_purchases_are_within_the_model_uncertainty(cdnow):
    data = holdout.read_holdout_data(cdnow.database_path)
    assert data.holdout_length == 39
    customers = holdout.customer_holdout(data)
    table = holdout.conditional_expectations(customers)
    sampling, parameter, combined = holdout.holdout_error_sd(data, customers)
    total = table.loc["total"]
    error = total["actual_total"] - total["expected_total"]
    tolerance = HOLDOUT_SIGMAS * combined
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(
        "# CDNOW sample: BG/NBD holdout check\n\n"
        f"Calibration to {data.observation_end.date()}, holdout {data.holdout_length:g} weeks"
        f" to {data.holdout_end.date()}. Parameters: {json.dumps(data.params)}\n\n"
        f"{holdout.table_markdown(table)}\n\n"
        f"Total error (actual - expected): {error:+.1f}"
        f" ({error / total['actual_total']:+.1%} of actual).\n"
        f"Standard deviation if BG/NBD were true: sampling {sampling:.1f}, parameters"
        f" {parameter:.1f}, combined {combined:.1f}; tolerance {HOLDOUT_SIGMAS:g} x"
        f" {combined:.1f} = {tolerance:.1f} (the error is {error / combined:+.2f} sd).\n"
    )
    assert total["customers"] == CDNOW_CUSTOMERS
    assert list(table.index[:-1]) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert abs(error) <= tolerance, REPORT.read_text()
    # the paper's pattern: customers who bought more in calibration buy more in
    # the holdout, in the data and in the model
    bins = table.drop(index="total")
    assert bins["expected_mean"].is_monotonic_increasing, bins
    assert bins["actual_mean"].iloc[-1] > bins["actual_mean"].iloc[0], bins


def test_weekly_tracking_adds_up_to_the_calibration_and_holdout_purchases(cdnow):
    data = holdout.read_holdout_data(cdnow.database_path)
    tracking = holdout.weekly_tracking(data)
    customers = holdout.customer_holdout(data)
    assert len(tracking) == 78
    calibration = tracking[~tracking["is_holdout"]]
    assert len(calibration) == 39
    assert calibration["actual"].sum() == data.rfm["frequency"].sum() == 2457
    assert tracking.loc[tracking["is_holdout"], "actual"].sum() == customers["actual"].sum()
    assert np.allclose(tracking["expected"].cumsum(), tracking["expected_cumulative"])


# --------------------------------------------------------------------------
# (c) Recovery of known parameters
# --------------------------------------------------------------------------

SIM_CUSTOMERS = 20_000
SIM_SEED = 7
SIM_SIGMAS = 3.0
SIM_MAX_RELATIVE_ERROR = 0.15


def test_bg_nbd_fit_through_dbt_recovers_the_parameters_of_a_simulated_process():
    """20,000 simulated customers (about 80,000 orders). Tolerance: each fitted
    parameter within 3 standard errors of the truth on the log scale (standard
    errors from the observed information of this fit: about 1.3% for r, 2% for
    alpha, 3.5% for a, 5% for b), and within 15% of it."""
    from autograd import hessian
    from lifetimes import BetaGeoFitter

    process = BgNbdProcess()
    purchases = simulate_purchases(process, SIM_CUSTOMERS, SIM_SEED)
    vars = {
        "rfm_observation_end": str(process.observation_end.date()),
        "as_of_date": str(process.observation_end.date()),
        "rfm_time_unit_days": process.unit_days,
    }
    build = build_frames("bgnbd_sim", raw_tables(purchases), vars, ONLY_FIT)
    assert build.returncode == 0, build.tail()
    fitted = param_values(read_params(build.database_path), "bg_nbd")
    assert fitted["customers"] == SIM_CUSTOMERS
    with duckdb.connect(str(build.database_path), read_only=True) as con:
        rfm = con.sql("select frequency, recency, t from marts.rfm_summary").df()
    names = ["r", "alpha", "a", "b"]
    log_fitted = np.log([fitted[n] for n in names])
    x, tx, t = (rfm[c].to_numpy(dtype=float) for c in ("frequency", "recency", "t"))
    information = hessian(BetaGeoFitter._negative_log_likelihood)(
        log_fitted, x, tx, t, np.ones_like(x), 0.0
    ) * len(x)
    standard_errors = np.sqrt(np.diag(np.linalg.inv(information)))
    truth = {n: getattr(process, n) for n in names}
    for name, log_value, se in zip(names, log_fitted, standard_errors, strict=True):
        z = (log_value - math.log(truth[name])) / se
        assert abs(z) <= SIM_SIGMAS, (name, fitted[name], truth[name], se, z)
        assert abs(fitted[name] / truth[name] - 1) <= SIM_MAX_RELATIVE_ERROR, (name, fitted)


# --------------------------------------------------------------------------
# (d) Predictions are lifetimes' predictions
# --------------------------------------------------------------------------


def _expected_from_lifetimes(database: Path, freq: str, months: int, rate: float) -> pd.DataFrame:
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    params = read_params(database)
    bgf, ggf = BetaGeoFitter(), GammaGammaFitter()
    bg, gg = param_values(params, "bg_nbd"), param_values(params, "gamma_gamma")
    bgf.params_ = pd.Series({k: bg[k] for k in ("r", "alpha", "a", "b")})
    ggf.params_ = pd.Series({k: gg[k] for k in ("p", "q", "v")})
    bgf.predict = bgf.conditional_expected_number_of_purchases_up_to_time  # as fit() sets it
    with duckdb.connect(str(database), read_only=True) as con:
        rfm = con.sql("select * from marts.rfm_summary order by customer_id").df()
    rfm = rfm.set_index("customer_id")
    x, tx, t, m = rfm["frequency"], rfm["recency"], rfm["t"], rfm["monetary_value"]
    units = {"W": 4.345, "D": 30.0}[freq] * months
    return pd.DataFrame(
        {
            "p_alive": bgf.conditional_probability_alive(x.to_numpy(), tx.to_numpy(), t.to_numpy()),
            "expected_purchases": bgf.conditional_expected_number_of_purchases_up_to_time(
                units, x, tx, t
            ),
            "expected_avg_net_revenue": ggf.conditional_expected_average_profit(x, m),
            "predicted_cltv": ggf.customer_lifetime_value(
                bgf, x, tx, t, m, time=months, discount_rate=rate, freq=freq
            ),
        },
        index=rfm.index,
    )


def _assert_predictions_match(database: Path, freq: str) -> None:
    with duckdb.connect(str(database), read_only=True) as con:
        mart = con.sql("select * from marts.customer_value_predictions").df()
    mart = mart.set_index("customer_id").sort_index()
    months = int(mart["horizon_months"].iloc[0])
    rate = float(mart["monthly_discount_rate"].iloc[0])
    assert (months, rate) == (12, 0.01)  # the defaults of dbt_project.yml
    expected = _expected_from_lifetimes(database, freq, months, rate).sort_index()
    assert list(mart.index) == list(expected.index)
    for column in expected.columns:
        assert np.allclose(mart[column], expected[column], rtol=1e-9, atol=1e-9), column


def test_cdnow_predictions_equal_lifetimes_customer_lifetime_value_in_weeks(cdnow):
    _assert_predictions_match(cdnow.database_path, "W")


def test_demo_predictions_equal_lifetimes_customer_lifetime_value_in_days(dbt_build):
    build = dbt_build("demo", {})
    assert build.ok, build.tail()
    params = read_params(build.database_path)
    assert set(params["fit_status"]) == {"converged"}, params
    _assert_predictions_match(build.database_path, "D")


def test_fit_step_on_the_compact_keys_equals_the_dbt_python_models(cdnow):
    """The Postgres/Spark fit step (`retention clv-fit`, retention/clv/fit_step.py)
    fed with the distinct (frequency, recency, t, monetary_value) keys and their
    customer counts gives the DuckDB Python models' parameters and, joined back
    on the keys, the same prediction for every customer (to the last bit: the
    same code on the same numbers)."""
    from retention.clv.fit_step import KEY_COLUMNS, PREDICTION_COLUMNS, fit_keys

    keys_sql = (
        "select frequency, recency, t, monetary_value, observation_end, count(*) as customers"
        " from marts.rfm_summary group by all"
    )
    with duckdb.connect(str(cdnow.database_path), read_only=True) as con:
        keys = con.sql(keys_sql).df()
        settings = con.sql("select * from intermediate.int_clv_settings").df().iloc[0]
        customers = con.sql(
            f"select customer_id, {', '.join(KEY_COLUMNS)} from marts.rfm_summary"
        ).df()
        mart = con.sql("select * from marts.customer_value_predictions").df()
    assert len(keys) < len(customers)  # one-time buyers share their keys
    params, predictions = fit_keys(keys, settings, REPO / "models" / "intermediate" / "clv")
    dbt_params = read_params(cdnow.database_path)
    merged = dbt_params.merge(params, on=["model", "parameter"], suffixes=("_dbt", "_step"))
    assert len(merged) == len(dbt_params) == 11
    assert (merged["fit_status_dbt"] == merged["fit_status_step"]).all()
    assert np.array_equal(merged["value_dbt"].to_numpy(), merged["value_step"].to_numpy())
    assert param_values(params, "bg_nbd")["r"] == pytest.approx(PUBLISHED_BG_NBD["r"], abs=5e-4)
    joined = customers.merge(predictions, on=KEY_COLUMNS, how="left", validate="many_to_one")
    both = mart.merge(joined, on="customer_id", suffixes=("_dbt", "_step"))
    assert len(both) == len(mart) == CDNOW_CUSTOMERS
    for column in PREDICTION_COLUMNS:
        assert np.array_equal(both[f"{column}_dbt"], both[f"{column}_step"]), column


def test_makefile_passes_the_cdnow_vars_the_tests_use():
    """`make build DATASET=cdnow_sample|cdnow` and these tests build with the same vars."""
    from retention.raw.cdnow import DBT_VARS

    lines = (REPO / "Makefile").read_text().splitlines()
    line = next(line for line in lines if line.startswith("CDNOW_VARS :="))
    assert json.loads(line.split(":=", 1)[1]) == DBT_VARS
