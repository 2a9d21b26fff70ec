"""The paper's two headline results, regenerated: traffic savings by edge density, inference latency.

Both are runnable as ``hflopt reproduce costs`` and ``hflopt reproduce
latency`` (see docs/evaluate.md for the measured tables and how they differ
from the published ones); the functions here return tidy pandas tables.

Costs (:func:`cost_study`, :func:`cost_table`): the authors' cost experiment
-- N = 1,000 devices, M = N / density hosts, their random generator in
zero-cost-LAN mode (cost 0 to one random host, 1 to the others), edge costs
1, workloads ``U{0..40}``, capacities ``U{0..floor(2 N 40 / M)}``, p = 1,
l = 2 -- solved capacity-unaware (the uncapacitated model) and as HFLOP
(capacities kept), each sample's traffic savings against flat FL with unit
costs (:func:`hflopt.evaluate.comm_cost`), mean and Student-t 95% interval
per density; infeasible samples are skipped and counted.

Latency (:func:`latency_study`): the 20-sensor, 4-cluster METR-LA study
(:func:`hflopt.metrla.paper_study`) with the testbed's request rates as
workloads (rate / 100, in hundreds of requests/s, so host capacities
[40, 120, 40, 120] are 4,000 and 12,000 requests/s), every client offloading
all its requests (own capacity = its rate), latencies from
:func:`hflopt.evaluate.scenario_from_instance` (access U(0.8, 10) ms per
client, 50-100 ms more to the cloud and to a far host), flat FL vs
capacity-unaware HFL vs HFLOP, at the base rates and at 10x: analytical
(M/M/1) and simulated (SimPy) mean, median and 95th percentile.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hflopt.errors import InstanceError
from hflopt.evaluate.comm_cost import comm_cost
from hflopt.evaluate.latency import LatencyParams, latency
from hflopt.evaluate.routing import RoutingParams
from hflopt.evaluate.scenario import ScenarioParams, scenario_from_instance
from hflopt.evaluate.simulate import SimulationParams, simulate

__all__ = [
    "METRLA_RATES",
    "PUBLISHED_COST_SAVINGS",
    "PUBLISHED_HFLOP_INTERVALS",
    "PUBLISHED_LATENCY",
    "CostStudyParams",
    "LatencyStudyParams",
    "cost_sample",
    "cost_study",
    "cost_table",
    "latency_study",
    "metrla_data_dir",
    "student_t_interval",
]

log = logging.getLogger(__name__)

UNAWARE = "capacity-unaware HFL"
HFLOP = "HFLOP"
FLAT = "flat FL"

#: Published savings vs flat FL (%), by density (LCN 2024).
PUBLISHED_COST_SAVINGS: dict[str, dict[str, float]] = {
    UNAWARE: {"1:2": 78.2, "1:4": 87.7, "1:8": 93.75, "1:16": 97.0, "1:32": 98.5, "1:64": 99.25},
    HFLOP: {"1:2": 59.5, "1:4": 74.4, "1:8": 82.3, "1:16": 87.0, "1:32": 88.9, "1:64": 93.8},
}
#: Published 95% intervals of the HFLOP row (%).
PUBLISHED_HFLOP_INTERVALS: dict[str, tuple[float, float]] = {
    "1:2": (58.6, 60.4), "1:4": (73.6, 75.2), "1:8": (80.8, 83.7),
    "1:16": (85.0, 88.9), "1:32": (86.6, 91.2), "1:64": (91.9, 95.8),
}
#: Published end-to-end latency (ms): (mean, median, p95) at base rates; means only at 10x.
PUBLISHED_LATENCY: dict[float, dict[str, tuple[float | None, float | None, float | None]]] = {
    1.0: {FLAT: (79.1, 74.0, 104.2), UNAWARE: (17.7, 9.5, 97.9), HFLOP: (9.9, 9.8, 14.5)},
    10.0: {FLAT: (101.0, None, None), UNAWARE: (43.2, None, None), HFLOP: (35.2, None, None)},
}
#: The testbed's inference request rates of the 20 clients, in the study's sensor order.
METRLA_RATES: tuple[int, ...] = (200, 1300, 300, 2000, 2300, 700, 2600, 2300, 1400, 2200, 1500, 800, 600, 0,
                                 1200, 1600, 200, 2000, 800, 300)


# ------------------------------------------------------------------ statistics
def student_t_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided Student-t interval of ``values`` (NaN interval for fewer than 2 values)."""
    from scipy import stats

    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if x.size < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return mean, mean - half, mean + half


