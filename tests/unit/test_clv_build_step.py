"""``retention build``: dbt build, the CLV fit and the rebuild after it in one
process (retention/clv/build_step.py). The sequence itself runs on real
engines in tests/engines/test_engine_equality.py (Postgres' second case and
Spark); here, how it hands dbt its flags and how it fails."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from retention.cli import build_parser, main
from retention.clv.build_step import blocked_selectors, dbt_args
from retention.engine_marts import AFTER_FIT_SELECTORS


def _args(*argv: str):
    return build_parser(["build", *argv]).parse_args(["build", *argv])


def test_dbt_gets_the_flags_by_their_own_names() -> None:
    parse, build = dbt_args(
        _args(
            "--project-dir", "proj", "--profiles-dir", "profiles", "--target", "spark",
            "--target-path", "t", "--log-path", "l", "--vars", '{"as_of_date": "2026-07-01"}',
            "--full-refresh", "--threads", "1",
            "--exclude-resource-type", "unit_test", "--exclude-resource-type", "snapshot",
        )
    )  # fmt: skip
    assert parse == [
        "--project-dir", "proj", "--profiles-dir", "profiles", "--target", "spark",
        "--target-path", "t", "--log-path", "l", "--vars", '{"as_of_date": "2026-07-01"}',
    ]  # fmt: skip
    assert build == [
        "--full-refresh", "--threads", "1",
        "--exclude-resource-type", "unit_test", "--exclude-resource-type", "snapshot",
    ]  # fmt: skip


def test_no_flags_leave_dbt_its_defaults() -> None:
    assert dbt_args(_args()) == ([], [])


def test_the_selection_after_the_fit_is_the_documented_one() -> None:
    """The first build leaves out, and the build after the fit selects, what
    docs/predictive_clv.md tells a user to rebuild after `retention clv-fit`."""
    docs = (Path(__file__).parents[2] / "docs" / "predictive_clv.md").read_text()
    assert "dbt build -s " + " ".join(AFTER_FIT_SELECTORS) in docs


def test_a_project_dbt_cannot_parse_is_a_message_and_exit_2(tmp_path: Path, caplog) -> None:
    timings = tmp_path / "steps.json"
    empty = tmp_path / "no_project"
    empty.mkdir()
    argv = ["build", "--project-dir", str(empty), "--profiles-dir", str(empty)]
    code = main([*argv, "--timings", str(timings)])
    assert code == 2
    assert "dbt parse failed" in caplog.text
    assert "retention build: dbt parse exited 2" in caplog.text
    steps = json.loads(timings.read_text())
    assert [(s["name"], s["returncode"]) for s in steps] == [("dbt parse", 2)]


def _node(resource_type: str, fqn: list[str], depends_on: tuple[str, ...] = ()) -> SimpleNamespace:
    return SimpleNamespace(
        resource_type=resource_type, fqn=fqn, depends_on=SimpleNamespace(nodes=list(depends_on))
    )


def test_the_build_after_the_fit_leaves_out_what_a_failure_blocks() -> None:
    """As one dbt build: a failed or skipped model blocks itself and what is
    downstream of it; a failed data or unit test blocks the model (or the
    source) it tests;
    passing, warning and successful nodes block nothing. The user's
    `customers` and the package's are told apart by their fqn."""
    nodes = {
        "model.shop.customers": _node("model", ["shop", "marts", "customers"]),
        "model.retention.customers": _node(
            "model", ["retention", "marts", "customers", "customers"]
        ),
        "model.retention.churn": _node("model", ["retention", "marts", "churn", "churn"]),
        "model.retention.nps": _node("model", ["retention", "marts", "nps", "nps"]),
        "model.retention.rfm_summary": _node(
            "model", ["retention", "marts", "value", "rfm_summary"]
        ),
        "test.retention.unique_churn": _node(
            "test", ["retention", "unique_churn"], ("model.retention.churn",)
        ),
        "unit_test.retention.nps.scores": _node(
            "unit_test", ["retention", "nps", "scores"], ("model.retention.nps",)
        ),
        "test.retention.not_null_rfm": _node(
            "test", ["retention", "not_null_rfm"], ("model.retention.rfm_summary",)
        ),
    }
    nodes["source.shop.crm.accounts"] = SimpleNamespace(
        resource_type="source", source_name="crm", name="accounts", fqn=["shop", "crm", "accounts"]
    )
    nodes["test.shop.not_null_accounts_id"] = _node(
        "test", ["shop", "not_null_accounts_id"], ("source.shop.crm.accounts",)
    )
    results = [
        {"unique_id": "test.shop.not_null_accounts_id", "status": "fail"},
        {"unique_id": "model.shop.customers", "status": "error"},
        {"unique_id": "model.retention.customers", "status": "success"},
        {"unique_id": "test.retention.unique_churn", "status": "fail"},
        {"unique_id": "unit_test.retention.nps.scores", "status": "fail"},
        {"unique_id": "model.retention.nps", "status": "skipped"},
        {"unique_id": "test.retention.not_null_rfm", "status": "warn"},
        {"unique_id": "model.retention.rfm_summary", "status": "success"},
    ]
    assert blocked_selectors(results, nodes) == [
        "fqn:retention.marts.churn.churn+",
        "fqn:retention.marts.nps.nps+",
        "fqn:shop.marts.customers+",
        "source:crm.accounts+",
    ]
    assert blocked_selectors([r for r in results if r["status"] == "success"], nodes) == []
