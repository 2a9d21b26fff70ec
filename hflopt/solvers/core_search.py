r"""Core search: a Lagrangian core and an LP-guided search over sets of open hosts.

The method ``core-search`` (and the improvement step of ``lagrangian``)
searches over *which hosts are open*; an assignment is derived for every set
it looks at. Four ingredients keep that fast on instances with 10^4 - 10^6
links:

1. **A Lagrangian core.** Multipliers ``(u, v)`` of the Lagrangian relaxation
   (:mod:`hflopt.solvers.lagrangian`) rank the hosts by ``C_e[j] - K_j`` and
   give every link a reduced cost ``l*C_d[i][j] + u_i - v``. The search only
   opens hosts of a *core*: the start solution's hosts plus the best-ranked
   hosts that the bound does not exclude (``L + max(0, C_e[j] - K_j) < UB``),
   about twice as many as are open; and the LP below only uses each device's
   few links of lowest reduced cost (all links on small instances).
2. **The assignment LP of a host set.** For a set ``S`` of open hosts the LP
   relaxation of the assignment (device rows ``sum_j x_ij <= 1``, capacity
   rows ``sum_i D_i x_ij <= R_j``, participation ``sum x >= T``) over the core
   links is kept in one ``highspy.Highs`` object; opening or closing a host
   changes the bounds of its columns and HiGHS re-solves from the previous
   basis (milliseconds). The first basis comes from the start solution.
3. **Bounds for every neighbour from one LP's duals.** With the duals ``pi``
   (capacity) of the current LP, each device's *priced* option cost
   ``c_i(S') = min_{j in S'} l*C_d[i][j] + pi_j D_i`` gives, for any ``theta >= 0``,
   the valid lower bound

   ``f(S') + theta*T - sum_{j in S'} pi_j R_j - sum_i max(0, theta - c_i(S'))``

   on the LP value of a neighbour ``S'`` (a new host's ``pi_k`` is chosen
   optimally, which turns its part into an LP knapsack). It is evaluated
   for every move at once with whole-array operations -- drop a host, add a
   host, swap one for another, and drop two for one -- through each
   device's three best priced options (the drop/add/extra decomposition of
   swap-based facility location searches), and maximised over a few values
   of ``theta`` around the current participation price.
4. **Best-bound-first descent.** Moves are tried in increasing order of
   their bound; a move is evaluated by re-solving the LP and, if its LP
   value can still beat the incumbent (by at least 1 with integral data),
   by rounding the LP solution (integral columns kept, the rest assigned by
   a capacity-checked greedy, then a shift/exchange local search) to a
   verified assignment. The first move that improves the incumbent is
   taken; the descent ends when the next bound cannot improve it. Random
   kicks (close one or two hosts, open up to two) restart the descent a few
   times, the best solution is polished by the general local search and,
   when the LP says its assignment could still be improved, by a small MIP
   over its open hosts and the links whose LP reduced cost leaves room
   (HiGHS, bounded by the remaining time and stopped by an interrupt
   callback).

A final round of subgradient steps, with the incumbent as Polyak target,
tightens the Lagrangian bound that certifies the result.

Everything is a heuristic except the bound: the core and the link
restriction can cut off the optimum; the reported gap ``(obj - bound) /
max(1, obj)`` is certified.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hflopt.instance import Instance
from hflopt.solution import Result
from hflopt.solvers._common import Deadline, Progress, begin, finish
from hflopt.solvers.arrays import sort_within_groups
from hflopt.solvers.core_lp import CoreLP, assignment_mip, feasible_start, fixed_set_mip, open_set, sub_deadline
from hflopt.solvers.core_moves import move_bounds, moves_below
from hflopt.solvers.greedy import assign_complete, objective
from hflopt.solvers.links import LinkData, link_data
from hflopt.solvers.local_search import improve
from hflopt.solvers.params import CoreSearchParams, SolveOptions
from hflopt.solvers.subgradient import lagrangian_heuristic, subgradient

__all__ = ["CoreImprove", "HostSearch", "SearchStats", "core_improve", "core_search", "select_core"]

_EPS = 1e-9
log = logging.getLogger(__name__)


# ------------------------------------------------------------------- the search
@dataclass
class SearchStats:
    """Counters of a core search."""

    core_hosts: int = 0
    core_links: int = 0
    lp_solves: int = 0
    lp_iterations: int = 0
    evaluations: int = 0
    lp_evaluations: int = 0
    repairs: int = 0
    descent_moves: int = 0
    kicks: int = 0
    polish_gain: float = 0.0
    assignment_mip: str = ""
    phases: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "phases"}
        out.update({f"{k}_seconds": round(v, 3) for k, v in self.phases.items()})
        return out


def _round(data: LinkData, lp: CoreLP, S: np.ndarray, deadline: Deadline,
           seed: int | None, round_exchanges: int) -> np.ndarray | None:
    """An assignment for open set ``S`` from the LP solution (None if T is not reached)."""
    d = data
    x = lp.primal()
    whole = lp.links[x > 1.0 - 1e-7]
    ho = np.full(d.n, -1, dtype=np.int64)
    ho[d.dev[whole]] = d.host[whole]
    ho = assign_complete(d, S, d.T, host_of=ho, deadline=deadline)
    if int((ho >= 0).sum()) < d.T:
        return None
    ho, _ = improve(d, ho, deadline=deadline, seed=seed, max_no_improve=0,
                    moves=("shift", "participation", "exchange"), exchange_tries=round_exchanges)
    return ho


def select_core(data: LinkData, host_of: np.ndarray, u: np.ndarray, v: float,
                host_value: np.ndarray, bound: float, upper: float, *,
                extra_hosts: int | None = None, per_device: int = 4, all_links_up_to: int = 12_000
                ) -> tuple[np.ndarray, np.ndarray]:
    """Core hosts (mask) and core links (indices) for the search.

    Hosts: those open in ``host_of`` plus the best-ranked hosts by
    ``C_e[j] - K_j`` whose forced-open bound ``L + max(0, C_e[j] - K_j)`` is
    below ``upper`` (``extra_hosts`` of them; default as many as are open,
    at least 10). Links: all usable links of core hosts when there are at
    most ``all_links_up_to``, else each device's ``per_device`` links of
    lowest reduced cost plus those tied with its best; always the links of
    ``host_of``.
    """
    d = data
    used = open_set(d.m, host_of)
    n_used = int(used.sum())
    extra = max(10, n_used) if extra_hosts is None else extra_hosts
    eligible = bound + np.maximum(host_value, 0.0) < upper - _EPS
    rank = np.argsort(host_value, kind="stable")
    cand = rank[eligible[rank] & ~used[rank]]
    core = used.copy()
    core[cand[:extra]] = True
    ok = d.usable & core[d.host]
    if int(ok.sum()) > all_links_up_to:
        r = d.a + u[d.dev] - v
        order = sort_within_groups(d.ptr, np.where(ok, r, np.inf))
        rank_l = np.empty(d.k, dtype=np.int64)
        rank_l[order] = np.arange(d.k) - np.repeat(d.ptr[:-1], np.diff(d.ptr))
        rmin = np.full(d.n, np.inf)
        np.minimum.at(rmin, d.dev[ok], r[ok])
        tol = 1e-9 * max(1.0, float(np.abs(r[ok]).max()) if ok.any() else 1.0)
        ok &= (rank_l < per_device) | (r <= rmin[d.dev] + tol)
    part = np.flatnonzero(host_of >= 0)
    if part.size:
        ok[d.instance.link_index(part, host_of[part])] = True
    return core, np.flatnonzero(ok)


class HostSearch:
    """Best-bound-first descent over open-host sets with kicks (see the module docstring).

    Neighbours are evaluated through their own LP (:meth:`evaluate`) while
    LP solves are cheap (mean at most :attr:`LP_SECONDS`); on instances where
    they are not (many devices per host), by a greedy on priced costs
    (:meth:`evaluate_priced`) with the prices of the last LP, and the LP is
    re-solved only when the descent stalls.
    """

    #: mean LP evaluation time above which neighbours are evaluated by the priced greedy
    LP_SECONDS = 0.03

    def __init__(self, data: LinkData, core: np.ndarray, links: np.ndarray, *,
                 deadline: Deadline, seed: int | None, stats: SearchStats,
                 params: CoreSearchParams | None = None, verbose: bool = False,
                 on_improve: Any = None, lp_evals: int = 8) -> None:
        self.data = data
        self.params = params = params or CoreSearchParams()
        self.repair_seconds = params.repair_seconds
        self.max_evals = params.max_evals
        self.lp_evals = lp_evals
        self.core = core
        self.deadline = deadline
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.stats = stats
        self.lp = CoreLP(data, links, verbose=verbose)
        self.gran = data.gran
        self.on_improve = on_improve
        self.lp_time = [0.0, 0]
        self.prices: tuple[np.ndarray, float] | None = None
        #: ``f(value) -> bool``: the incumbent value is proven good enough (descents stop)
        self.closed: Any = None
        #: open capacity any feasible set needs (the T smallest servable workloads)
        self.need = data.W
        stats.core_hosts = int(core.sum())
        stats.core_links = int(links.size)

    @property
    def lp_is_cheap(self) -> bool:
        total, count = self.lp_time
        return count == 0 or total / count <= self.LP_SECONDS

    def _solve(self, S: np.ndarray) -> float:
        t0 = time.perf_counter()
        val = self.lp.solve(S, self.deadline)
        self.lp_time[0] += time.perf_counter() - t0
        self.lp_time[1] += 1
        if math.isfinite(val):
            _, pi, theta = self.lp.duals()
            self.prices = (pi, theta)
        return val

    def evaluate(self, S: np.ndarray, limit: float) -> tuple[np.ndarray, float] | None:
        """LP of ``S``; if it can beat ``limit``, the better of two roundings.

        The LP solution is rounded (:func:`_round`), and the priced greedy runs
        with this LP's own capacity prices; both are polished by the local
        search.
        """
        d = self.data
        val = self._solve(S)
        self.stats.evaluations += 1
        self.stats.lp_evaluations += 1
        if not math.isfinite(val) or float(d.f[S].sum()) + val >= limit:
            return None
        best = None
        ho = _round(d, self.lp, S, self.deadline, self.seed, self.params.round_exchanges)
        if ho is not None:
            best = (ho, objective(d, ho))
        other = self.evaluate_priced(S)
        if other is not None and (best is None or other[1] < best[1]):
            best = other
        if (best is None or best[1] >= limit) and self.repair_seconds > 0:
            # the LP says S can beat the incumbent but the roundings did not: a small MIP
            # over the columns whose LP reduced cost leaves room (valid for S's core links)
            f_open = float(d.f[S].sum())
            u, pi, theta = self.lp.duals()
            cols = np.flatnonzero(S[self.lp.col_host])
            lk = self.lp.links[cols]
            dv = self.lp.col_dev[cols]
            rc = d.a[lk] + u[dv] + pi[self.lp.col_host[cols]] * d.D[dv] - theta
            keep = lk[rc < limit - f_open - val + 1e-7]
            self.stats.repairs += 1
            ho, _ = fixed_set_mip(d, S, keep, None if best is None else best[0],
                                   limit - f_open, sub_deadline(self.deadline, self.repair_seconds))
            if ho is not None:
                value = objective(d, ho)
                if best is None or value < best[1]:
                    best = (ho, value)
        return best

    def evaluate_priced(self, S: np.ndarray) -> tuple[np.ndarray, float] | None:
        """Assignment for ``S`` by a greedy on priced costs ``l*C_d + pi_j D_i``, then local search."""
        d = self.data
        self.stats.evaluations += 1
        if self.prices is None:
            key = None
        else:
            pi = self.prices[0]
            key = d.a + pi[d.host] * d.D[d.dev]
        ho = assign_complete(d, S, d.T, key=key, deadline=self.deadline)
        if int((ho >= 0).sum()) < d.T:
            return None
        ho, _ = improve(d, ho, deadline=self.deadline, seed=self.seed, max_no_improve=0,
                        moves=("shift", "participation", "exchange"),
                        exchange_tries=self.params.round_exchanges)
        return ho, objective(d, ho)

    def _evaluate(self, S: np.ndarray, limit: float) -> tuple[np.ndarray, float] | None:
        return self.evaluate(S, limit) if self.lp_is_cheap else self.evaluate_priced(S)

    @staticmethod
    def _apply(S: np.ndarray, move: tuple[int, int, int]) -> np.ndarray:
        j1, j2, k = move
        S2 = S.copy()
        if j1 >= 0:
            S2[j1] = False
        if j2 >= 0:
            S2[j2] = False
        if k >= 0:
            S2[k] = True
        return S2

    def _first_improving(self, S: np.ndarray, moves: np.ndarray, evaluate: Any, limit: float,
                         value: float) -> tuple[np.ndarray, float] | None:
        """The first of ``moves`` (in order) whose neighbour ``evaluate`` finds better than ``value``."""
        for move in moves.tolist():
            if self.deadline.expired():
                break
            res = evaluate(self._apply(S, move), limit)
            if res is not None and res[1] < value - 1e-9 * max(1.0, abs(value)):
                return res
        return None

    def _with_capacity(self, S: np.ndarray, moves: np.ndarray, bounds: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
        """The moves whose neighbour keeps enough open capacity for the T smallest workloads.

        Necessary for feasibility; under tight capacities most drop and 2-for-1
        moves fail it, and their (LP-relaxed) bounds would otherwise fill the
        evaluation budget ahead of the swaps that can improve.
        """
        if moves.size == 0 or self.need <= 0:
            return moves, bounds
        R = self.data.R
        cap = float(R[S].sum())
        for col, sign in ((0, -1.0), (1, -1.0), (2, 1.0)):
            h = moves[:, col]
            cap = cap + sign * np.where(h >= 0, R[np.maximum(h, 0)], 0.0)
        ok = cap >= self.need * (1 - 1e-12) - 1e-9
        return moves[ok], bounds[ok]

    def descend(self, host_of: np.ndarray, value: float) -> tuple[np.ndarray, float]:
        """Best-bound-first improvement until no move's bound can beat the incumbent.

        Bounds use the prices of the last LP solved (valid for any prices);
        when no neighbour improves, the LP of the current set is solved for
        fresh prices (and, in priced mode, the best-bounded ``lp_evals``
        neighbours are evaluated through their own LP) before the descent
        stops.
        """
        d = self.data
        S = open_set(d.m, host_of)
        fresh = False
        if self.prices is None or self.lp_is_cheap:
            if not math.isfinite(self._solve(S)):
                return host_of, value
            fresh = True
        assert self.prices is not None
        while not self.deadline.expired():
            if self.closed is not None and self.closed(value):
                break  # no neighbour can beat a value the certified bound reaches
            pi, theta = self.prices
            mb = move_bounds(d, self.lp, S, self.core, pi, theta,
                             max_two_for_one=self.params.max_two_for_one)
            limit = value - max(self.gran, 1e-9 * max(1.0, abs(value))) + 1e-7
            moves, bounds = moves_below(mb, limit)
            moves, bounds = self._with_capacity(S, moves, bounds)
            n = min(int(np.searchsorted(bounds, limit)), self.max_evals)
            res = self._first_improving(S, moves[:n], self._evaluate, limit, value)
            if res is None and fresh and not self.lp_is_cheap:
                res = self._first_improving(S, moves[:min(n, self.lp_evals)], self.evaluate,
                                            limit, value)
            if res is not None:
                host_of, value = res
                S = open_set(d.m, host_of)
                self.stats.descent_moves += 1
                if self.on_improve is not None:
                    self.on_improve(host_of, value)
                fresh = False
                if self.lp_is_cheap and not math.isfinite(self._solve(S)):
                    break
                fresh = self.lp_is_cheap
                continue
            if fresh:
                break
            # stalled with old prices: solve the LP of the current set and try again
            if not math.isfinite(self._solve(S)):
                break
            fresh = True
        return host_of, value

    def kick(self, host_of: np.ndarray) -> tuple[np.ndarray, float] | None:
        """Close one or two random open hosts, open up to two random core hosts, re-assign."""
        d = self.data
        self.stats.kicks += 1
        S = open_set(d.m, host_of)
        s_hosts = np.flatnonzero(S)
        o_hosts = np.flatnonzero(self.core & ~S)
        n_close = min(int(self.rng.integers(1, 3)), max(0, s_hosts.size - 1))
        n_open = min(int(self.rng.integers(0, 3)), o_hosts.size)
        if n_close + n_open == 0:
            return None
        if n_close:
            S[self.rng.choice(s_hosts, n_close, replace=False)] = False
        if n_open:
            S[self.rng.choice(o_hosts, n_open, replace=False)] = True
        return self._evaluate(S, math.inf)


# ------------------------------------------------------------- improvement
@dataclass(frozen=True)
class CoreImprove:
    """How one :func:`core_improve` call searches."""

    seed: int | None = 0  #: seed of the kicks and of the local search
    polish: bool = True  #: run the general local search on the best solution
    search_seconds: float | None = None  #: descents, kicks and polishing (None: automatic)
    gap: float = 0.0  #: stop once (obj - bound) / max(1, obj) is at most this
    before_seconds: float = 0.0  #: time the caller spent before: the scale of default budgets
    verbose: bool = False  #: stream the HiGHS log of the core LPs and MIPs
    params: CoreSearchParams = field(default_factory=CoreSearchParams)  #: kicks, evaluations, MIP


@dataclass
class _Best:
    """The incumbent of a core search and the bound that certifies it."""

    host_of: np.ndarray
    value: float
    bound: float
    gap: float
    gran: float
    on_improve: Callable[[np.ndarray, float], None] | None = None

    def closes(self, value: float) -> bool:
        b = math.ceil(self.bound - 1e-6) if self.gran and math.isfinite(self.bound) else self.bound
        return value - b <= max(self.gap * max(1.0, abs(value)), 1e-9 * max(1.0, abs(value)))

    def closed(self) -> bool:
        return self.closes(self.value)

    def take(self, ho: np.ndarray, val: float) -> bool:
        if val < self.value - 1e-9 * max(1.0, abs(self.value)):
            self.host_of, self.value = ho, val
            if self.on_improve is not None:
                self.on_improve(ho, val)
            return True
        return False


def core_improve(
    data: LinkData,
    host_of: np.ndarray,
    *,
    u: np.ndarray,
    v: float,
    host_value: np.ndarray,
    bound: float,
    deadline: Deadline,
    settings: CoreImprove | None = None,
    stats: SearchStats | None = None,
    on_improve: Callable[[np.ndarray, float], None] | None = None,
) -> tuple[np.ndarray, SearchStats]:
    """Improve a feasible assignment by the core search; return the best one found.

    ``host_of`` is a feasible start (at least T participants); ``u``, ``v``,
    ``host_value`` and ``bound`` are Lagrangian multipliers, per-host values
    ``C_e[j] - K_j`` and the bound they give (they choose the core);
    ``deadline`` is a hard limit for everything (LPs and MIPs are interrupted
    at it). The search budget defaults to 70% of what is left of
    ``deadline`` (without a deadline ten times ``settings.before_seconds``,
    at least 1 s); without a deadline, kicks also stop once they have taken
    as long as everything before them. ``on_improve(host_of, value)`` is
    called with every new best solution.
    """
    settings = settings or CoreImprove()
    stats = stats or SearchStats()
    t0 = time.perf_counter()
    best = _Best(np.array(host_of, dtype=np.int64), 0.0, bound, settings.gap, data.gran, on_improve)
    best.value = objective(data, best.host_of)
    if data.T == 0 or best.closed() or deadline.remaining() < 0.02:
        return best.host_of, stats
    search_seconds = settings.search_seconds
    if search_seconds is None:
        rem = deadline.remaining()
        search_seconds = 0.7 * rem if math.isfinite(rem) else max(1.0, 10.0 * settings.before_seconds)
    search = _new_search(data, best, u, v, host_value, sub_deadline(deadline, search_seconds), settings,
                         stats)
    stats.phases["core_build"] = time.perf_counter() - t0
    best.take(*search.descend(best.host_of, best.value))
    _kicks(data, search, best, deadline, settings, stats, t0)
    stats.lp_solves += search.lp.solves
    stats.lp_iterations += search.lp.iterations
    stats.phases["search"] = time.perf_counter() - t0
    _final_mip(data, best, deadline, settings, stats, t0)
    log.info("core search: %g (%s)", best.value, stats.as_dict())
    return best.host_of, stats


def _new_search(data: LinkData, best: _Best, u: np.ndarray, v: float, host_value: np.ndarray,
                deadline: Deadline, settings: CoreImprove, stats: SearchStats) -> HostSearch:
    """The host search over the core chosen by the multipliers, warm-started at the incumbent."""
    p = settings.params
    core, links = select_core(data, best.host_of, u, v, host_value, best.bound, best.value,
                              per_device=p.per_device, all_links_up_to=p.all_links_up_to)
    search = HostSearch(data, core, links, deadline=deadline, seed=settings.seed, stats=stats, params=p,
                        verbose=settings.verbose, on_improve=best.on_improve)
    search.closed = best.closes
    search.lp.warm_basis(best.host_of)
    return search


def _kicks(data: LinkData, search: HostSearch, best: _Best, deadline: Deadline, settings: CoreImprove,
           stats: SearchStats, t0: float) -> None:
    """Kick and descend again until ``max_kicks`` kicks in a row find nothing; polish in between."""
    kick_deadline = search.deadline
    if not math.isfinite(deadline.remaining()):
        # without a time limit, kicks (and polishing) may take as long again as everything before
        kick_deadline = sub_deadline(search.deadline, max(settings.params.kick_seconds,
                                                          time.perf_counter() - t0 + settings.before_seconds))
    search.deadline = kick_deadline
    no_gain = 0
    polished = not settings.polish
    while not kick_deadline.expired() and not best.closed() and no_gain < settings.params.max_kicks:
        if not polished:
            polished = True
            if _polish(data, search, best, kick_deadline, settings, stats):
                polished = False
            continue
        start = search.kick(best.host_of)
        if start is None:
            no_gain += 1
            continue
        if best.take(*search.descend(*start)):
            no_gain = 0
            polished = not settings.polish
        else:
            no_gain += 1


def _polish(data: LinkData, search: HostSearch, best: _Best, deadline: Deadline, settings: CoreImprove,
            stats: SearchStats) -> bool:
    """The general local search on the incumbent, then a descent from what it found.

    True when that descent improved again (polish once more)."""
    t1 = time.perf_counter()
    ho, _ = improve(data, best.host_of, deadline=deadline, seed=settings.seed, max_no_improve=2,
                    bound=best.bound, gap=settings.gap)
    before = best.value
    stats.phases["polish"] = stats.phases.get("polish", 0.0) + time.perf_counter() - t1
    if not best.take(ho, objective(data, ho)):
        return False
    stats.polish_gain += before - best.value
    return best.take(*search.descend(best.host_of, best.value))


def _final_mip(data: LinkData, best: _Best, deadline: Deadline, settings: CoreImprove,
               stats: SearchStats, t0: float) -> None:
    """The assignment MIP over the incumbent's open hosts, when there is time and room."""
    mip_seconds = settings.params.mip_seconds
    if mip_seconds == 0 or best.closed() or deadline.expired():
        return
    if mip_seconds is None:
        mip_seconds = min(max(settings.params.min_mip_seconds, 0.5 * (time.perf_counter() - t0)),
                          0.5 * deadline.remaining())
    t1 = time.perf_counter()
    ho2, what = assignment_mip(data, best.host_of, deadline=sub_deadline(deadline, mip_seconds),
                               verbose=settings.verbose)
    stats.assignment_mip = what
    stats.phases["assignment_mip"] = time.perf_counter() - t1
    if ho2 is not None:
        best.take(ho2, objective(data, ho2))


