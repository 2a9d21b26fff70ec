"""Exact HFLOP through Pyomo: HiGHS by default, any installed Pyomo solver.

HiGHS is driven through Pyomo's persistent interface so that hflopt can give
it a MIP start and watch the clock itself: HiGHS checks ``time_limit`` only
between phases, so an interrupt callback stops it at the deadline and the
best incumbent is returned. Other solvers (``cbc``, ``glpk``, ``gurobi``,
``cplex``, ``scip``, ...) are called through ``SolverFactory`` with their own
names for the time limit and gap options.
"""

from __future__ import annotations

import logging
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
)
from hflopt.solvers.isolation import Budget
from hflopt.solvers.links import granularity
from hflopt.solvers.params import SolveOptions

__all__ = ["PYOMO_OPTION_NAMES", "solve_pyomo", "solver_available"]

log = logging.getLogger(__name__)

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
    except Exception as exc:  # a broken plug-in: the solver is not usable here
        log.debug("solver %r is not usable: %s: %s", name, type(exc).__name__, exc)
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


def solve_pyomo(instance: Instance, options: SolveOptions | None = None,
                params: Any = None, *, label: str = "pyomo") -> Result:  # noqa: ARG001 - the methods' signature
    """Solve HFLOP exactly with the Pyomo model of :mod:`hflopt.model`.

    Honours every option: ``solver`` (any Pyomo solver; ``"highs"`` uses
    highspy), ``variant`` (``"strong"`` x_ij <= y_j, ``"bigm"`` aggregated, or
    ``"both"``), ``uncapacitated`` (drop the capacity rows), ``time_limit``,
    ``gap`` (default 0: proven optimal), ``threads`` and ``seed`` (passed to
    the solver when it has such options), ``verbose`` (the solver log),
    ``warm_start`` (a MIP start), ``progress`` (about once a second, HiGHS
    only) and ``solver_options`` (passed verbatim). ``label`` is the method
    named in the result (``"exact"`` when the exact method delegates here).
    """
    o = options or SolveOptions()
    if o.variant not in VARIANTS:
        raise SolverError(f"unknown variant {o.variant!r}; choose one of {', '.join(VARIANTS)}")
    if o.gap < 0 or not math.isfinite(o.gap):
        raise SolverError(f"gap must be a finite number >= 0, got {o.gap}")
    deadline = Deadline(o.time_limit)
    stats: dict[str, Any] = {"variant": o.variant, "uncapacitated": o.uncapacitated, "interface": "pyomo"}
    reason = infeasibility_reason(instance, uncapacitated=o.uncapacitated)
    if reason:
        return finish(instance, host_of=None, bound=None, method=label, solver=o.solver,
                      infeasible=True, message=reason, stats=stats,
                      solve_seconds=deadline.elapsed())
    if not solver_available(o.solver):
        raise SolverNotAvailableError(
            f"solver {o.solver!r} is not installed or not found by Pyomo "
            "(HiGHS comes with hflopt: use solver='highs')"
        )
    t0 = time.perf_counter()

    def work(report: ProgressCallback | None) -> dict[str, Any]:
        return _build_and_run(instance, o, deadline, report)

    out = _isolated(work, deadline, o.progress)
    stats.update(out.pop("stats", {}))
    raw = out["raw"]
    stats.update(raw.pop("stats", {}))
    build_seconds = out["build_seconds"]
    solve_seconds = time.perf_counter() - t0 - build_seconds
    return finish(instance, method=label, solver=o.solver, gap_tolerance=o.gap,
                  build_seconds=build_seconds, solve_seconds=solve_seconds, stats=stats,
                  capacitated=not o.uncapacitated, **raw)


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


def _build_and_run(instance: Instance, o: SolveOptions, deadline: Deadline,
                   progress: ProgressCallback | None) -> dict[str, Any]:
    """Build the Pyomo model and solve it: ``{"raw": finish() arguments, "build_seconds", "stats"}``."""
    t0 = time.perf_counter()
    model = build_model(instance, variant=o.variant, uncapacitated=o.uncapacitated)
    build_seconds = time.perf_counter() - t0
    stats = {"rows": sum(len(c) if c.is_indexed() else 1 for c in _constraints(model)),
             "columns": instance.n_links + instance.n_hosts}
    if deadline.expired():
        raw = {"host_of": None, "bound": None, "timed_out": True,
               "message": "time limit reached while building the Pyomo model"}
        return {"raw": raw, "build_seconds": build_seconds, "stats": stats}
    if o.warm_start is not None:
        _set_start(model, instance, o.warm_start)
    if o.solver in HIGHS_NAMES:
        raw = _run_highs(model, instance, o, deadline, progress)
    else:
        raw = _run_legacy(model, instance, o, deadline)
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


