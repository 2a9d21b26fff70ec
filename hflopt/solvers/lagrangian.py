"""Lagrangian relaxation of HFLOP: a certified lower bound plus a Lagrangian heuristic.

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
from dataclasses import dataclass
from typing import Any

import numpy as np

from hflopt.instance import Instance
from hflopt.solution import Result, Solution
from hflopt.solvers._common import (
    Deadline,
    Progress,
    ProgressCallback,
    begin,
    finish,
    objective_granularity,
)
from hflopt.solvers.greedy import (
    LinkData,
    assign_greedy,
    link_data,
    lp_knapsack,
    repair_assignment,
)
from hflopt.solvers.local_search import improve

__all__ = ["SEARCH_MAX_LINKS", "LagrangianState", "LinkSet", "evaluate_multipliers", "lagrangian",
           "lagrangian_bound", "lagrangian_heuristic"]

_EPS = 1e-9
#: instances with at most this many links get the core search after the bound phase
SEARCH_MAX_LINKS = 5_000_000


@dataclass
class LagrangianState:
    """Multipliers and what they give."""

    u: np.ndarray
    v: float
    bound: float
    host_value: np.ndarray  # C_e[j] - K_j (negative: host pays off)
    iterations: int = 0


class LinkSet:
    """Usable links of a subset, with the arrays the Lagrangian needs gathered once."""

    def __init__(self, data: LinkData, links: np.ndarray | None) -> None:
        idx = np.flatnonzero(data.usable) if links is None else links[data.usable[links]]
        self.idx = idx
        self.a = data.a[idx]
        self.dev = data.dev[idx]
        self.host = data.host[idx].astype(np.int64)
        self.w = data.D[self.dev]

    @staticmethod
    def all(data: LinkData) -> LinkSet:
        """All usable links of ``data`` (computed once per instance)."""
        cached = getattr(data, "_usable_links", None)
        if cached is None:
            cached = LinkSet(data, None)
            data._usable_links = cached  # type: ignore[attr-defined]
        return cached


def evaluate_multipliers(
    data: LinkData,
    u: np.ndarray,
    v: float,
    links: np.ndarray | LinkSet | None = None,
    *,
    want_x: bool = False,
) -> tuple[float, np.ndarray, Any]:
    """Lagrangian value ``L(u, v)`` (a valid lower bound) and per-host ``C_e - K_j``.

    Parameters
    ----------
    links:
        Links to consider (indices or a :class:`LinkSet`; default all). A
        bound computed on a subset is valid only if no excluded link has a
        negative reduced cost.
    want_x:
        Also return ``(items, x)``: the links with negative reduced cost and
        their fractional knapsack values (only of hosts that open).
    """
    ls = links if isinstance(links, LinkSet) else (
        LinkSet.all(data) if links is None else LinkSet(data, np.asarray(links)))
    r = ls.a + u[ls.dev]
    r -= v
    neg = np.flatnonzero(r < 0)
    items = ls.idx[neg]
    h = ls.host[neg]
    x, value = lp_knapsack(h, -r[neg], ls.w[neg], data.R.astype(np.float64))
    hv = data.f - value
    bound = float(np.minimum(hv, 0.0).sum() - u.sum() + v * data.T)
    if want_x:
        opened = hv < 0
        keep = opened[h] & (x > 0)
        return bound, hv, (items[keep], x[keep])
    return bound, hv, None


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


def lagrangian_bound(
    data: LinkData,
    *,
    deadline: Deadline,
    upper: float | None = None,
    iterations: int = 1000,
    start: tuple[np.ndarray, float] | None = None,
    heuristic_every: int = 0,
    on_iteration: Any = None,
    patience: int = 20,
    v_scale: float | None = None,
    lam0: float = 0.1,
    min_step: float = 0.004,
    gap: float = 0.0,
    stall_stop: int = 80,
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
    u, v = start if start is not None else _initial_multipliers(data)
    u = u.astype(np.float64).copy()
    gran = objective_granularity(data.instance)
    # core of links: a link with l*C_d >= cutoff > v has reduced cost > 0 for every u >= 0,
    # so it cannot enter a knapsack and the bound on the core equals the bound on all links
    def make_core(level: float) -> tuple[LinkSet | None, float]:
        if data.k < 20_000 or not math.isfinite(level):
            return None, math.inf
        core = np.flatnonzero(data.a < level)
        if core.size > 0.6 * data.k:
            return None, math.inf
        return LinkSet(data, core), level

    core_ratio = 1.3
    floor = 1e-6 * max(1.0, float(np.median(data.a)) if data.k else 1.0)
    core, cutoff = make_core(core_ratio * v + floor)
    best = LagrangianState(u.copy(), v, -math.inf, data.f.copy())
    lam = lam0
    stall = 0
    last_big, last_big_bound = 0, -math.inf
    ub = upper
    scale = max(1.0, float(np.median(data.a)) if data.k else 1.0)
    it = 0
    for it in range(1, iterations + 1):
        if deadline.expired():
            break
        if v >= cutoff * 0.95 or (core is not None and v < 0.6 * cutoff):
            core, cutoff = make_core(core_ratio * v + floor)  # widen (or shrink) the core
        bnd, hv, (items, x) = evaluate_multipliers(data, u, v, core, want_x=True)
        if bnd > best.bound + 1e-9 * max(1.0, abs(bnd)):
            improved_much = bnd > best.bound + 1e-4 * max(1.0, abs(bnd))
            best = LagrangianState(u.copy(), v, bnd, hv, it)
            stall = 0 if improved_much else stall + 1
            if bnd > last_big_bound + 1e-3 * max(1.0, abs(bnd)):
                last_big, last_big_bound = it, bnd
            lam = min(2.0, lam * 1.05)
        else:
            stall += 1
        if stall >= patience:
            lam *= 0.5
            stall = 0
        if on_iteration is not None:
            new_ub = on_iteration(it, u, v, bnd, hv)
            if new_ub is not None and (ub is None or new_ub < ub):
                ub = new_ub
        if ub is not None:
            target_ub = ub
            if gran and math.ceil(best.bound - 1e-6) >= ub - 1e-9:
                break  # proven optimal
            if best.bound >= ub - max(gap, 1e-9) * max(1.0, abs(ub)):
                break
        else:
            target_ub = abs(bnd) * 1.1 + scale
        if lam < min_step or it - last_big > stall_stop:
            break
        # subgradient
        g = np.bincount(data.dev[items], weights=x, minlength=data.n) - 1.0
        g_v = data.T - float(x.sum())
        g = np.where((u <= 0) & (g < 0), 0.0, g)
        if v <= 0 and g_v < 0:
            g_v = 0.0
        # the participation subgradient is O(N) while each device's is O(1): scale it so
        # that the Polyak step is not dominated by v
        sv = v_scale if v_scale is not None else 1.0 / max(1, data.n)
        g_v *= sv
        norm = float(g @ g) + g_v * g_v
        if norm <= 1e-12:
            break  # subproblem solution feasible and complementary: L is optimal
        step = lam * max(target_ub - bnd, 1e-6 * scale) / norm
        u = np.maximum(0.0, u + step * g)
        v = max(0.0, v + step * g_v)
    best.iterations = it
    # final bound on all links (valid whatever the core was)
    if core is not None:
        bnd, hv, _ = evaluate_multipliers(data, best.u, best.v, None)
        best.bound, best.host_value = bnd, hv
    return best


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
    need_cap = 1.1 * float(np.sort(data.D)[:t].sum()) if t else 0.0
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


def lagrangian(
    instance: Instance,
    *,
    time_limit: float | None = None,
    gap: float = 0.0,
    seed: int | None = 0,
    iterations: int = 1000,
    max_no_improve: int = 10,
    search: bool = True,
    search_seconds: float | None = None,
    warm_start: Solution | None = None,
    progress: ProgressCallback | None = None,
    verbose: bool = False,
) -> Result:
    """Lagrangian relaxation: certified lower bound + Lagrangian heuristic + local search.

    Parameters
    ----------
    time_limit:
        Seconds for the whole method (default: no limit).
    gap:
        Stop once the certified relative gap ``(obj - bound) / max(1, obj)`` is
        at most this (default 0: run until proven optimal or out of moves).
    seed:
        Seed of the local search.
    iterations:
        Maximum subgradient iterations.
    max_no_improve:
        Perturbations without improvement before the final local search stops.
    search:
        Improve the best solution by the core search
        (:func:`hflopt.solvers.core_search.core_improve`: LP-guided moves of
        open hosts inside the Lagrangian core) on instances up to
        :data:`SEARCH_MAX_LINKS` links when the gap is still open.
    search_seconds:
        Its budget without a time limit (default: 1.5 times what the bound
        phase took, at least 3 s; it usually stops earlier by itself); with a
        time limit, half of what is left.
    warm_start:
        A feasible solution used as the first incumbent.
    progress:
        Called about once a second with incumbent and bound.
    """
    method = "lagrangian"
    deadline, early = begin(instance, method, time_limit)
    if early is not None:
        return early
    data = link_data(instance)
    build = deadline.elapsed()
    best_ho: np.ndarray | None = None
    best_val = math.inf
    gran = objective_granularity(instance)

    def consider(ho: np.ndarray | None) -> None:
        nonlocal best_ho, best_val
        if ho is None or int((ho >= 0).sum()) < data.T:
            return
        from hflopt.solvers.greedy import objective

        val = objective(data, ho)
        if val < best_val - _EPS:
            best_ho, best_val = ho.copy(), val

    if warm_start is not None and warm_start.is_feasible(instance):
        consider(np.array(warm_start.host_of, dtype=np.int64))
    stats: dict[str, Any] = {"heuristic_calls": 0}
    last = {"report": -math.inf, "bound": -math.inf, "heur_it": -100}
    budget = deadline.seconds

    def closed() -> bool:
        b = last["bound"]
        if not math.isfinite(best_val) or not math.isfinite(b):
            return False
        if gran:
            b = math.ceil(b - 1e-6)
        return best_val - b <= max(gap * max(1.0, abs(best_val)), 1e-9 * max(1.0, abs(best_val)))

    seen: set[bytes] = set()

    def on_iteration(it: int, u: np.ndarray, v: float, bnd: float, hv: np.ndarray) -> float | None:
        last["bound"] = max(last["bound"], bnd)
        now = deadline.elapsed()
        # the heuristic depends on the multipliers only through the set of hosts that pay
        # off: run it when that set is new (at most every few iterations)
        large = data.k >= 1_000_000
        every = 25 if large else 10
        sig = np.packbits(hv < 0).tobytes()
        due = sig not in seen and (it == 1 or it - last["heur_it"] >= every)
        if budget is not None and now > (0.6 if large else 0.7) * budget:
            due = False
        if due and not closed():
            seen.add(sig)
            last["heur_it"] = it
            stats["heuristic_calls"] += 1
            sub = Deadline(None if budget is None else max(0.05, 0.25 * deadline.remaining()))
            ho = lagrangian_heuristic(data, hv, deadline=sub, seed=seed, bound=last["bound"],
                                      gap=gap, max_no_improve=0, polish=not (large and it == 1),
                                      max_passes=2 if large else None)
            consider(ho)
        if progress is not None and now - last["report"] >= 1.0:
            last["report"] = now
            progress(Progress(now, best_val if math.isfinite(best_val) else None,
                              last["bound"], "lagrangian"))
        return best_val if math.isfinite(best_val) else None

    # leave part of the budget for the final polish
    sub_deadline = Deadline(None if budget is None else max(0.05, 0.8 * budget))
    state = lagrangian_bound(data, deadline=sub_deadline, iterations=iterations,
                             upper=best_val if math.isfinite(best_val) else None,
                             on_iteration=on_iteration, gap=gap)
    last["bound"] = max(last["bound"], state.bound)
    stats.update(iterations=state.iterations, lagrangian_bound=state.bound,
                 bound_phase_seconds=round(deadline.elapsed(), 3))
    # final heuristic from the best multipliers, then polish the incumbent
    if not closed() and not deadline.expired():
        ho = lagrangian_heuristic(data, state.host_value, deadline=deadline, seed=seed,
                                  polish=False)
        consider(ho)
    if best_ho is None and not deadline.expired():
        from hflopt.solvers.core_search import feasible_start

        consider(feasible_start(data, deadline))
    if (search and best_ho is not None and not closed() and not deadline.expired()
            and data.k <= SEARCH_MAX_LINKS):
        from hflopt.solvers.core_search import core_improve

        if budget is None:
            kd = Deadline(search_seconds if search_seconds is not None
                          else max(3.0, 1.5 * deadline.elapsed()))
        else:
            kd = Deadline(max(0.05, 0.5 * deadline.remaining()))
        t_k = deadline.elapsed()
        ho, sstats = core_improve(data, best_ho, u=state.u, v=state.v,
                                  host_value=state.host_value, bound=state.bound, deadline=kd,
                                  seed=seed, gap=gap, before_seconds=t_k,
                                  on_improve=lambda h, val: consider(h))
        stats["core_search"] = {k: v for k, v in sstats.as_dict().items() if v not in ("", None)}
        stats["search_seconds"] = round(deadline.elapsed() - t_k, 3)
        before = best_val
        consider(ho)
        stats["search_improved"] = bool(best_val < before or sstats.descent_moves > 0)
    if best_ho is not None and not closed() and not deadline.expired():
        ho, _ = improve(data, best_ho, deadline=deadline, seed=seed,
                        max_no_improve=max_no_improve // 2 if stats.get("search_improved") else
                        max_no_improve, bound=state.bound, gap=gap,
                        progress=progress, max_passes=3 if data.k >= 1_000_000 else None)
        consider(ho)
    return finish(instance, host_of=best_ho, bound=state.bound, method=method, solver="hflopt",
                  build_seconds=build, solve_seconds=deadline.elapsed() - build, stats=stats,
                  timed_out=deadline.expired() and not closed(), solver_optimal=closed(),
                  gap_tolerance=gap)
