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

import math
from dataclasses import dataclass, field
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
    assign_complete,
    construct,
    link_data,
    lp_knapsack,
    objective,
    sort_within_groups,
)
from hflopt.solvers.highs_direct import cover_rhs
from hflopt.solvers.local_search import improve

__all__ = ["CoreLP", "SearchStats", "core_improve", "core_search", "move_bounds"]

_EPS = 1e-9
#: largest number of 2-for-1 moves (|S|^2 * |core \ S|) whose bounds are computed at once
MAX_TWO_FOR_ONE = 2_000_000
#: instances with at most this many usable links in the core hosts use all of them in the LP
ALL_LINKS_UP_TO = 12_000
#: links per device in the LP otherwise (plus every link tied with the device's best)
PER_DEVICE = 4
#: budget of the MIP that repairs a rounding when the LP says a neighbour can win
REPAIR_SECONDS = 0.2
#: the final assignment MIP may always take this long (within the time limit)
MIP_SECONDS = 1.0
#: kicks may always take this long (and longer when everything before them took longer)
KICK_SECONDS = 0.25
#: capacity-blocked moves tried per exchange pass of the local search after each rounding
ROUND_EXCHANGES = 40


# ----------------------------------------------------------------------------- LP
class CoreLP:
    """The assignment LP of a host set over a fixed list of links, warm-started.

    Columns are ``x`` of ``links``; rows are one per device (``<= 1``), one
    per host (``sum D x <= R``) and the participation row (``>= T``). A
    closed host's columns have upper bound 0.
    """

    def __init__(self, data: LinkData, links: np.ndarray, *, verbose: bool = False) -> None:
        import highspy

        from hflopt.solvers.bounds import new_highs

        self.data = d = data
        self.links = lk = np.asarray(links, dtype=np.int64)
        k = lk.size
        n, m = d.n, d.m
        dev = d.dev[lk].astype(np.int64)
        host = d.host[lk].astype(np.int64)
        # column-wise: each column has its device row, its host's capacity row and the
        # participation row, already in increasing row order
        index = np.stack((dev, n + host, np.full(k, n + m, dtype=np.int64)), axis=1).reshape(-1)
        value = np.stack((np.ones(k), d.D[dev].astype(np.float64), np.ones(k)), axis=1).reshape(-1)
        lp = highspy.HighsLp()
        lp.num_col_ = k
        lp.num_row_ = n + m + 1
        lp.col_cost_ = d.a[lk].astype(np.float64)
        lp.col_lower_ = np.zeros(k)
        lp.col_upper_ = np.zeros(k)
        lo = np.full(n + m + 1, -highspy.kHighsInf)
        hi = np.concatenate((np.ones(n), d.R.astype(np.float64), [highspy.kHighsInf]))
        #: with T = N every device row is an equality and the participation row is left
        #: free: the dense row otherwise made the first dual simplex iterations take
        #: 12-20 s, uninterruptible, on 2*10^5 columns (geometric 500x50,000, k = 20)
        self.all_devices = n <= d.T
        if self.all_devices:
            lo[:n] = 1.0
        else:
            lo[-1] = float(d.T)
        lp.row_lower_ = lo
        lp.row_upper_ = hi
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = (3 * np.arange(k + 1)).astype(np.int32)
        lp.a_matrix_.index_ = index.astype(np.int32)
        lp.a_matrix_.value_ = value
        self.h = new_highs(verbose)
        self.h.passModel(lp)
        self._ms = highspy.HighsModelStatus
        self._bs = highspy.HighsBasisStatus
        order = np.argsort(host, kind="stable")
        self.by_host = order.astype(np.int32)
        self.hptr = np.zeros(m + 1, dtype=np.int64)
        np.cumsum(np.bincount(host, minlength=m), out=self.hptr[1:])
        self.col_host = host
        self.col_dev = dev
        self.open = np.zeros(m, dtype=bool)
        self.solves = 0
        self.iterations = 0
        self.value = math.inf
        self.h.setOptionValue("presolve", "off")  # every solve after the first is a warm start

    def set_open(self, S: np.ndarray) -> None:
        """Open exactly the hosts in the boolean mask ``S`` (changes only what differs)."""
        changed = np.flatnonzero(self.open != S)
        if changed.size == 0:
            return
        idx = np.concatenate([self.by_host[self.hptr[j]:self.hptr[j + 1]] for j in changed])
        if idx.size:
            ub = S[self.col_host[idx]].astype(np.float64)
            self.h.changeColsBounds(int(idx.size), idx, np.zeros(idx.size), ub)
        self.open = S.copy()

    def warm_basis(self, host_of: np.ndarray) -> None:
        """Start from the basis of an assignment: its links at their upper bound, rows basic."""
        import highspy

        d = self.data
        part = np.flatnonzero(host_of >= 0)
        inc = d.instance.link_index(part, host_of[part])
        status = np.zeros(self.links.size, dtype=bool)
        if self.links.size and inc.size:
            pos = np.minimum(np.searchsorted(self.links, inc), self.links.size - 1)
            status[pos[self.links[pos] == inc]] = True
        lower, upper = self._bs.kLower, self._bs.kUpper
        basis = highspy.HighsBasis()
        basis.col_status = [upper if s else lower for s in status.tolist()]
        basis.row_status = [self._bs.kBasic] * (d.n + d.m + 1)
        basis.valid = True
        self.h.setBasis(basis)

    def solve(self, S: np.ndarray, deadline: Deadline) -> float:
        """LP value for open set ``S`` (inf if infeasible or stopped by the deadline)."""
        self.set_open(S)
        rem = deadline.remaining()
        if rem <= 0:
            return math.inf
        if math.isfinite(rem):
            self.h.setOptionValue("time_limit", float(rem))

        def on_interrupt(e: Any) -> None:
            if deadline.expired():
                e.interrupt()

        self.h.cbSimplexInterrupt += on_interrupt
        try:
            self.h.run()
        finally:
            self.h.cbSimplexInterrupt -= on_interrupt
        self.solves += 1
        self.iterations += int(max(self.h.getInfo().simplex_iteration_count, 0))
        if self.h.getModelStatus() != self._ms.kOptimal:
            self.value = math.inf
            return math.inf
        self.value = float(self.h.getInfo().objective_function_value)
        return self.value

    def primal(self) -> np.ndarray:
        return np.asarray(self.h.getSolution().col_value)

    def duals(self) -> tuple[np.ndarray, np.ndarray, float]:
        """``(u, pi, theta) >= 0`` of the device, capacity and participation rows."""
        d = self.data
        rd = np.asarray(self.h.getSolution().row_dual)
        pi = np.maximum(0.0, -rd[d.n:d.n + d.m])
        if self.all_devices:
            # equality rows: only u_i - theta = -rd_i is defined; the smallest theta >= 0
            # that keeps every u_i >= 0 gives the same reduced costs and bound
            theta = max(0.0, float(rd[: d.n].max())) if d.n else 0.0
            return theta - rd[: d.n], pi, theta
        u = np.maximum(0.0, -rd[: d.n])
        theta = max(0.0, float(rd[-1]))
        return u, pi, theta


