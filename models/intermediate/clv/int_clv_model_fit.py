"""Fit BG/NBD and Gamma-Gamma on int_rfm_summary: lifetimes' objective, minimized
with its closed-form gradient.

One row per model x parameter (the long format of clv_model_params):
``bg_nbd``: r, alpha, a, b (alpha in rfm_time_unit_days units);
``gamma_gamma``: p, q, v (v in the currency of net revenue);
each model also has ``log_likelihood`` (of the data at the fitted
parameters, without the penalizer) and ``customers`` (customers fitted on).
BG/NBD fits every customer of int_rfm_summary; Gamma-Gamma the customers with
frequency > 0 and monetary_value > 0 (Fader, Hardie & Lee 2005).

The fit is the one of the ``lifetimes`` package (BetaGeoFitter.fit,
GammaGammaFitter.fit), written out here so it needs numpy and scipy only:
the same negative log-likelihood (weighted mean over the rows plus the
penalizer times the sum of the squared parameters), on the same
log-parameters, from the same start (0.1 each), with BFGS at the same
tolerance, BG/NBD on time scaled so the largest t is 1 (alpha scaled back
after). The gradient is the closed form of that objective (digamma), not
autograd's, and the Hessian lifetimes computes after the fit (for standard
errors nobody reads here) is not computed.

Both fits run on the distinct data rows (frequency, recency, t) and
(frequency, monetary_value) with the number of customers sharing each row as
the weights: the weighted mean likelihood is the same sum over customers, so
the parameters are those of the per-customer fit, at a fraction of the rows.

Deterministic: fixed initial parameters, fixed tolerance, no randomness
(distinct rows sorted by their values).
A fit that fails (bad input, no convergence) gives NULL values and a
``fit_status`` that says why (``failed: ValueError``, ``failed:
ConvergenceError``); ``no_data`` without customers; the build goes on.
"""

import numpy as np
import pandas as pd

# lifetimes' own starting point (0.1 for every log-parameter), fixed here so a
# change of the library default cannot change the numbers.
INITIAL_LOG_PARAMS = {"bg_nbd": np.full(4, 0.1), "gamma_gamma": np.full(3, 0.1)}
TOLERANCE = 1e-7
# Largest gradient (by log-parameter, of the mean negative log-likelihood per
# customer) accepted when BFGS stops on precision loss: 100x TOLERANCE, a
# parameter error far below any standard error of these fits.
PRECISION_FLOOR_GTOL = 1e-5
PARAMETERS = {"bg_nbd": ["r", "alpha", "a", "b"], "gamma_gamma": ["p", "q", "v"]}


class ConvergenceError(Exception):
    """BFGS stopped without converging (lifetimes raises its own of this name)."""


def distinct_values(values):
    """The distinct values and each row's position among them (hashing, no
    sort): terms of the likelihood that depend on one column only (gammaln,
    digamma, log) are computed once per distinct value and taken back to the
    rows, the same values at a fraction of the calls."""
    inverse, distinct = pd.factorize(values, use_na_sentinel=False)
    return np.asarray(distinct), inverse


def bg_nbd_levels(freq, rec, t):
    """distinct_values of the frequency, the recency and t."""
    return distinct_values(freq), distinct_values(rec), distinct_values(t)


