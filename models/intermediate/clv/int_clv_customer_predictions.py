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

The formulas are lifetimes' own, written out here (numpy and
scipy.special: hyp2f1, expit) so the model does not import lifetimes; the
hypergeometric numerator of the expected purchases depends on (frequency, t)
only and is computed once per distinct pair (about one pair per 13 customers
at a million customers), the same values row by row.
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


def p_alive(params, x, tx, t):
    """lifetimes' BetaGeoFitter.conditional_probability_alive (1 for x = 0)."""
    from scipy.special import expit

    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    log_div = (r + x) * np.log((alpha + t) / (alpha + tx)) + np.log(a / (b + np.maximum(x, 1) - 1))
    return np.atleast_1d(np.where(x == 0, 1.0, expit(-log_div)))


def expected_purchases(params, horizons, x, tx, t):
    """lifetimes' BetaGeoFitter.conditional_expected_number_of_purchases_up_to_time
    for each horizon (a list of arrays). Its numerator (the Gauss hypergeometric
    terms) depends on (x, t) only: it is computed once per distinct (x, t) and
    taken back to the rows, the same values at a fraction of the hyp2f1 calls."""
    from scipy.special import hyp2f1

    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    keys = pd.DataFrame({"x": x, "t": t})
    inverse = keys.groupby(["x", "t"], sort=False, dropna=False).ngroup().to_numpy()
    px = np.empty(inverse.max() + 1 if len(inverse) else 0)
    pt = np.empty_like(px)
    px[inverse] = x  # every row of a pair has its (x, t)
    pt[inverse] = t
    denominator = 1 + (x > 0) * (a / (b + x - 1)) * ((alpha + t) / (alpha + tx)) ** (r + x)
    out = []
    for horizon in horizons:
        _a = r + px
        _b = b + px
        _c = a + b + px - 1
        _z = horizon / (alpha + pt + horizon)
        ln_hyp_term = np.log(hyp2f1(_a, _b, _c, _z))
        ln_hyp_term_alt = np.log(hyp2f1(_c - _a, _c - _b, _c, _z)) + (_c - _a - _b) * np.log(1 - _z)
        ln_hyp_term = np.where(np.isinf(ln_hyp_term), ln_hyp_term_alt, ln_hyp_term)
        first_term = (a + b + px - 1) / (a - 1)
        log_ratio = np.log((alpha + pt) / (alpha + horizon + pt))
        second_term = 1 - np.exp(ln_hyp_term + (r + px) * log_ratio)
        numerator = first_term * second_term
        out.append(numerator[inverse] / denominator)
    return out


def expected_average_profit(params, x, m):
    """lifetimes' GammaGammaFitter.conditional_expected_average_profit."""
    p, q, v = (params[k] for k in ("p", "q", "v"))
    individual_weight = p * x / (p * x + q - 1)
    population_mean = v * p / (q - 1)
    return (1 - individual_weight) * population_mean + individual_weight * m


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
        out["p_alive"] = np.asarray(p_alive(bg_params, x, tx, t), dtype=float)
        horizons = [month * units_per_month for month in range(1, horizon_months + 1)]
        cumulative = [np.zeros(n)] + [
            np.asarray(purchases, dtype=float)
            for purchases in expected_purchases(bg_params, horizons, x, tx, t)
        ]
        out["expected_purchases"] = cumulative[-1]
    if gg_params is None or n == 0:
        out["expected_avg_net_revenue"] = nulls
    else:
        out["expected_avg_net_revenue"] = np.asarray(
            expected_average_profit(gg_params, x, m), dtype=float
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
