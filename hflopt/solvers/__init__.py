"""Solver methods and the single entry point :func:`solve`.

A method is a plain function ``run(instance, options, params) -> Result``
registered by name (:func:`~hflopt.solvers.registry.register`) with its
tuning parameters (:mod:`hflopt.solvers.params`) and the options it
honours; adding one is one module and one call.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import numbers
from typing import Any

from hflopt.errors import SolverError
from hflopt.instance import Instance
from hflopt.solution import Result, Status
from hflopt.solvers._common import (
    HIGHS_NAMES,
    Deadline,
    Progress,
    ProgressCallback,
    infeasibility_reason,
    interrupted,
    interruptible,
)
from hflopt.solvers.links import link_cache
from hflopt.solvers.params import (
    AutoParams,
    CheapestParams,
    CoreSearchParams,
    ExactParams,
    LagrangianParams,
    LocalSearchParams,
    NoParams,
    PackParams,
    SolveOptions,
    SparseParams,
)
from hflopt.solvers.params import load_params as _load_params
from hflopt.solvers.registry import METHODS, Method, method_names, register, resolve

__all__ = [
    "METHODS",
    "AutoParams",
    "CheapestParams",
    "CoreSearchParams",
    "Deadline",
    "ExactParams",
    "LagrangianParams",
    "LocalSearchParams",
    "Method",
    "NoParams",
    "PackParams",
    "Progress",
    "ProgressCallback",
    "SolveOptions",
    "SparseParams",
    "infeasibility_reason",
    "load_params",
    "method_names",
    "register",
    "solve",
]

_DEFAULT = object()


def load_params(path: Any, methods: Any = None) -> dict[str, Any]:
    """Read tuning parameters from a TOML or JSON file with one table per method: ``{method: params}``.

    ``methods`` maps method names to parameter classes (default: every
    registered method's). A table for an unknown method, an unknown field or
    a value of the wrong type raises :class:`~hflopt.InstanceError` naming the
    file and the field.
    """
    return _load_params(path, methods if methods is not None else {n: m.params for n, m in METHODS.items()})


def solve(instance: Instance, method: Any = _DEFAULT, /, *, params: Any = None, **kwargs: Any) -> Result:
    """Solve ``instance`` with ``method`` and return a :class:`~hflopt.Result`.

    The default ``"auto"`` runs the Lagrangian heuristic with its certified
    bound and, when the instance is small enough for the time budget, the
    exact solver warm-started with the best heuristic solution.

    Keywords are the :class:`~hflopt.solvers.params.SolveOptions` the method
    honours (``time_limit``, ``gap``, ``solver``, ``variant``,
    ``uncapacitated``, ``threads``, ``seed``, ``verbose``, ``warm_start``,
    ``progress``, ``solver_options``) and the fields of its parameter class
    (e.g. ``core_search=False`` for ``exact``); ``params`` passes a whole
    parameter object (:func:`load_params` reads them
    from TOML or JSON). ``method`` may be given by keyword too, except for
    ``"sparse"``, whose own ``method`` parameter names the inner method:
    ``solve(inst, "sparse", method="exact")``. See :func:`method_names`.

    Ctrl-C (SIGINT) during the solve stops it at the method's next check and
    returns the best solution found so far, with status ``FEASIBLE`` (or
    ``NO_SOLUTION``), a message saying so and ``stats["interrupted"] = True``;
    a second Ctrl-C raises ``KeyboardInterrupt``. Solves through Pyomo
    (method ``"pyomo"``, or a ``solver`` other than HiGHS) keep Python's
    usual Ctrl-C behaviour.
    """
    if not isinstance(instance, Instance):
        raise TypeError(f"solve() needs an hflopt.Instance, got {type(instance).__name__}")
    if method is _DEFAULT:
        method = kwargs.pop("method", "auto")
    found, options, tuned = resolve(method, kwargs, params)
    _check_options(options)
    # Pyomo hands the model to another program or library that does not see hflopt's
    # interrupt flag: there Ctrl-C keeps Python's usual meaning
    through_pyomo = method == "pyomo" or options.solver not in HIGHS_NAMES
    with contextlib.nullcontext() if through_pyomo else interruptible(), link_cache():
        result = found.run(instance, options, tuned)
        stopped = interrupted()
    return _interrupted(result) if stopped else result


def _check_options(options: SolveOptions) -> None:
    """Options every method shares, checked before any work (SolverError: exit status 2)."""
    limit = options.time_limit
    if limit is not None:
        ok = (isinstance(limit, numbers.Real) and not isinstance(limit, bool) and math.isfinite(limit)
              and limit > 0)
        if not ok:
            raise SolverError(f"time_limit must be a number of seconds > 0 (or None for no limit), "
                              f"got {limit!r}")
    seed = options.seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
                             or not 0 <= seed < 2**63):
        raise SolverError(f"seed must be a whole number in [0, 2**63), got {seed!r}")
    gap = options.gap
    if isinstance(gap, bool) or not isinstance(gap, numbers.Real) or not math.isfinite(gap) or gap < 0:
        raise SolverError(f"gap must be a finite number >= 0, got {gap!r}")


def _interrupted(result: Result) -> Result:
    """``result`` of a solve the user stopped with Ctrl-C, said so honestly."""
    if result.stats.get("interrupted"):
        return result
    if result.status in (Status.OPTIMAL, Status.INFEASIBLE):
        return result  # proven before the interrupt took effect
    if result.solution is not None:
        status = Status.FEASIBLE
        message = ("interrupted by the user (Ctrl-C): the best solution found so far, "
                   "optimality not proven")
    else:
        status = Status.NO_SOLUTION
        message = "interrupted by the user (Ctrl-C) before any solution was found"
    return dataclasses.replace(result, status=status, message=message,
                               stats={**result.stats, "interrupted": True})


_EXACT_OPTIONS = {"gap", "solver", "variant", "uncapacitated", "threads", "seed", "verbose", "warm_start",
                  "progress", "solver_options"}


def _register_builtin() -> None:
    from hflopt.solvers.auto import solve_auto
    from hflopt.solvers.core_search import core_search
    from hflopt.solvers.exact import solve_exact
    from hflopt.solvers.greedy import greedy_add_drop, greedy_cheapest, greedy_pack
    from hflopt.solvers.lagrangian import lagrangian
    from hflopt.solvers.local_search import local_search, merge_search
    from hflopt.solvers.pyomo_exact import solve_pyomo
    from hflopt.solvers.sparse import solve_sparse

    register("exact", solve_exact, "fast exact method: LP/Lagrangian bounds, reduced-cost fixing, HiGHS "
             "branch-and-bound (solver other than highs: through Pyomo)", params=ExactParams,
             options=_EXACT_OPTIONS)
    register("pyomo", solve_pyomo, "the Pyomo reference model, any Pyomo solver", options=_EXACT_OPTIONS)
    register("greedy", greedy_add_drop, "capacity/fixed-cost/participation-aware ADD + regret assignment "
             "+ DROP", options={"progress"})
    register("greedy-pack", greedy_pack, "authors' baseline: fill hosts by decreasing capacity",
             params=PackParams)
    register("greedy-cheapest", greedy_cheapest, "authors' baseline: cheapest host with room, prune to T",
             params=CheapestParams)
    register("merge-search", merge_search, "authors' baseline: merge pairs of hosts by knapsack")
    register("local-search", local_search, "shift/swap/exchange/open/close-host local search with "
             "perturbation", params=LocalSearchParams, options={"seed", "warm_start", "progress"})
    register("lagrangian", lagrangian, "Lagrangian bound + Lagrangian heuristic + core search + local "
             "search (certified gap)", params=LagrangianParams,
             options={"gap", "seed", "warm_start", "progress"})
    register("core-search", core_search, "Lagrangian core + LP-guided search over open hosts (drop/add/"
             "swap/2-for-1), certified by a Lagrangian bound", params=CoreSearchParams,
             options={"gap", "seed", "warm_start", "progress", "verbose"})
    register("sparse", solve_sparse, "each device's k cheapest links, widened where a Lagrangian check "
             "says so", params=SparseParams, options={"gap", "seed", "progress", "threads", "verbose"})
    register("auto", solve_auto, "heuristic + bound, then exact warm-started when size and time allow",
             params=AutoParams, options=_EXACT_OPTIONS)


_register_builtin()