# ------------------------------------------------------------------ move bounds
def _priced_options(data: LinkData, lp: CoreLP, S: np.ndarray, pi: np.ndarray
                    ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each device's three cheapest priced options ``l*C_d + pi_j D_i`` among open core links."""
    d = data
    cols = np.flatnonzero(S[lp.col_host])
    lk = lp.links[cols]
    dv = lp.col_dev[cols]
    q = d.a[lk] + pi[lp.col_host[cols]] * d.D[dv]
    o = np.lexsort((q, dv))
    dvo = dv[o]
    n_o = o.size
    first = np.ones(n_o, dtype=bool)
    if n_o:
        first[1:] = dvo[1:] != dvo[:-1]
    second = np.zeros(n_o, dtype=bool)
    second[1:] = ~first[1:] & first[:-1]
    third = np.zeros(n_o, dtype=bool)
    third[2:] = ~first[2:] & ~first[1:-1] & first[:-2]
    out = []
    for mask in (first, second, third):
        c = np.full(d.n, np.inf)
        b = np.full(d.n, -1, dtype=np.int64)
        c[dvo[mask]] = q[o[mask]]
        b[dvo[mask]] = lp.col_host[cols[o[mask]]]
        out.append((c, b))
    return out


def _theta_values(t: int, c1: np.ndarray, theta_lp: float, max_values: int = 8) -> np.ndarray:
    """Participation prices to try: the LP's and the best options' values around the T-th."""
    fin = np.sort(c1[np.isfinite(c1)])
    vals = [theta_lp]
    if fin.size and t > 0:
        base = min(fin.size - 1, t - 1)
        offs = 2 ** np.arange(0, 20)
        pos = np.unique(np.minimum(fin.size - 1, base + np.concatenate(([0], offs))))
        vals.extend(fin[pos].tolist())
        vals.extend(np.unique(fin[base:])[:max_values].tolist())
    out = np.unique(np.asarray(vals, dtype=np.float64))
    if out.size > max_values:
        keep = np.unique(np.round(np.linspace(0, out.size - 1, max_values)).astype(np.int64))
        out = np.unique(np.concatenate((out[keep], [theta_lp])))
    return out


@dataclass
class MoveBounds:
    """Lower bounds on ``f(S') + LP(S')`` of the neighbours of a host set ``S``.

    ``s_hosts`` are the open hosts, ``o_hosts`` the closed core hosts;
    ``drop[a]`` closes ``s_hosts[a]``, ``add[b]`` opens ``o_hosts[b]``,
    ``swap[a, b]`` does both, ``two_one[a1, a2, b]`` closes two and opens one
    (None when too many).
    """

    s_hosts: np.ndarray
    o_hosts: np.ndarray
    drop: np.ndarray
    add: np.ndarray
    swap: np.ndarray
    two_one: np.ndarray | None


def move_bounds(data: LinkData, lp: CoreLP, S: np.ndarray, core: np.ndarray, pi: np.ndarray,
                theta_lp: float, *, two_for_one: bool = True) -> MoveBounds:
    """Bounds for every drop, add, swap and 2-for-1 move of ``S`` inside ``core``.

    For each ``theta`` of :func:`_theta_values` the Lagrangian function of the
    assignment LP at ``(pi, theta)`` (with the device multipliers chosen
    optimally per device and a new host's ``pi`` optimally per host) is
    evaluated for all moves at once; the maximum over ``theta`` is kept.
    Each value is a valid lower bound on the neighbour's LP value over the
    core links.
    """
    d = data
    s_hosts = np.flatnonzero(S)
    o_hosts = np.flatnonzero(core & ~S)
    ns, no = s_hosts.size, o_hosts.size
    loc_s = np.full(d.m, -1, dtype=np.int64)
    loc_s[s_hosts] = np.arange(ns)
    loc_o = np.full(d.m, -1, dtype=np.int64)
    loc_o[o_hosts] = np.arange(no)
    (c1, b1), (c2, b2), (c3, _) = _priced_options(d, lp, S, pi)
    has1 = b1 >= 0
    has2 = b2 >= 0
    # core links of closed core hosts
    ocols = np.flatnonzero(loc_o[lp.col_host] >= 0)
    o_dev = lp.col_dev[ocols]
    o_h = loc_o[lp.col_host[ocols]]
    o_a = d.a[lp.links[ocols]]
    o_w = d.D[o_dev]
    o_b1 = b1[o_dev]
    o_b2 = b2[o_dev]
    f_s, f_o = d.f[s_hosts], d.f[o_hosts]
    piR_s = pi[s_hosts] * d.R[s_hosts]
    base = float(f_s.sum() - piR_s.sum())
    do21 = two_for_one and ns >= 2 and no > 0 and ns * ns * no <= MAX_TWO_FOR_ONE
    best: MoveBounds | None = None
    for theta in _theta_values(d.T, c1, theta_lp):
        p1 = np.maximum(0.0, theta - c1)
        p2 = np.maximum(0.0, theta - c2)
        p3 = np.maximum(0.0, theta - c3)
        g0 = base + theta * d.T - float(p1.sum())  # = f(S) + LP(S) at the LP's own theta
        loss = np.bincount(loc_s[b1[has1]], weights=(p1 - p2)[has1], minlength=ns)
        drop = g0 - f_s + piR_s + loss
        ref1 = np.minimum(theta, c1)[o_dev]
        prof = ref1 - o_a
        pos = prof > _EPS
        _, kp = lp_knapsack(o_h[pos], prof[pos], o_w[pos], d.R[o_hosts].astype(np.float64))
        add = g0 + f_o - kp
        ref2 = np.minimum(theta, c2)[o_dev]
        inc = np.maximum(0.0, ref2 - o_a) - np.maximum(0.0, prof)
        ok = (o_b1 >= 0) & (inc > _EPS)
        extra = np.bincount(loc_s[o_b1[ok]] * no + o_h[ok], weights=inc[ok],
                            minlength=ns * no).reshape(ns, no)
        swap = drop[:, None] + (f_o - kp)[None, :] - extra
        two_one = None
        if do21:
            both = has1 & has2
            corr = np.bincount(loc_s[b1[both]] * ns + loc_s[b2[both]], weights=(p2 - p3)[both],
                               minlength=ns * ns).reshape(ns, ns)
            d2 = drop[:, None] + drop[None, :] - g0 + corr + corr.T
            # devices whose two best options both close: their reference rises to c3
            ref3 = np.minimum(theta, c3)[o_dev]
            inc3 = np.maximum(0.0, ref3 - o_a) - np.maximum(0.0, ref2 - o_a)
            ok3 = (o_b1 >= 0) & (o_b2 >= 0) & (inc3 > _EPS)
            e3 = np.bincount((loc_s[o_b1[ok3]] * ns + loc_s[o_b2[ok3]]) * no + o_h[ok3],
                             weights=inc3[ok3], minlength=ns * ns * no).reshape(ns, ns, no)
            two_one = (d2[:, :, None] + (f_o - kp)[None, None, :] - extra[:, None, :]
                       - extra[None, :, :] - e3 - e3.transpose(1, 0, 2))
        if best is None:
            best = MoveBounds(s_hosts, o_hosts, drop, add, swap, two_one)
        else:
            best.drop = np.maximum(best.drop, drop)
            best.add = np.maximum(best.add, add)
            best.swap = np.maximum(best.swap, swap)
            if two_one is not None and best.two_one is not None:
                best.two_one = np.maximum(best.two_one, two_one)
    assert best is not None
    return best


def _moves_below(mb: MoveBounds, limit: float) -> tuple[np.ndarray, np.ndarray]:
    """Moves with a bound below ``limit`` as rows ``(close1, close2, open)`` (-1 = none), sorted."""
    rows: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    s, o = mb.s_hosts, mb.o_hosts
    a = np.flatnonzero(mb.drop < limit)
    rows.append(np.stack((s[a], np.full(a.size, -1), np.full(a.size, -1)), axis=1))
    vals.append(mb.drop[a])
    b = np.flatnonzero(mb.add < limit)
    rows.append(np.stack((np.full(b.size, -1), np.full(b.size, -1), o[b]), axis=1))
    vals.append(mb.add[b])
    a, b = np.nonzero(mb.swap < limit)
    rows.append(np.stack((s[a], np.full(a.size, -1), o[b]), axis=1))
    vals.append(mb.swap[a, b])
    if mb.two_one is not None:
        a1, a2, b = np.nonzero(mb.two_one < limit)
        keep = a1 < a2
        a1, a2, b = a1[keep], a2[keep], b[keep]
        rows.append(np.stack((s[a1], s[a2], o[b]), axis=1))
        vals.append(mb.two_one[a1, a2, b])
    allrows = np.concatenate(rows).astype(np.int64)
    allvals = np.concatenate(vals)
    order = np.argsort(allvals, kind="stable")
    return allrows[order], allvals[order]


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


def _sub_deadline(parent: Deadline, seconds: float) -> Deadline:
    """A deadline ``seconds`` from now that never ends after ``parent``."""
    return Deadline(max(0.01, min(float(seconds), parent.remaining())))


def _open_set(m: int, host_of: np.ndarray) -> np.ndarray:
    s = np.zeros(m, dtype=bool)
    s[host_of[host_of >= 0]] = True
    return s


def _round(data: LinkData, lp: CoreLP, S: np.ndarray, deadline: Deadline,
           seed: int | None) -> np.ndarray | None:
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
                    moves=("shift", "participation", "exchange"),
                    exchange_tries=ROUND_EXCHANGES)
    return ho


