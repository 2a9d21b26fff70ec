"""Solver methods and the single entry point :func:`solve`.

A method is a plain function ``f(instance, **options) -> Result`` registered
by name with :func:`register`; adding one is one module and one decorator.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import math
import numbers
from collections.abc import Callable
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

__all__ = [
    "METHODS",
    "Deadline",
    "Progress",
    "ProgressCallback",
    "infeasibility_reason",
    "method_names",
    "register",
    "solve",
]

Method = Callable[..., Result]
METHODS: dict[str, Method] = {}
_DESCRIPTIONS: dict[str, str] = {}


def register(name: str, description: str = "") -> Callable[[Method], Method]:
    """Register ``func`` as solver method ``name``."""

    def deco(func: Method) -> Method:
        METHODS[name] = func
        _DESCRIPTIONS[name] = description or (func.__doc__ or "").strip().splitlines()[0]
        return func

    return deco


def method_names() -> dict[str, str]:
    """Registered methods with a one-line description each."""
    return dict(_DESCRIPTIONS)


def solve(instance: Instance, method: str = "auto", **options: Any) -> Result:
    """Solve ``instance`` with ``method`` and return a :class:`~hflopt.Result`.

    The default ``"auto"`` runs the Lagrangian heuristic with its certified
    bound and, when the instance is small enough for the time budget, the
    exact solver warm-started with the best heuristic solution.

    Common options: ``time_limit`` (seconds), ``gap`` (relative, default 0),
    ``solver`` (Pyomo solver name, default ``"highs"``), ``variant``
    (``strong``, ``bigm``, ``both``), ``uncapacitated``, ``threads``,
    ``seed``, ``verbose``, ``progress`` (callback taking a
    :class:`Progress`). See :func:`method_names` for the methods.

    Ctrl-C (SIGINT) during the solve stops it at the method's next check and
    returns the best solution found so far, with status ``FEASIBLE`` (or
    ``NO_SOLUTION``), a message saying so and ``stats["interrupted"] = True``;
    a second Ctrl-C raises ``KeyboardInterrupt``. See
    :func:`hflopt.solvers._common.interruptible`. Solves through Pyomo
    (method ``"pyomo"``, or a ``solver`` other than HiGHS) keep Python's
    usual Ctrl-C behaviour.
    """
    if not isinstance(instance, Instance):
        raise TypeError(f"solve() needs an hflopt.Instance, got {type(instance).__name__}")
    if method not in METHODS:
        raise SolverError(f"unknown method {method!r}; choose one of {', '.join(sorted(METHODS))}")
    func = METHODS[method]
    params = inspect.signature(func).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        unknown = [k for k in options if k not in params]
        if unknown:
            accepted = ", ".join(k for k in params if k != "instance")
            raise SolverError(
                f"method {method!r} does not take option(s) {', '.join(unknown)} "
                f"(it takes: {accepted})"
            )
    _check_options(options)
    # Pyomo hands the model to another program or library that does not see hflopt's
    # interrupt flag: there Ctrl-C keeps Python's usual meaning
    through_pyomo = method == "pyomo" or options.get("solver", "highs") not in HIGHS_NAMES
    with contextlib.nullcontext() if through_pyomo else interruptible():
        result = func(instance, **options)
        stopped = interrupted()
    return _interrupted(result) if stopped else result


def _check_options(options: dict[str, Any]) -> None:
    """Options every method shares, checked before any work (SolverError: exit status 2)."""
    limit = options.get("time_limit")
    if limit is not None:
        try:
            ok = not isinstance(limit, bool) and math.isfinite(float(limit)) and float(limit) > 0
        except (TypeError, ValueError, OverflowError):
            ok = False
        if not ok:
            raise SolverError(f"time_limit must be a number of seconds > 0 (or None for no limit), "
                              f"got {limit!r}")
    seed = options.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
                             or not 0 <= seed < 2**63):
        raise SolverError(f"seed must be a whole number in [0, 2**63), got {seed!r}")


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


def _register_builtin() -> None:
    from hflopt.solvers.exact import solve_exact
    from hflopt.solvers.pyomo_exact import solve_pyomo

    register("exact", "fast exact method: LP/Lagrangian bounds, reduced-cost fixing, HiGHS "
             "branch-and-bound (solver other than highs: through Pyomo)")(solve_exact)
    register("pyomo", "the Pyomo reference model, any Pyomo solver")(solve_pyomo)

    from hflopt.solvers.auto import solve_auto
    from hflopt.solvers.core_search import core_search
    from hflopt.solvers.greedy import greedy_add_drop, greedy_cheapest, greedy_pack
    from hflopt.solvers.lagrangian import lagrangian
    from hflopt.solvers.local_search import local_search, merge_search
    from hflopt.solvers.sparse import solve_sparse

    register("greedy", "capacity/fixed-cost/participation-aware ADD + regret assignment + DROP"
             )(greedy_add_drop)
    register("greedy-pack", "authors' baseline: fill hosts by decreasing capacity")(greedy_pack)
    register("greedy-cheapest", "authors' baseline: cheapest host with room, prune to T"
             )(greedy_cheapest)
    register("merge-search", "authors' baseline: merge pairs of hosts by knapsack")(merge_search)
    register("local-search", "shift/swap/exchange/open/close-host local search with perturbation"
             )(local_search)
    register("lagrangian", "Lagrangian bound + Lagrangian heuristic + core search + local search "
             "(certified gap)")(lagrangian)
    register("core-search", "Lagrangian core + LP-guided search over open hosts (drop/add/swap/"
             "2-for-1), certified by a Lagrangian bound")(core_search)
    register("sparse", "each device's k cheapest links, widened where a Lagrangian check says so"
             )(solve_sparse)
    register("auto", "heuristic + bound, then exact warm-started when size and time allow"
             )(solve_auto)


_register_builtin()
