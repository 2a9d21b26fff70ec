"""Solutions, results and their independent verification."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from hflopt.errors import SolutionError
from hflopt.instance import Instance

__all__ = ["Result", "Solution", "Status", "relative_gap"]

_LOAD_RTOL = 1e-9


class Status(StrEnum):
    """Outcome of a solve.

    ``OPTIMAL``      a solution with a proven zero gap.
    ``FEASIBLE``     a verified solution, optimality not proven (heuristics,
                     a solve stopped by a non-zero gap tolerance, or one the
                     user interrupted with Ctrl-C: see ``Result.message``).
    ``TIME_LIMIT``   the time limit was reached; the best solution found is
                     returned.
    ``INFEASIBLE``   proven: no assignment satisfies the constraints.
    ``NO_SOLUTION``  the time limit was reached (or the user interrupted the
                     solve) before any solution was found.
    ``ERROR``        the solver failed.
    """

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    TIME_LIMIT = "time_limit"
    INFEASIBLE = "infeasible"
    NO_SOLUTION = "no_solution"
    ERROR = "error"


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """``(objective - bound) / max(1, |objective|)``, or None if either is unknown.

    The denominator is at least 1 so that instances with tiny optima (the
    authors' generator often has optima of 0 to 5) report meaningful gaps.
    """
    if objective is None or bound is None or not math.isfinite(bound):
        return None
    return max(0.0, objective - bound) / max(1.0, abs(objective))


def _host_label(instance: Instance, j: int) -> Any:
    return j if instance.host_ids[j] == str(j) else instance.host_ids[j]


def _device_labels(instance: Instance, devices: np.ndarray) -> list[Any]:
    ids = instance.device_ids
    return [int(i) if ids[i] == str(i) else ids[i] for i in devices.tolist()]


class Solution:
    """An assignment of devices to aggregator hosts.

    Parameters
    ----------
    host_of:
        For each device the index of the host it reports to, or -1 when the
        device does not participate. Hosts with at least one device are open.
    """

    __slots__ = ("host_of",)

    host_of: np.ndarray

    def __init__(self, host_of: Any) -> None:
        arr = np.array(host_of, dtype=np.int64).reshape(-1)
        arr.setflags(write=False)
        object.__setattr__(self, "host_of", arr)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Solution is immutable")

    @classmethod
    def from_mapping(cls, instance: Instance, mapping: dict[Any, Any]) -> Solution:
        """Build from ``{device_id: host_id}`` (ids as in the instance)."""
        dev_pos = {d: i for i, d in enumerate(instance.device_ids)}
        host_pos = {h: j for j, h in enumerate(instance.host_ids)}
        host_of = np.full(instance.n_devices, -1, dtype=np.int64)
        for d, h in mapping.items():
            if str(d) not in dev_pos:
                raise KeyError(f"unknown device id {d!r}")
            if str(h) not in host_pos:
                raise KeyError(f"unknown host id {h!r}")
            host_of[dev_pos[str(d)]] = host_pos[str(h)]
        return cls(host_of)

    # ----------------------------------------------------------- derived
    @property
    def assigned(self) -> np.ndarray:
        """Boolean mask of participating devices."""
        return self.host_of >= 0

    @property
    def n_participants(self) -> int:
        return int(np.count_nonzero(self.host_of >= 0))

    def open_hosts(self) -> np.ndarray:
        """Sorted indices of hosts with at least one device."""
        return np.unique(self.host_of[self.host_of >= 0])

    def loads(self, instance: Instance) -> np.ndarray:
        """Total workload assigned to each host."""
        mask = self.host_of >= 0
        return np.bincount(
            self.host_of[mask], weights=instance.workload[mask], minlength=instance.n_hosts
        )[: instance.n_hosts]

    def link_indices(self, instance: Instance) -> np.ndarray:
        """Index of the link each device uses; -1 if unassigned or no such link."""
        idx = np.full(self.host_of.size, -1, dtype=np.int64)
        mask = self.host_of >= 0
        idx[mask] = instance.link_index(np.flatnonzero(mask), self.host_of[mask])
        return idx

    def cost_breakdown(self, instance: Instance) -> dict[str, float]:
        """Cloud (edge-host) part, device part (already times l) and total cost."""
        links = self.link_indices(instance)
        used = links[self.host_of >= 0]
        if np.any(used < 0):
            raise SolutionError(["a device is assigned to a host it has no link to"])
        edge = float(instance.edge_cost[self.open_hosts()].sum())
        device = float(instance.rounds_ratio * instance.link_cost[used].sum())
        return {"edge": edge, "device": device, "total": edge + device}

    def cost(self, instance: Instance) -> float:
        """Objective value ``sum_j C_e[j] y_j + l * sum_ij C_d[i][j] x_ij``."""
        return self.cost_breakdown(instance)["total"]

    # ------------------------------------------------------ verification
    def violations(self, instance: Instance, *, capacity: bool = True) -> list[str]:
        """Every constraint this solution violates (empty when feasible).

        Checks, from the instance data alone: one entry per device; host
        indices in range; every used device-host pair is a link of the
        instance; host loads within capacity (unless ``capacity=False``, for
        the capacity-unaware variant); at least T participants.
        """
        out: list[str] = []
        h = self.host_of
        if h.size != instance.n_devices:
            return [f"assignment has {h.size} entries for {instance.n_devices} devices"]
        bad = (h < -1) | (h >= instance.n_hosts)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            out.append(f"device {instance.device_ids[i]!r} assigned to host index {int(h[i])}, "
                       f"valid 0..{instance.n_hosts - 1} or -1")
            return out
        links = self.link_indices(instance)
        nolink = (h >= 0) & (links < 0)
        for i in np.flatnonzero(nolink)[:5].tolist():
            out.append(f"device {instance.device_ids[i]!r} assigned to host "
                       f"{instance.host_ids[int(h[i])]!r} without a link between them")
        if nolink.sum() > 5:
            out.append(f"... {int(nolink.sum()) - 5} more devices without a link to their host")
        loads = self.loads(instance)
        over = loads > instance.capacity + _LOAD_RTOL * np.maximum(1.0, instance.capacity)
        if not capacity:
            over[:] = False
        for j in np.flatnonzero(over)[:5].tolist():
            out.append(f"host {instance.host_ids[j]!r} load {loads[j]:g} exceeds "
                       f"capacity {instance.capacity[j]:g}")
        if over.sum() > 5:
            out.append(f"... {int(over.sum()) - 5} more hosts over capacity")
        if self.n_participants < instance.min_participants:
            out.append(f"{self.n_participants} devices participate, "
                       f"at least {instance.min_participants} are required")
        return out

    def is_feasible(self, instance: Instance, *, capacity: bool = True) -> bool:
        return not self.violations(instance, capacity=capacity)

    def verify(self, instance: Instance, *, capacity: bool = True) -> float:
        """Raise :class:`SolutionError` if infeasible; else return the objective.

        ``capacity=False`` skips the capacity check (capacity-unaware variant).
        """
        problems = self.violations(instance, capacity=capacity)
        if problems:
            raise SolutionError(problems)
        return self.cost(instance)

    # -------------------------------------------------------- export
    def edge_hosts(self, instance: Instance) -> list[dict[str, Any]]:
        """Open hosts in the authors' output shape.

        Each entry has ``id``, ``associated_devices``, ``used_capacity`` and
        ``available_capacity``. Ids are 0-based positions when the instance
        uses default ids (e.g. the authors' format), names otherwise.
        """
        loads = self.loads(instance)
        order = np.argsort(self.host_of, kind="stable")
        sorted_hosts = self.host_of[order]
        out = []
        for j in self.open_hosts().tolist():
            lo, hi = np.searchsorted(sorted_hosts, [j, j + 1])
            out.append(
                {
                    "id": _host_label(instance, j),
                    "associated_devices": _device_labels(instance, np.sort(order[lo:hi])),
                    "used_capacity": _num(loads[j]),
                    "available_capacity": _num(instance.capacity[j]),
                }
            )
        return out

    def to_frame(self, instance: Instance) -> Any:
        """One row per device: device, host (None if not participating), workload, cost."""
        import pandas as pd

        links = self.link_indices(instance)
        has = links >= 0
        return pd.DataFrame(
            {
                "device": list(instance.device_ids),
                "host": [instance.host_ids[j] if j >= 0 else None for j in self.host_of.tolist()],
                "workload": instance.workload,
                "link_cost": np.where(has, instance.link_cost[np.maximum(links, 0)], np.nan),
            }
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Solution):
            return NotImplemented
        return np.array_equal(self.host_of, other.host_of)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"Solution(devices={self.host_of.size}, participants={self.n_participants}, "
                f"open_hosts={self.open_hosts().size})")


def _num(x: float) -> float | int:
    x = float(x)
    return int(x) if x.is_integer() and abs(x) < 2**53 else x


@dataclass
class Result:
    """What a solve returns.

    Attributes
    ----------
    status:
        See :class:`Status`.
    solution:
        Best solution found (None when there is none).
    objective:
        Its cost, recomputed from the instance (None without a solution).
    bound:
        A proven lower bound on the optimum (None when unknown).
    method, solver:
        The method ("exact", "greedy", ...) and the underlying solver.
    build_seconds, solve_seconds:
        Time to build the model and to solve it.
    message:
        Why the status is what it is (e.g. the reason for infeasibility).
    stats:
        Extra figures (nodes, iterations, variant, ...).
    instance:
        The instance solved (not serialised).
    """

    status: Status
    solution: Solution | None = None
    objective: float | None = None
    bound: float | None = None
    method: str = ""
    solver: str | None = None
    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    message: str = ""
    stats: dict[str, Any] = field(default_factory=dict)
    instance: Instance | None = field(default=None, repr=False, compare=False)

    @property
    def gap(self) -> float | None:
        """Relative gap ``(objective - bound) / max(1, |objective|)``."""
        if self.status == Status.OPTIMAL:
            return 0.0
        return relative_gap(self.objective, self.bound)

    @property
    def has_solution(self) -> bool:
        return self.solution is not None

    @property
    def total_seconds(self) -> float:
        return self.build_seconds + self.solve_seconds

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; includes ``edge_hosts`` in the authors' shape."""
        inst = self.instance
        out: dict[str, Any] = {
            "format": "hflopt-result",
            "version": 1,
            "instance": inst.name if inst is not None else None,
            "status": self.status.value,
            "objective": _num(self.objective) if self.objective is not None else None,
            "bound": _finite_or_none(self.bound),
            "gap": self.gap,
            "method": self.method,
            "solver": self.solver,
            "message": self.message,
            "build_seconds": round(self.build_seconds, 6),
            "solve_seconds": round(self.solve_seconds, 6),
            "execution_time": round(self.total_seconds, 6),
        }
        if inst is not None and self.solution is not None:
            sol = self.solution
            br = sol.cost_breakdown(inst)
            out["cost"] = {k: _num(v) for k, v in br.items()}
            out["participants"] = sol.n_participants
            out["min_participants"] = inst.min_participants
            out["edge_hosts"] = sol.edge_hosts(inst)
        else:
            out["edge_hosts"] = []
        out["stats"] = {k: v for k, v in self.stats.items() if _jsonable(v)}
        return out

    def summary(self, max_hosts: int | None = 20) -> str:
        """A short human-readable report.

        Parameters
        ----------
        max_hosts:
            Open hosts listed in the load table (None: all of them).
        """
        lines = [f"status        {self.status.value}" + (f"  ({self.message})" if self.message else "")]
        if self.stats.get("uncapacitated"):
            lines.append("capacities    IGNORED (uncapacitated): loads above 100% are allowed, not errors")
        if self.objective is not None:
            lines.append(f"objective     {self.objective:.10g}")
        if self.bound is not None and math.isfinite(self.bound):
            gap = self.gap
            lines.append(f"bound         {self.bound:.10g}" + (f"  (gap {gap:.4%})" if gap is not None else ""))
        inst, sol = self.instance, self.solution
        stated = inst.metadata.get("reported_optimum") if inst is not None else None
        if stated is not None:
            lines.append(f"file states   optimum {stated:.10g}")
        if inst is not None and sol is not None:
            lines.append(f"participants  {sol.n_participants} of {inst.n_devices} "
                         f"(at least {inst.min_participants})")
            hosts = sol.edge_hosts(inst)
            lines.append(f"open hosts    {len(hosts)} of {inst.n_hosts}")
        solver = f" via {self.solver}" if self.solver else ""
        lines.append(f"method        {self.method}{solver}")
        lines.append(f"time          {self.total_seconds:.3f} s (build {self.build_seconds:.3f} s, "
                     f"solve {self.solve_seconds:.3f} s)")
        if inst is not None and sol is not None:
            hosts = sol.edge_hosts(inst)
            shown = hosts if max_hosts is None else hosts[:max(0, max_hosts)]
            if shown:
                width = max(4, *(len(str(h["id"])) for h in shown))
                lines.append("")
                lines.append(f"{'host':<{width}}  {'load':>10} / {'capacity':<10} {'use':>6}  devices")
                for h in shown:
                    cap = h["available_capacity"]
                    use = h["used_capacity"] / cap if cap else math.inf
                    lines.append(f"{h['id']!s:<{width}}  {h['used_capacity']:>10g} / {cap:<10g} "
                                 f"{use:>6.0%}  {len(h['associated_devices'])}")
                if len(hosts) > len(shown):
                    lines.append(f"... and {len(hosts) - len(shown)} more open hosts")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _finite_or_none(x: float | None) -> float | int | None:
    if x is None or not math.isfinite(x):
        return None
    return _num(x)


def _jsonable(v: Any) -> bool:
    return isinstance(v, (str, int, float, bool, type(None), list, dict))
