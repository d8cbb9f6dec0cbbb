"""Two more configurations of the user's project in integration_tests/
(docs/package.md): a shop without events and marketing spend, and two
stores in one build. The first configuration (the demo data under the
user's own table names) is tests/package/test_package_mode.py.

- **No events, no spend** (``using_events: false``,
  ``using_marketing_spend: false``, and the two tables do not exist): the
  models that need them are disabled, and every other mart equals a
  standalone build where those tables are empty.
- **Two stores** (the var ``stores``): the demo shop split in two by
  customer, each half renumbered from 1 so that customer, order and event
  ids overlap between the stores, each in its own schema. Per customer, the
  marts equal the standalone build of that store alone; every mart, pooled
  ones included, equals a standalone build of the two halves unioned with
  ids written ``<store>:<id>``.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from support.dbt import dbt_output_tail, run_dbt_build
from support.package_project import (
    RAW_TABLES,
    USER_TABLE_NAMES,
    UserProject,
    copy_user_project,
    empty_raw_tables,
    move_raw_tables,
    package_marts,
    read,
)

from retention.reference.compare import compare_frames

CUSTOMERS = 800
STORES = ("north", "south")
# A fixed as_of_date: each store alone would otherwise derive its own.
AS_OF_DATE = "2026-06-30"
EVENT_MODELS = {
    "stg_events",
    "stg_events__triaged",
    "stg_events__quarantine",
    "int_customer_event_days",
    "int_customer_early_events",
    "int_nps_responses",
    "int_nps_month_spine",
    "activity_retention",
    "nps",
    "nps_retention",
}
SPEND_MODELS = {
    "stg_marketing_spend",
    "stg_marketing_spend__triaged",
    "stg_marketing_spend__quarantine",
}
# Marts with one row per customer (and period): equal, store by store, to
# the standalone build of that store alone.
PER_CUSTOMER_MARTS = ("customers", "customer_cohorts", "rfm_summary")
# Columns that rank a customer among all customers of the build (RFM
# quintiles, and the stage read from them): pooled over the stores.
POOLED_COLUMNS = (
    "rfm_recency_score",
    "rfm_frequency_score",
    "rfm_monetary_score",
    "lifecycle_stage",
)


def differences(package: pd.DataFrame, standalone: pd.DataFrame, label: str) -> list[str]:
    found = compare_frames(package, standalone, None, labels=("package", "standalone"))
    return [f"{label}: {line}" for line in found[:5]]


def build_user_project(work: Path, database: Path, vars_text: str) -> dict[str, Any]:
    user = UserProject(copy_user_project(work / "user_project", vars_text), database)
    deps_code, deps_output = user.dbt("deps")
    assert deps_code == 0, "dbt deps (local package) failed:\n" + deps_output[-3000:]
    started = time.monotonic()
    code, output = user.dbt("build")
    seconds = time.monotonic() - started
    nodes = len(user.manifest()["nodes"])
    print(f"[package] {work.name}: {nodes} nodes, dbt build {seconds:.0f} s, exit {code}")
    return {
        "user": user,
        "code": code,
        "output": output,
        "seconds": seconds,
        "nodes": nodes,
    }


def standalone_build(work: Path, database: Path, vars: dict[str, Any]) -> Path:
    folder = work / f"standalone_{database.stem}"
    folder.mkdir()
    code, output = run_dbt_build(database, vars, folder)
    assert code == 0, f"standalone build of {database.name} failed:\n" + dbt_output_tail(output)
    return database


# --- no events, no marketing spend -----------------------------------------------------


@pytest.fixture(scope="module")
def without_events_and_spend(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from retention.demo.generate import generate
    from retention.raw.load import load

    work = tmp_path_factory.mktemp("package_without_events_and_spend")
    generate(work / "raw", customers=CUSTOMERS, progress=False)
    standalone_db = work / "standalone.duckdb"
    load(work / "raw", standalone_db, progress=False)
    empty_raw_tables(standalone_db, ("events", "marketing_spend"))
    standalone_build(work, standalone_db, {})

    package_db = work / "package.duckdb"
    load(work / "raw", package_db, progress=False)
    move_raw_tables(package_db, ("customers", "orders", "experiment_assignments"))
    vars_text = "    using_events: false\n    using_marketing_spend: false\n"
    return {"standalone_db": standalone_db, **build_user_project(work, package_db, vars_text)}


def test_without_events_and_spend_the_models_that_need_them_are_disabled(
    without_events_and_spend,
) -> None:
    build = without_events_and_spend
    assert build["code"] == 0, dbt_output_tail(build["output"])
    user = build["user"]
    assert not (EVENT_MODELS | SPEND_MODELS) & set(user.package_models())
    assert user.disabled_package_nodes() >= (EVENT_MODELS | SPEND_MODELS)
    flat = " ".join(build["output"].split())
    assert "using_events is false: stg_events" in flat
    assert "using_marketing_spend is false: stg_marketing_spend" in flat


def test_without_events_and_spend_every_mart_equals_a_build_on_empty_tables(
    without_events_and_spend,
) -> None:
    build = without_events_and_spend
    assert build["code"] == 0, dbt_output_tail(build["output"])
    marts = package_marts(build["user"].package_models())
    assert {"customers", "churn", "channel_economics", "retention_scorecard"} <= {
        node["name"] for node in marts
    }
    problems = []
    for node in marts:
        package = read(build["user"].database_path, node["schema"], node["name"])
        standalone = read(build["standalone_db"], "marts", node["name"])
        problems += differences(package, standalone, node["name"])
    assert not problems, "\n".join(problems)


# --- two stores ------------------------------------------------------------------------


def split_into_stores(source_db: Path, work: Path) -> dict[str, Path]:
    """The demo shop in ``source_db`` split in two by customer (anonymous
    events by event id, spend lines by day): one DuckDB file per store whose
    raw tables number customers, orders and events from 1, so ids overlap
    between the stores."""
    files = {}
    for number, store in enumerate(STORES):
        path = work / f"{store}.duckdb"
        shutil.copy(source_db, path)
        with duckdb.connect(str(path)) as con:
            keep = f"abs(hash(trim(customer_id))) % 2 = {number}"
            con.execute(f"delete from raw.customers where not ({keep})")
            con.execute(f"delete from raw.orders where not ({keep})")
            con.execute(f"delete from raw.experiment_assignments where not ({keep})")
            con.execute(
                "delete from raw.events where not (case when nullif(trim(customer_id), '') is null"
                f" then abs(hash(event_id)) % 2 = {number} else {keep} end)"
            )
            con.execute(
                f"delete from raw.marketing_spend where not (day(spend_date) % 2 = {number})"
            )
            renumber(
                con, "customer_id", "C", ("customers", "orders", "events", "experiment_assignments")
            )
            renumber(con, "order_id", "O", ("orders",))
            renumber(con, "event_id", "E", ("events",))
        files[store] = path
    return files


def renumber(
    con: duckdb.DuckDBPyConnection, column: str, prefix: str, tables: tuple[str, ...]
) -> None:
    """Every id of ``column`` (trimmed; blank stays blank) becomes
    ``<prefix><n>``, n counting from 1 in id order, the same in every table."""
    ids = " union ".join(
        f"select distinct trim({column}) as old_id from raw.{table}"
        f" where nullif(trim({column}), '') is not null"
        for table in tables
    )
    con.execute(
        f"create temp table id_map as select old_id, '{prefix}' || lpad(cast(row_number()"
        f" over (order by old_id) as varchar), 6, '0') as new_id from ({ids})"
    )
    for table in tables:
        con.execute(
            f"update raw.{table} set {column} = id_map.new_id from id_map"
            f" where trim(raw.{table}.{column}) = id_map.old_id"
        )
    con.execute("drop table id_map")


def union_of_stores(files: dict[str, Path], path: Path) -> Path:
    """The stores' raw tables in one file, ids written ``<store>:<id>``."""
    shutil.copy(files[STORES[0]], path)
    with duckdb.connect(str(path)) as con:
        for table in RAW_TABLES:
            con.execute(f"delete from raw.{table}")
        for store, source in files.items():
            con.execute(f"attach '{source}' as {store} (read_only)")
            ids = {
                "customers": ["customer_id"],
                "orders": ["order_id", "customer_id"],
                "events": ["event_id", "customer_id"],
                "marketing_spend": [],
                "experiment_assignments": ["experiment_id", "customer_id"],
            }
            for table, columns in ids.items():
                names = [row[0] for row in con.execute(f"describe raw.{table}").fetchall()]
                select = ", ".join(
                    f"case when nullif(trim({name}), '') is null then {name}"
                    f" else '{store}:' || trim({name}) end"
                    if name in columns
                    else name
                    for name in names
                )
                con.execute(f"insert into raw.{table} select {select} from {store}.raw.{table}")
            con.execute(f"detach {store}")
    return path


