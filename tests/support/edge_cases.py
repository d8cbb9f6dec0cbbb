"""A small hand-made raw dataset in which every row exists for a reason.

``edge_case_raw()`` returns the five raw tables of CONTRACT.md sections 1 and 5.
Each row is commented with the rule it exercises (docs/staging_rules.md,
docs/design/METRICS.md). Unless said otherwise, orders are ``completed``
and placed at 12:00 UTC, which is the same local date in every zone the tests
use (UTC and UTC-5).

The dates are chosen so that, with the default vars:

- the earliest purchase is 2022-11-20 (C13) and the derived as_of_date is
  2025-03-14 (an anonymous event): purchases span 28 months and the current
  month, ISO week and quarter are incomplete;
- every cohort but one has activity after period 0; cohort 2023-07 (C09 alone;
  also alone in Q3 2023 and in ISO week 2023-07-10) has none.

Customers in the cohort marts (default vars): C01-C14, C17-C21 (19).
C15 (no purchase) and C16 (no order) are not; C10 has no raw.customers row.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd

# The as_of_date derived from this dataset with the default vars.
DERIVED_AS_OF_DATE = "2025-03-14"

CUSTOMER_COLUMNS = [
    "customer_id",
    "signed_up_at",
    "email",
    "country_code",
    "acquisition_channel",
    "acquisition_campaign",
    "updated_at",
]
ORDER_COLUMNS = [
    "order_id",
    "customer_id",
    "ordered_at",
    "status",
    "order_amount",
    "refunded_amount",
    "cost_amount",
    "updated_at",
]
EVENT_COLUMNS = ["event_id", "customer_id", "event_name", "occurred_at", "platform", "properties"]
SPEND_COLUMNS = ["spend_date", "channel", "campaign", "spend_amount"]
ASSIGNMENT_COLUMNS = ["experiment_id", "customer_id", "variant", "assigned_at"]


def _ts(text: str | None) -> pd.Timestamp | None:
    """A naive UTC timestamp; a bare date means 12:00 UTC."""
    if text is None:
        return None
    return pd.Timestamp(text if " " in text else f"{text} 12:00")


def _amount(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _customer(
    customer_id,
    channel,
    updated_at=None,
    signed_up_at="2022-01-01",
    email="x@example.com",
    country="us",
    campaign=None,
):
    return (customer_id, _ts(signed_up_at), email, country, channel, campaign, _ts(updated_at))


def _order(
    order_id,
    customer_id,
    ordered_at,
    amount,
    status="completed",
    refunded=None,
    cost=None,
    updated_at=None,
):
    return (
        order_id,
        customer_id,
        _ts(ordered_at),
        status,
        _amount(amount),
        _amount(refunded),
        _amount(cost),
        _ts(updated_at),
    )


def _event(event_id, customer_id, name, occurred_at, platform="web", properties=None):
    return (event_id, customer_id, name, _ts(occurred_at), platform, properties)


def _spend(spend_date, channel, campaign, amount):
    return (spend_date, channel, campaign, _amount(amount))


def _customers() -> pd.DataFrame:
    rows = [
        # Channel is lower-cased and trimmed: ' Paid_Search ' -> paid_search.
        # Signup conversion (METRICS.md "Signup conversion"): C01 signs up
        # 2024-02-12, after its first purchase (02-10): 0 days, not -2.
        _customer("C01", " Paid_Search ", signed_up_at="2024-02-12"),
        # C02 signs up at 03:00 UTC on Monday 2024-03-04, which is Sunday
        # 03-03 in UTC-5 (the last day of ISO week 2024-02-26 there), and
        # first buys 03-05: 1 day (converted by day 1) in UTC, 2 in UTC-5.
        _customer("C02", "organic", signed_up_at="2024-03-04 03:00"),
        _customer("C03", "organic"),
        _customer("C04", "referral", country="USA"),  # not two letters -> NULL country
        _customer("C05", "email", country=" de "),  # -> DE
        _customer("C06", "organic"),
        _customer("C07", "organic"),
        # C08 signs up 2024-03-24 12:00 UTC (activation_drivers): its
        # 2024-04-01 02:00 UTC purchase is day 8 in UTC (retained), day 7 in
        # UTC-5 (2024-03-31 local: first_purchase).
        _customer("C08", "paid_search", signed_up_at="2024-03-24"),
        _customer("C09", "email", signed_up_at="1900-01-01"),  # implausible signup -> NULL, kept
        # C10 has orders but no row here -> channel `unknown`.
        # C11 repeated with a changed channel: the latest updated_at wins
        # (referral); the NULL updated_at row counts as the oldest.
        _customer("C11", "organic", updated_at="2023-01-01"),
        _customer("C11", " Referral", updated_at="2023-06-01"),
        _customer("C11", "email", updated_at=None),
        # C12 repeated identically: one copy kept, one counted as duplicate.
        _customer("C12", "referral", updated_at="2023-01-01"),
        _customer("C12", "referral", updated_at="2023-01-01"),
        _customer("C13", "organic"),
        # C14 first buys 2024-10-03, exactly 7 days after signup: converted
        # on day 7, not on day 1 (activation_drivers: a first purchase on
        # day 7, the last day of the early window).
        _customer("C14", "email", signed_up_at="2024-09-26"),
        # C15: only cancelled / pending orders: no purchase (never retained).
        _customer("C15", "organic", signed_up_at="2024-07-01"),
        # C16: no orders at all; signs up 2025-03-07 = as_of - 7: eligible
        # for day 7 (not 14), never converted; signup + 30 days is after
        # as_of_date: outside the activation_drivers population. After
        # as_of 2025-01-20 (the edge-month-asof case): no signup.
        _customer("C16", "organic", signed_up_at="2025-03-07"),
        # C17: blank channel -> unknown. Signs up 2025-03-20, after the
        # derived as_of_date: no signup (days_to_first_purchase NULL although
        # it bought, no conversion row, not in the drivers population).
        _customer("C17", "   ", signed_up_at="2025-03-20"),
        # A padded key is trimmed: ' C18 ' joins the orders of 'C18'.
        # activation_drivers: C18's 2025-02-02 purchase is day 30 after its
        # signup (retained, the last day of the outcome window); C19's
        # 2025-01-10 purchase is day 31 (not retained). C18 first bought
        # 2024-11-11, before signing up: days_to_first_purchase 0.
        _customer(" C18 ", "paid_search", signed_up_at="2025-01-03"),
        _customer("C19", "referral", signed_up_at="2024-12-10"),
        _customer("C20", None),  # NULL channel -> unknown
        _customer("C21", "organic"),
        # Quarantine missing_customer_id: NULL and blank keys.
        _customer(None, "organic"),
        _customer("   ", "organic"),
    ]
    return pd.DataFrame(rows, columns=CUSTOMER_COLUMNS)


def _orders() -> pd.DataFrame:
    rows = [
        # C01: two purchases on the same day; both count as orders
        # (purchases_in_period = 2), same purchase day. Status case/space
        # varies. Margin 30-10 = 20 and 20 (no cost) -> 40.
        _order("O-0101", "C01", "2024-02-10 14:00", "30.00", cost="10.00"),
        _order("O-0102", "C01", "2024-02-10 20:00", "20.00", status=" Completed"),
        # C02: a purchase, then a cancelled order (not a purchase: April idle).
        _order("O-0201", "C02", "2024-03-05", "45.00", status=" COMPLETED ", cost="15.00"),
        _order("O-0202", "C02", "2024-04-15", "60.00", status="cancelled"),
        # C03: a fully refunded January order is not a purchase, so the
        # cohort is February (first real purchase).
        _order("O-0301", "C03", "2024-01-20", "50.00", refunded="50.00"),
        _order("O-0302", "C03", "2024-02-03", "40.00", cost="25.00"),
        # C04: partly refunded with cost: net 100-30 = 70, margin 70-90 = -20.
        _order("O-0401", "C04", "2024-06-10", "100.00", refunded="30.00", cost="90.00"),
        # C05: NULL cost -> margin = net revenue = 80.
        _order("O-0501", "C05", "2024-06-15", "80.00"),
        # C06: gap exactly 90 days (2024-02-01 -> 2024-05-01): active on
        # 2024-04-30 (89 days) -> in customers_start of May, retained.
        _order("O-0601", "C06", "2024-02-01", "25.00"),
        _order("O-0602", "C06", "2024-05-01", "25.00"),
        # C07: gap 91 days (2024-01-31 -> 2024-05-01): inactive on 2024-04-30
        # (90 days) -> churned in April, reactivated in May.
        _order("O-0701", "C07", "2024-01-31", "25.00"),
        _order("O-0702", "C07", "2024-05-01", "25.00"),
        # C08: first purchase at 02:00 UTC on Monday 2024-04-01, which is
        # Sunday 2024-03-31 in UTC-5: cohort month, ISO week and quarter all
        # move back one period there.
        _order("O-0801", "C08", "2024-04-01 02:00", "60.00", cost="20.00"),
        _order("O-0802", "C08", "2024-04-20", "40.00", cost="10.00"),
        # C09: alone in its cohort, one purchase, no activity after period 0.
        _order("O-0901", "C09", "2023-07-12", "35.00", cost="5.00"),
        # C10: missing from raw.customers; kept with channel unknown.
        _order("O-1001", "C10", "2024-08-05", "70.00", cost="30.00"),
        _order("O-1002", "C10", "2024-09-07", "30.00"),
        # C11: the repeated customer (channel referral).
        _order("O-1101", "C11", "2024-02-10", "15.00"),
        # C12: lapsed and returned: 2023-01-15, then 2023-09-20 (reactivated
        # in September 2023), then 2023-10-05.
        _order("O-1201", "C12", "2023-01-15", "20.00"),
        _order("O-1202", "C12", "2023-09-20", "22.00"),
        _order("O-1203", "C12", "2023-10-05", "24.00"),
        # C13: purchases spanning more than 24 months; holds the earliest
        # purchase (2022-11-20) and the latest order (2025-03-10).
        _order("O-1301", "C13", "2022-11-20", "10.00", cost="4.00"),
        _order("O-1302", "C13", "2023-06-10", "10.00", cost="4.00"),
        _order("O-1303", "C13", "2024-02-14", "10.00", cost="4.00"),
        _order("O-1304", "C13", "2025-01-05", "10.00", cost="4.00"),
        _order("O-1305", "C13", "2025-03-10", "10.00", cost="4.00"),
        # C14: a zero-amount completed order is a purchase ("fully refunded"
        # needs order_amount > 0) with zero revenue.
        _order("O-1401", "C14", "2024-10-03", "0.00"),
        # C15: only cancelled and pending orders -> not in the cohort marts.
        _order("O-1501", "C15", "2024-07-07", "20.00", status="cancelled"),
        _order("O-1502", "C15", "2024-08-08", "20.00", status="pending"),
        # C17: blank channel in raw.customers -> unknown.
        _order("O-1701", "C17", "2024-06-20", "55.00"),
        # C18: customer row has a padded key. Second order partly refunded.
        _order("O-1801", "C18", "2024-11-11", "65.00"),
        _order("O-1802", "C18", "2025-02-02", "45.00", refunded="5.00"),
        # C19: a 'SHIPPED ' order counts only when purchase_statuses lists
        # `shipped` (one test run does); then the cohort is 2024-12.
        _order("O-1901", "C19", "2024-12-05", "33.00", status="SHIPPED "),
        _order("O-1902", "C19", "2025-01-10", "44.00"),
        # C20: blank and NULL statuses become `unknown`: not purchases.
        _order("O-2001", "C20", "2024-03-15", "12.00"),
        _order("O-2002", "C20", "2024-03-20", "99.00", status="  "),
        _order("O-2003", "C20", "2024-04-02", "99.00", status=None),
        # C21: duplicate order ids.
        # O-2101: two identical rows -> one kept, one duplicate.
        _order("O-2101", "C21", "2024-05-10", "18.00", updated_at="2024-05-10"),
        _order("O-2101", "C21", "2024-05-10", "18.00", updated_at="2024-05-10"),
        # O-2102: changed payload; the latest updated_at (completed, 55.00)
        # wins over pending 50.00 and over the NULL-updated_at cancelled row.
        _order("O-2102", "C21", "2024-05-20", "10.00", status="cancelled", updated_at=None),
        _order("O-2102", "C21", "2024-05-20", "50.00", status="pending", updated_at="2024-05-21"),
        _order("O-2102", "C21", "2024-05-20", "55.00", updated_at="2024-05-23"),
        # O-2103: the latest version has a negative amount. Dedup comes
        # before validation, so the order is quarantined (negative_amount)
        # and the older valid version is a duplicate: no purchase.
        _order("O-2103", "C21", "2024-06-01", "40.00", updated_at="2024-06-01"),
        _order("O-2103", "C21", "2024-06-01", "-40.00", updated_at="2024-06-02"),
        # O-2104: keys equal after trimming; the later version (35.00) wins.
        _order(" O-2104", "C21", "2024-07-01", "30.00", updated_at="2024-07-01"),
        _order("O-2104 ", "C21", "2024-07-01", "35.00", updated_at="2024-07-02"),
        # Quarantine missing_order_id: NULL and blank.
        _order(None, "C21", "2024-07-05", "10.00"),
        _order("   ", "C21", "2024-07-05", "10.00"),
        # missing_customer_id: NULL, and blank (which also lacks ordered_at:
        # the first reason in priority order wins).
        _order("O-9001", None, "2024-07-06", "10.00"),
        _order("O-9002", " ", None, "10.00"),
        # missing_ordered_at, and missing_ordered_at before missing_order_amount.
        _order("O-9003", "C21", None, "10.00"),
        _order("O-9004", "C21", None, None),
        # implausible_ordered_at: just before 1990-01-01 UTC, and in 2150
        # with a negative amount as well (implausible comes first). If the
        # 2150 order were staged the derived as_of_date would be 2150.
        _order("O-9005", "C21", "1989-12-31 23:59:59", "10.00"),
        _order("O-9006", "C21", "2150-01-01", "-1.00"),
        # missing_order_amount.
        _order("O-9007", "C21", "2024-07-07", None),
        # negative_amount: order (refund 0 > -5 too, but negative comes
        # first), refunded, cost.
        _order("O-9008", "C21", "2024-07-08", "-5.00", refunded="0.00"),
        _order("O-9009", "C21", "2024-07-09", "10.00", refunded="-1.00"),
        _order("O-9010", "C21", "2024-07-10", "10.00", cost="-2.00"),
        # refund_exceeds_order_amount.
        _order("O-9011", "C21", "2024-07-11", "20.00", refunded="25.00"),
        # Exactly 1990-01-01 00:00 UTC is plausible (staged; cancelled, and
        # 1989-12-31 in UTC-5 since plausibility looks at the UTC date).
        _order("O-9012", "C21", "1990-01-01 00:00", "10.00", status="cancelled"),
    ]
    return pd.DataFrame(rows, columns=ORDER_COLUMNS)


def _events() -> pd.DataFrame:
    rows = [
        _event("EV-001", "C01", "page_view", "2024-02-10 10:00", platform=" Web "),
        # The latest staged event/order date: an anonymous event on
        # 2025-03-14 -> derived as_of_date (anonymous events count there).
        _event("EV-002", None, "page_view", "2025-03-14 12:00"),
        _event("EV-003", "   ", "page_view", "2024-05-05"),  # blank customer -> anonymous
        # EV-004: identical duplicate rows -> one kept.
        _event("EV-004", "C02", "add_to_cart", "2024-03-05 11:00"),
        _event("EV-004", "C02", "add_to_cart", "2024-03-05 11:00"),
        # EV-005: the earliest occurrence is kept; the later copy (2025-03-20)
        # would move as_of_date if it were kept.
        _event("EV-005", "C13", "page_view", "2025-03-20 12:00"),
        _event("EV-005", "C13", "page_view", "2025-03-01 12:00"),
        # EV-006: NULL occurred_at sorts last, the dated copy is kept.
        _event("EV-006", "C04", "page_view", None),
        _event("EV-006", "C04", "page_view", "2024-06-01 12:00"),
        # EV-007: the earliest copy is implausible (1970): dedup comes first,
        # so the kept copy is quarantined implausible_occurred_at.
        _event("EV-007", "C05", "page_view", "1970-01-01 00:00"),
        _event("EV-007", "C05", "page_view", "2024-06-02 12:00"),
        _event("EV-008", "C08", "nps_response", "2024-04-21", properties='{"score": 9}'),
        _event("EV-009", "C08", "nps_response", "2024-04-22", properties="not json"),
        # NPS (METRICS.md "NPS"): scores 6, 7 and 8 are detractor, passive,
        # passive (EV-008's 9 is a promoter).
        _event("EV-010", "C01", "nps_response", "2024-02-12", properties='{"score": 6}'),
        _event("EV-011", "C02", "nps_response", "2024-03-06", properties='{"score": 7}'),
        # C06 answers twice in May (UTC): 8 at 03:00 UTC on 05-01, which is
        # 30 April in UTC-5 (the last day of April there), and 2 on 05-20:
        # the latest of May (a detractor) in UTC; in UTC-5 one each month.
        _event("EV-012", "C06", "nps_response", "2024-05-01 03:00", properties='{"score": 8}'),
        _event("EV-013", "C06", "nps_response", "2024-05-20", properties='{"score": 2}'),
        # C13 answers twice at the same instant: the greater event_id as text
        # (EV-015, a 10) is the latest; on 2025-02-10 a 9, which an
        # as_of_date of 2025-01-20 leaves out.
        _event("EV-014", "C13", "nps_response", "2025-01-10", properties='{"score": 3}'),
        _event("EV-015", "C13", "nps_response", "2025-01-10", properties='{"score": 10}'),
        _event("EV-016", "C13", "nps_response", "2025-02-10", properties='{"score": 9}'),
        # An anonymous response is no response.
        _event("EV-017", None, "nps_response", "2024-06-01", properties='{"score": 10}'),
        # Repurchase within 90 days: C12 (promoter, 2023-09-01) buys 09-20;
        # C07 (detractor, 2024-02-05) buys 2024-05-01, 86 days later.
        _event("EV-018", "C12", "nps_response", "2023-09-01", properties='{"score": 9}'),
        _event("EV-019", "C07", "nps_response", "2024-02-05", properties='{"score": 5}'),
        # activation_drivers (early window: days 0..7 after signup):
        # C18 adds to the wishlist on day 7 (counted) and has a real event
        # named first_purchase (left out: the pseudo-event's name); C19 on
        # day 8 (not counted); C15 at 03:00 UTC on day 8, which is day 7 in
        # UTC-5 (counted there). C16 (outside the population; day 1 after
        # its signup) and C10 (no customers row) do things nobody of the
        # population does: no row. (EV-004 and EV-011 of C02 and EV-010 of
        # C01 fall in their early windows too: add_to_cart, nps_response.)
        _event("EV-020", "C18", "add_to_wishlist", "2025-01-10"),
        _event("EV-021", "C18", "first_purchase", "2025-01-04"),
        _event("EV-022", "C19", "add_to_wishlist", "2024-12-18"),
        _event("EV-023", "C15", "add_to_wishlist", "2024-07-09 03:00"),
        _event("EV-024", "C16", "referral_sent", "2025-03-08"),
        _event("EV-025", "C10", "referral_sent", "2024-08-06"),
        # Quarantine missing_event_id: NULL and blank.
        _event(None, "C01", "page_view", "2024-02-11"),
        _event("  ", "C01", "page_view", "2024-02-11"),
        # missing_event_name (would move as_of_date to 2025-03-25 if staged),
        # and missing_event_name before missing_occurred_at.
        _event("EV-901", "C01", "  ", "2025-03-25 12:00"),
        _event("EV-902", "C01", None, None),
        # missing_occurred_at.
        _event("EV-903", "C01", "page_view", None),
        # implausible_occurred_at: 2150 and one second before 1990.
        _event("EV-904", "C01", "page_view", "2150-06-01 12:00"),
        _event("EV-905", "C01", "page_view", "1989-12-31 23:59:59"),
    ]
    return pd.DataFrame(rows, columns=EVENT_COLUMNS)


def _marketing_spend() -> pd.DataFrame:
    rows = [
        _spend(date(2024, 1, 1), "organic", "brand", "100.00"),
        # Identical rows: one duplicate.
        _spend(date(2024, 1, 2), "paid_search", "spring", "250.00"),
        _spend(date(2024, 1, 2), "paid_search", "spring", "250.00"),
        # Identical after normalization (channel lower/trim, campaign trim):
        # one more duplicate of the row above.
        _spend(date(2024, 1, 2), " Paid_Search", "spring ", "250.00"),
        # Blank campaign -> NULL: these two are duplicates too.
        _spend(date(2024, 1, 3), "email", None, "30.00"),
        _spend(date(2024, 1, 3), "email", "  ", "30.00"),
        # Same day and channel but a different amount: not a duplicate.
        _spend(date(2024, 1, 3), "email", None, "31.00"),
        # Quarantine: missing_spend_date (also missing channel: date first),
        _spend(None, "organic", None, "10.00"),
        _spend(None, None, None, "11.00"),
        # missing_channel, missing_spend_amount, negative_spend_amount.
        _spend(date(2024, 1, 4), "  ", None, "10.00"),
        _spend(date(2024, 1, 5), "organic", None, None),
        _spend(date(2024, 1, 6), "organic", None, "-10.00"),
        # Dedup comes before validation: two identical rows without amount
        # are one duplicate plus one missing_spend_amount.
        _spend(date(2024, 1, 7), "email", None, None),
        _spend(date(2024, 1, 7), "email", None, None),
    ]
    return pd.DataFrame(rows, columns=SPEND_COLUMNS)


def _assignment(
    experiment_id: str | None, customer_id: str | None, variant: str | None, at: str | None
) -> dict:
    return dict(
        zip(ASSIGNMENT_COLUMNS, (experiment_id, customer_id, variant, _ts(at)), strict=True)
    )


def _experiment_assignments() -> pd.DataFrame:
    """METRICS.md "Experiments" and docs/staging_rules.md, row by row.

    The signup dates (C01, C02, C08, C14..C19) and events EV-020..025 added
    for signup_conversion and activation_drivers move nothing here, derived
    by hand: time zero of an experiment is the assignment date, never the
    signup; the new events are add_to_wishlist, first_purchase and
    referral_sent, not the activation_event (add_to_cart; product_view only
    in a demo case); the derived as_of_date stays 2025-03-14 (the latest new
    event is EV-024 on 03-08); no order changed. So onb, window 7, as of
    2025-03-14 (UTC): control C01 (02-03 -> 02-10, day 7), C02 (03-05, day
    0), C12 (first purchase day 45: no), C19 (its 2025-01-10 purchase, day 0)
    convert 3 / 4, treatment C06 (day 7), C07 (day 0), C08 (day 0), C99 (no
    order) 3 / 4; activation: control 1 / 4 (C02's EV-004 add_to_cart on day
    0), treatment 0 / 4. As of 2025-01-20, window 30 leaves C19 out (01-10 +
    30 > as_of): control conversion 2 / 3, activation 1 / 3. Conversely the
    assignments feed only the experiment marts: the signup, lifecycle and
    drivers expectations above do not depend on them.
    """
    rows = [
        # onb: control C01 (purchase day on day 7: the edge of W = 7), C02
        # (' Control ', padded id: normalized; purchase and add_to_cart on day 0),
        # C12 (2022-12-01: first purchase on day 45; implausible with
        # min_valid_date 2023-01-01), C19 (2025-01-10: eligible for 7 and 30 with
        # the derived as_of_date 2025-03-14, for 7 only with as_of 2025-01-20).
        _assignment("onb", "C01", "control", "2024-02-03"),
        _assignment("onb", "C01", "control", "2024-02-03"),  # exact duplicate
        _assignment(" onb ", " C02 ", " Control ", "2024-03-05 09:00"),
        _assignment("onb", "C12", "control", "2022-12-01"),
        _assignment("onb", "C19", "control", "2025-01-10 08:00"),
        # treatment C06 (day 7 and day 97), repeated later: the earliest counts;
        # C07 (day 0 and day 91); C08 at 00:30 UTC before its 02:00 UTC order (in
        # UTC-5 both move to the day before); C99 is unknown to raw.customers and
        # has no order: counted, never converts.
        _assignment("onb", "C06", "TREATMENT", "2024-01-25"),
        _assignment("onb", "C06", "treatment", "2024-02-20"),
        _assignment("onb", "C07", "treatment", "2024-01-31 08:00"),
        _assignment("onb", "C08", "treatment", "2024-04-01 00:30"),
        _assignment("onb", "C99", "treatment", "2024-06-01"),
        # C13 in both variants: excluded from onb.
        _assignment("onb", "C13", "control", "2024-02-01"),
        _assignment("onb", "C13", "treatment", "2024-02-02"),
        # After as_of_date (both as_of cases): ignored, counted.
        _assignment("onb", "C18", "control", "2025-06-01"),
        # solo: one variant, so no SRM p-value.
        _assignment("solo", "C03", "only", "2024-01-19"),
        _assignment("solo", "C04", "only", "2024-06-09"),
        # all_late: nothing on or before as_of_date: a health row without variants.
        _assignment("all_late", "C05", "control", "2025-05-01"),
        # tri: three variants (SRM through Wilson-Hilferty), no control variant.
        _assignment("tri", "C09", "a", "2023-07-01"),
        _assignment("tri", "C12", "a", "2023-01-10"),
        _assignment("tri", "C10", "b", "2024-08-01"),
        _assignment("tri", "C17", "b", "2024-06-15"),
        _assignment("tri", "C11", "c", "2024-02-01"),
        # Quarantine: missing_experiment_id (before the other blanks),
        # missing_customer_id, missing_variant, missing_assigned_at,
        # implausible_assigned_at.
        _assignment("  ", None, None, None),
        _assignment("onb", None, "control", "2024-02-03"),
        _assignment("onb", "C14", "  ", "2024-02-03"),
        _assignment("onb", "C14", "control", None),
        _assignment("onb", "C15", "control", "1970-01-01"),
    ]
    return pd.DataFrame(rows, columns=ASSIGNMENT_COLUMNS)


def edge_case_raw() -> dict[str, pd.DataFrame]:
    """The five raw tables (CONTRACT.md sections 1 and 5) of the edge-case dataset."""
    return {
        "customers": _customers(),
        "orders": _orders(),
        "events": _events(),
        "marketing_spend": _marketing_spend(),
        "experiment_assignments": _experiment_assignments(),
    }


# Expected outcome of every raw row (docs/staging_rules.md), by source:
# {outcome or quarantine reason: rows}. Pinned on the reference and on dbt.
EXPECTED_STAGING_COUNTS: dict[str, dict[str, int]] = {
    "customers": {
        "staged": 20,  # C01-C09, C11-C21 (C10 has no row)
        "duplicate": 3,  # two older C11 rows, one identical C12 row
        "missing_customer_id": 2,
    },
    "orders": {
        # 37 single orders, O-2101/2102/2104 and O-9012 (60 raw rows in all)
        "staged": 41,
        "duplicate": 5,  # O-2101 x1, O-2102 x2, O-2103 x1, O-2104 x1
        "missing_order_id": 2,
        "missing_customer_id": 2,
        "missing_ordered_at": 2,
        "implausible_ordered_at": 2,
        "missing_order_amount": 1,
        "negative_amount": 4,  # O-9008, O-9009, O-9010, O-2103
        "refund_exceeds_order_amount": 1,
    },
    "events": {
        "staged": 24,  # EV-001..006, EV-008..025 (EV-017 anonymous, kept)
        "duplicate": 4,  # EV-004, EV-005, EV-006, EV-007 one each
        "missing_event_id": 2,
        "missing_event_name": 2,
        "missing_occurred_at": 1,
        "implausible_occurred_at": 3,  # EV-007 (1970), EV-904, EV-905
    },
    "marketing_spend": {
        "staged": 4,
        "duplicate": 4,
        "missing_spend_date": 2,
        "missing_channel": 1,
        "missing_spend_amount": 2,
        "negative_spend_amount": 1,
    },
    "experiment_assignments": {
        "staged": 20,  # 26 rows: 1 duplicate, 5 quarantined
        "duplicate": 1,  # the second C01 row
        "missing_experiment_id": 1,
        "missing_customer_id": 1,
        "missing_variant": 1,
        "missing_assigned_at": 1,
        "implausible_assigned_at": 1,
    },
}
