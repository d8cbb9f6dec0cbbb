"""``make bench BENCH_ENGINE=spark``: the full and daily builds on local Spark.

At each size, after DuckDB's builds (retention/bench/runner.py), the same
Parquet goes into a fresh local Spark catalog (its own Derby metastore and
warehouse folder under ``<size folder>/spark``) and the daily sequence of
docs/predictive_clv.md runs there as ``retention build`` (dbt build, the fit
step and the rebuild after it in one process, sharing one Spark session),
timed and its peak memory measured with its JVM (retention/bench/measure.py):

- full build: ``retention build --full-refresh`` (models, data and unit
  tests);
- the same next day as DuckDB's (retention/demo/next_day.py) appended to
  Spark's raw tables;
- daily build: ``retention build --exclude-resource-type unit_test``
  (incremental models by month partition, docs/incremental.md).

The steps inside a build (parse, dbt build, fit, dbt build after the fit) are
timed by the command itself (``--timings``).

Then every mart is read from Spark (written to a file by a process of its
own: Derby takes one process at a time) and compared with DuckDB's mart of
the same size and day (``retention.reference.compare.compare_frames`` on the
mart's grain, the predictive marts within the fit tolerances of
retention/engine_marts.py). The result is a size entry with
``"engine": "spark"`` that report.py judges.

``python -m retention.bench.spark append|export`` are the two steps that
need a Spark session of their own (appending the next day, reading the marts).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from retention.bench.measure import run_measured
from retention.contract import TABLE_NAMES
from retention.engine_marts import FIT_TOLERANCES, MART_KEYS
from retention.paths import project_dir
from retention.reference.compare import compare_frames

log = logging.getLogger(__name__)

SPARK_FOLDER = "spark"
RAW_COUNTS = "raw_counts.json"


def spark_env(spark_dir: Path) -> dict[str, str]:
    """The environment of every Spark step: one metastore and warehouse per size."""
    return {
        **os.environ,
        "RETENTION_TARGET": "spark",
        "RETENTION_SPARK_METASTORE": str(spark_dir / "metastore_db"),
        "RETENTION_SPARK_WAREHOUSE": str(spark_dir / "spark-warehouse"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def _step(label: str, command: list[str], spark_dir: Path, env: dict[str, str]) -> dict[str, Any]:
    """A non-dbt step (loader, fit, append, export), in the shape of a dbt build."""
    measured = run_measured(command, env, spark_dir / f"{label}.log", cwd=spark_dir)
    log.info(
        "spark %s: exit %d, %.1f s, peak %.2f GB",
        label,
        measured.returncode,
        measured.seconds,
        measured.peak_rss_bytes / 1e9,
    )
    return {
        "returncode": measured.returncode,
        "wall_seconds": round(measured.seconds, 2),
        "peak_rss_bytes": measured.peak_rss_bytes,
        "models_seconds": 0.0,
        "tests_seconds": 0.0,
        "not_ok": [],
        "command": " ".join(command[2:]),
        "nodes": [],
    }


def combine(steps: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Steps run one after another as one build: times summed, the largest peak,
    the first failing exit code; each step kept under ``steps``."""
    failed = [s["returncode"] for s in steps.values() if s["returncode"] != 0]
    return {
        "returncode": failed[0] if failed else 0,
        "wall_seconds": round(sum(s["wall_seconds"] for s in steps.values()), 2),
        "peak_rss_bytes": max((s["peak_rss_bytes"] for s in steps.values()), default=0),
        "models_seconds": round(sum(s["models_seconds"] for s in steps.values()), 2),
        "tests_seconds": round(sum(s["tests_seconds"] for s in steps.values()), 2),
        "not_ok": [n for s in steps.values() for n in s["not_ok"]],
        "command": " ; ".join(s["command"] for s in steps.values()),
        # a model rebuilt by a later step is named with that step (after fit)
        "nodes": [
            {**n, "name": n["name"] if i == 0 else f"{n['name']} ({name})"}
            for i, (name, s) in enumerate(steps.items())
            for n in s["nodes"]
        ],
        "steps": {
            name: {k: s[k] for k in ("returncode", "wall_seconds", "peak_rss_bytes")}
            for name, s in steps.items()
        },
    }


