"""The LP relaxation the exact solver prices links with: built over a core, warm-started.

:func:`solve_core_lp` solves the LP relaxation of the strengthened model
(capacity rows against ``R_j y_j``, ``x <= y``, the cover row) over a *core*
of links, grouped per (device, cost) where capacity cannot bind
(:func:`~hflopt.solvers.highs_direct.build_grouped`). A "served by nobody"
column per device keeps a small core's LP feasible. Between rounds of column
generation the simplex basis is carried over by the keys of the columns and
rows (:class:`LPBasis`), so a round costs a few hundred iterations instead of
a cold solve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from hflopt.solvers._common import Deadline
from hflopt.solvers.highs_direct import build_grouped, new_highs, run_highs
from hflopt.solvers.links import LinkData

__all__ = ["LPBasis", "LPResult", "initial_core", "solve_core_lp"]

# Row blocks of the LP, in a fixed order: a row's key is its block's position
# times a stride plus its device, host, link or group (see _basis_keys).
_ROW_BLOCKS = ("assign", "participate", "capacity", "link", "agg_upper", "agg_lower", "group",
               "cover")


def _basis_keys(data: LinkData, gm: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """Keys naming the LP's columns and rows independently of their positions.

    Columns: x by link, z by its group's representative link, y by host, the
    artificial columns by device; rows by block and device/host/link/group.
    Two rounds of column generation share a column or row exactly when they
    share its key. None if the model has a block this does not know.
    """
    arrays = gm.arrays
    n_links = data.k
    heads = gm.group_links[gm.group_ptr[:-1]] if gm.n_z else np.zeros(0, dtype=np.int64)
    zkey = data.group_rep[heads]
    cols = np.concatenate([gm.x_links, n_links + zkey, 2 * n_links + np.arange(data.m),
                           2 * n_links + data.m + arrays.block_keys["assign"]]).astype(np.int64)
    stride = 2 * n_links + data.m + data.n + 1
    rows = np.empty(arrays.n_rows, dtype=np.int64)
    for name, (lo, hi) in arrays.blocks.items():
        if name not in _ROW_BLOCKS:
            return None
        if name == "group":
            key = zkey
        elif name in arrays.block_keys:
            key = np.asarray(arrays.block_keys[name], dtype=np.int64)
        else:
            key = np.arange(hi - lo, dtype=np.int64)
        rows[lo:hi] = _ROW_BLOCKS.index(name) * stride + key
    return cols, rows


@dataclass
class LPBasis:
    """A simplex basis by column and row keys (:func:`_basis_keys`), sorted by key."""

    col_keys: np.ndarray
    col_status: np.ndarray
    row_keys: np.ndarray
    row_status: np.ndarray

    @classmethod
    def read(cls, h: Any, cols: np.ndarray, rows: np.ndarray) -> LPBasis | None:
        b = h.getBasis()
        if not b.valid or len(b.col_status) != cols.size or len(b.row_status) != rows.size:
            return None
        cs = np.array([v.value for v in b.col_status], dtype=np.int8)
        rs = np.array([v.value for v in b.row_status], dtype=np.int8)
        oc, orr = np.argsort(cols), np.argsort(rows)
        return cls(cols[oc], cs[oc], rows[orr], rs[orr])

    @staticmethod
    def _lookup(keys: np.ndarray, status: np.ndarray, want: np.ndarray, default: int) -> np.ndarray:
        """Status of each key in ``want`` (``default`` where ``keys`` lacks it)."""
        if keys.size == 0:
            return np.full(want.size, default, dtype=np.int8)
        pos = np.minimum(np.searchsorted(keys, want), keys.size - 1)
        return np.where(keys[pos] == want, status[pos], default).astype(np.int8)

    def apply(self, h: Any, cols: np.ndarray, rows: np.ndarray) -> bool:
        """Give ``h`` this basis mapped onto its LP: new columns at their lower
        bound (zero), new rows basic.

        When a host became binding, its grouped columns gave way to link
        columns and the count of basic variables may be off by a few; the
        basis is then passed as "alien" and HiGHS completes it.
        """
        import highspy

        bs = highspy.HighsBasisStatus
        basic, lower = int(bs.kBasic), int(bs.kLower)
        cs = self._lookup(self.col_keys, self.col_status, cols, lower)
        rs = self._lookup(self.row_keys, self.row_status, rows, basic)
        members = {int(v): v for v in bs.__members__.values()}
        basis = highspy.HighsBasis()
        basis.col_status = [members[v] for v in cs.tolist()]
        basis.row_status = [members[v] for v in rs.tolist()]
        basis.alien = int((cs == basic).sum() + (rs == basic).sum()) != rows.size
        basis.valid = True
        return h.setBasis(basis) != highspy.HighsStatus.kError


@dataclass
class LPResult:
    """One LP round: duals (``u``, ``mu``), the primal solution, and how it went."""

    u: np.ndarray
    mu: float
    y: np.ndarray
    x: np.ndarray  # over instance links (0 outside the core)
    objective: float
    seconds: float
    solver: str
    ok: bool
    basis: LPBasis | None = None
    warm: bool = False
    iterations: int = 0


@dataclass(frozen=True)
class CoreLPSettings:
    """How the LP of one round is built and solved."""

    capacitated: bool
    ipm_columns: int  #: cores with more columns: interior point without crossover
    threads: int | None = None
    verbose: bool = False


def solve_core_lp(data: LinkData, core: np.ndarray, closed: np.ndarray, deadline: Deadline,
                  settings: CoreLPSettings, warm: LPBasis | None = None) -> LPResult:
    """LP relaxation of the strengthened model over the ``core`` links (grouped).

    ``warm``: the basis of the previous round's LP, mapped onto this one by the
    keys of its columns and rows (simplex only).
    """
    gm = build_grouped(data.instance, core, closed=closed, uncapacitated=not settings.capacitated,
                       total_capacity_row=True, assign_equal=data.equal, skip_singletons=False)
    arrays = gm.arrays
    # x, z <= 1 are implied by the assignment rows; without the redundant column
    # bounds the LP prices devices through those rows, which is what the
    # Lagrangian bound needs
    arrays.col_upper[: gm.y_offset] = np.inf
    use_ipm = arrays.n_cols > settings.ipm_columns
    opts: dict[str, Any] = {}
    if use_ipm:
        opts = {"solver": "ipm", "run_crossover": "off", "ipm_optimality_tolerance": 1e-6}
    h = new_highs(verbose=settings.verbose, threads=settings.threads, options=opts)
    arrays.pass_to(h, relax=True)
    _add_artificial_columns(h, data, arrays)
    keys = None if use_ipm else _basis_keys(data, gm)
    warmed = warm is not None and keys is not None and warm.apply(h, *keys)
    run = run_highs(h, deadline=deadline, mip=False, duals=True)
    basis = LPBasis.read(h, *keys) if keys is not None and run.model_status == "Optimal" else None
    ok = run.row_dual is not None and run.col_value is not None and not run.timed_out
    u, mu, x, y = _duals_and_values(data, gm, core, run) if ok else (
        np.zeros(data.n), 0.0, np.zeros(data.k), np.zeros(data.m))
    return LPResult(u, mu, y, x, run.objective if run.objective is not None else -math.inf,
                    run.seconds, "ipm" if use_ipm else "simplex", ok, basis, warmed, run.iterations)


def _duals_and_values(data: LinkData, gm: Any, core: np.ndarray, run: Any
                      ) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """``(u, mu, x, y)``: assignment and participation duals, link and host values."""
    arrays = gm.arrays
    u = np.zeros(data.n)
    lo, hi = arrays.blocks["assign"]
    u[arrays.block_keys["assign"]] = -run.row_dual[lo:hi]
    if not data.equal:
        u = np.maximum(u, 0.0)
    mu = max(0.0, float(run.row_dual[arrays.blocks["participate"][0]]))
    y = np.clip(run.col_value[gm.y_offset: gm.y_offset + data.m], 0.0, 1.0)
    x = np.zeros(data.k)
    x[core] = run.col_value[gm.col_of_link[core]]
    return u, mu, x, y


def _add_artificial_columns(h: Any, data: LinkData, arrays: Any) -> None:
    """One "served by nobody" column per device, dearer than any real way to serve it.

    A core of a few links per device can leave the LP infeasible (tight
    capacities with every device served): these columns keep it feasible, so
    it still gives duals, and the Lagrangian bound (valid for any
    multipliers) prices the missing links into the core. They count in the
    assignment row and the participation row; an optimal LP over all links
    never uses them unless the instance itself is infeasible.
    """
    lo, hi = arrays.blocks["assign"]
    k = hi - lo
    if k == 0:
        return
    part = arrays.blocks["participate"][0]
    big = 2.0 * (float(data.a.max(initial=0.0)) + float(data.f.max(initial=0.0))) + 1.0
    index = np.empty(2 * k, dtype=np.int32)
    index[0::2] = np.arange(lo, hi, dtype=np.int32)
    index[1::2] = part
    h.addCols(k, np.full(k, big), np.zeros(k), np.ones(k), 2 * k,
              np.arange(0, 2 * k, 2, dtype=np.int32), index, np.ones(2 * k))


def initial_core(data: LinkData, links: np.ndarray, per_device: int) -> np.ndarray:
    """Each device's ``per_device`` most promising links (cost + capacity share of C_e)."""
    host = data.host[links]
    cap = data.R[host]
    share = np.where(cap > 0, data.d[links] / np.maximum(cap, 1e-300), 1.0)
    score = data.a[links] + data.f[host] * np.minimum(1.0, np.maximum(share, 1.0 / max(1, data.n)))
    order = np.lexsort((score, data.dev[links]))
    devs = data.dev[links][order]
    first = np.searchsorted(devs, devs, side="left")
    rank = np.arange(order.size) - first
    return np.sort(links[order[rank < per_device]])
