"""The one table comparison of the project: every test and the benchmark use it.

``compare_frames(actual, expected, keys)`` matches the rows of two tables (on
``keys``, or, without keys, after sorting both on every column that is not a
float) and returns the differences as readable lines; no lines means equal.

What "equal" means, cell by cell (docs/testing.md, "One comparison"):

- NULL (``None``, ``NaN``, ``NaT``, ``pd.NA``) equals only NULL;
- integers (also integral ``Decimal`` values) are compared exactly;
- a float or a non-integral ``Decimal`` on either side: the two numbers are
  equal when ``|a - b| <= TOLERANCE * max(1, |a|, |b|)`` (absolute below 1,
  relative above), with ``TOLERANCE = 1e-9``;
- a column listed in ``tolerances`` (column -> absolute tolerance) is compared
  within that tolerance instead: the p-values computed through the SQL normal
  CDF approximation (absolute error below 1e-7) against scipy's, within 1e-6
  (METRICS.md "Activation drivers");
- booleans equal only booleans (``True`` is not ``1``);
- dates and timestamps by their ISO text (a timestamp with a time zone in UTC;
  a timestamp at midnight equals the date of that day, since engines return
  dates as either);
- anything else by its text.

With ``same_types=True`` the two tables must also have the same column dtypes
(used where both sides come from the same engine, e.g. an incremental run
against a full refresh).

This module belongs to the reference package and, like it, imports nothing
else of ``retention``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

TOLERANCE = 1e-9
EXAMPLES = 3


def is_null(value: Any) -> bool:
    """``value`` is a NULL of any of pandas' or Python's spellings."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return bool(np.isnan(value))
    if isinstance(value, np.datetime64 | np.timedelta64):
        return bool(np.isnat(value))
    return False


def canonical(value: Any) -> Any:
    """One cell in the form the comparison uses (None for NULL)."""
    if is_null(value):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float | np.floating):
        return float(value)
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, dt.datetime):
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None)
        if stamp == stamp.normalize():
            return stamp.date().isoformat()
        return stamp.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def same_value(left: Any, right: Any, absolute_tolerance: float | None = None) -> bool:
    """Two canonical cells are equal (see the module docstring); numbers within
    ``absolute_tolerance`` when it is given."""
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, int | float) and isinstance(right, int | float):
        if absolute_tolerance is not None:
            return abs(left - right) <= absolute_tolerance
        if isinstance(left, int) and isinstance(right, int):
            return left == right
        scale = max(1.0, abs(left), abs(right))
        return abs(left - right) <= TOLERANCE * scale
    return left == right


def _canonical_frame(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {c: [canonical(v) for v in frame[c].tolist()] for c in columns},
        index=range(len(frame)),
        dtype=object,
    )


def _sort_key(value: Any, rounded: bool) -> str:
    """A text that orders equal cells together (floats rounded to 6 places)."""
    if value is None:
        return "\x00"
    if rounded and isinstance(value, int | float) and not isinstance(value, bool):
        return f"n{round(float(value), 6):+.6f}"
    return f"{type(value).__name__}:{value}"


def _sorted(frame: pd.DataFrame, float_columns: set[str]) -> pd.DataFrame:
    """Rows ordered on every non-float column, then on the floats (rounded)."""
    plain = [c for c in frame.columns if c not in float_columns]
    floats = [c for c in frame.columns if c in float_columns]
    keys = [[_sort_key(v, False) for v in frame[c]] for c in plain]
    keys += [[_sort_key(v, True) for v in frame[c]] for c in floats]
    order = sorted(range(len(frame)), key=lambda r: tuple(k[r] for k in keys))
    return frame.iloc[order].reset_index(drop=True)


def _float_columns(*frames: pd.DataFrame) -> set[str]:
    floats: set[str] = set()
    for frame in frames:
        for column in frame.columns:
            series = frame[column]
            if pd.api.types.is_float_dtype(series) or any(
                isinstance(v, float | Decimal) and not isinstance(v, bool)
                for v in series.head(1000).tolist()
                if not is_null(v)
            ):
                floats.add(column)
    return floats


def _examples(rows: pd.DataFrame, limit: int = EXAMPLES) -> str:
    return str(rows.head(limit).to_dict("records"))


