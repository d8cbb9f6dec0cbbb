"""The incremental models on Spark equal a full refresh (docs/incremental.md).

The Spark half of tests/dbt/test_incremental_replay.py, at a small size
(``SPARK_REPLAY_CUSTOMERS`` customers, ``SPARK_REPLAY_DAYS`` days: a Spark
run costs seconds where DuckDB's costs a fraction of one). The same replay
plan (tests/support/replay.py: rows up to 3, 10 and 40 days late, late
order versions, repeated event ids, keyless rows, identical copies) is
appended day by day to Spark's raw tables and the incremental models run
after each day (insert_overwrite by partition,
macros/cross_db/incremental_strategy.sql): the four staging/intermediate
ones (month partitions) and ``int_customer_stage_snapshots`` (partitioned
by snapshot_date), whose as_of_date moves every day; ``customer_cohorts``
is rebuilt as a table on Spark (a partition column would change its
contract's column order). Then every relation those runs build must equal,
row for row, a ``--full-refresh`` of the same raw data, and a build without
new data must change nothing (its data tests check the rows of the run
windows: docs/incremental.md, "Data tests in a daily run"). The other marts
are rebuilt from these tables on every run; the engine equality test
compares them.

dbt runs in this process (dbtRunner) so that the loader, the dbt runs and
the reads share one Spark session: a local Spark session costs a JVM and
its Derby metastore takes one process at a time. Runs only with
RETENTION_ENGINE=spark (make test-spark).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from support.dbt import REPO
from support.replay import replay_plan

from retention.raw.load import select_list, spark_casts
from retention.reference.compare import compare_frames

ENGINE = os.environ.get("RETENTION_ENGINE", "")
CUSTOMERS = int(os.environ.get("SPARK_REPLAY_CUSTOMERS", "150"))
REPLAY_DAYS = int(os.environ.get("SPARK_REPLAY_DAYS", "4"))  # 4: one day has the far-late rows
SEED = 7
DAILY_SELECT = (
    "--select", "+int_triaged_rows_by_day", "+customer_cohorts", "+int_customer_stage_snapshots",
)
# The incremental marts incremental on Spark and their partition column
# (customer_cohorts stays a table on Spark: incremental_config, partition_by=none).
MART_PARTITIONS = {
    "intermediate.int_customer_stage_snapshots": "snapshot_date",
}
# What the daily runs build: the six incremental models, the views over
# the triaged tables and the bookkeeping table.
RELATIONS = (
    "staging.stg_events__triaged",
    "staging.stg_orders__triaged",
    "staging.stg_events",
    "staging.stg_orders",
    "intermediate.int_purchases",
    "intermediate.int_customer_event_days",
    "intermediate.int_triaged_rows_by_day",
    *MART_PARTITIONS,
    "marts.customer_cohorts",
)

pytestmark = pytest.mark.skipif(
    ENGINE != "spark", reason="set RETENTION_ENGINE=spark (make test-spark)"
)


@dataclass
class SparkReplay:
    work_dir: Path
    daily: dict[str, pd.DataFrame]  # after the last daily run
    rerun: dict[str, pd.DataFrame]  # after one more run without new data
    full: dict[str, pd.DataFrame]  # after --full-refresh
    early: dict[str, pd.DataFrame]  # a daily run with as_of_date moved back
    early_full: dict[str, pd.DataFrame]  # --full-refresh with that as_of_date
    # the partitions of the incremental marts after that daily run
    early_partitions: dict[str, set[pd.Timestamp]]
    injected: dict[str, int]
    seconds: dict[str, float] = field(default_factory=dict)
    touched_tests: dict[str, str] = field(default_factory=dict)  # test -> status


def _session(work_dir: Path) -> Any:
    """The Spark session of the ``spark`` target (profiles/profiles.yml), made
    first so that dbt's session method reuses it."""
    from pyspark.sql import SparkSession

    os.environ["RETENTION_SPARK_METASTORE"] = str(work_dir / "metastore_db")
    os.environ["RETENTION_SPARK_WAREHOUSE"] = str(work_dir / "spark-warehouse")
    os.chdir(work_dir)  # derby.log lands here
    return (
        SparkSession.builder.enableHiveSupport()
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.warehouse.dir", os.environ["RETENTION_SPARK_WAREHOUSE"])
        .config(
            "spark.hadoop.javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={os.environ['RETENTION_SPARK_METASTORE']};create=true",
        )
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )


