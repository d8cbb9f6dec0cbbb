"""The pandas reference (retention/reference/) imports nothing else of
``retention``: that is what makes "the marts equal the reference" an
independent check. Read from the source (every import statement of every
module), and proven able to fail on a planted import."""

from __future__ import annotations

import ast
from pathlib import Path

import retention.reference

PACKAGE = Path(retention.reference.__file__).parent


def foreign_imports(source: str) -> list[str]:
    """The modules of ``retention`` outside ``retention.reference`` that ``source`` imports."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: stays inside the package (no parent levels here)
                names = [] if node.level == 1 else ["retention.<parent>"]
            else:
                names = [node.module or ""]
        else:
            continue
        found += [
            name
            for name in names
            if (name == "retention" or name.startswith("retention."))
            and not (name == "retention.reference" or name.startswith("retention.reference."))
        ]
    return found


def test_reference_imports_nothing_else_of_retention() -> None:
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) >= 2
    problems = {
        str(path.relative_to(PACKAGE)): foreign_imports(path.read_text()) for path in modules
    }
    assert not {k: v for k, v in problems.items() if v}


def test_the_check_catches_a_foreign_import() -> None:
    assert foreign_imports("from retention.demo import shop\n") == ["retention.demo"]
    assert foreign_imports("import retention.contract as c\n") == ["retention.contract"]
    assert foreign_imports("from retention import RetentionError\n") == ["retention"]
    assert foreign_imports("def f():\n    from .. import paths\n") == ["retention.<parent>"]
    assert foreign_imports("from retention.reference.compare import canonical\n") == []
    assert foreign_imports("from .staging import stage_all\n") == []
