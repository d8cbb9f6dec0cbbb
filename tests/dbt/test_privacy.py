"""Emails are hashed in staging and never reach a mart.

After the demo build: stg_customers.email_hash is the SHA-256 of
lower(trim(email)) (computed here with hashlib), and no column of any table in
the marts schema holds a raw email, a normalized email or its hash, nor is
named like an email. The scan is shown to fail on a planted leak.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from support.dbt import DbtBuild


@pytest.fixture(scope="module")
def demo(dbt_build) -> DbtBuild:
    build = dbt_build("demo", {})
    if not build.ok:
        pytest.fail(f"{build.describe()} failed:\n{build.tail()}")
    return build


def pii_needles(build: DbtBuild) -> set[str]:
    """Every raw email as written, normalized, and the SHA-256 of the normalized one."""
    needles: set[str] = set()
    for email in build.raw["customers"]["email"].dropna():
        normalized = email.strip().lower()
        if not normalized:
            continue
        needles |= {email, email.strip(), normalized}
        needles.add(hashlib.sha256(normalized.encode()).hexdigest())
    return needles


def leaks_in_schema(database: Path, schema: str, needles: set[str]) -> list[str]:
    """Columns of ``schema`` named like an email or holding any needle."""
    found: list[str] = []
    with duckdb.connect(str(database), read_only=True) as connection:
        columns = connection.execute(
            "select table_name, column_name from information_schema.columns"
            " where table_schema = ? order by 1, 2",
            [schema],
        ).fetchall()
        assert columns, f"no table in schema {schema}"
        connection.execute("create temp table needles (value varchar)")
        connection.executemany("insert into needles values (?)", [[n] for n in needles])
        for table, column in columns:
            if re.search(r"e_?mail", column, re.IGNORECASE):
                found.append(f"{schema}.{table}.{column}: named like an email")
                continue
            hits = connection.execute(
                f'select count(*) from {schema}."{table}" as t join needles'
                f' on lower(trim(cast(t."{column}" as varchar))) = needles.value'
            ).fetchone()[0]
            if hits:
                found.append(f"{schema}.{table}.{column}: {hits} values are emails or hashes")
    return found


def test_staging_hashes_emails(demo: DbtBuild) -> None:
    raw = demo.raw["customers"]
    with duckdb.connect(str(demo.database_path), read_only=True) as connection:
        staged = dict(
            connection.execute(
                "select customer_id, email_hash from staging.stg_customers"
            ).fetchall()
        )
        columns = {
            r[0]
            for r in connection.execute(
                "select column_name from information_schema.columns"
                " where table_schema = 'staging' and table_name = 'stg_customers'"
            ).fetchall()
        }
    assert "email" not in columns
    checked = blanks = 0
    ids = raw["customer_id"].str.strip()
    copies = ids.value_counts()
    for customer_id, email in zip(ids, raw["email"], strict=True):
        # only customers with a single raw row (no version ambiguity)
        if customer_id not in staged or copies[customer_id] != 1:
            continue
        normalized = email.strip().lower() if isinstance(email, str) else ""
        expected = hashlib.sha256(normalized.encode()).hexdigest() if normalized else None
        assert staged[customer_id] == expected, customer_id
        checked += 1
        blanks += expected is None
    assert checked > 1000 and blanks > 0, (checked, blanks)


def test_no_mart_holds_an_email_or_its_hash(demo: DbtBuild) -> None:
    needles = pii_needles(demo)
    assert len(needles) > 1000
    assert leaks_in_schema(demo.database_path, "marts", needles) == []


def test_the_scan_finds_a_planted_leak(demo: DbtBuild, tmp_path: Path) -> None:
    copy = tmp_path / "leaky.duckdb"
    shutil.copyfile(demo.database_path, copy)
    with duckdb.connect(str(copy)) as connection:
        connection.execute(
            "create table marts.leaky as select customer_id, email_hash as customer_key"
            " from staging.stg_customers"
        )
        connection.execute("create table marts.named as select 1 as customer_email")
    needles = pii_needles(demo)
    leaks = leaks_in_schema(copy, "marts", needles)
    assert any(leak.startswith("marts.leaky.customer_key:") for leak in leaks), leaks
    assert any(leak.startswith("marts.named.customer_email:") for leak in leaks), leaks
    # The staging schema does hold the hashes: the needles are the right ones.
    assert any("email_hash" in leak for leak in leaks_in_schema(copy, "staging", needles))
