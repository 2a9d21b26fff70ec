"""Lower bounds for every neighbour of a host set, from one assignment LP's duals.

With the duals ``pi`` (capacity) of the current LP, each device's *priced*
option cost ``c_i(S') = min_{j in S'} l*C_d[i][j] + pi_j D_i`` gives, for any
``theta >= 0``, the valid lower bound

``f(S') + theta*T - sum_{j in S'} pi_j R_j - sum_i max(0, theta - c_i(S'))``

on the LP value of a neighbour ``S'`` (a new host's ``pi_k`` is chosen
optimally, which turns its part into an LP knapsack). :func:`move_bounds`
evaluates it for every drop, add, swap and 2-for-1 move at once through
each device's three best priced options (the drop/add/extra decomposition of
swap-based facility location searches), maximised over a few values of
``theta`` around the current participation price.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hflopt.solvers.core_lp import CoreLP
from hflopt.solvers.knapsack import lp_knapsack
from hflopt.solvers.links import LinkData

__all__ = ["MoveBounds", "move_bounds", "moves_below"]

_EPS = 1e-9


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
                theta_lp: float, *, two_for_one: bool = True, max_two_for_one: int = 2_000_000) -> MoveBounds:
    """Bounds for every drop, add, swap and 2-for-1 move of ``S`` inside ``core``.

    For each ``theta`` of :func:`_theta_values` the Lagrangian function of the
    assignment LP at ``(pi, theta)`` (with the device multipliers chosen
    optimally per device and a new host's ``pi`` optimally per host) is
    evaluated for all moves at once; the maximum over ``theta`` is kept.
    Each value is a valid lower bound on the neighbour's LP value over the
    core links.
    """
    t = _MoveTerms.of(data, lp, S, core, pi)
    do21 = two_for_one and t.ns >= 2 and t.no > 0 and t.ns * t.ns * t.no <= max_two_for_one
    best: MoveBounds | None = None
    for theta in _theta_values(data.T, t.c1, theta_lp):
        mb = t.bounds_at(float(theta), do21)
        if best is None:
            best = mb
            continue
        best.drop = np.maximum(best.drop, mb.drop)
        best.add = np.maximum(best.add, mb.add)
        best.swap = np.maximum(best.swap, mb.swap)
        if mb.two_one is not None and best.two_one is not None:
            best.two_one = np.maximum(best.two_one, mb.two_one)
    assert best is not None
    return best


@dataclass
class _MoveTerms:
    """What :func:`move_bounds` computes once, before trying participation prices ``theta``."""

    data: LinkData
    s_hosts: np.ndarray  # open hosts
    o_hosts: np.ndarray  # closed core hosts
    loc_s: np.ndarray  # host -> position in s_hosts (-1: none)
    c1: np.ndarray  # each device's best, second and third priced option, and their hosts
    b1: np.ndarray
    c2: np.ndarray
    b2: np.ndarray
    c3: np.ndarray
    o_dev: np.ndarray  # core links of the closed core hosts: device, host position, cost, workload
    o_h: np.ndarray
    o_a: np.ndarray
    o_w: np.ndarray
    f_s: np.ndarray  # opening costs of open and closed core hosts
    f_o: np.ndarray
    pir_s: np.ndarray  # pi_j R_j of the open hosts
    base: float  # f(S) - sum pi_j R_j over S

    @property
    def ns(self) -> int:
        return int(self.s_hosts.size)

    @property
    def no(self) -> int:
        return int(self.o_hosts.size)

    @classmethod
    def of(cls, d: LinkData, lp: CoreLP, S: np.ndarray, core: np.ndarray, pi: np.ndarray) -> _MoveTerms:
        s_hosts = np.flatnonzero(S)
        o_hosts = np.flatnonzero(core & ~S)
        loc_s = np.full(d.m, -1, dtype=np.int64)
        loc_s[s_hosts] = np.arange(s_hosts.size)
        loc_o = np.full(d.m, -1, dtype=np.int64)
        loc_o[o_hosts] = np.arange(o_hosts.size)
        (c1, b1), (c2, b2), (c3, _) = _priced_options(d, lp, S, pi)
        ocols = np.flatnonzero(loc_o[lp.col_host] >= 0)
        o_dev = lp.col_dev[ocols]
        f_s = d.f[s_hosts]
        pir_s = pi[s_hosts] * d.R[s_hosts]
        return cls(d, s_hosts, o_hosts, loc_s, c1, b1, c2, b2, c3, o_dev, loc_o[lp.col_host[ocols]],
                   d.a[lp.links[ocols]], d.D[o_dev], f_s, d.f[o_hosts], pir_s, float(f_s.sum() - pir_s.sum()))

    def bounds_at(self, theta: float, do21: bool) -> MoveBounds:
        """The bound of every move at participation price ``theta``."""
        d, ns, no = self.data, self.ns, self.no
        has1 = self.b1 >= 0
        p1 = np.maximum(0.0, theta - self.c1)
        p2 = np.maximum(0.0, theta - self.c2)
        g0 = self.base + theta * d.T - float(p1.sum())  # = f(S) + LP(S) at the LP's own theta
        loss = np.bincount(self.loc_s[self.b1[has1]], weights=(p1 - p2)[has1], minlength=ns)
        drop = g0 - self.f_s + self.pir_s + loss
        ref1 = np.minimum(theta, self.c1)[self.o_dev]
        prof = ref1 - self.o_a
        pos = prof > _EPS
        _, kp = lp_knapsack(self.o_h[pos], prof[pos], self.o_w[pos], d.R[self.o_hosts].astype(np.float64))
        ref2 = np.minimum(theta, self.c2)[self.o_dev]
        inc = np.maximum(0.0, ref2 - self.o_a) - np.maximum(0.0, prof)
        o_b1 = self.b1[self.o_dev]
        ok = (o_b1 >= 0) & (inc > _EPS)
        extra = np.bincount(self.loc_s[o_b1[ok]] * no + self.o_h[ok], weights=inc[ok],
                            minlength=ns * no).reshape(ns, no)
        swap = drop[:, None] + (self.f_o - kp)[None, :] - extra
        two_one = self._two_for_one(theta, p2, g0, drop, ref2, extra, kp) if do21 else None
        return MoveBounds(self.s_hosts, self.o_hosts, drop, g0 + self.f_o - kp, swap, two_one)

    def _two_for_one(self, theta: float, p2: np.ndarray, g0: float, drop: np.ndarray, ref2: np.ndarray,
                     extra: np.ndarray, kp: np.ndarray) -> np.ndarray:
        """Bounds of closing two open hosts and opening one closed core host."""
        ns, no, loc_s = self.ns, self.no, self.loc_s
        p3 = np.maximum(0.0, theta - self.c3)
        both = (self.b1 >= 0) & (self.b2 >= 0)
        corr = np.bincount(loc_s[self.b1[both]] * ns + loc_s[self.b2[both]], weights=(p2 - p3)[both],
                           minlength=ns * ns).reshape(ns, ns)
        d2 = drop[:, None] + drop[None, :] - g0 + corr + corr.T
        # devices whose two best options both close: their reference rises to c3
        ref3 = np.minimum(theta, self.c3)[self.o_dev]
        inc3 = np.maximum(0.0, ref3 - self.o_a) - np.maximum(0.0, ref2 - self.o_a)
        o_b1, o_b2 = self.b1[self.o_dev], self.b2[self.o_dev]
        ok3 = (o_b1 >= 0) & (o_b2 >= 0) & (inc3 > _EPS)
        e3 = np.bincount((loc_s[o_b1[ok3]] * ns + loc_s[o_b2[ok3]]) * no + self.o_h[ok3],
                         weights=inc3[ok3], minlength=ns * ns * no).reshape(ns, ns, no)
        return (d2[:, :, None] + (self.f_o - kp)[None, None, :] - extra[:, None, :]
                - extra[None, :, :] - e3 - e3.transpose(1, 0, 2))


def moves_below(mb: MoveBounds, limit: float) -> tuple[np.ndarray, np.ndarray]:
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