# ----------------------------------------------------------------------- method
@dataclass
class _CoreRun:
    """The state of one ``core-search`` solve."""

    instance: Instance
    data: LinkData
    options: SolveOptions
    params: CoreSearchParams
    deadline: Deadline
    seed: int
    stats: SearchStats = field(default_factory=SearchStats)
    best_ho: np.ndarray | None = None
    best: float = math.inf
    bound: float = -math.inf
    last_report: float = -math.inf

    def report(self, phase: str, force: bool = False) -> None:
        now = self.deadline.elapsed()
        if self.options.progress is not None and (force or now - self.last_report >= 1.0):
            self.last_report = now
            self.options.progress(Progress(now, self.best if math.isfinite(self.best) else None,
                                           self.bound if math.isfinite(self.bound) else None, phase))

    def take(self, ho: np.ndarray | None, val: float | None = None) -> None:
        if ho is None or int((ho >= 0).sum()) < self.data.T:
            return
        val = objective(self.data, ho) if val is None else val
        if val < self.best - 1e-9 * max(1.0, abs(self.best) if math.isfinite(self.best) else 1.0):
            self.best_ho, self.best = np.array(ho, dtype=np.int64), float(val)
            self.report("core search")

    def closed(self) -> bool:
        if not math.isfinite(self.best) or not math.isfinite(self.bound):
            return False
        b = math.ceil(self.bound - 1e-6) if self.data.gran else self.bound
        gap = self.options.gap
        return self.best - b <= max(gap * max(1.0, abs(self.best)), 1e-9 * max(1.0, abs(self.best)))

    def going(self) -> bool:
        return not self.closed() and not self.deadline.expired()


