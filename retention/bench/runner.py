"""``make bench``: generate (or reuse) a dataset, full and incremental dbt builds, peers.

For each size: the generator's Parquet is reused from ``<data-dir>/<size>-seed<seed>/raw``
when its manifest matches (else generated there, timed, peak RSS measured); a fresh DuckDB
file next to it is loaded from the Parquet (streamed by DuckDB); ``dbt build`` runs
(models and tests); then one more day of raw data (``next_day.py``) is appended and
``dbt build`` runs again without ``--full-refresh`` (incremental models pick up the new
day). Per-node execution times come from ``target/run_results.json``; wall time and the
peak memory of dbt's process tree (polled from /proc) are measured here.

Before the full build, on the same freshly loaded file and DuckDB settings, the floor
(``floor.py``) times the queries any correct pipeline must run on the raw data. After it,
at every size (or those of at most ``--peer-max-orders`` orders) the peers run on the
data of the full build, each in its own process with a time cap and its peak memory
measured (``peers.py``, ``peer_process.py``): the pandas pipeline from raw (the
reference, retention/reference/), the pandas cohort retention + churn step and
``lifetimes.utils.summary_data_from_transaction_data``; their numbers are compared with
the marts. With ``--engine spark`` (``make bench BENCH_ENGINE=spark``) each size then
runs the same on local Spark and compares its marts with DuckDB's (``spark.py``), a
second size entry with ``"engine": "spark"``. ``retention.bench.report`` writes the
Markdown and JSON reports and judges the performance targets (docs/benchmark.md).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from retention import RetentionError
from retention.bench.floor import measure_floor
from retention.bench.measure import run_measured
from retention.bench.peers import DEFAULT_PEER_TIMEOUT_SECONDS, PeerLimits, parse_bytes, run_peers
from retention.bench.report import write_reports
from retention.contract import TABLE_NAMES
from retention.demo.generate import SIZES, Size
from retention.demo.next_day import append_next_day, write_next_day
from retention.paths import project_dir
from retention.raw.load import load

log = logging.getLogger(__name__)

DEFAULT_MEMORY_LIMIT = "6GB"
DEFAULT_THREADS = 2
OK_STATUSES = frozenset({"success", "pass", "warn", "no-op"})


@dataclass(frozen=True)
class Dataset:
    """One generated dataset: name, folder and generator parameters."""

    name: str
    customers: int
    seed: int
    order_intensity: float
    event_intensity: float
    folder: Path

    @property
    def raw(self) -> Path:
        return self.folder / "raw"

    def generator_args(self) -> list[str]:
        return [
            "--customers",
            str(self.customers),
            "--seed",
            str(self.seed),
            "--order-intensity",
            repr(self.order_intensity),
            "--event-intensity",
            repr(self.event_intensity),
        ]


def dataset_for(size: str, seed: int, data_dir: Path) -> Dataset:
    """``size`` is a preset name (``generate.SIZES``) or a number of customers."""
    if size in SIZES:
        preset = SIZES[size]
        name = size
    elif size.isdigit() and int(size) > 0:
        preset = Size(int(size))
        name = f"customers{int(size)}"
    else:
        raise RetentionError(
            f"bench size {size!r}: expected one of {sorted(SIZES)} or a number of customers"
        )
    return Dataset(
        name=name,
        customers=preset.customers,
        seed=seed,
        order_intensity=preset.order_intensity,
        event_intensity=preset.event_intensity,
        folder=data_dir / f"{name}-seed{seed}",
    )


def _manifest_matches(dataset: Dataset) -> bool:
    path = dataset.raw / "manifest.json"
    if not path.is_file():
        return False
    manifest = json.loads(path.read_text())
    return (
        # a dataset of an older generator, without a raw table of today's contract, is
        # generated again (its next day would lack that table)
        set(TABLE_NAMES) <= set(manifest.get("rows", {}))
        and manifest.get("customers") == dataset.customers
        and manifest.get("seed") == dataset.seed
        and float(manifest.get("order_intensity", 1.0)) == dataset.order_intensity
        and float(manifest.get("event_intensity", 1.0)) == dataset.event_intensity
    )


def ensure_dataset(dataset: Dataset, progress: bool) -> dict[str, Any]:
    """Reuse the Parquet when its manifest matches, else generate it (timed, peak RSS)."""
    stats_path = dataset.folder / "generate.json"
    if _manifest_matches(dataset):
        log.info("reusing %s", dataset.raw)
        stats = json.loads(stats_path.read_text()) if stats_path.is_file() else {}
        return {**stats, "reused": True}
    log.info("generating %s (%d customers)", dataset.raw, dataset.customers)
    shutil.rmtree(dataset.raw, ignore_errors=True)
    shutil.rmtree(dataset.folder / "next_day", ignore_errors=True)
    dataset.folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "retention", "-q", "generate", *dataset.generator_args()]
    command += ["--out", str(dataset.raw)] + ([] if progress else ["--no-progress"])
    measured = run_measured(
        command,
        dict(os.environ),
        dataset.folder / "generate.log",
        show_output=progress,
    )
    if measured.returncode != 0:
        raise RetentionError(f"the generator failed for {dataset.raw}")
    stats = {
        "seconds": round(measured.seconds, 1),
        "peak_rss_bytes": measured.peak_rss_bytes,
    }
    stats_path.write_text(json.dumps(stats, indent=2) + "\n")
    return {**stats, "reused": False}


def _dbt_env(database: Path, memory_limit: str, threads: int) -> dict[str, str]:
    return {
        **os.environ,
        "RETENTION_DUCKDB_PATH": str(database),
        "RETENTION_TARGET": "duckdb",
        "RETENTION_DUCKDB_MEMORY_LIMIT": memory_limit,
        "RETENTION_THREADS": str(threads),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def _node_times(target: Path) -> list[dict[str, Any]]:
    """Every node of run_results.json: id, type, status, execution seconds."""
    path = target / "run_results.json"
    if not path.is_file():
        return []
    return node_times(json.loads(path.read_text())["results"])


def node_times(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The nodes of dbt run results: id, name, type, status, execution seconds."""
    return [
        {
            "unique_id": r["unique_id"],
            "name": r["unique_id"].split(".")[-1]
            if r["unique_id"].split(".")[0] != "test"
            else r["unique_id"].split(".")[2],
            "resource_type": r["unique_id"].split(".")[0],
            "status": r["status"],
            "seconds": round(float(r.get("execution_time") or 0.0), 3),
        }
        for r in results
    ]


