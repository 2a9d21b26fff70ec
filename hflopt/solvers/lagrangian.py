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
search polishes the result.

For speed on 10^7 links the subgradient works on a *core* of links with
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
    finish,
    infeasibility_reason,
    objective_granularity,
)
from hflopt.solvers.greedy import (
    LinkData,
    assign_greedy,
    construct,
    link_data,
    lp_knapsack,
    sort_within_groups,
)
from hflopt.solvers.local_search import improve

__all__ = ["LagrangianState", "evaluate_multipliers", "lagrangian", "lagrangian_bound"]

_EPS = 1e-9


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
    links: np.ndarray | None = None,
    *,
    want_x: bool = False,
) -> tuple[float, np.ndarray, Any]:
    """Lagrangian value ``L(u, v)`` (a valid lower bound) and per-host ``C_e - K_j``.

    Parameters
    ----------
    links:
        Indices of links to consider (default all). A bound computed on a
        subset is valid only if no excluded link has a negative reduced cost.
    want_x:
        Also return ``(items, x)``: the links with negative reduced cost and
        their fractional knapsack values (only of hosts that open).
    """
    a = data.a if links is None else data.a[links]
    dev = data.dev if links is None else data.dev[links]
    r = a + u[dev]
    r -= v
    neg = r < 0
    if links is None:
        items = np.flatnonzero(neg & data.usable)
    else:
        items = links[neg & data.usable[links]]
        r = r[neg & data.usable[links]]
    if links is None:
        r = r[items]
    h = data.host[items].astype(np.int64)
    w = data.D[data.dev[items]]
    x, value = lp_knapsack(h, -r, w, data.R.astype(np.float64))
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
    def make_core(level: float) -> tuple[np.ndarray | None, float]:
        if data.k < 200_000 or not math.isfinite(level):
            return None, math.inf
        core = np.flatnonzero(data.a < level)
        if core.size > 0.6 * data.k:
            return None, math.inf
        return core, level

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
    if int((ho >= 0).sum()) < data.T:
        return None
    if polish:
        ho, _ = improve(data, ho, deadline=deadline, seed=seed, max_no_improve=max_no_improve,
                        bound=bound, gap=gap, max_passes=max_passes)
    return ho


def _sub_mip(data: LinkData, host_of: np.ndarray, hosts: np.ndarray, r: np.ndarray,
             slack: float, *, deadline: Deadline, per_device: int, max_links: int,
             cutoff: float | None, verbose: bool) -> np.ndarray | None:
    """Restricted MIP over ``hosts`` and low-reduced-cost links; MIP start ``host_of``."""
    from hflopt.solvers.bounds import new_highs, strong_model

    inst = data.instance
    part = np.flatnonzero(host_of >= 0)
    inc_links = inst.link_index(part, host_of[part])
    ok = data.usable & hosts[data.host] & (r < slack)
    order = sort_within_groups(data.ptr, np.where(ok, r, np.inf))
    rank = np.empty(data.k, dtype=np.int64)
    rank[order] = np.arange(data.k) - np.repeat(data.ptr[:-1], np.diff(data.ptr))
    # plus every link tied with the device's best one (free links tie at reduced cost -u_i+v)
    rmin = np.full(data.n, np.inf)
    first = order[rank[order] == 0]
    rmin[data.dev[first]] = np.where(ok[first], r[first], np.inf)
    tie = r <= rmin[data.dev] + 1e-9 * max(1.0, float(np.abs(r).max()) if r.size else 1.0)
    cand = np.flatnonzero(ok & ((rank < per_device) | tie))
    if cand.size > max_links:
        cand = cand[np.argpartition(r[cand], max_links - 1)[:max_links]]
    start_ok = bool(np.all(hosts[host_of[part]]))
    links = np.union1d(cand, inc_links) if start_ok else cand
    h = new_highs(verbose)
    h.setOptionValue("mip_rel_gap", 0.0)
    if objective_granularity(inst):
        h.setOptionValue("mip_abs_gap", 1.0 - 1e-6)
    if cutoff is not None:
        h.setOptionValue("objective_bound", float(cutoff))
    if math.isfinite(deadline.remaining()):
        h.setOptionValue("time_limit", max(0.05, deadline.remaining()))
    h.passModel(strong_model(inst, links=links, hosts=hosts, integer=True))
    if start_ok:
        pos = np.searchsorted(links, inc_links)
        cols = np.concatenate((pos, links.size + np.unique(host_of[part]))).astype(np.int32)
        h.setSolution(cols.size, cols, np.ones(cols.size))

    def on_interrupt(e: Any) -> None:
        if deadline.expired():
            e.interrupt()

    h.cbMipInterrupt += on_interrupt
    try:
        h.run()
    finally:
        h.cbMipInterrupt -= on_interrupt
    if h.getInfo().primal_solution_status != 2:
        return None
    x = np.asarray(h.getSolution().col_value)[: links.size]
    chosen = links[x > 0.5]
    ho = np.full(data.n, -1, dtype=np.int64)
    ho[data.dev[chosen]] = data.host[chosen]
    return ho


