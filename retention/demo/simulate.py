"""Clean (not yet dirtied) simulation of one chunk of customers: customers, orders, events.

Purchases follow a BG/NBD-like process: each customer has a purchase rate
lambda ~ Gamma(r, alpha) per day and, after every purchase, drops out for good
with probability p ~ Beta(a, b). Seasonality and the hourly profile modulate
timing by thinning. Everything is vectorized over the customers of the chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from retention.contract import arrow_schema
from retention.demo import arrow as au
from retention.demo import shop

EVENT_NAMES: tuple[str, ...] = (
    "sign_up",
    "app_open",
    "page_view",
    "product_view",
    "add_to_cart",
    "checkout_started",
    "purchase",
    "email_open",
    "email_click",
    "nps_response",
)
EV = {name: code for code, name in enumerate(EVENT_NAMES)}
EVENT_PLATFORMS: tuple[str, ...] = (*shop.PLATFORMS, "email")
EMAIL_PLATFORM = len(shop.PLATFORMS)

# properties catalog: NULL, pages, products, nps scores 0..10, email campaign
PROP_NULL = 0
_PAGES = [f'{{"page": "{p}"}}' for p in shop.PAGES]
_PRODUCTS = [f'{{"product_id": "P{i:04d}"}}' for i in range(1, shop.N_PRODUCTS + 1)]
_SCORES = [f'{{"score": {s}}}' for s in range(11)]
PROPERTIES: tuple[str | None, ...] = (
    None,
    *_PAGES,
    *_PRODUCTS,
    *_SCORES,
    '{"campaign": "newsletter"}',
    '{"page": "/signup"}',
)
PROP_PAGE0 = 1
PROP_PRODUCT0 = PROP_PAGE0 + len(_PAGES)
PROP_SCORE0 = PROP_PRODUCT0 + len(_PRODUCTS)
PROP_NEWSLETTER = PROP_SCORE0 + len(_SCORES)
PROP_SIGNUP = PROP_NEWSLETTER + 1

STATUSES: tuple[str, ...] = ("completed", "cancelled", "refunded", "pending")
ID_STRIDE = 1_000_000_000  # ids are chunk_index * ID_STRIDE + sequence number


@dataclass
class Chunk:
    """Clean tables of one chunk plus the per-row facts the dirty-row injector needs."""

    customers: pa.Table
    orders: pa.Table
    events: pa.Table
    customer_channel: np.ndarray  # channel code per customers row
    customer_is_buyer: np.ndarray  # bool per customers row
    order_t: np.ndarray  # float days per orders row
    order_status: np.ndarray  # status code per orders row
    event_t: np.ndarray  # float days per events row
    event_name: np.ndarray  # event code per events row
    next_order_number: int  # first unused order sequence number of the chunk
    next_event_number: int


def _channel_param(codes: np.ndarray, attr: str) -> np.ndarray:
    return np.array([getattr(c, attr) for c in shop.CHANNELS], dtype=np.float64)[codes]


def _segments(lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For segments of the given lengths: owner segment and position within it, per element."""
    owner = np.repeat(np.arange(lengths.size), lengths)
    starts = np.cumsum(lengths) - lengths
    return owner, np.arange(owner.size) - starts[owner]


