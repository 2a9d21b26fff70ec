"""What an orchestration is worth: training traffic and inference latency.

- :func:`comm_cost`: traffic of one training run of HFL with a solution
  against flat FL (the paper's accounting; :mod:`hflopt.evaluate.comm_cost`).
- :class:`Scenario`, :func:`scenario_from_instance`, :func:`load_scenario`,
  :func:`save_scenario`: request rates, capacities and latencies beside an
  instance (:mod:`hflopt.evaluate.scenario`).
- :func:`latency`: analytical M/M/1 or M/D/1 latency per device and overall,
  overloaded nodes reported as such (:mod:`hflopt.evaluate.latency`).
- :func:`simulate`: discrete-event simulation of the same model with SimPy
  (:mod:`hflopt.evaluate.simulate`).
- :func:`latency_limited`: latency-aware capacities and links as an instance
  transformation (:mod:`hflopt.evaluate.capacity`).

SimPy, pandas and matplotlib are imported only when needed, so
``import hflopt`` stays fast.
"""

from hflopt.evaluate.capacity import LatencyLimits, latency_limited
from hflopt.evaluate.comm_cost import CommCost, CommCostParams, cheapest_hosts, comm_cost
from hflopt.evaluate.latency import LatencyParams, LatencyResult, latency
from hflopt.evaluate.routing import Flows, RoutingParams, route
from hflopt.evaluate.scenario import (
    Scenario,
    ScenarioParams,
    load_scenario,
    save_scenario,
    scenario_from_dict,
    scenario_from_instance,
)
from hflopt.evaluate.simulate import SimulationParams, SimulationResult, simulate
from hflopt.evaluate.units import parse_duration_ms

__all__ = [
    "CommCost",
    "CommCostParams",
    "Flows",
    "LatencyLimits",
    "LatencyParams",
    "LatencyResult",
    "RoutingParams",
    "Scenario",
    "ScenarioParams",
    "SimulationParams",
    "SimulationResult",
    "cheapest_hosts",
    "comm_cost",
    "latency",
    "latency_limited",
    "load_scenario",
    "parse_duration_ms",
    "route",
    "save_scenario",
    "scenario_from_dict",
    "scenario_from_instance",
    "simulate",
]
