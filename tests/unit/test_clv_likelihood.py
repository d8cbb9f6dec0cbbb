"""The CLV fit of int_clv_model_fit is lifetimes' fit without lifetimes.

The model minimizes lifetimes' own objectives (BetaGeoFitter and
GammaGammaFitter ``_negative_log_likelihood``) with a closed-form gradient
and no Hessian. Checked here against lifetimes itself: the objective at
random parameter points (with weights and a penalizer), the gradient against
autograd's gradient of lifetimes' objective, the fitted parameters against
lifetimes' fit on the CDNOW sample and on a simulated data set, and a data
set lifetimes cannot fit gives the documented fit_status. The predictions of
int_clv_customer_predictions are compared with lifetimes' methods.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from retention.clv import fit_step

MODELS = Path(__file__).resolve().parents[2] / "models" / "intermediate" / "clv"
SETTINGS = pd.Series({"penalizer_coef": 0.0, "time_unit_days": 7})


@pytest.fixture(scope="module")
def fit_code():
    return fit_step.load_model_code(MODELS, "int_clv_model_fit")


@pytest.fixture(scope="module")
def predict_code():
    return fit_step.load_model_code(MODELS, "int_clv_customer_predictions")


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    """The CDNOW summary shipped in lifetimes (2,357 customers, weeks)."""
    from lifetimes.datasets import load_cdnow_summary_data_with_monetary_value

    return load_cdnow_summary_data_with_monetary_value()


def _simulated(n: int = 3000, seed: int = 11) -> pd.DataFrame:
    """A BG/NBD process (lifetimes' generator) with Gamma-distributed spend."""
    from lifetimes.generate_data import beta_geometric_nbd_model

    rng = np.random.default_rng(seed)
    np.random.seed(seed)  # lifetimes' generator draws from numpy's global state
    t = rng.integers(10, 60, n).astype(float)
    data = beta_geometric_nbd_model(t, 0.4, 3.0, 0.9, 3.5, size=n)
    frequency = data["frequency"].to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "frequency": frequency,
            "recency": data["recency"].to_numpy(dtype=float),
            "T": t,
            "monetary_value": np.where(frequency > 0, np.round(rng.gamma(5.0, 9.0, n), 2), 0.0),
        }
    )


