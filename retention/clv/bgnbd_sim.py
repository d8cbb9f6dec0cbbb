"""A pure BG/NBD purchase process with known parameters, as raw tables.

The demo generator (retention/demo/simulate.py) is only BG/NBD-*like*: a customer
may drop out right after the first purchase (BG/NBD allows dropout only after
repeat purchases), rates and dropout probabilities come from a mixture of six
channel-specific Gamma and Beta distributions, rates are capped, seasonality
and the hour of day thin purchases, and cancelled or refunded orders are not
purchases. A fit on it therefore has no single "true" parameter set to
recover. This module simulates exactly the BG/NBD story (Fader, Hardie & Lee
2005) so that a fit can be checked against the parameters that generated it:

- lambda ~ Gamma(r, rate alpha) purchases per time unit, p ~ Beta(a, b);
- the first purchase (trial) happens at a uniform time in the first
  ``entry_units``; repeat purchases follow a Poisson process with rate lambda;
- after each repeat purchase the customer drops out for good with probability p.

Purchases are written as completed orders at their UTC timestamp; the date
(day) is what the marts see, so recency and T are exact to one day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class BgNbdProcess:
    """Parameters of a BG/NBD process (time unit: ``unit_days`` days)."""

    r: float = 0.6
    alpha: float = 6.0
    a: float = 0.8
    b: float = 2.5
    unit_days: int = 7
    start: str = "2024-01-01"
    entry_units: float = 12.0  # first purchases spread over the first 12 units
    observation_units: int = 78  # observation ends 78 units after start

    @property
    def observation_end(self) -> pd.Timestamp:
        """Last day of the observation window."""
        return pd.Timestamp(self.start) + pd.Timedelta(
            days=self.observation_units * self.unit_days - 1
        )


def simulate_purchases(process: BgNbdProcess, customers: int, seed: int) -> pd.DataFrame:
    """customer_id, ordered_at (timestamp) of every purchase up to the observation end."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(process.r, 1.0 / process.alpha, customers)
    drop = rng.beta(process.a, process.b, customers)
    # in time units since start; the last moment counted is the end of the last day
    end = process.observation_units
    clock = rng.uniform(0.0, process.entry_units, customers)
    owners = [np.arange(customers)]
    times = [clock.copy()]
    active = np.ones(customers, dtype=bool)
    while active.any():
        idx = np.flatnonzero(active)
        clock[idx] += rng.exponential(1.0 / lam[idx])
        bought = idx[clock[idx] < end]
        owners.append(bought)
        times.append(clock[bought])
        active[:] = False
        active[bought] = rng.random(bought.size) >= drop[bought]
    owner = np.concatenate(owners)
    t = np.concatenate(times)
    micros = np.round(t * process.unit_days * 86_400_000_000).astype("int64")
    ordered_at = pd.Timestamp(process.start) + pd.to_timedelta(micros, unit="us")
    return pd.DataFrame(
        {"customer_id": [f"S{i:07d}" for i in owner], "ordered_at": ordered_at}
    ).sort_values(["ordered_at", "customer_id"], ignore_index=True)


def raw_tables(purchases: pd.DataFrame, amount: str = "10.00") -> dict[str, pd.DataFrame]:
    """Completed orders of a fixed amount; customers with ids only (other tables empty)."""
    orders = pd.DataFrame(
        {
            "order_id": [f"SIM-{i:08d}" for i in range(1, len(purchases) + 1)],
            "customer_id": purchases["customer_id"].to_numpy(),
            "ordered_at": purchases["ordered_at"].to_numpy(),
            "status": "completed",
            "order_amount": amount,
        }
    )
    customers = pd.DataFrame({"customer_id": sorted(purchases["customer_id"].unique())})
    return {"customers": customers, "orders": orders}
