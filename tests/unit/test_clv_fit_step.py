"""The CLV fit step of Postgres and Spark (``retention clv-fit``,
retention/clv/fit_step.py) without a warehouse: the key table stands for its
customers, the fit equals lifetimes' own fit on one row per customer, NaN is
written as NULL, and a missing manifest or model is a clear error. Its run on
Postgres and Spark is tested in tests/engines/."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from retention import RetentionError
from retention.cli import main
from retention.clv import fit_step

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "models" / "intermediate" / "clv"
SETTINGS = pd.Series(
    {
        "horizon_months": 12,
        "monthly_discount_rate": 0.01,
        "penalizer_coef": 0.0,
        "time_unit_days": 7,
        "time_units_per_month": 4.345,
    }
)


def _customers(n: int = 600, seed: int = 7) -> pd.DataFrame:
    """Customers of a BG/NBD process in weeks (lifetimes' own generator, with
    whole-week ages so one-time buyers share keys) and Gamma-distributed spend."""
    from lifetimes.generate_data import beta_geometric_nbd_model

    rng = np.random.default_rng(seed)
    np.random.seed(seed)  # lifetimes' generator draws from numpy's global state
    t = rng.integers(20, 40, n).astype(float)
    data = beta_geometric_nbd_model(t, 0.5, 5.0, 0.8, 2.5, size=n)
    frequency = data["frequency"].to_numpy(dtype="int64")
    monetary = np.where(frequency > 0, np.round(rng.gamma(6.0, 8.0, n), 2), 0.0)
    return pd.DataFrame(
        {
            "frequency": frequency,
            "recency": data["recency"].to_numpy(dtype=float),
            "t": t,
            "monetary_value": monetary,
            "observation_end": pd.Timestamp("2026-06-30"),
        }
    )


def _keys(customers: pd.DataFrame) -> pd.DataFrame:
    columns = [*fit_step.KEY_COLUMNS, "observation_end"]
    return customers.groupby(columns).size().reset_index(name="customers")


def test_per_customer_repeats_each_key_by_its_count():
    keys = pd.DataFrame(
        {"frequency": [0, 2], "recency": [0.0, 3.0], "t": [5.0, 9.0], "customers": [3, 1]}
    )
    rows = fit_step.per_customer(keys)
    assert rows["frequency"].tolist() == [0, 0, 0, 2]
    assert rows["t"].tolist() == [5.0, 5.0, 5.0, 9.0]
    assert "customers" not in rows.columns


def test_fit_on_the_keys_equals_lifetimes_fit_on_the_customers():
    """Parameters of the step (on the distinct keys of 600 customers) against
    lifetimes fitted directly on one row per customer, without weights."""
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    customers = _customers()
    keys = _keys(customers)
    assert len(keys) < len(customers)
    params, predictions = fit_step.fit_keys(keys, SETTINGS, MODELS)
    columns = (params["model"], params["parameter"], params["value"])
    values = {(m, p): v for m, p, v in zip(*columns, strict=True)}
    assert set(params["fit_status"]) == {"converged"}

    bgf = BetaGeoFitter().fit(customers["frequency"], customers["recency"], customers["t"])
    for name in ("r", "alpha", "a", "b"):
        assert values[("bg_nbd", name)] == pytest.approx(bgf.params_[name], rel=1e-3), name
    repeat = customers[(customers["frequency"] > 0) & (customers["monetary_value"] > 0)]
    ggf = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    for name in ("p", "q", "v"):
        assert values[("gamma_gamma", name)] == pytest.approx(ggf.params_[name], rel=1e-3), name
    assert values[("bg_nbd", "customers")] == len(customers)
    assert values[("gamma_gamma", "customers")] == len(repeat)

    # One prediction per key; p_alive as lifetimes computes it per customer.
    assert len(predictions) == len(keys)
    joined = customers.merge(predictions, on=fit_step.KEY_COLUMNS, how="left")
    fitted = BetaGeoFitter()
    fitted.params_ = pd.Series({k: values[("bg_nbd", k)] for k in ("r", "alpha", "a", "b")})
    expected = fitted.conditional_probability_alive(
        joined["frequency"].to_numpy(), joined["recency"].to_numpy(), joined["t"].to_numpy()
    )
    assert np.allclose(joined["p_alive"], expected, rtol=1e-12, atol=1e-12)


def test_table_rows_write_nan_as_null_and_dates_as_dates():
    frame = pd.DataFrame(
        {
            "model": ["bg_nbd"],
            "parameter": ["r"],
            "value": [float("nan")],
            "fit_status": ["failed: ValueError"],
            "observation_end": [pd.Timestamp("2026-06-30")],
            "time_unit_days": np.array([7], dtype="int64"),
            "penalizer_coef": [0.0],
        }
    )
    (row,) = fit_step.table_rows(frame, fit_step.PARAMS_TABLE)
    assert row[2] is None
    assert str(row[4]) == "2026-06-30" and type(row[4]).__name__ == "date"
    assert row[5] == 7 and isinstance(row[5], int)
    assert not any(isinstance(v, float) and math.isnan(v) for v in row)


def test_relations_come_from_the_manifest():
    manifest = {
        "nodes": {
            "model.retention.int_clv_keys": {
                "schema": "retention_intermediate",
                "alias": "int_clv_keys",
            }
        }
    }
    relation = fit_step.model_relation(manifest, "int_clv_keys")
    assert relation == fit_step.Relation("retention_intermediate", "int_clv_keys")
    assert relation.sibling(fit_step.KEYS_TABLE).schema == "retention_intermediate"
    with pytest.raises(RetentionError, match="dbt build"):
        fit_step.model_relation(manifest, "int_clv_settings")


def test_model_files_are_found_in_the_project_or_in_dbt_packages(tmp_path: Path):
    assert fit_step.model_folder(REPO) == MODELS
    package = tmp_path / "dbt_packages" / "retention" / "models" / "intermediate" / "clv"
    package.mkdir(parents=True)
    with pytest.raises(RetentionError, match="--project-dir"):
        fit_step.model_folder(tmp_path)
    (package / "int_clv_model_fit.py").write_text("")
    assert fit_step.model_folder(tmp_path) == package


def test_missing_manifest_is_an_error_message_not_a_traceback(tmp_path: Path, caplog):
    missing = tmp_path / "target" / "manifest.json"
    code = main(["clv-fit", "--engine", "postgres", "--manifest", str(missing)])
    assert code == 2
    assert "no dbt manifest (run dbt build first)" in caplog.text
    (tmp_path / "m.json").write_text(json.dumps({"nodes": {}}))
    code = main(["clv-fit", "--engine", "spark", "--manifest", str(tmp_path / "m.json")])
    assert code == 2
    assert "int_clv_keys is not in the manifest" in caplog.text
