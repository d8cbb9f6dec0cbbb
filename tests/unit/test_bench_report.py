"""The bench report (retention/bench/report.py): model-group shares, the targets of
issue 17 judged from synthetic timings (met, missed, by how much, a peer stopped by
its time or memory cap), a Spark size as retention/bench/spark.py writes it, and
how a peer process's end is classified (retention/bench/peers.py)."""

from __future__ import annotations

import pytest

from retention.bench.measure import Measured
from retention.bench.peer_process import OUT_OF_MEMORY
from retention.bench.peers import PeerLimits, comparisons, parse_bytes, peer_outcome, peer_seconds
from retention.bench.report import group_share, judge, markdown, write_reports
from retention.bench.spark import combine, marts_differing, one_process_build
from retention.engine_marts import MART_KEYS


def _node(name: str, seconds: float, kind: str = "model") -> dict:
    return {"name": name, "seconds": seconds, "resource_type": kind}


def test_group_share_counts_only_the_named_models() -> None:
    build = {
        "wall_seconds": 20.0,
        "nodes": [
            _node("int_customer_segments", 1.5),
            _node("churn_by_segment", 2.5),
            _node("customers", 6.0),
            _node("is_unique_x", 9.0, "test"),
        ],
    }
    share = group_share(build, ("int_customer_segments", "churn_by_segment", "absent"))
    assert share["seconds"] == 4.0
    assert share["share_of_models"] == pytest.approx(4.0 / 10.0)
    assert share["share_of_wall"] == pytest.approx(4.0 / 20.0)


def test_group_share_of_a_build_without_nodes_is_zero() -> None:
    assert group_share({"wall_seconds": 0, "nodes": []}, ("a",)) == {
        "seconds": 0,
        "share_of_models": 0.0,
        "share_of_wall": 0.0,
    }


# --- The targets of issue 17 judged from synthetic timings -----------------------

RC_MODELS = {"seconds": 2.0, "seconds_with_upstream": 25.0, "upstream_models": 17}
RFM_MODELS = {"seconds": 0.5, "seconds_with_upstream": 12.0, "upstream_models": 9}


def _process(status: str = "ok", timings: dict | None = None, **extra) -> dict:
    return {
        "status": status,
        "status_text": extra.pop("status_text", status),
        "timings": timings or {},
        "lower_bounds": extra.pop("lower_bounds", {}),
        "agreement": {},
        "wall_seconds": extra.pop("wall_seconds", 10.0),
        "peak_rss_bytes": extra.pop("peak_rss_bytes", 1_000_000_000),
    }


def _peers(processes: dict) -> dict:
    return {
        "as_of_date": "2026-06-30",
        "limits": {"timeout_seconds": 900, "memory_limit_bytes": None},
        "processes": processes,
        "comparisons": comparisons(processes, dict(RC_MODELS), dict(RFM_MODELS)),
        "agreement": {},
        "all_agree": True,
        "failed": [],
    }


def _build(wall: float, peak_gb: float = 2.0, returncode: int = 0) -> dict:
    return {
        "returncode": returncode,
        "wall_seconds": wall,
        "peak_rss_bytes": int(peak_gb * 1e9),
        "models_seconds": wall,
        "tests_seconds": 0.0,
        "not_ok": [],
        "nodes": [],
    }


def _size(name: str, full: float, daily: float, floor: float, peers: dict | None, **kw) -> dict:
    return {
        "size": name,
        "raw_rows": {"customers": 10, "orders": 1_000_000, "events": 10},
        "generator": {"reused": True},
        "load_seconds": 1.0,
        "floor": {
            "seconds": floor,
            "queries": {"purchases": {"description": "orders", "seconds": floor, "rows": 5}},
        },
        "full_build": _build(full, kw.get("full_peak_gb", 2.0), kw.get("full_rc", 0)),
        "next_day_rows": {"orders": 1, "events": 1},
        "incremental_build": _build(daily),
        "peers": peers,
    }


