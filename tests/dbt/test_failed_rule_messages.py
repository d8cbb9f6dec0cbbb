"""A failing data test stops what depends on it, and says which rule broke and
how many rows (macros/hooks, report_failed_rules).

The honest way to break a rule is a user mistake the project invites: editing
the ``kpi_benchmarks`` seed (README: "Edit this file to use your own
targets"). The test copies the project, inverts one benchmark range and adds
a misspelt KPI, then runs ``dbt build`` on a warehouse that already holds a
good build. Expected, from the two edits alone: each of the two seed rules
reports exactly 1 failing row, ``retention_scorecard`` is skipped and keeps
its last good rows, and the marts that do not read the seed are rebuilt.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

import duckdb
from support.dbt import REPO, create_empty_raw_tables, run_dbt

INVERTED_KPI = "monthly_churn_rate"


def copy_project(destination: Path) -> Path:
    """The tracked project files (not .venv, data or target) in a new folder."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in files:
        source = REPO / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


def break_benchmarks(seed: Path) -> None:
    """Invert one range and add a KPI the scorecard does not know."""
    with seed.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row["kpi"] == INVERTED_KPI:
            row["benchmark_low"], row["benchmark_high"] = "0.10", "0.07"
    rows.append(
        {
            "kpi": "churn_rate_monthly",
            "benchmark_low": "0.01",
            "benchmark_high": "0.05",
            "source": "misspelt on purpose",
        }
    )
    with seed.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def scorecard_benchmarks(database: Path) -> dict[str, tuple[float | None, float | None]]:
    with duckdb.connect(str(database), read_only=True) as connection:
        rows = connection.execute(
            "select kpi, benchmark_low, benchmark_high from marts.retention_scorecard"
        ).fetchall()
    return {kpi: (low, high) for kpi, low, high in rows}


def test_broken_seed_rule_stops_the_scorecard_and_names_rule_and_rows(tmp_path: Path) -> None:
    database = tmp_path / "warehouse.duckdb"
    create_empty_raw_tables(database)
    (tmp_path / "good").mkdir()
    (tmp_path / "bad").mkdir()
    code, output = run_dbt("build", database, {}, tmp_path / "good")
    assert code == 0, output[-3000:]
    good = scorecard_benchmarks(database)
    assert good[INVERTED_KPI] == (None, 0.07)

    project = copy_project(tmp_path / "project")
    break_benchmarks(project / "seeds" / "kpi_benchmarks.csv")
    code, output = run_dbt("build", database, {}, tmp_path / "bad", project_dir=project)

    assert code != 0, "a failed data rule must fail the build"
    assert (
        "Data rule FAILED: kpi_benchmarks_low_not_above_high [expression_holds: "
        "benchmark_low <= benchmark_high (where benchmark_low is not null and "
        "benchmark_high is not null)] on kpi_benchmarks: 1 row(s) break it." in output
    ), output[-4000:]
    assert (
        "Data rule FAILED: kpi_benchmarks_kpi_is_a_scorecard_kpi [is_accepted_value: " in output
    ), output[-4000:]
    assert "on kpi_benchmarks.kpi: 1 row(s) break it." in output, output[-4000:]
    assert "A benchmark range must not be inverted" in output
    skipped_line = next(
        line
        for line in output.splitlines()
        if "Skipped because an upstream data test failed" in line
    )
    assert "retention_scorecard" in skipped_line
    assert "retention_kpis" not in skipped_line, "marts not reading the seed still build"
    # The skipped mart keeps its last good rows: the inverted range never reached it.
    assert scorecard_benchmarks(database) == good
