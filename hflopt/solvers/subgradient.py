"""The Lagrangian dual of HFLOP maximised by subgradient steps, and the Lagrangian heuristic
(the ``lagrangian`` method in :mod:`hflopt.solvers.lagrangian` runs them, then improves).

Relaxing the per-device rows ``sum_j x_ij <= 1`` with multipliers
``u_i >= 0`` and the participation row ``sum_ij x_ij >= T`` with ``v >= 0``
leaves, with reduced link costs ``r_ij = l*C_d[i][j] + u_i - v``,

    L(u, v) = sum_j min(0, C_e[j] - K_j(u, v)) - sum_i u_i + v * T

where ``K_j`` is the value of host j's knapsack: choose devices with
``r_ij < 0`` (profit ``-r_ij``, weight ``D_i``) within capacity ``R_j``.
hflopt solves the *LP relaxation* of every knapsack (greedy by ratio with a
fractional last item, vectorised over all hosts), which can only make
``K_j`` larger and ``L`` smaller, so every ``L(u, v)`` reported is a valid lower
bound on the optimum. (Its maximum equals the bound of the LP relaxation of
the strong formulation.) With integral data the bound is rounded up.

The multipliers start at the cost scale: ``m_i`` = the device's cheapest
link cost plus its capacity share of the host's fixed cost, ``v`` = the T-th
smallest ``m_i``, ``u_i = max(0, v - m_i)``; then projected subgradient steps
``t = lambda * (UB - L) / ||g||^2`` (Polyak), ``lambda`` halved when the bound
stalls. Every few iterations the Lagrangian heuristic turns the multipliers
into a feasible solution: hosts whose knapsack pays their fixed cost are
opened (more by increasing ``C_e[j] - K_j`` if they cannot serve T devices),
devices are assigned by a capacity-checked regret greedy, and the local
search polishes the result. After the bound phase the best solution is
improved by the core search of :mod:`hflopt.solvers.core_search` (LP-guided
moves of open hosts among the hosts the multipliers rank best) and by the
local search.

For speed on large instances (from 20,000 links) the subgradient works on a
*core* of links with
``l*C_d < cutoff``: a link outside the core has ``r_ij >= cutoff - v > 0`` as
long as ``v < cutoff``, so it could not enter any knapsack and the bound
computed on the core equals the bound on all links. The core is widened when
``v`` approaches the cutoff, and the final bound is always recomputed on all
links.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from hflopt.solvers._common import Deadline
from hflopt.solvers.greedy import assign_greedy, repair_assignment
from hflopt.solvers.lagrange import evaluate
from hflopt.solvers.links import LinkData, LinkSet
from hflopt.solvers.local_search import improve

__all__ = ["LagrangianState", "Steps", "evaluate_multipliers", "lagrangian_heuristic", "subgradient"]


@dataclass
class LagrangianState:
    """Multipliers and what they give."""

    u: np.ndarray
    v: float
    bound: float
    host_value: np.ndarray  # C_e[j] - K_j (negative: host pays off)
    iterations: int = 0


def evaluate_multipliers(
    data: LinkData,
    u: np.ndarray,
    v: float,
    links: np.ndarray | LinkSet | None = None,
    *,
    want_x: bool = False,
) -> tuple[float, np.ndarray, Any]:
    """Lagrangian value ``L(u, v)`` (a valid lower bound) and per-host ``C_e - K_j``.

    :func:`hflopt.solvers.lagrange.evaluate` without the cover row.

    Parameters
    ----------
    links:
        Links to consider (indices or a :class:`~hflopt.solvers.links.LinkSet`;
        default all usable). A bound computed on a subset is valid only if no
        excluded link has a negative reduced cost.
    want_x:
        Also return ``(items, x)``: the links with negative reduced cost and
        their fractional knapsack values (only of hosts that open).
    """
    ls = links if isinstance(links, LinkSet) else (
        data.usable_set if links is None else LinkSet.usable(data, links))
    lag = evaluate(data, u, v, ls, want_x=want_x)
    return lag.value, lag.host_value, ((lag.items, lag.x) if want_x else None)


def _initial_multipliers(data: LinkData) -> tuple[np.ndarray, float]:
    n, t = data.n, data.T
    share = np.where(data.R[data.host] > 0, data.f[data.host] * data.D[data.dev] /
                     np.maximum(data.R[data.host], 1e-12), np.inf)
    est = np.where(data.usable, data.a + share, np.inf)
    m_i = np.full(n, np.inf)
    np.minimum.at(m_i, data.dev, est)
    finite = np.isfinite(m_i)
    if t == 0 or not finite.any():
        return np.zeros(n), 0.0
    vals = m_i[finite]
    v = float(np.partition(vals, min(t, vals.size) - 1)[min(t, vals.size) - 1])
    u = np.where(finite, np.maximum(0.0, v - m_i), 0.0)
    return u, v


@dataclass(frozen=True)
class Steps:
    """The subgradient method's step rules."""

    patience: int = 20  #: iterations without a clear gain before the step factor halves
    v_scale: float | None = None  #: scale of the participation subgradient (None: 1 / N)
    lam0: float = 0.1  #: first step factor (Polyak)
    min_step: float = 0.004  #: stop once the step factor falls below this
    stall_stop: int = 80  #: stop after this many iterations without a gain of 0.1%
    core_ratio: float = 1.3  #: links with l*C_d below this x v form the core (large instances)


