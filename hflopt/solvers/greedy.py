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
import math
from typing import Any

import numpy as np

from hflopt.instance import Instance
from hflopt.solution import Result
from hflopt.solvers._common import (
    Deadline,
    Progress,
    ProgressCallback,
    begin,
    finish,
)

__all__ = [
    "LinkData",
    "assign_complete",
    "assign_greedy",
    "greedy_add_drop",
    "greedy_cheapest",
    "greedy_pack",
    "link_data",
    "lp_knapsack",
    "repair_assignment",
]

_EPS = 1e-9
#: repair_assignment gives up after this many devices in a row found no chain
_REPAIR_MAX_FAILS = 20


# --------------------------------------------------------------------------- data
class LinkData:
    """Arrays every heuristic needs, derived once per instance.

    Attributes
    ----------
    a:
        Scaled link costs ``l * C_d`` (what a link adds to the objective).
    dev, host:
        Device and host of each link (int64).
    by_cost:
        Link indices grouped by device (CSR order of the instance) and sorted
        by cost within each device; device i's links are
        ``by_cost[ptr[i]:ptr[i+1]]``.
    usable:
        Links whose device workload fits the host capacity.
    """

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.n = instance.n_devices
        self.m = instance.n_hosts
        self.k = instance.n_links
        self.T = instance.min_participants
        self.a = instance.rounds_ratio * instance.link_cost
        self.dev = instance.link_device
        self.host = instance.link_host
        self.D = instance.workload
        self.R = instance.capacity
        self.f = instance.edge_cost
        self.ptr = instance.link_ptr
        self.usable = instance.fits
        self.by_cost = sort_within_groups(self.ptr, self.a)
        self.big = float(self.a.max() + self.f.max() + 1.0) if self.k else 1.0

    def device_links(self, devices: np.ndarray) -> np.ndarray:
        """Positions in ``by_cost`` of the links of ``devices`` (cost order per device)."""
        return gather_ranges(self.ptr[devices], self.ptr[devices + 1])


def link_data(instance: Instance) -> LinkData:
    """:class:`LinkData` of ``instance``, computed once and kept with the instance.

    Stored in the instance's ``__dict__`` next to its own cached properties,
    so it lives exactly as long as the (immutable) instance.
    """
    cache = instance.__dict__
    data = cache.get("_hflopt_link_data")
    if data is None:
        data = LinkData(instance)
        cache["_hflopt_link_data"] = data
    return data


def gather_ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenate ``arange(s, e)`` for all pairs, vectorised."""
    starts = np.asarray(starts, dtype=np.int64)
    lens = np.maximum(np.asarray(ends, dtype=np.int64) - starts, 0)
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offs = np.repeat(starts - np.concatenate(([0], np.cumsum(lens)[:-1])), lens)
    return np.arange(total, dtype=np.int64) + offs


def sort_within_groups(ptr: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Indices ``0..K-1`` with each CSR group ``ptr[g]:ptr[g+1]`` sorted by ``key``."""
    k = key.size
    ng = ptr.size - 1
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    deg = np.diff(ptr)
    d0 = int(deg[0]) if ng else 0
    if d0 > 0 and np.all(deg == d0):  # regular degree: one row-wise argsort
        order = np.argsort(key.reshape(ng, d0), axis=1, kind="stable").astype(np.int64)
        order += (np.arange(ng, dtype=np.int64) * d0)[:, None]
        return order.reshape(-1)
    group = np.repeat(np.arange(ng, dtype=np.float64), deg)
    finite = np.isfinite(key)
    if not finite.all():  # +inf (excluded links) sorts last
        top = float(key[finite].max()) + 1.0 if finite.any() else 0.0
        key = np.where(finite, key, top)
    lo, hi = float(key.min()), float(key.max())
    span = (hi - lo) * (1 + 1e-9) + 1e-300
    combined = group + (key - lo) / span * 0.999
    return np.argsort(combined, kind="stable").astype(np.int64)


