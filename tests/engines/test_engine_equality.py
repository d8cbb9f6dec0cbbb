"""The same raw data built on DuckDB and on Postgres or Spark gives identical marts.

Runs only when ``RETENTION_ENGINE`` is ``postgres`` or ``spark`` (``make
test-postgres`` / ``make test-spark`` set it; plain ``make pytest`` skips this
file). For Postgres the ``RETENTION_PG_*`` env vars must point at a database
the tests may fill (scripts/with-postgres.sh starts a private one).

The demo shop (``RETENTION_ENGINE_CUSTOMERS``, default 800 customers) is
generated once, loaded by the project's loader into a fresh DuckDB file and
into the engine's ``raw`` schema, and ``dbt build`` (every model, data test
and unit test) runs on both. Then every mart is compared row by row on its
grain: keys, counts, dates, booleans and text exactly, money and rates within
1e-9. The predictive CLV marts, fitted on Postgres and Spark by the step
``retention clv-fit`` between two dbt runs (docs/predictive_clv.md), are
compared within the fit tolerance (FIT_TOLERANCES). On Postgres, the BI
role named by the var ``bi_read_role`` must be able to read every mart and
unable to write to them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from support.dbt import REPO, dbt_command, dbt_output_tail, run_dbt_build

from retention.engine_marts import AFTER_FIT_STEP, FIT_TOLERANCES, MART_KEYS
from retention.reference.compare import compare_frames

ENGINE = os.environ.get("RETENTION_ENGINE", "")
CUSTOMERS = int(os.environ.get("RETENTION_ENGINE_CUSTOMERS", "800"))
BI_ROLE = "retention_bi_reader"
DBT_TIMEOUT_SECONDS = 3600

pytestmark = pytest.mark.skipif(
    ENGINE not in ("postgres", "spark"),
    reason="set RETENTION_ENGINE=postgres or spark (make test-postgres / make test-spark)",
)

# MART_KEYS (every mart -> its grain), FIT_TOLERANCES (the predictive CLV
# numbers, compared within the fit tolerance) and AFTER_FIT_STEP (what dbt
# rebuilds after `retention clv-fit`) live in retention/engine_marts.py,
# shared with the Spark benchmark.
NOT_FITTED_MESSAGE = "does not exist, so clv_model_params says fit_status = not_fitted"


def test_every_mart_is_compared():
    """A new mart must be added to MART_KEYS (else the equality test misses it)."""
    on_disk = {path.stem for folder in ("models/marts",) for path in (REPO / folder).rglob("*.sql")}
    expected = set(MART_KEYS)
    assert on_disk == expected, f"marts without a comparison: {on_disk - expected}"


# --------------------------------------------------------------------------
# Builds
# --------------------------------------------------------------------------


def _engine_env(work_dir: Path) -> dict[str, str]:
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    if ENGINE == "spark":
        # The loader, dbt and the reader below share one Hive metastore
        # (Derby: one process at a time) and one warehouse folder.
        env["RETENTION_SPARK_METASTORE"] = str(work_dir / "metastore_db")
        env["RETENTION_SPARK_WAREHOUSE"] = str(work_dir / "spark-warehouse")
    return env


def _run(command: list[str], work_dir: Path) -> tuple[int, str, float]:
    start = time.monotonic()
    done = subprocess.run(
        command,
        cwd=work_dir,
        env=_engine_env(work_dir),
        capture_output=True,
        text=True,
        timeout=DBT_TIMEOUT_SECONDS,
    )
    return done.returncode, done.stdout + done.stderr, time.monotonic() - start


def _three_commands(case: str) -> bool:
    """The first Postgres case runs the three commands of docs/predictive_clv.md
    (dbt build, retention clv-fit, dbt build after the fit), the other builds
    `retention build`, which runs them in one process."""
    return ENGINE == "postgres" and case == ENGINE_CASES[0]


class Builds:
    def __init__(
        self,
        case: str,
        work_dir: Path,
        duckdb_path: Path,
        engine_code: int,
        engine_output: str,
        first_output: str,
    ):
        self.case = case
        self.work_dir = work_dir
        self.duckdb_path = duckdb_path
        self.engine_code = engine_code
        self.engine_output = engine_output
        self.first_output = first_output  # the build before the fit step


# Var sets built on both engines. Spark builds only the default: its Derby
# metastore allows one process at a time, and this process reads the marts.
CASES: dict[str, dict[str, Any]] = {
    "default-vars": {},
    "week-new-york-window-30": {
        "cohort_grain": "week",
        "reporting_timezone": "America/New_York",
        "churn_window_days": 30,
    },
}
ENGINE_CASES = ["default-vars"] if ENGINE == "spark" else list(CASES)


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from retention.demo.generate import generate

    out = tmp_path_factory.mktemp("engine_raw")
    generate(out, customers=CUSTOMERS, progress=False)
    return out


_LOADED: set[str] = set()


@pytest.fixture(scope="module", params=ENGINE_CASES)
def builds(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, raw_dir: Path
) -> Builds:
    from retention.raw.load import load

    case_vars = CASES[request.param]
    duck_dir = tmp_path_factory.mktemp("duckdb_build")
    duckdb_path = duck_dir / "warehouse.duckdb"
    load(raw_dir, duckdb_path, progress=False)
    code, output = run_dbt_build(duckdb_path, case_vars, duck_dir)
    assert code == 0, f"the DuckDB build failed:\n{dbt_output_tail(output)}"

    work_dir = _SPARK_DIR.get("dir") or tmp_path_factory.mktemp(f"{ENGINE}_build")
    _SPARK_DIR.setdefault("dir", work_dir)
    if ENGINE not in _LOADED:
        load_cmd = [sys.executable, "-m", "retention", "-q", "load", "--engine", ENGINE]
        code, output, seconds = _run(
            load_cmd + ["--source", str(raw_dir), "--no-progress"], work_dir
        )
        assert code == 0, f"loading raw data into {ENGINE} failed:\n{output[-4000:]}"
        print(f"\n[{ENGINE}] raw data loaded in {seconds:.0f} s")
        _LOADED.add(ENGINE)

    vars: dict[str, Any] = dict(case_vars)
    if ENGINE == "postgres":
        _create_bi_role()
        vars["bi_read_role"] = BI_ROLE
    # Every case rebuilds the same engine schemas with other vars (another
    # reporting_timezone): the incremental models must start over
    # (docs/incremental.md, "When to run --full-refresh").
    command = dbt_command("build", ENGINE, vars, work_dir, extra_args=("--full-refresh",))
    if not _three_commands(request.param):
        # `retention build`: the same sequence in one process (one parse, one
        # Spark session); it takes dbt's flags of dbt_command by the same names.
        command = [sys.executable, "-m", "retention", "build", *command[2:]]
        code, output, seconds = _run(command, work_dir)
        print(f"[{ENGINE}] retention build {request.param} finished in {seconds:.0f} s")
        return Builds(request.param, work_dir, duckdb_path, code, output, output)
    code, first_output, seconds = _run(command, work_dir)
    print(f"[{ENGINE}] dbt build {request.param} finished in {seconds:.0f} s (exit code {code})")
    output = first_output
    if code == 0:
        # The daily sequence of docs/predictive_clv.md: fit, then rebuild the
        # predictive models and what reads them.
        fit_cmd = [sys.executable, "-m", "retention", "clv-fit", "--engine", ENGINE]
        fit_cmd += ["--manifest", str(work_dir / "target" / "manifest.json")]
        code, output, seconds = _run(fit_cmd + ["--project-dir", str(REPO)], work_dir)
        print(f"[{ENGINE}] retention clv-fit finished in {seconds:.0f} s (exit code {code})")
    if code == 0:
        command = dbt_command("build", ENGINE, vars, work_dir, extra_args=AFTER_FIT_STEP)
        code, output, seconds = _run(command, work_dir)
        print(f"[{ENGINE}] dbt build after the fit step finished in {seconds:.0f} s")
    return Builds(request.param, work_dir, duckdb_path, code, output, first_output)


def test_dbt_build_succeeds_on_engine(builds: Builds):
    """dbt build, retention clv-fit and the rebuild of the predictive models pass."""
    assert builds.engine_code == 0, (
        f"dbt build / clv-fit on {ENGINE} exited {builds.engine_code}:\n"
        f"{dbt_output_tail(builds.engine_output)}"
    )


def test_build_before_the_first_fit_step_says_not_fitted(builds: Builds):
    """A plain dbt build before any `retention clv-fit` passes and says what to run."""
    if not _three_commands(builds.case):
        pytest.skip(
            "only the first Postgres case runs a plain dbt build on empty schemas;"
            " `retention build` fits before it builds the models that would say it"
        )
    assert NOT_FITTED_MESSAGE in builds.first_output
    assert "retention clv-fit --engine " + ENGINE in builds.first_output


# --------------------------------------------------------------------------
# Reading marts: (column names, rows) from each engine
# --------------------------------------------------------------------------

Table = tuple[list[str], list[tuple[Any, ...]]]


def _pg_connect():
    import psycopg2

    from retention.raw.load import postgres_dsn

    return psycopg2.connect(postgres_dsn())


def _read_duckdb(builds: Builds, mart: str) -> Table:
    import duckdb

    with duckdb.connect(str(builds.duckdb_path), read_only=True) as con:
        cur = con.execute(f"select * from marts.{mart}")
        return [d[0] for d in cur.description], cur.fetchall()


_SPARK: dict[str, Any] = {}
_SPARK_DIR: dict[str, Path] = {}


def _read_engine(builds: Builds, mart: str) -> Table:
    if ENGINE == "postgres":
        with _pg_connect() as con, con.cursor() as cur:
            cur.execute(f"select * from marts.{mart}")
            return [d[0] for d in cur.description], cur.fetchall()
    if "session" not in _SPARK:
        env = _engine_env(builds.work_dir)
        os.environ["RETENTION_SPARK_METASTORE"] = env["RETENTION_SPARK_METASTORE"]
        os.environ["RETENTION_SPARK_WAREHOUSE"] = env["RETENTION_SPARK_WAREHOUSE"]
        os.chdir(builds.work_dir)  # derby.log lands here
        from retention.raw.load import spark_session

        _SPARK["session"] = spark_session()
    frame = _SPARK["session"].table(f"marts.{mart}")
    return list(frame.columns), [tuple(row) for row in frame.collect()]


# --------------------------------------------------------------------------
# Comparing
# --------------------------------------------------------------------------


def compare_tables(
    duck: Table, engine: Table, keys: list[str], tolerances: dict[str, float] | None = None
) -> list[str]:
    """Differences between the DuckDB mart and the engine's, as readable lines
    (retention/reference/compare.py, matched on the mart's grain)."""
    frames = [pd.DataFrame(rows, columns=columns, dtype=object) for columns, rows in (duck, engine)]
    if duck[0] != engine[0]:
        return [f"columns differ: duckdb {duck[0]} vs {ENGINE} {engine[0]}"]
    return compare_frames(
        frames[0], frames[1], keys, labels=("duckdb", ENGINE), tolerances=tolerances
    )


def _largest_differences(
    duck: Table, engine: Table, keys: list[str], mart: str
) -> dict[str, float]:
    """For the columns compared within the fit tolerance: the largest absolute
    difference (printed, so a run shows how close the fits are)."""
    frames = [pd.DataFrame(rows, columns=columns) for columns, rows in (duck, engine)]
    if any(c not in f.columns for f in frames for c in keys):
        return {}
    both = frames[0].merge(frames[1], on=keys, suffixes=("_duckdb", "_engine"))
    out = {}
    for column in FIT_TOLERANCES.get(mart, {}):
        left = pd.to_numeric(both[f"{column}_duckdb"], errors="coerce").astype(float)
        right = pd.to_numeric(both[f"{column}_engine"], errors="coerce").astype(float)
        out[column] = float((left - right).abs().max())
    return out


@pytest.mark.parametrize("mart", list(MART_KEYS))
def test_mart_equals_duckdb(builds: Builds, mart: str):
    duck = _read_duckdb(builds, mart)
    engine = _read_engine(builds, mart)
    assert duck[1], f"marts.{mart} is empty on DuckDB: the comparison would prove nothing"
    problems = compare_tables(duck, engine, MART_KEYS[mart], FIT_TOLERANCES.get(mart))
    for column, largest in _largest_differences(duck, engine, MART_KEYS[mart], mart).items():
        print(f"[{ENGINE}] {mart}.{column}: largest |duckdb - {ENGINE}| = {largest:.3g}")
    assert not problems, f"marts.{mart} on {ENGINE} differs from DuckDB:\n" + "\n".join(
        f"  - {p}" for p in problems
    )


def _query_engine(builds: Builds, sql: str) -> Table:
    if ENGINE == "postgres":
        with _pg_connect() as con, con.cursor() as cur:
            cur.execute(sql)
            return [d[0] for d in cur.description], cur.fetchall()
    _read_engine(builds, next(iter(MART_KEYS)))  # starts the Spark session
    frame = _SPARK["session"].sql(sql)
    return list(frame.columns), [tuple(row) for row in frame.collect()]


def test_email_hash_equals_duckdb(builds: Builds):
    """stg_customers.email_hash (dispatched sha256_hex) is the same on every engine."""
    import duckdb

    sql = "select customer_id, email_hash from staging.stg_customers"
    with duckdb.connect(str(builds.duckdb_path), read_only=True) as con:
        cur = con.execute(sql)
        duck: Table = ([d[0] for d in cur.description], cur.fetchall())
    engine = _query_engine(builds, sql)
    hashes = [row[1] for row in duck[1] if row[1] is not None]
    assert hashes and all(len(h) == 64 for h in hashes)
    problems = compare_tables(duck, engine, ["customer_id"])
    assert not problems, "\n".join(problems)


def test_predictive_marts_are_fitted_on_engine(builds: Builds):
    """After the fit step both models converged and every customer has a prediction
    (so the equality above compares numbers, not NULLs)."""
    statuses = _query_engine(builds, "select distinct fit_status from marts.clv_model_params")
    assert {row[0] for row in statuses[1]} == {"converged"}
    nulls = _query_engine(
        builds,
        "select count(*) from marts.customer_value_predictions where predicted_cltv is null",
    )
    assert nulls[1][0][0] == 0


# --------------------------------------------------------------------------
# Postgres: the BI role reads marts and cannot write
# --------------------------------------------------------------------------


def _create_bi_role() -> None:
    with _pg_connect() as con, con.cursor() as cur:
        cur.execute(f"select 1 from pg_roles where rolname = '{BI_ROLE}'")
        if cur.fetchone() is None:
            cur.execute(f"create role {BI_ROLE} nologin")


@pytest.mark.parametrize("mart", list(MART_KEYS))
def test_bi_role_can_read_mart(builds: Builds, mart: str):
    if ENGINE != "postgres":
        pytest.skip("roles and grants are tested on Postgres")
    with _pg_connect() as con, con.cursor() as cur:
        cur.execute(f"set role {BI_ROLE}")
        cur.execute(f"select count(*) from marts.{mart}")
        assert cur.fetchone()[0] >= 0


def test_bi_role_cannot_write(builds: Builds):
    if ENGINE != "postgres":
        pytest.skip("roles and grants are tested on Postgres")
    import psycopg2.errors

    statements = {
        "insert": "insert into marts.churn select * from marts.churn limit 1",
        "update": "update marts.customers set purchases = 0",
        "delete": "delete from marts.retention_scorecard",
        "create": "create table marts.bi_scratch (x integer)",
        "drop": "drop table marts.customers",
    }
    for what, statement in statements.items():
        with _pg_connect() as con, con.cursor() as cur:
            cur.execute(f"set role {BI_ROLE}")
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute(statement)
            con.rollback()
        assert what  # each statement was refused


def test_bi_role_cannot_read_staging(builds: Builds):
    """Only the marts are granted: staging (with PII such as email) stays closed."""
    if ENGINE != "postgres":
        pytest.skip("roles and grants are tested on Postgres")
    import psycopg2.errors

    with _pg_connect() as con, con.cursor() as cur:
        cur.execute(f"set role {BI_ROLE}")
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute("select * from staging.stg_customers limit 1")


# --------------------------------------------------------------------------
# Postgres: a daily build's data tests read the run windows
# --------------------------------------------------------------------------


def test_daily_build_tests_the_touched_rows_on_postgres(builds: Builds):
    """A daily build (no new data) of the incremental models, the views over
    them and the quarantines: the data tests of the models and the views
    read only the rows of the run windows (the SQL of
    macros/touched_rows.sql runs on Postgres), those of the quarantines
    every row, and all pass (docs/incremental.md, "Data tests in a daily
    run"). Spark runs the same
    in tests/engines/test_spark_incremental_replay.py. int_purchase_days
    runs its incremental branch (the comparison with its stored rows) on
    Postgres here too, and its tests pass."""
    if ENGINE != "postgres" or builds.case != ENGINE_CASES[0]:
        pytest.skip("checked once, on Postgres (Spark: its incremental replay)")
    vars = {**CASES[builds.case], "bi_read_role": BI_ROLE}
    # The quarantine views: a table rebuilt on Postgres drops the views over
    # it (stg_customers__triaged is an input of int_customer_early_events).
    select = ("--select", "+int_triaged_rows_by_day", "stg_events__quarantine",
              "stg_orders__quarantine", "stg_customers__quarantine", "int_purchase_days",
              "--exclude-resource-type", "unit_test")
    command = dbt_command("build", ENGINE, vars, builds.work_dir, extra_args=select)
    code, output, _ = _run(command, builds.work_dir)
    assert code == 0, dbt_output_tail(output)
    results = json.loads((builds.work_dir / "target" / "run_results.json").read_text())
    touched = {
        result["unique_id"].split(".")[2]: result["status"]
        for result in results["results"]
        if result["unique_id"].startswith("test.")
        and "touched_rows" in (result.get("compiled_code") or "")
    }
    assert set(touched.values()) == {"pass"}, touched
    purchase_days = {
        result["unique_id"]: result["status"]
        for result in results["results"]
        if result["unique_id"].endswith(".int_purchase_days")
        or "int_purchase_days_customer_id" in result["unique_id"]
    }
    assert purchase_days.get("model.retention.int_purchase_days") == "success", purchase_days
    assert set(purchase_days.values()) <= {"success", "pass"}, purchase_days
    for name in ("is_unique_stg_orders_order_id", "is_not_null_stg_events_event_id",
                 "is_unique_int_purchases_order_id", "staged_keys_are_unique_and_clean"):
        assert name in touched, sorted(touched)
    assert any(name.startswith("unique_columns_combination_stg_events__triaged")
               for name in touched), sorted(touched)
    # the quarantines' tests check every row (cheaper than a window there)
    assert not any(f"stg_{table}__quarantine_" in name
                   for name in touched for table in ("events", "orders")), sorted(touched)


# --------------------------------------------------------------------------
# Postgres: a build whose vars the last fit does not match says `stale`
# (last in this file: it leaves the predictive marts stale for this case)
# --------------------------------------------------------------------------


def test_build_with_other_clv_vars_than_the_fit_says_stale(builds: Builds):
    """Rebuilding the predictive models with another horizon than the fit step
    used: every fit row says `stale` (values of that fit kept) and no customer
    gets a prediction (none made for another horizon)."""
    if ENGINE != "postgres" or builds.case != ENGINE_CASES[0]:
        pytest.skip("checked once, on Postgres (the SQL is the same on Spark)")
    vars = {**CASES[builds.case], "bi_read_role": BI_ROLE, "clv_horizon_months": 6}
    # int_clv_settings+ : the settings with the new horizon, the step models, the marts.
    select = ("--select", "int_clv_settings+")
    command = dbt_command("build", ENGINE, vars, builds.work_dir, extra_args=select)
    code, output, _ = _run(command, builds.work_dir)
    assert code == 0, dbt_output_tail(output)
    statuses = _query_engine(builds, "select distinct fit_status from marts.clv_model_params")
    assert {row[0] for row in statuses[1]} == {"stale"}
    values = _query_engine(
        builds, "select count(*) from marts.clv_model_params where value is null"
    )
    assert values[1][0][0] == 0
    predicted = _query_engine(
        builds,
        "select count(*), count(p_alive), count(predicted_cltv), min(horizon_months)"
        " from marts.customer_value_predictions",
    )
    customers, with_p_alive, with_cltv, horizon = predicted[1][0]
    assert customers > 0 and (with_p_alive, with_cltv, horizon) == (0, 0, 6)
