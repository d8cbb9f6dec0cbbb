"""A BI reader of the published marts, run as its own process by test_publish.py.

Until the stop file appears, it reads the publication over and over, as a BI
tool would, and writes one JSON line per read to the output file:

- ``duckdb``: open ``<published>/retention.duckdb`` read-only, read the
  publication's build id and declared row counts, count every table, and
  compute the cross-mart figures (customers, period-0 cohort sizes, new
  customers of churn), all in one read-only transaction, then close;
- ``parquet``: resolve ``<published>/current`` once, read its
  ``publication.json`` and the Parquet files of that version.

Errors are recorded, never raised: the test counts them.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import duckdb

PAUSE_SECONDS = 0.01


def figures(con: duckdb.DuckDBPyConnection, table: Any) -> dict[str, int]:
    """The cross-mart figures; ``table(name)`` is the SQL of a mart."""

    def one(sql: str) -> int:
        value = con.execute(sql).fetchone()[0]
        return int(value) if value is not None else -1

    return {
        "customers": one(f"select count(*) from {table('customers')}"),
        "cohort_size_period_0": one(
            f"select sum(cohort_size) from {table('cohort_retention')} where period_number = 0"
        ),
        "churn_new_customers": one(f"select sum(new_customers) from {table('churn')}"),
        "cohort_retention_rows": one(f"select count(*) from {table('cohort_retention')}"),
        "churn_rows": one(f"select count(*) from {table('churn')}"),
    }


def read_duckdb(database: Path) -> dict[str, Any]:
    with duckdb.connect(str(database), read_only=True) as con:
        con.execute("begin transaction")
        build_id = con.execute("select build_id from meta.publication").fetchall()
        declared = dict(
            con.execute("select table_name, row_count from meta.published_tables").fetchall()
        )
        actual = {
            name: con.execute(f'select count(*) from marts."{name}"').fetchone()[0]
            for name in declared
        }
        result = figures(con, lambda name: f'marts."{name}"')
        con.execute("commit")
    return {
        "build_ids": [row[0] for row in build_id],
        "declared": declared,
        "actual": actual,
        "figures": result,
    }


def read_parquet(published: Path) -> dict[str, Any]:
    version = Path(os.path.realpath(published / "current"))
    manifest = json.loads((version / "publication.json").read_text())
    declared = {t["table_name"]: t["row_count"] for t in manifest["tables"]}

    def path(name: str) -> str:
        return "read_parquet('" + str(version / "parquet" / f"{name}.parquet") + "')"

    with duckdb.connect() as con:
        actual = {
            name: con.execute(f"select count(*) from {path(name)}").fetchone()[0]
            for name in declared
        }
        result = figures(con, path)
    return {
        "build_ids": [manifest["build_id"]],
        "declared": declared,
        "actual": actual,
        "figures": result,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--published", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--stop", type=Path, required=True)
    args = parser.parse_args()
    with args.out.open("a") as out:
        while not args.stop.exists():
            for kind, read in (
                ("duckdb", lambda: read_duckdb(args.published / "retention.duckdb")),
                ("parquet", lambda: read_parquet(args.published)),
            ):
                started = time.time()
                try:
                    record = {"kind": kind, "ok": True, **read()}
                except Exception as error:  # every failure is a finding
                    message = f"{type(error).__name__}: {error}"
                    record = {"kind": kind, "ok": False, "error": message}
                record.update(started=started, ended=time.time())
                out.write(json.dumps(record) + "\n")
                out.flush()
            time.sleep(PAUSE_SECONDS)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
