"""Analytical inference latency of an HFL configuration (or of flat FL).

Model (see :mod:`hflopt.evaluate.routing` for who serves what): each device
serves what its own capacity allows and offloads the rest -- to its
aggregator in HFL, to the cloud in flat FL and when it takes no part. Every
serving node (a device's own queue, an edge host, the cloud) is one FIFO
server fed by Poisson arrivals: M/M/1 (exponential service, default) or M/D/1
(constant service time ``1 / mu``); the formulas are in
:mod:`hflopt.evaluate.queueing`. A request's latency is the network latency
of its path (0 when the device serves itself; the link's latency to the
aggregator; the device's cloud latency) plus its sojourn (waiting + service)
at the serving node.

Per device and overall, the mean and percentiles of that latency follow
exactly from the closed forms: the latency of a device's requests is a
mixture of (at most two) shifted sojourn distributions, and the overall one a
mixture over all devices weighted by their rates; percentiles are found by
bisection on the mixture's distribution function.

A node whose arrival rate reaches its service rate is **overloaded**: its
queue grows without bound, so the latency of its requests is infinite. Such
nodes are listed with their overload factor ``rate / service rate`` and every
mean or percentile that depends on them is ``inf`` -- never a made-up number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hflopt.errors import InstanceError
from hflopt.evaluate.queueing import QueueModel, sojourn_cdf, sojourn_mean
from hflopt.evaluate.routing import Flows, RoutingParams, route, utilization
from hflopt.evaluate.scenario import Scenario
from hflopt.instance import Instance
from hflopt.solution import Solution

__all__ = ["LatencyParams", "LatencyResult", "latency"]

_BISECTION_STEPS = 64


@dataclass(frozen=True)
class LatencyParams:
    """Parameters of the latency evaluation.

    Attributes
    ----------
    model:
        ``"mm1"`` (exponential service times) or ``"md1"`` (constant).
    percentiles:
        Percentiles to report (in percent, e.g. ``(50, 95, 99)``).
    slo_ms:
        Latency objective: the share of requests slower than it is reported
        (None: not reported).
    routing:
        How devices split their requests (:class:`~hflopt.evaluate.routing.RoutingParams`).
    """

    model: QueueModel = "mm1"
    percentiles: tuple[float, ...] = (50.0, 95.0, 99.0)
    slo_ms: float | None = None
    routing: RoutingParams = field(default_factory=RoutingParams)

    def __post_init__(self) -> None:
        if self.model not in ("mm1", "md1"):
            raise InstanceError("must be 'mm1' or 'md1'", field="model", value=self.model)
        for q in self.percentiles:
            if not 0 < q < 100:
                raise InstanceError("must be in (0, 100)", field="percentiles", value=q)
        if self.slo_ms is not None and not (self.slo_ms >= 0 and math.isfinite(self.slo_ms)):
            raise InstanceError("must be a finite number of ms >= 0", field="slo_ms", value=self.slo_ms)


def _pct_key(q: float) -> str:
    return f"p{q:g}"


@dataclass(frozen=True, eq=False)
class LatencyResult:
    """Latency of one setup (HFL with a solution, or flat FL); times in ms.

    Attributes
    ----------
    setup, model:
        ``"hfl"`` or ``"flat"``; ``"mm1"`` or ``"md1"``.
    mean_ms, percentiles_ms:
        Over all requests (``inf`` where overloaded nodes make them so).
    share_over_slo:
        Share of requests slower than ``slo_ms`` (None without an SLO).
    device_mean_ms, device_percentiles_ms:
        Per device (NaN for devices that send no request).
    flows:
        The routing (:class:`~hflopt.evaluate.routing.Flows`).
    node_sojourn_ms:
        Mean sojourn at every node (``inf`` when overloaded).
    overloaded:
        ``(node name, overload factor)`` of every overloaded node.
    """

    setup: str
    model: str
    mean_ms: float
    percentiles_ms: dict[str, float]
    slo_ms: float | None
    share_over_slo: float | None
    device_ids: tuple[str, ...]
    device_mean_ms: np.ndarray
    device_percentiles_ms: dict[str, np.ndarray]
    flows: Flows = field(repr=False)
    node_sojourn_ms: np.ndarray = field(repr=False)
    overloaded: tuple[tuple[str, float], ...] = ()

    @property
    def overloaded_share(self) -> float:
        """Share of all requests that go to an overloaded node."""
        f = self.flows
        total = f.rate.sum()
        bad = np.isinf(self.node_sojourn_ms[f.node])
        return float(f.rate[bad].sum() / total) if total > 0 else 0.0

    def nodes_frame(self) -> Any:
        """One row per serving node with traffic: name, kind, rate, service rate, utilisation, sojourn."""
        import pandas as pd

        f = self.flows
        act = f.active_nodes
        rho = utilization(f.node_rate[act], f.service_rate[act])
        return pd.DataFrame({
            "node": [f.node_names[k] for k in act],
            "kind": [f.node_kind[k] for k in act],
            "arrival_rate": f.node_rate[act],
            "service_rate": f.service_rate[act],
            "utilization": rho,
            "overloaded": rho >= 1,
            "mean_sojourn_ms": self.node_sojourn_ms[act],
        })

    def to_frame(self) -> Any:
        """One row per device: rate, who serves its offloaded requests, mean and percentiles (ms)."""
        import pandas as pd

        f = self.flows
        n = len(self.device_ids)
        served = np.full(n, "", dtype=object)
        remote = f.node != f.device
        served[f.device[remote]] = [f.node_names[k] for k in f.node[remote]]
        served[f.device[~remote]] = [("self+" + s) if s else "self" for s in served[f.device[~remote]]]
        frame = pd.DataFrame({"device": self.device_ids, "request_rate": f.device_rate, "served_by": served,
                              "mean_ms": self.device_mean_ms})
        for key, values in self.device_percentiles_ms.items():
            frame[f"{key}_ms"] = values
        return frame

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary: infinite values as ``null`` with the overloaded nodes listed."""
        return {
            "setup": self.setup,
            "model": self.model,
            "mean_ms": _finite(self.mean_ms),
            "percentiles_ms": {k: _finite(v) for k, v in self.percentiles_ms.items()},
            "slo_ms": self.slo_ms,
            "share_over_slo": self.share_over_slo,
            "overloaded": [{"node": name, "overload_factor": factor} for name, factor in self.overloaded],
            "overloaded_share": self.overloaded_share,
        }

    def __str__(self) -> str:
        pct = "  ".join(f"{k} {_fmt(v)}" for k, v in self.percentiles_ms.items())
        text = f"{self.setup} ({self.model}): mean {_fmt(self.mean_ms)}  {pct}"
        if self.share_over_slo is not None:
            text += f"  over {self.slo_ms:g} ms: {self.share_over_slo:.2%}"
        if self.overloaded:
            text += "  OVERLOADED " + ", ".join(f"{n} x{fac:.3g}" for n, fac in self.overloaded)
        return text


