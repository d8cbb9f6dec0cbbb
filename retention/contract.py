"""The raw-table contract (CONTRACT.md sections 1 and 5): column names, SQL types and Parquet types.

This module is the single place that knows the raw column types; the generator
writes Parquet with ``ARROW_TYPES`` and the loader casts with ``SQL_TYPES``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

AMOUNT_SQL = "decimal(18,2)"
AMOUNT_ARROW = pa.decimal128(18, 2)
TIMESTAMP_ARROW = pa.timestamp("us")


@dataclass(frozen=True)
class Column:
    """One raw column: its name, DuckDB/SQL type and Parquet (Arrow) type."""

    name: str
    sql_type: str
    arrow_type: pa.DataType


def _varchar(name: str) -> Column:
    return Column(name, "varchar", pa.string())


def _timestamp(name: str) -> Column:
    return Column(name, "timestamp", TIMESTAMP_ARROW)


def _amount(name: str) -> Column:
    return Column(name, AMOUNT_SQL, AMOUNT_ARROW)


RAW_TABLES: dict[str, tuple[Column, ...]] = {
    "customers": (
        _varchar("customer_id"),
        _timestamp("signed_up_at"),
        _varchar("email"),
        _varchar("country_code"),
        _varchar("acquisition_channel"),
        _varchar("acquisition_campaign"),
        _timestamp("updated_at"),
    ),
    "orders": (
        _varchar("order_id"),
        _varchar("customer_id"),
        _timestamp("ordered_at"),
        _varchar("status"),
        _amount("order_amount"),
        _amount("refunded_amount"),
        _amount("cost_amount"),
        _timestamp("updated_at"),
    ),
    "events": (
        _varchar("event_id"),
        _varchar("customer_id"),
        _varchar("event_name"),
        _timestamp("occurred_at"),
        _varchar("platform"),
        _varchar("properties"),
    ),
    "marketing_spend": (
        Column("spend_date", "date", pa.date32()),
        _varchar("channel"),
        _varchar("campaign"),
        _amount("spend_amount"),
    ),
    # CONTRACT.md section 5: optional (using_experiment_assignments).
    "experiment_assignments": (
        _varchar("experiment_id"),
        _varchar("customer_id"),
        _varchar("variant"),
        _timestamp("assigned_at"),
    ),
}

TABLE_NAMES: tuple[str, ...] = tuple(RAW_TABLES)
# Tables a user may not have (CONTRACT.md section 5): the loader creates them
# empty when their Parquet is absent (docs/experiments.md).
OPTIONAL_TABLES: tuple[str, ...] = ("experiment_assignments",)


def arrow_schema(table: str) -> pa.Schema:
    """The Parquet schema the generator writes for ``table``."""
    return pa.schema([pa.field(c.name, c.arrow_type) for c in RAW_TABLES[table]])


def sql_types(table: str) -> dict[str, str]:
    """Column name -> SQL type for ``table``, in contract order."""
    return {c.name: c.sql_type for c in RAW_TABLES[table]}