# The daily production run: dbt recommends leaving unit tests (the SQL on fixed
# fixtures) to development and CI; every model and data test still runs, and
# `python -m retention publish` accepts such a build (docs/incremental.md).
DAILY_ARGS = ("--exclude-resource-type", "unit_test")


def _dbt_command(
    subcommand: str, target: Path, logs: Path, target_name: str, extra_args: tuple[str, ...]
) -> list[str]:
    dbt = Path(sys.executable).with_name("dbt")
    return [
        str(dbt),
        subcommand,
        "--project-dir",
        str(project_dir()),
        "--profiles-dir",
        str(project_dir() / "profiles"),
        "--target",
        target_name,
        "--target-path",
        str(target),
        "--log-path",
        str(logs),
        *extra_args,
    ]


def parse_mode(logs: Path) -> str:
    """How the invocation that wrote ``logs/dbt.log`` (a folder of its own) loaded the
    project: ``full`` parse, ``partial`` (some files re-parsed) or ``reused`` (nothing
    changed since the parse state it started from)."""
    path = logs / "dbt.log"
    text = path.read_text(errors="replace") if path.is_file() else ""
    if "no changes found, skipping parsing" in text:
        return "reused"
    return "partial" if "Partial parsing enabled" in text else "full"


def _parse_info(target: Path) -> tuple[float | None, int | None]:
    """The time dbt spent loading the project and how many files it parsed
    (``perf_info.json``: ``load_all_elapsed``, ``parsed_path_count``)."""
    path = target / "perf_info.json"
    if not path.is_file():
        return None, None
    info = json.loads(path.read_text())
    seconds = round(float(info.get("load_all_elapsed") or 0.0), 2)
    return seconds, int(info.get("parsed_path_count") or 0)