def _report(*sizes: dict) -> dict:
    return {
        "started_utc": "2026-12-04T00:00:00Z",
        "seconds": 1.0,
        "profile": {"duckdb_memory_limit": "6GB", "threads": 2},
        "machine": {
            "cpus": 2,
            "memory_bytes": 8e9,
            "load_average_at_start": [0.5, 0.5, 0.5],
            "python": "3.11",
            "duckdb": "x",
        },
        "note": "",
        "sizes": list(sizes),
    }


def _by_key(report: dict) -> dict:
    return {v["target"]: v for v in judge(report)}


def _finished_peers() -> dict:
    return _peers(
        {
            # from raw: 30 + 10 + 80 + 40 = 160 s (reading raw apart) vs 25 s: 6.4x
            "pandas_from_raw": _process(
                timings={
                    "pandas_read_raw": 9.0,
                    "pandas_staging": 30.0,
                    "pandas_purchases": 10.0,
                    "pandas_cohort_retention": 80.0,
                    "pandas_churn": 40.0,
                },
                peak_rss_bytes=10_000_000_000,
            ),
            # the step: 80 + 40 = 120 s vs 2 s of the matching models: 60x
            "pandas_step": _process(
                timings={
                    "pandas_cohort_retention": 80.0,
                    "pandas_churn": 40.0,
                    "pandas_rfm_summary": 5.0,
                }
            ),
            # lifetimes 10 s vs 0.5 s: 20x
            "lifetimes": _process(timings={"lifetimes_summary": 10.0}),
        }
    )


def test_targets_met_and_missed_with_their_margins() -> None:
    headline = _size("headline", full=240.0, daily=30.0, floor=100.0, peers=_finished_peers())
    tenth = _size("tenth", full=40.0, daily=3.0, floor=10.0, peers=None)
    v = _by_key(_report(tenth, headline))
    # daily / full = 30 / 240 = 0.125 > 0.10: missed by 0.025 (1.25x the limit, shown 1.2x)
    assert v["daily_vs_full_headline"]["value"] == pytest.approx(0.125)
    assert v["daily_vs_full_headline"]["verdict"] == "MISSED"
    assert v["daily_vs_full_headline"]["margin"] == "0.025 over (1.2x the limit)"
    # 3 / 40 = 0.075 <= 0.10
    assert v["daily_vs_full_tenth"]["value"] == pytest.approx(0.075, abs=0.005)
    assert v["daily_vs_full_tenth"]["verdict"] == "met"
    # 30 s > 15 s: 15 s over, twice the limit
    assert v["daily_seconds_headline"]["verdict"] == "MISSED"
    assert v["daily_seconds_headline"]["margin"] == "15.0 s over (2.0x the limit)"
    # 240 / 100 = 2.4 <= 3: 0.6 to spare
    assert v["full_vs_floor_headline"]["value"] == pytest.approx(2.4)
    assert v["full_vs_floor_headline"]["verdict"] == "met"
    assert v["full_vs_floor_headline"]["margin"] == "0.6 x to spare"
    assert v["full_peak_headline"]["value"] == pytest.approx(2.0)
    assert v["full_peak_headline"]["verdict"] == "met"
    # 120 / 2 = 60x >= 50x
    assert v["retention_churn_vs_pandas_step"]["value"] == pytest.approx(60.0)
    assert v["retention_churn_vs_pandas_step"]["verdict"] == "met"
    # 10 / 0.5 = 20x < 30x: 10x short, needs 1.5x
    assert v["rfm_vs_lifetimes"]["value"] == pytest.approx(20.0)
    assert v["rfm_vs_lifetimes"]["verdict"] == "MISSED"
    assert v["rfm_vs_lifetimes"]["margin"] == "10.0 x short (needs 1.5x)"
    # 160 / 25 = 6.4x < 10x (reading raw, 9 s, is not counted)
    assert v["from_raw_vs_pandas"]["value"] == pytest.approx(6.4)
    assert v["from_raw_vs_pandas"]["verdict"] == "MISSED"
    # 2 GB / 10 GB = 0.2 < 1
    assert v["from_raw_peak_vs_pandas"]["value"] == pytest.approx(0.2)
    assert v["from_raw_peak_vs_pandas"]["verdict"] == "met"
    for key in ("spark_daily_vs_full_tenth", "spark_full_vs_duckdb_tenth"):
        assert v[key]["verdict"] == "not measured" and "Spark" in v[key]["note"]


