"""Deterministic demo-data generator: writes the four raw tables as Parquet.

Same ``seed``, ``customers`` and ``chunk_size`` give identical rows in identical
order. Customers are simulated in chunks of ``chunk_size`` (each with its own
random stream, ``SeedSequence(seed, spawn_key=(0, chunk))``) and appended to the
Parquet files, so memory stays bounded at any size.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from retention import dirty, shop
from retention.schema import TABLE_NAMES, arrow_schema
from retention.simulate import simulate_chunk
from retention.spend import marketing_spend

log = logging.getLogger(__name__)

HELP = "write deterministic demo raw tables (Parquet)"
DEFAULT_CUSTOMERS = 5000
DEFAULT_SEED = 42
DEFAULT_CHUNK_SIZE = 25_000
MANIFEST = "manifest.json"


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def generate(
    out_dir: str | Path,
    customers: int = DEFAULT_CUSTOMERS,
    seed: int = DEFAULT_SEED,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: bool = True,
    dirty_rows: bool = True,
) -> dict[str, Any]:
    """Write ``<out_dir>/<table>.parquet`` for the four raw tables plus ``manifest.json``.

    ``dirty_rows=False`` skips the injection of dirty rows (retention/dirty.py): the
    same simulated shop, every row valid. Returns the manifest: parameters, row
    counts and dirty-row counts per table and kind.
    """
    if seed < 0:
        raise ValueError("seed must be a non-negative integer")
    if customers < 1:
        raise ValueError("customers must be at least 1")
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows: Counter[str] = Counter()
    dirty_counts: dict[str, Counter[str]] = {t: Counter() for t in TABLE_NAMES}
    partial = {t: out / f".{t}.parquet.partial" for t in TABLE_NAMES}
    writers = {
        t: pq.ParquetWriter(partial[t], arrow_schema(t), compression="zstd") for t in TABLE_NAMES
    }
    try:
        spend = marketing_spend(_rng(seed, 1, 0), customers)
        counts: Counter[str] = Counter()
        if dirty_rows:
            spend, counts = dirty.dirty_spend(_rng(seed, 1, 1), spend)
        _write(writers, rows, "marketing_spend", spend)
        dirty_counts["marketing_spend"].update(counts)
        starts = range(0, customers, chunk_size)
        for chunk_index, first in enumerate(
            tqdm(starts, desc="generate", unit="chunk", disable=not progress)
        ):
            n = min(chunk_size, customers - first)
            chunk = simulate_chunk(_rng(seed, 0, chunk_index), chunk_index, first, n)
            if not dirty_rows:
                for table, data in (
                    ("customers", chunk.customers),
                    ("orders", chunk.orders),
                    ("events", chunk.events),
                ):
                    _write(writers, rows, table, data)
                continue
            drng = _rng(seed, 2, chunk_index)
            customers_t, orphans, c_counts = dirty.dirty_customers(drng, chunk)
            orphan_ids = chunk.customers.column("customer_id").take(
                pa.array(orphans, type=pa.int64())
            )
            orders_t, o_counts = dirty.dirty_orders(
                drng, chunk, chunk_index, orphan_ids.combine_chunks()
            )
            events_t, e_counts = dirty.dirty_events(drng, chunk, chunk_index)
            for table, data, counts in (
                ("customers", customers_t, c_counts),
                ("orders", orders_t, o_counts),
                ("events", events_t, e_counts),
            ):
                _write(writers, rows, table, data)
                dirty_counts[table].update(counts)
    except BaseException:
        for writer in writers.values():
            writer.close()
        for path in partial.values():
            path.unlink(missing_ok=True)
        raise
    for table, writer in writers.items():
        writer.close()
        os.replace(partial[table], out / f"{table}.parquet")
    manifest: dict[str, Any] = {
        "generator": "retention.generate",
        "seed": seed,
        "customers": customers,
        "chunk_size": chunk_size,
        "dirty_rows_injected": dirty_rows,
        "calendar": {
            "start": str(shop.START),
            "end": str(shop.END),
            "expected_as_of_date": str(shop.END),
        },
        "rows": {t: rows[t] for t in TABLE_NAMES},
        "dirty_rows": {
            t: {kind: dirty_counts[t][kind] for kind in dirty.KINDS[t]} for t in TABLE_NAMES
        },
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    for table in TABLE_NAMES:
        log.info(
            "wrote %s: %d rows (%d dirty-kind rows)",
            out / f"{table}.parquet",
            rows[table],
            sum(dirty_counts[table].values()),
        )
    return manifest


def _write(
    writers: dict[str, pq.ParquetWriter], rows: Counter[str], table: str, data: pa.Table
) -> None:
    writers[table].write_table(data.cast(arrow_schema(table)), row_group_size=1_000_000)
    rows[table] += data.num_rows


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be a positive integer")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--customers",
        type=_positive_int,
        default=DEFAULT_CUSTOMERS,
        help="number of customers (scale), default %(default)s",
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="random seed, default %(default)s"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("data/raw"), help="output folder, default %(default)s"
    )
    parser.add_argument(
        "--chunk-size",
        type=_positive_int,
        default=DEFAULT_CHUNK_SIZE,
        help="customers per chunk (bounds memory; part of the data identity), default %(default)s",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument(
        "--clean",
        action="store_true",
        help="no dirty rows (the same shop with every row valid; docs/bad_input.md)",
    )


def run(args: argparse.Namespace) -> int:
    manifest = generate(
        args.out,
        customers=args.customers,
        seed=args.seed,
        chunk_size=args.chunk_size,
        progress=not args.no_progress,
        dirty_rows=not args.clean,
    )
    log.info("rows: %s", ", ".join(f"{t}={n}" for t, n in manifest["rows"].items()))
    return 0
