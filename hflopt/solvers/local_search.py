"""Local search for HFLOP.

``merge-search`` (the authors' baseline)
    Start from greedy cheapest-first (every device that fits assigned);
    repeatedly take two open hosts and re-pack the union of their devices
    into one of them with a greedy (Dantzig) knapsack; keep the merge when
    it lowers the cost and at least T devices still participate; finally
    prune to T.
``local-search``
    Start from the :func:`~hflopt.solvers.greedy.construct` solution (or a
    warm start) and improve it with

    - *shift*: move devices to cheaper hosts with room (batched: every
      device's best improving move, accepted per host while capacity lasts);
    - *swap participation*: replace expensive participants by cheaper
      non-participants, and drop participants beyond T;
    - *exchange*: when a cheaper host is full, make room by moving one of
      its devices to the mover's host (swap) or to another open host with
      room (an ejection chain of length two);
    - *close host*: close an open host and re-assign its devices;
    - *open host*: open a closed host whose knapsack of cheaper devices pays
      its fixed cost, optionally followed by closing another host (host swap);
    - *perturbation*: when none of these improves, close random hosts and
      repair (iterated local search), keeping the best solution.

    Loads, counts and per-device costs are kept in numpy arrays and updated
    incrementally; moves are evaluated on whole arrays. The search is
    deterministic for a given ``seed``, stops at ``time_limit`` or after
    ``max_no_improve`` perturbations without improvement.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from hflopt.instance import Instance
from hflopt.solution import Result
from hflopt.solvers._common import Deadline, Progress, ProgressCallback, begin, finish
from hflopt.solvers.arrays import first_per_group, grouped_cumsum
from hflopt.solvers.core_lp import feasible_start
from hflopt.solvers.greedy import assign_greedy, prune_to
from hflopt.solvers.knapsack import lp_knapsack
from hflopt.solvers.links import LinkData, link_data
from hflopt.solvers.params import CheapestParams, LocalSearchParams, SolveOptions

__all__ = ["SearchState", "improve", "local_search", "merge_search"]

_EPS = 1e-9


class SearchState:
    """A solution with incremental bookkeeping (loads, counts, costs)."""

    def __init__(self, data: LinkData, host_of: np.ndarray) -> None:
        self.data = data
        self.ho = np.array(host_of, dtype=np.int64)
        part = np.flatnonzero(self.ho >= 0)
        self.link = np.full(data.n, -1, dtype=np.int64)
        if part.size:
            self.link[part] = data.instance.link_index(part, self.ho[part])
        self.cur = np.zeros(data.n)
        self.cur[part] = data.a[self.link[part]]
        self.load = np.bincount(self.ho[part], weights=data.D[part], minlength=data.m).astype(float)
        self.count = np.bincount(self.ho[part], minlength=data.m).astype(np.int64)
        self.n_part = int(part.size)
        self.value = self._full_value()

    def _full_value(self) -> float:
        return float(self.data.f[self.count > 0].sum() + self.cur[self.ho >= 0].sum())

    @property
    def resid(self) -> np.ndarray:
        return self.data.R - self.load

    def snapshot(self) -> tuple[Any, ...]:
        return (self.ho.copy(), self.link.copy(), self.cur.copy(), self.load.copy(),
                self.count.copy(), self.n_part, self.value)

    def restore(self, snap: tuple[Any, ...]) -> None:
        (self.ho, self.link, self.cur, self.load, self.count, self.n_part, self.value) = (
            snap[0].copy(), snap[1].copy(), snap[2].copy(), snap[3].copy(), snap[4].copy(),
            snap[5], snap[6])

    def delta(self, devs: np.ndarray, links: np.ndarray) -> float:
        """Objective change if ``devs`` took ``links`` (-1 = leave), without applying."""
        d = self.data
        old_h = self.ho[devs]
        new_h = np.where(links >= 0, d.host[np.maximum(links, 0)], -1)
        new_c = np.where(links >= 0, d.a[np.maximum(links, 0)], 0.0)
        dc = float(new_c.sum() - self.cur[devs].sum())
        hosts = np.unique(np.concatenate((old_h[old_h >= 0], new_h[new_h >= 0])))
        if hosts.size:
            cnt = self.count[hosts].copy()
            lo = old_h >= 0
            cnt -= np.bincount(np.searchsorted(hosts, old_h[lo]), minlength=hosts.size)
            ln = new_h >= 0
            cnt += np.bincount(np.searchsorted(hosts, new_h[ln]), minlength=hosts.size)
            before = self.count[hosts] > 0
            after = cnt > 0
            dc += float(d.f[hosts][after & ~before].sum() - d.f[hosts][before & ~after].sum())
        return dc

    def apply(self, devs: np.ndarray, links: np.ndarray) -> float:
        """Move ``devs`` to ``links`` (-1 = stop participating); return the objective change."""
        if devs.size == 0:
            return 0.0
        dlt = self.delta(devs, links)
        d = self.data
        old_h = self.ho[devs]
        lo = old_h >= 0
        self.load -= np.bincount(old_h[lo], weights=d.D[devs[lo]], minlength=d.m)
        self.count -= np.bincount(old_h[lo], minlength=d.m)
        ln = links >= 0
        new_h = np.where(ln, d.host[np.maximum(links, 0)], -1)
        self.load += np.bincount(new_h[ln], weights=d.D[devs[ln]], minlength=d.m)
        self.count += np.bincount(new_h[ln], minlength=d.m)
        self.ho[devs] = new_h
        self.link[devs] = links
        self.cur[devs] = np.where(ln, d.a[np.maximum(links, 0)], 0.0)
        self.n_part += int(ln.sum()) - int(lo.sum())
        self.value += dlt
        return dlt

    def set_assignment(self, new_ho: np.ndarray) -> float:
        """Adopt ``new_ho`` (only changed devices are touched); return the change."""
        changed = np.flatnonzero(new_ho != self.ho)
        if changed.size == 0:
            return 0.0
        nh = new_ho[changed]
        links = np.full(changed.size, -1, dtype=np.int64)
        on = nh >= 0
        links[on] = self.data.instance.link_index(changed[on], nh[on])
        return self.apply(changed, links)

    def gain_of(self, new_ho: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """(change, devices, links) of adopting ``new_ho``, without applying."""
        changed = np.flatnonzero(new_ho != self.ho)
        nh = new_ho[changed]
        links = np.full(changed.size, -1, dtype=np.int64)
        on = nh >= 0
        links[on] = self.data.instance.link_index(changed[on], nh[on])
        return self.delta(changed, links), changed, links


# ------------------------------------------------------------------------ moves
def shift_pass(st: SearchState) -> float:
    """Move participants to cheaper hosts with room (a batch of independent moves)."""
    d = st.data
    part = st.ho >= 0
    if not part.any():
        return 0.0
    cheaper = d.a < st.cur[d.dev] - _EPS
    cand = np.flatnonzero(cheaper & part[d.dev] & d.usable)
    if cand.size == 0:
        return 0.0
    dv = d.dev[cand].astype(np.int64)
    h = d.host[cand].astype(np.int64)
    resid = st.resid
    closed = st.count[h] == 0
    dl = d.a[cand] - st.cur[dv] + np.where(closed, d.f[h], 0.0)
    ok = (dl < -_EPS) & (d.D[dv] <= resid[h] + _EPS)
    cand, dv, h, dl = cand[ok], dv[ok], h[ok], dl[ok]
    if cand.size == 0:
        return 0.0
    o = np.lexsort((dl, dv))
    first = first_per_group(dv[o])
    sel = o[first]
    cand, dv, h, dl = cand[sel], dv[sel], h[sel], dl[sel]
    o = np.lexsort((dl, h))
    hs = h[o]
    cw = grouped_cumsum(hs, d.D[dv[o]])
    acc = o[cw <= resid[hs] + _EPS * np.maximum(1.0, d.R[hs])]
    # a closed host charged once per mover is conservative; keep only moves into open hosts
    # or, for closed hosts, moves whose group still pays off as a whole
    return st.apply(dv[acc], cand[acc]) if acc.size else 0.0


def participation_pass(st: SearchState) -> float:
    """Drop surplus participants; replace expensive participants by cheap non-participants."""
    d = st.data
    gain = 0.0
    surplus = st.n_part - d.T
    if surplus > 0:
        part = np.flatnonzero(st.ho >= 0)
        save = st.cur[part] + np.where(st.count[st.ho[part]] == 1, d.f[st.ho[part]], 0.0)
        o = np.argsort(-save, kind="stable")[:surplus]
        o = o[save[o] > _EPS]
        if o.size:
            devs = part[o]
            dl = st.delta(devs, np.full(devs.size, -1, dtype=np.int64))
            if dl < -_EPS:
                gain += st.apply(devs, np.full(devs.size, -1, dtype=np.int64))
    non = st.ho < 0
    if not non.any() or st.n_part == 0:
        return gain
    # best insertion of each non-participant into an open host with room
    cand = np.flatnonzero(non[d.dev] & d.usable & (st.count[d.host] > 0))
    if cand.size == 0:
        return gain
    resid = st.resid
    cand = cand[d.D[d.dev[cand]] <= resid[d.host[cand]] + _EPS]
    maxcur = float(st.cur[st.ho >= 0].max())
    cand = cand[d.a[cand] < maxcur - _EPS]
    if cand.size == 0:
        return gain
    dv = d.dev[cand].astype(np.int64)
    o = np.lexsort((d.a[cand], dv))
    sel = o[first_per_group(dv[o])]
    cand, dv = cand[sel], dv[sel]
    h = d.host[cand].astype(np.int64)
    o = np.lexsort((d.D[dv], d.a[cand], h))
    hs = h[o]
    ok = grouped_cumsum(hs, d.D[dv[o]]) <= resid[hs] + _EPS
    ins = o[ok]
    ins = ins[np.lexsort((d.D[dv[ins]], d.a[cand[ins]]))]
    part = np.flatnonzero(st.ho >= 0)
    o = np.lexsort((-d.D[part], -st.cur[part]))
    rem = part[o]
    npair = min(ins.size, rem.size)
    if npair == 0:
        return gain
    ok = d.a[cand[ins[:npair]]] < st.cur[rem[:npair]] - _EPS
    npair = int(np.argmin(ok)) if not ok.all() else npair
    if npair == 0:
        return gain
    devs = np.concatenate((dv[ins[:npair]], rem[:npair]))
    links = np.concatenate((cand[ins[:npair]], np.full(npair, -1, dtype=np.int64)))
    if st.delta(devs, links) < -_EPS:
        gain += st.apply(devs, links)
    return gain


def exchange_pass(st: SearchState, rng: np.random.Generator, max_tries: int = 200) -> float:
    """Ejection chains of length two for moves blocked by capacity.

    For a participant i whose cheaper host q is full, look for a device i'
    on q that can leave q -- to i's host p (a swap) or to another open host
    with room (a chain i: p -> q, i': q -> r) -- so that i fits; the cheapest
    such pair is applied when it lowers the cost.
    """
    gain = 0.0
    for k in _blocked_moves(st, rng, max_tries).tolist():
        gain += _exchange(st, k)
    return gain


def _blocked_moves(st: SearchState, rng: np.random.Generator, max_tries: int) -> np.ndarray:
    """Cheaper links of participants whose host is open but full: the largest savings, sampled."""
    d = st.data
    part = st.ho >= 0
    cand = np.flatnonzero((d.a < st.cur[d.dev] - _EPS) & part[d.dev] & d.usable
                          & (st.count[d.host] > 0))
    if cand.size == 0:
        return cand
    dv = d.dev[cand].astype(np.int64)
    h = d.host[cand].astype(np.int64)
    cand = cand[d.D[dv] > st.resid[h] + _EPS]
    if cand.size == 0:
        return cand
    sav = st.cur[d.dev[cand]] - d.a[cand]
    order = np.argsort(-sav, kind="stable")[: max_tries * 4]
    if order.size > max_tries:
        order = np.sort(rng.choice(order, size=max_tries, replace=False))
    return cand[order]


def _exchange(st: SearchState, k: int) -> float:
    """Move device i onto link k (host q), making room on q by a swap or a chain; the gain."""
    d = st.data
    i = int(d.dev[k])
    q = int(d.host[k])
    p = int(st.ho[i])
    if p < 0 or st.link[i] < 0 or d.a[k] >= st.cur[i] - _EPS:
        return 0.0
    need = d.D[i] - (d.R[q] - st.load[q])
    if need <= _EPS:  # room appeared after earlier moves: a plain shift
        one, lk1 = np.array([i]), np.array([k])
        return st.apply(one, lk1) if st.delta(one, lk1) < -_EPS else 0.0
    if d.n > 200_000:
        return 0.0
    on_q = np.flatnonzero(st.ho == q)
    on_q = on_q[d.D[on_q] >= need - _EPS]
    if on_q.size == 0:
        return 0.0
    best_dl, best = _swap_option(st, k, i, p, on_q)
    chain_dl, chain = _chain_option(st, k, i, p, q, on_q)
    if chain is not None and chain_dl < best_dl - _EPS:
        best = chain
    if best is None:
        return 0.0
    devs, links = best
    return st.apply(devs, links) if st.delta(devs, links) < -_EPS else 0.0


_Move = tuple[np.ndarray, np.ndarray]


def _swap_option(st: SearchState, k: int, i: int, p: int, on_q: np.ndarray) -> tuple[float, _Move | None]:
    """The best device i' on q that can go to i's host p (a swap); its cost change."""
    d = st.data
    lp = d.instance.link_index(on_q, np.full(on_q.size, p))
    room_p = d.R[p] - st.load[p] + d.D[i]  # capacity of p after i leaves
    ok = (lp >= 0) & (d.D[on_q] <= room_p + _EPS)
    if not ok.any():
        return 0.0, None
    dl = (d.a[k] - st.cur[i]) + d.a[np.maximum(lp, 0)] - st.cur[on_q]
    dl = np.where(ok, dl, np.inf)
    t = int(np.argmin(dl))
    if dl[t] < -_EPS:
        return float(dl[t]), (np.array([i, on_q[t]]), np.array([k, lp[t]]))
    return 0.0, None


def _chain_option(st: SearchState, k: int, i: int, p: int, q: int,
                  on_q: np.ndarray) -> tuple[float, _Move | None]:
    """The best device i' on q that can go to another open host r with room (a chain q -> r)."""
    d = st.data
    lk = d.by_cost[d.device_links(on_q)]
    dv2 = d.dev[lk].astype(np.int64)
    r = d.host[lk].astype(np.int64)
    ok = ((r != q) & (r != p) & (st.count[r] > 0) & d.usable[lk]
          & (d.D[dv2] <= d.R[r] - st.load[r] + _EPS))
    if not ok.any():
        return 0.0, None
    lk, dv2 = lk[ok], dv2[ok]
    dl = (d.a[k] - st.cur[i]) + d.a[lk] - st.cur[dv2]
    t = int(np.argmin(dl))
    return float(dl[t]), (np.array([i, dv2[t]]), np.array([k, lk[t]]))


def close_pass(st: SearchState, rng: np.random.Generator, deadline: Deadline,
               max_trials: int | None = 8) -> float:
    """Try closing open hosts; keep improving closures.

    Hosts are tried in order of a cheap optimistic estimate of the saving:
    the fixed cost minus the extra cost of sending each of its devices to
    its cheapest other open host (capacity ignored), ties broken at random;
    at most ``max_trials`` trials with a non-negative estimate are run.
    """
    gain = 0.0
    open_hosts = np.flatnonzero(st.count > 0)
    if open_hosts.size <= 1:
        return 0.0
    est = _close_estimates(st)
    cand = open_hosts[est[open_hosts] > _EPS]
    if cand.size == 0:
        return 0.0
    order = cand[np.lexsort((rng.random(cand.size), -est[cand]))]
    pool = _insertion_pool(st)
    trials = 0
    for j in order.tolist():
        if deadline.expired() or (max_trials is not None and trials >= max_trials):
            break
        if st.count[j] == 0:
            continue
        trials += 1
        dl, devs, links = _close_trial(st, j, pool)
        if devs is not None and dl < -_EPS:
            gain += st.apply(devs, links)
            pool = _insertion_pool(st)
    return gain


def _close_estimates(st: SearchState) -> np.ndarray:
    """Optimistic saving of closing each open host (capacity ignored)."""
    d = st.data
    part = st.ho >= 0
    lk = d.by_cost
    ok = part[d.dev[lk]] & (st.count[d.host[lk]] > 0) & (d.host[lk] != st.ho[d.dev[lk]]) \
        & d.usable[lk]
    lk = lk[ok]
    dv = d.dev[lk]
    first = first_per_group(dv)
    alt = np.full(d.n, np.inf)
    alt[dv[first]] = d.a[lk[first]]
    # or leave the solution and let the cheapest non-participant join instead
    non = ~part
    repl = np.inf
    if non.any():
        starts = d.ptr[:-1][non]
        has = d.ptr[1:][non] > starts
        if has.any():
            repl = float(d.a[d.by_cost[starts[has]]].min())
    if st.n_part > d.T:
        repl = min(repl, 0.0)
    extra = np.minimum(alt, repl) - st.cur
    extra = np.where(part, extra, 0.0)
    cost = np.bincount(st.ho[part], weights=extra[part], minlength=d.m)
    return d.f - cost


def _insertion_pool(st: SearchState, size: int | None = None) -> np.ndarray:
    """Non-participants ordered by their cheapest link cost (replacement candidates)."""
    d = st.data
    non = np.flatnonzero(st.ho < 0)
    if non.size == 0:
        return non
    first = d.by_cost[d.ptr[non][d.ptr[non + 1] > d.ptr[non]]]
    has = non[d.ptr[non + 1] > d.ptr[non]]
    o = np.argsort(d.a[first], kind="stable")
    pool = has[o]
    cap = size if size is not None else max(2048, 4 * (d.n // max(1, d.m)))
    return pool[:cap]


def _close_trial(st: SearchState, j: int, pool: np.ndarray,
                 allow: np.ndarray | None = None) -> tuple[float, Any, Any]:
    d = st.data
    moved = np.flatnonzero(st.ho == j)
    trial = st.ho.copy()
    trial[moved] = -1
    mask = st.count > 0
    mask[j] = False
    if allow is not None:
        mask |= allow
    devs = np.concatenate((moved, pool[: moved.size + 64]))
    trial = assign_greedy(d, mask, d.T, host_of=trial, devices=devs)
    if int((trial >= 0).sum()) < d.T:
        return math.inf, None, None
    dl, changed, links = st.gain_of(trial)
    return dl, changed, links


def open_pass(st: SearchState, rng: np.random.Generator, deadline: Deadline,
              max_candidates: int = 3, max_close: int = 4) -> float:
    """Open a closed host whose knapsack of savings pays for it; also try host swaps."""
    d = st.data
    closed = st.count == 0
    if not closed.any() or st.n_part == 0:
        return 0.0
    part = st.ho >= 0
    theta = float(st.cur[part].max()) if d.T > 0 else 0.0
    ref = np.where(part, st.cur, theta if st.n_part <= d.T else 0.0)
    lk = np.flatnonzero(closed[d.host] & d.usable)
    lk = lk[d.a[lk] < ref[d.dev[lk]] - _EPS]
    if lk.size == 0:
        return 0.0
    dv = d.dev[lk].astype(np.int64)
    h = d.host[lk].astype(np.int64)
    x, value = lp_knapsack(h, ref[dv] - d.a[lk], d.D[dv], d.R.astype(float))
    net = value - d.f
    net[~closed] = -np.inf
    cands = np.flatnonzero(np.isfinite(net) & (value > _EPS))
    if cands.size == 0:
        return 0.0
    cands = cands[np.lexsort((rng.random(cands.size), -net[cands]))][:max_candidates]
    gain = 0.0
    pool = _insertion_pool(st)
    for j in cands.tolist():
        if deadline.expired():
            break
        sel = (h == j) & (x > 1 - 1e-9)
        devs, links = dv[sel], lk[sel]
        if devs.size == 0:
            continue
        snap = st.snapshot()
        st.apply(devs, links)
        _prune_state(st)
        base = st.value
        if base < snap[6] - _EPS:
            gain += base - snap[6]
            continue
        # host swap: close one of the other open hosts, j available
        open_hosts = np.flatnonzero(st.count > 0)
        open_hosts = open_hosts[open_hosts != j]
        order = open_hosts[np.argsort(-d.f[open_hosts], kind="stable")][:max_close]
        best = (0.0, None, None)
        for q in order.tolist():
            if deadline.expired():
                break
            dl, cdevs, clinks = _close_trial(st, q, pool)
            if cdevs is not None and base + dl < snap[6] - _EPS and dl < best[0]:
                best = (dl, cdevs, clinks)
        if best[1] is not None:
            st.apply(best[1], best[2])
            gain += st.value - snap[6]
        else:
            st.restore(snap)
    return gain


def swap_pass(st: SearchState, rng: np.random.Generator, deadline: Deadline,
              max_trials: int = 6) -> float:
    """Host swap: close an open host j and open a closed host j' that takes over its devices.

    For every (j, j') pair an estimate is computed on whole arrays: the
    workload of j's devices that j' can serve at no extra cost (capped by
    ``R_j'``) decides how much of j is covered; the fixed-cost difference
    minus nothing for covered devices plus a penalty for uncovered ones
    ranks the pairs; the best few are evaluated exactly (open j', close j,
    re-assign) and the first improving one is kept.
    """
    d = st.data
    part = st.ho >= 0
    closed = st.count == 0
    if not closed.any() or st.n_part == 0:
        return 0.0
    lk = np.flatnonzero(closed[d.host] & d.usable)
    lk = lk[part[d.dev[lk]]]
    lk = lk[d.a[lk] <= st.cur[d.dev[lk]] + _EPS]
    if lk.size == 0:
        return 0.0
    dv = d.dev[lk]
    j = st.ho[dv]
    jp = d.host[lk].astype(np.int64)
    key = j * d.m + jp
    cover = np.bincount(key, weights=d.D[dv], minlength=d.m * d.m).reshape(d.m, d.m)
    ndev = np.bincount(key, minlength=d.m * d.m).reshape(d.m, d.m)
    load = st.load
    covered = np.minimum(cover, d.R[None, :])
    frac = np.where(load[:, None] > 0, covered / np.maximum(load[:, None], 1e-12),
                    (ndev >= st.count[:, None]).astype(float))
    # uncovered share of j's devices must move elsewhere: charge a rough average cost
    avg = float(np.mean(st.cur[part])) + 1e-9
    est = d.f[None, :] - d.f[:, None] + (1 - frac) * st.count[:, None] * avg
    est[st.count == 0, :] = np.inf
    est[:, ~closed] = np.inf
    est[ndev == 0] = np.inf
    flat = np.flatnonzero(est.reshape(-1) < -_EPS)
    if flat.size == 0:
        return 0.0
    vals = est.reshape(-1)[flat]
    order = flat[np.lexsort((rng.random(flat.size), vals))][:max_trials]
    pool = _insertion_pool(st)
    allow = np.zeros(d.m, dtype=bool)
    for pair in order.tolist():
        if deadline.expired():
            break
        jo, jn = divmod(pair, d.m)
        if st.count[jo] == 0 or st.count[jn] > 0:
            continue
        allow[:] = False
        allow[jn] = True
        dl, devs, links = _close_trial(st, jo, pool, allow=allow)
        if devs is not None and dl < -_EPS:
            return st.apply(devs, links)
    return 0.0


def _prune_state(st: SearchState) -> None:
    d = st.data
    if st.n_part > d.T:
        new = prune_to(d, st.ho, d.T)
        dl, devs, links = st.gain_of(new)
        if dl < _EPS:
            st.apply(devs, links)


def perturb(st: SearchState, rng: np.random.Generator, strength: int = 1) -> None:
    """Close ``strength`` random open hosts and repair (used by the iterated search)."""
    d = st.data
    open_hosts = np.flatnonzero(st.count > 0)
    if open_hosts.size <= 1:
        return
    k = min(strength, open_hosts.size - 1)
    shut = rng.choice(open_hosts, size=k, replace=False)
    trial = st.ho.copy()
    trial[np.isin(trial, shut)] = -1
    mask = np.ones(d.m, dtype=bool)
    mask[shut] = False
    # prefer already open hosts; open others only if needed
    trial = assign_greedy(d, mask & (st.count > 0), d.T, host_of=trial)
    if int((trial >= 0).sum()) < d.T:
        trial = assign_greedy(d, mask, d.T, host_of=trial)
    if int((trial >= 0).sum()) >= d.T:
        st.set_assignment(trial)


@dataclass(frozen=True)
class _Moves:
    """Which neighbourhoods a descent uses."""

    names: tuple[str, ...]
    exchange: bool
    swap: bool
    exchange_tries: int


def _descent(st: SearchState, rng: np.random.Generator, deadline: Deadline, moves: _Moves,
             max_passes: int | None, stats: dict[str, Any], report: Callable[[str], None]) -> None:
    """Passes over the neighbourhoods, cheapest first, until none improves."""
    passes = 0
    names = moves.names
    while not deadline.expired() and (max_passes is None or passes < max_passes):
        stats["passes"] += 1
        passes += 1
        g = 0.0
        if "shift" in names:
            g += shift_pass(st)
        if "participation" in names:
            g += participation_pass(st)
        if moves.exchange:
            g += exchange_pass(st, rng, max_tries=moves.exchange_tries)
        if g < -_EPS:
            continue
        if "close" in names:
            g += close_pass(st, rng, deadline)
        if g < -_EPS:
            continue
        if "open" in names:
            g += open_pass(st, rng, deadline)
        if g < -_EPS:
            continue
        if moves.swap:
            g += swap_pass(st, rng, deadline)
        if g >= -_EPS:
            break
        report("local search")


def improve(
    data: LinkData,
    host_of: np.ndarray,
    *,
    deadline: Deadline,
    seed: int | None = None,
    max_no_improve: int = 30,
    progress: ProgressCallback | None = None,
    bound: float | None = None,
    gap: float = 0.0,
    max_passes: int | None = None,
    moves: tuple[str, ...] = ("shift", "participation", "exchange", "close", "open", "swap"),
    exchange_tries: int = 200,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Run the local search from ``host_of`` (feasible); return the best assignment found.

    Descents (:func:`_descent`) alternate with random perturbations.

    Parameters
    ----------
    max_no_improve:
        Perturbations in a row without a better solution before stopping
        (0: a single descent).
    bound, gap:
        Stop once the incumbent is within ``gap`` (relative) of ``bound``.
    max_passes:
        Cap on the passes of each descent (for very large instances).
    moves:
        Neighbourhoods to use.
    exchange_tries:
        Capacity-blocked moves tried per exchange pass.
    """
    rng = np.random.default_rng(seed)
    st = SearchState(data, host_of)
    stats = {"passes": 0, "perturbations": 0, "improvements": 0}
    best_snap = st.snapshot()
    last_report = [-math.inf]
    kinds = _Moves(moves, "exchange" in moves and data.n <= 50_000,
                   "swap" in moves and data.m <= 2000,  # the host-swap estimate is an M x M table
                   exchange_tries)

    def report(phase: str) -> None:
        if progress is not None and deadline.elapsed() - last_report[0] >= 1.0:
            last_report[0] = deadline.elapsed()
            progress(Progress(deadline.elapsed(), float(best_snap[6]), bound, phase))

    def proven() -> bool:
        return bound is not None and _within(float(best_snap[6]), bound, gap, data.gran)

    no_improve = 0
    while not deadline.expired() and not proven():
        _descent(st, rng, deadline, kinds, max_passes, stats, report)
        if st.value < best_snap[6] - _EPS:
            best_snap = st.snapshot()
            stats["improvements"] += 1
            no_improve = 0
        else:
            no_improve += 1
            st.restore(best_snap)
        report("local search")
        if no_improve >= max_no_improve or proven() or max_no_improve == 0:
            break
        stats["perturbations"] += 1
        perturb(st, rng, strength=1 + int(rng.integers(0, 2)))
    if st.value < best_snap[6] - _EPS:
        best_snap = st.snapshot()
    return best_snap[0], stats


def _within(value: float, bound: float, gap: float, gran: float) -> bool:
    """``value`` is proven within ``gap`` of ``bound`` (the bound rounded up for integral data)."""
    b = math.ceil(bound - 1e-6) if gran else bound
    return value - b <= max(gap * max(1.0, abs(value)), 1e-9 * max(1.0, abs(value)))


# --------------------------------------------------------------------- methods
def local_search(instance: Instance, options: SolveOptions | None = None,
                 params: LocalSearchParams | None = None) -> Result:
    """Local search (shift, participation swap, exchange, close/open host, perturbation).

    Starts from ``options.warm_start`` (default: a greedy construction, or a
    feasibility MIP under tight capacities). The search is deterministic for
    a given seed (None: 0) when it is not cut short by the clock; it stops
    after ``params.max_no_improve`` fruitless perturbations, or once its
    solution reaches ``params.stop_at`` (a known lower bound, rounded up for
    integral data: only a stopping rule, the result reports no bound).
    Honours ``time_limit``, ``seed``, ``warm_start`` and ``progress``.
    """
    options = options or SolveOptions()
    params = params or LocalSearchParams()
    method = "local-search"
    deadline, early = begin(instance, method, options.time_limit)
    if early is not None:
        return early
    data = link_data(instance)
    ho = None
    ws = options.warm_start
    if ws is not None and ws.is_feasible(instance):
        ho = np.array(ws.host_of, dtype=np.int64)
    if ho is None:
        ho = feasible_start(data, deadline)
    if ho is None or int((ho >= 0).sum()) < data.T:
        return finish(instance, host_of=None, bound=None, method=method, solver="hflopt",
                      timed_out=deadline.expired(), message=_NO_START,
                      solve_seconds=deadline.elapsed())
    best, stats = improve(data, ho, deadline=deadline, seed=0 if options.seed is None else options.seed,
                          max_no_improve=params.max_no_improve, progress=options.progress,
                          bound=params.stop_at)
    return finish(instance, host_of=best, bound=None, method=method, solver="hflopt",
                  solve_seconds=deadline.elapsed(), stats=stats, timed_out=deadline.expired(),
                  message="heuristic solution; no lower bound computed")


_NO_START = "no feasible start found (a heuristic: the instance may still be feasible)"


def merge_search(instance: Instance, options: SolveOptions | None = None,
                 params: Any = None) -> Result:  # noqa: ARG001 - every method takes (instance, options, params)
    """Authors' local search: merge pairs of open hosts by a greedy knapsack, then prune to T.

    Starts from ``greedy-cheapest`` without pruning. Honours ``time_limit``.
    """
    from hflopt.solvers.greedy import greedy_cheapest

    options = options or SolveOptions()
    method = "merge-search"
    deadline, early = begin(instance, method, options.time_limit)
    if early is not None:
        return early
    data = link_data(instance)
    start = greedy_cheapest(instance, SolveOptions(), CheapestParams(prune=False))
    if start.solution is None or start.solution.n_participants < data.T:
        return finish(instance, host_of=None, bound=None, method=method, solver="hflopt",
                      message="greedy cheapest-first found no start with T participants "
                              "(a heuristic: the instance may still be feasible)",
                      solve_seconds=deadline.elapsed())
    st = SearchState(data, start.solution.host_of)
    merges = 0
    while not deadline.expired() and _merge_once(st, data, deadline):
        merges += 1
    ho = prune_to(data, st.ho, data.T)
    return finish(instance, host_of=ho, bound=None, method=method, solver="hflopt",
                  solve_seconds=deadline.elapsed(), stats={"merges": merges},
                  timed_out=deadline.expired(), message="heuristic solution; no lower bound computed")


def _merge_once(st: SearchState, data: LinkData, deadline: Deadline) -> bool:
    """Apply the first improving merge of two open hosts (in host order); False if none."""
    open_hosts = np.flatnonzero(st.count > 0)
    for a_i in range(open_hosts.size):
        if deadline.expired():
            return False
        for b_i in range(a_i + 1, open_hosts.size):
            j1, j2 = int(open_hosts[a_i]), int(open_hosts[b_i])
            if st.count[j1] == 0 or st.count[j2] == 0:
                continue
            union = np.flatnonzero((st.ho == j1) | (st.ho == j2))
            best = _best_merge(st, data, union, (j1, j2))
            if best is not None:
                st.apply(union, best)
                return True
    return False


def _best_merge(st: SearchState, data: LinkData, union: np.ndarray, targets: tuple[int, int]
                ) -> np.ndarray | None:
    """The better of moving ``union`` into either target by Dantzig's greedy knapsack, if it pays."""
    best = None
    for tgt in targets:
        lk = data.instance.link_index(union, np.full(union.size, tgt))
        ok = (lk >= 0) & (data.D[union] <= data.R[tgt])
        # profit = saving vs the worst link, by ratio
        prof = data.big - data.a[np.maximum(lk, 0)]
        ratio = np.where(ok, prof / np.maximum(data.D[union], 1e-12), -np.inf)
        o = np.argsort(-ratio, kind="stable")
        o = o[ok[o]]
        take = o[np.cumsum(data.D[union[o]]) <= data.R[tgt] + _EPS]
        links = np.full(union.size, -1, dtype=np.int64)
        links[take] = lk[take]
        if st.n_part - (union.size - take.size) < data.T:
            continue
        dl = st.delta(union, links)
        if dl < -_EPS and (best is None or dl < best[0]):
            best = (dl, links)
    return None if best is None else best[1]
