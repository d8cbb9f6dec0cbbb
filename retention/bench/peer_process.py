"""One peer of ``make bench``, run in a process of its own by ``retention.bench.peers``.

``python -m retention.bench.peer_process PEER --database DB --as-of DATE --work-dir DIR --out JSON``

- ``pandas_from_raw``: the pandas pipeline from raw data, as a user would write it
  (the project's reference, retention/reference/, written from the spec): reads
  raw.customers and raw.orders from the bench database (timed apart), then
  staging, purchases, cohort retention and churn. Afterwards (untimed) it writes
  its purchases to ``DIR/purchases.pkl`` for the two peers below and compares its
  cohort retention and churn with the marts.
- ``pandas_step``: those purchases read back, then the pandas cohort retention +
  churn step (the work the matching marts do, from the same input), compared
  with the marts; then the pandas RFM summary, compared with rfm_summary.
- ``lifetimes``: those purchases as transactions for
  ``lifetimes.utils.summary_data_from_transaction_data``, compared with rfm_summary.

The result JSON is rewritten before and after every step: the timings so far
and the step running with its start time, so a peer stopped by the time cap
still reports what it finished and how long the unfinished step had run. An
allocation that fails (``MemoryError``, DuckDB's out-of-memory error) is
recorded and the process exits with ``OUT_OF_MEMORY``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from retention import reference as ref
from retention.reference.compare import compare_frames

PEERS = ("pandas_from_raw", "pandas_step", "lifetimes")
OUT_OF_MEMORY = 3
PURCHASES_FILE = "purchases.pkl"
RFM_COLUMNS = ["frequency", "recency", "t", "monetary_value"]


class Recorder:
    """The peer's result, written to ``out`` after every change."""

    def __init__(self, peer: str, out: Path) -> None:
        self.out = out
        self.result: dict[str, Any] = {"peer": peer, "timings": {}, "agreement": {}}
        self.save()

    def save(self) -> None:
        tmp = self.out.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.result, indent=2, default=str) + "\n")
        tmp.replace(self.out)

    def step(self, name: str, fn: Callable[[], Any]) -> Any:
        """Run one timed step; its start is on disk while it runs."""
        self.result["running"] = {"step": name, "since": time.time()}
        self.save()
        started = time.perf_counter()
        value = fn()
        self.result["timings"][name] = round(time.perf_counter() - started, 3)
        self.result.pop("running")
        self.save()
        return value

    def agree(self, name: str, check: dict[str, Any]) -> None:
        self.result["agreement"][name] = check
        self.save()


