"""One more day of raw data after a generated dataset's last day, for incremental builds.

The generator's last calendar day ``D`` holds half a day (it ends at 12:00 UTC), so the
new day ``D + 1`` repeats the last full day ``D - 1`` shifted by two days: the same
volume, channels, hours, statuses and the dirty rows that fall on that day (status
variants, duplicates, older versions, bad amounts...). Customers who signed up on
``D - 1`` become new customers (ids and e-mails get the suffix ``-<yyyymmdd>``) with their
orders and events; everyone else's orders and events keep their customer and are
repeat activity. Order and event ids get the same suffix, so they are new rows, not
versions of old ones. DuckDB reads and writes the Parquet (no pandas).
"""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta
from pathlib import Path

import duckdb

from retention._sql import RAW_SCHEMA as SCHEMA
from retention._sql import quote_literal
from retention.contract import TABLE_NAMES
from retention.raw.load import parquet_source, select_list

log = logging.getLogger(__name__)

SOURCE = "source.json"


def _blank(column: str) -> str:
    return f"({column} is null or trim({column}) = '')"


def _suffixed(column: str, suffix: str) -> str:
    return f"case when {_blank(column)} then {column} else {column} || '{suffix}' end"


def last_day(con: duckdb.DuckDBPyConnection, orders: str) -> date:
    """The latest plausible order date (before 2100) of the raw orders Parquet."""
    row = con.execute(
        "select max(cast(ordered_at as date)) from read_parquet(?) where ordered_at < '2100-01-01'",
        [orders],
    ).fetchone()
    if row is None or row[0] is None:
        raise ValueError(f"no plausible order dates in {orders}")
    return row[0]


def write_next_day(raw_dir: Path, out_dir: Path) -> Path:
    """Write ``<out_dir>/<table>.parquet`` for the day after the data's last day.

    Reused when ``out_dir/source.json`` names the same raw manifest and raw tables.
    """
    manifest = json.loads((raw_dir / "manifest.json").read_text())
    source_key = {
        "raw_dir": str(raw_dir.resolve()),
        "manifest": manifest,
        "tables": list(TABLE_NAMES),
    }
    if (out_dir / SOURCE).is_file() and json.loads((out_dir / SOURCE).read_text()) == source_key:
        return out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    src = {t: parquet_source(raw_dir, t) for t in TABLE_NAMES}
    with duckdb.connect() as con:
        con.execute("set timezone = 'UTC'")
        end = last_day(con, src["orders"])
        copied = end - timedelta(days=1)
        new_day = end + timedelta(days=1)
        suffix = "-" + new_day.strftime("%Y%m%d")
        shift = "interval 2 day"
        lit = {t: quote_literal(p) for t, p in src.items()}
        on_day = f"cast('{copied}' as date)"
        con.execute(
            f"""
            create temp table new_customers as
            select * from read_parquet({lit["customers"]})
            where cast(signed_up_at as date) = {on_day}
            """
        )
        con.execute(
            f"""
            create temp table id_map as
            select distinct customer_id as old_id, customer_id || '{suffix}' as new_id
            from new_customers where not {_blank("customer_id")}
            """
        )
        queries = {
            "customers": f"""
                select
                    coalesce(m.new_id, c.customer_id) as customer_id,
                    c.signed_up_at + {shift} as signed_up_at,
                    case when c.email is null then null
                        else lower(coalesce(m.new_id, c.customer_id)) || '@example.com'
                    end as email,
                    c.country_code,
                    c.acquisition_channel,
                    c.acquisition_campaign,
                    c.updated_at + {shift} as updated_at
                from new_customers as c
                left join id_map as m on c.customer_id = m.old_id
            """,
            "orders": f"""
                select
                    {_suffixed("o.order_id", suffix)} as order_id,
                    coalesce(m.new_id, o.customer_id) as customer_id,
                    o.ordered_at + {shift} as ordered_at,
                    o.status,
                    o.order_amount,
                    o.refunded_amount,
                    o.cost_amount,
                    o.updated_at + {shift} as updated_at
                from read_parquet({lit["orders"]}) as o
                left join id_map as m on o.customer_id = m.old_id
                where cast(o.ordered_at as date) = {on_day}
            """,
            "events": f"""
                select
                    {_suffixed("e.event_id", suffix)} as event_id,
                    coalesce(m.new_id, e.customer_id) as customer_id,
                    e.event_name,
                    e.occurred_at + {shift} as occurred_at,
                    e.platform,
                    e.properties
                from read_parquet({lit["events"]}) as e
                left join id_map as m on e.customer_id = m.old_id
                where cast(e.occurred_at as date) = {on_day}
            """,
            "marketing_spend": f"""
                select
                    spend_date + {shift} as spend_date,
                    channel,
                    campaign,
                    spend_amount
                from read_parquet({lit["marketing_spend"]})
                where spend_date = {on_day}
            """,
            # the day's assignments: new customers keep their new ids
            "experiment_assignments": f"""
                select
                    a.experiment_id,
                    coalesce(m.new_id, a.customer_id) as customer_id,
                    a.variant,
                    a.assigned_at + {shift} as assigned_at
                from read_parquet({lit["experiment_assignments"]}) as a
                left join id_map as m on a.customer_id = m.old_id
                where cast(a.assigned_at as date) = {on_day}
            """,
        }
        for table, query in queries.items():
            target = quote_literal(str(out_dir / f"{table}.parquet"))
            con.execute(
                f"copy ({query} order by all) to {target} (format parquet, compression zstd)"
            )
    (out_dir / SOURCE).write_text(json.dumps(source_key, indent=2, default=str) + "\n")
    log.info("wrote the day %s (a copy of %s) to %s", new_day, copied, out_dir)
    return out_dir


def append_next_day(next_day_dir: Path, database: Path) -> dict[str, int]:
    """Append the next day's Parquet to the ``raw`` tables (contract casts); rows per table."""
    added: dict[str, int] = {}
    with duckdb.connect(str(database)) as con:
        for table in TABLE_NAMES:
            path = quote_literal(str(next_day_dir / f"{table}.parquet"))
            before = con.execute(f"select count(*) from {SCHEMA}.{table}").fetchall()[0][0]
            con.execute(
                f"insert into {SCHEMA}.{table}\nselect\n    {select_list(table)}\n"
                f"from read_parquet({path})"
            )
            after = con.execute(f"select count(*) from {SCHEMA}.{table}").fetchall()[0][0]
            added[table] = int(after - before)
    log.info("appended the next day: %s", added)
    return added
