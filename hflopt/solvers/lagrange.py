r"""The Lagrangian bound of HFLOP: one definition for every solver.

Relaxing the assignment rows ``sum_j x_ij <= 1`` (multipliers ``u_i >= 0``;
any sign when T = N) and the participation row ``sum_ij x_ij >= T``
(``mu >= 0``) leaves, with reduced link costs ``r_ij = l C_d[i][j] + u_i - mu``,
one 0-1 knapsack per host (devices with ``r_ij < 0``, profit ``-r_ij``,
weight ``D_i``, capacity ``R_j``). With ``K_j`` the value of its LP relaxation
(:func:`~hflopt.solvers.knapsack.lp_knapsacks`), which can only make it
larger,

    L(u, mu) = mu T - sum_i u_i + sum_j min(0, C_e[j] - K_j)

is a lower bound on the optimum for *any* multipliers. Optionally the cover
row ``sum_j R_j y_j >= W_T`` (:func:`~hflopt.solvers.links.cover_value`) is
relaxed too, with its best multiplier ``rho`` (:func:`best_rho`), which
strengthens the bound under tight capacities.

The exact solver evaluates it with the LP's duals and uses the reduced costs
to fix links and hosts; the ``lagrangian`` and ``core-search`` heuristics
maximise it by subgradient steps (:mod:`hflopt.solvers.lagrangian`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hflopt.instance import Instance
from hflopt.solvers.knapsack import lp_knapsacks
from hflopt.solvers.links import LinkData, LinkSet, link_data

__all__ = ["LagrangianBound", "best_rho", "evaluate", "lagrangian_bound"]


@dataclass
class LagrangianBound:
    """A Lagrangian lower bound and what comes with it.

    Attributes
    ----------
    value:
        The bound (valid for the instance whatever the multipliers).
    u, mu, rho:
        Multipliers of the assignment rows, the participation row and the
        cover row (0 when the cover row is not relaxed).
    host_value:
        ``h_j = C_e[j] - K_j - rho R_j``: a host with ``h_j < 0`` is open in
        the relaxed problem; forcing a closed host open costs ``h_j``.
    price:
        ``pi_j``, the LP-knapsack price of host j's capacity (when asked for).
    link_rc:
        Lagrangian reduced cost ``l c_k + u_i - mu + pi_j D_i`` of each
        evaluated link (when asked for).
    links:
        Indices of the evaluated links.
    items, x:
        Links taken by the knapsacks of hosts that open, and their fractions
        (when asked for: the subgradient needs them).
    """

    value: float
    u: np.ndarray
    mu: float
    rho: float
    host_value: np.ndarray
    price: np.ndarray | None = None
    link_rc: np.ndarray | None = None
    links: np.ndarray | None = None
    items: np.ndarray | None = None
    x: np.ndarray | None = None

    def host_forced(self) -> np.ndarray:
        """Bound on any solution that opens host j."""
        return self.value + np.maximum(0.0, self.host_value)

    def link_forced(self, host: np.ndarray) -> np.ndarray:
        """Bound on any solution that uses each evaluated link (needs ``link_rc``)."""
        assert self.link_rc is not None, "evaluate(..., reduced_costs=True) gives link_rc"
        return self.host_forced()[host] + np.maximum(0.0, self.link_rc)


def best_rho(h0: np.ndarray, cap: np.ndarray, need: float) -> float:
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


def evaluate(
    data: LinkData,
    u: np.ndarray,
    mu: float,
    links: LinkSet,
    *,
    capacitated: bool = True,
    cover: bool = False,
    reduced_costs: bool = False,
    want_x: bool = False,
) -> LagrangianBound:
    """``L(u, mu)`` over ``links`` (a valid bound when no other link has ``r < 0``).

    Parameters
    ----------
    capacitated:
        Knapsacks bounded by the capacities (False: every link with ``r < 0``
        is taken, the capacity-unaware relaxation).
    cover:
        Also relax the cover row with its best multiplier.
    reduced_costs:
        Compute ``price`` and ``link_rc`` (for fixing).
    want_x:
        Return ``items`` and ``x`` of the hosts that open (for subgradients).
    """
    r = links.a + u[links.dev]
    r -= mu
    neg = np.flatnonzero(r < 0)
    h = links.host[neg]
    if capacitated:
        ks = lp_knapsacks(h, -r[neg], links.w[neg], data.R.astype(np.float64), prices=reduced_costs)
        x, value, price = ks.x, ks.value, ks.price
    else:
        x = np.ones(neg.size)
        value = np.bincount(h, weights=-r[neg], minlength=data.m)
        price = np.zeros(data.m)
    h0 = data.f - value
    rho = best_rho(h0, data.R, data.W) if (capacitated and cover and data.W > 0) else 0.0
    hv = h0 - rho * data.R if rho else h0
    bound = float(mu * data.T + rho * data.W - u.sum() + np.minimum(hv, 0.0).sum())
    out = LagrangianBound(bound, u, mu, rho, hv, links=links.idx)
    if reduced_costs:
        out.price = price
        out.link_rc = r + price[links.host] * links.w if capacitated else r
    if want_x:
        keep = (hv < 0)[h] & (x > 0)
        out.items, out.x = links.idx[neg[keep]], x[keep]
    return out


def lagrangian_bound(
    instance: Instance,
    u: np.ndarray,
    mu: float = 0.0,
    *,
    uncapacitated: bool = False,
) -> LagrangianBound:
    """The Lagrangian lower bound of an instance for given multipliers, cover row relaxed.

    ``u`` has one entry per device (clipped at 0 unless T = N), ``mu`` is
    clipped at 0; the result is a valid lower bound for *any* multipliers,
    with the reduced costs of every usable link (every link when
    ``uncapacitated``).
    """
    data = link_data(instance)
    u = np.asarray(u, dtype=np.float64)
    if u.shape != (data.n,):
        raise ValueError(f"u must have one entry per device ({data.n}), got shape {u.shape}")
    if not data.equal:
        u = np.maximum(u, 0.0)
    links = data.all_links if uncapacitated else data.usable_set
    return evaluate(data, u, max(0.0, float(mu)), links, capacitated=not uncapacitated,
                    cover=not uncapacitated, reduced_costs=True)
