"""Constructive heuristics for HFLOP and the vectorised primitives they share.

Methods (registered in :mod:`hflopt.solvers`):

``greedy-pack``
    The authors' "pack" baseline: hosts by decreasing capacity; each host is
    filled with the still unassigned devices that fit, in increasing order of
    ``workload * cost``.
``greedy-cheapest``
    The authors' "cheapest first" baseline: every device goes to its cheapest
    host with room left (devices in index order); then the most expensive
    associations are pruned down to T devices.
``greedy``
    A capacity-, fixed-cost- and participation-aware constructive method:
    hosts are opened one at a time (ADD) by the best net saving
    ``C_e[j] - gain_j``, where ``gain_j`` is the value of an LP knapsack over the
    devices host j would serve more cheaply than today, limited by its
    capacity; then a regret-ordered, capacity-checked assignment serves the T
    cheapest devices, and hosts whose fixed cost outweighs their use are
    dropped (DROP).

All of them work on the sparse links of :class:`~hflopt.Instance`; no step
loops in Python over devices or links.
"""

from __future__ import annotations

import heapq
from typing import Any

import numpy as np

from hflopt.instance import Instance
from hflopt.solution import Result
from hflopt.solvers._common import (
    Deadline,
    Progress,
    begin,
    finish,
)
from hflopt.solvers.arrays import first_per_group, gather_ranges, grouped_cumsum
from hflopt.solvers.knapsack import lp_knapsack
from hflopt.solvers.links import LinkData, link_data
from hflopt.solvers.params import CheapestParams, PackParams, SolveOptions

__all__ = [
    "assign_complete",
    "assign_greedy",
    "greedy_add_drop",
    "greedy_cheapest",
    "greedy_pack",
    "repair_assignment",
]

_EPS = 1e-9


# ------------------------------------------------------------------- assignment
def assign_greedy(
    data: LinkData,
    open_mask: np.ndarray,
    need: int,
    *,
    host_of: np.ndarray | None = None,
    devices: np.ndarray | None = None,
    key: np.ndarray | None = None,
    extra: bool = False,
) -> np.ndarray:
    """Capacity-checked greedy assignment of devices to open hosts, in rounds.

    Each round every waiting device proposes its cheapest remaining link to
    an open host; only the ``need - assigned`` cheapest proposals are eligible
    (so participation is filled with the cheapest devices first); each host
    accepts eligible proposals by (cost, highest regret, smallest workload)
    while its residual capacity lasts; rejected devices move on to their next
    link. Stops when ``need`` devices participate or nobody can propose.

    Parameters
    ----------
    data:
        :func:`link_data` of the instance.
    open_mask:
        Hosts that may be used (length M).
    need:
        Target number of participating devices (counting ``host_of``).
    host_of:
        A partial assignment to extend (copied); devices already assigned
        stay, and their load counts.
    devices:
        Devices that may be (re)assigned; default all unassigned ones.
    key:
        Per-link ordering key (default: the scaled cost).
    extra:
        Also assign, at the end, every waiting device whose cheapest link
        costs zero (they add nothing to the objective).

    Returns
    -------
    numpy.ndarray
        The new ``host_of``.
    """
    n = data.n
    ho = np.full(n, -1, dtype=np.int64) if host_of is None else np.array(host_of, dtype=np.int64)
    part = ho >= 0
    load = np.bincount(ho[part], weights=data.D[part], minlength=data.m)
    resid = data.R - load
    if devices is None:
        devices = np.flatnonzero(~part)
    else:
        devices = np.asarray(devices, dtype=np.int64)
        devices = devices[ho[devices] < 0]
    n_part = int(part.sum())
    if devices.size == 0 or (n_part >= need and not extra):
        return ho
    pos_in = data.device_links(devices)
    cand = data.by_cost[pos_in]
    keep = open_mask[data.host[cand]] & data.usable[cand]
    cand = cand[keep]
    if cand.size == 0:
        return ho
    cdev = data.dev[cand].astype(np.int64)
    kk = data.a if key is None else key
    if key is not None:  # re-sort each device's candidates by the key
        order = np.lexsort((kk[cand], cdev))
        cand, cdev = cand[order], cdev[order]
    n_part = _proposal_rounds(data, ho, resid, cand, cdev, kk, need, n_part)
    if extra:
        ho = _assign_free(data, ho, open_mask, devices)
    return ho


