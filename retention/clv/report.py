"""PNG plots of the predictive CLV models (``make report``).

From a CDNOW build (calibration to rfm_observation_end, holdout to
as_of_date): cumulative and weekly repeat purchases, actual vs BG/NBD, and the
conditional expectations by number of calibration repeat purchases, plus the
table as Markdown. From a demo build: historical vs predicted CLTV per
customer by cohort.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import duckdb
import pandas as pd

from retention.clv import holdout

log = logging.getLogger(__name__)

CUMULATIVE = "cdnow_holdout_cumulative.png"
WEEKLY = "cdnow_holdout_weekly.png"
CONDITIONAL = "cdnow_conditional_expectations.png"
TABLE = "cdnow_conditional_expectations.md"
DEMO_CLTV = "demo_cltv_by_cohort.png"
ACTUAL_STYLE = {"color": "black", "label": "actual"}
MODEL_STYLE = {"color": "tab:red", "linestyle": "--", "label": "BG/NBD"}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _unit_name(days: int) -> str:
    return {1: "day", 7: "week"}.get(days, f"{days}-day period")


def _mark_calibration_end(ax, tracking: pd.DataFrame) -> None:
    holdout_start = tracking.loc[tracking["is_holdout"], "period"].min()
    if pd.notna(holdout_start):
        ax.axvline(holdout_start - 0.5, color="grey", linewidth=1, linestyle=":")
        ax.annotate(
            "calibration | holdout",
            (holdout_start - 0.5, 1.0),
            xycoords=("data", "axes fraction"),
            ha="center",
            va="bottom",
            fontsize=9,
            color="grey",
        )


def cdnow_plots(database_path: Path, out_dir: Path) -> list[Path]:
    """The three holdout plots and the conditional-expectation table of a CDNOW build."""
    plt = _pyplot()
    data = holdout.read_holdout_data(database_path)
    tracking = holdout.weekly_tracking(data)
    customers = holdout.customer_holdout(data)
    table = holdout.conditional_expectations(customers)
    unit = _unit_name(data.time_unit_days)
    params = ", ".join(f"{k} = {v:.3f}" for k, v in data.params.items())
    written = []

    fig, ax = plt.subplots(figsize=(9, 5.5))
    ax.plot(tracking["period"], tracking["actual_cumulative"], **ACTUAL_STYLE)
    ax.plot(tracking["period"], tracking["expected_cumulative"], **MODEL_STYLE)
    _mark_calibration_end(ax, tracking)
    ax.set_xlabel(f"{unit} since the first purchase of the cohort")
    ax.set_ylabel("cumulative repeat purchases")
    ax.set_title(f"CDNOW: cumulative repeat purchases, actual vs BG/NBD\n({params})", pad=18)
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    written.append(_save(fig, out_dir / CUMULATIVE))

    fig, ax = plt.subplots(figsize=(9, 5.5))
    ax.plot(tracking["period"], tracking["actual"], **ACTUAL_STYLE)
    ax.plot(tracking["period"], tracking["expected"], **MODEL_STYLE)
    _mark_calibration_end(ax, tracking)
    ax.set_xlabel(f"{unit} since the first purchase of the cohort")
    ax.set_ylabel(f"repeat purchases per {unit}")
    ax.set_title(f"CDNOW: repeat purchases per {unit}, actual vs BG/NBD", pad=18)
    ax.legend(loc="upper right")
    ax.grid(alpha=0.3)
    written.append(_save(fig, out_dir / WEEKLY))

    bins = table.drop(index="total")
    fig, ax = plt.subplots(figsize=(9, 5.5))
    ax.plot(bins.index, bins["actual_mean"], marker="o", **ACTUAL_STYLE)
    ax.plot(bins.index, bins["expected_mean"], marker="s", **MODEL_STYLE)
    total = table.loc["total"]
    error = (total["expected_total"] - total["actual_total"]) / total["actual_total"]
    ax.set_xlabel("repeat purchases in the calibration period")
    ax.set_ylabel(f"mean repeat purchases in the {data.holdout_length:g}-{unit} holdout")
    ax.set_title(
        "CDNOW: conditional expectations, actual vs BG/NBD\n"
        f"holdout total: actual {total['actual_total']:.0f},"
        f" expected {total['expected_total']:.0f} ({error:+.1%})"
    )
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    written.append(_save(fig, out_dir / CONDITIONAL))

    (out_dir / TABLE).write_text(
        f"# Conditional expectations: {data.holdout_length:g} {unit}s of holdout after"
        f" {data.observation_end.date()}\n\n{holdout.table_markdown(table)}\n"
    )
    written.append(out_dir / TABLE)
    return written


def demo_cltv_by_cohort(database_path: Path) -> pd.DataFrame:
    """Per cohort: customers, mean historical net revenue and mean predicted CLTV."""
    with duckdb.connect(str(database_path), read_only=True) as con:
        return con.sql(
            """
            select
                customers.cohort_period,
                count(*) as customers,
                avg(customers.net_revenue) as historical_net_revenue,
                avg(customers.historical_cltv) as historical_cltv,
                avg(predictions.predicted_cltv) as predicted_cltv,
                max(predictions.horizon_months) as horizon_months
            from marts.customers as customers
            inner join marts.customer_value_predictions as predictions
                on customers.customer_id = predictions.customer_id
            group by customers.cohort_period
            order by customers.cohort_period
            """
        ).df()


def demo_plot(database_path: Path, out_dir: Path) -> Path:
    """Historical vs predicted CLTV per customer by cohort of a demo build."""
    plt = _pyplot()
    cohorts = demo_cltv_by_cohort(database_path)
    labels = pd.to_datetime(cohorts["cohort_period"]).dt.strftime("%Y-%m")
    positions = range(len(cohorts))
    horizon = int(cohorts["horizon_months"].max()) if len(cohorts) else 12
    fig, ax = plt.subplots(figsize=(12, 5.5))
    width = 0.4
    ax.bar(
        [p - width / 2 for p in positions],
        cohorts["historical_net_revenue"],
        width,
        color="tab:blue",
        label="historical: net revenue to as_of_date",
    )
    ax.bar(
        [p + width / 2 for p in positions],
        cohorts["predicted_cltv"],
        width,
        color="tab:orange",
        label=f"predicted: net revenue of the next {horizon} months (BG/NBD + Gamma-Gamma)",
    )
    ax.set_xticks(list(positions), labels, rotation=90, fontsize=8)
    ax.set_xlabel("cohort (month of the first purchase)")
    ax.set_ylabel("per customer of the cohort")
    ax.set_title("Demo shop: historical vs predicted CLTV per customer, by cohort")
    ax.legend(loc="upper right")
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, out_dir / DEMO_CLTV)


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    fig.clf()
    import matplotlib.pyplot as plt

    plt.close(fig)
    log.info("wrote %s", path)
    return path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cdnow-database",
        type=Path,
        default=Path("data/cdnow_sample.duckdb"),
        help="DuckDB file of a CDNOW build (make build DATASET=cdnow_sample), default %(default)s",
    )
    parser.add_argument(
        "--demo-database",
        type=Path,
        default=Path("data/warehouse.duckdb"),
        help="DuckDB file of a demo build (make build), default %(default)s",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("reports"), help="output folder, default %(default)s"
    )


def run(args: argparse.Namespace) -> int:
    written = cdnow_plots(args.cdnow_database, args.out)
    written.append(demo_plot(args.demo_database, args.out))
    log.info("report: %s", ", ".join(str(p) for p in written))
    return 0
