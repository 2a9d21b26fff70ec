r"""HFLOP as numpy arrays handed to HiGHS in one call (no modelling layer).

This module builds exactly the MILP of :mod:`hflopt.model` (variants
``strong``, ``bigm``, ``both`` and the uncapacitated model) as a row-wise
sparse matrix with whole-array numpy operations, passes it to ``highspy``
with a single ``passModel`` call and runs HiGHS under a watchdog. Building a
10^6-link model takes about a second instead of the minutes a per-constraint
modelling layer needs.

Column layout: ``x_k`` for every link ``k`` (in the instance's link order),
then ``y_j`` for every host. Row blocks (in this order, each optional):

==============  =========================================================
``assign``      ``sum_{k in K_i} x_k <= 1`` for devices with >= 2 links
                (``= 1`` with ``assign_equal``)
``participate`` ``sum_k x_k >= T``
``capacity``    ``sum_{k in K^j, D>0} D_{i_k} x_k <= R_j`` (or ``<= R_j y_j``
                with ``capacity_on_y``)
``link``        ``x_k - y_{j_k} <= 0`` (variants strong and both)
``agg_upper``   ``sum_{k in K^j} x_k - n_j y_j <= 0`` (variant bigm)
``agg_lower``   ``sum_{k in K^j} x_k - y_j >= 0`` (variants bigm and both)
``cover``       ``sum_j R_j y_j >= W_T``, the T smallest servable workloads
                (``total_capacity_row``)
==============  =========================================================

:func:`build_plain` is the textbook formulation (strong linking, capacity
rows against ``R_j``) used as the benchmark baseline; :func:`solve_plain`
solves it and returns an honest :class:`~hflopt.Result`.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hflopt.errors import SolverError, SolverFailure
from hflopt.instance import Instance
from hflopt.model import VARIANTS, host_of_from_x
from hflopt.solution import Result, Solution
from hflopt.solvers._common import (
    Deadline,
    Progress,
    ProgressCallback,
    finish,
    infeasibility_reason,
    interrupt_armed,
    interrupted,
)
from hflopt.solvers.links import cover_value, granularity

__all__ = [
    "GroupedModel",
    "HighsRun",
    "MilpArrays",
    "build_arrays",
    "build_grouped",
    "build_plain",
    "check_highs_options",
    "highs_with",
    "new_highs",
    "run_highs",
    "solve_plain",
    "start_vector",
]

_INF = math.inf


@dataclass
class MilpArrays:
    """A HFLOP MILP in row-wise sparse form, ready for ``Highs.passModel``.

    Attributes
    ----------
    n_links, n_hosts:
        Number of ``x`` columns (first) and ``y`` columns (after them).
    col_cost, col_lower, col_upper, integrality:
        Column data (integrality 1 = integer).
    row_lower, row_upper:
        Row bounds.
    start, index, value:
        CSR matrix: the entries of row ``r`` are ``start[r]:start[r+1]``.
    blocks:
        Row range of each block (``assign``, ``capacity``, ...).
    block_keys:
        For row blocks indexed by device or host: the device/host of each row.
    """

    n_links: int
    n_hosts: int
    col_cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integrality: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    start: np.ndarray
    index: np.ndarray
    value: np.ndarray
    offset: float = 0.0
    blocks: dict[str, tuple[int, int]] = field(default_factory=dict)
    block_keys: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n_cols(self) -> int:
        return int(self.col_cost.size)

    @property
    def n_rows(self) -> int:
        return int(self.row_lower.size)

    @property
    def n_nonzeros(self) -> int:
        return int(self.value.size)

    def pass_to(self, h: Any, *, relax: bool = False) -> None:
        """Load the model into ``highspy.Highs`` ``h`` with one ``passModel`` call.

        ``relax=True`` passes the LP relaxation (no integrality).
        """
        import highspy

        integrality = (np.zeros(self.n_cols, dtype=np.int32) if relax
                       else self.integrality.astype(np.int32, copy=False))
        status = h.passModel(
            self.n_cols, self.n_rows, self.n_nonzeros,
            int(highspy.MatrixFormat.kRowwise), int(highspy.ObjSense.kMinimize), float(self.offset),
            self.col_cost, self.col_lower, self.col_upper, self.row_lower, self.row_upper,
            self.start.astype(np.int32, copy=False), self.index.astype(np.int32, copy=False),
            self.value, integrality,
        )
        if status == highspy.HighsStatus.kError:
            raise SolverFailure("HiGHS rejected the model (passModel returned an error)")

    def row_activity(self, col_value: np.ndarray) -> np.ndarray:
        """``A @ col_value`` (for checks)."""
        rows = np.repeat(np.arange(self.n_rows), np.diff(self.start))
        return np.bincount(rows, weights=self.value * col_value[self.index], minlength=self.n_rows)


def _group_by_host(host: np.ndarray, m: int, mask: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Link indices sorted by host (stable) and the host pointer array (CSR)."""
    idx = np.arange(host.size) if mask is None else np.flatnonzero(mask)
    order = idx[np.argsort(host[idx], kind="stable")]
    counts = np.bincount(host[idx], minlength=m)
    ptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    return order, ptr


