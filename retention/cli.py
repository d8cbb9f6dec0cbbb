"""The ``retention`` command line (also ``python -m retention``).

One parser, one subcommand per module. A subcommand module has
``add_arguments(parser) -> None`` and ``run(args) -> int``; it is listed in
``SUBCOMMANDS`` with its one-line help. Only the module of the chosen
subcommand is imported, so ``retention load`` never imports plotly, scipy or
lifetimes (tests/unit/test_cli.py checks it).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from retention import RetentionError


@dataclass(frozen=True)
class Subcommand:
    module: str
    help: str


SUBCOMMANDS: dict[str, Subcommand] = {
    "generate": Subcommand(
        "retention.demo.generate", "write deterministic demo raw tables (Parquet)"
    ),
    "load": Subcommand(
        "retention.raw.load",
        "load raw Parquet tables into the raw schema of DuckDB, Postgres or Spark",
    ),
    "load-cdnow": Subcommand(
        "retention.raw.cdnow",
        "load a CDNOW file shipped with lifetimes into the raw tables (DuckDB)",
    ),
    "report": Subcommand(
        "retention.clv.report",
        "write PNG plots of the CLV models: CDNOW holdout and demo CLTV by cohort",
    ),
    "clv-fit": Subcommand(
        "retention.clv.fit_step",
        "Postgres/Spark: fit the CLV models on int_clv_keys between two dbt runs",
    ),
    "build": Subcommand(
        "retention.clv.build_step",
        "dbt build, and on Postgres/Spark the CLV fit and the rebuild after it, in one process",
    ),
    "dashboard": Subcommand(
        "retention.serve.dashboard", "write the static HTML dashboard from the DuckDB marts"
    ),
    "publish": Subcommand(
        "retention.serve.publish",
        "copy the marts of a successful dbt build into a new DuckDB file and swap it in atomically",
    ),
    "bench": Subcommand(
        "retention.bench.runner",
        "benchmark: generate or reuse data, full + incremental dbt build, pandas/lifetimes peers",
    ),
}

log = logging.getLogger("retention")


def _chosen(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv`` (the first argument not an option)."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The parser; only the subcommand chosen in ``argv`` gets its arguments (and its import)."""
    parser = argparse.ArgumentParser(prog="retention", description="Retention analytics helpers.")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more logging (-v debug)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chosen = _chosen(argv)
    for name, spec in SUBCOMMANDS.items():
        command = sub.add_parser(name, help=spec.help, description=spec.help)
        if name == chosen:
            module = importlib.import_module(spec.module)
            module.add_arguments(command)
            command.set_defaults(run=module.run)
    return parser


def _configure_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(argv).parse_args(argv)
    _configure_logging(args.verbose, args.quiet)
    try:
        return int(args.run(args))
    except (RetentionError, ValueError, OSError) as error:
        log.error("%s: %s", args.command, error)
        return 2
    except KeyboardInterrupt:
        log.error("%s: interrupted", args.command)
        return 130
