"""The benchmark's peers on the data of a finished dbt build, and whether the numbers agree.

- pandas: the project's reference implementation (retention/reference/;
  written from the spec, as a user would write it in pandas)
  stages raw customers and orders, then builds cohort retention, churn and the RFM summary;
- ``lifetimes.utils.summary_data_from_transaction_data`` on the reference's purchases.

The reference gets raw customers and orders (read from the bench database) and the
build's as_of_date as a var: these marts need no events, and the as_of_date is the one
dbt derived. Timings are wall seconds of each step. dbt's side is the execution time
of the matching models in the build's run_results.json, alone and with every model
upstream of them (from the raw tables, like the pandas pipeline), and DuckDB's time
on the models' compiled SQL without dbt (best of three).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from lifetimes.utils import summary_data_from_transaction_data
from tqdm import tqdm

from retention import reference as ref
from retention.reference.compare import compare_frames

log = logging.getLogger(__name__)


# The dbt models each peer stands for (the mart and the models whose work it needs).
MATCHING_MODELS: dict[str, list[str]] = {
    "cohort_retention_and_churn": [
        "cohort_retention",
        "cohort_retention_by_channel",
        "int_month_spine",
        "churn",
    ],
    "rfm_summary": ["int_rfm_summary", "rfm_summary"],
}


def _table_schema(con: duckdb.DuckDBPyConnection, table: str) -> str:
    rows = con.execute(
        "select table_schema from information_schema.tables where table_name = ?", [table]
    ).fetchall()
    schemas = sorted(r[0] for r in rows)
    if not schemas:
        raise LookupError(f"table {table} not found")
    return "marts" if "marts" in schemas else schemas[0]


def read_inputs(database: Path) -> tuple[dict[str, pd.DataFrame], pd.Timestamp, dict[str, Any]]:
    """Raw tables for the reference (events empty), the build's as_of_date and its marts."""
    with duckdb.connect(str(database), read_only=True) as con:
        raw = {
            table: con.sql(f"select * from raw.{table}{' where false' if empty else ''}")
            .to_arrow_table()
            .to_pandas()
            for table, empty in (
                ("customers", False),
                ("orders", False),
                ("events", True),
                ("marketing_spend", True),
            )
        }
        as_of_schema = _table_schema(con, "int_as_of_date")
        as_of = pd.Timestamp(
            con.execute(f"select as_of_date from {as_of_schema}.int_as_of_date").fetchall()[0][0]
        )
        marts = {
            name: con.sql(f"select * from {_table_schema(con, name)}.{name}").df()
            for name in ("cohort_retention", "churn", "rfm_summary")
        }
    return raw, as_of, marts


def _timed(timings: dict[str, float], name: str, step: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = step()
    timings[name] = round(time.perf_counter() - started, 3)
    return result


def compare(
    actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str], columns: Iterable[str]
) -> dict[str, Any]:
    """Rows matched on ``keys``, each of ``columns`` equal (the project's one
    comparison, retention/reference/compare.py)."""
    problems = compare_frames(
        actual, expected, keys, labels=("mart", "peer"), columns=[*keys, *columns]
    )
    return {"rows": len(expected), "agree": not problems, "problems": problems}


def _lineage(target: Path, names: list[str]) -> set[str]:
    """The models ``names`` and every model upstream of them (manifest parent_map)."""
    manifest = json.loads((target / "manifest.json").read_text())
    parents: dict[str, list[str]] = manifest["parent_map"]
    wanted = {f"model.{manifest['metadata'].get('project_name', 'retention')}.{n}" for n in names}
    wanted = {n for n in parents if n in wanted} or {
        n for n in parents if n.startswith("model.") and n.split(".")[-1] in names
    }
    seen: set[str] = set()
    stack = list(wanted)
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(p for p in parents.get(node, []) if p.startswith("model."))
    return seen