def _run_highs(model: Any, instance: Instance, o: SolveOptions, deadline: Deadline,
               progress: ProgressCallback | None) -> dict[str, Any]:
    """Solve with HiGHS through Pyomo's persistent interface, stopped by callback at the deadline."""
    from pyomo.contrib.solver.solvers.highs import Highs as PyomoHighs

    opt = PyomoHighs()
    opt.set_instance(model)
    h = opt._solver_model  # the highspy.Highs object behind Pyomo's interface
    if deadline.expired():
        return {"host_of": None, "bound": None, "timed_out": True,
                "message": "time limit reached while passing the model to HiGHS"}
    if o.warm_start is not None:
        variables = list(model.x.values()) + list(model.y.values())
        cols = np.array([opt._pyomo_var_to_solver_var_map[id(v)] for v in variables], dtype=np.int32)
        h.setSolution(len(cols), cols, np.array([v.value for v in variables], dtype=np.float64))
    watch = _HighsWatch(deadline, progress)
    h.cbMipInterrupt += watch.on_mip
    h.cbSimplexInterrupt += watch.on_simplex
    try:
        with _quiet_pyomo():
            results = opt.solve(model, tee=o.verbose, load_solutions=False,
                                raise_exception_on_nonoptimal_result=False,
                                solver_options=_highs_options(instance, o, deadline))
    finally:
        h.cbMipInterrupt -= watch.on_mip
        h.cbSimplexInterrupt -= watch.on_simplex
    return _highs_outcome(opt, model, instance, o, deadline, results.objective_bound, watch.stopped)


def _highs_options(instance: Instance, o: SolveOptions, deadline: Deadline) -> dict[str, Any]:
    """HiGHS options for the gap, time limit, threads, seed and log, then the user's own."""
    options: dict[str, Any] = {"mip_rel_gap": o.gap, "output_flag": bool(o.verbose)}
    if o.gap == 0 and granularity(instance):
        # integral objective: a bound within < 1 of the incumbent proves optimality
        options["mip_abs_gap"] = 1.0 - 1e-6
    if math.isfinite(deadline.remaining()):
        options["time_limit"] = max(deadline.remaining(), 0.01)
    if o.threads:
        options["threads"] = int(o.threads)
    if o.seed is not None:
        options["random_seed"] = int(o.seed)
    options.update(o.solver_options or {})
    return options


class _HighsWatch:
    """HiGHS interrupt callbacks: stop at the soft deadline or on Ctrl-C, report progress once a second."""

    def __init__(self, deadline: Deadline, progress: ProgressCallback | None) -> None:
        self.deadline = deadline
        self.progress = progress
        self.hard_stop = Budget().soft(deadline)
        self.last = 0.0
        self.stopped = False

    def _due(self) -> bool:
        return self.deadline.elapsed() >= self.hard_stop or interrupted()

    def on_simplex(self, e: Any) -> None:
        if self._due():
            self.stopped = True
            e.interrupt()

    def on_mip(self, e: Any) -> None:
        self.on_simplex(e)
        now = self.deadline.elapsed()
        if self.progress is not None and now - self.last >= 1.0:
            import highspy

            self.last = now
            out = e.data_out
            inc = out.mip_primal_bound if abs(out.mip_primal_bound) < highspy.kHighsInf else None
            bnd = out.mip_dual_bound if abs(out.mip_dual_bound) < highspy.kHighsInf else None
            self.progress(Progress(now, inc, bnd, "branch-and-bound"))


