"""Latency-aware capacities: HFLOP instances whose solutions respect a latency target.

HFLOP's capacity row ``sum_i D_i x_ij <= R_j`` lets a host run at 100% load,
where any queue's latency explodes. Three transformations of the instance
turn latency targets into the same linear model, so every method (exact,
heuristics, auto, the Pyomo model) and the evaluation see them unchanged:

- ``max_utilization = u``: ``load_j <= u R_j`` (capacity ``u R_j``).
- ``latency_slo = L``: the mean M/M/1 sojourn at every aggregator,
  ``1 / (mu_j - load_j) <= L``, which is linear in the load:
  ``load_j <= mu_j - 1 / L`` (capacity ``R_j - 1 / (L * rate_unit)`` with
  ``mu_j = R_j * rate_unit`` requests/s and ``L`` in seconds; never below 0).
- ``link_latency_limit``: links whose network latency (from a
  :class:`~hflopt.evaluate.Scenario`) exceeds the limit are no candidates.
  With ``latency_slo`` and a scenario, links slower than the SLO itself are
  removed as well (no request over them could meet it).

The workloads ``D_i`` are taken as the hosts' request rates (the model's own
assumption, in units of ``rate_unit`` requests/s). A solution of the
transformed instance is a solution of the original one (same devices and
hosts, a subset of the links, smaller capacities).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from hflopt.errors import InstanceError
from hflopt.evaluate.scenario import Scenario
from hflopt.evaluate.units import parse_duration_ms
from hflopt.instance import Instance

__all__ = ["LatencyLimits", "latency_limited"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LatencyLimits:
    """Latency targets for :func:`latency_limited` (None = no such limit).

    Attributes
    ----------
    max_utilization:
        ``u`` in (0, 1]: hosts loaded to at most ``u R_j``.
    latency_slo_ms:
        ``L`` (ms): mean M/M/1 sojourn at every aggregator at most ``L``.
    link_latency_limit_ms:
        Links slower than this (ms) are removed (needs a scenario).
    rate_unit:
        Requests/s per unit of workload and capacity (as in
        :class:`~hflopt.evaluate.ScenarioParams`).
    """

    max_utilization: float | None = None
    latency_slo_ms: float | None = None
    link_latency_limit_ms: float | None = None
    rate_unit: float = 1.0

    def __post_init__(self) -> None:
        u = self.max_utilization
        if u is not None and (isinstance(u, bool) or not isinstance(u, (int, float)) or not 0 < u <= 1):
            raise InstanceError("must be a number in (0, 1]", field="max_utilization", value=u)
        for name in ("latency_slo_ms", "link_latency_limit_ms"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, (int, float)) and value > 0 and math.isfinite(value)):
                raise InstanceError("must be a finite duration > 0", field=name, value=value)
        if not (isinstance(self.rate_unit, (int, float)) and self.rate_unit > 0 and math.isfinite(self.rate_unit)):
            raise InstanceError("must be a finite number > 0", field="rate_unit", value=self.rate_unit)

    @classmethod
    def parse(cls, *, max_utilization: Any = None, latency_slo: Any = None, link_latency_limit: Any = None,
              rate_unit: float = 1.0) -> LatencyLimits:
        """Build from user input: durations as ``"20ms"``, ``"0.02s"`` or a bare number of ms."""
        slo = None if latency_slo is None else parse_duration_ms(latency_slo, field="latency_slo")
        link = None if link_latency_limit is None else parse_duration_ms(link_latency_limit,
                                                                          field="link_latency_limit")
        if slo == 0 or link == 0:
            raise InstanceError("must be > 0", field="latency_slo" if slo == 0 else "link_latency_limit", value=0)
        u = None if max_utilization is None else _number(max_utilization, "max_utilization")
        return cls(u, slo, link, rate_unit)

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.max_utilization, self.latency_slo_ms, self.link_latency_limit_ms))

    def capacities(self, capacity: np.ndarray) -> np.ndarray:
        """The reduced capacities ``min(R, u R, R - 1 / (L rate_unit))``, clipped at 0."""
        cap = np.asarray(capacity, dtype=np.float64).copy()
        if self.max_utilization is not None:
            cap = np.minimum(cap, self.max_utilization * capacity)
        if self.latency_slo_ms is not None:
            cap = np.minimum(cap, capacity - 1000.0 / (self.latency_slo_ms * self.rate_unit))
        return np.maximum(cap, 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {"max_utilization": self.max_utilization, "latency_slo_ms": self.latency_slo_ms,
                "link_latency_limit_ms": self.link_latency_limit_ms, "rate_unit": self.rate_unit}


def _number(value: Any, name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InstanceError("must be a number", field=name, value=value) from None


def latency_limited(
    inst: Instance, limits: LatencyLimits | None = None, scenario: Scenario | None = None, **kwargs: Any
) -> Instance:
    """The instance with latency-aware capacities and links (see the module docstring).

    Parameters
    ----------
    inst:
        The instance.
    limits:
        A :class:`LatencyLimits`, or its user-facing form as keyword
        arguments (``max_utilization=0.8``, ``latency_slo="20ms"``,
        ``link_latency_limit="15ms"``, ``rate_unit=1``).
    scenario:
        Needed for link limits (the links' latencies).

    Returns
    -------
    Instance
        A new instance (``metadata["latency_limits"]`` records the limits);
        ``inst`` itself when no limit is given.
    """
    if limits is None:
        limits = LatencyLimits.parse(**kwargs)
    elif kwargs:
        raise TypeError("give limits or keyword arguments, not both")
    if not limits.active:
        return inst
    link_limit = limits.link_latency_limit_ms
    if scenario is not None and limits.latency_slo_ms is not None:
        link_limit = min(link_limit or math.inf, limits.latency_slo_ms)
    if limits.link_latency_limit_ms is not None and scenario is None:
        raise InstanceError("needs a scenario with link latencies (--scenario FILE)", field="link_latency_limit",
                            value=limits.link_latency_limit_ms)
    keep = np.ones(inst.n_links, dtype=bool)
    if scenario is not None and link_limit is not None:
        scenario.check(inst)
        keep = scenario.link_latency_ms <= link_limit
        log.info("latency limit %.3g ms removes %d of %d links", link_limit, int((~keep).sum()), inst.n_links)
    meta = {**inst.metadata, "latency_limits": {**limits.to_dict(), "links_removed": int((~keep).sum())}}
    out = inst.replace(capacity=limits.capacities(inst.capacity), metadata=meta)
    return out.restrict_links(keep) if not keep.all() else out
