"""The statistics macros (macros/metrics/statistics.sql) equal scipy.stats.

One ``dbt compile --inline`` renders every macro over a table of inputs; the
compiled SQL runs on DuckDB and each value is compared with the same
statistic computed here with scipy.stats (METRICS.md "Activation drivers"
and "Experiments": p-values within 1e-6; the normal CDF approximation is
good to 1e-7). The engines compute the same SQL (tests/engines compare the
marts that use it).
"""

from __future__ import annotations

import json
import math
import os
import subprocess

import duckdb
import numpy as np
import pytest
from scipy import stats
from support.dbt import dbt_command

Z_975 = stats.norm.ppf(0.975)

# x for the normal CDF: both tails, 0, the far tails (capped at 37).
NORMAL_XS = [
    -40.0,
    -8.0,
    -5.0,
    -3.2,
    -1.959963984540054,
    -1.0,
    -0.3,
    0.0,
    0.3,
    1.0,
    1.64485,
    2.5,
    4.0,
    6.0,
    40.0,
]
# (successes_a, n_a, successes_b, n_b) for the two-proportion z-test and
# the Wald interval; the last four have an undefined z (empty group, pooled
# rate 0 or 1).
PROPORTIONS = [
    (120, 1000, 100, 1000),
    (30, 200, 45, 210),
    (1, 3, 2, 3),
    (5000, 123457, 4700, 123001),
    (0, 50, 3, 60),
    (50, 50, 49, 60),
    (0, 0, 3, 10),
    (3, 10, 0, 0),
    (0, 40, 0, 50),
    (40, 40, 50, 50),
]
# (mean_a, variance_a, n_a, mean_b, variance_b, n_b) for Welch.
WELCH = [
    (12.5, 40.0, 500, 11.0, 35.0, 480),
    (3.0, 1.0, 2, 2.0, 4.0, 3),
    (5.0, 0.0, 10, 5.0, 0.0, 12),
    (1.0, 2.0, 1, 2.0, 3.0, 10),
]
# counts per variant for the sample-ratio-mismatch chi-square.
SPLITS = [
    [500, 500],
    [600, 400],
    [510, 490],
    [1000, 1000, 1000],
    [1000, 1040, 960],
    [300, 300, 300, 360],
    [5],
    [0, 10],
]


def _values(rows: list[tuple]) -> str:
    return ", ".join("(" + ", ".join(repr(float(v)) for v in row) + ")" for row in rows)


def _inline_sql() -> str:
    """One query: kind, case number, value, for every macro and input."""
    splits = [
        (case, variant, count, sum(split), len(split))
        for case, split in enumerate(SPLITS)
        for variant, count in enumerate(split)
    ]
    return f"""
with
normal_inputs (case_number, x) as (
    select * from (values {_values(list(enumerate(NORMAL_XS)))}) as v (case_number, x)
),
proportion_inputs (case_number, sa, na, sb, nb) as (
    select * from (values {_values([(i, *row) for i, row in enumerate(PROPORTIONS)])})
        as v (case_number, sa, na, sb, nb)
),
proportion_z as (
    select
        case_number,
        {{{{ retention.two_proportion_z('sa', 'na', 'sb', 'nb') }}}} as z,
        {{{{ retention.wald_difference_se('sa', 'na', 'sb', 'nb') }}}} as wald_se,
        case when na > 0 and nb > 0 then sa / na - sb / nb end as difference
    from proportion_inputs
),
welch_inputs (case_number, ma, va, na, mb, vb, nb) as (
    select * from (values {_values([(i, *row) for i, row in enumerate(WELCH)])})
        as v (case_number, ma, va, na, mb, vb, nb)
),
welch_se as (
    select
        case_number,
        ma - mb as difference,
        {{{{ retention.welch_difference_se('va', 'na', 'vb', 'nb') }}}} as se
    from welch_inputs
),
split_inputs (case_number, variant, observed, total, variants) as (
    select * from (values {_values(splits)}) as v (case_number, variant, observed, total, variants)
),
split_statistics as (
    select
        case_number,
        max(variants) - 1 as degrees_of_freedom,
        sum({{{{ retention.equal_split_chi_square_term('observed', 'total', 'variants') }}}})
            as statistic
    from split_inputs
    group by case_number
)
select 'normal_cdf' as kind, case_number, {{{{ retention.normal_cdf('x') }}}} as value
from normal_inputs
union all
select 'normal_null', 0, {{{{ retention.normal_cdf('cast(null as double)') }}}}
union all
select 'chi_square_null', 0, {{{{ retention.chi_square_p_value('cast(null as double)', '2') }}}}
union all
select 'two_sided', case_number, {{{{ retention.normal_two_sided_p_value('x') }}}}
from normal_inputs
union all
select 'z_p_value', case_number, {{{{ retention.normal_two_sided_p_value('z') }}}}
from proportion_z
union all
select 'z_p_value_direct', case_number,
    {{{{ retention.two_proportion_p_value('sa', 'na', 'sb', 'nb') }}}}
from proportion_inputs
union all
select 'wald_low', case_number, {{{{ retention.interval_low('difference', 'wald_se') }}}}
from proportion_z
union all
select 'wald_high', case_number, {{{{ retention.interval_high('difference', 'wald_se') }}}}
from proportion_z
union all
select 'welch_se', case_number, se from welch_se
union all
select 'welch_p_value', case_number, {{{{ retention.difference_p_value('difference', 'se') }}}}
from welch_se
union all
select 'srm_statistic', case_number, statistic from split_statistics
union all
select 'srm_p_value', case_number,
    {{{{ retention.chi_square_p_value('statistic', 'degrees_of_freedom') }}}}
from split_statistics
"""


