"""``retention build``: the whole daily build in one process.

On DuckDB the CLV models are fitted inside ``dbt build`` (Python models). On
Postgres and Spark they are fitted by ``retention clv-fit`` between two dbt
runs (docs/predictive_clv.md), which as three commands means three
processes: three Python and dbt start-ups, two full parses, and on Spark
three JVMs and metastore starts (about 50 s of a daily build at the bench's
tenth size, bench/results/NOTES.md).

This command runs the same sequence in one process with dbt's programmatic
API (``dbtRunner``):

1. ``dbt parse`` once; both builds below reuse its manifest;
2. ``dbt build`` of everything except the models after the fit step
   (``int_clv_step_fit+ int_clv_step_predictions+``, which would otherwise be
   built twice, once from the previous fit);
3. the fit of ``retention clv-fit``, through the same Spark session as dbt's
   (``getOrCreate``) or a psycopg2 connection;
4. ``dbt build`` of the models after the fit step, with the same flags.

When the project has no fit step (DuckDB, or ``python_models: false``) it is
one ``dbt build``. A node that fails in step 2 (a model, a data test, a unit
test: in package mode often one of the user's own models) skips only what
depends on it, as in one ``dbt build``: the fit runs when its inputs built,
and step 4 leaves out every node downstream of a failed or skipped one. When
dbt itself fails (a project it cannot parse or compile) or the fit's inputs
did not build, nothing after step 2 runs. A failing fit still runs step 4, so
the predictive marts say ``stale`` instead of keeping the previous day's
rows. Any failure makes the command exit non-zero (dbt's code of the first
step that failed).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from retention.engine_marts import AFTER_FIT_SELECTORS

log = logging.getLogger(__name__)

FIT_MODEL = "model.retention.int_clv_step_fit"
# the relations the fit reads (fit_step.fit_relations)
FIT_INPUTS = ("model.retention.int_clv_keys", "model.retention.int_clv_settings")
# node statuses after which one dbt build skips what depends on the node
BLOCKING_STATUSES = frozenset({"error", "fail", "skipped", "runtime error"})
# dbt's exit codes: 0 ok, 1 a node failed, 2 dbt itself failed (bad flags, parse)
DBT_FAILED, DBT_ERROR = 1, 2


@dataclass
class Step:
    name: str
    seconds: float
    returncode: int
    # the nodes a dbt build ran, as in run_results.json (unique_id, status,
    # execution_time): each build of this command overwrites run_results.json
    nodes: list[dict[str, Any]] = field(default_factory=list)


def dbt_args(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """(the flags of ``dbt parse``, the extra flags of ``dbt build``) from this
    command's options."""
    parse: list[str] = []
    for flag, value in (
        ("--project-dir", args.project_dir),
        ("--profiles-dir", args.profiles_dir),
        ("--target", args.target),
        ("--target-path", args.target_path),
        ("--log-path", args.log_path),
        ("--vars", args.vars),
    ):
        if value is not None:
            parse += [flag, str(value)]
    build: list[str] = []
    if args.full_refresh:
        build.append("--full-refresh")
    if args.threads is not None:
        build += ["--threads", str(args.threads)]
    for resource_type in args.exclude_resource_type or ():
        build += ["--exclude-resource-type", resource_type]
    return parse, build


def _returncode(result: Any) -> int:
    if result.success:
        return 0
    return DBT_ERROR if result.exception is not None else DBT_FAILED


def _node_results(result: Any) -> list[dict[str, Any]]:
    """The nodes of a dbt build's result (none when dbt failed before running any)."""
    return [
        {
            "unique_id": r.node.unique_id,
            "status": str(r.status),
            "execution_time": round(float(r.execution_time or 0.0), 3),
        }
        for r in getattr(getattr(result, "result", None), "results", None) or ()
    ]


def blocked_selectors(results: list[dict[str, Any]], nodes: dict[str, Any]) -> list[str]:
    """dbt selectors (``fqn:<node's fqn>+``) of what the build after the fit
    leaves out: each node of ``results`` (a build's nodes, as in
    ``Step.nodes``) that failed or was skipped, and everything downstream of
    it, as one ``dbt build`` skips it. A failed data or unit test stands for
    the model or source it tests (dbt build skips what is downstream of it,
    and for a unit test the model itself). ``nodes``: the manifest's nodes
    and sources by unique_id."""
    selectors: set[str] = set()
    for result in results:
        node = nodes.get(result["unique_id"])
        if node is None or result["status"] not in BLOCKING_STATUSES:
            continue
        if node.resource_type in ("test", "unit_test"):
            tested = [uid for uid in node.depends_on.nodes if uid.startswith(("model.", "source."))]
        else:
            tested = [result["unique_id"]]
        for uid in (uid for uid in tested if uid in nodes):
            if uid.startswith("source."):
                selectors.add(f"source:{nodes[uid].source_name}.{nodes[uid].name}+")
            else:
                selectors.add("fqn:" + ".".join(nodes[uid].fqn) + "+")
    return sorted(selectors)