def _purchases(
    rng: np.random.Generator,
    signup: np.ndarray,
    channel: np.ndarray,
    order_intensity: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Simulate purchase times.

    Returns (customer index, time) per purchase, and lambda and p per customer
    (as drawn, before ``order_intensity``). ``order_intensity`` f buys f times as
    often (lambda * f) and drops out f times less often per purchase (p / f), so the
    expected active lifetime in days stays that of f = 1 with f times the orders.
    """
    n = signup.size
    lam = np.clip(
        rng.gamma(_channel_param(channel, "r"), 1.0 / _channel_param(channel, "alpha")), 1e-6, 0.25
    )
    p = rng.beta(_channel_param(channel, "a"), _channel_param(channel, "b"))
    buyer = rng.random(n) < _channel_param(channel, "buyer_prob")
    kind = rng.random(n)
    delay = np.where(
        kind < 0.35, 0.0, np.where(kind < 0.75, rng.exponential(0.05, n), rng.exponential(5.0, n))
    )
    t = signup + delay
    # f = 1 leaves both arrays bit-identical (the default demo data does not change)
    lam_f = lam * order_intensity
    p_f = p / order_intensity
    alive = buyer & (t <= shop.CAP)
    cust_parts = [np.flatnonzero(alive)]
    time_parts = [t[alive]]
    alive &= rng.random(n) >= p_f
    max_factor = shop.BUY_DAY_FACTOR.max() * shop.HOUR_FACTOR.max()
    while alive.any():
        idx = np.flatnonzero(alive)
        t[idx] += rng.exponential(1.0 / (lam_f[idx] * max_factor))
        inside = t[idx] <= shop.CAP
        alive[idx[~inside]] = False
        idx = idx[inside]
        ti = t[idx]
        accept = (
            rng.random(idx.size) * max_factor
            < shop.BUY_DAY_FACTOR[shop.day_of(ti)] * shop.HOUR_FACTOR[shop.hour_of(ti)]
        )
        bought = idx[accept]
        cust_parts.append(bought)
        time_parts.append(t[bought])
        alive[bought[rng.random(bought.size) < p_f[bought]]] = False
    cust = np.concatenate(cust_parts)
    times = np.concatenate(time_parts)
    # some customers buy twice on the same day
    twice = rng.random(cust.size) < 0.03
    second = times[twice] + rng.uniform(0.01, 0.2, int(twice.sum()))
    keep = (np.floor(second) == np.floor(times[twice])) & (second <= shop.CAP)
    cust = np.concatenate([cust, cust[twice][keep]])
    times = np.concatenate([times, second[keep]])
    return cust, times, lam, p


def _force_month_start_orders(
    rng: np.random.Generator, cust: np.ndarray, t: np.ndarray, signup: np.ndarray
) -> None:
    """Make sure some orders sit at 01:00-04:59 UTC on the 1st of a month.

    In American time zones they fall on the previous day and month. Only moves an order
    within its day (if the customer signed up earlier) or from a month's last day to the next.
    """
    want = max(1, int(round(t.size * 0.002)))
    day = shop.day_of(t)
    first = shop.DAY_OF_MONTH[day] == 1
    already = first & (shop.hour_of(t) >= 1) & (shop.hour_of(t) <= 4)
    need = want - int(already.sum())
    if need <= 0:
        return
    candidates = np.flatnonzero(first & ~already & (signup[cust] < day))
    target_day = day[candidates]
    if candidates.size < need:  # tiny data: also move month-end orders to the next morning
        next_day = np.minimum(day + 1, shop.N_DAYS - 1)
        month_end = np.flatnonzero((shop.DAY_OF_MONTH[next_day] == 1) & (day < shop.N_DAYS - 1))
        candidates = np.concatenate([candidates, month_end])
        target_day = np.concatenate([target_day, next_day[month_end]])
    pick = rng.permutation(candidates.size)[:need]
    chosen = candidates[pick]
    t[chosen] = target_day[pick] + rng.uniform(1.0 / 24, 5.0 / 24 - 1e-6, chosen.size)


def _order_columns(
    rng: np.random.Generator, t: np.ndarray, aov: np.ndarray
) -> dict[str, np.ndarray]:
    m = t.size
    amount = np.maximum(500, np.round(aov * rng.lognormal(-0.06, 0.35, m) * 100)).astype(np.int64)
    recent = t > shop.CAP - 7
    u = rng.random(m)
    normal_cdf = np.array([0.905, 0.95, 0.99])
    recent_cdf = np.array([0.70, 0.74, 0.75])
    status = np.where(
        recent,
        np.searchsorted(recent_cdf, u, side="right"),
        np.searchsorted(normal_cdf, u, side="right"),
    )
    refunded = np.zeros(m, dtype=np.int64)
    refunded_null = rng.random(m) < 0.6
    full = status == 2
    refunded[full] = amount[full]
    partial = (status == 0) & (rng.random(m) < 0.04)
    refunded[partial] = np.round(
        amount[partial] * rng.uniform(0.1, 0.6, int(partial.sum()))
    ).astype(np.int64)
    refunded_null &= ~(full | partial)
    cost = np.round(amount * rng.uniform(0.4, 0.6, m)).astype(np.int64)
    cost_null = rng.random(m) >= 0.85
    lag = np.select(
        [status == 0, status == 1, status == 2],
        [rng.uniform(0.005, 3.0, m), rng.uniform(0.003, 2.0, m), rng.uniform(3.0, 30.0, m)],
        rng.uniform(0.001, 0.04, m),
    )
    updated = np.minimum(t + lag, shop.CAP)
    return {
        "amount": amount,
        "status": status,
        "refunded": refunded,
        "refunded_null": refunded_null,
        "cost": cost,
        "cost_null": cost_null,
        "updated": updated,
    }


@dataclass
class _EventBlock:
    cust: np.ndarray
    t: np.ndarray
    name: np.ndarray
    platform: np.ndarray
    prop: np.ndarray


def _page_or_product(rng: np.random.Generator, name: np.ndarray) -> np.ndarray:
    n = name.size
    prop = np.full(n, PROP_NULL, dtype=np.int64)
    pages = (name == EV["page_view"]) & (rng.random(n) < 0.7)
    prop[pages] = PROP_PAGE0 + rng.integers(0, len(_PAGES), int(pages.sum()))
    products = np.isin(name, [EV["product_view"], EV["add_to_cart"]]) & (rng.random(n) < 0.85)
    prop[products] = PROP_PRODUCT0 + np.minimum(
        rng.zipf(1.6, int(products.sum())) - 1, shop.N_PRODUCTS - 1
    )
    return prop


def _session_platform(rng: np.random.Generator, preferred: np.ndarray) -> np.ndarray:
    other = rng.choice(len(shop.PLATFORMS), size=preferred.size, p=shop.PLATFORM_SHARE)
    return np.where(rng.random(preferred.size) < 0.8, preferred, other)


def _purchase_sessions(
    rng: np.random.Generator, order_cust: np.ndarray, order_t: np.ndarray, preferred: np.ndarray
) -> _EventBlock:
    """page_view+, product_view+, add_to_cart+, checkout_started, purchase (at the order time)."""
    m = order_t.size
    n_pv = 1 + rng.poisson(1.2, m)
    n_prod = 1 + rng.poisson(1.5, m)
    n_cart = 1 + (rng.random(m) < 0.25)
    lengths = n_pv + n_prod + n_cart + 2
    owner, pos = _segments(lengths)
    gaps = rng.exponential(60.0 / 86_400, owner.size)
    cum = np.cumsum(gaps)
    starts = np.cumsum(lengths) - lengths
    cum_in = cum - (cum[starts] - gaps[starts])[owner]
    total = cum_in[starts + lengths - 1]
    t = order_t[owner] - (total[owner] - cum_in)
    name = np.select(
        [
            pos < n_pv[owner],
            pos < (n_pv + n_prod)[owner],
            pos < (n_pv + n_prod + n_cart)[owner],
            pos == lengths[owner] - 2,
        ],
        [EV["page_view"], EV["product_view"], EV["add_to_cart"], EV["checkout_started"]],
        EV["purchase"],
    )
    platform = _session_platform(rng, preferred[order_cust])[owner]
    cust = order_cust[owner]
    return _EventBlock(cust, np.maximum(t, 0.0), name, platform, _page_or_product(rng, name))


def _browse_sessions(
    rng: np.random.Generator,
    signup: np.ndarray,
    active_end: np.ndarray,
    rate: np.ndarray,
    preferred: np.ndarray,
) -> _EventBlock:
    """Sessions without a purchase at ``rate`` per day while a customer is active, rare after."""
    n = signup.size
    active_len = np.maximum(active_end - signup, 0.0)
    lapsed_len = np.maximum(shop.CAP - np.maximum(active_end, signup), 0.0)
    n_active = rng.poisson(rate * active_len)
    n_lapsed = rng.poisson(0.004 * lapsed_len)
    sess_cust = np.concatenate(
        [np.repeat(np.arange(n), n_active), np.repeat(np.arange(n), n_lapsed)]
    )
    start = np.concatenate(
        [
            np.repeat(signup, n_active)
            + rng.random(int(n_active.sum())) * np.repeat(active_len, n_active),
            np.repeat(np.maximum(active_end, signup), n_lapsed)
            + rng.random(int(n_lapsed.sum())) * np.repeat(lapsed_len, n_lapsed),
        ]
    )
    s = sess_cust.size
    platform_s = _session_platform(rng, preferred[sess_cust])
    n_views = rng.poisson(2.0, s)
    cart = rng.random(s) < 0.2
    lengths = 1 + n_views + cart
    owner, pos = _segments(lengths)
    gaps = rng.exponential(50.0 / 86_400, owner.size)
    starts = np.cumsum(lengths) - lengths
    cum = np.cumsum(gaps)
    t = start[owner] + cum - cum[starts][owner]
    opener = np.where(platform_s == 0, EV["page_view"], EV["app_open"])
    view = np.where(rng.random(owner.size) < 0.5, EV["page_view"], EV["product_view"])
    name = np.where(
        pos == 0,
        opener[owner],
        np.where(cart[owner] & (pos == lengths[owner] - 1), EV["add_to_cart"], view),
    )
    keep = t <= shop.CAP
    block = _EventBlock(sess_cust[owner], t, name, platform_s[owner], _page_or_product(rng, name))
    return _EventBlock(
        *(getattr(block, f)[keep] for f in ("cust", "t", "name", "platform", "prop"))
    )


def _email_events(
    rng: np.random.Generator, signup: np.ndarray, active_end: np.ndarray, has_email: np.ndarray
) -> _EventBlock:
    window = np.where(
        has_email, np.maximum(np.minimum(active_end + 120.0, shop.CAP) - signup, 0.0), 0.0
    )
    count = rng.poisson(0.012 * window)
    cust = np.repeat(np.arange(signup.size), count)
    t = signup[cust] + rng.random(cust.size) * window[cust]
    name = np.where(rng.random(cust.size) < 0.8, EV["email_open"], EV["email_click"])
    platform = np.full(cust.size, EMAIL_PLATFORM)
    return _EventBlock(cust, t, name, platform, np.full(cust.size, PROP_NEWSLETTER))


def _nps_events(
    rng: np.random.Generator, order_cust: np.ndarray, order_t: np.ndarray, p: np.ndarray
) -> _EventBlock:
    asked = rng.random(order_t.size) < 0.12
    cust = order_cust[asked]
    t = order_t[asked] + rng.uniform(2.0, 10.0, cust.size)
    keep = t <= shop.CAP
    cust, t = cust[keep], t[keep]
    score = np.clip(np.round(rng.normal(9.6 - 9.0 * p[cust], 1.8)), 0, 10).astype(np.int64)
    platform = np.where(rng.random(cust.size) < 0.7, EMAIL_PLATFORM, 0)
    return _EventBlock(
        cust, t, np.full(cust.size, EV["nps_response"]), platform, PROP_SCORE0 + score
    )


def simulate_chunk(
    rng: np.random.Generator,
    chunk_index: int,
    first_customer: int,
    n: int,
    order_intensity: float = 1.0,
    event_intensity: float = 1.0,
) -> Chunk:
    """Simulate ``n`` customers numbered from ``first_customer`` (0-based), orders and events.

    ``order_intensity`` scales orders per customer (see ``_purchases``),
    ``event_intensity`` the rate of browse sessions (sessions without a purchase).
    Both 1.0 (the default) give the demo data.
    """
    channel = rng.choice(len(shop.CHANNELS), size=n, p=shop.CHANNEL_SHARE)
    day = np.minimum(
        np.searchsorted(shop.ACQ_DAY_CDF, rng.random(n), side="right"), shop.N_DAYS - 1
    )
    tod = shop.sample_time_of_day(rng, n)
    tod = np.where(day == shop.N_DAYS - 1, tod * (shop.CAP - (shop.N_DAYS - 1)), tod)
    signup = day + tod
    preferred = rng.choice(len(shop.PLATFORMS), size=n, p=shop.PLATFORM_SHARE)
    aov = _channel_param(channel, "aov") * rng.lognormal(-0.08, 0.4, n)
    has_email = rng.random(n) < 0.93

    order_cust, order_t, lam, p = _purchases(rng, signup, channel, order_intensity)
    _force_month_start_orders(rng, order_cust, order_t, signup)
    if chunk_index == 0 and order_t.size and order_t.max() < shop.N_DAYS - 1:
        # heartbeat: the latest order moves to the last calendar day so as_of_date is 2026-06-30
        last = int(np.argmax(order_t))
        order_t[last] = shop.N_DAYS - 1 + rng.uniform(0.26, shop.CAP - (shop.N_DAYS - 1))
    sort = np.lexsort((order_cust, order_t))
    order_cust, order_t = order_cust[sort], order_t[sort]
    m = order_t.size

    last_purchase = np.full(n, -np.inf)
    np.maximum.at(last_purchase, order_cust, order_t)
    buyer = np.isfinite(last_purchase)
    n_orders = np.bincount(order_cust, minlength=n)
    active_end = np.where(
        buyer, last_purchase + rng.exponential(40.0, n), signup + rng.exponential(15.0, n)
    )
    active_end = np.minimum(active_end, shop.CAP)
    browse_rate = (0.008 + 1.2 * lam + 0.002 * np.minimum(n_orders, 20)) * event_intensity

    oc = _order_columns(rng, order_t, aov[order_cust])

    cust_ids = au.prefixed_ids("C", first_customer + np.arange(n) + 1, 9)
    campaigns = [c.campaigns for c in shop.CHANNELS]
    campaign_catalog: list[str | None] = [None] + sorted({c for cs in campaigns for c in cs})
    pick = rng.integers(0, 1 << 30, n)
    campaign_code = np.zeros(n, dtype=np.int64)
    for ch, names in enumerate(campaigns):
        rows = np.flatnonzero(channel == ch)
        if names:
            codes = np.array([campaign_catalog.index(c) for c in names])
            campaign_code[rows] = codes[pick[rows] % len(names)]
    updated = np.where(
        rng.random(n) < 0.6, signup, np.minimum(signup + rng.exponential(30.0, n), shop.CAP)
    )
    customers = pa.Table.from_arrays(
        [
            cust_ids,
            au.timestamps(signup),
            pa.array(np.where(has_email, "user", None)).cast(pa.string()),
            au.from_catalog(
                shop.COUNTRIES, rng.choice(len(shop.COUNTRIES), size=n, p=shop.COUNTRY_SHARE)
            ),
            au.from_catalog(shop.CHANNEL_NAMES, channel),
            au.from_catalog(campaign_catalog, campaign_code),
            au.timestamps(updated),
        ],
        schema=arrow_schema("customers"),
    )
    customers = customers.set_column(
        2, "email", _emails(customers.column("customer_id"), has_email)
    )

    order_numbers = chunk_index * ID_STRIDE + np.arange(m) + 1
    orders = pa.Table.from_arrays(
        [
            au.prefixed_ids("O", order_numbers, 12),
            cust_ids.take(pa.array(order_cust)),
            au.timestamps(order_t),
            au.from_catalog(STATUSES, oc["status"]),
            au.amounts(oc["amount"]),
            au.amounts(oc["refunded"], oc["refunded_null"]),
            au.amounts(oc["cost"], oc["cost_null"]),
            au.timestamps(oc["updated"]),
        ],
        schema=arrow_schema("orders"),
    )

    blocks = [
        _EventBlock(
            np.arange(n), signup, np.full(n, EV["sign_up"]), preferred, np.full(n, PROP_SIGNUP)
        ),
        _purchase_sessions(rng, order_cust, order_t, preferred),
        _browse_sessions(rng, signup, active_end, browse_rate, preferred),
        _email_events(rng, signup, active_end, has_email),
        _nps_events(rng, order_cust, order_t, p),
    ]
    ev = _EventBlock(
        *(
            np.concatenate([getattr(b, f) for b in blocks])
            for f in ("cust", "t", "name", "platform", "prop")
        )
    )
    order = np.lexsort((ev.name, ev.cust, ev.t))
    ev = _EventBlock(*(getattr(ev, f)[order] for f in ("cust", "t", "name", "platform", "prop")))
    k = ev.t.size
    events = pa.Table.from_arrays(
        [
            au.prefixed_ids("E", chunk_index * ID_STRIDE + np.arange(k) + 1, 12),
            cust_ids.take(pa.array(ev.cust)),
            au.from_catalog(EVENT_NAMES, ev.name),
            au.timestamps(ev.t),
            au.from_catalog(EVENT_PLATFORMS, ev.platform),
            au.from_catalog(PROPERTIES, ev.prop),
        ],
        schema=arrow_schema("events"),
    )
    return Chunk(
        customers=customers,
        orders=orders,
        events=events,
        customer_channel=channel,
        customer_is_buyer=buyer,
        order_t=order_t,
        order_status=oc["status"],
        event_t=ev.t,
        event_name=ev.name,
        next_order_number=m + 1,
        next_event_number=k + 1,
    )


def _emails(customer_ids: pa.Array | pa.ChunkedArray, has_email: np.ndarray) -> pa.Array:
    lower = pc.utf8_lower(customer_ids)
    emails = pc.binary_join_element_wise(lower, "@example.com", "")
    return pc.if_else(pa.array(has_email), emails, pa.scalar(None, pa.string()))
