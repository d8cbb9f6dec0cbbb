"""Load raw tables into an engine's ``raw`` schema with explicit casts to the contract types.

DuckDB (the default): Parquet is streamed by DuckDB (never through pandas).
``load_frames`` does the same for small hand-built pandas DataFrames (used by
tests for edge cases). ``load_postgres`` and ``load_spark`` put the same
Parquet, cast the same way, into the ``raw`` schema of a Postgres database
(COPY through psycopg2) or of the Spark catalog (a local pyspark session).
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import duckdb
import pandas as pd
from tqdm import tqdm

from retention import RetentionError
from retention._sql import (
    DEFAULT_DATABASE,
    ENV_DATABASE,
    RAW_SCHEMA,
    default_database,
    quote_ident,
    quote_literal,
)
from retention.contract import OPTIONAL_TABLES, RAW_TABLES, TABLE_NAMES

log = logging.getLogger(__name__)

SCHEMA = RAW_SCHEMA


def select_list(table: str, available: set[str] | None = None) -> str:
    """``cast(col as type) as col, ...`` in contract order.

    Columns not in ``available`` (when given) become NULLs of the contract type.
    """
    parts = []
    for column in RAW_TABLES[table]:
        source = (
            quote_ident(column.name) if available is None or column.name in available else "null"
        )
        parts.append(f"cast({source} as {column.sql_type}) as {quote_ident(column.name)}")
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


def parquet_sources(source_dir: Path) -> dict[str, str | None]:
    """``parquet_source`` of every raw table; None for an optional table
    (``OPTIONAL_TABLES``) without Parquet, which is loaded empty. A missing
    required table raises before anything is touched."""
    sources: dict[str, str | None] = {}
    for table in TABLE_NAMES:
        try:
            sources[table] = parquet_source(source_dir, table)
        except RetentionError:
            if table not in OPTIONAL_TABLES:
                raise
            sources[table] = None
    return sources


def _from_clause(source: str | None) -> str:
    """``from read_parquet(...)``, or an empty select for an absent optional table."""
    return "where false" if source is None else f"from read_parquet({quote_literal(source)})"


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
    """Replace the ``raw.*`` tables from Parquet files in ``source_dir``.

    Returns the row count per table. Raises ``RetentionError`` naming the table when the
    Parquet of a required table is missing (before the database is touched); an optional
    table without Parquet (``experiment_assignments``) is created empty.
    """
    source = Path(source_dir)
    database = Path(database_path) if database_path is not None else default_database()
    sources = parquet_sources(source)  # fail before touching the database
    counts: dict[str, int] = {}
    with _connect(database) as con:
        for table in tqdm(TABLE_NAMES, desc="load", unit="table", disable=not progress):
            columns = None if sources[table] is not None else set()
            con.execute(
                f"create or replace table {SCHEMA}.{table} as\nselect\n"
                f"    {select_list(table, columns)}\n{_from_clause(sources[table])}"
            )
            counts[table] = _count(con, table)
            log.info(
                "loaded %s.%s: %d rows from %s",
                SCHEMA,
                table,
                counts[table],
                sources[table] or "nothing (optional table without Parquet: created empty)",
            )
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


def engine_type(sql_type: str, engine: str) -> str:
    """The contract type as the engine spells it (Spark has ``string``, no bare ``varchar``)."""
    if engine == "spark" and sql_type == "varchar":
        return "string"
    return sql_type


def spark_casts(table: str) -> str:
    """The select list that casts raw ``table``'s contract columns to their Spark types."""
    return ", ".join(
        f"cast(`{c.name}` as {engine_type(c.sql_type, 'spark')}) as `{c.name}`"
        for c in RAW_TABLES[table]
    )


def _cast_arrow(source: str | None, table: str):  # -> pyarrow.Table
    """The Parquet of ``table`` read by DuckDB and cast to the contract types
    (no rows for an absent optional table)."""
    columns = None if source is not None else set()
    with duckdb.connect() as con:
        return con.sql(
            f"select\n    {select_list(table, columns)}\n{_from_clause(source)}"
        ).to_arrow_table()


def cast_parquet(source: str | None, table: str, folder: Path) -> Path:
    """The Parquet of ``table`` cast to the contract types by DuckDB, written to
    ``<folder>/<table>.parquet`` (no rows for an absent optional table). DuckDB streams
    it, so no table is ever held in memory: Spark reads the file itself."""
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{table}.parquet"
    columns = None if source is not None else set()
    with duckdb.connect() as con:
        con.execute("set timezone = 'UTC'")
        con.execute(
            f"copy (select\n    {select_list(table, columns)}\n{_from_clause(source)}) "
            f"to {quote_literal(str(out))} (format parquet)"
        )
    return out


def spark_cast_view(spark, source: str | None, table: str, view: str, folder: Path) -> None:
    """Register the temporary view ``view`` on Spark: the rows of ``table``'s Parquet with
    the loader's casts (``cast_parquet``, then ``spark_casts``). Keep ``folder`` until
    the view has been read."""
    path = cast_parquet(source, table, folder)
    spark.read.parquet(str(path)).createOrReplaceTempView(f"{view}_parquet")
    spark.sql(
        f"create or replace temporary view {view} as "
        f"select {spark_casts(table)} from {view}_parquet"
    )