def _write_raw(spark: Any, table: str, frame: pd.DataFrame, create: bool) -> None:
    """Rows into raw.<table>, cast to the contract types like the loader does
    (retention/raw/load.py load_spark)."""
    if frame.empty and not create:
        return
    with duckdb.connect() as con:
        con.register("_rows", frame)
        arrow = con.sql(
            f"select {select_list(table, set(map(str, frame.columns)))} from _rows"
        ).to_arrow_table()
    spark.createDataFrame(arrow).createOrReplaceTempView("_replay_rows")
    casts = spark_casts(table)
    if create:
        spark.sql(f"drop table if exists raw.{table}")
        spark.sql(f"create table raw.{table} using parquet as select {casts} from _replay_rows")
    else:
        spark.sql(f"insert into raw.{table} select {casts} from _replay_rows")


def _dbt(work_dir: Path, subcommand: str, *args: str, **vars: Any) -> float:
    from dbt.cli.main import dbtRunner

    started = time.monotonic()
    result = dbtRunner().invoke([
        subcommand, "--project-dir", str(REPO), "--profiles-dir", str(REPO / "profiles"),
        "--target", "spark", "--vars", json.dumps({"python_models": False, **vars}),
        "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs"),
        *args,
    ])
    assert result.success, f"dbt {subcommand} {' '.join(args)} failed on Spark: {result.exception}"
    return time.monotonic() - started


def _tests_on_touched_rows(work_dir: Path) -> dict[str, str]:
    """The data tests of the last dbt invocation that read only the rows of
    a run window (macros/touched_rows.sql), with their status."""
    results = json.loads((work_dir / "target" / "run_results.json").read_text())["results"]
    return {
        result["unique_id"]: result["status"]
        for result in results
        if result["unique_id"].startswith("test.")
        and "touched_rows" in (result.get("compiled_code") or "")
    }


def _read(spark: Any) -> dict[str, pd.DataFrame]:
    return {
        relation: spark.table(relation).toPandas().reset_index(drop=True)
        for relation in RELATIONS
    }


def _partitions(spark: Any, relation: str) -> set[pd.Timestamp]:
    """The partition values of a table with one date partition column, from
    the metastore (``<column>=2024-01-31`` per partition)."""
    return {
        pd.Timestamp(row[0].split("=", 1)[1])
        for row in spark.sql(f"show partitions {relation}").collect()
    }


@pytest.fixture(scope="module")
def spark_replay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkReplay]:
    started = time.monotonic()
    work_dir = tmp_path_factory.mktemp("spark_replay")
    plan = replay_plan(work_dir / "raw", CUSTOMERS, SEED, REPLAY_DAYS)
    spark = _session(work_dir)
    spark.sql("create database if not exists raw")
    for table, frame in plan.initial.items():
        _write_raw(spark, table, frame, create=True)
    # --full-refresh: in make test-spark this session (one per process) is the
    # engine equality test's, whose staging tables already exist
    seconds = {"first run": _dbt(work_dir, "run", *DAILY_SELECT, "--full-refresh")}
    daily = []
    for replay_day in plan.days:
        _write_raw(spark, "events", replay_day.events, create=False)
        _write_raw(spark, "orders", replay_day.orders, create=False)
        daily.append(_dbt(work_dir, "run", *DAILY_SELECT))
    seconds["daily runs (mean)"] = sum(daily) / len(daily)
    after_daily = _read(spark)
    # a build: the data tests of the models it runs incrementally check the
    # rows the run touched (docs/incremental.md, "Data tests in a daily run");
    # cautious: not the singular tests that also read models this replay
    # never builds (stg_customers, marts)
    seconds["build without new data"] = _dbt(
        work_dir, "build", *DAILY_SELECT, "--exclude-resource-type", "unit_test",
        "--indirect-selection", "cautious")
    after_rerun = _read(spark)
    touched_tests = _tests_on_touched_rows(work_dir)
    # as_of_date moved back 45 days: the purchases and customer-days after
    # it become tombstones, whole month partitions are left empty (dropped)
    early_as_of = str((plan.last - pd.Timedelta(days=45)).date())
    seconds["run with an earlier as_of_date"] = _dbt(
        work_dir, "run", *DAILY_SELECT, as_of_date=early_as_of)
    after_early = _read(spark)
    early_partitions = {relation: _partitions(spark, relation) for relation in MART_PARTITIONS}
    _dbt(work_dir, "run", *DAILY_SELECT, "--full-refresh", as_of_date=early_as_of)
    early_full = _read(spark)
    seconds["full refresh"] = _dbt(work_dir, "run", *DAILY_SELECT, "--full-refresh")
    after_full = _read(spark)
    seconds["whole fixture"] = time.monotonic() - started
    print(f"\n[spark] incremental replay, {REPLAY_DAYS} days, {CUSTOMERS} customers: "
          + ", ".join(f"{k} {v:.0f} s" for k, v in seconds.items()))
    yield SparkReplay(work_dir, after_daily, after_rerun, after_full, after_early, early_full,
                      early_partitions, plan.injected, seconds, touched_tests)


