"""Candidate-link restriction for dense inputs, with a bound check.

Dense instances (every device linked to every host) are mostly links no
good solution uses. :func:`k_cheapest` keeps each device's ``k`` cheapest
links (cost ``l*C_d`` plus the device's capacity share of the host's fixed
cost, so that cheap-to-open hosts are kept too); :func:`solve_sparse` solves
the restricted instance and then decides, from Lagrangian multipliers
``(u, v)`` computed on the restricted instance, whether the restriction could
have cut off better solutions:

- a link left out has reduced cost ``r_ij = l*C_d[i][j] + u_i - v``; if every
  left-out link has ``r_ij >= 0`` it could not enter any host's knapsack, so
  the Lagrangian bound of the *full* instance at ``(u, v)`` equals the
  restricted one;
- the full-instance bound ``L_full(u, v)`` is always computed and reported:
  it is a valid lower bound for the full instance whatever the restriction;
- devices with a left-out link of negative reduced cost get ``k`` doubled and
  the restricted problem is solved again (up to ``max_rounds`` times).

A solution of the restricted instance is feasible for the full one (same
devices and hosts, a subset of the links) with the same cost, so the result
is always a verified solution of the full instance with a certified gap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hflopt.instance import Instance
from hflopt.solution import Result, Solution, Status
from hflopt.solvers._common import Deadline, begin, finish
from hflopt.solvers.arrays import sort_within_groups
from hflopt.solvers.links import link_data
from hflopt.solvers.params import SolveOptions, SparseParams
from hflopt.solvers.subgradient import evaluate_multipliers, subgradient

__all__ = ["k_cheapest", "restriction_check", "solve_sparse"]


def k_cheapest(instance: Instance, k: int | np.ndarray) -> np.ndarray:
    """Mask over links keeping each device's ``k`` cheapest links (``k`` may vary per device).

    Links are ranked by ``l*C_d`` plus the device's capacity share of the
    host's fixed cost ``C_e[j] * D_i / R_j``; links whose workload does not
    fit the host are never kept.
    """
    data = link_data(instance)
    share = np.where(data.R[data.host] > 0,
                     data.f[data.host] * data.D[data.dev] / np.maximum(data.R[data.host], 1e-12),
                     np.inf)
    score = np.where(data.usable, data.a + share, np.inf)
    order = sort_within_groups(data.ptr, score)
    rank = np.empty(data.k, dtype=np.int64)
    rank[order] = np.arange(data.k) - np.repeat(data.ptr[:-1], np.diff(data.ptr))
    kk = np.broadcast_to(np.asarray(k, dtype=np.int64), (data.n,))
    return (rank < kk[data.dev]) & data.usable


def restriction_check(instance: Instance, keep: np.ndarray, u: np.ndarray, v: float
                      ) -> tuple[float, np.ndarray]:
    """Full-instance Lagrangian bound at ``(u, v)`` and devices whose left-out links matter.

    Returns
    -------
    bound, devices:
        ``L_full(u, v)`` (a valid lower bound of the full instance) and the
        devices with a left-out usable link of negative reduced cost.
    """
    data = link_data(instance)
    bound, _, _ = evaluate_multipliers(data, u, v, None)
    out = np.flatnonzero(~keep & data.usable)
    r = data.a[out] + u[data.dev[out]] - v
    devices = np.unique(data.dev[out[r < 0]])
    return bound, devices


@dataclass
class _SparseRun:
    """The state of one ``sparse`` solve."""

    deadline: Deadline
    best: Solution | None = None
    best_val: float = math.inf
    best_bound: float = -math.inf
    inner_optimal: bool = False
    widen_left: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    stats: dict[str, Any] = field(default_factory=dict)


def solve_sparse(instance: Instance, options: SolveOptions | None = None,
                 params: SparseParams | None = None) -> Result:
    """Solve on each device's ``k`` cheapest links, widening ``k`` where a bound says so.

    Each round restricts the instance (:func:`k_cheapest`), solves the
    restriction with ``params.method`` (any registered method, with the
    options it honours among this call's), and checks the restriction with a
    Lagrangian bound on the full instance (:func:`restriction_check`): devices
    with a left-out link of negative reduced cost get twice as many links.
    Honours ``time_limit``, ``gap``, ``seed`` (None: 0), ``progress``,
    ``threads`` and ``verbose`` (passed to the inner method where it honours them).
    """
    from hflopt.solvers.registry import get

    options = options or SolveOptions()
    params = params or SparseParams()
    inner = get(params.method)
    deadline, early = begin(instance, "sparse", options.time_limit)
    if early is not None:
        return early
    data_full = link_data(instance)
    kk = np.full(instance.n_devices, max(1, int(params.k)), dtype=np.int64)
    run = _SparseRun(deadline, stats={"rounds": 0, "inner_method": params.method})
    for rnd in range(params.max_rounds):
        if deadline.expired():
            break
        keep = k_cheapest(instance, kk)
        run.stats["rounds"] = rnd + 1
        run.stats["links_kept"] = int(keep.sum())
        widen = _round(instance, keep, inner, options, run)
        if widen.size == 0:
            break
        kk[widen] = np.minimum(kk[widen] * 2, data_full.ptr[widen + 1] - data_full.ptr[widen])
    return _sparse_result(instance, run)


def _round(instance: Instance, keep: np.ndarray, inner: Any, options: SolveOptions, run: _SparseRun
           ) -> np.ndarray:
    """Solve the restriction, then check it on the full instance; the devices to widen."""
    sub = instance.restrict_links(keep)
    given = {"time_limit": run.deadline.remaining() if options.time_limit is not None else None,
             "seed": 0 if options.seed is None else options.seed, "progress": options.progress,
             "verbose": options.verbose, "gap": options.gap, "threads": options.threads}
    if run.best is not None and run.best.is_feasible(sub):
        given["warm_start"] = run.best
    res = inner.run(sub, SolveOptions(**{k: v for k, v in given.items() if k in inner.options}), inner.params())
    if res.solution is not None and res.objective is not None and res.objective < run.best_val - 1e-9:
        run.best, run.best_val = res.solution, float(res.objective)
    run.inner_optimal = inner.name in ("exact", "pyomo") and res.status == Status.OPTIMAL
    # multipliers on the restricted instance, then the check on the full one
    sub_deadline = Deadline(None if options.time_limit is None else max(0.05, 0.5 * run.deadline.remaining()))
    state = subgradient(link_data(sub), deadline=sub_deadline,
                        upper=run.best_val if math.isfinite(run.best_val) else None)
    bound_full, widen = restriction_check(instance, keep, state.u, state.v)
    run.best_bound = max(run.best_bound, bound_full)
    run.stats["devices_widened"] = int(widen.size)
    run.widen_left = widen
    return widen


def _sparse_result(instance: Instance, run: _SparseRun) -> Result:
    best, stats, deadline = run.best, run.stats, run.deadline
    stats["restriction_proven_harmless"] = bool(run.widen_left.size == 0)
    message = ""
    if run.widen_left.size:
        message = (f"{run.widen_left.size} devices still have left-out links of negative reduced cost; "
                   "the bound is valid for the full instance")
    bound = run.best_bound if math.isfinite(run.best_bound) else None
    # The inner method's own bound holds for the restricted instance only; the full
    # instance is certified by L_full(u, v) alone (optimal when it closes the gap).
    stats["inner_proved_restricted_optimum"] = bool(run.inner_optimal)
    return finish(instance, host_of=None if best is None else best.host_of, bound=bound,
                  method="sparse", solver="hflopt", solve_seconds=deadline.elapsed(), stats=stats,
                  timed_out=deadline.expired(), message=message)
