"""``method="auto"``: heuristic + bound first, exact when size and budget allow.

1. A heuristic with a certified bound runs on a share of the budget: the
   core search (:mod:`hflopt.solvers.core_search`) on instances up to
   ``lagrangian.search_max_links`` links (:class:`~hflopt.solvers.params.AutoParams`), the Lagrangian
   method (bound first, then Lagrangian heuristic and local search) on larger
   ones. If its bound closes the gap (or meets ``gap``) the result is
   returned at once.
2. If the instance is small enough for the exact solver and time is left,
   the exact solver runs with the best heuristic solution as MIP start and
   the rest of the budget: up to ``exact_max_links`` links without a budget of
   its own (to the proof when no time limit is given); up to
   ``large_exact_max_links`` links too, but then, without a time limit, for at
   most ``large_exact_seconds`` (the exact solver proves most authors'-generator
   instances of 10^6 links in well under a minute, but some take much longer;
   the heuristic alone stopped 20% above the optimum on one of them).
3. The best verified solution of all phases is returned with the best
   valid bound (the maximum of the phases' bounds) and an honest status:
   OPTIMAL only when the gap is closed, TIME_LIMIT when the budget ran out
   first, FEASIBLE otherwise.

With ``uncapacitated=True`` the heuristics run on a copy of the instance
whose capacities hold every device (which is the same problem) and the
result is verified without capacities.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from hflopt.errors import SolverError, SolverNotAvailableError
from hflopt.instance import Instance
from hflopt.solution import Result, Status
from hflopt.solvers._common import HIGHS_NAMES, Deadline, Progress, ProgressCallback, finish, infeasibility_reason
from hflopt.solvers.core_search import core_search
from hflopt.solvers.exact import solve_exact
from hflopt.solvers.highs_direct import check_highs_options
from hflopt.solvers.lagrangian import lagrangian
from hflopt.solvers.params import AutoParams, SolveOptions

__all__ = ["solve_auto"]

log = logging.getLogger(__name__)


@dataclass
class _AutoRun:
    """The state of one ``auto`` solve: its phases' results and bounds."""

    instance: Instance
    work: Instance  # the instance the heuristics see (capacities lifted when uncapacitated)
    options: SolveOptions
    params: AutoParams
    deadline: Deadline
    exact_ok: bool
    exact_budget: float | None
    stats: dict[str, Any] = field(default_factory=lambda: {"phases": []})
    candidates: list[Result] = field(default_factory=list)
    bounds: list[float] = field(default_factory=list)
    exact_res: Result | None = None

    @property
    def seed(self) -> int:
        return 0 if self.options.seed is None else self.options.seed

    def record(self, name: str, res: Result) -> None:
        self.stats["phases"].append({"method": name, "status": res.status.value, "objective": res.objective,
                                     "bound": res.bound, "seconds": round(res.total_seconds, 3)})
        log.info("auto: %s phase %s, objective %s, bound %s (%.2f s)", name, res.status.value,
                 _number(res.objective), _number(res.bound), res.total_seconds)


def solve_auto(instance: Instance, options: SolveOptions | None = None,
               params: AutoParams | None = None) -> Result:
    """Choose exact or heuristic from size and budget; always the best verified solution.

    Honours every option: ``time_limit`` (none: the exact phase runs to the
    end on instances up to ``exact_max_links`` links), ``gap``, ``seed``
    (None: 0), ``threads``, ``verbose``, ``progress``, ``warm_start``; ``solver``,
    ``variant``, ``uncapacitated`` and ``solver_options`` go to the exact
    phase (``uncapacitated`` to the heuristics too; the solver options are
    checked at once).
    """
    options = options or SolveOptions()
    params = params or AutoParams()
    _check(options)
    if not params.large_exact_seconds >= 0:
        raise SolverError(f"large_exact_seconds must be >= 0, got {params.large_exact_seconds}")
    deadline = Deadline(options.time_limit)
    reason = infeasibility_reason(instance, uncapacitated=options.uncapacitated)
    if reason:
        return finish(instance, host_of=None, bound=None, method="auto", solver="hflopt",
                      infeasible=True, message=reason, solve_seconds=deadline.elapsed(),
                      capacitated=not options.uncapacitated)
    run = _plan(instance, options, params, deadline)
    heur = _heuristic_phase(run)
    if heur.status == Status.INFEASIBLE:
        return _final(run, None, None, heur.message, infeasible=True)
    done = heur.status == Status.OPTIMAL or (options.gap > 0 and heur.gap is not None and heur.gap <= options.gap)
    if not done and run.exact_ok and deadline.remaining() > 0.5:
        infeasible = _exact_phase(run, heur)
        if infeasible is not None:
            return infeasible
    return _choose(run, done)


def _check(options: SolveOptions) -> None:
    """Fail at once on what the exact phase would reject only after the heuristics."""
    if options.solver not in HIGHS_NAMES:
        from hflopt.solvers.pyomo_exact import solver_available

        if not solver_available(options.solver):
            raise SolverNotAvailableError(
                f"solver {options.solver!r} is not installed or not found by Pyomo "
                "(HiGHS comes with hflopt: use solver='highs')")
    else:
        check_highs_options(options.solver_options)


def _plan(instance: Instance, options: SolveOptions, params: AutoParams, deadline: Deadline) -> _AutoRun:
    """Which phases run, and on what: the exact phase by size and budget."""
    work = instance
    if options.uncapacitated:
        # capacities that hold every device: the capacitated problem is then the same
        full = max(float(instance.workload.sum()), 1.0)
        work = instance.replace(capacity=np.full(instance.n_hosts, full))
    large = params.exact_max_links < instance.n_links <= params.large_exact_max_links
    exact_ok = instance.n_links <= params.exact_max_links or large
    if options.time_limit is not None and options.time_limit < 1.0:
        exact_ok = False
    # without a time limit, a large instance's exact phase gets its own budget
    exact_budget = params.large_exact_seconds if (large and options.time_limit is None) else None
    if exact_budget is not None and exact_budget <= 0:
        exact_ok = False
    return _AutoRun(instance, work, options, params, deadline, exact_ok, exact_budget)


