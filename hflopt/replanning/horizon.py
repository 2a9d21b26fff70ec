r"""The whole day as one MILP: every period's HFLOP plus the migration terms linking periods.

For periods :math:`t = 0..P-1`, links :math:`k = (i, j)` and hosts :math:`j`:

.. math::

    \min \sum_t \Big( \sum_j C^e_j y_{jt} + l \sum_k C^d_k x_{kt} \Big)
         + c_m \sum_{t,i} m_{it} + c_o \sum_{t,j} o_{jt} + c_c \sum_{t,j} z_{jt}

subject to, for every period :math:`t`,

- :math:`\sum_{k \ni i} x_{kt} = a_{it} \le 1` (device ``i`` takes part when :math:`a_{it} = 1`),
- :math:`\sum_i a_{it} \ge T`,
- :math:`\sum_{k \ni j} D_{it} x_{kt} \le R_j y_{jt}` (capacity against period ``t``'s workloads),
- :math:`x_{kt} \le y_{jt}` and :math:`y_{jt} \le \sum_{k \ni j} x_{kt}` (a host is open
  exactly when some device reports to it, as in :class:`~hflopt.Solution`),
- migrations: :math:`x_{kt} + a_{i,t-1} - x_{k,t-1} - m_{it} \le 1` (device ``i`` took part
  at ``t-1`` on another host and reports to ``j`` now),
- openings and closings: :math:`o_{jt} \ge y_{jt} - y_{j,t-1}`, :math:`z_{jt} \ge y_{j,t-1} - y_{jt}`,

with the previous period of ``t = 0`` the ``initial`` plan when one is given
(nothing is charged for period 0 otherwise). ``x, y`` are binary; ``a, m,
o, z`` continuous in [0, 1] (integral at every integral ``x, y``). Columns
for ``m``, ``o``, ``z`` exist only when their price is positive.

The model has ``P`` times the columns of one period's: it is the yardstick
for small instances (tens of hosts, hundreds of devices), where it gives the
true optimum of total cost plus change charges; on larger ones it returns
the best plan found within the time limit with a certified bound. It is
built as arrays and passed to HiGHS in one call
(:mod:`hflopt.solvers.highs_direct`), started from another policy's plans.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hflopt.instance import Instance
from hflopt.replanning.changes import ChangeCosts
from hflopt.replanning.workloads import Workloads
from hflopt.solution import Solution
from hflopt.solvers._common import Deadline
from hflopt.solvers.highs_direct import HighsRun, MilpArrays, highs_with, run_highs

log = logging.getLogger(__name__)

__all__ = ["HorizonModel", "HorizonOutcome", "build_horizon", "solve_horizon"]


@dataclass
class _Coo:
    """Rows collected as coordinate triplets, turned into CSR once."""

    rows: list[np.ndarray]
    cols: list[np.ndarray]
    vals: list[np.ndarray]
    lower: list[np.ndarray]
    upper: list[np.ndarray]
    n_rows: int = 0

    def add(self, row: np.ndarray, col: np.ndarray, val: np.ndarray | float, lo: np.ndarray | float,
            up: np.ndarray | float, count: int) -> None:
        """``count`` new rows; ``row`` numbers them 0..count-1 among themselves."""
        self.rows.append(np.asarray(row, dtype=np.int64) + self.n_rows)
        self.cols.append(np.asarray(col, dtype=np.int64))
        self.vals.append(np.broadcast_to(np.asarray(val, dtype=np.float64), np.shape(col)).copy())
        self.lower.append(np.broadcast_to(np.asarray(lo, dtype=np.float64), (count,)).copy())
        self.upper.append(np.broadcast_to(np.asarray(up, dtype=np.float64), (count,)).copy())
        self.n_rows += count

    def csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        row = np.concatenate(self.rows)
        col = np.concatenate(self.cols)
        val = np.concatenate(self.vals)
        order = np.lexsort((col, row))
        start = np.zeros(self.n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(row, minlength=self.n_rows), out=start[1:])
        return start, col[order], val[order], np.concatenate(self.lower), np.concatenate(self.upper)


@dataclass
class HorizonModel:
    """The MILP's arrays and where each kind of column starts."""

    arrays: MilpArrays
    periods: int
    x0: int
    y0: int
    a0: int
    m0: int | None
    o0: int | None
    z0: int | None
    charged: list[int]  #: periods with a previous plan (t >= 1, and 0 with an initial plan)


def _columns(base: Instance, p: int, costs: ChangeCosts, charged: list[int]) -> tuple[dict[str, int | None], int]:
    k, m, n = base.n_links, base.n_hosts, base.n_devices
    at = {"x0": 0, "y0": p * k, "a0": p * k + p * m}
    nxt = p * k + p * m + p * n
    for name, price, size in (("m0", costs.migration, n), ("o0", costs.opening, m), ("z0", costs.closing, m)):
        if price > 0 and charged:
            at[name] = nxt
            nxt += len(charged) * size
        else:
            at[name] = None
    return at, nxt