PARSE_STATE = "partial_parse.msgpack"


def warm_parse(
    folder: Path, env: dict[str, str], target_name: str = "duckdb", cwd: Path | None = None
) -> dict[str, Any]:
    """dbt's own cost, before any node: ``dbt parse`` into a fresh target folder (a full
    parse of the project), then again (a partial parse that finds nothing changed: what
    every invocation pays to start, read its state and check the files). The second's wall
    time is the fixed cost of one dbt invocation on this machine. The parse state it leaves
    seeds the builds' target folders (``dbt_build(parse_state=...)``), as a scheduled job
    reuses its checkout's target/ from one morning to the next."""
    target = folder / "target-parse"
    shutil.rmtree(target, ignore_errors=True)
    timings: dict[str, Any] = {}
    for label in ("full_parse", "invocation"):
        logs = folder / "logs" / label
        shutil.rmtree(logs, ignore_errors=True)
        command = _dbt_command("parse", target, logs, target_name, ())
        measured = run_measured(command, env, folder / f"dbt-{label}.log", cwd=cwd)
        if measured.returncode != 0:
            return {"returncode": measured.returncode, "state": None}
        timings[f"{label}_seconds"] = round(measured.seconds, 2)
        timings[f"{label}_load_seconds"], timings[f"{label}_parsed_files"] = _parse_info(target)
        timings[f"{label}_mode"] = parse_mode(logs)
    log.info(
        "dbt parse: full %.1f s, no-op invocation %.1f s",
        timings["full_parse_seconds"],
        timings["invocation_seconds"],
    )
    return {"returncode": 0, **timings, "state": str(target / PARSE_STATE)}


def dbt_build(
    label: str,
    folder: Path,
    env: dict[str, str],
    extra_args: tuple[str, ...] = (),
    target_name: str = "duckdb",
    cwd: Path | None = None,
    parse_state: str | None = None,
) -> dict[str, Any]:
    """One ``dbt build`` with its own target folder: wall time, peak RSS, node times.
    ``parse_state``: a ``partial_parse.msgpack`` copied into the target folder first (the
    build then parses only what changed since; nothing, in the bench)."""
    target = folder / f"target-{label}"
    shutil.rmtree(target, ignore_errors=True)
    if parse_state and Path(parse_state).is_file():
        target.mkdir(parents=True)
        shutil.copy2(parse_state, target / PARSE_STATE)
    logs = folder / "logs" / label
    shutil.rmtree(logs, ignore_errors=True)
    command = _dbt_command("build", target, logs, target_name, extra_args)
    log.info("dbt build (%s) in %s", label, folder)
    measured = run_measured(command, env, folder / f"dbt-{label}.log", cwd=cwd)
    nodes = _node_times(target)
    failed = [n["unique_id"] for n in nodes if n["status"] not in OK_STATUSES]
    log.info(
        "dbt build (%s): exit %d, %.1f s, peak %.2f GB, %d nodes, %d not ok",
        label,
        measured.returncode,
        measured.seconds,
        measured.peak_rss_bytes / 1e9,
        len(nodes),
        len(failed),
    )
    return {
        "returncode": measured.returncode,
        "wall_seconds": round(measured.seconds, 2),
        "peak_rss_bytes": measured.peak_rss_bytes,
        "models_seconds": round(
            sum(n["seconds"] for n in nodes if n["resource_type"] in ("model", "seed")), 2
        ),
        "tests_seconds": round(
            sum(n["seconds"] for n in nodes if n["resource_type"] in ("test", "unit_test")), 2
        ),
        "parse": parse_mode(logs),
        "warm_parse": bool(parse_state),
        "not_ok": failed,
        "command": "dbt build " + " ".join(extra_args),
        "nodes": nodes,
        "target": str(target),
    }