def select_core(data: LinkData, host_of: np.ndarray, u: np.ndarray, v: float,
                host_value: np.ndarray, bound: float, upper: float, *,
                extra_hosts: int | None = None, per_device: int = PER_DEVICE
                ) -> tuple[np.ndarray, np.ndarray]:
    """Core hosts (mask) and core links (indices) for the search.

    Hosts: those open in ``host_of`` plus the best-ranked hosts by
    ``C_e[j] - K_j`` whose forced-open bound ``L + max(0, C_e[j] - K_j)`` is
    below ``upper`` (``extra_hosts`` of them; default as many as are open,
    at least 10). Links: all usable links of core hosts when there are at
    most :data:`ALL_LINKS_UP_TO`, else each device's ``per_device`` links of
    lowest reduced cost plus those tied with its best; always the links of
    ``host_of``.
    """
    d = data
    used = _open_set(d.m, host_of)
    n_used = int(used.sum())
    extra = max(10, n_used) if extra_hosts is None else extra_hosts
    eligible = bound + np.maximum(host_value, 0.0) < upper - _EPS
    rank = np.argsort(host_value, kind="stable")
    cand = rank[eligible[rank] & ~used[rank]]
    core = used.copy()
    core[cand[:extra]] = True
    ok = d.usable & core[d.host]
    if int(ok.sum()) > ALL_LINKS_UP_TO:
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
                 verbose: bool = False, on_improve: Any = None, max_evals: int = 40,
                 lp_evals: int = 8, repair_seconds: float = REPAIR_SECONDS) -> None:
        self.data = data
        self.repair_seconds = repair_seconds
        self.max_evals = max_evals
        self.lp_evals = lp_evals
        self.core = core
        self.deadline = deadline
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.stats = stats
        self.lp = CoreLP(data, links, verbose=verbose)
        self.gran = objective_granularity(data.instance)
        self.on_improve = on_improve
        self.lp_time = [0.0, 0]
        self.prices: tuple[np.ndarray, float] | None = None
        #: ``f(value) -> bool``: the incumbent value is proven good enough (descents stop)
        self.closed: Any = None
        #: open capacity any feasible set needs (the T smallest servable workloads)
        self.need = cover_rhs(data.instance)
        stats.core_hosts = int(core.sum())
        stats.core_links = int(links.size)

    @property
    def lp_is_cheap(self) -> bool:
        total, count = self.lp_time
        return count == 0 or total / count <= self.LP_SECONDS

    def _solve(self, S: np.ndarray) -> float:
        import time

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
        ho = _round(d, self.lp, S, self.deadline, self.seed)
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
            ho, _ = _fixed_set_mip(d, S, keep, None if best is None else best[0],
                                   limit - f_open, _sub_deadline(self.deadline, self.repair_seconds))
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
                    exchange_tries=ROUND_EXCHANGES)
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
        S = _open_set(d.m, host_of)
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
            mb = move_bounds(d, self.lp, S, self.core, pi, theta)
            limit = value - max(self.gran, 1e-9 * max(1.0, abs(value))) + 1e-7
            moves, bounds = _moves_below(mb, limit)
            moves, bounds = self._with_capacity(S, moves, bounds)
            n = min(int(np.searchsorted(bounds, limit)), self.max_evals)
            res = self._first_improving(S, moves[:n], self._evaluate, limit, value)
            if res is None and fresh and not self.lp_is_cheap:
                res = self._first_improving(S, moves[:min(n, self.lp_evals)], self.evaluate,
                                            limit, value)
            if res is not None:
                host_of, value = res
                S = _open_set(d.m, host_of)
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
        S = _open_set(d.m, host_of)
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