def bg_nbd_objective(log_params, freq, rec, t, weights, penalizer, by_column=None):
    """(value, gradient) of lifetimes' BetaGeoFitter._negative_log_likelihood
    at ``log_params`` (log r, log alpha, log a, log b): the weighted mean of
    minus the per-row log-likelihood of Fader, Hardie & Lee (2005a, section 7)
    plus ``penalizer`` x sum(params ** 2); the gradient is by log-parameter.
    ``by_column``: bg_nbd_levels(freq, rec, t), computed here when not given."""
    from scipy.special import digamma, gammaln

    by_column = bg_nbd_levels(freq, rec, t) if by_column is None else by_column
    (levels, inverse), (recs, rec_at), (ts, t_at) = by_column
    params = np.exp(log_params)
    r, alpha, a, b = params
    bought = freq > 0
    a_1 = gammaln(r + levels)[inverse] - gammaln(r) + r * np.log(alpha)
    a_2 = (
        gammaln(a + b)
        + gammaln(b + levels)[inverse]
        - gammaln(b)
        - gammaln(a + b + levels)[inverse]
    )
    log_alpha_t = np.log(alpha + ts)[t_at]
    log_alpha_rec = np.log(recs + alpha)[rec_at]
    b_x = b + np.maximum(levels, 1) - 1
    a_3 = -(r + freq) * log_alpha_t
    a_4 = np.log(a) - np.log(b_x)[inverse] - (r + freq) * log_alpha_rec
    top = np.maximum(a_3, a_4)
    e_3 = np.exp(a_3 - top)
    e_4 = np.exp(a_4 - top) * bought
    total = e_3 + e_4
    penalizer_term = penalizer * sum(params**2)
    ll = weights * (a_1 + a_2 + np.log(total) + top)
    weight_sum = weights.sum()
    value = -ll.sum() / weight_sum + penalizer_term

    # d log(e^a_3 + [x > 0] e^a_4) = w_3 d a_3 + w_4 d a_4
    w_3 = e_3 / total
    w_4 = e_4 / total
    psi_ab = digamma(a + b)
    psi_abx = digamma(a + b + levels)[inverse]
    d_r = (
        (digamma(r + levels) - digamma(r) + np.log(alpha))[inverse]
        - w_3 * log_alpha_t
        - w_4 * log_alpha_rec
    )
    d_alpha = r / alpha - (r + freq) * (w_3 / (alpha + ts)[t_at] + w_4 / (recs + alpha)[rec_at])
    d_a = psi_ab - psi_abx + w_4 / a
    d_b = (psi_ab + digamma(b + levels) - digamma(b))[inverse] - psi_abx - w_4 / b_x[inverse]
    d_params = -np.array([np.sum(weights * d) for d in (d_r, d_alpha, d_a, d_b)]) / weight_sum
    return value, d_params * params + 2.0 * penalizer * params**2


def gamma_gamma_objective(log_params, freq, monetary, weights, penalizer, by_frequency=None):
    """(value, gradient) of lifetimes' GammaGammaFitter._negative_log_likelihood
    at ``log_params`` (log p, log q, log v): the weighted mean of minus the
    per-row log-likelihood of Fader, Hardie & Lee (2005, "RFM and CLV", eq. 1a)
    plus ``penalizer`` x sum(params ** 2); the gradient is by log-parameter.
    ``by_frequency``: distinct_values(freq), computed here when not given."""
    from scipy.special import digamma, gammaln

    levels, inverse = distinct_values(freq) if by_frequency is None else by_frequency
    params = np.exp(log_params)
    p, q, v = params
    px = p * freq
    p_levels = p * levels
    log_xm_v = np.log(freq * monetary + v)
    values = (
        gammaln(p_levels + q)[inverse]
        - gammaln(p_levels)[inverse]
        - gammaln(q)
        + q * np.log(v)
        + (px - 1) * np.log(monetary)
        + px * np.log(levels)[inverse]
        - (px + q) * log_xm_v
    ) * weights
    penalizer_term = penalizer * sum(params**2)
    weight_sum = weights.sum()
    value = -values.sum() / weight_sum + penalizer_term

    psi = (digamma(p_levels + q) - digamma(p_levels) + np.log(levels))[inverse]
    d_p = freq * (psi + np.log(monetary) - log_xm_v)
    d_q = digamma(p_levels + q)[inverse] - digamma(q) + np.log(v) - log_xm_v
    d_v = q / v - (px + q) / (freq * monetary + v)
    d_params = -np.array([np.sum(weights * d) for d in (d_p, d_q, d_v)]) / weight_sum
    return value, d_params * params + 2.0 * penalizer * params**2


def _minimize(objective, model, args):
    """BFGS from lifetimes' start at its tolerance, as lifetimes' BaseFitter._fit
    (scipy.optimize.minimize, jac=True); the log-parameters at the optimum."""
    from scipy.optimize import minimize

    output = minimize(
        objective,
        x0=INITIAL_LOG_PARAMS[model],
        args=args,
        jac=True,
        method="BFGS",
        tol=TOLERANCE,
        options={"disp": False},
    )
    if not output.success and not _at_precision_floor(output):
        raise ConvergenceError(output.message)
    return output.x


def _at_precision_floor(output):
    """BFGS stopped because the line search could not lower the objective any
    more in floating point (scipy status 2, "precision loss"), at a point whose
    gradient is within PRECISION_FLOOR_GTOL: the optimum up to the rounding
    of the objective, not a failure. Whether the last steps below TOLERANCE
    succeed depends on the last bits of the sums (lifetimes' autograd sums
    and these differ there), so a fit is not failed for it."""
    return output.status == 2 and float(np.max(np.abs(output.jac))) <= PRECISION_FLOOR_GTOL