def dbt_seconds(target: Path, nodes: list[dict[str, Any]], names: list[str]) -> dict[str, Any]:
    """Execution seconds of the models ``names`` alone and with their upstream models."""
    by_id = {n["unique_id"]: n["seconds"] for n in nodes}
    alone = [n for n in nodes if n["resource_type"] == "model" and n["name"] in names]
    lineage = _lineage(target, names)
    return {
        "models": names,
        "seconds": round(sum(n["seconds"] for n in alone), 3),
        "upstream_models": len(lineage),
        "seconds_with_upstream": round(sum(by_id.get(n, 0.0) for n in lineage), 3),
    }


def engine_seconds(database: Path, target: Path, names: list[str], repeat: int = 3) -> float:
    """DuckDB alone on the models' compiled SQL (no dbt overhead): the best of ``repeat``
    runs of each ``create temp table ... as <compiled select>``, summed over ``names``."""
    manifest = json.loads((target / "manifest.json").read_text())
    project = manifest["metadata"].get("project_name", "retention")
    total = 0.0
    with duckdb.connect(str(database), read_only=True) as con:
        for name in names:
            node = manifest["nodes"][f"model.{project}.{name}"]
            sql = (target / "compiled" / project / node["original_file_path"]).read_text()
            best = float("inf")
            for _ in range(repeat):
                started = time.perf_counter()
                con.execute(f"create or replace temp table bench_engine_check as {sql}")
                best = min(best, time.perf_counter() - started)
            con.execute("drop table if exists bench_engine_check")
            total += best
    return round(total, 3)


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 2) if denominator > 0 else None


def _time_peers(
    raw: dict[str, pd.DataFrame], as_of: pd.Timestamp, progress: bool
) -> tuple[dict[str, float], dict[str, pd.DataFrame]]:
    """Run every peer step on the raw tables, timed: (seconds per step, outputs)."""
    vars_ = {"as_of_date": str(as_of.date())}
    timings: dict[str, float] = {}
    bar = tqdm(total=6, desc="peers", unit="step", disable=not progress)

    def step(name: str, fn: Callable[[], Any]) -> Any:
        result = _timed(timings, name, fn)
        bar.update()
        return result

    run = ref.parse_vars(vars_)
    staged = step("pandas_staging", lambda: ref.stage_all(raw, run))
    purchases = step(
        "pandas_purchases",
        lambda: ref.purchases_until(
            staged["orders"].staged, staged["customers"].staged, ref.resolve_as_of_date(staged, run)
        ),
    )
    retention = step(
        "pandas_cohort_retention",
        lambda: ref.build_cohort_retention(
            ref.build_customer_cohorts(purchases, as_of, run.cohort_grain), by=[]
        ),
    )
    churn = step("pandas_churn", lambda: ref.build_churn(purchases, as_of, run.churn_window_days))
    rfm_pandas = step("pandas_rfm_summary", lambda: ref.build_rfm_summary(purchases, as_of, 1))
    transactions = pd.DataFrame(
        {
            "customer_id": purchases["customer_id"].astype(str),
            "date": purchases["order_date"],
            "value": purchases["net_revenue_micros"].astype("int64") / ref.MICROS_PER_UNIT,
        }
    )
    lifetimes = step(
        "lifetimes_summary",
        lambda: summary_data_from_transaction_data(
            transactions,
            "customer_id",
            "date",
            monetary_value_col="value",
            observation_period_end=as_of,
            freq="D",
            freq_multiplier=1,
        ),
    )
    bar.close()
    lifetimes = lifetimes.rename(columns={"T": "t"}).reset_index()
    lifetimes["customer_id"] = lifetimes["customer_id"].astype(str)
    outputs = {
        "purchases": purchases,
        "cohort_retention": retention,
        "churn": churn,
        "rfm_pandas": rfm_pandas,
        "lifetimes": lifetimes,
    }
    return timings, outputs


