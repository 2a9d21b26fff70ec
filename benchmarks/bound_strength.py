"""How strong can a knapsack-based bound be on tight instances? A table.

On tightly capacitated SSCFLP-style instances (``benchmarks/exact.py --family
tight``) hflopt's exact method ends with 1-3% gaps, and the bound hardly moves
after HiGHS's root. Knapsack cuts (lifted covers on each capacity row) or a
branch-and-price over per-host assignment columns are the usual remedies; the
best bound either can give at the root is the Lagrangian dual in which each
host's 0-1 knapsack is solved *exactly*. This script computes that bound and
compares it with the LP and with HiGHS's root bound on the same instance:

* ``LP``: the strengthened LP (capacity against ``R_j y_j``, cover row,
  assignment equalities) -- what hflopt's exact method starts from;
* ``HiGHS root``: HiGHS's dual bound after the root node (its own cuts);
* ``knapsack Lagrangian``: assignment rows relaxed with multipliers ``u``; each
  host's subproblem is a 0-1 knapsack solved by dynamic programming (integral
  workloads and capacities), and the choice of open hosts keeps the cover row
  ``sum_j R_j y_j >= sum_i D_i`` integral (a knapsack over hosts, also by
  dynamic programming); subgradient steps (Polyak, target = HiGHS's root
  incumbent) from the LP duals;
* ``hosts fixable``: hosts whose Lagrangian penalty for flipping ``y_j``
  exceeds the gap to HiGHS's root incumbent (they could be fixed open or
  closed before branching).

Usage::

    python benchmarks/bound_strength.py                      # 50x300, r = 1.1 1.3 1.5, seed 0
    python benchmarks/bound_strength.py --size 30x200 --seeds 2 --iterations 300
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from exact import tight_instance

from hflopt.solvers.highs_direct import build_arrays, new_highs


def knapsack(profit: np.ndarray, weight: np.ndarray, cap: int) -> tuple[float, np.ndarray]:
    """Exact 0-1 knapsack (max profit, integral weights) by dynamic programming."""
    items = np.flatnonzero((profit > 0) & (weight <= cap))
    best = np.zeros(cap + 1)
    take = np.zeros((items.size, cap + 1), dtype=bool)
    for t, i in enumerate(items):
        w = int(weight[i])
        cand = best[: cap + 1 - w] + profit[i]
        better = cand > best[w:]
        take[t, w:] = better
        best[w:] = np.where(better, cand, best[w:])
    chosen, c = [], cap
    for t in range(items.size - 1, -1, -1):
        if take[t, c]:
            chosen.append(items[t])
            c -= int(weight[items[t]])
    return float(best[cap]), np.array(chosen, dtype=np.int64)


def cover(value: np.ndarray, size: np.ndarray, need: float) -> tuple[float, np.ndarray]:
    """min sum value_j y_j  s.t.  sum size_j y_j >= need, y binary (dynamic programming)."""
    y = value < 0
    rest = math.ceil(need - size[y].sum())
    total = float(value[y].sum())
    if rest <= 0:
        return total, y
    free = np.flatnonzero(~y)
    best = np.full(rest + 1, np.inf)
    best[0] = 0.0
    take = np.zeros((free.size, rest + 1), dtype=bool)
    grid = np.arange(rest + 1)
    for t, j in enumerate(free):
        cand = best[np.maximum(grid - int(size[j]), 0)] + value[j]
        take[t] = cand < best
        best = np.minimum(best, cand)
    if not math.isfinite(best[rest]):
        return math.inf, y
    y, c = y.copy(), rest
    for t in range(free.size - 1, -1, -1):
        if take[t, c]:
            y[free[t]] = True
            c = max(0, c - int(size[free[t]]))
    return total + float(best[rest]), y


def measure(m: int, n: int, ratio: float, seed: int, iterations: int, root_limit: float) -> dict:
    inst = tight_instance(m, n, ratio, seed)
    arrays = build_arrays(inst, variant="strong", capacity_on_y=True, total_capacity_row=True,
                          assign_equal=True)
    lp_value, mult = _lp_duals(arrays, n)
    root_bound, root_inc, root_s = _root(arrays, root_limit)
    cost = np.full((n, m), np.inf)
    k = arrays.n_links
    cost[inst.link_device, inst.link_host] = arrays.col_cost[:k]
    fixed = arrays.col_cost[k:]
    t0 = time.perf_counter()
    target = root_inc if math.isfinite(root_inc) else None
    best, best_u = _subgradient(inst, cost, fixed, mult, target, iterations)
    lag_s = time.perf_counter() - t0
    fixable = _fixable(inst, cost, fixed, best_u, root_inc)
    return {"name": inst.name, "lp": lp_value, "root": root_bound, "root_s": root_s,
            "incumbent": root_inc, "lagrangian": best, "lag_s": lag_s, "fixable": fixable, "m": m}


def _lp_duals(arrays, n: int) -> tuple[float, np.ndarray]:
    """The LP relaxation's value and its assignment duals (plus the participation row's)."""
    lp = new_highs(threads=1)
    arrays.pass_to(lp, relax=True)
    lp.run()
    duals = np.asarray(lp.getSolution().row_dual)
    lo, hi = arrays.blocks["assign"]
    mult = np.zeros(n)
    mult[arrays.block_keys["assign"]] = duals[lo:hi]
    if "participate" in arrays.blocks:  # sum x >= T: its dual prices every device alike
        mult += duals[arrays.blocks["participate"][0]]
    return lp.getInfo().objective_function_value, mult


def _root(arrays, root_limit: float) -> tuple[float, float, float]:
    """HiGHS's root node: bound, incumbent and seconds."""
    root = new_highs(threads=1)
    arrays.pass_to(root)
    root.setOptionValue("mip_max_nodes", 1)
    root.setOptionValue("time_limit", root_limit)
    t0 = time.perf_counter()
    root.run()
    info = root.getInfo()
    return info.mip_dual_bound, info.objective_function_value, time.perf_counter() - t0