def build_arrays(
    instance: Instance,
    *,
    variant: str = "strong",
    uncapacitated: bool = False,
    capacity_on_y: bool = False,
    total_capacity_row: bool = False,
    assign_equal: bool = False,
    skip_singletons: bool = True,
) -> MilpArrays:
    """Build the HFLOP MILP of :mod:`hflopt.model` as sparse numpy arrays.

    Parameters
    ----------
    instance:
        The instance; one ``x`` column per link, one ``y`` column per host.
    variant:
        ``"strong"`` (``x_k <= y_j``), ``"bigm"`` (aggregated) or ``"both"``.
    uncapacitated:
        Drop the capacity rows.
    capacity_on_y:
        Write capacity rows as ``sum D x <= R_j y_j`` (valid strengthening:
        a closed host has no load).
    total_capacity_row:
        Add ``sum_j R_j y_j >= W_T`` (see :func:`~hflopt.solvers.links.cover_value`); ignored when
        uncapacitated.
    assign_equal:
        Assignment rows as equalities (only valid when T = N).
    skip_singletons:
        Omit assignment rows of devices with at most one link (as the Pyomo
        model does; the column bound ``x <= 1`` covers them). Ignored with
        ``assign_equal``.

    Returns
    -------
    MilpArrays
        With default options the rows and columns are those of
        :func:`hflopt.model.build_model` (same row count, same optimum).
    """
    if variant not in VARIANTS:
        raise SolverError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    k, m = instance.n_links, instance.n_hosts
    rows = _Rows()
    _assignment_rows(rows, instance, assign_equal, skip_singletons)
    rows.add("participate", np.array([k]), np.arange(k), np.ones(k), float(instance.min_participants), _INF)
    if not uncapacitated:
        _capacity_rows(rows, instance, capacity_on_y)
    if variant in ("strong", "both"):
        idx = np.empty(2 * k, dtype=np.int64)
        idx[0::2] = np.arange(k)
        idx[1::2] = k + instance.link_host
        rows.add("link", np.full(k, 2), idx, np.tile([1.0, -1.0], k), -_INF, 0.0, np.arange(k))
    if variant in ("bigm", "both"):
        _aggregated_rows(rows, instance, upper=variant == "bigm")
    if total_capacity_row and not uncapacitated:
        rhs = cover_value(instance)
        if rhs > 0:
            rows.add("cover", np.array([m]), k + np.arange(m), instance.capacity.copy(), rhs, _INF)
    return rows.arrays(k, m, np.concatenate([instance.rounds_ratio * instance.link_cost, instance.edge_cost]))


def _assignment_rows(rows: _Rows, instance: Instance, equal: bool, skip_singletons: bool) -> None:
    """``sum_{k in K_i} x_k <= 1`` (``= 1`` when equal) per device (with >= 2 links when skipping)."""
    n, k = instance.n_devices, instance.n_links
    deg = instance.device_degree
    rows_dev = np.flatnonzero(deg >= 2) if (skip_singletons and not equal) else np.arange(n)
    in_row = np.repeat(np.isin(np.arange(n), rows_dev), deg) if rows_dev.size != n else np.ones(k, bool)
    rows.add("assign", deg[rows_dev], np.flatnonzero(in_row), np.ones(int(in_row.sum())),
             1.0 if equal else -_INF, 1.0, rows_dev)


def _capacity_rows(rows: _Rows, instance: Instance, on_y: bool) -> None:
    """``sum D x <= R_j`` per host with load (``<= R_j y_j`` with ``on_y``)."""
    k, m = instance.n_links, instance.n_hosts
    dev = instance.link_device.astype(np.int64)
    host = instance.link_host.astype(np.int64)
    work = instance.workload
    order, hptr = _group_by_host(host, m, work[dev] != 0)
    counts = np.diff(hptr)
    cap_hosts = np.flatnonzero(counts > 0)
    if not on_y:
        rows.add("capacity", counts[cap_hosts], order, work[dev[order]], -_INF,
                 instance.capacity[cap_hosts].copy(), cap_hosts)
        return
    remap = np.full(m, -1, dtype=np.int64)  # each row: its links, then -R_j y_j
    remap[cap_hosts] = np.arange(cap_hosts.size)
    lengths, idx, val = _rows_with_tail(order, remap[host[order]], cap_hosts.size, k + cap_hosts,
                                        -instance.capacity[cap_hosts], work[dev[order]])
    rows.add("capacity", lengths, idx, val, -_INF, 0.0, cap_hosts)


def _aggregated_rows(rows: _Rows, instance: Instance, *, upper: bool) -> None:
    """``sum_{k in K^j} x_k - n_j y_j <= 0`` (``upper``, variant bigm) and ``... - y_j >= 0``."""
    k, m = instance.n_links, instance.n_hosts
    host = instance.link_host.astype(np.int64)
    order, hptr = _group_by_host(host, m)
    counts = np.diff(hptr)
    if upper:
        up_hosts = np.flatnonzero(counts > 0)
        remap = np.full(m, -1, dtype=np.int64)
        remap[up_hosts] = np.arange(up_hosts.size)
        keep = counts[host[order]] > 0
        lengths, idx, val = _rows_with_tail(order[keep], remap[host[order[keep]]], up_hosts.size,
                                            k + up_hosts, -counts[up_hosts].astype(float))
        rows.add("agg_upper", lengths, idx, val, -_INF, 0.0, up_hosts)
    lengths, idx, val = _rows_with_tail(order, host[order], m, k + np.arange(m), -np.ones(m))
    rows.add("agg_lower", lengths, idx, val, 0.0, _INF, np.arange(m))


