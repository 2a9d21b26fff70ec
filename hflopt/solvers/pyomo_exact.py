"""Exact HFLOP through Pyomo: HiGHS by default, any installed Pyomo solver.

HiGHS is driven through Pyomo's persistent interface so that hflopt can give
it a MIP start and watch the clock itself: HiGHS checks ``time_limit`` only
between phases, so an interrupt callback stops it at the deadline and the
best incumbent is returned. Other solvers (``cbc``, ``glpk``, ``gurobi``,
``cplex``, ``scip``, ...) are called through ``SolverFactory`` with their own
names for the time limit and gap options.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from hflopt.errors import SolutionError, SolverError, SolverNotAvailableError
from hflopt.instance import Instance
from hflopt.model import VARIANTS, build_model, solution_from_model
from hflopt.solution import Result, Solution
from hflopt.solvers._common import (
    HIGHS_NAMES,
    Deadline,
    Progress,
    ProgressCallback,
    finish,
    infeasibility_reason,
    interrupted,
    objective_granularity,
)
from hflopt.solvers.isolation import Budget

__all__ = ["PYOMO_OPTION_NAMES", "solve_pyomo", "solver_available"]

#: hflopt option -> each solver's own option name
PYOMO_OPTION_NAMES: dict[str, dict[str, str]] = {
    "cbc": {"time_limit": "sec", "gap": "ratioGap", "threads": "threads", "seed": "randomCbcSeed"},
    "glpk": {"time_limit": "tmlim", "gap": "mipgap"},
    "gurobi": {"time_limit": "TimeLimit", "gap": "MIPGap", "threads": "Threads", "seed": "Seed"},
    "gurobi_direct": {"time_limit": "TimeLimit", "gap": "MIPGap", "threads": "Threads", "seed": "Seed"},
    "gurobi_persistent": {"time_limit": "TimeLimit", "gap": "MIPGap", "threads": "Threads",
                          "seed": "Seed"},
    "cplex": {"time_limit": "timelimit", "gap": "mipgap", "threads": "threads", "seed": "randomseed"},
    "cplex_direct": {"time_limit": "timelimit", "gap": "mip_tolerances_mipgap", "threads": "threads",
                     "seed": "randomseed"},
    "scip": {"time_limit": "limits/time", "gap": "limits/gap", "seed": "randomization/randomseedshift"},
    "xpress": {"time_limit": "maxtime", "gap": "miprelstop", "threads": "threads"},
    "xpress_direct": {"time_limit": "maxtime", "gap": "miprelstop", "threads": "threads"},
}


def solver_available(name: str) -> bool:
    """True when Pyomo can run solver ``name`` here."""
    import pyomo.environ as pyo

    if name in HIGHS_NAMES:
        try:
            import highspy  # noqa: F401
        except ImportError:
            return False
        return True
    try:
        with _quiet_pyomo():
            opt = pyo.SolverFactory(name)
            return bool(opt is not None and opt.available(exception_flag=False))
    except Exception:
        return False


class _quiet_pyomo:
    """Silence Pyomo's logger while probing solvers."""

    def __enter__(self) -> None:
        import logging

        self._logger = logging.getLogger("pyomo")
        self._level = self._logger.level
        self._logger.setLevel(logging.CRITICAL)

    def __exit__(self, *exc: Any) -> None:
        self._logger.setLevel(self._level)