def _subgradient(inst, cost, fixed, mult, target, iterations: int) -> tuple[float, np.ndarray]:
    """The knapsack Lagrangian bound by subgradient steps: best value and multipliers."""
    n, m = cost.shape
    cap = inst.capacity.astype(int)
    dem = inst.workload
    need = float(dem.sum())
    best, best_u, step = -math.inf, mult.copy(), 2.0
    for it in range(iterations):
        gain = np.zeros(m)
        picked = []
        for j in range(m):
            g, ch = knapsack(mult - cost[:, j], dem, int(cap[j]))
            gain[j] = g
            picked.append(ch)
        part, y = cover(fixed - gain, inst.capacity, need)
        value = mult.sum() + part
        if value > best:
            best, best_u = value, mult.copy()
        sub = np.ones(n)
        for j in np.flatnonzero(y):
            sub[picked[j]] -= 1
        norm = float(sub @ sub)
        if norm == 0:
            break
        aim = target if target is not None and target > value else value * 1.01
        mult = mult + step * (aim - value) / norm * sub
        if it % 30 == 29:
            step *= 0.75
    return best, best_u


def _fixable(inst, cost, fixed, best_u, root_inc: float) -> int:
    """Hosts whose Lagrangian penalty for flipping y_j exceeds the gap to the root incumbent."""
    m = cost.shape[1]
    dem = inst.workload
    need = float(dem.sum())
    gain = np.array([knapsack(best_u - cost[:, j], dem, int(inst.capacity[j]))[0] for j in range(m)])
    value = fixed - gain
    _, y = cover(value, inst.capacity, need)
    fixable = 0
    for j in range(m):
        without = value.copy()
        without[j] = math.inf  # host j out of the choice
        if y[j]:  # closing it
            alt, _ = cover(without, inst.capacity, need)
        else:  # opening it: its capacity counts, its value is paid
            alt = cover(without, inst.capacity, need - inst.capacity[j])[0] + value[j]
        if math.isfinite(root_inc) and best_u.sum() + alt > root_inc:
            fixable += 1
    return fixable


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="50x300")
    ap.add_argument("--ratios", nargs="*", type=float, default=[1.1, 1.3, 1.5])
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--iterations", type=int, default=500, help="subgradient steps")
    ap.add_argument("--root-limit", type=float, default=120.0, help="seconds for HiGHS's root")
    args = ap.parse_args(argv)
    m, n = (int(v) for v in args.size.split("x"))
    print("| instance | LP | HiGHS root (s) | knapsack Lagrangian (s) | Lagrangian - root | "
          "root incumbent | hosts fixable |")
    print("|---|---|---|---|---|---|---|")
    for seed in range(args.seeds):
        for r in args.ratios:
            o = measure(m, n, r, seed, args.iterations, args.root_limit)
            print(f"| {o['name']} | {o['lp']:,.1f} | {o['root']:,.1f} ({o['root_s']:.0f}) | "
                  f"{o['lagrangian']:,.1f} ({o['lag_s']:.0f}) | "
                  f"{100 * (o['lagrangian'] - o['root']) / o['root']:+.2f}% | "
                  f"{o['incumbent']:,.0f} | {o['fixable']}/{o['m']} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