def core_search(instance: Instance, options: SolveOptions | None = None,
                params: CoreSearchParams | None = None) -> Result:
    """Lagrangian core + LP-guided host-set search; certified by a Lagrangian bound.

    Stages: a starting bound (``start_iterations`` subgradient steps), a start
    from the Lagrangian heuristic (or a feasibility MIP), the core search
    (:func:`core_improve`), and a final round of subgradient steps towards the
    incumbent that tightens the certificate. Honours ``time_limit``, ``gap``,
    ``seed`` (None: 0), ``warm_start``, ``progress`` and ``verbose``.
    """
    options = options or SolveOptions()
    params = params or CoreSearchParams()
    deadline, early = begin(instance, "core-search", options.time_limit)
    if early is not None:
        return early
    run = _CoreRun(instance, link_data(instance), options, params, deadline,
                   0 if options.seed is None else options.seed)
    build = deadline.elapsed()
    if run.data.T == 0:
        run.take(np.full(run.data.n, -1, dtype=np.int64), 0.0)
        run.bound = 0.0
    ws = options.warm_start
    if ws is not None and ws.is_feasible(instance):
        run.take(np.asarray(ws.host_of, dtype=np.int64))
    state = _starting_bound(run) if not run.closed() else None
    if state is not None and run.going():
        _start_solution(run, state)
    if state is not None and run.best_ho is not None and run.going():
        _search(run, state)
        _final_bound(run, state)
    run.report("done", force=True)
    return _core_result(run, build)


