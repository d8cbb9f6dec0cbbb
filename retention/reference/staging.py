"""Staging of the raw tables (docs/staging_rules.md), the resolved
as_of_date and the counted purchases (docs/design/METRICS.md "Building
blocks": "Purchase").

:func:`stage_all` turns raw.customers, raw.orders, raw.events,
raw.marketing_spend (docs/design/CONTRACT.md section 1) and the optional
raw.experiment_assignments (section 5) into the staged tables
and their quarantine (:class:`Staged`); :func:`staging_counts` gives the rows
per outcome; :func:`resolve_as_of_date` and :func:`purchases_until` give what
every mart counts. :func:`read_raw` reads the raw tables from a DuckDB file.

Timestamps are naive UTC ``datetime64`` values, as in raw; amounts become
exact integer micro-units (columns ending in ``_micros``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd

from ._common import MICROS_PER_UNIT, local_date
from .vars import RunVars

RAW_TABLES = ("customers", "orders", "events", "marketing_spend", "experiment_assignments")
ASSIGNMENT_COLUMNS = ("experiment_id", "customer_id", "variant", "assigned_at")


def _text(values: pd.Series) -> pd.Series:
    """Trimmed text; *blank* (NULL or empty after trimming) becomes NA."""
    trimmed = values.astype("string").str.strip()
    is_empty = (trimmed == "").fillna(False).astype(bool)
    return trimmed.mask(is_empty, pd.NA)


def _utc_timestamps(values: pd.Series) -> pd.Series:
    """Raw timestamps as naive UTC ``datetime64[us]`` (NaT for NULL)."""
    timestamps = pd.to_datetime(values)
    if getattr(timestamps.dt, "tz", None) is not None:
        timestamps = timestamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return timestamps.astype("datetime64[us]")


def _dates(values: pd.Series) -> pd.Series:
    """Raw dates (date objects or timestamps) as midnight ``datetime64[us]``."""
    return _utc_timestamps(values).dt.normalize()


def _is_implausible(timestamps_utc: pd.Series, run: RunVars) -> pd.Series:
    """staging_rules.md: "A timestamp is *implausible* when its UTC date is
    before ``min_valid_date`` or after ``max_valid_date``."
    """
    utc_date = timestamps_utc.dt.normalize()
    too_early = (utc_date < run.min_valid_date).fillna(False)
    too_late = (utc_date > run.max_valid_date).fillna(False)
    return timestamps_utc.notna() & (too_early | too_late)


def _to_micros(value: Any) -> int | None:
    """One amount as exact integer micro-units (None for NULL)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation as error:
        raise ValueError(f"not an amount: {value!r}") from error
    if amount.is_nan():
        return None
    return int((amount * MICROS_PER_UNIT).to_integral_value(rounding=ROUND_HALF_EVEN))


def _micros(values: pd.Series) -> pd.Series:
    """A column of amounts as nullable integer micro-units."""
    return pd.Series([_to_micros(v) for v in values], index=values.index, dtype="Int64")


def _row_fingerprint(frame: pd.DataFrame, key: str) -> pd.Series:
    """A text of every column, used only to break exact ties deterministically
    between rows sharing a key (rows with a unique key get an empty text).
    """
    fingerprint = pd.Series("", index=frame.index, dtype="string")
    shared = frame[key].duplicated(keep=False)
    if shared.any():
        texts = frame[shared].astype("string").fillna("\x00")
        fingerprint[shared] = texts.agg("\x1f".join, axis=1)
    return fingerprint


@dataclass
class Staged:
    """Where the rows of one raw table went: staged, quarantined, duplicate."""

    source: str
    raw_rows: int
    staged: pd.DataFrame
    quarantine: pd.DataFrame  # the raw columns plus ``reason``
    duplicate_rows: int

    def counts(self) -> pd.DataFrame:
        """One row per outcome (and per quarantine reason), with ``rows``."""
        rows = [(self.source, "staged", None, len(self.staged))]
        rows += [
            (self.source, "quarantined", reason, int(n))
            for reason, n in self.quarantine["reason"].value_counts().sort_index().items()
        ]
        rows.append((self.source, "duplicate", None, self.duplicate_rows))
        return pd.DataFrame(rows, columns=["source", "outcome", "reason", "rows"])