def _differences(left: dict[str, pd.DataFrame], right: dict[str, pd.DataFrame],
                 labels: tuple[str, str]) -> list[str]:
    problems = []
    for relation in RELATIONS:
        problems += [
            f"{relation}: {p}"
            for p in compare_frames(left[relation], right[relation], labels=labels,
                                    same_types=True)
        ]
    return problems


def test_spark_replay_has_late_rows(spark_replay: SparkReplay) -> None:
    # (at this size no generated order may happen to arrive late: the late
    # order versions below are injected every day)
    for kind in ("late_generated_events", "late_order_update",
                 "event_id_repeated_in_window", "keyless_event_one_day_late",
                 "new_event_10_days_late", "new_event_40_days_late",
                 "order_version_40_days_late", "event_id_repeated_before_its_staged_copy"):
        assert spark_replay.injected.get(kind, 0) > 0, kind
    assert len(spark_replay.daily["staging.stg_events__triaged"]) > 1000


def test_spark_daily_runs_equal_a_full_refresh(spark_replay: SparkReplay) -> None:
    assert _differences(spark_replay.daily, spark_replay.full,
                        ("incremental", "full refresh")) == []


def test_spark_run_without_new_data_changes_nothing(spark_replay: SparkReplay) -> None:
    assert _differences(spark_replay.daily, spark_replay.rerun,
                        ("daily", "build without new data")) == []


def test_spark_daily_build_tests_the_touched_rows(spark_replay: SparkReplay) -> None:
    """The build without new data ran the incremental models' data tests on
    their run windows (the SQL of macros/touched_rows.sql runs on Spark) and
    they passed; the tests of the views over the triaged tables too."""
    tested = spark_replay.touched_tests
    assert set(tested.values()) == {"pass"}, tested
    for name in ("is_unique_stg_orders_order_id", "is_not_null_stg_events_event_id",
                 "is_unique_int_purchases_order_id"):
        assert any(f".{name}" in test for test in tested), (name, sorted(tested))
    assert any("unique_columns_combination_stg_events__triaged" in t for t in tested)
    assert any("int_customer_event_days" in t for t in tested)


def test_spark_tables_are_partitioned_by_month(spark_replay: SparkReplay) -> None:
    """The incremental tables carry partition_month (first day of a month, or
    the day before min_valid_date for rows without a plausible time)."""
    for relation in ("staging.stg_events__triaged", "staging.stg_orders__triaged",
                     "intermediate.int_purchases", "intermediate.int_customer_event_days"):
        months = pd.to_datetime(spark_replay.daily[relation]["partition_month"])
        plausible = months[months.dt.year >= 1990]
        assert (plausible.dt.day == 1).all(), relation
    triaged = spark_replay.daily["staging.stg_events__triaged"]
    undated = triaged[triaged["occurred_at"].isna()]
    assert len(undated) and (pd.to_datetime(undated["partition_month"]).dt.year < 1990).all()


def test_spark_earlier_as_of_date_drops_rows_and_partitions(spark_replay: SparkReplay) -> None:
    """Moving as_of_date back turns later purchases and customer-days into
    tombstones: on Spark they are never written, and the month partitions
    left without rows are dropped; the result equals a full refresh."""
    assert _differences(spark_replay.early, spark_replay.early_full,
                        ("incremental", "full refresh")) == []
    for relation, date_column in (("intermediate.int_purchases", "order_date"),
                                  ("intermediate.int_customer_event_days", "event_date")):
        daily_months = set(pd.to_datetime(spark_replay.daily[relation]["partition_month"]))
        early = spark_replay.early[relation]
        early_months = set(pd.to_datetime(early["partition_month"]))
        assert len(early) < len(spark_replay.daily[relation]), relation
        assert early_months < daily_months, f"{relation}: no month partition emptied"
        assert early[date_column].notna().all()


