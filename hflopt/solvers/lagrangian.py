"""The ``lagrangian`` method: a certified Lagrangian lower bound plus a Lagrangian heuristic.

Stages: the subgradient walk of :mod:`hflopt.solvers.subgradient` (where the
relaxation, the LP knapsacks that keep every bound valid, the starting
multipliers, the step rule and the link core are described) with the
Lagrangian heuristic every few iterations; then, while the gap is open, the
core search of :mod:`hflopt.solvers.core_search` (LP-guided moves of open
hosts among the hosts the multipliers rank best) and the local search. The
result's bound is the best Lagrangian value, recomputed on all links and
rounded up when the data are integral.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hflopt.instance import Instance
from hflopt.solution import Result
from hflopt.solvers._common import Deadline, Progress, begin, finish
from hflopt.solvers.core_lp import feasible_start
from hflopt.solvers.core_search import CoreImprove, core_improve
from hflopt.solvers.greedy import objective
from hflopt.solvers.links import LinkData, link_data
from hflopt.solvers.local_search import improve
from hflopt.solvers.params import LagrangianParams, SolveOptions
from hflopt.solvers.subgradient import LagrangianState, lagrangian_heuristic, subgradient

__all__ = ["lagrangian"]

_EPS = 1e-9


@dataclass
class _LagrangianRun:
    """The state of one ``lagrangian`` solve."""

    instance: Instance
    data: LinkData
    options: SolveOptions
    params: LagrangianParams
    deadline: Deadline
    seed: int
    best_ho: np.ndarray | None = None
    best_val: float = math.inf
    bound: float = -math.inf
    last_report: float = -math.inf
    heur_it: int = -100
    seen: set[bytes] = field(default_factory=set)
    stats: dict[str, Any] = field(default_factory=lambda: {"heuristic_calls": 0})

    def consider(self, ho: np.ndarray | None) -> None:
        if ho is None or int((ho >= 0).sum()) < self.data.T:
            return
        val = objective(self.data, ho)
        if val < self.best_val - _EPS:
            self.best_ho, self.best_val = ho.copy(), val

    def closed(self) -> bool:
        b = self.bound
        if not math.isfinite(self.best_val) or not math.isfinite(b):
            return False
        if self.data.gran:
            b = math.ceil(b - 1e-6)
        gap, best = self.options.gap, self.best_val
        return best - b <= max(gap * max(1.0, abs(best)), 1e-9 * max(1.0, abs(best)))

    def going(self) -> bool:
        return not self.closed() and not self.deadline.expired()

    def on_iteration(self, it: int, _u: np.ndarray, _v: float, bnd: float, hv: np.ndarray) -> float | None:
        """Called by the subgradient walk: runs the Lagrangian heuristic when the set of
        hosts that pay off is new (at most every few iterations), reports progress."""
        self.bound = max(self.bound, bnd)
        now = self.deadline.elapsed()
        large = self.data.k >= 1_000_000
        sig = np.packbits(hv < 0).tobytes()
        due = sig not in self.seen and (it == 1 or it - self.heur_it >= (25 if large else 10))
        budget = self.deadline.seconds
        if budget is not None and now > (0.6 if large else 0.7) * budget:
            due = False
        if due and not self.closed():
            self.seen.add(sig)
            self.heur_it = it
            self.stats["heuristic_calls"] += 1
            sub = Deadline(None if budget is None else max(0.05, 0.25 * self.deadline.remaining()))
            self.consider(lagrangian_heuristic(self.data, hv, deadline=sub, seed=self.seed, bound=self.bound,
                                               gap=self.options.gap, max_no_improve=0,
                                               polish=not (large and it == 1), max_passes=2 if large else None))
        progress = self.options.progress
        if progress is not None and now - self.last_report >= 1.0:
            self.last_report = now
            progress(Progress(now, self.best_val if math.isfinite(self.best_val) else None, self.bound,
                              "lagrangian"))
        return self.best_val if math.isfinite(self.best_val) else None


def lagrangian(instance: Instance, options: SolveOptions | None = None,
               params: LagrangianParams | None = None) -> Result:
    """Lagrangian relaxation: certified lower bound + Lagrangian heuristic + core search + local search.

    Stages: the subgradient walk with the Lagrangian heuristic hooked in (80%
    of a time limit at most), a last heuristic from the best multipliers (a
    feasibility MIP when nothing was found), the core search on instances up
    to ``search_max_links`` links while the gap is open, and a final local
    search. Honours ``time_limit``, ``gap`` (stop once the certified relative
    gap is at most this), ``seed`` (None: 0), ``warm_start`` and ``progress``.
    """
    options = options or SolveOptions()
    params = params or LagrangianParams()
    deadline, early = begin(instance, "lagrangian", options.time_limit)
    if early is not None:
        return early
    run = _LagrangianRun(instance, link_data(instance), options, params, deadline,
                         0 if options.seed is None else options.seed)
    build = deadline.elapsed()
    ws = options.warm_start
    if ws is not None and ws.is_feasible(instance):
        run.consider(np.array(ws.host_of, dtype=np.int64))
    state = _bound_phase(run)
    _final_heuristic(run, state)
    _core_phase(run, state)
    _polish(run, state)
    return finish(instance, host_of=run.best_ho, bound=state.bound, method="lagrangian", solver="hflopt",
                  build_seconds=build, solve_seconds=deadline.elapsed() - build, stats=run.stats,
                  timed_out=deadline.expired() and not run.closed(), solver_optimal=run.closed(),
                  gap_tolerance=options.gap)


def _bound_phase(run: _LagrangianRun) -> LagrangianState:
    """The subgradient walk (leaving part of a time limit for what follows)."""
    budget = run.deadline.seconds
    sub = Deadline(None if budget is None else max(0.05, 0.8 * budget))
    state = subgradient(run.data, deadline=sub, iterations=run.params.iterations,
                        upper=run.best_val if math.isfinite(run.best_val) else None,
                        on_iteration=run.on_iteration, gap=run.options.gap)
    run.bound = max(run.bound, state.bound)
    run.stats.update(iterations=state.iterations, lagrangian_bound=state.bound,
                     bound_phase_seconds=round(run.deadline.elapsed(), 3))
    return state


def _final_heuristic(run: _LagrangianRun, state: LagrangianState) -> None:
    """A heuristic solution from the best multipliers; a feasibility MIP when there is none."""
    if run.going():
        run.consider(lagrangian_heuristic(run.data, state.host_value, deadline=run.deadline, seed=run.seed,
                                          polish=False))
    if run.best_ho is None and not run.deadline.expired():
        run.consider(feasible_start(run.data, run.deadline,
                                    max_mip_links=run.params.core.feasibility_mip_max_links))


def _core_phase(run: _LagrangianRun, state: LagrangianState) -> None:
    """The core search from the incumbent, guided by the multipliers (instances up to
    ``search_max_links`` links; without a time limit ``search_seconds``, default 1.5 x the
    time so far and at least 3 s; with one, half of what is left)."""
    p = run.params
    if not (p.search and run.best_ho is not None and run.going() and run.data.k <= p.search_max_links):
        return
    if run.deadline.seconds is None:
        kd = Deadline(p.search_seconds if p.search_seconds is not None
                      else max(3.0, 1.5 * run.deadline.elapsed()))
    else:
        kd = Deadline(max(0.05, 0.5 * run.deadline.remaining()))
    t_k = run.deadline.elapsed()
    settings = CoreImprove(seed=run.seed, gap=run.options.gap, before_seconds=t_k, params=p.core)
    ho, sstats = core_improve(run.data, run.best_ho, u=state.u, v=state.v, host_value=state.host_value,
                              bound=state.bound, deadline=kd, settings=settings,
                              on_improve=lambda h, _value: run.consider(h))
    run.stats["core_search"] = {k: v for k, v in sstats.as_dict().items() if v not in ("", None)}
    run.stats["search_seconds"] = round(run.deadline.elapsed() - t_k, 3)
    before = run.best_val
    run.consider(ho)
    run.stats["search_improved"] = bool(run.best_val < before or sstats.descent_moves > 0)


def _polish(run: _LagrangianRun, state: LagrangianState) -> None:
    """The general local search on the incumbent (fewer perturbations after a fruitful search)."""
    if run.best_ho is None or not run.going():
        return
    p = run.params
    tries = p.max_no_improve // 2 if run.stats.get("search_improved") else p.max_no_improve
    ho, _ = improve(run.data, run.best_ho, deadline=run.deadline, seed=run.seed, max_no_improve=tries,
                    bound=state.bound, gap=run.options.gap, progress=run.options.progress,
                    max_passes=3 if run.data.k >= 1_000_000 else None)
    run.consider(ho)
