"""The one table comparison (retention/reference/compare.py): what it calls
equal and what it reports, each pinned by a case that would fail otherwise."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from retention.reference.compare import TOLERANCE, canonical, compare_frames, same_value


def frame(**columns: list) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in columns.items()})


def test_tolerance_is_the_documented_one() -> None:
    assert TOLERANCE == 1e-9


@pytest.mark.parametrize(
    ("left", "right", "equal"),
    [
        (None, None, True),
        (None, float("nan"), True),
        (pd.NaT, None, True),
        (pd.NA, None, True),
        (None, 0, False),
        (0.0, None, False),
        (3, 3, True),
        (3, 4, False),
        (3, Decimal("3"), True),
        (2**60, 2**60 + 1, False),  # integers exactly, even beyond float precision
        (0.5, 0.5 + 0.9e-9, True),  # absolute below 1
        (0.5, 0.5 + 1.1e-9, False),
        (1e6, 1e6 * (1 + 0.9e-9), True),  # relative above 1
        (1e6, 1e6 + 1e-2, False),
        (Decimal("0.1"), 0.1, True),
        (True, True, True),
        (True, 1, False),
        (False, 0.0, False),
        (dt.date(2024, 1, 31), pd.Timestamp("2024-01-31"), True),
        (dt.date(2024, 1, 31), pd.Timestamp("2024-02-01"), False),
        (pd.Timestamp("2024-01-31 10:00"), dt.date(2024, 1, 31), False),
        (pd.Timestamp("2024-01-31 10:00", tz="America/New_York"),
         pd.Timestamp("2024-01-31 15:00"), True),
        (np.datetime64("2024-01-31"), dt.date(2024, 1, 31), True),
        ("a", "a", True),
        ("a", "a ", False),
        (np.int64(7), 7.0, True),
    ],
)
def test_cells(left, right, equal: bool) -> None:
    assert same_value(canonical(left), canonical(right)) is equal
    assert same_value(canonical(right), canonical(left)) is equal


def test_equal_tables_in_another_row_order_have_no_difference() -> None:
    a = frame(k=[1, 2, 3], rate=[0.5, None, 0.25], d=[dt.date(2024, 1, 1), None, None])
    b = frame(k=[3, 1, 2], rate=[0.25, 0.5 + 1e-12, float("nan")],
              d=[None, pd.Timestamp("2024-01-01"), pd.NaT])
    assert compare_frames(a, b, ["k"]) == []
    assert compare_frames(a, b) == []  # matched by sorting on the non-float columns


def test_a_changed_value_is_reported_with_its_key_and_both_values() -> None:
    a = frame(k=[1, 2], n=[10, 20])
    b = frame(k=[1, 2], n=[10, 21])
    problems = compare_frames(a, b, ["k"], labels=("dbt", "reference"))
    assert len(problems) == 1
    assert "column n: 1 of 2 rows differ" in problems[0]
    assert "{'k': 2}: dbt=20 reference=21" in problems[0]


def test_missing_and_extra_rows_are_reported_per_side() -> None:
    a = frame(k=[1, 2], n=[1, 1])
    b = frame(k=[2, 3], n=[1, 1])
    problems = "\n".join(compare_frames(a, b, ["k"], labels=("duckdb", "spark")))
    assert "1 rows only in duckdb (keys ['k']), e.g. [{'k': 1}]" in problems
    assert "1 rows only in spark (keys ['k']), e.g. [{'k': 3}]" in problems


def test_a_duplicated_grain_is_reported() -> None:
    a = frame(k=[1, 1], n=[1, 2])
    b = frame(k=[1], n=[1])
    assert any("not unique in actual" in p for p in compare_frames(a, b, ["k"]))


def test_missing_column_and_row_count_without_keys() -> None:
    a = frame(k=[1, 2])
    b = frame(k=[1, 2], n=[1, 2])
    assert any("columns missing in actual: ['n']" in p for p in compare_frames(a, b, ["k"]))
    assert compare_frames(frame(k=[1]), frame(k=[1, 1])) == ["1 rows in actual, 2 in expected"]


def test_same_types_catches_a_changed_dtype() -> None:
    a = pd.DataFrame({"k": [1, 2], "n": [1, 2]})
    b = pd.DataFrame({"k": [1, 2], "n": [1.0, 2.0]})
    assert compare_frames(a, b, ["k"]) == []
    assert compare_frames(a, b, ["k"], same_types=True) == [
        "column n: type int64 in actual, float64 in expected"
    ]


def test_float_columns_do_not_decide_the_row_order_without_keys() -> None:
    # Rows match on the text column; the floats differ only within the tolerance.
    a = frame(name=["x", "y"], value=[1.0, 2.0])
    b = frame(name=["y", "x"], value=[2.0 + 1e-10, 1.0 - 1e-10])
    assert compare_frames(a, b) == []
    c = frame(name=["y", "x"], value=[2.0, 1.5])
    assert compare_frames(a, c)[0].startswith("column value: 1 of 2 rows differ")
