"""Hand-derived expectations pinned on the reference of the second-wave
marts (churn_by_grain, nps, nps_retention, signup_conversion,
lifecycle_flows and the new customers columns).

Tiny raw datasets, numbers worked out by hand from docs/design/METRICS.md
("Churn and CRR at every grain", "NPS", "Lifecycle flows", "Signup
conversion", "Readings fixed for the second wave") in the comments. Orders
are ``completed`` at 12:00 UTC unless said otherwise.
"""

from __future__ import annotations

import math
from decimal import Decimal

import pandas as pd
import pytest
from support.edge_cases import (
    CUSTOMER_COLUMNS,
    EVENT_COLUMNS,
    ORDER_COLUMNS,
    SPEND_COLUMNS,
    edge_case_raw,
)
from support.marts import BENCHMARKS

from retention.reference import (
    build_lifecycle_flows,
    build_signup_conversion,
    compute_marts,
    compute_value_marts,
    customer_signups,
    parse_value_vars,
    parse_vars,
    parse_wave_vars,
    purchases_until,
    resolve_as_of_date,
    stage_all,
)
from retention.reference.churn import grain_start
from retention.reference.nps import nps_class, nps_score_of

TS = pd.Timestamp


def _raw(orders=(), customers=(), events=(), spend=()) -> dict[str, pd.DataFrame]:
    def frame(rows, columns):
        if not rows:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        return pd.DataFrame(list(rows), columns=columns)

    return {
        "customers": frame(customers, CUSTOMER_COLUMNS),
        "orders": frame(orders, ORDER_COLUMNS),
        "events": frame(events, EVENT_COLUMNS),
        "marketing_spend": frame(spend, SPEND_COLUMNS),
    }


def _orders(*purchases: tuple[str, str]) -> list[tuple]:
    """(customer_id, 'YYYY-MM-DD[ HH:MM]') -> raw completed orders of 10.00."""
    return [
        (
            f"O{i}",
            customer,
            TS(day if " " in day else f"{day} 12:00"),
            "completed",
            Decimal("10.00"),
            None,
            None,
            None,
        )
        for i, (customer, day) in enumerate(purchases, start=1)
    ]