def table_schema(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """The schema holding ``table``: ``marts`` when it is there, else the first by name."""
    rows = con.execute(
        "select table_schema from information_schema.tables where table_name = ?", [table]
    ).fetchall()
    schemas = sorted(r[0] for r in rows)
    if not schemas:
        raise LookupError(f"table {table} not found")
    return "marts" if "marts" in schemas else schemas[0]


def read_raw(database: Path) -> dict[str, pd.DataFrame]:
    """raw.customers and raw.orders; events and marketing spend empty (these marts need none)."""
    with duckdb.connect(str(database), read_only=True) as con:
        return {
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


def read_mart(database: Path, name: str) -> pd.DataFrame:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.sql(f"select * from {table_schema(con, name)}.{name}").df()


def compare(
    actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str], columns: Iterable[str]
) -> dict[str, Any]:
    """Rows matched on ``keys``, each of ``columns`` equal (retention/reference/compare.py)."""
    problems = compare_frames(
        actual, expected, keys, labels=("mart", "peer"), columns=[*keys, *columns]
    )
    return {"rows": len(expected), "agree": not problems, "problems": problems}


def _compare_retention_and_churn(
    recorder: Recorder, database: Path, retention: pd.DataFrame, churn: pd.DataFrame
) -> None:
    keys = ["cohort_period", "period_number"]
    recorder.agree(
        "cohort_retention_vs_pandas",
        compare(
            read_mart(database, "cohort_retention"),
            retention,
            keys,
            [c for c in retention.columns if c not in keys],
        ),
    )
    recorder.agree(
        "churn_vs_pandas",
        compare(
            read_mart(database, "churn"),
            churn,
            ["period_start"],
            [c for c in churn.columns if c != "period_start"],
        ),
    )


def _rfm_mart(database: Path) -> pd.DataFrame:
    mart = read_mart(database, "rfm_summary")
    return mart.assign(customer_id=mart["customer_id"].astype(str))


def pandas_from_raw(recorder: Recorder, database: Path, as_of: pd.Timestamp, work: Path) -> None:
    run = ref.parse_vars({"as_of_date": str(as_of.date())})
    raw = recorder.step("pandas_read_raw", lambda: read_raw(database))
    staged = recorder.step("pandas_staging", lambda: ref.stage_all(raw, run))
    purchases = recorder.step(
        "pandas_purchases",
        lambda: ref.purchases_until(
            staged["orders"].staged,
            staged["customers"].staged,
            ref.resolve_as_of_date(staged, run),
        ),
    )
    retention = recorder.step(
        "pandas_cohort_retention",
        lambda: ref.build_cohort_retention(
            ref.build_customer_cohorts(purchases, as_of, run.cohort_grain), by=[]
        ),
    )
    churn = recorder.step(
        "pandas_churn", lambda: ref.build_churn(purchases, as_of, run.churn_window_days)
    )
    recorder.result["rows"] = {"orders": len(raw["orders"]), "purchases": len(purchases)}
    purchases.to_pickle(work / PURCHASES_FILE)
    _compare_retention_and_churn(recorder, database, retention, churn)


def _purchases(work: Path) -> pd.DataFrame:
    return pd.read_pickle(work / PURCHASES_FILE)


def pandas_step(recorder: Recorder, database: Path, as_of: pd.Timestamp, work: Path) -> None:
    run = ref.parse_vars({"as_of_date": str(as_of.date())})
    purchases = _purchases(work)
    retention = recorder.step(
        "pandas_cohort_retention",
        lambda: ref.build_cohort_retention(
            ref.build_customer_cohorts(purchases, as_of, run.cohort_grain), by=[]
        ),
    )
    churn = recorder.step(
        "pandas_churn", lambda: ref.build_churn(purchases, as_of, run.churn_window_days)
    )
    _compare_retention_and_churn(recorder, database, retention, churn)
    rfm = recorder.step("pandas_rfm_summary", lambda: ref.build_rfm_summary(purchases, as_of, 1))
    recorder.agree(
        "rfm_summary_vs_pandas",
        compare(_rfm_mart(database), rfm, ["customer_id"], RFM_COLUMNS),
    )


def lifetimes(recorder: Recorder, database: Path, as_of: pd.Timestamp, work: Path) -> None:
    from lifetimes.utils import summary_data_from_transaction_data

    purchases = _purchases(work)
    transactions = pd.DataFrame(
        {
            "customer_id": purchases["customer_id"].astype(str),
            "date": purchases["order_date"],
            "value": purchases["net_revenue_micros"].astype("int64") / ref.MICROS_PER_UNIT,
        }
    )
    del purchases
    summary = recorder.step(
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
    summary = summary.rename(columns={"T": "t"}).reset_index()
    summary["customer_id"] = summary["customer_id"].astype(str)
    recorder.agree(
        "rfm_summary_vs_lifetimes",
        compare(_rfm_mart(database), summary, ["customer_id"], RFM_COLUMNS),
    )


RUNS: dict[str, Callable[[Recorder, Path, pd.Timestamp, Path], None]] = {
    "pandas_from_raw": pandas_from_raw,
    "pandas_step": pandas_step,
    "lifetimes": lifetimes,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("peer", choices=PEERS)
    parser.add_argument("--database", type=Path, required=True)
    parser.add_argument("--as-of", required=True, help="the build's as_of_date (YYYY-MM-DD)")
    parser.add_argument("--work-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    recorder = Recorder(args.peer, args.out)
    try:
        RUNS[args.peer](recorder, args.database, pd.Timestamp(args.as_of), args.work_dir)
    except (MemoryError, duckdb.OutOfMemoryException) as error:
        recorder.result["error"] = f"out of memory: {type(error).__name__}: {error}"[:500]
        recorder.save()
        return OUT_OF_MEMORY
    return 0


if __name__ == "__main__":
    sys.exit(main())