def _highs_outcome(opt: Any, model: Any, instance: Instance, o: SolveOptions, deadline: Deadline,
                   bound: float | None, stopped: bool) -> dict[str, Any]:
    """What HiGHS ended with, as :func:`~hflopt.solvers._common.finish` arguments."""
    import highspy

    h = opt._solver_model
    status = h.getModelStatus()
    info = h.getInfo()
    ms = highspy.HighsModelStatus
    host_of = None
    if info.primal_solution_status == 2:
        from hflopt.model import host_of_from_x

        xcols = np.array([opt._pyomo_var_to_solver_var_map[id(v)] for v in model.x.values()], dtype=np.int64)
        col_value = np.asarray(h.getSolution().col_value)
        host_of = host_of_from_x(instance, col_value[xcols] if xcols.size else np.zeros(0))
    if status == ms.kOptimal and host_of is not None and bound is None:
        bound = info.objective_function_value
    solver_optimal = status == ms.kOptimal
    misvalued = False
    if o.warm_start is not None and host_of is not None:
        # HiGHS 1.16 can value a MIP start wrongly and prune against that value (see
        # hflopt.solvers.highs_direct.run_highs): then neither its bound nor its
        # optimality claim is used
        true_obj = Solution(host_of).cost(instance)
        misvalued = abs(true_obj - info.objective_function_value) > 1e-6 * max(1.0, abs(true_obj))
        if misvalued:
            bound, solver_optimal = None, False
    timed_out = status in (ms.kTimeLimit, ms.kInterrupt) or stopped or (
        deadline.expired() and status != ms.kOptimal)
    failed = None
    if status not in (ms.kOptimal, ms.kInfeasible, ms.kTimeLimit, ms.kInterrupt,
                      ms.kSolutionLimit, ms.kObjectiveBound, ms.kObjectiveTarget) and not timed_out:
        failed = f"HiGHS ended with status {h.modelStatusToString(status)}"
    return {
        "host_of": host_of, "bound": bound, "solver_optimal": solver_optimal, "timed_out": timed_out,
        "infeasible": status == ms.kInfeasible, "failed": failed,
        "stats": {"nodes": int(info.mip_node_count), "highs_status": h.modelStatusToString(status),
                  "simplex_iterations": int(info.simplex_iteration_count), "start_misvalued": misvalued},
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


def _run_legacy(model: Any, instance: Instance, o: SolveOptions, deadline: Deadline) -> dict[str, Any]:
    """Solve with another Pyomo solver through ``SolverFactory`` (its own option names)."""
    import pyomo.environ as pyo

    opt = pyo.SolverFactory(o.solver)
    remaining = deadline.remaining()
    for key, value in _legacy_options(o, remaining).items():
        opt.options[key] = value
    kwargs: dict[str, Any] = {"tee": o.verbose, "load_solutions": False}
    if o.warm_start is not None and getattr(opt, "warm_start_capable", lambda: False)():
        kwargs["warmstart"] = True
    if math.isfinite(remaining) and hasattr(opt, "_timelimit"):
        kwargs["timelimit"] = remaining + 30.0  # hard backstop: Pyomo kills the process
    try:
        results = opt.solve(model, **kwargs)
    except Exception as exc:  # solver crashed, killed at the backstop, or bad output
        return {"host_of": None, "bound": None, "timed_out": deadline.expired(),
                "failed": f"{o.solver} failed: {exc}"}
    return _legacy_outcome(model, instance, o, results)


def _legacy_options(o: SolveOptions, remaining: float) -> dict[str, Any]:
    """The gap, threads, seed and time limit under the solver's own names, then the user's options."""
    names = PYOMO_OPTION_NAMES.get(o.solver, {})
    wanted = {"gap": o.gap, "threads": o.threads, "seed": o.seed,
              "time_limit": remaining if math.isfinite(remaining) else None}
    options: dict[str, Any] = {}
    for key, value in wanted.items():
        if value is None or (key == "threads" and not value):
            continue
        if key not in names:
            if key == "time_limit" or (key == "gap" and value > 0):
                raise SolverError(f"hflopt does not know how to pass {key} to solver {o.solver!r}; "
                                  f"pass it in solver_options with the solver's own name")
            continue
        if key == "time_limit" and o.solver == "glpk":
            value = max(1, math.ceil(value))
        options[names[key]] = value
    options.update(o.solver_options or {})
    return options


def _legacy_outcome(model: Any, instance: Instance, o: SolveOptions, results: Any) -> dict[str, Any]:
    """What the solver ended with, as :func:`~hflopt.solvers._common.finish` arguments."""
    import pyomo.environ as pyo
    from pyomo.opt import SolverStatus, TerminationCondition

    term = results.solver.termination_condition
    has_sol = len(results.solution) > 0 and term not in (
        TerminationCondition.infeasible, TerminationCondition.noSolution)
    host_of = None
    if has_sol:
        with _quiet_pyomo():  # an 'aborted' (time limit) result with a solution warns
            model.solutions.load_from(results)
        host_of = _usable(instance, solution_from_model(instance, model), term, not o.uncapacitated)
    bound = None
    try:
        lb = results.problem.lower_bound
        if lb is not None and math.isfinite(float(lb)):
            bound = float(lb)
    except (TypeError, ValueError, AttributeError):
        bound = None
    optimal = term == TerminationCondition.optimal
    if optimal and bound is None and host_of is not None and o.gap == 0:
        bound = float(pyo.value(model.objective))
    timed_out = term == TerminationCondition.maxTimeLimit or results.solver.status == SolverStatus.aborted
    failed = None
    if term in (TerminationCondition.error, TerminationCondition.solverFailure,
                TerminationCondition.internalSolverError):
        failed = f"{o.solver} ended with {term}"
    return {
        "host_of": host_of, "bound": bound, "solver_optimal": optimal, "timed_out": timed_out,
        "infeasible": term == TerminationCondition.infeasible, "failed": failed,
        "stats": {"termination": str(term)},
    }
