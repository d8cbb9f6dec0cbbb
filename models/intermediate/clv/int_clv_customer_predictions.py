"""Per-customer BG/NBD + Gamma-Gamma predictions from the fitted parameters.

Reads the parameters of int_clv_model_fit (no refit) and computes, per
customer of int_rfm_summary, as of its observation_end:
- p_alive: BetaGeoFitter.conditional_probability_alive;
- expected_purchases over the horizon (horizon_months x time_units_per_month
  time units): BetaGeoFitter.conditional_expected_number_of_purchases_up_to_time;
- expected_avg_net_revenue per purchase:
  GammaGammaFitter.conditional_expected_average_profit;
- predicted_cltv: the discounted sum over months i = 1..horizon of
  expected_avg_net_revenue x (expected purchases up to month i - up to month
  i - 1) / (1 + monthly_discount_rate) ** i, the loop of lifetimes'
  GammaGammaFitter.customer_lifetime_value (whose month is 4.345 weeks or
  30 days: int_clv_settings.time_units_per_month).
Values are NULL when the model they need did not fit.
"""

import numpy as np
import pandas as pd

COLUMNS = [
    "customer_id",
    "p_alive",
    "expected_purchases",
    "expected_avg_net_revenue",
    "predicted_cltv",
]


def _params(fit, model):
    rows = fit[(fit["model"] == model) & (fit["fit_status"] == "converged")]
    values = dict(zip(rows["parameter"], rows["value"], strict=True))
    return values if values else None


def _bg_nbd(params):
    from lifetimes import BetaGeoFitter

    fitter = BetaGeoFitter()
    fitter.params_ = pd.Series({k: params[k] for k in ("r", "alpha", "a", "b")})
    return fitter


def _gamma_gamma(params):
    from lifetimes import GammaGammaFitter

    fitter = GammaGammaFitter()
    fitter.params_ = pd.Series({k: params[k] for k in ("p", "q", "v")})
    return fitter


def predict(rfm, bg_params, gg_params, horizon_months, discount_rate, units_per_month):
    """The prediction columns for the customers of ``rfm`` (pandas, one row each)."""
    n = len(rfm)
    out = pd.DataFrame({"customer_id": rfm["customer_id"].astype(str).to_numpy()})
    x = rfm["frequency"].to_numpy(dtype=float)
    tx = rfm["recency"].to_numpy(dtype=float)
    t = rfm["t"].to_numpy(dtype=float)
    m = rfm["monetary_value"].to_numpy(dtype=float)
    nulls = np.full(n, np.nan)
    if bg_params is None or n == 0:
        out["p_alive"] = nulls
        out["expected_purchases"] = nulls
        cumulative = None
    else:
        bgf = _bg_nbd(bg_params)
        out["p_alive"] = np.asarray(bgf.conditional_probability_alive(x, tx, t), dtype=float)
        cumulative = [np.zeros(n)] + [
            np.asarray(
                bgf.conditional_expected_number_of_purchases_up_to_time(
                    month * units_per_month, x, tx, t
                ),
                dtype=float,
            )
            for month in range(1, horizon_months + 1)
        ]
        out["expected_purchases"] = cumulative[-1]
    if gg_params is None or n == 0:
        out["expected_avg_net_revenue"] = nulls
    else:
        ggf = _gamma_gamma(gg_params)
        out["expected_avg_net_revenue"] = np.asarray(
            ggf.conditional_expected_average_profit(x, m), dtype=float
        )
    if cumulative is None or gg_params is None:
        out["predicted_cltv"] = nulls
    else:
        value = out["expected_avg_net_revenue"].to_numpy()
        cltv = np.zeros(n)
        for month in range(1, horizon_months + 1):
            purchases = cumulative[month] - cumulative[month - 1]
            cltv += value * purchases / (1 + discount_rate) ** month
        out["predicted_cltv"] = cltv
    return out[COLUMNS]


def predict_frame(rfm, fit, settings):
    """The rows of this model for ``rfm`` (one row per customer, or per distinct
    (frequency, recency, t, monetary_value) key: every value is computed row by
    row) from ``fit`` (the long rows of int_clv_model_fit) and ``settings``
    (the row of int_clv_settings). Also called by ``retention clv-fit``."""
    horizon = int(settings["horizon_months"])
    frame = predict(
        rfm,
        _params(fit, "bg_nbd"),
        _params(fit, "gamma_gamma"),
        horizon,
        float(settings["monthly_discount_rate"]),
        float(settings["time_units_per_month"]),
    )
    frame["observation_end"] = rfm["observation_end"].to_numpy()
    frame["horizon_months"] = horizon
    frame["monthly_discount_rate"] = float(settings["monthly_discount_rate"])
    return frame


def model(dbt, session):
    dbt.config(materialized="table")
    rfm = dbt.ref("retention", "int_rfm_summary").df().sort_values("customer_id", kind="stable")
    fit = dbt.ref("retention", "int_clv_model_fit").df()
    settings = dbt.ref("retention", "int_clv_settings").df().iloc[0]
    return predict_frame(rfm, fit, settings)