def _timed(name: str, steps: list[Step], action: Any) -> Any:
    start = time.monotonic()
    result, code = action()
    nodes = _node_results(result) if name.startswith("dbt build") else []
    steps.append(Step(name, round(time.monotonic() - start, 2), code, nodes))
    log.info("%s: exit %d, %.1f s", name, code, steps[-1].seconds)
    return result


def _fit(manifest: Any, project: Path) -> tuple[dict[str, Any] | None, int]:
    """The fit of ``retention clv-fit`` on the relations of the parsed manifest."""
    from retention.clv.fit_step import fit_relations, model_relation

    nodes = {
        uid: {"schema": node.schema, "alias": node.alias}
        for uid, node in manifest.nodes.items()
        if uid.startswith("model.retention.int_clv_")
    }
    engine = manifest.metadata.adapter_type
    try:
        summary = fit_relations(
            engine,
            model_relation({"nodes": nodes}, "int_clv_keys"),
            model_relation({"nodes": nodes}, "int_clv_settings"),
            project,
        )
    except Exception as error:  # noqa: BLE001 - any failure: the build after the fit still runs
        log.error("clv fit on %s failed: %s: %s", engine, type(error).__name__, error)
        return None, DBT_ERROR
    log.info(
        "clv fit on %s: %d customers in %d keys; fit_status %s",
        engine,
        summary["customers"],
        summary["keys"],
        summary["statuses"],
    )
    return summary, 0


def build(args: argparse.Namespace) -> list[Step]:
    """Parse, build, fit, build after the fit: each step's time and exit code."""
    from dbt.cli.main import dbtRunner

    parse_args, build_args = dbt_args(args)
    steps: list[Step] = []

    def parse() -> tuple[Any, int]:
        result = dbtRunner().invoke(["parse", *parse_args])
        if result.exception is not None:
            log.error("dbt parse failed: %s", result.exception)
        return result.result, _returncode(result)

    manifest = _timed("dbt parse", steps, parse)
    if steps[-1].returncode != 0:
        return steps
    runner = dbtRunner(manifest=manifest)
    with_fit = FIT_MODEL in manifest.nodes

    def dbt_build(*selection: str) -> Any:
        def action() -> tuple[Any, int]:
            result = runner.invoke(["build", *parse_args, *build_args, *selection])
            if result.exception is not None:
                log.error("dbt build failed: %s", result.exception)
            return result, _returncode(result)

        return action

    if not with_fit:
        _timed("dbt build", steps, dbt_build())
        return steps
    _timed("dbt build", steps, dbt_build("--exclude", *AFTER_FIT_SELECTORS))
    first = steps[-1]
    blocked: list[str] = []
    if first.returncode == DBT_ERROR:
        return steps
    if first.returncode != 0:
        built = {n["unique_id"] for n in first.nodes if n["status"] == "success"}
        missing = [uid.split(".")[-1] for uid in FIT_INPUTS if uid not in built]
        if missing:
            log.error("the fit's inputs did not build (%s): no fit, no build after it", missing)
            return steps
        blocked = blocked_selectors(first.nodes, {**manifest.nodes, **manifest.sources})
        log.warning(
            "dbt build: some nodes failed; the fit runs, and the build after it "
            "leaves out what depends on them: %s",
            " ".join(blocked),
        )
    project = args.project_dir or Path.cwd()
    _timed("clv fit", steps, lambda: _fit(manifest, project))
    after = ("--select", *AFTER_FIT_SELECTORS) + (("--exclude", *blocked) if blocked else ())
    _timed("dbt build after the fit", steps, dbt_build(*after))
    return steps


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--full-refresh", action="store_true", help="dbt's --full-refresh")
    parser.add_argument("--vars", help="dbt's --vars (YAML or JSON)")
    parser.add_argument("--target", help="dbt's --target (default: the profile's)")
    parser.add_argument(
        "--project-dir",
        type=Path,
        help="the dbt project: this one, or a project with retention in dbt_packages/"
        " (default: here)",
    )
    parser.add_argument("--profiles-dir", type=Path, help="dbt's --profiles-dir")
    parser.add_argument("--target-path", type=Path, help="dbt's --target-path")
    parser.add_argument("--log-path", type=Path, help="dbt's --log-path")
    parser.add_argument("--threads", type=int, help="dbt's --threads")
    parser.add_argument(
        "--exclude-resource-type",
        action="append",
        metavar="TYPE",
        help="dbt's --exclude-resource-type (repeatable), e.g. unit_test in a daily run",
    )
    parser.add_argument(
        "--timings",
        type=Path,
        help="write each step's seconds, exit code and dbt nodes here (JSON)",
    )


def run(args: argparse.Namespace) -> int:
    steps = build(args)
    if args.timings is not None:
        args.timings.write_text(json.dumps([asdict(s) for s in steps], indent=2) + "\n")
    failed = [s for s in steps if s.returncode != 0]
    if failed:
        log.error("retention build: %s exited %d", failed[0].name, failed[0].returncode)
        return failed[0].returncode
    log.info("retention build: %s", ", ".join(f"{s.name} {s.seconds:.1f} s" for s in steps))
    return 0