def _agreement(marts: dict[str, pd.DataFrame], peers: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """Each peer's numbers against the mart it stands for."""
    retention, churn = peers["cohort_retention"], peers["churn"]
    rfm_mart = marts["rfm_summary"]
    rfm_mart = rfm_mart.assign(customer_id=rfm_mart["customer_id"].astype(str))
    rfm_columns = ["frequency", "recency", "t", "monetary_value"]
    return {
        "cohort_retention_vs_pandas": compare(
            marts["cohort_retention"],
            retention,
            ["cohort_period", "period_number"],
            [c for c in retention.columns if c not in ("cohort_period", "period_number")],
        ),
        "churn_vs_pandas": compare(
            marts["churn"],
            churn,
            ["period_start"],
            [c for c in churn.columns if c != "period_start"],
        ),
        "rfm_summary_vs_lifetimes": compare(
            rfm_mart, peers["lifetimes"], ["customer_id"], rfm_columns
        ),
        "rfm_summary_vs_pandas": compare(
            rfm_mart, peers["rfm_pandas"], ["customer_id"], rfm_columns
        ),
    }


def _comparisons(
    timings: dict[str, float], database: Path, target: Path, nodes: list[dict[str, Any]]
) -> dict[str, Any]:
    """The peers' times against the matching dbt models (and DuckDB alone)."""
    pandas_marts_step = timings["pandas_cohort_retention"] + timings["pandas_churn"]
    pandas_retention_churn = (
        timings["pandas_staging"] + timings["pandas_purchases"] + pandas_marts_step
    )
    dbt_rc = dbt_seconds(target, nodes, MATCHING_MODELS["cohort_retention_and_churn"])
    dbt_rfm = dbt_seconds(target, nodes, MATCHING_MODELS["rfm_summary"])
    dbt_rc["engine_seconds"] = engine_seconds(
        database, target, MATCHING_MODELS["cohort_retention_and_churn"]
    )
    dbt_rfm["engine_seconds"] = engine_seconds(database, target, MATCHING_MODELS["rfm_summary"])
    return {
        "cohort_retention_and_churn_vs_pandas": {
            "peer_seconds": round(pandas_retention_churn, 3),
            "peer_marts_only_seconds": round(pandas_marts_step, 3),
            "dbt": dbt_rc,
            # judged on the matching models' execution time from the same input:
            # the pandas marts step (given purchases) vs the mart models alone
            "ratio": _ratio(pandas_marts_step, dbt_rc["seconds"]),
            # pandas from raw (staging included) vs the dbt models from raw (upstream
            # included, which also stages events: pandas skips them)
            "ratio_from_raw": _ratio(pandas_retention_churn, dbt_rc["seconds_with_upstream"]),
            # the same, against DuckDB alone on the marts' compiled SQL (no dbt overhead)
            "ratio_marts_engine_only": _ratio(pandas_marts_step, dbt_rc["engine_seconds"]),
        },
        "rfm_summary_vs_lifetimes": {
            "peer_seconds": timings["lifetimes_summary"],
            "dbt": dbt_rfm,
            # lifetimes gets the transactions ready-made: compare with the model alone
            "ratio": _ratio(timings["lifetimes_summary"], dbt_rfm["seconds"]),
            "ratio_with_upstream": _ratio(
                timings["lifetimes_summary"], dbt_rfm["seconds_with_upstream"]
            ),
            "ratio_engine_only": _ratio(timings["lifetimes_summary"], dbt_rfm["engine_seconds"]),
        },
        "rfm_summary_vs_pandas": {
            "peer_seconds": timings["pandas_rfm_summary"],
            "dbt": dbt_rfm,
            "ratio": _ratio(timings["pandas_rfm_summary"], dbt_rfm["seconds"]),
        },
    }


def run_peers(
    database: Path, target: Path, nodes: list[dict[str, Any]], progress: bool = True
) -> dict[str, Any]:
    """Time the peers on the build's data, compare their numbers with the marts."""
    raw, as_of, marts = read_inputs(database)
    timings, peers = _time_peers(raw, as_of, progress)
    agreement = _agreement(marts, peers)
    comparisons = _comparisons(timings, database, target, nodes)
    log.info("peers: %s", timings)
    return {
        "as_of_date": str(as_of.date()),
        "orders": len(raw["orders"]),
        "purchases": len(peers["purchases"]),
        "timings": timings,
        "comparisons": comparisons,
        "agreement": agreement,
        "all_agree": all(a["agree"] for a in agreement.values()),
    }
