"""Hand-derived expectations pinned on the pandas reference itself.

The reference (retention/reference/) is the yardstick the dbt marts are
compared with, so it is checked here on its own against numbers worked out by
hand from the spec, in the comments. Dataset: tests/support/edge_cases.py.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from support.edge_cases import DERIVED_AS_OF_DATE, EXPECTED_STAGING_COUNTS, edge_case_raw

from retention.reference import (
    active_customers_on,
    compute_marts,
    parse_vars,
    purchases_until,
    stage_all,
)

TS = pd.Timestamp


@pytest.fixture(scope="module")
def marts() -> dict[str, pd.DataFrame]:
    return compute_marts(edge_case_raw(), {})


@pytest.fixture(scope="module")
def marts_utc_minus_5() -> dict[str, pd.DataFrame]:
    return compute_marts(edge_case_raw(), {"reporting_timezone": "Etc/GMT+5"})


def _row(frame: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        mask &= frame[column] == value
    matched = frame[mask]
    assert len(matched) == 1, f"expected one row for {where}, got {len(matched)}"
    return matched.iloc[0]


def _churn_row(marts, month: str) -> pd.Series:
    return _row(marts["churn"], period_start=TS(month))


# -- staging -----------------------------------------------------------------


def test_every_raw_row_lands_in_exactly_one_place(marts):
    # raw rows = staged + quarantined + duplicate (staging_rules.md).
    counts = marts["staging_counts"]
    raw = edge_case_raw()
    for source, frame in raw.items():
        assert counts.loc[counts["source"] == source, "rows"].sum() == len(frame), source


def test_staging_outcomes_by_reason_match_the_hand_count(marts):
    counts = marts["staging_counts"]
    for source, expected in EXPECTED_STAGING_COUNTS.items():
        got = counts[counts["source"] == source]
        actual = {
            (r.reason if r.outcome == "quarantined" else r.outcome): int(r.rows)
            for r in got.itertuples()
        }
        assert actual == expected, source


def test_latest_updated_at_wins_and_null_counts_as_oldest(marts):
    # O-2102: NULL (cancelled 10) < 2024-05-21 (pending 50) < 2024-05-23
    # (completed 55) -> the completed 55.00 version is staged and a purchase.
    orders = marts["stg_orders"].set_index("order_id")
    assert orders.loc["O-2102", "status"] == "completed"
    assert orders.loc["O-2102", "net_revenue_micros"] == 55_000_000
    assert bool(orders.loc["O-2102", "is_purchase"])
    # C11: organic (2023-01-01) < ' Referral' (2023-06-01); NULL is oldest.
    customers = marts["stg_customers"].set_index("customer_id")
    assert customers.loc["C11", "acquisition_channel"] == "referral"


def test_dedup_happens_before_validation(marts):
    # O-2103's latest version is negative -> quarantined; the older valid
    # copy is a duplicate, so the order is neither staged nor a purchase.
    assert "O-2103" not in set(marts["stg_orders"]["order_id"])
    # ' O-2104' / 'O-2104 ' are one key after trimming; 35.00 is later.
    orders = marts["stg_orders"].set_index("order_id")
    assert orders.loc["O-2104", "net_revenue_micros"] == 35_000_000


def test_implausible_is_judged_on_the_utc_date():
    # O-9012 at 1990-01-01 00:00 UTC is plausible even where its local date
    # is 1989-12-31 (UTC-5); O-9005 one second earlier is not.
    staged = stage_all(edge_case_raw(), parse_vars({"reporting_timezone": "Etc/GMT+5"}))
    orders = staged["orders"].staged.set_index("order_id")
    assert orders.loc["O-9012", "order_date"] == TS("1989-12-31")
    quarantine = staged["orders"].quarantine.set_index("order_id")
    assert quarantine.loc["O-9005", "reason"] == "implausible_ordered_at"


def test_blank_or_null_status_becomes_unknown_and_is_not_a_purchase(marts):
    orders = marts["stg_orders"].set_index("order_id")
    for order_id in ("O-2002", "O-2003"):
        assert orders.loc[order_id, "status"] == "unknown"
        assert not bool(orders.loc[order_id, "is_purchase"])


# -- as_of_date ----------------------------------------------------------------


def test_as_of_date_is_the_latest_staged_order_or_event_date(marts):
    # Latest order: 2025-03-10 (C13). Latest staged event: anonymous EV-002
    # on 2025-03-14. Quarantined rows (2150 order/event, EV-901 on 03-25)
    # and the later duplicate of EV-005 (03-20) do not count.
    assert marts["run"]["as_of_date"].iloc[0] == TS(DERIVED_AS_OF_DATE)


# -- customer_cohorts ----------------------------------------------------------


def test_same_day_purchases_are_two_orders_in_one_period(marts):
    # C01: 30.00 (cost 10) + 20.00 (no cost) on 2024-02-10:
    # 2 orders, net 50, margin 20 + 20 = 40.
    row = _row(marts["customer_cohorts"], customer_id="C01", period_number=0)
    assert (row.purchases_in_period, row.net_revenue_in_period, row.gross_margin_in_period) == (
        2,
        50.0,
        40.0,
    )
    assert row.cohort_period == TS("2024-02-01")


def test_refunds_and_missing_cost(marts):
    cohorts = marts["customer_cohorts"]
    # C04: 100 - 30 refunded = 70 net; 70 - 90 cost = -20 margin.
    c04 = _row(cohorts, customer_id="C04", period_number=0)
    assert (c04.net_revenue_in_period, c04.gross_margin_in_period) == (70.0, -20.0)
    # C05: NULL cost -> margin = net revenue = 80.
    c05 = _row(cohorts, customer_id="C05", period_number=0)
    assert c05.gross_margin_in_period == 80.0
    # C03: the fully refunded January order is not a purchase -> cohort Feb.
    assert _row(cohorts, customer_id="C03", period_number=0).cohort_period == TS("2024-02-01")
    # C14: a 0.00 completed order is a purchase (full refund needs amount > 0).
    c14 = _row(cohorts, customer_id="C14", period_number=0)
    assert (c14.purchases_in_period, c14.net_revenue_in_period) == (1, 0.0)


def test_cancelled_order_leaves_the_period_inactive(marts):
    # C02: completed 2024-03-05 (period 0), cancelled 2024-04-15 (period 1).
    row = _row(marts["customer_cohorts"], customer_id="C02", period_number=1)
    assert not row.is_active_in_period and row.purchases_in_period == 0


def test_channels_come_from_staged_customers(marts):
    channel = marts["customer_cohorts"].groupby("customer_id")["acquisition_channel"].first()
    assert channel["C01"] == "paid_search"  # ' Paid_Search ' normalized
    assert channel["C10"] == "unknown"  # missing from raw.customers
    assert channel["C11"] == "referral"  # latest updated_at
    assert channel["C17"] == "unknown"  # blank channel
    assert channel["C18"] == "paid_search"  # ' C18 ' trimmed key
    assert channel["C20"] == "unknown"  # NULL channel


def test_only_customers_with_a_purchase_are_in_the_grid(marts):
    customers = set(marts["customer_cohorts"]["customer_id"])
    expected = {f"C{n:02d}" for n in range(1, 22)} - {"C15", "C16"}
    assert customers == expected


def test_grid_runs_through_the_period_containing_as_of_date(marts):
    # C13: cohort 2022-11; as_of 2025-03-14 -> period numbers 0..28; only the
    # last (March 2025, ends 03-31 > as_of) is incomplete.
    rows = marts["customer_cohorts"].query("customer_id == 'C13'")
    assert list(rows["period_number"]) == list(range(29))
    assert list(rows["is_complete_period"]) == [True] * 28 + [False]
    last = rows.iloc[-1]
    assert (
        last.cumulative_purchases,
        last.cumulative_net_revenue,
        last.cumulative_gross_margin,
    ) == (5, 50.0, 30.0)


def test_week_and_quarter_grains():
    week = compute_marts(edge_case_raw(), {"cohort_grain": "week"})["customer_cohorts"]
    # C06: 2024-02-01 is a Thursday -> ISO week from Monday 2024-01-29;
    # 2024-05-01 is 13 weeks later (Monday 2024-04-29).
    c06 = week.query("customer_id == 'C06' and is_active_in_period")
    assert list(c06["period_start"]) == [TS("2024-01-29"), TS("2024-04-29")]
    assert list(c06["period_number"]) == [0, 13]
    # as_of 2025-03-14 (Friday): last week starts Monday 2025-03-10, incomplete.
    assert week["period_start"].max() == TS("2025-03-10")
    assert not week.loc[week["period_start"] == TS("2025-03-10"), "is_complete_period"].any()

    quarter = compute_marts(edge_case_raw(), {"cohort_grain": "quarter"})["customer_cohorts"]
    # C12: 2023-01-15 (Q1) and 2023-09-20 / 2023-10-05 (Q3, Q4).
    c12 = quarter.query("customer_id == 'C12' and is_active_in_period")
    assert list(c12["period_number"]) == [0, 2, 3]
    assert list(c12["period_start"]) == [TS("2023-01-01"), TS("2023-07-01"), TS("2023-10-01")]


# -- cohort_retention ----------------------------------------------------------


def test_cohort_without_activity_after_period_zero(marts):
    # Cohort 2023-07 = {C09}, one purchase: rows for k = 0..20 (through March
    # 2025); retention 1 at k = 0, then 0; rolling retention also 0 after 0.
    rows = marts["cohort_retention"].query("cohort_period == @TS('2023-07-01')")
    assert list(rows["period_number"]) == list(range(21))
    assert list(rows["retention_rate"]) == [1.0] + [0.0] * 20
    assert list(rows["rolling_retention_rate"]) == [1.0] + [0.0] * 20
    assert set(rows["cumulative_net_revenue_per_customer"]) == {35.0}
    assert set(rows["cumulative_gross_margin_per_customer"]) == {30.0}


def test_feb_2024_cohort_curve(marts):
    # Cohort 2024-02 = {C01, C03, C06, C11} (C13 belongs to 2022-11).
    # k=0: 4 active, 5 orders, net 50+40+25+15 = 130 -> 32.5 per customer.
    # k=1 (March): nobody; C06 buys again in May (k=3) -> retained_on_or_after
    # is 1 for k = 1..3, then 0.
    rows = (
        marts["cohort_retention"]
        .query("cohort_period == @TS('2024-02-01')")
        .set_index("period_number")
    )
    assert rows.loc[0, ["cohort_size", "active_customers", "purchases"]].tolist() == [4, 4, 5]
    assert rows.loc[0, "cumulative_net_revenue_per_customer"] == 32.5
    assert rows.loc[1:3, "retained_on_or_after"].tolist() == [1, 1, 1]
    assert rows.loc[1:3, "rolling_retention_rate"].tolist() == [0.25, 0.25, 0.25]
    assert rows.loc[3, "active_customers"] == 1 and rows.loc[3, "retention_rate"] == 0.25
    assert rows.loc[4, "retained_on_or_after"] == 0
    # (130 + 25) / 4 = 38.75 from k = 3 on.
    assert rows.loc[3, "cumulative_net_revenue_per_customer"] == 38.75


def test_by_channel_splits_the_cohort(marts):
    by_channel = (
        marts["cohort_retention_by_channel"]
        .query("cohort_period == @TS('2024-02-01') and period_number == 0")
        .set_index("acquisition_channel")
    )
    # C01 paid_search; C03, C06 organic; C11 referral.
    assert by_channel["cohort_size"].to_dict() == {"organic": 2, "paid_search": 1, "referral": 1}


# -- churn ----------------------------------------------------------------------


def test_churn_months_span_first_purchase_month_to_as_of_month(marts):
    churn = marts["churn"]
    # 2022-11 .. 2025-03 = 29 months; the last ends at as_of and is incomplete.
    assert len(churn) == 29
    assert churn["period_start"].iloc[0] == TS("2022-11-01")
    last = churn.iloc[-1]
    assert (last.period_start, last.period_end, last.is_complete_period) == (
        TS("2025-03-01"),
        TS(DERIVED_AS_OF_DATE),
        False,
    )
    # First month: nobody active on 2022-10-31 -> every rate is NULL.
    first = churn.iloc[0]
    assert first.customers_start == 0 and math.isnan(first.churn_rate) and math.isnan(first.crr)


def test_gap_of_exactly_the_window_stays_active_one_more_day_does_not():
    # Active on d: d - p < 90. On 2024-04-30: C06 (p = 2024-02-01) is 89
    # days -> active; C07 (p = 2024-01-31) is 90 days -> not active.
    run = parse_vars({})
    staged = stage_all(edge_case_raw(), run)
    purchases = purchases_until(
        staged["orders"].staged, staged["customers"].staged, TS(DERIVED_AS_OF_DATE)
    )
    active = active_customers_on(purchases, TS("2024-04-30"), 90)
    assert "C06" in active and "C07" not in active


def test_churn_april_2024(marts):
    # f = 04-01, l = 04-30, window 90.
    # S (active on 03-31: last purchase >= 2024-01-02): C01 02-10, C02 03-05,
    #   C03 02-03, C06 02-01, C07 01-31, C11 02-10, C13 02-14, C20 03-15 -> 8.
    # E (active on 04-30: last purchase >= 2024-02-01): C01, C02, C03, C06,
    #   C08 (04-20), C11, C13, C20 -> 8. C07 (01-31) dropped out.
    # N: C08 (first purchase 2024-04-01 UTC) -> 1, active at end.
    # retained 7, churned 1 (C07), reactivated 0.
    row = _churn_row(marts, "2024-04-01")
    assert row[
        [
            "customers_start",
            "customers_end",
            "new_customers",
            "new_customers_active_end",
            "retained_customers",
            "churned_customers",
            "reactivated_customers",
        ]
    ].tolist() == [8, 8, 1, 1, 7, 1, 0]
    assert row.churn_rate == 1 / 8 and row.retention_rate == 7 / 8 and row.crr == 7 / 8


def test_churn_may_2024(marts):
    # f = 05-01, l = 05-31.
    # S = E of April = {C01, C02, C03, C06, C08, C11, C13, C20} -> 8.
    # E (last purchase >= 2024-03-03 on 05-31): C02 03-05, C06 05-01,
    #   C07 05-01, C08 04-20, C20 03-15, C21 05-20 -> 6.
    # N = {C21} (first purchase 05-10).
    # retained {C02, C06, C08, C20} = 4 (C06: the 90-day gap never lapsed);
    # churned {C01, C03, C11, C13} = 4; reactivated {C07} = 1 (91-day gap);
    # new_active_end {C21} = 1.  crr = (6 - 1) / 8 = 0.625.
    row = _churn_row(marts, "2024-05-01")
    assert row[
        [
            "customers_start",
            "customers_end",
            "new_customers",
            "new_customers_active_end",
            "retained_customers",
            "churned_customers",
            "reactivated_customers",
        ]
    ].tolist() == [8, 6, 1, 1, 4, 4, 1]
    assert (row.churn_rate, row.retention_rate, row.crr) == (0.5, 0.5, 0.625)


def test_churn_september_2023_reactivation(marts):
    # S (active on 08-31: last purchase >= 2023-06-03): C09 07-12, C13 06-10.
    # E (active on 09-30: last purchase >= 2023-07-03): C09, C12 (09-20).
    # No new customers. retained {C09}, churned {C13}, reactivated {C12}
    # (bought 2023-01-15, lapsed, bought again). crr = (2 - 0) / 2 = 1.
    row = _churn_row(marts, "2023-09-01")
    assert row[
        [
            "customers_start",
            "customers_end",
            "new_customers",
            "retained_customers",
            "churned_customers",
            "reactivated_customers",
        ]
    ].tolist() == [2, 2, 0, 1, 1, 1]
    assert (row.churn_rate, row.crr) == (0.5, 1.0)


def test_crr_can_exceed_one_when_reactivations_outnumber_the_start(marts):
    # February 2024: S = {C07} (C12 lapsed in January); E adds C13, who had
    # lapsed since 2023-06 and buys 02-14 -> reactivated; new C01, C03, C06,
    # C11. crr = (E - N_end) / S = (6 - 4) / 1 = 2 (METRICS.md formula).
    row = _churn_row(marts, "2024-02-01")
    assert row[
        ["customers_start", "customers_end", "new_customers_active_end", "reactivated_customers"]
    ].tolist() == [1, 6, 4, 1]
    assert row.crr == 2.0


def test_churn_identities_hold_every_month(marts):
    churn = marts["churn"]
    assert (churn.customers_start == churn.retained_customers + churn.churned_customers).all()
    assert (
        churn.customers_end
        == churn.retained_customers + churn.reactivated_customers + churn.new_customers_active_end
    ).all()


# -- reporting timezone ---------------------------------------------------------


def test_purchase_at_0200_utc_moves_to_the_previous_day_in_utc_minus_5(marts_utc_minus_5):
    # C08's first purchase, 2024-04-01 02:00 UTC = 2024-03-31 21:00 in UTC-5:
    # cohort March; April has no new customer; S of April gains C08.
    cohorts = marts_utc_minus_5["customer_cohorts"]
    assert _row(cohorts, customer_id="C08", period_number=0).cohort_period == TS("2024-03-01")
    row = _churn_row(marts_utc_minus_5, "2024-04-01")
    assert row[["customers_start", "new_customers", "churned_customers"]].tolist() == [9, 0, 1]
    quarterly = compute_marts(
        edge_case_raw(), {"reporting_timezone": "Etc/GMT+5", "cohort_grain": "quarter"}
    )
    assert _row(
        quarterly["customer_cohorts"], customer_id="C08", period_number=0
    ).cohort_period == TS("2024-01-01")
    weekly = compute_marts(
        edge_case_raw(), {"reporting_timezone": "Etc/GMT+5", "cohort_grain": "week"}
    )
    assert _row(weekly["customer_cohorts"], customer_id="C08", period_number=0).cohort_period == TS(
        "2024-03-25"
    )


# -- vars -----------------------------------------------------------------------


def test_explicit_as_of_date_and_extra_purchase_status():
    # as_of 2025-01-20: C13's 2025-03-10 and C18's 2025-02-02 orders are staged
    # but not counted. 'SHIPPED ' counts once `shipped` is listed, so C19's
    # cohort becomes 2024-12 (O-1901 on 2024-12-05).
    marts = compute_marts(
        edge_case_raw(), {"as_of_date": "2025-01-20", "purchase_statuses": ["completed", "shipped"]}
    )
    cohorts = marts["customer_cohorts"]
    assert cohorts["period_start"].max() == TS("2025-01-01")
    assert _row(cohorts, customer_id="C19", period_number=0).cohort_period == TS("2024-12-01")
    c13 = cohorts.query("customer_id == 'C13'").iloc[-1]
    assert c13.cumulative_purchases == 4
    assert marts["churn"]["period_end"].iloc[-1] == TS("2025-01-20")


@pytest.mark.parametrize(
    "bad",
    [
        {"cohort_grain": "year"},
        {"churn_window_days": 0},
        {"as_of_date": "2025-13-01"},
    ],
)
def test_invalid_vars_are_rejected_naming_the_var(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        parse_vars(bad)


def test_empty_raw_tables_give_empty_marts():
    # CONTRACT.md: "an empty table is valid input". No staged order or event:
    # no as_of_date can be derived and every mart is empty.
    empty = {name: frame.iloc[:0] for name, frame in edge_case_raw().items()}
    marts = compute_marts(empty, {})
    for mart in ("customer_cohorts", "cohort_retention", "cohort_retention_by_channel", "churn"):
        assert marts[mart].empty, mart
    assert pd.isna(marts["run"]["as_of_date"].iloc[0])
