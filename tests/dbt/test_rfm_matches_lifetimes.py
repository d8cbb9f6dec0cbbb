"""marts.rfm_summary returns the numbers of the ``lifetimes`` package.

CONTRACT.md promises that rfm_summary holds "the same numbers that the
``lifetimes`` package's ``summary_data_from_transaction_data(..., freq='D',
freq_multiplier=rfm_time_unit_days, monetary_value=net revenue)`` returns", and
METRICS.md that on the CDNOW sample shipped inside ``lifetimes`` (2,357
customers, observation end 1997-09-30, weeks) the sum of frequency is 2,457.

(a) CDNOW: lifetimes' own summary is checked against the published figures,
    then the sample becomes raw tables (one completed order per row), dbt
    builds the project on it, and marts.rfm_summary must equal lifetimes for
    every customer. The pandas reference (retention/reference/) is held
    to the same standard without dbt.
(b) Demo data: lifetimes runs on the purchases of the reference staging
    (order_date, net revenue, customer) and is compared with marts.rfm_summary
    of two builds: the default vars (observation end = as_of_date, days; the
    build other tests share) and weeks with an earlier observation end.

Frequencies compare exactly, recency / t / monetary_value within 1e-9.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import lifetimes
import pandas as pd
import pytest
from lifetimes.utils import summary_data_from_transaction_data
from support.dbt import run_dbt_build
from support.edge_cases import CUSTOMER_COLUMNS, EVENT_COLUMNS, SPEND_COLUMNS
from support.marts import BENCHMARKS, DEMO_RFM_VARS

from retention.reference import MICROS_PER_UNIT, compute_marts, compute_value_marts
from retention.reference.compare import compare_frames

CDNOW_SAMPLE = Path(lifetimes.__file__).parent / "datasets" / "CDNOW_sample.txt"
CDNOW_END = "1997-09-30"
CDNOW_VARS = {"as_of_date": "1998-06-30", "rfm_observation_end": CDNOW_END, "rfm_time_unit_days": 7}
CDNOW_CUSTOMERS = 2357
CDNOW_FREQUENCY_SUM = 2457  # Fader, Hardie & Lee (2005), METRICS.md

RFM_COLUMNS = ["customer_id", "frequency", "recency", "t", "monetary_value"]


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------


def read_cdnow() -> pd.DataFrame:
    """CDNOW_sample.txt: customer id, customer index, date yyyymmdd, number of
    CDs, dollar value (whitespace separated). Values stay text (exact)."""
    frame = pd.read_csv(
        CDNOW_SAMPLE,
        sep=r"\s+",
        header=None,
        names=["customer_id", "customer_index", "date", "cds", "value"],
        dtype=str,
    )
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    return frame


def lifetimes_summary(
    transactions: pd.DataFrame, observation_end: Any, unit_days: int
) -> pd.DataFrame:
    """lifetimes' summary (customer_id, date, value columns), as in CONTRACT.md."""
    summary = summary_data_from_transaction_data(
        transactions,
        "customer_id",
        "date",
        monetary_value_col="value",
        observation_period_end=observation_end,
        freq="D",
        freq_multiplier=unit_days,
    )
    summary.index = summary.index.astype(str)
    return summary


def cdnow_raw(cdnow: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """CDNOW as raw tables: one completed order per row at 00:00 UTC, amount =
    dollar value, no refund or cost; the other raw tables empty."""

    def empty(columns: list[str]) -> pd.DataFrame:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})

    orders = pd.DataFrame(
        {
            "order_id": [f"CDNOW-{i:05d}" for i in range(1, len(cdnow) + 1)],
            "customer_id": cdnow["customer_id"],
            "ordered_at": cdnow["date"],
            "status": "completed",
            "order_amount": [Decimal(v) for v in cdnow["value"]],
            "refunded_amount": None,
            "cost_amount": None,
            "updated_at": pd.NaT,
        }
    )
    return {
        "customers": empty(CUSTOMER_COLUMNS),
        "orders": orders,
        "events": empty(EVENT_COLUMNS),
        "marketing_spend": empty(SPEND_COLUMNS),
    }