def compare_frames(
    actual: pd.DataFrame,
    expected: pd.DataFrame,
    keys: Sequence[str] | None = None,
    *,
    labels: tuple[str, str] = ("actual", "expected"),
    columns: Sequence[str] | None = None,
    same_types: bool = False,
    tolerances: dict[str, float] | None = None,
) -> list[str]:
    """Differences between two tables as readable lines; empty when equal.

    ``keys``: the grain that matches rows (it must be unique on both sides);
    None: rows are matched after sorting both tables on their non-float columns.
    ``columns``: the columns compared (default: those of ``expected``); a
    compared column missing on either side is a difference.
    ``labels``: how the two sides are named in the messages.
    ``tolerances``: column -> absolute tolerance for the columns not compared
    to 1e-9 (p-values of an approximated normal CDF).
    """
    left_name, right_name = labels
    wanted = list(columns) if columns is not None else list(expected.columns)
    problems: list[str] = []
    for side, frame in ((left_name, actual), (right_name, expected)):
        missing = [c for c in wanted if c not in frame.columns]
        if missing:
            problems.append(f"columns missing in {side}: {missing} (it has {list(frame.columns)})")
    if columns is None and list(actual.columns) != list(expected.columns):
        extra = [c for c in actual.columns if c not in expected.columns]
        if extra:
            problems.append(f"columns only in {left_name}: {extra}")
    compared = [c for c in wanted if c in actual.columns and c in expected.columns]
    if same_types:
        for column in compared:
            if actual[column].dtype != expected[column].dtype:
                problems.append(
                    f"column {column}: type {actual[column].dtype} in {left_name},"
                    f" {expected[column].dtype} in {right_name}"
                )
    left = _canonical_frame(actual, compared)
    right = _canonical_frame(expected, compared)

    if keys is None:
        if len(left) != len(right):
            return problems + [f"{len(left)} rows in {left_name}, {len(right)} in {right_name}"]
        floats = _float_columns(actual[compared], expected[compared])
        left, right = _sorted(left, floats), _sorted(right, floats)
        key_columns: list[str] = []
        both_left, both_right = left, right
    else:
        key_columns = list(keys)
        absent = [k for k in key_columns if k not in compared]
        if absent:
            return problems + [f"cannot match rows: key columns {absent} are not compared"]
        for side, frame in ((left_name, left), (right_name, right)):
            duplicated = frame[frame.duplicated(key_columns, keep=False)]
            if not duplicated.empty:
                problems.append(
                    f"grain {key_columns} not unique in {side}: {len(duplicated)} rows, e.g. "
                    + _examples(duplicated[key_columns])
                )
        merged = left.merge(
            right, on=key_columns, how="outer", suffixes=("__left", "__right"), indicator=True
        )
        sides = (("left_only", f"only in {left_name}"), ("right_only", f"only in {right_name}"))
        for side, label in sides:
            rows = merged[merged["_merge"] == side]
            if not rows.empty:
                problems.append(
                    f"{len(rows)} rows {label} (keys {key_columns}), e.g. "
                    + _examples(rows[key_columns])
                )
        both = merged[merged["_merge"] == "both"].reset_index(drop=True)
        value_columns = [c for c in compared if c not in key_columns]
        both_left = both[key_columns + [f"{c}__left" for c in value_columns]]
        both_right = both[key_columns + [f"{c}__right" for c in value_columns]]
        both_left.columns = key_columns + value_columns
        both_right.columns = key_columns + value_columns

    for column in compared:
        if column in key_columns:
            continue
        pairs = zip(both_left[column].tolist(), both_right[column].tolist(), strict=True)
        tolerance = (tolerances or {}).get(column)
        bad = [i for i, (a, b) in enumerate(pairs) if not same_value(a, b, tolerance)]
        if not bad:
            continue
        shown = []
        for i in bad[:EXAMPLES]:
            where = {k: both_left.at[i, k] for k in key_columns} if key_columns else f"row {i}"
            shown.append(
                f"{where}: {left_name}={both_left.at[i, column]!r}"
                f" {right_name}={both_right.at[i, column]!r}"
            )
        problems.append(
            f"column {column}: {len(bad)} of {len(both_left)} rows differ, e.g. " + "; ".join(shown)
        )
    return problems


def frames_equal(actual: pd.DataFrame, expected: pd.DataFrame, **kwargs: Any) -> bool:
    """``compare_frames`` found no difference."""
    return not compare_frames(actual, expected, **kwargs)