def solve_pyomo(
    instance: Instance,
    *,
    solver: str = "highs",
    variant: str = "strong",
    uncapacitated: bool = False,
    time_limit: float | None = None,
    gap: float = 0.0,
    threads: int | None = None,
    seed: int | None = None,
    verbose: bool = False,
    warm_start: Solution | None = None,
    progress: ProgressCallback | None = None,
    solver_options: dict[str, Any] | None = None,
) -> Result:
    """Solve HFLOP exactly with the Pyomo model of :mod:`hflopt.model`.

    Parameters
    ----------
    solver:
        Pyomo solver name; ``"highs"`` (default) uses highspy.
    variant:
        Linking constraints: ``"strong"`` (x_ij <= y_j), ``"bigm"``
        (aggregated) or ``"both"``.
    uncapacitated:
        Drop the capacity rows.
    time_limit:
        Seconds; the best solution found by then is returned.
    gap:
        Relative MIP gap at which to stop (default 0: proven optimal).
    threads, seed:
        Passed to the solver when it has such options.
    verbose:
        Stream the solver log to stdout.
    warm_start:
        A feasible solution given to the solver as a MIP start.
    progress:
        Called with :class:`~hflopt.solvers.Progress` about once a second
        (HiGHS only).
    solver_options:
        Extra options passed to the solver verbatim.
    """
    if variant not in VARIANTS:
        raise SolverError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    if gap < 0 or not math.isfinite(gap):
        raise SolverError(f"gap must be a finite number >= 0, got {gap}")
    method = "pyomo"
    deadline = Deadline(time_limit)
    stats: dict[str, Any] = {"variant": variant, "uncapacitated": uncapacitated, "interface": "pyomo"}
    reason = infeasibility_reason(instance, uncapacitated=uncapacitated)
    if reason:
        return finish(instance, host_of=None, bound=None, method=method, solver=solver,
                      infeasible=True, message=reason, stats=stats,
                      solve_seconds=deadline.elapsed())
    if not solver_available(solver):
        raise SolverNotAvailableError(
            f"solver {solver!r} is not installed or not found by Pyomo "
            "(HiGHS comes with hflopt: use solver='highs')"
        )
    t0 = time.perf_counter()

    def work(report: ProgressCallback | None) -> dict[str, Any]:
        return _build_and_run(instance, variant, uncapacitated, solver, deadline, gap, threads, seed,
                              verbose, warm_start, report, solver_options or {})

    out = _isolated(work, deadline, progress)
    stats.update(out.pop("stats", {}))
    raw = out["raw"]
    stats.update(raw.pop("stats", {}))
    build_seconds = out["build_seconds"]
    solve_seconds = time.perf_counter() - t0 - build_seconds
    return finish(instance, method=method, solver=solver, gap_tolerance=gap,
                  build_seconds=build_seconds, solve_seconds=solve_seconds, stats=stats,
                  capacitated=not uncapacitated, **raw)


def _isolated(work: Any, deadline: Deadline, progress: ProgressCallback | None) -> dict[str, Any]:
    """``work`` in a forked child (see :mod:`hflopt.solvers.isolation`), ended on time.

    Pyomo's solver plug-ins overrun time limits as HiGHS's presolve does, and
    Ctrl-C during their run should abort at once (as documented for Pyomo
    solves): the parent kills the child at the hard deadline, or when Ctrl-C
    raises ``KeyboardInterrupt`` here.
    """
    from hflopt.solvers.isolation import fork_available, run_isolated

    if not fork_available():
        return work(progress)
    out, killed = run_isolated(lambda report: work(report if progress is not None else None),
                               deadline=deadline, progress=progress)
    if out is None:
        message = ("time limit reached; the solver did not stop by itself and was ended" if killed
                   else "the solver's process ended without a result")
        return {"raw": {"host_of": None, "bound": None, "timed_out": killed,
                        "failed": None if killed else message, "message": message},
                "build_seconds": 0.0, "stats": {}}
    return out


def _build_and_run(instance: Instance, variant: str, uncapacitated: bool, solver: str, deadline: Deadline,
                   gap: float, threads: int | None, seed: int | None, verbose: bool,
                   warm_start: Solution | None, progress: ProgressCallback | None,
                   extra: dict[str, Any]) -> dict[str, Any]:
    """Build the Pyomo model and solve it: ``{"raw": finish() arguments, "build_seconds", "stats"}``."""
    t0 = time.perf_counter()
    model = build_model(instance, variant=variant, uncapacitated=uncapacitated)
    build_seconds = time.perf_counter() - t0
    stats = {"rows": sum(len(c) if c.is_indexed() else 1 for c in _constraints(model)),
             "columns": instance.n_links + instance.n_hosts}
    if deadline.expired():
        raw = {"host_of": None, "bound": None, "timed_out": True,
               "message": "time limit reached while building the Pyomo model"}
        return {"raw": raw, "build_seconds": build_seconds, "stats": stats}
    if warm_start is not None:
        _set_start(model, instance, warm_start)
    if solver in HIGHS_NAMES:
        raw = _run_highs(model, instance, deadline, gap, threads, seed, verbose, warm_start,
                         progress, extra)
    else:
        raw = _run_legacy(model, instance, solver, deadline, gap, threads, seed, verbose,
                          warm_start, extra, capacitated=not uncapacitated)
    return {"raw": raw, "build_seconds": build_seconds, "stats": stats}


def _constraints(model: Any) -> list[Any]:
    import pyomo.environ as pyo

    return list(model.component_objects(pyo.Constraint, active=True))