class _Rows:
    """Accumulates row blocks of a CSR matrix."""

    def __init__(self) -> None:
        self.lengths: list[np.ndarray] = []
        self.index: list[np.ndarray] = []
        self.value: list[np.ndarray] = []
        self.lower: list[np.ndarray] = []
        self.upper: list[np.ndarray] = []
        self.blocks: dict[str, tuple[int, int]] = {}
        self.keys: dict[str, np.ndarray] = {}
        self.n = 0

    def add(self, name: str, lengths: np.ndarray, idx: np.ndarray, val: np.ndarray, lo: Any, up: Any,
            key: np.ndarray | None = None) -> None:
        size = int(lengths.size)
        self.lengths.append(np.asarray(lengths, dtype=np.int64))
        self.index.append(np.asarray(idx, dtype=np.int64))
        self.value.append(np.asarray(val, dtype=np.float64))
        self.lower.append(np.broadcast_to(np.asarray(lo, dtype=np.float64), (size,)))
        self.upper.append(np.broadcast_to(np.asarray(up, dtype=np.float64), (size,)))
        self.blocks[name] = (self.n, self.n + size)
        if key is not None:
            self.keys[name] = key
        self.n += size

    def arrays(self, n_links: int, n_hosts: int, col_cost: np.ndarray) -> MilpArrays:
        lengths = np.concatenate(self.lengths) if self.lengths else np.zeros(0, dtype=np.int64)
        start = np.zeros(lengths.size + 1, dtype=np.int64)
        np.cumsum(lengths, out=start[1:])
        n_cols = col_cost.size

        def cat(xs: list[np.ndarray], dt: Any) -> np.ndarray:
            return np.concatenate(xs).astype(dt) if xs else np.zeros(0, dtype=dt)

        return MilpArrays(
            n_links=n_links, n_hosts=n_hosts, col_cost=col_cost, col_lower=np.zeros(n_cols),
            col_upper=np.ones(n_cols), integrality=np.ones(n_cols, dtype=np.int32),
            row_lower=cat(self.lower, np.float64), row_upper=cat(self.upper, np.float64),
            start=start, index=cat(self.index, np.int64), value=cat(self.value, np.float64),
            blocks=self.blocks, block_keys=self.keys,
        )


