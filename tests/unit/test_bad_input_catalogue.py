"""One vocabulary for bad input: the slugs of docs/bad_input.md's table, of
retention.demo.dirty.CATALOGUE, of the bad-input test's injectors
(tests/support/bad_input.py) and of the generator's dirty-row counters agree.

No dbt: the docs table is parsed from the Markdown file, the injectors run on a
small clean shop.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest
from support.bad_input import (
    INJECTORS,
    TEXT_INJECTORS,
    WITHOUT_INJECTOR,
    clean_raw,
    with_bad_input,
)

from retention.demo.dirty import CATALOGUE, KINDS, kind_of
from retention.demo.generate import generate
from retention.paths import project_dir

DOCS = project_dir() / "docs" / "bad_input.md"
# Every injector: the typed ones (bad build) and the text-only ones (text build).
ALL_INJECTORS = {**INJECTORS, **TEXT_INJECTORS}
HEADER = ("slug", "kind", "raw table", "behaviour", "lands in")


def docs_table(text: str) -> dict[str, tuple[str, str]]:
    """The catalogue table of docs/bad_input.md: slug -> (raw table, behaviour), in order."""
    lines = text.splitlines()
    header = [i for i, line in enumerate(lines) if _cells(line) == list(HEADER)]
    assert len(header) == 1, f"no single table with the header {HEADER}"
    table: dict[str, tuple[str, str]] = {}
    for line in lines[header[0] + 2 :]:
        if not line.startswith("|"):
            break
        cells = _cells(line)
        assert len(cells) == len(HEADER), line
        slug = cells[0].strip("`")
        assert slug not in table, f"slug {slug} twice"
        table[slug] = (cells[2], cells[3])
    return table


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def catalogue_problems(
    docs: Mapping[str, tuple[str, str]],
    catalogue: Mapping[str, tuple[str, str]],
    injectors: Iterable[str],
    without_injector: Iterable[str],
    counters: Mapping[str, Iterable[str]],
) -> list[str]:
    """Everything on which the docs table, the catalogue, the injectors and the
    generator's counter keys (table -> keys) disagree."""
    injectors, without_injector = set(injectors), set(without_injector)
    problems = []
    if list(docs) != list(catalogue):
        problems.append(
            f"docs table and CATALOGUE differ: only in docs {sorted(set(docs) - set(catalogue))},"
            f" only in CATALOGUE {sorted(set(catalogue) - set(docs))}"
            + (", or the order differs" if set(docs) == set(catalogue) else "")
        )
    for slug in docs.keys() & catalogue.keys():
        if docs[slug] != catalogue[slug]:
            problems.append(f"{slug}: docs say {docs[slug]}, CATALOGUE {catalogue[slug]}")
    for slug in docs:
        if slug not in injectors and slug not in without_injector:
            problems.append(f"{slug}: in the docs table, but no injector and not WITHOUT_INJECTOR")
    for slug in sorted(injectors - docs.keys()):
        problems.append(f"{slug}: an injector, but not in the docs table")
    for slug in sorted(without_injector - docs.keys()):
        problems.append(f"{slug}: in WITHOUT_INJECTOR, but not in the docs table")
    for slug in sorted(injectors & without_injector):
        problems.append(f"{slug}: has an injector and is in WITHOUT_INJECTOR")
    for table, keys in counters.items():
        for key in keys:
            if kind_of(key) not in catalogue:
                problems.append(f"generator counter {table}.{key}: {kind_of(key)} is no slug")
    return problems


def test_docs_table_parses() -> None:
    docs = docs_table(DOCS.read_text())
    assert len(docs) >= 28, list(docs)
    assert docs["blank_order_id"] == ("orders", "quarantined")
    assert docs["extra_column"][0] == "all five"


def test_docs_catalogue_injectors_and_counters_agree() -> None:
    problems = catalogue_problems(
        docs_table(DOCS.read_text()), CATALOGUE, ALL_INJECTORS, WITHOUT_INJECTOR, KINDS
    )
    assert not problems, "\n".join(problems)