def _starting_bound(run: _CoreRun) -> Any:
    """Multipliers that choose the core and the start (within 30% of the time left)."""
    t0 = time.perf_counter()
    sub = Deadline(None if run.deadline.seconds is None else max(0.02, 0.3 * run.deadline.remaining()))
    state = subgradient(run.data, deadline=sub, iterations=run.params.start_iterations,
                        upper=run.best if math.isfinite(run.best) else None)
    run.bound = max(run.bound, state.bound)
    run.stats.phases["bound_start"] = time.perf_counter() - t0
    run.report("lagrangian", force=True)
    return state


def _start_solution(run: _CoreRun, state: Any) -> None:
    """The Lagrangian heuristic's solution, or a feasibility MIP's when it finds none."""
    t1 = time.perf_counter()
    run.take(lagrangian_heuristic(run.data, state.host_value, deadline=run.deadline, seed=run.seed,
                                  polish=True, max_no_improve=0))
    if run.best_ho is None and not run.deadline.expired():
        run.take(feasible_start(run.data, run.deadline,
                                max_mip_links=run.params.feasibility_mip_max_links))
    run.stats.phases["start"] = time.perf_counter() - t1


def _search(run: _CoreRun, state: Any) -> None:
    assert run.best_ho is not None
    settings = CoreImprove(seed=run.seed, gap=run.options.gap, verbose=run.options.verbose,
                           before_seconds=run.deadline.elapsed(), params=run.params)
    ho, _ = core_improve(run.data, run.best_ho, u=state.u, v=state.v, host_value=state.host_value,
                         bound=run.bound, deadline=run.deadline, settings=settings, stats=run.stats,
                         on_improve=lambda h, val: run.take(h, val))
    run.take(ho)


def _final_bound(run: _CoreRun, state: Any) -> None:
    """Tighten the certificate: Polyak steps towards the incumbent from the same multipliers."""
    if not run.going():
        return
    t1 = time.perf_counter()
    p = run.params
    secs = p.bound_seconds if p.bound_seconds is not None else max(0.1, 0.5 * run.deadline.elapsed())
    sub = Deadline(max(0.01, min(secs, run.deadline.remaining())))
    state2 = subgradient(run.data, deadline=sub, iterations=p.bound_iterations, start=(state.u, state.v),
                         upper=run.best, gap=run.options.gap)
    run.bound = max(run.bound, state2.bound)
    run.stats.phases["bound_final"] = time.perf_counter() - t1


def _core_result(run: _CoreRun, build: float) -> Result:
    out_stats = run.stats.as_dict()
    bound = run.bound if math.isfinite(run.bound) else None
    out_stats["lagrangian_bound"] = bound
    return finish(run.instance, host_of=run.best_ho, bound=bound, method="core-search", solver="hflopt",
                  build_seconds=build, solve_seconds=run.deadline.elapsed() - build, stats=out_stats,
                  timed_out=run.deadline.expired() and not run.closed(), solver_optimal=run.closed(),
                  gap_tolerance=run.options.gap)