def _segments(keys: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Given sorted integer ``keys`` in [0, n): CSR pointer and counts per key."""
    counts = np.bincount(keys, minlength=n)
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    return ptr, counts


def _rows_with_tail(members: np.ndarray, owner: np.ndarray, n_rows: int, tail_col: np.ndarray,
                    tail_val: np.ndarray, member_val: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR rows: row r holds the ``members`` whose ``owner`` is r, then one tail entry.

    ``owner`` must be sorted. Returns (lengths, index, value).
    """
    _, counts = _segments(owner, n_rows)
    lengths = counts + 1
    pos = np.arange(members.size) + owner  # one tail slot per earlier row
    total = members.size + n_rows
    idx = np.empty(total, dtype=np.int64)
    val = np.empty(total)
    idx[pos] = members
    val[pos] = 1.0 if member_val is None else member_val
    ends = np.cumsum(lengths) - 1
    idx[ends] = tail_col
    val[ends] = tail_val
    return lengths, idx, val


@dataclass
class GroupedModel:
    """HFLOP over a subset of links, with interchangeable links grouped.

    A host is *binding* when the devices linked to it (within the subset)
    could exceed its capacity. Links to non-binding hosts never meet a
    capacity row, so which of a device's equally cheap open non-binding hosts
    it reports to does not matter: they are replaced by one column ``z_g``
    per (device, link cost) group with the row ``z_g <= sum_{j in g} y_j``.
    This has the same optimum and the same LP bound as one column per link
    with ``x_ij <= y_j`` (given y, both let the group carry
    ``min(1, sum_j y_j)``), with far fewer rows. Links to binding hosts keep
    their own column ``x_k``, capacity row ``sum D x <= R_j y_j`` and linking
    rows (by ``variant``).

    Columns: ``x`` (``x_links``), then ``z`` (groups), then ``y`` (hosts).
    """

    arrays: MilpArrays
    x_links: np.ndarray
    group_device: np.ndarray
    group_ptr: np.ndarray
    group_links: np.ndarray
    binding: np.ndarray
    col_of_link: np.ndarray  # over instance links: column of x or z, -1 if not in the model
    n_devices: int

    @property
    def n_x(self) -> int:
        return int(self.x_links.size)

    @property
    def n_z(self) -> int:
        return int(self.group_device.size)

    @property
    def y_offset(self) -> int:
        return self.n_x + self.n_z

    def host_of(self, instance: Instance, col_value: np.ndarray) -> np.ndarray:
        """Decode column values to ``host_of``.

        Hosts with ``y > 1/2`` are open and links with ``x > 1/2`` are used;
        the devices still needed to reach T are then served, cheapest first,
        over grouped links to open hosts. Given y and x this is an optimal
        completion (grouped links meet no capacity row), so the result costs
        no more than the column values, also when ``z`` was continuous.
        """
        host_of = np.full(self.n_devices, -1, dtype=np.int64)
        xv = col_value[: self.n_x]
        open_ = col_value[self.y_offset:] > 0.5
        chosen = self.x_links[(xv > 0.5) & open_[instance.link_host[self.x_links]]]
        host_of[instance.link_device[chosen]] = instance.link_host[chosen]
        need = instance.min_participants - int(np.count_nonzero(host_of >= 0))
        gl = self.group_links
        if need > 0 and gl.size:
            dev = instance.link_device[gl]
            ok = open_[instance.link_host[gl]] & (host_of[dev] < 0)
            cand = gl[ok]
            if cand.size:
                cost = instance.link_cost[cand]
                order = np.lexsort((cost, instance.link_device[cand]))
                cand = cand[order]
                devs = instance.link_device[cand]
                first = np.ones(cand.size, dtype=bool)
                first[1:] = devs[1:] != devs[:-1]
                best = cand[first]  # each device's cheapest open grouped link
                best = best[np.argsort(instance.link_cost[best], kind="stable")][:need]
                host_of[instance.link_device[best]] = instance.link_host[best]
        return host_of

    def start(self, instance: Instance, solution: Solution) -> np.ndarray | None:
        """Column values of ``solution``, or None if it uses a link outside the model."""
        vec = np.zeros(self.arrays.n_cols)
        links = solution.link_indices(instance)
        used = links[links >= 0]
        cols = self.col_of_link[used]
        if np.any(cols < 0):
            return None
        vec[cols] = 1.0
        vec[self.y_offset + solution.open_hosts()] = 1.0
        return vec


def build_grouped(
    instance: Instance,
    links: np.ndarray,
    *,
    closed: np.ndarray | None = None,
    uncapacitated: bool = False,
    variant: str = "strong",
    total_capacity_row: bool = True,
    assign_equal: bool = False,
    skip_singletons: bool = True,
    group: bool = True,
    continuous_groups: bool = True,
    link_rows: np.ndarray | None = None,
) -> GroupedModel:
    """Build the HFLOP MILP over ``links`` (instance link indices) as a :class:`GroupedModel`.

    Parameters
    ----------
    links:
        The links that may be used (a restriction of the instance).
    closed:
        Hosts fixed closed (``y_j = 0``).
    variant:
        Linking rows of explicit link columns: ``"strong"`` / ``"both"``
        (``x_k <= y_j``) or ``"bigm"`` (``sum_k x_k <= n_j y_j``).
    total_capacity_row:
        Add ``sum_j R_j y_j >= W_T`` (T smallest workloads of devices with a
        link in ``links``).
    assign_equal:
        Assignment rows as equalities (T = N).
    group:
        Group links of non-binding hosts (False: one column per link).
    link_rows:
        With variant ``strong``/``both``: write ``x_k <= y_j`` only for these
        links (instance link indices) and for zero-workload devices (whose
        link to y is not implied by a capacity row); None writes them all.
        Valid either way (``D_i x_k <= R_j y_j`` forces ``y_j = 1`` when
        ``x_k = 1`` and ``D_i > 0``); fewer rows make node LPs cheaper.
    continuous_groups:
        Declare the group columns continuous. Exact: once y and the x
        columns are integral, what is left (one group per device, the
        participation row) has a totally unimodular matrix, so an optimal
        vertex is integral; :meth:`GroupedModel.host_of` completes any
        solution optimally.
    """
    if variant not in VARIANTS:
        raise SolverError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    sub = _Subset.of(instance, links, uncapacitated)
    explicit = sub.binding[sub.host] | (not group)
    xk = np.flatnonzero(explicit)
    groups = _Groups.of(sub, np.flatnonzero(~explicit))
    n_x, n_z = xk.size, groups.n_z
    y0 = n_x + n_z
    col_cost = np.concatenate([sub.a[xk], groups.cost, np.asarray(instance.edge_cost, dtype=np.float64)])
    col_of_link = np.full(instance.n_links, -1, dtype=np.int64)
    col_of_link[sub.links[xk]] = np.arange(n_x)
    col_of_link[sub.links[groups.links]] = n_x + groups.gid
    rows = _Rows()
    _grouped_assignment_rows(rows, sub, xk, groups, assign_equal, skip_singletons)
    rows.add("participate", np.array([y0]), np.arange(y0), np.ones(y0), float(instance.min_participants), _INF)
    if not uncapacitated:
        _grouped_capacity_rows(rows, sub, xk, col_of_link, y0)
    if n_x:
        _grouped_linking_rows(rows, sub, xk, y0, variant, link_rows, uncapacitated)
    if n_z:
        lengths, idx, val = _rows_with_tail(y0 + sub.host[groups.links], groups.gid, n_z, n_x + np.arange(n_z),
                                            np.ones(n_z), -np.ones(groups.links.size))
        rows.add("group", lengths, idx, val, -_INF, 0.0, np.arange(n_z))
    if total_capacity_row and not uncapacitated and instance.min_participants > 0:
        rhs = cover_value(instance, links=sub.links)
        if rhs > 0:
            rows.add("cover", np.array([sub.m]), y0 + np.arange(sub.m), sub.cap.copy(), rhs, _INF)
    arrays = rows.arrays(y0, sub.m, col_cost)
    if closed is not None:
        arrays.col_upper[y0:][np.asarray(closed, dtype=bool)] = 0.0
    if continuous_groups:
        arrays.integrality[n_x:y0] = 0
    return GroupedModel(arrays, sub.links[xk], groups.device, groups.ptr, sub.links[groups.links], sub.binding,
                        col_of_link, sub.n)


@dataclass
class _Subset:
    """The arrays of a subset of links (sorted), and which hosts can bind over it."""

    links: np.ndarray
    dev: np.ndarray
    host: np.ndarray
    a: np.ndarray
    d: np.ndarray
    cap: np.ndarray
    binding: np.ndarray
    n: int
    m: int
    k: int  # links of the instance

    @classmethod
    def of(cls, instance: Instance, links: np.ndarray, uncapacitated: bool) -> _Subset:
        n, m = instance.n_devices, instance.n_hosts
        links = np.sort(np.asarray(links, dtype=np.int64))
        dev = instance.link_device[links].astype(np.int64)
        host = instance.link_host[links].astype(np.int64)
        d = instance.workload[dev]
        cap = np.asarray(instance.capacity, dtype=np.float64)
        if uncapacitated:
            binding = np.zeros(m, dtype=bool)
        else:
            binding = np.bincount(host, weights=d, minlength=m) > cap * (1 + 1e-12)
        return cls(links, dev, host, instance.rounds_ratio * instance.link_cost[links], d, cap, binding, n, m,
                   instance.n_links)


@dataclass
class _Groups:
    """Links of non-binding hosts grouped per (device, cost): one column each."""

    links: np.ndarray  # positions in the subset, sorted by group
    gid: np.ndarray
    device: np.ndarray
    cost: np.ndarray
    ptr: np.ndarray

    @property
    def n_z(self) -> int:
        return int(self.device.size)

    @classmethod
    def of(cls, sub: _Subset, gk: np.ndarray) -> _Groups:
        if gk.size == 0:
            empty = np.zeros(0, dtype=np.int64)
            return cls(gk, empty, empty, np.zeros(0), np.zeros(1, dtype=np.int64))
        dev, a = sub.dev, sub.a
        gk = gk[np.lexsort((sub.host[gk], a[gk], dev[gk]))]
        new = np.ones(gk.size, dtype=bool)
        new[1:] = (dev[gk][1:] != dev[gk][:-1]) | (a[gk][1:] != a[gk][:-1])
        gid = np.cumsum(new) - 1
        heads = gk[new]
        ptr, _ = _segments(gid, int(gid[-1]) + 1)
        return cls(gk, gid, dev[heads], a[heads], ptr)


def _grouped_assignment_rows(rows: _Rows, sub: _Subset, xk: np.ndarray, groups: _Groups, equal: bool,
                             skip_singletons: bool) -> None:
    """Each device's x and z columns sum to at most 1 (exactly 1 when equal)."""
    n = sub.n
    col_dev = np.concatenate([sub.dev[xk], groups.device])
    by_dev = np.argsort(col_dev, kind="stable")
    _, dcount = _segments(col_dev[by_dev], n)
    rdev = np.arange(n) if equal else np.flatnonzero(dcount >= (2 if skip_singletons else 1))
    sel = np.repeat(np.isin(np.arange(n), rdev), dcount) if rdev.size != n else np.ones(by_dev.size, bool)
    rows.add("assign", dcount[rdev], by_dev[sel], np.ones(int(sel.sum())), 1.0 if equal else -_INF, 1.0, rdev)


def _grouped_capacity_rows(rows: _Rows, sub: _Subset, xk: np.ndarray, col_of_link: np.ndarray,
                           y0: int) -> None:
    """``sum D x <= R_j y_j`` over the explicit links of each binding host."""
    cx = xk[sub.d[xk] > 0]
    hs = sub.host[cx]
    o = np.argsort(hs, kind="stable")
    cap_hosts = np.flatnonzero(np.bincount(hs, minlength=sub.m) > 0)
    remap = np.full(sub.m, -1, dtype=np.int64)
    remap[cap_hosts] = np.arange(cap_hosts.size)
    lengths, idx, val = _rows_with_tail(col_of_link[sub.links[cx[o]]], remap[hs[o]], cap_hosts.size,
                                        y0 + cap_hosts, -sub.cap[cap_hosts], sub.d[cx[o]])
    rows.add("capacity", lengths, idx, val, -_INF, 0.0, cap_hosts)


def _grouped_linking_rows(rows: _Rows, sub: _Subset, xk: np.ndarray, y0: int, variant: str,
                          link_rows: np.ndarray | None, uncapacitated: bool) -> None:
    """``x_k <= y_j`` (strong/both; with ``link_rows`` only those and zero-workload links)
    or ``sum_k x_k <= n_j y_j`` (bigm) for the explicit link columns."""
    n_x = xk.size
    if variant in ("strong", "both"):
        if link_rows is None:
            lx = np.arange(n_x)
        else:
            want = np.zeros(sub.k, dtype=bool)
            want[np.asarray(link_rows, dtype=np.int64)] = True
            lx = np.flatnonzero(want[sub.links[xk]] | (sub.d[xk] == 0) | uncapacitated)
        nl = lx.size
        idx = np.empty(2 * nl, dtype=np.int64)
        idx[0::2] = lx
        idx[1::2] = y0 + sub.host[xk][lx]
        rows.add("link", np.full(nl, 2), idx, np.tile([1.0, -1.0], nl), -_INF, 0.0, sub.links[xk][lx])
        return
    hs = sub.host[xk]
    o = np.argsort(hs, kind="stable")
    hosts_x = np.flatnonzero(np.bincount(hs, minlength=sub.m) > 0)
    remap = np.full(sub.m, -1, dtype=np.int64)
    remap[hosts_x] = np.arange(hosts_x.size)
    nj = np.bincount(hs, minlength=sub.m)[hosts_x].astype(float)
    lengths, idx, val = _rows_with_tail(np.arange(n_x)[o], remap[hs[o]], hosts_x.size, y0 + hosts_x, -nj)
    rows.add("agg_upper", lengths, idx, val, -_INF, 0.0, hosts_x)


def build_plain(instance: Instance, *, uncapacitated: bool = False) -> MilpArrays:
    """The textbook formulation: ``x_ij <= y_j`` for every link, ``sum D x <= R_j``.

    This is the published model (variant ``strong``) exactly as a user would
    write it; hflopt's benchmarks use it as the baseline for the exact solver.
    """
    return build_arrays(instance, variant="strong", uncapacitated=uncapacitated)


def start_vector(instance: Instance, solution: Solution, n_cols: int | None = None) -> np.ndarray:
    """Column values (x then y) of ``solution`` for a MIP start."""
    k, m = instance.n_links, instance.n_hosts
    vec = np.zeros(n_cols if n_cols is not None else k + m)
    links = solution.link_indices(instance)
    used = links[links >= 0]
    vec[used] = 1.0
    vec[k + solution.open_hosts()] = 1.0
    return vec


# ------------------------------------------------------------------ running
@dataclass
class HighsRun:
    """Raw outcome of one HiGHS run."""

    model_status: str
    col_value: np.ndarray | None
    objective: float | None
    bound: float | None
    optimal: bool
    infeasible: bool
    timed_out: bool
    failed: str | None
    nodes: int
    iterations: int
    seconds: float
    row_dual: np.ndarray | None = None
    col_dual: np.ndarray | None = None
    #: HiGHS valued the MIP start wrongly; the run was repeated without it (see run_highs)
    start_misvalued: bool = False


def _reset_highs_after_fork() -> None:
    """In a forked child, give HiGHS a fresh thread pool.

    HiGHS keeps one process-wide pool of worker threads. ``fork`` copies the
    pool's state but not its threads, so a child of a process that has already
    run HiGHS (``multiprocessing`` with the ``fork`` start method, the Linux
    default before Python 3.14) spins forever in its first parallel solve.
    Resetting the scheduler in the child makes HiGHS start new workers.
    """
    highspy = sys.modules.get("highspy")
    if highspy is not None:
        highspy.Highs.resetGlobalScheduler(True)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_highs_after_fork)


