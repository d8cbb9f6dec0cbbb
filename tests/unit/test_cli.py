"""The command line: one entry point under two names, and each subcommand
imports only what it needs (``retention load`` never loads plotly, scipy or
lifetimes)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from retention.cli import SUBCOMMANDS

HEAVY = ("plotly", "lifetimes", "scipy", "matplotlib")


def _modules_after(argv: list[str]) -> set[str]:
    """The modules imported once ``retention <argv>`` has parsed its arguments."""
    script = (
        "import json, sys\n"
        "from retention.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return set(json.loads(completed.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("argv", [["load", "--help"], ["generate", "--help"], ["--help"]])
def test_light_subcommands_import_no_heavy_library(argv: list[str]) -> None:
    loaded = _modules_after(argv)
    assert not {m.split(".")[0] for m in loaded} & set(HEAVY), sorted(
        m for m in loaded if m.split(".")[0] in HEAVY
    )


def test_the_check_sees_a_heavy_import() -> None:
    """The check above can fail: ``dashboard`` does import plotly."""
    assert "plotly" in {m.split(".")[0] for m in _modules_after(["dashboard", "--help"])}


def test_load_help_imports_no_other_subcommand() -> None:
    loaded = _modules_after(["load", "--help"])
    others = {spec.module for name, spec in SUBCOMMANDS.items() if name != "load"}
    assert not loaded & others, loaded & others


@pytest.mark.parametrize(
    "command", [[sys.executable, "-m", "retention", "--help"], ["retention", "--help"]]
)
def test_help_lists_every_subcommand(command: list[str]) -> None:
    if command[0] == "retention":
        script = Path(sys.executable).with_name("retention")
        assert script.exists() or shutil.which("retention"), (
            "the console script is not installed: make venv (pip install -e .)"
        )
        command = [str(script) if script.exists() else "retention", "--help"]
    completed = subprocess.run(command, capture_output=True, text=True, check=True)
    for name in SUBCOMMANDS:
        assert name in completed.stdout


def test_every_subcommand_has_its_arguments_and_run() -> None:
    import importlib

    for name, spec in SUBCOMMANDS.items():
        module = importlib.import_module(spec.module)
        assert callable(module.add_arguments), name
        assert callable(module.run), name