def test_a_timed_out_peer_gives_a_lower_bound_that_decides_only_when_it_settles() -> None:
    peers = _finished_peers()
    processes = peers["processes"]
    # lifetimes stopped by the cap 25 s into its only step: >= 25 / 0.5 = 50x >= 30x
    processes["lifetimes"] = _process(
        "timeout", status_text="timeout after 900 s", lower_bounds={"lifetimes_summary": 25.0}
    )
    # the step stopped 40 s into churn after 80 s of retention: >= 120 / 2 = 60x >= 50x
    processes["pandas_step"] = _process(
        "timeout",
        {"pandas_cohort_retention": 80.0},
        status_text="timeout after 900 s",
        lower_bounds={"pandas_churn": 40.0},
    )
    # pandas from raw stopped in staging after 20 s: >= 20 / 25 = 0.8x, undecided
    processes["pandas_from_raw"] = _process(
        "timeout",
        {"pandas_read_raw": 9.0},
        status_text="timeout after 900 s",
        lower_bounds={"pandas_staging": 20.0},
        peak_rss_bytes=4_000_000_000,
    )
    peers = _peers(processes)
    report = _report(_size("headline", 240.0, 30.0, 100.0, peers, full_peak_gb=6.0))
    v = _by_key(report)
    assert v["rfm_vs_lifetimes"]["value"] == pytest.approx(50.0)
    assert v["rfm_vs_lifetimes"]["bound"] == "at least"
    assert v["rfm_vs_lifetimes"]["verdict"] == "met"
    assert "lifetimes: timeout after 900 s" in v["rfm_vs_lifetimes"]["note"]
    assert v["retention_churn_vs_pandas_step"]["verdict"] == "met"
    assert v["from_raw_vs_pandas"]["value"] == pytest.approx(0.8)
    assert v["from_raw_vs_pandas"]["verdict"] == "not measured"
    # pandas had reached 4 GB when stopped: dbt's 6 GB / >= 4 GB is <= 1.5, undecided
    assert v["from_raw_peak_vs_pandas"]["bound"] == "at most"
    assert v["from_raw_peak_vs_pandas"]["verdict"] == "not measured"
    text = markdown({**report, "targets": judge(report)})
    assert "| lifetimes summary_data_from_transaction_data | timeout after 900 s |" in text
    assert ">= 25.00" in text and ">= 50.0x" in text
    assert "| rfm_summary vs lifetimes at headline | >= 30 x | >= 50 x | met |" in text


def test_out_of_memory_pandas_still_decides_the_memory_target() -> None:
    processes = _finished_peers()["processes"]
    processes["pandas_from_raw"] = _process(
        "out_of_memory",
        {"pandas_read_raw": 9.0},
        status_text="out of memory at 12.0 GB",
        peak_rss_bytes=12_000_000_000,
    )
    skipped = "not run: needs the purchases of pandas_from_raw (out of memory at 12.0 GB)"
    processes["pandas_step"] = _process("skipped", status_text=skipped, wall_seconds=None)
    processes["lifetimes"] = _process("skipped", status_text=skipped, wall_seconds=None)
    report = _report(_size("headline", 240.0, 30.0, 100.0, _peers(processes), full_peak_gb=6.0))
    v = _by_key(report)
    # pandas needed more than 12 GB; dbt's 6 GB is at most half of it
    assert v["from_raw_peak_vs_pandas"]["value"] == pytest.approx(0.5)
    assert v["from_raw_peak_vs_pandas"]["verdict"] == "met"
    assert v["from_raw_vs_pandas"]["verdict"] == "not measured"
    assert "out of memory at 12.0 GB" in v["from_raw_vs_pandas"]["note"]
    assert v["rfm_vs_lifetimes"]["verdict"] == "not measured"
    assert "not run: needs the purchases" in v["rfm_vs_lifetimes"]["note"]
    assert "| pandas from raw: staging + purchases + cohort retention + churn | out of memory" in (
        markdown({**report, "targets": judge(report)})
    )


