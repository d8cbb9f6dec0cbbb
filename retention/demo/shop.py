"""Parameters of the simulated shop: fixed calendar, seasonality and channel profiles.

Time inside the generator is a float number of days since ``START`` (UTC).
Nothing here depends on today's date.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

START = np.datetime64("2024-01-01", "D")
END = np.datetime64("2026-06-30", "D")  # last calendar day with data (inclusive)
N_DAYS = int((END - START).astype(int)) + 1  # 912
# Latest instant any valid order/event may have: 2026-06-30 12:00 UTC. Keeping the
# last day to its first half means the date stays 2026-06-30 in any reporting
# timezone between UTC-11 and UTC+11, so the derived as_of_date is stable.
CAP = float(N_DAYS - 1) + 0.5
START_US = int(START.astype("datetime64[us]").astype(np.int64))
US_PER_DAY = 86_400_000_000

_DAYS = START + np.arange(N_DAYS)
MONTH_OF_DAY = (_DAYS.astype("datetime64[M]").astype(np.int64) % 12) + 1  # 1..12
DOW_OF_DAY = (_DAYS.astype(np.int64) + 3) % 7  # 0 = Monday
DAY_OF_MONTH = (_DAYS - _DAYS.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1

_ACQ_SEASON = np.array([0.95, 0.9, 1.0, 1.0, 0.95, 0.85, 0.72, 0.76, 1.0, 1.1, 1.5, 1.6])
_BUY_SEASON = np.array([0.85, 0.9, 1.0, 1.0, 1.0, 0.88, 0.78, 0.8, 1.0, 1.05, 1.5, 1.65])
_DOW = np.array([1.0, 0.97, 0.97, 0.98, 1.02, 1.08, 1.1])

# Acquisition grows ~3x over the 30 months, with Nov/Dec peaks and a summer dip.
ACQ_DAY_WEIGHT = (
    np.exp(np.log(3.0) * np.arange(N_DAYS) / N_DAYS)
    * _ACQ_SEASON[MONTH_OF_DAY - 1]
    * _DOW[DOW_OF_DAY]
)
ACQ_DAY_CDF = np.cumsum(ACQ_DAY_WEIGHT) / ACQ_DAY_WEIGHT.sum()
BUY_DAY_FACTOR = _BUY_SEASON[MONTH_OF_DAY - 1] * _DOW[DOW_OF_DAY]

# Share of activity per UTC hour (EU + US evenings); some orders land at 01:00-04:59.
_HOUR = np.array(
    [
        3.5,
        3.0,
        2.5,
        2.0,
        1.5,
        1.2,
        1.2,
        1.5,
        2.5,
        3.5,
        4.5,
        5.0,
        5.5,
        6.0,
        6.5,
        6.5,
        6.5,
        6.5,
        7.0,
        7.5,
        7.5,
        7.0,
        6.0,
        4.5,
    ]
)
HOUR_FACTOR = _HOUR / _HOUR.mean()
HOUR_CDF = np.cumsum(_HOUR) / _HOUR.sum()


@dataclass(frozen=True)
class Channel:
    """Acquisition mix, purchase behaviour (BG/NBD parameters, per day) and spend of a channel."""

    name: str
    share: float  # share of new customers
    buyer_prob: float  # probability a sign-up ever orders
    r: float  # purchase rate lambda ~ Gamma(shape=r, rate=alpha), per day
    alpha: float
    a: float  # dropout after each purchase p ~ Beta(a, b)
    b: float
    aov: float  # mean order amount
    cac: float  # target spend per acquired customer (0 = no spend rows)
    campaigns: tuple[str, ...]  # campaign names; spend is split evenly-ish between them
    spend_every_days: int = 1  # 7 = one spend row per week


CHANNELS: tuple[Channel, ...] = (
    Channel("organic", 0.30, 0.74, 0.9, 30.0, 1.4, 6.5, 62.0, 0.0, ()),
    Channel(
        "paid_search",
        0.22,
        0.78,
        0.85,
        34.0,
        1.7,
        5.5,
        58.0,
        38.0,
        ("search_brand", "search_generic"),
    ),
    Channel(
        "paid_social",
        0.18,
        0.66,
        0.7,
        40.0,
        2.6,
        4.0,
        49.0,
        46.0,
        ("social_prospecting", "social_retargeting"),
    ),
    Channel("email", 0.08, 0.84, 1.2, 26.0, 1.2, 8.0, 66.0, 6.0, ("newsletter",)),
    Channel("referral", 0.10, 0.85, 1.3, 26.0, 1.2, 9.0, 70.0, 9.0, ("refer_a_friend",), 7),
    Channel("affiliate", 0.12, 0.72, 0.8, 36.0, 2.2, 5.0, 52.0, 24.0, ("affiliate_network",)),
)
CHANNEL_NAMES: tuple[str, ...] = tuple(c.name for c in CHANNELS)
CHANNEL_SHARE = np.array([c.share for c in CHANNELS]) / sum(c.share for c in CHANNELS)

COUNTRIES: tuple[str, ...] = ("US", "GB", "DE", "FR", "CA", "AU", "NL", "SE", "ES", "IT")
COUNTRY_SHARE = np.array([0.38, 0.14, 0.12, 0.08, 0.07, 0.05, 0.05, 0.04, 0.04, 0.03])
PLATFORMS: tuple[str, ...] = ("web", "ios", "android")
PLATFORM_SHARE = np.array([0.5, 0.3, 0.2])
PAGES: tuple[str, ...] = (
    "/",
    "/home",
    "/sale",
    "/search",
    "/category/shoes",
    "/category/bags",
    "/blog",
    "/account",
)
N_PRODUCTS = 200


def day_of(t: np.ndarray) -> np.ndarray:
    """Integer day index (0 = START) of float-day times, clipped to the calendar."""
    return np.clip(np.floor(t).astype(np.int64), 0, N_DAYS - 1)


def hour_of(t: np.ndarray) -> np.ndarray:
    """UTC hour 0..23 of float-day times."""
    return np.clip(np.floor((t - np.floor(t)) * 24).astype(np.int64), 0, 23)


def sample_time_of_day(rng: np.random.Generator, n: int) -> np.ndarray:
    """Fractions of a day following the hourly activity profile."""
    hour = np.searchsorted(HOUR_CDF, rng.random(n), side="right")
    return (np.minimum(hour, 23) + rng.random(n)) / 24.0


def to_timestamp_us(t: np.ndarray) -> np.ndarray:
    """Float days since START -> naive UTC ``datetime64[us]`` rounded to whole seconds."""
    seconds = np.round(t * 86_400.0).astype(np.int64)
    return (START_US + seconds * 1_000_000).astype("datetime64[us]")
