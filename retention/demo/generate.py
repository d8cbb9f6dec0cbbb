"""Deterministic demo-data generator: writes the five raw tables as Parquet.

Same ``seed``, ``customers`` and ``chunk_size`` give identical rows in identical
order. Customers are simulated in chunks of ``chunk_size`` (each with its own
random stream, ``SeedSequence(seed, spawn_key=(0, chunk))``) and appended to the
Parquet files, so memory stays bounded at any size. The experiment assignments
(retention/demo/experiments.py) have streams of their own (spawn keys ``(3, chunk)``
and, for their dirty rows, ``(4, chunk)``): the other tables do not depend on them.

``order_intensity`` and ``event_intensity`` (default 1.0: the demo data) scale
orders and browse events per customer with the same behaviour (channels,
seasonality, dirty-row kinds); ``SIZES`` names the benchmark sizes built on
them (``headline``: 1M customers, ~10M orders, ~100M events).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from retention.contract import TABLE_NAMES, arrow_schema
from retention.demo import dirty, shop
from retention.demo.experiments import experiment_assignments
from retention.demo.simulate import simulate_chunk
from retention.demo.spend import marketing_spend

log = logging.getLogger(__name__)

DEFAULT_CUSTOMERS = 5000
DEFAULT_SEED = 42
DEFAULT_CHUNK_SIZE = 25_000
MANIFEST = "manifest.json"

# Benchmark intensities: ~10 orders and ~100 events per customer (the demo has ~3.3 and ~53).
BENCH_ORDER_INTENSITY = 3.2
BENCH_EVENT_INTENSITY = 0.5


@dataclass(frozen=True)
class Size:
    """A named dataset size: customers and the per-customer intensities."""

    customers: int
    order_intensity: float = BENCH_ORDER_INTENSITY
    event_intensity: float = BENCH_EVENT_INTENSITY


SIZES: dict[str, Size] = {
    "headline": Size(1_000_000),  # ~10M orders, ~100M events
    "tenth": Size(100_000),  # ~1M orders: where pandas and lifetimes still finish
    "smoke": Size(10_000),  # ~1% of headline, inside make test
    "demo": Size(DEFAULT_CUSTOMERS, 1.0, 1.0),
}


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def generate(
    out_dir: str | Path,
    customers: int = DEFAULT_CUSTOMERS,
    seed: int = DEFAULT_SEED,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: bool = True,
    order_intensity: float = 1.0,
    event_intensity: float = 1.0,
    dirty_rows: bool = True,
) -> dict[str, Any]:
    """Write ``<out_dir>/<table>.parquet`` for the five raw tables plus ``manifest.json``.

    ``dirty_rows=False`` skips the injection of dirty rows (retention/demo/dirty.py): the
    same simulated shop, every row valid. Returns the manifest: parameters, row
    counts and dirty-row counts per table and kind.
    """
    if not (order_intensity > 0 and event_intensity > 0):
        raise ValueError("order_intensity and event_intensity must be positive")
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
            chunk = simulate_chunk(
                _rng(seed, 0, chunk_index),
                chunk_index,
                first,
                n,
                order_intensity=order_intensity,
                event_intensity=event_intensity,
            )
            assignments = experiment_assignments(
                _rng(seed, 3, chunk_index), chunk.customers, chunk.orders
            )
            if not dirty_rows:
                for table, data in (
                    ("customers", chunk.customers),
                    ("orders", chunk.orders),
                    ("events", chunk.events),
                    ("experiment_assignments", assignments),
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
            assignments_t, a_counts = dirty.dirty_assignments(
                _rng(seed, 4, chunk_index), assignments, chunk_index
            )
            for table, data, counts in (
                ("customers", customers_t, c_counts),
                ("orders", orders_t, o_counts),
                ("events", events_t, e_counts),
                ("experiment_assignments", assignments_t, a_counts),
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
        "generator": "retention.demo.generate",
        "seed": seed,
        "customers": customers,
        "chunk_size": chunk_size,
        # only when not the demo's 1.0, so that the demo manifest keeps its shape
        **({"order_intensity": order_intensity} if order_intensity != 1.0 else {}),
        **({"event_intensity": event_intensity} if event_intensity != 1.0 else {}),
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


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be a positive number")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--customers",
        type=_positive_int,
        default=None,
        help=f"number of customers (scale), default {DEFAULT_CUSTOMERS} or the --size preset's",
    )
    parser.add_argument(
        "--size",
        choices=sorted(SIZES),
        default=None,
        help="a named benchmark size: customers and intensities "
        + ", ".join(f"{k}={v.customers}" for k, v in SIZES.items()),
    )
    parser.add_argument(
        "--order-intensity",
        type=_positive_float,
        default=None,
        help="orders per customer relative to the demo (1.0), default 1.0 or the preset's",
    )
    parser.add_argument(
        "--event-intensity",
        type=_positive_float,
        default=None,
        help="browse sessions per customer relative to the demo (1.0), default 1.0 or the preset's",
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
    preset = SIZES[args.size] if args.size else SIZES["demo"]
    manifest = generate(
        args.out,
        customers=args.customers or preset.customers,
        seed=args.seed,
        chunk_size=args.chunk_size,
        progress=not args.no_progress,
        order_intensity=args.order_intensity or preset.order_intensity,
        event_intensity=args.event_intensity or preset.event_intensity,
        dirty_rows=not args.clean,
    )
    log.info("rows: %s", ", ".join(f"{t}={n}" for t, n in manifest["rows"].items()))
    return 0
