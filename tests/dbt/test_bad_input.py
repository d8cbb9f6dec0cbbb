"""Bad input never breaks a build or a number (docs/bad_input.md).

Four full ``dbt build`` runs on the same clean shop (the generator with its
dirty rows turned off, tests/support/bad_input.py), all with the same fixed
as_of_date:

- ``clean``: the clean tables;
- ``bad``: the clean tables plus every kind of the catalogue (extra rows, and
  in-place variants for the normalization kinds; one injector per slug of
  retention.demo.dirty.CATALOGUE), plus an unexpected extra column in every raw
  table (ALTER TABLE ... ADD COLUMN);
- ``no_events``: the clean tables with raw.events empty;
- ``text``: the ``bad`` tables with every raw column as text (a CSV load:
  ISO timestamps, plain decimals), plus the text-only kinds of
  TEXT_INJECTORS ('12,50', 'n/a', '2024-13-01', '  12.50 ').

Checks: every build passes; every mart of ``bad`` and of ``text`` equals the one of ``clean``
row by row; every injected row lands where the catalogue says (disposition,
quarantine reason, and for the "kept out of metrics" kinds a query proving it
is not counted); raw = staged + quarantined + duplicates for every source,
counted here in Python, and the clean build has no quarantined or duplicate
row at all (so every one in ``bad`` comes from an injection). An all-empty raw
schema is covered by test_empty_raw_tables.py.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from support.bad_input import (
    EXTRA_COLUMN,
    INJECTORS,
    TEXT_INJECTORS,
    WITHOUT_INJECTOR,
    Landing,
    clean_raw,
    describe,
    with_bad_input,
)
from support.dbt import dbt_output_tail, run_dbt, run_dbt_build

from retention.demo.dirty import CATALOGUE
from retention.raw.load import load_frames
from retention.reference.compare import compare_frames

SOURCES = ("customers", "orders", "events", "marketing_spend", "experiment_assignments")
# Counters of experiment_health that some bad kinds exist to move (a customer in two
# variants, a row after as_of_date): compared apart from the marts, through the
# landings' check_sql of those kinds.
BAD_INPUT_COUNTERS = {
    "experiment_health": ["customers_in_several_variants", "rows_after_as_of_date"]
}
# The builds with injected rows, and the builds whose marts must equal the clean one.
DIRTY = ("bad", "text")


class Built:
    """One loaded and built DuckDB file."""

    def __init__(self, path: Path, code: int, output: str, landings: list[Landing]) -> None:
        self.path = path
        self.code = code
        self.output = output
        self.landings = landings

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.path), read_only=True) as connection:
            return connection.execute(sql).fetchall()

    def frame(self, sql: str) -> pd.DataFrame:
        with duckdb.connect(str(self.path), read_only=True) as connection:
            return connection.execute(sql).df()

    def marts(self) -> list[str]:
        rows = self.query(
            "select table_name from information_schema.tables where table_schema = 'marts'"
            " order by 1"
        )
        return [r[0] for r in rows]


def _loadable(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Decimal columns as text (DuckDB infers one decimal width from a column of
    Python Decimals); the loader casts them to decimal(18,2) exactly."""
    out = {}
    for table, frame in frames.items():
        frame = frame.copy()
        for column in frame.columns:
            if column.endswith("_amount"):
                frame[column] = frame[column].map(lambda v: None if pd.isna(v) else str(v))
        out[table] = frame
    return out


def _load_as_text(frames: dict[str, pd.DataFrame], path: Path) -> None:
    """Every raw column as varchar, as a CSV load without type inference gives them."""
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema raw")
        for table, frame in frames.items():
            connection.register("frame", frame)
            columns = ", ".join(f"cast({c} as varchar) as {c}" for c in frame.columns)
            connection.execute(f"create table raw.{table} as select {columns} from frame")
            connection.unregister("frame")


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Built]:
    clean, as_of_date = clean_raw(tmp_path_factory.mktemp("clean_parquet"))
    bad, landings = with_bad_input(clean, as_of_date)
    text, text_landings = with_bad_input(clean, as_of_date, as_text=True)
    no_events = {**clean, "events": clean["events"].iloc[0:0]}
    vars_ = {"as_of_date": as_of_date}
    out: dict[str, Built] = {}
    kinds = {"bad": landings, "text": text_landings}
    for name, frames in (("clean", clean), ("bad", bad), ("no_events", no_events), ("text", text)):
        work = tmp_path_factory.mktemp(f"bad_input_{name}")
        path = work / "warehouse.duckdb"
        if name == "text":
            _load_as_text(frames, path)
        else:
            load_frames(_loadable(frames), path)
        if name == "bad":
            with duckdb.connect(str(path)) as connection:
                for table in SOURCES:
                    connection.execute(
                        f"alter table raw.{table} add column {EXTRA_COLUMN} varchar"
                        " default 'batch-2026-07-01'"
                    )
        code, output = run_dbt_build(path, vars_, work)
        out[name] = Built(path, code, output, kinds.get(name, []))
    return out