def new_highs(*, verbose: bool = False, threads: int | None = None, seed: int | None = None,
              options: dict[str, Any] | None = None) -> Any:
    """A fresh ``highspy.Highs`` with hflopt's defaults (silent unless verbose).

    HiGHS prints its banner on stdout when the first ``Highs`` object of a
    process is constructed, before any option can be set; unless ``verbose``
    the construction runs with file descriptor 1 pointed at ``os.devnull`` so
    that ``hflopt solve`` output (and JSON piped from it) stays clean.
    """
    import highspy

    if verbose:
        h = highspy.Highs()
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, 1)
            h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(null)
    h.setOptionValue("output_flag", bool(verbose))
    h.setOptionValue("log_to_console", bool(verbose))
    if threads:
        # HiGHS's thread pool is process-wide and fixed at the first solve;
        # asking for another size later fails unless the pool is reset first
        highspy.Highs.resetGlobalScheduler(True)
        h.setOptionValue("threads", int(threads))
    if seed is not None:
        h.setOptionValue("random_seed", int(seed) % 2_147_483_647)
    for key, value in (options or {}).items():
        status, kind = h.getOptionType(key)
        if status == highspy.HighsStatus.kError:
            raise SolverError(f"HiGHS has no option {key!r} (given {key}={value!r})")
        typed = _typed_option(kind, value)
        if typed is None:
            raise SolverError(f"HiGHS option {key} takes {_OPTION_KINDS.get(kind.name, 'a value')}, "
                              f"got {value!r}")
        if h.setOptionValue(key, typed) == highspy.HighsStatus.kError:
            raise SolverError(f"HiGHS rejected option {key}={value!r} "
                              "(outside the values the option allows)")
    return h


