"""Pieces every solver method shares: diagnosis, status decisions, timing."""

from __future__ import annotations

import contextlib
import logging
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from hflopt.errors import SolutionError
from hflopt.instance import Instance
from hflopt.solution import Result, Solution, Status
from hflopt.solvers.links import cover_value, granularity, servable

__all__ = [
    "HIGHS_NAMES",
    "Deadline",
    "Progress",
    "ProgressCallback",
    "begin",
    "finish",
    "infeasibility_reason",
    "interrupt_armed",
    "interrupted",
    "interruptible",
    "set_interrupted",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Progress:
    """A progress report: best objective, best bound, elapsed seconds, phase."""

    elapsed: float
    incumbent: float | None
    bound: float | None
    phase: str = ""

    @property
    def gap(self) -> float | None:
        if self.incumbent is None or self.bound is None or not math.isfinite(self.bound):
            return None
        return max(0.0, self.incumbent - self.bound) / max(1.0, abs(self.incumbent))


ProgressCallback = Callable[[Progress], None]


#: ``solver`` names that mean HiGHS itself (through highspy), not a Pyomo plug-in
HIGHS_NAMES = ("highs", "appsi_highs")

# Set by the first Ctrl-C during :func:`interruptible`: every Deadline then counts as
# expired, so each method stops at its next check (HiGHS through its interrupt
# callbacks) and returns the best solution it has.
_INTERRUPT = threading.Event()
_ARMED = threading.Event()


def interrupted() -> bool:
    """True once the user pressed Ctrl-C inside :func:`interruptible`."""
    return _INTERRUPT.is_set()


def interrupt_armed() -> bool:
    """True inside :func:`interruptible` when its Ctrl-C handler is installed."""
    return _ARMED.is_set()


def set_interrupted() -> None:
    """Expire every deadline of this process, as a Ctrl-C does (used by isolated solver children)."""
    _INTERRUPT.set()


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Let Ctrl-C stop a solve with its best solution instead of discarding it.

    Inside the block, the first SIGINT sets the interrupt flag (all
    :class:`Deadline` objects expire; a warning is logged) and the second
    raises ``KeyboardInterrupt`` as usual. Only takes effect in the main
    thread and when SIGINT has Python's default handler (a handler of the
    application's own is left alone, and so is this block's own handler: a
    nested block shares the outermost one).
    """
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return

    def on_sigint(_signum: int, _frame: Any) -> None:
        if _INTERRUPT.is_set():
            raise KeyboardInterrupt
        _INTERRUPT.set()
        log.warning("interrupted; finishing with the best solution found (Ctrl-C again to abort)")

    _INTERRUPT.clear()
    signal.signal(signal.SIGINT, on_sigint)
    _ARMED.set()
    try:
        yield
    finally:
        _ARMED.clear()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        _INTERRUPT.clear()


class Deadline:
    """A wall-clock budget: ``remaining()`` seconds, ``expired()``.

    Every deadline expires at once when the user interrupts (:func:`interruptible`).
    """

    def __init__(self, seconds: float | None) -> None:
        if seconds is not None and (not math.isfinite(seconds) or seconds <= 0):
            if seconds is not None and seconds <= 0:
                raise ValueError(f"time_limit must be > 0, got {seconds}")
            seconds = None
        self.start = time.perf_counter()
        self.seconds = seconds

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def remaining(self) -> float:
        if _INTERRUPT.is_set():
            return 0.0
        if self.seconds is None:
            return math.inf
        return max(0.0, self.seconds - self.elapsed())

    def expired(self) -> bool:
        return self.remaining() <= 0.0


def infeasibility_reason(instance: Instance, *, uncapacitated: bool = False) -> str | None:
    """A cheap proof of infeasibility, with the numbers, or None.

    Checks that at least T devices can be served at all (a link to a host
    whose capacity holds the device's workload) and that the total capacity
    can hold the T smallest servable workloads.
    """
    t = instance.min_participants
    if t == 0:
        return None
    n_ok = int(servable(instance, capacitated=not uncapacitated).sum())
    if n_ok < t:
        no_link = int(np.count_nonzero(instance.device_degree == 0))
        too_big = instance.n_devices - n_ok - no_link
        parts = []
        if no_link:
            parts.append(f"{no_link} have no link to any host")
        if too_big:
            parts.append(f"{too_big} have a workload larger than every host they link to")
        return (
            f"only {n_ok} of {instance.n_devices} devices can be served "
            f"({'; '.join(parts)}), but at least T = {t} must participate"
        )
    if uncapacitated:
        return None
    need = cover_value(instance)
    total = instance.total_capacity
    if need > total * (1 + 1e-12):
        return (
            f"total capacity {total:g} is less than the {t} smallest servable workloads "
            f"({need:g}) that must be served (T = {t})"
        )
    return None


def finish(
    instance: Instance,
    *,
    host_of: np.ndarray | None,
    bound: float | None,
    method: str,
    solver: str | None = None,
    solver_optimal: bool = False,
    timed_out: bool = False,
    infeasible: bool = False,
    failed: str | None = None,
    gap_tolerance: float = 0.0,
    build_seconds: float = 0.0,
    solve_seconds: float = 0.0,
    message: str = "",
    stats: dict[str, Any] | None = None,
    capacitated: bool = True,
) -> Result:
    """Turn raw solver output into an honest :class:`Result`.

    The solution is verified independently and its objective recomputed from
    the instance. The status is OPTIMAL only if the gap between that objective
    and the bound is zero (up to the objective granularity for integral data,
    or 1e-9 relative otherwise); stopped by a gap tolerance it is FEASIBLE,
    stopped by time TIME_LIMIT. Without a solution it is INFEASIBLE only with a
    proof, ERROR only when the solver ``failed``, and NO_SOLUTION otherwise (a
    heuristic that finds nothing has not shown that nothing exists).
    """
    stats = dict(stats or {})
    if not capacitated:
        stats["uncapacitated"] = True

    def result(status: Status, solution: Solution | None, objective: float | None, bound: float | None,
               message: str) -> Result:
        return Result(status, solution, objective, bound, method, solver, build_seconds, solve_seconds,
                      message=message, stats=stats, instance=instance)

    solution = None if host_of is None else Solution(host_of)
    objective = None
    if solution is not None:
        try:
            objective = solution.verify(instance, capacity=capacitated)
        except SolutionError as exc:
            return result(Status.ERROR, None, None, bound, f"solver returned an infeasible solution: {exc}")
    bound = _clean_bound(instance, bound, objective)
    if infeasible:
        return result(Status.INFEASIBLE, None, None, None, message or "proven infeasible by the solver")
    if failed is not None and solution is None:
        return result(Status.ERROR, None, None, bound, failed)
    if solution is None or objective is None:  # no failure, no proof of infeasibility: honestly said
        msg = message or ("no solution found within the time limit" if timed_out
                          else "no solution found (infeasibility not proven)")
        return result(Status.NO_SOLUTION, None, None, bound, msg)
    if bound is not None and objective - bound <= 1e-9 * max(1.0, abs(objective)):
        return result(Status.OPTIMAL, solution, objective, objective, message)
    if timed_out:
        return result(Status.TIME_LIMIT, solution, objective, bound,
                      message or "time limit reached; best solution found is returned")
    if solver_optimal and gap_tolerance > 0:
        message = message or f"stopped within the requested gap tolerance {gap_tolerance:g}"
    return result(Status.FEASIBLE, solution, objective, bound, message)


def _clean_bound(instance: Instance, bound: float | None, objective: float | None) -> float | None:
    """A solver's bound made safe: finite, >= 0, rounded up for integral data, <= the objective."""
    if bound is None or not math.isfinite(bound):
        return None
    bound = max(bound, 0.0)  # all costs are non-negative
    if granularity(instance):
        bound = float(math.ceil(bound - 1e-6))  # objective values are integers
    if objective is not None:
        bound = min(bound, objective)  # numerical noise from the solver
    return bound


def begin(instance: Instance, method: str,
          time_limit: float | None) -> tuple[Deadline, Result | None]:
    """Start a heuristic: its deadline, and its finished result if the instance is infeasible.

    The cheap infeasibility diagnosis (:func:`infeasibility_reason`) runs
    inside the method's clock; when it finds a reason, the returned result has
    status ``infeasible`` with that reason as message.
    """
    deadline = Deadline(time_limit)
    reason = infeasibility_reason(instance)
    if reason:
        return deadline, finish(instance, host_of=None, bound=None, method=method,
                                solver="hflopt", infeasible=True, message=reason,
                                solve_seconds=deadline.elapsed())
    return deadline, None
