"""Inject the dirty rows that docs/staging_rules.md says staging handles.

Every kind is injected at a small rate but at least once per chunk, so even a
tiny dataset contains each kind. Rows modified in place are picked without
overlap (one defect per row); extra rows are copies of real rows with a defect.
The implausible timestamps are all quarantined by staging, and nothing that
staging keeps is moved after the calendar end, so as_of_date stays 2026-06-30.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from retention.demo import arrow as au
from retention.demo import shop
from retention.demo.simulate import EV, ID_STRIDE, Chunk

# The bad-input catalogue (docs/bad_input.md): one slug per kind, its raw table and what
# staging does with it. The docs table, the bad-input test (tests/support/bad_input.py) and
# the counters below use these slugs; the generator injects a subset of the kinds. A counter
# key is a slug, or ``slug:variant`` when the generator counts variants of one kind apart.
CATALOGUE: dict[str, tuple[str, str]] = {
    # orders
    "blank_order_id": ("orders", "quarantined"),
    "padded_order_id": ("orders", "normalized (trimmed)"),
    "blank_customer_id_on_order": ("orders", "quarantined"),
    "order_repeated_with_other_payload": (
        "orders",
        "deduplicated: the latest `updated_at` wins, NULL counts as oldest",
    ),
    "order_repeated_identically": ("orders", "deduplicated"),
    "negative_order_amount": ("orders", "quarantined"),
    "refund_above_order_amount": ("orders", "quarantined"),
    "missing_ordered_at": ("orders", "quarantined"),
    "missing_order_amount": ("orders", "quarantined"),
    "absurd_ordered_at": ("orders", "quarantined"),
    "oddly_cased_status": ("orders", "normalized (lower-cased, trimmed)"),
    "unknown_status": (
        "orders",
        "kept out of metrics: staged as `on_hold` / `unknown`, not a purchase unless listed"
        " in `purchase_statuses`",
    ),
    "order_after_as_of_date": ("orders", "kept out of metrics"),
    "orphan_order": (
        "orders",
        "staged and counted; the customer has channel `unknown`, no signup, country or campaign",
    ),
    "order_at_utc_month_start": ("orders", "valid input (not bad): staged as usual"),
    # customers
    "blank_customer_id": ("customers", "quarantined"),
    "padded_customer_id": ("customers", "normalized (trimmed)"),
    "customer_repeated_with_changed_channel": (
        "customers",
        "deduplicated: latest `updated_at` wins",
    ),
    "customer_repeated_identically": ("customers", "deduplicated"),
    "oddly_cased_channel_or_country": ("customers", "normalized"),
    "absurd_signed_up_at": ("customers", "the signup is set to NULL (the customer is kept)"),
    # events
    "blank_event_id": ("events", "quarantined"),
    "anonymous_event": ("events", "kept out of customer metrics"),
    "duplicate_event_id": ("events", "deduplicated: the earliest `occurred_at` wins"),
    "missing_event_name": ("events", "quarantined"),
    "missing_occurred_at": ("events", "quarantined"),
    "absurd_occurred_at": ("events", "quarantined"),
    "malformed_properties_json": ("events", "kept; score unknown"),
    "nps_score_out_of_range": ("events", "kept; score unknown"),
    "two_nps_responses_in_a_month": (
        "events",
        "valid input (not bad): the customer's latest response of the month counts",
    ),
    "anonymous_nps_response": ("events", "kept out of NPS metrics"),
    "nps_response_after_as_of_date": ("events", "kept out of metrics"),
    "oddly_cased_event_name_or_platform": ("events", "normalized"),
    "event_after_as_of_date": ("events", "kept out of metrics"),
    # marketing spend
    "negative_or_incomplete_spend": ("marketing_spend", "quarantined"),
    "spend_line_repeated_identically": ("marketing_spend", "deduplicated"),
    "oddly_cased_spend_channel_or_campaign": ("marketing_spend", "normalized"),
    # text-typed raw columns (CSV loads): values only a text column can hold
    "unparseable_order_amount": ("orders", "quarantined"),
    "blank_text_order_amount": ("orders", "quarantined"),
    "unparseable_ordered_at": ("orders", "quarantined"),
    "unparseable_order_updated_at": (
        "orders",
        "quarantined before deduplication; the other versions are deduplicated as usual",
    ),
    "padded_text_value": ("orders", "parsed (trimmed)"),
    "unparseable_signed_up_at": (
        "customers",
        "the signup is set to NULL (the customer is kept), flagged in `parse_problem`",
    ),
    "unparseable_customer_updated_at": ("customers", "quarantined before deduplication"),
    "unparseable_occurred_at": ("events", "quarantined before deduplication"),
    "unparseable_spend_date_or_amount": ("marketing_spend", "quarantined before deduplication"),
    # experiment assignments (optional table)
    "blank_assignment_field": ("experiment_assignments", "quarantined"),
    "absurd_assigned_at": ("experiment_assignments", "quarantined"),
    "oddly_cased_variant": ("experiment_assignments", "normalized (lower-cased, trimmed)"),
    "padded_assignment_id": ("experiment_assignments", "normalized (trimmed)"),
    "assignment_repeated_identically": ("experiment_assignments", "deduplicated"),
    "assignment_repeated_later": (
        "experiment_assignments",
        "staged; the customer's earliest row is the assignment",
    ),
    "customer_in_two_variants": (
        "experiment_assignments",
        "staged; the customer is kept out of that experiment and counted as such",
    ),
    "assignment_after_as_of_date": ("experiment_assignments", "kept out of metrics"),
    "assignment_of_unknown_customer": (
        "experiment_assignments",
        "staged and counted, like an orphan order",
    ),
    "unparseable_assigned_at": ("experiment_assignments", "quarantined before deduplication"),
    # not rows: a table, a column
    "empty_raw_table": ("any", "valid input: the build passes"),
    "extra_column": (
        "all five",
        "ignored (staging selects the contract columns by name)",
    ),
    "text_typed_raw_columns": (
        "all five",
        "valid input: parsed; typed columns are cast as before",
    ),
}


def kind_of(counter_key: str) -> str:
    """The catalogue slug of a counter key (``slug`` or ``slug:variant``)."""
    return counter_key.split(":", 1)[0]


CUSTOMER_KINDS: tuple[str, ...] = (
    "blank_customer_id:null",
    "blank_customer_id:empty",
    "blank_customer_id:whitespace",
    "customer_repeated_identically",
    "customer_repeated_with_changed_channel:older_updated_at",
    "customer_repeated_with_changed_channel:null_updated_at",
    "oddly_cased_channel_or_country:channel",
    "oddly_cased_channel_or_country:channel_null",
    "oddly_cased_channel_or_country:channel_blank",
    "oddly_cased_channel_or_country:country_lowercase",
    "oddly_cased_channel_or_country:country_alpha3",
    "oddly_cased_channel_or_country:country_invalid",
    "absurd_signed_up_at",
    "orphan_order:customer_removed",
)
ORDER_KINDS: tuple[str, ...] = (
    "blank_order_id:null",
    "blank_order_id:empty",
    "blank_order_id:whitespace",
    "blank_customer_id_on_order:null",
    "blank_customer_id_on_order:blank",
    "missing_ordered_at",
    "absurd_ordered_at:1970",
    "absurd_ordered_at:2199",
    "missing_order_amount",
    "negative_order_amount:order_amount",
    "negative_order_amount:refunded_amount",
    "negative_order_amount:cost_amount",
    "refund_above_order_amount",
    "oddly_cased_status:padded",
    "oddly_cased_status:upper",
    "unknown_status:unknown",
    "unknown_status:null",
    "unknown_status:blank",
    "order_repeated_identically",
    "order_repeated_with_other_payload:older_updated_at",
    "order_repeated_with_other_payload:null_updated_at",
    "orphan_order",
    "order_at_utc_month_start",
)
EVENT_KINDS: tuple[str, ...] = (
    "blank_event_id:null",
    "blank_event_id:empty",
    "blank_event_id:whitespace",
    "duplicate_event_id:identical",
    "duplicate_event_id:later_occurred_at",
    "anonymous_event:null",
    "anonymous_event:blank",
    "missing_event_name",
    "oddly_cased_event_name_or_platform:event_name",
    "oddly_cased_event_name_or_platform:platform",
    "missing_occurred_at",
    "absurd_occurred_at:1970",
    "absurd_occurred_at:2199",
    "malformed_properties_json",
    "nps_score_out_of_range",
)
SPEND_KINDS: tuple[str, ...] = (
    "negative_or_incomplete_spend:negative_amount",
    "negative_or_incomplete_spend:null_amount",
    "negative_or_incomplete_spend:null_channel",
    "negative_or_incomplete_spend:null_date",
    "spend_line_repeated_identically",
    "oddly_cased_spend_channel_or_campaign:channel",
    "oddly_cased_spend_channel_or_campaign:blank_campaign",
)
ASSIGNMENT_KINDS: tuple[str, ...] = (
    "blank_assignment_field:experiment_id",
    "blank_assignment_field:customer_id",
    "blank_assignment_field:variant",
    "blank_assignment_field:assigned_at",
    "absurd_assigned_at:1970",
    "absurd_assigned_at:2199",
    "oddly_cased_variant",
    "padded_assignment_id",
    "assignment_repeated_identically",
    "assignment_repeated_later",
    "customer_in_two_variants",
    "assignment_after_as_of_date",
    "assignment_of_unknown_customer",
)
KINDS: dict[str, tuple[str, ...]] = {
    "customers": CUSTOMER_KINDS,
    "orders": ORDER_KINDS,
    "events": EVENT_KINDS,
    "marketing_spend": SPEND_KINDS,
    "experiment_assignments": ASSIGNMENT_KINDS,
}

RATE = 0.001  # share of rows per kind (so ~1-2% dirty rows per table in total)
ODD_CHANNEL = {
    "organic": " ORGANIC",
    "paid_search": " Paid_Search ",
    "paid_social": "PAID_SOCIAL",
    "email": "Email ",
    "referral": "Referral",
    "affiliate": " affiliate ",
}
EPOCH_1970 = -float((shop.START - np.datetime64("1970-01-01", "D")).astype(np.int64))
FAR_2199 = float((np.datetime64("2199-01-01", "D") - shop.START).astype(np.int64))


def count_for(n_rows: int, rate: float = RATE) -> int:
    """How many rows of one kind to inject into a table of ``n_rows`` rows (at least one)."""
    return max(1, int(round(n_rows * rate)))


class _Picker:
    """Picks distinct rows for in-place defects so that no row gets two defects."""

    def __init__(self, rng: np.random.Generator, n_rows: int) -> None:
        self.rng = rng
        self.free = np.ones(n_rows, dtype=bool)

    def pick(self, k: int, allowed: np.ndarray | None = None) -> np.ndarray:
        mask = self.free if allowed is None else self.free & allowed
        candidates = np.flatnonzero(mask)
        chosen = np.sort(self.rng.permutation(candidates)[:k])
        self.free[chosen] = False
        return chosen


def _col(table: pa.Table, name: str) -> pa.Array:
    return table.column(name).combine_chunks()


def _with(table: pa.Table, name: str, array: pa.Array) -> pa.Table:
    return table.set_column(table.schema.get_field_index(name), name, array)


def _fill(table: pa.Table, name: str, value: Any) -> pa.Table:
    """Set every row of ``name`` to ``value`` (a scalar or None)."""
    field = table.schema.field(name)
    return _with(table, name, pa.array([value] * table.num_rows, type=field.type))


def _ids(prefix: str, chunk_index: int, start: int, k: int) -> pa.Array:
    return au.prefixed_ids(prefix, chunk_index * ID_STRIDE + start + np.arange(k), 12)


def dirty_customers(
    rng: np.random.Generator, chunk: Chunk
) -> tuple[pa.Table, list[int], Counter[str]]:
    """Returns the dirty customers table, the row indices of customers removed (their orders become
    orphans) and the count of rows per kind."""
    table = chunk.customers
    n = table.num_rows
    k = count_for(n, 0.0015)
    counts: Counter[str] = Counter()
    picker = _Picker(rng, n)
    signup = pc.cast(_col(table, "signed_up_at"), pa.int64()).to_numpy(zero_copy_only=False)
    cap_us = shop.START_US + int((shop.CAP - 1) * shop.US_PER_DAY)

    # customers deleted from raw.customers while their orders remain (never all of a tiny chunk)
    orphans = picker.pick(min(k, int(chunk.customer_is_buyer.sum()) // 10), chunk.customer_is_buyer)
    counts["orphan_order:customer_removed"] = orphans.size

    channel = _col(table, "acquisition_channel")
    rows = picker.pick(k)
    odd = pa.array(
        [ODD_CHANNEL[v] for v in channel.take(pa.array(rows)).to_pylist()], type=pa.string()
    )
    channel = au.replace_rows_with(channel, rows, odd)
    counts["oddly_cased_channel_or_country:channel"] = rows.size
    for kind, value in (
        ("oddly_cased_channel_or_country:channel_null", None),
        ("oddly_cased_channel_or_country:channel_blank", "  "),
    ):
        rows = picker.pick(k)
        channel = au.replace_rows(channel, rows, value)
        counts[kind] = rows.size
    table = _with(table, "acquisition_channel", channel)

    country = _col(table, "country_code")
    rows = picker.pick(k)
    country = au.replace_rows_with(country, rows, pc.utf8_lower(country.take(pa.array(rows))))
    counts["oddly_cased_channel_or_country:country_lowercase"] = rows.size
    for kind, value in (
        ("oddly_cased_channel_or_country:country_alpha3", "USA"),
        ("oddly_cased_channel_or_country:country_invalid", "x1"),
    ):
        rows = picker.pick(k)
        country = au.replace_rows(country, rows, value)
        counts[kind] = rows.size
    table = _with(table, "country_code", country)

    rows = picker.pick(k)
    table = _with(
        table,
        "signed_up_at",
        au.replace_rows(
            _col(table, "signed_up_at"), rows, np.datetime64("1970-01-01T00:00:00", "us")
        ),
    )
    counts["absurd_signed_up_at"] = rows.size

    # older versions: the current row gets updated_at = signup + 1 day,
    # the older row has another channel and updated_at = signup (or NULL)
    versioned = picker.pick(2 * k, signup < cap_us)
    older_changed, older_null = versioned[:k], versioned[k:]
    new_updated = pa.array(signup[versioned] + shop.US_PER_DAY, type=pa.int64()).cast(
        pa.timestamp("us")
    )
    table = _with(
        table,
        "updated_at",
        au.replace_rows_with(
            _col(table, "updated_at"),
            versioned,  # sorted by the picker
            new_updated,
        ),
    )
    extras: list[pa.Table] = []
    for kind, rows in (
        ("customer_repeated_with_changed_channel:older_updated_at", older_changed),
        ("customer_repeated_with_changed_channel:null_updated_at", older_null),
    ):
        if rows.size == 0:
            continue
        old = table.take(pa.array(rows))
        other = (
            chunk.customer_channel[rows] + 1 + rng.integers(0, len(shop.CHANNELS) - 1, rows.size)
        ) % len(shop.CHANNELS)
        old = _with(old, "acquisition_channel", au.from_catalog(shop.CHANNEL_NAMES, other))
        old = _fill(old, "acquisition_campaign", None)
        if kind == "customer_repeated_with_changed_channel:older_updated_at":
            old = _with(old, "updated_at", _col(old, "signed_up_at"))
        else:
            old = _fill(old, "updated_at", None)
        extras.append(old)
        counts[kind] = rows.size

    source = np.sort(rng.permutation(np.setdiff1d(np.arange(n), orphans))[: 4 * k])
    for i, (kind, value) in enumerate(
        (
            ("blank_customer_id:null", None),
            ("blank_customer_id:empty", ""),
            ("blank_customer_id:whitespace", "  "),
        )
    ):
        part = table.take(pa.array(source[i * k : (i + 1) * k]))
        extras.append(_fill(part, "customer_id", value))
        counts[kind] = part.num_rows
    dup = table.take(pa.array(source[3 * k :]))
    extras.append(dup)
    counts["customer_repeated_identically"] = dup.num_rows

    keep = np.ones(n, dtype=bool)
    keep[orphans] = False
    table = table.filter(pa.array(keep))
    return pa.concat_tables([table, *extras]), orphans.tolist(), counts


def dirty_orders(
    rng: np.random.Generator, chunk: Chunk, chunk_index: int, orphan_customer_ids: pa.Array
) -> tuple[pa.Table, Counter[str]]:
    table = chunk.orders
    m = table.num_rows
    k = count_for(m)
    counts: Counter[str] = Counter()
    if m == 0:
        return table, counts
    picker = _Picker(rng, m)
    t = chunk.order_t
    day = shop.day_of(t)
    counts["orphan_order"] = int(
        pc.sum(pc.is_in(_col(table, "customer_id"), value_set=orphan_customer_ids)).as_py() or 0
    )
    counts["order_at_utc_month_start"] = int(
        ((shop.DAY_OF_MONTH[day] == 1) & (shop.hour_of(t) >= 1) & (shop.hour_of(t) <= 4)).sum()
    )

    status = _col(table, "status")
    completed = chunk.order_status == 0
    for kind, value, allowed in (
        ("oddly_cased_status:padded", " Completed ", completed),
        ("oddly_cased_status:upper", "COMPLETED", completed),
        ("unknown_status:unknown", "on_hold", None),
        ("unknown_status:null", None, None),
        ("unknown_status:blank", " ", None),
    ):
        rows = picker.pick(k, allowed)
        status = au.replace_rows(status, rows, value)
        counts[kind] = rows.size
    table = _with(table, "status", status)

    extras: list[pa.Table] = []
    next_number = chunk.next_order_number
    ordered_us = pc.cast(_col(table, "ordered_at"), pa.int64()).to_numpy(zero_copy_only=False)
    updated_us = pc.cast(_col(table, "updated_at"), pa.int64()).to_numpy(zero_copy_only=False)

    def copies(kind: str, allowed: np.ndarray | None = None, new_id: bool = True) -> pa.Table:
        nonlocal next_number
        rows = picker.pick(k, allowed)
        part = table.take(pa.array(rows))
        if new_id:
            part = _with(part, "order_id", _ids("O", chunk_index, next_number, part.num_rows))
            next_number += part.num_rows
        counts[kind] = part.num_rows
        return part

    for kind, value in (
        ("blank_order_id:null", None),
        ("blank_order_id:empty", ""),
        ("blank_order_id:whitespace", "   "),
    ):
        extras.append(_fill(copies(kind, new_id=False), "order_id", value))
    extras.append(_fill(copies("blank_customer_id_on_order:null"), "customer_id", None))
    extras.append(_fill(copies("blank_customer_id_on_order:blank"), "customer_id", " "))
    extras.append(_fill(copies("missing_ordered_at"), "ordered_at", None))
    extras.append(
        _fill(
            copies("absurd_ordered_at:1970"),
            "ordered_at",
            np.datetime64("1970-01-01T00:00:00", "us"),
        )
    )
    extras.append(
        _fill(
            copies("absurd_ordered_at:2199"),
            "ordered_at",
            np.datetime64("2199-01-01T00:00:00", "us"),
        )
    )
    extras.append(_fill(copies("missing_order_amount"), "order_amount", None))
    part = copies("negative_order_amount:order_amount")
    extras.append(_with(part, "order_amount", pc.negate(_col(part, "order_amount"))))
    part = copies("negative_order_amount:refunded_amount")
    extras.append(_with(part, "refunded_amount", pc.negate(_col(part, "order_amount"))))
    has_cost = _col(table, "cost_amount").is_valid().to_numpy(zero_copy_only=False)
    part = copies("negative_order_amount:cost_amount", has_cost)
    extras.append(_with(part, "cost_amount", pc.negate(_col(part, "cost_amount"))))
    part = copies("refund_above_order_amount")
    extras.append(
        _with(
            part,
            "refunded_amount",
            pc.add(_col(part, "order_amount"), pa.scalar(10, pa.decimal128(18, 2))).cast(
                pa.decimal128(18, 2)
            ),
        )
    )
    extras.append(copies("order_repeated_identically", new_id=False))

    # older versions of real orders: same order_id, different payload, earlier (or NULL) updated_at
    versionable = (updated_us > ordered_us) & np.isin(chunk.order_status, [0, 2]) & picker.free
    for kind in (
        "order_repeated_with_other_payload:older_updated_at",
        "order_repeated_with_other_payload:null_updated_at",
    ):
        part = copies(kind, versionable, new_id=False)
        was_refunded = pc.equal(_col(part, "status"), "refunded")
        part = _with(part, "status", pc.if_else(was_refunded, "completed", "pending"))
        part = _fill(part, "refunded_amount", None)
        part = (
            _with(part, "updated_at", _col(part, "ordered_at"))
            if kind == "order_repeated_with_other_payload:older_updated_at"
            else _fill(part, "updated_at", None)
        )
        extras.append(part)
    return pa.concat_tables([table, *extras]), counts


def dirty_events(
    rng: np.random.Generator, chunk: Chunk, chunk_index: int
) -> tuple[pa.Table, Counter[str]]:
    table = chunk.events
    n = table.num_rows
    k = count_for(n)
    counts: Counter[str] = Counter()
    picker = _Picker(rng, n)
    early = chunk.event_t < shop.CAP - 1  # never touch the last day (it defines as_of_date)
    page_views = early & (chunk.event_name == EV["page_view"])

    customer = _col(table, "customer_id")
    rows = picker.pick(count_for(n, 0.004), page_views)
    customer = au.replace_rows(customer, rows, None)
    counts["anonymous_event:null"] = rows.size
    rows = picker.pick(max(2, count_for(n, 0.004)), page_views)
    blanks = pa.array(["", " "] * (rows.size // 2) + [""] * (rows.size % 2), type=pa.string())
    customer = au.replace_rows_with(customer, rows, blanks)
    counts["anonymous_event:blank"] = rows.size
    table = _with(table, "customer_id", customer)

    name = _col(table, "event_name")
    rows = picker.pick(k, early)
    name = au.replace_rows(name, rows, None)
    counts["missing_event_name"] = rows.size
    rows = picker.pick(k, page_views)
    name = au.replace_rows(name, rows, " Page_View")
    counts["oddly_cased_event_name_or_platform:event_name"] = rows.size
    table = _with(table, "event_name", name)

    platform = _col(table, "platform")
    rows = picker.pick(k, early & (pc.equal(platform, "ios").to_numpy(zero_copy_only=False)))
    platform = au.replace_rows(platform, rows, "iOS ")
    counts["oddly_cased_event_name_or_platform:platform"] = rows.size
    table = _with(table, "platform", platform)

    occurred = _col(table, "occurred_at")
    for kind, value in (
        ("missing_occurred_at", None),
        ("absurd_occurred_at:1970", np.datetime64("1970-01-01T00:00:00", "us")),
        ("absurd_occurred_at:2199", np.datetime64("2199-01-01T00:00:00", "us")),
    ):
        rows = picker.pick(k, early)
        occurred = au.replace_rows(occurred, rows, value)
        counts[kind] = rows.size
    table = _with(table, "occurred_at", occurred)

    extras: list[pa.Table] = []
    next_number = chunk.next_event_number
    # NPS answers with broken properties are extra rows: copies of real rows turned into
    # nps_response events with new ids
    for kind, values in (
        ("malformed_properties_json", ['{"score": 7', '{"score": }']),
        ("nps_score_out_of_range", ['{"score": 11}', '{"score": -1}']),
    ):
        rows = picker.pick(max(k, len(values)), early)
        part = table.take(pa.array(rows))
        part = _with(part, "event_id", _ids("E", chunk_index, next_number, part.num_rows))
        next_number += part.num_rows
        part = _fill(part, "event_name", "nps_response")
        part = _fill(part, "platform", "email")
        part = _with(
            part,
            "properties",
            pa.array([values[i % len(values)] for i in range(part.num_rows)], type=pa.string()),
        )
        extras.append(part)
        counts[kind] = part.num_rows

    for kind, value in (
        ("blank_event_id:null", None),
        ("blank_event_id:empty", ""),
        ("blank_event_id:whitespace", "  "),
    ):
        part = table.take(pa.array(picker.pick(k, early)))
        extras.append(_fill(part, "event_id", value))
        counts[kind] = part.num_rows
    part = table.take(pa.array(picker.pick(k, early)))
    extras.append(part)
    counts["duplicate_event_id:identical"] = part.num_rows
    part = table.take(pa.array(picker.pick(k, early)))
    shift = pa.array(rng.integers(1, 120, part.num_rows) * 1_000_000, type=pa.duration("us"))
    extras.append(_with(part, "occurred_at", pc.add(_col(part, "occurred_at"), shift)))
    counts["duplicate_event_id:later_occurred_at"] = part.num_rows
    return pa.concat_tables([table, *extras]), counts


def dirty_spend(rng: np.random.Generator, table: pa.Table) -> tuple[pa.Table, Counter[str]]:
    n = table.num_rows
    k = count_for(n, 0.002)
    counts: Counter[str] = Counter()
    picker = _Picker(rng, n)
    channel = _col(table, "channel")
    for kind, value in (("oddly_cased_spend_channel_or_campaign:channel", " Paid_Social "),):
        rows = picker.pick(k, pc.equal(channel, "paid_social").to_numpy(zero_copy_only=False))
        channel = au.replace_rows(channel, rows, value)
        counts[kind] = rows.size
    table = _with(table, "channel", channel)
    rows = picker.pick(k)
    table = _with(table, "campaign", au.replace_rows(_col(table, "campaign"), rows, " "))
    counts["oddly_cased_spend_channel_or_campaign:blank_campaign"] = rows.size

    extras: list[pa.Table] = []
    for kind in (
        "negative_or_incomplete_spend:negative_amount",
        "negative_or_incomplete_spend:null_amount",
        "negative_or_incomplete_spend:null_channel",
        "negative_or_incomplete_spend:null_date",
        "spend_line_repeated_identically",
    ):
        part = table.take(pa.array(picker.pick(k)))
        if kind == "negative_or_incomplete_spend:negative_amount":
            part = _with(part, "spend_amount", pc.negate(_col(part, "spend_amount")))
        elif kind == "negative_or_incomplete_spend:null_amount":
            part = _fill(part, "spend_amount", None)
        elif kind == "negative_or_incomplete_spend:null_channel":
            part = _fill(part, "channel", None)
        elif kind == "negative_or_incomplete_spend:null_date":
            part = _fill(part, "spend_date", None)
        extras.append(part)
        counts[kind] = part.num_rows
    return pa.concat_tables([table, *extras]), counts


# Variant spellings that normalize back to the clean variant (lower-cased, trimmed).
ODD_VARIANT = {
    "control": " Control ",
    "checklist": "CHECKLIST",
    "grid": "Grid ",
    "carousel": " carousel",
    "banner": "BANNER ",
}


def dirty_assignments(
    rng: np.random.Generator, table: pa.Table, chunk_index: int
) -> tuple[pa.Table, Counter[str]]:
    """The dirty experiment assignment rows of one chunk (docs/bad_input.md): in-place
    spellings, and extra rows that are copies of real rows with a defect."""
    n = table.num_rows
    counts: Counter[str] = Counter({kind: 0 for kind in ASSIGNMENT_KINDS})
    if n == 0:
        return table, counts
    k = count_for(n)
    picker = _Picker(rng, n)

    variant = _col(table, "variant")
    rows = picker.pick(k)
    odd = [ODD_VARIANT.get(v, v.upper()) for v in variant.take(pa.array(rows)).to_pylist()]
    variant = au.replace_rows_with(variant, rows, pa.array(odd, type=pa.string()))
    counts["oddly_cased_variant"] = rows.size
    table = _with(table, "variant", variant)

    rows = picker.pick(k)
    for column in ("experiment_id", "customer_id"):
        values = _col(table, column)
        padded = [f"  {v} " for v in values.take(pa.array(rows)).to_pylist()]
        table = _with(
            table, column, au.replace_rows_with(values, rows, pa.array(padded, type=pa.string()))
        )
    counts["padded_assignment_id"] = rows.size

    extras: list[pa.Table] = []
    for kind, column, value in (
        ("blank_assignment_field:experiment_id", "experiment_id", " "),
        ("blank_assignment_field:customer_id", "customer_id", None),
        ("blank_assignment_field:variant", "variant", ""),
        ("blank_assignment_field:assigned_at", "assigned_at", None),
        ("absurd_assigned_at:1970", "assigned_at", np.datetime64("1970-01-01T00:00:00", "us")),
        ("absurd_assigned_at:2199", "assigned_at", np.datetime64("2199-01-01T00:00:00", "us")),
    ):
        part = table.take(pa.array(picker.pick(k)))
        extras.append(_fill(part, column, value))
        counts[kind] = part.num_rows

    part = table.take(pa.array(picker.pick(k)))
    extras.append(part)
    counts["assignment_repeated_identically"] = part.num_rows

    part = table.take(pa.array(picker.pick(k)))
    later = pa.array(rng.integers(1, 10, part.num_rows) * 86_400_000_000, type=pa.duration("us"))
    extras.append(_with(part, "assigned_at", pc.add(_col(part, "assigned_at"), later)))
    counts["assignment_repeated_later"] = part.num_rows

    part = table.take(pa.array(picker.pick(k)))
    other = [
        "control"
        if v != "control"
        else "banner"
        if e.endswith("banner")
        else "grid"
        if e.endswith("layout")
        else "checklist"
        for e, v in zip(
            _col(part, "experiment_id").to_pylist(), _col(part, "variant").to_pylist(), strict=True
        )
    ]
    part = _with(part, "variant", pa.array(other, type=pa.string()))
    extras.append(
        _with(
            part,
            "assigned_at",
            pc.add(_col(part, "assigned_at"), pa.scalar(3_600_000_000, pa.duration("us"))),
        )
    )
    counts["customer_in_two_variants"] = part.num_rows

    part = table.take(pa.array(picker.pick(k)))
    after = np.datetime64(str(shop.END), "us") + np.timedelta64(5 * 86_400 + 3_600, "s")
    extras.append(_fill(part, "assigned_at", after))
    counts["assignment_after_as_of_date"] = part.num_rows

    part = table.take(pa.array(picker.pick(k)))
    extras.append(_with(part, "customer_id", _ids("X", chunk_index, 1, part.num_rows)))
    counts["assignment_of_unknown_customer"] = part.num_rows
    return pa.concat_tables([table, *extras]), counts
