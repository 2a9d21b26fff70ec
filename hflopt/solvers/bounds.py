"""Lower bounds for HFLOP: the LP relaxation, built from numpy arrays for HiGHS.

The LP relaxation of the strong formulation (``x_ij <= y_j`` for every link)
is built by :func:`~hflopt.solvers.highs_direct.build_arrays` (numpy arrays,
one ``passModel`` call). Rows:

- ``sum_j x_ij <= 1`` per device,
- ``sum_i D_i x_ij - R_j y_j <= 0`` per host (capacity),
- ``x_ij - y_j <= 0`` per link (linking),
- ``sum_ij x_ij >= T`` (participation),
- ``sum_j R_j y_j >= W_T`` (:func:`~hflopt.solvers.links.cover_value`, a
  valid inequality HiGHS does not derive; see SOLVER-NOTES),

with ``0 <= x, y <= 1``. Links whose workload exceeds the host capacity are
fixed to 0. The LP optimum is a valid lower bound on the HFLOP optimum;
hflopt reports it only when HiGHS proves the LP optimal.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from hflopt.instance import Instance
from hflopt.solvers._common import Deadline
from hflopt.solvers.highs_direct import build_arrays, new_highs

__all__ = ["LPBound", "lp_bound"]


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


def lp_bound(instance: Instance, *, time_limit: float | None = None, threads: int | None = None,
             verbose: bool = False, valid_inequality: bool = True) -> LPBound:
    """Solve the LP relaxation of the strong formulation with HiGHS.

    Parameters
    ----------
    time_limit:
        Seconds; past it the bound is reported as unknown (None).
    valid_inequality:
        Add the cover row ``sum_j R_j y_j >= W_T``.

    Returns
    -------
    LPBound
        The bound, the LP solution and the duals of the device and
        participation rows.
    """
    import highspy

    t0 = time.perf_counter()
    deadline = Deadline(time_limit)
    arrays = build_arrays(instance, variant="strong", capacity_on_y=True, total_capacity_row=valid_inequality,
                          skip_singletons=False)
    k = instance.n_links
    arrays.col_upper[:k][~instance.fits] = 0.0  # a device that does not fit a host is never sent there
    h = new_highs(verbose=verbose, threads=threads)
    if math.isfinite(deadline.remaining()):
        h.setOptionValue("time_limit", max(0.01, deadline.remaining()))
    arrays.pass_to(h, relax=True)
    h.run()
    status = h.getModelStatus()
    ms = highspy.HighsModelStatus
    name = h.modelStatusToString(status)
    if status != ms.kOptimal:
        return LPBound(None, None, None, None, None, name, time.perf_counter() - t0, status == ms.kInfeasible)
    sol = h.getSolution()
    col = np.asarray(sol.col_value)
    dual = np.asarray(sol.row_dual)
    device_dual = np.zeros(instance.n_devices)
    lo, hi = arrays.blocks["assign"]
    device_dual[arrays.block_keys["assign"]] = -dual[lo:hi]
    part = float(dual[arrays.blocks["participate"][0]]) if "participate" in arrays.blocks else 0.0
    return LPBound(float(h.getInfo().objective_function_value), col[:k], col[k:], device_dual, part, name,
                   time.perf_counter() - t0)