# --------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------


def rfm_differences(actual: pd.DataFrame, expected: pd.DataFrame) -> list[str]:
    """Where ``actual`` (rfm_summary columns) departs from lifetimes' summary
    (index customer_id; frequency, recency, T, monetary_value), with the
    project's one comparison (retention/reference/compare.py)."""
    theirs = expected.rename(columns={"T": "t"}).rename_axis("customer_id").reset_index()
    theirs["customer_id"] = theirs["customer_id"].astype(str)
    mine = actual.assign(customer_id=actual["customer_id"].astype(str))
    return compare_frames(
        mine, theirs, ["customer_id"], labels=("rfm_summary", "lifetimes"), columns=RFM_COLUMNS
    )


def read_rfm_summary(database_path: Path) -> pd.DataFrame:
    with duckdb.connect(str(database_path), read_only=True) as connection:
        schemas = [
            row[0]
            for row in connection.execute(
                "select table_schema from information_schema.tables"
                " where table_name = 'rfm_summary'"
            ).fetchall()
        ]
        if not schemas:
            pytest.fail(f"marts.rfm_summary does not exist in {database_path}")
        schema = "marts" if "marts" in schemas else sorted(schemas)[0]
        return connection.sql(f'select * from "{schema}".rfm_summary').df()


# --------------------------------------------------------------------------
# (a) CDNOW
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return read_cdnow()


@pytest.fixture(scope="module")
def cdnow_expected(cdnow) -> pd.DataFrame:
    transactions = cdnow.assign(value=cdnow["value"].astype(float))
    return lifetimes_summary(transactions, CDNOW_END, 7)


@pytest.fixture(scope="module")
def cdnow_build(cdnow, tmp_path_factory):
    """dbt build on the CDNOW raw tables (database path, exit code, output)."""
    from retention.raw.load import load_frames

    work_dir = tmp_path_factory.mktemp("dbt_cdnow")
    database = work_dir / "warehouse.duckdb"
    load_frames(cdnow_raw(cdnow), database)
    code, output = run_dbt_build(database, CDNOW_VARS, work_dir)
    if code != 0:
        # A failing data test skips downstream models: build the models alone
        # so that the comparison can still run (the first test reports this).
        models_code, models_output = run_dbt_build(
            database,
            CDNOW_VARS,
            work_dir,
            ("--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"),
        )
        output += f"\n[models-only build exited {models_code}]\n" + models_output[-3000:]
    return database, code, output


def test_lifetimes_reproduces_the_published_cdnow_summary(cdnow_expected):
    assert len(cdnow_expected) == CDNOW_CUSTOMERS
    assert cdnow_expected["frequency"].sum() == CDNOW_FREQUENCY_SUM
    # Customer 00004: purchase days 1997-01-01, 01-18, 08-02 (12-12 is after
    # the end): frequency 2, recency 213 / 7, T 272 / 7, monetary (29.73 +
    # 14.96) / 2 = 22.345.
    row = cdnow_expected.loc["00004"]
    assert row["frequency"] == 2
    assert row["recency"] == pytest.approx(213 / 7)
    assert row["T"] == pytest.approx(272 / 7)
    assert row["monetary_value"] == pytest.approx(22.345)


def test_reference_rfm_summary_matches_lifetimes_on_cdnow(cdnow, cdnow_expected):
    marts = compute_value_marts(cdnow_raw(cdnow), CDNOW_VARS, benchmarks=BENCHMARKS)
    reference = marts["rfm_summary"]
    assert rfm_differences(reference, cdnow_expected) == []
    assert reference["frequency"].sum() == CDNOW_FREQUENCY_SUM
    assert set(reference["observation_end"]) == {pd.Timestamp(CDNOW_END)}
    assert set(reference["time_unit_days"]) == {7}


