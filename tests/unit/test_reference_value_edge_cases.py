"""Hand-derived expectations pinned on the value reference itself.

retention/reference/ is the yardstick the dbt value marts are compared
with, so it is checked here on its own, on tiny hand-built raw datasets, against
numbers worked out by hand from the spec (in the comments):
docs/design/METRICS.md and docs/metric_decisions.md.

Unless said otherwise orders are ``completed``, placed at 12:00 UTC, without
refund or cost, and the vars are the defaults (churn_window_days 90, month
grain) with an explicit as_of_date.
"""

from __future__ import annotations

import math
from decimal import Decimal

import pandas as pd
import pytest
from support.edge_cases import CUSTOMER_COLUMNS, EVENT_COLUMNS, ORDER_COLUMNS, SPEND_COLUMNS
from support.marts import BENCHMARKS

from retention.reference import compute_value_marts, ntile

TS = pd.Timestamp


# -- tiny raw datasets ------------------------------------------------------


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


def _orders(*purchases: tuple[str, str, str]) -> list[tuple]:
    """(customer_id, date, amount) -> raw order rows with ids O1, O2, ..."""
    return [
        (f"O{i}", customer, TS(f"{day} 12:00"), "completed", Decimal(amount), None, None, None)
        for i, (customer, day, amount) in enumerate(purchases, start=1)
    ]


def _customer(customer_id: str, channel: str = "organic", signed_up_at: str | None = None):
    signup = None if signed_up_at is None else TS(f"{signed_up_at} 12:00")
    return (customer_id, signup, None, "US", channel, None, None)


def _event(event_id: str, customer_id: str, name: str, day: str):
    return (event_id, customer_id, name, TS(f"{day} 12:00"), "web", None)


