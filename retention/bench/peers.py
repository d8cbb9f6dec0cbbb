"""The benchmark's peers, each in a process of its own, against the matching dbt models.

The peers (retention/bench/peer_process.py): the pandas pipeline from raw data
(the project's reference, retention/reference/: staging, purchases, cohort
retention, churn), the pandas cohort retention + churn step on those purchases
(and the pandas RFM summary), and ``lifetimes.utils.summary_data_from_transaction_data``
on them as transactions. Each runs in its own process with its peak memory
measured (retention/bench/measure.py), a time cap and optionally an address-space
cap; a peer that runs out of time or memory is reported as such
(:func:`peer_outcome`), with the steps it finished, and the bench goes on.

dbt's side is the execution time of the matching models in the build's
run_results.json, alone and with every model upstream of them (from the raw
tables, like the pandas pipeline), and DuckDB's time on the models' compiled SQL
without dbt (best of three).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from tqdm import tqdm

from retention.bench.measure import Measured, run_measured
from retention.bench.peer_process import OUT_OF_MEMORY, PEERS, PURCHASES_FILE, table_schema

log = logging.getLogger(__name__)

GB = 1e9
DEFAULT_PEER_TIMEOUT_SECONDS = 900.0

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

# A peer that needs the purchases another peer writes.
NEEDS: dict[str, str] = {"pandas_step": "pandas_from_raw", "lifetimes": "pandas_from_raw"}


@dataclass(frozen=True)
class PeerLimits:
    """The caps of each peer process: wall seconds and (optionally) address space."""

    timeout_seconds: float = DEFAULT_PEER_TIMEOUT_SECONDS
    memory_limit_bytes: int | None = None


def parse_bytes(text: str) -> int | None:
    """``"12GB"``, ``"500MB"``, ``"2GiB"`` or a number of bytes; empty or ``0``: no cap."""
    value = text.strip().upper().replace(" ", "")
    if value in ("", "0", "NONE"):
        return None
    units = {"KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "KB": 1e3, "MB": 1e6, "GB": 1e9, "B": 1}
    for unit, factor in units.items():
        if value.endswith(unit):
            return int(float(value[: -len(unit)]) * factor)
    return int(value)


def build_as_of_date(database: Path) -> str:
    """The as_of_date the build derived (the peers get it as a var)."""
    with duckdb.connect(str(database), read_only=True) as con:
        schema = table_schema(con, "int_as_of_date")
        value = con.execute(f"select as_of_date from {schema}.int_as_of_date").fetchall()[0][0]
    return str(value)


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


def _ratio(numerator: float | None, denominator: float) -> float | None:
    if numerator is None or denominator <= 0:
        return None
    return round(numerator / denominator, 2)


def peer_outcome(measured: Measured, result: dict[str, Any], limits: PeerLimits) -> dict[str, Any]:
    """How a peer process ended: ``status`` (ok, timeout, out_of_memory, failed), the text
    the report shows, and for a peer stopped by the time cap the lower bound of the
    step it was running (from the step's start time in its result file)."""
    peak = f"{measured.peak_rss_bytes / GB:.1f} GB"
    cap = (
        f", cap {limits.memory_limit_bytes / GB:.1f} GB of address space"
        if limits.memory_limit_bytes
        else ""
    )
    lower_bounds: dict[str, float] = {}
    if measured.timed_out:
        status, text = "timeout", f"timeout after {limits.timeout_seconds:g} s (peak {peak})"
        running = result.get("running")
        if running:
            elapsed = max(0.0, measured.ended_at - float(running["since"]))
            lower_bounds[running["step"]] = round(elapsed, 3)
    elif measured.returncode == OUT_OF_MEMORY:
        status, text = "out_of_memory", f"out of memory at {peak}{cap}"
    elif measured.returncode == -signal.SIGKILL:
        status, text = "out_of_memory", f"out of memory at {peak} (killed by SIGKILL{cap})"
    elif measured.returncode != 0:
        status, text = "failed", f"failed with exit code {measured.returncode}"
    else:
        status, text = "ok", "ok"
    return {"status": status, "status_text": text, "lower_bounds": lower_bounds}


def run_peer(
    name: str, database: Path, as_of: str, work: Path, limits: PeerLimits
) -> dict[str, Any]:
    """One peer in its own process (peer_process.py): its result, outcome, time and peak."""
    out, log_path = work / f"{name}.json", work / f"{name}.log"
    out.unlink(missing_ok=True)
    command = [sys.executable, "-m", "retention.bench.peer_process", name]
    command += ["--database", str(database), "--as-of", as_of]
    command += ["--work-dir", str(work), "--out", str(out)]
    measured = run_measured(
        command,
        dict(os.environ),
        log_path,
        timeout_seconds=limits.timeout_seconds,
        memory_limit_bytes=limits.memory_limit_bytes,
    )
    result: dict[str, Any] = {"timings": {}, "agreement": {}}
    if out.is_file():
        result = json.loads(out.read_text())
    outcome = peer_outcome(measured, result, limits)
    log.info(
        "peer %s: %s, %.1f s, peak %.2f GB",
        name,
        outcome["status_text"],
        measured.seconds,
        measured.peak_rss_bytes / GB,
    )
    return {
        **result,
        **outcome,
        "wall_seconds": round(measured.seconds, 2),
        "peak_rss_bytes": measured.peak_rss_bytes,
        "log": str(log_path),
    }


def _skipped(need: str, why: str) -> dict[str, Any]:
    return {
        "timings": {},
        "agreement": {},
        "status": "skipped",
        "status_text": f"not run: needs the purchases of {need} ({why})",
        "lower_bounds": {},
        "wall_seconds": None,
        "peak_rss_bytes": None,
    }


def peer_seconds(process: dict[str, Any], steps: list[str]) -> tuple[float | None, bool]:
    """The seconds of ``steps`` in a peer's result and whether they are only a lower bound.

    Every step finished (whatever happened to the process afterwards): the sum of
    their times. A peer stopped by the time cap before: the steps it finished plus
    the time the running one had run (steps it never started count 0), a lower
    bound, or None if it stopped before any of ``steps`` began. Otherwise None.
    """
    timings, bounds = process.get("timings", {}), process.get("lower_bounds", {})
    if all(step in timings for step in steps):
        return round(sum(timings[step] for step in steps), 3), False
    if process["status"] == "timeout" and any(s in timings or s in bounds for s in steps):
        return round(sum(timings.get(s, bounds.get(s, 0.0)) for s in steps), 3), True
    return None, False


STEP = ["pandas_cohort_retention", "pandas_churn"]
FROM_RAW = ["pandas_staging", "pandas_purchases", *STEP]


def _versus(process: dict[str, Any], name: str, steps: list[str]) -> dict[str, Any]:
    seconds, lower = peer_seconds(process, steps)
    return {
        "peer": name,
        "status": process["status"],
        "status_text": process["status_text"],
        "peer_seconds": seconds,
        "peer_seconds_is_lower_bound": lower,
    }


def comparisons(
    processes: dict[str, dict[str, Any]],
    dbt_rc: dict[str, Any],
    dbt_rfm: dict[str, Any],
) -> dict[str, Any]:
    """The peers' times against the matching dbt models (and DuckDB alone).

    Judged: the pandas step (given purchases) vs the matching models alone;
    lifetimes (given transactions) vs the rfm_summary models alone; pandas from
    raw (staging, purchases, cohort retention, churn; reading the raw tables into
    pandas timed apart) vs the matching models with every model upstream of them.
    A ratio from a lower bound of the peer's time is a lower bound too.
    """
    step = _versus(processes["pandas_step"], "pandas_step", STEP)
    step["dbt"] = dbt_rc
    step["ratio"] = _ratio(step["peer_seconds"], dbt_rc["seconds"])
    step["ratio_engine_only"] = _ratio(step["peer_seconds"], dbt_rc.get("engine_seconds", 0.0))

    raw_process = processes["pandas_from_raw"]
    from_raw = _versus(raw_process, "pandas_from_raw", FROM_RAW)
    from_raw["dbt"] = dbt_rc
    from_raw["read_seconds"] = raw_process.get("timings", {}).get("pandas_read_raw")
    from_raw["peer_peak_rss_bytes"] = raw_process.get("peak_rss_bytes")
    from_raw["ratio"] = _ratio(from_raw["peer_seconds"], dbt_rc["seconds_with_upstream"])

    lifetimes = _versus(processes["lifetimes"], "lifetimes", ["lifetimes_summary"])
    lifetimes["dbt"] = dbt_rfm
    lifetimes["ratio"] = _ratio(lifetimes["peer_seconds"], dbt_rfm["seconds"])
    lifetimes["ratio_with_upstream"] = _ratio(
        lifetimes["peer_seconds"], dbt_rfm["seconds_with_upstream"]
    )
    lifetimes["ratio_engine_only"] = _ratio(
        lifetimes["peer_seconds"], dbt_rfm.get("engine_seconds", 0.0)
    )

    rfm_pandas = _versus(processes["pandas_step"], "pandas_step", ["pandas_rfm_summary"])
    rfm_pandas["dbt"] = dbt_rfm
    rfm_pandas["ratio"] = _ratio(rfm_pandas["peer_seconds"], dbt_rfm["seconds"])
    return {
        "cohort_retention_and_churn_vs_pandas": step,
        "pandas_from_raw": from_raw,
        "rfm_summary_vs_lifetimes": lifetimes,
        "rfm_summary_vs_pandas": rfm_pandas,
    }


def run_peers(
    database: Path,
    target: Path,
    nodes: list[dict[str, Any]],
    work: Path,
    limits: PeerLimits = PeerLimits(),
    progress: bool = True,
) -> dict[str, Any]:
    """Each peer in its own process on the build's data; their numbers against the marts."""
    as_of = build_as_of_date(database)
    work.mkdir(parents=True, exist_ok=True)
    processes: dict[str, dict[str, Any]] = {}
    for name in tqdm(PEERS, desc="peers", unit="peer", disable=not progress):
        need = NEEDS.get(name)
        if need and processes[need]["status"] != "ok":
            processes[name] = _skipped(need, processes[need]["status_text"])
            continue
        processes[name] = run_peer(name, database, as_of, work, limits)
    (work / PURCHASES_FILE).unlink(missing_ok=True)

    dbt_rc = dbt_seconds(target, nodes, MATCHING_MODELS["cohort_retention_and_churn"])
    dbt_rfm = dbt_seconds(target, nodes, MATCHING_MODELS["rfm_summary"])
    dbt_rc["engine_seconds"] = engine_seconds(
        database, target, MATCHING_MODELS["cohort_retention_and_churn"]
    )
    dbt_rfm["engine_seconds"] = engine_seconds(database, target, MATCHING_MODELS["rfm_summary"])
    # the same check can come from two peers (pandas from raw and the pandas step
    # both compare cohort retention and churn): both must agree
    agreement: dict[str, dict[str, Any]] = {}
    for name, process in processes.items():
        for check, result in process.get("agreement", {}).items():
            if check in agreement:
                check = f"{check} ({name})"
            agreement[check] = result
    orders = processes["pandas_from_raw"].get("rows", {})
    return {
        "as_of_date": as_of,
        "limits": {
            "timeout_seconds": limits.timeout_seconds,
            "memory_limit_bytes": limits.memory_limit_bytes,
        },
        "orders": orders.get("orders"),
        "purchases": orders.get("purchases"),
        "processes": processes,
        "comparisons": comparisons(processes, dbt_rc, dbt_rfm),
        "agreement": agreement,
        "all_agree": all(a["agree"] for a in agreement.values()),
        "failed": sorted(n for n, p in processes.items() if p["status"] == "failed"),
    }
