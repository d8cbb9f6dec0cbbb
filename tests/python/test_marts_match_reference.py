"""The dbt marts equal the independent pandas reference (retention/reference.py).

For each case below, dbt builds the project on a dataset with some vars (see
conftest.py), the reference computes the same marts from the same raw tables,
and every contract column is compared row by row on the mart's grain:
keys, counts, dates and booleans exactly, money and rates within 1e-9
(absolute; a relative 1e-12 is also accepted so that large sums do not fail on
float rounding alone). NULL must match NULL.

When a test fails, its message names the mart, the columns, example rows with
both values, and the tail of dbt's output if the build failed. A failing dbt
test skips every model after it, so when the full ``dbt build`` fails the
models are also built alone (tests excluded) and the comparisons run on those;
``test_dbt_build_succeeds`` still reports the failed build. The reference
was written from the spec only; a mismatch means one side departs from
CONTRACT.md / METRICS.md / docs/staging_rules.md, not that the reference wins
by default.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd
import pytest

from retention.reference import MICROS_PER_UNIT, compute_marts

ABS_TOLERANCE = 1e-9
REL_TOLERANCE = 1e-12
EXAMPLES_PER_COLUMN = 5


@dataclass(frozen=True)
class Case:
    id: str
    dataset: str
    vars_json: str  # hashable; see .vars

    @property
    def vars(self) -> dict[str, Any]:
        return json.loads(self.vars_json)


def _case(case_id: str, dataset: str, **vars: Any) -> Case:
    return Case(case_id, dataset, json.dumps(vars, sort_keys=True))


# Eight builds in all (each ~10-60 s).
CASES = [
    _case("demo-month", "demo"),
    _case("demo-week", "demo", cohort_grain="week"),
    _case("demo-quarter", "demo", cohort_grain="quarter"),
    _case(
        "demo-month-ny-window30",
        "demo",
        churn_window_days=30,
        reporting_timezone="America/New_York",
    ),
    _case("edge-month", "edge"),
    # An extra purchase status (C19's 'SHIPPED ' order counts) and a later
    # plausibility window: orders dated before 2023-01-01 UTC (C13's first
    # purchase, O-9012 of 1990) become implausible_ordered_at.
    _case(
        "edge-week-shipped-min2023",
        "edge",
        cohort_grain="week",
        purchase_statuses=["completed", "shipped"],
        min_valid_date="2023-01-01",
    ),
    # An explicit as_of_date before the last orders (staged, never counted).
    _case("edge-month-asof", "edge", as_of_date="2025-01-20"),
    # UTC-5 (POSIX sign): C08's 02:00 UTC purchase moves to the previous quarter.
    _case(
        "edge-quarter-utc-minus-5", "edge", cohort_grain="quarter", reporting_timezone="Etc/GMT+5"
    ),
]

# mart -> its grain (CONTRACT.md section 3; customer_cohorts per the lead's brief).
MART_KEYS: dict[str, list[str]] = {
    "customer_cohorts": ["customer_id", "period_number"],
    "cohort_retention": ["cohort_period", "period_number"],
    "cohort_retention_by_channel": ["cohort_period", "acquisition_channel", "period_number"],
    "churn": ["period_start"],
}

SOURCES = ("customers", "orders", "events", "marketing_spend")


# --------------------------------------------------------------------------
# Reading the warehouse
# --------------------------------------------------------------------------


def _find_relation(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> str | None:
    """``schema.table`` as built (exact schema name, else dbt's ``<x>_<schema>``)."""
    rows = connection.execute(
        "select table_schema from information_schema.tables where table_name = ?", [table]
    ).fetchall()
    schemas = [r[0] for r in rows]
    for candidate in [schema] + sorted(s for s in schemas if s.endswith(f"_{schema}")):
        if candidate in schemas:
            return f'"{candidate}"."{table}"'
    return None


def read_relation(build, schema: str, table: str) -> pd.DataFrame:
    """A table of the built warehouse as a DataFrame (decimals stay Decimal)."""
    with duckdb.connect(str(build.database_path), read_only=True) as connection:
        relation = _find_relation(connection, schema, table)
        if relation is None:
            pytest.fail(
                f"{schema}.{table} does not exist after the {build.describe()}"
                f" (exit code {build.returncode}). dbt output tail:\n{build.tail()}"
            )
        return connection.sql(f"select * from {relation}").to_arrow_table().to_pandas()


def count_rows(build, schema: str, table: str, group_by: str | None = None) -> dict[Any, int]:
    with duckdb.connect(str(build.database_path), read_only=True) as connection:
        relation = _find_relation(connection, schema, table)
        if relation is None:
            pytest.fail(
                f"{schema}.{table} does not exist after the {build.describe()}:\n{build.tail()}"
            )
        if group_by is None:
            return {None: connection.execute(f"select count(*) from {relation}").fetchall()[0][0]}
        rows = connection.execute(
            f"select {group_by}, count(*) from {relation} group by 1"
        ).fetchall()
        return {key: int(n) for key, n in rows}


# --------------------------------------------------------------------------
# Comparing frames
# --------------------------------------------------------------------------


def _kind(series: pd.Series) -> str:
    """How a reference column is compared: date, bool, int, float or text."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return "date"
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_integer_dtype(series):
        return "int"
    if pd.api.types.is_float_dtype(series):
        return "float"
    return "text"


def _is_null(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _normalize(value: Any, kind: str) -> Any:
    """One value in a comparable Python form (None for NULL)."""
    if _is_null(value):
        return None
    if kind == "date":
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    if kind == "bool":
        return bool(value)
    if kind == "int":
        number = Decimal(str(value)) if not isinstance(value, Decimal) else value
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "float":
        return float(value)
    return str(value)


def _equal(left: Any, right: Any, kind: str) -> bool:
    if left is None or right is None:
        return left is None and right is None
    if kind == "float":
        return math.isclose(left, right, rel_tol=REL_TOLERANCE, abs_tol=ABS_TOLERANCE)
    return left == right


def compare_frames(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str]) -> list[str]:
    """Differences between the dbt table (actual) and the reference (expected),
    as readable lines; empty when they match on every expected column.
    """
    problems: list[str] = []
    missing = [c for c in expected.columns if c not in actual.columns]
    if missing:
        problems.append(f"columns missing in dbt: {missing} (dbt has {list(actual.columns)})")
    columns = [c for c in expected.columns if c in actual.columns]
    kinds = {c: _kind(expected[c]) for c in columns}

    def normalized(frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {c: [_normalize(v, kinds[c]) for v in frame[c]] for c in columns}, dtype=object
        )

    left, right = normalized(actual), normalized(expected)
    key_columns = [k for k in keys if k in columns]
    if len(key_columns) < len(keys):
        return problems + [f"cannot match rows: key columns {keys} not all present"]

    duplicated = left[left.duplicated(key_columns, keep=False)]
    if not duplicated.empty:
        problems.append(
            f"grain {keys} not unique in dbt: {len(duplicated)} rows, e.g.\n"
            f"{duplicated.head(EXAMPLES_PER_COLUMN).to_string(index=False)}"
        )

    merged = left.merge(
        right, on=key_columns, how="outer", suffixes=("__dbt", "__ref"), indicator=True
    )
    for side, label in (("left_only", "only in dbt"), ("right_only", "only in reference")):
        rows = merged[merged["_merge"] == side]
        if not rows.empty:
            problems.append(
                f"{len(rows)} rows {label} (keys {key_columns}), e.g. "
                f"{rows[key_columns].head(EXAMPLES_PER_COLUMN).to_dict('records')}"
            )
    both = merged[merged["_merge"] == "both"]
    for column in columns:
        if column in key_columns:
            continue
        kind = kinds[column]
        pairs = zip(both[f"{column}__dbt"], both[f"{column}__ref"], strict=True)
        bad = both[[not _equal(a, b, kind) for a, b in pairs]]
        if bad.empty:
            continue
        shown = bad[key_columns + [f"{column}__dbt", f"{column}__ref"]].head(EXAMPLES_PER_COLUMN)
        examples = []
        for *key, dbt_value, reference_value in shown.itertuples(index=False, name=None):
            where = dict(zip(key_columns, key, strict=True))
            examples.append(f"      {where}: dbt={dbt_value!r} reference={reference_value!r}")
        problems.append(
            f"column {column}: {len(bad)} of {len(both)} rows differ, e.g.\n" + "\n".join(examples)
        )
    return problems


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------


_REFERENCE: dict[Case, dict[str, pd.DataFrame]] = {}


@pytest.fixture
def built(dbt_build, request):
    case: Case = request.param
    return case, dbt_build(case.dataset, case.vars)


def reference_for(case: Case, build) -> dict[str, pd.DataFrame]:
    if case not in _REFERENCE:
        _REFERENCE[case] = compute_marts(build.raw, case.vars)
    return _REFERENCE[case]


def _fail(case: Case, build, what: str, problems: list[str]) -> None:
    message = f"[{case.id}] {what} differs from the reference ({build.describe()}):\n" + "\n".join(
        f"  - {p}" for p in problems
    )
    if not build.ok:
        message += (
            f"\n\n(the full dbt build exited {build.returncode}, see test_dbt_build_succeeds;"
            f" these marts come from the models-only build)\n{build.models_only_note}"
        )
    pytest.fail(message, pytrace=False)


# --------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------

CASE_PARAMS = [pytest.param(c, id=c.id) for c in CASES]


@pytest.mark.parametrize("built", CASE_PARAMS, indirect=True)
def test_dbt_build_succeeds(built):
    case, build = built
    assert build.ok, f"[{case.id}] {build.describe()} exited {build.returncode}:\n{build.tail()}"


@pytest.mark.parametrize("mart", list(MART_KEYS))
@pytest.mark.parametrize("built", CASE_PARAMS, indirect=True)
def test_mart_matches_reference(built, mart):
    case, build = built
    expected = reference_for(case, build)[mart]
    actual = read_relation(build, "marts", mart)
    problems = compare_frames(actual, expected, MART_KEYS[mart])
    if problems:
        _fail(case, build, f"marts.{mart}", problems)


@pytest.mark.parametrize("built", CASE_PARAMS, indirect=True)
def test_staging_row_counts_by_reason_match_reference(built):
    """staging_rules.md: every raw row is staged, quarantined with a reason,
    or a duplicate; the counts per outcome and reason must agree.
    """
    case, build = built
    reference = reference_for(case, build)["staging_counts"]
    problems = []
    for source in SOURCES:
        ref = reference[reference["source"] == source]
        expected = {
            (r.reason if r.outcome == "quarantined" else r.outcome): int(r.rows)
            for r in ref.itertuples()
        }
        raw_rows = count_rows(build, "raw", source)[None]
        staged = count_rows(build, "staging", f"stg_{source}")[None]
        quarantined = count_rows(build, "staging", f"stg_{source}__quarantine", group_by="reason")
        actual = {"staged": staged, **{str(k): v for k, v in quarantined.items()}}
        actual["duplicate"] = raw_rows - staged - sum(quarantined.values())
        if actual != expected:
            diff = {
                k: (actual.get(k, 0), expected.get(k, 0))
                for k in sorted(set(actual) | set(expected))
                if actual.get(k, 0) != expected.get(k, 0)
            }
            problems.append(f"{source}: (dbt, reference) per outcome differ: {diff}")
    if problems:
        _fail(case, build, "staging row counts", problems)


STG_ORDER_COLUMNS = [
    "order_id",
    "customer_id",
    "status",
    "order_date",
    "is_purchase",
    "has_cost",
    "net_revenue",
    "gross_margin",
]


@pytest.mark.parametrize("built", CASE_PARAMS, indirect=True)
def test_stg_orders_match_reference(built):
    """Diagnostic: the staged orders (staging_rules.md raw.orders step 4) agree,
    which localizes a mart mismatch to staging or to the marts.
    """
    case, build = built
    staged = reference_for(case, build)["stg_orders"]
    expected = staged.assign(
        net_revenue=staged["net_revenue_micros"].astype("int64") / MICROS_PER_UNIT,
        gross_margin=staged["gross_margin_micros"].astype("int64") / MICROS_PER_UNIT,
        customer_id=staged["customer_id"].astype(object),
        status=staged["status"].astype(object),
    )[STG_ORDER_COLUMNS]
    actual = read_relation(build, "staging", "stg_orders")
    problems = compare_frames(actual, expected, ["order_id"])
    if problems:
        _fail(case, build, "staging.stg_orders", problems)


def test_compare_frames_reports_every_kind_of_difference():
    """The comparison itself can fail: wrong value, NULL, tolerance, rows."""
    expected = pd.DataFrame(
        {
            "period_start": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]),
            "customers": pd.Series([3, 4, 5], dtype="int64"),
            "rate": [0.5, float("nan"), 0.25],
            "flag": [True, False, True],
        }
    )
    actual = pd.DataFrame(
        {
            "period_start": [
                pd.Timestamp("2024-01-01").date(),
                pd.Timestamp("2024-02-01").date(),
                pd.Timestamp("2024-04-01").date(),
            ],
            "customers": [Decimal("3"), Decimal("5"), Decimal("5")],
            "rate": [0.5 + 5e-10, 0.0, 0.25],
            "flag": [True, False, True],
            "extra_column": [1, 2, 3],
        }
    )
    problems = "\n".join(compare_frames(actual, expected, ["period_start"]))
    assert "1 rows only in dbt" in problems and "1 rows only in reference" in problems
    assert "column customers: 1 of 2 rows differ" in problems
    assert "column rate: 1 of 2 rows differ" in problems  # NULL vs 0; 5e-10 is within tolerance
    assert "flag" not in problems
    assert compare_frames(
        actual.iloc[:2], expected.iloc[:2].assign(customers=[3, 5]), ["period_start"]
    ) == [
        "column rate: 1 of 2 rows differ, e.g.\n"
        "      {'period_start': '2024-02-01'}: dbt=0.0 reference=None"
    ]
