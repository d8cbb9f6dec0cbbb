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

CUSTOMER_KINDS: tuple[str, ...] = (
    "customer_id_null",
    "customer_id_empty",
    "customer_id_whitespace",
    "duplicate_identical",
    "older_version_changed_channel",
    "older_version_null_updated_at",
    "channel_odd_case",
    "channel_null",
    "channel_blank",
    "country_lowercase",
    "country_alpha3",
    "country_invalid",
    "signed_up_at_1970",
    "missing_customer_with_orders",
)
ORDER_KINDS: tuple[str, ...] = (
    "order_id_null",
    "order_id_empty",
    "order_id_whitespace",
    "customer_id_null",
    "customer_id_blank",
    "ordered_at_null",
    "ordered_at_1970",
    "ordered_at_2199",
    "order_amount_null",
    "order_amount_negative",
    "refunded_amount_negative",
    "cost_amount_negative",
    "refund_exceeds_order_amount",
    "status_padded",
    "status_upper",
    "status_unknown",
    "status_null",
    "status_blank",
    "duplicate_identical",
    "older_version_different_payload",
    "older_version_null_updated_at",
    "customer_missing_from_customers",
    "early_utc_month_start",
)
EVENT_KINDS: tuple[str, ...] = (
    "event_id_null",
    "event_id_empty",
    "event_id_whitespace",
    "duplicate_identical",
    "duplicate_later_occurred_at",
    "anonymous_null",
    "anonymous_blank",
    "event_name_null",
    "event_name_odd_case",
    "platform_odd_case",
    "occurred_at_null",
    "occurred_at_1970",
    "occurred_at_2199",
    "properties_malformed_json",
    "nps_score_out_of_range",
)
SPEND_KINDS: tuple[str, ...] = (
    "spend_amount_negative",
    "spend_amount_null",
    "channel_null",
    "spend_date_null",
    "duplicate_identical",
    "channel_odd_case",
    "campaign_blank",
)
KINDS: dict[str, tuple[str, ...]] = {
    "customers": CUSTOMER_KINDS,
    "orders": ORDER_KINDS,
    "events": EVENT_KINDS,
    "marketing_spend": SPEND_KINDS,
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
    counts["missing_customer_with_orders"] = orphans.size

    channel = _col(table, "acquisition_channel")
    rows = picker.pick(k)
    odd = pa.array(
        [ODD_CHANNEL[v] for v in channel.take(pa.array(rows)).to_pylist()], type=pa.string()
    )
    channel = au.replace_rows_with(channel, rows, odd)
    counts["channel_odd_case"] = rows.size
    for kind, value in (("channel_null", None), ("channel_blank", "  ")):
        rows = picker.pick(k)
        channel = au.replace_rows(channel, rows, value)
        counts[kind] = rows.size
    table = _with(table, "acquisition_channel", channel)

    country = _col(table, "country_code")
    rows = picker.pick(k)
    country = au.replace_rows_with(country, rows, pc.utf8_lower(country.take(pa.array(rows))))
    counts["country_lowercase"] = rows.size
    for kind, value in (("country_alpha3", "USA"), ("country_invalid", "x1")):
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
    counts["signed_up_at_1970"] = rows.size

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
        ("older_version_changed_channel", older_changed),
        ("older_version_null_updated_at", older_null),
    ):
        if rows.size == 0:
            continue
        old = table.take(pa.array(rows))
        other = (
            chunk.customer_channel[rows] + 1 + rng.integers(0, len(shop.CHANNELS) - 1, rows.size)
        ) % len(shop.CHANNELS)
        old = _with(old, "acquisition_channel", au.from_catalog(shop.CHANNEL_NAMES, other))
        old = _fill(old, "acquisition_campaign", None)
        if kind == "older_version_changed_channel":
            old = _with(old, "updated_at", _col(old, "signed_up_at"))
        else:
            old = _fill(old, "updated_at", None)
        extras.append(old)
        counts[kind] = rows.size

    source = np.sort(rng.permutation(np.setdiff1d(np.arange(n), orphans))[: 4 * k])
    for i, (kind, value) in enumerate(
        (("customer_id_null", None), ("customer_id_empty", ""), ("customer_id_whitespace", "  "))
    ):
        part = table.take(pa.array(source[i * k : (i + 1) * k]))
        extras.append(_fill(part, "customer_id", value))
        counts[kind] = part.num_rows
    dup = table.take(pa.array(source[3 * k :]))
    extras.append(dup)
    counts["duplicate_identical"] = dup.num_rows

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
    counts["customer_missing_from_customers"] = int(
        pc.sum(pc.is_in(_col(table, "customer_id"), value_set=orphan_customer_ids)).as_py() or 0
    )
    counts["early_utc_month_start"] = int(
        ((shop.DAY_OF_MONTH[day] == 1) & (shop.hour_of(t) >= 1) & (shop.hour_of(t) <= 4)).sum()
    )

    status = _col(table, "status")
    completed = chunk.order_status == 0
    for kind, value, allowed in (
        ("status_padded", " Completed ", completed),
        ("status_upper", "COMPLETED", completed),
        ("status_unknown", "on_hold", None),
        ("status_null", None, None),
        ("status_blank", " ", None),
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
        ("order_id_null", None),
        ("order_id_empty", ""),
        ("order_id_whitespace", "   "),
    ):
        extras.append(_fill(copies(kind, new_id=False), "order_id", value))
    extras.append(_fill(copies("customer_id_null"), "customer_id", None))
    extras.append(_fill(copies("customer_id_blank"), "customer_id", " "))
    extras.append(_fill(copies("ordered_at_null"), "ordered_at", None))
    extras.append(
        _fill(copies("ordered_at_1970"), "ordered_at", np.datetime64("1970-01-01T00:00:00", "us"))
    )
    extras.append(
        _fill(copies("ordered_at_2199"), "ordered_at", np.datetime64("2199-01-01T00:00:00", "us"))
    )
    extras.append(_fill(copies("order_amount_null"), "order_amount", None))
    part = copies("order_amount_negative")
    extras.append(_with(part, "order_amount", pc.negate(_col(part, "order_amount"))))
    part = copies("refunded_amount_negative")
    extras.append(_with(part, "refunded_amount", pc.negate(_col(part, "order_amount"))))
    has_cost = _col(table, "cost_amount").is_valid().to_numpy(zero_copy_only=False)
    part = copies("cost_amount_negative", has_cost)
    extras.append(_with(part, "cost_amount", pc.negate(_col(part, "cost_amount"))))
    part = copies("refund_exceeds_order_amount")
    extras.append(
        _with(
            part,
            "refunded_amount",
            pc.add(_col(part, "order_amount"), pa.scalar(10, pa.decimal128(18, 2))).cast(
                pa.decimal128(18, 2)
            ),
        )
    )
    extras.append(copies("duplicate_identical", new_id=False))

    # older versions of real orders: same order_id, different payload, earlier (or NULL) updated_at
    versionable = (updated_us > ordered_us) & np.isin(chunk.order_status, [0, 2]) & picker.free
    for kind in ("older_version_different_payload", "older_version_null_updated_at"):
        part = copies(kind, versionable, new_id=False)
        was_refunded = pc.equal(_col(part, "status"), "refunded")
        part = _with(part, "status", pc.if_else(was_refunded, "completed", "pending"))
        part = _fill(part, "refunded_amount", None)
        part = (
            _with(part, "updated_at", _col(part, "ordered_at"))
            if kind == "older_version_different_payload"
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
    counts["anonymous_null"] = rows.size
    rows = picker.pick(max(2, count_for(n, 0.004)), page_views)
    blanks = pa.array(["", " "] * (rows.size // 2) + [""] * (rows.size % 2), type=pa.string())
    customer = au.replace_rows_with(customer, rows, blanks)
    counts["anonymous_blank"] = rows.size
    table = _with(table, "customer_id", customer)

    name = _col(table, "event_name")
    rows = picker.pick(k, early)
    name = au.replace_rows(name, rows, None)
    counts["event_name_null"] = rows.size
    rows = picker.pick(k, page_views)
    name = au.replace_rows(name, rows, " Page_View")
    counts["event_name_odd_case"] = rows.size
    table = _with(table, "event_name", name)

    platform = _col(table, "platform")
    rows = picker.pick(k, early & (pc.equal(platform, "ios").to_numpy(zero_copy_only=False)))
    platform = au.replace_rows(platform, rows, "iOS ")
    counts["platform_odd_case"] = rows.size
    table = _with(table, "platform", platform)

    occurred = _col(table, "occurred_at")
    for kind, value in (
        ("occurred_at_null", None),
        ("occurred_at_1970", np.datetime64("1970-01-01T00:00:00", "us")),
        ("occurred_at_2199", np.datetime64("2199-01-01T00:00:00", "us")),
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
        ("properties_malformed_json", ['{"score": 7', '{"score": }']),
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
        ("event_id_null", None),
        ("event_id_empty", ""),
        ("event_id_whitespace", "  "),
    ):
        part = table.take(pa.array(picker.pick(k, early)))
        extras.append(_fill(part, "event_id", value))
        counts[kind] = part.num_rows
    part = table.take(pa.array(picker.pick(k, early)))
    extras.append(part)
    counts["duplicate_identical"] = part.num_rows
    part = table.take(pa.array(picker.pick(k, early)))
    shift = pa.array(rng.integers(1, 120, part.num_rows) * 1_000_000, type=pa.duration("us"))
    extras.append(_with(part, "occurred_at", pc.add(_col(part, "occurred_at"), shift)))
    counts["duplicate_later_occurred_at"] = part.num_rows
    return pa.concat_tables([table, *extras]), counts


def dirty_spend(rng: np.random.Generator, table: pa.Table) -> tuple[pa.Table, Counter[str]]:
    n = table.num_rows
    k = count_for(n, 0.002)
    counts: Counter[str] = Counter()
    picker = _Picker(rng, n)
    channel = _col(table, "channel")
    for kind, value in (("channel_odd_case", " Paid_Social "),):
        rows = picker.pick(k, pc.equal(channel, "paid_social").to_numpy(zero_copy_only=False))
        channel = au.replace_rows(channel, rows, value)
        counts[kind] = rows.size
    table = _with(table, "channel", channel)
    rows = picker.pick(k)
    table = _with(table, "campaign", au.replace_rows(_col(table, "campaign"), rows, " "))
    counts["campaign_blank"] = rows.size

    extras: list[pa.Table] = []
    for kind in (
        "spend_amount_negative",
        "spend_amount_null",
        "channel_null",
        "spend_date_null",
        "duplicate_identical",
    ):
        part = table.take(pa.array(picker.pick(k)))
        if kind == "spend_amount_negative":
            part = _with(part, "spend_amount", pc.negate(_col(part, "spend_amount")))
        elif kind == "spend_amount_null":
            part = _fill(part, "spend_amount", None)
        elif kind == "channel_null":
            part = _fill(part, "channel", None)
        elif kind == "spend_date_null":
            part = _fill(part, "spend_date", None)
        extras.append(part)
        counts[kind] = part.num_rows
    return pa.concat_tables([table, *extras]), counts