def test_spark_incremental_marts_are_partitioned_by_their_period(
    spark_replay: SparkReplay,
) -> None:
    """int_customer_stage_snapshots has no partition_month: it is
    partitioned by its own snapshot_date. After the daily run with an
    earlier as_of_date the partitions are exactly the periods left in the
    table: the later snapshot dates and cohort periods (the last as_of_date
    among them) were dropped, not kept as empty partitions."""
    for relation, column in MART_PARTITIONS.items():
        daily = spark_replay.daily[relation]
        early = spark_replay.early[relation]
        assert "partition_month" not in daily.columns, relation
        left = set(pd.to_datetime(early[column]))
        dropped = set(pd.to_datetime(daily[column])) - left
        assert dropped and min(dropped) > max(left), f"{relation}: no period dropped"
        assert spark_replay.early_partitions[relation] == left, relation


def test_spark_daily_build_tests_find_a_collision_in_another_partition(
    spark_replay: SparkReplay,
) -> None:
    """On Spark a daily run's uniqueness tests read only the partitions that
    hold a row whose key occurs in the window (macros/touched_rows.sql,
    touched_partitions). An old event's and an old order's only row, at
    least two months before the window, is copied into the window's month
    under its own key (triage key, key_hash, version rank): the copy
    survives the next run (the run does not replace its key), and the
    daily build's uniqueness tests of both triaged tables must find the old
    row in its old partition, which holds no row of the window. Runs last
    in the module: it leaves the two tables with the copies."""
    from dbt.cli.main import dbtRunner
    from pyspark.sql import functions as F

    spark = _session(spark_replay.work_dir)
    # (version time, the column moved into the window, the key: the events
    # table stores no triage key, and its staged rows' key is the event_id)
    version_times = {
        "staging.stg_events__triaged": ("occurred_at", "occurred_at", "event_id"),
        "staging.stg_orders__triaged": (
            "coalesce(updated_at, ordered_at)", "updated_at", "triage_key"),
    }
    old_partitions = {}
    for table, (version_time, moved_column, key_column) in version_times.items():
        watermark, month = spark.sql(
            f"select max({version_time}), cast(date_trunc('MONTH', max({version_time})) as date)"
            f" from {table} where disposition = 'staged'"
            f" and {version_time} < timestamp'2100-01-01'"
        ).collect()[0]
        key, partition = spark.sql(
            f"select {key_column}, min(partition_month) from {table}"
            " where disposition = 'staged'"
            f" group by {key_column}"
            f" having count(*) = 1 and max({version_time}) < add_months(date'{month}', -1)"
            f" and min({version_time}) >= timestamp'1990-01-01'"
            f" order by {key_column} limit 1"
        ).collect()[0]
        old_partitions[table] = partition
        moved = (
            spark.table(table)
            .where(F.col(key_column) == key)
            .withColumn(moved_column, F.lit(watermark).cast("timestamp"))
            .withColumn("partition_month", F.lit(month).cast("date"))
        )
        spark.createDataFrame(moved.collect(), moved.schema).write.insertInto(table)
    result = dbtRunner().invoke([
        "build", "--project-dir", str(REPO), "--profiles-dir", str(REPO / "profiles"),
        "--target", "spark", "--vars", json.dumps({"python_models": False}),
        "--target-path", str(spark_replay.work_dir / "target"),
        "--log-path", str(spark_replay.work_dir / "logs"),
        "--select", "stg_events__triaged", "stg_orders__triaged",
        "--exclude-resource-type", "unit_test", "--indirect-selection", "cautious",
    ])
    assert not result.success, "the daily build's tests missed the moved copies"
    results = {
        r["unique_id"].split(".")[2]: r
        for r in json.loads(
            (spark_replay.work_dir / "target" / "run_results.json").read_text()
        )["results"]
    }
    for table, name in (
        ("staging.stg_events__triaged", "unique_columns_combination_stg_events__triaged_"
                                        "key_hash__event_id__version_rank__key_hash__version_rank"),
        ("staging.stg_orders__triaged", "unique_columns_combination_stg_orders__triaged_"
                                        "triage_key__version_rank"),
    ):
        test = results[name]
        assert (test["status"], test["failures"]) == ("fail", 1), (name, test["status"])
        code = test["compiled_code"]
        assert "touched_rows" in code and "partition_month in (" in code, name
        assert f"cast('{old_partitions[table]}' as date)" in code, name
        read = code.split("partition_month in (", 1)[1].split("\n", 1)[0].count("cast(")
        assert read < len(_partitions(spark, table)), f"{name}: no partition left out"
