"""Fit BG/NBD and Gamma-Gamma (the ``lifetimes`` package) on int_rfm_summary.

One row per model x parameter (the long format of clv_model_params):
``bg_nbd``: r, alpha, a, b (alpha in rfm_time_unit_days units);
``gamma_gamma``: p, q, v (v in the currency of net revenue);
each model also has ``log_likelihood`` (of the data at the fitted
parameters, without the penalizer) and ``customers`` (customers fitted on).
BG/NBD fits every customer of int_rfm_summary; Gamma-Gamma the customers with
frequency > 0 and monetary_value > 0 (Fader, Hardie & Lee 2005).

Both fits run on the distinct data rows (frequency, recency, t) and
(frequency, monetary_value) with the number of customers sharing each row as
lifetimes' ``weights``: the (weighted mean) likelihood is the same sum over
customers, so the parameters are those of the per-customer fit, at a fraction
of the rows (customers repeat a few thousand distinct rows).

Deterministic: fixed initial parameters, fixed tolerance, no randomness
(distinct rows sorted by their values).
A fit that fails (too little data, no convergence) gives NULL values and a
``fit_status`` that says why; the build goes on.
"""

import numpy as np
import pandas as pd

# lifetimes' own starting point (0.1 for every log-parameter), fixed here so a
# change of the library default cannot change the numbers.
INITIAL_LOG_PARAMS = {"bg_nbd": np.full(4, 0.1), "gamma_gamma": np.full(3, 0.1)}
TOLERANCE = 1e-7
PARAMETERS = {"bg_nbd": ["r", "alpha", "a", "b"], "gamma_gamma": ["p", "q", "v"]}


def _distinct_rows(frame, columns):
    """The distinct rows of ``columns`` (sorted) and how many rows share each."""
    values = frame[columns].astype(float)
    counted = values.groupby(columns, sort=True, dropna=False).size().reset_index(name="weight")
    return counted, counted["weight"].to_numpy(dtype=float)


def _fit_bg_nbd(rfm, penalizer):
    from lifetimes import BetaGeoFitter

    rows, weights = _distinct_rows(rfm, ["frequency", "recency", "t"])
    x = rows["frequency"].to_numpy(dtype=float)
    tx = rows["recency"].to_numpy(dtype=float)
    t = rows["t"].to_numpy(dtype=float)
    fitter = BetaGeoFitter(penalizer_coef=penalizer).fit(
        x, tx, t, weights=weights, initial_params=INITIAL_LOG_PARAMS["bg_nbd"], tol=TOLERANCE
    )
    params = fitter.params_[PARAMETERS["bg_nbd"]].astype(float)
    mean_nll = BetaGeoFitter._negative_log_likelihood(
        np.log(params.to_numpy()), x, tx, t, weights, 0.0
    )
    return params, -float(mean_nll) * float(weights.sum())


def _fit_gamma_gamma(repeat, penalizer):
    from lifetimes import GammaGammaFitter

    rows, weights = _distinct_rows(repeat, ["frequency", "monetary_value"])
    x = rows["frequency"].to_numpy(dtype=float)
    m = rows["monetary_value"].to_numpy(dtype=float)
    fitter = GammaGammaFitter(penalizer_coef=penalizer).fit(
        x, m, weights=weights, initial_params=INITIAL_LOG_PARAMS["gamma_gamma"], tol=TOLERANCE
    )
    params = fitter.params_[PARAMETERS["gamma_gamma"]].astype(float)
    mean_nll = GammaGammaFitter._negative_log_likelihood(
        np.log(params.to_numpy()), x, m, weights, 0.0
    )
    return params, -float(mean_nll) * float(weights.sum())


def _rows(model, customers, fit, data):
    """Long rows for one model: its parameters, log_likelihood and customers."""
    if customers == 0:
        status, params, log_likelihood = "no_data", None, None
    else:
        try:
            params, log_likelihood = fit(data)
            status = "converged"
        except Exception as error:  # noqa: BLE001 - lifetimes raises several kinds
            status = f"failed: {type(error).__name__}"
            params, log_likelihood = None, None
    rows = [
        (model, name, None if params is None else float(params[name]), status)
        for name in PARAMETERS[model]
    ]
    rows.append((model, "log_likelihood", log_likelihood, status))
    rows.append((model, "customers", float(customers), status))
    return rows


def fit_frame(rfm, settings):
    """The long rows of both fits on ``rfm`` (one row per customer: frequency,
    recency, t, monetary_value, observation_end) with ``settings`` (the row of
    int_clv_settings). Also called by ``retention clv-fit`` (the fit step of
    Postgres and Spark, retention/clv/fit_step.py), so both paths fit alike."""
    penalizer = float(settings["penalizer_coef"])
    repeat = rfm[(rfm["frequency"] > 0) & (rfm["monetary_value"] > 0)]

    rows = _rows("bg_nbd", len(rfm), lambda d: _fit_bg_nbd(d, penalizer), rfm)
    rows += _rows("gamma_gamma", len(repeat), lambda d: _fit_gamma_gamma(d, penalizer), repeat)
    observation_end = rfm["observation_end"].iloc[0] if len(rfm) else None
    frame = pd.DataFrame(rows, columns=["model", "parameter", "value", "fit_status"])
    frame["value"] = frame["value"].astype("float64")
    frame["observation_end"] = pd.Series([observation_end] * len(frame), dtype="datetime64[us]")
    frame["time_unit_days"] = int(settings["time_unit_days"])
    frame["penalizer_coef"] = penalizer
    return frame


def model(dbt, session):
    dbt.config(materialized="table")
    rfm = dbt.ref("retention", "int_rfm_summary").df().sort_values("customer_id", kind="stable")
    settings = dbt.ref("retention", "int_clv_settings").df().iloc[0]
    return fit_frame(rfm, settings)