def _finite(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _fmt(ms: float) -> str:
    return "inf (overloaded)" if math.isinf(ms) else f"{ms:.2f} ms"


# ------------------------------------------------------------- mixtures
def _rate_groups(flows: Flows, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flows grouped by their node's (arrival rate, service rate): one sojourn CDF per group."""
    node = flows.node[idx]
    keys = np.stack([flows.node_rate[node], flows.service_rate[node]])
    uniq, inv = np.unique(keys, axis=1, return_inverse=True)
    return uniq, inv.reshape(-1)


def flow_cdf(model: QueueModel, flows: Flows, t_ms: np.ndarray, sel: np.ndarray | None = None,
             groups: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """``P(latency <= t)`` of each flow's requests (``t_ms`` one value per selected flow).

    ``groups`` is :func:`_rate_groups` of the same selection, for callers that
    evaluate the CDF many times (the quantile bisection).
    """
    idx = np.arange(flows.node.size) if sel is None else sel
    s = (np.asarray(t_ms, dtype=np.float64) - flows.network_ms[idx]) / 1000.0
    out = np.zeros(idx.size)
    uniq, inv = groups if groups is not None else _rate_groups(flows, idx)
    for u in range(uniq.shape[1]):
        hit = inv == u
        out[hit] = sojourn_cdf(model, float(uniq[0, u]), float(uniq[1, u]), s[hit])
    return out


def mixture_quantiles(model: QueueModel, flows: Flows, group: np.ndarray, n_groups: int,
                      q: float) -> np.ndarray:
    """Per group, the q-quantile (ms) of the rate-weighted mixture of its flows (inf if unreachable)."""
    w = flows.rate
    wsum = np.bincount(group, weights=w, minlength=n_groups)
    sojourn = sojourn_mean(model, flows.node_rate[flows.node], flows.service_rate[flows.node])
    finite_w = np.bincount(group, weights=np.where(np.isfinite(sojourn), w, 0.0), minlength=n_groups)
    target = q * wsum
    reach = finite_w >= target * (1 + 1e-12) - 1e-300
    lo = np.zeros(n_groups)
    hi = np.ones(n_groups)
    fin_flow = np.isfinite(sojourn)
    base = np.bincount(group[fin_flow], weights=flows.network_ms[fin_flow] + 1000 * sojourn[fin_flow],
                       minlength=n_groups)
    hi = np.maximum(hi, 2.0 * base / np.maximum(np.bincount(group, minlength=n_groups), 1) + 1.0)

    groups = _rate_groups(flows, np.arange(flows.node.size))

    def mass(t: np.ndarray) -> np.ndarray:
        return np.bincount(group, weights=w * flow_cdf(model, flows, t[group], groups=groups), minlength=n_groups)

    for _ in range(200):
        short = reach & (mass(hi) < target)
        if not short.any():
            break
        hi = np.where(short, hi * 2.0, hi)
    for _ in range(_BISECTION_STEPS):
        mid = 0.5 * (lo + hi)
        below = mass(mid) < target
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    out = np.where(reach, hi, np.inf)
    return np.where(wsum > 0, out, np.nan)


# ------------------------------------------------------------- evaluation
def latency(
    inst: Instance,
    sol: Solution | None,
    scenario: Scenario,
    params: LatencyParams | None = None,
    **kwargs: Any,
) -> LatencyResult:
    """Analytical inference latency of HFL with ``sol`` (flat FL when ``sol`` is None).

    Parameters
    ----------
    inst, sol:
        The instance and a solution of it (None: flat FL, every offloaded
        request goes to the cloud).
    scenario:
        Request rates, capacities and latencies (:class:`~hflopt.evaluate.Scenario`).
    params:
        A :class:`LatencyParams`; or its fields as keyword arguments
        (``model="md1"``, ``slo_ms=20``, ...).

    Returns
    -------
    LatencyResult
        Mean and percentiles per device and overall, sojourn per node and the
        overloaded nodes (see the module docstring for the model).
    """
    if params is None:
        params = LatencyParams(**kwargs)
    elif kwargs:
        raise TypeError("give params or keyword arguments, not both")
    flows = route(inst, sol, scenario, params.routing)
    n = inst.n_devices
    node_soj = 1000.0 * sojourn_mean(params.model, flows.node_rate, flows.service_rate)
    flow_mean = flows.network_ms + node_soj[flows.node]
    wsum = np.bincount(flows.device, weights=flows.rate, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        dev_mean = _weighted_mean(flows.device, flows.rate, flow_mean, n) / np.where(wsum > 0, wsum, np.nan)
    total = flows.rate.sum()
    overall_mean = float(_weighted_mean(np.zeros_like(flows.device), flows.rate, flow_mean, 1)[0] / total) \
        if total > 0 else math.nan
    one = np.zeros(flows.node.size, dtype=np.int64)
    pct, dev_pct = {}, {}
    for q in params.percentiles:
        pct[_pct_key(q)] = float(mixture_quantiles(params.model, flows, one, 1, q / 100.0)[0])
        dev_pct[_pct_key(q)] = mixture_quantiles(params.model, flows, flows.device, n, q / 100.0)
    share = None
    if params.slo_ms is not None and total > 0:
        below = flows.rate * flow_cdf(params.model, flows, np.full(flows.node.size, params.slo_ms))
        share = float(1.0 - below.sum() / total)
    rho = utilization(flows.node_rate, flows.service_rate)
    over = tuple((flows.node_names[k], float(rho[k])) for k in np.flatnonzero((rho >= 1) & (flows.node_rate > 0)))
    return LatencyResult(flows.setup, params.model, overall_mean, pct, params.slo_ms, share, inst.device_ids,
                         dev_mean, dev_pct, flows, node_soj, over)


def _weighted_mean(group: np.ndarray, w: np.ndarray, x: np.ndarray, n: int) -> np.ndarray:
    """``sum w x`` per group, with inf (not NaN) where an infinite x has positive weight."""
    inf = np.isinf(x) & (w > 0)
    out = np.bincount(group, weights=np.where(inf, 0.0, w * x), minlength=n)
    has_inf = np.bincount(group, weights=inf.astype(np.float64), minlength=n) > 0
    return np.where(has_inf, np.inf, out)
