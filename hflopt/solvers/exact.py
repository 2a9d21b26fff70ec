r"""hflopt's fast exact solver: bound, prove, restrict, then branch.

HiGHS given the textbook HFLOP model stalls on large or tightly capacitated
instances: 10^6 rows ``x_ij <= y_j`` at 100 x 10,000, weak LP bounds when
capacities bind. This method solves the same problem to the same proven
optimum while handing HiGHS far less. :func:`solve_exact` runs named stages
over one explicit state (:class:`ExactRun`):

1. **begin** (presolve): links whose device does not fit the host are
   dropped; infeasibility is diagnosed with numbers.
2. **start**: a warm start, or the empty solution when T = 0.
3. **bound** -- an LP over a core of links, priced over all links. The LP
   relaxation of the strengthened model (:mod:`hflopt.solvers.exact_lp`) is
   solved over a *core*: every link on small instances, each device's few
   most promising links on large ones. Its duals give a Lagrangian bound on
   the *whole* instance (:func:`hflopt.solvers.lagrange.evaluate`, cover row
   relaxed). Links with a negative Lagrangian reduced cost join the core and
   the LP is solved again (column generation) until the bound matches the
   core LP; each round's simplex starts from the previous basis. With
   integral data the rounds stop once both round up to the same integer.
4. **heuristics**: LP rounding with a capacity-aware greedy and host closing,
   a greedy fallback, the local search, then a short core search (the full
   one under tight capacities) while the gap is open: a better incumbent
   means stronger fixing and less work for HiGHS. If branch-and-bound will be
   needed and LP rounds are cheap, the stopped rounds resume to convergence,
   whose duals fix more links.
5. **fixing** -- proof or restriction: if the Lagrangian bound reaches the
   incumbent (within less than 1 for integral data), it is optimal;
   otherwise every link and host whose Lagrangian reduced cost lifts the
   bound past the incumbent is removed (the incumbent's own links stay).
6. **branch-and-bound** (HiGHS) on what is left, warm-started with the
   incumbent, on the grouped strengthened model of
   :func:`~hflopt.solvers.highs_direct.build_grouped`. Under a time limit,
   big models are handed over in a form HiGHS can be interrupted in, and
   the run goes to a child process that is ended on time
   (:mod:`hflopt.solvers.isolation`).

Every bound is a bound on the full instance: removed links only occur in
solutions that cost at least as much as the incumbent. The result goes
through :func:`hflopt.solvers._common.finish`, which verifies the solution
and calls it optimal only with a zero gap. The tuning values are the fields
of :class:`~hflopt.solvers.params.ExactParams`; why each has its value is in
``docs/decisions.md``.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hflopt.errors import SolverError
from hflopt.instance import Instance
from hflopt.model import VARIANTS
from hflopt.solution import Result, Solution
from hflopt.solvers._common import (
    HIGHS_NAMES,
    Deadline,
    Progress,
    finish,
    infeasibility_reason,
    interrupted,
)
from hflopt.solvers.arrays import round_up
from hflopt.solvers.exact_heuristics import improve_incumbent, round_lp
from hflopt.solvers.exact_lp import CoreLPSettings, LPResult, initial_core, solve_core_lp
from hflopt.solvers.greedy import assign_complete
from hflopt.solvers.highs_direct import build_grouped, check_highs_options, highs_with, run_highs
from hflopt.solvers.lagrange import LagrangianBound, evaluate
from hflopt.solvers.links import LinkData, LinkSet, exclusion_threshold, link_data
from hflopt.solvers.params import ExactParams, SolveOptions
from hflopt.solvers.subgradient import lagrangian_heuristic, subgradient

__all__ = ["ExactRun", "solve_exact"]

METHOD = "exact"
log = logging.getLogger(__name__)


# -------------------------------------------------------------------- state
@dataclass
class ExactRun:
    """The explicit state one exact solve carries from stage to stage."""

    instance: Instance
    data: LinkData
    options: SolveOptions
    params: ExactParams
    deadline: Deadline
    capacitated: bool
    links: LinkSet  # the usable links (every link when uncapacitated)
    t0: float = field(default_factory=time.perf_counter)
    stats: dict[str, Any] = field(default_factory=dict)
    best: np.ndarray | None = None
    best_cost: float = math.inf
    best_from: str = ""
    bound: float = -math.inf
    core: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    closed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    lag: LagrangianBound | None = None
    lp: LPResult | None = None
    cg: dict[str, Any] = field(default_factory=lambda: {"rounds": 0, "warm": 0, "seconds": 0.0,
                                                        "rounded": None})
    keep: np.ndarray | None = None

    @property
    def phases(self) -> dict[str, float]:
        return self.stats.setdefault("phases", {})

    @property
    def gran(self) -> float:
        return self.data.gran

    @property
    def cover(self) -> float:
        """The cover value W_T, or 0 when capacities are ignored."""
        return self.data.W if self.capacitated else 0.0

    def offer(self, host_of: np.ndarray | None, cost: float, source: str) -> bool:
        if host_of is not None and cost < self.best_cost - 1e-9:
            self.best, self.best_cost, self.best_from = host_of, cost, source
            return True
        return False

    def report(self, phase: str) -> None:
        """Tell the progress callback and the log where the solve stands after ``phase``."""
        inc = self.best_cost if self.best is not None else None
        bnd = self.bound if math.isfinite(self.bound) else None
        log.info("exact: %s: incumbent %s, bound %s (%.2f s)", phase,
                 "none" if inc is None else f"{inc:.10g} ({self.best_from})",
                 "none" if bnd is None else f"{bnd:.10g}", self.deadline.elapsed())
        if self.options.progress is not None:
            self.options.progress(Progress(self.deadline.elapsed(), inc, bnd, phase))

    def closed_enough(self) -> bool:
        """The gap is closed (up to the granularity) or within the requested gap."""
        if self.best is None or not math.isfinite(self.bound):
            return False
        if self.bound > exclusion_threshold(self.best_cost, self.gran):
            return True
        gap = self.options.gap
        if gap > 0:
            return (self.best_cost - self.bound) / max(1.0, abs(self.best_cost)) <= gap
        return self.best_cost - self.bound <= 1e-9 * max(1.0, abs(self.best_cost))

    def lagrange(self, u: np.ndarray, mu: float) -> LagrangianBound:
        """The Lagrangian bound on the whole instance for LP duals ``(u, mu)``."""
        return evaluate(self.data, u, mu, self.links, capacitated=self.capacitated,
                        cover=self.capacitated, reduced_costs=True)

    def heuristic_budget(self) -> float:
        """Seconds for an improvement heuristic: grows with the links, <= 10% of what is left."""
        p = self.params
        budget = min(p.ls_max, p.ls_base + self.data.k / p.ls_links_per_second)
        if self.deadline.seconds is not None:
            budget = min(budget, 0.1 * self.deadline.remaining())
        return budget

    def result(self, *, timed_out: bool = False, failed: str | None = None, message: str = "",
               infeasible: bool = False) -> Result:
        self.stats["incumbent_from"] = self.best_from or None
        bound = self.bound if math.isfinite(self.bound) else None
        build = self.phases.get("build", 0.0)
        return finish(self.instance, host_of=self.best, bound=bound, method=METHOD, solver="highs",
                      solver_optimal=True, timed_out=timed_out, failed=failed, infeasible=infeasible,
                      gap_tolerance=self.options.gap, build_seconds=build,
                      solve_seconds=time.perf_counter() - self.t0 - build, message=message,
                      stats=self.stats, capacitated=self.capacitated)


# --------------------------------------------------------------- the method
def solve_exact(instance: Instance, options: SolveOptions | None = None,
                params: ExactParams | None = None) -> Result:
    """Solve HFLOP exactly, fast: LP/Lagrangian bounds, reduced-cost fixing, HiGHS.

    ``options.solver`` other than HiGHS delegates to the Pyomo model
    (:func:`~hflopt.solvers.pyomo_exact.solve_pyomo`). ``stats`` holds the
    phase times, LP rounds, links kept for the MILP, nodes, and where the
    best solution came from.
    """
    options = options or SolveOptions()
    params = params or ExactParams()
    if options.solver not in HIGHS_NAMES:
        from hflopt.solvers.pyomo_exact import solve_pyomo

        return solve_pyomo(instance, options, label=METHOD)
    run = begin(instance, options, params)
    if isinstance(run, Result):
        return run
    if start(run):
        return run.result()
    bound(run, to_convergence=False)
    heuristics(run)
    resume_bound(run)
    if run.closed_enough():
        run.stats["proof"] = "Lagrangian bound"
        return run.result()
    if run.deadline.expired():
        return run.result(timed_out=True)
    fix(run)
    return branch_and_bound(run)


# ------------------------------------------------------------------ stages
def begin(instance: Instance, options: SolveOptions, params: ExactParams) -> ExactRun | Result:
    """Check the options, diagnose cheap infeasibility, set up the state."""
    if options.variant not in VARIANTS:
        raise SolverError(f"unknown variant {options.variant!r}; choose one of {', '.join(VARIANTS)}")
    if options.gap < 0 or not math.isfinite(options.gap):
        raise SolverError(f"gap must be a finite number >= 0, got {options.gap}")
    check_highs_options(options.solver_options)  # applied only at branch-and-bound: fail now
    deadline = Deadline(options.time_limit)
    capacitated = not options.uncapacitated
    stats: dict[str, Any] = {"variant": options.variant, "interface": "highspy", "phases": {}}
    reason = infeasibility_reason(instance, uncapacitated=options.uncapacitated)
    if reason:
        return finish(instance, host_of=None, bound=None, method=METHOD, solver="highs",
                      infeasible=True, message=reason, stats=stats, solve_seconds=deadline.elapsed(),
                      capacitated=capacitated)
    data = link_data(instance)
    links = data.usable_set if capacitated else data.all_links
    return ExactRun(instance, data, options, params, deadline, capacitated, links, stats=stats,
                    closed=np.zeros(data.m, dtype=bool))


def start(run: ExactRun) -> bool:
    """Take a feasible warm start; with T = 0 the empty solution is optimal (returns True)."""
    tick = time.perf_counter()
    ws = run.options.warm_start
    if ws is not None:
        h = np.asarray(ws.host_of, dtype=np.int64)
        if h.size == run.data.n and Solution(h).is_feasible(run.instance, capacity=run.capacitated):
            run.offer(h, run.data.cost(h), "warm start")
    if run.data.T == 0:
        run.offer(np.full(run.data.n, -1, dtype=np.int64), 0.0, "empty")
        run.bound = 0.0
        return True
    run.phases["start"] = time.perf_counter() - tick
    links = run.links.idx
    if links.size <= run.params.full_core_links:
        run.core = links
    else:
        run.core = initial_core(run.data, links, run.params.core_per_device)
        if run.best is not None:
            run.core = np.union1d(run.core, solution_links(run.instance, run.best))
    return False


def dual_first(run: ExactRun) -> None:
    """T = N on a large core whose first LP prices far below itself: subgradient steps instead.

    With every device served, the LP over a small core can lean on its "served
    by nobody" columns, and its duals then price the links outside the core
    far below zero: the full-instance bound starts hugely negative and column
    generation crawls. The subgradient gives a bound near the strong LP's in
    seconds; its multipliers also pick the core (each device's links with the
    lowest Lagrangian reduced cost), give an incumbent (the Lagrangian
    heuristic), and fix links later if no LP round beats them.
    """
    p = run.params
    if not (p.dual_first and run.capacitated and run.data.equal and run.links.idx.size > p.full_core_links):
        return
    tick = time.perf_counter()
    budget = p.dual_max_seconds
    if run.deadline.seconds is not None:
        budget = min(budget, p.dual_share * run.deadline.seconds, run.deadline.remaining())
    state = subgradient(run.data, deadline=Deadline(max(0.05, budget)),
                        upper=run.best_cost if run.best is not None else None, gap=run.options.gap)
    lag = run.lagrange(state.u, state.v)
    if run.lag is None or lag.value >= run.lag.value:
        run.lag = lag
    run.bound = max(run.bound, lag.value)
    h = lagrangian_heuristic(run.data, lag.host_value, deadline=Deadline(run.heuristic_budget()),
                             seed=run.options.seed, bound=run.bound, gap=run.options.gap)
    if h is not None:
        run.offer(h, run.data.cost(h), "Lagrangian heuristic")
    links = run.links.idx
    order = np.lexsort((lag.link_rc, run.data.dev[links]))
    first = np.r_[True, run.data.dev[links][order][1:] != run.data.dev[links][order][:-1]]
    rank = np.arange(order.size) - np.maximum.accumulate(np.where(first, np.arange(order.size), 0))
    run.core = np.union1d(run.core, links[order[rank < p.core_per_device]])
    run.stats["dual_first"] = {"bound": lag.value, "iterations": state.iterations,
                               "seconds": round(time.perf_counter() - tick, 3)}
    run.phases["dual_first"] = time.perf_counter() - tick
    run.report("subgradient bound")


def bound(run: ExactRun, *, to_convergence: bool) -> None:
    """LP rounds over the core, pricing links back in by their Lagrangian reduced cost.

    Converged when the full-instance bound matches the core LP. With integral
    objective values, also when both round up to the same integer (more columns
    only lower the core LP, so the rounded bound cannot improve), unless
    ``to_convergence``: that is for later, when branch-and-bound is needed and
    warm-started rounds are cheap; their duals then fix more links.
    """
    tick = time.perf_counter()
    cg = run.cg
    if cg["rounded"] is not None:
        run.core = np.union1d(run.core, cg["rounded"])
    cg["rounded"] = None
    while cg["rounds"] < run.params.max_cg_rounds and not run.deadline.expired():
        if cg["rounds"] and run.deadline.seconds is not None and (
                run.deadline.elapsed() > run.params.bound_share * run.deadline.seconds):
            break  # leave the rest of the budget to heuristics and branch-and-bound
        if not _lp_round(run, to_convergence):
            break
    _lp_stats(run)
    run.phases["bound"] = run.phases.get("bound", 0.0) + time.perf_counter() - tick


def _lp_round(run: ExactRun, to_convergence: bool) -> bool:
    """One LP round and its pricing; False when the rounds are done."""
    cg, p = run.cg, run.params
    cg["rounds"] += 1
    lp = solve_core_lp(run.data, run.core, run.closed, _lp_deadline(run), _lp_settings(run),
                       run.lp.basis if run.lp is not None and p.warm_lp else None)
    run.lp = lp
    cg["seconds"] += lp.seconds
    cg["warm"] += lp.warm
    if not lp.ok:
        return False
    now = run.lagrange(lp.u, lp.mu)
    if cg["rounds"] == 1 and _priced_far_below(now.value, lp.objective):
        dual_first(run)  # T = N on a large core: the LP's duals are of little use yet
    if run.lag is None or now.value >= run.lag.value:
        run.lag = now  # the best multipliers so far fix the most links
    run.bound = max(run.bound, run.lag.value)
    run.report("LP bound")
    if run.closed_enough():
        return False
    if "dual_first" in run.stats and now.value < run.lag.value - _open_gap(run):
        return False  # the core LP's duals price worse than the subgradient's by more than the gap
    in_core = np.zeros(run.data.k, dtype=bool)
    in_core[run.core] = True
    links = run.links.idx
    neg = (now.link_rc < -1e-9) & ~in_core[links]
    if not neg.any() or now.value >= lp.objective - 1e-6 * max(1.0, abs(lp.objective)):
        return False
    if (not to_convergence and run.gran
            and round_up(now.value, run.gran) >= round_up(lp.objective, run.gran)):
        cg["rounded"] = links[neg]  # to price in if the rounds resume
        return False
    run.core = np.union1d(run.core, links[neg])
    return True


def _priced_far_below(bound: float, lp_objective: float) -> bool:
    """The full-instance bound of a core LP's duals is below half the core LP's value."""
    return bound < lp_objective - 0.5 * abs(lp_objective)


def _open_gap(run: ExactRun) -> float:
    """The absolute gap between incumbent and bound (the bound's size without an incumbent)."""
    if run.best is None or not math.isfinite(run.bound):
        return abs(run.bound) if math.isfinite(run.bound) else 0.0
    return max(0.0, run.best_cost - run.bound)


def _lp_deadline(run: ExactRun) -> Deadline:
    """An LP round may not take the whole budget: without a start the heuristics need the
    rest; with one, finishing the LP (then LP rounding) is worth more."""
    deadline = run.deadline
    if deadline.seconds is None:
        return deadline
    share = run.params.lp_max_share if run.best is None else run.params.lp_max_share_with_start
    run.stats["lp_time_share"] = share
    return Deadline(max(0.01, min(deadline.remaining(), share * deadline.seconds - deadline.elapsed())))


def _lp_settings(run: ExactRun) -> CoreLPSettings:
    return CoreLPSettings(capacitated=run.capacitated, ipm_columns=run.params.ipm_columns,
                          threads=run.options.threads, verbose=run.options.verbose)


def _lp_stats(run: ExactRun) -> None:
    cg, stats = run.cg, run.stats
    stats["lp_rounds"] = cg["rounds"]
    stats["lp_warm_rounds"] = cg["warm"]
    stats["lp_core_links"] = int(run.core.size)
    stats["lp_seconds"] = round(cg["seconds"], 3)
    stats["lp_solver"] = run.lp.solver if run.lp is not None else None
    stats["lagrangian_bound"] = run.lag.value if run.lag is not None else None


def heuristics(run: ExactRun) -> None:
    """Incumbents from the LP (rounding), a greedy fallback, then improvement searches."""
    tick = time.perf_counter()
    deadline = run.deadline
    if run.lp is not None and run.lp.ok and not run.closed_enough() and not deadline.expired():
        budget = 2.0 if deadline.seconds is None else max(0.1, min(2.0, 0.1 * deadline.remaining()))
        h, c = round_lp(run.data, run.links.idx, run.lp.y, run.lp.x, deadline, budget, run.capacitated)
        if run.offer(h, c, "LP rounding"):
            run.report("LP rounding")  # the core search below may take a while on tight instances
    if run.best is None and (not deadline.expired() or interrupted()):
        _greedy_fallback(run)  # after a Ctrl-C too: one greedy pass is quick, any solution beats none
    improve_incumbent(run)
    run.phases["heuristics"] = time.perf_counter() - tick
    run.report("heuristics")


def _greedy_fallback(run: ExactRun) -> None:
    """One greedy pass over every host; under tight capacities completed by ejection chains."""
    from hflopt.solvers.exact_heuristics import assign_open

    every = np.ones(run.data.m, dtype=bool)
    h = assign_open(run.data, every, run.links.idx, run.capacitated)
    if h is None and run.capacitated:
        h = assign_complete(run.data, every, run.data.T, deadline=run.deadline)
        h = h if int((h >= 0).sum()) >= run.data.T else None
    if h is not None and run.offer(h, run.data.cost(h), "greedy"):
        run.report("greedy")


def resume_bound(run: ExactRun) -> None:
    """Branch-and-bound is needed: finish the (cheap, warm-started) LP rounds first."""
    lp = run.lp
    if (run.params.warm_lp and not run.closed_enough() and not run.deadline.expired()
            and run.cg["rounded"] is not None and lp is not None and lp.basis is not None
            and lp.seconds <= run.params.resume_lp_seconds):
        bound(run, to_convergence=True)


def fix(run: ExactRun) -> None:
    """Reduced-cost fixing: drop every link and host that cannot be in a better solution."""
    tick = time.perf_counter()
    keep = np.zeros(run.data.k, dtype=bool)
    links = run.links.idx
    keep[links] = True
    if run.lag is not None and run.best is not None:
        thr = exclusion_threshold(run.best_cost, run.gran)
        run.closed = run.lag.host_forced() > thr
        keep[links] = run.lag.link_forced(run.data.host[links]) <= thr
        keep[solution_links(run.instance, run.best)] = True
        run.closed[np.unique(run.best[run.best >= 0])] = False
    run.keep = keep
    run.stats["mip_links"] = int(keep.sum())
    run.stats["mip_hosts"] = int(run.data.m - run.closed.sum())
    run.phases["fixing"] = time.perf_counter() - tick


def branch_and_bound(run: ExactRun) -> Result:
    """HiGHS on the restricted MILP, warm-started; the global bound combines both bounds."""
    tick = time.perf_counter()
    built = _build_milp(run, tick)
    if isinstance(built, Result):
        return built
    gm, fresh = built
    h = fresh()
    run.phases["build"] = time.perf_counter() - tick
    ub_fix = run.best_cost
    lag_value = run.lag.value if run.lag is not None else -math.inf

    def global_bound(b: float | None) -> float:
        if b is None or not math.isfinite(b):
            return lag_value
        return max(lag_value, min(b, ub_fix))

    progress = run.options.progress

    def mip_progress(pr: Progress) -> None:
        inc = pr.incumbent if pr.incumbent is not None else (run.best_cost if run.best is not None else None)
        progress(Progress(run.deadline.elapsed(), inc, global_bound(pr.bound), "branch-and-bound"))

    gap = run.options.gap
    start_vec = gm.start(run.instance, Solution(run.best)) if run.best is not None else None
    milp = run_highs(h, deadline=run.deadline, rel_gap=gap, abs_gap=(1.0 - 1e-6) if (gap == 0 and run.gran) else None,
                     start=start_vec, progress=mip_progress if progress is not None else None,
                     col_cost=gm.arrays.col_cost, fresh=fresh)
    run.phases["branch_and_bound"] = time.perf_counter() - tick
    return _take_milp(run, gm, milp, ub_fix, global_bound)


def _build_milp(run: ExactRun, tick: float) -> tuple[Any, Any] | Result:
    """The restricted MILP (grouped, strengthened) and a factory of Highs objects holding it,
    or the result when too little time is left to build or set it up."""
    p, opts, deadline = run.params, run.options, run.deadline
    keep = np.flatnonzero(run.keep)
    if deadline.seconds is not None and deadline.remaining() < p.build_seconds_per_link * keep.size:
        return _too_little_time(run, tick, f"{keep.size:,} links, about "
                                           f"{p.build_seconds_per_link * keep.size:.1f} s to build it")
    gm, variant = _grouped_milp(run, keep)
    run.stats["mip_variant"] = variant
    arrays = gm.arrays
    mip_options: dict[str, Any] = {}
    if run.best is not None and not p.warm_mip_rins_rens:
        # warm-started with hflopt's incumbent (usually optimal already), HiGHS's
        # large-neighbourhood sub-MIPs mostly re-find it
        mip_options = {"mip_heuristic_run_rins": False, "mip_heuristic_run_rens": False}
    if deadline.seconds is not None and arrays.n_nonzeros > p.presolve_max_nonzeros:
        mip_options["presolve"] = "off"  # HiGHS's MIP presolve cannot be interrupted in-process
    mip_options.update(opts.solver_options or {})
    run.stats["mip_presolve"] = mip_options.get("presolve", "on")
    run.stats.update(mip_columns=arrays.n_cols, mip_rows=arrays.n_rows,
                     mip_nonzeros=arrays.n_nonzeros, mip_groups=gm.n_z)
    setup = p.mip_setup_seconds_per_nonzero * arrays.n_nonzeros
    if deadline.seconds is not None and deadline.remaining() < setup:
        return _too_little_time(run, tick, f"{arrays.n_cols:,} columns, about {setup:.0f} s of HiGHS "
                                           "setup alone")
    fresh = functools.partial(highs_with, arrays, verbose=opts.verbose, threads=opts.threads,
                              seed=opts.seed, options=mip_options)
    return gm, fresh


def _grouped_milp(run: ExactRun, keep: np.ndarray) -> tuple[Any, str]:
    """The grouped MILP; under a time limit, aggregated linking when strong has too many rows.

    HiGHS's root separation over that many x <= y rows cannot be interrupted.
    Built twice in that case: which hosts bind, and so how many rows strong
    linking writes, is only known once build_grouped has run.
    """
    opts = run.options

    def build(variant: str) -> Any:
        return build_grouped(run.instance, keep, closed=run.closed, uncapacitated=opts.uncapacitated,
                             variant=variant, total_capacity_row=True, assign_equal=run.data.equal)

    gm = build(opts.variant)
    lo, hi = gm.arrays.blocks.get("link", (0, 0))
    if (run.deadline.seconds is not None and opts.variant == "strong"
            and hi - lo > run.params.strong_max_link_rows):
        return build("bigm"), "bigm"
    return gm, opts.variant


def _too_little_time(run: ExactRun, tick: float, what: str) -> Result:
    run.phases["build"] = time.perf_counter() - tick
    run.stats["branch_and_bound"] = f"skipped: {what}, {run.deadline.remaining():.1f} s left"
    if run.best is None:
        returned = "no solution was found before"
    elif run.lag is None:
        returned = "the best heuristic solution is returned, without a bound (the LP did not finish)"
    else:
        returned = "the best heuristic solution and the Lagrangian bound are returned"
    return run.result(timed_out=True, message=(
        f"time limit reached: too little time left for branch-and-bound on the restricted MILP "
        f"({what}); {returned}; a longer time limit lets it run"))


def _take_milp(run: ExactRun, gm: Any, milp: Any, ub_fix: float, global_bound: Any) -> Result:
    """What branch-and-bound proved: a better solution, a bound, or infeasibility."""
    run.stats.update(nodes=milp.nodes, simplex_iterations=milp.iterations, highs_status=milp.model_status,
                     highs_start_misvalued=milp.start_misvalued)
    if milp.col_value is not None:
        hof = gm.host_of(run.instance, milp.col_value)
        if Solution(hof).is_feasible(run.instance, capacity=run.capacitated):
            run.offer(hof, run.data.cost(hof), "branch-and-bound")
    if milp.infeasible:
        # no solution strictly better than the incumbent exists in the restriction
        if run.best is None:
            return run.result(infeasible=True, message="the MILP is infeasible (proven by HiGHS)")
        run.bound = max(run.bound, ub_fix)
    elif milp.optimal and run.options.gap == 0:
        run.bound = max(run.bound, global_bound(milp.bound if milp.bound is not None else milp.objective))
    else:
        run.bound = max(run.bound, global_bound(milp.bound))
    run.stats["proof"] = "branch-and-bound"
    run.report("done")
    return run.result(timed_out=milp.timed_out and not run.closed_enough(), failed=milp.failed)


def solution_links(instance: Instance, host_of: np.ndarray) -> np.ndarray:
    """Indices of the links an assignment uses."""
    idx = Solution(host_of).link_indices(instance)
    return idx[idx >= 0]