def _row(frame: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        mask &= frame[column] == value
    matched = frame[mask]
    assert len(matched) == 1, f"expected one row for {where}, got {len(matched)}"
    return matched.iloc[0]


def _is_null(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


# -- ntile ------------------------------------------------------------------


def test_ntile_puts_the_larger_buckets_first():
    # SQL ntile(5): 7 rows -> sizes 2, 2, 1, 1, 1; 3 rows -> one each in 1..3;
    # 10 rows -> two each.
    assert list(ntile(7)) == [1, 1, 2, 2, 3, 4, 5]
    assert list(ntile(3)) == [1, 2, 3]
    assert list(ntile(10)) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert list(ntile(0)) == []


# -- time between purchases: single-purchase customers are not zeros --------

TBP_ORDERS = _orders(
    ("A", "2024-01-05", "10.00"),  # one purchase day: no gap
    ("B", "2024-01-10", "10.00"),
    ("B", "2024-01-20", "10.00"),  # gap 1 (1-2): 10 days
    ("B", "2024-02-19", "10.00"),  # gap 2 (2-3): 30 days
    ("C", "2024-01-15", "10.00"),
    ("C", "2024-01-15", "5.00"),  # same day: one purchase day, two orders
    ("C", "2024-01-19", "10.00"),  # gap 1 (1-2): 4 days
)


@pytest.fixture(scope="module")
def tbp_marts():
    return compute_value_marts(
        _raw(orders=TBP_ORDERS), {"as_of_date": "2024-03-31"}, benchmarks=BENCHMARKS
    )


def test_single_purchase_customer_has_no_gaps_and_is_not_a_zero(tbp_marts):
    tbp = tbp_marts["time_between_purchases"]
    cohort = TS("2024-01-01")  # A, B and C all first bought in January
    assert len(tbp) == 4  # one cohort x 4 transitions

    # 1-2: B 10, C 4 -> 2 customers, 2 gaps; mean 7; sorted [4, 10]:
    # p50 = 7, p75 = 4 + 0.75 * 6 = 8.5, p90 = 4 + 0.9 * 6 = 9.4.
    # (With A as a zero it would be 3 customers and mean 14 / 3.)
    first = _row(tbp, cohort_period=cohort, transition="1-2")
    assert (first["customers"], first["gaps"]) == (2, 2)
    assert first["mean_days"] == pytest.approx(7.0)
    assert first["median_days"] == pytest.approx(7.0)
    assert first["p75_days"] == pytest.approx(8.5)
    assert first["p90_days"] == pytest.approx(9.4)

    # 2-3: B's 30 only.
    second = _row(tbp, cohort_period=cohort, transition="2-3")
    assert (second["customers"], second["gaps"], second["mean_days"]) == (1, 1, 30.0)
    assert second["p90_days"] == pytest.approx(30.0)

    # 3+: nobody has a third gap: 0 customers, 0 gaps, NULL statistics.
    later = _row(tbp, cohort_period=cohort, transition="3+")
    assert (later["customers"], later["gaps"]) == (0, 0)
    assert all(_is_null(later[c]) for c in ("mean_days", "median_days", "p75_days", "p90_days"))

    # all: [4, 10, 30] from B and C (not A): mean 44 / 3, median 10,
    # p75 at rank 1.5 = 10 + 0.5 * 20 = 20, p90 at rank 1.8 = 10 + 0.8 * 20 = 26.
    every = _row(tbp, cohort_period=cohort, transition="all")
    assert (every["customers"], every["gaps"]) == (2, 3)
    assert every["mean_days"] == pytest.approx(44 / 3)
    assert every["median_days"] == pytest.approx(10.0)
    assert every["p75_days"] == pytest.approx(20.0)
    assert every["p90_days"] == pytest.approx(26.0)


def test_customer_gap_columns_are_null_for_a_single_purchase_day(tbp_marts):
    customers = tbp_marts["customers"].set_index("customer_id")
    a = customers.loc["A"]
    assert a["purchase_days"] == 1
    assert _is_null(a["days_to_second_purchase"])
    assert _is_null(a["avg_days_between_purchases"])
    assert _is_null(a["median_days_between_purchases"])
    # B: days 01-10, 01-20, 02-19: first gap 10; avg (02-19 - 01-10) / 2 =
    # 40 / 2 = 20; median of [10, 30] = 20.
    b = customers.loc["B"]
    assert (b["days_to_second_purchase"], b["avg_days_between_purchases"]) == (10, 20.0)
    assert b["median_days_between_purchases"] == 20.0
    # C: 3 orders on 2 purchase days; aov = 25 / 3 orders.
    c = customers.loc["C"]
    assert (c["purchases"], c["purchase_days"], c["days_to_second_purchase"]) == (3, 2, 4)
    assert c["aov"] == pytest.approx(25 / 3)


# -- RFM quintiles: deterministic ties ---------------------------------------

RFM_ORDERS = _orders(
    ("c7", "2024-02-01", "30.00"),  # recency 59 (as_of 2024-03-31)
    ("c6", "2024-03-20", "1.00"),  # recency 11
    ("c5", "2024-03-01", "10.00"),  # c1..c5: recency 30, a 5-way tie
    ("c4", "2024-03-01", "20.00"),
    ("c3", "2024-03-01", "5.00"),
    ("c2", "2024-03-01", "10.00"),
    ("c1", "2024-03-01", "10.00"),
)


def _rfm_scores(orders) -> pd.DataFrame:
    marts = compute_value_marts(
        _raw(orders=orders), {"as_of_date": "2024-03-31"}, benchmarks=BENCHMARKS
    )
    return marts["customers"].set_index("customer_id")[
        ["rfm_recency_score", "rfm_frequency_score", "rfm_monetary_score"]
    ]


def test_rfm_quintile_ties_are_broken_by_customer_id():
    scores = _rfm_scores(RFM_ORDERS)
    # 7 customers -> ntile(5) sizes 2, 2, 1, 1, 1.
    # Recency: recency_days descending, ties by customer_id ascending:
    # c7 (59), c1, c2, c3, c4, c5 (30 each), c6 (11) -> 1, 1, 2, 2, 3, 4, 5.
    assert scores["rfm_recency_score"].to_dict() == {
        "c7": 1, "c1": 1, "c2": 2, "c3": 2, "c4": 3, "c5": 4, "c6": 5,
    }  # fmt: skip
    # Frequency: one purchase day each -> customer_id order c1..c7.
    assert scores["rfm_frequency_score"].to_dict() == {
        "c1": 1, "c2": 1, "c3": 2, "c4": 2, "c5": 3, "c6": 4, "c7": 5,
    }  # fmt: skip
    # Monetary: net revenue ascending, ties by id: c6 (1), c3 (5), c1, c2,
    # c5 (10 each), c4 (20), c7 (30) -> 1, 1, 2, 2, 3, 4, 5.
    assert scores["rfm_monetary_score"].to_dict() == {
        "c6": 1, "c3": 1, "c1": 2, "c2": 2, "c5": 3, "c4": 4, "c7": 5,
    }  # fmt: skip


def test_rfm_quintiles_do_not_depend_on_input_row_order():
    # The same purchases in reverse order (order ids renumbered) score alike.
    reversed_orders = _orders(*[(o[1], str(o[2].date()), str(o[4])) for o in RFM_ORDERS[::-1]])
    assert _rfm_scores(reversed_orders).sort_index().equals(_rfm_scores(RFM_ORDERS).sort_index())


# -- channel economics: zero spend -> NULL CAC -------------------------------


@pytest.fixture(scope="module")
def channel_economics() -> pd.DataFrame:
    customers = [
        _customer("T1", "tv"),
        _customer("P1", "search"),
        *[_customer(f"S{i}", "social") for i in range(1, 5)],
    ]
    orders = _orders(
        ("T1", "2024-01-05", "40.00"),
        ("P1", "2024-01-06", "30.00"),
        ("S1", "2024-01-10", "20.00"),
        ("S2", "2024-01-12", "10.00"),
        ("S3", "2024-01-15", "10.00"),
        ("S4", "2024-01-20", "10.00"),
        ("S1", "2024-03-03", "60.00"),
    )
    spend = [
        (TS("2024-01-01").date(), "tv", None, Decimal("0.00")),  # a zero-amount line
        (TS("2024-01-02").date(), "social", None, Decimal("60.00")),
        (TS("2024-01-31").date(), "social", None, Decimal("40.00")),
        (TS("2024-01-15").date(), "print", None, Decimal("50.00")),  # no customers
        (TS("2024-06-01").date(), "social", None, Decimal("999.00")),  # after as_of
    ]
    marts = compute_value_marts(
        _raw(orders=orders, customers=customers, spend=spend), {"as_of_date": "2024-05-15"},
        benchmarks=BENCHMARKS,
    )
    return marts["channel_economics"]


def test_zero_spend_channel_month_has_null_cac(channel_economics):
    # tv: spend 0.00 for 1 new customer -> cac NULL (metric_decisions.md:
    # "NULL when spend is 0"), so payback and ltv_to_cac are NULL too; the
    # ltv is still known: month 3 (April) ended 2024-04-30 <= 2024-05-15,
    # margin 40 (no cost) / 1.
    tv = _row(channel_economics, acquisition_channel="tv", cohort_month=TS("2024-01-01"))
    assert tv["new_customers"] == 1 and tv["spend"] == 0.0
    assert _is_null(tv["cac"]) and _is_null(tv["payback_months"])
    assert _is_null(tv["ltv_to_cac_12m"])
    assert tv["ltv_3m"] == 40.0
    # search: no spend line at all -> spend 0, cac NULL.
    search = _row(channel_economics, acquisition_channel="search")
    assert search["spend"] == 0.0 and _is_null(search["cac"])
    # print: spend but no new customer -> cac NULL, ltv NULL (0 customers).
    paper = _row(channel_economics, acquisition_channel="print")
    assert (paper["new_customers"], paper["spend"]) == (0, 50.0)
    assert _is_null(paper["cac"]) and _is_null(paper["ltv_3m"])


def test_cac_ltv_and_payback_of_a_paid_channel(channel_economics):
    # social January: spend 60 + 40 = 100 (June's 999 is after as_of) for 4
    # new customers -> cac 25. Margin by month number: 0 -> 20+10+10+10 = 50
    # (12.5 per customer < 25); 2 (March) -> +60 = 110 (27.5 >= 25) ->
    # payback_months 2. ltv_3m = 110 / 4 = 27.5; month 6 (July) is not
    # complete on 2024-05-15 -> ltv_6m, ltv_12m, ltv_to_cac_12m NULL.
    social = _row(channel_economics, acquisition_channel="social")
    assert (social["new_customers"], social["spend"], social["cac"]) == (4, 100.0, 25.0)
    assert social["payback_months"] == 2
    assert social["ltv_3m"] == pytest.approx(27.5)
    assert _is_null(social["ltv_6m"]) and _is_null(social["ltv_12m"])
    assert _is_null(social["ltv_to_cac_12m"])
    # Rows: tv, search, social (customers) and print (spend), all January.
    assert len(channel_economics) == 4


# -- activity retention: eligibility ------------------------------------------


@pytest.fixture(scope="module")
def activity() -> pd.DataFrame:
    customers = [
        _customer("U1", signed_up_at="2024-03-04"),  # Monday: week 2024-03-04
        _customer("U2", signed_up_at="2024-03-06"),  # Wednesday: week 2024-03-04
        _customer("U3", signed_up_at="2024-03-18"),  # Monday: week 2024-03-18
        _customer("U4", signed_up_at="2024-03-25"),  # after as_of: no cohort
        _customer("U5"),  # no signup date: no cohort
    ]
    events = [
        _event("E1", "U1", "add_to_cart", "2024-03-01"),  # before signup (day -3)
        _event("E2", "U1", "page_view", "2024-03-05"),  # day 1
        _event("E3", "U1", "add_to_cart", "2024-03-06"),  # day 2, not the earliest
        _event("E4", "U1", "page_view", "2024-03-12"),  # day 8
        _event("E5", "U2", "add_to_cart", "2024-03-13"),  # day 7
        _event("E6", "U2", "page_view", "2024-03-20"),  # day 14
        _event("E7", "U3", "add_to_cart", "2024-03-19"),  # day 1
        _event("E8", "U3", "page_view", "2024-03-25"),  # after as_of: ignored
        _event("E9", "U4", "page_view", "2024-03-19"),
    ]
    marts = compute_value_marts(
        _raw(customers=customers, events=events),
        {"as_of_date": "2024-03-20", "retention_days": [1, 7, 14]},
        benchmarks=BENCHMARKS,
    )
    return marts["activity_retention"]


def test_activity_eligibility_excludes_cohorts_that_have_not_reached_day_n(activity):
    # Rows: weeks 2024-03-04 and 2024-03-18 (U4 signed up after as_of, U5
    # has no signup) x N in (1, 7, 14).
    assert sorted(set(activity["signup_week"])) == [TS("2024-03-04"), TS("2024-03-18")]
    assert len(activity) == 6
    # Week 2024-03-18 (U3, signup 03-18, as_of 03-20): day 1 = 03-19 <= as_of
    # -> eligible 1, active that day -> retained_on 1; day 7 = 03-25 and day 14
    # = 04-01 are after as_of -> eligible 0, retained 0, rates NULL (not 0).
    late = activity[activity["signup_week"] == TS("2024-03-18")].set_index("day_n")
    assert late.loc[1, ["cohort_size", "eligible_customers", "retained_on"]].tolist() == [1, 1, 1]
    assert late.loc[1, "retention_rate_on"] == 1.0
    for n in (7, 14):
        counts = ["eligible_customers", "retained_on", "retained_on_or_after"]
        assert late.loc[n, counts].tolist() == [0, 0, 0]
        assert _is_null(late.loc[n, "retention_rate_on"])
        assert _is_null(late.loc[n, "retention_rate_on_or_after"])


def test_activity_return_on_and_on_or_after(activity):
    # Week 2024-03-04: U1 (signup 03-04, active 03-01, 03-05, 03-06, 03-12) and
    # U2 (signup 03-06, active 03-13, 03-20). Both eligible for N = 1, 7, 14
    # (U2's day 14 = 03-20 = as_of, included).
    early = activity[activity["signup_week"] == TS("2024-03-04")].set_index("day_n")
    assert early["eligible_customers"].tolist() == [2, 2, 2]
    # N=1: U1 active on 03-05 (yes), U2 on 03-07 (no) -> on 1; on or after:
    # U1 (03-05..), U2 (03-13) -> 2.
    assert early.loc[1, ["retained_on", "retained_on_or_after"]].tolist() == [1, 2]
    # N=7: U1 on 03-11 (no), U2 on 03-13 (yes) -> 1; after: U1 03-12, U2 -> 2.
    assert early.loc[7, ["retained_on", "retained_on_or_after"]].tolist() == [1, 2]
    # N=14: U1 on 03-18 (no), U2 on 03-20 (yes) -> 1; after: U1 has nothing
    # on or after 03-18 -> 1.
    assert early.loc[14, ["retained_on", "retained_on_or_after"]].tolist() == [1, 1]
    assert early.loc[14, "retention_rate_on_or_after"] == 0.5


def test_activation_uses_the_earliest_activation_event(activity):
    # U1's earliest add_to_cart is 03-01, 3 days before signup -> not
    # activated (the 03-06 one is not the earliest). U2's is on day 7 ->
    # activated (window 7, inclusive). Week 03-04: 1 of 2. U3: day 1 -> 1 of 1.
    early = activity[activity["signup_week"] == TS("2024-03-04")]
    assert set(early["activated_customers"]) == {1} and set(early["activation_rate"]) == {0.5}
    late = activity[activity["signup_week"] == TS("2024-03-18")]
    assert set(late["activated_customers"]) == {1} and set(late["activation_rate"]) == {1.0}


# -- retention KPIs: NRR needs 24 months ------------------------------------


@pytest.fixture(scope="module")
def kpis() -> pd.DataFrame:
    orders = _orders(
        ("N1", "2022-01-15", "100.00"),  # the earliest purchase month: 2022-01
        ("N2", "2022-06-10", "50.00"),
        ("N1", "2023-03-01", "30.00"),
        ("N3", "2023-12-05", "500.00"),
        ("N1", "2023-12-20", "90.00"),
    )
    marts = compute_value_marts(
        _raw(orders=orders), {"as_of_date": "2024-01-31"}, benchmarks=BENCHMARKS
    )
    return marts["retention_kpis"].set_index("month_start")


def test_nrr_is_null_before_24_months_of_history(kpis):
    # Rows 2022-01 .. 2024-01 (25 months). The base window of month m starts at
    # m - 23 months; it must not start before 2022-01, so m >= 2023-12.
    assert len(kpis) == 25
    before = kpis.loc[: TS("2023-11-01")]
    assert before["nrr_12m"].isna().all() and before["grr_12m"].isna().all()
    # 2023-12: base 2022-01..2022-12 = N1 100 + N2 50 = 150; current
    # 2023-01..2023-12: N1 30 + 90 = 120, N2 0 (N3 is not in the base).
    # nrr = 120 / 150 = 0.8; grr = (min(120, 100) + min(0, 50)) / 150 = 2 / 3.
    assert kpis.loc[TS("2023-12-01"), "nrr_12m"] == pytest.approx(0.8)
    assert kpis.loc[TS("2023-12-01"), "grr_12m"] == pytest.approx(2 / 3)
    # 2024-01: base 2022-02..2023-01 = N2 50; current 2023-02..2024-01: N2 0
    # -> nrr = grr = 0 (a real 0, not NULL).
    assert kpis.loc[TS("2024-01-01"), "nrr_12m"] == 0.0
    assert kpis.loc[TS("2024-01-01"), "grr_12m"] == 0.0


def test_month_kpis_of_a_hand_counted_month(kpis):
    # 2023-12: N3 (new, 500) and N1 (returning, 90): active 2, new 1,
    # returning 1, 2 purchases, revenue 590, aov 295, frequency 1;
    # returning share 90 / 590. Repeat purchase rate on 2023-12-31: N1 has 3
    # purchase days, N2 1, N3 1 -> 1 / 3.
    december = kpis.loc[TS("2023-12-01")]
    counts = ["active_customers", "new_customers", "returning_customers", "purchases"]
    assert december[counts].tolist() == [2, 1, 1, 2]
    assert december["net_revenue"] == 590.0 and december["aov"] == 295.0
    assert december["returning_revenue_share"] == pytest.approx(90 / 590)
    assert december["repeat_purchase_rate"] == pytest.approx(1 / 3)
    # A month without purchases: aov and purchase_frequency NULL, not 0.
    assert _is_null(kpis.loc[TS("2022-02-01"), "aov"])
    assert _is_null(kpis.loc[TS("2022-02-01"), "purchase_frequency"])
    # repeat_rate_180d of 2022-01 (N1: second purchase 2023-03-01, > 180 days
    # later) = 0 / 1; of 2023-12: 2023-12-31 + 180 days > as_of -> NULL.
    assert kpis.loc[TS("2022-01-01"), "repeat_rate_180d"] == 0.0
    assert _is_null(kpis.loc[TS("2023-12-01"), "repeat_rate_180d"])


# -- lifecycle stages, first match wins -----------------------------------------

LIFECYCLE_ORDERS = _orders(
    ("a_churned", "2024-09-01", "50.00"),  # recency 121
    ("b_new", "2024-12-20", "20.00"),  # recency = tenure = 11
    ("c_reactivated", "2024-01-10", "30.00"),
    ("c_reactivated", "2024-12-15", "30.00"),  # last gap 340, recency 16
    ("d_champion", "2024-10-01", "100.00"),
    ("d_champion", "2024-11-01", "100.00"),
    ("d_champion", "2024-12-01", "100.00"),
    ("d_champion", "2024-12-28", "100.00"),  # recency 3, 4 purchase days
    ("e_at_risk_multi", "2024-10-01", "25.00"),
    ("e_at_risk_multi", "2024-10-11", "25.00"),  # avg gap 10, recency 81
    ("f_at_risk_single", "2024-11-16", "10.00"),  # recency 45 = 90 / 2
    ("g_active", "2024-11-17", "15.00"),  # recency 44 < 45
)


def test_lifecycle_rules_apply_in_order_one_example_per_stage():
    marts = compute_value_marts(
        _raw(orders=LIFECYCLE_ORDERS), {"as_of_date": "2024-12-31"}, benchmarks=BENCHMARKS
    )
    customers = marts["customers"].set_index("customer_id")
    # RFM (7 customers, ntile sizes 2, 2, 1, 1, 1), used by rule 4:
    # recency desc: a 121, e 81, f 45, g 44, c 16, b 11, d 3 -> d = 5;
    # frequency asc: a, b, f, g (1 day), c, e (2 days), d (4) -> d = 5;
    # monetary asc: f 10, g 15, b 20, a 50, e 50, c 60, d 400 -> d = 5.
    scores = ["rfm_recency_score", "rfm_frequency_score", "rfm_monetary_score"]
    assert customers.loc["d_champion", scores].tolist() == [5, 5, 5]
    assert customers.loc["c_reactivated", scores].tolist() == [3, 3, 4]
    assert customers["lifecycle_stage"].to_dict() == {
        # 1. recency 121 >= 90.
        "a_churned": "churned",
        # 2. one purchase day, tenure 11 < 30.
        "b_new": "new",
        # 3. last gap 2024-01-10 -> 2024-12-15 = 340 > 90, recency 16 < 30.
        "c_reactivated": "reactivated",
        # 4. scores 5, 5, 5 (and rules 1-3 do not apply: last gap 27).
        "d_champion": "champion",
        # 5. recency 81 > 2 x avg gap 10 (recency score 1: not a champion).
        "e_at_risk_multi": "at_risk",
        # 5. one purchase day, recency 45 >= 90 / 2 (tenure 45 >= 30: not new).
        "f_at_risk_single": "at_risk",
        # 6. recency 44 < 45, tenure 44 >= 30, scores too low for champion.
        "g_active": "active",
    }
    assert customers.loc["a_churned", "is_active"] == False  # noqa: E712
    assert customers.loc["g_active", "is_active"] == True  # noqa: E712