def postgres_dsn() -> str:
    """A libpq DSN from the env vars of the ``postgres`` profile target."""
    parts = {
        "host": os.environ.get("RETENTION_PG_HOST", "127.0.0.1"),
        "port": os.environ.get("RETENTION_PG_PORT", "5432"),
        "user": os.environ.get("RETENTION_PG_USER", ""),
        "password": os.environ.get("RETENTION_PG_PASSWORD", ""),
        "dbname": os.environ.get("RETENTION_PG_DBNAME", "retention"),
    }
    return " ".join(f"{k}={quote_literal(v)}" for k, v in parts.items() if v)


def load_postgres(
    source_dir: str | Path, dsn: str | None = None, progress: bool = True
) -> dict[str, int]:
    """Replace the ``raw.*`` tables of a Postgres database from Parquet (COPY as CSV)."""
    import io

    import psycopg2
    import pyarrow.csv as pa_csv

    source = Path(source_dir)
    sources = parquet_sources(source)
    counts: dict[str, int] = {}
    with psycopg2.connect(dsn or postgres_dsn()) as con, con.cursor() as cur:
        cur.execute(f"create schema if not exists {SCHEMA}")
        for table in tqdm(TABLE_NAMES, desc="load", unit="table", disable=not progress):
            columns = ", ".join(
                f"{quote_ident(c.name)} {engine_type(c.sql_type, 'postgres')}"
                for c in RAW_TABLES[table]
            )
            cur.execute(f"drop table if exists {SCHEMA}.{table}")
            cur.execute(f"create table {SCHEMA}.{table} ({columns})")
            buffer = io.BytesIO()
            # Strings are always quoted, NULL is an unquoted empty field:
            # Postgres CSV COPY keeps '' and NULL apart.
            pa_csv.write_csv(_cast_arrow(sources[table], table), buffer)
            buffer.seek(0)
            cur.copy_expert(
                f"copy {SCHEMA}.{table} from stdin with (format csv, header true)", buffer
            )
            cur.execute(f"select count(*) from {SCHEMA}.{table}")
            counts[table] = int(cur.fetchone()[0])
            log.info("loaded %s.%s: %d rows into Postgres", SCHEMA, table, counts[table])
    return counts


def spark_session():  # -> pyspark.sql.SparkSession
    """A local Spark session configured like the ``spark`` target of profiles/profiles.yml."""
    from pyspark.sql import SparkSession

    metastore = os.environ.get("RETENTION_SPARK_METASTORE", "metastore_db")
    builder = (
        SparkSession.builder.enableHiveSupport()
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config(
            "spark.sql.warehouse.dir",
            os.environ.get("RETENTION_SPARK_WAREHOUSE", "spark-warehouse"),
        )
        .config(
            "spark.hadoop.javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={metastore};create=true",
        )
    )
    return builder.getOrCreate()


def load_spark(source_dir: str | Path, progress: bool = True) -> dict[str, int]:
    """Replace the ``raw.*`` tables of the Spark catalog (Parquet tables)."""
    source = Path(source_dir)
    sources = parquet_sources(source)
    spark = spark_session()
    counts: dict[str, int] = {}
    spark.sql(f"create database if not exists {SCHEMA}")
    with tempfile.TemporaryDirectory(prefix="retention-load-") as folder:
        for table in tqdm(TABLE_NAMES, desc="load", unit="table", disable=not progress):
            spark_cast_view(spark, sources[table], table, f"_retention_{table}", Path(folder))
            spark.sql(f"drop table if exists {SCHEMA}.{table}")
            spark.sql(
                f"create table {SCHEMA}.{table} using parquet as select * from _retention_{table}"
            )
            counts[table] = int(spark.table(f"{SCHEMA}.{table}").count())
            log.info("loaded %s.%s: %d rows into Spark", SCHEMA, table, counts[table])
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
    parser.add_argument(
        "--engine",
        choices=("duckdb", "postgres", "spark"),
        default="duckdb",
        help="where to load: DuckDB file (default), Postgres (RETENTION_PG_* env vars) or"
        " the local Spark catalog (RETENTION_SPARK_* env vars)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def run(args: argparse.Namespace) -> int:
    if args.engine == "postgres":
        counts = load_postgres(args.source, progress=not args.no_progress)
        log.info("loaded into Postgres: %s", ", ".join(f"raw.{t}={n}" for t, n in counts.items()))
        return 0
    if args.engine == "spark":
        counts = load_spark(args.source, progress=not args.no_progress)
        log.info("loaded into Spark: %s", ", ".join(f"raw.{t}={n}" for t, n in counts.items()))
        return 0
    database = args.database if args.database is not None else default_database()
    counts = load(args.source, database, progress=not args.no_progress)
    log.info("loaded into %s: %s", database, ", ".join(f"raw.{t}={n}" for t, n in counts.items()))
    return 0