def _first_reason(frame: pd.DataFrame, checks: list[tuple[str, pd.Series]]) -> pd.Series:
    """staging_rules.md step 3: "quarantined with the first reason that
    applies (reasons are listed below in priority order)". NA = no reason.
    """
    reason = pd.Series(pd.NA, index=frame.index, dtype="string")
    for name, applies in reversed(checks):
        reason = reason.mask(applies.fillna(False).astype(bool), name)
    return reason


def _split(
    source: str,
    raw: pd.DataFrame,
    missing_key: pd.Series,
    missing_key_reason: str,
    survivors: pd.DataFrame,
    reasons: pd.Series,
) -> Staged:
    """Assemble a :class:`Staged` from the key check and the validation."""
    keyless = raw.loc[missing_key].assign(reason=missing_key_reason)
    kept_raw_columns = [c for c in raw.columns if c in survivors.columns]
    invalid = survivors.loc[reasons.notna(), kept_raw_columns].assign(
        reason=reasons[reasons.notna()]
    )
    quarantine = pd.concat([keyless, invalid], ignore_index=True)
    staged = survivors.loc[reasons.isna()].reset_index(drop=True)
    duplicates = len(raw) - int(missing_key.sum()) - len(survivors)
    return Staged(source, len(raw), staged, quarantine, duplicates)


def _latest_per_key(frame: pd.DataFrame, key: str, version_column: str) -> pd.DataFrame:
    """Keep one row per key: the latest ``version_column``, NULL counting as
    oldest; exact ties are broken on the other columns (any fixed rule is
    allowed by the spec; identical rows make the choice irrelevant).
    """
    ordered = frame.assign(
        _version=frame[version_column], _tie=_row_fingerprint(frame, key)
    ).sort_values(["_version", "_tie"], na_position="first", kind="stable")
    return ordered.drop_duplicates(key, keep="last").drop(columns=["_version", "_tie"])


def stage_customers(raw: pd.DataFrame, run: RunVars) -> Staged:
    """raw.customers -> stg_customers (staging_rules.md).

    1. ``customer_id`` trimmed; blank -> quarantine ``missing_customer_id``.
    2. Duplicates: latest ``updated_at`` wins (NULL counts as oldest).
    3. No further quarantine reasons.
    4. ``acquisition_channel`` lower/trim, blank -> ``unknown``;
       ``acquisition_campaign`` trim, blank -> NULL; ``country_code``
       upper/trim, anything but two letters A-Z -> NULL; implausible
       ``signed_up_at`` -> NULL; ``email`` is reduced to ``has_email``.
    """
    frame = raw.copy()
    frame["customer_id"] = _text(frame["customer_id"])
    frame["updated_at"] = _utc_timestamps(frame["updated_at"])
    missing_key = frame["customer_id"].isna()

    survivors = _latest_per_key(frame[~missing_key], "customer_id", "updated_at")
    survivors["acquisition_channel"] = (
        _text(survivors["acquisition_channel"]).str.lower().fillna("unknown")
    )
    survivors["acquisition_campaign"] = _text(survivors["acquisition_campaign"])
    country = _text(survivors["country_code"]).str.upper()
    is_iso2 = country.str.fullmatch(r"[A-Z]{2}").fillna(False).astype(bool)
    survivors["country_code"] = country.where(is_iso2, pd.NA)
    signed_up_at = _utc_timestamps(survivors["signed_up_at"])
    survivors["signed_up_at"] = signed_up_at.mask(_is_implausible(signed_up_at, run))
    survivors["has_email"] = _text(survivors["email"]).notna()
    survivors = survivors.drop(columns=["email"])

    no_reason = pd.Series(pd.NA, index=survivors.index, dtype="string")
    return _split(
        "customers",
        raw.assign(customer_id=frame["customer_id"]),
        missing_key,
        "missing_customer_id",
        survivors,
        no_reason,
    )