def _set_start(model: Any, instance: Instance, start: Solution) -> None:
    links = start.link_indices(instance)
    values = np.zeros(instance.n_links)
    values[links[links >= 0]] = 1.0
    for k, v in enumerate(values.tolist()):
        model.x[k].set_value(v)
    open_ = set(start.open_hosts().tolist())
    for j in range(instance.n_hosts):
        model.y[j].set_value(1.0 if j in open_ else 0.0)


def _run_highs(
    model: Any,
    instance: Instance,
    deadline: Deadline,
    gap: float,
    threads: int | None,
    seed: int | None,
    verbose: bool,
    warm_start: Solution | None,
    progress: ProgressCallback | None,
    extra: dict[str, Any],
) -> dict[str, Any]:
    import highspy
    from pyomo.contrib.solver.solvers.highs import Highs as PyomoHighs

    opt = PyomoHighs()
    opt.set_instance(model)
    h = opt._solver_model  # the highspy.Highs object behind Pyomo's interface
    if deadline.expired():
        return {"host_of": None, "bound": None, "timed_out": True,
                "message": "time limit reached while passing the model to HiGHS"}
    options: dict[str, Any] = {"mip_rel_gap": gap, "output_flag": bool(verbose)}
    if gap == 0 and objective_granularity(instance):
        # integral objective: a bound within < 1 of the incumbent proves optimality
        options["mip_abs_gap"] = 1.0 - 1e-6
    if math.isfinite(deadline.remaining()):
        options["time_limit"] = max(deadline.remaining(), 0.01)
    if threads:
        options["threads"] = int(threads)
    if seed is not None:
        options["random_seed"] = int(seed)
    options.update(extra)
    if warm_start is not None:
        cols = [opt._pyomo_var_to_solver_var_map[id(v)] for v in list(model.x.values()) + list(model.y.values())]
        vals = [v.value for v in list(model.x.values()) + list(model.y.values())]
        h.setSolution(len(cols), np.array(cols, dtype=np.int32), np.array(vals, dtype=np.float64))
    state = {"last": 0.0, "stopped": False}
    hard_stop = Budget().soft(deadline)

    def on_interrupt(e: Any) -> None:
        now = deadline.elapsed()
        if now >= hard_stop or interrupted():
            state["stopped"] = True
            e.interrupt()
        if progress is not None and now - state["last"] >= 1.0:
            state["last"] = now
            out = e.data_out
            inc = out.mip_primal_bound if abs(out.mip_primal_bound) < highspy.kHighsInf else None
            bnd = out.mip_dual_bound if abs(out.mip_dual_bound) < highspy.kHighsInf else None
            progress(Progress(now, inc, bnd, "branch-and-bound"))

    h.cbMipInterrupt += on_interrupt
    h.cbSimplexInterrupt += lambda e: on_interrupt(e) if (deadline.elapsed() >= hard_stop
                                                          or interrupted()) else None
    try:
        with _quiet_pyomo():
            results = opt.solve(model, tee=verbose, load_solutions=False,
                                raise_exception_on_nonoptimal_result=False,
                                solver_options=options)
    finally:
        h.cbMipInterrupt -= on_interrupt
    status = h.getModelStatus()
    info = h.getInfo()
    ms = highspy.HighsModelStatus
    has_sol = info.primal_solution_status == 2
    host_of = None
    if has_sol:
        xcols = np.array([opt._pyomo_var_to_solver_var_map[id(v)] for v in model.x.values()],
                         dtype=np.int64)
        col_value = np.asarray(h.getSolution().col_value)
        from hflopt.model import host_of_from_x

        host_of = host_of_from_x(instance, col_value[xcols] if xcols.size else np.zeros(0))
    bound = results.objective_bound
    if status == ms.kOptimal and has_sol and bound is None:
        bound = info.objective_function_value
    solver_optimal = status == ms.kOptimal
    misvalued = False
    if warm_start is not None and host_of is not None:
        # HiGHS 1.16 can value a MIP start wrongly and prune against that value (see
        # hflopt.solvers.highs_direct.run_highs): then neither its bound nor its
        # optimality claim is used
        true_obj = Solution(host_of).cost(instance)
        misvalued = abs(true_obj - info.objective_function_value) > 1e-6 * max(1.0, abs(true_obj))
        if misvalued:
            bound, solver_optimal = None, False
    timed_out = status in (ms.kTimeLimit, ms.kInterrupt) or state["stopped"] or (
        deadline.expired() and status != ms.kOptimal)
    failed = None
    if status not in (ms.kOptimal, ms.kInfeasible, ms.kTimeLimit, ms.kInterrupt,
                      ms.kSolutionLimit, ms.kObjectiveBound, ms.kObjectiveTarget) and not timed_out:
        failed = f"HiGHS ended with status {h.modelStatusToString(status)}"
    return {
        "host_of": host_of,
        "bound": bound,
        "solver_optimal": solver_optimal,
        "timed_out": timed_out,
        "infeasible": status == ms.kInfeasible,
        "failed": failed,
        "stats": {"nodes": int(info.mip_node_count), "highs_status": h.modelStatusToString(status),
                  "simplex_iterations": int(info.simplex_iteration_count),
                  "start_misvalued": misvalued},
    }