def build_horizon(base: Instance, workloads: Workloads, costs: ChangeCosts,
                  initial: Solution | None = None) -> HorizonModel:
    """The multi-period MILP of ``base`` under ``workloads`` (aligned to ``base``) and ``costs``."""
    p, k, m, n = workloads.n_periods, base.n_links, base.n_hosts, base.n_devices
    charged = list(range(0 if initial is not None else 1, p))
    at, n_cols = _columns(base, p, costs, charged)
    cost = np.zeros(n_cols)
    upper = np.ones(n_cols)
    integ = np.zeros(n_cols, dtype=np.int32)
    integ[: at["a0"]] = 1
    coo = _Coo([], [], [], [], [])
    for t in range(p):
        cost[at["x0"] + t * k: at["x0"] + (t + 1) * k] = base.rounds_ratio * base.link_cost
        cost[at["y0"] + t * m: at["y0"] + (t + 1) * m] = base.edge_cost
        _period_rows(coo, base, workloads.rates[t], at, t)
    for s, t in enumerate(charged):
        _change_rows(coo, base, at, s, t, initial)
    for name, price, size in (("m0", costs.migration, n), ("o0", costs.opening, m), ("z0", costs.closing, m)):
        if at[name] is not None:
            cost[at[name]: at[name] + len(charged) * size] = price
    start, index, value, lo, up = coo.csr()
    arrays = MilpArrays(n_links=p * k, n_hosts=p * m, col_cost=cost, col_lower=np.zeros(n_cols), col_upper=upper,
                        integrality=integ, row_lower=lo, row_upper=up, start=start, index=index, value=value)
    return HorizonModel(arrays, p, at["x0"], at["y0"], at["a0"], at["m0"], at["o0"], at["z0"], charged)


def _period_rows(coo: _Coo, base: Instance, workload: np.ndarray, at: dict[str, Any], t: int) -> None:
    k, m, n = base.n_links, base.n_hosts, base.n_devices
    links = np.arange(k)
    x = at["x0"] + t * k + links
    y = at["y0"] + t * m
    a = at["a0"] + t * n
    dev, host = base.link_device, base.link_host
    # sum_k x_kt - a_it = 0
    coo.add(np.concatenate([dev, np.arange(n)]), np.concatenate([x, a + np.arange(n)]),
            np.concatenate([np.ones(k), -np.ones(n)]), 0.0, 0.0, n)
    # sum_i a_it >= T
    coo.add(np.zeros(n, dtype=np.int64), a + np.arange(n), 1.0, float(base.min_participants), np.inf, 1)
    # capacity: sum D x - R y <= 0
    coo.add(np.concatenate([host, np.arange(m)]), np.concatenate([x, y + np.arange(m)]),
            np.concatenate([workload[dev], -base.capacity]), -np.inf, 0.0, m)
    # x_kt - y_jt <= 0
    coo.add(np.concatenate([links, links]), np.concatenate([x, y + host]),
            np.concatenate([np.ones(k), -np.ones(k)]), -np.inf, 0.0, k)
    # y_jt - sum_k x_kt <= 0
    coo.add(np.concatenate([np.arange(m), host]), np.concatenate([y + np.arange(m), x]),
            np.concatenate([np.ones(m), -np.ones(k)]), -np.inf, 0.0, m)


def _change_rows(coo: _Coo, base: Instance, at: dict[str, Any], s: int, t: int,
                 initial: Solution | None) -> None:
    """Migration, opening and closing rows of period ``t`` (the ``s``-th charged period)."""
    k, m, n = base.n_links, base.n_hosts, base.n_devices
    links = np.arange(k)
    x = at["x0"] + t * k + links
    y = at["y0"] + t * m + np.arange(m)
    dev, host = base.link_device, base.link_host
    if at["m0"] is not None:
        mig = at["m0"] + s * n + dev
        if t > 0:  # x_kt + a_i,t-1 - x_k,t-1 - m_it <= 1
            prev_x = at["x0"] + (t - 1) * k + links
            prev_a = at["a0"] + (t - 1) * n + dev
            rows = np.tile(links, 4)
            coo.add(rows, np.concatenate([x, prev_a, prev_x, mig]),
                    np.concatenate([np.ones(k), np.ones(k), -np.ones(k), -np.ones(k)]), -np.inf, 1.0, k)
        else:  # against the initial plan: x_k0 - m_i0 <= 0 on links away from the device's host
            prev = initial.host_of[dev]  # type: ignore[union-attr]
            away = np.flatnonzero((prev >= 0) & (host != prev))
            r = np.arange(away.size)
            coo.add(np.concatenate([r, r]), np.concatenate([x[away], mig[away]]),
                    np.concatenate([np.ones(away.size), -np.ones(away.size)]), -np.inf, 0.0, away.size)
    if at["o0"] is None and at["z0"] is None:
        return
    if t > 0:
        prev_y: np.ndarray | None = at["y0"] + (t - 1) * m + np.arange(m)
        was = np.zeros(m)
    else:
        prev_y = None
        was = np.zeros(m)
        was[initial.open_hosts()] = 1.0  # type: ignore[union-attr]
    for name, sign in (("o0", 1.0), ("z0", -1.0)):
        if at[name] is None:
            continue
        extra = at[name] + s * m + np.arange(m)
        r = np.arange(m)
        # open: y_t - y_t-1 - o <= 0 ; close: y_t-1 - y_t - z <= 0
        if prev_y is not None:
            coo.add(np.tile(r, 3), np.concatenate([y, prev_y, extra]),
                    np.concatenate([np.full(m, sign), np.full(m, -sign), -np.ones(m)]), -np.inf, 0.0, m)
        else:
            coo.add(np.tile(r, 2), np.concatenate([y, extra]), np.concatenate([np.full(m, sign), -np.ones(m)]),
                    -np.inf, sign * was, m)


