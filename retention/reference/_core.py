"""Independent pandas reference implementation of the retention marts.

Written only from the written spec, never from the SQL models:

- ``shared/design/CONTRACT.md`` (raw inputs, vars, mart columns),
- ``shared/design/METRICS.md`` (metric definitions),
- ``docs/staging_rules.md`` (what happens to every raw row).

``tests/python/test_marts_match_reference.py`` builds the dbt project on a
dataset and compares its marts with :func:`compute_marts` on the same raw
tables. The two implementations can only agree by both following the spec, so
this module is written to be read next to it: every function names the rule it
implements, and it favours the literal definition over clever shortcuts.

Conventions used throughout:

- Timestamps are naive UTC ``datetime64`` values, as in raw. Dates are naive
  ``datetime64`` values at midnight: the local date in ``reporting_timezone``.
- Money is carried as exact integer *micro-units* (``1`` = 0.000001 of the
  reporting currency) in columns ending in ``_micros``, so that every sum is
  exact; it becomes ``float`` only in the returned marts.
- A rate whose denominator is 0 is NULL (``NaN``), never 0 (CONTRACT.md
  section 3).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

RAW_TABLES = ("customers", "orders", "events", "marketing_spend")
GRAINS = ("week", "month", "quarter")
MICROS_PER_UNIT = 1_000_000
ONE_DAY = pd.Timedelta(days=1)
# Any Monday: ISO weeks are counted from here (week grain).
_WEEK_EPOCH = pd.Timestamp("1970-01-05")


# --------------------------------------------------------------------------
# Variables (CONTRACT.md section 2)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class RunVars:
    """The dbt vars this reference understands, parsed and validated."""

    as_of_date: pd.Timestamp | None
    reporting_timezone: str
    cohort_grain: str
    churn_window_days: int
    purchase_statuses: tuple[str, ...]
    min_valid_date: pd.Timestamp
    max_valid_date: pd.Timestamp


def _parse_date_var(name: str, value: Any) -> pd.Timestamp:
    try:
        parsed = pd.Timestamp(str(value))
    except (ValueError, TypeError) as error:
        raise ValueError(f"var {name}: {value!r} is not a date 'YYYY-MM-DD'") from error
    if pd.isna(parsed) or parsed != parsed.normalize():
        raise ValueError(f"var {name}: {value!r} is not a date 'YYYY-MM-DD'")
    return parsed


def parse_vars(vars: Mapping[str, Any] | None) -> RunVars:
    """Apply the defaults of CONTRACT.md section 2 and reject invalid values.

    "An invalid value (unknown grain, non-positive window, unparseable date)
    must stop the build with a message that names the variable and the
    allowed values." Purchase statuses are "compared after lower/trim", so
    the listed values are lower-cased and trimmed as well.
    """
    vars = dict(vars or {})

    as_of_raw = vars.get("as_of_date")
    as_of = None if as_of_raw in (None, "") else _parse_date_var("as_of_date", as_of_raw)

    timezone = str(vars.get("reporting_timezone") or "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(
            f"var reporting_timezone: unknown time zone {timezone!r} (use an IANA name)"
        ) from error

    grain = str(vars.get("cohort_grain") or "month").strip().lower()
    if grain not in GRAINS:
        raise ValueError(f"var cohort_grain: {grain!r}; allowed values: {', '.join(GRAINS)}")

    window_raw = vars.get("churn_window_days", 90)
    try:
        window = int(window_raw)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"var churn_window_days: {window_raw!r} is not a positive integer"
        ) from error
    if window <= 0 or window != float(window_raw):
        raise ValueError(f"var churn_window_days: {window_raw!r} is not a positive integer")

    statuses_raw = vars.get("purchase_statuses", ["completed"])
    if isinstance(statuses_raw, str):
        statuses_raw = [statuses_raw]
    statuses = tuple(sorted({str(s).strip().lower() for s in statuses_raw}))
    if not statuses:
        raise ValueError("var purchase_statuses: give at least one status")

    return RunVars(
        as_of_date=as_of,
        reporting_timezone=timezone,
        cohort_grain=grain,
        churn_window_days=window,
        purchase_statuses=statuses,
        min_valid_date=_parse_date_var(
            "min_valid_date", vars.get("min_valid_date") or "1990-01-01"
        ),
        max_valid_date=_parse_date_var(
            "max_valid_date", vars.get("max_valid_date") or "2099-12-31"
        ),
    )


# --------------------------------------------------------------------------
# Small value helpers (staging_rules.md: "Blank", timestamps, amounts)
# --------------------------------------------------------------------------


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


def local_date(timestamps_utc: pd.Series, timezone: str) -> pd.Series:
    """staging_rules.md: "staging adds the same instant converted to
    ``reporting_timezone`` and its date"; METRICS.md: "Purchase date: the date
    of ``ordered_at`` in ``reporting_timezone``".
    """
    local = timestamps_utc.dt.tz_localize("UTC").dt.tz_convert(timezone)
    return local.dt.tz_localize(None).dt.normalize()


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


def money(micros: int, divisor: int = 1) -> float:
    """``micros / 10**6 / divisor`` as the float nearest to the exact value."""
    return float(Fraction(int(micros), MICROS_PER_UNIT * divisor))


def ratio(numerator: int, denominator: int) -> float:
    """A rate; NULL (NaN) when the denominator is 0 (CONTRACT.md section 3)."""
    return float("nan") if denominator == 0 else numerator / denominator


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


# --------------------------------------------------------------------------
# Staging (docs/staging_rules.md)
# --------------------------------------------------------------------------


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


def stage_all(raw: Mapping[str, pd.DataFrame], run: RunVars) -> dict[str, Staged]:
    """Stage the four raw tables."""
    return {
        "customers": stage_customers(raw["customers"], run),
        "orders": stage_orders(raw["orders"], run),
        "events": stage_events(raw["events"], run),
        "marketing_spend": stage_marketing_spend(raw["marketing_spend"], run),
    }


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


# --------------------------------------------------------------------------
# Purchases and periods (METRICS.md "Building blocks")
# --------------------------------------------------------------------------


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


def period_index(dates: pd.Series | pd.Timestamp, grain: str) -> Any:
    """A running number of the cohort_grain period containing each date, so
    that "whole periods between" two period starts is a subtraction.

    week = ISO week (Monday start), month, quarter (METRICS.md
    "period_number", CONTRACT.md ``cohort_grain``).
    """
    if isinstance(dates, pd.Timestamp):
        return int(period_index(pd.Series([dates]), grain).iloc[0])
    if grain == "week":
        return (dates - _WEEK_EPOCH).dt.days // 7
    months = dates.dt.year * 12 + dates.dt.month - 1
    return months if grain == "month" else months // 3


def period_start(index: pd.Series, grain: str) -> pd.Series:
    """The first day of the period with the given :func:`period_index`."""
    index = pd.Series(index).astype("int64")
    if grain == "week":
        return (_WEEK_EPOCH + pd.to_timedelta(index * 7, unit="D")).astype("datetime64[us]")
    months = index if grain == "month" else index * 3
    parts = pd.DataFrame({"year": months // 12, "month": months % 12 + 1, "day": 1})
    return pd.to_datetime(parts).astype("datetime64[us]")


def cohort_customers(purchases: pd.DataFrame, grain: str) -> pd.DataFrame:
    """METRICS.md "Cohort of a customer": the cohort_grain period containing
    the first purchase date; customers never leave it. One row per customer
    with at least one purchase.
    """
    customers = purchases.groupby("customer_id", as_index=False).agg(
        acquisition_channel=("acquisition_channel", "first"),
        first_purchase_date=("order_date", "min"),
    )
    customers["cohort_index"] = period_index(customers["first_purchase_date"], grain)
    customers["cohort_period"] = period_start(customers["cohort_index"], grain).values
    return customers


# --------------------------------------------------------------------------
# marts.customer_cohorts
# --------------------------------------------------------------------------


def customer_period_grid(customers: pd.DataFrame, as_of: pd.Timestamp, grain: str) -> pd.DataFrame:
    """CONTRACT.md customer_cohorts: "one row per customer x period, from the
    cohort period through the period containing as_of_date", for every
    customer even without purchases in between. ``is_complete_period``: the
    period's last day (next period start - 1 day) <= as_of_date (METRICS.md
    "as_of_date").
    """
    last_index = period_index(as_of, grain)
    periods = (last_index - customers["cohort_index"] + 1).to_numpy()
    grid = customers.loc[customers.index.repeat(periods)].reset_index(drop=True)
    grid["period_number"] = (
        np.concatenate([np.arange(n) for n in periods]).astype("int64")
        if len(periods)
        else np.array([], dtype="int64")
    )
    grid["period_index"] = grid["cohort_index"] + grid["period_number"]
    grid["period_start"] = period_start(grid["period_index"], grain).values
    last_day = period_start(grid["period_index"] + 1, grain).values - np.timedelta64(1, "D")
    grid["is_complete_period"] = last_day <= as_of.to_datetime64()
    return grid


def build_customer_cohorts(
    purchases: pd.DataFrame, as_of: pd.Timestamp, grain: str
) -> pd.DataFrame:
    """marts.customer_cohorts with money still in micro-units.

    Per customer x period: ``purchases_in_period`` (purchase orders),
    ``net_revenue_in_period`` and ``gross_margin_in_period`` (0 when none),
    ``is_active_in_period`` = purchases_in_period > 0, and the cumulative
    versions over periods 0..k (CONTRACT.md marts.customer_cohorts).
    """
    customers = cohort_customers(purchases, grain)
    grid = customer_period_grid(customers, as_of, grain)

    in_period = purchases.assign(period_index=period_index(purchases["order_date"], grain))
    per_period = in_period.groupby(["customer_id", "period_index"], as_index=False).agg(
        purchases_in_period=("order_id", "count"),
        net_revenue_micros=("net_revenue_micros", "sum"),
        gross_margin_micros=("gross_margin_micros", "sum"),
    )
    cohorts = grid.merge(per_period, on=["customer_id", "period_index"], how="left")
    for column in ["purchases_in_period", "net_revenue_micros", "gross_margin_micros"]:
        cohorts[column] = cohorts[column].fillna(0).astype("int64")
    cohorts["is_active_in_period"] = cohorts["purchases_in_period"] > 0

    cohorts = cohorts.sort_values(["customer_id", "period_number"]).reset_index(drop=True)
    by_customer = cohorts.groupby("customer_id")
    cohorts["cumulative_purchases"] = by_customer["purchases_in_period"].cumsum()
    cohorts["cumulative_net_revenue_micros"] = by_customer["net_revenue_micros"].cumsum()
    cohorts["cumulative_gross_margin_micros"] = by_customer["gross_margin_micros"].cumsum()
    return cohorts


def customer_cohorts_mart(cohorts: pd.DataFrame) -> pd.DataFrame:
    """The public columns of marts.customer_cohorts (money as float)."""
    mart = cohorts[
        [
            "customer_id",
            "acquisition_channel",
            "cohort_period",
            "period_start",
            "period_number",
            "purchases_in_period",
        ]
    ].copy()
    mart["net_revenue_in_period"] = cohorts["net_revenue_micros"].map(money)
    mart["gross_margin_in_period"] = cohorts["gross_margin_micros"].map(money)
    mart["is_active_in_period"] = cohorts["is_active_in_period"]
    mart["cumulative_purchases"] = cohorts["cumulative_purchases"]
    mart["cumulative_net_revenue"] = cohorts["cumulative_net_revenue_micros"].map(money)
    mart["cumulative_gross_margin"] = cohorts["cumulative_gross_margin_micros"].map(money)
    mart["is_complete_period"] = cohorts["is_complete_period"]
    return mart


# --------------------------------------------------------------------------
# marts.cohort_retention and marts.cohort_retention_by_channel
# --------------------------------------------------------------------------


def _rates(numerators: pd.Series, denominators: pd.Series) -> list[float]:
    """Row-wise :func:`ratio` (NULL when the denominator is 0)."""
    return [ratio(a, n) for a, n in zip(numerators, denominators, strict=True)]


def _money_per(micros: pd.Series, counts: pd.Series) -> list[float]:
    """Row-wise money per customer (NULL when there is no customer)."""
    return [float("nan") if n == 0 else money(m, n) for m, n in zip(micros, counts, strict=True)]


def build_cohort_retention(cohorts: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """METRICS.md "Order cohort retention", one row per cohort x period
    (x ``by`` columns, e.g. acquisition_channel):

    - cohort_size = customers in the cohort;
    - active_customers(k) = cohort customers with >= 1 purchase in period k;
      retention_rate = active_customers / cohort_size;
    - retained_on_or_after(k) = cohort customers with a purchase in period k
      or any later period up to as_of_date; rolling_retention_rate = that /
      cohort_size;
    - purchases, net_revenue, gross_margin of the cohort in period k;
    - cumulative_net_revenue_per_customer(k) = net revenue of the cohort in
      periods 0..k / cohort_size (same for gross margin);
    - rows for k = 0 .. the period containing as_of_date, zero-filled (the
      customer grid already has them).
    """
    cohort_keys = by + ["cohort_period"]
    keys = cohort_keys + ["period_number"]

    frame = cohorts.sort_values(["customer_id", "period_number"]).copy()
    # "a purchase in period k or any later period": is any period >= k active?
    reversed_any = frame.iloc[::-1].groupby("customer_id")["is_active_in_period"].cummax()
    frame["is_retained_on_or_after"] = reversed_any.iloc[::-1].astype(bool)

    sizes = frame.groupby(cohort_keys)["customer_id"].nunique().rename("cohort_size")
    rows = (
        frame.groupby(keys)
        .agg(
            period_start=("period_start", "first"),
            active_customers=("is_active_in_period", "sum"),
            retained_on_or_after=("is_retained_on_or_after", "sum"),
            purchases=("purchases_in_period", "sum"),
            net_revenue_micros=("net_revenue_micros", "sum"),
            gross_margin_micros=("gross_margin_micros", "sum"),
            is_complete_period=("is_complete_period", "first"),
        )
        .reset_index()
        .merge(sizes.reset_index(), on=cohort_keys)
    )
    rows = rows.sort_values(keys).reset_index(drop=True)
    by_cohort = rows.groupby(cohort_keys)
    rows["cumulative_net_micros"] = by_cohort["net_revenue_micros"].cumsum()
    rows["cumulative_margin_micros"] = by_cohort["gross_margin_micros"].cumsum()

    out = rows[keys + ["period_start", "cohort_size", "active_customers"]].copy()
    size = rows["cohort_size"]
    out["retention_rate"] = _rates(rows["active_customers"], size)
    out["retained_on_or_after"] = rows["retained_on_or_after"].astype("int64")
    out["rolling_retention_rate"] = _rates(rows["retained_on_or_after"], size)
    out["purchases"] = rows["purchases"].astype("int64")
    out["net_revenue"] = rows["net_revenue_micros"].map(money)
    out["gross_margin"] = rows["gross_margin_micros"].map(money)
    out["cumulative_net_revenue_per_customer"] = _money_per(rows["cumulative_net_micros"], size)
    out["cumulative_gross_margin_per_customer"] = _money_per(rows["cumulative_margin_micros"], size)
    out["is_complete_period"] = rows["is_complete_period"].astype(bool)
    out["active_customers"] = out["active_customers"].astype("int64")
    out["cohort_size"] = out["cohort_size"].astype("int64")
    columns = ["cohort_period", "period_number", *by] + [c for c in out.columns if c not in keys]
    return out[columns]


# --------------------------------------------------------------------------
# marts.churn
# --------------------------------------------------------------------------


def active_customers_on(purchases: pd.DataFrame, day: pd.Timestamp, window_days: int) -> set[str]:
    """METRICS.md "Churn": "Active on day d: last purchase date p <= d and
    d - p < churn_window_days" -- p being the customer's latest purchase date
    on or before d.
    """
    latest = (
        purchases.loc[purchases["order_date"] <= day].groupby("customer_id")["order_date"].max()
    )
    return set(latest.index[(day - latest).dt.days < window_days])


def churn_month(
    purchases: pd.DataFrame,
    first_purchase: pd.Series,
    month_start: pd.Timestamp,
    as_of: pd.Timestamp,
    window_days: int,
) -> dict[str, Any]:
    """One row of marts.churn, straight from METRICS.md "Churn":

    - f = month start, l = last counted day = month end, or as_of_date;
    - S = active on f - 1; E = active on l; N = first purchase date in [f, l];
    - retained = S and E; churned = S and not E; reactivated = E, not S, not N;
      new_customers_active_end = N and E;
    - churn_rate = churned / S; retention_rate = retained / S;
      crr = (E - new_customers_active_end) / S;
    - is_complete_period: month end <= as_of_date.
    """
    month_end = month_start + pd.offsets.MonthEnd(0)
    last_day = min(month_end, as_of)
    start = active_customers_on(purchases, month_start - ONE_DAY, window_days)
    end = active_customers_on(purchases, last_day, window_days)
    new = set(first_purchase.index[(first_purchase >= month_start) & (first_purchase <= last_day)])

    retained = start & end
    churned = start - end
    reactivated = end - start - new
    new_active_end = new & end
    return {
        "period_start": month_start,
        "period_end": last_day,
        "customers_start": len(start),
        "customers_end": len(end),
        "new_customers": len(new),
        "new_customers_active_end": len(new_active_end),
        "retained_customers": len(retained),
        "churned_customers": len(churned),
        "reactivated_customers": len(reactivated),
        "churn_rate": ratio(len(churned), len(start)),
        "retention_rate": ratio(len(retained), len(start)),
        "crr": ratio(len(end) - len(new_active_end), len(start)),
        "is_complete_period": bool(month_end <= as_of),
    }


CHURN_COLUMNS = [
    "period_start",
    "period_end",
    "customers_start",
    "customers_end",
    "new_customers",
    "new_customers_active_end",
    "retained_customers",
    "churned_customers",
    "reactivated_customers",
    "churn_rate",
    "retention_rate",
    "crr",
    "is_complete_period",
]


def build_churn(purchases: pd.DataFrame, as_of: pd.Timestamp, window_days: int) -> pd.DataFrame:
    """marts.churn: "one row per calendar month, from the first purchase month
    through the month containing as_of_date" (CONTRACT.md).
    """
    if purchases.empty:
        return pd.DataFrame(columns=CHURN_COLUMNS)
    first_purchase = purchases.groupby("customer_id")["order_date"].min()
    months = pd.date_range(first_purchase.min().replace(day=1), as_of.replace(day=1), freq="MS")
    rows = [churn_month(purchases, first_purchase, m, as_of, window_days) for m in months]
    churn = pd.DataFrame(rows, columns=CHURN_COLUMNS)
    for column in ("period_start", "period_end"):
        churn[column] = churn[column].astype("datetime64[us]")
    return churn


# --------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------


def staging_counts(staged: Mapping[str, Staged]) -> pd.DataFrame:
    """Rows per source and outcome (staged / quarantined by reason /
    duplicate). staging_rules.md: "raw rows = staged rows + quarantined rows +
    duplicate rows".
    """
    return pd.concat([s.counts() for s in staged.values()], ignore_index=True)


def compute_marts(
    raw: Mapping[str, pd.DataFrame], vars: Mapping[str, Any] | None = None
) -> dict[str, pd.DataFrame]:
    """Compute the reference marts from the four raw tables and the dbt vars.

    Returns ``customer_cohorts``, ``cohort_retention``,
    ``cohort_retention_by_channel`` and ``churn`` (the CONTRACT.md columns),
    plus ``staging_counts`` (see :func:`staging_counts`), the staged tables
    ``stg_customers``, ``stg_orders``, ``stg_events``,
    ``stg_marketing_spend``, the counted ``purchases`` and ``run`` (one row:
    the resolved as_of_date and vars).
    """
    run = parse_vars(vars)
    staged = stage_all(raw, run)
    resolved_as_of = resolve_as_of_date(staged, run)
    purchases = purchases_until(staged["orders"].staged, staged["customers"].staged, resolved_as_of)
    # No staged order or event: there are no purchases, every mart is empty
    # and any date serves as as_of_date below.
    as_of = resolved_as_of if resolved_as_of is not None else pd.Timestamp("1970-01-01")

    cohorts = build_customer_cohorts(purchases, as_of, run.cohort_grain)
    return {
        "customer_cohorts": customer_cohorts_mart(cohorts),
        "cohort_retention": build_cohort_retention(cohorts, by=[]),
        "cohort_retention_by_channel": build_cohort_retention(cohorts, by=["acquisition_channel"]),
        "churn": build_churn(purchases, as_of, run.churn_window_days),
        "staging_counts": staging_counts(staged),
        **{f"stg_{name}": s.staged for name, s in staged.items()},
        "purchases": purchases,
        "run": pd.DataFrame(
            [
                {
                    "as_of_date": resolved_as_of if resolved_as_of is not None else pd.NaT,
                    "reporting_timezone": run.reporting_timezone,
                    "cohort_grain": run.cohort_grain,
                    "churn_window_days": run.churn_window_days,
                }
            ]
        ),
    }


def read_raw(database_path: str | Path) -> dict[str, pd.DataFrame]:
    """Read ``raw.customers``, ``raw.orders``, ``raw.events`` and
    ``raw.marketing_spend`` from a DuckDB file (decimals stay exact).
    """
    import duckdb

    with duckdb.connect(str(database_path), read_only=True) as connection:
        return {
            table: connection.sql(f"select * from raw.{table}").to_arrow_table().to_pandas()
            for table in RAW_TABLES
        }


__all__ = [
    "RunVars",
    "Staged",
    "compute_marts",
    "read_raw",
    "parse_vars",
    "stage_all",
    "resolve_as_of_date",
    "purchases_until",
    "build_customer_cohorts",
    "build_cohort_retention",
    "build_churn",
    "active_customers_on",
    "period_index",
    "period_start",
    "local_date",
    "money",
    "ratio",
]