def stage_orders(raw: pd.DataFrame, run: RunVars) -> Staged:
    """raw.orders -> stg_orders (staging_rules.md).

    1. ``order_id`` trimmed; blank -> quarantine ``missing_order_id``.
    2. Duplicates: latest ``updated_at`` wins (NULL oldest).
    3. First matching reason: ``missing_customer_id``, ``missing_ordered_at``,
       ``implausible_ordered_at``, ``missing_order_amount``,
       ``negative_amount`` (order, refunded or cost amount below 0),
       ``refund_exceeds_order_amount`` (refunded_amount > order_amount).
    4. ``status`` lower/trim, blank -> ``unknown``; refunded NULL -> 0; cost
       NULL stays NULL (``has_cost`` false); ``order_date`` = local date;
       ``is_purchase`` = status in purchase_statuses and not fully refunded
       (refunded >= order and order > 0); ``net_revenue`` = order - refunded;
       ``gross_margin`` = net_revenue - cost, or net_revenue without cost.
    """
    frame = raw.copy()
    frame["order_id"] = _text(frame["order_id"])
    frame["updated_at"] = _utc_timestamps(frame["updated_at"])
    missing_key = frame["order_id"].isna()

    orders = _latest_per_key(frame[~missing_key], "order_id", "updated_at")
    # The customer key is trimmed like every other key (the quarantine rule
    # speaks of "blank after trim"), so it joins to the trimmed customers.
    orders["customer_id"] = _text(orders["customer_id"])
    orders["ordered_at"] = _utc_timestamps(orders["ordered_at"])
    order_amount = _micros(orders["order_amount"])
    refunded = _micros(orders["refunded_amount"])
    cost = _micros(orders["cost_amount"])

    reasons = _first_reason(
        orders,
        [
            ("missing_customer_id", orders["customer_id"].isna()),
            ("missing_ordered_at", orders["ordered_at"].isna()),
            ("implausible_ordered_at", _is_implausible(orders["ordered_at"], run)),
            ("missing_order_amount", order_amount.isna()),
            ("negative_amount", (order_amount < 0) | (refunded < 0) | (cost < 0)),
            ("refund_exceeds_order_amount", refunded > order_amount),
        ],
    )

    orders["status"] = _text(orders["status"]).str.lower().fillna("unknown")
    orders["order_amount_micros"] = order_amount
    orders["refunded_amount_micros"] = refunded.fillna(0)
    orders["cost_amount_micros"] = cost
    orders["has_cost"] = cost.notna()
    orders["order_date"] = local_date(orders["ordered_at"], run.reporting_timezone)
    fully_refunded = (orders["refunded_amount_micros"] >= order_amount) & (order_amount > 0)
    is_listed = orders["status"].isin(run.purchase_statuses)
    orders["is_purchase"] = (is_listed & ~fully_refunded.fillna(False)).astype(bool)
    orders["net_revenue_micros"] = order_amount - orders["refunded_amount_micros"]
    orders["gross_margin_micros"] = orders["net_revenue_micros"] - cost.fillna(0)

    return _split(
        "orders",
        raw.assign(order_id=frame["order_id"]),
        missing_key,
        "missing_order_id",
        orders,
        reasons,
    )


def stage_events(raw: pd.DataFrame, run: RunVars) -> Staged:
    """raw.events -> stg_events (staging_rules.md).

    1. ``event_id`` trimmed; blank -> quarantine ``missing_event_id``.
    2. Duplicates: the earliest ``occurred_at`` is kept (NULL last).
    3. First matching reason: ``missing_event_name``, ``missing_occurred_at``,
       ``implausible_occurred_at``.
    4. ``customer_id`` trimmed, blank -> NULL and ``is_anonymous``;
       ``event_name`` and ``platform`` lower/trim; ``event_date`` = local date.
       (Properties and NPS parsing are not needed by the marts checked here.)
    """
    frame = raw.copy()
    frame["event_id"] = _text(frame["event_id"])
    frame["occurred_at"] = _utc_timestamps(frame["occurred_at"])
    missing_key = frame["event_id"].isna()

    keyed = frame[~missing_key]
    ordered = keyed.assign(_tie=_row_fingerprint(keyed, "event_id")).sort_values(
        ["occurred_at", "_tie"], na_position="last", kind="stable"
    )
    events = ordered.drop_duplicates("event_id", keep="first").drop(columns="_tie")

    reasons = _first_reason(
        events,
        [
            ("missing_event_name", _text(events["event_name"]).isna()),
            ("missing_occurred_at", events["occurred_at"].isna()),
            ("implausible_occurred_at", _is_implausible(events["occurred_at"], run)),
        ],
    )

    events["customer_id"] = _text(events["customer_id"])
    events["is_anonymous"] = events["customer_id"].isna()
    events["event_name"] = _text(events["event_name"]).str.lower()
    events["platform"] = _text(events["platform"]).str.lower()
    events["event_date"] = local_date(events["occurred_at"], run.reporting_timezone)

    return _split(
        "events",
        raw.assign(event_id=frame["event_id"]),
        missing_key,
        "missing_event_id",
        events,
        reasons,
    )


