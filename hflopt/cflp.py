"""The capacitated facility location test instances of Cornuejols, Sridharan and Thizy (1991).

The generator behind most CFLP and SSCFLP benchmark sets since (Holmberg et
al. 1999, Yang et al. 2012, the ML-for-combinatorial-optimisation sets of
Gasse et al. 2019): facilities and customers uniform in the unit square,

- demand ``d_i ~ U{5..35}``, capacity ``s_j ~ U{10..160}`` (whole numbers),
- fixed cost ``f_j = U{0..90} + U{100..110} * sqrt(s_j)`` (economies of
  scale, from the capacity as drawn),
- assignment cost ``c_ij = 10 * distance(i, j) * d_i`` (serving the whole
  demand of customer ``i`` from ``j``),
- capacities then scaled so that ``sum(s) / sum(d)`` equals ``ratio`` (the
  *capacity ratio*: 3, 5 and 10 in the original study; 5 in Gasse et al.)
  and rounded down to whole numbers (each at least 1).

As an HFLOP instance: facilities are hosts (``R_j = s_j``, ``C_e = f_j``),
customers devices (``D_i = d_i``, link costs ``c_ij``), every device on every
host, ``p = 1`` (T = N: every customer is served) and ``l = 1``.
``fixed_factor`` multiplies the fixed costs: large factors give the
"few facilities, each nearly full" regime of the OR-Library cap classes,
where the strong LP bound is weak and proofs are hard.
"""

from __future__ import annotations

import numpy as np

from hflopt.generators import _check_decimals, _check_float, _check_int, _new_seed, _round, _streams
from hflopt.instance import Instance
from hflopt.limits import MAX_VALUE, check_memory

__all__ = ["cflp_instance"]

def cflp_instance(
    facilities: int,
    customers: int,
    *,
    ratio: float = 5.0,
    fixed_factor: float = 1.0,
    decimals: int | None = None,
    seed: int | None = None,
    name: str | None = None,
) -> Instance:
    """A Cornuejols-Sridharan-Thizy instance: ``facilities`` hosts, ``customers`` devices, all linked.

    ``ratio``: total capacity / total demand (> 1 is needed for a feasible
    single-source instance; the module docstring gives the distributions).
    ``fixed_factor``: multiplies every fixed cost. ``decimals`` rounds the
    assignment and fixed costs (None: exact floats). ``seed`` (drawn and
    recorded in ``metadata["seed"]`` when omitted) seeds separate streams for
    positions, demands and capacities, and fixed costs. ``name`` defaults to
    ``cflp-MxN-r<ratio>-s<seed>``.
    """
    m = _check_int("facilities", facilities, 1)
    n = _check_int("customers", customers, 1)
    ratio = _check_float("ratio", ratio, 0.0, 1e6, strict=True)
    fixed_factor = _check_float("fixed_factor", fixed_factor, 0.0, 1e6)
    decimals = _check_decimals(decimals)
    check_memory(m + n, m * n, "facilities x customers")
    seed = _new_seed(seed)
    rng_pos, rng_size, rng_fixed = _streams(seed, 3)
    fac_xy = rng_pos.random((m, 2))
    cus_xy = rng_pos.random((n, 2))
    demand = rng_size.integers(5, 36, size=n).astype(np.float64)
    drawn = rng_size.integers(10, 161, size=m).astype(np.float64)
    fixed = (rng_fixed.integers(0, 91, size=m) + rng_fixed.integers(100, 111, size=m) * np.sqrt(drawn))
    capacity = np.maximum(np.floor(drawn * ratio * demand.sum() / drawn.sum()), 1.0)
    cost = _assignment_costs(cus_xy, fac_xy, demand)
    link_device = np.repeat(np.arange(n), m)
    link_host = np.tile(np.arange(m), n)
    meta = {"generator": "cflp (Cornuejols, Sridharan and Thizy 1991)", "seed": seed, "ratio": ratio,
            "fixed_factor": fixed_factor, "decimals": decimals}
    return Instance(
        np.minimum(capacity, MAX_VALUE), _round(fixed_factor * fixed, decimals), demand,
        link_device, link_host, _round(cost.ravel(), decimals),
        participation_ratio=1.0, rounds_ratio=1.0, host_xy=fac_xy, device_xy=cus_xy,
        name=name or f"cflp-{m}x{n}-r{ratio:g}-s{seed}", metadata=meta,
    )


def _assignment_costs(cus_xy: np.ndarray, fac_xy: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """``10 * distance * demand`` per (customer, facility), built a block of customers at a time."""
    out = np.empty((cus_xy.shape[0], fac_xy.shape[0]))
    block = max(1, 2_000_000 // max(fac_xy.shape[0], 1))
    for start in range(0, cus_xy.shape[0], block):
        part = cus_xy[start:start + block]
        dist = np.sqrt(((part[:, None, :] - fac_xy[None, :, :]) ** 2).sum(axis=2))
        out[start:start + block] = 10.0 * dist * demand[start:start + block, None]
    return out
