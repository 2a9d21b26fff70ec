"""LP relaxations of 0-1 knapsacks, one per group, all groups at once.

Host j's part of the Lagrangian relaxation of HFLOP is a 0-1 knapsack (devices
with a negative reduced cost, weighted by their workloads, within capacity
``R_j``); hflopt bounds it by its LP relaxation, which Dantzig's greedy by
profit/weight ratio solves exactly. Every bound, heuristic gain and price in
the solvers comes from :func:`lp_knapsack`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hflopt.solvers.arrays import grouped_cumsum

__all__ = ["Knapsacks", "lp_knapsack", "lp_knapsacks"]


@dataclass(frozen=True)
class Knapsacks:
    """The LP optimum of one knapsack per group.

    Attributes
    ----------
    x:
        Fraction taken of each item.
    value:
        Optimal value per group.
    price:
        Per group, the profit/weight ratio of the critical (fractional) item:
        the LP dual of the capacity row, 0 where everything fits.
    """

    x: np.ndarray
    value: np.ndarray
    price: np.ndarray


def lp_knapsacks(group: np.ndarray, profit: np.ndarray, weight: np.ndarray,
                 capacity: np.ndarray, *, prices: bool = True) -> Knapsacks:
    """LP relaxation of one 0-1 knapsack per group, all groups at once.

    Maximises ``sum profit * x`` subject to ``sum weight * x <= capacity[g]``
    and ``0 <= x <= 1`` for the items of each group g (Dantzig's greedy by
    ratio with a fractional last item, which is optimal for the LP). Groups
    whose items fit in full are not sorted at all.

    Parameters
    ----------
    group:
        Group (host) of each item, values in ``0..len(capacity)-1``.
    profit, weight:
        Item profits (> 0) and weights (>= 0).
    capacity:
        Capacity of each group.
    prices:
        Compute ``price`` (else it is all zeros; skips a sort).
    """
    ng = capacity.size
    x = np.zeros(profit.size, dtype=np.float64)
    price = np.zeros(ng)
    if profit.size == 0:
        return Knapsacks(x, np.zeros(ng), price)
    zero_w = weight <= 0
    x[zero_w] = 1.0
    pos = ~zero_w
    tot = np.bincount(group[pos], weights=weight[pos], minlength=ng)
    binding = tot > capacity * (1 + 1e-12)
    x[pos & ~binding[group]] = 1.0
    hard = np.flatnonzero(pos & binding[group])
    if hard.size:
        _fill_binding(hard, group, profit, weight, capacity, x, price if prices else None)
    return Knapsacks(x, np.bincount(group, weights=profit * x, minlength=ng), price)


def _fill_binding(hard: np.ndarray, group: np.ndarray, profit: np.ndarray, weight: np.ndarray,
                  capacity: np.ndarray, x: np.ndarray, price: np.ndarray | None) -> None:
    """Dantzig's greedy on the groups whose items do not all fit: ``x`` and ``price`` in place."""
    ratio = profit[hard] / weight[hard]
    rmax = float(ratio.max())
    norm = ratio / (rmax * (1 + 1e-9) + 1e-300)
    order = np.argsort(group[hard].astype(np.float64) + (1.0 - norm) * 0.999, kind="stable")
    items = hard[order]
    gs = group[items]
    w = weight[items]
    before = grouped_cumsum(gs, w) - w
    frac = np.clip((capacity[gs] - before) / w, 0.0, 1.0)
    x[items] = frac
    if price is None:
        return
    partial = np.flatnonzero(frac < 1.0)
    first = partial[np.unique(gs[partial], return_index=True)[1]]
    price[gs[first]] = ratio[order][first]


def lp_knapsack(group: np.ndarray, profit: np.ndarray, weight: np.ndarray,
                capacity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(x, value)`` of :func:`lp_knapsacks`."""
    ks = lp_knapsacks(group, profit, weight, capacity, prices=False)
    return ks.x, ks.value