def test_the_check_can_fail() -> None:
    """Planted disagreements are reported (and the real inputs are clean)."""
    docs = docs_table(DOCS.read_text())
    args = (docs, CATALOGUE, ALL_INJECTORS, WITHOUT_INJECTOR, KINDS)
    assert not catalogue_problems(*args)

    missing = {slug: v for slug, v in docs.items() if slug != "blank_event_id"}
    problems = catalogue_problems(missing, *args[1:])
    assert any("blank_event_id" in p and "only in CATALOGUE" in p for p in problems)
    assert any("blank_event_id: an injector, but not in the docs table" in p for p in problems)

    planted = {**docs, "tab_in_order_id": ("orders", "normalized")}
    catalogue = {**CATALOGUE, "tab_in_order_id": ("orders", "normalized")}
    problems = catalogue_problems(planted, catalogue, *args[2:])
    assert problems == [
        "tab_in_order_id: in the docs table, but no injector and not WITHOUT_INJECTOR"
    ]

    changed = {**docs, "blank_order_id": ("orders", "normalized")}
    assert catalogue_problems(changed, *args[1:]) == [
        "blank_order_id: docs say ('orders', 'normalized'), CATALOGUE ('orders', 'quarantined')"
    ]

    reordered = dict(reversed(list(docs.items())))
    assert "the order differs" in catalogue_problems(reordered, *args[1:])[0]

    counters = {**KINDS, "orders": (*KINDS["orders"], "order_id_tab:leading")}
    assert catalogue_problems(*args[:4], counters) == [
        "generator counter orders.order_id_tab:leading: order_id_tab is no slug"
    ]
    assert catalogue_problems(docs, CATALOGUE, ALL_INJECTORS, {"blank_order_id"}, KINDS) != []
    # a text kind without its injector is reported
    assert catalogue_problems(docs, CATALOGUE, INJECTORS, WITHOUT_INJECTOR, KINDS) != []


def test_docs_table_needs_its_header() -> None:
    with pytest.raises(AssertionError, match="no single table"):
        docs_table("| # | kind |\n|---|---|\n| 1 | x |\n")


def test_generator_manifest_counts_under_slugs(tmp_path: Path) -> None:
    """The manifest of a tiny dirty shop counts exactly the KINDS keys, all catalogue slugs."""
    manifest = generate(tmp_path, customers=40, progress=False)
    assert {t: list(counts) for t, counts in manifest["dirty_rows"].items()} == {
        t: list(keys) for t, keys in KINDS.items()
    }
    assert {kind_of(k) for keys in KINDS.values() for k in keys} <= set(CATALOGUE)


def test_every_injector_lands_in_its_catalogue_table(tmp_path: Path) -> None:
    clean, as_of_date = clean_raw(tmp_path, customers=120)
    bad, landings = with_bad_input(clean, as_of_date)
    assert [landing.kind for landing in landings] == list(INJECTORS)
    for landing in landings:
        assert landing.table == CATALOGUE[landing.kind][0], landing.kind
        in_query_order = sorted(landing.expected, key=lambda e: (e[0], e[1] or ""))
        assert landing.expected == tuple(in_query_order), landing.kind
    added = {t: len(bad[t]) - len(clean[t]) for t in clean}
    assert all(n > 0 for n in added.values()), added


def test_text_tables_hold_text_and_every_injector(tmp_path: Path) -> None:
    """The text build's tables: only text or NULL in every column, every injector's
    landing in its catalogue table, and the text-only values really there."""
    clean, as_of_date = clean_raw(tmp_path, customers=120)
    text, landings = with_bad_input(clean, as_of_date, as_text=True)
    assert [landing.kind for landing in landings] == list(ALL_INJECTORS)
    for landing in landings:
        assert landing.table == CATALOGUE[landing.kind][0], landing.kind
    for table, frame in text.items():
        kinds = {type(value) for value in frame.to_numpy().ravel()}
        assert kinds <= {str, type(None)}, (table, kinds)
        assert len(frame) > len(clean[table]), table
    assert {"12,50", "1e3"} <= set(text["orders"]["order_amount"].dropna())
    assert "2024-13-01" in set(text["marketing_spend"]["spend_date"].dropna())
    assert "yesterday" in set(text["orders"]["ordered_at"].dropna())