class _Walk:
    """The state of a subgradient walk: multipliers, the best point, step factor, link core."""

    def __init__(self, data: LinkData, u: np.ndarray, v: float, upper: float | None, gap: float,
                 steps: Steps) -> None:
        self.data, self.steps, self.gap = data, steps, gap
        self.u, self.v = u.astype(np.float64).copy(), v
        self.ub = upper
        self.best = LagrangianState(self.u.copy(), v, -math.inf, data.f.copy())
        self.lam, self.stall = steps.lam0, 0
        self.last_big, self.last_big_bound = 0, -math.inf
        self.scale = max(1.0, float(np.median(data.a)) if data.k else 1.0)
        self.floor = 1e-6 * self.scale
        self.core, self.cutoff = self._core(steps.core_ratio * v + self.floor)

    def _core(self, level: float) -> tuple[LinkSet | None, float]:
        """Links with l*C_d < level > v: no other link can enter a knapsack (same bound)."""
        data = self.data
        if data.k < 20_000 or not math.isfinite(level):
            return None, math.inf
        core = np.flatnonzero(data.a < level)
        if core.size > 0.6 * data.k:
            return None, math.inf
        return LinkSet.usable(data, core), level

    def evaluate(self, it: int) -> Any:
        """The bound at the current multipliers (widening the core first); keeps the best."""
        v = self.v
        if v >= self.cutoff * 0.95 or (self.core is not None and v < 0.6 * self.cutoff):
            self.core, self.cutoff = self._core(self.steps.core_ratio * v + self.floor)
        ls = self.core if self.core is not None else self.data.usable_set
        lag = evaluate(self.data, self.u, v, ls, want_x=True)
        bnd = lag.value
        if bnd > self.best.bound + 1e-9 * max(1.0, abs(bnd)):
            improved_much = bnd > self.best.bound + 1e-4 * max(1.0, abs(bnd))
            self.best = LagrangianState(self.u.copy(), v, bnd, lag.host_value, it)
            self.stall = 0 if improved_much else self.stall + 1
            if bnd > self.last_big_bound + 1e-3 * max(1.0, abs(bnd)):
                self.last_big, self.last_big_bound = it, bnd
            self.lam = min(2.0, self.lam * 1.05)
        else:
            self.stall += 1
        if self.stall >= self.steps.patience:
            self.lam *= 0.5
            self.stall = 0
        return lag

    def target(self, bnd: float) -> float | None:
        """The Polyak target, or None when the bound reaches the incumbent (stop)."""
        if self.ub is None:
            return abs(bnd) * 1.1 + self.scale
        best = self.best.bound
        if self.data.gran and math.ceil(best - 1e-6) >= self.ub - 1e-9:
            return None  # proven optimal
        if best >= self.ub - max(self.gap, 1e-9) * max(1.0, abs(self.ub)):
            return None
        return self.ub

    def step(self, lag: Any, target: float) -> bool:
        """A projected subgradient step towards ``target``; False when the direction vanishes."""
        data = self.data
        g = np.bincount(data.dev[lag.items], weights=lag.x, minlength=data.n) - 1.0
        g_v = data.T - float(lag.x.sum())
        g = np.where((self.u <= 0) & (g < 0), 0.0, g)
        if self.v <= 0 and g_v < 0:
            g_v = 0.0
        # the participation subgradient is O(N) while each device's is O(1): scale it so
        # that the Polyak step is not dominated by v
        g_v *= self.steps.v_scale if self.steps.v_scale is not None else 1.0 / max(1, data.n)
        norm = float(g @ g) + g_v * g_v
        if norm <= 1e-12:
            return False  # subproblem solution feasible and complementary: L is optimal
        t = self.lam * max(target - lag.value, 1e-6 * self.scale) / norm
        self.u = np.maximum(0.0, self.u + t * g)
        self.v = max(0.0, self.v + t * g_v)
        return True

    def finish(self, it: int) -> LagrangianState:
        """The best point, its bound recomputed on all links when a core was used."""
        self.best.iterations = it
        if self.core is not None:
            lag = evaluate(self.data, self.best.u, self.best.v, self.data.usable_set)
            self.best.bound, self.best.host_value = lag.value, lag.host_value
        return self.best


