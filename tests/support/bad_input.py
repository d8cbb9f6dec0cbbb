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

One injector per kind, keyed by the kind's slug in ``INJECTORS``: the slugs are
those of ``retention.demo.dirty.CATALOGUE`` and of the docs table
(tests/unit/test_bad_input_catalogue.py checks the three agree). An injector
reads the clean tables through :class:`Picks` and returns an :class:`Injection`:
its new rows, its in-place edits and its landing. ``WITHOUT_INJECTOR`` lists the
catalogue kinds that are not bad rows.

Text-typed raw columns (CSV loads): ``with_bad_input(clean, as_of_date, as_text=True)``
returns every table with every column as text (``as_text_frame``: ISO timestamps and
dates, plain decimals) and, on top of every kind of ``INJECTORS``, the kinds of
``TEXT_INJECTORS``: values that only a text column can hold ('12,50', 'n/a',
'2024-13-01', '  12.50 ').

Why the marts must not change: every kind below is either quarantined, a
duplicate that loses to the clean row, normalized back to the clean value, or
kept out of metrics (not a purchase, after as_of_date, anonymous, no customer
day and no early action of activation_drivers added). One kind legitimately
adds information: an order whose customer is missing from raw.customers. Its
documented outcome is "the order counts, the customer has channel
``unknown`` and no signup, country or campaign", which is
exactly what a raw.customers row with only the customer_id means. So the clean
tables carry that row (ORPHAN) and the bad tables drop it: the marts must be
equal if and only if the rule holds.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Hashable
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

    kind: str  # catalogue slug (retention.demo.dirty.CATALOGUE, docs/bad_input.md)
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
        for table in ("customers", "orders", "events", "marketing_spend", "experiment_assignments")
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
    # ... and an assignment of that customer (assignment_of_unknown_customer: in the bad
    # tables the customer is unknown to raw.customers, and the assignment still counts).
    frames["experiment_assignments"] = _append(
        frames["experiment_assignments"],
        [
            {
                "experiment_id": "onboarding_checklist",
                "customer_id": ORPHAN,
                "variant": "checklist",
                "assigned_at": pd.Timestamp("2025-03-05 09:00:00"),
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


QUARANTINED = "quarantined"
STAGED = "staged"
DUPLICATE = "duplicate"

# Catalogue kinds that are not bad rows, so have no injector, and where the test covers them.
WITHOUT_INJECTOR: dict[str, str] = {
    "text_typed_raw_columns": "the text build: every raw column as text (with_bad_input as_text)",
    "empty_raw_table": "the no_events build (raw.events empty); test_empty_raw_tables.py",
    "extra_column": f"{EXTRA_COLUMN}, added to every raw table of the bad build",
    "order_at_utc_month_start": "valid input that the clean shop itself contains (simulate.py)",
    "two_nps_responses_in_a_month": (
        "valid input that the clean shop itself contains (simulate.py asks after orders);"
        " the unit test nps_counts_a_customer_once_a_month_with_the_latest and"
        " tests/unit/test_reference_wave_edge_cases.py"
    ),
}


@dataclass(frozen=True)
class Edit:
    """An in-place change of one clean row (by index label): new values, or None to delete it."""

    table: str
    label: Hashable
    values: dict[str, object] | None


@dataclass(frozen=True)
class Injection:
    """What one kind does to the clean tables, and its Landing (all of it but the kind)."""

    table: str  # raw table of the landing (and of ``rows``)
    predicate: str
    expected: tuple[tuple[str, str | None], ...]
    check_sql: str | None = None
    rows: tuple[dict, ...] = ()  # new raw rows of ``table``
    edits: tuple[Edit, ...] = ()  # in-place changes of clean rows

    def landing(self, kind: str) -> Landing:
        return Landing(kind, self.table, self.predicate, self.expected, self.check_sql)


class Picks:
    """Deterministic picks from the clean tables, shared by the injectors.

    Each injector takes its own rows (``completed.iloc[3:6]`` ...): no clean row gets
    two defects. The clean tables themselves are never changed here."""

    def __init__(self, clean: dict[str, pd.DataFrame], as_of_date: str) -> None:
        self.clean = clean
        self.as_of_date = as_of_date
        orders = clean["orders"]
        # completed orders (updated after they were placed): the first is the template of
        # new bad orders (an order, so a customer, with purchases)
        self.completed = orders[
            (orders["status"] == "completed")
            & (orders["customer_id"] != ORPHAN)
            & (orders["updated_at"] > orders["ordered_at"])
        ].sort_values("order_id")
        self.template = self.completed.iloc[0].to_dict()
        customers = clean["customers"]
        customers = customers[customers["customer_id"] != ORPHAN]
        # customers with orders: the first is the template of new bad customers
        self.known = customers[customers["customer_id"].isin(set(orders["customer_id"]))]
        self.known = self.known.sort_values("customer_id")
        self.base = self.known.iloc[0].to_dict()
        events = clean["events"]
        # events well before as_of_date and away from midnight: the first is the template
        self.inside = events[
            (events["occurred_at"] < pd.Timestamp(as_of_date) - pd.Timedelta(days=30))
            & (events["occurred_at"].dt.hour.between(1, 22))
        ].sort_values("event_id")
        self.event_template = self.inside.iloc[0].to_dict()
        # of those, events more than ten days after their customer's signup:
        # an event added on such a customer-day is no early action of
        # activation_drivers (days 0..activation_window_days, default 7)
        signups = customers.set_index("customer_id")["signed_up_at"]
        after_early_window = self.inside["occurred_at"] > (
            self.inside["customer_id"].map(signups) + pd.Timedelta(days=10)
        )
        self.late_event_template = self.inside[after_early_window].iloc[0].to_dict()
        spend = clean["marketing_spend"]
        self.spend_template = spend.sort_values(["spend_date", "channel", "campaign"]).iloc[0]
        self.spend_template = self.spend_template.to_dict()
        # assignments of shop customers, in a fixed order: the first is the template
        assignments = clean["experiment_assignments"]
        self.assignments = assignments[assignments["customer_id"] != ORPHAN].sort_values(
            ["experiment_id", "customer_id"]
        )
        self.assignment_template = self.assignments.iloc[0].to_dict()

    def assignment_row(self, **changes: object) -> dict:
        return {**self.assignment_template, **changes}

    def order_row(self, order_id: str | None, **changes: object) -> dict:
        return {**self.template, "order_id": order_id, **changes}

    def event_row(self, event_id: str | None, **changes: object) -> dict:
        return {**self.event_template, "event_id": event_id, **changes}

    def late_event_row(self, event_id: str | None, **changes: object) -> dict:
        return {**self.late_event_template, "event_id": event_id, **changes}


def _quarantined(
    table: str, key: str, rows: dict[str, dict], reason: str, make: Callable[..., dict]
) -> Injection:
    """New rows ``{id: changes}`` of a template, all quarantined with ``reason``."""
    return Injection(
        table,
        _ids(key, list(rows)),
        ((QUARANTINED, reason),) * len(rows),
        rows=tuple(make(row_id, **changes) for row_id, changes in rows.items()),
    )


# --- orders -------------------------------------------------------------------------------


def blank_order_id(p: Picks) -> Injection:
    return Injection(
        "orders",
        "order_id is null",
        ((QUARANTINED, "missing_order_id"),) * 3,
        rows=(p.order_row(None), p.order_row(""), p.order_row("   ")),
    )


def blank_customer_id_on_order(p: Picks) -> Injection:
    rows = {
        "BAD-O-NULL-CUSTOMER": {"customer_id": None},
        "BAD-O-BLANK-CUSTOMER": {"customer_id": "  "},
    }
    return _quarantined("orders", "order_id", rows, "missing_customer_id", p.order_row)


def order_repeated_with_other_payload(p: Picks) -> Injection:
    versioned = p.completed.iloc[1].to_dict()
    older = {
        **versioned,
        "status": "pending",
        "order_amount": versioned["order_amount"] + Decimal("100.00"),
        "refunded_amount": None,
        "updated_at": versioned["ordered_at"],  # earlier than the clean row's updated_at
    }
    undated = {**versioned, "status": "cancelled", "updated_at": None}
    return Injection(
        "orders",
        _ids("order_id", [versioned["order_id"]]),
        ((DUPLICATE, None), (DUPLICATE, None), (STAGED, None)),
        check_sql=(
            "select count(*) = 1 and min(status) = 'completed' and min(order_amount) = "
            f"{versioned['order_amount']} from staging.stg_orders"
            f" where order_id = {_quote(versioned['order_id'])}"
        ),
        rows=(older, undated),
    )


def order_repeated_identically(p: Picks) -> Injection:
    identical = p.completed.iloc[2].to_dict()
    return Injection(
        "orders",
        _ids("order_id", [identical["order_id"]]),
        ((DUPLICATE, None), (STAGED, None)),
        rows=(dict(identical),),
    )


def missing_ordered_at(p: Picks) -> Injection:
    rows = {"BAD-O-NO-DATE": {"ordered_at": None}}
    return _quarantined("orders", "order_id", rows, "missing_ordered_at", p.order_row)


def absurd_ordered_at(p: Picks) -> Injection:
    rows = {
        "BAD-O-1970": {"ordered_at": pd.Timestamp("1970-01-01")},
        "BAD-O-1989": {"ordered_at": pd.Timestamp("1989-12-31 23:59:59")},
        "BAD-O-2199": {"ordered_at": pd.Timestamp("2199-01-01")},
    }
    return _quarantined("orders", "order_id", rows, "implausible_ordered_at", p.order_row)


def missing_order_amount(p: Picks) -> Injection:
    rows = {"BAD-O-NO-AMOUNT": {"order_amount": None}}
    return _quarantined("orders", "order_id", rows, "missing_order_amount", p.order_row)


def negative_order_amount(p: Picks) -> Injection:
    rows = {
        "BAD-O-NEG-AMOUNT": {"order_amount": Decimal("-25.00")},
        "BAD-O-NEG-REFUND": {"refunded_amount": Decimal("-5.00")},
        "BAD-O-NEG-COST": {"cost_amount": Decimal("-3.00")},
    }
    return _quarantined("orders", "order_id", rows, "negative_amount", p.order_row)


def refund_above_order_amount(p: Picks) -> Injection:
    rows = {
        "BAD-O-REFUND-ABOVE": {"refunded_amount": p.template["order_amount"] + Decimal("10.00")}
    }
    return _quarantined("orders", "order_id", rows, "refund_exceeds_order_amount", p.order_row)


def unknown_status(p: Picks) -> Injection:
    statuses = {"BAD-O-ON-HOLD": "On_Hold", "BAD-O-NULL-STATUS": None, "BAD-O-BLANK-STATUS": "  "}
    return Injection(
        "orders",
        _ids("order_id", list(statuses)),
        ((STAGED, None),) * 3,
        check_sql=(
            "select count(*) = 3 and count(*) filter (where is_purchase) = 0"
            " and string_agg(distinct status, ',' order by status) = 'on_hold,unknown'"
            f" from staging.stg_orders where {_ids('order_id', list(statuses))}"
        ),
        rows=tuple(p.order_row(i, status=status) for i, status in statuses.items()),
    )


def order_after_as_of_date(p: Picks) -> Injection:
    after = pd.Timestamp(p.as_of_date) + pd.Timedelta(days=5, hours=12)
    return Injection(
        "orders",
        "order_id = 'BAD-O-AFTER-AS-OF'",
        ((STAGED, None),),
        check_sql=(
            "select count(*) = 0 from intermediate.int_purchases"
            " where order_id = 'BAD-O-AFTER-AS-OF'"
        ),
        rows=(p.order_row("BAD-O-AFTER-AS-OF", ordered_at=after, updated_at=after),),
    )


def oddly_cased_status(p: Picks) -> Injection:
    odd = p.completed.iloc[3:6]
    ids = odd["order_id"].tolist()
    statuses = (" COMPLETED ", "Completed", "completed  ")
    return Injection(
        "orders",
        _ids("order_id", ids),
        ((STAGED, None),) * 3,
        check_sql=(
            "select count(*) filter (where status = 'completed' and is_purchase) = 3"
            f" from staging.stg_orders where {_ids('order_id', ids)}"
        ),
        edits=tuple(
            Edit("orders", label, {"status": status})
            for label, status in zip(odd.index, statuses, strict=True)
        ),
    )


def padded_order_id(p: Picks) -> Injection:
    label, padded = p.completed.index[6], p.completed.iloc[6]["order_id"]
    return Injection(
        "orders",
        _ids("order_id", [padded]),
        ((STAGED, None),),
        edits=(Edit("orders", label, {"order_id": f"  {padded} "}),),
    )


def orphan_order(p: Picks) -> Injection:
    """The clean tables carry ORPHAN's customer row; the bad ones drop it (module docstring)."""
    customers = p.clean["customers"]
    (label,) = customers.index[customers["customer_id"] == ORPHAN]
    return Injection(
        "orders",
        "order_id = 'BAD-ORPHAN-ORDER'",
        ((STAGED, None),),
        check_sql=(
            "select count(*) = 1 and min(acquisition_channel) = 'unknown'"
            f" from marts.customers where customer_id = {_quote(ORPHAN)}"
        ),
        edits=(Edit("customers", label, None),),
    )


# --- customers ----------------------------------------------------------------------------


def blank_customer_id(p: Picks) -> Injection:
    return Injection(
        "customers",
        "customer_id is null",
        ((QUARANTINED, "missing_customer_id"),) * 3,
        rows=tuple({**p.base, "customer_id": blank} for blank in (None, "", "  ")),
    )


def customer_repeated_with_changed_channel(p: Picks) -> Injection:
    changed = p.known.iloc[1].to_dict()
    other_channel = "affiliate" if changed["acquisition_channel"] != "affiliate" else "email"
    return Injection(
        "customers",
        _ids("customer_id", [changed["customer_id"]]),
        ((DUPLICATE, None), (DUPLICATE, None), (STAGED, None)),
        check_sql=(
            "select count(*) = 1 and min(acquisition_channel) = "
            f"{_quote(changed['acquisition_channel'])} from staging.stg_customers"
            f" where customer_id = {_quote(changed['customer_id'])}"
        ),
        rows=(
            {
                **changed,
                "acquisition_channel": other_channel,
                "updated_at": changed["updated_at"] - pd.Timedelta(days=3),
            },
            {**changed, "acquisition_channel": "referral_partner", "updated_at": None},
        ),
    )


def customer_repeated_identically(p: Picks) -> Injection:
    twin = p.known.iloc[2].to_dict()
    return Injection(
        "customers",
        _ids("customer_id", [twin["customer_id"]]),
        ((DUPLICATE, None), (STAGED, None)),
        rows=(dict(twin),),
    )


def absurd_signed_up_at(p: Picks) -> Injection:
    """New customers without orders: a kept signup would make a 1970 or 1989 cohort."""
    signups = {
        "BAD-C-1970": pd.Timestamp("1970-01-01"),
        "BAD-C-1989": pd.Timestamp("1989-06-01"),
        "BAD-C-2199": pd.Timestamp("2199-01-01"),
    }
    return Injection(
        "customers",
        _ids("customer_id", list(signups)),
        ((STAGED, None),) * 3,
        check_sql=(
            "select count(*) = 3 and count(signed_up_at) = 0 and count(signup_date) = 0"
            f" from staging.stg_customers where {_ids('customer_id', list(signups))}"
        ),
        rows=tuple(
            {**p.base, "customer_id": customer_id, "signed_up_at": signed_up_at, "email": None}
            for customer_id, signed_up_at in signups.items()
        ),
    )


def oddly_cased_channel_or_country(p: Picks) -> Injection:
    odd_channel, odd_country = p.known.iloc[3], p.known.iloc[4]
    return Injection(
        "customers",
        _ids("customer_id", [odd_channel["customer_id"], odd_country["customer_id"]]),
        ((STAGED, None),) * 2,
        check_sql=(
            "select count(*) = 2 from staging.stg_customers where "
            f"(customer_id = {_quote(odd_channel['customer_id'])} and acquisition_channel = "
            f"{_quote(odd_channel['acquisition_channel'])}) or (customer_id = "
            f"{_quote(odd_country['customer_id'])} and country_code = "
            f"{_quote(odd_country['country_code'])})"
        ),
        edits=(
            Edit(
                "customers",
                odd_channel.name,
                {"acquisition_channel": " " + odd_channel["acquisition_channel"].upper() + " "},
            ),
            Edit(
                "customers",
                odd_country.name,
                {"country_code": " " + odd_country["country_code"].lower()},
            ),
        ),
    )


def padded_customer_id(p: Picks) -> Injection:
    padded = p.known.iloc[5]
    return Injection(
        "customers",
        _ids("customer_id", [padded["customer_id"]]),
        ((STAGED, None),),
        edits=(Edit("customers", padded.name, {"customer_id": f" {padded['customer_id']}  "}),),
    )


# --- events -------------------------------------------------------------------------------


def blank_event_id(p: Picks) -> Injection:
    return Injection(
        "events",
        "event_id is null",
        ((QUARANTINED, "missing_event_id"),) * 3,
        rows=(p.event_row(None), p.event_row(""), p.event_row(" ")),
    )


def missing_event_name(p: Picks) -> Injection:
    rows = {"BAD-E-NO-NAME": {"event_name": "  "}}
    return _quarantined("events", "event_id", rows, "missing_event_name", p.event_row)


def missing_occurred_at(p: Picks) -> Injection:
    rows = {"BAD-E-NO-TIME": {"occurred_at": None}}
    return _quarantined("events", "event_id", rows, "missing_occurred_at", p.event_row)


def absurd_occurred_at(p: Picks) -> Injection:
    rows = {
        "BAD-E-1970": {"occurred_at": pd.Timestamp("1970-01-01")},
        "BAD-E-2199": {"occurred_at": pd.Timestamp("2199-01-01")},
    }
    return _quarantined("events", "event_id", rows, "implausible_occurred_at", p.event_row)


def anonymous_event(p: Picks) -> Injection:
    customers = {"BAD-E-ANON-NULL": None, "BAD-E-ANON-EMPTY": "", "BAD-E-ANON-BLANK": "   "}
    return Injection(
        "events",
        _ids("event_id", list(customers)),
        ((STAGED, None),) * 3,
        check_sql=(
            "select count(*) = 3 and bool_and(is_anonymous) and count(customer_id) = 0"
            f" from staging.stg_events where {_ids('event_id', list(customers))}"
        ),
        rows=tuple(
            p.event_row(event_id, customer_id=customer_id, event_name="add_to_cart")
            for event_id, customer_id in customers.items()
        ),
    )


def duplicate_event_id(p: Picks) -> Injection:
    identical, later = p.inside.iloc[1].to_dict(), p.inside.iloc[2].to_dict()
    return Injection(
        "events",
        _ids("event_id", [identical["event_id"], later["event_id"]]),
        ((DUPLICATE, None),) * 3 + ((STAGED, None),) * 2,
        check_sql=(
            "select count(*) = 1 and min(occurred_at) = "
            f"cast('{later['occurred_at']}' as timestamp) from staging.stg_events"
            f" where event_id = {_quote(later['event_id'])}"
        ),
        rows=(
            dict(identical),
            {**later, "occurred_at": later["occurred_at"] + pd.Timedelta(seconds=30)},
            {**later, "occurred_at": later["occurred_at"] + pd.Timedelta(days=40)},
        ),
    )


def _nps_answers(p: Picks, properties: dict[str, str], check: str) -> Injection:
    """NPS answers on a customer-day that already has activity (no new active
    day) and is past the customer's first week (no new early action)."""
    return Injection(
        "events",
        _ids("event_id", list(properties)),
        ((STAGED, None),) * len(properties),
        check_sql=(
            f"select count(*) = {len(properties)} and count(nps_score) = 0 and {check}"
            f" from staging.stg_events where {_ids('event_id', list(properties))}"
        ),
        rows=tuple(
            p.late_event_row(event_id, event_name="nps_response", platform="email", properties=text)
            for event_id, text in properties.items()
        ),
    )


def malformed_properties_json(p: Picks) -> Injection:
    properties = {"BAD-E-JSON-1": '{"score": 7', "BAD-E-JSON-2": "not json at all"}
    return _nps_answers(p, properties, "not bool_or(has_valid_properties)")


def nps_score_out_of_range(p: Picks) -> Injection:
    properties = {
        "BAD-E-NPS-11": '{"score": 11}',
        "BAD-E-NPS-NEG": '{"score": -1}',
        "BAD-E-NPS-TEXT": '{"score": "ten"}',
    }
    return _nps_answers(p, properties, "bool_and(has_valid_properties)")


def _not_an_nps_response(event_id: str) -> str:
    """A staged event with a valid score that int_nps_responses leaves out."""
    return (
        f"select count(*) = 1 and min(nps_score) = 0"
        f" and (select count(*) from intermediate.int_nps_responses"
        f" where event_id = {_quote(event_id)}) = 0"
        f" from staging.stg_events where event_id = {_quote(event_id)}"
    )


def anonymous_nps_response(p: Picks) -> Injection:
    """A valid score (0) without a customer: no response, so no NPS mart moves."""
    event_id = "BAD-E-NPS-ANON"
    return Injection(
        "events",
        _ids("event_id", [event_id]),
        ((STAGED, None),),
        check_sql=_not_an_nps_response(event_id),
        rows=(
            p.event_row(
                event_id,
                customer_id=None,
                event_name="nps_response",
                platform="email",
                properties='{"score": 0}',
            ),
        ),
    )


def nps_response_after_as_of_date(p: Picks) -> Injection:
    """A valid score (0) of a known customer dated after as_of_date: counted, it
    would add an NPS month and change the customer's latest_nps_score."""
    event_id = "BAD-E-NPS-AFTER-AS-OF"
    after = pd.Timestamp(p.as_of_date) + pd.Timedelta(days=2, hours=12)
    return Injection(
        "events",
        _ids("event_id", [event_id]),
        ((STAGED, None),),
        check_sql=_not_an_nps_response(event_id),
        rows=(
            p.event_row(
                event_id,
                occurred_at=after,
                event_name="nps_response",
                platform="email",
                properties='{"score": 0}',
            ),
        ),
    )


def event_after_as_of_date(p: Picks) -> Injection:
    after = pd.Timestamp(p.as_of_date) + pd.Timedelta(days=3, hours=12)
    return Injection(
        "events",
        "event_id = 'BAD-E-AFTER-AS-OF'",
        ((STAGED, None),),
        check_sql=(
            "select count(*) = 0 from intermediate.int_customer_event_days"
            f" where event_date > cast('{p.as_of_date}' as date)"
        ),
        rows=(p.event_row("BAD-E-AFTER-AS-OF", occurred_at=after),),
    )


def oddly_cased_event_name_or_platform(p: Picks) -> Injection:
    """The activation event (add_to_cart), so a wrong normalization moves product retention."""
    events = p.clean["events"]
    cart = events[events["event_name"] == "add_to_cart"].sort_values("event_id").iloc[0]
    return Injection(
        "events",
        _ids("event_id", [cart["event_id"]]),
        ((STAGED, None),),
        check_sql=(
            "select count(*) = 1 from staging.stg_events"
            f" where event_id = {_quote(cart['event_id'])} and event_name = 'add_to_cart'"
            " and platform = 'ios'"
        ),
        edits=(Edit("events", cart.name, {"event_name": " Add_To_Cart ", "platform": " iOS"}),),
    )


# --- marketing spend ----------------------------------------------------------------------


def negative_or_incomplete_spend(p: Picks) -> Injection:
    line = p.spend_template
    return Injection(
        "marketing_spend",
        "(spend_amount < 0 or spend_amount is null or channel is null or spend_date is null)"
        " and parse_problem is null",  # not the rows of unparseable_spend_date_or_amount
        tuple(
            sorted(
                (QUARANTINED, reason)
                for reason in (
                    "negative_spend_amount",
                    "missing_spend_amount",
                    "missing_channel",
                    "missing_channel",
                    "missing_spend_date",
                )
            )
        ),
        rows=(
            {**line, "spend_amount": Decimal("-50.00")},
            {**line, "spend_amount": None},
            {**line, "channel": None, "spend_amount": Decimal("9.99")},
            {**line, "channel": "  ", "spend_amount": Decimal("9.98")},
            {**line, "spend_date": None, "spend_amount": Decimal("9.97")},
        ),
    )


def spend_line_repeated_identically(p: Picks) -> Injection:
    line = p.spend_template
    return Injection(
        "marketing_spend",
        f"spend_date = cast('{line['spend_date']}' as date)"
        f" and channel = {_quote(line['channel'])}"
        f" and campaign = {_quote(line['campaign'])}"
        f" and spend_amount = {line['spend_amount']}",
        ((DUPLICATE, None), (STAGED, None)),
        rows=(dict(line),),
    )


def oddly_cased_spend_channel_or_campaign(p: Picks) -> Injection:
    spend = p.clean["marketing_spend"]
    odd = spend[spend["channel"] == "paid_social"].sort_values("spend_date").iloc[0]
    campaign = f" {odd['campaign']} "
    return Injection(
        "marketing_spend",
        f"spend_date = cast('{odd['spend_date']}' as date)"
        " and channel = 'paid_social'"
        f" and campaign = {_quote(campaign.strip())}",
        ((STAGED, None),),
        edits=(
            Edit("marketing_spend", odd.name, {"channel": " PAID_Social", "campaign": campaign}),
        ),
    )


# --- experiment assignments ---------------------------------------------------------------


def _assignment_predicate(row: dict) -> str:
    return (
        f"experiment_id = {_quote(str(row['experiment_id']).strip())}"
        f" and customer_id = {_quote(str(row['customer_id']).strip())}"
    )


def blank_assignment_field(p: Picks) -> Injection:
    return Injection(
        "experiment_assignments",
        "(experiment_id is null or customer_id is null or variant is null or assigned_at is null)"
        " and parse_problem is null",  # not the rows of unparseable_assigned_at
        (
            (QUARANTINED, "missing_assigned_at"),
            (QUARANTINED, "missing_customer_id"),
            (QUARANTINED, "missing_experiment_id"),
            (QUARANTINED, "missing_experiment_id"),
            (QUARANTINED, "missing_variant"),
        ),
        rows=(
            p.assignment_row(experiment_id=None),
            p.assignment_row(experiment_id="  "),
            p.assignment_row(customer_id=None),
            p.assignment_row(variant=" "),
            p.assignment_row(assigned_at=None),
        ),
    )


def absurd_assigned_at(p: Picks) -> Injection:
    return Injection(
        "experiment_assignments",
        "(assigned_at < timestamp '1990-01-01' or assigned_at > timestamp '2100-01-01')",
        ((QUARANTINED, "implausible_assigned_at"),) * 2,
        rows=(
            p.assignment_row(assigned_at=pd.Timestamp("1970-01-01")),
            p.assignment_row(assigned_at=pd.Timestamp("2199-01-01")),
        ),
    )


def oddly_cased_variant(p: Picks) -> Injection:
    """In place: ' Control ' and 'GRID' must normalize back (else a variant splits)."""
    layout = p.assignments[p.assignments["experiment_id"] == "homepage_layout"]
    rows = [layout[layout["variant"] == variant].iloc[1] for variant in ("control", "grid")]
    return Injection(
        "experiment_assignments",
        " or ".join(f"({_assignment_predicate(row.to_dict())})" for row in rows),
        ((STAGED, None),) * 2,
        check_sql=(
            "select count(*) = 2 and count(*) filter (where variant in ('control', 'grid'))"
            " = 2 from staging.stg_experiment_assignments where "
            + " or ".join(f"({_assignment_predicate(row.to_dict())})" for row in rows)
        ),
        edits=(
            Edit("experiment_assignments", rows[0].name, {"variant": " Control "}),
            Edit("experiment_assignments", rows[1].name, {"variant": "GRID"}),
        ),
    )


def padded_assignment_id(p: Picks) -> Injection:
    row = p.assignments.iloc[3]  # free_shipping_banner rows (the template is the first)
    return Injection(
        "experiment_assignments",
        _assignment_predicate(row.to_dict()),
        ((STAGED, None),),
        edits=(
            Edit(
                "experiment_assignments",
                row.name,
                {
                    "experiment_id": f"  {row['experiment_id']} ",
                    "customer_id": f" {row['customer_id']}  ",
                },
            ),
        ),
    )


def assignment_repeated_identically(p: Picks) -> Injection:
    row = p.assignments.iloc[4].to_dict()
    return Injection(
        "experiment_assignments",
        _assignment_predicate(row),
        ((DUPLICATE, None), (STAGED, None)),
        rows=(dict(row),),
    )


def assignment_repeated_later(p: Picks) -> Injection:
    """The earliest onboarding assignment, seen again 10 days later: the earliest row is
    the assignment (else first_assigned_date and the windows move)."""
    onboarding = p.assignments[p.assignments["experiment_id"] == "onboarding_checklist"]
    row = onboarding.sort_values("assigned_at").iloc[0].to_dict()
    return Injection(
        "experiment_assignments",
        _assignment_predicate(row),
        ((STAGED, None), (STAGED, None)),
        check_sql=(
            "select count(*) = 1 and min(assigned_date) = cast("
            f"'{row['assigned_at'].date()}' as date) from intermediate.int_experiment_assignments"
            f" where {_assignment_predicate(row)} and is_counted"
        ),
        rows=({**row, "assigned_at": row["assigned_at"] + pd.Timedelta(days=10)},),
    )


def _buyer_outside(p: Picks, experiment_id: str) -> str:
    """A customer with a purchase who is not assigned in ``experiment_id``."""
    assigned = set(
        p.clean["experiment_assignments"].loc[
            lambda a: a["experiment_id"] == experiment_id, "customer_id"
        ]
    )
    return next(c for c in p.completed["customer_id"] if c not in assigned)


def customer_in_two_variants(p: Picks) -> Injection:
    """A buyer outside homepage_layout assigned to two of its variants: not counted
    (counted, it would add a customer to a variant and move the read-out)."""
    customer = _buyer_outside(p, "homepage_layout")
    at = pd.Timestamp("2025-09-03 10:00:00")
    return Injection(
        "experiment_assignments",
        f"experiment_id = 'homepage_layout' and customer_id = {_quote(customer)}",
        ((STAGED, None), (STAGED, None)),
        check_sql=(
            "select customers_in_several_variants = 1 from marts.experiment_health"
            " where experiment_id = 'homepage_layout'"
        ),
        rows=(
            p.assignment_row(
                experiment_id="homepage_layout",
                customer_id=customer,
                variant="control",
                assigned_at=at,
            ),
            p.assignment_row(
                experiment_id="homepage_layout",
                customer_id=customer,
                variant="grid",
                assigned_at=at + pd.Timedelta(days=1),
            ),
        ),
    )


def assignment_after_as_of_date(p: Picks) -> Injection:
    customer = _buyer_outside(p, "free_shipping_banner")
    after = pd.Timestamp(p.as_of_date) + pd.Timedelta(days=5, hours=12)
    return Injection(
        "experiment_assignments",
        f"experiment_id = 'free_shipping_banner' and customer_id = {_quote(customer)}",
        ((STAGED, None),),
        check_sql=(
            "select rows_after_as_of_date = 1 from marts.experiment_health"
            " where experiment_id = 'free_shipping_banner'"
        ),
        rows=(
            p.assignment_row(
                experiment_id="free_shipping_banner",
                customer_id=customer,
                variant="banner",
                assigned_at=after,
            ),
        ),
    )


def assignment_of_unknown_customer(p: Picks) -> Injection:
    """The clean tables assign ORPHAN; orphan_order drops ORPHAN's raw.customers row, so in
    the bad tables this assignment's customer is unknown: it must still count."""
    return Injection(
        "experiment_assignments",
        f"customer_id = {_quote(ORPHAN)}",
        ((STAGED, None),),
        check_sql=(
            "select count(*) = 1 from intermediate.int_experiment_customer_windows"
            f" where customer_id = {_quote(ORPHAN)} and window_days = 7 and is_eligible"
            " and purchase_days = 1"
        ),
    )


Injector = Callable[[Picks], Injection]
# Every catalogue kind that is a bad row, keyed by its slug (retention.demo.dirty.CATALOGUE),
# in the order the rows are added: the bad tables are the clean ones, edited in place, plus
# the new rows of each table in this order.
INJECTORS: dict[str, Injector] = {
    injector.__name__: injector
    for injector in (
        blank_order_id,
        blank_customer_id_on_order,
        order_repeated_with_other_payload,
        order_repeated_identically,
        missing_ordered_at,
        absurd_ordered_at,
        missing_order_amount,
        negative_order_amount,
        refund_above_order_amount,
        unknown_status,
        order_after_as_of_date,
        oddly_cased_status,
        padded_order_id,
        orphan_order,
        blank_customer_id,
        customer_repeated_with_changed_channel,
        customer_repeated_identically,
        absurd_signed_up_at,
        oddly_cased_channel_or_country,
        padded_customer_id,
        blank_event_id,
        missing_event_name,
        missing_occurred_at,
        absurd_occurred_at,
        anonymous_event,
        duplicate_event_id,
        malformed_properties_json,
        nps_score_out_of_range,
        anonymous_nps_response,
        nps_response_after_as_of_date,
        event_after_as_of_date,
        oddly_cased_event_name_or_platform,
        negative_or_incomplete_spend,
        spend_line_repeated_identically,
        oddly_cased_spend_channel_or_campaign,
        blank_assignment_field,
        absurd_assigned_at,
        oddly_cased_variant,
        padded_assignment_id,
        assignment_repeated_identically,
        assignment_repeated_later,
        customer_in_two_variants,
        assignment_after_as_of_date,
        assignment_of_unknown_customer,
    )
}


# --- text-typed raw columns (only in the text build: the values need text columns) ------


def _text_rows(p: Picks) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Clean rows the text kinds edit or copy, away from the rows of INJECTORS."""
    return p.completed.iloc[20:30], p.known.iloc[20:30], p.inside.iloc[20:30]


def unparseable_order_amount(p: Picks) -> Injection:
    rows = {
        "BAD-T-COMMA": ("order_amount", "12,50"),
        "BAD-T-SCIENTIFIC": ("order_amount", "1e3"),
        "BAD-T-REFUND-NA": ("refunded_amount", "n/a"),
        "BAD-T-COST-COMMA": ("cost_amount", "3,10"),
    }
    return Injection(
        "orders",
        _ids("order_id", list(rows)),
        tuple(sorted((QUARANTINED, f"unparseable_{column}") for column, _ in rows.values())),
        rows=tuple(
            p.order_row(order_id, **{column: text}) for order_id, (column, text) in rows.items()
        ),
    )


def blank_text_order_amount(p: Picks) -> Injection:
    rows = {
        "BAD-T-EMPTY-AMOUNT": {"order_amount": ""},
        "BAD-T-BLANK-AMOUNT": {"order_amount": "  "},
    }
    return _quarantined("orders", "order_id", rows, "missing_order_amount", p.order_row)


def unparseable_ordered_at(p: Picks) -> Injection:
    rows = {
        "BAD-T-MONTH-13": {"ordered_at": "2024-13-01"},
        "BAD-T-FEB-30": {"ordered_at": "2024-02-30 10:00:00"},
        "BAD-T-WORDS": {"ordered_at": "yesterday"},
    }
    return _quarantined("orders", "order_id", rows, "unparseable_ordered_at", p.order_row)


def unparseable_order_updated_at(p: Picks) -> Injection:
    """A later-looking version with another amount whose updated_at does not parse: it is
    quarantined and the clean version is staged (else the marts move)."""
    order = _text_rows(p)[0].iloc[0].to_dict()
    return Injection(
        "orders",
        _ids("order_id", [order["order_id"]]),
        ((QUARANTINED, "unparseable_updated_at"), (STAGED, None)),
        rows=(
            {
                **order,
                "order_amount": order["order_amount"] + Decimal("100.00"),
                "updated_at": "n/a",
            },
        ),
    )


def padded_text_value(p: Picks) -> Injection:
    """In-place: padded amounts and ISO 'T' timestamps parse back to the clean values."""
    orders, customers, events = _text_rows(p)
    first, second = orders.iloc[1], orders.iloc[2]
    ids = [first["order_id"], second["order_id"]]
    return Injection(
        "orders",
        _ids("order_id", ids),
        ((STAGED, None),) * 2,
        edits=(
            Edit("orders", first.name, {"order_amount": f"  {first['order_amount']:f} "}),
            Edit(
                "orders",
                second.name,
                {
                    "ordered_at": second["ordered_at"].strftime("%Y-%m-%dT%H:%M:%S"),
                    "cost_amount": f"+{second['cost_amount']:f}",
                },
            ),
            Edit(
                "customers",
                customers.iloc[0].name,
                {"signed_up_at": " " + customers.iloc[0]["signed_up_at"].isoformat() + " "},
            ),
            Edit(
                "events",
                events.iloc[0].name,
                {"occurred_at": events.iloc[0]["occurred_at"].strftime("%Y-%m-%dT%H:%M:%S.%f")},
            ),
        ),
    )


def unparseable_signed_up_at(p: Picks) -> Injection:
    """New customers without orders: a kept signup would add an activity cohort."""
    signups = {"BAD-T-C-MONTH-13": "2024-13-01", "BAD-T-C-WORDS": "n/a"}
    return Injection(
        "customers",
        _ids("customer_id", list(signups)),
        ((STAGED, None),) * 2,
        check_sql=(
            "select count(*) = 2 and count(signed_up_at) = 0"
            " and bool_and(parse_problem = 'unparseable_signed_up_at')"
            f" from staging.stg_customers__triaged where {_ids('customer_id', list(signups))}"
        ),
        rows=tuple(
            {**p.base, "customer_id": customer_id, "signed_up_at": text, "email": None}
            for customer_id, text in signups.items()
        ),
    )


def unparseable_customer_updated_at(p: Picks) -> Injection:
    changed = _text_rows(p)[1].iloc[1].to_dict()
    other_channel = "affiliate" if changed["acquisition_channel"] != "affiliate" else "email"
    return Injection(
        "customers",
        _ids("customer_id", [changed["customer_id"]]),
        ((QUARANTINED, "unparseable_updated_at"), (STAGED, None)),
        rows=({**changed, "acquisition_channel": other_channel, "updated_at": "2024-02-30"},),
    )


def unparseable_occurred_at(p: Picks) -> Injection:
    rows = {
        "BAD-T-E-FEB-30": {"occurred_at": "2024-02-30 10:00:00"},
        "BAD-T-E-WORDS": {"occurred_at": "n/a"},
    }
    return _quarantined("events", "event_id", rows, "unparseable_occurred_at", p.event_row)


def unparseable_spend_date_or_amount(p: Picks) -> Injection:
    line = p.spend_template
    return Injection(
        "marketing_spend",
        "parse_problem is not null",
        (
            (QUARANTINED, "unparseable_spend_amount"),
            (QUARANTINED, "unparseable_spend_amount"),
            (QUARANTINED, "unparseable_spend_date"),
        ),
        rows=(
            {**line, "spend_amount": "12,50"},
            {**line, "spend_amount": "1e3"},
            {**line, "spend_date": "2024-13-01"},
        ),
    )


def unparseable_assigned_at(p: Picks) -> Injection:
    return Injection(
        "experiment_assignments",
        "parse_problem is not null",
        ((QUARANTINED, "unparseable_assigned_at"),) * 2,
        rows=(
            p.assignment_row(assigned_at="2024-02-30 10:00:00"),
            p.assignment_row(assigned_at="n/a"),
        ),
    )


TEXT_INJECTORS: dict[str, Injector] = {
    injector.__name__: injector
    for injector in (
        unparseable_order_amount,
        blank_text_order_amount,
        unparseable_ordered_at,
        unparseable_order_updated_at,
        padded_text_value,
        unparseable_signed_up_at,
        unparseable_customer_updated_at,
        unparseable_occurred_at,
        unparseable_spend_date_or_amount,
        unparseable_assigned_at,
    )
}


def text_value(value: object) -> str | None:
    """A raw value as a CSV load would give it: ISO timestamps, plain decimals, NULL kept."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def as_text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            column: pd.Series(
                [text_value(v) for v in frame[column]], index=frame.index, dtype=object
            )
            for column in frame.columns
        }
    )


