"""Discrete-event simulation of inference requests (SimPy).

The same model as the analytical estimate (:mod:`hflopt.evaluate.latency`),
simulated request by request: ``n`` requests over the horizon
``T = n / (total request rate)``, every serving node a FIFO single server
(``simpy.Resource`` with capacity 1) that starts empty.

Because the serving nodes do not interact (a request is served by exactly one
node), each node is simulated on its own: its arrivals are the superposition
of its flows' Poisson processes, drawn with numpy (the number of requests of
every flow is multinomial given ``n``; the arrival times of a node's requests
are sorted uniform draws on ``[0, T]``, and each is given to one of its flows
at random in proportion to the flows' counts -- exactly a Poisson
superposition conditioned on ``n``), and the queueing itself -- waiting for
the server, holding it for the service time, releasing it -- is done by
SimPy. Service times are exponential (M/M/1) or constant (M/D/1). A node with
an infinite service rate (by default the cloud) serves at once.

Results are reproducible: the same inputs and seed give the same latencies.
A node is reported as overloaded when its simulated offered load (requests
per second of the run times the mean simulated service time) exceeds 1 by
more than three standard errors (``load * sqrt((1 + cv^2) / count)``, ``cv``
the service times' coefficient of variation), so that a node at load 0.95
is not flagged by the noise of a short run; the latencies of an overloaded
node are those of a queue that grows over the run, and so depend on ``n``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from hflopt.errors import InstanceError
from hflopt.evaluate.queueing import QueueModel
from hflopt.evaluate.routing import Flows, RoutingParams, route
from hflopt.evaluate.scenario import Scenario
from hflopt.instance import Instance
from hflopt.solution import Solution

__all__ = ["SimulationParams", "SimulationResult", "fifo_sojourn", "simulate"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SimulationParams:
    """Parameters of :func:`simulate`.

    Attributes
    ----------
    n_requests:
        Requests to simulate (over all devices).
    seed:
        Seeds every draw.
    model:
        ``"mm1"`` (exponential service times) or ``"md1"`` (constant).
    slo_ms:
        Latency objective: the share of requests slower than it is reported.
    routing:
        How devices split their requests.
    """

    n_requests: int = 100_000
    seed: int = 0
    model: QueueModel = "mm1"
    slo_ms: float | None = None
    routing: RoutingParams = field(default_factory=RoutingParams)

    def __post_init__(self) -> None:
        if isinstance(self.n_requests, bool) or not isinstance(self.n_requests, (int, np.integer)) \
                or self.n_requests < 1:
            raise InstanceError("must be a whole number >= 1", field="n_requests", value=self.n_requests)
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise InstanceError("must be a whole number >= 0", field="seed", value=self.seed)
        if self.model not in ("mm1", "md1"):
            raise InstanceError("must be 'mm1' or 'md1'", field="model", value=self.model)
        if self.slo_ms is not None and not (self.slo_ms >= 0 and math.isfinite(self.slo_ms)):
            raise InstanceError("must be a finite number of ms >= 0", field="slo_ms", value=self.slo_ms)


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """Simulated requests of one setup; times in ms.

    Attributes
    ----------
    setup:
        ``"hfl"`` or ``"flat"``.
    latency_ms, device, node:
        Per request: end-to-end latency, issuing device, serving node.
    flows:
        The routing.
    node_load, node_load_se:
        Simulated offered load of every node and its standard error (NaN for
        nodes without requests).
    params:
        The :class:`SimulationParams`.
    """

    setup: str
    latency_ms: np.ndarray
    device: np.ndarray
    node: np.ndarray
    flows: Flows = field(repr=False)
    node_load: np.ndarray = field(repr=False)
    node_load_se: np.ndarray = field(repr=False)
    params: SimulationParams = field(repr=False)
    seconds: float = 0.0

    @property
    def mean_ms(self) -> float:
        return float(self.latency_ms.mean())

    def percentile(self, q: float) -> float:
        """The q-th percentile (q in percent) of the simulated latencies."""
        return float(np.percentile(self.latency_ms, q))

    def share_over(self, slo_ms: float) -> float:
        """Share of requests slower than ``slo_ms``."""
        return float(np.mean(self.latency_ms > slo_ms))

    @property
    def overloaded(self) -> tuple[tuple[str, float], ...]:
        """``(node, simulated load)`` of every node whose load exceeds 1 by more than 3 standard errors."""
        low = np.nan_to_num(self.node_load - 3.0 * self.node_load_se, nan=0.0)
        hit = np.flatnonzero(low > 1)
        return tuple((self.flows.node_names[k], float(self.node_load[k])) for k in hit)

    def summary(self) -> dict[str, Any]:
        """Mean, median, p95, p99, share over the SLO, overloaded nodes."""
        out: dict[str, Any] = {
            "setup": self.setup,
            "model": self.params.model,
            "requests": int(self.latency_ms.size),
            "seed": self.params.seed,
            "mean_ms": self.mean_ms,
            "median_ms": self.percentile(50),
            "p95_ms": self.percentile(95),
            "p99_ms": self.percentile(99),
            "slo_ms": self.params.slo_ms,
            "share_over_slo": None if self.params.slo_ms is None else self.share_over(self.params.slo_ms),
            "overloaded": [{"node": n, "simulated_load": v} for n, v in self.overloaded],
        }
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (not the per-request latencies)."""
        return {**self.summary(), "routing": asdict(self.params.routing)}

    def to_frame(self) -> Any:
        """One row per request: device, serving node, latency (ms)."""
        import pandas as pd

        names = np.asarray(self.flows.node_names, dtype=object)
        dev_names = names[: self.flows.n_devices]
        return pd.DataFrame({"device": dev_names[self.device], "node": names[self.node],
                             "latency_ms": self.latency_ms})

    def __str__(self) -> str:
        s = self.summary()
        text = (f"{self.setup} simulated ({s['model']}, {s['requests']:,} requests, seed {s['seed']}): "
                f"mean {s['mean_ms']:.2f} ms  median {s['median_ms']:.2f}  p95 {s['p95_ms']:.2f}  "
                f"p99 {s['p99_ms']:.2f}")
        if s["share_over_slo"] is not None:
            text += f"  over {s['slo_ms']:g} ms: {s['share_over_slo']:.2%}"
        if self.overloaded:
            text += "  OVERLOADED " + ", ".join(f"{n} x{v:.3g}" for n, v in self.overloaded)
        return text