def stage_marketing_spend(raw: pd.DataFrame, run: RunVars) -> Staged:
    """raw.marketing_spend -> stg_marketing_spend (staging_rules.md).

    1. No key: every row is considered.
    2. Rows identical on (spend_date, normalized channel, normalized campaign,
       spend_amount) are duplicates; one copy is kept (NULLs compare equal).
    3. First matching reason: ``missing_spend_date``, ``missing_channel``,
       ``missing_spend_amount``, ``negative_spend_amount``.
    4. ``channel`` lower/trim; ``campaign`` trim, blank -> NULL.
    """
    spend = raw.copy()
    spend["spend_date"] = _dates(spend["spend_date"])
    spend["channel"] = _text(spend["channel"]).str.lower()
    spend["campaign"] = _text(spend["campaign"])
    spend["spend_amount_micros"] = _micros(spend["spend_amount"])

    identity = ["spend_date", "channel", "campaign", "spend_amount_micros"]
    survivors = spend.drop_duplicates(identity, keep="first")

    reasons = _first_reason(
        survivors,
        [
            ("missing_spend_date", survivors["spend_date"].isna()),
            ("missing_channel", survivors["channel"].isna()),
            ("missing_spend_amount", survivors["spend_amount_micros"].isna()),
            ("negative_spend_amount", survivors["spend_amount_micros"] < 0),
        ],
    )
    no_key_missing = pd.Series(False, index=raw.index)
    return _split("marketing_spend", raw, no_key_missing, "", survivors, reasons)


def stage_experiment_assignments(raw: pd.DataFrame, run: RunVars) -> Staged:
    """raw.experiment_assignments -> stg_experiment_assignments (staging_rules.md).

    1. ``experiment_id`` and ``customer_id`` trimmed; blank -> quarantine
       ``missing_experiment_id``, then ``missing_customer_id``.
    2. Rows identical on (experiment_id, customer_id, normalized variant,
       assigned_at) are duplicates; one copy is kept.
    3. First matching reason: ``missing_variant``, ``missing_assigned_at``,
       ``implausible_assigned_at``.
    4. ``variant`` lower/trim; ``assigned_date`` = local date. Customers
       missing from raw.customers are kept.
    """
    frame = raw.copy()
    frame["experiment_id"] = _text(frame["experiment_id"])
    frame["customer_id"] = _text(frame["customer_id"])
    frame["variant"] = _text(frame["variant"]).str.lower()
    frame["assigned_at"] = _utc_timestamps(frame["assigned_at"])
    no_experiment = frame["experiment_id"].isna()
    no_customer = frame["customer_id"].isna() & ~no_experiment
    keyless = no_experiment | no_customer

    survivors = frame[~keyless].drop_duplicates(list(ASSIGNMENT_COLUMNS), keep="first")
    reasons = _first_reason(
        survivors,
        [
            ("missing_variant", survivors["variant"].isna()),
            ("missing_assigned_at", survivors["assigned_at"].isna()),
            ("implausible_assigned_at", _is_implausible(survivors["assigned_at"], run)),
        ],
    )
    survivors = survivors.assign(
        assigned_date=local_date(survivors["assigned_at"], run.reporting_timezone)
    )
    quarantine = pd.concat(
        [
            frame.loc[no_experiment, list(ASSIGNMENT_COLUMNS)].assign(
                reason="missing_experiment_id"
            ),
            frame.loc[no_customer, list(ASSIGNMENT_COLUMNS)].assign(reason="missing_customer_id"),
            survivors.loc[reasons.notna(), list(ASSIGNMENT_COLUMNS)].assign(
                reason=reasons[reasons.notna()]
            ),
        ],
        ignore_index=True,
    )
    staged = survivors.loc[reasons.isna()].reset_index(drop=True)
    duplicates = len(raw) - int(keyless.sum()) - len(survivors)
    return Staged("experiment_assignments", len(raw), staged, quarantine, duplicates)