def test_builds_pass(builds: dict[str, Built]) -> None:
    for name, built in builds.items():
        assert built.code == 0, f"{name}: {dbt_output_tail(built.output)}"


def test_extra_column_is_really_there(builds: dict[str, Built]) -> None:
    for table in SOURCES:
        columns = [
            r[0]
            for r in builds["bad"].query(
                "select column_name from information_schema.columns"
                f" where table_schema = 'raw' and table_name = '{table}'"
            )
        ]
        assert EXTRA_COLUMN in columns, table


def test_text_build_reads_text_typed_raw_columns(builds: dict[str, Built]) -> None:
    types = builds["text"].query(
        "select distinct data_type from information_schema.columns where table_schema = 'raw'"
    )
    assert types == [("VARCHAR",)]


def test_text_build_reruns_incrementally_without_change(
    builds: dict[str, Built], tmp_path: Path
) -> None:
    """A daily (incremental) run of the incremental staging models on the text-typed raw
    tables: the window filter parses the raw version time (a text column never raises)
    and, with no new rows, nothing changes."""
    copy = tmp_path / "text.duckdb"
    copy.write_bytes(builds["text"].path.read_bytes())
    rerun = Built(copy, 0, "", [])
    models = ("stg_orders__triaged", "stg_events__triaged")
    before = {model: rerun.frame(f"select * from staging.{model}") for model in models}
    code, output = run_dbt("run", copy, {}, tmp_path, ("--select", *models))
    assert code == 0, dbt_output_tail(output)
    target = tmp_path / "target"
    for model in models:
        path = Path("retention", "models", "staging", f"{model}.sql")
        executed, compiled = (target / kind / path for kind in ("run", "compiled"))
        assert "delete from" in executed.read_text(), f"{model}: not an incremental run"
        assert "try_cast" in compiled.read_text(), f"{model}: raw columns not parsed as text"
        problems = compare_frames(
            before[model],
            rerun.frame(f"select * from staging.{model}"),
            labels=("full", "incremental"),
            same_types=True,
        )
        assert not problems, f"{model}: " + "\n".join(problems)


# --------------------------------------------------------------------------
# Reconciliation and landings
# --------------------------------------------------------------------------


def _books(built: Built) -> dict[str, dict[str, int]]:
    books: dict[str, dict[str, int]] = {}
    for table in SOURCES:
        raw = built.query(f"select count(*) from raw.{table}")[0][0]
        staged = built.query(f"select count(*) from staging.stg_{table}")[0][0]
        quarantined = built.query(f"select count(*) from staging.stg_{table}__quarantine")[0][0]
        duplicates = built.query(
            f"select count(*) from staging.stg_{table}__triaged where disposition = 'duplicate'"
        )[0][0]
        books[table] = {
            "raw": raw,
            "staged": staged,
            "quarantined": quarantined,
            "duplicate": duplicates,
        }
    return books


def test_clean_build_has_nothing_to_quarantine_or_dedupe(builds: dict[str, Built]) -> None:
    for table, book in _books(builds["clean"]).items():
        assert book["quarantined"] == 0 and book["duplicate"] == 0, (table, book)
        assert book["raw"] == book["staged"] > 0, (table, book)


