"""``python -m retention report`` writes readable PNG plots (CDNOW sample + demo builds)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from support.clv_builds import cdnow_sample_build

from retention.clv import report

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MIN_BYTES = 10_000  # a blank 990 x 605 figure compresses to a few KB


def test_report_writes_the_holdout_and_cohort_pngs(dbt_build, tmp_path: Path) -> None:
    from PIL import Image

    cdnow = cdnow_sample_build()
    if cdnow.returncode != 0:
        pytest.fail(f"dbt build on the CDNOW sample failed:\n{cdnow.tail()}")
    demo = dbt_build("demo", {})
    assert demo.ok, demo.tail()
    out = tmp_path / "reports"
    args = argparse.Namespace(
        cdnow_database=cdnow.database_path, demo_database=demo.database_path, out=out
    )
    assert report.run(args) == 0
    pngs = [report.CUMULATIVE, report.WEEKLY, report.CONDITIONAL, report.DEMO_CLTV]
    for name in pngs:
        path = out / name
        assert path.is_file(), name
        assert path.read_bytes()[:8] == PNG_SIGNATURE, name
        assert path.stat().st_size > MIN_BYTES, (name, path.stat().st_size)
        with Image.open(path) as image:
            width, height = image.size
            colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
        assert width >= 800 and height >= 500, (name, image.size)
        assert colours is not None and len(colours) > 50, name  # not a blank canvas
    table = (out / report.TABLE).read_text()
    assert "| 7+ |" in table and "| total | 2357 |" in table
