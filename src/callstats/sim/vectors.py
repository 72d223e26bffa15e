"""Column builders that keep generation vectorized: no Python loop per row."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

MICROS = 1_000_000
TIMESTAMP = pa.timestamp("us", tz="UTC")
PRICE = pa.decimal128(18, 6)
_HEX = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)


def local_tags(rng: np.random.Generator, n: int) -> pa.Array:
    """Switch-style call ids, e.g. `5D1A1B5C-65A2D7E1000B1C3F-71D6A700`, from random bytes."""
    raw = np.frombuffer(rng.bytes(16 * n), dtype=np.uint8).reshape(n, 16)
    nibbles = np.empty((n, 32), dtype=np.uint8)
    nibbles[:, 0::2], nibbles[:, 1::2] = raw >> 4, raw & 0x0F
    hexed = _HEX[nibbles]
    text = np.full((n, 34), ord("-"), dtype=np.uint8)
    text[:, 0:8], text[:, 9:25], text[:, 26:34] = hexed[:, 0:8], hexed[:, 8:24], hexed[:, 24:32]
    offsets = np.arange(n + 1, dtype=np.int32) * 34
    return pa.Array.from_buffers(
        pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(text.tobytes())]
    )


def decimals_from_micros(micros: np.ndarray) -> pa.Array:
    """Exact decimal(18, 6) values from integer millionths (no float on the way)."""
    micros = np.ascontiguousarray(micros, dtype=np.int64)
    words = np.empty((len(micros), 2), dtype=np.int64)  # little-endian 128-bit integers
    words[:, 0], words[:, 1] = micros, np.where(micros < 0, -1, 0)
    return pa.Array.from_buffers(PRICE, len(micros), [None, pa.py_buffer(words)])


def timestamps(micros: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(micros, dtype=np.int64), pa.int64(), mask=missing).view(TIMESTAMP)


def ints(values: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.int64), pa.int64(), mask=missing)


def numbers_as_text(numbers: np.ndarray) -> pa.Array:
    """E.164 digits (no leading zero, so an int64 holds them exactly) as strings."""
    return pa.array(np.asarray(numbers, dtype=np.int64), pa.int64()).cast(pa.string())


def pick_text(choices: list[str], index: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """`choices[index]` per row (null where `missing`)."""
    indices = pa.array(np.asarray(index, dtype=np.int64), pa.int64(), mask=missing)
    return pa.array(choices, pa.string()).take(indices)


def skewed(rng: np.random.Generator, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Uniform-ish between low and high, skewed toward low (most replies come early)."""
    skew: np.ndarray = low + (high - low) * rng.random(len(low)) ** 2
    return skew


def group_exclusive_cumsum(step: np.ndarray, group_first: np.ndarray, group: np.ndarray
                           ) -> np.ndarray:
    """For rows sorted by group: the sum of `step` over the earlier rows of the same group."""
    total = np.cumsum(step)
    before = total - step
    within: np.ndarray = before - before[group_first][group]
    return within
