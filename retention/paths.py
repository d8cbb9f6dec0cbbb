"""Where the dbt project is, for the commands that run dbt or read its files.

The dbt project is the folder that holds ``dbt_project.yml`` with
``name: retention``: ``$RETENTION_PROJECT_DIR`` when set, else the folder the
package is installed from (``pip install -e .`` in a clone: the clone), else
the working folder or one of its parents. A caller may always pass its own.
"""

from __future__ import annotations

import os
from pathlib import Path

from retention import RetentionError

ENV_PROJECT_DIR = "RETENTION_PROJECT_DIR"
_MARKER = "dbt_project.yml"


def _is_project(folder: Path) -> bool:
    marker = folder / _MARKER
    if not marker.is_file():
        return False
    return any(
        line.split(":", 1)[1].strip().strip("'\"") == "retention"
        for line in marker.read_text().splitlines()
        if line.startswith("name:")
    )


def project_dir(explicit: str | Path | None = None) -> Path:
    """The dbt project folder (see the module docstring); RetentionError if none."""
    if explicit is not None:
        folder = Path(explicit).resolve()
        if not _is_project(folder):
            raise RetentionError(f"{folder}: no dbt_project.yml of the retention project")
        return folder
    from_env = os.environ.get(ENV_PROJECT_DIR)
    if from_env:
        return project_dir(from_env)
    installed = Path(__file__).resolve().parent.parent
    candidates = [installed, Path.cwd(), *Path.cwd().parents]
    for folder in candidates:
        if _is_project(folder):
            return folder
    raise RetentionError(
        "cannot find the retention dbt project: run from its folder or set "
        f"{ENV_PROJECT_DIR} to it"
    )


def seed_path(name: str, project: str | Path | None = None) -> Path:
    """``seeds/<name>`` of the dbt project (e.g. ``kpi_benchmarks.csv``)."""
    return project_dir(project) / "seeds" / name