def _row(frame: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        mask &= frame[column] == value
    matched = frame[mask]
    assert len(matched) == 1, f"expected one row for {where}, got {len(matched)}"
    return matched.iloc[0]


def _is_null(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


# -- churn_by_grain ----------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "grain", "start"),
    [
        ("2024-06-30", "half_year", "2024-01-01"),  # last day of the first half
        ("2024-07-01", "half_year", "2024-07-01"),  # first day of the second
        ("2024-12-31", "half_year", "2024-07-01"),
        ("2024-06-29", "week", "2024-06-24"),  # a Saturday -> its Monday
        ("2024-07-01", "week", "2024-07-01"),  # a Monday
        ("2024-08-15", "quarter", "2024-07-01"),
        ("2024-08-15", "year", "2024-01-01"),
        ("2024-08-15", "day", "2024-08-15"),
    ],
)
def test_grain_start(day, grain, start):
    assert grain_start(TS(day), grain) == TS(start)


CHURN_ORDERS = _orders(
    # churn_window_days 30: a purchase on p keeps the customer active p..p+29.
    ("a", "2024-06-10"),  # active 06-10..07-09
    ("b", "2024-03-01"),  # active 03-01..03-30
    ("c", "2024-07-15"),  # new in the second half year
    ("d", "2024-01-05"),  # lapses 02-04 ...
    ("d", "2024-07-20"),  # ... and comes back on as_of_date
)
CHURN_VARS = {"as_of_date": "2024-07-20", "churn_window_days": 30}


@pytest.fixture(scope="module")
def churn_marts():
    return compute_marts(_raw(orders=CHURN_ORDERS), CHURN_VARS)


def test_half_year_rows_across_the_july_boundary(churn_marts):
    rows = churn_marts["churn_by_grain"]
    # H1 2024: S (active 2023-12-31) = 0; E (active 06-30) = {a};
    # N = {a, b, d}; new and active at the end = {a}.
    first = _row(rows, grain="half_year", period_start=TS("2024-01-01"))
    assert first["period_end"] == TS("2024-06-30") and bool(first["is_complete_period"])
    assert (first["customers_start"], first["customers_end"], first["new_customers"]) == (0, 1, 3)
    assert first["new_customers_active_end"] == 1
    assert _is_null(first["churn_rate"]) and _is_null(first["crr"])
    # H2 2024 up to as_of_date 07-20: S (active 06-30) = {a}; E (07-20) =
    # {c, d}; N = {c}; a churned, d reactivated; crr = (2 - 1) / 1.
    second = _row(rows, grain="half_year", period_start=TS("2024-07-01"))
    assert second["period_end"] == TS("2024-07-20") and not bool(second["is_complete_period"])
    assert (second["customers_start"], second["customers_end"]) == (1, 2)
    assert (second["churned_customers"], second["reactivated_customers"]) == (1, 1)
    assert (second["churn_rate"], second["retention_rate"], second["crr"]) == (1.0, 0.0, 1.0)


def test_day_row_of_as_of_date(churn_marts):
    # The day 2024-07-20 is complete (its last day is as_of_date): S (07-19)
    # = {c}; E = {c, d}; nobody new; c retained, d reactivated; crr = 2 / 1.
    day = _row(churn_marts["churn_by_grain"], grain="day", period_start=TS("2024-07-20"))
    assert day["period_end"] == TS("2024-07-20") and bool(day["is_complete_period"])
    assert (day["customers_start"], day["customers_end"], day["new_customers"]) == (1, 2, 0)
    assert (day["retained_customers"], day["reactivated_customers"]) == (1, 1)
    assert (day["churn_rate"], day["crr"]) == (0.0, 2.0)


def test_every_grain_runs_from_the_first_purchase_period_to_the_as_of_period(churn_marts):
    counts = churn_marts["churn_by_grain"].groupby("grain").size().to_dict()
    # 2024-01-05 .. 2024-07-20: 198 days; ISO weeks from Mon 2024-01-01 to
    # Mon 2024-07-15: 29; months Jan..Jul: 7; quarters: 3; half years: 2.
    assert counts == {"day": 198, "week": 29, "month": 7, "quarter": 3, "half_year": 2, "year": 1}


def test_month_rows_equal_churn(churn_marts):
    months = churn_marts["churn_by_grain"].query("grain == 'month'").drop(columns="grain")
    pd.testing.assert_frame_equal(months.reset_index(drop=True), churn_marts["churn"])


def test_churn_grains_var_keeps_the_canonical_order_and_rejects_unknown_grains():
    assert parse_wave_vars({"churn_grains": ["year", "week"]}).churn_grains == ("week", "year")
    with pytest.raises(ValueError, match="churn_grains"):
        parse_wave_vars({"churn_grains": ["fortnight"]})
    with pytest.raises(ValueError, match="churn_grains"):
        parse_wave_vars({"churn_grains": []})


# -- NPS (edge dataset: tests/support/edge_cases.py, EV-008..EV-019) ---------


@pytest.fixture(scope="module")
def edge_value_marts():
    return compute_value_marts(edge_case_raw(), {}, benchmarks=BENCHMARKS)


@pytest.fixture(scope="module")
def edge_value_marts_utc_minus_5():
    return compute_value_marts(
        edge_case_raw(), {"reporting_timezone": "Etc/GMT+5"}, benchmarks=BENCHMARKS
    )


@pytest.mark.parametrize(
    ("score", "klass"),
    [
        (0, "detractor"),
        (6, "detractor"),
        (7, "passive"),
        (8, "passive"),
        (9, "promoter"),
        (10, "promoter"),
    ],
)
def test_nps_class_boundaries(score, klass):
    assert nps_class(score) == klass


@pytest.mark.parametrize(
    ("properties", "score"),
    [
        ('{"score": 7}', 7),
        ('{"score": "8"}', 8),
        ('{"score": 11}', None),
        ('{"score": -1}', None),
        ('{"score": "ten"}', None),
        ('{"score": 7', None),
        ("not json", None),
        ('{"score": 7.5}', None),
        ('{"score": true}', None),
        (None, None),
    ],
)
def test_nps_score_parsing(properties, score):
    assert nps_score_of(properties) == score


def test_nps_months_run_from_the_first_response_to_as_of_date(edge_value_marts):
    nps = edge_value_marts["nps"]
    # EV-018 (2023-09-01) .. as_of_date 2025-03-14: 19 months, zero-filled.
    assert len(nps) == 19
    assert nps["month_start"].min() == TS("2023-09-01")
    empty = _row(nps, month_start=TS("2023-10-01"))
    assert (empty["responses"], empty["respondents"]) == (0, 0)
    assert _is_null(empty["nps"]) and _is_null(empty["promoter_share"])


def test_two_responses_in_a_month_count_once_with_the_latest(edge_value_marts):
    nps = edge_value_marts["nps"]
    # May 2024 (UTC): C06 answers 8 then 2: 2 responses, 1 detractor, -100.
    may = _row(nps, month_start=TS("2024-05-01"))
    assert (may["responses"], may["respondents"], may["detractors"]) == (2, 1, 1)
    assert may["nps"] == -100.0
    # January 2025: C13's two answers at one instant; EV-015 (10) > EV-014.
    january = _row(nps, month_start=TS("2025-01-01"))
    assert (january["responses"], january["respondents"], january["promoters"]) == (2, 1, 1)
    assert january["nps"] == 100.0
    # February 2024: C01 6 and C07 5 -> two detractors; the anonymous
    # EV-017 (June) counts nowhere.
    february = _row(nps, month_start=TS("2024-02-01"))
    assert (february["respondents"], february["detractors"], february["nps"]) == (2, 2, -100.0)
    june = _row(nps, month_start=TS("2024-06-01"))
    assert june["responses"] == 0


def test_response_on_the_last_day_of_a_month_in_utc_minus_5(edge_value_marts_utc_minus_5):
    nps = edge_value_marts_utc_minus_5["nps"]
    # EV-012 (05-01 03:00 UTC) is 30 April 22:00 in UTC-5: April has C08's
    # 9 and C06's 8 (promoter + passive: nps 50), May only C06's 2.
    april = _row(nps, month_start=TS("2024-04-01"))
    assert (april["respondents"], april["promoters"], april["passives"]) == (2, 1, 1)
    assert april["nps"] == 50.0
    may = _row(nps, month_start=TS("2024-05-01"))
    assert (may["responses"], may["respondents"], may["nps"]) == (1, 1, -100.0)


def test_promoters_and_detractors_who_come_back(edge_value_marts):
    retention = edge_value_marts["nps_retention"]
    # Every month x 3 classes.
    assert len(retention) == 19 * 3
    # C12 (promoter, 2023-09-01) buys 09-20: 1 of 1.
    c12 = _row(retention, month_start=TS("2023-09-01"), nps_class="promoter")
    assert (c12["eligible_respondents"], c12["repurchased"], c12["repurchase_rate"]) == (1, 1, 1.0)
    # February 2024 detractors: C01 never buys again, C07 buys 86 days later.
    feb = _row(retention, month_start=TS("2024-02-01"), nps_class="detractor")
    assert (feb["respondents"], feb["eligible_respondents"], feb["repurchased"]) == (2, 2, 1)
    # C13 answered 2025-01-10: + 90 days is after as_of_date, not eligible.
    jan = _row(retention, month_start=TS("2025-01-01"), nps_class="promoter")
    assert (jan["respondents"], jan["eligible_respondents"]) == (1, 0)
    assert _is_null(jan["repurchase_rate"])


def test_latest_nps_of_a_customer(edge_value_marts):
    customers = edge_value_marts["customers"].set_index("customer_id")
    assert customers.loc["C13", "latest_nps_score"] == 9  # EV-016, 2025-02-10
    assert customers.loc["C13", "latest_nps_class"] == "promoter"
    assert customers.loc["C08", "latest_nps_score"] == 9  # EV-009 is not JSON
    assert customers.loc["C06", "latest_nps_class"] == "detractor"
    assert _is_null(customers.loc["C09", "latest_nps_score"])  # never answered
    assert _is_null(customers.loc["C09", "latest_nps_class"])


def test_a_response_after_as_of_date_is_no_response():
    marts = compute_value_marts(
        edge_case_raw(), {"as_of_date": "2025-01-20"}, benchmarks=BENCHMARKS
    )
    customers = marts["customers"].set_index("customer_id")
    assert customers.loc["C13", "latest_nps_score"] == 10  # EV-015, not EV-016
    assert marts["nps"]["month_start"].max() == TS("2025-01-01")


# -- signup conversion -------------------------------------------------------
# The edge data's signups (tests/support/edge_cases.py): C01 2024-02-12
# (Monday; bought 02-10), C02 2024-03-04 03:00 UTC (Sunday 03-03 in UTC-5;
# bought 03-05), C08 2024-03-24 (Sunday, week 2024-03-18; bought 04-01 at
# 02:00 UTC, 03-31 in UTC-5), C15 2024-07-01 (Monday; never bought), C14
# 2024-09-26 (Thursday; bought 10-03), C19 2024-12-10 (Tuesday, week
# 2024-12-09; bought 2025-01-10, its 2024-12-05 order is SHIPPED: no
# purchase by default), C18 2025-01-03 (Friday, week 2024-12-30; bought
# 2024-11-11 and 2025-02-02), C16 2025-03-07 (Friday; never bought), C17
# 2025-03-20 (after as_of 2025-03-14; bought 2024-06-20); C09's 1900 signup
# is implausible (none), C10 has no raw.customers row; the 10 others (C03-C07,
# C11-C13, C20, C21) signed up 2022-01-01 (Saturday, ISO week 2021-12-27):
# all bought, the earliest (C13) on 2022-11-20.


def _conversion(frame: pd.DataFrame, week: str, day_n: int) -> tuple:
    row = _row(frame, signup_week=TS(week), day_n=day_n)
    return (
        int(row["signups"]),
        int(row["eligible_customers"]),
        int(row["converted_customers"]),
        row["conversion_rate"],
    )


def _signups(raw: dict[str, pd.DataFrame], vars: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the customers with a signup, signup_conversion) of the reference,
    without the other marts (churn_by_grain at day grain is slow)."""
    run = parse_vars(vars)
    staged = stage_all(raw, run)
    as_of = resolve_as_of_date(staged, run)
    customers = staged["customers"].staged
    purchases = purchases_until(staged["orders"].staged, customers, as_of)
    signups = customer_signups(customers, purchases, as_of, run.reporting_timezone)
    days = parse_value_vars(vars).retention_days
    return signups, build_signup_conversion(signups, as_of, days)


@pytest.fixture(scope="module")
def edge_conversion() -> pd.DataFrame:
    return _signups(edge_case_raw(), {})[1]


def test_days_to_first_purchase_of_the_edge_customers(edge_value_marts):
    days = edge_value_marts["customers"].set_index("customer_id")["days_to_first_purchase"]
    assert days["C01"] == 0  # bought two days before signing up: 0, not -2
    assert days["C02"] == 1  # signup 03-04 (UTC), purchase 03-05
    assert days["C14"] == 7
    assert days["C08"] == 8  # signup 03-24, purchase 04-01 (02:00 UTC)
    assert days["C18"] == 0  # bought 2024-11-11, signed up 2025-01-03
    assert days["C19"] == 31  # signup 2024-12-10, purchase 2025-01-10
    assert days["C13"] == (pd.Timestamp("2022-11-20") - pd.Timestamp("2022-01-01")).days == 323
    # No signup: after as_of_date (C17), implausible (C09), no customers row (C10).
    for customer in ("C17", "C09", "C10"):
        assert _is_null(days[customer]), customer
    without = {"C09", "C10", "C15", "C16", "C17"}  # C15, C16: no purchase
    assert set(days.dropna().index) == {f"C{n:02d}" for n in range(1, 22)} - without


def test_signup_conversion_weeks_of_the_edge_data(edge_conversion):
    conversion = edge_conversion
    # One row per signup week x N of the default retention_days; C17's
    # week (2025-03-17) is absent: its signup is after as_of_date.
    weeks = [
        "2021-12-27",
        "2024-02-12",
        "2024-03-04",
        "2024-03-18",
        "2024-07-01",
        "2024-09-23",
        "2024-12-09",
        "2024-12-30",
        "2025-03-03",
    ]
    assert sorted(conversion["signup_week"].unique()) == [TS(w) for w in weeks]
    assert len(conversion) == len(weeks) * 6
    # 10 customers of 2022-01-01, all eligible by day 90, none bought
    # within 90 days (the earliest after 323).
    assert _conversion(conversion, "2021-12-27", 90) == (10, 10, 0, 0.0)
    # C01 bought before signing up: converted from day 1 on.
    assert _conversion(conversion, "2024-02-12", 1) == (1, 1, 1, 1.0)
    # C14 converts exactly on day 7.
    assert _conversion(conversion, "2024-09-23", 1) == (1, 1, 0, 0.0)
    assert _conversion(conversion, "2024-09-23", 7) == (1, 1, 1, 1.0)
    # C16: signup 2025-03-07 + 7 = as_of_date: eligible for day 7, not 14.
    assert _conversion(conversion, "2025-03-03", 7) == (1, 1, 0, 0.0)
    signups, eligible, converted, rate = _conversion(conversion, "2025-03-03", 14)
    assert (signups, eligible, converted) == (1, 0, 0) and _is_null(rate)
    # C08: 8 days, converted by day 14, not by day 7.
    assert _conversion(conversion, "2024-03-18", 7) == (1, 1, 0, 0.0)
    assert _conversion(conversion, "2024-03-18", 14) == (1, 1, 1, 1.0)
    # C15 never bought: eligible at day 90 (2024-09-29), not converted.
    assert _conversion(conversion, "2024-07-01", 90) == (1, 1, 0, 0.0)
    # C19: 31 days: not converted by day 30, converted by day 60; day 90 =
    # 2025-03-10 <= as_of: eligible.
    assert _conversion(conversion, "2024-12-09", 30) == (1, 1, 0, 0.0)
    assert _conversion(conversion, "2024-12-09", 90) == (1, 1, 1, 1.0)
    # C18 bought before signing up: converted from day 1 on; day 60 =
    # 2025-03-04 is eligible, day 90 = 2025-04-03 is not.
    assert _conversion(conversion, "2024-12-30", 60) == (1, 1, 1, 1.0)
    signups, eligible, converted, rate = _conversion(conversion, "2024-12-30", 90)
    assert (signups, eligible, converted) == (1, 0, 0) and _is_null(rate)


def test_sunday_signup_in_utc_minus_5_moves_to_the_previous_week():
    signups, conversion = _signups(edge_case_raw(), {"reporting_timezone": "Etc/GMT+5"})
    # C02 signed up on Sunday 03-03 local (week 2024-02-26), bought 03-05
    # local: 2 days, so not converted by day 1, converted by day 7. No other
    # signup falls in week 2024-03-04 (C08's Sunday 03-24 is 07:00 local).
    assert TS("2024-03-04") not in set(conversion["signup_week"])
    assert _conversion(conversion, "2024-02-26", 1) == (1, 1, 0, 0.0)
    assert _conversion(conversion, "2024-02-26", 7) == (1, 1, 1, 1.0)
    assert _row(signups, customer_id="C02")["days_to_first_purchase"] == 2
    # C08's 02:00 UTC purchase is 03-31 local: 7 days, converted by day 7.
    assert _row(signups, customer_id="C08")["days_to_first_purchase"] == 7
    assert _conversion(conversion, "2024-03-18", 7) == (1, 1, 1, 1.0)


def test_a_signup_after_as_of_date_is_no_signup_in_conversion():
    _, conversion = _signups(edge_case_raw(), {"as_of_date": "2025-01-20", "retention_days": [0]})
    # C16 (2025-03-07) and C17 (2025-03-20) signed up after as_of_date;
    # C18 (2025-01-03) and C19 (2024-12-10) before it.
    weeks = [
        "2021-12-27",
        "2024-02-12",
        "2024-03-04",
        "2024-03-18",
        "2024-07-01",
        "2024-09-23",
        "2024-12-09",
        "2024-12-30",
    ]
    assert sorted(conversion["signup_week"]) == [TS(w) for w in weeks]
    # Day 0: C01 and C18 (bought before signup) converted; C02 not yet; C19
    # (2025-01-10 <= as_of, day 31) not.
    assert _conversion(conversion, "2024-02-12", 0) == (1, 1, 1, 1.0)
    assert _conversion(conversion, "2024-03-04", 0) == (1, 1, 0, 0.0)
    assert _conversion(conversion, "2024-12-30", 0) == (1, 1, 1, 1.0)
    assert _conversion(conversion, "2024-12-09", 0) == (1, 1, 0, 0.0)


def test_buyers_without_a_signup_are_not_signups():
    customers = [
        ("S1", TS("2024-05-01 12:00"), None, "US", "organic", None, None),
        ("S2", None, None, "US", "organic", None, None),  # no signup date
    ]
    raw = _raw(
        customers=customers,
        orders=_orders(("S1", "2024-05-03"), ("S2", "2024-05-02"), ("X9", "2024-05-02")),
    )
    # The entry point, as the dbt comparison calls it (tiny data: fast).
    marts = compute_marts(raw, {"as_of_date": "2024-05-10", "retention_days": [1, 2]})
    conversion = marts["signup_conversion"]
    # Only S1 (week 2024-04-29): X9 has no customers row, S2 no signup date.
    assert _conversion(conversion, "2024-04-29", 1) == (1, 1, 0, 0.0)
    assert _conversion(conversion, "2024-04-29", 2) == (1, 1, 1, 1.0)
    assert len(conversion) == 2


# -- lifecycle_flows ---------------------------------------------------------

LIFECYCLE_ORDERS = _orders(
    ("a", "2024-01-10"),  # new in January ...
    ("a", "2024-05-20"),  # ... back after a gap of 131 days
    ("b", "2024-05-01"),  # b buys before signing up (2024-06-20)
)
LIFECYCLE_CUSTOMERS = [
    ("a", TS("2024-01-01 12:00"), None, "US", "email", None, None),
    ("b", TS("2024-06-20 12:00"), None, "US", "email", None, None),
]
# Mid-month: the last snapshot is as_of_date itself.
LIFECYCLE_VARS = {"as_of_date": "2024-06-25", "churn_window_days": 90}


@pytest.fixture(scope="module")
def lifecycle_flows():
    raw = _raw(orders=LIFECYCLE_ORDERS, customers=LIFECYCLE_CUSTOMERS)
    return compute_marts(raw, LIFECYCLE_VARS)["lifecycle_flows"]


def test_lifecycle_snapshots_are_month_ends_then_a_mid_month_as_of_date(lifecycle_flows):
    assert sorted(set(lifecycle_flows["snapshot_date"])) == [
        TS("2024-01-31"),
        TS("2024-02-29"),
        TS("2024-03-31"),
        TS("2024-04-30"),
        TS("2024-05-31"),
        TS("2024-06-25"),
    ]


def test_lifecycle_new_then_churned_then_reactivated_and_a_purchase_before_signup(
    lifecycle_flows,
):
    # churn window 90. a: one purchase day on 01-10 -> 01-31 new (tenure 21);
    # 02-29 recency 50 >= 45 (one purchase day) -> at_risk; 03-31 81 ->
    # at_risk; 04-30 111 >= 90 -> churned; 05-20 again (gap 131 > 90):
    # 05-31 recency 11 < 30 -> reactivated; 06-25 recency 36 (not < 30),
    # 36 <= 2 x 131 and a recency score of 2 of 2 customers (b's 55 days
    # ranks first) -> active.
    # b: first purchase 05-01, signup 06-20 (stages read purchases only):
    # 05-31 tenure 30 (not < 30), recency 30 < 45, recency score 1 (30 days
    # > a's 11) -> active, from `none`; 06-25 recency 55 >= 45 -> at_risk.
    actual = {
        (row.snapshot_date.strftime("%Y-%m-%d"), row.from_stage, row.to_stage): row.customers
        for row in lifecycle_flows.itertuples()
    }
    assert actual == {
        ("2024-01-31", "none", "new"): 1,
        ("2024-02-29", "new", "at_risk"): 1,
        ("2024-03-31", "at_risk", "at_risk"): 1,
        ("2024-04-30", "at_risk", "churned"): 1,
        ("2024-05-31", "churned", "reactivated"): 1,
        ("2024-05-31", "none", "active"): 1,
        ("2024-06-25", "reactivated", "active"): 1,
        ("2024-06-25", "active", "at_risk"): 1,
    }


def test_lifecycle_as_of_date_on_a_month_end_is_one_snapshot():
    raw = _raw(orders=_orders(("a", "2024-01-10")))
    flows = compute_marts(raw, {"as_of_date": "2024-02-29"})["lifecycle_flows"]
    assert flows["snapshot_date"].tolist() == [TS("2024-01-31"), TS("2024-02-29")]


def test_lifecycle_flows_identities_on_the_edge_data(edge_value_marts):
    """METRICS.md "Lifecycle flows" identities: the as_of_date arrivals equal
    the customers mart's stage counts; each snapshot's customers from a
    stage equal the previous snapshot's customers."""
    run = parse_vars({})
    staged = stage_all(edge_case_raw(), run)
    as_of = resolve_as_of_date(staged, run)
    purchases = purchases_until(staged["orders"].staged, staged["customers"].staged, as_of)
    flows = build_lifecycle_flows(purchases, as_of, run.churn_window_days)
    customers = edge_value_marts["customers"]
    last = flows[flows["snapshot_date"] == flows["snapshot_date"].max()]
    assert last.groupby("to_stage")["customers"].sum().to_dict() == (
        customers["lifecycle_stage"].value_counts().to_dict()
    )
    arrivals = flows.groupby("snapshot_date")["customers"].sum()
    from_a_stage = flows[flows["from_stage"] != "none"].groupby("snapshot_date")["customers"].sum()
    from_a_stage = from_a_stage.reindex(arrivals.index, fill_value=0)
    assert from_a_stage.iloc[0] == 0
    assert from_a_stage.iloc[1:].tolist() == arrivals.iloc[:-1].tolist()
    assert len(arrivals) == 29  # 2022-11-30 .. 2025-02-28, then 2025-03-14