def _retention_build(
    label: str,
    spark_dir: Path,
    env: dict[str, str],
    extra_args: tuple[str, ...],
    parse_state: str | None,
) -> dict[str, Any]:
    """``retention build``: dbt build, the fit step and the rebuild after it in one
    process (one JVM, one parse); its steps as the command timed them. Its target
    folder starts from ``parse_state`` (as DuckDB's builds, runner.dbt_build)."""
    from retention.bench.runner import PARSE_STATE, parse_mode

    target, logs = spark_dir / f"target-{label}", spark_dir / "logs" / label
    timings = spark_dir / f"steps-{label}.json"
    for path in (target, logs):
        shutil.rmtree(path, ignore_errors=True)
    timings.unlink(missing_ok=True)
    if parse_state and Path(parse_state).is_file():
        target.mkdir(parents=True)
        shutil.copy2(parse_state, target / PARSE_STATE)
    command = [sys.executable, "-m", "retention", "-q", "build", *extra_args]
    command += ["--project-dir", str(project_dir())]
    command += ["--profiles-dir", str(project_dir() / "profiles")]
    command += ["--target", "spark", "--target-path", str(target), "--log-path", str(logs)]
    command += ["--timings", str(timings)]
    measured = run_measured(command, env, spark_dir / f"retention-build-{label}.log", cwd=spark_dir)
    steps = json.loads(timings.read_text()) if timings.is_file() else []
    log.info(
        "spark %s: exit %d, %.1f s, peak %.2f GB; %s",
        label,
        measured.returncode,
        measured.seconds,
        measured.peak_rss_bytes / 1e9,
        ", ".join(f"{s['name']} {s['seconds']:.1f} s" for s in steps),
    )
    build = one_process_build(
        measured.returncode,
        measured.seconds,
        measured.peak_rss_bytes,
        steps,
        " ".join(["retention build", *extra_args]),
    )
    return {**build, "parse": parse_mode(logs), "warm_parse": bool(parse_state)}


def one_process_build(
    returncode: int,
    seconds: float,
    peak_rss_bytes: int,
    steps: list[dict[str, Any]],
    command: str,
) -> dict[str, Any]:
    """A build entry (the shape of a dbt build's) from one ``retention build``
    process and the steps it timed (``--timings``): the process's wall time
    and peak; each step's time, its peak left empty (it is the process's)."""
    from retention.bench.runner import OK_STATUSES, node_times

    nodes = []
    for i, step in enumerate(s for s in steps if s["nodes"]):
        for node in node_times(step["nodes"]):
            # a model rebuilt by a later step is named with that step (after fit)
            name = node["name"] if i == 0 else f"{node['name']} (after fit)"
            nodes.append({**node, "name": name})
    return {
        "returncode": returncode,
        "wall_seconds": round(seconds, 2),
        "peak_rss_bytes": peak_rss_bytes,
        "models_seconds": round(
            sum(n["seconds"] for n in nodes if n["resource_type"] in ("model", "seed")), 2
        ),
        "tests_seconds": round(
            sum(n["seconds"] for n in nodes if n["resource_type"] in ("test", "unit_test")), 2
        ),
        "not_ok": [n["unique_id"] for n in nodes if n["status"] not in OK_STATUSES],
        "command": command,
        "nodes": nodes,
        "steps": {
            s["name"]: {
                "returncode": s["returncode"],
                "wall_seconds": s["seconds"],
                "peak_rss_bytes": None,
            }
            for s in steps
        },
    }


def read_duckdb_marts(database: Path) -> dict[str, pd.DataFrame]:
    """Every mart of the bench DuckDB file, its rows as Python values."""
    marts = {}
    with duckdb.connect(str(database), read_only=True) as con:
        for mart in MART_KEYS:
            cursor = con.execute(f"select * from marts.{mart}")
            columns = [d[0] for d in cursor.description]
            marts[mart] = pd.DataFrame(cursor.fetchall(), columns=columns, dtype=object)
    return marts


def marts_differing(
    spark: dict[str, pd.DataFrame], duck: dict[str, pd.DataFrame]
) -> dict[str, list[str]]:
    """mart -> the differences of Spark's from DuckDB's (only the marts that differ)."""
    problems: dict[str, list[str]] = {}
    for mart, keys in MART_KEYS.items():
        if mart not in spark or mart not in duck:
            problems[mart] = [f"missing on {'spark' if mart not in spark else 'duckdb'}"]
            continue
        found = compare_frames(
            spark[mart],
            duck[mart],
            keys,
            labels=("spark", "duckdb"),
            tolerances=FIT_TOLERANCES.get(mart),
        )
        if found:
            problems[mart] = found
    return problems