def subgradient(
    data: LinkData,
    *,
    deadline: Deadline,
    upper: float | None = None,
    iterations: int = 1000,
    start: tuple[np.ndarray, float] | None = None,
    on_iteration: Callable[..., float | None] | None = None,
    gap: float = 0.0,
    steps: Steps | None = None,
) -> LagrangianState:
    """Maximise the Lagrangian dual by projected subgradient steps.

    Parameters
    ----------
    upper:
        An upper bound (objective of a known solution) for the Polyak step;
        estimated when unknown.
    iterations:
        Maximum number of subgradient iterations.
    start:
        Starting multipliers ``(u, v)``.
    on_iteration:
        ``f(it, u, v, bound, hv) -> float | None``: may return a new upper bound
        (the Lagrangian heuristic hooks in here).

    Returns
    -------
    LagrangianState
        The best multipliers found; ``bound`` is recomputed on all links.
    """
    steps = steps or Steps()
    u, v = start if start is not None else _initial_multipliers(data)
    walk = _Walk(data, u, v, upper, gap, steps)
    it = 0
    for it in range(1, iterations + 1):
        if deadline.expired():
            break
        lag = walk.evaluate(it)
        if on_iteration is not None:
            new_ub = on_iteration(it, walk.u, walk.v, lag.value, lag.host_value)
            if new_ub is not None and (walk.ub is None or new_ub < walk.ub):
                walk.ub = new_ub
        target = walk.target(lag.value)
        if target is None or walk.lam < steps.min_step or it - walk.last_big > steps.stall_stop:
            break
        if not walk.step(lag, target):
            break
    return walk.finish(it)


def lagrangian_heuristic(
    data: LinkData,
    host_value: np.ndarray,
    *,
    deadline: Deadline,
    seed: int | None,
    polish: bool = True,
    bound: float | None = None,
    gap: float = 0.0,
    max_no_improve: int = 5,
    max_passes: int | None = None,
) -> np.ndarray | None:
    """Turn per-host Lagrangian values into a feasible assignment (and polish it)."""
    order = np.argsort(host_value, kind="stable")
    is_open = host_value < 0
    # enough capacity for the T smallest workloads (with some slack), opened in order
    t = data.T
    need_cap = 1.1 * data.W
    cum = np.cumsum(data.R[order])
    k = max(int(is_open.sum()), int(np.searchsorted(cum, need_cap)) + 1, 1)
    k = min(k, data.m)
    is_open[order[:k]] = True
    ho = assign_greedy(data, is_open, t)
    while int((ho >= 0).sum()) < t and k < data.m:
        # open the next most promising hosts (doubling) and continue the assignment
        add = max(1, k)
        is_open[order[k:k + add]] = True
        k += add
        ho = assign_greedy(data, is_open, t, host_of=ho)
    if int((ho >= 0).sum()) < t:  # every host open and still short: ejection chains
        ho = repair_assignment(data, ho, is_open, t, deadline=deadline)
    if int((ho >= 0).sum()) < data.T:
        return None
    if polish:
        ho, _ = improve(data, ho, deadline=deadline, seed=seed, max_no_improve=max_no_improve,
                        bound=bound, gap=gap, max_passes=max_passes)
    return ho