_OPTION_KINDS = {"kBool": "true or false", "kInt": "a whole number", "kDouble": "a number",
                 "kString": "a string"}


def _typed_option(kind: Any, value: Any) -> Any:
    """``value`` as the type of a HiGHS option (``1``/``"on"`` for a bool...), or None."""
    name = kind.name
    if name == "kBool":
        if isinstance(value, str):
            return {"true": True, "on": True, "yes": True, "1": True,
                    "false": False, "off": False, "no": False, "0": False}.get(value.strip().lower())
        if isinstance(value, (bool, int, np.integer)) and value in (0, 1):
            return bool(value)
        return None
    if name == "kInt":
        try:
            f = float(value)
        except (TypeError, ValueError):
            return None
        return int(f) if math.isfinite(f) and f.is_integer() and not isinstance(value, bool) else None
    if name == "kDouble":
        try:
            return None if isinstance(value, bool) else float(value)
        except (TypeError, ValueError):
            return None
    if isinstance(value, bool):
        return None
    return value if isinstance(value, str) else str(value)  # 123 from a command line


def check_highs_options(options: dict[str, Any] | None) -> None:
    """Raise :class:`SolverError` now if HiGHS would reject any of ``options``.

    Methods that apply options late (after their heuristics) call this first,
    so that a misspelt option fails at once instead of after minutes.
    """
    if options:
        new_highs(options=options)


def highs_with(arrays: MilpArrays, **options: Any) -> Any:
    """A new ``Highs`` (:func:`new_highs` with ``options``) holding ``arrays``' model."""
    h = new_highs(**options)
    arrays.pass_to(h)
    return h


def run_highs(
    h: Any,
    *,
    deadline: Deadline,
    mip: bool = True,
    rel_gap: float = 0.0,
    abs_gap: float | None = None,
    start: np.ndarray | None = None,
    progress: ProgressCallback | None = None,
    phase: str = "branch-and-bound",
    duals: bool = False,
    col_cost: np.ndarray | None = None,
    offset: float = 0.0,
    fresh: Callable[[], Any] | None = None,
    isolate: bool | None = None,
) -> HighsRun:
    """Run ``h`` (model already passed) within the deadline and collect the outcome.

    Branch-and-bound runs under a time limit, or while Ctrl-C is armed, go to
    a forked child (:func:`~hflopt.solvers.isolation.run_isolated`): HiGHS's
    presolve ignores both its time limit and its interrupt callbacks, and only
    a child can be ended on time. Asked to stop, HiGHS returns its best
    solution; killed, the run comes back without one (``timed_out``) and the
    caller keeps the solution it had. ``isolate`` forces either way.
    See :func:`_run_here` for the run itself.
    """
    from hflopt.solvers.isolation import Budget, fork_available, run_isolated

    budget = Budget()
    grace = budget.soft(deadline) - deadline.seconds if deadline.seconds is not None else _INF
    spec = _RunSpec(mip, rel_gap, abs_gap, start, phase, duals, grace, col_cost, offset)
    if isolate is None:
        isolate = mip and fork_available() and (deadline.seconds is not None or interrupt_armed())
    if not isolate:
        return _run_here(h, deadline, spec, progress, fresh)
    t0 = time.perf_counter()
    run, killed = run_isolated(
        lambda report: _run_here(h, deadline, spec, report if progress is not None else None, fresh),
        deadline=deadline, budget=budget, progress=progress)
    if run is None:
        return HighsRun(
            model_status="ended at the time limit (HiGHS did not stop by itself)" if killed
            else "the process running HiGHS ended without a result",
            col_value=None, objective=None, bound=None, optimal=False, infeasible=False,
            timed_out=True, failed=None if killed else "HiGHS's process ended without a result",
            nodes=0, iterations=0, seconds=time.perf_counter() - t0)
    return run


