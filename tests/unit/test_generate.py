"""Tests of the demo-data generator and the raw loader (small sizes, fast)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from retention import RetentionError, cli
from retention.contract import TABLE_NAMES, arrow_schema, sql_types
from retention.demo.dirty import KINDS
from retention.demo.generate import generate
from retention.paths import project_dir
from retention.raw.load import load, load_frames

SMALL = 300
SEED = 42


@pytest.fixture(scope="module")
def small_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("raw_small")
    generate(out, customers=SMALL, seed=SEED, progress=False)
    return out


def _con(source: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for table in TABLE_NAMES:
        con.execute(
            f"create view {table} as select * from read_parquet('{source / (table + '.parquet')}')"
        )
    return con


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


def _tables(source: Path) -> dict[str, object]:
    return {t: pq.read_table(source / f"{t}.parquet") for t in TABLE_NAMES}


# --- determinism and size -----------------------------------------------------------------


def test_same_seed_gives_identical_parquet(small_data: Path, tmp_path: Path) -> None:
    generate(tmp_path, customers=SMALL, seed=SEED, progress=False)
    first, second = _tables(small_data), _tables(tmp_path)
    for table in TABLE_NAMES:
        assert first[table].equals(second[table]), table
    assert (small_data / "manifest.json").read_text() == (tmp_path / "manifest.json").read_text()


def test_different_seed_gives_different_data(small_data: Path, tmp_path: Path) -> None:
    generate(tmp_path, customers=SMALL, seed=SEED + 1, progress=False)
    first, second = _tables(small_data), _tables(tmp_path)
    for table in ("customers", "orders", "events"):
        assert not first[table].equals(second[table]), table


def _distinct_customers(source: Path) -> int:
    con = _con(source)
    return int(
        _scalar(
            con,
            """
        select count(distinct trim(customer_id)) from (
            select customer_id from customers union all select customer_id from orders
        ) where trim(customer_id) <> ''
    """,
        )
    )


def test_size_parameter_scales_customers(small_data: Path, tmp_path: Path) -> None:
    generate(tmp_path, customers=2 * SMALL, seed=SEED, progress=False)
    assert _distinct_customers(small_data) == SMALL
    assert _distinct_customers(tmp_path) == 2 * SMALL
    small_orders = pq.read_metadata(small_data / "orders.parquet").num_rows
    big_orders = pq.read_metadata(tmp_path / "orders.parquet").num_rows
    assert 1.4 * small_orders < big_orders < 2.8 * small_orders


def test_chunks_keep_ids_unique(tmp_path: Path) -> None:
    manifest = generate(tmp_path, customers=SMALL, seed=SEED, chunk_size=100, progress=False)
    assert manifest["rows"]["customers"] > SMALL * 0.9
    assert _distinct_customers(tmp_path) == SMALL
    con = _con(tmp_path)
    # clean copies of one order_id only differ by the injected "older version" rows
    assert (
        _scalar(
            con,
            """
        select count(*) from (
            select order_id from orders where trim(order_id) <> '' and updated_at is not null
            group by order_id, updated_at
            having count(distinct (customer_id, ordered_at, order_amount)) > 1
        )
    """,
        )
        == 0
    )


# --- contract ----------------------------------------------------------------------------------


def test_columns_and_types_match_contract(small_data: Path) -> None:
    for table in TABLE_NAMES:
        schema = pq.read_schema(small_data / f"{table}.parquet")
        assert schema.names == list(sql_types(table)), table
        assert schema.equals(arrow_schema(table), check_metadata=False), table
    orders = pq.read_schema(small_data / "orders.parquet")
    assert str(orders.field("order_amount").type) == "decimal128(18, 2)"
    assert str(orders.field("ordered_at").type) == "timestamp[us]"


def test_calendar_and_as_of_date(small_data: Path) -> None:
    con = _con(small_data)
    plausible = "between timestamp '1990-01-01' and timestamp '2099-12-31 23:59:59'"
    assert (
        str(_scalar(con, f"select max(ordered_at)::date from orders where ordered_at {plausible}"))
        == "2026-06-30"
    )
    assert (
        str(
            _scalar(con, f"select max(occurred_at)::date from events where occurred_at {plausible}")
        )
        == "2026-06-30"
    )
    assert (
        str(_scalar(con, f"select min(ordered_at)::date from orders where ordered_at {plausible}"))
        >= "2024-01-01"
    )
    # the last day stays 2026-06-30 in reporting time zones from UTC-11 to UTC+11
    assert (
        str(_scalar(con, f"select max(ordered_at) from orders where ordered_at {plausible}"))
        <= "2026-06-30 12:00:00"
    )
    assert (
        str(_scalar(con, f"select max(occurred_at) from events where occurred_at {plausible}"))
        <= "2026-06-30 12:00:00"
    )


def test_shop_behaviour(small_data: Path) -> None:
    con = _con(small_data)
    statuses = dict(con.execute("select status, count(*) from orders group by 1").fetchall())
    for status in ("completed", "cancelled", "pending", "refunded"):
        assert statuses.get(status, 0) > 0, status
    assert statuses["completed"] > 0.8 * sum(v for k, v in statuses.items())
    assert (
        _scalar(
            con,
            "select count(*) from orders"
            " where status = 'refunded' and refunded_amount <> order_amount",
        )
        == 0
    )
    assert (
        _scalar(
            con, "select count(*) from orders where status = 'completed' and refunded_amount > 0"
        )
        > 0
    )
    share_cost = float(_scalar(con, "select avg((cost_amount is not null)::int) from orders"))
    assert 0.75 < share_cost < 0.95
    assert (
        _scalar(
            con,
            "select count(*) from (select customer_id, ordered_at::date from orders"
            " where status = 'completed' group by all having count(*) > 1)",
        )
        > 0
    )
    assert (
        _scalar(
            con,
            """
        select count(*) from events
        where event_name = 'nps_response' and json_valid(properties)
          and try_cast(properties->>'score' as int) between 0 and 10
    """,
        )
        > 0
    )
    channels = {
        r[0] for r in con.execute("select distinct channel from marketing_spend").fetchall()
    }
    assert {"paid_search", "paid_social", "affiliate"} <= channels
    assert "organic" not in channels
    # signed-up-but-never-bought customers exist and still have events
    assert (
        _scalar(
            con,
            """
        select count(*) from customers c
        where not exists (select 1 from orders o where o.customer_id = c.customer_id)
          and exists (select 1 from events e where e.customer_id = c.customer_id)
    """,
        )
        > 0
    )


# --- dirty rows ---------------------------------------------------------------------------------

_ALL_COLUMNS = {t: ", ".join(sql_types(t)) for t in TABLE_NAMES}


def _dup(table: str) -> str:
    columns = _ALL_COLUMNS[table]
    return f"select count(*) from (select {columns} from {table} group by all having count(*) > 1)"


DIRTY_CHECKS: dict[str, dict[str, str]] = {
    "customers": {
        "blank_customer_id:null": "customer_id is null",
        "blank_customer_id:empty": "customer_id = ''",
        "blank_customer_id:whitespace": "customer_id <> '' and trim(customer_id) = ''",
        "customer_repeated_identically": _dup("customers"),
        "customer_repeated_with_changed_channel:older_updated_at": """select count(*) from (
            select customer_id from customers
            where updated_at is not null and trim(customer_id) <> ''
            group by 1
            having count(distinct acquisition_channel) > 1 and count(distinct updated_at) > 1)""",
        "customer_repeated_with_changed_channel:null_updated_at": """select count(*) from (
            select customer_id from customers where trim(customer_id) <> ''
            group by 1
            having count(*) filter (where updated_at is null) > 0 and count(updated_at) > 0)""",
        "oddly_cased_channel_or_country:channel": (
            "acquisition_channel <> lower(trim(acquisition_channel))"
            " and trim(acquisition_channel) <> ''"
        ),
        "oddly_cased_channel_or_country:channel_null": "acquisition_channel is null",
        "oddly_cased_channel_or_country:channel_blank": (
            "acquisition_channel is not null and trim(acquisition_channel) = ''"
        ),
        "oddly_cased_channel_or_country:country_lowercase": (
            "regexp_full_match(country_code, '[a-z]{2}')"
        ),
        "oddly_cased_channel_or_country:country_alpha3": "length(trim(country_code)) = 3",
        "oddly_cased_channel_or_country:country_invalid": "regexp_matches(country_code, '[0-9]')",
        "absurd_signed_up_at": "signed_up_at < timestamp '1990-01-01'",
        "orphan_order:customer_removed": """select count(*) from orders o
            where trim(o.customer_id) <> ''
            and not exists (select 1 from customers c where c.customer_id = o.customer_id)""",
    },
    "orders": {
        "blank_order_id:null": "order_id is null",
        "blank_order_id:empty": "order_id = ''",
        "blank_order_id:whitespace": "order_id <> '' and trim(order_id) = ''",
        "blank_customer_id_on_order:null": "customer_id is null",
        "blank_customer_id_on_order:blank": "trim(customer_id) = ''",
        "missing_ordered_at": "ordered_at is null",
        "absurd_ordered_at:1970": "ordered_at < timestamp '1990-01-01'",
        "absurd_ordered_at:2199": "ordered_at > timestamp '2099-12-31 23:59:59'",
        "missing_order_amount": "order_amount is null",
        "negative_order_amount:order_amount": "order_amount < 0",
        "negative_order_amount:refunded_amount": "refunded_amount < 0",
        "negative_order_amount:cost_amount": "cost_amount < 0",
        "refund_above_order_amount": "refunded_amount > order_amount",
        "oddly_cased_status:padded": "status <> trim(status) and lower(trim(status)) = 'completed'",
        "oddly_cased_status:upper": "status = 'COMPLETED'",
        "unknown_status:unknown": "lower(trim(status))"
        " not in ('completed', 'cancelled', 'pending', 'refunded', '')",
        "unknown_status:null": "status is null",
        "unknown_status:blank": "status is not null and trim(status) = ''",
        "order_repeated_identically": _dup("orders"),
        "order_repeated_with_other_payload:older_updated_at": """select count(*) from (
            select order_id from orders where updated_at is not null and trim(order_id) <> ''
            group by 1 having count(distinct status) > 1 and count(distinct updated_at) > 1)""",
        "order_repeated_with_other_payload:null_updated_at": """select count(*) from (
            select order_id from orders where trim(order_id) <> ''
            group by 1
            having count(*) filter (where updated_at is null) > 0 and count(updated_at) > 0)""",
        "orphan_order": """select count(*) from orders o
            where trim(o.customer_id) <> ''
            and not exists (select 1 from customers c where c.customer_id = o.customer_id)""",
        "order_at_utc_month_start": """day(ordered_at) = 1 and hour(ordered_at) between 1 and 4
            and ordered_at between timestamp '2024-01-01' and timestamp '2026-06-30 23:59:59'""",
    },
    "events": {
        "blank_event_id:null": "event_id is null",
        "blank_event_id:empty": "event_id = ''",
        "blank_event_id:whitespace": "event_id <> '' and trim(event_id) = ''",
        "duplicate_event_id:identical": _dup("events"),
        "duplicate_event_id:later_occurred_at": """select count(*) from (
            select event_id from events where trim(event_id) <> '' and occurred_at is not null
            group by 1 having count(distinct occurred_at) > 1)""",
        "anonymous_event:null": "customer_id is null",
        "anonymous_event:blank": "customer_id is not null and trim(customer_id) = ''",
        "missing_event_name": "event_name is null",
        "oddly_cased_event_name_or_platform:event_name": "event_name <> lower(trim(event_name))",
        "oddly_cased_event_name_or_platform:platform": "platform <> lower(trim(platform))",
        "missing_occurred_at": "occurred_at is null",
        "absurd_occurred_at:1970": "occurred_at < timestamp '1990-01-01'",
        "absurd_occurred_at:2199": "occurred_at > timestamp '2099-12-31 23:59:59'",
        "malformed_properties_json": "properties is not null and not json_valid(properties)",
        "nps_score_out_of_range": """event_name = 'nps_response' and json_valid(properties)
            and try_cast(properties->>'score' as int) not between 0 and 10""",
    },
    "marketing_spend": {
        "negative_or_incomplete_spend:negative_amount": "spend_amount < 0",
        "negative_or_incomplete_spend:null_amount": "spend_amount is null",
        "negative_or_incomplete_spend:null_channel": "channel is null",
        "negative_or_incomplete_spend:null_date": "spend_date is null",
        "spend_line_repeated_identically": _dup("marketing_spend"),
        "oddly_cased_spend_channel_or_campaign:channel": "channel <> lower(trim(channel))",
        "oddly_cased_spend_channel_or_campaign:blank_campaign": (
            "campaign is not null and trim(campaign) = ''"
        ),
    },
    "experiment_assignments": {
        "blank_assignment_field:experiment_id": "trim(experiment_id) = ''",
        "blank_assignment_field:customer_id": "customer_id is null",
        "blank_assignment_field:variant": "trim(variant) = ''",
        "blank_assignment_field:assigned_at": "assigned_at is null",
        "absurd_assigned_at:1970": "assigned_at < timestamp '1990-01-01'",
        "absurd_assigned_at:2199": "assigned_at > timestamp '2099-12-31 23:59:59'",
        "oddly_cased_variant": "variant <> lower(trim(variant))",
        "padded_assignment_id": "experiment_id <> trim(experiment_id)"
        " and customer_id <> trim(customer_id)",
        "assignment_repeated_identically": _dup("experiment_assignments"),
        "assignment_repeated_later": """select count(*) from (
            select experiment_id, customer_id, variant from experiment_assignments
            where assigned_at < timestamp '2026-07-01' group by all
            having count(distinct assigned_at) > 1)""",
        "customer_in_two_variants": """select count(*) from (
            select experiment_id, customer_id from experiment_assignments
            where trim(variant) <> '' group by all
            having count(distinct lower(trim(variant))) > 1)""",
        "assignment_after_as_of_date": "assigned_at between timestamp '2026-07-01'"
        " and timestamp '2099-12-31'",
        "assignment_of_unknown_customer": """select count(*) from experiment_assignments a
            where trim(a.customer_id) <> '' and not exists
            (select 1 from customers c where trim(c.customer_id) = trim(a.customer_id))""",
    },
}


def test_every_dirty_kind_has_a_check() -> None:
    for table in TABLE_NAMES:
        assert set(DIRTY_CHECKS[table]) == set(KINDS[table]), table


@pytest.mark.parametrize(("table", "kind"), [(t, k) for t in TABLE_NAMES for k in KINDS[t]])
def test_dirty_kind_present(small_data: Path, table: str, kind: str) -> None:
    check = DIRTY_CHECKS[table][kind]
    sql = (
        check
        if check.lstrip().lower().startswith("select")
        else f"select count(*) from {table} where {check}"
    )
    assert int(_scalar(_con(small_data), sql)) >= 1, f"{table}: no {kind} rows"
    manifest = json.loads((small_data / "manifest.json").read_text())
    assert manifest["dirty_rows"][table][kind] >= 1


def test_dirty_rows_are_a_small_share(tmp_path: Path) -> None:
    manifest = generate(tmp_path, customers=3000, seed=7, progress=False)
    for table in TABLE_NAMES:
        injected = sum(
            v
            for k, v in manifest["dirty_rows"][table].items()
            if k not in ("order_at_utc_month_start", "orphan_order")
        )
        assert injected / manifest["rows"][table] < 0.05, table


def test_no_ambiguous_version_ties(small_data: Path) -> None:
    con = _con(small_data)
    for table, key, version in (
        ("customers", "customer_id", "updated_at"),
        ("orders", "order_id", "updated_at"),
    ):
        ties = _scalar(
            con,
            f"""
            select count(*) from (
                select {key}, {version} from (select distinct * from {table})
                where trim({key}) <> '' group by all having count(*) > 1)
        """,
        )
        assert ties == 0, table


# --- loader ---------------------------------------------------------------------------------------


def test_loader_creates_tables_with_contract_types(small_data: Path, tmp_path: Path) -> None:
    database = tmp_path / "nested" / "deeper" / "warehouse.duckdb"
    assert not database.parent.exists()
    counts = load(small_data, database, progress=False)
    assert database.is_file()
    with duckdb.connect(str(database), read_only=True) as con:
        for table in TABLE_NAMES:
            described = {r[0]: r[1] for r in con.execute(f"describe raw.{table}").fetchall()}
            assert list(described) == list(sql_types(table)), table
            expected = {c: t.upper() for c, t in sql_types(table).items()}
            assert described == expected, table
            parquet_rows = pq.read_metadata(small_data / f"{table}.parquet").num_rows
            assert (
                _scalar(con, f"select count(*) from raw.{table}") == parquet_rows == counts[table]
            )


def test_loader_replaces_tables_on_rerun(small_data: Path, tmp_path: Path) -> None:
    database = tmp_path / "w.duckdb"
    first = load(small_data, database, progress=False)
    second = load(small_data, database, progress=False)
    assert first == second
    other = tmp_path / "other"
    generate(other, customers=50, seed=1, progress=False)
    third = load(other, database, progress=False)
    with duckdb.connect(str(database), read_only=True) as con:
        assert _scalar(con, "select count(*) from raw.orders") == third["orders"] < first["orders"]


def test_loader_reads_part_file_folders(small_data: Path, tmp_path: Path) -> None:
    for table in TABLE_NAMES:
        (tmp_path / table).mkdir()
        data = pq.read_table(small_data / f"{table}.parquet")
        half = data.num_rows // 2
        pq.write_table(data.slice(0, half), tmp_path / table / "part-0.parquet")
        pq.write_table(data.slice(half), tmp_path / table / "part-1.parquet")
    counts = load(tmp_path, tmp_path / "w.duckdb", progress=False)
    assert counts == {
        t: pq.read_metadata(small_data / f"{t}.parquet").num_rows for t in TABLE_NAMES
    }


def test_missing_parquet_names_the_table(small_data: Path, tmp_path: Path) -> None:
    for table in ("customers", "orders", "events"):
        (tmp_path / f"{table}.parquet").write_bytes((small_data / f"{table}.parquet").read_bytes())
    with pytest.raises(RetentionError, match="marketing_spend"):
        load(tmp_path, tmp_path / "w.duckdb", progress=False)
    assert not (tmp_path / "w.duckdb").exists()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "retention",
            "load",
            "--source",
            str(tmp_path),
            "--database",
            str(tmp_path / "w.duckdb"),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=project_dir(),
    )
    assert result.returncode == 2
    assert "marketing_spend" in result.stderr and "Traceback" not in result.stderr


def test_an_absent_optional_parquet_loads_as_an_empty_table(
    small_data: Path, tmp_path: Path
) -> None:
    """raw.experiment_assignments is optional (CONTRACT.md section 5): without its
    Parquet the loader creates it empty with the contract's columns."""
    for table in ("customers", "orders", "events", "marketing_spend"):
        (tmp_path / f"{table}.parquet").write_bytes((small_data / f"{table}.parquet").read_bytes())
    counts = load(tmp_path, tmp_path / "w.duckdb", progress=False)
    assert counts["experiment_assignments"] == 0 and counts["orders"] > 0
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        described = {
            r[0]: r[1] for r in con.execute("describe raw.experiment_assignments").fetchall()
        }
    assert described == {c: t.upper() for c, t in sql_types("experiment_assignments").items()}


