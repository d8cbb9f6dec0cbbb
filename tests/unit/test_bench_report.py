"""The bench report's model-group shares (retention/bench/report.py)."""

from __future__ import annotations

import pytest

from retention.bench.report import group_share


def _node(name: str, seconds: float, kind: str = "model") -> dict:
    return {"name": name, "seconds": seconds, "resource_type": kind}


def test_group_share_counts_only_the_named_models() -> None:
    build = {
        "wall_seconds": 20.0,
        "nodes": [
            _node("int_customer_segments", 1.5),
            _node("churn_by_segment", 2.5),
            _node("customers", 6.0),
            _node("is_unique_x", 9.0, "test"),
        ],
    }
    share = group_share(build, ("int_customer_segments", "churn_by_segment", "absent"))
    assert share["seconds"] == 4.0
    assert share["share_of_models"] == pytest.approx(4.0 / 10.0)
    assert share["share_of_wall"] == pytest.approx(4.0 / 20.0)


def test_group_share_of_a_build_without_nodes_is_zero() -> None:
    assert group_share({"wall_seconds": 0, "nodes": []}, ("a",)) == {
        "seconds": 0,
        "share_of_models": 0.0,
        "share_of_wall": 0.0,
    }