def group_start_offsets(sorted_groups: np.ndarray) -> np.ndarray:
    """For a sorted group array, the index of the first element of each element's run."""
    n = sorted_groups.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(sorted_groups[1:], sorted_groups[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    return np.repeat(starts, np.diff(np.append(starts, n)))


def grouped_cumsum(sorted_groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Inclusive cumulative sum of ``values`` restarting at each new group."""
    if values.size == 0:
        return np.zeros(0, dtype=np.float64)
    cs = np.cumsum(values, dtype=np.float64)
    first = group_start_offsets(sorted_groups)
    base = cs[first] - values[first]
    return cs - base


def first_per_group(sorted_groups: np.ndarray) -> np.ndarray:
    """Mask of the first element of each run of a sorted group array."""
    n = sorted_groups.size
    out = np.zeros(n, dtype=bool)
    if n:
        out[0] = True
        np.not_equal(sorted_groups[1:], sorted_groups[:-1], out=out[1:])
    return out


# --------------------------------------------------------------------- knapsack
def lp_knapsack(
    group: np.ndarray,
    profit: np.ndarray,
    weight: np.ndarray,
    capacity: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """LP relaxation of one 0-1 knapsack per group, all groups at once.

    Maximises ``sum profit * x`` subject to ``sum weight * x <= capacity[g]``
    and ``0 <= x <= 1`` for the items of each group g (Dantzig's greedy by
    ratio with a fractional last item, which is optimal for the LP).

    Parameters
    ----------
    group:
        Group (host) of each item, values in ``0..len(capacity)-1``.
    profit, weight:
        Item profits (> 0) and weights (>= 0).
    capacity:
        Capacity of each group.

    Returns
    -------
    x, value:
        The fractional solution per item and the optimal value per group.
    """
    ng = capacity.size
    x = np.zeros(profit.size, dtype=np.float64)
    if profit.size == 0:
        return x, np.zeros(ng)
    zero_w = weight <= 0
    x[zero_w] = 1.0
    pos = ~zero_w
    tot = np.bincount(group[pos], weights=weight[pos], minlength=ng)
    binding = tot > capacity * (1 + 1e-12)
    easy = pos & ~binding[group]
    x[easy] = 1.0
    hard = np.flatnonzero(pos & binding[group])
    if hard.size:
        g = group[hard]
        ratio = profit[hard] / weight[hard]
        rmax = float(ratio.max())
        norm = ratio / (rmax * (1 + 1e-9) + 1e-300)
        order = np.argsort(g.astype(np.float64) + (1.0 - norm) * 0.999, kind="stable")
        items = hard[order]
        gs = group[items]
        w = weight[items]
        cw = grouped_cumsum(gs, w)
        before = cw - w
        frac = np.clip((capacity[gs] - before) / w, 0.0, 1.0)
        x[items] = frac
    value = np.bincount(group, weights=profit * x, minlength=ng)
    return x, value


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
    if extra:
        ho = _assign_free(data, ho, open_mask, devices)
    return ho


def repair_assignment(
    data: LinkData,
    host_of: np.ndarray,
    open_mask: np.ndarray,
    need: int,
    *,
    deadline: Deadline | None = None,
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
    :data:`_REPAIR_MAX_FAILS` devices in a row found no chain.

    Feasibility first: the result is meant to be polished by the local
    search. Returns a new ``host_of`` that may still be short of ``need``
    (then no chain was found); loads never exceed capacities.
    """
    d = data
    ho = np.array(host_of, dtype=np.int64)
    part = ho >= 0
    n_part = int(part.sum())
    if n_part >= need:
        return ho
    resid = d.R - np.bincount(ho[part], weights=d.D[part], minlength=d.m)
    tol = _EPS * np.maximum(1.0, d.R)
    ok_link = d.usable & np.asarray(open_mask, dtype=bool)[d.host]
    wait = np.flatnonzero(~part)
    lk = gather_ranges(d.ptr[wait], d.ptr[wait + 1])
    lk = lk[ok_link[lk]]
    cheapest = np.full(d.n, np.inf)
    np.minimum.at(cheapest, d.dev[lk], d.a[lk])
    wait = wait[np.isfinite(cheapest[wait])]
    if wait.size + n_part < need:
        return ho
    wait = wait[np.lexsort((-d.D[wait], cheapest[wait]))]
    # members of each host: a snapshot in CSR form plus the devices moved in since
    host_key = np.where(part, ho, d.m)
    by_host = np.argsort(host_key, kind="stable")
    hptr = np.searchsorted(host_key[by_host], np.arange(d.m + 1))
    moved_in: dict[int, list[int]] = {}
    cur = np.zeros(d.n)
    if n_part:
        pi = np.flatnonzero(part)
        cur[pi] = d.a[d.instance.link_index(pi, ho[pi])]

    def members(j: int) -> np.ndarray:
        arr = by_host[hptr[j]:hptr[j + 1]]
        if j in moved_in:
            arr = np.concatenate((arr, np.asarray(moved_in[j], dtype=np.int64)))
        return arr[ho[arr] == j]

    fails = 0
    for pos, i in enumerate(wait.tolist()):
        # stop when done, out of time, when even placing every device left cannot reach
        # need, or after many failures in a row (the open hosts are saturated)
        if n_part >= need or n_part + wait.size - pos < need or fails >= _REPAIR_MAX_FAILS:
            break
        if deadline is not None and deadline.expired():
            break
        # search nodes: (host entered, room it must free, device entering, its link, parent)
        nodes: list[tuple[int, float, int, int, int]] = []
        visited = np.zeros(d.m, dtype=bool)
        li = np.arange(d.ptr[i], d.ptr[i + 1])
        li = li[ok_link[li]]
        fits = d.D[i] <= resid[d.host[li]] + tol[d.host[li]]
        end: tuple[int, int, int, int] | None = None  # (host, device, link, parent node)
        if fits.any():
            k = int(li[fits][np.argmin(d.a[li[fits]])])
            end = (int(d.host[k]), i, k, -1)
        else:
            for k in li[np.argsort(d.a[li], kind="stable")].tolist():
                j = int(d.host[k])
                if not visited[j]:
                    visited[j] = True
                    nodes.append((j, float(d.D[i] - resid[j]), i, k, -1))
        q = 0
        while end is None and q < len(nodes):
            j, room = nodes[q][0], nodes[q][1]
            mem = members(j)
            mem = mem[d.D[mem] >= room - tol[j]]
            if mem.size:
                lk = gather_ranges(d.ptr[mem], d.ptr[mem + 1])
                lk = lk[ok_link[lk]]
                lk = lk[~visited[d.host[lk]]]
                if lk.size:
                    dv = d.dev[lk]
                    h = d.host[lk]
                    fit = d.D[dv] <= resid[h] + tol[h]
                    if fit.any():
                        f = lk[fit]
                        k = int(f[np.argmin(d.a[f] - cur[d.dev[f]])])
                        end = (int(d.host[k]), int(d.dev[k]), k, q)
                        break
                    # one node per newly reached host: its lightest mover
                    o = np.lexsort((d.D[dv], h))
                    first = first_per_group(h[o])
                    for k in lk[o[first]].tolist():
                        jj = int(d.host[k])
                        dd = int(d.dev[k])
                        visited[jj] = True
                        nodes.append((jj, float(d.D[dd] - resid[jj]), dd, k, q))
            q += 1
        if end is None:
            fails += 1
            continue
        fails = 0
        # apply the chain from its end: each device moves to the host of its node
        j_to, dv, k, parent = end
        while True:
            j_from = int(ho[dv])
            if j_from >= 0:
                resid[j_from] += d.D[dv]
            ho[dv] = j_to
            resid[j_to] -= d.D[dv]
            cur[dv] = d.a[k]
            moved_in.setdefault(j_to, []).append(dv)
            if parent < 0:
                break
            j_to, _, dv, k, parent = nodes[parent]
        n_part += 1
    return ho


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
    n, m, t = data.n, data.m, data.T
    is_open = np.zeros(m, dtype=bool) if start is None else start.copy()
    best = np.full(n, np.inf)
    if is_open.any():
        ok = is_open[data.host] & data.usable
        np.minimum.at(best, data.dev[ok], data.a[ok])
    miss_price = data.big * 2.0
    usable_links = np.flatnonzero(data.usable)
    by_host = usable_links[np.argsort(data.host[usable_links], kind="stable")]
    hptr = np.searchsorted(data.host[by_host], np.arange(m + 1))
    cap = data.R.astype(np.float64)
    scale = data.f + 1e-9 * data.big + 1e-12

    def gains_all(ref: np.ndarray) -> np.ndarray:
        lk = usable_links[~is_open[data.host[usable_links]]]
        dv = data.dev[lk]
        sav = ref[dv] - data.a[lk]
        pos = sav > _EPS
        lk, dv, sav = lk[pos], dv[pos], sav[pos]
        if lk.size == 0:
            return np.zeros(m)
        return lp_knapsack(data.host[lk].astype(np.int64), sav, data.D[dv], cap)[1]

    def gain_one(j: int, ref: np.ndarray) -> tuple[float, np.ndarray]:
        lk = by_host[hptr[j]:hptr[j + 1]]
        sav = ref[data.dev[lk]] - data.a[lk]
        pos = sav > _EPS
        if not pos.any():
            return 0.0, lk[:0]
        lk, sav = lk[pos], sav[pos]
        x, val = lp_knapsack(np.zeros(lk.size, dtype=np.int64), sav, data.D[data.dev[lk]],
                             cap[j:j + 1])
        return float(val[0]), lk[x > 0.5]

    def key(gain: float, j: int, coverage: bool) -> float:
        # not enough coverage yet: best gain per unit of fixed cost
        return gain / scale[j] if coverage else gain - data.f[j]

    heap: list[tuple[float, int]] = []
    phase: bool | None = None
    for _ in range(m):
        if deadline is not None and deadline.expired():
            break
        n_cov = int(np.isfinite(best).sum())
        coverage = t > 0 and n_cov < t
        if t == 0:
            theta = 0.0
        elif not coverage:
            theta = float(np.partition(best, t - 1)[t - 1])
        else:
            theta = miss_price
        ref = np.minimum(best, theta)
        if phase is None or phase != coverage:  # keys of every closed host
            phase = coverage
            g = gains_all(ref)
            closed = np.flatnonzero(~is_open)
            heap = [(-key(float(g[j]), int(j), coverage), int(j)) for j in closed.tolist()]
            heapq.heapify(heap)
        chosen: tuple[int, float, np.ndarray] | None = None
        while heap and not (deadline is not None and deadline.expired()):
            _, j = heapq.heappop(heap)
            g_j, take = gain_one(j, ref)
            k = key(g_j, j, coverage)
            if not heap or k >= -heap[0][0]:
                chosen = (j, g_j, take)
                break
            heapq.heappush(heap, (-k, j))
        if chosen is None:
            break
        j, g_j, take = chosen
        if (g_j <= 0) if coverage else (g_j - data.f[j] <= _EPS):
            break
        is_open[j] = True
        np.minimum.at(best, data.dev[take], data.a[take])
    return is_open


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


def greedy_pack(instance: Instance, *, time_limit: float | None = None, seed: int | None = None,
                verbose: bool = False, prune: bool = False) -> Result:
    """Authors' greedy "pack": hosts by decreasing capacity, fill each with devices that fit.

    Devices are packed into each host in increasing order of
    ``workload * link cost`` (ties: device index) until it is full; every
    device that fits somewhere is assigned. ``prune=True`` then drops the
    most expensive associations down to T.
    """
    method = "greedy-pack"
    deadline, early = begin(instance, method, time_limit)
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


def greedy_cheapest(instance: Instance, *, time_limit: float | None = None,
                    seed: int | None = None, verbose: bool = False, prune: bool = True) -> Result:
    """Authors' greedy "cheapest first": each device to its cheapest host with room left.

    Devices are taken in index order (the authors' loop); each goes to its
    cheapest linked host whose remaining capacity holds it. With ``prune``
    (default) the most expensive associations are then dropped down to T
    devices.
    """
    method = "greedy-cheapest"
    deadline, early = begin(instance, method, time_limit)
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


def greedy_add_drop(instance: Instance, *, time_limit: float | None = None,
                    seed: int | None = None, verbose: bool = False,
                    progress: ProgressCallback | None = None) -> Result:
    """Capacity- and participation-aware constructive heuristic (ADD, regret assignment, DROP)."""
    method = "greedy"
    deadline, early = begin(instance, method, time_limit)
    if early is not None:
        return early
    data = link_data(instance)
    ho = construct(data, deadline)
    if progress is not None and int((ho >= 0).sum()) >= data.T:
        progress(Progress(deadline.elapsed(), objective(data, ho), None, "greedy"))
    return _done(instance, ho, method, deadline, timed_out=deadline.expired())


def scaled_cost_range(data: LinkData) -> float:
    """A typical cost scale (used to scale multipliers and tolerances)."""
    if data.k == 0:
        return 1.0
    return max(float(np.median(data.a)), float(np.median(data.f)), 1.0) if math.isfinite(
        data.big) else 1.0