def test_a_failed_build_is_not_timed() -> None:
    report = _report(_size("headline", 240.0, 30.0, 100.0, None, full_rc=1))
    v = _by_key(report)
    assert v["daily_vs_full_headline"]["verdict"] == "not measured"
    assert v["daily_vs_full_headline"]["note"] == "full build failed"
    assert v["full_vs_floor_headline"]["verdict"] == "not measured"
    assert "peers not run" in v["rfm_vs_lifetimes"]["note"]


def test_spark_rows_judged_when_a_spark_size_is_there() -> None:
    tenth = _size("tenth", full=40.0, daily=3.0, floor=10.0, peers=None)
    spark = {**_size("tenth", full=400.0, daily=100.0, floor=10.0, peers=None), "engine": "spark"}
    spark["marts_differing_from_duckdb"] = ["churn"]
    v = _by_key(_report(tenth, spark))
    # 100 / 400 = 0.25 <= 0.3; 400 / 40 = 10x > 8x; one mart differs > 0
    assert v["spark_daily_vs_full_tenth"]["verdict"] == "met"
    assert v["spark_full_vs_duckdb_tenth"]["value"] == pytest.approx(10.0)
    assert v["spark_full_vs_duckdb_tenth"]["verdict"] == "MISSED"
    assert v["spark_marts_differing_tenth"]["verdict"] == "MISSED"
    assert v["spark_marts_differing_tenth"]["note"] == "churn"
    # the DuckDB rows still read the DuckDB size
    assert v["daily_vs_full_tenth"]["value"] == pytest.approx(0.075, abs=0.005)


# --- A Spark size as the runner writes it (retention/bench/spark.py) ----------------


def _step(wall: float, peak_gb: float, returncode: int = 0, models: float = 0.0) -> dict:
    return {**_build(wall, peak_gb, returncode), "models_seconds": models, "command": "x"}


def _spark_entry(full_steps: dict, daily_steps: dict, differing: list[str] | None) -> dict:
    entry = _size("tenth", full=0.0, daily=0.0, floor=0.0, peers=None)
    del entry["floor"]
    return {
        **entry,
        "engine": "spark",
        "load_peak_rss_bytes": int(1.5e9),
        "full_build": combine(full_steps),
        "append": _step(20.0, 1.2),
        "incremental_build": combine(daily_steps),
        "marts_differing_from_duckdb": differing,
        "mart_differences": {m: [f"column x: 1 of 5 rows differ ({m})"] for m in differing or []},
        "marts_compared": len(MART_KEYS),
        "comparison": "no DuckDB build of this size",
    }


def test_combine_sums_the_steps_and_keeps_the_first_failure() -> None:
    build = combine(
        {"dbt build": _step(300.0, 2.0, models=250.0), "clv-fit": _step(60.0, 3.0, returncode=2)}
    )
    assert build["wall_seconds"] == pytest.approx(360.0)
    assert build["peak_rss_bytes"] == int(3.0e9)  # the larger of 2 and 3 GB
    assert build["models_seconds"] == pytest.approx(250.0)
    assert build["returncode"] == 2
    assert build["steps"]["clv-fit"]["returncode"] == 2
    rebuilt = combine(
        {
            "dbt build": {**_step(10.0, 1.0), "nodes": [_node("ltv_by_segment", 4.0)]},
            "after fit": {**_step(5.0, 1.0), "nodes": [_node("ltv_by_segment", 3.0)]},
        }
    )
    names = [n["name"] for n in rebuilt["nodes"]]
    assert names == ["ltv_by_segment", "ltv_by_segment (after fit)"]


