"""Hand-derived expectations pinned on the reference of ``activation_drivers``
(METRICS.md "Activation drivers"; docs/metric_decisions.md "Activation
drivers"), its statistics against scipy.stats, and the demo generator's
predictive early events (issue 16: the demo must have a driver to find).

Orders are ``completed`` at 12:00 UTC and signups at 12:00 UTC unless said
otherwise; defaults activation_window_days 7, driver_outcome_days 30.
"""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from support.edge_cases import (
    CUSTOMER_COLUMNS,
    EVENT_COLUMNS,
    ORDER_COLUMNS,
    SPEND_COLUMNS,
    edge_case_raw,
)

from retention.reference import (
    build_activation_drivers,
    compute_marts,
    parse_driver_vars,
    parse_vars,
    purchases_until,
    read_raw,
    resolve_as_of_date,
    stage_all,
)

TS = pd.Timestamp


def _raw(customers=(), orders=(), events=()) -> dict[str, pd.DataFrame]:
    def frame(rows, columns):
        if not rows:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        return pd.DataFrame(list(rows), columns=columns)

    return {
        "customers": frame(customers, CUSTOMER_COLUMNS),
        "orders": frame(orders, ORDER_COLUMNS),
        "events": frame(events, EVENT_COLUMNS),
        "marketing_spend": frame((), SPEND_COLUMNS),
    }


def _customer(customer_id: str, signup: str | None) -> tuple:
    stamp = None if signup is None else TS(f"{signup} 12:00")
    return (customer_id, stamp, None, "US", "organic", None, None)


def _orders(*purchases: tuple[str, str]) -> list[tuple]:
    return [
        (f"O{i}", c, TS(f"{d} 12:00"), "completed", Decimal("10.00"), None, None, None)
        for i, (c, d) in enumerate(purchases, start=1)
    ]


def _events(*rows: tuple[str | None, str, str]) -> list[tuple]:
    return [
        (f"E{i}", c, name, TS(day if " " in day else f"{day} 12:00"), "web", None)
        for i, (c, name, day) in enumerate(rows, start=1)
    ]


def _drivers(raw: dict[str, pd.DataFrame], events: bool = True, **vars) -> pd.DataFrame:
    """The reference's activation_drivers (the step of compute_marts, without
    the other marts), indexed by event_name."""
    run = parse_vars(vars)
    staged = stage_all(raw, run)
    as_of = resolve_as_of_date(staged, run)
    purchases = purchases_until(staged["orders"].staged, staged["customers"].staged, as_of)
    drivers = build_activation_drivers(
        staged["customers"].staged,
        staged["events"].staged if events else None,
        purchases,
        as_of,
        run.reporting_timezone,
        parse_driver_vars(vars),
    )
    return drivers.set_index("event_name")