def _heuristic_phase(run: _AutoRun) -> Result:
    """The core search (the Lagrangian method on large instances) on a share of the budget."""
    opts, p = run.options, run.params
    limit = opts.time_limit
    share = p.heuristic_share if run.exact_ok else 0.95
    ws = opts.warm_start
    heur_opts = SolveOptions(time_limit=None if limit is None else share * limit, gap=opts.gap, seed=run.seed,
                             progress=opts.progress,
                             warm_start=ws if ws is not None and ws.is_feasible(run.work) else None)
    if run.work.n_links <= p.lagrangian.search_max_links:
        # the core search finds (near-)optimal solutions fast; when the exact phase follows
        # it only needs to hand over a good start: one kick, a short bound phase, no MIP
        name = "core-search"
        cs = replace(p.core_search, max_kicks=1, bound_iterations=200, mip_seconds=0.0) if run.exact_ok \
            else p.core_search
        heur = core_search(run.work, heur_opts, cs)
    else:
        name = "lagrangian"
        heur = lagrangian(run.work, heur_opts, replace(p.lagrangian, max_no_improve=3) if run.exact_ok
                          else p.lagrangian)
    run.record(name, heur)
    run.candidates.append(heur)
    if heur.bound is not None:
        run.bounds.append(heur.bound)
    return heur


def _exact_phase(run: _AutoRun, heur: Result) -> Result | None:
    """The exact solver warm-started with the heuristic's solution; a result only when it
    proves the instance infeasible (and the heuristic found nothing)."""
    opts, deadline = run.options, run.deadline
    limit = run.exact_budget if opts.time_limit is None else max(0.1, deadline.remaining() - 0.2)
    exact_opts = replace(opts, time_limit=limit, seed=run.seed, warm_start=heur.solution,
                         progress=_merged_progress(opts.progress, deadline, heur))
    try:
        res = solve_exact(run.instance, exact_opts, run.params.exact)
    except Exception as exc:  # fall back to the heuristic result, saying why
        log.warning("auto: the exact phase failed (%s: %s); returning the heuristic result",
                    type(exc).__name__, exc)
        run.stats["exact_error"] = f"{type(exc).__name__}: {exc}"
        return None
    run.exact_res = res
    run.record("exact", res)
    if res.status == Status.INFEASIBLE and heur.solution is None:
        return _final(run, None, None, res.message, infeasible=True)
    run.candidates.append(res)
    if res.bound is not None and res.status in (Status.OPTIMAL, Status.FEASIBLE, Status.TIME_LIMIT,
                                                Status.NO_SOLUTION):
        run.bounds.append(res.bound)
    return None


def _choose(run: _AutoRun, done: bool) -> Result:
    """The best verified solution of all phases with the best bound, honestly labelled."""
    p = run.params
    with_sol = [r for r in run.candidates if r.solution is not None and r.objective is not None]
    best = min(with_sol, key=lambda r: r.objective) if with_sol else None
    bound = max(run.bounds) if run.bounds else None
    exact_stopped = run.exact_res is not None and run.exact_res.status in (Status.TIME_LIMIT, Status.NO_SOLUTION)
    # the exact phase's own budget (no time limit given) is not the user's time limit
    timed_out = run.deadline.expired() if run.exact_budget is not None else (
        run.deadline.expired() or exact_stopped)
    if best is not None:
        run.stats["best_from"] = best.method
    msg = ""
    if best is None:
        msg = "; ".join(r.message for r in run.candidates if r.message)
    elif not run.exact_ok and not done:
        msg = ("heuristic result with a certified bound (instance too large for the exact phase)"
               if run.instance.n_links > p.large_exact_max_links else "heuristic result with a certified bound")
    elif run.exact_budget is not None and exact_stopped:
        msg = (f"the exact phase stopped after {run.exact_budget:g} s, its budget on instances of "
               f"more than {p.exact_max_links:,} links without a time limit; pass a time limit "
               "to give it more")
    return _final(run, None if best is None else best.solution.host_of, bound, msg, timed_out=timed_out)


def _final(run: _AutoRun, host_of: np.ndarray | None, bound: float | None, message: str, *,
           infeasible: bool = False, timed_out: bool = False) -> Result:
    if bound is not None and not math.isfinite(bound):
        bound = None
    gap = run.options.gap
    return finish(run.instance, host_of=host_of, bound=bound, method="auto", solver="hflopt",
                  infeasible=infeasible, timed_out=timed_out, solve_seconds=run.deadline.elapsed(),
                  message=message, stats=run.stats, capacitated=not run.options.uncapacitated,
                  gap_tolerance=gap, solver_optimal=gap > 0)
def _merged_progress(progress: ProgressCallback | None, deadline: Deadline, heur: Result
                     ) -> ProgressCallback | None:
    """Progress of the exact phase as the whole run's: total elapsed time, and the best
    incumbent and bound of both phases."""
    if progress is None:
        return None
    cb = progress

    def report(p: Progress) -> None:
        inc = [v for v in (p.incumbent, heur.objective) if v is not None]
        bnd = [v for v in (p.bound, heur.bound) if v is not None and math.isfinite(v)]
        cb(Progress(deadline.elapsed(), min(inc) if inc else None, max(bnd) if bnd else None,
                    p.phase))

    return report


def _number(x: float | None) -> str:
    return "none" if x is None else f"{x:.10g}"
