"""Daily marketing spend per paid channel and campaign, scaled to the expected acquisitions."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from retention.contract import arrow_schema
from retention.demo import arrow as au
from retention.demo import shop


def marketing_spend(rng: np.random.Generator, n_customers: int) -> pa.Table:
    """One row per day per paid campaign (weekly for referral bonuses); organic has no spend."""
    expected_new = n_customers * shop.ACQ_DAY_WEIGHT / shop.ACQ_DAY_WEIGHT.sum()
    weekly_new = np.convolve(expected_new, np.ones(7))[
        6:
    ]  # sum over the current and the next 6 days
    dates: list[np.ndarray] = []
    channels: list[np.ndarray] = []
    campaigns: list[np.ndarray] = []
    cents: list[np.ndarray] = []
    campaign_names: list[str] = sorted({c for ch in shop.CHANNELS for c in ch.campaigns})
    for code, channel in enumerate(shop.CHANNELS):
        if channel.cac <= 0:
            continue
        if channel.spend_every_days == 7:
            days = np.flatnonzero(shop.DOW_OF_DAY == 0)
            base = weekly_new[days]
        else:
            days = np.arange(shop.N_DAYS)
            base = expected_new
        budget = channel.cac * channel.share * base * rng.lognormal(-0.03, 0.25, days.size)
        weights = np.linspace(1.0, 1.6, len(channel.campaigns))
        weights = weights / weights.sum()
        for i, campaign in enumerate(channel.campaigns):
            amount = budget * weights[i] * rng.uniform(0.85, 1.15, days.size)
            dates.append(days)
            channels.append(np.full(days.size, code))
            campaigns.append(np.full(days.size, campaign_names.index(campaign)))
            cents.append(np.maximum(1, np.round(amount * 100)).astype(np.int64))
    day = np.concatenate(dates)
    channel_code = np.concatenate(channels)
    campaign_code = np.concatenate(campaigns)
    order = np.lexsort((campaign_code, channel_code, day))
    spend_date = (shop.START + day[order]).astype("datetime64[D]")
    return pa.Table.from_arrays(
        [
            pa.array(spend_date, type=pa.date32()),
            au.from_catalog(shop.CHANNEL_NAMES, channel_code[order]),
            au.from_catalog(campaign_names, campaign_code[order]),
            au.amounts(np.concatenate(cents)[order]),
        ],
        schema=arrow_schema("marketing_spend"),
    )
