"""The *_by_segment marts equal the independent pandas reference
(retention/reference/segments.py: a value's rows are the unsegmented marts
over that value's customers alone, METRICS.md "Segments").

They run on the builds of the reference cases (tests/support/marts.py, so
no extra build) plus one demo build with every built-in dimension and
segment_max_values 3, which folds channels and countries into `other`.
"""

from __future__ import annotations

import pandas as pd
import pytest
from support.marts import CASES, Case, _case, fail_differs, read_relation

from retention.reference.compare import compare_frames
from retention.reference.segments import compute_segment_marts

KEYS = {
    "cohort_retention_by_segment": ["segment", "segment_value", "cohort_period", "period_number"],
    "churn_by_segment": ["segment", "segment_value", "period_start"],
    "ltv_by_segment": ["segment", "segment_value", "cohort_period"],
}
FOLDED = _case(
    "demo-month-all-dimensions-max3",
    "demo",
    segment_dimensions=["acquisition_channel", "acquisition_campaign", "country_code", "store"],
    segment_max_values=3,
)
SEGMENT_CASES = [c for c in CASES if c.id in {"demo-month", "demo-week", "edge-month"}]
SEGMENT_CASES += [
    c for c in CASES if c.id in {"demo-month-ny-window30", "edge-quarter-utc-minus-5"}
]
SEGMENT_CASES.append(FOLDED)
_REFERENCE: dict[Case, dict[str, pd.DataFrame]] = {}


def reference_for(case: Case, build) -> dict[str, pd.DataFrame]:
    if case not in _REFERENCE:
        predictions = read_relation(build, "marts", "customer_value_predictions")
        predicted = predictions.set_index("customer_id")["predicted_cltv"].astype(float)
        _REFERENCE[case] = compute_segment_marts(build.raw, case.vars, predicted)
    return _REFERENCE[case]


@pytest.mark.parametrize("mart", list(KEYS))
@pytest.mark.parametrize("built", [pytest.param(c, id=c.id) for c in SEGMENT_CASES], indirect=True)
def test_segment_mart_matches_reference(built, mart: str) -> None:
    case, build = built
    assert build.ok, build.tail()
    expected = reference_for(case, build)[mart]
    actual = read_relation(build, "marts", mart)
    assert len(actual) > 0, f"marts.{mart} is empty"
    problems = compare_frames(actual, expected, KEYS[mart], labels=("dbt", "reference"))
    if problems:
        fail_differs(case, build, f"marts.{mart}", problems)


@pytest.mark.parametrize("built", [pytest.param(FOLDED, id=FOLDED.id)], indirect=True)
def test_small_values_fold_into_other_and_the_build_says_so(built) -> None:
    case, build = built
    assert build.ok, build.tail()
    ltv = read_relation(build, "marts", "ltv_by_segment")
    values = ltv.groupby("segment")["segment_value"].nunique()
    # 3 kept values + other for the dimensions with more than 3 values.
    assert values["acquisition_channel"] == 4 and values["country_code"] == 4, values
    assert "other" in set(ltv.loc[ltv["segment"] == "acquisition_channel", "segment_value"])
    flat = " ".join(build.output.split())
    assert "Segment dimension acquisition_channel has more than 3 values" in flat
    assert "Segment dimension store has more than" not in flat