def _usable(instance: Instance, host_of: np.ndarray, term: Any, capacitated: bool) -> np.ndarray | None:
    """The solver's solution, unless a stopped solver handed back a partial one.

    CBC stopped at its time limit before finding a solution still returns
    values (all zero: nobody participates); that is no solution at all, not a
    solver error.
    """
    from pyomo.opt import TerminationCondition

    if term == TerminationCondition.optimal:
        return host_of
    try:
        Solution(host_of).verify(instance, capacity=capacitated)
    except SolutionError:
        return None
    return host_of


def _run_legacy(
    model: Any,
    instance: Instance,
    solver: str,
    deadline: Deadline,
    gap: float,
    threads: int | None,
    seed: int | None,
    verbose: bool,
    warm_start: Solution | None,
    extra: dict[str, Any],
    capacitated: bool = True,
) -> dict[str, Any]:
    import pyomo.environ as pyo
    from pyomo.opt import SolverStatus, TerminationCondition

    opt = pyo.SolverFactory(solver)
    names = PYOMO_OPTION_NAMES.get(solver, {})
    remaining = deadline.remaining()
    wanted = {"gap": gap, "threads": threads, "seed": seed,
              "time_limit": remaining if math.isfinite(remaining) else None}
    for key, value in wanted.items():
        if value is None or (key == "threads" and not value):
            continue
        if key not in names:
            if key in ("time_limit",) or (key == "gap" and value > 0):
                raise SolverError(f"hflopt does not know how to pass {key} to solver {solver!r}; "
                                  f"pass it in solver_options with the solver's own name")
            continue
        if key == "time_limit" and solver == "glpk":
            value = max(1, math.ceil(value))
        opt.options[names[key]] = value
    for key, value in extra.items():
        opt.options[key] = value
    kwargs: dict[str, Any] = {"tee": verbose, "load_solutions": False}
    if warm_start is not None and getattr(opt, "warm_start_capable", lambda: False)():
        kwargs["warmstart"] = True
    if math.isfinite(remaining) and hasattr(opt, "_timelimit"):
        kwargs["timelimit"] = remaining + 30.0  # hard backstop: Pyomo kills the process
    try:
        results = opt.solve(model, **kwargs)
    except Exception as exc:  # solver crashed, killed at the backstop, or bad output
        return {"host_of": None, "bound": None, "timed_out": deadline.expired(),
                "failed": f"{solver} failed: {exc}"}
    term = results.solver.termination_condition
    has_sol = len(results.solution) > 0 and term not in (
        TerminationCondition.infeasible, TerminationCondition.noSolution)
    host_of = None
    if has_sol:
        with _quiet_pyomo():  # an 'aborted' (time limit) result with a solution warns
            model.solutions.load_from(results)
        host_of = _usable(instance, solution_from_model(instance, model), term, capacitated)
    bound = None
    try:
        lb = results.problem.lower_bound
        if lb is not None and math.isfinite(float(lb)):
            bound = float(lb)
    except (TypeError, ValueError, AttributeError):
        bound = None
    optimal = term == TerminationCondition.optimal
    if optimal and bound is None and host_of is not None and gap == 0:
        bound = float(pyo.value(model.objective))
    timed_out = term in (TerminationCondition.maxTimeLimit,) or (
        results.solver.status == SolverStatus.aborted)
    failed = None
    if term in (TerminationCondition.error, TerminationCondition.solverFailure,
                TerminationCondition.internalSolverError):
        failed = f"{solver} ended with {term}"
    return {
        "host_of": host_of,
        "bound": bound,
        "solver_optimal": optimal,
        "timed_out": timed_out,
        "infeasible": term == TerminationCondition.infeasible,
        "failed": failed,
        "stats": {"termination": str(term)},
    }