def test_spark_size_as_the_runner_writes_it_is_judged_and_shown(tmp_path) -> None:
    tenth = _size("tenth", full=60.0, daily=5.0, floor=10.0, peers=None)
    full = {
        "dbt build": _step(300.0, 2.0),
        "clv-fit": _step(60.0, 2.5),
        "after fit": _step(90.0, 2.2),
    }
    daily = {
        "dbt build": _step(50.0, 2.0),
        "clv-fit": _step(40.0, 2.5),
        "after fit": _step(30.0, 2.1),
    }
    report = _report(tenth, _spark_entry(full, daily, []))
    v = _by_key(report)
    # full = 300 + 60 + 90 = 450 s, daily = 50 + 40 + 30 = 120 s: 120 / 450 = 0.267 <= 0.3
    assert v["spark_daily_vs_full_tenth"]["value"] == pytest.approx(120 / 450, abs=1e-3)
    assert v["spark_daily_vs_full_tenth"]["verdict"] == "met"
    # 450 / 60 = 7.5x <= 8x
    assert v["spark_full_vs_duckdb_tenth"]["value"] == pytest.approx(7.5)
    assert v["spark_full_vs_duckdb_tenth"]["verdict"] == "met"
    assert v["spark_marts_differing_tenth"]["value"] == 0
    assert v["spark_marts_differing_tenth"]["verdict"] == "met"
    # the DuckDB target reads DuckDB's tenth: 5 / 60
    assert v["daily_vs_full_tenth"]["value"] == pytest.approx(5 / 60, abs=1e-3)
    text = markdown({**report, "targets": judge(report)})
    assert "| tenth (spark) |" in text
    assert "## Spark at tenth" in text
    assert "| full build | clv-fit (ok) | 60.0 | 2.50 |" in text
    assert "| full build | **total** | **450.0** | 2.50 |" in text
    assert "| daily build | **total** | **120.0** | 2.50 |" in text
    assert "| append the next day |  | 20.0 | 1.20 |" in text
    assert (
        f"compared with DuckDB's after both daily builds: {len(MART_KEYS)}, differing: 0." in text
    )
    markdown_path = write_reports(report, tmp_path)
    assert markdown_path.name == "bench-20261204T000000Z-tenth-spark.md"
    assert markdown_path.with_suffix(".json").is_file()


def test_spark_size_with_a_failed_fit_or_differing_marts() -> None:
    tenth = _size("tenth", full=60.0, daily=5.0, floor=10.0, peers=None)
    full = {"dbt build": _step(300.0, 2.0), "clv-fit": _step(60.0, 2.5, returncode=1)}
    daily = {"dbt build": _step(50.0, 2.0)}
    report = _report(tenth, _spark_entry(full, daily, ["churn", "nps"]))
    v = _by_key(report)
    assert v["spark_daily_vs_full_tenth"]["verdict"] == "not measured"
    assert v["spark_daily_vs_full_tenth"]["note"] == "full build failed"
    assert v["spark_full_vs_duckdb_tenth"]["verdict"] == "not measured"
    assert v["spark_marts_differing_tenth"]["value"] == 2
    assert v["spark_marts_differing_tenth"]["verdict"] == "MISSED"
    text = markdown({**report, "targets": judge(report)})
    assert "| full build | clv-fit (exit 1) | 60.0 | 2.50 |" in text
    assert "differing: 2 (churn, nps)." in text
    assert "- nps: column x: 1 of 5 rows differ (nps)" in text
    not_compared = _report(tenth, _spark_entry(full, daily, None))
    v = _by_key(not_compared)
    assert v["spark_marts_differing_tenth"]["verdict"] == "not measured"
    text = markdown({**not_compared, "targets": judge(not_compared)})
    assert "Marts not compared with DuckDB's: no DuckDB build of this size." in text