def raw_counts(database: Path) -> dict[str, int]:
    with duckdb.connect(str(database), read_only=True) as con:
        return {
            t: int(con.execute(f"select count(*) from raw.{t}").fetchall()[0][0])
            for t in ("customers", "orders", "events", "marketing_spend")
        }


@dataclass(frozen=True)
class PeerOptions:
    """Which sizes get the peers (``max_orders``: None for every size) and their caps."""

    max_orders: int | None = None
    limits: PeerLimits = PeerLimits()


ENGINES = ("duckdb", "spark")


def bench_size(
    dataset: Dataset,
    memory_limit: str,
    threads: int,
    peer_options: PeerOptions,
    progress: bool,
) -> dict[str, Any]:
    """Everything measured at one size on DuckDB (see the module docstring)."""
    generator = ensure_dataset(dataset, progress)
    database = dataset.folder / "bench.duckdb"
    for stale in (database, database.with_name(database.name + ".wal")):
        stale.unlink(missing_ok=True)
    started = time.perf_counter()
    load(dataset.raw, database, progress=progress)
    load_seconds = time.perf_counter() - started
    rows = raw_counts(database)
    log.info("loaded %s in %.1f s: %s", database, load_seconds, rows)
    floor = measure_floor(database, memory_limit)
    log.info("floor: %.1f s", floor["seconds"])
    env = _dbt_env(database, memory_limit, threads)
    parse = warm_parse(dataset.folder, env)
    full = dbt_build("full", dataset.folder, env, parse_state=parse["state"])

    peers: dict[str, Any] | None = None
    max_orders = peer_options.max_orders
    if max_orders is None or rows["orders"] <= max_orders:
        peers = (
            run_peers(
                database,
                Path(full["target"]),
                full["nodes"],
                dataset.folder / "peers",
                peer_options.limits,
                progress,
            )
            if full["returncode"] == 0
            else {"skipped": "the full dbt build failed"}
        )

    next_day_dir = write_next_day(dataset.raw, dataset.folder / "next_day")
    added = append_next_day(next_day_dir, database)
    incremental = dbt_build(
        "incremental", dataset.folder, env, DAILY_ARGS, parse_state=parse["state"]
    )
    return {
        "size": dataset.name,
        "customers_param": dataset.customers,
        "seed": dataset.seed,
        "order_intensity": dataset.order_intensity,
        "event_intensity": dataset.event_intensity,
        "data_folder": str(dataset.folder),
        "database": str(database),
        "generator": generator,
        "raw_rows": rows,
        "load_seconds": round(load_seconds, 2),
        "floor": floor,
        "dbt_parse": parse,
        "full_build": full,
        "next_day_rows": added,
        "incremental_build": incremental,
        "peers": peers,
    }


def _size_fields(duck: dict[str, Any]) -> dict[str, Any]:
    """What a Spark size entry shares with DuckDB's of the same size (the data)."""
    keys = ("size", "customers_param", "seed", "order_intensity", "event_intensity")
    return {k: duck[k] for k in (*keys, "data_folder", "generator")}


def _machine() -> dict[str, Any]:
    load1, load5, load15 = os.getloadavg()
    total = 0
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    total = int(line.split()[1]) * 1024
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "memory_bytes": total,
        "load_average_at_start": [round(load1, 2), round(load5, 2), round(load15, 2)],
        "python": sys.version.split()[0],
        "duckdb": duckdb.__version__,
    }