@pytest.mark.parametrize("name", DIRTY)
def test_reconciliation_holds_for_every_source(builds: dict[str, Built], name: str) -> None:
    clean_books = _books(builds["clean"])
    expected: dict[str, Counter[str]] = {t: Counter() for t in SOURCES}
    for landing in builds[name].landings:
        for disposition, _ in landing.expected:
            expected[landing.table][disposition] += 1
    for table, book in _books(builds[name]).items():
        assert book["raw"] == book["staged"] + book["quarantined"] + book["duplicate"], (
            table,
            book,
        )
        # Every quarantined and duplicate row is an injected one, and no row is lost.
        assert book["quarantined"] == expected[table]["quarantined"], (table, book)
        assert book["duplicate"] == expected[table]["duplicate"], (table, book)
        added_staged = expected[table]["staged"]
        in_place_or_orphan = book["staged"] - clean_books[table]["staged"]
        assert in_place_or_orphan <= added_staged, (table, book, clean_books[table])


def test_catalogue_has_every_kind_of_the_issue(builds: dict[str, Built]) -> None:
    kinds = [landing.kind for landing in builds["bad"].landings]
    required = {
        "blank_order_id",
        "blank_customer_id",
        "blank_event_id",
        "order_repeated_with_other_payload",
        "order_repeated_identically",
        "negative_order_amount",
        "refund_above_order_amount",
        "unknown_status",
        "oddly_cased_status",
        "order_after_as_of_date",
        "absurd_ordered_at",
        "orphan_order",
        "customer_repeated_with_changed_channel",
        "anonymous_event",
        "duplicate_event_id",
        "malformed_properties_json",
        "nps_score_out_of_range",
        "anonymous_nps_response",
        "nps_response_after_as_of_date",
        "negative_or_incomplete_spend",
    }
    assert required <= set(kinds), required - set(kinds)
    # one landing per injected kind; every catalogue kind is injected or covered otherwise
    assert sorted(kinds) == sorted(INJECTORS)
    text_kinds = [landing.kind for landing in builds["text"].landings]
    assert sorted(text_kinds) == sorted({**INJECTORS, **TEXT_INJECTORS})
    assert set(text_kinds) | set(WITHOUT_INJECTOR) == set(CATALOGUE)
    assert len(kinds) + 2 >= 15  # + empty raw table + extra column


@pytest.mark.parametrize("name", DIRTY)
def test_every_bad_row_lands_where_the_catalogue_says(builds: dict[str, Built], name: str) -> None:
    bad = builds[name]
    problems: list[str] = []
    for landing in bad.landings:
        got = tuple(tuple(row) for row in bad.query(landing.landing_sql()))
        if got != landing.expected:
            problems.append(f"{landing.kind}: expected {landing.expected}, got {got}")
        if landing.check_sql is not None:
            result = bad.query(landing.check_sql)
            if result != [(True,)]:
                problems.append(f"{landing.kind}: check failed ({result}): {landing.check_sql}")
    assert not problems, "\n".join(problems) + "\n\ncatalogue:\n" + describe(bad.landings)


# --------------------------------------------------------------------------
# Marts
# --------------------------------------------------------------------------


def compare_marts(left: Built, right: Built, mart: str, right_label: str = "bad") -> list[str]:
    """Row-by-row differences of one mart (retention/reference/compare.py; rows
    matched by sorting, since both sides must be identical tables)."""
    counters = BAD_INPUT_COUNTERS.get(mart, []) if right_label in DIRTY else []
    problems = compare_frames(
        left.frame(f"select * from marts.{mart}").drop(columns=counters),
        right.frame(f"select * from marts.{mart}").drop(columns=counters),
        labels=("clean", right_label),
        same_types=True,
    )
    return [f"{mart}: {p}" for p in problems]


def test_compare_marts_catches_a_difference(builds: dict[str, Built], tmp_path: Path) -> None:
    """The comparison can fail: change one number in a copy and it is reported."""
    copy = tmp_path / "changed.duckdb"
    copy.write_bytes(builds["clean"].path.read_bytes())
    with duckdb.connect(str(copy)) as connection:
        connection.execute(
            "update marts.customers set net_revenue = net_revenue + 0.01"
            " where customer_id = (select min(customer_id) from marts.customers)"
        )
    changed = Built(copy, 0, "", [])
    assert compare_marts(builds["clean"], changed, "customers")
    assert not compare_marts(builds["clean"], builds["clean"], "customers")


@pytest.mark.parametrize("name", DIRTY)
def test_bad_input_leaves_every_mart_unchanged(builds: dict[str, Built], name: str) -> None:
    clean, bad = builds["clean"], builds[name]
    marts = clean.marts()
    assert bad.marts() == marts
    assert len(marts) >= 11, marts
    problems = [p for mart in marts for p in compare_marts(clean, bad, mart, name)]
    assert not problems, "\n".join(problems)


