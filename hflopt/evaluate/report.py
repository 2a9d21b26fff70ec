"""Both evaluations of one solution at once: what ``hflopt evaluate`` and ``solve --evaluate`` print."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hflopt.evaluate.comm_cost import CommCost, CommCostParams, comm_cost
from hflopt.evaluate.latency import LatencyParams, LatencyResult, latency
from hflopt.evaluate.scenario import Scenario, ScenarioParams, scenario_from_instance
from hflopt.evaluate.simulate import SimulationParams, SimulationResult, simulate
from hflopt.instance import Instance
from hflopt.solution import Solution

__all__ = ["Evaluation", "EvaluationParams", "evaluate_solution"]


@dataclass(frozen=True)
class EvaluationParams:
    """What to evaluate.

    Attributes
    ----------
    comm:
        Traffic accounting (:class:`CommCostParams`).
    latency:
        Analytical model, percentiles, SLO and routing (:class:`LatencyParams`).
    simulate_requests:
        Requests to simulate per setup (None: no simulation).
    seed:
        Seeds the simulation and, when no scenario is given, the derived scenario.
    """

    comm: CommCostParams = field(default_factory=CommCostParams)
    latency: LatencyParams = field(default_factory=LatencyParams)
    simulate_requests: int | None = None
    seed: int = 0


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Traffic and latency of HFL with one solution, beside flat FL."""

    comm: CommCost
    hfl: LatencyResult
    flat: LatencyResult
    sim_hfl: SimulationResult | None = None
    sim_flat: SimulationResult | None = None
    scenario: Scenario | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (strict JSON: infinite latencies as null, overloaded nodes listed)."""
        out: dict[str, Any] = {
            "comm_cost": self.comm.to_dict(),
            "latency": {"hfl": self.hfl.to_dict(), "flat": self.flat.to_dict()},
        }
        if self.sim_hfl is not None and self.sim_flat is not None:
            out["simulation"] = {"hfl": self.sim_hfl.to_dict(), "flat": self.sim_flat.to_dict()}
        if self.scenario is not None:
            out["scenario"] = self.scenario.metadata
        return out

    def text(self) -> str:
        """A readable report."""
        c = self.comm
        p = c.params
        lines = [
            f"training traffic per run (S = {p.model_size_mb:g} MB, G = {p.global_rounds}, "
            f"G_FL = {p.global_rounds_flat}, l = {p.rounds_ratio:g}{', unit costs' if p.unit_costs else ''})",
            f"  HFL      {c.hfl:14,.2f}  (device-edge {c.device_edge:,.2f}, edge-cloud {c.edge_cloud:,.2f})",
            f"  flat FL  {c.flat:14,.2f}",
            f"  savings  {c.savings_percent:13.2f}%",
            f"inference latency ({self.hfl.model}, analytical)",
            f"  {self.hfl}",
            f"  {self.flat}",
        ]
        if self.sim_hfl is not None and self.sim_flat is not None:
            lines += ["inference latency (simulated)", f"  {self.sim_hfl}", f"  {self.sim_flat}"]
        return "\n".join(lines)


def evaluate_solution(
    inst: Instance,
    sol: Solution,
    scenario: Scenario | None = None,
    params: EvaluationParams | None = None,
) -> Evaluation:
    """Traffic, analytical latency and (optionally) simulated latency of ``sol`` and of flat FL.

    Without a scenario, one is derived from the instance with the default
    :class:`ScenarioParams` (seeded by ``params.seed``).
    """
    params = params or EvaluationParams()
    if scenario is None:
        scenario = scenario_from_instance(inst, ScenarioParams(seed=params.seed))
    cost = comm_cost(inst, sol, params=params.comm)
    hfl = latency(inst, sol, scenario, params.latency)
    flat = latency(inst, None, scenario, params.latency)
    sim_hfl = sim_flat = None
    if params.simulate_requests:
        lp = params.latency
        sp = SimulationParams(params.simulate_requests, params.seed, lp.model, lp.slo_ms, lp.routing)
        sim_hfl = simulate(inst, sol, scenario, sp)
        sim_flat = simulate(inst, None, scenario, sp)
    return Evaluation(cost, hfl, flat, sim_hfl, sim_flat, scenario)
