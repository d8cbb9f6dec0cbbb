"""Load raw tables into DuckDB's ``raw`` schema with explicit casts to the contract types.

Parquet is streamed by DuckDB (never through pandas). ``load_frames`` does the
same for small hand-built pandas DataFrames (used by tests for edge cases).
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Mapping
from pathlib import Path

import duckdb
import pandas as pd
from tqdm import tqdm

from retention import RetentionError
from retention.schema import RAW_TABLES, TABLE_NAMES

log = logging.getLogger(__name__)

HELP = "load raw Parquet tables into a DuckDB database (schema raw)"
ENV_DATABASE = "RETENTION_DUCKDB_PATH"
DEFAULT_DATABASE = Path("data/warehouse.duckdb")
SCHEMA = "raw"


def default_database() -> Path:
    """``$RETENTION_DUCKDB_PATH`` or ``data/warehouse.duckdb``."""
    return Path(os.environ.get(ENV_DATABASE) or DEFAULT_DATABASE)


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def select_list(table: str, available: set[str] | None = None) -> str:
    """``cast(col as type) as col, ...`` in contract order.

    Columns not in ``available`` (when given) become NULLs of the contract type.
    """
    parts = []
    for column in RAW_TABLES[table]:
        source = (
            _quote_ident(column.name) if available is None or column.name in available else "null"
        )
        parts.append(f"cast({source} as {column.sql_type}) as {_quote_ident(column.name)}")
    return ",\n    ".join(parts)


def parquet_source(source_dir: Path, table: str) -> str:
    """``<dir>/<table>.parquet``, else the part-file glob ``<dir>/<table>/*.parquet``."""
    single = source_dir / f"{table}.parquet"
    if single.is_file():
        return str(single)
    folder = source_dir / table
    if folder.is_dir() and any(folder.glob("*.parquet")):
        return str(folder / "*.parquet")
    raise RetentionError(
        f"raw table '{table}': no Parquet data found (expected {single} or {folder}/*.parquet)"
    )


def _connect(database_path: str | Path) -> duckdb.DuckDBPyConnection:
    path = Path(database_path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)  # DuckDB does not create it
    con = duckdb.connect(str(path))
    con.execute(f"create schema if not exists {SCHEMA}")
    return con


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    rows = con.execute(
        f"select count(*) from {SCHEMA}.{table}"
    ).fetchall()  # fetchall: duckdb 2.x keeps a half-read result open
    return int(rows[0][0])


def load(
    source_dir: str | Path, database_path: str | Path | None = None, progress: bool = True
) -> dict[str, int]:
    """Replace the four ``raw.*`` tables from Parquet files in ``source_dir``.

    Returns the row count per table. Raises ``RetentionError`` naming the table when its
    Parquet is missing (before the database is touched).
    """
    source = Path(source_dir)
    database = Path(database_path) if database_path is not None else default_database()
    sources = {
        table: parquet_source(source, table) for table in TABLE_NAMES
    }  # fail before touching the database
    counts: dict[str, int] = {}
    with _connect(database) as con:
        for table in tqdm(TABLE_NAMES, desc="load", unit="table", disable=not progress):
            con.execute(
                f"create or replace table {SCHEMA}.{table} as\nselect\n    {select_list(table)}\n"
                f"from read_parquet({_quote_literal(sources[table])})"
            )
            counts[table] = _count(con, table)
            log.info("loaded %s.%s: %d rows from %s", SCHEMA, table, counts[table], sources[table])
    return counts


def load_frames(
    frames: Mapping[str, pd.DataFrame], database_path: str | Path, create_missing: bool = True
) -> dict[str, int]:
    """Write DataFrames into ``raw.<table>`` with the contract casts.

    Columns missing from a frame become NULLs of the contract type; unknown columns or tables raise
    ``ValueError``. With ``create_missing`` the raw tables not given are created empty.
    """
    unknown_tables = set(frames) - set(TABLE_NAMES)
    if unknown_tables:
        raise ValueError(
            f"unknown raw tables: {sorted(unknown_tables)}; expected some of {list(TABLE_NAMES)}"
        )
    for table, frame in frames.items():
        extra = set(map(str, frame.columns)) - {c.name for c in RAW_TABLES[table]}
        if extra:
            raise ValueError(f"raw table '{table}': unknown columns {sorted(extra)}")
    counts: dict[str, int] = {}
    with _connect(database_path) as con:
        for table in TABLE_NAMES:
            frame = frames.get(table)
            if frame is None and not create_missing:
                continue
            if frame is None:
                con.execute(
                    f"create or replace table {SCHEMA}.{table} as\n"
                    f"select\n    {select_list(table, set())}\nwhere false"
                )
            else:
                view = f"_retention_frame_{table}"
                con.register(view, frame)
                try:
                    con.execute(
                        f"create or replace table {SCHEMA}.{table} as\nselect\n    "
                        f"{select_list(table, set(map(str, frame.columns)))}\nfrom {view}"
                    )
                finally:
                    con.unregister(view)
            counts[table] = _count(con, table)
            log.info("loaded %s.%s: %d rows from a DataFrame", SCHEMA, table, counts[table])
    return counts


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        type=Path,
        default=Path("data/raw"),
        help="folder with <table>.parquet files, default %(default)s",
    )
    parser.add_argument(
        "--database",
        type=Path,
        default=None,
        help=f"DuckDB file, default ${ENV_DATABASE} or {DEFAULT_DATABASE}",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def run(args: argparse.Namespace) -> int:
    database = args.database if args.database is not None else default_database()
    counts = load(args.source, database, progress=not args.no_progress)
    log.info("loaded into %s: %s", database, ", ".join(f"raw.{t}={n}" for t, n in counts.items()))
    return 0
