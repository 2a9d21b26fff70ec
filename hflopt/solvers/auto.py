"""``method="auto"``: heuristic + bound first, exact when size and budget allow.

1. A heuristic with a certified bound runs on a share of the budget: the
   core search (:mod:`hflopt.solvers.core_search`) on instances up to
   :data:`~hflopt.solvers.lagrangian.SEARCH_MAX_LINKS` links, the Lagrangian
   method (bound first, then Lagrangian heuristic and local search) on larger
   ones. If its bound closes the gap (or meets ``gap``) the result is
   returned at once.
2. If the instance is small enough for the exact solver and time is left,
   ``METHODS["exact"]`` runs with the best heuristic solution as MIP start and
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

import inspect
import math
from typing import Any

import numpy as np

from hflopt.errors import SolverError
from hflopt.instance import Instance
from hflopt.solution import Result, Solution, Status
from hflopt.solvers._common import (
    HIGHS_NAMES,
    Deadline,
    Progress,
    ProgressCallback,
    finish,
    infeasibility_reason,
)
from hflopt.solvers.highs_direct import check_highs_options

__all__ = ["EXACT_MAX_LINKS", "LARGE_EXACT_MAX_LINKS", "LARGE_EXACT_SECONDS", "solve_auto"]

#: instances with at most this many links are handed to the exact solver when time allows
EXACT_MAX_LINKS = 300_000
#: larger instances up to this many links get an exact phase too, capped in time when no
#: time limit is given (the exact solver's measured range: 100 x 10,000 dense, 10^6 links)
LARGE_EXACT_MAX_LINKS = 1_500_000
#: without a time limit, the exact phase of a large instance stops after this many seconds
LARGE_EXACT_SECONDS = 60.0
#: share of the time limit given to the heuristic phase when the exact phase follows
HEURISTIC_SHARE = 0.25


def solve_auto(
    instance: Instance,
    *,
    time_limit: float | None = None,
    gap: float = 0.0,
    seed: int | None = 0,
    threads: int | None = None,
    verbose: bool = False,
    progress: ProgressCallback | None = None,
    warm_start: Solution | None = None,
    solver: str = "highs",
    variant: str = "strong",
    uncapacitated: bool = False,
    exact_max_links: int = EXACT_MAX_LINKS,
    large_exact_max_links: int = LARGE_EXACT_MAX_LINKS,
    large_exact_seconds: float = LARGE_EXACT_SECONDS,
    solver_options: dict[str, Any] | None = None,
) -> Result:
    """Choose exact or heuristic from size and budget; always the best verified solution.

    Parameters
    ----------
    time_limit:
        Seconds for everything (default: none; the exact phase then runs to
        the end on instances up to ``exact_max_links`` links).
    gap:
        Relative gap at which to stop.
    seed, threads, verbose, progress:
        Passed on to the phases that take them.
    warm_start:
        A feasible solution to start from.
    solver, variant, uncapacitated:
        Passed to the exact phase (``uncapacitated`` also to the heuristics).
    exact_max_links:
        Largest instance (in links) given to the exact solver without a
        budget of its own.
    large_exact_max_links, large_exact_seconds:
        Instances above ``exact_max_links`` and up to ``large_exact_max_links``
        links are given to the exact solver too; without a time limit it
        stops after ``large_exact_seconds`` (the result is then FEASIBLE with
        its certified gap unless the proof came first).
    solver_options:
        Options for the exact phase's solver (HiGHS options for its
        branch-and-bound, or the Pyomo solver's options), checked at once.
    """
    from hflopt.solvers import METHODS
    from hflopt.solvers.core_search import core_search
    from hflopt.solvers.lagrangian import SEARCH_MAX_LINKS, lagrangian

    deadline = Deadline(time_limit)
    method = "auto"
    if solver not in HIGHS_NAMES:
        from hflopt.errors import SolverNotAvailableError
        from hflopt.solvers.pyomo_exact import solver_available

        if not solver_available(solver):
            raise SolverNotAvailableError(
                f"solver {solver!r} is not installed or not found by Pyomo "
                "(HiGHS comes with hflopt: use solver='highs')")
    if solver in HIGHS_NAMES:
        # the exact phase would reject them only after the heuristics, and auto
        # falls back to the heuristic result on any exact-phase error
        check_highs_options(solver_options)
    reason = infeasibility_reason(instance, uncapacitated=uncapacitated)
    if reason:
        return finish(instance, host_of=None, bound=None, method=method, solver="hflopt",
                      infeasible=True, message=reason, solve_seconds=deadline.elapsed(),
                      capacitated=not uncapacitated)
    work = instance
    if uncapacitated:
        # capacities that hold every device: the capacitated problem is then the same
        full = max(float(instance.workload.sum()), 1.0)
        work = instance.replace(capacity=np.full(instance.n_hosts, full))
    if large_exact_seconds < 0 or math.isnan(large_exact_seconds):
        raise SolverError(f"large_exact_seconds must be >= 0, got {large_exact_seconds}")
    large = exact_max_links < instance.n_links <= large_exact_max_links
    exact_ok = "exact" in METHODS and (instance.n_links <= exact_max_links or large)
    if time_limit is not None and time_limit < 1.0:
        exact_ok = False
    # without a time limit, a large instance's exact phase gets its own budget
    exact_budget = large_exact_seconds if (large and time_limit is None) else None
    if exact_budget is not None and exact_budget <= 0:
        exact_ok = False
    stats: dict[str, Any] = {"phases": []}
    if exact_ok:
        h_budget = None if time_limit is None else HEURISTIC_SHARE * time_limit
    else:
        h_budget = None if time_limit is None else 0.95 * time_limit
    start = warm_start if warm_start is not None and warm_start.is_feasible(work) else None
    if work.n_links <= SEARCH_MAX_LINKS:
        # the core search finds (near-)optimal solutions fast; when the exact phase follows
        # it only needs to hand over a good start: one kick, a short bound phase, no MIP
        heur_name = "core-search"
        extra: dict[str, Any] = {"max_kicks": 1, "bound_iterations": 200, "mip_seconds": 0.0
                                 } if exact_ok else {}
        heur = core_search(work, time_limit=h_budget, gap=gap, seed=seed, progress=progress,
                           warm_start=start, **extra)
    else:
        heur_name = "lagrangian"
        heur = lagrangian(work, time_limit=h_budget, gap=gap, seed=seed, progress=progress,
                          max_no_improve=3 if exact_ok else 10, warm_start=start)
    stats["phases"].append({"method": heur_name, "status": heur.status.value,
                            "objective": heur.objective, "bound": heur.bound,
                            "seconds": round(heur.total_seconds, 3)})
    candidates: list[Result] = [heur]
    bounds = [heur.bound] if heur.bound is not None else []
    if heur.status == Status.INFEASIBLE:
        return _final(instance, None, None, heur.message, stats, deadline, uncapacitated,
                      infeasible=True)
    done = heur.status == Status.OPTIMAL or (
        gap > 0 and heur.gap is not None and heur.gap <= gap)
    exact_res = None
    if not done and exact_ok and deadline.remaining() > 0.5:
        func = METHODS["exact"]
        params = inspect.signature(func).parameters
        wanted: dict[str, Any] = {
            "time_limit": (exact_budget if time_limit is None
                           else max(0.1, deadline.remaining() - 0.2)),
            "gap": gap, "seed": seed, "threads": threads, "verbose": verbose,
            "progress": _merged_progress(progress, deadline, heur), "solver": solver,
            "variant": variant,
            "uncapacitated": uncapacitated,
            "solver_options": solver_options,
        }
        if heur.solution is not None:
            wanted["warm_start"] = heur.solution
        kwargs = {k: v for k, v in wanted.items() if k in params and not (
            v is None and k not in ("time_limit",))}
        if "solver" not in params:
            kwargs.pop("solver", None)
        try:
            exact_res = func(instance, **kwargs)
        except Exception as exc:  # fall back to the heuristic result
            stats["exact_error"] = f"{type(exc).__name__}: {exc}"
            exact_res = None
        if exact_res is not None:
            stats["phases"].append({"method": "exact", "status": exact_res.status.value,
                                    "objective": exact_res.objective, "bound": exact_res.bound,
                                    "seconds": round(exact_res.total_seconds, 3)})
            if exact_res.status == Status.INFEASIBLE and heur.solution is None:
                return _final(instance, None, None, exact_res.message, stats, deadline,
                              uncapacitated, infeasible=True)
            candidates.append(exact_res)
            if exact_res.bound is not None and exact_res.status in (
                    Status.OPTIMAL, Status.FEASIBLE, Status.TIME_LIMIT, Status.NO_SOLUTION):
                bounds.append(exact_res.bound)
    with_sol = [r for r in candidates if r.solution is not None and r.objective is not None]
    best = min(with_sol, key=lambda r: r.objective) if with_sol else None
    bound = max(bounds) if bounds else None
    exact_stopped = exact_res is not None and exact_res.status in (Status.TIME_LIMIT,
                                                                   Status.NO_SOLUTION)
    # the exact phase's own budget (no time limit given) is not the user's time limit
    timed_out = deadline.expired() if exact_budget is not None else (
        deadline.expired() or exact_stopped)
    if best is not None:
        stats["best_from"] = best.method
    msg = ""
    if best is None:
        msg = "; ".join(r.message for r in candidates if r.message)
    elif not exact_ok and not done:
        msg = ("heuristic result with a certified bound (instance too large for the exact phase)"
               if instance.n_links > large_exact_max_links
               else "heuristic result with a certified bound")
    elif exact_budget is not None and exact_stopped:
        msg = (f"the exact phase stopped after {exact_budget:g} s, its budget on instances of "
               f"more than {exact_max_links:,} links without a time limit; pass a time limit "
               "to give it more")
    return _final(instance, None if best is None else best.solution.host_of, bound, msg, stats,
                  deadline, uncapacitated, timed_out=timed_out, gap=gap)


def _final(instance: Instance, host_of: np.ndarray | None, bound: float | None, message: str,
           stats: dict[str, Any], deadline: Deadline, uncapacitated: bool, *,
           infeasible: bool = False, timed_out: bool = False, gap: float = 0.0) -> Result:
    if bound is not None and not math.isfinite(bound):
        bound = None
    return finish(instance, host_of=host_of, bound=bound, method="auto", solver="hflopt",
                  infeasible=infeasible, timed_out=timed_out, solve_seconds=deadline.elapsed(),
                  message=message, stats=stats, capacitated=not uncapacitated,
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
