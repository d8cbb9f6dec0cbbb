"""SQL quoting and the constants the loaders, the generator's next-day writer,
publish and the benchmark share (one home each)."""

from __future__ import annotations

import os
from pathlib import Path

# The schema of the raw tables (CONTRACT.md section 1; the dbt var raw_schema
# defaults to it).
RAW_SCHEMA = "raw"
# The DuckDB warehouse file: $RETENTION_DUCKDB_PATH (profiles/profiles.yml
# reads the same variable), else data/warehouse.duckdb under the working folder.
ENV_DATABASE = "RETENTION_DUCKDB_PATH"
DEFAULT_DATABASE = Path("data/warehouse.duckdb")


def quote_literal(text: str) -> str:
    """``text`` as a single-quoted SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    """``name`` as a double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def default_database() -> Path:
    """``$RETENTION_DUCKDB_PATH`` or ``data/warehouse.duckdb``."""
    return Path(os.environ.get(ENV_DATABASE) or DEFAULT_DATABASE)