def store_tables_into(files: dict[str, Path], path: Path) -> None:
    """Each store's raw tables into schema shop_<store> of ``path`` under the
    user's names; the file holds nothing else."""
    with duckdb.connect(str(path)) as con:
        for store, source in files.items():
            con.execute(f"attach '{source}' as {store} (read_only)")
            con.execute(f"create schema shop_{store}")
            for table in RAW_TABLES:
                con.execute(
                    f"create table shop_{store}.{USER_TABLE_NAMES[table]} as"
                    f" select * from {store}.raw.{table}"
                )
            con.execute(f"detach {store}")


@pytest.fixture(scope="module")
def two_stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from retention.demo.generate import generate
    from retention.raw.load import load

    work = tmp_path_factory.mktemp("package_two_stores")
    generate(work / "raw", customers=CUSTOMERS, progress=False, dirty_rows=False)
    demo_db = work / "demo.duckdb"
    load(work / "raw", demo_db, progress=False)
    files = split_into_stores(demo_db, work)
    union_db = union_of_stores(files, work / "union.duckdb")

    standalone_vars = {"as_of_date": AS_OF_DATE}
    standalone = {
        store: standalone_build(work, path, standalone_vars) for store, path in files.items()
    }
    standalone["union"] = standalone_build(work, union_db, standalone_vars)

    package_db = work / "package.duckdb"
    store_tables_into(files, package_db)
    stores = ", ".join(f"{{name: {store}, schema: shop_{store}}}" for store in STORES)
    vars_text = f"    python_models: true\n    as_of_date: '{AS_OF_DATE}'\n    stores: [{stores}]\n"
    return {"standalone": standalone, **build_user_project(work, package_db, vars_text)}


