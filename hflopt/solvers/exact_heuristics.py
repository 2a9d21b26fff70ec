"""The exact solver's heuristics: incumbents from the LP, improved within small budgets.

A better incumbent means stronger reduced-cost fixing and less work for
branch-and-bound, so the exact solver spends a little time here:
:func:`round_lp` rounds the LP's open hosts, assigns devices greedily
(:func:`assign_open`) and closes hosts while that pays; :func:`improve_incumbent`
runs the local search and, while the gap is open, a short core search
guided by the LP's multipliers (the full core search under tight
capacities).
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any, Protocol

import numpy as np

from hflopt.instance import Instance
from hflopt.solution import Solution
from hflopt.solvers._common import Deadline
from hflopt.solvers.arrays import csr_ptr
from hflopt.solvers.lagrange import LagrangianBound
from hflopt.solvers.links import LinkData
from hflopt.solvers.params import ExactParams, SolveOptions

__all__ = ["assign_open", "improve_incumbent", "round_lp"]

log = logging.getLogger(__name__)


def assign_open(data: LinkData, open_: np.ndarray, links: np.ndarray, capacitated: bool,
                prefer: np.ndarray | None = None) -> np.ndarray | None:
    """Greedy assignment to the open hosts: cheapest links first, lighter first.

    Processes candidate links in rounds (each free device proposes its best
    remaining link, hosts accept proposals in priority order while capacity
    lasts) until T devices are served. Returns ``host_of`` or None.
    """
    n, t = data.n, data.T
    host_of = np.full(n, -1, dtype=np.int64)
    if t == 0:
        return host_of
    cand = links[open_[data.host[links]]]
    if capacitated:
        cand = cand[data.d[cand] <= data.R[data.host[cand]]]
    if cand.size == 0:
        return None
    keys = [data.d[cand], data.a[cand]] if prefer is None else [data.d[cand], -prefer[cand], data.a[cand]]
    order = cand[np.lexsort(keys)]
    rem = data.R.astype(np.float64) if capacitated else np.full(data.m, np.inf)
    count = _propose_and_accept(data, order, host_of, rem)
    return host_of if count >= t else None


def _propose_and_accept(data: LinkData, order: np.ndarray, host_of: np.ndarray, rem: np.ndarray) -> int:
    """Rounds of proposals over the ordered candidate links; fills ``host_of``, returns the count."""
    t, m = data.T, data.m
    a_sorted, dev_o, host_o, d_o = data.a[order], data.dev[order], data.host[order], data.d[order]
    alive = np.ones(order.size, dtype=bool)
    count = 0
    while count < t:
        pos = np.flatnonzero(alive & (host_of[dev_o] < 0))
        if pos.size == 0:
            break
        _, first = np.unique(dev_o[pos], return_index=True)
        prop = np.sort(pos[first])
        # the cheapest levels first: at least all proposals at the minimum cost
        level = a_sorted[prop[0]]
        prop = prop[:max(int(np.count_nonzero(a_sorted[prop] <= level)), (prop.size + 4) // 5)]
        hs = host_o[prop]
        o2 = np.argsort(hs, kind="stable")
        hs2 = hs[o2]
        ds2 = d_o[prop][o2]
        ptr = csr_ptr(hs2, m)
        cw = np.cumsum(ds2)
        base = np.concatenate(([0.0], cw))[ptr[:-1]]
        ok = cw - np.repeat(base, np.diff(ptr)) <= rem[hs2] + 1e-9
        acc = np.sort(prop[o2[ok]])
        if count + acc.size > t:
            acc = acc[: t - count]
        host_of[dev_o[acc]] = host_o[acc]
        rem -= np.bincount(host_o[acc], weights=d_o[acc], minlength=m)
        count += acc.size
        alive &= d_o <= rem[host_o] + 1e-9  # links that no longer fit are dead
        alive[acc] = False
    return count


def round_lp(data: LinkData, links: np.ndarray, y: np.ndarray, xpref: np.ndarray | None,
             deadline: Deadline, budget: float, capacitated: bool) -> tuple[np.ndarray | None, float]:
    """LP rounding + greedy assignment + close-host local search."""
    t_end = deadline.elapsed() + budget
    has_links = np.bincount(data.host[links], minlength=data.m) > 0

    def try_open(open_: np.ndarray) -> tuple[np.ndarray | None, float]:
        h = assign_open(data, open_, links, capacitated, xpref)
        return (None, math.inf) if h is None else (h, data.cost(h))

    best, best_cost = _round_thresholds(data, y, has_links, try_open, deadline, t_end)
    if best is None:
        return None, math.inf
    return _close_hosts(data, y, best, best_cost, try_open, deadline, t_end)


def _round_thresholds(data: LinkData, y: np.ndarray, has_links: np.ndarray, try_open: Any,
                      deadline: Deadline, t_end: float) -> tuple[np.ndarray | None, float]:
    """Open the hosts with ``y >= theta`` (more, by LP value, until feasible); the best of a few."""
    best: np.ndarray | None = None
    best_cost = math.inf
    order_y = np.argsort(-y, kind="stable")
    for theta in (0.5, 1e-6, 0.9):
        if deadline.elapsed() > t_end and best is not None:
            break
        open_ = (y >= theta) & has_links
        h, c = try_open(open_)
        extra = 0
        while h is None and extra < data.m:  # not feasible: open more hosts by LP value
            closed = order_y[~open_[order_y] & has_links[order_y]]
            if closed.size == 0:
                break
            step = max(1, closed.size // 8) if extra > 4 else 1
            open_[closed[:step]] = True
            extra += step
            h, c = try_open(open_)
        if h is not None and c < best_cost:
            best, best_cost = h, c
    return best, best_cost


def _close_hosts(data: LinkData, y: np.ndarray, best: np.ndarray, best_cost: float, try_open: Any,
                 deadline: Deadline, t_end: float) -> tuple[np.ndarray, float]:
    """Close hosts one at a time while it pays (least LP-used first)."""
    improved = True
    while improved and deadline.elapsed() < t_end:
        improved = False
        used = np.unique(best[best >= 0])
        for j in used[np.argsort(y[used] - 1e-3 * data.f[used], kind="stable")]:
            if deadline.elapsed() >= t_end:
                break
            open_ = np.zeros(data.m, dtype=bool)
            open_[used] = True
            open_[j] = False
            h, c = try_open(open_)
            if h is not None and c < best_cost - 1e-9:
                best, best_cost, improved = h, c, True
                break
    return best, best_cost


# ----------------------------------------------------------- improvement
class IncumbentState(Protocol):
    """What the improvement heuristics use of the exact solver's state
    (:class:`hflopt.solvers.exact.ExactRun`)."""

    instance: Instance
    data: LinkData
    options: SolveOptions
    params: ExactParams
    deadline: Deadline
    capacitated: bool
    t0: float
    stats: dict[str, Any]
    best: np.ndarray | None
    bound: float
    lag: LagrangianBound | None

    def offer(self, host_of: np.ndarray | None, cost: float, source: str) -> bool: ...

    def report(self, phase: str) -> None: ...

    def closed_enough(self) -> bool: ...

    def heuristic_budget(self) -> float: ...


def improve_incumbent(run: IncumbentState) -> None:
    """Local search, then a core search while the gap is open (capacitated only)."""
    if run.best is None or not run.capacitated:
        return
    if not run.closed_enough() and not run.deadline.expired():
        h = _local_search(run, run.heuristic_budget())
        if h is not None and run.offer(h, run.data.cost(h), "local search"):
            run.report("local search")
    if (run.params.core_search and run.lag is not None and not run.closed_enough()
            and not run.deadline.expired()):
        budget, tight = _core_search_budget(run)
        h = _core_search(run, budget, full=tight)
        if h is not None:
            run.offer(h, run.data.cost(h), "core search")


def _core_search_budget(run: IncumbentState) -> tuple[float, bool]:
    """At most as long as everything before it; under tight capacities the full search, longer."""
    p = run.params
    budget = min(run.heuristic_budget(), max(0.05, time.perf_counter() - run.t0))
    tight = run.data.W > 0 and float(run.data.R.sum()) < p.tight_ratio * run.data.W
    if tight:
        more = p.tight_max if run.deadline.seconds is None else p.tight_share * run.deadline.remaining()
        budget = max(budget, min(p.tight_max, more))
    return budget, tight


def _local_search(run: IncumbentState, budget: float) -> np.ndarray | None:
    """Improve the incumbent with the local search, stopped at the proven bound."""
    from hflopt.solvers.local_search import local_search
    from hflopt.solvers.params import LocalSearchParams, SolveOptions

    if budget <= 0.0:
        return None
    # every objective is >= 0 (costs are): a weaker bound, e.g. early Lagrangian multipliers', is 0
    stop_at = max(0.0, run.bound) if math.isfinite(run.bound) else None
    options = SolveOptions(time_limit=budget, seed=run.options.seed, warm_start=Solution(run.best))
    params = LocalSearchParams(max_no_improve=run.params.ls_max_no_improve, stop_at=stop_at)
    try:
        res = local_search(run.instance, options, params)
    except Exception as exc:  # a heuristic failing must not break the exact method: say so
        log.warning("exact: the local search failed (%s: %s); going on without it", type(exc).__name__, exc)
        run.stats["local_search_error"] = f"{type(exc).__name__}: {exc}"
        return None
    if res.solution is not None and res.solution.is_feasible(run.instance):
        return np.asarray(res.solution.host_of, dtype=np.int64)
    return None


def _core_search(run: IncumbentState, budget: float, *, full: bool) -> np.ndarray | None:
    """A core search from the incumbent, at most ``budget`` seconds.

    Short (default): one descent and one kick over the open hosts, guided by
    the LP's multipliers, which choose the core of hosts and links; no
    assignment MIP. ``full``: the whole ``core-search`` method (its own
    Lagrangian core, kicks, final MIP) warm-started from the incumbent, for
    tight capacities. Returns a feasible assignment or None.
    """
    if budget <= 0.0:  # no time for it (e.g. ls_max = 0)
        return None
    tick = time.perf_counter()
    try:
        h = _run_core_search(run, budget, full)
    except Exception as exc:  # a heuristic failing must not break the exact method: say so
        log.warning("exact: the core search failed (%s: %s); going on without it", type(exc).__name__, exc)
        run.stats["core_search_error"] = f"{type(exc).__name__}: {exc}"
        return None
    finally:
        run.stats["core_search_seconds"] = round(time.perf_counter() - tick, 3)
    if h is None:
        return None
    h = np.asarray(h, dtype=np.int64)
    ok = h.shape == run.best.shape and Solution(h).is_feasible(run.instance)
    return h if ok else None


def _run_core_search(run: IncumbentState, budget: float, full: bool) -> np.ndarray | None:
    from dataclasses import replace

    from hflopt.solvers.core_search import CoreImprove, core_improve, core_search
    from hflopt.solvers.params import CoreSearchParams, SolveOptions

    if full:
        run.stats["core_search_tight"] = True
        res = core_search(run.instance, SolveOptions(time_limit=budget, seed=run.options.seed,
                                                     warm_start=Solution(run.best)))
        return res.solution.host_of if res.solution is not None else None
    lag = run.lag
    assert lag is not None and run.best is not None
    one_kick = replace(CoreSearchParams(), max_kicks=1, mip_seconds=0.0)  # no assignment MIP
    settings = CoreImprove(seed=run.options.seed, polish=False, search_seconds=budget, params=one_kick)
    h, _ = core_improve(run.data, run.best, u=lag.u, v=lag.mu, host_value=lag.host_value, bound=run.bound,
                        deadline=Deadline(budget), settings=settings)
    return h