def _bg_rows(data: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """Distinct (frequency, recency, T) with their counts as weights."""
    rows = data.groupby(["frequency", "recency", "T"]).size().reset_index(name="w")
    return tuple(rows[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T", "w"))


def _gg_rows(data: pd.DataFrame) -> tuple[np.ndarray, ...]:
    repeat = data[(data["frequency"] > 0) & (data["monetary_value"] > 0)]
    rows = repeat.groupby(["frequency", "monetary_value"]).size().reset_index(name="w")
    return tuple(rows[c].to_numpy(dtype=float) for c in ("frequency", "monetary_value", "w"))


def _points(size: int, seed: int) -> list[np.ndarray]:
    """Random log-parameters (parameters between about 0.05 and 20)."""
    rng = np.random.default_rng(seed)
    return [rng.uniform(-3.0, 3.0, size) for _ in range(6)]


@pytest.mark.parametrize("penalizer", [0.0, 0.1])
def test_bg_nbd_objective_and_gradient_are_lifetimes(fit_code, cdnow, penalizer):
    from autograd import grad
    from lifetimes import BetaGeoFitter

    x, tx, t, w = _bg_rows(cdnow)
    x = x.astype(int)  # as lifetimes' fit passes it
    theirs = BetaGeoFitter._negative_log_likelihood
    for log_params in _points(4, seed=3):
        args = (x, tx, t, w, penalizer)
        value, gradient = fit_code.bg_nbd_objective(log_params, *args)
        assert value == pytest.approx(float(theirs(log_params, *args)), rel=1e-12)
        expected = grad(theirs)(log_params, *args)
        assert np.allclose(gradient, expected, rtol=1e-7, atol=0), (log_params, gradient, expected)


@pytest.mark.parametrize("penalizer", [0.0, 0.1])
def test_gamma_gamma_objective_and_gradient_are_lifetimes(fit_code, cdnow, penalizer):
    from autograd import grad
    from lifetimes import GammaGammaFitter

    x, m, w = _gg_rows(cdnow)
    theirs = GammaGammaFitter._negative_log_likelihood
    for log_params in _points(3, seed=5):
        args = (x, m, w, penalizer)
        value, gradient = fit_code.gamma_gamma_objective(log_params, *args)
        assert value == pytest.approx(float(theirs(log_params, *args)), rel=1e-12)
        expected = grad(theirs)(log_params, *args)
        assert np.allclose(gradient, expected, rtol=1e-7, atol=0), (log_params, gradient, expected)


@pytest.mark.parametrize("data_set", ["cdnow", "simulated"])
@pytest.mark.parametrize("penalizer", [0.0, 0.01])
def test_fitted_parameters_are_lifetimes_fit(fit_code, cdnow, data_set, penalizer):
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    data = cdnow if data_set == "cdnow" else _simulated()
    x, tx, t, w = _bg_rows(data)
    start = fit_code.INITIAL_LOG_PARAMS
    bgf = BetaGeoFitter(penalizer_coef=penalizer).fit(
        x, tx, t, weights=w, initial_params=start["bg_nbd"], tol=fit_code.TOLERANCE
    )
    params, log_likelihood = fit_code.fit_bg_nbd(x, tx, t, w, penalizer)
    expected = bgf.params_[["r", "alpha", "a", "b"]].to_numpy()
    assert np.allclose(params, expected, rtol=1e-6, atol=0), (params, expected)
    at_fit = BetaGeoFitter._negative_log_likelihood(np.log(expected), x, tx, t, w, 0.0)
    assert log_likelihood == pytest.approx(-float(at_fit) * w.sum(), rel=1e-9)

    x, m, w = _gg_rows(data)
    ggf = GammaGammaFitter(penalizer_coef=penalizer).fit(
        x, m, weights=w, initial_params=start["gamma_gamma"], tol=fit_code.TOLERANCE
    )
    params, log_likelihood = fit_code.fit_gamma_gamma(x, m, w, penalizer)
    expected = ggf.params_[["p", "q", "v"]].to_numpy()
    assert np.allclose(params, expected, rtol=1e-6, atol=0), (params, expected)
    at_fit = GammaGammaFitter._negative_log_likelihood(np.log(expected), x, m, w, 0.0)
    assert log_likelihood == pytest.approx(-float(at_fit) * w.sum(), rel=1e-9)


def _rfm(frequency, recency, t, monetary) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "frequency": np.asarray(frequency, dtype="int64"),
            "recency": np.asarray(recency, dtype=float),
            "t": np.asarray(t, dtype=float),
            "monetary_value": np.asarray(monetary, dtype=float),
            "observation_end": pd.Timestamp("2026-06-30"),
        }
    )


def _statuses(frame: pd.DataFrame) -> dict[str, str]:
    return dict(zip(frame["model"], frame["fit_status"], strict=False))


def test_a_fit_that_cannot_converge_is_a_status_not_a_crash(fit_code):
    """Every repeat buyer spends the same: the Gamma-Gamma likelihood has no
    maximum (lifetimes raises ConvergenceError on these rows too)."""
    from lifetimes import GammaGammaFitter
    from lifetimes.utils import ConvergenceError

    with pytest.raises(ConvergenceError):
        GammaGammaFitter().fit(np.ones(4), np.full(4, 5.0))
    rfm = _rfm([1, 1, 1, 1, 0, 0], [3, 4, 5, 6, 0, 0], [8, 9, 10, 11, 7, 12], [5, 5, 5, 5, 0, 0])
    frame = fit_code.fit_frame(rfm, SETTINGS)
    assert _statuses(frame)["gamma_gamma"] == "failed: ConvergenceError"
    failed = frame[frame["model"] == "gamma_gamma"].set_index("parameter")["value"]
    assert failed[["p", "q", "v", "log_likelihood"]].isna().all()
    assert failed["customers"] == 4


def _quantized_bowl(step: float):
    """(value, gradient) of sum(w * (exp(d) - d - 1)), d = x - 1 (minimum 0 at
    x = 1), with the value rounded down to multiples of ``step`` and the
    exact gradient: near the optimum the line search cannot see a decrease,
    so BFGS stops on precision loss, the sooner the coarser ``step``."""
    weights = np.array([1.0, 3.0, 10.0])

    def objective(x):
        d = x - 1.0
        exact = float(np.sum(weights * (np.exp(d) - d - 1.0)))
        return np.floor(exact / step) * step, weights * (np.exp(d) - 1.0)

    return objective


def test_precision_loss_at_the_optimum_is_converged(fit_code):
    """scipy stops on precision loss (status 2) with a gradient far below
    PRECISION_FLOOR_GTOL: accepted, the point is the optimum."""
    from scipy.optimize import minimize

    objective = _quantized_bowl(1e-12)
    output = minimize(objective, np.full(3, 0.1), jac=True, method="BFGS", tol=1e-7)
    assert output.status == 2
    assert 1e-7 < np.abs(output.jac).max() <= fit_code.PRECISION_FLOOR_GTOL
    x = fit_code._minimize(objective, "gamma_gamma", ())
    assert np.allclose(x, 1.0, atol=1e-5)


def test_precision_loss_far_from_the_optimum_is_a_convergence_error(fit_code):
    """The same stop with a gradient above PRECISION_FLOOR_GTOL fails the fit."""
    from scipy.optimize import minimize

    objective = _quantized_bowl(1e-6)
    output = minimize(objective, np.full(3, 0.1), jac=True, method="BFGS", tol=1e-7)
    assert output.status == 2
    assert np.abs(output.jac).max() > fit_code.PRECISION_FLOOR_GTOL
    with pytest.raises(fit_code.ConvergenceError):
        fit_code._minimize(objective, "gamma_gamma", ())


def test_bad_input_and_no_data_are_statuses(fit_code):
    """recency > t is lifetimes' ValueError; no repeat buyer is no_data."""
    frame = fit_code.fit_frame(_rfm([1, 0], [9, 0], [5, 7], [0, 0]), SETTINGS)
    assert _statuses(frame) == {"bg_nbd": "failed: ValueError", "gamma_gamma": "no_data"}
    assert frame["value"].isna().sum() == len(frame) - 2  # only the customers rows


def test_predictions_are_lifetimes_methods(predict_code, cdnow):
    """p_alive, expected purchases (numerator once per (frequency, T)) and the
    expected average profit equal lifetimes' methods row by row."""
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    bg = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    gg = {"p": 6.25, "q": 3.74, "v": 15.44}
    bgf, ggf = BetaGeoFitter(), GammaGammaFitter()
    bgf.params_, ggf.params_ = pd.Series(bg), pd.Series(gg)
    x, tx, t = (cdnow[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    m = cdnow["monetary_value"].to_numpy(dtype=float)
    assert len(np.unique(np.column_stack([x, t]), axis=0)) < len(x)
    ours = predict_code.p_alive(bg, x, tx, t)
    assert np.allclose(ours, bgf.conditional_probability_alive(x, tx, t), rtol=1e-12, atol=0)
    horizons = [4.345, 26.07, 52.14]
    predicted = predict_code.expected_purchases(bg, horizons, x, tx, t)
    for horizon, ours in zip(horizons, predicted, strict=True):
        theirs = bgf.conditional_expected_number_of_purchases_up_to_time(horizon, x, tx, t)
        assert np.allclose(ours, theirs, rtol=1e-12, atol=0), horizon
    ours = predict_code.expected_average_profit(gg, x, m)
    theirs = ggf.conditional_expected_average_profit(x, m)
    assert np.allclose(ours, theirs, rtol=1e-12, atol=0)