def fifo_sojourn(arrivals: np.ndarray, service: np.ndarray) -> np.ndarray:
    """Sojourn times of requests through one FIFO server, simulated with SimPy.

    Parameters
    ----------
    arrivals:
        Sorted arrival times (s).
    service:
        Service time of each request (s).
    """
    import simpy

    env = simpy.Environment()
    server = simpy.Resource(env, capacity=1)
    done = np.empty(arrivals.size)
    arr = arrivals.tolist()
    svc = service.tolist()

    def request(k: int) -> Any:
        with server.request() as req:
            yield req
            yield env.timeout(svc[k])
        done[k] = env.now

    def source() -> Any:
        last = 0.0
        for k, t in enumerate(arr):
            yield env.timeout(t - last)
            last = t
            env.process(request(k))

    env.process(source())
    env.run()
    return done - arrivals


def _node_requests(
    flows: Flows, counts: np.ndarray, node: int, horizon: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Arrival times (sorted) and flow index of every request served by ``node``."""
    own = np.flatnonzero(flows.node == node)
    labels = np.repeat(own, counts[own])
    rng.shuffle(labels)
    times = np.sort(rng.uniform(0.0, horizon, size=labels.size))
    return times, labels


def simulate(
    inst: Instance,
    sol: Solution | None,
    scenario: Scenario,
    params: SimulationParams | None = None,
    **kwargs: Any,
) -> SimulationResult:
    """Simulate inference requests of HFL with ``sol`` (flat FL when ``sol`` is None).

    Parameters
    ----------
    inst, sol, scenario:
        As for :func:`hflopt.evaluate.latency`.
    params:
        A :class:`SimulationParams`; or its fields as keyword arguments
        (``n_requests=100_000``, ``seed=0``, ``model="md1"``, ``slo_ms=20``).
    """
    import time

    if params is None:
        params = SimulationParams(**kwargs)
    elif kwargs:
        raise TypeError("give params or keyword arguments, not both")
    start = time.perf_counter()
    flows = route(inst, sol, scenario, params.routing)
    total = float(flows.rate.sum())
    if total <= 0:
        raise InstanceError("no device sends requests: nothing to simulate", field="request_rate", value=0.0)
    n = int(params.n_requests)
    horizon = n / total
    rng = np.random.default_rng(params.seed)
    counts = rng.multinomial(n, flows.rate / total)
    lat, dev, nod = [], [], []
    load = np.full(flows.node_rate.size, np.nan)
    load_se = np.full(flows.node_rate.size, np.nan)
    for node in np.unique(flows.node[counts > 0]):
        times, labels = _node_requests(flows, counts, int(node), horizon, rng)
        mu = float(flows.service_rate[node])
        if math.isinf(mu):
            soj = np.zeros(times.size)
            load[node] = load_se[node] = 0.0
        else:
            service = rng.exponential(1.0 / mu, size=times.size) if params.model == "mm1" \
                else np.full(times.size, 1.0 / mu)
            soj = fifo_sojourn(times, service)
            load[node] = times.size / horizon * float(service.mean())
            cv2 = float(service.var() / service.mean() ** 2)
            load_se[node] = load[node] * math.sqrt((1.0 + cv2) / times.size)
        lat.append(flows.network_ms[labels] + 1000.0 * soj)
        dev.append(flows.device[labels])
        nod.append(np.full(times.size, node, dtype=np.int64))
    seconds = time.perf_counter() - start
    log.info("simulated %d requests (%s) in %.2f s", n, flows.setup, seconds)
    return SimulationResult(flows.setup, np.concatenate(lat), np.concatenate(dev), np.concatenate(nod), flows,
                            load, load_se, params, seconds)