# ------------------------------------------------------------------ costs
@dataclass(frozen=True)
class CostStudyParams:
    """The authors' cost experiment (defaults as published) and hflopt's time budget.

    Attributes
    ----------
    devices:
        N (1,000).
    densities:
        Devices per host: M = N // density (2 ... 64).
    seeds:
        Samples per density (seeds ``first_seed ... first_seed + seeds - 1``).
    max_workload, rounds, model_size_mb:
        Dmax = 40, l = 2, S = 1.15 MB.
    time_limit:
        Seconds per HFLOP solve; an instance not proven within it is counted
        with its best solution and its gap reported.
    method:
        hflopt method for HFLOP (``auto``: heuristics, bound, exact solver).
    workers:
        Samples solved in parallel (processes).
    """

    devices: int = 1000
    densities: tuple[int, ...] = (2, 4, 8, 16, 32, 64)
    seeds: int = 10
    first_seed: int = 0
    max_workload: int = 40
    rounds: int = 2
    model_size_mb: float = 1.15
    time_limit: float = 10.0
    method: str = "auto"
    workers: int = 2

    def __post_init__(self) -> None:
        for name in ("devices", "seeds", "workers", "max_workload", "rounds"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise InstanceError("must be a whole number >= 1", field=name, value=value)
        if not self.densities or any(not isinstance(d, int) or d < 1 or d > self.devices for d in self.densities):
            raise InstanceError(f"must be whole numbers in 1..{self.devices}", field="densities",
                                value=self.densities)
        if not (self.time_limit > 0 and math.isfinite(self.time_limit)):
            raise InstanceError("must be a number of seconds > 0", field="time_limit", value=self.time_limit)


def cost_instance(params: CostStudyParams, density: int, seed: int) -> Any:
    """One sample of the authors' cost experiment."""
    from hflopt.generators import random_instance

    n = params.devices
    m = n // density
    return random_instance(m, n, participation=1.0, rounds=params.rounds,
                           max_capacity=math.floor(2 * n * params.max_workload / m),
                           max_workload=params.max_workload, min_cost=1, max_cost=1, zero_cost_lan=True,
                           seed=seed)


def cost_sample(params: CostStudyParams, density: int, seed: int) -> list[dict[str, Any]]:
    """Savings of capacity-unaware HFL and of HFLOP on one sample (two rows; HFLOP row says if infeasible)."""
    from hflopt.solution import Status
    from hflopt.solvers import solve

    inst = cost_instance(params, density, seed)
    rows = []
    for setup, method, options in ((UNAWARE, "exact", {"uncapacitated": True}), (HFLOP, params.method, {})):
        start = time.perf_counter()
        res = solve(inst, method, time_limit=params.time_limit, threads=1, **options)
        seconds = time.perf_counter() - start
        row = {"density": f"1:{density}", "hosts": inst.n_hosts, "seed": seed, "setup": setup,
               "status": res.status.value, "objective": res.objective, "bound": res.bound, "gap": res.gap,
               "seconds": seconds, "savings": math.nan, "flat": math.nan}
        if res.solution is not None and res.status not in (Status.INFEASIBLE, Status.ERROR):
            cost = comm_cost(inst, res.solution, model_size_mb=params.model_size_mb, unit_costs=True)
            row.update(savings=cost.savings_percent, flat=cost.flat)
        rows.append(row)
    return rows


def _run_sample(args: tuple[CostStudyParams, int, int]) -> list[dict[str, Any]]:
    return cost_sample(*args)


def cost_study(params: CostStudyParams | None = None,
               progress: Callable[[list[dict[str, Any]]], None] | None = None) -> Any:
    """Every sample of the cost experiment: one row per (density, seed, setup).

    Samples run in ``params.workers`` processes; ``progress`` is called with
    each finished sample's rows.
    """
    import pandas as pd

    params = params or CostStudyParams()
    jobs = [(params, d, s) for d in params.densities for s in range(params.first_seed,
                                                                     params.first_seed + params.seeds)]
    rows: list[dict[str, Any]] = []
    if params.workers == 1:
        for job in jobs:
            rows += _note(_run_sample(job), progress)
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(params.workers, mp_context=ctx) as pool:
            futures = [pool.submit(_run_sample, job) for job in jobs]
            for fut in as_completed(futures):
                rows += _note(fut.result(), progress)
    frame = pd.DataFrame(rows)
    order = {f"1:{d}": k for k, d in enumerate(params.densities)}
    return frame.sort_values(["density", "seed", "setup"], key=lambda c: c.map(order) if c.name == "density"
                             else c).reset_index(drop=True)


def _note(rows: list[dict[str, Any]], progress: Callable[[list[dict[str, Any]]], None] | None
          ) -> list[dict[str, Any]]:
    if progress is not None:
        progress(rows)
    return rows


def cost_table(samples: Any) -> Any:
    """Mean and 95% Student-t interval of the savings per density and setup, beside the published figures.

    A sample whose HFLOP instance is infeasible is skipped for both setups.
    Columns: ``density``, ``setup``, ``samples``, ``skipped``, ``mean``,
    ``ci_low``, ``ci_high``, ``proven`` (solved to optimality), ``max_gap``,
    ``seconds`` (total solve time), ``published``, ``published_low``,
    ``published_high``.
    """
    import pandas as pd

    bad = samples[(samples["setup"] == HFLOP) & samples["savings"].isna()][["density", "seed"]]
    skip = set(map(tuple, bad.to_numpy().tolist()))
    keep = ~samples[["density", "seed"]].apply(tuple, axis=1).isin(skip)
    rows = []
    for (density, setup), part in samples[keep].groupby(["density", "setup"], sort=False):
        mean, low, high = student_t_interval(part["savings"].to_numpy())
        pub_low, pub_high = PUBLISHED_HFLOP_INTERVALS.get(density, (math.nan, math.nan)) if setup == HFLOP \
            else (math.nan, math.nan)
        rows.append({"density": density, "setup": setup, "samples": len(part),
                     "skipped": sum(1 for d, _ in skip if d == density), "mean": mean, "ci_low": low,
                     "ci_high": high, "proven": int((part["status"] == "optimal").sum()),
                     "max_gap": float(part["gap"].fillna(0).max()), "seconds": float(part["seconds"].sum()),
                     "published": PUBLISHED_COST_SAVINGS.get(setup, {}).get(density, math.nan),
                     "published_low": pub_low, "published_high": pub_high})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ latency
def metrla_data_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """The METR-LA folder (``clusters.dat``, ``graph_sensor_locations.csv``).

    Default: ``$HFLOPT_SHARED/data/metr-la`` when ``HFLOPT_SHARED`` is set,
    else ``../shared/data/metr-la`` from the current folder.

    Raises
    ------
    InstanceError
        When the folder or its files are missing (the data is not shipped).
    """
    if path is None:
        base = os.environ.get("HFLOPT_SHARED")
        path = Path(base) / "data" / "metr-la" if base else Path("..") / "shared" / "data" / "metr-la"
    folder = Path(path)
    for name in ("clusters.dat", "graph_sensor_locations.csv"):
        if not (folder / name).is_file():
            raise InstanceError(
                f"METR-LA data not found: {folder / name} is missing (the data is not shipped with hflopt; "
                "give --data DIR or set HFLOPT_SHARED)", field="data", value=str(folder))
    return folder


@dataclass(frozen=True)
class LatencyStudyParams:
    """The METR-LA latency study (the testbed's values as defaults).

    Attributes
    ----------
    rates:
        Request rates of the 20 clients (requests/s), in sensor order.
    rate_unit:
        Requests/s per unit of workload and capacity (100: workloads
        ``rate / 100``, host service rates ``100 R_j``).
    factors:
        Load multipliers to evaluate (1 and 10: the base rates and 10x).
    requests, seed:
        Simulated requests per setup and load (2,000 as measured) and the seed
        of the scenario draws and of the simulation.
    model:
        Queue model (``mm1`` or ``md1``).
    scenario:
        How latencies are drawn (:class:`~hflopt.evaluate.ScenarioParams`;
        the rate unit, own capacity = rate and seed are set from the fields
        above).
    """

    rates: tuple[float, ...] = METRLA_RATES
    rate_unit: float = 100.0
    factors: tuple[float, ...] = (1.0, 10.0)
    requests: int = 2000
    seed: int = 0
    model: str = "mm1"
    scenario: ScenarioParams = field(default_factory=ScenarioParams)


def latency_setups(data: Path, params: LatencyStudyParams) -> tuple[Any, dict[str, Any]]:
    """The study's instance and the three setups' solutions (None = flat FL)."""
    from hflopt.metrla import paper_study
    from hflopt.solvers import solve

    inst = paper_study(data / "clusters.dat", locations=data / "graph_sensor_locations.csv")
    if len(params.rates) != inst.n_devices:
        raise InstanceError(f"must have {inst.n_devices} values", field="rates", value=len(params.rates))
    inst = inst.replace(workload=np.asarray(params.rates, dtype=np.float64) / params.rate_unit)
    unaware = solve(inst, "exact", uncapacitated=True)
    hflop = solve(inst, "exact")
    return inst, {FLAT: None, UNAWARE: unaware.solution, HFLOP: hflop.solution}


def _latency_row(inst: Any, setup: str, sol: Any, scn: Any, factor: float, params: LatencyStudyParams,
                 routing: RoutingParams) -> tuple[dict[str, Any], np.ndarray]:
    ana = latency(inst, sol, scn, LatencyParams(model=params.model, percentiles=(50, 95), routing=routing))
    sim = simulate(inst, sol, scn, SimulationParams(params.requests, params.seed, params.model, None, routing))
    pub = PUBLISHED_LATENCY.get(factor, {}).get(setup, (None, None, None))
    row = {
        "load": f"{factor:g}x", "setup": setup,
        "analytical_mean": ana.mean_ms, "analytical_median": ana.percentiles_ms["p50"],
        "analytical_p95": ana.percentiles_ms["p95"],
        "overloaded": ", ".join(f"{n} x{f:.2f}" for n, f in ana.overloaded),
        "sim_mean": sim.mean_ms, "sim_median": sim.percentile(50), "sim_p95": sim.percentile(95),
        "sim_p99": sim.percentile(99),
        "published_mean": pub[0], "published_median": pub[1], "published_p95": pub[2],
    }
    return row, sim.latency_ms


def latency_study(data: str | os.PathLike[str] | None = None, params: LatencyStudyParams | None = None
                  ) -> tuple[Any, dict[str, np.ndarray], dict[str, Any]]:
    """Flat FL vs capacity-unaware HFL vs HFLOP on the METR-LA study, at each load factor.

    Returns
    -------
    table, samples, placements
        One row per (load, setup) with analytical and simulated mean,
        median, p95 (ms) and the published figures; the simulated latencies
        per ``"<setup> @ <load>"``; per setup the devices per cluster and the
        host loads (in requests/s).
    """
    import pandas as pd

    params = params or LatencyStudyParams()
    folder = metrla_data_dir(data)
    inst, setups = latency_setups(folder, params)
    sp = params.scenario
    base = scenario_from_instance(inst, ScenarioParams(sp.access_ms, sp.ms_per_km, sp.far_km, sp.far_ms, sp.cloud_ms,
                                                       params.rate_unit, "rate", sp.cloud_service_rate, params.seed))
    routing = RoutingParams(offload="all")
    rows, samples = [], {}
    for factor in params.factors:
        scn = base.scaled(factor)
        for setup, sol in setups.items():
            row, lat = _latency_row(inst, setup, sol, scn, factor, params, routing)
            rows.append(row)
            samples[f"{setup} @ {factor:g}x"] = lat
    placements = {}
    for setup, sol in setups.items():
        if sol is not None:
            placements[setup] = {"devices_per_host": np.bincount(sol.host_of[sol.host_of >= 0],
                                                                 minlength=inst.n_hosts).tolist(),
                                 "load_per_host": (sol.loads(inst) * params.rate_unit).tolist(),
                                 "capacity_per_host": (inst.capacity * params.rate_unit).tolist()}
    return pd.DataFrame(rows), samples, placements
