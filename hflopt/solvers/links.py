"""The link arrays every solver works on, derived once per instance.

:class:`LinkData` gathers what the heuristics, the bounds and the exact
solver read from an :class:`~hflopt.Instance` (scaled link costs, link ends,
workloads, capacities, the cover value ``W_T``, ...). :func:`link_data` keeps
one per live instance in a cache owned by the solvers (weakly keyed: it goes
with its instance), so that ``auto`` running three methods on one instance
sorts its links once.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property

import numpy as np

from hflopt.instance import Instance
from hflopt.solution import Solution
from hflopt.solvers.arrays import gather_ranges, sort_within_groups

__all__ = ["LinkData", "LinkSet", "cover_value", "exclusion_threshold", "granularity", "link_cache",
           "link_data", "servable"]


def servable(instance: Instance, *, capacitated: bool = True, links: np.ndarray | None = None) -> np.ndarray:
    """Mask of the devices with a link (among ``links``, default all) to a host that can hold them."""
    usable = instance.fits if capacitated else np.ones(instance.n_links, dtype=bool)
    if links is not None:
        links = np.asarray(links, dtype=np.int64)
        usable = links[usable[links]]
    out = np.zeros(instance.n_devices, dtype=bool)
    out[instance.link_device[usable]] = True
    return out


def cover_value(instance: Instance, *, links: np.ndarray | None = None) -> float:
    """``W_T``: the sum of the T smallest workloads among servable devices.

    Every feasible solution serves T servable devices, so its open hosts hold
    at least this much: ``sum_j R_j y_j >= W_T`` is a valid inequality (the
    cover row), and a total capacity below it proves infeasibility. The one
    definition used by the bounds, the models, the heuristics and the
    infeasibility diagnosis. With ``links`` (a restriction of the instance), the
    devices servable over those links only: the cover row of the restricted model.
    """
    t = instance.min_participants
    if t == 0 or instance.n_links == 0:
        return 0.0
    work = instance.workload[servable(instance, links=links)]
    if work.size < t:
        return float(work.sum())
    return float(np.partition(work, t - 1)[:t].sum())


def granularity(instance: Instance) -> float:
    """Smallest possible difference between two objective values (0 if unknown).

    With integral costs and an integral rounds ratio every objective value is
    an integer, so a bound within less than 1 of a solution proves it optimal.
    """
    return 1.0 if instance.is_integral else 0.0


def exclusion_threshold(ub: float, gran: float) -> float:
    """A link or host whose forced bound exceeds this cannot improve on ``ub``."""
    tol = 1e-6 * max(1.0, abs(ub))
    return ub - gran + tol if gran else ub + tol


class LinkData:
    """Arrays every solver needs, derived once per instance.

    Attributes
    ----------
    instance:
        The instance.
    n, m, k, T:
        Devices, hosts, links, minimum participants.
    a:
        Scaled link costs ``l * C_d`` (what a link adds to the objective).
    dev, host:
        Device and host of each link (the instance's own arrays).
    D, R, f:
        Workloads, capacities, cloud (fixed) costs.
    ptr:
        CSR pointer of each device's links.
    usable:
        Links whose device workload fits the host capacity.
    big:
        More than any single link plus host costs.
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
        self.big = float(self.a.max() + self.f.max() + 1.0) if self.k else 1.0

    @cached_property
    def by_cost(self) -> np.ndarray:
        """Link indices grouped by device and sorted by cost within each device:
        device i's links are ``by_cost[ptr[i]:ptr[i+1]]``."""
        return sort_within_groups(self.ptr, self.a)

    @cached_property
    def d(self) -> np.ndarray:
        """Workload of each link's device."""
        return self.D[self.dev]

    @cached_property
    def W(self) -> float:
        """The cover value ``W_T`` (:func:`cover_value`)."""
        return cover_value(self.instance)

    @cached_property
    def gran(self) -> float:
        """1 when every objective value is an integer, else 0 (:func:`granularity`)."""
        return granularity(self.instance)

    @property
    def equal(self) -> bool:
        """T == N (> 0): every device is served, the assignment rows are equalities."""
        return self.n == self.T and self.n > 0

    @cached_property
    def usable_links(self) -> np.ndarray:
        """Indices of the usable links."""
        return np.flatnonzero(self.usable)

    @cached_property
    def group_rep(self) -> np.ndarray:
        """Per link: the first link with the same device and cost (names a group column)."""
        order = np.lexsort((np.arange(self.dev.size), self.a, self.dev))
        dev, a = self.dev[order], self.a[order]
        new = np.ones(order.size, dtype=bool)
        new[1:] = (dev[1:] != dev[:-1]) | (a[1:] != a[:-1])
        rep = np.empty(order.size, dtype=np.int64)
        rep[order] = order[new][np.cumsum(new) - 1]
        return rep

    @cached_property
    def usable_set(self) -> LinkSet:
        """All usable links as a :class:`LinkSet`."""
        return LinkSet(self, self.usable_links)

    @cached_property
    def all_links(self) -> LinkSet:
        """Every link as a :class:`LinkSet` (the capacity-unaware relaxation)."""
        return LinkSet(self, np.arange(self.k))

    def device_links(self, devices: np.ndarray) -> np.ndarray:
        """Positions in ``by_cost`` of the links of ``devices`` (cost order per device)."""
        return gather_ranges(self.ptr[devices], self.ptr[devices + 1])

    def cost(self, host_of: np.ndarray) -> float:
        """Objective value of an assignment (no feasibility check)."""
        return Solution(host_of).cost(self.instance)


class LinkSet:
    """A subset of the links with the arrays a Lagrangian evaluation reads, gathered once.

    ``idx`` are the link indices, ``a``, ``dev``, ``host`` (int64) and ``w``
    (the device's workload) their values.
    """

    def __init__(self, data: LinkData, links: np.ndarray) -> None:
        self.idx = np.asarray(links, dtype=np.int64)
        self.a = data.a[self.idx]
        self.dev = data.dev[self.idx]
        self.host = data.host[self.idx].astype(np.int64)
        self.w = data.D[self.dev]

    @classmethod
    def usable(cls, data: LinkData, links: np.ndarray) -> LinkSet:
        """The usable ones among ``links``."""
        links = np.asarray(links, dtype=np.int64)
        return cls(data, links[data.usable[links]])

    def __len__(self) -> int:
        return int(self.idx.size)


_CACHE: contextvars.ContextVar[dict[int, LinkData] | None] = contextvars.ContextVar("hflopt_link_data",
                                                                                   default=None)


@contextmanager
def link_cache() -> Iterator[None]:
    """Keep one :class:`LinkData` per instance inside the block (nested blocks share it)."""
    if _CACHE.get() is not None:
        yield
        return
    token = _CACHE.set({})
    try:
        yield
    finally:
        _CACHE.reset(token)


def link_data(instance: Instance) -> LinkData:
    """The :class:`LinkData` of ``instance``: cached inside :func:`link_cache`, else new."""
    cache = _CACHE.get()
    if cache is None:
        return LinkData(instance)
    data = cache.get(id(instance))
    if data is None or data.instance is not instance:
        data = cache[id(instance)] = LinkData(instance)
    return data