@dataclass(frozen=True)
class _RunSpec:
    """How one HiGHS run goes (see :func:`run_highs`)."""

    mip: bool
    rel_gap: float
    abs_gap: float | None
    start: np.ndarray | None
    phase: str
    duals: bool
    grace: float  #: seconds past the deadline at which the interrupt callbacks stop HiGHS
    col_cost: np.ndarray | None
    offset: float


class _Watchdog:
    """HiGHS interrupt callbacks: stop at ``deadline + grace`` or on Ctrl-C; progress reports."""

    def __init__(self, deadline: Deadline, spec: _RunSpec, progress: ProgressCallback | None) -> None:
        self.deadline, self.spec, self.progress = deadline, spec, progress
        self.stop_at = (deadline.seconds + spec.grace) if deadline.seconds is not None else _INF
        self.last = -_INF
        self.stopped = False
        self.lock = threading.Lock()

    def on_mip(self, e: Any) -> None:
        import highspy

        now = self.deadline.elapsed()
        if now >= self.stop_at or interrupted():
            self.stopped = True
            e.interrupt()
        if self.progress is not None and now - self.last >= 1.0:
            with self.lock:
                self.last = now
            out = e.data_out
            inc = out.mip_primal_bound if abs(out.mip_primal_bound) < highspy.kHighsInf else None
            bnd = out.mip_dual_bound if abs(out.mip_dual_bound) < highspy.kHighsInf else None
            self.progress(Progress(now, inc, bnd, self.spec.phase))

    def on_lp(self, e: Any) -> None:
        if self.deadline.elapsed() >= self.stop_at or interrupted():
            self.stopped = True
            e.interrupt()

    def run(self, h: Any) -> float:
        """``h.run()`` with the callbacks attached; the seconds it took."""
        if self.spec.mip:
            h.cbMipInterrupt += self.on_mip
        h.cbSimplexInterrupt += self.on_lp
        h.cbIpmInterrupt += self.on_lp
        t0 = time.perf_counter()
        try:
            h.run()
        finally:
            if self.spec.mip:
                h.cbMipInterrupt -= self.on_mip
            h.cbSimplexInterrupt -= self.on_lp
            h.cbIpmInterrupt -= self.on_lp
        return time.perf_counter() - t0


def _configure(h: Any, deadline: Deadline, spec: _RunSpec) -> None:
    remaining = deadline.remaining()
    if math.isfinite(remaining):
        h.setOptionValue("time_limit", max(remaining, 0.01))
    if spec.mip:
        h.setOptionValue("mip_rel_gap", float(spec.rel_gap))
        if spec.abs_gap is not None:
            h.setOptionValue("mip_abs_gap", float(spec.abs_gap))
    if spec.start is not None:
        cols = np.arange(spec.start.size, dtype=np.int32)
        h.setSolution(int(spec.start.size), cols, spec.start.astype(np.float64))


def _run_here(h: Any, deadline: Deadline, spec: _RunSpec, progress: ProgressCallback | None,
              fresh: Callable[[], Any] | None) -> HighsRun:
    """Run ``h`` in this process under a watchdog and collect the outcome.

    HiGHS is given the remaining time as ``time_limit``; since it checks that
    limit only between phases, interrupt callbacks stop it ``grace`` seconds
    after the deadline. (HiGHS's presolve has no interrupt hook: that is why
    :func:`run_highs` runs branch-and-bound in a child under a time limit.)

    With ``col_cost`` given, the objective is recomputed from the returned
    solution, and the MIP bound is taken as that objective minus HiGHS's own
    primal-dual gap. Given a MIP start, HiGHS 1.16 can value it below its
    true cost (its presolve's objective offset) and prune against that
    value: it then returns the start as "optimal" (authors' 50x1,000 seed 17
    with binary group columns: the start costs 17, HiGHS reports 15 = 15 and
    returns the start; the optimum is 15). So when a start was given and the
    returned solution's true cost differs from HiGHS's primal value, neither
    HiGHS's bound nor its optimality claim is used: the run is repeated
    without the start on a new model from ``fresh()`` (a ``Highs`` holding
    the model, e.g. :func:`highs_with`), or, with no ``fresh``, reported
    without a bound and not optimal.
    """
    _configure(h, deadline, spec)
    watchdog = _Watchdog(deadline, spec, progress)
    seconds = watchdog.run(h)
    run = _outcome(h, spec, watchdog.stopped, seconds)
    if run.start_misvalued and fresh is not None and not deadline.expired():
        return _without_start(run, fresh(), deadline, spec, progress)
    return run


