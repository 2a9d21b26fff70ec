"""The assignment LP of a set of open hosts, and the small MIPs built on it.

:class:`CoreLP` keeps the LP relaxation of the assignment over a fixed list
of links in one ``highspy.Highs`` object: opening or closing a host changes
the bounds of its columns, and HiGHS re-solves from the previous basis
(milliseconds). :func:`assignment_mip` re-optimises an assignment over its
open hosts; :func:`feasible_start` finds a first feasible assignment when
the greedy construction falls short under tight capacities.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from hflopt.solvers._common import Deadline
from hflopt.solvers.greedy import construct, objective
from hflopt.solvers.highs_direct import new_highs
from hflopt.solvers.links import LinkData
from hflopt.solvers.params import CoreSearchParams

__all__ = ["CoreLP", "assignment_mip", "feasible_start", "fixed_set_mip", "open_set", "sub_deadline"]


def sub_deadline(parent: Deadline, seconds: float) -> Deadline:
    """A deadline ``seconds`` from now that never ends after ``parent``."""
    return Deadline(max(0.01, min(float(seconds), parent.remaining())))


def open_set(m: int, host_of: np.ndarray) -> np.ndarray:
    s = np.zeros(m, dtype=bool)
    s[host_of[host_of >= 0]] = True
    return s


class CoreLP:
    """The assignment LP of a host set over a fixed list of links, warm-started.

    Columns are ``x`` of ``links``; rows are one per device (``<= 1``), one
    per host (``sum D x <= R``) and the participation row (``>= T``). A
    closed host's columns have upper bound 0.
    """

    def __init__(self, data: LinkData, links: np.ndarray, *, verbose: bool = False) -> None:
        import highspy

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
        self.h = new_highs(verbose=verbose)
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


def fixed_set_mip(data: LinkData, S: np.ndarray, links: np.ndarray, start: np.ndarray | None,
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
    if d.gran:
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


def feasible_start(data: LinkData, deadline: Deadline, *,
                   max_mip_links: int = CoreSearchParams.feasibility_mip_max_links) -> np.ndarray | None:
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
    if links.size == 0 or links.size > max_mip_links or deadline.expired():
        return None
    rem = deadline.remaining()
    sub = deadline if not math.isfinite(rem) else sub_deadline(deadline, 0.5 * rem)
    ho, _ = fixed_set_mip(data, np.ones(data.m, dtype=bool), links, None, math.inf, sub,
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
    S = open_set(d.m, host_of)
    gran = d.gran
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
    ho, status = fixed_set_mip(d, S, keep, host_of, cutoff, deadline, verbose)
    if ho is None or objective(d, ho) >= objective(d, host_of) - 1e-9:
        return None, f"no better assignment ({status})"
    return ho, f"improved ({status}, {keep.size} links)"
