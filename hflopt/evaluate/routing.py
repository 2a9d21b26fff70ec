"""Who serves which request: the flows of an HFL configuration or of flat FL.

The model (shared by the analytical estimate and the simulation):

- Device ``i`` issues requests at rate ``lambda_i`` and has its own capacity
  ``c_i`` (requests/s). With ``offload="excess"`` (default) it serves
  ``min(lambda_i, u_dev c_i)`` itself in a queue of its own (service rate
  ``c_i``) and offloads the excess; with ``offload="all"`` (the authors'
  testbed) it serves all its requests itself while ``lambda_i <= u_dev c_i``
  and offloads all of them otherwise. ``u_dev`` (``device_max_utilization``,
  default 0.9) keeps the device's own queue stable.
- Offloaded requests of a participating device go to its aggregator ``j``
  over the link (network latency ``d_ij``) and queue there (service rate
  ``mu_j``); in flat FL, and for devices that take no part, they go to the
  cloud (network latency ``d_i^cloud``, service rate ``mu_cloud``).
- Every serving node is a single FIFO server fed by the Poisson superposition
  of its flows: M/M/1 (exponential service times) or M/D/1 (constant).

A :class:`Flows` holds one row per (device, serving node) pair with a positive
rate; nodes are numbered devices ``0..N-1`` (own queues), hosts
``N..N+M-1``, the cloud ``N+M``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from hflopt.errors import InstanceError
from hflopt.evaluate._common import check_solution
from hflopt.evaluate.scenario import Scenario
from hflopt.instance import Instance
from hflopt.solution import Solution

__all__ = ["Flows", "RoutingParams", "route"]

Offload = Literal["excess", "all"]


@dataclass(frozen=True)
class RoutingParams:
    """How devices split their requests (see the module docstring).

    Attributes
    ----------
    offload:
        ``"excess"``: serve up to ``device_max_utilization * capacity`` locally,
        offload the rest; ``"all"``: all locally while the rate is within that
        bound, otherwise offload everything (the authors' testbed).
    device_max_utilization:
        ``u_dev`` in (0, 1).
    """

    offload: Offload = "excess"
    device_max_utilization: float = 0.9

    def __post_init__(self) -> None:
        if self.offload not in ("excess", "all"):
            raise InstanceError("must be 'excess' or 'all'", field="offload", value=self.offload)
        u = self.device_max_utilization
        if not isinstance(u, (int, float)) or not 0 < u < 1:
            raise InstanceError("must be a number in (0, 1)", field="device_max_utilization", value=u)


@dataclass(frozen=True, eq=False)
class Flows:
    """Request flows of one setup.

    Attributes
    ----------
    device, node:
        Device and serving node of each flow (node numbering in the module docstring).
    rate:
        Requests/s of the flow.
    network_ms:
        Network latency of the flow's requests (0 when served by the device itself).
    node_rate, service_rate:
        ``[N+M+1]`` arrival rate and service rate of every node.
    node_names, node_kind:
        Labels (device/host ids, ``"cloud"``) and kinds (``"device"``, ``"host"``, ``"cloud"``).
    setup:
        ``"hfl"`` or ``"flat"``.
    """

    device: np.ndarray
    node: np.ndarray
    rate: np.ndarray
    network_ms: np.ndarray
    node_rate: np.ndarray
    service_rate: np.ndarray
    node_names: tuple[str, ...]
    node_kind: tuple[str, ...]
    setup: str

    @property
    def n_devices(self) -> int:
        return sum(1 for k in self.node_kind if k == "device")

    @property
    def device_rate(self) -> np.ndarray:
        """Total request rate of every device."""
        return np.bincount(self.device, weights=self.rate, minlength=self.n_devices)

    @property
    def active_nodes(self) -> np.ndarray:
        """Nodes with at least one flow."""
        return np.flatnonzero(self.node_rate > 0)


def _local_share(scn: Scenario, params: RoutingParams) -> np.ndarray:
    limit = params.device_max_utilization * scn.device_capacity
    if params.offload == "excess":
        return np.minimum(scn.request_rate, limit)
    return np.where(scn.request_rate <= limit, scn.request_rate, 0.0)


def route(inst: Instance, sol: Solution | None, scn: Scenario, params: RoutingParams | None = None) -> Flows:
    """The flows of HFL with ``sol`` (or of flat FL when ``sol`` is None)."""
    params = params or RoutingParams()
    scn.check(inst)
    n, m = inst.n_devices, inst.n_hosts
    cloud = n + m
    local = _local_share(scn, params)
    off = scn.request_rate - local
    if sol is None:
        target = np.full(n, cloud, dtype=np.int64)
        net = scn.cloud_latency_ms.copy()
        setup = "flat"
    else:
        links = check_solution(inst, sol)
        part = links >= 0
        target = np.where(part, n + sol.host_of, cloud)
        net = np.where(part, scn.link_latency_ms[np.maximum(links, 0)], scn.cloud_latency_ms)
        setup = "hfl"
    dev = np.concatenate([np.arange(n), np.arange(n)])
    node = np.concatenate([np.arange(n), target])
    rate = np.concatenate([local, off])
    network = np.concatenate([np.zeros(n), net])
    keep = rate > 0
    dev, node, rate, network = dev[keep], node[keep], rate[keep], network[keep]
    node_rate = np.bincount(node, weights=rate, minlength=cloud + 1)
    service = np.concatenate([scn.device_capacity, scn.service_rate, [scn.cloud_service_rate]])
    names = (*inst.device_ids, *inst.host_ids, "cloud")
    kinds = ("device",) * n + ("host",) * m + ("cloud",)
    return Flows(dev, node, rate, network, node_rate, service, names, kinds, setup)


def utilization(node_rate: np.ndarray, service_rate: np.ndarray) -> np.ndarray:
    """``rate / service rate`` (0 for an idle node, inf for a loaded node that serves nothing)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.where(node_rate > 0, node_rate / service_rate, 0.0)
    return np.where(np.isnan(rho), 0.0, rho)