def test_marts_differing_uses_the_grain_and_the_fit_tolerances() -> None:
    import pandas as pd

    def params(value: float) -> pd.DataFrame:
        return pd.DataFrame(
            {"model": ["bg_nbd", "bg_nbd"], "parameter": ["r", "alpha"], "value": [0.5, value]},
            dtype=object,
        )

    def churn(rate: float) -> pd.DataFrame:
        return pd.DataFrame({"period_start": ["2026-01-01"], "churn_rate": [rate]}, dtype=object)

    duck = {"clv_model_params": params(2.0), "churn": churn(0.25)}
    # 5e-7 apart: within clv_model_params.value's 1e-6; churn 1e-6 apart: beyond 1e-9
    spark = {"clv_model_params": params(2.0 + 5e-7), "churn": churn(0.25 + 1e-6)}
    problems = marts_differing(spark, duck)
    assert "clv_model_params" not in problems
    assert problems["churn"] and "churn_rate" in problems["churn"][0]
    assert problems["nps"] == ["missing on spark"]
    assert set(problems) == set(MART_KEYS) - {"clv_model_params"}
    # 2e-6 apart: beyond the fit tolerance
    assert "clv_model_params" in marts_differing(
        {**spark, "clv_model_params": params(2.000002)}, duck
    )


# --- How a peer process ended ------------------------------------------------------


def test_peer_outcome_of_a_timeout_bounds_the_running_step() -> None:
    measured = Measured(-15, 900.4, 3_000_000_000, timed_out=True, ended_at=1000.0)
    result = {
        "timings": {"pandas_read_raw": 5.0},
        "running": {"step": "pandas_staging", "since": 940.0},
    }
    outcome = peer_outcome(measured, result, PeerLimits(timeout_seconds=900))
    assert outcome["status"] == "timeout"
    assert outcome["status_text"] == "timeout after 900 s (peak 3.0 GB)"
    assert outcome["lower_bounds"] == {"pandas_staging": 60.0}


@pytest.mark.parametrize(
    ("returncode", "status", "text"),
    [
        (0, "ok", "ok"),
        (OUT_OF_MEMORY, "out_of_memory", "out of memory at 7.5 GB, cap 8.0 GB of address space"),
        (-9, "out_of_memory", "out of memory at 7.5 GB (killed by SIGKILL, cap 8.0 GB"),
        (1, "failed", "failed with exit code 1"),
    ],
)
def test_peer_outcome_by_exit_code(returncode: int, status: str, text: str) -> None:
    measured = Measured(returncode, 12.0, 7_500_000_000)
    outcome = peer_outcome(measured, {"timings": {}}, PeerLimits(60, 8_000_000_000))
    assert outcome["status"] == status
    assert outcome["status_text"].startswith(text)
    assert outcome["lower_bounds"] == {}


def test_peer_seconds_exact_when_every_step_finished_before_the_cap() -> None:
    timed_out_later = _process("timeout", {"a": 1.0, "b": 2.0}, lower_bounds={"c": 4.0})
    assert peer_seconds(timed_out_later, ["a", "b"]) == (3.0, False)
    assert peer_seconds(timed_out_later, ["b", "c"]) == (6.0, True)
    assert peer_seconds(timed_out_later, ["d"]) == (None, False)
    assert peer_seconds(_process("out_of_memory", {"a": 1.0}), ["a", "b"]) == (None, False)


def test_parse_bytes() -> None:
    assert parse_bytes("12GB") == 12_000_000_000
    assert parse_bytes("2GiB") == 2 * 1024**3
    assert parse_bytes("500mb") == 500_000_000
    assert parse_bytes("") is None and parse_bytes("0") is None
    assert parse_bytes("1234") == 1234


