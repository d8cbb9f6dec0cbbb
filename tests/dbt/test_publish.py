"""BI readers of the published marts never wait, never fail, never see a mix.

One scenario (module fixture), with a real reader process
(``publish_reader.py``) querying the publication in a loop the whole time:

1. build A: ``dbt build`` with as_of_date 2026-03-31, then ``publish``;
2. the reader starts;
3. build B: a full ``dbt build`` with the default as_of_date (2026-06-30,
   three more months of data in every mart), then ``publish``;
4. build C: the same project with a duplicated KPI in the ``kpi_benchmarks``
   seed (a user's edit of reference data), so its ``is_unique`` test fails and
   ``dbt build`` fails; ``publish`` must refuse and leave B in place;
5. build D: a full ``dbt build`` again, not published, during which the test
   opens the working warehouse read-only, as a BI tool reading it directly
   would: the problem publishing solves;
6. the reader stops.

The expected figures of A and B come from the independent pandas reference
(``retention.reference.compute_marts``), not from the marts.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest
import support.publish_reader
from support.dbt import DBT, REPO, dbt_output_tail

from retention.raw.load import load
from retention.reference import compute_marts, read_raw

AS_OF_A = "2026-03-31"
VARS_A = {"as_of_date": AS_OF_A}
VARS_B: dict[str, Any] = {}  # as_of_date = latest date in the demo data
KEEP = 2
MIN_READS = 200  # of each kind, over builds B, C and D
MIN_READS_DURING_BUILD_B = 20
READER_START_TIMEOUT = 60
PROBE_PAUSE_SECONDS = 0.05
PROJECT_IGNORE = shutil.ignore_patterns(
    ".venv", ".git", "data", "target", "logs", "artifacts", "reports", "__pycache__",
    "*.duckdb", ".pytest_cache", ".ruff_cache", "metastore_db", "spark-warehouse",
    # integration_tests/dbt_packages/retention links back to the repository
    "dbt_packages",
)

@dataclass
class Scenario:
    work: Path
    published: Path
    expected: dict[str, dict[str, int]]  # build_id -> figures
    build_a: str
    build_b: str
    build_b_window: tuple[float, float]
    differences_b: dict[str, int]
    sha_before_c: str
    sha_after_c: str
    current_after_c: str | None
    dbt_c: tuple[int, str]
    publish_c: subprocess.CompletedProcess[str]
    dbt_d: tuple[int, str]
    probes_d: Counter[str] = field(default_factory=Counter)
    reads: list[dict[str, Any]] = field(default_factory=list)


def _dbt_command(project: Path, vars: dict[str, Any], work: Path) -> list[str]:
    return [
        str(DBT), "build", "--project-dir", str(project), "--profiles-dir",
        str(REPO / "profiles"), "--target", "duckdb", "--vars", json.dumps(vars),
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
    ]


def _env(database: Path) -> dict[str, str]:
    return {
        **os.environ,
        "RETENTION_DUCKDB_PATH": str(database),
        "RETENTION_TARGET": "duckdb",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def _dbt_build(project: Path, vars: dict[str, Any], work: Path, database: Path) -> tuple[int, str]:
    done = subprocess.run(
        _dbt_command(project, vars, work), cwd=work, env=_env(database),
        capture_output=True, text=True, timeout=1200,
    )
    return done.returncode, done.stdout + done.stderr


def _publish(work: Path, database: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "retention", "publish", "--database", str(database),
         "--target-path", str(work / "target"), "--out", str(work / "published"),
         "--keep", str(KEEP)],
        cwd=REPO, env=_env(database), capture_output=True, text=True, timeout=600,
    )


def _published_build_id(published: Path) -> str:
    return json.loads((published / "publication.json").read_text())["build_id"]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _expected_figures(raw: dict[str, Any], vars: dict[str, Any]) -> dict[str, int]:
    """Cross-mart figures from the pandas reference: every customer with a
    purchase up to as_of_date is in ``customers``, in exactly one period-0
    cohort and is new in exactly one churn month."""
    reference = compute_marts(raw, vars)
    customers = int(reference["purchases"]["customer_id"].nunique())
    return {
        "customers": customers,
        "cohort_size_period_0": customers,
        "churn_new_customers": customers,
        "cohort_retention_rows": len(reference["cohort_retention"]),
        "churn_rows": len(reference["churn"]),
    }


def _project_with_duplicate_kpi(work: Path) -> Path:
    project = work / "project_bad_seed"
    shutil.copytree(REPO, project, ignore=PROJECT_IGNORE)
    seed = project / "seeds" / "kpi_benchmarks.csv"
    lines = seed.read_text().splitlines()
    duplicate = next(line for line in lines if line.startswith("nrr_12m,"))
    seed.write_text("\n".join([*lines, duplicate]) + "\n")
    return project


def _differences(warehouse: Path, publication: Path) -> dict[str, int]:
    """Per mart of the working warehouse: rows not in the publication, and back."""
    with duckdb.connect() as con:
        con.execute(f"attach '{warehouse}' as wh (read_only)")
        con.execute(f"attach '{publication}' as pub (read_only)")
        marts = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables"
                " where table_catalog = 'wh' and table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        return {
            mart: con.execute(
                f"select count(*) from ((from wh.marts.{mart} except all from pub.marts.{mart})"
                f" union all (from pub.marts.{mart} except all from wh.marts.{mart}))"
            ).fetchone()[0]
            for mart in marts
        }


def _build_d_with_probes(work: Path, database: Path) -> tuple[tuple[int, str], Counter[str]]:
    """Run ``dbt build`` and open the working warehouse read-only while it
    runs, until the first lock error (then stop, to disturb dbt no more)."""
    probes: Counter[str] = Counter()
    process = subprocess.Popen(
        _dbt_command(REPO, VARS_B, work), cwd=work, env=_env(database),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    while process.poll() is None and probes["lock_error"] == 0:
        try:
            with duckdb.connect(str(database), read_only=True) as con:
                con.execute("select count(*) from information_schema.tables").fetchall()
            probes["opened"] += 1
        except duckdb.IOException as error:
            probes["lock_error" if "lock" in str(error).lower() else "other_error"] += 1
        time.sleep(PROBE_PAUSE_SECONDS)
    output, _ = process.communicate(timeout=1200)
    return (process.returncode, output), probes


@pytest.fixture(scope="module")
def scenario(
    tmp_path_factory: pytest.TempPathFactory, demo_raw_dir: Path
) -> Scenario:
    work = tmp_path_factory.mktemp("publish")
    database = work / "warehouse.duckdb"
    published = work / "published"
    load(demo_raw_dir, database, progress=False)
    raw = read_raw(database)

    code, output = _dbt_build(REPO, VARS_A, work, database)
    assert code == 0, f"build A failed:\n{dbt_output_tail(output)}"
    done = _publish(work, database)
    assert done.returncode == 0, f"publish A failed:\n{done.stderr}"
    build_a = _published_build_id(published)

    reads_file, stop = work / "reads.jsonl", work / "stop-reader"
    reader = subprocess.Popen(
        [sys.executable, str(Path(support.publish_reader.__file__)),
         "--published", str(published), "--out", str(reads_file), "--stop", str(stop)],
        cwd=work, env=_env(database), stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.time() + READER_START_TIMEOUT
        while not (reads_file.exists() and reads_file.read_text().count("\n") >= 10):
            assert reader.poll() is None, f"the reader died: {reader.stderr.read()}"
            assert time.time() < deadline, "the reader made no reads"
            time.sleep(0.1)

        started = time.time()
        code, output = _dbt_build(REPO, VARS_B, work, database)
        assert code == 0, f"build B failed:\n{dbt_output_tail(output)}"
        done = _publish(work, database)
        assert done.returncode == 0, f"publish B failed:\n{done.stderr}"
        build_b_window = (started, time.time())
        build_b = _published_build_id(published)
        differences_b = _differences(database, published / "retention.duckdb")
        shutil.copy2(work / "target" / "run_results.json", work / "run_results_b.json")
        shutil.copy2(work / "target" / "manifest.json", work / "manifest_b.json")

        sha_before_c = _sha256(published / "retention.duckdb")
        dbt_c = _dbt_build(_project_with_duplicate_kpi(work), VARS_B, work, database)
        publish_c = _publish(work, database)
        sha_after_c = _sha256(published / "retention.duckdb")
        current_after_c = _published_build_id(published)

        dbt_d, probes_d = _build_d_with_probes(work, database)
        time.sleep(1)
    finally:
        stop.touch()
        try:
            reader.wait(timeout=60)
        finally:
            if reader.poll() is None:
                reader.kill()
    assert reader.returncode == 0, f"the reader exited {reader.returncode}: {reader.stderr.read()}"
    reads = [json.loads(line) for line in reads_file.read_text().splitlines()]
    return Scenario(
        work=work,
        published=published,
        expected={build_a: _expected_figures(raw, VARS_A), build_b: _expected_figures(raw, VARS_B)},
        build_a=build_a,
        build_b=build_b,
        build_b_window=build_b_window,
        differences_b=differences_b,
        sha_before_c=sha_before_c,
        sha_after_c=sha_after_c,
        current_after_c=current_after_c,
        dbt_c=dbt_c,
        publish_c=publish_c,
        dbt_d=dbt_d,
        probes_d=probes_d,
        reads=reads,
    )


def _summary(scenario: Scenario, kind: str) -> dict[str, Any]:
    reads = [r for r in scenario.reads if r["kind"] == kind]
    sequence = [r["build_ids"][0] for r in reads if r["ok"] and r["build_ids"]]
    return {
        "reads": len(reads),
        "errors": sum(not r["ok"] for r in reads),
        "by_build": dict(Counter(sequence)),
        "transitions": sum(a != b for a, b in zip(sequence, sequence[1:], strict=False)),
    }


@pytest.mark.parametrize("kind", ["duckdb", "parquet"])
def test_reader_never_fails_and_sees_old_then_new(scenario: Scenario, kind: str) -> None:
    summary = _summary(scenario, kind)
    print(f"\n{kind} reader: {summary}")
    reads = [r for r in scenario.reads if r["kind"] == kind]
    errors = [r["error"] for r in reads if not r["ok"]]
    assert not errors, f"{len(errors)} failed reads, e.g. {errors[:3]}"
    assert summary["reads"] >= MIN_READS, summary
    during_b = [
        r for r in reads
        if scenario.build_b_window[0] <= r["started"] and r["ended"] <= scenario.build_b_window[1]
    ]
    print(f"{kind} reader: {len(during_b)} reads during build B + publish")
    assert len(during_b) >= MIN_READS_DURING_BUILD_B, (len(during_b), summary)
    sequence = [r["build_ids"][0] for r in reads]
    assert sequence[0] == scenario.build_a, summary
    assert sequence[-1] == scenario.build_b, summary
    switch = sequence.index(scenario.build_b)
    assert set(sequence[:switch]) == {scenario.build_a}, summary
    assert set(sequence[switch:]) == {scenario.build_b}, f"went back to A: {summary}"


@pytest.mark.parametrize("kind", ["duckdb", "parquet"])
def test_every_read_is_one_whole_build(scenario: Scenario, kind: str) -> None:
    assert scenario.expected[scenario.build_a] != scenario.expected[scenario.build_b]
    inconsistent = []
    for read in (r for r in scenario.reads if r["kind"] == kind and r["ok"]):
        problems = []
        if len(read["build_ids"]) != 1 or read["build_ids"][0] not in scenario.expected:
            problems.append(f"build ids {read['build_ids']}")
        elif read["figures"] != scenario.expected[read["build_ids"][0]]:
            problems.append(
                f"figures {read['figures']} != {scenario.expected[read['build_ids'][0]]}"
            )
        if read["declared"] != read["actual"]:
            problems.append(f"row counts {read['actual']} != declared {read['declared']}")
        if len(read["declared"]) < 10:
            problems.append(f"only {sorted(read['declared'])} published")
        if problems:
            inconsistent.append(problems)
    print(f"\n{kind} reader: {len(inconsistent)} inconsistent reads")
    assert not inconsistent, f"{len(inconsistent)} inconsistent reads, e.g. {inconsistent[:3]}"


def test_failed_build_keeps_last_good_publication(scenario: Scenario) -> None:
    code, output = scenario.dbt_c
    assert code != 0, "the build with a duplicated KPI should fail its unique test"
    assert "is_unique_kpi_benchmarks_kpi" in output, dbt_output_tail(output)
    refused = scenario.publish_c
    assert refused.returncode != 0, refused.stderr
    assert "is_unique_kpi_benchmarks_kpi" in refused.stderr, refused.stderr
    assert "published marts stay as they were" in refused.stderr, refused.stderr
    assert scenario.current_after_c == scenario.build_b
    assert scenario.sha_after_c == scenario.sha_before_c
    versions = sorted(p.name for p in (scenario.published / "versions").iterdir())
    assert versions == sorted([scenario.build_a, scenario.build_b]), versions


def test_published_marts_equal_the_working_warehouse(scenario: Scenario) -> None:
    """Right after publishing B, the publication holds every mart of the
    working warehouse, row for row."""
    assert "cohort_retention" in scenario.differences_b, scenario.differences_b
    assert len(scenario.differences_b) >= 10, scenario.differences_b
    differing = {mart: n for mart, n in scenario.differences_b.items() if n}
    assert not differing, differing


def test_reading_the_working_warehouse_during_a_build_hits_its_lock(scenario: Scenario) -> None:
    """Why publishing exists: a reader of the file dbt is writing fails (or,
    when it gets in between two nodes, makes dbt's next open fail)."""
    code, output = scenario.dbt_d
    dbt_hit_lock = code != 0 and "lock" in output.lower()
    print(f"\nprobes of the working warehouse during build D: {dict(scenario.probes_d)};"
          f" dbt exit {code}")
    assert scenario.probes_d["lock_error"] >= 1 or dbt_hit_lock, dict(scenario.probes_d)


def _publish_from(
    database: Path,
    results: dict[str, Any],
    tmp_path: Path,
    out: Path,
    results_time: float | None = None,
    *extra: str,
    manifest: Path,
) -> subprocess.CompletedProcess[str]:
    """``python -m retention publish`` of ``database`` with ``results`` as
    target/run_results.json (its mtime set to ``results_time`` if given) and
    ``manifest`` as its manifest.json."""
    target = tmp_path / "target"
    target.mkdir(exist_ok=True)
    shutil.copy2(manifest, target / "manifest.json")
    (target / "run_results.json").write_text(json.dumps(results))
    if results_time is not None:
        os.utime(target / "run_results.json", (results_time, results_time))
    return subprocess.run(
        [sys.executable, "-m", "retention", "publish", "--database", str(database),
         "--target-path", str(target), "--out", str(out), *extra],
        cwd=REPO, env=_env(database), capture_output=True, text=True,
    )


def _results_b(scenario: Scenario) -> dict[str, Any]:
    return json.loads((scenario.work / "run_results_b.json").read_text())


def _manifest_b(scenario: Scenario) -> Path:
    return scenario.work / "manifest_b.json"


def _refusal(scenario: Scenario, tmp_path: Path, edit: dict[str, Any]) -> str:
    """Publish from build B's run_results.json with ``edit`` applied to its args."""
    results = _results_b(scenario)
    results["args"].update(edit)
    done = _publish_from(
        scenario.work / "warehouse.duckdb", results, tmp_path, tmp_path / "published",
        manifest=_manifest_b(scenario),
    )
    assert done.returncode != 0, done.stderr
    assert not (tmp_path / "published" / "retention.duckdb").exists()
    return done.stderr


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"which": "run"}, "not `dbt build`"),
        ({"select": ["customers+"]}, "was partial"),
        ({"exclude_resource_types": ["test"]}, "was partial"),
        ({"empty": True}, "was partial"),
    ],
)
def test_publish_refuses_a_build_that_is_not_full(
    scenario: Scenario, tmp_path: Path, edit: dict[str, Any], message: str
) -> None:
    assert message in _refusal(scenario, tmp_path, edit)


