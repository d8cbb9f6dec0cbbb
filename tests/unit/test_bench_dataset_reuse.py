"""The bench reuses generated Parquet only when it is what today's generator would write."""

from __future__ import annotations

import json
from pathlib import Path

from retention.bench.runner import _manifest_matches, dataset_for

ROWS = {
    "customers": 10,
    "orders": 20,
    "events": 30,
    "marketing_spend": 4,
    "experiment_assignments": 5,
}


def _write_manifest(tmp_path: Path, rows: dict[str, int]) -> Path:
    dataset = dataset_for("smoke", 42, tmp_path)
    dataset.raw.mkdir(parents=True)
    manifest = {
        "customers": dataset.customers,
        "seed": 42,
        "order_intensity": dataset.order_intensity,
        "event_intensity": dataset.event_intensity,
        "rows": rows,
    }
    (dataset.raw / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path


def test_a_dataset_of_todays_generator_is_reused(tmp_path: Path) -> None:
    data_dir = _write_manifest(tmp_path, ROWS)
    assert _manifest_matches(dataset_for("smoke", 42, data_dir))
    assert not _manifest_matches(dataset_for("smoke", 7, data_dir))


def test_a_dataset_without_a_raw_table_of_the_contract_is_generated_again(
    tmp_path: Path,
) -> None:
    """Parquet written before experiment_assignments existed: its next day would lack
    the table, so the bench must not reuse it."""
    older = {k: v for k, v in ROWS.items() if k != "experiment_assignments"}
    data_dir = _write_manifest(tmp_path, older)
    assert not _manifest_matches(dataset_for("smoke", 42, data_dir))
