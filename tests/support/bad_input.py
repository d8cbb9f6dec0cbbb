"""The bad-input catalogue of docs/bad_input.md as data: clean raw tables plus
bad rows, and where each bad row must land.

``clean_raw(dir)`` is the generator's shop with its dirty-row injection turned
off (``generate(dirty_rows=False)``) plus one contract-valid customer row that
stands for "nothing known about this customer" (see ORPHAN below).
``with_bad_input(clean)`` returns the same tables with every kind of the
catalogue added (extra rows) or applied in place (normalization kinds), and the
list of :class:`Landing` checks: a SQL predicate over a ``staging.stg_<t>__triaged``
model that selects exactly the injected rows, and the dispositions and reasons
those rows must get.

Why the marts must not change: every kind below is either quarantined, a
duplicate that loses to the clean row, normalized back to the clean value, or
kept out of metrics (not a purchase, after as_of_date, anonymous, no customer
day added). One kind legitimately adds information: an order whose customer is
missing from raw.customers. Its documented outcome is "the order counts, the
customer has channel ``unknown`` and no signup, country or campaign", which is
exactly what a raw.customers row with only the customer_id means. So the clean
tables carry that row (ORPHAN) and the bad tables drop it: the marts must be
equal if and only if the rule holds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd

from retention.demo.generate import generate

CUSTOMERS = 500
ORPHAN = "BAD-ORPHAN-CUSTOMER"
# The extra column added to every raw table of the bad build (ALTER TABLE).
EXTRA_COLUMN = "loader_batch_id"


@dataclass(frozen=True)
class Landing:
    """Where the injected rows of one kind must land."""

    kind: str  # catalogue id (docs/bad_input.md)
    table: str  # raw table
    predicate: str  # SQL over staging.stg_<table>__triaged selecting the injected rows
    expected: tuple[tuple[str, str | None], ...]  # (disposition, quarantine_reason), sorted
    # Optional check query that must return exactly one row with True (kept out of metrics).
    check_sql: str | None = None

    def landing_sql(self) -> str:
        return (
            f"select disposition, quarantine_reason from staging.stg_{self.table}__triaged"
            f" where {self.predicate} order by disposition, quarantine_reason nulls first"
        )


def clean_raw(out_dir: Path, customers: int = CUSTOMERS) -> tuple[dict[str, pd.DataFrame], str]:
    """The clean shop (frames) and its as_of_date (the generator's calendar end)."""
    manifest = generate(out_dir, customers=customers, progress=False, dirty_rows=False)
    frames = {
        table: pd.read_parquet(out_dir / f"{table}.parquet")
        for table in ("customers", "orders", "events", "marketing_spend")
    }
    # The orphan's raw.customers row: only the id (all optional columns NULL).
    orphan_row = {column: None for column in frames["customers"].columns}
    orphan_row["customer_id"] = ORPHAN
    frames["customers"] = _append(frames["customers"], [orphan_row])
    as_of_date = manifest["calendar"]["expected_as_of_date"]
    # ... and one completed order of that customer, well inside the calendar.
    frames["orders"] = _append(
        frames["orders"],
        [
            {
                "order_id": "BAD-ORPHAN-ORDER",
                "customer_id": ORPHAN,
                "ordered_at": pd.Timestamp("2025-03-10 12:00:00"),
                "status": "completed",
                "order_amount": Decimal("42.00"),
                "refunded_amount": None,
                "cost_amount": Decimal("20.00"),
                "updated_at": pd.Timestamp("2025-03-10 12:00:00"),
            }
        ],
    )
    return frames, as_of_date


def _append(frame: pd.DataFrame, rows: list[dict]) -> pd.DataFrame:
    extra = pd.DataFrame(rows, columns=frame.columns)
    extra = extra.astype(frame.dtypes.to_dict(), errors="ignore")
    return pd.concat([frame, extra], ignore_index=True)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ids(column: str, ids: list[str]) -> str:
    return f"{column} in ({', '.join(_quote(i) for i in ids)})"


def with_bad_input(
    clean: dict[str, pd.DataFrame], as_of_date: str
) -> tuple[dict[str, pd.DataFrame], list[Landing]]:
    """The clean tables with every catalogue kind injected, and the landing checks."""
    customers = clean["customers"].copy()
    orders = clean["orders"].copy()
    events = clean["events"].copy()
    spend = clean["marketing_spend"].copy()
    landings: list[Landing] = []
    quarantined = "quarantined"
    staged = "staged"
    duplicate = "duplicate"

    # Deterministic picks from the clean data.
    completed = orders[
        (orders["status"] == "completed")
        & (orders["customer_id"] != ORPHAN)
        & (orders["updated_at"] > orders["ordered_at"])
    ].sort_values("order_id")
    # an order (and so a customer) with purchases: the template of new bad orders
    template = completed.iloc[0].to_dict()

    def order_row(order_id: str | None, **changes: object) -> dict:
        return {**template, "order_id": order_id, **changes}

    # --- orders: null or blank ids -------------------------------------------------
    new_orders = [order_row(None), order_row(""), order_row("   ")]
    landings.append(
        Landing(
            "blank_order_id",
            "orders",
            "order_id is null",
            ((quarantined, "missing_order_id"),) * 3,
        )
    )
    new_orders += [
        order_row("BAD-O-NULL-CUSTOMER", customer_id=None),
        order_row("BAD-O-BLANK-CUSTOMER", customer_id="  "),
    ]
    landings.append(
        Landing(
            "blank_customer_id_on_order",
            "orders",
            _ids("order_id", ["BAD-O-NULL-CUSTOMER", "BAD-O-BLANK-CUSTOMER"]),
            ((quarantined, "missing_customer_id"),) * 2,
        )
    )
    # --- orders: repeated with different payloads / identically -------------------
    versioned = completed.iloc[1].to_dict()
    older = {
        **versioned,
        "status": "pending",
        "order_amount": versioned["order_amount"] + Decimal("100.00"),
        "refunded_amount": None,
        "updated_at": versioned["ordered_at"],  # earlier than the clean row's updated_at
    }
    undated = {**versioned, "status": "cancelled", "updated_at": None}
    new_orders += [older, undated]
    landings.append(
        Landing(
            "order_repeated_with_other_payload",
            "orders",
            _ids("order_id", [versioned["order_id"]]),
            ((duplicate, None), (duplicate, None), (staged, None)),
            check_sql=(
                "select count(*) = 1 and min(status) = 'completed' and min(order_amount) = "
                f"{versioned['order_amount']} from staging.stg_orders"
                f" where order_id = {_quote(versioned['order_id'])}"
            ),
        )
    )
    identical = completed.iloc[2].to_dict()
    new_orders.append(dict(identical))
    landings.append(
        Landing(
            "order_repeated_identically",
            "orders",
            _ids("order_id", [identical["order_id"]]),
            ((duplicate, None), (staged, None)),
        )
    )
    # --- orders: missing or implausible values ------------------------------------
    bad_values = {
        "BAD-O-NO-DATE": ({"ordered_at": None}, "missing_ordered_at"),
        "BAD-O-1970": ({"ordered_at": pd.Timestamp("1970-01-01")}, "implausible_ordered_at"),
        "BAD-O-1989": (
            {"ordered_at": pd.Timestamp("1989-12-31 23:59:59")},
            "implausible_ordered_at",
        ),
        "BAD-O-2199": ({"ordered_at": pd.Timestamp("2199-01-01")}, "implausible_ordered_at"),
        "BAD-O-NO-AMOUNT": ({"order_amount": None}, "missing_order_amount"),
        "BAD-O-NEG-AMOUNT": ({"order_amount": Decimal("-25.00")}, "negative_amount"),
        "BAD-O-NEG-REFUND": ({"refunded_amount": Decimal("-5.00")}, "negative_amount"),
        "BAD-O-NEG-COST": ({"cost_amount": Decimal("-3.00")}, "negative_amount"),
        "BAD-O-REFUND-ABOVE": (
            {"refunded_amount": template["order_amount"] + Decimal("10.00")},
            "refund_exceeds_order_amount",
        ),
    }
    for order_id, (changes, _) in bad_values.items():
        new_orders.append(order_row(order_id, **changes))
    for kind, ids in (
        ("missing_order_date_or_amount", ["BAD-O-NO-DATE", "BAD-O-NO-AMOUNT"]),
        ("absurd_order_timestamp", ["BAD-O-1970", "BAD-O-1989", "BAD-O-2199"]),
        ("negative_amounts", ["BAD-O-NEG-AMOUNT", "BAD-O-NEG-REFUND", "BAD-O-NEG-COST"]),
        ("refund_above_order_amount", ["BAD-O-REFUND-ABOVE"]),
    ):
        landings.append(
            Landing(
                kind,
                "orders",
                _ids("order_id", ids),
                tuple(sorted((quarantined, bad_values[i][1]) for i in ids)),
            )
        )
    # --- orders: unknown status (kept, not a purchase) ----------------------------
    unknown_ids = ["BAD-O-ON-HOLD", "BAD-O-NULL-STATUS", "BAD-O-BLANK-STATUS"]
    for order_id, status in zip(unknown_ids, ["On_Hold", None, "  "], strict=True):
        new_orders.append(order_row(order_id, status=status))
    landings.append(
        Landing(
            "unknown_status",
            "orders",
            _ids("order_id", unknown_ids),
            ((staged, None),) * 3,
            check_sql=(
                "select count(*) = 3 and count(*) filter (where is_purchase) = 0"
                " and string_agg(distinct status, ',' order by status) = 'on_hold,unknown'"
                f" from staging.stg_orders where {_ids('order_id', unknown_ids)}"
            ),
        )
    )
    # --- orders: dated after as_of_date (kept, never counted) ---------------------
    after = pd.Timestamp(as_of_date) + pd.Timedelta(days=5, hours=12)
    new_orders.append(order_row("BAD-O-AFTER-AS-OF", ordered_at=after, updated_at=after))
    landings.append(
        Landing(
            "order_after_as_of_date",
            "orders",
            "order_id = 'BAD-O-AFTER-AS-OF'",
            ((staged, None),),
            check_sql=(
                "select count(*) = 0 from intermediate.int_purchases"
                " where order_id = 'BAD-O-AFTER-AS-OF'"
            ),
        )
    )
    # --- orders: oddly cased status and padded ids (normalized in place) ----------
    odd = completed.iloc[3:6]["order_id"].tolist()
    for order_id, status in zip(odd, [" COMPLETED ", "Completed", "completed  "], strict=True):
        orders.loc[orders["order_id"] == order_id, "status"] = status
    landings.append(
        Landing(
            "oddly_cased_status",
            "orders",
            _ids("order_id", odd),
            ((staged, None),) * 3,
            check_sql=(
                "select count(*) filter (where status = 'completed' and is_purchase) = 3"
                f" from staging.stg_orders where {_ids('order_id', odd)}"
            ),
        )
    )
    padded = completed.iloc[6]["order_id"]
    orders.loc[orders["order_id"] == padded, "order_id"] = f"  {padded} "
    landings.append(
        Landing("padded_order_id", "orders", _ids("order_id", [padded]), ((staged, None),))
    )
    # --- orders: customer missing from raw.customers ------------------------------
    customers = customers[customers["customer_id"] != ORPHAN]
    landings.append(
        Landing(
            "order_of_customer_missing_from_customers",
            "orders",
            "order_id = 'BAD-ORPHAN-ORDER'",
            ((staged, None),),
            check_sql=(
                "select count(*) = 1 and min(acquisition_channel) = 'unknown'"
                f" from marts.customers where customer_id = {_quote(ORPHAN)}"
            ),
        )
    )

    # --- customers ----------------------------------------------------------------
    known = customers[customers["customer_id"].isin(set(orders["customer_id"]))]
    known = known.sort_values("customer_id")
    base = known.iloc[0].to_dict()
    new_customers = [
        {**base, "customer_id": None},
        {**base, "customer_id": ""},
        {**base, "customer_id": "  "},
    ]
    landings.append(
        Landing(
            "blank_customer_id",
            "customers",
            "customer_id is null",
            ((quarantined, "missing_customer_id"),) * 3,
        )
    )
    changed = known.iloc[1].to_dict()
    other_channel = "affiliate" if changed["acquisition_channel"] != "affiliate" else "email"
    new_customers += [
        {
            **changed,
            "acquisition_channel": other_channel,
            "updated_at": changed["updated_at"] - pd.Timedelta(days=3),
        },
        {**changed, "acquisition_channel": "referral_partner", "updated_at": None},
    ]
    landings.append(
        Landing(
            "customer_repeated_with_changed_channel",
            "customers",
            _ids("customer_id", [changed["customer_id"]]),
            ((duplicate, None), (duplicate, None), (staged, None)),
            check_sql=(
                "select count(*) = 1 and min(acquisition_channel) = "
                f"{_quote(changed['acquisition_channel'])} from staging.stg_customers"
                f" where customer_id = {_quote(changed['customer_id'])}"
            ),
        )
    )
    twin = known.iloc[2].to_dict()
    new_customers.append(dict(twin))
    landings.append(
        Landing(
            "customer_repeated_identically",
            "customers",
            _ids("customer_id", [twin["customer_id"]]),
            ((duplicate, None), (staged, None)),
        )
    )
    absurd_signups = {
        "BAD-C-1970": pd.Timestamp("1970-01-01"),
        "BAD-C-1989": pd.Timestamp("1989-06-01"),
        "BAD-C-2199": pd.Timestamp("2199-01-01"),
    }
    for customer_id, signed_up_at in absurd_signups.items():
        new_customers.append(
            {**base, "customer_id": customer_id, "signed_up_at": signed_up_at, "email": None}
        )
    landings.append(
        Landing(
            "absurd_signup_timestamp",
            "customers",
            _ids("customer_id", list(absurd_signups)),
            ((staged, None),) * 3,
            check_sql=(
                "select count(*) = 3 and count(signed_up_at) = 0 and count(signup_date) = 0"
                f" from staging.stg_customers where {_ids('customer_id', list(absurd_signups))}"
            ),
        )
    )
    # oddly cased channel, lower-case country, padded id: normalized in place
    odd_channel = known.iloc[3]
    odd_country = known.iloc[4]
    padded_customer = known.iloc[5]["customer_id"]
    customers.loc[customers["customer_id"] == odd_channel["customer_id"], "acquisition_channel"] = (
        " " + odd_channel["acquisition_channel"].upper() + " "
    )
    customers.loc[customers["customer_id"] == odd_country["customer_id"], "country_code"] = (
        " " + odd_country["country_code"].lower()
    )
    customers.loc[customers["customer_id"] == padded_customer, "customer_id"] = (
        f" {padded_customer}  "
    )
    normalized_ids = [odd_channel["customer_id"], odd_country["customer_id"], padded_customer]
    landings.append(
        Landing(
            "oddly_cased_channel_country_and_padded_customer_id",
            "customers",
            _ids("customer_id", normalized_ids),
            ((staged, None),) * 3,
            check_sql=(
                "select count(*) = 2 from staging.stg_customers where "
                f"(customer_id = {_quote(odd_channel['customer_id'])} and acquisition_channel = "
                f"{_quote(odd_channel['acquisition_channel'])}) or (customer_id = "
                f"{_quote(odd_country['customer_id'])} and country_code = "
                f"{_quote(odd_country['country_code'])})"
            ),
        )
    )

    # --- events -------------------------------------------------------------------
    inside = events[
        (events["occurred_at"] < pd.Timestamp(as_of_date) - pd.Timedelta(days=30))
        & (events["occurred_at"].dt.hour.between(1, 22))
    ].sort_values("event_id")
    event_template = inside.iloc[0].to_dict()

    def event_row(event_id: str | None, **changes: object) -> dict:
        return {**event_template, "event_id": event_id, **changes}

    new_events = [event_row(None), event_row(""), event_row(" ")]
    landings.append(
        Landing(
            "blank_event_id",
            "events",
            "event_id is null",
            ((quarantined, "missing_event_id"),) * 3,
        )
    )
    event_values = {
        "BAD-E-NO-NAME": ({"event_name": "  "}, "missing_event_name"),
        "BAD-E-NO-TIME": ({"occurred_at": None}, "missing_occurred_at"),
        "BAD-E-1970": ({"occurred_at": pd.Timestamp("1970-01-01")}, "implausible_occurred_at"),
        "BAD-E-2199": ({"occurred_at": pd.Timestamp("2199-01-01")}, "implausible_occurred_at"),
    }
    for event_id, (changes, _) in event_values.items():
        new_events.append(event_row(event_id, **changes))
    landings.append(
        Landing(
            "event_missing_or_absurd_name_or_time",
            "events",
            _ids("event_id", list(event_values)),
            tuple(sorted((quarantined, reason) for _, reason in event_values.values())),
        )
    )
    anonymous_ids = ["BAD-E-ANON-NULL", "BAD-E-ANON-EMPTY", "BAD-E-ANON-BLANK"]
    for event_id, customer_id in zip(anonymous_ids, [None, "", "   "], strict=True):
        new_events.append(event_row(event_id, customer_id=customer_id, event_name="add_to_cart"))
    landings.append(
        Landing(
            "anonymous_events",
            "events",
            _ids("event_id", anonymous_ids),
            ((staged, None),) * 3,
            check_sql=(
                "select count(*) = 3 and bool_and(is_anonymous) and count(customer_id) = 0"
                f" from staging.stg_events where {_ids('event_id', anonymous_ids)}"
            ),
        )
    )
    dup_identical = inside.iloc[1].to_dict()
    dup_later = inside.iloc[2].to_dict()
    new_events += [
        dict(dup_identical),
        {**dup_later, "occurred_at": dup_later["occurred_at"] + pd.Timedelta(seconds=30)},
        {**dup_later, "occurred_at": dup_later["occurred_at"] + pd.Timedelta(days=40)},
    ]
    landings.append(
        Landing(
            "duplicate_event_ids",
            "events",
            _ids("event_id", [dup_identical["event_id"], dup_later["event_id"]]),
            ((duplicate, None),) * 3 + ((staged, None),) * 2,
            check_sql=(
                "select count(*) = 1 and min(occurred_at) = "
                f"cast('{dup_later['occurred_at']}' as timestamp) from staging.stg_events"
                f" where event_id = {_quote(dup_later['event_id'])}"
            ),
        )
    )
    # NPS answers on a customer-day that already has activity: no new active day.
    nps = {
        "BAD-E-JSON-1": '{"score": 7',
        "BAD-E-JSON-2": "not json at all",
        "BAD-E-NPS-11": '{"score": 11}',
        "BAD-E-NPS-NEG": '{"score": -1}',
        "BAD-E-NPS-TEXT": '{"score": "ten"}',
    }
    for event_id, properties in nps.items():
        new_events.append(
            event_row(event_id, event_name="nps_response", platform="email", properties=properties)
        )
    landings.append(
        Landing(
            "malformed_json_and_nps_out_of_range",
            "events",
            _ids("event_id", list(nps)),
            ((staged, None),) * 5,
            check_sql=(
                "select count(*) = 5 and count(nps_score) = 0"
                " and count(*) filter (where not has_valid_properties) = 2"
                f" from staging.stg_events where {_ids('event_id', list(nps))}"
            ),
        )
    )
    after_event = pd.Timestamp(as_of_date) + pd.Timedelta(days=3, hours=12)
    new_events.append(event_row("BAD-E-AFTER-AS-OF", occurred_at=after_event))
    landings.append(
        Landing(
            "event_after_as_of_date",
            "events",
            "event_id = 'BAD-E-AFTER-AS-OF'",
            ((staged, None),),
            check_sql=(
                "select count(*) = 0 from intermediate.int_customer_event_days"
                f" where event_date > cast('{as_of_date}' as date)"
            ),
        )
    )
    # oddly cased event name (the activation event) and platform: normalized in place
    carts = events[events["event_name"] == "add_to_cart"].sort_values("event_id")
    odd_event = carts.iloc[0]["event_id"]
    events.loc[events["event_id"] == odd_event, "event_name"] = " Add_To_Cart "
    events.loc[events["event_id"] == odd_event, "platform"] = " iOS"
    landings.append(
        Landing(
            "oddly_cased_event_name",
            "events",
            _ids("event_id", [odd_event]),
            ((staged, None),),
            check_sql=(
                "select count(*) = 1 from staging.stg_events"
                f" where event_id = {_quote(odd_event)} and event_name = 'add_to_cart'"
                " and platform = 'ios'"
            ),
        )
    )

    # --- marketing spend ----------------------------------------------------------
    spend_template = spend.sort_values(["spend_date", "channel", "campaign"]).iloc[0].to_dict()
    new_spend = [
        {**spend_template, "spend_amount": Decimal("-50.00")},
        {**spend_template, "spend_amount": None},
        {**spend_template, "channel": None, "spend_amount": Decimal("9.99")},
        {**spend_template, "channel": "  ", "spend_amount": Decimal("9.98")},
        {**spend_template, "spend_date": None, "spend_amount": Decimal("9.97")},
        dict(spend_template),
    ]
    landings.append(
        Landing(
            "negative_or_incomplete_spend",
            "marketing_spend",
            "spend_amount < 0 or spend_amount is null or channel is null or spend_date is null",
            tuple(
                sorted(
                    [
                        (quarantined, "negative_spend_amount"),
                        (quarantined, "missing_spend_amount"),
                        (quarantined, "missing_channel"),
                        (quarantined, "missing_channel"),
                        (quarantined, "missing_spend_date"),
                    ]
                )
            ),
        )
    )
    landings.append(
        Landing(
            "spend_line_repeated_identically",
            "marketing_spend",
            f"spend_date = cast('{spend_template['spend_date']}' as date)"
            f" and channel = {_quote(spend_template['channel'])}"
            f" and campaign = {_quote(spend_template['campaign'])}"
            f" and spend_amount = {spend_template['spend_amount']}",
            ((duplicate, None), (staged, None)),
        )
    )
    odd_spend = spend[spend["channel"] == "paid_social"].sort_values("spend_date").index[0]
    spend.loc[odd_spend, "channel"] = " PAID_Social"
    spend.loc[odd_spend, "campaign"] = f" {spend.loc[odd_spend, 'campaign']} "
    landings.append(
        Landing(
            "oddly_cased_spend_channel",
            "marketing_spend",
            f"spend_date = cast('{spend.loc[odd_spend, 'spend_date']}' as date)"
            " and channel = 'paid_social'"
            f" and campaign = {_quote(spend.loc[odd_spend, 'campaign'].strip())}",
            ((staged, None),),
        )
    )

    bad = {
        "customers": _append(customers, new_customers),
        "orders": _append(orders, new_orders),
        "events": _append(events, new_events),
        "marketing_spend": _append(spend, new_spend),
    }
    return bad, landings


def describe(landings: list[Landing]) -> str:
    """The catalogue as JSON lines (for failure messages)."""
    return "\n".join(json.dumps([x.kind, x.table, x.expected]) for x in landings)