def test_cli_generate_and_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "raw"
    database = tmp_path / "env" / "warehouse.duckdb"
    monkeypatch.setenv("RETENTION_DUCKDB_PATH", str(database))
    assert (
        cli.main(
            ["generate", "--customers", "60", "--seed", "3", "--out", str(out), "--no-progress"]
        )
        == 0
    )
    assert cli.main(["load", "--source", str(out), "--no-progress"]) == 0
    with duckdb.connect(str(database), read_only=True) as con:
        assert (
            _scalar(con, "select count(*) from raw.customers")
            == pq.read_metadata(out / "customers.parquet").num_rows
        )


def test_load_frames_casts_and_fills_missing(tmp_path: Path) -> None:
    database = tmp_path / "frames" / "w.duckdb"
    orders = pd.DataFrame(
        {
            "order_id": ["o1", "o2"],
            "customer_id": ["c1", None],
            "ordered_at": ["2025-01-31 02:00:00", "2025-02-01 10:00:00"],
            "status": [" Completed ", "refunded"],
            "order_amount": [10.5, 20],
        }
    )
    customers = pd.DataFrame({"customer_id": ["c1"], "acquisition_channel": ["email"]})
    counts = load_frames({"orders": orders, "customers": customers}, database)
    assert counts == {
        "customers": 1,
        "orders": 2,
        "events": 0,
        "marketing_spend": 0,
        "experiment_assignments": 0,
    }
    with duckdb.connect(str(database), read_only=True) as con:
        for table in TABLE_NAMES:
            described = {r[0]: r[1] for r in con.execute(f"describe raw.{table}").fetchall()}
            assert described == {c: t.upper() for c, t in sql_types(table).items()}, table
        assert _scalar(con, "select sum(order_amount) from raw.orders") == pytest.approx(30.5)
        assert (
            _scalar(
                con,
                "select count(*) from raw.orders where cost_amount is null and updated_at is null",
            )
            == 2
        )
    with pytest.raises(ValueError, match="unknown columns"):
        load_frames({"orders": orders.assign(oops=1)}, database)
    with pytest.raises(ValueError, match="unknown raw tables"):
        load_frames({"order": orders}, database)
