"""Lower bounds for HFLOP: the LP relaxation, built from numpy arrays for HiGHS.

The LP relaxation of the strong formulation (``x_ij <= y_j`` for every link)
is assembled as one CSC matrix and handed to highspy in a single
``passModel`` call (no per-row Python). Rows:

- ``sum_j x_ij <= 1`` per device,
- ``sum_i D_i x_ij - R_j y_j <= 0`` per host (capacity),
- ``x_ij - y_j <= 0`` per link (linking),
- ``sum_ij x_ij >= T`` (participation),
- ``sum_j R_j y_j >= W_T``, the sum of the T smallest workloads (a valid
  inequality HiGHS does not derive; see SOLVER-NOTES),

with ``0 <= x, y <= 1``. Links whose workload exceeds the host capacity are
fixed to 0. The LP optimum is a valid lower bound on the HFLOP optimum;
hflopt reports it only when HiGHS proves the LP optimal.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from hflopt.instance import Instance
from hflopt.solvers._common import Deadline

__all__ = ["LPBound", "lp_bound", "lp_size", "new_highs", "strong_model"]


def new_highs(verbose: bool = False, threads: int | None = None) -> Any:
    """A ``highspy.Highs`` that prints nothing unless ``verbose`` (not even its banner)."""
    from hflopt.solvers.highs_direct import new_highs as _new

    return _new(verbose=verbose, threads=threads)


@dataclass
class LPBound:
    """Result of :func:`lp_bound`.

    ``bound`` is None when the LP was not solved to optimality (time limit)
    or is infeasible (``infeasible`` then says so).
    """

    bound: float | None
    x: np.ndarray | None
    y: np.ndarray | None
    device_dual: np.ndarray | None
    participation_dual: float | None
    status: str
    seconds: float
    infeasible: bool = False


def lp_size(instance: Instance) -> tuple[int, int, int]:
    """(rows, columns, nonzeros) of the LP relaxation."""
    n, m, k = instance.n_devices, instance.n_hosts, instance.n_links
    return n + m + k + 2, k + m, 5 * k + 2 * m


def lp_bound(instance: Instance, *, time_limit: float | None = None, threads: int | None = None,
             verbose: bool = False, valid_inequality: bool = True) -> LPBound:
    """Solve the LP relaxation of the strong formulation with HiGHS.

    Parameters
    ----------
    time_limit:
        Seconds; past it the bound is reported as unknown (None).
    valid_inequality:
        Add ``sum_j R_j y_j >= sum of the T smallest workloads``.

    Returns
    -------
    LPBound
        The bound, the LP solution and the duals of the device and
        participation rows.
    """
    import highspy

    t0 = time.perf_counter()
    deadline = Deadline(time_limit)
    n, k = instance.n_devices, instance.n_links
    lp = strong_model(instance, valid_inequality=valid_inequality)
    r_part = n + instance.n_hosts + k
    h = new_highs(verbose, threads)
    if math.isfinite(deadline.remaining()):
        h.setOptionValue("time_limit", max(0.01, deadline.remaining()))
    h.passModel(lp)
    h.run()
    status = h.getModelStatus()
    ms = highspy.HighsModelStatus
    name = h.modelStatusToString(status)
    if status == ms.kInfeasible:
        return LPBound(None, None, None, None, None, name, time.perf_counter() - t0, True)
    if status != ms.kOptimal:
        return LPBound(None, None, None, None, None, name, time.perf_counter() - t0)
    sol = h.getSolution()
    col = np.asarray(sol.col_value)
    dual = np.asarray(sol.row_dual)
    info = h.getInfo()
    return LPBound(float(info.objective_function_value), col[:k], col[k:], -dual[:n],
                   float(dual[r_part]), name, time.perf_counter() - t0)


def strong_model(instance: Instance, *, links: np.ndarray | None = None,
                 hosts: np.ndarray | None = None, valid_inequality: bool = True,
                 integer: bool = False) -> Any:
    """The strong formulation as one ``highspy.HighsLp`` built from numpy arrays.

    Columns: ``x`` of the chosen links (all by default), then ``y`` of every
    host (hosts outside the boolean mask ``hosts`` get upper bound 0). Rows:
    devices, capacities, one linking row per chosen link, participation and
    (optionally) the valid inequality. ``integer=True`` marks all columns
    integer (a MIP).
    """
    import highspy

    n, m = instance.n_devices, instance.n_hosts
    t = instance.min_participants
    sel = np.arange(instance.n_links) if links is None else np.asarray(links, dtype=np.int64)
    k = sel.size
    a = instance.rounds_ratio * instance.link_cost[sel]
    dev = instance.link_device[sel].astype(np.int64)
    host = instance.link_host[sel].astype(np.int64)
    work = instance.workload
    cap = instance.capacity
    # row blocks: devices [0, n), capacity [n, n+m), linking [n+m, n+m+k), participation, VI
    r_cap = n
    r_link = n + m
    r_part = n + m + k
    r_vi = r_part + 1
    n_rows = r_vi + (1 if valid_inequality else 0)
    # x columns: device row, capacity row, linking row, participation row
    x_rows = np.stack((dev, r_cap + host, r_link + np.arange(k), np.full(k, r_part)), axis=1)
    x_vals = np.stack((np.ones(k), work[dev], np.ones(k), np.ones(k)), axis=1)
    # y columns: capacity row (-R_j), linking rows of the host's links (-1), VI row (R_j)
    order = np.argsort(host, kind="stable")
    per_host = np.bincount(host, minlength=m)
    y_len = 1 + per_host + (1 if valid_inequality else 0)
    y_rows = np.empty(int(y_len.sum()), dtype=np.int64)
    y_vals = np.empty(y_rows.size)
    y_start = np.concatenate(([0], np.cumsum(y_len)[:-1])).astype(np.int64)
    y_rows[y_start] = r_cap + np.arange(m)
    y_vals[y_start] = -cap
    # linking rows of host j go right after its capacity entry
    link_pos = np.repeat(y_start + 1, per_host) + (np.arange(k) - np.repeat(
        np.concatenate(([0], np.cumsum(per_host)[:-1])), per_host))
    y_rows[link_pos] = r_link + order
    y_vals[link_pos] = -1.0
    if valid_inequality:
        vi_pos = y_start + y_len - 1
        y_rows[vi_pos] = r_vi
        y_vals[vi_pos] = cap
    starts = np.concatenate((4 * np.arange(k), 4 * k + y_start, [4 * k + y_rows.size]))
    index = np.concatenate((x_rows.reshape(-1), y_rows)).astype(np.int32)
    value = np.concatenate((x_vals.reshape(-1), y_vals))
    lp = highspy.HighsLp()
    lp.num_col_ = k + m
    lp.num_row_ = n_rows
    lp.col_cost_ = np.concatenate((a, instance.edge_cost))
    lp.col_lower_ = np.zeros(k + m)
    upper = np.ones(k + m)
    upper[:k][~instance.fits[sel]] = 0.0
    if hosts is not None:
        upper[k:][~np.asarray(hosts, dtype=bool)] = 0.0
    lp.col_upper_ = upper
    row_lo = np.full(n_rows, -highspy.kHighsInf)
    row_hi = np.zeros(n_rows)
    row_hi[:n] = 1.0
    row_lo[r_part] = float(t)
    row_hi[r_part] = highspy.kHighsInf
    if valid_inequality:
        row_lo[r_vi] = float(np.sort(work)[:t].sum()) if t else 0.0
        row_hi[r_vi] = highspy.kHighsInf
    lp.row_lower_ = row_lo
    lp.row_upper_ = row_hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = starts.astype(np.int32)
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * (k + m)
    return lp