def test_dbt_build_on_cdnow_succeeds(cdnow_build):
    _, code, output = cdnow_build
    assert code == 0, (
        f"dbt build on CDNOW with --vars {CDNOW_VARS} exited {code}:\n{output[-4000:]}"
    )


def test_dbt_rfm_summary_matches_lifetimes_on_cdnow(cdnow_build, cdnow_expected):
    database, _, _ = cdnow_build
    actual = read_rfm_summary(database)
    problems = rfm_differences(actual, cdnow_expected)
    assert problems == [], "marts.rfm_summary differs from lifetimes on CDNOW:\n" + "\n".join(
        problems
    )
    assert int(actual["frequency"].sum()) == CDNOW_FREQUENCY_SUM
    assert {str(pd.Timestamp(v).date()) for v in actual["observation_end"]} == {CDNOW_END}
    assert {int(v) for v in actual["time_unit_days"]} == {7}


# --------------------------------------------------------------------------
# (b) Demo data
# --------------------------------------------------------------------------

DEMO_CASES = [
    pytest.param({}, None, 1, id="demo-days-as-of"),
    pytest.param(
        DEMO_RFM_VARS,
        DEMO_RFM_VARS["rfm_observation_end"],
        DEMO_RFM_VARS["rfm_time_unit_days"],
        id="demo-weeks-earlier-end",
    ),
]


def demo_purchases(raw: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.Timestamp]:
    """The reference staging's purchases (METRICS.md "Purchase", up to
    as_of_date) as lifetimes transactions, and the as_of_date."""
    marts = compute_marts(raw, {})
    purchases = marts["purchases"]
    transactions = pd.DataFrame(
        {
            "customer_id": purchases["customer_id"].astype(str),
            "date": purchases["order_date"],
            "value": purchases["net_revenue_micros"].astype("int64") / MICROS_PER_UNIT,
        }
    )
    return transactions, pd.Timestamp(marts["run"]["as_of_date"].iloc[0])


@pytest.mark.parametrize(("vars", "observation_end", "unit_days"), DEMO_CASES)
def test_dbt_rfm_summary_matches_lifetimes_on_demo(dbt_build, vars, observation_end, unit_days):
    build = dbt_build("demo", vars)
    transactions, as_of = demo_purchases(build.raw)
    end = pd.Timestamp(observation_end) if observation_end else as_of
    expected = lifetimes_summary(transactions, end, unit_days)
    actual = read_rfm_summary(build.database_path)
    problems = rfm_differences(actual, expected)
    assert problems == [], (
        f"marts.rfm_summary differs from lifetimes ({build.describe()}):\n"
        + "\n".join(problems)
        + ("" if build.ok else f"\n(the full build failed:)\n{build.tail()}")
    )
    assert {pd.Timestamp(v) for v in actual["observation_end"]} == {end}
    assert {int(v) for v in actual["time_unit_days"]} == {unit_days}


@pytest.fixture(scope="module")
def demo_raw(demo_raw_dir, tmp_path_factory) -> dict[str, pd.DataFrame]:
    """The demo raw tables as dbt sees them (loaded with the contract casts)."""
    from retention.raw.load import load
    from retention.reference import read_raw

    database = tmp_path_factory.mktemp("demo_rfm_reference") / "warehouse.duckdb"
    load(demo_raw_dir, database, progress=False)
    return read_raw(database)


@pytest.mark.parametrize(("vars", "observation_end", "unit_days"), DEMO_CASES)
def test_reference_rfm_summary_matches_lifetimes_on_demo(
    demo_raw, vars, observation_end, unit_days
):
    """The reference alone (no dbt): the same check on the same raw tables."""
    transactions, as_of = demo_purchases(demo_raw)
    end = pd.Timestamp(observation_end) if observation_end else as_of
    expected = lifetimes_summary(transactions, end, unit_days)
    reference = compute_value_marts(demo_raw, vars, benchmarks=BENCHMARKS)["rfm_summary"]
    assert rfm_differences(reference, expected) == []
    assert len(reference) == len(expected) > 0