def _fixed_set_mip(data: LinkData, S: np.ndarray, links: np.ndarray, start: np.ndarray | None,
                   cutoff: float, deadline: Deadline, verbose: bool = False,
                   first_solution: bool = False) -> tuple[np.ndarray | None, str]:
    """The assignment MIP of open set ``S`` over ``links`` (HiGHS), stopped at ``deadline``.

    Only assignments whose link cost is below ``cutoff`` are of interest
    (HiGHS objective cut-off); ``start`` is passed as MIP start when all its
    links are in ``links``. ``first_solution``: stop at the first feasible one.
    """
    d = data
    k = links.size
    if k == 0 or deadline.remaining() < 0.01:
        return None, "skipped"
    sub = CoreLP(d, links, verbose=verbose)
    sub.set_open(S)
    h = sub.h
    h.setOptionValue("presolve", "choose")
    h.changeColsIntegrality(k, np.arange(k, dtype=np.int32), np.ones(k, dtype=np.uint8))
    h.setOptionValue("mip_rel_gap", 0.0)
    if objective_granularity(d.instance):
        h.setOptionValue("mip_abs_gap", 1.0 - 1e-6)
    h.setOptionValue("objective_bound", float(cutoff))
    h.setOptionValue("time_limit", float(max(0.01, deadline.remaining())))
    if first_solution:
        h.setOptionValue("mip_max_improving_sols", 1)
    if start is not None:
        part = np.flatnonzero(start >= 0)
        inc = d.instance.link_index(part, start[part])
        pos = np.minimum(np.searchsorted(links, inc), k - 1)
        if np.all(links[pos] == inc):
            h.setSolution(int(pos.size), pos.astype(np.int32), np.ones(pos.size))

    def on_interrupt(e: Any) -> None:
        if deadline.expired():
            e.interrupt()

    h.cbMipInterrupt += on_interrupt
    h.cbSimplexInterrupt += on_interrupt
    try:
        h.run()
    finally:
        h.cbMipInterrupt -= on_interrupt
        h.cbSimplexInterrupt -= on_interrupt
    status = h.modelStatusToString(h.getModelStatus())
    if h.getInfo().primal_solution_status != 2:
        return None, status
    x = np.asarray(h.getSolution().col_value)
    chosen = links[x > 0.5]
    ho = np.full(d.n, -1, dtype=np.int64)
    ho[d.dev[chosen]] = d.host[chosen]
    if int((ho >= 0).sum()) < d.T:
        return None, f"{status}, short of T"
    return ho, status