def _proposal_rounds(data: LinkData, ho: np.ndarray, resid: np.ndarray, cand: np.ndarray, cdev: np.ndarray,
                     kk: np.ndarray, need: int, n_part: int) -> int:
    """The rounds of :func:`assign_greedy` over candidate links ``cand`` (grouped by device
    ``cdev``, in preference order); fills ``ho`` and ``resid`` in place, returns the count."""
    # CSR over devices that have candidates
    starts_mask = first_per_group(cdev)
    starts = np.flatnonzero(starts_mask)
    ends = np.append(starts[1:], cand.size)
    wdev = cdev[starts]  # waiting devices
    pos = starts.copy()
    alive = np.ones(wdev.size, dtype=bool)
    big = data.big
    while True:
        act = np.flatnonzero(alive)
        room = need - n_part
        if act.size == 0 or room <= 0:
            break
        p = pos[act]
        k = cand[p]
        cost = kk[k]
        nxt_exists = p + 1 < ends[act]
        nxt = np.where(nxt_exists, kk[cand[np.minimum(p + 1, cand.size - 1)]], cost + big)
        regret = nxt - cost
        d = wdev[act]
        w = data.D[d]
        # eligibility: the best proposals, at least `room` of them and a sizeable chunk so
        # that rejections advance in bulk; only the `room` best accepted ones are assigned
        n_elig = min(act.size, max(room, 1024, act.size // 8))
        g_order = np.lexsort((w, -regret, cost))
        rank = np.empty(act.size, dtype=np.int64)
        rank[g_order] = np.arange(act.size)
        e = g_order[:n_elig]
        h = data.host[k[e]].astype(np.int64)
        order = np.lexsort((w[e], -regret[e], cost[e], h))
        eo = e[order]
        ho_sorted = h[order]
        cw = grouped_cumsum(ho_sorted, w[eo])
        ok = cw <= resid[ho_sorted] + _EPS * np.maximum(1.0, data.R[ho_sorted])
        acc = eo[ok]
        rej = eo[~ok]
        if acc.size > room:  # keep the `room` globally best of the accepted
            acc = acc[np.argsort(rank[acc], kind="stable")[:room]]
        if acc.size:
            ho[d[acc]] = data.host[k[acc]]
            resid -= np.bincount(data.host[k[acc]], weights=w[acc], minlength=data.m)
            n_part += acc.size
            alive[act[acc]] = False
        if rej.size:
            pos[act[rej]] += 1
            done = pos[act[rej]] >= ends[act[rej]]
            alive[act[rej][done]] = False
    return n_part


def repair_assignment(
    data: LinkData,
    host_of: np.ndarray,
    open_mask: np.ndarray,
    need: int,
    *,
    deadline: Deadline | None = None,
    max_fails: int = 20,
) -> np.ndarray:
    """Bring a partial assignment up to ``need`` participants by ejection chains.

    For tight capacities and few links per device, a greedy assignment can
    leave devices whose every linked host is full although a feasible
    assignment exists (measured: the greedy fell short of T = N on every
    geometric instance with 3-8 links per device and capacity 1.1-1.2x the
    workload that was tried). Each waiting device (cheapest link first) is
    placed by a breadth-first search over open hosts: it enters a full host
    j if a device on j that frees enough room moves on to another host,
    which may in turn push one device further, until a host with room is
    reached (each host at most once per search). Among the moves that end a
    chain, the cheapest is taken. The search stops as soon as ``need`` is
    reached, when the remaining waiting devices cannot reach it, or after
    ``max_fails`` devices in a row found no chain.

    Feasibility first: the result is meant to be polished by the local
    search. Returns a new ``host_of`` that may still be short of ``need``
    (then no chain was found); loads never exceed capacities.
    """
    ej = _Ejection(data, host_of, open_mask)
    if ej.n_part >= need:
        return ej.ho
    wait = ej.waiting()
    if wait.size + ej.n_part < need:
        return ej.ho
    fails = 0
    for pos, i in enumerate(wait.tolist()):
        # stop when done, out of time, when even placing every device left cannot reach
        # need, or after many failures in a row (the open hosts are saturated)
        if ej.n_part >= need or ej.n_part + wait.size - pos < need or fails >= max_fails:
            break
        if deadline is not None and deadline.expired():
            break
        chain = ej.search(i)
        if chain is None:
            fails += 1
            continue
        fails = 0
        ej.apply(*chain)
    return ej.ho


#: a search node: (host entered, room it must free, device entering, its link, parent node)
_Node = tuple[int, float, int, int, int]


class _Ejection:
    """A partial assignment with what ejection-chain searches need: residual capacities,
    each device's current link cost, and the members of every host."""

    def __init__(self, data: LinkData, host_of: np.ndarray, open_mask: np.ndarray) -> None:
        d = self.d = data
        self.ho = ho = np.array(host_of, dtype=np.int64)
        part = ho >= 0
        self.n_part = int(part.sum())
        self.resid = d.R - np.bincount(ho[part], weights=d.D[part], minlength=d.m)
        self.tol = _EPS * np.maximum(1.0, d.R)
        self.ok_link = d.usable & np.asarray(open_mask, dtype=bool)[d.host]
        # members of each host: a snapshot in CSR form plus the devices moved in since
        host_key = np.where(part, ho, d.m)
        self.by_host = np.argsort(host_key, kind="stable")
        self.hptr = np.searchsorted(host_key[self.by_host], np.arange(d.m + 1))
        self.moved_in: dict[int, list[int]] = {}
        self.cur = np.zeros(d.n)
        if self.n_part:
            pi = np.flatnonzero(part)
            self.cur[pi] = d.a[d.instance.link_index(pi, ho[pi])]

    def waiting(self) -> np.ndarray:
        """Unassigned devices with an open usable link, cheapest link first, heavier first."""
        d = self.d
        wait = np.flatnonzero(self.ho < 0)
        lk = gather_ranges(d.ptr[wait], d.ptr[wait + 1])
        lk = lk[self.ok_link[lk]]
        cheapest = np.full(d.n, np.inf)
        np.minimum.at(cheapest, d.dev[lk], d.a[lk])
        wait = wait[np.isfinite(cheapest[wait])]
        return wait[np.lexsort((-d.D[wait], cheapest[wait]))]

    def members(self, j: int) -> np.ndarray:
        arr = self.by_host[self.hptr[j]:self.hptr[j + 1]]
        if j in self.moved_in:
            arr = np.concatenate((arr, np.asarray(self.moved_in[j], dtype=np.int64)))
        return arr[self.ho[arr] == j]

    def search(self, i: int) -> tuple[tuple[int, int, int, int], list[_Node]] | None:
        """Breadth-first search for a chain that places device ``i``: ``(end, nodes)`` or None.

        ``end`` is (host, device, link, parent node) of the last move."""
        d = self.d
        visited = np.zeros(d.m, dtype=bool)
        li = np.arange(d.ptr[i], d.ptr[i + 1])
        li = li[self.ok_link[li]]
        fits = d.D[i] <= self.resid[d.host[li]] + self.tol[d.host[li]]
        if fits.any():
            k = int(li[fits][np.argmin(d.a[li[fits]])])
            return (int(d.host[k]), i, k, -1), []
        nodes: list[_Node] = []
        for k in li[np.argsort(d.a[li], kind="stable")].tolist():
            j = int(d.host[k])
            if not visited[j]:
                visited[j] = True
                nodes.append((j, float(d.D[i] - self.resid[j]), i, k, -1))
        q = 0
        while q < len(nodes):
            end = self._expand(q, nodes, visited)
            if end is not None:
                return end, nodes
            q += 1
        return None

    def _expand(self, q: int, nodes: list[_Node], visited: np.ndarray) -> tuple[int, int, int, int] | None:
        """Node ``q``: a member of its host that frees enough room moves on, to a host with
        room (an end) or to a full one (new nodes, one per newly reached host)."""
        d = self.d
        j, room = nodes[q][0], nodes[q][1]
        mem = self.members(j)
        mem = mem[d.D[mem] >= room - self.tol[j]]
        if not mem.size:
            return None
        lk = gather_ranges(d.ptr[mem], d.ptr[mem + 1])
        lk = lk[self.ok_link[lk]]
        lk = lk[~visited[d.host[lk]]]
        if not lk.size:
            return None
        dv, h = d.dev[lk], d.host[lk]
        fit = d.D[dv] <= self.resid[h] + self.tol[h]
        if fit.any():
            f = lk[fit]
            k = int(f[np.argmin(d.a[f] - self.cur[d.dev[f]])])
            return int(d.host[k]), int(d.dev[k]), k, q
        o = np.lexsort((d.D[dv], h))  # one node per newly reached host: its lightest mover
        for k in lk[o[first_per_group(h[o])]].tolist():
            jj, dd = int(d.host[k]), int(d.dev[k])
            visited[jj] = True
            nodes.append((jj, float(d.D[dd] - self.resid[jj]), dd, k, q))
        return None

    def apply(self, end: tuple[int, int, int, int], nodes: list[_Node]) -> None:
        """Move every device of the chain, from its end: each to the host of its node."""
        d = self.d
        j_to, dv, k, parent = end
        while True:
            j_from = int(self.ho[dv])
            if j_from >= 0:
                self.resid[j_from] += d.D[dv]
            self.ho[dv] = j_to
            self.resid[j_to] -= d.D[dv]
            self.cur[dv] = d.a[k]
            self.moved_in.setdefault(j_to, []).append(dv)
            if parent < 0:
                break
            j_to, _, dv, k, parent = nodes[parent]
        self.n_part += 1


def assign_complete(
    data: LinkData,
    open_mask: np.ndarray,
    need: int,
    *,
    host_of: np.ndarray | None = None,
    key: np.ndarray | None = None,
    deadline: Deadline | None = None,
) -> np.ndarray:
    """:func:`assign_greedy`, completed by :func:`repair_assignment` when it falls short of ``need``."""
    ho = assign_greedy(data, open_mask, need, host_of=host_of, key=key)
    if int((ho >= 0).sum()) < need:
        ho = repair_assignment(data, ho, open_mask, need, deadline=deadline)
    return ho


def _assign_free(data: LinkData, ho: np.ndarray, open_mask: np.ndarray,
                 devices: np.ndarray) -> np.ndarray:
    """Assign waiting devices along zero-cost links to open hosts while room lasts."""
    wait = devices[ho[devices] < 0]
    if wait.size == 0:
        return ho
    pos = data.device_links(wait)
    cand = data.by_cost[pos]
    cand = cand[(data.a[cand] <= 0) & open_mask[data.host[cand]] & data.usable[cand]]
    if cand.size == 0:
        return ho
    part = ho >= 0
    resid = data.R - np.bincount(ho[part], weights=data.D[part], minlength=data.m)
    first = first_per_group(data.dev[cand])
    cand = cand[first]
    h = data.host[cand].astype(np.int64)
    w = data.D[data.dev[cand]]
    order = np.lexsort((w, h))
    cw = grouped_cumsum(h[order], w[order])
    ok = cw <= resid[h[order]] + _EPS
    sel = cand[order][ok]
    ho[data.dev[sel]] = data.host[sel]
    return ho


def prune_to(data: LinkData, host_of: np.ndarray, target: int) -> np.ndarray:
    """Drop the most expensive participants until ``target`` remain.

    Devices are dropped in decreasing order of their link cost plus, for
    the last device on a host, the host's fixed cost (ties: larger workload).
    """
    ho = np.array(host_of, dtype=np.int64)
    part = np.flatnonzero(ho >= 0)
    extra = part.size - target
    if extra <= 0:
        return ho
    cur = device_cost(data, ho)[part]
    order = np.lexsort((-data.D[part], -cur))
    drop = part[order[:extra]]
    ho[drop] = -1
    return ho


def device_cost(data: LinkData, host_of: np.ndarray) -> np.ndarray:
    """Scaled cost of each device's current link (0 for non-participants)."""
    out = np.zeros(data.n)
    part = np.flatnonzero(host_of >= 0)
    if part.size:
        idx = data.instance.link_index(part, host_of[part])
        out[part] = data.a[idx]
    return out


def objective(data: LinkData, host_of: np.ndarray) -> float:
    """Objective value of ``host_of`` (no feasibility check)."""
    part = host_of >= 0
    used = np.zeros(data.m, dtype=bool)
    used[host_of[part]] = True
    return float(data.f[used].sum() + device_cost(data, host_of)[part].sum())


# ---------------------------------------------------------------- ADD selection
def add_hosts(data: LinkData, *, start: np.ndarray | None = None,
              deadline: Deadline | None = None) -> np.ndarray:
    """Choose hosts to open by a capacity-aware ADD rule.

    Keeps for each device its best cost ``m_i`` among the open hosts (only
    counting devices the host could hold, via an LP knapsack) and the price
    of participation ``theta`` = the T-th smallest ``m_i``. A closed host's gain
    is the LP-knapsack value of the savings ``min(m_i, theta) - a_ij`` it
    offers within its capacity; the host with the largest ``gain - C_e`` is
    opened while that is positive or, while fewer than T devices are
    covered, the one with the largest ``gain / C_e``.

    Lazy evaluation: ``m_i`` and ``theta`` only decrease as hosts open, so a
    host's gain never grows and an old value is an upper bound. Each round
    recomputes the gain of the host on top of a heap of old values until one
    stays on top -- the same choice as recomputing every host (ties aside),
    at the cost of a few hosts' links per round instead of all links
    (measured: 54 s -> a few seconds for 500 hosts x 10^6 links).
    """
    adder = _Adder(data, start)
    heap: list[tuple[float, int]] = []
    phase: bool | None = None
    for _ in range(data.m):
        if deadline is not None and deadline.expired():
            break
        coverage, ref = adder.reference()
        if phase is None or phase != coverage:  # keys of every closed host
            phase = coverage
            g = adder.gains_all(ref)
            closed = np.flatnonzero(~adder.is_open)
            heap = [(-adder.key(float(g[j]), int(j), coverage), int(j)) for j in closed.tolist()]
            heapq.heapify(heap)
        chosen = adder.pop_best(heap, ref, coverage, deadline)
        if chosen is None:
            break
        j, g_j, take = chosen
        if (g_j <= 0) if coverage else (g_j - data.f[j] <= _EPS):
            break
        adder.open(j, take)
    return adder.is_open


class _Adder:
    """The state of the ADD rule: open hosts, each device's best open cost ``m_i``."""

    def __init__(self, data: LinkData, start: np.ndarray | None) -> None:
        self.data = data
        m = data.m
        self.is_open = np.zeros(m, dtype=bool) if start is None else start.copy()
        self.best = np.full(data.n, np.inf)
        if self.is_open.any():
            ok = self.is_open[data.host] & data.usable
            np.minimum.at(self.best, data.dev[ok], data.a[ok])
        self.miss_price = data.big * 2.0
        self.usable_links = np.flatnonzero(data.usable)
        self.by_host = self.usable_links[np.argsort(data.host[self.usable_links], kind="stable")]
        self.hptr = np.searchsorted(data.host[self.by_host], np.arange(m + 1))
        self.cap = data.R.astype(np.float64)
        self.scale = data.f + 1e-9 * data.big + 1e-12

    def reference(self) -> tuple[bool, np.ndarray]:
        """(fewer than T devices covered, ``min(m_i, theta)`` with ``theta`` the T-th smallest)."""
        t = self.data.T
        n_cov = int(np.isfinite(self.best).sum())
        coverage = t > 0 and n_cov < t
        if t == 0:
            theta = 0.0
        elif not coverage:
            theta = float(np.partition(self.best, t - 1)[t - 1])
        else:
            theta = self.miss_price
        return coverage, np.minimum(self.best, theta)

    def gains_all(self, ref: np.ndarray) -> np.ndarray:
        """Every closed host's LP-knapsack value of the savings it offers."""
        d = self.data
        lk = self.usable_links[~self.is_open[d.host[self.usable_links]]]
        dv = d.dev[lk]
        sav = ref[dv] - d.a[lk]
        pos = sav > _EPS
        lk, dv, sav = lk[pos], dv[pos], sav[pos]
        if lk.size == 0:
            return np.zeros(d.m)
        return lp_knapsack(d.host[lk].astype(np.int64), sav, d.D[dv], self.cap)[1]

    def gain_one(self, j: int, ref: np.ndarray) -> tuple[float, np.ndarray]:
        """Host ``j``'s gain and the links its knapsack takes."""
        d = self.data
        lk = self.by_host[self.hptr[j]:self.hptr[j + 1]]
        sav = ref[d.dev[lk]] - d.a[lk]
        pos = sav > _EPS
        if not pos.any():
            return 0.0, lk[:0]
        lk, sav = lk[pos], sav[pos]
        x, val = lp_knapsack(np.zeros(lk.size, dtype=np.int64), sav, d.D[d.dev[lk]], self.cap[j:j + 1])
        return float(val[0]), lk[x > 0.5]

    def key(self, gain: float, j: int, coverage: bool) -> float:
        # not enough coverage yet: best gain per unit of fixed cost
        return gain / self.scale[j] if coverage else gain - self.data.f[j]

    def pop_best(self, heap: list[tuple[float, int]], ref: np.ndarray, coverage: bool,
                 deadline: Deadline | None) -> tuple[int, float, np.ndarray] | None:
        """The closed host whose recomputed key stays on top of the heap of old keys."""
        while heap and not (deadline is not None and deadline.expired()):
            _, j = heapq.heappop(heap)
            g_j, take = self.gain_one(j, ref)
            k = self.key(g_j, j, coverage)
            if not heap or k >= -heap[0][0]:
                return j, g_j, take
            heapq.heappush(heap, (-k, j))
        return None

    def open(self, j: int, take: np.ndarray) -> None:
        self.is_open[j] = True
        np.minimum.at(self.best, self.data.dev[take], self.data.a[take])


def drop_hosts(data: LinkData, host_of: np.ndarray, *, deadline: Deadline | None = None,
               max_trials: int | None = None) -> np.ndarray:
    """DROP: close hosts one at a time while reassigning their devices pays off."""
    ho = np.array(host_of, dtype=np.int64)
    best_val = objective(data, ho)
    tried: set[int] = set()
    trials = 0
    while True:
        part = ho >= 0
        count = np.bincount(ho[part], minlength=data.m)
        open_hosts = np.flatnonzero(count > 0)
        cands = [j for j in open_hosts[np.argsort(-data.f[open_hosts], kind="stable")].tolist()
                 if j not in tried]
        if not cands:
            break
        improved = False
        for j in cands:
            if deadline is not None and deadline.expired():
                return ho
            if max_trials is not None and trials >= max_trials:
                return ho
            trials += 1
            tried.add(j)
            trial = ho.copy()
            moved = np.flatnonzero(trial == j)
            trial[moved] = -1
            mask = count > 0
            mask[j] = False
            trial = assign_greedy(data, mask, data.T, host_of=trial)
            if int((trial >= 0).sum()) < data.T:
                continue
            val = objective(data, trial)
            if val < best_val - _EPS:
                ho, best_val, improved = trial, val, True
                break
        if not improved:
            break
    return ho


# ---------------------------------------------------------------------- methods
def _done(instance: Instance, ho: np.ndarray | None, method: str, deadline: Deadline,
          stats: dict[str, Any] | None = None, bound: float | None = None,
          timed_out: bool = False) -> Result:
    if ho is not None and int((ho >= 0).sum()) < instance.min_participants:
        return finish(instance, host_of=None, bound=bound, method=method, solver="hflopt",
                      timed_out=timed_out, message=f"{method} found no assignment with T = "
                      f"{instance.min_participants} participants (a heuristic: the instance may "
                      "still be feasible)", solve_seconds=deadline.elapsed(), stats=stats)
    return finish(instance, host_of=ho, bound=bound, method=method, solver="hflopt",
                  solve_seconds=deadline.elapsed(), stats=stats, timed_out=timed_out,
                  message="" if bound is not None else "heuristic solution; no lower bound computed")


def greedy_pack(instance: Instance, options: SolveOptions | None = None,
                params: PackParams | None = None) -> Result:
    """Authors' greedy "pack": hosts by decreasing capacity, fill each with devices that fit.

    Devices are packed into each host in increasing order of
    ``workload * link cost`` (ties: device index) until it is full; every
    device that fits somewhere is assigned. ``params.prune`` then drops the
    most expensive associations down to T. Honours ``time_limit``.
    """
    prune = (params or PackParams()).prune
    method = "greedy-pack"
    deadline, early = begin(instance, method, (options or SolveOptions()).time_limit)
    if early is not None:
        return early
    data = link_data(instance)
    ho = np.full(data.n, -1, dtype=np.int64)
    order = np.argsort(-data.R, kind="stable")
    # links grouped by host
    by_host = np.argsort(data.host, kind="stable")
    hptr = np.zeros(data.m + 1, dtype=np.int64)
    np.cumsum(np.bincount(data.host, minlength=data.m), out=hptr[1:])
    for j in order.tolist():
        if deadline.expired():
            return _done(instance, ho, method, deadline, timed_out=True)
        lk = by_host[hptr[j]:hptr[j + 1]]
        lk = lk[ho[data.dev[lk]] < 0]
        if lk.size == 0:
            continue
        dv = data.dev[lk]
        w = data.D[dv]
        o = np.lexsort((dv, w * data.a[lk]))
        lk, dv, w = lk[o], dv[o], w[o]
        # first-fit in this order: a device is taken when it fits the remaining capacity
        cw = np.cumsum(w)
        if cw.size == 0 or cw[-1] <= data.R[j] + _EPS:
            ho[dv] = j
            continue
        resid = float(data.R[j])
        take = _first_fit(w, resid)
        ho[dv[take]] = j
    if prune:
        ho = prune_to(data, ho, data.T)
    return _done(instance, ho, method, deadline)


def _first_fit(w: np.ndarray, resid: float) -> np.ndarray:
    """Indices of items taken by first-fit into one bin (vectorised in blocks)."""
    taken: list[np.ndarray] = []
    start = 0
    n = w.size
    while start < n and resid >= 0:
        cw = np.cumsum(w[start:])
        fit = np.searchsorted(cw, resid + _EPS, side="right")  # prefix that fits
        if fit > 0:
            taken.append(np.arange(start, start + fit))
            resid -= float(cw[fit - 1])
            start += fit
        if start >= n:
            break
        # item `start` does not fit: skip every following item too big for the rest
        rest = np.flatnonzero(w[start:] <= resid + _EPS)
        if rest.size == 0:
            break
        start += int(rest[0])
    return np.concatenate(taken) if taken else np.zeros(0, dtype=np.int64)


def greedy_cheapest(instance: Instance, options: SolveOptions | None = None,
                    params: CheapestParams | None = None) -> Result:
    """Authors' greedy "cheapest first": each device to its cheapest host with room left.

    Devices are taken in index order (the authors' loop); each goes to its
    cheapest linked host whose remaining capacity holds it. With
    ``params.prune`` (default) the most expensive associations are then
    dropped down to T devices. Honours ``time_limit``.
    """
    prune = (params or CheapestParams()).prune
    method = "greedy-cheapest"
    deadline, early = begin(instance, method, (options or SolveOptions()).time_limit)
    if early is not None:
        return early
    data = link_data(instance)
    ho = np.full(data.n, -1, dtype=np.int64)
    resid = data.R.astype(np.float64).copy()
    # Sequential in device order, vectorised in blocks: devices whose cheapest host has
    # room for the whole block prefix are accepted together.
    waiting = np.flatnonzero(np.diff(data.ptr) > 0)
    block = 4096
    while waiting.size:
        if deadline.expired():
            return _done(instance, prune_to(data, ho, data.T) if prune else ho, method, deadline,
                         timed_out=True)
        blk = waiting[:block]
        # each device's cheapest fitting link given the residuals at the start of the block;
        # per host, accept in device order while capacity lasts. Every device before the
        # first one that fails (in device order) gets exactly its sequential choice.
        lk = data.by_cost[data.device_links(blk)]
        dv = data.dev[lk].astype(np.int64)
        fit = data.D[dv] <= resid[data.host[lk]] + _EPS
        lk, dv = lk[fit], dv[fit]
        first = first_per_group(dv)
        lk, dv = lk[first], dv[first]
        h = data.host[lk].astype(np.int64)
        o = np.lexsort((dv, h))
        h, dv = h[o], dv[o]
        ok = grouped_cumsum(h, data.D[dv]) <= resid[h] + _EPS
        min_fail = int(dv[~ok].min()) if (~ok).any() else np.iinfo(np.int64).max
        acc = ok & (dv < min_fail)
        ho[dv[acc]] = h[acc]
        resid -= np.bincount(h[acc], weights=data.D[dv[acc]], minlength=data.m)
        if min_fail == np.iinfo(np.int64).max:
            waiting = waiting[blk.size:]
            block = min(block * 2, 65536)
            continue
        # the first failing device is handled on its own (guarantees progress)
        ho[min_fail] = _cheapest_one(data, min_fail, resid)
        waiting = waiting[np.searchsorted(waiting, min_fail, side="right"):]
        block = max(64, block // 2)
    if prune:
        ho = prune_to(data, ho, data.T)
    return _done(instance, ho, method, deadline)


def _cheapest_one(data: LinkData, i: int, resid: np.ndarray) -> int:
    lk = data.by_cost[data.ptr[i]:data.ptr[i + 1]]
    fit = np.flatnonzero(data.D[i] <= resid[data.host[lk]] + _EPS)
    if fit.size == 0:
        return -1
    j = int(data.host[lk[fit[0]]])
    resid[j] -= data.D[i]
    return j


def construct(data: LinkData, deadline: Deadline | None = None) -> np.ndarray:
    """ADD host selection, regret assignment of the T cheapest devices, then DROP."""
    is_open = add_hosts(data, deadline=deadline)
    ho = assign_greedy(data, is_open, data.T)
    if int((ho >= 0).sum()) < data.T:
        # not enough room among the chosen hosts: allow every host, then DROP
        ho = assign_complete(data, np.ones(data.m, dtype=bool), data.T, host_of=ho,
                             deadline=deadline)
    if int((ho >= 0).sum()) >= data.T:
        ho = drop_hosts(data, ho, deadline=deadline)
    return ho


def greedy_add_drop(instance: Instance, options: SolveOptions | None = None,
                    params: Any = None) -> Result:  # noqa: ARG001 - every method takes (instance, options, params)
    """Capacity- and participation-aware constructive heuristic (ADD, regret assignment, DROP).

    Honours ``time_limit`` and ``progress``.
    """
    options = options or SolveOptions()
    progress = options.progress
    method = "greedy"
    deadline, early = begin(instance, method, options.time_limit)
    if early is not None:
        return early
    data = link_data(instance)
    ho = construct(data, deadline)
    if progress is not None and int((ho >= 0).sum()) >= data.T:
        progress(Progress(deadline.elapsed(), objective(data, ho), None, "greedy"))
    return _done(instance, ho, method, deadline, timed_out=deadline.expired())

