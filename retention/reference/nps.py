"""marts.nps, marts.nps_retention and the NPS columns of marts.customers
(docs/design/CONTRACT.md section 7; docs/design/METRICS.md "NPS" and
"Readings fixed for the second wave").
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from ._common import ratio

NPS_COLUMNS = [
    "month_start",
    "responses",
    "respondents",
    "promoters",
    "passives",
    "detractors",
    "promoter_share",
    "detractor_share",
    "nps",
    "is_complete_period",
]
NPS_RETENTION_COLUMNS = [
    "month_start",
    "nps_class",
    "respondents",
    "eligible_respondents",
    "repurchased",
    "repurchase_rate",
]
NPS_CLASSES = ("promoter", "passive", "detractor")


def nps_score_of(properties: Any) -> int | None:
    """staging_rules.md: ``nps_score`` is "the integer ``score`` of an
    ``nps_response`` event when it is between 0 and 10, else NULL". The
    properties must be valid JSON; a score written as a JSON string of one or
    two digits ("7") counts like the number (the staging reading), anything
    else (11, -1, "ten", 7.5, true) is no score.
    """
    if properties is None or (isinstance(properties, float) and pd.isna(properties)):
        return None
    try:
        parsed = json.loads(str(properties))
    except ValueError:
        return None
    if not isinstance(parsed, dict) or "score" not in parsed:
        return None
    score = parsed["score"]
    if isinstance(score, bool):
        return None
    if isinstance(score, int):
        value = score
    elif isinstance(score, str) and score.strip().isascii() and score.strip().isdigit():
        if len(score.strip()) > 2:
            return None
        value = int(score.strip())
    else:
        return None
    return value if 0 <= value <= 10 else None


def nps_class(score: int) -> str:
    """METRICS.md: "promoter 9-10, passive 7-8, detractor 0-6"."""
    if score >= 9:
        return "promoter"
    if score >= 7:
        return "passive"
    return "detractor"


def nps_responses(stg_events: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """METRICS.md "NPS": "A response is a staged, non-anonymous
    ``nps_response`` event with a valid score 0..10, dated
    (reporting_timezone) on or before as_of_date". One row per response with
    ``score``, ``nps_class``, ``month_start`` and the flags ``latest_in_month``
    (the customer's latest response of the calendar month) and ``latest``
    (of all time). Latest = latest occurred_at, ties: the greater event_id
    as text (second-wave readings).
    """
    columns = ["customer_id", "event_id", "occurred_at", "response_date", "score"]
    events = stg_events[
        (stg_events["event_name"] == "nps_response")
        & ~stg_events["is_anonymous"].astype(bool)
        & (stg_events["event_date"] <= as_of)
    ]
    scores = [nps_score_of(p) for p in events["properties"]]
    responses = pd.DataFrame(
        {
            "customer_id": events["customer_id"].astype(object).to_numpy(),
            "event_id": events["event_id"].astype(object).to_numpy(),
            "occurred_at": events["occurred_at"].to_numpy(),
            "response_date": events["event_date"].to_numpy(),
            "score": scores,
        },
        columns=columns,
    )
    responses = responses[responses["score"].notna()].copy()
    responses["score"] = responses["score"].astype("int64")
    responses["nps_class"] = [nps_class(s) for s in responses["score"]]
    responses["month_start"] = responses["response_date"].dt.to_period("M").dt.to_timestamp()
    # Latest first: occurred_at descending, then event_id descending as text.
    ordered = responses.sort_values(
        ["occurred_at", "event_id"], ascending=[False, False], kind="stable"
    )
    first_in_month = ~ordered.duplicated(["customer_id", "month_start"], keep="first")
    first_overall = ~ordered.duplicated(["customer_id"], keep="first")
    responses["latest_in_month"] = first_in_month.reindex(responses.index)
    responses["latest"] = first_overall.reindex(responses.index)
    return responses


def _months(responses: pd.DataFrame, as_of: pd.Timestamp) -> pd.DatetimeIndex:
    """ "months from the first response month through the as_of_date month"."""
    if responses.empty:
        return pd.DatetimeIndex([])
    return pd.date_range(
        responses["month_start"].min(), as_of.to_period("M").to_timestamp(), freq="MS"
    )


def build_nps(responses: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """marts.nps: per month, ``responses`` counts every response; each
    customer speaks once (latest of the month); nps = 100 x (promoters -
    detractors) / respondents, NULL without respondents; zero-filled months.
    """
    rows = []
    for month in _months(responses, as_of):
        in_month = responses[responses["month_start"] == month]
        latest = in_month[in_month["latest_in_month"]]
        counts = latest["nps_class"].value_counts()
        promoters = int(counts.get("promoter", 0))
        passives = int(counts.get("passive", 0))
        detractors = int(counts.get("detractor", 0))
        respondents = len(latest)
        rows.append(
            {
                "month_start": month,
                "responses": len(in_month),
                "respondents": respondents,
                "promoters": promoters,
                "passives": passives,
                "detractors": detractors,
                "promoter_share": ratio(promoters, respondents),
                "detractor_share": ratio(detractors, respondents),
                "nps": ratio(100 * (promoters - detractors), respondents),
                "is_complete_period": bool(month + pd.offsets.MonthEnd(0) <= as_of),
            }
        )
    frame = pd.DataFrame(rows, columns=NPS_COLUMNS)
    frame["month_start"] = frame["month_start"].astype("datetime64[us]")
    return frame


def build_nps_retention(
    responses: pd.DataFrame, days: pd.DataFrame, as_of: pd.Timestamp, window_days: int
) -> pd.DataFrame:
    """marts.nps_retention: for each response month x class (every month of
    nps x the three classes), respondents by their latest response of the
    month; eligible when response date + window <= as_of_date; repurchased =
    eligible with a purchase day in (response date, response date + window].
    """
    window = pd.Timedelta(days=window_days)
    purchase_dates = days.groupby("customer_id")["order_date"].apply(list).to_dict()
    latest = responses[responses["latest_in_month"]]
    rows = []
    for month in _months(responses, as_of):
        in_month = latest[latest["month_start"] == month]
        for klass in NPS_CLASSES:
            group = in_month[in_month["nps_class"] == klass]
            eligible = group[group["response_date"] + window <= as_of]
            repurchased = sum(
                any(
                    r.response_date < d <= r.response_date + window
                    for d in purchase_dates.get(r.customer_id, [])
                )
                for r in eligible.itertuples()
            )
            rows.append(
                {
                    "month_start": month,
                    "nps_class": klass,
                    "respondents": len(group),
                    "eligible_respondents": len(eligible),
                    "repurchased": int(repurchased),
                    "repurchase_rate": ratio(int(repurchased), len(eligible)),
                }
            )
    frame = pd.DataFrame(rows, columns=NPS_RETENTION_COLUMNS)
    frame["month_start"] = frame["month_start"].astype("datetime64[us]")
    return frame


def latest_nps(responses: pd.DataFrame) -> pd.DataFrame:
    """customers.latest_nps_score / latest_nps_class: "the customer's latest
    response on or before as_of_date; NULL when none". Indexed by customer_id.
    """
    latest = responses[responses["latest"]]
    return pd.DataFrame(
        {
            "latest_nps_score": latest["score"].to_numpy(),
            "latest_nps_class": latest["nps_class"].to_numpy(),
        },
        index=pd.Index(latest["customer_id"].to_numpy(), name="customer_id"),
    )


def with_latest_nps(customers: pd.DataFrame, responses: pd.DataFrame) -> pd.DataFrame:
    """customers with ``latest_nps_score`` (Int64) and ``latest_nps_class``
    appended (NULL for customers who never answered)."""
    latest = latest_nps(responses)
    out = customers.copy()
    ids = out["customer_id"].astype(object)
    score = ids.map(latest["latest_nps_score"].to_dict())
    out["latest_nps_score"] = pd.array(
        [None if pd.isna(s) else int(s) for s in score], dtype="Int64"
    )
    out["latest_nps_class"] = ids.map(latest["latest_nps_class"].to_dict()).astype(object)
    return out