#: the feasibility MIP of :func:`feasible_start` is tried up to this many links
FEASIBILITY_MIP_MAX_LINKS = 2_000_000


def feasible_start(data: LinkData, deadline: Deadline) -> np.ndarray | None:
    """A feasible assignment: :func:`~hflopt.solvers.greedy.construct`, else a MIP.

    When the construction (with its ejection chains) still falls short of T
    -- tight capacities and few links per device -- the assignment MIP with
    every host open is handed to HiGHS and stopped at its first feasible
    solution (at most half of the time left). None if neither finds one.
    """
    ho = construct(data, deadline)
    if int((ho >= 0).sum()) >= data.T:
        return ho
    links = np.flatnonzero(data.usable)
    if links.size == 0 or links.size > FEASIBILITY_MIP_MAX_LINKS or deadline.expired():
        return None
    rem = deadline.remaining()
    sub = deadline if not math.isfinite(rem) else _sub_deadline(deadline, 0.5 * rem)
    ho, _ = _fixed_set_mip(data, np.ones(data.m, dtype=bool), links, None, math.inf, sub,
                           first_solution=True)
    return ho


def assignment_mip(data: LinkData, host_of: np.ndarray, *, deadline: Deadline,
                   max_links: int = 200_000, verbose: bool = False
                   ) -> tuple[np.ndarray | None, str]:
    """Re-optimise the assignment of ``host_of``'s open hosts by a small MIP.

    The open hosts stay open (and no other opens). The LP of that fixed set
    over *all* its usable links gives duals; a link whose LP reduced cost
    exceeds the gap between the incumbent's assignment cost and the LP value
    cannot be in a better assignment and is left out, which usually leaves a
    small MIP (HiGHS, MIP start = the incumbent, objective cut-off, stopped
    by an interrupt callback at the deadline). Returns ``(better host_of or
    None, what happened)``.
    """
    d = data
    S = _open_set(d.m, host_of)
    gran = objective_granularity(d.instance)
    f_open = float(d.f[S].sum())
    inc = objective(d, host_of) - f_open
    if inc < max(gran, 1e-12):
        return None, "assignment costs nothing"
    links = np.flatnonzero(d.usable & S[d.host])
    if links.size == 0 or deadline.remaining() < 0.05:
        return None, "skipped"
    lp = CoreLP(d, links, verbose=verbose)
    lp.warm_basis(host_of)
    val = lp.solve(S, deadline)
    if not math.isfinite(val):
        return None, "lp not solved"
    room = inc - val
    if room < max(gran, 1e-9 * max(1.0, abs(inc))):
        return None, "assignment proven optimal for its hosts"
    u, pi, theta = lp.duals()
    rc = d.a[links] + u[d.dev[links]] + pi[d.host[links]] * d.D[d.dev[links]] - theta
    part = np.flatnonzero(host_of >= 0)
    inc_links = d.instance.link_index(part, host_of[part])
    keep = np.union1d(links[rc < room - gran + 1e-7], inc_links)
    if keep.size > max_links:
        return None, f"skipped ({keep.size} links)"
    cutoff = inc - gran + 1e-6 if gran else inc - 1e-9 * max(1.0, abs(inc))
    ho, status = _fixed_set_mip(d, S, keep, host_of, cutoff, deadline, verbose)
    if ho is None or objective(d, ho) >= objective(d, host_of) - 1e-9:
        return None, f"no better assignment ({status})"
    return ho, f"improved ({status}, {keep.size} links)"