def without_store_prefix(frame: pd.DataFrame, store: str) -> pd.DataFrame:
    """The rows of one store, customer ids as the store has them."""
    rows = frame[frame["customer_id"].str.startswith(f"{store}:")].copy()
    rows["customer_id"] = rows["customer_id"].str.slice(len(store) + 1)
    return rows.reset_index(drop=True)


def test_two_stores_build(two_stores) -> None:
    assert two_stores["code"] == 0, dbt_output_tail(two_stores["output"])


def test_two_stores_every_mart_equals_a_build_of_the_stores_unioned(two_stores) -> None:
    assert two_stores["code"] == 0, "the two-store build failed"
    user = two_stores["user"]
    marts = package_marts(user.package_models())
    assert {"customers", "cohort_retention", "churn", "clv_model_params"} <= {
        n["name"] for n in marts
    }
    problems = []
    for node in marts:
        package = read(user.database_path, node["schema"], node["name"])
        standalone = read(two_stores["standalone"]["union"], "marts", node["name"])
        if "segment" in package.columns:
            # The store dimension is the one that differs: two stores here,
            # one (`default`) in the union build; its slices are checked
            # against each store alone below.
            package = package[package["segment"] != "store"]
            standalone = standalone[standalone["segment"] != "store"]
        if node["name"] == "customers":
            assert set(package["store"]) == set(STORES)
            expected_store = package["customer_id"].str.split(":").str[0]
            assert (package["store"] == expected_store).all()
            assert set(standalone["store"]) == {"default"}
            package = package.drop(columns="store")
            standalone = standalone.drop(columns="store")
        problems += differences(package, standalone, node["name"])
    assert not problems, "\n".join(problems)


def test_two_stores_per_customer_marts_equal_each_store_alone(two_stores) -> None:
    assert two_stores["code"] == 0, "the two-store build failed"
    user = two_stores["user"]
    models = user.package_models()
    problems = []
    overlapping = 0
    for name in PER_CUSTOMER_MARTS:
        package = read(user.database_path, models[name]["schema"], name)
        ids = {}
        for store in STORES:
            rows = without_store_prefix(package, store)
            alone = read(two_stores["standalone"][store], "marts", name)
            drop = [c for c in (*POOLED_COLUMNS, "store") if c in rows.columns]
            rows, alone = rows.drop(columns=drop), alone.drop(columns=drop)
            assert len(alone) > 0, f"{store} alone has no {name}"
            problems += differences(rows, alone, f"{name} of {store}")
            ids[store] = set(rows["customer_id"])
        overlapping = max(overlapping, len(ids[STORES[0]] & ids[STORES[1]]))
    assert not problems, "\n".join(problems)
    # The stores share customer ids: the same id is two customers.
    assert overlapping > 100, overlapping


def test_two_stores_store_segment_equals_each_store_alone(two_stores) -> None:
    """The `store` slice of the segment marts: each store's rows equal the
    unsegmented marts of that store built alone."""
    assert two_stores["code"] == 0, "the two-store build failed"
    user = two_stores["user"]
    models = user.package_models()
    problems = []
    for segmented, pooled in (
        ("cohort_retention_by_segment", "cohort_retention"),
        ("churn_by_segment", "churn"),
    ):
        package = read(user.database_path, models[segmented]["schema"], segmented)
        stores = package[package["segment"] == "store"]
        assert set(stores["segment_value"]) == set(STORES), segmented
        for store in STORES:
            rows = stores[stores["segment_value"] == store].drop(
                columns=["segment", "segment_value"]
            )
            alone = read(two_stores["standalone"][store], "marts", pooled)
            problems += differences(rows.reset_index(drop=True), alone, f"{segmented} of {store}")
    assert not problems, "\n".join(problems)