def test_dbt_cost_section_and_the_daily_note_use_the_no_op_invocation() -> None:
    tenth = _size("tenth", full=40.0, daily=13.0, floor=10.0, peers=None)
    tenth["dbt_parse"] = {
        "returncode": 0,
        "full_parse_seconds": 8.5,
        "invocation_seconds": 3.0,
        "state": "x/partial_parse.msgpack",
    }
    tenth["full_build"]["parse"] = "reused"
    tenth["incremental_build"]["parse"] = "full"
    report = _report(tenth)
    v = _by_key(report)
    # 13 / 40 = 0.325; the no-op invocation is 3 / 40 = 0.075 of the full build
    assert v["daily_vs_full_tenth"]["value"] == pytest.approx(0.325)
    assert "3.0 s" in v["daily_vs_full_tenth"]["note"]
    assert "0.07" in v["daily_vs_full_tenth"]["note"]
    text = markdown({**report, "targets": judge(report)})
    section = text.split("## dbt's own cost")[1].split("\n## ")[0]
    # daily minus the invocation: 13 - 3 = 10 s, 10 / 40 = 0.25 of the full build
    row = next(line for line in section.splitlines() if line.startswith("| tenth"))
    assert row == "| tenth | 8.5 | 3.0 | 40.0 (reused) | 13.0 (full) | 10.0 | 0.25 |"


def test_no_dbt_cost_section_without_a_parse_measurement() -> None:
    report = _report(_size("tenth", full=40.0, daily=12.0, floor=10.0, peers=None))
    assert "## dbt's own cost" not in markdown({**report, "targets": judge(report)})
    assert _by_key(report)["daily_vs_full_tenth"]["note"] == ""


def test_one_process_spark_build_keeps_its_steps_and_names_the_rebuilt_nodes() -> None:
    """``retention build`` on Spark: one process, its steps timed by the command;
    the build's time and peak are the process's, the nodes of the build after
    the fit are named with it, a failed node is listed."""

    def result(uid: str, status: str, seconds: float) -> dict:
        return {"unique_id": uid, "status": status, "execution_time": seconds}

    steps = [
        {"name": "dbt parse", "seconds": 6.0, "returncode": 0, "nodes": []},
        {
            "name": "dbt build",
            "seconds": 200.0,
            "returncode": 0,
            "nodes": [
                result("model.retention.customers", "success", 5.0),
                result("test.retention.not_null_customers_id.abc", "pass", 0.5),
            ],
        },
        {"name": "clv fit", "seconds": 3.0, "returncode": 0, "nodes": []},
        {
            "name": "dbt build after the fit",
            "seconds": 20.0,
            "returncode": 1,
            "nodes": [result("model.retention.ltv_by_segment", "error", 2.0)],
        },
    ]
    build = one_process_build(1, 240.0, int(3e9), steps, "retention build --full-refresh")
    assert build["wall_seconds"] == 240.0  # the process, start-up included
    assert build["models_seconds"] == pytest.approx(7.0)
    assert build["tests_seconds"] == pytest.approx(0.5)
    assert [n["name"] for n in build["nodes"]] == [
        "customers",
        "not_null_customers_id",
        "ltv_by_segment (after fit)",
    ]
    assert build["not_ok"] == ["model.retention.ltv_by_segment"]
    assert list(build["steps"]) == ["dbt parse", "dbt build", "clv fit", "dbt build after the fit"]
    tenth = _size("tenth", full=60.0, daily=5.0, floor=10.0, peers=None)
    entry = {**_spark_entry({"x": _step(1.0, 1.0)}, {"x": _step(1.0, 1.0)}, [])}
    entry["full_build"] = build
    text = markdown({**_report(tenth, entry), "targets": []})
    assert "| full build | clv fit (ok) | 3.0 |  |" in text
    assert "| full build | dbt build after the fit (exit 1) | 20.0 |  |" in text
    assert "| full build | **total** | **240.0** | 3.00 |" in text
