"""Hypothesis strategies for random HFLOP instances (shared by test modules)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import hflopt


@st.composite
def instances(
    draw: st.DrawFn,
    *,
    max_hosts: int = 3,
    max_devices: int = 5,
    sparse: bool = True,
    tight: bool | None = None,
    integral: bool = True,
    ids: bool = False,
    coords: bool = False,
) -> hflopt.Instance:
    """Small random instances: dense or sparse links, loose or tight capacities."""
    m = draw(st.integers(1, max_hosts))
    n = draw(st.integers(1, max_devices))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    workload = rng.integers(0, 8, size=n).astype(float)
    is_tight = draw(st.booleans()) if tight is None else tight
    low, high = (0, 12) if is_tight else (5, 40)
    capacity = rng.integers(low, high, size=m).astype(float)
    edge_cost = rng.integers(0, 10, size=m).astype(float)
    costs = rng.integers(0, 10, size=(n, m)).astype(float)
    if not integral:
        edge_cost += rng.random(m).round(3)
        costs += rng.random((n, m)).round(3)
    if sparse and draw(st.booleans()):
        costs[rng.random((n, m)) < 0.3] = np.inf
    t = draw(st.integers(0, n))
    rounds = draw(st.sampled_from([1, 2, 4])) if integral else draw(st.sampled_from([1, 1.5, 3]))
    kwargs = {}
    if ids:
        kwargs["host_ids"] = [f"edge-{j}" for j in range(m)]
        kwargs["device_ids"] = [f"dev {i}" for i in range(n)]
    if coords:
        kwargs["host_xy"] = rng.random((m, 2)) * 100
        kwargs["device_xy"] = rng.random((n, 2)) * 100
    if draw(st.booleans()):
        kwargs["participation_ratio"] = t / n
    else:
        kwargs["min_participants"] = t
    return hflopt.Instance.from_dense(capacity, edge_cost, workload, costs, rounds_ratio=rounds,
                                      name=f"h{seed}", **kwargs)