def with_bad_input(
    clean: dict[str, pd.DataFrame], as_of_date: str, as_text: bool = False
) -> tuple[dict[str, pd.DataFrame], list[Landing]]:
    """The clean tables with every catalogue kind injected, and the landing checks.

    ``as_text``: every column of every table as text, and the kinds of TEXT_INJECTORS too."""
    picks = Picks(clean, as_of_date)
    convert = as_text_frame if as_text else pd.DataFrame.copy
    tables = {table: convert(frame) for table, frame in clean.items()}
    added: dict[str, list[dict]] = {table: [] for table in tables}
    landings: list[Landing] = []
    injectors = {**INJECTORS, **TEXT_INJECTORS} if as_text else INJECTORS
    for kind, inject in injectors.items():
        injection = inject(picks)
        added[injection.table] += injection.rows
        for edit in injection.edits:
            _apply(tables, edit)
        landings.append(injection.landing(kind))
    if as_text:
        added = {
            table: [{k: text_value(v) for k, v in row.items()} for row in rows]
            for table, rows in added.items()
        }
    bad = {table: _append(frame, added[table]) for table, frame in tables.items()}
    if as_text:
        bad = {table: as_text_frame(frame) for table, frame in bad.items()}
    return bad, landings


def _apply(tables: dict[str, pd.DataFrame], edit: Edit) -> None:
    if edit.values is None:
        tables[edit.table] = tables[edit.table].drop(index=[edit.label])
        return
    for column, value in edit.values.items():
        tables[edit.table].loc[edit.label, column] = value


def describe(landings: list[Landing]) -> str:
    """The catalogue as JSON lines (for failure messages)."""
    return "\n".join(json.dumps([x.kind, x.table, x.expected]) for x in landings)