def core_improve(
    data: LinkData,
    host_of: np.ndarray,
    *,
    u: np.ndarray,
    v: float,
    host_value: np.ndarray,
    bound: float,
    deadline: Deadline,
    seed: int | None = 0,
    max_kicks: int = 3,
    max_evals: int = 40,
    polish: bool = True,
    search_seconds: float | None = None,
    mip_seconds: float | None = None,
    gap: float = 0.0,
    stats: SearchStats | None = None,
    verbose: bool = False,
    on_improve: Any = None,
    before_seconds: float = 0.0,
) -> tuple[np.ndarray, SearchStats]:
    """Improve a feasible assignment by the core search; return the best one found.

    Parameters
    ----------
    host_of:
        A feasible start (at least T participants).
    u, v, host_value, bound:
        Lagrangian multipliers, per-host values ``C_e[j] - K_j`` and the bound
        they give (they choose the core).
    deadline:
        Hard limit for everything (LPs and MIPs are interrupted at it).
    max_kicks:
        Kicks in a row without improvement before the search stops.
    max_evals:
        Neighbours evaluated (LP + rounding) per descent step at most; the
        step ends earlier when the next bound cannot beat the incumbent.
    polish:
        Run the general local search on the best solution.
    search_seconds:
        Budget of the descents, kicks and polishing (default: 70% of what is
        left of ``deadline``; without a deadline ten times ``before_seconds``,
        at least 1 s). Without a deadline, kicks also stop once they have
        taken as long as everything before them (at least
        :data:`KICK_SECONDS`).
    mip_seconds:
        Budget of the final assignment MIP (default: half the time the search
        took, at least :data:`MIP_SECONDS`, and at most half of what is left
        of ``deadline``; 0: no MIP).
    gap:
        Stop once ``(obj - bound) / max(1, obj)`` is at most this.
    on_improve:
        ``f(host_of, value)`` called with every new best solution.
    before_seconds:
        Time the caller spent before (bound, start): the scale of the default
        budgets.
    """
    import time

    d = data
    stats = stats or SearchStats()
    gran = objective_granularity(d.instance)
    t0 = time.perf_counter()
    best_ho = np.array(host_of, dtype=np.int64)
    best = objective(d, best_ho)

    def closes(value: float) -> bool:
        b = math.ceil(bound - 1e-6) if gran else bound
        return value - b <= max(gap * max(1.0, abs(value)), 1e-9 * max(1.0, abs(value)))

    def closed() -> bool:
        return closes(best)

    def take(ho: np.ndarray, val: float) -> bool:
        nonlocal best_ho, best
        if val < best - 1e-9 * max(1.0, abs(best)):
            best_ho, best = ho, val
            if on_improve is not None:
                on_improve(ho, val)
            return True
        return False

    if d.T == 0 or closed() or deadline.remaining() < 0.02:
        return best_ho, stats
    if search_seconds is None:
        rem = deadline.remaining()
        search_seconds = 0.7 * rem if math.isfinite(rem) else max(1.0, 10.0 * before_seconds)
    search_deadline = _sub_deadline(deadline, search_seconds)
    core, links = select_core(d, best_ho, u, v, host_value, bound, best)
    search = HostSearch(d, core, links, deadline=search_deadline, seed=seed, stats=stats,
                        verbose=verbose, on_improve=on_improve, max_evals=max_evals)
    search.closed = closes
    search.lp.warm_basis(best_ho)
    stats.phases["core_build"] = time.perf_counter() - t0
    ho, val = search.descend(best_ho, best)
    take(ho, val)
    no_gain = 0
    polished = not polish
    # without a time limit, kicks (and polishing) may take as long again as everything before
    kick_deadline = search_deadline
    if not math.isfinite(deadline.remaining()):
        kick_deadline = _sub_deadline(search_deadline,
                                      max(KICK_SECONDS, time.perf_counter() - t0 + before_seconds))
    search.deadline = kick_deadline
    while not kick_deadline.expired() and not closed() and no_gain < max_kicks:
        if not polished:
            polished = True
            t1 = time.perf_counter()
            ho, _ = improve(d, best_ho, deadline=kick_deadline, seed=seed, max_no_improve=2,
                            bound=bound, gap=gap)
            before = best
            stats.phases["polish"] = stats.phases.get("polish", 0.0) + time.perf_counter() - t1
            if take(ho, objective(d, ho)):
                stats.polish_gain += before - best
                ho, val = search.descend(best_ho, best)
                if take(ho, val):
                    polished = False
                continue
        start = search.kick(best_ho)
        if start is None:
            no_gain += 1
            continue
        ho, val = search.descend(*start)
        if take(ho, val):
            no_gain = 0
            polished = not polish
        else:
            no_gain += 1
    stats.lp_solves += search.lp.solves
    stats.lp_iterations += search.lp.iterations
    stats.phases["search"] = time.perf_counter() - t0
    if mip_seconds != 0 and not closed() and not deadline.expired():
        if mip_seconds is None:
            mip_seconds = min(max(MIP_SECONDS, 0.5 * (time.perf_counter() - t0)),
                              0.5 * deadline.remaining())
        sub = _sub_deadline(deadline, mip_seconds)
        t1 = time.perf_counter()
        ho2, what = assignment_mip(d, best_ho, deadline=sub, verbose=verbose)
        stats.assignment_mip = what
        stats.phases["assignment_mip"] = time.perf_counter() - t1
        if ho2 is not None:
            take(ho2, objective(d, ho2))
    if verbose:
        print(f"core search: {best:g} ({stats.as_dict()})")
    return best_ho, stats


