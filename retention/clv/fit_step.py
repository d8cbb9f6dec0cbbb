"""``retention clv-fit``: the CLV fit step of Postgres and Spark.

dbt-postgres runs no Python models and dbt-spark's ``session`` method cannot,
so on those engines the predictive CLV models are fitted between two dbt
runs (docs/predictive_clv.md):

1. ``dbt build`` builds ``int_clv_keys`` (the distinct (frequency, recency, t,
   monetary_value) of ``int_rfm_summary`` with their number of customers) and
   ``int_clv_settings``;
2. this step reads both (through the driver of the engine, connected like
   ``retention load``), fits BG/NBD and Gamma-Gamma with the code of the dbt
   Python models ``int_clv_model_fit`` and ``int_clv_customer_predictions``
   (``fit_frame`` and ``predict_frame``, loaded from the project's model
   files: one home for the fit), and writes ``int_clv_fitted_params`` (the
   long fit rows) and ``int_clv_fitted_keys`` (one prediction per key) next
   to ``int_clv_keys``, in the same schema;
3. ``dbt build -s int_clv_step_fit+ int_clv_step_predictions+`` builds the
   marts from them.

The fit sees every customer (each key repeated by its number of customers),
so its parameters are those of the DuckDB Python model on the same data; the
predictions are computed row by row, once per key.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd

from retention import RetentionError

log = logging.getLogger(__name__)

ENGINES = ("postgres", "spark")
MODEL_FOLDER = Path("models") / "intermediate" / "clv"
KEY_COLUMNS = ["frequency", "recency", "t", "monetary_value"]
PREDICTION_COLUMNS = ["p_alive", "expected_purchases", "expected_avg_net_revenue", "predicted_cltv"]
# Output tables: name -> [(column, type)]; types as on Postgres (Spark: below).
PARAMS_TABLE = "int_clv_fitted_params"
KEYS_TABLE = "int_clv_fitted_keys"
TABLE_COLUMNS: dict[str, list[tuple[str, str]]] = {
    PARAMS_TABLE: [
        ("model", "text"),
        ("parameter", "text"),
        ("value", "double precision"),
        ("fit_status", "text"),
        ("observation_end", "date"),
        ("time_unit_days", "integer"),
        ("penalizer_coef", "double precision"),
    ],
    KEYS_TABLE: [
        ("frequency", "bigint"),
        ("recency", "double precision"),
        ("t", "double precision"),
        ("monetary_value", "double precision"),
        *((column, "double precision") for column in PREDICTION_COLUMNS),
        ("observation_end", "date"),
        ("horizon_months", "integer"),
        ("monthly_discount_rate", "double precision"),
    ],
}
SPARK_TYPES = {"text": "string", "double precision": "double"}


@dataclass(frozen=True)
class Relation:
    schema: str
    identifier: str

    def sibling(self, identifier: str) -> Relation:
        return Relation(self.schema, identifier)


# --------------------------------------------------------------------------
# Where: the manifest names the relations, the project holds the model code
# --------------------------------------------------------------------------


def model_relation(manifest: dict[str, Any], name: str) -> Relation:
    """The schema and table of the retention model ``name`` in a dbt manifest."""
    node = manifest.get("nodes", {}).get(f"model.retention.{name}")
    if node is None:
        raise RetentionError(
            f"model {name} is not in the manifest: build the project on Postgres or Spark"
            " with python_models true first (dbt build)"
        )
    return Relation(node["schema"], node.get("alias") or name)


def model_folder(project: Path) -> Path:
    """The folder of the CLV model files: in the retention project, or in the
    retention package of a user's project (dbt_packages/retention)."""
    for root in (project, project / "dbt_packages" / "retention"):
        folder = root / MODEL_FOLDER
        if (folder / "int_clv_model_fit.py").is_file():
            return folder
    raise RetentionError(
        f"{project}: no {MODEL_FOLDER}/int_clv_model_fit.py here nor in dbt_packages/retention"
        " (pass --project-dir)"
    )


