"""Re-planning policies: how the configuration follows the load through the day.

- ``static``: plan once on the first period and keep that plan; later
  periods show its capacity violations.
- ``myopic``: re-solve every period on its own.
- ``stable``: re-solve every period with the costs of changing from the
  previous plan folded into the instance (:func:`~hflopt.replanning.changes.planning_instance`).
- ``robust``: one plan that fits every period: capacity against each
  device's largest workload of the day.
- ``horizon``: the whole day as one multi-period MILP
  (:mod:`hflopt.replanning.horizon`), started from the ``stable`` plans: the
  true optimum of training cost plus change charges on small instances.

Every period's solve is started from the previous plan when that plan fits
the period (``warm_start``), for every method that accepts a start.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from hflopt.errors import SolverError
from hflopt.instance import Instance
from hflopt.replanning.changes import ChangeCosts, changes, planning_instance
from hflopt.replanning.result import ReplanResult
from hflopt.replanning.workloads import Workloads
from hflopt.solution import Result, Solution, Status
from hflopt.solvers._common import Deadline, interrupted, interruptible

log = logging.getLogger(__name__)

__all__ = ["POLICIES", "ReplanParams", "replan"]

POLICIES = ("static", "myopic", "stable", "robust", "horizon")

@dataclass(frozen=True)
class ReplanParams:
    """How :func:`replan` plans a day.

    Attributes
    ----------
    policy:
        One of :data:`POLICIES`.
    method:
        The solver method of every period's solve (any of
        :func:`hflopt.method_names`; ``horizon`` uses it for its start).
    time_limit:
        Seconds of planning for the whole day (None: no limit); each solve
        gets an equal share of what is left, and periods reached with no
        time left keep the last plan (status ``time_limit``). The latency
        estimate runs after the planning, outside the limit, like
        ``hflopt solve --evaluate``.
    costs:
        Prices of migrations, openings and closings.
    warm_start:
        Start each period's solve from the previous plan when it fits.
    horizon_start_share:
        Share of the time limit the ``horizon`` policy spends on its
        ``stable`` start before the MILP.
    horizon_gap:
        Relative gap at which the horizon MILP stops (0: proves the optimum).
    limits:
        Latency-aware capacities to plan with (:class:`~hflopt.evaluate.LatencyLimits`:
        ``max_utilization``, ``latency_slo_ms``, ...); None plans against the
        full capacities. Plans are evaluated against the full capacities.
    solve_options:
        Further keywords for every :func:`hflopt.solve` call (``gap``,
        ``seed``, a method's parameters such as ``core_search=False``).
    """

    policy: str = "stable"
    method: str = "auto"
    time_limit: float | None = None
    costs: ChangeCosts = field(default_factory=ChangeCosts)
    warm_start: bool = True
    horizon_start_share: float = 0.3
    horizon_gap: float = 0.0
    limits: Any = None
    solve_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from hflopt.solvers import METHODS

        if self.policy not in POLICIES:
            raise SolverError(f"unknown policy {self.policy!r}; choose one of {', '.join(POLICIES)}")
        if self.method not in METHODS:
            raise SolverError(f"unknown method {self.method!r}; choose one of {', '.join(sorted(METHODS))}")
        tl = self.time_limit
        if tl is not None and (isinstance(tl, bool) or not isinstance(tl, (int, float)) or not math.isfinite(tl)
                               or tl <= 0):
            raise SolverError(f"time_limit must be a number > 0 (seconds for the whole day), got {tl!r}")
        if not 0 < self.horizon_start_share < 1:
            raise SolverError(f"horizon_start_share must be in (0, 1), got {self.horizon_start_share!r}")
        if not 0 <= self.horizon_gap < 1:
            raise SolverError(f"horizon_gap must be in [0, 1), got {self.horizon_gap!r}")
        if self.limits is not None:
            from hflopt.evaluate import LatencyLimits

            if not isinstance(self.limits, LatencyLimits):
                raise SolverError(f"limits must be an hflopt.evaluate.LatencyLimits, got {type(self.limits).__name__}")
        clash = {"time_limit", "warm_start", "progress"} & set(self.solve_options)
        if clash:
            raise SolverError(f"{', '.join(sorted(clash))}: set by replan itself, not a solve option here")


@dataclass
class _Day:
    """The state of one re-planning run."""

    base: Instance  #: what plans are planned on (the instance, with latency-aware capacities if asked)
    work: Workloads
    params: ReplanParams
    initial: Solution | None
    deadline: Deadline
    report: Callable[[str], None] | None
    plans: list[Solution | None] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    exact: bool = True
    bound: float | None = None
    evaluated: Instance | None = None  #: what plans are judged on (None: ``base``)
    _instances: dict[tuple[int, bool], Instance] = field(default_factory=dict)

    def instance(self, t: int, *, judged: bool = False) -> Instance:
        """Period ``t``'s instance to plan on (``judged``: to evaluate plans on)."""
        base = self.evaluated if (judged and self.evaluated is not None) else self.base
        key = (t, base is not self.base)
        if key not in self._instances:
            self._instances[key] = self.work.instance(base, t)
        return self._instances[key]

    def budget(self, solves_left: int) -> float | None:
        """Seconds for the next solve: an equal share of what is left."""
        if self.params.time_limit is None:
            return None
        return max(self.deadline.remaining() / max(solves_left, 1), 0.01)

    def say(self, text: str) -> None:
        if self.report is not None:
            self.report(text)


# ---------------------------------------------------------------- one solve
def _solve(day: _Day, inst: Instance, warm: Solution | None, solves_left: int) -> Result:
    from hflopt.solvers import METHODS, solve

    p = day.params
    kwargs = dict(p.solve_options)
    budget = day.budget(solves_left)
    if budget is not None:
        kwargs["time_limit"] = budget
    if (p.warm_start and warm is not None and "warm_start" in METHODS[p.method].options
            and warm.is_feasible(inst)):
        kwargs["warm_start"] = warm
    return solve(inst, p.method, **kwargs)


def _record(day: _Day, result: Result, t0: float, label: str) -> Solution | None:
    """Keep a solve's result; its plan, or the previous plan when it found none."""
    day.results.append(result)
    day.seconds.append(time.perf_counter() - t0)
    day.statuses.append(result.status.value)
    plan = result.solution
    if plan is None:
        keep = next((q for q in reversed(day.plans) if q is not None), day.initial)
        reason = result.message or result.status.value
        day.messages.append(f"{label}: no plan ({result.status.value}: {reason})"
                            + ("; the previous plan is kept" if keep is not None else ""))
        plan = keep
    return plan


# ---------------------------------------------------------------- the policies
def _once(day: _Day, inst: Instance, label: str) -> None:
    """Plan once on ``inst`` and keep that plan every period (static, robust)."""
    t0 = time.perf_counter()
    plan = _record(day, _solve(day, inst, day.initial, 1), t0, label)
    day.say(f"{label}: {day.statuses[-1]}")
    status = day.statuses[-1]
    day.plans = [plan] * day.work.n_periods
    day.statuses = [status] * day.work.n_periods
    day.seconds = day.seconds + [0.0] * (day.work.n_periods - 1)


def _static(day: _Day) -> None:
    _once(day, day.instance(0), f"period {day.work.periods[0]}")


def _robust(day: _Day) -> None:
    peak = day.base.replace(workload=day.work.peak(), name=f"{day.base.name}@peak" if day.base.name else "")
    _once(day, peak, "the peak of every device")


def _priced(day: _Day, inst: Instance, before: Solution | None) -> Instance:
    """``inst`` with the change costs from ``before`` folded in (stable and the plans against ``initial``)."""
    planned = planning_instance(inst, before, day.params.costs)
    day.exact = day.exact and planned.exact
    return planned.instance


def _each_period(day: _Day, *, priced: bool) -> None:
    """Re-solve every period (myopic; stable when ``priced``)."""
    p = day.work.n_periods
    prev = day.initial
    for t in range(p):
        label = f"period {day.work.periods[t]}"
        if interrupted() or (prev is not None and day.deadline.expired()):
            _stop_here(day, t, prev)
            return
        t0 = time.perf_counter()
        inst = day.instance(t)
        planned = _priced(day, inst, prev) if priced else inst
        plan = _record(day, _solve(day, planned, prev, p - t), t0, label)
        day.plans.append(plan)
        day.say(f"{label} ({t + 1}/{p}): {day.statuses[-1]}")
        prev = plan if plan is not None else prev


def _stop_here(day: _Day, t: int, prev: Solution | None) -> None:
    """Ctrl-C or no time left: the periods from ``t`` on keep the last plan."""
    rest = day.work.n_periods - t
    why = "interrupted" if interrupted() else Status.TIME_LIMIT.value
    day.plans += [prev] * rest
    day.statuses += [why] * rest
    day.seconds += [0.0] * rest
    day.messages.append(f"{'interrupted' if why == 'interrupted' else 'time limit reached'} before period "
                        f"{day.work.periods[t]}: it and later periods keep the last plan")


def _horizon(day: _Day) -> None:
    from hflopt.replanning.horizon import solve_horizon

    limit = day.params.time_limit
    start_params = replace(day.params, policy="stable",
                           time_limit=None if limit is None else limit * day.params.horizon_start_share)
    first = _Day(day.base, day.work, start_params, day.initial, Deadline(start_params.time_limit), day.report,
                 evaluated=day.evaluated)
    _each_period(first, priced=True)
    start_total = _day_total(day, first.plans)
    start = first.plans if start_total is not None else None
    t0 = time.perf_counter()
    day.say("horizon MILP over the whole day")
    remaining = None if limit is None else max(day.deadline.remaining(), 0.01)
    opts = {k: day.params.solve_options[k] for k in ("threads", "seed", "verbose") if k in day.params.solve_options}
    out = solve_horizon(day.base, day.work, day.params.costs, initial=day.initial, start=start,
                        deadline=Deadline(remaining), gap=day.params.horizon_gap, highs=opts)
    day.results = first.results
    day.statuses = [_horizon_status(out)] * day.work.n_periods
    day.seconds = [time.perf_counter() - t0 + sum(first.seconds)] + [0.0] * (day.work.n_periods - 1)
    day.bound = out.bound
    day.plans = _horizon_plans(day, out, first, start_total)


def _horizon_plans(day: _Day, out: Any, first: _Day, start_total: float | None) -> list[Solution | None]:
    """The MILP's plans, or its ``stable`` start when that is complete and no worse (with a message)."""
    milp_total = _day_total(day, out.plans) if out.plans is not None else None
    if milp_total is not None and (start_total is None or milp_total <= start_total + 1e-9 * abs(start_total)):
        return list(out.plans)  # priced exactly by the MILP
    day.exact = first.exact
    day.statuses = list(first.statuses)  # the plans are the start's: so are their statuses
    day.messages += [f"horizon's stable start: {m}" for m in first.messages]
    if start_total is not None:
        found = "none feasible" if milp_total is None else f"{milp_total:,.6g}"
        day.messages.append(f"horizon: the MILP's best plan ({found}) is not better than its stable start "
                            f"({start_total:,.6g}); the start is kept")
        return list(first.plans)
    day.messages.append(f"horizon: no complete plan for the whole day ({out.run.model_status}); the stable "
                        "plans found are kept")
    return list(first.plans)


def _day_total(day: _Day, plans: list[Solution | None] | None) -> float | None:
    """Training cost plus change charges of a day of plans; None unless every period has a feasible plan."""
    if plans is None or len(plans) != day.work.n_periods:
        return None
    total, before = 0.0, day.initial
    for t, plan in enumerate(plans):
        inst = day.instance(t)
        if plan is None or not plan.is_feasible(inst):
            return None
        total += plan.cost(inst) + changes(before, plan, inst.n_hosts).charge(day.params.costs)
        before = plan
    return total


def _horizon_status(out: Any) -> str:
    run = out.run
    if run.infeasible:
        return Status.INFEASIBLE.value
    if run.optimal and out.objective is not None and out.bound is not None \
            and out.objective - out.bound <= 1e-9 * max(1.0, abs(out.objective)):
        return Status.OPTIMAL.value
    if run.timed_out:
        return Status.TIME_LIMIT.value
    return Status.FEASIBLE.value if out.plans is not None else Status.NO_SOLUTION.value


_RUNNERS: dict[str, Callable[[_Day], None]] = {
    "static": _static,
    "robust": _robust,
    "myopic": lambda day: _each_period(day, priced=False),
    "stable": lambda day: _each_period(day, priced=True),
    "horizon": _horizon,
}


# ---------------------------------------------------------------- evaluation
def _row(inst: Instance, plan: Solution | None, before: Solution | None, costs: ChangeCosts,
         latency: Callable[[Instance, Solution], tuple[float, float]] | None) -> dict[str, Any]:
    if plan is None:
        return {"open_hosts": 0, "participants": 0, "comm_cost": None, "migrations": 0, "joined": 0, "left": 0,
                "opened": 0, "closed": 0, "change_cost": 0.0, "total_cost": None, "overloaded_hosts": 0,
                "max_utilization": None, "latency_mean_ms": None, "latency_p95_ms": None}
    comm = plan.cost(inst)
    ch = changes(before, plan, inst.n_hosts)
    charge = ch.charge(costs)
    open_ = plan.open_hosts()
    load = plan.loads(inst)[open_]
    cap = inst.capacity[open_]
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where(cap > 0, load / np.where(cap > 0, cap, 1.0), np.where(load > 0, np.inf, 0.0))
    mean, p95 = latency(inst, plan) if latency is not None else (None, None)
    return {"open_hosts": int(open_.size), "participants": plan.n_participants, "comm_cost": comm,
            "migrations": ch.migrations, "joined": ch.joined, "left": ch.left, "opened": ch.opened,
            "closed": ch.closed, "change_cost": charge, "total_cost": comm + charge,
            "overloaded_hosts": int(np.count_nonzero(load > cap * (1 + 1e-9) + 1e-12)),
            "max_utilization": float(util.max()) if util.size else 0.0,
            "latency_mean_ms": mean, "latency_p95_ms": p95}


def _latency_of(scenario: Any, rate_unit: float) -> Callable[[Instance, Solution], tuple[float, float]]:
    from hflopt.evaluate import latency

    def measure(inst: Instance, plan: Solution) -> tuple[float, float]:
        sc = scenario.replace(request_rate=inst.workload * rate_unit)
        res = latency(inst, plan, sc)
        return float(res.mean_ms), float(res.percentiles_ms.get("p95", math.nan))

    return measure


def _rows(day: _Day, latency: Any) -> list[dict[str, Any]]:
    rows = []
    before = day.initial
    if latency is not None:
        day.say(f"estimating the inference latency of {day.work.n_periods} periods")
    for t in range(day.work.n_periods):
        if latency is not None and interrupted():
            day.messages.append(f"interrupted: no latency estimate from period {day.work.periods[t]} on")
            latency = None
        plan = day.plans[t]
        row = {"period": day.work.periods[t], "status": day.statuses[t]}
        row.update(_row(day.instance(t, judged=True), plan, before, day.params.costs, latency))
        row["solve_seconds"] = day.seconds[t]
        rows.append(row)
        before = plan if plan is not None else before
    return rows


# ---------------------------------------------------------------- entry point
def replan(
    base: Instance,
    workloads: Workloads,
    policy: str = "stable",
    *,
    method: str = "auto",
    time_limit: float | None = None,
    migration_cost: float = 0.0,
    open_cost: float = 0.0,
    close_cost: float = 0.0,
    initial: Solution | None = None,
    limits: Any = None,
    latency: bool = True,
    scenario: Any = None,
    params: ReplanParams | None = None,
    progress: Callable[[str], None] | None = None,
    **solve_options: Any,
) -> ReplanResult:
    """Plan every period of ``workloads`` on ``base``'s hosts and links with ``policy``.

    Parameters
    ----------
    base:
        The infrastructure: hosts, capacities, links, costs, T and l; its own
        workloads are replaced by each period's.
    workloads:
        A :class:`~hflopt.replanning.Workloads` naming ``base``'s devices (any order).
    policy:
        ``static``, ``myopic``, ``stable``, ``robust`` or ``horizon`` (see
        :mod:`hflopt.replanning.policies`).
    method, time_limit:
        Solver method of each solve; seconds of planning for the whole day
        (see :class:`ReplanParams`).
    migration_cost, open_cost, close_cost:
        Price of a device changing aggregator, of a host opened, of a host
        closed (:class:`~hflopt.replanning.ChangeCosts`). Every policy is billed
        them; ``stable`` and ``horizon`` plan with them.
    initial:
        The plan running before the first period (None: nothing runs yet; the
        first period's changes are free).
    limits:
        Plan with latency-aware capacities: a
        :class:`~hflopt.evaluate.LatencyLimits` (e.g.
        ``LatencyLimits(max_utilization=0.8)``); rows still judge plans against
        the full capacities.
    latency, scenario:
        Estimate each period's inference latency (M/M/1) with ``scenario``'s
        link latencies and service rates and the period's workloads as request
        rates (default: :func:`~hflopt.evaluate.scenario_from_instance` of
        ``base``).
    params:
        A whole :class:`ReplanParams` instead of ``policy``, ``method``,
        ``time_limit``, the costs and ``solve_options``.
    progress:
        Called with a line of text as each period is planned.
    solve_options:
        Passed to every :func:`hflopt.solve` (``gap=0.01``, ``seed=1``,
        ``core_search=False``, ...).

    Returns
    -------
    ReplanResult
        Plans, one row per period (:meth:`~ReplanResult.to_frame`) and a summary.
    """
    t0 = time.perf_counter()
    if params is None:
        params = ReplanParams(policy, method, time_limit, ChangeCosts(migration_cost, open_cost, close_cost),
                              limits=limits, solve_options=dict(solve_options))
    elif solve_options:
        raise TypeError("give params or solve keywords, not both")
    work = _check_inputs(base, workloads, initial)
    day = _plan_day(base, work, params, initial, scenario, progress)
    planned = time.perf_counter() - t0
    measure = _latency_of(_scenario(base, scenario), _rate_unit(scenario)) if latency else None
    rows = _rows(day, measure)
    return ReplanResult(params.policy, params.method, params.costs, work.periods, day.plans, day.results, rows,
                        bound=day.bound, exact_pricing=day.exact, seconds=time.perf_counter() - t0,
                        planning_seconds=planned, messages=day.messages)


def _plan_day(base: Instance, work: Workloads, params: ReplanParams, initial: Solution | None,
              scenario: Any, progress: Callable[[str], None] | None) -> _Day:
    """Run the policy over the day (on latency-limited capacities when asked)."""
    planned_on = base
    if params.limits is not None:
        from hflopt.evaluate import latency_limited

        planned_on = latency_limited(base, params.limits, scenario)
    day = _Day(planned_on, work, params, initial, Deadline(params.time_limit), progress, evaluated=base)
    with interruptible():
        _RUNNERS[params.policy](day)
    if not day.exact:
        day.messages.append("a closing cost above some host's fixed cost was priced only up to that fixed cost "
                            "in planning (the billed charges are exact)")
    return day


def _check_inputs(base: Instance, workloads: Workloads, initial: Solution | None) -> Workloads:
    if not isinstance(base, Instance):
        raise TypeError(f"replan() needs an hflopt.Instance, got {type(base).__name__}")
    if not isinstance(workloads, Workloads):
        raise TypeError(f"replan() needs hflopt.replanning.Workloads, got {type(workloads).__name__}")
    work = workloads.aligned(base)
    if initial is not None:
        from hflopt.evaluate._common import check_solution

        check_solution(base, initial)
    return work


def _scenario(base: Instance, scenario: Any) -> Any:
    if scenario is not None:
        return scenario.check(base)
    from hflopt.evaluate import scenario_from_instance

    return scenario_from_instance(base)


def _rate_unit(scenario: Any) -> float:
    if scenario is None:
        return 1.0
    unit = scenario.metadata.get("rate_unit", 1.0)
    return float(unit) if isinstance(unit, (int, float)) and math.isfinite(unit) and unit > 0 else 1.0