def test_publish_accepts_a_build_without_unit_tests(scenario: Scenario, tmp_path: Path) -> None:
    """`dbt build --exclude-resource-type unit_test` (the daily production
    run: unit tests check SQL on fixtures, not data) still ran every model
    and data test, so it is published; leaving out data tests is not
    (test_publish_refuses_a_build_that_is_not_full)."""
    results = _results_b(scenario)
    results["args"]["exclude_resource_types"] = ["unit_test"]
    results["results"] = [
        r for r in results["results"] if not r["unique_id"].startswith("unit_test.")
    ]
    published = tmp_path / "published"
    # The warehouse was rewritten by build D since.
    done = _publish_from(
        scenario.work / "warehouse.duckdb", results, tmp_path, published, time.time() + 5,
        manifest=_manifest_b(scenario),
    )
    assert done.returncode == 0, done.stderr
    assert _published_build_id(published) == scenario.build_b


def test_publish_refuses_without_results(scenario: Scenario, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "retention", "publish", "--database",
         str(scenario.work / "warehouse.duckdb"), "--target-path", str(tmp_path / "none"),
         "--out", str(tmp_path / "published")],
        cwd=REPO, env=_env(scenario.work / "warehouse.duckdb"), capture_output=True, text=True,
    )
    assert done.returncode != 0
    assert "run a full `dbt build` first" in done.stderr, done.stderr


