"""Training traffic of one HFL run against flat FL (the paper's accounting).

For an instance and a solution, one training run of hierarchical FL moves
the model (size S) between every participating device and its aggregator in
every local round, and between every open aggregator and the cloud in every
global round; flat FL moves it between every device and the cloud in every
one of its (more) global rounds. With ``c`` the cost per transfer of a link
(``C_d[i][j]`` device-host, ``C_e[j]`` host-cloud)::

    device-edge  = sum_{i assigned to j}  k * c(C_d[i][j]) * S * l * G
    edge-cloud   = sum_{j open}           k * c(C_e[j])    * S * G
    flat FL      = sum_{i reachable}      k * c(C_e[j*(i)]) * S * G_FL

``k = 2`` transfers per round (model down and up), ``l`` local rounds per
global round, ``G`` and ``G_FL`` the global rounds to converge, and ``j*(i)``
the device's cheapest host (smallest ``C_d[i][j]``, ties to the smaller
``C_e[j]``), through which it reaches the cloud; devices with no link reach
no cloud and are counted apart. ``c(x) = x``, or ``min(1, x)`` with unit
costs (the paper: every transfer that crosses a link costs 1, the LAN 0).
The published values are the defaults: S = 1.15 MB (the GRU; 0.593 MB for
the smaller model), G = 10, G_FL = 20. Costs are in cost units x MB (MB
transferred when costs are unit costs).

Everything is vectorised over the instance's sparse links: one pass of
``numpy`` reductions over the K links, no Python loop over devices.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from hflopt.errors import InstanceError
from hflopt.evaluate._common import check_solution
from hflopt.instance import Instance
from hflopt.solution import Solution

__all__ = ["CommCost", "CommCostParams", "cheapest_hosts", "comm_cost"]


@dataclass(frozen=True)
class CommCostParams:
    """Parameters of the traffic accounting (published values as defaults).

    Attributes
    ----------
    model_size_mb:
        S, the model size in MB (1.15: the paper's GRU; 0.593 the smaller one).
    global_rounds:
        G, global (cloud) rounds of HFL to converge (10).
    global_rounds_flat:
        G_FL, rounds of flat FL to converge (20).
    rounds_ratio:
        l, local rounds per global round; None: the instance's.
    unit_costs:
        Count every transfer as ``min(1, cost)`` (the paper's cost experiment).
    transfers_per_round:
        Model transfers over a link per round (2: down and up).
    """

    model_size_mb: float = 1.15
    global_rounds: int = 10
    global_rounds_flat: int = 20
    rounds_ratio: float | None = None
    unit_costs: bool = False
    transfers_per_round: int = 2

    def __post_init__(self) -> None:
        _positive("model_size_mb", self.model_size_mb)
        for name in ("global_rounds", "global_rounds_flat", "transfers_per_round"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise InstanceError("must be a whole number >= 1", field=name, value=value)
        if self.rounds_ratio is not None and (not math.isfinite(self.rounds_ratio) or self.rounds_ratio < 1):
            raise InstanceError("must be a number >= 1", field="rounds_ratio", value=self.rounds_ratio)


def _positive(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise InstanceError("must be a finite number > 0", field=name, value=value)


@dataclass(frozen=True)
class CommCost:
    """Training traffic of one run (cost units x MB) and the saving against flat FL.

    Attributes
    ----------
    device_edge, edge_cloud:
        The two parts of HFL's traffic; ``hfl`` is their sum.
    flat:
        Flat FL's traffic on the same instance.
    participants, open_hosts:
        Devices taking part and aggregators used by the solution.
    flat_devices, unreachable:
        Devices counted in flat FL, and devices with no link (not counted).
    params:
        The :class:`CommCostParams` used (with the rounds ratio resolved).
    """

    device_edge: float
    edge_cloud: float
    flat: float
    participants: int
    open_hosts: int
    flat_devices: int
    unreachable: int
    params: CommCostParams = field(repr=False)

    @property
    def hfl(self) -> float:
        """HFL's total traffic."""
        return self.device_edge + self.edge_cloud

    @property
    def savings(self) -> float:
        """``1 - hfl / flat`` (a fraction; NaN when flat FL moves nothing)."""
        return 1.0 - self.hfl / self.flat if self.flat > 0 else math.nan

    @property
    def savings_percent(self) -> float:
        """Savings in percent."""
        return 100.0 * self.savings

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready figures (``savings_percent`` is None when undefined)."""
        sav = self.savings_percent
        return {
            "hfl_device_edge": self.device_edge,
            "hfl_edge_cloud": self.edge_cloud,
            "hfl_total": self.hfl,
            "flat_total": self.flat,
            "savings_percent": None if math.isnan(sav) else sav,
            "participants": self.participants,
            "open_hosts": self.open_hosts,
            "flat_devices": self.flat_devices,
            "unreachable_devices": self.unreachable,
            "params": asdict(self.params),
        }

    def to_frame(self) -> Any:
        """One row per traffic component: ``setup``, ``component``, ``cost``."""
        import pandas as pd

        rows = [
            ("HFL", "device-edge", self.device_edge),
            ("HFL", "edge-cloud", self.edge_cloud),
            ("HFL", "total", self.hfl),
            ("flat FL", "total", self.flat),
        ]
        return pd.DataFrame(rows, columns=["setup", "component", "cost"])

    def __str__(self) -> str:
        sav = self.savings_percent
        return (f"HFL {self.hfl:,.1f} (device-edge {self.device_edge:,.1f}, edge-cloud {self.edge_cloud:,.1f}) "
                f"vs flat FL {self.flat:,.1f}: savings {sav:.2f}%")


def _costs(values: np.ndarray, unit: bool) -> np.ndarray:
    return np.minimum(values, 1.0) if unit else np.asarray(values, dtype=np.float64)


def _cheapest_links(inst: Instance, unit_costs: bool) -> tuple[np.ndarray, np.ndarray]:
    """Devices with links, and the index of each one's cheapest link (ties: smaller C_e, then lower host).

    One segmented minimum over all K links; the tie-break then works on the
    (few) cheapest links only.
    """
    ptr = inst.link_ptr
    deg = np.diff(ptr)
    has = deg > 0
    if inst.n_links == 0:
        return np.flatnonzero(has), np.zeros(0, dtype=np.int64)
    link_c = _costs(inst.link_cost, unit_costs)
    best = np.minimum.reduceat(link_c, ptr[:-1][has])
    cand = np.flatnonzero(link_c == np.repeat(best, deg[has]))  # sorted by (device, host)
    starts = np.flatnonzero(np.diff(inst.link_device[cand], prepend=-1))
    counts = np.diff(np.append(starts, cand.size))
    edge_c = _costs(inst.edge_cost, unit_costs)[inst.link_host[cand]]
    low = np.minimum.reduceat(edge_c, starts)
    pos = np.where(edge_c == np.repeat(low, counts), np.arange(cand.size), cand.size)
    return np.flatnonzero(has), cand[np.minimum.reduceat(pos, starts)]


def cheapest_hosts(inst: Instance, *, unit_costs: bool = False) -> np.ndarray:
    """Each device's cheapest host (smallest link cost, ties to the smaller cloud cost); -1 without links."""
    out = np.full(inst.n_devices, -1, dtype=np.int64)
    devices, links = _cheapest_links(inst, unit_costs)
    out[devices] = inst.link_host[links]
    return out


def comm_cost(
    inst: Instance,
    sol: Solution,
    *,
    model_size_mb: float = 1.15,
    global_rounds: int = 10,
    global_rounds_flat: int = 20,
    rounds_ratio: float | None = None,
    unit_costs: bool = False,
    params: CommCostParams | None = None,
) -> CommCost:
    """Training traffic of one run of HFL with ``sol`` and of flat FL on ``inst``.

    Parameters
    ----------
    inst, sol:
        The instance and a solution of it (checked: a solution of another
        instance raises :class:`~hflopt.InstanceError`).
    model_size_mb, global_rounds, global_rounds_flat, rounds_ratio, unit_costs:
        See :class:`CommCostParams` (S, G, G_FL, l -- default the instance's
        -- and ``min(1, c)`` costs). Ignored when ``params`` is given.
    params:
        A ready :class:`CommCostParams`.

    Returns
    -------
    CommCost
        Breakdown, totals and savings; the accounting is in the module
        docstring (:mod:`hflopt.evaluate.comm_cost`).
    """
    if params is None:
        params = CommCostParams(model_size_mb, global_rounds, global_rounds_flat, rounds_ratio, unit_costs)
    links = check_solution(inst, sol)
    ell = float(inst.rounds_ratio if params.rounds_ratio is None else params.rounds_ratio)
    params = CommCostParams(params.model_size_mb, params.global_rounds, params.global_rounds_flat, ell,
                            params.unit_costs, params.transfers_per_round)
    per_round = params.transfers_per_round * params.model_size_mb
    used = links[links >= 0]
    device_edge = per_round * ell * params.global_rounds * float(_costs(inst.link_cost[used], params.unit_costs).sum())
    open_hosts = sol.open_hosts()
    edge_c = _costs(inst.edge_cost, params.unit_costs)
    edge_cloud = per_round * params.global_rounds * float(edge_c[open_hosts].sum())
    reach, cheapest = _cheapest_links(inst, params.unit_costs)
    flat = per_round * params.global_rounds_flat * float(edge_c[inst.link_host[cheapest]].sum())
    return CommCost(device_edge, edge_cloud, flat, int(used.size), int(open_hosts.size), int(reach.size),
                    inst.n_devices - int(reach.size), params)