def _null(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@pytest.fixture(scope="module")
def windows() -> pd.DataFrame:
    # as_of 2024-03-31 (the latest order). a: signup 03-01, day 30 = 03-31
    # = as_of (in the population). late: 03-02, day 30 = 04-01 (out). b, c:
    # 02-01 (2024 is a leap year: day 30 = 03-02). d: 01-15.
    # tour: a day 7 (counted), b day 8 (not), d day 0. Purchases: a day 8
    # (retained), b day 30 (retained), c day 7 (first_purchase) and day 31
    # (not retained), d day 3 (first_purchase). late's `share` and the
    # anonymous `tour` count for nothing; b's real `first_purchase` event
    # is left out.
    raw = _raw(
        customers=[
            _customer("a", "2024-03-01"),
            _customer("b", "2024-02-01"),
            _customer("c", "2024-02-01"),
            _customer("d", "2024-01-15"),
            _customer("late", "2024-03-02"),
            _customer("nosignup", None),
        ],
        orders=_orders(
            ("a", "2024-03-09"),
            ("b", "2024-03-02"),
            ("c", "2024-02-08"),
            ("c", "2024-03-03"),
            ("d", "2024-01-18"),
            ("late", "2024-03-31"),
        ),
        events=_events(
            ("a", "tour", "2024-03-08"),
            ("b", "tour", "2024-02-09"),
            ("d", "tour", "2024-01-15"),
            ("b", "first_purchase", "2024-02-02"),
            ("late", "share", "2024-03-02"),
            (None, "tour", "2024-03-02"),
        ),
    )
    return _drivers(raw)


def test_population_and_window_edges(windows):
    assert sorted(windows.index) == ["first_purchase", "tour"]
    assert set(windows["customers"]) == {4}
    tour = windows.loc["tour"]
    # did a, d (a retained) vs b, c (b retained).
    assert (tour.did_customers, tour.retained_if_did, tour.retained_if_not) == (2, 0.5, 0.5)
    assert (tour.retention_lift, tour.retention_difference, tour.phi) == (1.0, 0.0, 0.0)
    assert tour.p_value == pytest.approx(1.0)
    first = windows.loc["first_purchase"]
    # did c, d (neither retained) vs a, b (both): phi -1, z = -2.
    assert (first.did_customers, first.retained_if_did, first.retained_if_not) == (2, 0.0, 1.0)
    assert (first.retention_lift, first.retention_difference, first.phi) == (0.0, -1.0, -1.0)
    assert first.p_value == pytest.approx(2 * stats.norm.sf(2.0), abs=1e-12)


def test_everyone_did_and_retained_if_not_zero_give_null():
    # x, y, z sign up 2024-01-01; all open the app in the first week; only x
    # takes the tour and only x is retained (day 19). as_of 2024-06-30.
    raw = _raw(
        customers=[_customer(c, "2024-01-01") for c in ("x", "y", "z")],
        orders=_orders(("x", "2024-01-20"), ("y", "2024-06-30")),
        events=_events(
            ("x", "app_open", "2024-01-01"),
            ("y", "app_open", "2024-01-02"),
            ("z", "app_open", "2024-01-08"),
            ("x", "tour", "2024-01-03"),
        ),
    )
    drivers = _drivers(raw)
    app = drivers.loc["app_open"]
    assert app.did_share == 1.0 and app.retained_if_did == pytest.approx(1 / 3)
    for column in ("retained_if_not", "retention_lift", "retention_difference", "phi", "p_value"):
        assert _null(app[column]), column
    tour = drivers.loc["tour"]
    assert (tour.retained_if_did, tour.retained_if_not, tour.retention_difference) == (1, 0, 1)
    assert _null(tour.retention_lift) and tour.phi == 1.0
    # 1/1 vs 0/2, pooled 1/3: z = 1 / sqrt(1/3 x 2/3 x 3/2) = sqrt(3).
    assert tour.p_value == pytest.approx(2 * stats.norm.sf(math.sqrt(3)), abs=1e-12)
    first = drivers.loc["first_purchase"]
    assert first.did_customers == 0 and _null(first.retained_if_did) and _null(first.phi)


def test_without_events_only_first_purchase():
    # using_events: false -> the reference gets no events table.
    raw = _raw(
        customers=[_customer("a", "2024-01-01")],
        orders=_orders(("a", "2024-01-02"), ("a", "2024-06-30")),
        events=_events(("a", "tour", "2024-01-01")),
    )
    drivers = _drivers(raw, events=False)
    assert drivers.index.tolist() == ["first_purchase"]
    assert drivers.loc["first_purchase", ["customers", "did_customers"]].tolist() == [1, 1]
    assert _drivers(raw).index.tolist() == ["first_purchase", "tour"]


# tests/support/edge_cases.py, derived as_of_date 2025-03-14, population
# signup + 30 <= as_of, i.e. signup on or before 2025-02-12: C01 (02-12),
# C02 (2024-03-04 03:00 UTC), C08 (2024-03-24), C14 (2024-09-26), C15
# (2024-07-01), C18 (2025-01-03), C19 (2024-12-10) and the ten customers of
# 2022-01-01 who did nothing in January 2022 (C03-C07, C11-C13, C20, C21):
# 17. Not in it: C09 (implausible signup), C10 (no customers row), C16
# (2025-03-07: day 30 after as_of), C17 (signs up after as_of).
# Retained (a purchase day on days 8..30), in both zones: C08 (04-20, day
# 27) and C18 (2025-02-02, day 30); not C19 (day 31), not C02 (day 1 only),
# C14 (day 7 only), C01 (before signup) nor C15 (no purchase): 2 of 17.
# Early actions (days 0..7), UTC: add_to_cart C02 (EV-004, day 1);
# add_to_wishlist C18 (day 7; C19 and C15 on day 8); nps_response C01
# (EV-010, day 0) and C02 (EV-011, day 2); first_purchase C02 (day 1) and
# C14 (day 7), not C08 (day 8). In UTC-5 C02 signs up on 03-03 (its events
# and purchase move to days 2 and 3), C15's wishlist and C08's purchase are
# on day 7: add_to_wishlist C15, C18; first_purchase C02, C08, C14.
EDGE_DRIVERS = ["add_to_cart", "add_to_wishlist", "first_purchase", "nps_response"]


def _check_table(row, did_retained: int, did_not: int, not_retained: int, not_not: int):
    """The row's rates, phi and p-value from its 2 x 2 table (did x
    retained), phi and p checked against scipy on the 0/1 vectors."""
    did_n, not_n = did_retained + did_not, not_retained + not_not
    assert (row.customers, row.did_customers) == (did_n + not_n, did_n)
    assert row.retained_if_did == pytest.approx(did_retained / did_n, abs=1e-15)
    assert row.retained_if_not == pytest.approx(not_retained / not_n, abs=1e-15)
    did = np.repeat([1, 1, 0, 0], [did_retained, did_not, not_retained, not_not])
    retained = np.repeat([1, 0, 1, 0], [did_retained, did_not, not_retained, not_not])
    assert row.phi == pytest.approx(stats.pearsonr(did, retained).statistic, abs=1e-12)
    table = [[did_retained, did_not], [not_retained, not_not]]
    chi2 = stats.chi2_contingency(table, correction=False).pvalue
    assert row.p_value == pytest.approx(chi2, abs=1e-12)


def test_edge_shop_in_utc():
    drivers = _drivers(edge_case_raw())
    assert drivers.index.tolist() == EDGE_DRIVERS
    assert set(drivers["customers"]) == {17}
    # add_to_wishlist: C18 (retained) of 1 vs C08 of 16: lift 16,
    # phi = (1 x 15 - 0 x 1) / sqrt(1 x 16 x 2 x 15) = 15 / sqrt(480).
    wish = drivers.loc["add_to_wishlist"]
    _check_table(wish, 1, 0, 1, 15)
    assert (wish.retained_if_did, wish.retained_if_not, wish.retention_lift) == (1.0, 1 / 16, 16.0)
    assert wish.retention_difference == pytest.approx(15 / 16, abs=1e-15)
    assert wish.phi == pytest.approx(15 / math.sqrt(480), abs=1e-15)
    # first_purchase and nps_response: two customers (C02, C14 / C01, C02),
    # neither retained, vs 2 of 15: lift 0, phi = (0 x 13 - 2 x 2) / 30.
    for name in ("first_purchase", "nps_response"):
        row = drivers.loc[name]
        _check_table(row, 0, 2, 2, 13)
        assert (row.retained_if_did, row.retention_lift) == (0.0, 0.0)
        assert row.retention_difference == pytest.approx(-2 / 15, abs=1e-15)
        assert row.phi == pytest.approx(-4 / 30, abs=1e-15)
    # add_to_cart: C02 alone, not retained, vs 2 of 16:
    # phi = (0 x 14 - 1 x 2) / sqrt(1 x 16 x 2 x 15) = -2 / sqrt(480).
    cart = drivers.loc["add_to_cart"]
    _check_table(cart, 0, 1, 2, 14)
    assert (cart.retained_if_not, cart.retention_lift) == (0.125, 0.0)
    assert cart.phi == pytest.approx(-2 / math.sqrt(480), abs=1e-15)


def test_edge_shop_in_utc_minus_5():
    # C08's 02:00 UTC purchase and C15's 03:00 UTC wishlist are day 7 there.
    drivers = _drivers(edge_case_raw(), reporting_timezone="Etc/GMT+5")
    assert drivers.index.tolist() == EDGE_DRIVERS
    assert set(drivers["customers"]) == {17}
    # add_to_wishlist = C18 (retained), C15 (not) vs C08 of 15: lift
    # 0.5 / (1 / 15) = 7.5; phi = (1 x 14 - 1 x 1) / sqrt(2 x 15 x 2 x 15).
    wish = drivers.loc["add_to_wishlist"]
    _check_table(wish, 1, 1, 1, 14)
    assert (wish.retained_if_did, wish.retained_if_not) == (0.5, 1 / 15)
    assert wish.retention_lift == pytest.approx(7.5, abs=1e-12)
    assert wish.phi == pytest.approx(13 / 30, abs=1e-15)
    # first_purchase = C02, C14 (not retained), C08 (retained) vs C18 of 14:
    # lift (1 / 3) / (1 / 14) = 14 / 3; phi = (1 x 13 - 2 x 1) / sqrt(3 x 14
    # x 2 x 15) = 11 / sqrt(1260).
    first = drivers.loc["first_purchase"]
    _check_table(first, 1, 2, 1, 13)
    assert first.retention_lift == pytest.approx(14 / 3, abs=1e-12)
    assert first.phi == pytest.approx(11 / math.sqrt(1260), abs=1e-15)
    # C01 (day 0) and C02 (day 3 there) still answer NPS in the early window.
    _check_table(drivers.loc["nps_response"], 0, 2, 2, 13)
    _check_table(drivers.loc["add_to_cart"], 0, 1, 2, 14)


@pytest.mark.parametrize(("window", "outcome"), [(7, 7), (30, 10), (7, 0)])
def test_outcome_window_must_follow_the_early_window(window, outcome):
    with pytest.raises(ValueError, match="driver_outcome_days"):
        parse_driver_vars({"activation_window_days": window, "driver_outcome_days": outcome})


def test_demo_generator_has_predictive_early_events(tmp_path: Path):
    """The demo shop's first-week browsing and cart events predict a
    purchase on days 8..30 (the generator ties browse sessions to each
    customer's purchase rate, and purchase sessions bring product views and
    carts): activation_event add_to_cart has lift > 1.5 and p < 1e-6, while
    the email events, sent whatever the customer does, are no driver."""
    from retention.demo.generate import generate
    from retention.raw.load import load

    generate(tmp_path / "raw", customers=1500, seed=42, progress=False)
    load(tmp_path / "raw", tmp_path / "demo.duckdb", progress=False)
    drivers = _drivers(read_raw(tmp_path / "demo.duckdb"))
    cart = drivers.loc["add_to_cart"]
    assert cart.retention_lift > 1.5 and cart.p_value < 1e-6 and cart.phi > 0.1
    assert drivers.loc["email_open", "p_value"] > 0.05


def test_compute_marts_includes_activation_drivers():
    raw = _raw(customers=[_customer("a", "2024-01-01")], orders=_orders(("a", "2024-03-01")))
    drivers = compute_marts(raw, {"activation_window_days": 2, "driver_outcome_days": 60})
    row = drivers["activation_drivers"].iloc[0]
    # a buys on day 60 = driver_outcome_days: retained, not a first purchase.
    assert (row.event_name, row.customers, row.did_customers, row.retained_if_not) == (
        "first_purchase",
        1,
        0,
        1.0,
    )