def kernel_mip(
    data: LinkData,
    host_of: np.ndarray,
    state: LagrangianState,
    *,
    deadline: Deadline,
    max_links: int = 60_000,
    per_device: int = 2,
    verbose: bool = False,
) -> np.ndarray | None:
    """Lagrangian kernel search: small MIPs over promising hosts and links.

    Hosts are eligible only if forcing them open keeps the Lagrangian bound
    below the incumbent (``L + max(0, C_e[j] - K_j) < UB``: the others cannot
    be open in a better solution). They are ranked by ``C_e[j] - K_j``; the
    kernel is the incumbent's hosts plus the best-ranked ones, the rest come
    in buckets. Each restricted MIP (HiGHS; links: each device's
    ``per_device`` links of lowest reduced cost below the gap ``UB - L`` and
    all links tied with its best, plus the incumbent's; a second round
    doubles ``per_device``) must beat the
    incumbent (objective cut-off); hosts a bucket's solution uses join the
    kernel. Returns the best assignment found
    (None if none beat the start); a heuristic, since links are restricted.
    """
    from hflopt.solvers.greedy import objective

    gran = objective_granularity(data.instance)
    best = np.array(host_of, dtype=np.int64)
    ub = objective(data, best)
    lb = state.bound
    if ub - lb <= 1e-9 or deadline.remaining() < 0.05:
        return None
    eligible = lb + np.maximum(state.host_value, 0.0) < ub - 1e-9
    used = np.zeros(data.m, dtype=bool)
    used[best[best >= 0]] = True
    eligible |= used
    ranked = np.argsort(state.host_value, kind="stable")
    ranked = ranked[eligible[ranked] & ~used[ranked]]
    n0 = max(5, int(used.sum()) // 2)
    kernel = used.copy()
    kernel[ranked[:n0]] = True
    rest = ranked[n0:]
    size = max(5, int(kernel.sum()) // 2)
    buckets = [rest[i:i + size] for i in range(0, rest.size, size)]
    r = data.a + state.u[data.dev] - state.v
    improved = False
    rounds = (per_device, 2 * per_device)
    for pd in rounds:
        for b in range(len(buckets) + 1):
            if deadline.remaining() < 0.05:
                break
            hosts = kernel.copy()
            if b > 0:
                hosts[buckets[b - 1]] = True
            left = len(buckets) + 1 - b  # round 2 only gets what round 1 leaves
            share = Deadline(deadline.remaining() / left * (2.0 if b == 0 else 1.0))
            cutoff = ub - (1.0 - 1e-6 if gran else 1e-9 * max(1.0, abs(ub)))
            ho = _sub_mip(data, best, hosts, r, ub - lb, deadline=share, per_device=pd,
                          max_links=max_links, cutoff=cutoff, verbose=verbose)
            if ho is not None and int((ho >= 0).sum()) >= data.T:
                val = objective(data, ho)
                if val < ub - 1e-9:
                    best, ub, improved = ho, val, True
                    kernel[np.unique(ho[ho >= 0])] = True
            if (math.ceil(lb - 1e-6) if gran else lb) >= ub - 1e-9:
                return best
    return best if improved else None


def lagrangian(
    instance: Instance,
    *,
    time_limit: float | None = None,
    gap: float = 0.0,
    seed: int | None = 0,
    iterations: int = 1000,
    max_no_improve: int = 10,
    kernel: bool = True,
    kernel_seconds: float | None = None,
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
    kernel:
        Run the Lagrangian kernel MIP (:func:`kernel_mip`) on instances up to
        5 million links when the gap is still open.
    kernel_seconds:
        Its budget without a time limit (default: 1.5 times what the bound
        phase took, at least 3 s); with a time limit, half of what is left.
    warm_start:
        A feasible solution used as the first incumbent.
    progress:
        Called about once a second with incumbent and bound.
    """
    method = "lagrangian"
    deadline = Deadline(time_limit)
    reason = infeasibility_reason(instance)
    if reason:
        return finish(instance, host_of=None, bound=None, method=method, solver="hflopt",
                      infeasible=True, message=reason, solve_seconds=deadline.elapsed())
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
        consider(construct(data, deadline))
    if (kernel and best_ho is not None and not closed() and not deadline.expired()
            and data.k <= 5_000_000):
        kd = Deadline(None if budget is None else max(0.05, 0.5 * deadline.remaining()))
        if budget is None:
            kd = Deadline(kernel_seconds if kernel_seconds is not None
                          else max(3.0, 1.5 * deadline.elapsed()))
        t_k = deadline.elapsed()
        ho = kernel_mip(data, best_ho, state, deadline=kd, verbose=verbose)
        stats["kernel_mip"] = ho is not None
        stats["kernel_seconds"] = round(deadline.elapsed() - t_k, 3)
        consider(ho)
    if best_ho is not None and not closed() and not deadline.expired():
        ho, _ = improve(data, best_ho, deadline=deadline, seed=seed,
                        max_no_improve=max_no_improve // 2 if stats.get("kernel_mip") else
                        max_no_improve, bound=state.bound, gap=gap,
                        progress=progress, max_passes=3 if data.k >= 1_000_000 else None)
        consider(ho)
    return finish(instance, host_of=best_ho, bound=state.bound, method=method, solver="hflopt",
                  build_seconds=build, solve_seconds=deadline.elapsed() - build, stats=stats,
                  timed_out=deadline.expired() and not closed(), solver_optimal=closed(),
                  gap_tolerance=gap)