@pytest.fixture(scope="module")
def computed(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, int], float | None]:
    work = tmp_path_factory.mktemp("statistics")
    command = dbt_command(
        "compile",
        "duckdb",
        {},
        work,
        extra_args=("--inline", _inline_sql(), "--output", "json", "--quiet"),
    )
    env = {
        "RETENTION_DUCKDB_PATH": str(work / "compile.duckdb"),
        "RETENTION_TARGET": "duckdb",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    completed = subprocess.run(
        command, cwd=work, env={**os.environ, **env}, capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    sql = json.loads(completed.stdout[completed.stdout.index("{") :])["compiled"]
    rows = duckdb.connect().execute(sql).fetchall()
    return {(kind, int(case)): value for kind, case, value in rows}


def _close(actual: float | None, expected: float | None, tolerance: float) -> bool:
    if expected is None or actual is None:
        return actual is None and expected is None
    return abs(actual - expected) <= tolerance


def _z_test(sa: float, na: float, sb: float, nb: float) -> float | None:
    if na == 0 or nb == 0 or sa + sb in (0, na + nb):
        return None
    pooled = (sa + sb) / (na + nb)
    z = (sa / na - sb / nb) / math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
    return float(2 * stats.norm.sf(abs(z)))


def test_normal_cdf_within_1e7_of_scipy(computed) -> None:
    for case, x in enumerate(NORMAL_XS):
        assert _close(computed[("normal_cdf", case)], stats.norm.cdf(x), 1e-7), x
        assert _close(computed[("two_sided", case)], 2 * stats.norm.sf(abs(x)), 2e-7), x


def test_null_inputs_give_null(computed) -> None:
    assert computed[("normal_null", 0)] is None
    assert computed[("chi_square_null", 0)] is None
    # the interval constant of METRICS.md is scipy's 0.975 quantile
    assert abs(Z_975 - 1.959963984540054) < 1e-15


def test_two_proportion_p_values_equal_scipy(computed) -> None:
    """The pooled z-test, against scipy's normal tail; the statsmodels-free
    check of the pooled statistic is a chi-square test of the 2x2 table
    without continuity correction, whose p-value is the same."""
    for case, (sa, na, sb, nb) in enumerate(PROPORTIONS):
        expected = _z_test(sa, na, sb, nb)
        if expected is not None:
            table = np.array([[sa, na - sa], [sb, nb - sb]])
            chi2 = stats.chi2_contingency(table, correction=False).pvalue
            assert abs(chi2 - expected) < 1e-9
        assert _close(computed[("z_p_value", case)], expected, 1e-6), (sa, na, sb, nb)
        assert _close(computed[("z_p_value_direct", case)], expected, 1e-6), (sa, na, sb, nb)
    assert sum(computed[("z_p_value", c)] is None for c in range(len(PROPORTIONS))) == 4


def test_wald_interval_of_the_difference(computed) -> None:
    for case, (sa, na, sb, nb) in enumerate(PROPORTIONS):
        if na == 0 or nb == 0:
            assert computed[("wald_low", case)] is None
            continue
        pa, pb = sa / na, sb / nb
        se = math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
        low, high = stats.norm.interval(0.95, loc=pa - pb, scale=se) if se > 0 else (pa - pb,) * 2
        assert _close(computed[("wald_low", case)], low, 1e-9), (sa, na, sb, nb)
        assert _close(computed[("wald_high", case)], high, 1e-9), (sa, na, sb, nb)


def test_welch_standard_error_and_p_value(computed) -> None:
    """Against scipy's Welch t-test from summary statistics: the standard error
    is the same; the p-value is the normal approximation, which the test
    compares with scipy's normal tail of the Welch statistic (and shows it is
    close to the t p-value when samples are large)."""
    for case, (ma, va, na, mb, vb, nb) in enumerate(WELCH):
        if na < 2 or nb < 2:
            assert computed[("welch_se", case)] is None
            assert computed[("welch_p_value", case)] is None
            continue
        se = math.sqrt(va / na + vb / nb)
        assert _close(computed[("welch_se", case)], se, 1e-12)
        if se == 0:
            assert computed[("welch_p_value", case)] is None
            continue
        t = stats.ttest_ind_from_stats(
            ma, math.sqrt(va), na, mb, math.sqrt(vb), nb, equal_var=False
        )
        assert abs(t.statistic - (ma - mb) / se) < 1e-9
        assert _close(computed[("welch_p_value", case)], 2 * stats.norm.sf(abs(t.statistic)), 1e-6)
        if na > 100:
            assert abs(computed[("welch_p_value", case)] - t.pvalue) < 1e-3


def test_sample_ratio_mismatch_chi_square(computed) -> None:
    """Two variants: exact chi-square (1 df) within 1e-6; more: the
    Wilson-Hilferty approximation, computed here from scipy's normal, and
    within 6e-3 of the exact chi-square (METRICS.md)."""
    for case, split in enumerate(SPLITS):
        expected_count = sum(split) / len(split)
        statistic = stats.chisquare(split).statistic if len(split) > 1 else 0.0
        assert _close(computed[("srm_statistic", case)], statistic, 1e-9), split
        exact = stats.chisquare(split).pvalue if len(split) > 1 else None
        value = computed[("srm_p_value", case)]
        if len(split) < 2:
            assert value is None
        elif len(split) == 2:
            assert _close(value, exact, 1e-6), split
        else:
            k = len(split) - 1
            z = ((statistic / k) ** (1 / 3) - (1 - 2 / (9 * k))) / math.sqrt(2 / (9 * k))
            assert _close(value, stats.norm.sf(z), 1e-6), split
            assert abs(value - exact) < 6e-3, split
        assert expected_count > 0
    # the 60/40 split of 1000 is flagged, the 51/49 split is not
    assert computed[("srm_p_value", 1)] < 1e-9 < 0.05 < computed[("srm_p_value", 2)]


def test_p_values_never_exceed_one(computed) -> None:
    """A statistic of 0 (equal rates, an exactly balanced split) has p-value 1
    up to the approximation's error (scipy: exactly 1), and never above 1
    (data tests read p-values as fractions; above 1 would fail the marts'
    fraction tests). SPLITS[0] (two variants, 500/500: exact) and [3] (three:
    Wilson-Hilferty, whose value at 0 is scipy's norm.sf of its z, 0.9962)
    are balanced."""
    p_kinds = ("two_sided", "z_p_value", "welch_p_value", "srm_p_value")
    values = [v for (kind, _), v in computed.items() if kind in p_kinds and v is not None]
    assert values and all(0 <= v <= 1 for v in values)
    zero = NORMAL_XS.index(0.0)
    assert 1 - 1e-7 < computed[("two_sided", zero)] <= 1
    assert computed[("two_sided", zero)] == pytest.approx(2 * stats.norm.cdf(-0.0), abs=1e-7)
    assert computed[("srm_statistic", 0)] == computed[("srm_statistic", 3)] == 0.0
    assert 1 - 1e-7 < computed[("srm_p_value", 0)] <= 1  # the 500/500 split
    wilson_hilferty_at_0 = stats.norm.sf(-(1 - 2 / 18) / math.sqrt(2 / 18))
    assert computed[("srm_p_value", 3)] == pytest.approx(wilson_hilferty_at_0, abs=1e-7)
