"""Small vectorized helpers that turn numpy arrays into Arrow arrays of the contract types."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from retention.contract import AMOUNT_ARROW, TIMESTAMP_ARROW
from retention.demo.shop import to_timestamp_us


def _validity(null_mask: np.ndarray | None) -> pa.Buffer | None:
    if null_mask is None or not null_mask.any():
        return None
    return pa.py_buffer(np.packbits(~null_mask.astype(bool), bitorder="little"))


def amounts(cents: np.ndarray, null_mask: np.ndarray | None = None) -> pa.Array:
    """Exact decimal128(18,2) array from integer cents (no float rounding involved)."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.empty(
        (cents.size, 2), dtype=np.int64
    )  # little-endian int128: low word, sign-extended high word
    words[:, 0] = cents
    words[:, 1] = cents >> 63
    return pa.Array.from_buffers(
        AMOUNT_ARROW, cents.size, [_validity(null_mask), pa.py_buffer(words.tobytes())]
    )


def timestamps(t_days: np.ndarray, null_mask: np.ndarray | None = None) -> pa.Array:
    """timestamp[us] array (naive UTC) from float days since the calendar start."""
    values = to_timestamp_us(np.asarray(t_days, dtype=np.float64))
    return pa.array(
        values,
        type=TIMESTAMP_ARROW,
        mask=null_mask if null_mask is not None and null_mask.any() else None,
    )


def prefixed_ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Strings like ``C000000042`` from integers."""
    digits = pc.utf8_lpad(
        pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string()),
        width=width,
        padding="0",
    )
    return pc.binary_join_element_wise(prefix, digits, "")


def from_catalog(catalog: Sequence[str | None], codes: np.ndarray) -> pa.Array:
    """Strings (or NULLs) picked from a small catalog by integer code."""
    return pa.array(list(catalog), type=pa.string()).take(
        pa.array(np.asarray(codes, dtype=np.int64))
    )


def replace_rows(array: pa.Array | pa.ChunkedArray, rows: np.ndarray, value: object) -> pa.Array:
    """Copy of ``array`` with ``rows`` set to one scalar ``value`` (None -> NULL)."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    mask = np.zeros(len(array), dtype=bool)
    mask[rows] = True
    if not mask.any():
        return array
    replacement = pa.array([value] * int(mask.sum()), type=array.type)
    return pc.replace_with_mask(array, pa.array(mask), replacement)


def replace_rows_with(
    array: pa.Array | pa.ChunkedArray, rows: np.ndarray, values: pa.Array
) -> pa.Array:
    """Copy of ``array`` with ``rows`` (ascending, unique) replaced by ``values`` in order."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if len(rows) == 0:
        return array
    mask = np.zeros(len(array), dtype=bool)
    mask[rows] = True
    return pc.replace_with_mask(array, pa.array(mask), values.cast(array.type))