def test_publish_refuses_a_warehouse_without_a_mart(scenario: Scenario, tmp_path: Path) -> None:
    """A warehouse whose ``churn`` mart is gone (dropped by hand) is refused."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy2(scenario.work / "warehouse.duckdb", warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("drop table marts.churn")
    # Only the missing mart differs: the results are not older than the drop.
    done = _publish_from(
        warehouse, _results_b(scenario), tmp_path, tmp_path / "published", time.time(),
        manifest=_manifest_b(scenario),
    )
    assert done.returncode != 0
    assert "lacks the marts ['churn']" in done.stderr, done.stderr


def test_publish_refuses_a_warehouse_written_after_the_build(
    scenario: Scenario, tmp_path: Path
) -> None:
    """E.g. new raw data loaded, or a build that died before writing its results."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy2(scenario.work / "warehouse.duckdb", warehouse)
    with duckdb.connect(str(warehouse)) as con:  # a write after the build
        con.execute("create table raw.late_rows as select 1 as id")
    done = _publish_from(
        warehouse, _results_b(scenario), tmp_path, tmp_path / "published", time.time() - 3600,
        manifest=_manifest_b(scenario),
    )
    assert done.returncode != 0
    assert "after the last dbt build finished" in done.stderr, done.stderr


def test_republishing_a_build_is_a_no_op_and_keep_prunes_older_versions(
    scenario: Scenario, tmp_path: Path
) -> None:
    """Publishing build B again with --keep 1: B stays current, its file is
    not rewritten, and version A is deleted."""
    published = tmp_path / "published"
    shutil.copytree(scenario.published, published, symlinks=True)
    sha = _sha256(published / "retention.duckdb")
    # The warehouse was rewritten by build D since.
    done = _publish_from(
        scenario.work / "warehouse.duckdb", _results_b(scenario), tmp_path, published,
        time.time() + 5, "--keep", "1", manifest=_manifest_b(scenario),
    )
    assert done.returncode == 0, done.stderr
    assert "already published" in done.stderr
    assert sorted(p.name for p in (published / "versions").iterdir()) == [scenario.build_b]
    assert _published_build_id(published) == scenario.build_b
    assert _sha256(published / "retention.duckdb") == sha


def test_publish_with_a_schema_without_marts_names_the_schema_that_has_them(
    scenario: Scenario, tmp_path: Path
) -> None:
    """``--schema`` naming a schema that holds none of the marts is refused
    with a message naming the option and the schema dbt built them in."""
    done = _publish_from(
        scenario.work / "warehouse.duckdb", _results_b(scenario), tmp_path,
        tmp_path / "published", time.time() + 5, "--schema", "retention_marts",
        manifest=_manifest_b(scenario),
    )
    assert done.returncode == 2, done.stderr
    assert "--schema retention_marts" in done.stderr, done.stderr
    assert "it built them in marts" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert not (tmp_path / "published" / "retention.duckdb").exists()
