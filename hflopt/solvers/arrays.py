"""Segment operations on numpy arrays: the vectorised primitives every solver shares.

A *segment* (or group) is a run of equal keys in a sorted array, or a CSR
range ``ptr[g]:ptr[g+1]``. None of these functions loops in Python over the
elements.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "csr_ptr",
    "first_per_group",
    "gather_ranges",
    "group_start_offsets",
    "grouped_cumsum",
    "round_up",
    "sort_within_groups",
]


def csr_ptr(groups: np.ndarray, n: int) -> np.ndarray:
    """CSR row pointer of ``n`` groups from each element's group (sorted or not)."""
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(groups, minlength=n), out=ptr[1:])
    return ptr


def gather_ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenate ``arange(s, e)`` for all pairs, vectorised."""
    starts = np.asarray(starts, dtype=np.int64)
    lens = np.maximum(np.asarray(ends, dtype=np.int64) - starts, 0)
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offs = np.repeat(starts - np.concatenate(([0], np.cumsum(lens)[:-1])), lens)
    return np.arange(total, dtype=np.int64) + offs


def sort_within_groups(ptr: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Indices ``0..K-1`` with each CSR group ``ptr[g]:ptr[g+1]`` sorted by ``key``."""
    k = key.size
    ng = ptr.size - 1
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    deg = np.diff(ptr)
    d0 = int(deg[0]) if ng else 0
    if d0 > 0 and np.all(deg == d0):  # regular degree: one row-wise argsort
        order = np.argsort(key.reshape(ng, d0), axis=1, kind="stable").astype(np.int64)
        order += (np.arange(ng, dtype=np.int64) * d0)[:, None]
        return order.reshape(-1)
    group = np.repeat(np.arange(ng, dtype=np.float64), deg)
    finite = np.isfinite(key)
    if not finite.all():  # +inf (excluded links) sorts last
        top = float(key[finite].max()) + 1.0 if finite.any() else 0.0
        key = np.where(finite, key, top)
    lo, hi = float(key.min()), float(key.max())
    span = (hi - lo) * (1 + 1e-9) + 1e-300
    combined = group + (key - lo) / span * 0.999
    return np.argsort(combined, kind="stable").astype(np.int64)


def group_start_offsets(sorted_groups: np.ndarray) -> np.ndarray:
    """For a sorted group array, the index of the first element of each element's run."""
    n = sorted_groups.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(sorted_groups[1:], sorted_groups[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    return np.repeat(starts, np.diff(np.append(starts, n)))


def grouped_cumsum(sorted_groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Inclusive cumulative sum of ``values`` restarting at each new group."""
    if values.size == 0:
        return np.zeros(0, dtype=np.float64)
    cs = np.cumsum(values, dtype=np.float64)
    first = group_start_offsets(sorted_groups)
    base = cs[first] - values[first]
    return cs - base


def first_per_group(sorted_groups: np.ndarray) -> np.ndarray:
    """Mask of the first element of each run of a sorted group array."""
    n = sorted_groups.size
    out = np.zeros(n, dtype=bool)
    if n:
        out[0] = True
        np.not_equal(sorted_groups[1:], sorted_groups[:-1], out=out[1:])
    return out


def round_up(value: float, gran: float) -> float:
    """``value`` rounded up to a multiple of ``gran`` (tolerating float noise)."""
    return gran * math.ceil(value / gran - 1e-6)
