"""Instance generators.

:func:`random_instance` reproduces the distributions of the LCN 2024 authors'
generator (all draws uniform integers):

- ``R_j ~ U{0..C}``, ``C_e[j] ~ U{cmin..cmax}``, ``D_i ~ U{0..Dmax}``,
- ``C_d[i][j] ~ U{cmin..cmax}``, or in *zero-cost LAN* mode 0 to one random
  host per device and 1 to all others.

Draws come from ``numpy.random.default_rng(seed)``, so the same seed and
parameters always give the same instance (the authors' own tool used a
different random stream; values differ, distributions do not).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from hflopt.errors import InstanceError
from hflopt.instance import Instance

__all__ = ["random_instance", "authors_runtime_capacity"]


def authors_runtime_capacity(n_devices: int, n_hosts: int, max_workload: int = 20) -> int:
    """``C = 10 * N * Dmax / M``, the capacity bound of the authors' runtime study."""
    return int(10 * n_devices * max_workload // n_hosts)


def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not float(value).is_integer() or value < low:
        raise InstanceError(f"must be a whole number >= {low}", field=name, value=value)
    return int(value)


def random_instance(
    hosts: int,
    devices: int,
    *,
    participation: float = 1.0,
    rounds: float = 1,
    max_capacity: float = 100,
    max_workload: int = 10,
    min_cost: int = 0,
    max_cost: int = 10,
    zero_cost_lan: bool = False,
    seed: int | None = None,
    name: str | None = None,
) -> Instance:
    """A random HFLOP instance with the authors' distributions.

    Parameters
    ----------
    hosts, devices:
        M and N (authors' flags ``-e`` and ``-d``).
    participation:
        p (``-p``); T = floor(p * N).
    rounds:
        l (``-l``).
    max_capacity:
        C (``-C``, default 100): capacities ``U{0..floor(C)}``. The authors'
        runtime study used ``C = 10 * N * Dmax / M``
        (:func:`authors_runtime_capacity`).
    max_workload:
        Dmax (``-D``, default 10): workloads ``U{0..Dmax}``.
    min_cost, max_cost:
        Cost range for cloud and device links (default 0..10).
    zero_cost_lan:
        Each device costs 0 to one random host and 1 to every other host.
    seed:
        Random seed (``-s``). When omitted a seed is drawn and recorded in
        ``metadata["seed"]`` so the instance can be regenerated.
    """
    m = _check_int("hosts", hosts, 1)
    n = _check_int("devices", devices, 0)
    dmax = _check_int("max_workload", max_workload, 0)
    cmin = _check_int("min_cost", min_cost, 0)
    cmax = _check_int("max_cost", max_cost, cmin)
    if not math.isfinite(max_capacity) or max_capacity < 0:
        raise InstanceError("must be a number >= 0", field="max_capacity", value=max_capacity)
    cap_max = int(math.floor(max_capacity))
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**32))
    seed = _check_int("seed", seed, 0)
    rng = np.random.default_rng(seed)
    capacity = rng.integers(0, cap_max + 1, size=m)
    edge_cost = rng.integers(cmin, cmax + 1, size=m)
    workload = rng.integers(0, dmax + 1, size=n)
    if zero_cost_lan:
        costs = np.ones((n, m), dtype=np.int64)
        costs[np.arange(n), rng.integers(0, m, size=n)] = 0
    else:
        costs = rng.integers(cmin, cmax + 1, size=(n, m))
    meta = {
        "generator": "random",
        "seed": seed,
        "max_capacity": max_capacity,
        "max_workload": dmax,
        "min_cost": cmin,
        "max_cost": cmax,
        "zero_cost_lan": bool(zero_cost_lan),
    }
    dev = np.repeat(np.arange(n), m)
    host = np.tile(np.arange(m), n)
    return Instance(
        capacity,
        edge_cost,
        workload,
        dev,
        host,
        costs.reshape(-1),
        participation_ratio=participation,
        rounds_ratio=rounds,
        name=name or f"random-{m}x{n}-s{seed}",
        metadata=meta,
    )
