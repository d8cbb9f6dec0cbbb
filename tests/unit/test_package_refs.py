"""Package mode is safe by construction: every ``ref`` of the project names
its package (``ref('retention', 'stg_orders')``), so installed in a user's
project it can never resolve to a user's model of the same name (a one-
argument ``ref('customers')`` resolves to the root project's ``customers``
first). The scan covers SQL, Jinja, Python models and YAML (unit-test
inputs, relationships ``to:``, exposures, semantic models) of every folder
dbt reads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = "retention"
# The folders dbt parses (dbt_project.yml *-paths).
DBT_FOLDERS = ("models", "macros", "data-tests", "analyses", "snapshots", "seeds")
SUFFIXES = {".sql", ".yml", ".yaml", ".py", ".md"}
# The override of ref itself (one-argument refs of the project's nodes stay
# in the package; it defines and calls ref, docs/package.md).
EXEMPT = {"macros/ref.sql"}
# Generic tests of dbt core and dbt_utils: a package test of one of these
# names would replace that test for the user's project too (dbt resolves a
# test name to any package's test_<name> macro), so the project's own tests
# never take one (dbt's unique is is_unique in macros/generic_tests/, ...).
CORE_TESTS = {"unique", "not_null", "accepted_values", "relationships"}
DBT_UTILS_TESTS = {
    "accepted_range",
    "at_least_one",
    "cardinality_equality",
    "equal_rowcount",
    "equality",
    "expression_is_true",
    "fewer_rows_than",
    "mutually_exclusive_ranges",
    "not_accepted_values",
    "not_constant",
    "not_empty_string",
    "not_null_proportion",
    "recency",
    "relationships_where",
    "sequential_values",
    "unique_combination_of_columns",
}

# A ref call: `ref(` not preceded by a letter, digit, underscore (so
# `deref(` or `my_ref(` do not count); `dbt.ref(` of Python models counts.
REF_CALL = re.compile(r"(?<![A-Za-z0-9_])ref\s*\(")
QUALIFIED = re.compile(r"""\s*(['"])""" + PACKAGE + r"""\1\s*,""")


def unqualified_refs(root: Path) -> list[str]:
    """``path:line: text`` of every ref call under ``root``'s dbt folders
    whose first argument is not the literal package name followed by a
    second argument."""
    found = []
    for folder in DBT_FOLDERS:
        base = root / folder
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            relative = path.relative_to(root).as_posix()
            if path.suffix not in SUFFIXES or not path.is_file() or relative in EXEMPT:
                continue
            text = path.read_text(encoding="utf-8")
            for match in REF_CALL.finditer(text):
                if QUALIFIED.match(text, match.end()):
                    continue
                line_number = text.count("\n", 0, match.start()) + 1
                line = text.splitlines()[line_number - 1].strip()
                found.append(f"{relative}:{line_number}: {line}")
    return found


def test_every_ref_of_the_project_names_its_package() -> None:
    found = unqualified_refs(REPO)
    assert not found, (
        "one-argument ref() can resolve to a user's model in package mode; "
        f"write ref('{PACKAGE}', '<model>'):\n" + "\n".join(found)
    )


@pytest.mark.parametrize(
    ("relative_path", "text"),
    [
        ("models/marts/x.sql", "select * from {{ ref('stg_orders') }}\n"),
        ("models/marts/y.sql", 'select * from {{ ref( "customers" ) }}\n'),
        ("data-tests/t.sql", "select 1 from {{ ref('stg_' ~ table) }}\n"),
        ("models/intermediate/m.py", 'def model(dbt, session):\n    dbt.ref("x")\n'),
        ("models/marts/_m.yml", "unit_tests:\n  - given:\n      - input: ref('churn')\n"),
        ("models/marts/_n.yml", "    to: ref('customers')\n"),
        ("analyses/a.sql", "select * from {{ ref('other_package', 'churn') }}\n"),
        ("macros/refs.sql", "{% macro m() %}{{ ref('customers') }}{% endmacro %}\n"),
    ],
)
def test_the_scan_finds_a_planted_unqualified_ref(
    tmp_path: Path, relative_path: str, text: str
) -> None:
    good = tmp_path / "models" / "good.sql"
    good.parent.mkdir(parents=True)
    good.write_text("select * from {{ ref('retention', 'stg_orders') }}\n")
    assert unqualified_refs(tmp_path) == []

    planted = tmp_path / relative_path
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.write_text(text)
    found = unqualified_refs(tmp_path)
    assert len(found) == 1 and found[0].startswith(relative_path), found


def generic_tests_used(root: Path) -> set[str]:
    """Names of the generic data tests in the project's YAML (models, seeds,
    sources), namespaces stripped."""
    import yaml

    names: set[str] = set()

    def collect(entries: list[Any] | None) -> None:
        for entry in entries or []:
            name = entry if isinstance(entry, str) else next(iter(entry))
            names.add(name.split(".")[-1])

    for folder in ("models", "seeds"):
        for path in (root / folder).rglob("*.yml"):
            document = yaml.safe_load(path.read_text()) or {}
            for key in ("models", "seeds", "sources"):
                for node in document.get(key) or []:
                    collect(node.get("data_tests"))
                    for table in node.get("tables") or []:
                        collect(table.get("data_tests"))
                        for column in table.get("columns") or []:
                            collect(column.get("data_tests"))
                    for column in node.get("columns") or []:
                        collect(column.get("data_tests"))
    return names


def test_every_generic_test_of_the_project_is_declared_in_the_package() -> None:
    """dbt writes a one-argument ref for the model of a generic test; only the
    tests declared in macros/generic_tests/ (each calls package_ref_scope())
    resolve it inside the package (macros/ref.sql). None of them takes the
    name of a dbt core or dbt_utils test, which it would replace in the
    user's project."""
    declared = {}
    for path in (REPO / "macros" / "generic_tests").glob("*.sql"):
        text = path.read_text()
        for match in re.finditer(r"\{%-?\s*test\s+([a-z_0-9]+)\s*\(", text):
            declared[match.group(1)] = "package_ref_scope()" in text
    used = generic_tests_used(REPO)
    assert {"is_unique", "is_not_null", "is_accepted_value"} <= used
    shadowing = sorted(set(declared) & (CORE_TESTS | DBT_UTILS_TESTS))
    assert not shadowing, f"these replace dbt's or dbt_utils' tests for the user: {shadowing}"
    missing = sorted(used - set(declared))
    assert not missing, f"declare these in macros/generic_tests/: {missing}"
    unscoped = sorted(name for name, scoped in declared.items() if not scoped)
    assert not unscoped, f"call package_ref_scope() in: {unscoped}"