# ----------------------------------------------------------------------- method
def core_search(
    instance: Instance,
    *,
    time_limit: float | None = None,
    gap: float = 0.0,
    seed: int | None = 0,
    max_kicks: int = 3,
    max_evals: int = 40,
    start_iterations: int = 60,
    bound_iterations: int = 600,
    bound_seconds: float | None = None,
    mip_seconds: float | None = None,
    warm_start: Solution | None = None,
    progress: ProgressCallback | None = None,
    verbose: bool = False,
) -> Result:
    """Lagrangian core + LP-guided host-set search; certified by a Lagrangian bound.

    Parameters
    ----------
    time_limit:
        Seconds for everything (default none: the search stops by itself).
    gap:
        Stop once the certified gap ``(obj - bound) / max(1, obj)`` is at most
        this (default 0).
    seed:
        Seed of the kicks and of the local search.
    max_kicks:
        Kicks in a row without improvement before the search stops.
    max_evals:
        Neighbours evaluated per descent step at most.
    start_iterations:
        Subgradient iterations before the search (multipliers that choose
        the core and the start).
    bound_iterations:
        Further subgradient iterations afterwards (Polyak steps towards the
        incumbent) to tighten the certificate.
    bound_seconds:
        Time for those iterations (default: half the time spent before them,
        at least 0.1 s); always within ``time_limit``.
    mip_seconds:
        Budget of the final assignment MIP (default: half as long as the
        search took, at least :data:`MIP_SECONDS`, within the time limit; 0
        turns it off).
    warm_start:
        A feasible solution to start from (kept if better).
    progress:
        Called with incumbent, bound and phase at most about once a second.
    """
    import time

    from hflopt.solvers.lagrangian import lagrangian_bound, lagrangian_heuristic

    method = "core-search"
    deadline, early = begin(instance, method, time_limit)
    if early is not None:
        return early
    d = link_data(instance)
    gran = objective_granularity(instance)
    stats = SearchStats()
    build = deadline.elapsed()
    best_ho: np.ndarray | None = None
    best = math.inf
    bound = -math.inf
    last = {"report": -math.inf}

    def report(phase: str, force: bool = False) -> None:
        now = deadline.elapsed()
        if progress is not None and (force or now - last["report"] >= 1.0):
            last["report"] = now
            progress(Progress(now, best if math.isfinite(best) else None,
                              bound if math.isfinite(bound) else None, phase))

    def take(ho: np.ndarray | None, val: float | None = None) -> None:
        nonlocal best_ho, best
        if ho is None or int((ho >= 0).sum()) < d.T:
            return
        val = objective(d, ho) if val is None else val
        if val < best - 1e-9 * max(1.0, abs(best) if math.isfinite(best) else 1.0):
            best_ho, best = np.array(ho, dtype=np.int64), float(val)
            report("core search")

    def closed() -> bool:
        if not math.isfinite(best) or not math.isfinite(bound):
            return False
        b = math.ceil(bound - 1e-6) if gran else bound
        return best - b <= max(gap * max(1.0, abs(best)), 1e-9 * max(1.0, abs(best)))

    if d.T == 0:
        take(np.full(d.n, -1, dtype=np.int64), 0.0)
        bound = 0.0
    if warm_start is not None and warm_start.is_feasible(instance):
        take(np.asarray(warm_start.host_of, dtype=np.int64))
    t0 = time.perf_counter()
    budget = deadline.seconds
    state = None
    if not closed():
        sub = Deadline(None if budget is None else max(0.02, 0.3 * deadline.remaining()))
        state = lagrangian_bound(d, deadline=sub, iterations=start_iterations,
                                 upper=best if math.isfinite(best) else None)
        bound = max(bound, state.bound)
        stats.phases["bound_start"] = time.perf_counter() - t0
        report("lagrangian", force=True)
    if state is not None and not closed() and not deadline.expired():
        t1 = time.perf_counter()
        take(lagrangian_heuristic(d, state.host_value, deadline=deadline, seed=seed, polish=True,
                                  max_no_improve=0))
        if best_ho is None and not deadline.expired():
            take(feasible_start(d, deadline))
        stats.phases["start"] = time.perf_counter() - t1
    if state is not None and best_ho is not None and not closed() and not deadline.expired():
        ho, _ = core_improve(d, best_ho, u=state.u, v=state.v, host_value=state.host_value,
                             bound=bound, deadline=deadline, seed=seed, max_kicks=max_kicks,
                             max_evals=max_evals, mip_seconds=mip_seconds, gap=gap, stats=stats,
                             verbose=verbose, on_improve=lambda h, val: take(h, val),
                             before_seconds=deadline.elapsed())
        take(ho)
    if state is not None and best_ho is not None and not closed() and not deadline.expired():
        # tighten the certificate: Polyak steps towards the incumbent from the same multipliers
        t1 = time.perf_counter()
        secs = bound_seconds if bound_seconds is not None else max(0.1, 0.5 * deadline.elapsed())
        sub = Deadline(max(0.01, min(secs, deadline.remaining())))
        state2 = lagrangian_bound(d, deadline=sub, iterations=bound_iterations,
                                  start=(state.u, state.v), upper=best, gap=gap)
        bound = max(bound, state2.bound)
        stats.phases["bound_final"] = time.perf_counter() - t1
    report("done", force=True)
    out_stats = stats.as_dict()
    out_stats["lagrangian_bound"] = bound if math.isfinite(bound) else None
    return finish(instance, host_of=best_ho, bound=bound if math.isfinite(bound) else None,
                  method=method, solver="hflopt", build_seconds=build,
                  solve_seconds=deadline.elapsed() - build, stats=out_stats,
                  timed_out=deadline.expired() and not closed(), solver_optimal=closed(),
                  gap_tolerance=gap)