def test_marts_are_not_trivially_empty(builds: dict[str, Built]) -> None:
    for mart in builds["clean"].marts():
        assert builds["clean"].query(f"select count(*) from marts.{mart}")[0][0] > 0, mart


# Marts made of events: product retention, NPS and activation drivers.
EVENT_MARTS = {"activity_retention", "nps", "nps_retention", "activation_drivers"}
NPS_COLUMNS_OF_CUSTOMERS = ("latest_nps_score", "latest_nps_class")


def test_empty_events_table_changes_only_product_usage(builds: dict[str, Built]) -> None:
    """raw.events empty: the build passes, purchase marts are unchanged, day-N
    product retention keeps its cohorts but has no retained or activated customer,
    the NPS marts are empty, no customer has an NPS score (and the
    scorecard's nps row has no value), activation_drivers keeps only its
    first_purchase row, unchanged (it is made of signups and purchases), and
    experiment_results changes in its activation rows only (activation 0 for
    everyone)."""
    clean, empty = builds["clean"], builds["no_events"]
    assert empty.query("select count(*) from raw.events") == [(0,)]
    problems = [
        p
        for mart in clean.marts()
        if mart not in EVENT_MARTS | {"customers", "retention_scorecard", "experiment_results"}
        for p in compare_marts(clean, empty, mart)
    ]
    # the scorecard without its nps row (the NPS of the latest month)
    scorecard = "select * from marts.retention_scorecard where kpi <> 'nps' order by kpi"
    problems += compare_frames(
        clean.frame(scorecard),
        empty.frame(scorecard),
        labels=("clean", "no_events"),
        same_types=True,
    )
    # experiment_results without its activation rows
    not_activation = "select * from marts.experiment_results where metric != 'activation'"
    problems += compare_frames(
        clean.frame(not_activation), empty.frame(not_activation), labels=("clean", "no_events")
    )
    assert empty.query(
        "select count(*) > 0 and max(value) = 0 from marts.experiment_results"
        " where metric = 'activation' and eligible_customers > 0"
    ) == [(True,)]
    assert clean.query(
        "select max(value) > 0 from marts.experiment_results where metric = 'activation'"
    ) == [(True,)]
    # customers without its NPS columns
    columns = [
        c
        for c in clean.frame("select * from marts.customers limit 0").columns
        if c not in NPS_COLUMNS_OF_CUSTOMERS
    ]
    problems += compare_frames(
        clean.frame(f"select {', '.join(columns)} from marts.customers"),
        empty.frame(f"select {', '.join(columns)} from marts.customers"),
        labels=("clean", "no_events"),
        same_types=True,
    )
    assert not problems, "\n".join(problems)
    assert empty.query("select count(*) from marts.nps") == [(0,)]
    assert empty.query("select count(*) from marts.nps_retention") == [(0,)]
    assert empty.query("select count(latest_nps_score) from marts.customers") == [(0,)]
    assert clean.query("select count(latest_nps_score) from marts.customers")[0][0] > 0
    nps_row = "select value is null, status from marts.retention_scorecard where kpi = 'nps'"
    assert empty.query(nps_row) == [(True, "no_data")]
    assert clean.query(nps_row) == [(False, "no_benchmark")]
    columns = "signup_week, day_n, cohort_size, eligible_customers"
    before = clean.query(f"select {columns} from marts.activity_retention order by 1, 2")
    after = empty.query(f"select {columns} from marts.activity_retention order by 1, 2")
    assert after == before and len(before) > 0
    assert empty.query(
        "select sum(retained_on) + sum(retained_on_or_after) + sum(activated_customers)"
        " from marts.activity_retention"
    ) == [(0,)]
    assert clean.query("select sum(retained_on) from marts.activity_retention")[0][0] > 0
    first_purchase = "select * from marts.activation_drivers where event_name = 'first_purchase'"
    assert empty.query("select event_name from marts.activation_drivers") == [("first_purchase",)]
    problems = compare_frames(
        clean.frame(first_purchase),
        empty.frame(first_purchase),
        labels=("clean", "no_events"),
        same_types=True,
    )
    assert not problems and clean.query(f"{first_purchase} and did_customers > 0"), problems
    assert clean.query("select count(*) from marts.activation_drivers")[0][0] > 1