def _check_bg_nbd_inputs(freq, rec, t):
    """lifetimes' input checks (utils._check_inputs), with its messages."""
    if np.any(rec > t):
        raise ValueError("Some values in recency vector are larger than T vector.")
    if np.any(rec[freq == 0] != 0):
        raise ValueError("There exist non-zero recency values when frequency is zero.")
    if np.any(rec < 0):
        raise ValueError("There exist negative recency (ex: last order set before first order)")


def _check_gamma_gamma_inputs(freq, monetary):
    if np.sum((freq - freq.astype(int)) ** 2) != 0:
        raise ValueError("There exist non-integer values in the frequency vector.")
    if np.any(monetary <= 0):
        raise ValueError("There exist non-positive (<= 0) values in the monetary_value vector.")


def _distinct_rows(frame, columns):
    """The distinct rows of ``columns`` (sorted) and how many rows share each."""
    values = frame[columns].astype(float)
    counted = values.groupby(columns, sort=True, dropna=False).size().reset_index(name="weight")
    return counted, counted["weight"].to_numpy(dtype=float)


def fit_bg_nbd(freq, rec, t, weights, penalizer):
    """BG/NBD parameters (r, alpha, a, b; alpha in the units of ``t``) and the
    log-likelihood of the rows at them (without the penalizer)."""
    freq = np.asarray(freq).astype(int)  # as lifetimes does
    rec = np.asarray(rec, dtype=float)
    t = np.asarray(t, dtype=float)
    weights = np.asarray(weights, dtype=float)
    _check_bg_nbd_inputs(freq, rec, t)
    scale = 1.0 / t.max()  # lifetimes' _scale_time: the largest t becomes 1
    scaled = (rec * scale, t * scale)
    by_column = bg_nbd_levels(freq, *scaled)
    log_params = _minimize(
        bg_nbd_objective, "bg_nbd", (freq, *scaled, weights, penalizer, by_column)
    )
    params = np.exp(log_params)
    params[1] /= scale
    mean_nll, _ = bg_nbd_objective(np.log(params), freq, rec, t, weights, 0.0)
    return params, -float(mean_nll) * float(weights.sum())


def fit_gamma_gamma(freq, monetary, weights, penalizer):
    """Gamma-Gamma parameters (p, q, v) and the log-likelihood of the rows at
    them (without the penalizer)."""
    freq = np.asarray(freq).astype(float)
    monetary = np.asarray(monetary).astype(float)
    weights = np.asarray(weights, dtype=float)
    _check_gamma_gamma_inputs(freq, monetary)
    by_frequency = distinct_values(freq)
    args = (freq, monetary, weights, penalizer, by_frequency)
    params = np.exp(_minimize(gamma_gamma_objective, "gamma_gamma", args))
    mean_nll, _ = gamma_gamma_objective(np.log(params), freq, monetary, weights, 0.0, by_frequency)
    return params, -float(mean_nll) * float(weights.sum())


def _fit_bg_nbd(rfm, penalizer):
    rows, weights = _distinct_rows(rfm, ["frequency", "recency", "t"])
    params, log_likelihood = fit_bg_nbd(
        rows["frequency"].to_numpy(dtype=float),
        rows["recency"].to_numpy(dtype=float),
        rows["t"].to_numpy(dtype=float),
        weights,
        penalizer,
    )
    return dict(zip(PARAMETERS["bg_nbd"], params, strict=True)), log_likelihood


def _fit_gamma_gamma(repeat, penalizer):
    rows, weights = _distinct_rows(repeat, ["frequency", "monetary_value"])
    params, log_likelihood = fit_gamma_gamma(
        rows["frequency"].to_numpy(dtype=float),
        rows["monetary_value"].to_numpy(dtype=float),
        weights,
        penalizer,
    )
    return dict(zip(PARAMETERS["gamma_gamma"], params, strict=True)), log_likelihood


def _rows(model, customers, fit, data):
    """Long rows for one model: its parameters, log_likelihood and customers."""
    if customers == 0:
        status, params, log_likelihood = "no_data", None, None
    else:
        try:
            params, log_likelihood = fit(data)
            status = "converged"
        except Exception as error:  # noqa: BLE001 - a failed fit is a status, not a crash
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
