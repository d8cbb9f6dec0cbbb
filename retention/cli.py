"""The ``python -m retention`` command line: one parser, one subcommand per module.

To add a subcommand, write a module with ``HELP: str``,
``add_arguments(parser) -> None`` and ``run(args) -> int`` and list it in
``SUBCOMMANDS``. Modules are imported only when needed.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from types import ModuleType

from retention import RetentionError

SUBCOMMANDS: dict[str, str] = {
    "generate": "retention.demo.generate",
    "load": "retention.raw.load",
    "load-cdnow": "retention.raw.cdnow",
    "report": "retention.clv.report",
    "dashboard": "retention.serve.dashboard",
    "publish": "retention.serve.publish",
    "bench": "retention.bench.runner",
}

log = logging.getLogger("retention")


def _module(name: str) -> ModuleType:
    return importlib.import_module(SUBCOMMANDS[name])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m retention", description="Retention analytics helpers."
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more logging (-v debug)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMANDS:
        module = _module(name)
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(run=module.run)
    return parser


def _configure_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _configure_logging(args.verbose, args.quiet)
    try:
        return int(args.run(args))
    except (RetentionError, ValueError, OSError) as error:
        log.error("%s: %s", args.command, error)
        return 2
    except KeyboardInterrupt:
        log.error("%s: interrupted", args.command)
        return 130
