"""Perceptual fingerprints: a 64-bit DCT hash per photo and a fast Hamming-distance index over many of them.

The hash is the classic pHash: the picture as 32×32 grey levels, its 2-D DCT, the 8×8 lowest frequencies (DC left
out) compared with their median. It survives re-encoding, resizing, small crops and exposure changes, and differs for
different pictures. It is computed from pixels the model-image stage has already decoded (the ≤1024 px upright image),
so it costs a resize of that image and two small matrix products — no second decode of the original.

Why our own ~30 lines instead of ``imagehash``: the same algorithm, no extra dependency (imagehash pulls PyWavelets),
and the DCT as a precomputed matrix product is faster than scipy's per-call FFT at this size (see
``benchmarks/bench_series.py``). Hashes are stored as signed 64-bit integers (SQLite's integer type).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from PIL import Image

HASH_BITS = 64
_SIDE = 32  # the grey image the DCT runs on
_LOW = 8  # the low-frequency block kept: 8×8 = 64 bits


@lru_cache(maxsize=1)
def _dct_matrix() -> np.ndarray:
    """The orthonormal DCT-II matrix for ``_SIDE`` points, rows cut to the ``_LOW`` lowest frequencies."""
    n = np.arange(_SIDE)
    k = np.arange(_LOW)[:, None]
    m = np.cos(np.pi * (2 * n + 1) * k / (2 * _SIDE)) * np.sqrt(2 / _SIDE)
    m[0] /= np.sqrt(2)
    return m.astype(np.float64)


def to_signed(value: int) -> int:
    """An unsigned 64-bit hash as the signed integer SQLite can store."""
    return value - (1 << 64) if value >= (1 << 63) else value


def to_unsigned(value: int) -> int:
    """A stored (signed) hash back to its unsigned 64-bit value."""
    return value + (1 << 64) if value < 0 else value


def phash(img: Image.Image) -> int:
    """The 64-bit perceptual hash of a decoded image (any mode, any size), as a signed 64-bit integer."""
    grey = img.convert("L") if img.mode != "L" else img
    # BOX averages every source pixel into the 32×32 grid: the result does not depend on the input size, which is
    # what lets a resized or re-encoded copy hash like its original.
    small = np.asarray(grey.resize((_SIDE, _SIDE), Image.Resampling.BOX), dtype=np.float64)
    m = _dct_matrix()
    coeffs = m @ small @ m.T  # 8×8 lowest frequencies
    flat = coeffs.ravel()[1:]  # leave out DC: it only says how bright the picture is
    bits = np.concatenate(([False], flat > np.median(flat)))
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return to_signed(value)


def phash_file(path: Path | str) -> int:
    """The hash of an image file (decoded upright at a small size: the hash needs only 32×32 grey levels)."""
    from .imaging import open_upright  # the one decode path (draft, orientation, sRGB)

    return phash(open_upright(path, (256, 256)))


def hamming(a: int, b: int) -> int:
    """Bits that differ between two hashes (signed or unsigned)."""
    return (to_unsigned(a) ^ to_unsigned(b)).bit_count()


class HashIndex:
    """Many hashes, one query: XOR against a packed ``uint64`` array and count bits (numpy ≥ 2 ``bitwise_count``).

    At 50,000 hashes a query is a few hundred microseconds (``benchmarks/bench_series.py``), so no BK-tree or
    multi-index structure is needed at the sizes a photo website reaches.
    """

    def __init__(self, items: Iterable[tuple[str, int]] = ()) -> None:
        keys: list[str] = []
        values: list[int] = []
        for key, value in items:
            keys.append(key)
            values.append(to_unsigned(value))
        self._keys = keys
        self._hashes = np.array(values, dtype=np.uint64)

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: str, value: int) -> None:
        """Add one hash (after a publish); O(n), fine for the handful a run adds."""
        self._keys.append(key)
        self._hashes = np.append(self._hashes, np.uint64(to_unsigned(value)))

    def nearest(self, value: int, max_distance: int) -> list[tuple[str, int]]:
        """Every (key, distance) within ``max_distance`` bits of ``value``, nearest first."""
        if not self._keys:
            return []
        dist = np.bitwise_count(np.bitwise_xor(self._hashes, np.uint64(to_unsigned(value))))
        hits = np.flatnonzero(dist <= max_distance)
        order = hits[np.argsort(dist[hits], kind="stable")]
        return [(self._keys[i], int(dist[i])) for i in order]


def pairwise_within(hashes: Sequence[int], max_distance: int) -> list[tuple[int, int, int]]:
    """All index pairs (i, j, distance), i < j, whose hashes are within ``max_distance`` bits."""
    arr = np.array([to_unsigned(h) for h in hashes], dtype=np.uint64)
    out: list[tuple[int, int, int]] = []
    for i in range(len(arr) - 1):
        dist = np.bitwise_count(np.bitwise_xor(arr[i + 1:], arr[i]))
        for off in np.flatnonzero(dist <= max_distance):
            out.append((i, i + 1 + int(off), int(dist[off])))
    return out