def _assignments_or_empty(raw: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """raw.experiment_assignments, or no rows when the optional table is absent."""
    if "experiment_assignments" in raw:
        return raw["experiment_assignments"]
    return pd.DataFrame(
        {
            "experiment_id": pd.Series(dtype=object),
            "customer_id": pd.Series(dtype=object),
            "variant": pd.Series(dtype=object),
            "assigned_at": pd.Series(dtype="datetime64[us]"),
        }
    )


def stage_all(raw: Mapping[str, pd.DataFrame], run: RunVars) -> dict[str, Staged]:
    """Stage the raw tables (an absent experiment_assignments table stages no row)."""
    return {
        "customers": stage_customers(raw["customers"], run),
        "orders": stage_orders(raw["orders"], run),
        "events": stage_events(raw["events"], run),
        "marketing_spend": stage_marketing_spend(raw["marketing_spend"], run),
        "experiment_assignments": stage_experiment_assignments(_assignments_or_empty(raw), run),
    }


def staging_counts(staged: Mapping[str, Staged]) -> pd.DataFrame:
    """Rows per source and outcome (staged / quarantined by reason /
    duplicate). staging_rules.md: "raw rows = staged rows + quarantined rows +
    duplicate rows".
    """
    return pd.concat([s.counts() for s in staged.values()], ignore_index=True)


def resolve_as_of_date(staged: Mapping[str, Staged], run: RunVars) -> pd.Timestamp | None:
    """staging_rules.md "as_of_date": the var when set, else "the latest
    ``order_date`` or ``event_date`` among staged (not quarantined) orders and
    events" (every status; anonymous events too). None when there is neither
    (empty input: every mart is empty).
    """
    if run.as_of_date is not None:
        return run.as_of_date
    candidates = pd.concat(
        [staged["orders"].staged["order_date"], staged["events"].staged["event_date"]]
    ).dropna()
    return None if candidates.empty else pd.Timestamp(candidates.max())


def purchases_until(
    stg_orders: pd.DataFrame, stg_customers: pd.DataFrame, as_of: pd.Timestamp | None
) -> pd.DataFrame:
    """METRICS.md "Purchase" and "as_of_date: nothing after it is counted":
    staged orders with ``is_purchase`` and ``order_date <= as_of_date``, with
    the customer's normalized channel (``unknown`` when the customer is missing
    from raw.customers, CONTRACT.md raw.orders).
    """
    counted = (
        stg_orders[stg_orders["is_purchase"] & (stg_orders["order_date"] <= as_of)]
        if as_of is not None
        else stg_orders.iloc[:0]
    )
    channels = stg_customers[["customer_id", "acquisition_channel"]]
    purchases = counted[
        ["order_id", "customer_id", "order_date", "net_revenue_micros", "gross_margin_micros"]
    ].merge(channels, on="customer_id", how="left")
    purchases["acquisition_channel"] = purchases["acquisition_channel"].fillna("unknown")
    return purchases.reset_index(drop=True)


def read_raw(database_path: str | Path) -> dict[str, pd.DataFrame]:
    """Read the raw tables from a DuckDB file (decimals stay exact); an absent
    ``raw.experiment_assignments`` (optional) is left out.
    """
    import duckdb

    with duckdb.connect(str(database_path), read_only=True) as connection:
        present = {
            row[0]
            for row in connection.execute(
                "select table_name from information_schema.tables where table_schema = 'raw'"
            ).fetchall()
        }
        return {
            table: connection.sql(f"select * from raw.{table}").to_arrow_table().to_pandas()
            for table in RAW_TABLES
            if table in present or table != "experiment_assignments"
        }
