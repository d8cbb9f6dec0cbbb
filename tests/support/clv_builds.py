"""dbt builds for the predictive CLV tests, cached for the pytest session.

``cdnow_sample_build()`` loads CDNOW_sample.txt (from the installed lifetimes
package) into a throw-away DuckDB file and runs the full ``dbt build`` with
the CDNOW vars (calibration to 1997-09-30, holdout to 1998-06-30, weeks).
The build is shared by test_clv_models.py and test_report.py.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from retention.raw.cdnow import DBT_VARS as CDNOW_VARS
from retention.raw.cdnow import cdnow_raw, read_cdnow
from support.dbt import dbt_output_tail, run_dbt_build


@dataclass(frozen=True)
class Build:
    database_path: Path
    returncode: int
    output: str

    def tail(self) -> str:
        return dbt_output_tail(self.output)


def _work_dir(name: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=f"retention_{name}_"))
    atexit.register(shutil.rmtree, path, True)
    return path


def build_frames(name: str, frames, vars: dict, extra_args: tuple[str, ...] = ()) -> Build:
    """Load raw ``frames`` into a new DuckDB file and run dbt build on it."""
    from retention.raw.load import load_frames

    work_dir = _work_dir(name)
    database = work_dir / "warehouse.duckdb"
    load_frames(frames, database)
    code, output = run_dbt_build(database, vars, work_dir, extra_args)
    return Build(database, code, output)


@cache
def cdnow_sample_build() -> Build:
    return build_frames("cdnow_sample", cdnow_raw(read_cdnow("sample")), CDNOW_VARS)