def load_model_code(folder: Path, name: str) -> ModuleType:
    """A dbt Python model file as a module (its functions, not its dbt ``model``)."""
    spec = importlib.util.spec_from_file_location(
        f"retention_clv_model_{name}", folder / f"{name}.py"
    )
    if spec is None or spec.loader is None:
        raise RetentionError(f"cannot load {folder / name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------
# What: the fit and the predictions per key
# --------------------------------------------------------------------------


def per_customer(keys: pd.DataFrame) -> pd.DataFrame:
    """One row per customer: each key repeated by its number of customers."""
    repeated = keys.loc[keys.index.repeat(keys["customers"].astype(int))]
    return repeated.drop(columns=["customers"]).reset_index(drop=True)


def fit_keys(
    keys: pd.DataFrame, settings: pd.Series, folder: Path
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(long fit rows, predictions per key) for the compact key table."""
    fit_code = load_model_code(folder, "int_clv_model_fit")
    predict_code = load_model_code(folder, "int_clv_customer_predictions")
    keys = keys.sort_values(KEY_COLUMNS, kind="stable").reset_index(drop=True)
    for column in KEY_COLUMNS[1:]:
        keys[column] = keys[column].astype(float)
    keys["frequency"] = keys["frequency"].astype("int64")
    keys["observation_end"] = pd.to_datetime(keys["observation_end"])  # as DuckDB's .df()
    params = fit_code.fit_frame(per_customer(keys), settings)
    rows = keys.assign(customer_id=keys.index.astype(str))
    predicted = predict_code.predict_frame(rows, params, settings)
    out = keys[KEY_COLUMNS].copy()
    for column in PREDICTION_COLUMNS + [
        "observation_end",
        "horizon_months",
        "monthly_discount_rate",
    ]:
        out[column] = predicted[column].to_numpy()
    return params, out


def _cell(value: Any) -> Any:
    """A value for the driver: NULL for NaN/NaT, dates as datetime.date."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item"):  # numpy scalars
        return _cell(value.item())
    return value


def table_rows(frame: pd.DataFrame, table: str) -> list[tuple[Any, ...]]:
    columns = [name for name, _ in TABLE_COLUMNS[table]]
    frame = frame.copy()
    if "observation_end" in frame:
        frame["observation_end"] = pd.to_datetime(frame["observation_end"])
    return [tuple(_cell(v) for v in row) for row in frame[columns].itertuples(index=False)]


# --------------------------------------------------------------------------
# Engines: read two tables, write two tables
# --------------------------------------------------------------------------


def _pg_name(relation: Relation) -> str:
    from retention._sql import quote_ident

    return f"{quote_ident(relation.schema)}.{quote_ident(relation.identifier)}"


def _spark_name(relation: Relation) -> str:
    return f"`{relation.schema}`.`{relation.identifier}`"


class Postgres:
    def __init__(self) -> None:
        import psycopg2

        from retention.raw.load import postgres_dsn

        self.con = psycopg2.connect(postgres_dsn())

    def read(self, relation: Relation) -> pd.DataFrame:
        with self.con.cursor() as cur:
            cur.execute(f"select * from {_pg_name(relation)}")
            columns = [d[0] for d in cur.description]
            return pd.DataFrame(cur.fetchall(), columns=columns)

    def write(self, tables: dict[Relation, tuple[str, list[tuple[Any, ...]]]]) -> None:
        """Replace every table in one transaction (readers see old or new)."""
        from psycopg2.extras import execute_values

        with self.con, self.con.cursor() as cur:
            for relation, (table, rows) in tables.items():
                columns = ", ".join(f"{n} {t}" for n, t in TABLE_COLUMNS[table])
                cur.execute(f"drop table if exists {_pg_name(relation)}")
                cur.execute(f"create table {_pg_name(relation)} ({columns})")
                if rows:
                    execute_values(cur, f"insert into {_pg_name(relation)} values %s", rows)

    def close(self) -> None:
        self.con.close()


class Spark:
    def __init__(self) -> None:
        from retention.raw.load import spark_session

        self.spark = spark_session()

    def read(self, relation: Relation) -> pd.DataFrame:
        frame = self.spark.table(_spark_name(relation))
        return pd.DataFrame([tuple(r) for r in frame.collect()], columns=frame.columns)

    def write(self, tables: dict[Relation, tuple[str, list[tuple[Any, ...]]]]) -> None:
        for relation, (table, rows) in tables.items():
            schema = ", ".join(f"{n} {SPARK_TYPES.get(t, t)}" for n, t in TABLE_COLUMNS[table])
            frame = self.spark.createDataFrame(rows, schema=schema)
            frame.write.mode("overwrite").format("parquet").saveAsTable(_spark_name(relation))

    def close(self) -> None:
        pass


def fit_step(engine: str, manifest_path: Path, project: Path) -> dict[str, Any]:
    """Read, fit, write; returns a summary (keys, customers, statuses)."""
    if not manifest_path.is_file():
        raise RetentionError(f"{manifest_path}: no dbt manifest (run dbt build first)")
    manifest = json.loads(manifest_path.read_text())
    return fit_relations(
        engine,
        model_relation(manifest, "int_clv_keys"),
        model_relation(manifest, "int_clv_settings"),
        project,
    )


def fit_relations(
    engine: str, keys_relation: Relation, settings_relation: Relation, project: Path
) -> dict[str, Any]:
    """Read the two relations, fit, write the two fit tables next to the keys."""
    if engine not in ENGINES:
        raise RetentionError(f"the fit step runs on {' or '.join(ENGINES)}, not {engine}")
    folder = model_folder(project)
    warehouse = Postgres() if engine == "postgres" else Spark()
    try:
        keys = warehouse.read(keys_relation)
        settings_frame = warehouse.read(settings_relation)
        if len(settings_frame) != 1:
            raise RetentionError(
                f"{settings_relation}: expected one row, got {len(settings_frame)}"
            )
        params, predictions = fit_keys(keys, settings_frame.iloc[0], folder)
        warehouse.write(
            {
                keys_relation.sibling(PARAMS_TABLE): (
                    PARAMS_TABLE,
                    table_rows(params, PARAMS_TABLE),
                ),
                keys_relation.sibling(KEYS_TABLE): (
                    KEYS_TABLE,
                    table_rows(predictions, KEYS_TABLE),
                ),
            }
        )
    finally:
        warehouse.close()
    statuses = dict(zip(params["model"], params["fit_status"], strict=False))
    return {
        "keys": len(keys),
        "customers": int(keys["customers"].sum()) if len(keys) else 0,
        "statuses": statuses,
        "schema": keys_relation.schema,
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--engine", choices=ENGINES, required=True, help="the warehouse")
    parser.add_argument(
        "--manifest",
        type=Path,
        default=Path("target") / "manifest.json",
        help="manifest.json of the dbt run that built int_clv_keys (default target/manifest.json)",
    )
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=Path.cwd(),
        help="the retention project, or a project with it in dbt_packages/ (default: here)",
    )


def run(args: argparse.Namespace) -> int:
    summary = fit_step(args.engine, args.manifest, args.project_dir)
    log.info(
        "clv-fit on %s: %d customers in %d keys; fit_status %s; wrote %s.%s and %s.%s."
        " Now run: dbt build -s int_clv_step_fit+ int_clv_step_predictions+",
        args.engine,
        summary["customers"],
        summary["keys"],
        summary["statuses"],
        summary["schema"],
        PARAMS_TABLE,
        summary["schema"],
        KEYS_TABLE,
    )
    return 0
