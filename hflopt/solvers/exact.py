r"""hflopt's fast exact solver: bound, prove, restrict, then branch.

HiGHS given the textbook HFLOP model stalls on large or tightly capacitated
instances: 10^6 rows ``x_ij <= y_j`` at 100 x 10,000, weak LP bounds when
capacities bind. This method solves the same problem to the same proven
optimum while handing HiGHS far less:

1. **Presolve.** Links whose device does not fit the host's capacity are
   dropped; infeasibility is diagnosed with numbers.
2. **LP bound over a core of links, priced over all links.** The LP
   relaxation of the strengthened model (capacity rows ``sum D x <= R_j y_j``,
   ``x <= y``, and the cover row ``sum_j R_j y_j >= W_T``, the T smallest
   workloads) is solved over a *core*: every link on small instances, each
   device's few most promising links on large ones. Its duals ``u``
   (assignment rows) and ``mu`` (participation) give a Lagrangian bound on
   the *whole* instance (a "served by nobody" column per device, dearer
   than any real assignment, keeps a small core's LP feasible when
   capacities are tight): relaxing those rows leaves, per host, a 0-1
   knapsack whose LP bound is evaluated for every host and link at once
   (numpy), and the cover row is relaxed with its best multiplier. Any
   multipliers give a valid bound, so the LP needs no exact duals (an
   interior-point solve without crossover does, on big cores). Links with a
   negative Lagrangian reduced cost join the core and the LP is solved again
   (column generation) until the bound matches the core LP; each round's
   dual simplex starts from the previous round's basis, mapped by column and
   row keys (:class:`_LPBasis`). With integral data the rounds
   stop once both round up to the same integer; if branch-and-bound turns
   out to be needed and rounds are cheap, they resume to convergence, whose
   duals fix more links in step 4.
3. **Heuristics.** The LP's open hosts are rounded, devices are assigned by
   a capacity-aware greedy, hosts are closed one by one while that pays, and
   the ``"local-search"`` method registered in :mod:`hflopt.solvers` (when
   present) improves the result within a small time budget; if the gap is
   still open, a short core search (:func:`hflopt.solvers.core_search.core_improve`:
   drop/add/swap moves over the open hosts, its core chosen by the LP's
   multipliers) runs for at most as long as everything before it. A better
   incumbent here means stronger fixing in step 4 and less work for HiGHS.
4. **Proof or restriction.** If the Lagrangian bound reaches the incumbent
   (within less than 1 for integral data), the incumbent is optimal. If
   not, every link and host whose Lagrangian reduced cost lifts the bound
   past the incumbent is removed: no solution better than the incumbent
   uses it (the incumbent's own links are kept).
5. **Branch-and-bound** (HiGHS) on what is left, warm-started with the
   incumbent: the strengthened model of
   :func:`~hflopt.solvers.highs_direct.build_grouped`, where links to hosts
   whose capacity cannot bind are grouped per (device, cost) into one
   continuous column each (exact, same LP bound, far fewer rows). The
   optimum of this MILP, or the incumbent, is the optimum of the instance; a
   time-out returns the best solution with the bound
   ``max(L, min(restricted bound, incumbent))``. Under a time limit, big
   models are handed over in a form HiGHS can be interrupted in (no
   presolve, aggregated linking): HiGHS checks its clock neither inside its
   MIP presolve nor inside a root separation round.

Every bound is a bound on the full instance: removed links only occur in
solutions that cost at least as much as the incumbent. Results go through
:func:`hflopt.solvers._common.finish`, which verifies the solution and calls
it optimal only with a zero gap (for integral data a bound within less than
1 of the incumbent, rounded up, is that proof).
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hflopt.errors import SolverError
from hflopt.instance import Instance
from hflopt.model import VARIANTS
from hflopt.solution import Result, Solution
from hflopt.solvers._common import (
    HIGHS_NAMES,
    Deadline,
    Progress,
    ProgressCallback,
    finish,
    infeasibility_reason,
    interrupted,
    objective_granularity,
)
from hflopt.solvers.greedy import assign_complete, link_data
from hflopt.solvers.highs_direct import (
    build_grouped,
    check_highs_options,
    cover_rhs,
    highs_with,
    new_highs,
    run_highs,
)

__all__ = ["LagrangianBound", "lagrangian_bound", "solve_exact"]

METHOD = "exact"
# Core size above which the LP is solved by interior point without crossover.
_IPM_COLUMNS = 12_000
# LP rounds warm-started from the previous round's basis, resumed to convergence
# after the heuristics when branch-and-bound is needed (False: cold rounds, no
# resumption; the ablation `benchmarks/exact.py --baseline exact-cold-lp`) ...
_WARM_LP = True
# ... but only when the last round took at most this long.
_RESUME_LP_SECONDS = 0.5
# Instances with at most this many usable links use all of them as the LP core.
# (Was 40,000: one LP over 20,000-40,000 links takes 2.5-11 s, the core rounds
# 0.1-0.8 s; same-run on authors' 20/30/40 x 1,000, 7 seeds: total 67.6 s vs
# 103.1 s, median 4.0 s vs 11.0 s, none slower.)
_FULL_CORE_LINKS = 10_000
# Links per device in the initial core of large instances.
_CORE_PER_DEVICE = 3
_MAX_CG_ROUNDS = 8
# Under a time limit, no new LP round starts after this share of it (a tight
# 200x2000 instance spent all of 30 s in LP rounds and returned no solution)
_BOUND_SHARE = 0.5
# ... and no LP round runs past this share of it while no solution is at hand ...
_LP_MAX_SHARE = 0.75
# ... or past this share once one is (a warm start, e.g. from method="auto"): the LP
# is then worth finishing, since LP rounding usually beats what the heuristics make of
# the start in the rest of the time. method="auto" with time_limit=5 on authors'
# 100x10,000 seeds 0-19 (exact gets ~3.7 s and the core search's solution; same
# process, alternating): 10 proven optimal instead of 9, objectives summing to 101
# instead of 153 (better on 7, e.g. 4 vs 22, worse on 2: 9 vs 8, 5 vs 4), slowest
# return 5.75 s vs 5.86 s. (`benchmarks/exact.py --method auto --baseline
# exact-lp-cap-75 --sizes 100x10000 --seeds 20 --limit 5`, one child process per
# run: 11 vs 11 proven, slowest 5.72 vs 6.09 s.) Without a start the share
# stays 0.75: running the quick greedy first to get one (0.3 s on 10^6 links) was
# measured too, exact alone with time_limit=3.3 on the same seeds: one instance
# better (16 vs 373), two slightly worse, one overran the limit by 3 s -- dropped.
_LP_MAX_SHARE_WITH_START = 0.9
# Budget of the registered local search: base + links / rate, at most max (s).
_LS_BASE = 0.3
_LS_LINKS_PER_SECOND = 50_000.0
_LS_MAX = 3.0
# ... and it stops after this many perturbations in a row that found nothing
# (30, the method's default, used the whole budget on authors' 50x1000 where it
# rarely helps; same-run total over 12 instances 110.5 s vs 119.5 s)
_LS_MAX_NO_IMPROVE = 5
# After LP rounding and the local search, a short core search (drop/add/swap over the
# open hosts, guided by the LP's multipliers) while the gap is open. Same-run A/B
# (alternating order, limit 60 s): authors' 30x1,000 s0-15 and 50x1,000 s0-29 handed
# branch-and-bound a non-optimal incumbent 7 times without it, never with it; totals
# 57.0 -> 46.0 s and 44.9 -> 36.1 s; 20x1,000 s0-9 20.5 -> 15.8 s; 100x1,000 s0-9
# 5.3 -> 3.3 s; Holmberg (24 files) 116.3 -> 108.7 s. It costs on 10^5-10^6 links,
# where LP rounding is already optimal: 10x10,000 and 100x10,000 (3 seeds each)
# 5.1 -> 6.1 s and 18.3 -> 20.4 s. The reproducible ablation, `benchmarks/exact.py
# --family authors --sizes 30x1000 50x1000 --seeds 10 --limit 60 --plain-limit 60
# --baseline exact-without-core-search`, came out about even: median ratio 1.0x on
# both sizes, totals 52.7 vs 55.7 s (30x1,000) and 22.2 vs 21.3 s (50x1,000).
_CORE_SEARCH = True
# Under tight capacities (total capacity < _TIGHT_RATIO x the T smallest workloads) the
# short core search leaves poor incumbents: tight 30x200 instances (capacity 1.2-1.4x
# the demand) ended 60 s of exact 1.35% above what core-search alone found in 10 s
# (benchmarks/heuristics.py --part sscflp). There the full core search (its own
# Lagrangian core, kicks) runs from the incumbent, for up to _TIGHT_SHARE of the time
# left (_TIGHT_MAX s without a limit; it usually stops by itself much earlier).
_TIGHT_RATIO = 2.0
_TIGHT_SHARE = 0.2
_TIGHT_MAX = 30.0
# HiGHS options for the restricted MILP when it is warm-started with hflopt's
# incumbent (usually optimal already): HiGHS's large-neighbourhood sub-MIPs
# (RINS, RENS) then mostly spend time re-finding it. Measured side by side
# (10 instances: authors' 50x1000 seeds 0-5, Holmberg p25 p31 p51 p56 p57):
# median 1.19x faster, up to 2.5x, none slower. Tight instances are a trade-off,
# measured and left as it is: on tight 50x300 instances that nobody
# proves in 60 s, HiGHS without the start and with RINS/RENS (as on the full
# model) ends with better incumbents (4 of 6, by 0.2-0.8%), but proofs of tight
# Holmberg files take longer (the 17 tight ones: 156 -> 209 s in total, p58
# 38 -> 73 s); with the start and RINS/RENS: better on 3 of 6, proofs +11%, and
# once 10 s past a 60 s limit. ``solver_options`` override.
# With a time limit, restricted MILPs with more nonzeros than this skip HiGHS's
# presolve, and the default strong linking is replaced by the aggregated one
# above this many x <= y rows: HiGHS cannot be interrupted in its presolve or
# inside a root separation round, and both take minutes on such models.
_PRESOLVE_MAX_NONZEROS = 150_000
_STRONG_MAX_LINK_ROWS = 50_000
# Even without presolve, HiGHS spends uninterruptible time setting up a MIP before
# its root LP (measured, HiGHS 1.16: 3.9M nonzeros, 972k binaries: 10.5 s before the
# first node line, 15.5 s to honour a 5 s limit). With a time limit, branch-and-bound
# is skipped when less than this many seconds per nonzero are left: it could not
# produce a solution or a bound in time, only overrun the limit.
_MIP_SETUP_SECONDS_PER_NONZERO = 3e-6
# Building the restricted MILP's arrays takes about this long per link (1.0-1.25 s for
# 10^6 links): with less time left than that, it is not built at all.
_BUILD_SECONDS_PER_LINK = 1e-6
_WARM_MIP_OPTIONS: dict[str, Any] = {"mip_heuristic_run_rins": False,
                                     "mip_heuristic_run_rens": False}


# ------------------------------------------------------------------ problem
@dataclass
class _Problem:
    """Link arrays of an instance (indexed like the instance's links)."""

    inst: Instance
    dev: np.ndarray
    host: np.ndarray
    a: np.ndarray  # l * link cost
    d: np.ndarray  # workload of the link's device
    f: np.ndarray  # host fixed (cloud) cost
    R: np.ndarray  # capacity
    T: int
    W: float  # the T smallest servable workloads (cover row right-hand side)
    capacitated: bool
    equal: bool  # T == N: every device is served
    gran: float  # 1 for integral objective values, else 0

    @property
    def n(self) -> int:
        return self.inst.n_devices

    @property
    def m(self) -> int:
        return self.inst.n_hosts

    @classmethod
    def of(cls, inst: Instance, capacitated: bool) -> _Problem:
        dev = inst.link_device.astype(np.int64)
        host = inst.link_host.astype(np.int64)
        return cls(
            inst=inst,
            dev=dev,
            host=host,
            a=inst.rounds_ratio * inst.link_cost,
            d=inst.workload[dev],
            f=np.asarray(inst.edge_cost, dtype=np.float64),
            R=np.asarray(inst.capacity, dtype=np.float64),
            T=inst.min_participants,
            W=cover_rhs(inst) if capacitated else 0.0,
            capacitated=capacitated,
            equal=inst.min_participants == inst.n_devices and inst.n_devices > 0,
            gran=objective_granularity(inst),
        )

    def cost(self, host_of: np.ndarray) -> float:
        return Solution(host_of).cost(self.inst)

    @functools.cached_property
    def group_rep(self) -> np.ndarray:
        """Per link: the first link with the same device and cost (names a group column)."""
        order = np.lexsort((np.arange(self.dev.size), self.a, self.dev))
        dev, a = self.dev[order], self.a[order]
        new = np.ones(order.size, dtype=bool)
        new[1:] = (dev[1:] != dev[:-1]) | (a[1:] != a[:-1])
        rep = np.empty(order.size, dtype=np.int64)
        rep[order] = order[new][np.cumsum(new) - 1]
        return rep

    def exclusion_threshold(self, ub: float) -> float:
        """A link or host whose forced bound exceeds this cannot improve on ``ub``."""
        tol = 1e-6 * max(1.0, abs(ub))
        return ub - self.gran + tol if self.gran else ub + tol


# --------------------------------------------------------------- Lagrangian
@dataclass
class LagrangianBound:
    """A Lagrangian lower bound and the reduced costs that come with it.

    Attributes
    ----------
    value:
        The bound (valid for the instance whatever the multipliers).
    u, mu, rho:
        Multipliers of the assignment rows, the participation row and the
        cover row.
    host_value:
        ``h_j = C_e[j] + KP_j - rho R_j``: a host with ``h_j < 0`` is open in
        the relaxed problem; forcing a closed host open costs ``h_j``.
    price:
        ``pi_j``, the LP-knapsack price of host j's capacity.
    link_rc:
        Lagrangian reduced cost ``l c_k + u_i - mu + pi_j D_i`` of each
        evaluated link (``links``).
    links:
        Indices of the evaluated links.
    """

    value: float
    u: np.ndarray
    mu: float
    rho: float
    host_value: np.ndarray
    price: np.ndarray
    link_rc: np.ndarray
    links: np.ndarray

    def host_forced(self) -> np.ndarray:
        """Bound on any solution that opens host j."""
        return self.value + np.maximum(0.0, self.host_value)

    def link_forced(self, host: np.ndarray) -> np.ndarray:
        """Bound on any solution that uses each evaluated link."""
        return self.host_forced()[host] + np.maximum(0.0, self.link_rc)


def _best_rho(h0: np.ndarray, cap: np.ndarray, need: float) -> float:
    """Maximise ``rho * need + sum_j min(0, h0_j - rho cap_j)`` over rho >= 0."""
    inside = float(cap[h0 < 0].sum())
    if inside >= need:
        return 0.0
    cand = np.flatnonzero((h0 >= 0) & (cap > 0))
    if cand.size == 0:
        return 0.0
    bp = h0[cand] / cap[cand]
    order = np.argsort(bp, kind="stable")
    reach = inside + np.cumsum(cap[cand][order])
    pos = int(np.searchsorted(reach, need))
    return float(bp[order][min(pos, order.size - 1)])


def _lagrange(p: _Problem, u: np.ndarray, mu: float, links: np.ndarray) -> LagrangianBound:
    """Evaluate the Lagrangian bound for multipliers (u, mu) over ``links``."""
    m = p.m
    dev = p.dev[links]
    host = p.host[links]
    rc = p.a[links] + u[dev] - mu
    price = np.zeros(m)
    if p.capacitated:
        d = p.d[links]
        neg = np.flatnonzero((rc < 0) & (d > 0))
        if neg.size:
            hs = host[neg]
            ws = d[neg]
            ratio = -rc[neg] / ws
            order = np.lexsort((-ratio, hs))
            hs, ws, ratio = hs[order], ws[order], ratio[order]
            counts = np.bincount(hs, minlength=m)
            ptr = np.zeros(m + 1, dtype=np.int64)
            np.cumsum(counts, out=ptr[1:])
            cw = np.cumsum(ws)
            base = np.concatenate(([0.0], cw))[ptr[:-1]]
            load = cw - np.repeat(base, counts)
            over = load > p.R[hs] * (1 + 1e-12)
            n_fit = np.bincount(hs[~over], minlength=m)
            crit = ptr[:-1] + n_fit
            has = crit < ptr[1:]
            price[has] = ratio[crit[has]]
        link_rc = rc + price[host] * d
    else:
        link_rc = rc
    kp = np.bincount(host, weights=np.minimum(0.0, link_rc), minlength=m).astype(np.float64)
    if p.capacitated:
        kp -= price * p.R
    h0 = p.f + kp
    rho = _best_rho(h0, p.R, p.W) if (p.capacitated and p.W > 0) else 0.0
    hv = h0 - rho * p.R
    value = mu * p.T + rho * p.W - float(u.sum()) + float(np.minimum(0.0, hv).sum())
    return LagrangianBound(value, u, mu, rho, hv, price, link_rc, links)


def lagrangian_bound(
    instance: Instance,
    u: np.ndarray,
    mu: float = 0.0,
    *,
    uncapacitated: bool = False,
) -> LagrangianBound:
    """The Lagrangian lower bound of HFLOP for given multipliers.

    The assignment rows ``sum_j x_ij <= 1`` (multipliers ``u >= 0``; any sign
    when T = N) and the participation row (``mu >= 0``) are relaxed; what is
    left splits into one 0-1 knapsack per host, bounded by its LP relaxation;
    the cover row ``sum_j R_j y_j >= W_T`` is relaxed with its best
    multiplier. The result is a valid lower bound for *any* multipliers.
    """
    p = _Problem.of(instance, not uncapacitated)
    u = np.asarray(u, dtype=np.float64)
    if u.shape != (p.n,):
        raise ValueError(f"u must have one entry per device ({p.n}), got shape {u.shape}")
    if not p.equal:
        u = np.maximum(u, 0.0)
    links = np.flatnonzero(instance.fits) if p.capacitated else np.arange(instance.n_links)
    return _lagrange(p, u, max(0.0, float(mu)), links)


# --------------------------------------------------------------- heuristics
def _assign(p: _Problem, open_: np.ndarray, links: np.ndarray, prefer: np.ndarray | None = None
            ) -> np.ndarray | None:
    """Greedy assignment to the open hosts: cheapest links first, lighter first.

    Processes candidate links in rounds (each free device proposes its best
    remaining link, hosts accept proposals in priority order while capacity
    lasts) until T devices are served. Returns ``host_of`` or None.
    """
    n, t = p.n, p.T
    host_of = np.full(n, -1, dtype=np.int64)
    if t == 0:
        return host_of
    cand = links[open_[p.host[links]]]
    if p.capacitated:
        cand = cand[p.d[cand] <= p.R[p.host[cand]]]
    if cand.size == 0:
        return None
    keys = [p.d[cand], p.a[cand]] if prefer is None else [p.d[cand], -prefer[cand], p.a[cand]]
    order = cand[np.lexsort(keys)]
    a_sorted = p.a[order]
    dev_o = p.dev[order]
    host_o = p.host[order]
    d_o = p.d[order]
    rem = p.R.copy() if p.capacitated else np.full(p.m, np.inf)
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
        k_take = max(int(np.count_nonzero(a_sorted[prop] <= level)), (prop.size + 4) // 5)
        prop = prop[:k_take]
        hs = host_o[prop]
        o2 = np.argsort(hs, kind="stable")
        hs2 = hs[o2]
        ds2 = d_o[prop][o2]
        counts = np.bincount(hs2, minlength=p.m)
        ptr = np.zeros(p.m + 1, dtype=np.int64)
        np.cumsum(counts, out=ptr[1:])
        cw = np.cumsum(ds2)
        base = np.concatenate(([0.0], cw))[ptr[:-1]]
        load = cw - np.repeat(base, counts)
        ok = load <= rem[hs2] + 1e-9
        acc = np.sort(prop[o2[ok]])
        if count + acc.size > t:
            acc = acc[: t - count]
        host_of[dev_o[acc]] = host_o[acc]
        rem -= np.bincount(host_o[acc], weights=d_o[acc], minlength=p.m)
        count += acc.size
        # links that no longer fit are dead
        alive &= d_o <= rem[host_o] + 1e-9
        alive[acc] = False
    if count < t:
        return None
    return host_of


def _heuristic_from_lp(
    p: _Problem,
    links: np.ndarray,
    y: np.ndarray,
    xpref: np.ndarray | None,
    deadline: Deadline,
    budget: float,
) -> tuple[np.ndarray | None, float]:
    """LP rounding + greedy assignment + close-host local search."""
    t_end = deadline.elapsed() + budget
    best: np.ndarray | None = None
    best_cost = math.inf
    has_links = np.bincount(p.host[links], minlength=p.m) > 0
    order_y = np.argsort(-y, kind="stable")

    def try_open(open_: np.ndarray) -> tuple[np.ndarray | None, float]:
        h = _assign(p, open_, links, xpref)
        if h is None:
            return None, math.inf
        return h, p.cost(h)

    for theta in (0.5, 1e-6, 0.9):
        if deadline.elapsed() > t_end and best is not None:
            break
        open_ = (y >= theta) & has_links
        h, c = try_open(open_)
        # not feasible: open more hosts by LP value
        extra = 0
        while h is None and extra < p.m:
            closed = order_y[~open_[order_y] & has_links[order_y]]
            if closed.size == 0:
                break
            step = max(1, closed.size // 8) if extra > 4 else 1
            open_[closed[:step]] = True
            extra += step
            h, c = try_open(open_)
        if h is not None and c < best_cost:
            best, best_cost = h, c
    if best is None:
        return None, math.inf
    # close hosts one at a time while it pays (least LP-used first)
    improved = True
    while improved and deadline.elapsed() < t_end:
        improved = False
        used = np.unique(best[best >= 0])
        cand = used[np.argsort(y[used] - 1e-3 * p.f[used], kind="stable")]
        for j in cand:
            if deadline.elapsed() >= t_end:
                break
            open_ = np.zeros(p.m, dtype=bool)
            open_[used] = True
            open_[j] = False
            h, c = try_open(open_)
            if h is not None and c < best_cost - 1e-9:
                best, best_cost = h, c
                improved = True
                break
    return best, best_cost


def _local_search(inst: Instance, start: np.ndarray, budget: float, seed: int | None,
                  stop_at: float | None = None) -> np.ndarray | None:
    """Improve ``start`` with the ``local-search`` method of hflopt.solvers, if registered.

    ``stop_at`` (a proven lower bound) ends the search once it is reached.
    """
    import inspect

    from hflopt.solvers import METHODS

    func = METHODS.get("local-search")
    if func is None or budget <= 0.0:
        return None
    params = inspect.signature(func).parameters
    kwargs: dict[str, Any] = {}
    if "time_limit" in params:
        kwargs["time_limit"] = budget
    if "seed" in params and seed is not None:
        kwargs["seed"] = seed
    if "warm_start" in params:
        kwargs["warm_start"] = Solution(start)
    if "max_no_improve" in params:
        kwargs["max_no_improve"] = _LS_MAX_NO_IMPROVE
    if "stop_at" in params and stop_at is not None and math.isfinite(stop_at):
        kwargs["stop_at"] = stop_at
    try:
        res = func(inst, **kwargs)
    except Exception:  # a heuristic failing must not break the exact method
        return None
    if res.solution is not None and res.solution.is_feasible(inst):
        return np.asarray(res.solution.host_of, dtype=np.int64)
    return None


def _core_search(inst: Instance, start: np.ndarray, lag: LagrangianBound, bound: float,
                 budget: float, seed: int | None, stats: dict[str, Any], *,
                 full: bool = False) -> np.ndarray | None:
    """A core search from ``start``, at most ``budget`` seconds.

    Short (default): one descent and one kick over the open hosts, guided by
    the LP's multipliers (``lag``), which choose the core of hosts and links;
    no assignment MIP. ``full``: the whole ``method="core-search"`` (its own
    Lagrangian core, kicks, final MIP) warm-started from ``start``, for tight
    capacities. Returns a feasible assignment or None.
    """
    from hflopt.solvers.core_search import core_improve, core_search

    tick = time.perf_counter()
    try:
        if full:
            stats["core_search_tight"] = True
            res = core_search(inst, time_limit=budget, seed=seed, warm_start=Solution(start))
            h = res.solution.host_of if res.solution is not None else None
        else:
            h, _ = core_improve(link_data(inst), start, u=lag.u, v=lag.mu,
                                host_value=lag.host_value, bound=bound,
                                deadline=Deadline(budget), seed=seed, max_kicks=1,
                                mip_seconds=0.0, polish=False, search_seconds=budget)
    except Exception as exc:  # a heuristic failing must not break the exact method
        stats["core_search_error"] = f"{type(exc).__name__}: {exc}"
        return None
    finally:
        stats["core_search_seconds"] = round(time.perf_counter() - tick, 3)
    if h is None:
        return None
    h = np.asarray(h, dtype=np.int64)
    return h if h.shape == start.shape and Solution(h).is_feasible(inst) else None


# ----------------------------------------------------------------------- LP
# Row blocks of the LP, in a fixed order: a row's key is its block's position
# times a stride plus its device, host, link or group (see _basis_keys).
_ROW_BLOCKS = ("assign", "participate", "capacity", "link", "agg_upper", "agg_lower", "group",
               "cover")


def _basis_keys(p: _Problem, gm: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """Keys naming the LP's columns and rows independently of their positions.

    Columns: x by link, z by its group's representative link, y by host, the
    artificial columns by device; rows by block and device/host/link/group.
    Two rounds of column generation share a column or row exactly when they
    share its key. None if the model has a block this does not know.
    """
    arrays = gm.arrays
    L = p.inst.n_links
    heads = gm.group_links[gm.group_ptr[:-1]] if gm.n_z else np.zeros(0, dtype=np.int64)
    zkey = p.group_rep[heads]
    cols = np.concatenate([gm.x_links, L + zkey, 2 * L + np.arange(p.m),
                           2 * L + p.m + arrays.block_keys["assign"]]).astype(np.int64)
    stride = 2 * L + p.m + p.n + 1
    rows = np.empty(arrays.n_rows, dtype=np.int64)
    for name, (lo, hi) in arrays.blocks.items():
        if name not in _ROW_BLOCKS:
            return None
        if name == "group":
            key = zkey
        elif name in arrays.block_keys:
            key = np.asarray(arrays.block_keys[name], dtype=np.int64)
        else:
            key = np.arange(hi - lo, dtype=np.int64)
        rows[lo:hi] = _ROW_BLOCKS.index(name) * stride + key
    return cols, rows


@dataclass
class _LPBasis:
    """A simplex basis by column and row keys (:func:`_basis_keys`), sorted by key."""

    col_keys: np.ndarray
    col_status: np.ndarray
    row_keys: np.ndarray
    row_status: np.ndarray

    @classmethod
    def read(cls, h: Any, cols: np.ndarray, rows: np.ndarray) -> _LPBasis | None:
        b = h.getBasis()
        if not b.valid or len(b.col_status) != cols.size or len(b.row_status) != rows.size:
            return None
        cs = np.array([v.value for v in b.col_status], dtype=np.int8)
        rs = np.array([v.value for v in b.row_status], dtype=np.int8)
        oc, orr = np.argsort(cols), np.argsort(rows)
        return cls(cols[oc], cs[oc], rows[orr], rs[orr])

    @staticmethod
    def _lookup(keys: np.ndarray, status: np.ndarray, want: np.ndarray, default: int) -> np.ndarray:
        """Status of each key in ``want`` (``default`` where ``keys`` lacks it)."""
        if keys.size == 0:
            return np.full(want.size, default, dtype=np.int8)
        pos = np.minimum(np.searchsorted(keys, want), keys.size - 1)
        return np.where(keys[pos] == want, status[pos], default).astype(np.int8)

    def apply(self, h: Any, cols: np.ndarray, rows: np.ndarray) -> bool:
        """Give ``h`` this basis mapped onto its LP: new columns at their lower
        bound (zero), new rows basic.

        When a host became binding, its grouped columns gave way to link
        columns and the count of basic variables may be off by a few; the
        basis is then passed as "alien" and HiGHS completes it.
        """
        import highspy

        bs = highspy.HighsBasisStatus
        basic, lower = int(bs.kBasic), int(bs.kLower)
        cs = self._lookup(self.col_keys, self.col_status, cols, lower)
        rs = self._lookup(self.row_keys, self.row_status, rows, basic)
        members = {int(v): v for v in bs.__members__.values()}
        basis = highspy.HighsBasis()
        basis.col_status = [members[v] for v in cs.tolist()]
        basis.row_status = [members[v] for v in rs.tolist()]
        basis.alien = int((cs == basic).sum() + (rs == basic).sum()) != rows.size
        basis.valid = True
        return h.setBasis(basis) != highspy.HighsStatus.kError


@dataclass
class _LPResult:
    u: np.ndarray
    mu: float
    y: np.ndarray
    x: np.ndarray  # over instance links (0 outside the core)
    objective: float
    seconds: float
    solver: str
    ok: bool
    basis: _LPBasis | None = None
    warm: bool = False
    iterations: int = 0


def _solve_lp(p: _Problem, core: np.ndarray, closed: np.ndarray, deadline: Deadline,
              threads: int | None, verbose: bool, warm: _LPBasis | None = None) -> _LPResult:
    """LP relaxation of the strengthened model over the ``core`` links (grouped).

    ``warm``: the basis of the previous round's LP, mapped onto this one by the
    keys of its columns and rows (simplex only).
    """
    inst = p.inst
    gm = build_grouped(inst, core, closed=closed, uncapacitated=not p.capacitated,
                       total_capacity_row=True, assign_equal=p.equal, skip_singletons=False)
    arrays = gm.arrays
    # x, z <= 1 are implied by the assignment rows; without the redundant column
    # bounds the LP prices devices through those rows, which is what the
    # Lagrangian bound needs
    arrays.col_upper[: gm.y_offset] = np.inf
    use_ipm = arrays.n_cols > _IPM_COLUMNS
    opts: dict[str, Any] = {}
    if use_ipm:
        opts = {"solver": "ipm", "run_crossover": "off", "ipm_optimality_tolerance": 1e-6}
    h = new_highs(verbose=verbose, threads=threads, options=opts)
    arrays.pass_to(h, relax=True)
    _add_artificial_columns(h, p, arrays)
    keys = None if use_ipm else _basis_keys(p, gm)
    warmed = warm is not None and keys is not None and warm.apply(h, *keys)
    run = run_highs(h, deadline=deadline, mip=False, duals=True)
    basis = _LPBasis.read(h, *keys) if keys is not None and run.model_status == "Optimal" else None
    u = np.zeros(p.n)
    mu = 0.0
    ok = run.row_dual is not None and run.col_value is not None and not run.timed_out
    x = np.zeros(inst.n_links)
    y = np.zeros(p.m)
    if ok:
        lo, hi = arrays.blocks["assign"]
        u[arrays.block_keys["assign"]] = -run.row_dual[lo:hi]
        if not p.equal:
            u = np.maximum(u, 0.0)
        mu = max(0.0, float(run.row_dual[arrays.blocks["participate"][0]]))
        y = np.clip(run.col_value[gm.y_offset: gm.y_offset + p.m], 0.0, 1.0)
        cols = gm.col_of_link[core]
        x[core] = run.col_value[cols]
    return _LPResult(u, mu, y, x, run.objective if run.objective is not None else -math.inf,
                     run.seconds, "ipm" if use_ipm else "simplex", ok, basis, warmed, run.iterations)


def _add_artificial_columns(h: Any, p: _Problem, arrays: Any) -> None:
    """One "served by nobody" column per device, dearer than any real way to serve it.

    A core of a few links per device can leave the LP infeasible (tight
    capacities with every device served): these columns keep it feasible, so
    it still gives duals, and the Lagrangian bound (valid for any
    multipliers) prices the missing links into the core. They count in the
    assignment row and the participation row; an optimal LP over all links
    never uses them unless the instance itself is infeasible.
    """
    lo, hi = arrays.blocks["assign"]
    k = hi - lo
    if k == 0:
        return
    part = arrays.blocks["participate"][0]
    big = 2.0 * (float(p.a.max(initial=0.0)) + float(p.f.max(initial=0.0))) + 1.0
    index = np.empty(2 * k, dtype=np.int32)
    index[0::2] = np.arange(lo, hi, dtype=np.int32)
    index[1::2] = part
    h.addCols(k, np.full(k, big), np.zeros(k), np.ones(k), 2 * k,
              np.arange(0, 2 * k, 2, dtype=np.int32), index, np.ones(2 * k))


def _initial_core(p: _Problem, links: np.ndarray, per_device: int) -> np.ndarray:
    """Each device's ``per_device`` most promising links (cost + capacity share of C_e)."""
    share = np.where(p.R[p.host[links]] > 0, p.d[links] / np.maximum(p.R[p.host[links]], 1e-300), 1.0)
    score = p.a[links] + p.f[p.host[links]] * np.minimum(1.0, np.maximum(share, 1.0 / max(1, p.n)))
    order = np.lexsort((score, p.dev[links]))
    devs = p.dev[links][order]
    first = np.searchsorted(devs, devs, side="left")
    rank = np.arange(order.size) - first
    return np.sort(links[order[rank < per_device]])


# --------------------------------------------------------------- the method
@dataclass
class _State:
    best: np.ndarray | None = None
    best_cost: float = math.inf
    best_from: str = ""
    bound: float = -math.inf
    stats: dict[str, Any] = field(default_factory=dict)

    def offer(self, host_of: np.ndarray | None, cost: float, source: str) -> bool:
        if host_of is not None and cost < self.best_cost - 1e-9:
            self.best, self.best_cost, self.best_from = host_of, cost, source
            return True
        return False


def solve_exact(
    instance: Instance,
    *,
    solver: str = "highs",
    variant: str = "strong",
    uncapacitated: bool = False,
    time_limit: float | None = None,
    gap: float = 0.0,
    threads: int | None = None,
    seed: int | None = None,
    verbose: bool = False,
    warm_start: Solution | None = None,
    progress: ProgressCallback | None = None,
    solver_options: dict[str, Any] | None = None,
) -> Result:
    """Solve HFLOP exactly, fast: LP/Lagrangian bounds, reduced-cost fixing, HiGHS.

    Parameters
    ----------
    instance:
        The instance.
    solver:
        ``"highs"`` (default) runs hflopt's fast method; any other Pyomo
        solver name (``"cbc"``, ``"glpk"``, ...) delegates to
        :func:`~hflopt.solvers.pyomo_exact.solve_pyomo`.
    variant:
        Linking constraints of the MILP handed to HiGHS (``"strong"``,
        ``"bigm"``, ``"both"``); the optimum does not depend on it. With a
        time limit, a ``"strong"`` model with more than 50,000 ``x <= y``
        rows is handed over as ``"bigm"``, and models with more than 150,000
        nonzeros skip HiGHS's presolve: HiGHS cannot be interrupted inside
        either (``stats["mip_variant"]``, ``stats["mip_presolve"]``).
    uncapacitated:
        Ignore capacities (the capacity-unaware baseline).
    time_limit:
        Seconds for the whole solve; the best solution found is returned with
        status TIME_LIMIT (or NO_SOLUTION) and the best proven bound.
    gap:
        Relative gap at which to stop (default 0: proven optimal).
    threads, seed, verbose:
        HiGHS threads (process-wide in HiGHS), random seed, solver log.
    warm_start:
        A feasible solution to start from.
    progress:
        Called with :class:`~hflopt.solvers.Progress` between phases and
        about once a second during branch-and-bound.
    solver_options:
        Extra HiGHS options for the branch-and-bound phase (or the Pyomo
        solver's options when delegating).

    Returns
    -------
    Result
        ``stats`` holds the phase times, LP rounds, links kept for the MILP,
        nodes, and where the best solution came from.
    """
    if solver not in HIGHS_NAMES:
        from hflopt.solvers.pyomo_exact import solve_pyomo

        return solve_pyomo(instance, solver=solver, variant=variant, uncapacitated=uncapacitated,
                           time_limit=time_limit, gap=gap, threads=threads, seed=seed,
                           verbose=verbose, warm_start=warm_start, progress=progress,
                           solver_options=solver_options)
    if variant not in VARIANTS:
        raise SolverError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    if gap < 0 or not math.isfinite(gap):
        raise SolverError(f"gap must be a finite number >= 0, got {gap}")
    check_highs_options(solver_options)  # applied only at branch-and-bound: fail now
    deadline = Deadline(time_limit)
    capacitated = not uncapacitated
    stats: dict[str, Any] = {"variant": variant, "interface": "highspy", "phases": {}}
    reason = infeasibility_reason(instance, uncapacitated=uncapacitated)
    if reason:
        return finish(instance, host_of=None, bound=None, method=METHOD, solver="highs",
                      infeasible=True, message=reason, stats=stats, solve_seconds=deadline.elapsed(),
                      capacitated=capacitated)
    t0 = time.perf_counter()
    p = _Problem.of(instance, capacitated)
    links = np.flatnonzero(instance.fits) if capacitated else np.arange(instance.n_links)
    st = _State(stats=stats)
    phases: dict[str, float] = stats["phases"]

    def report(phase: str) -> None:
        if progress is not None:
            inc = st.best_cost if st.best is not None else None
            bnd = st.bound if math.isfinite(st.bound) else None
            progress(Progress(deadline.elapsed(), inc, bnd, phase))

    def done(*, timed_out: bool = False, failed: str | None = None, message: str = "",
             infeasible: bool = False) -> Result:
        stats["incumbent_from"] = st.best_from or None
        bound = st.bound if math.isfinite(st.bound) else None
        return finish(instance, host_of=st.best, bound=bound, method=METHOD, solver="highs",
                      solver_optimal=True, timed_out=timed_out, failed=failed, infeasible=infeasible,
                      gap_tolerance=gap, build_seconds=phases.get("build", 0.0),
                      solve_seconds=time.perf_counter() - t0 - phases.get("build", 0.0),
                      message=message, stats=stats, capacitated=capacitated)

    def closed_enough() -> bool:
        if st.best is None or not math.isfinite(st.bound):
            return False
        if st.bound > p.exclusion_threshold(st.best_cost):
            return True  # within granularity: proven optimal
        if gap > 0:
            return (st.best_cost - st.bound) / max(1.0, abs(st.best_cost)) <= gap
        return st.best_cost - st.bound <= 1e-9 * max(1.0, abs(st.best_cost))

    def heuristic_budget() -> float:
        """Seconds for an improvement heuristic: grows with the links, <= 10% of what is left."""
        budget = min(_LS_MAX, _LS_BASE + instance.n_links / _LS_LINKS_PER_SECOND)
        if deadline.seconds is not None:
            budget = min(budget, 0.1 * deadline.remaining())
        return budget

    # ---- 0. start solutions
    tick = time.perf_counter()
    if warm_start is not None:
        ws = np.asarray(warm_start.host_of, dtype=np.int64)
        if ws.size == p.n and Solution(ws).is_feasible(instance, capacity=capacitated):
            st.offer(ws, p.cost(ws), "warm start")
    if p.T == 0:
        st.offer(np.full(p.n, -1, dtype=np.int64), 0.0, "empty")
        st.bound = 0.0
        return done()
    phases["start"] = time.perf_counter() - tick

    # ---- 1. LP over a core, Lagrangian over all links (column generation)
    tick = time.perf_counter()
    closed = np.zeros(p.m, dtype=bool)
    if links.size <= _FULL_CORE_LINKS:
        core = links
    else:
        core = _initial_core(p, links, _CORE_PER_DEVICE)
        if st.best is not None:
            core = np.union1d(core, _solution_links(instance, st.best))
    lag: LagrangianBound | None = None
    lp: _LPResult | None = None
    cg: dict[str, Any] = {"rounds": 0, "warm": 0, "seconds": 0.0, "rounded": None}

    def column_generation(to_convergence: bool) -> None:
        """LP rounds over the core, pricing links back in by their Lagrangian reduced cost.

        Converged when the full-instance bound matches the core LP. With integral
        objective values, also when both round up to the same integer (more columns
        only lower the core LP, so the rounded bound cannot improve), unless
        ``to_convergence``: that is for later, when branch-and-bound is needed,
        and warm-started rounds are cheap; their duals then fix more links
        (authors' 50x1,000 seed 3: bound 18.55 -> 18.94, MILP links 2,121 -> 1,494,
        branch-and-bound 0.53 -> 0.24 s).
        """
        nonlocal core, lag, lp
        if cg["rounded"] is not None:
            core = np.union1d(core, cg["rounded"])
        cg["rounded"] = None
        while cg["rounds"] < _MAX_CG_ROUNDS and not deadline.expired():
            if cg["rounds"] and deadline.seconds is not None and (
                    deadline.elapsed() > _BOUND_SHARE * deadline.seconds):
                break  # leave the rest of the budget to heuristics and branch-and-bound
            cg["rounds"] += 1
            lp_deadline = deadline
            if deadline.seconds is not None:
                # an LP round may not take the whole budget: without a start, the heuristics
                # need the rest (500x50,000 tight, k = 20, 20 s: the first LP took it all)
                share = _LP_MAX_SHARE if st.best is None else _LP_MAX_SHARE_WITH_START
                stats["lp_time_share"] = share
                lp_deadline = Deadline(max(0.01, min(deadline.remaining(),
                                                     share * deadline.seconds
                                                     - deadline.elapsed())))
            lp = _solve_lp(p, core, closed, lp_deadline, threads, verbose,
                           lp.basis if lp is not None and _WARM_LP else None)
            cg["seconds"] += lp.seconds
            cg["warm"] += lp.warm
            if not lp.ok:
                break
            now = _lagrange(p, lp.u, lp.mu, links)
            if lag is None or now.value >= lag.value:
                lag = now  # the best multipliers so far fix the most links
            st.bound = max(st.bound, lag.value)
            report("LP bound")
            if closed_enough():
                break
            in_core = np.zeros(instance.n_links, dtype=bool)
            in_core[core] = True
            neg = (now.link_rc < -1e-9) & ~in_core[links]
            if not neg.any() or now.value >= lp.objective - 1e-6 * max(1.0, abs(lp.objective)):
                break
            if (not to_convergence and p.gran
                    and _round_up(now.value, p.gran) >= _round_up(lp.objective, p.gran)):
                cg["rounded"] = links[neg]  # to price in if the rounds resume
                break
            core = np.union1d(core, links[neg])

    column_generation(False)

    def lp_stats() -> None:
        stats["lp_rounds"] = cg["rounds"]
        stats["lp_warm_rounds"] = cg["warm"]
        stats["lp_core_links"] = int(core.size)
        stats["lp_seconds"] = round(cg["seconds"], 3)
        stats["lp_solver"] = lp.solver if lp is not None else None
        stats["lagrangian_bound"] = lag.value if lag is not None else None

    lp_stats()
    phases["bound"] = time.perf_counter() - tick

    # ---- 2. heuristics guided by the LP
    tick = time.perf_counter()
    if lp is not None and lp.ok and not closed_enough() and not deadline.expired():
        hb = 2.0 if deadline.seconds is None else max(0.1, min(2.0, 0.1 * deadline.remaining()))
        h, c = _heuristic_from_lp(p, links, lp.y, lp.x, deadline, hb)
        if st.offer(h, c, "LP rounding"):
            report("LP rounding")  # the core search below may take a while on tight instances
    if st.best is None and (not deadline.expired() or interrupted()):
        # after a Ctrl-C too: one greedy pass is quick, and any solution beats none
        h = _assign(p, np.ones(p.m, dtype=bool), links)
        if h is None and capacitated:
            # tight capacities, few links per device: complete by ejection chains
            ld = link_data(instance)
            every = np.ones(p.m, dtype=bool)
            h = assign_complete(ld, every, p.T, deadline=deadline)
            h = h if int((h >= 0).sum()) >= p.T else None
        if h is not None and st.offer(h, p.cost(h), "greedy"):
            report("greedy")
    if st.best is not None and capacitated and not closed_enough() and not deadline.expired():
        h = _local_search(instance, st.best, heuristic_budget(), seed, st.bound)
        if h is not None and st.offer(h, p.cost(h), "local search"):
            report("local search")
    if (_CORE_SEARCH and st.best is not None and lag is not None and capacitated
            and not closed_enough() and not deadline.expired()):
        # at most as long as everything before it (and the local search's budget)
        budget = min(heuristic_budget(), max(0.05, time.perf_counter() - t0))
        tight = p.W > 0 and float(p.R.sum()) < _TIGHT_RATIO * p.W
        if tight:
            more = _TIGHT_MAX if deadline.seconds is None else _TIGHT_SHARE * deadline.remaining()
            budget = max(budget, min(_TIGHT_MAX, more))
        h = _core_search(instance, st.best, lag, st.bound, budget, seed, stats, full=tight)
        if h is not None:
            st.offer(h, p.cost(h), "core search")
    phases["heuristics"] = time.perf_counter() - tick
    report("heuristics")
    if (_WARM_LP and not closed_enough() and not deadline.expired() and cg["rounded"] is not None
            and lp is not None and lp.basis is not None and lp.seconds <= _RESUME_LP_SECONDS):
        # branch-and-bound is needed: finish the (cheap, warm-started) LP rounds first
        tick = time.perf_counter()
        column_generation(True)
        lp_stats()
        phases["bound"] += time.perf_counter() - tick
    if closed_enough():
        stats["proof"] = "Lagrangian bound"
        return done()
    if deadline.expired():
        return done(timed_out=True)

    # ---- 3. reduced-cost fixing
    tick = time.perf_counter()
    keep = np.zeros(instance.n_links, dtype=bool)
    keep[links] = True
    if lag is not None and st.best is not None:
        thr = p.exclusion_threshold(st.best_cost)
        closed = lag.host_forced() > thr
        keep[links] = lag.link_forced(p.host[links]) <= thr
        keep[_solution_links(instance, st.best)] = True
        closed[np.unique(st.best[st.best >= 0])] = False
    ub_fix = st.best_cost
    stats["mip_links"] = int(keep.sum())
    stats["mip_hosts"] = int(p.m - closed.sum())
    phases["fixing"] = time.perf_counter() - tick

    # ---- 4. branch-and-bound on the restricted model
    tick = time.perf_counter()

    def too_little_time(what: str) -> Result:
        phases["build"] = time.perf_counter() - tick
        stats["branch_and_bound"] = f"skipped: {what}, {deadline.remaining():.1f} s left"
        if st.best is None:
            returned = "no solution was found before"
        elif lag is None:
            returned = "the best heuristic solution is returned, without a bound (the LP did not finish)"
        else:
            returned = "the best heuristic solution and the Lagrangian bound are returned"
        return done(timed_out=True, message=(
            f"time limit reached: too little time left for branch-and-bound on the restricted MILP "
            f"({what}); {returned}; a longer time limit lets it run"))

    n_keep = int(keep.sum())
    if deadline.seconds is not None and deadline.remaining() < _BUILD_SECONDS_PER_LINK * n_keep:
        return too_little_time(f"{n_keep:,} links, about {_BUILD_SECONDS_PER_LINK * n_keep:.1f} s to build it")
    mip_variant = variant
    gm = build_grouped(instance, np.flatnonzero(keep), closed=closed, uncapacitated=uncapacitated,
                       variant=variant, total_capacity_row=True, assign_equal=p.equal)
    lo, hi = gm.arrays.blocks.get("link", (0, 0))
    if deadline.seconds is not None and variant == "strong" and hi - lo > _STRONG_MAX_LINK_ROWS:
        # HiGHS's root separation over that many x <= y rows cannot be
        # interrupted (14 s per round on a tight 100x1000 instance): with a
        # time limit, link x and y through the aggregated rows instead (same
        # optimum). Built twice in that case: which hosts bind, and so how many
        # rows strong linking writes, is only known once build_grouped has run.
        mip_variant = "bigm"
        gm = build_grouped(instance, np.flatnonzero(keep), closed=closed,
                           uncapacitated=uncapacitated, variant=mip_variant,
                           total_capacity_row=True, assign_equal=p.equal)
    stats["mip_variant"] = mip_variant
    arrays = gm.arrays
    mip_options = dict(_WARM_MIP_OPTIONS) if st.best is not None else {}
    if deadline.seconds is not None and arrays.n_nonzeros > _PRESOLVE_MAX_NONZEROS:
        # HiGHS's MIP presolve cannot be interrupted (52 s on a 100x1000 tight
        # instance with a 30 s limit): skip it on big models when time is limited
        mip_options["presolve"] = "off"
    mip_options.update(solver_options or {})
    stats["mip_presolve"] = mip_options.get("presolve", "on")
    fresh = functools.partial(highs_with, arrays, verbose=verbose, threads=threads, seed=seed,
                              options=mip_options)
    stats.update(mip_columns=arrays.n_cols, mip_rows=arrays.n_rows, mip_nonzeros=arrays.n_nonzeros,
                 mip_groups=gm.n_z)
    setup = _MIP_SETUP_SECONDS_PER_NONZERO * arrays.n_nonzeros
    if deadline.seconds is not None and deadline.remaining() < setup:
        return too_little_time(f"{arrays.n_cols:,} columns, about {setup:.0f} s of HiGHS setup alone")
    h = fresh()
    phases["build"] = time.perf_counter() - tick
    abs_gap = (1.0 - 1e-6) if (gap == 0 and p.gran) else None
    start = gm.start(instance, Solution(st.best)) if st.best is not None else None

    lag_value = lag.value if lag is not None else -math.inf

    def global_bound(b: float | None) -> float:
        if b is None or not math.isfinite(b):
            return lag_value
        return max(lag_value, min(b, ub_fix))

    def mip_progress(pr: Progress) -> None:
        if progress is not None:
            inc = pr.incumbent if pr.incumbent is not None else (
                st.best_cost if st.best is not None else None)
            progress(Progress(deadline.elapsed(), inc, global_bound(pr.bound), "branch-and-bound"))

    run = run_highs(h, deadline=deadline, rel_gap=gap, abs_gap=abs_gap, start=start,
                    progress=mip_progress if progress is not None else None, col_cost=arrays.col_cost,
                    fresh=fresh)
    phases["branch_and_bound"] = time.perf_counter() - tick
    stats.update(nodes=run.nodes, simplex_iterations=run.iterations, highs_status=run.model_status,
                 highs_start_misvalued=run.start_misvalued)
    if run.col_value is not None:
        hof = gm.host_of(instance, run.col_value)
        if Solution(hof).is_feasible(instance, capacity=capacitated):
            st.offer(hof, p.cost(hof), "branch-and-bound")
    if run.infeasible:
        # no solution strictly better than the incumbent exists in the restriction
        if st.best is None:
            return done(infeasible=True, message="the MILP is infeasible (proven by HiGHS)")
        st.bound = max(st.bound, ub_fix)
    elif run.optimal and gap == 0:
        st.bound = max(st.bound, global_bound(run.bound if run.bound is not None else run.objective))
    else:
        st.bound = max(st.bound, global_bound(run.bound))
    stats["proof"] = "branch-and-bound"
    report("done")
    return done(timed_out=run.timed_out and not closed_enough(), failed=run.failed)


def _round_up(value: float, gran: float) -> float:
    """``value`` rounded up to a multiple of ``gran`` (tolerating float noise)."""
    return gran * math.ceil(value / gran - 1e-6)


def _solution_links(instance: Instance, host_of: np.ndarray) -> np.ndarray:
    sol = Solution(host_of)
    idx = sol.link_indices(instance)
    return idx[idx >= 0]