def bench_spark(
    raw_dir: Path,
    next_day_dir: Path,
    folder: Path,
    duckdb_database: Path | None,
) -> dict[str, Any]:
    """Load, full build, next day, daily build on Spark; marts compared with
    DuckDB's (``duckdb_database``: after its daily build; None: not compared)."""
    # absolute: every step runs in spark_dir (Derby's derby.log lands there)
    raw_dir, next_day_dir, folder = raw_dir.resolve(), next_day_dir.resolve(), folder.resolve()
    spark_dir = folder / SPARK_FOLDER
    shutil.rmtree(spark_dir, ignore_errors=True)
    spark_dir.mkdir(parents=True)
    env = spark_env(spark_dir)
    python = [sys.executable, "-m"]
    load_cmd = python + ["retention", "-q", "load", "--engine", "spark"]
    loaded = _step("load", load_cmd + ["--source", str(raw_dir), "--no-progress"], spark_dir, env)
    entry: dict[str, Any] = {
        "engine": "spark",
        "load_seconds": loaded["wall_seconds"],
        "load_peak_rss_bytes": loaded["peak_rss_bytes"],
        "marts_differing_from_duckdb": None,
        "mart_differences": {},
    }
    if loaded["returncode"] != 0:
        not_run = combine({"load": loaded})
        entry.update(raw_rows={}, next_day_rows={}, full_build=not_run, incremental_build=not_run)
        entry["comparison"] = "loading into Spark failed"
        return entry
    from retention.bench.runner import DAILY_ARGS, warm_parse

    # the parse state both builds start from, as DuckDB's (runner.warm_parse)
    parse = warm_parse(spark_dir, env, "spark", cwd=spark_dir)
    entry["dbt_parse"] = parse
    full = _retention_build("spark-full", spark_dir, env, ("--full-refresh",), parse["state"])
    append_cmd = python + ["retention.bench.spark", "append", "--source", str(next_day_dir)]
    append_cmd += ["--counts", str(spark_dir / RAW_COUNTS)]
    appended = _step("append", append_cmd, spark_dir, env)
    counts = (
        json.loads((spark_dir / RAW_COUNTS).read_text())
        if (spark_dir / RAW_COUNTS).is_file()
        else {"before": {}, "added": {}}
    )
    daily = _retention_build("spark-daily", spark_dir, env, DAILY_ARGS, parse["state"])
    entry.update(
        {
            "raw_rows": counts["before"],
            "full_build": full,
            "append": appended,
            "next_day_rows": counts["added"],
            "incremental_build": daily,
        }
    )
    if duckdb_database is None or daily["returncode"] != 0:
        entry["comparison"] = (
            "no DuckDB build of this size" if duckdb_database is None else "the daily build failed"
        )
        return entry
    export_dir = spark_dir / "marts"
    export_cmd = python + ["retention.bench.spark", "export", "--out", str(export_dir)]
    entry["export"] = _step("export", export_cmd, spark_dir, env)
    spark_marts = {p.stem: pd.read_pickle(p) for p in sorted(export_dir.glob("*.pkl"))}
    problems = marts_differing(spark_marts, read_duckdb_marts(duckdb_database))
    entry["marts_differing_from_duckdb"] = sorted(problems)
    entry["mart_differences"] = problems
    entry["marts_compared"] = len(MART_KEYS)
    log.info("spark marts differing from DuckDB's: %s", sorted(problems) or "none")
    return entry


# --------------------------------------------------------------------------
# The steps that need a Spark session of their own
# --------------------------------------------------------------------------


def append_next_day_spark(next_day_dir: Path) -> dict[str, dict[str, int]]:
    """Append the next day's Parquet to Spark's raw tables (the loader's casts);
    rows per table before and added."""
    import tempfile

    from retention.raw.load import parquet_sources, spark_cast_view, spark_session

    spark = spark_session()
    sources = parquet_sources(next_day_dir)
    before: dict[str, int] = {}
    added: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="retention-next-day-") as folder:
        for table in TABLE_NAMES:
            before[table] = int(spark.table(f"raw.{table}").count())
            spark_cast_view(spark, sources[table], table, f"_next_day_{table}", Path(folder))
            spark.sql(f"insert into raw.{table} select * from _next_day_{table}")
            added[table] = int(spark.table(f"raw.{table}").count()) - before[table]
    return {"before": before, "added": added}


def export_marts(out_dir: Path) -> None:
    """Every mart of Spark's ``marts`` schema to ``<out_dir>/<mart>.pkl`` (the
    rows as Spark returns them: Decimal, date and datetime values, like the
    engine equality test reads them)."""
    from retention.raw.load import spark_session

    spark = spark_session()
    out_dir.mkdir(parents=True, exist_ok=True)
    for mart in MART_KEYS:
        frame = spark.table(f"marts.{mart}")
        rows = [tuple(r) for r in frame.collect()]
        pd.DataFrame(rows, columns=frame.columns, dtype=object).to_pickle(out_dir / f"{mart}.pkl")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m retention.bench.spark")
    sub = parser.add_subparsers(dest="step", required=True)
    append = sub.add_parser("append", help="append the next day to Spark's raw tables")
    append.add_argument("--source", type=Path, required=True)
    append.add_argument("--counts", type=Path, required=True)
    export = sub.add_parser("export", help="every mart of Spark to a file")
    export.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    if args.step == "append":
        counts = append_next_day_spark(args.source)
        args.counts.write_text(json.dumps(counts, indent=2) + "\n")
    else:
        export_marts(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
