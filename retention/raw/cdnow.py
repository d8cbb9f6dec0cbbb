"""Load the CDNOW purchase files that ship inside the ``lifetimes`` package into the raw tables.

``CDNOW_sample.txt`` (6,919 purchases of 2,357 customers; columns customer id,
customer index, date yyyymmdd, CDs, dollar value) and ``CDNOW_master.txt``
(69,659 purchases of 23,570 customers, with a header; customer id, date, CDs,
dollar value), 1997-01-01 to 1998-06-30. Nothing of CDNOW is stored in this
repository: the files are read from the installed package.

Each purchase becomes a completed order at 00:00 UTC of its date with
order_amount = dollar value and a synthetic order_id; raw.customers holds the
customer ids (every attribute NULL, so the channel is ``unknown``); raw.events
and raw.marketing_spend are empty.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pandas as pd

from retention._sql import default_database
from retention.raw.load import load_frames

log = logging.getLogger(__name__)

FILES = {"sample": "CDNOW_sample.txt", "master": "CDNOW_master.txt"}
# The vars a CDNOW build needs (Fader, Hardie & Lee 2005: 39 calibration weeks).
DBT_VARS = {
    "as_of_date": "1998-06-30",
    "rfm_observation_end": "1997-09-30",
    "rfm_time_unit_days": 7,
}


def cdnow_path(which: str) -> Path:
    """Path of ``CDNOW_<which>.txt`` inside the installed ``lifetimes`` package."""
    import lifetimes

    if which not in FILES:
        raise ValueError(f"unknown CDNOW file {which!r}; expected one of {sorted(FILES)}")
    return Path(lifetimes.__file__).parent / "datasets" / FILES[which]


def read_cdnow(which: str = "sample") -> pd.DataFrame:
    """One row per purchase: customer_id (text, zero-padded), date, dollar value (text)."""
    path = cdnow_path(which)
    if which == "sample":
        names = ["customer_id", "customer_index", "date", "cds", "value"]
        frame = pd.read_csv(path, sep=r"\s+", header=None, names=names, dtype=str)
    else:
        frame = pd.read_csv(path, sep=r"\s+", header=0, dtype=str)
        frame.columns = ["customer_id", "date", "cds", "value"]
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    return frame[["customer_id", "date", "value"]]


def cdnow_raw(purchases: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The raw tables for CDNOW purchases (other raw tables are created empty by the loader)."""
    orders = pd.DataFrame(
        {
            "order_id": [f"CDNOW-{i:06d}" for i in range(1, len(purchases) + 1)],
            "customer_id": purchases["customer_id"].to_numpy(),
            "ordered_at": purchases["date"].to_numpy(),
            "status": "completed",
            # text, cast exactly to decimal(18,2) by the loader
            "order_amount": purchases["value"].astype(str).to_numpy(),
        }
    )
    customers = pd.DataFrame({"customer_id": sorted(purchases["customer_id"].unique())})
    return {"customers": customers, "orders": orders}


def load_cdnow(which: str, database_path: str | Path) -> dict[str, int]:
    """Replace the four raw tables of ``database_path`` with CDNOW ``which`` (sample|master)."""
    counts = load_frames(cdnow_raw(read_cdnow(which)), database_path)
    log.info("loaded %s into %s: %s", FILES[which], database_path, counts)
    return counts


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--file", choices=sorted(FILES), default="sample", help="which file, default %(default)s"
    )
    parser.add_argument(
        "--database", type=Path, default=None, help="DuckDB file, default $RETENTION_DUCKDB_PATH"
    )


def run(args: argparse.Namespace) -> int:
    database = args.database if args.database is not None else default_database()
    load_cdnow(args.file, database)
    return 0
