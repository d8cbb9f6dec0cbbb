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

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = "retention"
# The folders dbt parses (dbt_project.yml *-paths).
DBT_FOLDERS = ("models", "macros", "data-tests", "analyses", "snapshots", "seeds")
SUFFIXES = {".sql", ".yml", ".yaml", ".py", ".md"}
# The override of ref itself (one-argument refs of the project's nodes stay
# in the package; it defines and calls ref, docs/package.md).
EXEMPT = {"macros/ref.sql"}

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