def _outcome(h: Any, spec: _RunSpec, stopped: bool, seconds: float) -> HighsRun:
    """What a finished run gives: solution, objective (recomputed from ``col_cost``), bound."""
    import highspy

    ms = highspy.HighsModelStatus
    status = h.getModelStatus()
    info = h.getInfo()
    has_sol = info.primal_solution_status == 2
    sol = h.getSolution() if has_sol or spec.duals else None
    col_value = np.asarray(sol.col_value) if (sol is not None and has_sol) else None
    objective = float(info.objective_function_value) if has_sol else None
    if spec.mip:
        db = info.mip_dual_bound
        bound = float(db) if math.isfinite(db) and abs(db) < highspy.kHighsInf else None
    else:
        bound = objective if status == ms.kOptimal else None
    misvalued = False
    if spec.col_cost is not None and col_value is not None:
        true_obj = float(spec.col_cost @ col_value) + spec.offset
        misvalued = (spec.start is not None and objective is not None
                     and abs(true_obj - objective) > 1e-6 * max(1.0, abs(true_obj)))
        if misvalued:
            bound = None
        elif bound is not None and objective is not None:
            bound = true_obj - max(0.0, objective - bound)
        objective = true_obj
    timed_out = status in (ms.kTimeLimit, ms.kInterrupt) or stopped
    ok = (ms.kOptimal, ms.kInfeasible, ms.kTimeLimit, ms.kInterrupt, ms.kSolutionLimit,
          ms.kObjectiveBound, ms.kObjectiveTarget)
    failed = None if (status in ok or timed_out) else f"HiGHS ended with status {h.modelStatusToString(status)}"
    dual_ok = spec.duals and sol is not None and info.dual_solution_status == 2
    return HighsRun(
        model_status=h.modelStatusToString(status), col_value=col_value, objective=objective, bound=bound,
        optimal=status == ms.kOptimal and not misvalued, infeasible=status == ms.kInfeasible,
        timed_out=timed_out, failed=failed, nodes=int(max(info.mip_node_count, 0)) if spec.mip else 0,
        iterations=int(max(info.simplex_iteration_count, 0)), seconds=seconds,
        row_dual=np.asarray(sol.row_dual) if dual_ok else None,
        col_dual=np.asarray(sol.col_dual) if dual_ok else None, start_misvalued=misvalued,
    )


def _without_start(first: HighsRun, h: Any, deadline: Deadline, spec: _RunSpec,
                   progress: ProgressCallback | None) -> HighsRun:
    """The run repeated without the misvalued start; the start stays the best known if better."""
    again = _run_here(h, deadline, dataclasses.replace(spec, start=None), progress, None)
    again.start_misvalued = True
    again.seconds += first.seconds
    again.nodes += first.nodes
    if again.col_value is None or (again.objective is not None and first.objective is not None
                                   and again.objective > first.objective):
        # the start (a valid solution) is still the best one known
        again.col_value, again.objective, again.optimal = first.col_value, first.objective, False
    return again


def solve_plain(
    instance: Instance,
    *,
    variant: str = "strong",
    uncapacitated: bool = False,
    time_limit: float | None = None,
    gap: float = 0.0,
    threads: int | None = None,
    seed: int | None = None,
    verbose: bool = False,
    warm_start: Solution | None = None,
    progress: ProgressCallback | None = None,
    integral_gap: bool = True,
    highs_options: dict[str, Any] | None = None,
    strengthened: bool = False,
) -> Result:
    """Solve the formulation of :mod:`hflopt.model` directly with HiGHS.

    The same model as :func:`~hflopt.solvers.pyomo_exact.solve_pyomo` with
    ``solver="highs"``, built from numpy arrays (:func:`build_arrays`). With
    ``variant="strong"`` this is the textbook formulation that hflopt's exact
    benchmarks use as the baseline.

    Parameters
    ----------
    integral_gap:
        With integral data and ``gap=0``, stop once the bound is within less
        than 1 of the incumbent (a proof of optimality); Pyomo's path does
        the same.
    strengthened:
        Add the valid strengthenings that hflopt's exact method also uses:
        capacity rows against ``R_j y_j``, the cover row
        ``sum_j R_j y_j >= W_T`` and, when T = N, assignment equalities
        (same optimum, tighter LP). A reference point between the textbook
        model and the exact method; ignored when ``uncapacitated``.
    Other parameters:
        As :func:`~hflopt.solvers.pyomo_exact.solve_pyomo`.
    """
    if gap < 0 or not math.isfinite(gap):
        raise SolverError(f"gap must be a finite number >= 0, got {gap}")
    deadline = Deadline(time_limit)
    stats: dict[str, Any] = {"variant": variant, "interface": "highspy"}
    reason = infeasibility_reason(instance, uncapacitated=uncapacitated)
    if reason:
        return finish(instance, host_of=None, bound=None, method="highs-plain", solver="highs",
                      infeasible=True, message=reason, stats=stats, solve_seconds=deadline.elapsed())
    t0 = time.perf_counter()
    extra: dict[str, bool] = {}
    if strengthened and not uncapacitated:
        extra = {"capacity_on_y": True, "total_capacity_row": True,
                 "assign_equal": instance.min_participants == instance.n_devices}
        stats["strengthened"] = True
    arrays = build_arrays(instance, variant=variant, uncapacitated=uncapacitated, **extra)
    fresh = functools.partial(highs_with, arrays, verbose=verbose, threads=threads, seed=seed,
                              options=highs_options)
    h = fresh()
    build_seconds = time.perf_counter() - t0
    stats.update(rows=arrays.n_rows, columns=arrays.n_cols, nonzeros=arrays.n_nonzeros)
    abs_gap = (1.0 - 1e-6) if (gap == 0 and integral_gap and granularity(instance)) else None
    start = start_vector(instance, warm_start) if warm_start is not None else None
    run = run_highs(h, deadline=deadline, rel_gap=gap, abs_gap=abs_gap, start=start, progress=progress,
                    col_cost=arrays.col_cost, fresh=fresh)
    host_of = host_of_from_x(instance, run.col_value[: instance.n_links]) if run.col_value is not None else None
    stats.update(nodes=run.nodes, simplex_iterations=run.iterations, highs_status=run.model_status,
                 start_misvalued=run.start_misvalued)
    return finish(instance, host_of=host_of, bound=run.bound, method="highs-plain", solver="highs",
                  solver_optimal=run.optimal, timed_out=run.timed_out, infeasible=run.infeasible,
                  failed=run.failed, gap_tolerance=gap, build_seconds=build_seconds,
                  solve_seconds=time.perf_counter() - t0 - build_seconds, stats=stats,
                  capacitated=not uncapacitated)