def bench(
    sizes: list[str],
    data_dir: Path,
    out_dir: Path,
    seed: int = 42,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    threads: int = DEFAULT_THREADS,
    peer_options: PeerOptions = PeerOptions(),
    progress: bool = True,
    note: str = "",
    engine: str = "duckdb",
) -> tuple[dict[str, Any], Path]:
    """Run every size; write the reports; return the report and the Markdown path.

    ``engine="spark"``: at each size, after DuckDB's builds, the same on local
    Spark (retention/bench/spark.py), compared with DuckDB's marts."""
    started = time.time()
    machine = _machine()
    results = []
    for size in sizes:
        dataset = dataset_for(size, seed, data_dir)
        results.append(bench_size(dataset, memory_limit, threads, peer_options, progress))
        if engine == "spark":
            from retention.bench.spark import bench_spark

            duck = results[-1]
            spark = bench_spark(
                dataset.raw,
                dataset.folder / "next_day",
                dataset.folder,
                Path(duck["database"]) if duck["incremental_build"]["returncode"] == 0 else None,
            )
            results.append({**_size_fields(duck), **spark})
    load1, load5, load15 = os.getloadavg()
    machine["load_average_at_end"] = [round(load1, 2), round(load5, 2), round(load15, 2)]
    report = {
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "seconds": round(time.time() - started, 1),
        "profile": {
            "duckdb_memory_limit": memory_limit,
            "threads": threads,
            "peer_timeout_seconds": peer_options.limits.timeout_seconds,
            "peer_memory_limit_bytes": peer_options.limits.memory_limit_bytes,
            "engine": engine,
        },
        "machine": machine,
        "note": note,
        "sizes": results,
    }
    markdown = write_reports(report, out_dir)
    return report, markdown


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sizes",
        nargs="+",
        default=["tenth", "headline"],
        help=f"sizes to run, in order: presets {sorted(SIZES)} or a number of customers "
        "(default: tenth headline, which also measures growth)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path("bench/data"),
        help="generated data and bench databases, reused by size and seed, default %(default)s",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("bench/results"), help="reports, default %(default)s"
    )
    parser.add_argument("--seed", type=int, default=42, help="generator seed, default %(default)s")
    parser.add_argument(
        "--memory-limit",
        default=DEFAULT_MEMORY_LIMIT,
        help="DuckDB memory_limit for dbt, default %(default)s",
    )
    parser.add_argument(
        "--threads", type=int, default=DEFAULT_THREADS, help="dbt threads, default %(default)s"
    )
    parser.add_argument(
        "--peer-max-orders",
        type=int,
        default=0,
        help="run pandas and lifetimes only at sizes with at most this many raw orders "
        "(default 0: at every size)",
    )
    parser.add_argument(
        "--peer-timeout",
        type=float,
        default=DEFAULT_PEER_TIMEOUT_SECONDS,
        help="wall seconds each peer process may run before it is stopped and reported "
        "as a timeout, default %(default)s",
    )
    parser.add_argument(
        "--peer-memory-limit",
        default="",
        help="address-space cap (RLIMIT_AS) of each peer process, e.g. 12GB; a peer that "
        "needs more is reported as out of memory (default: no cap)",
    )
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="duckdb",
        help="duckdb (default); spark: after DuckDB's builds at each size, the full and "
        "daily builds on local Spark (pyspark, Java 17), their marts compared with DuckDB's",
    )
    parser.add_argument("--note", default="", help="free text for the report (machine load...)")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def run(args: argparse.Namespace) -> int:
    report, markdown = bench(
        args.sizes,
        args.data_dir,
        args.out,
        seed=args.seed,
        memory_limit=args.memory_limit,
        threads=args.threads,
        peer_options=PeerOptions(
            max_orders=args.peer_max_orders or None,
            limits=PeerLimits(args.peer_timeout, parse_bytes(args.peer_memory_limit)),
        ),
        progress=not args.no_progress,
        note=args.note,
        engine=args.engine,
    )
    sys.stdout.write(markdown.read_text())
    ok = all(
        s["full_build"]["returncode"] == 0
        and s["incremental_build"]["returncode"] == 0
        and (
            s.get("peers") is None
            or (s["peers"].get("all_agree", False) and not s["peers"].get("failed"))
        )
        and not s.get("marts_differing_from_duckdb")
        for s in report["sizes"]
    )
    return 0 if ok else 1
