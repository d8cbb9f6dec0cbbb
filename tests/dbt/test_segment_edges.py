"""Segment dimensions on the edges (METRICS.md "Segments"), on a handful of
raw rows built here, with passthrough columns and a small
segment_max_values. Every expected value is read off the rows below.

- c1: first purchase o1 carries utm_source NULL -> `unknown`; its later
  order o2 carries 'late' (not the first purchase: ignored).
- c2: two purchases at the same timestamp, o3 ('tie_b') and o4 ('tie_a'):
  the first purchase is the smaller order_id, o3 -> `tie_b`.
- c3: a quarantined order (negative amount) carries 'ghost' and an earlier
  timestamp than its staged first purchase o6 ('ads'): `ghost` never
  appears, c3 is `ads`. Its customer row has tier ' Gold ' -> `Gold`.
- c4, c5: tiers 'Silver', 'Bronze'; c4's first purchase 'ads' too.
- c6: an order whose customer is missing from raw.customers: tier and
  country `unknown`, store `default`.
- tiers by customers: unknown 2 (c1 NULL, c6 missing), Gold 1, Silver 1,
  Bronze 1 -> with segment_max_values 2 the kept values are `unknown` and
  the smallest text among the ties of 1 customer: `Bronze`; Gold and Silver
  fold into `other`.
"""

from __future__ import annotations

import duckdb
import pytest
from support.dbt import create_empty_raw_tables, run_dbt_build

VARS = {
    "as_of_date": "2025-03-31",
    "customer_passthrough_columns": ["tier"],
    "first_order_passthrough_columns": [{"name": "utm_source", "alias": "first_utm_source"}],
    "segment_dimensions": ["first_utm_source", "tier", "country_code", "store"],
    "segment_max_values": 2,
}
CUSTOMERS = [
    # customer_id, country_code, acquisition_channel, tier
    ("c1", "de", "email", None),
    ("c2", "DE", "Email ", None),
    ("c3", "fr", "ads", " Gold "),
    ("c4", "FR", "ads", "Silver"),
    ("c5", "XX1", "ads", "Bronze"),
]
ORDERS = [
    # order_id, customer_id, ordered_at, order_amount, utm_source
    ("o1", "c1", "2025-01-05 10:00:00", 10, None),
    ("o2", "c1", "2025-02-05 10:00:00", 10, "late"),
    ("o4", "c2", "2025-01-07 09:00:00", 10, "tie_a"),
    ("o3", "c2", "2025-01-07 09:00:00", 10, "tie_b"),
    ("o5", "c3", "2025-01-01 08:00:00", -5, "ghost"),
    ("o6", "c3", "2025-01-10 08:00:00", 10, "ads"),
    ("o7", "c4", "2025-02-10 08:00:00", 10, "ads"),
    ("o8", "c5", "2025-02-11 08:00:00", 10, None),
    ("o9", "c6", "2025-03-01 08:00:00", 10, "partner"),
]


@pytest.fixture(scope="module")
def segments(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], str]:
    work = tmp_path_factory.mktemp("segment_edges")
    database = work / "edges.duckdb"
    create_empty_raw_tables(database)
    with duckdb.connect(str(database)) as con:
        con.execute("alter table raw.customers add column tier varchar")
        con.execute("alter table raw.orders add column utm_source varchar")
        for customer_id, country, channel, tier in CUSTOMERS:
            con.execute(
                "insert into raw.customers (customer_id, country_code, acquisition_channel, tier)"
                " values (?, ?, ?, ?)",
                [customer_id, country, channel, tier],
            )
        for order_id, customer_id, ordered_at, amount, utm in ORDERS:
            con.execute(
                "insert into raw.orders (order_id, customer_id, ordered_at, status,"
                " order_amount, utm_source) values (?, ?, ?, 'completed', ?, ?)",
                [order_id, customer_id, ordered_at, amount, utm],
            )
    code, output = run_dbt_build(database, VARS, work)
    assert code == 0, output[-4000:]
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "select customer_id, segment, segment_value from intermediate.int_customer_segments"
        ).fetchall()
        quarantined = con.execute("select order_id from staging.stg_orders__quarantine").fetchall()
        first_orders = con.execute(
            "select customer_id, first_order_id, first_utm_source"
            " from intermediate.int_customer_first_orders"
        ).fetchall()
    assert quarantined == [("o5",)]
    values = {(customer, segment): value for customer, segment, value in rows}
    values.update({(c, "first_order"): (o, utm) for c, o, utm in first_orders})
    return values


def test_first_order_passthrough_takes_the_first_purchase(segments) -> None:
    first = {c: v for (c, s), v in segments.items() if s == "first_order"}
    assert first == {
        "c1": ("o1", None),  # NULL on the first purchase; the later 'late' is ignored
        "c2": ("o3", "tie_b"),  # same timestamp: the smaller order_id
        "c3": ("o6", "ads"),  # the quarantined earlier o5 ('ghost') never counts
        "c4": ("o7", "ads"),
        "c5": ("o8", None),
        "c6": ("o9", "partner"),
    }
    # As a segment: unknown 2 (c1, c5), ads 2 (c3, c4), tie_b 1, partner 1;
    # segment_max_values 2 keeps ads and unknown (ties by text), folds the rest.
    segment = {c: v for (c, s), v in segments.items() if s == "first_utm_source"}
    assert segment == {
        "c1": "unknown",
        "c2": "other",
        "c3": "ads",
        "c4": "ads",
        "c5": "unknown",
        "c6": "other",
    }
    assert "ghost" not in {v for (c, s), v in segments.items() if s != "first_order"}


def test_customer_passthrough_folds_beyond_segment_max_values(segments) -> None:
    tiers = {c: v for (c, s), v in segments.items() if s == "tier"}
    assert tiers == {
        "c1": "unknown",
        "c2": "unknown",
        "c3": "other",  # 'Gold' (trimmed): a tie of one customer, folded
        "c4": "other",  # 'Silver'
        "c5": "Bronze",  # the smallest text among the one-customer values
        "c6": "unknown",  # missing from raw.customers
    }


def test_builtin_dimensions_normalize_and_fall_back_to_unknown(segments) -> None:
    countries = {c: v for (c, s), v in segments.items() if s == "country_code"}
    # DE 2, FR 2, unknown 2 (XX1 is not two letters; c6 missing): ties of
    # two, kept by text: DE and FR; unknown folds into other.
    assert countries == {
        "c1": "DE",
        "c2": "DE",
        "c3": "FR",
        "c4": "FR",
        "c5": "other",
        "c6": "other",
    }
    assert {v for (c, s), v in segments.items() if s == "store"} == {"default"}
