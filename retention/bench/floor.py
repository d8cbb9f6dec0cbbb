"""The floor of ``make bench``: the queries any correct pipeline must run on the raw data.

Whatever a pipeline does with the shop's raw tables, it has to read all of them
at least once, and four reductions of the big ones cannot be avoided by any
correct pipeline (docs/benchmark.md "The floor"):

- raw.events reduced to distinct customer-days (every product-usage mart
  needs them; 100M rows become ~10M);
- repeated event_ids found (a text group-by over every event: duplicates must
  be found before anything is counted);
- repeated order_ids found (the same over the orders);
- orders reduced to purchases (a scan of every order with the purchase rule).

Each query is a ``create table ... as select`` (a pipeline keeps its results)
in a scratch schema of the bench database, on the same DuckDB file with the
same ``memory_limit`` as dbt's builds, run one after another; the schema is
dropped afterwards. The queries are deliberately less than the project does
(no trimming, no time zone, no ranking of copies, no quarantine): their total
is a lower bound on the work of a full build, never an estimate of it.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import duckdb

log = logging.getLogger(__name__)

SCHEMA = "bench_floor"

# name -> (what it stands for, the select whose result is written)
FLOOR_QUERIES: dict[str, tuple[str, str]] = {
    "event_customer_days": (
        "raw.events reduced to distinct customer-days",
        "select customer_id, cast(occurred_at as date) as event_date, count(*) as events"
        " from raw.events where customer_id is not null"
        " group by customer_id, cast(occurred_at as date)",
    ),
    "repeated_event_ids": (
        "repeated event_ids found",
        "select event_id, count(*) as copies from raw.events"
        " where event_id is not null group by event_id having count(*) > 1",
    ),
    "repeated_order_ids": (
        "repeated order_ids found",
        "select order_id, count(*) as copies from raw.orders"
        " where order_id is not null group by order_id having count(*) > 1",
    ),
    "purchases": (
        "orders reduced to purchases",
        "select order_id, customer_id, cast(ordered_at as date) as order_date,"
        " order_amount - coalesce(refunded_amount, 0) as net_revenue"
        " from raw.orders"
        " where lower(trim(status)) = 'completed'"
        " and order_amount > coalesce(refunded_amount, 0)",
    ),
}


def measure_floor(database: Path, memory_limit: str) -> dict[str, Any]:
    """Run every floor query once on ``database``: seconds and rows of each, and the total."""
    queries: dict[str, dict[str, Any]] = {}
    with duckdb.connect(str(database)) as con:
        con.execute(f"set memory_limit = '{memory_limit}'")
        con.execute(f"drop schema if exists {SCHEMA} cascade")
        con.execute(f"create schema {SCHEMA}")
        try:
            for name, (description, sql) in FLOOR_QUERIES.items():
                started = time.perf_counter()
                con.execute(f"create table {SCHEMA}.{name} as {sql}")
                seconds = time.perf_counter() - started
                rows = int(con.execute(f"select count(*) from {SCHEMA}.{name}").fetchall()[0][0])
                queries[name] = {
                    "description": description,
                    "seconds": round(seconds, 3),
                    "rows": rows,
                }
                log.info("floor %s: %.2f s, %d rows", name, seconds, rows)
        finally:
            con.execute(f"drop schema if exists {SCHEMA} cascade")
    return {
        "seconds": round(sum(q["seconds"] for q in queries.values()), 3),
        "queries": queries,
    }
