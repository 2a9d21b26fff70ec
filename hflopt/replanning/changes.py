"""What changes between two plans, what it costs, and the instance that prices it.

A *migration* is a device that takes part in both periods and reports to
another aggregator in the second; a device that starts or stops taking part
*joins* or *leaves* (counted, not priced). A host is *opened* when it runs an
aggregator now and did not before, *closed* the other way round.

:func:`planning_instance` turns those prices into an ordinary instance, so
that every method -- exact or heuristic -- plans with them without a second
model:

- a migration cost ``c_m`` is an extra cost on every link of a device that
  took part before, to a host other than its previous one (``c_m / l`` per
  link: the objective multiplies link costs by ``l``);
- an opening cost ``c_o`` is added to the fixed cost ``C_e[j]`` of every host
  that was closed before;
- a closing cost ``c_c`` is a constant ``c_c x (hosts open before)`` minus
  ``c_c`` on the fixed cost of each of them (keeping a host open saves its
  closing). Fixed costs cannot go below 0, so where ``c_c > C_e[j]`` the
  discount is cut at ``C_e[j]``: the planning objective then under-rewards
  keeping that host open, which the result reports (``exact=False``); the
  charges a plan is billed (:meth:`Changes.charge`) are always exact, and the
  ``horizon`` policy's MILP prices closings exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hflopt.errors import InstanceError
from hflopt.instance import Instance
from hflopt.limits import MAX_VALUE
from hflopt.solution import Solution

__all__ = ["ChangeCosts", "Changes", "PlanningInstance", "changes", "planning_instance"]


@dataclass(frozen=True)
class ChangeCosts:
    """Prices of changing the configuration between two periods.

    Attributes
    ----------
    migration:
        Per device that reports to another aggregator than in the period before.
    opening:
        Per host that starts running an aggregator.
    closing:
        Per host that stops running one.
    """

    migration: float = 0.0
    opening: float = 0.0
    closing: float = 0.0

    def __post_init__(self) -> None:
        for name in ("migration", "opening", "closing"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or not 0 <= value <= MAX_VALUE:
                raise InstanceError(f"must be a finite number in [0, {MAX_VALUE:g}]", field=f"{name}_cost",
                                    value=value)

    @property
    def any(self) -> bool:
        return bool(self.migration or self.opening or self.closing)


@dataclass(frozen=True)
class Changes:
    """Counts of what changed from one plan to the next."""

    migrations: int = 0
    joined: int = 0
    left: int = 0
    opened: int = 0
    closed: int = 0

    def charge(self, costs: ChangeCosts) -> float:
        """What these changes cost at ``costs``."""
        return costs.migration * self.migrations + costs.opening * self.opened + costs.closing * self.closed


def _open_mask(sol: Solution, m: int) -> np.ndarray:
    mask = np.zeros(m, dtype=bool)
    mask[sol.open_hosts()] = True
    return mask


def changes(before: Solution | None, after: Solution, n_hosts: int) -> Changes:
    """What changed from ``before`` (None: nothing ran yet, so nothing changed) to ``after``."""
    if before is None:
        return Changes()
    a, b = before.host_of, after.host_of
    if a.size != b.size:
        raise InstanceError(f"plans of {a.size} and {b.size} devices cannot be compared", field="solution",
                            value=b.size)
    both = (a >= 0) & (b >= 0)
    was, now = _open_mask(before, n_hosts), _open_mask(after, n_hosts)
    return Changes(
        migrations=int(np.count_nonzero(both & (a != b))),
        joined=int(np.count_nonzero((a < 0) & (b >= 0))),
        left=int(np.count_nonzero((a >= 0) & (b < 0))),
        opened=int(np.count_nonzero(now & ~was)),
        closed=int(np.count_nonzero(was & ~now)),
    )


@dataclass(frozen=True)
class PlanningInstance:
    """An instance whose objective, plus ``constant``, is training cost plus change charges.

    ``exact`` is False when a closing cost above some host's fixed cost had to
    be cut (see the module docstring).
    """

    instance: Instance
    constant: float
    exact: bool


def planning_instance(inst: Instance, before: Solution | None, costs: ChangeCosts) -> PlanningInstance:
    """``inst`` with the costs of changing from plan ``before`` folded into its link and fixed costs.

    For every plan ``s`` of ``inst``:
    ``s.cost(result.instance) + result.constant == s.cost(inst) + changes(before, s).charge(costs)``
    (exactly so when ``result.exact``).
    """
    if before is None or not costs.any:
        return PlanningInstance(inst, 0.0, True)
    prev = before.host_of
    if prev.size != inst.n_devices:
        raise InstanceError(f"the previous plan has {prev.size} devices, the instance {inst.n_devices}",
                            field="solution", value=prev.size)
    link_cost = inst.link_cost
    if costs.migration:
        prev_of_link = prev[inst.link_device]
        moved = (prev_of_link >= 0) & (inst.link_host != prev_of_link)
        link_cost = link_cost + np.where(moved, costs.migration / inst.rounds_ratio, 0.0)
    was = _open_mask(before, inst.n_hosts)
    edge = inst.edge_cost + np.where(was, 0.0, costs.opening)
    wanted = edge - np.where(was, costs.closing, 0.0)
    edge = np.maximum(wanted, 0.0)
    exact = bool(np.all(wanted >= 0.0))
    constant = costs.closing * int(np.count_nonzero(was))
    changed = inst.replace(link_cost=np.minimum(link_cost, MAX_VALUE), edge_cost=np.minimum(edge, MAX_VALUE))
    return PlanningInstance(changed, float(constant), exact)