def start_columns(model: HorizonModel, base: Instance, plans: Sequence[Solution],
                  initial: Solution | None) -> np.ndarray:
    """The column values of a plan per period (a MIP start)."""
    arr = model.arrays
    vec = np.zeros(arr.n_cols)
    k, m, n = base.n_links, base.n_hosts, base.n_devices
    for t, plan in enumerate(plans):
        links = plan.link_indices(base)
        used = links[links >= 0]
        vec[model.x0 + t * k + used] = 1.0
        vec[model.y0 + t * m + plan.open_hosts()] = 1.0
        vec[model.a0 + t * n + np.flatnonzero(plan.host_of >= 0)] = 1.0
    for s, t in enumerate(model.charged):
        before = plans[t - 1] if t > 0 else initial
        after = plans[t]
        a, b = before.host_of, after.host_of  # type: ignore[union-attr]
        if model.m0 is not None:
            vec[model.m0 + s * n + np.flatnonzero((a >= 0) & (b >= 0) & (a != b))] = 1.0
        was = np.zeros(m, dtype=bool)
        was[before.open_hosts()] = True  # type: ignore[union-attr]
        now = np.zeros(m, dtype=bool)
        now[after.open_hosts()] = True
        if model.o0 is not None:
            vec[model.o0 + s * m + np.flatnonzero(now & ~was)] = 1.0
        if model.z0 is not None:
            vec[model.z0 + s * m + np.flatnonzero(was & ~now)] = 1.0
    return vec


def plans_from_columns(model: HorizonModel, base: Instance, col_value: np.ndarray) -> list[Solution]:
    """The plan of each period in a column vector."""
    k = base.n_links
    plans = []
    for t in range(model.periods):
        chosen = np.flatnonzero(col_value[model.x0 + t * k: model.x0 + (t + 1) * k] > 0.5)
        host_of = np.full(base.n_devices, -1, dtype=np.int64)
        host_of[base.link_device[chosen]] = base.link_host[chosen]
        plans.append(Solution(host_of))
    return plans


@dataclass
class HorizonOutcome:
    """What the horizon MILP gave: plans (None: none found), objective, bound, HiGHS's run."""

    plans: list[Solution] | None
    objective: float | None
    bound: float | None
    run: HighsRun
    build_seconds: float


def solve_horizon(base: Instance, workloads: Workloads, costs: ChangeCosts, *, initial: Solution | None,
                  start: Sequence[Solution] | None, deadline: Deadline, gap: float = 0.0,
                  highs: dict[str, Any] | None = None,
                  progress: Callable[..., None] | None = None) -> HorizonOutcome:
    """Build and solve the multi-period MILP within ``deadline``, started from plans ``start``."""
    import time

    t0 = time.perf_counter()
    model = build_horizon(base, workloads, costs, initial)
    arrays = model.arrays
    opts = dict(highs or {})
    h = highs_with(arrays, **opts)
    vec = start_columns(model, base, start, initial) if start is not None else None
    built = time.perf_counter() - t0
    log.info("horizon MILP: %d columns, %d rows, %d nonzeros, built in %.2f s", arrays.n_cols, arrays.n_rows,
             arrays.n_nonzeros, built)
    run = run_highs(h, deadline=deadline, rel_gap=gap, start=vec, progress=progress, phase="horizon MILP",
                    col_cost=arrays.col_cost, fresh=lambda: highs_with(arrays, **opts))
    plans = plans_from_columns(model, base, run.col_value) if run.col_value is not None else None
    return HorizonOutcome(plans, run.objective, run.bound, run, built)
