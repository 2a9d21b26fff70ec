"""The fast exact method and the direct highspy model builder.

Every solution goes through Solution.verify; optima are checked against
brute force (tiny instances), the Pyomo reference model and the textbook
formulation; bounds and reduced-cost fixing are checked for validity.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from conftest import brute_force
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import instances

import hflopt
from hflopt.generators import authors_runtime_capacity, random_instance
from hflopt.model import VARIANTS
from hflopt.solution import Solution, Status
from hflopt.solvers import METHODS
from hflopt.solvers._common import Deadline
from hflopt.solvers.highs_direct import (
    build_arrays,
    build_grouped,
    build_plain,
    check_highs_options,
    highs_with,
    new_highs,
    run_highs,
    solve_plain,
    start_vector,
)
from hflopt.solvers.lagrange import lagrangian_bound
from hflopt.solvers.params import ExactParams
from hflopt.solvers.pyomo_exact import solver_available

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def authors(m: int, n: int, seed: int) -> hflopt.Instance:
    return random_instance(m, n, participation=0.7, rounds=4, max_workload=20, min_cost=0,
                           max_cost=10, max_capacity=authors_runtime_capacity(n, m, 20), seed=seed)


def tight(m: int, n: int, ratio: float, seed: int) -> hflopt.Instance:
    """Small SSCFLP-style instance with total capacity = ratio x total workload (p = 1)."""
    rng = np.random.default_rng(seed)
    dem = rng.integers(5, 36, n).astype(float)
    raw = rng.uniform(10, 160, m)
    cap = np.ceil(raw * ratio * dem.sum() / raw.sum())
    fixed = np.round(rng.uniform(0, 90, m) + rng.uniform(100, 110, m) * np.sqrt(cap))
    dist = np.sqrt(((rng.random((n, 1, 2)) - rng.random((1, m, 2))) ** 2).sum(axis=2))
    return hflopt.Instance.from_dense(cap, fixed, dem, np.round(10 * dist * dem[:, None]),
                                      participation_ratio=1.0, name=f"tight-{m}x{n}-s{seed}")


def check_optimal(res: hflopt.Result, inst: hflopt.Instance, expected: float | None,
                  *, capacity: bool = True) -> None:
    if expected is None:
        assert res.status == Status.INFEASIBLE, res.summary()
        assert res.solution is None
        return
    assert res.status == Status.OPTIMAL, res.summary()
    assert res.solution.verify(inst, capacity=capacity) == pytest.approx(expected, abs=1e-6)
    assert res.objective == pytest.approx(expected, abs=1e-6)
    assert res.bound == pytest.approx(expected, abs=1e-6)
    assert res.gap == 0.0


# ----------------------------------------------------------- the direct model
MEDIUM = [
    ("authors", lambda: authors(6, 40, 3)),
    ("sparse", lambda: authors(8, 30, 5).restrict_links(np.random.default_rng(0).random(240) < 0.4)),
    ("tight", lambda: tight(6, 25, 1.3, 2)),
    ("zero-work", lambda: hflopt.Instance.from_dense(
        [10, 0, 4], [3, 0, 1], [0, 0, 5, 2], [[1, 0, 2], [3, 0, 1], [2, 1, 0], [0, 2, 2]],
        min_participants=3, rounds_ratio=2)),
]


@pytest.mark.parametrize("name,make", MEDIUM, ids=[m[0] for m in MEDIUM])
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("uncapacitated", [False, True])
def test_direct_model_is_the_pyomo_model(name, make, variant, uncapacitated):
    inst = make()
    a = solve_plain(inst, variant=variant, uncapacitated=uncapacitated)
    b = hflopt.solve(inst, "pyomo", variant=variant, uncapacitated=uncapacitated)
    assert a.status == b.status == Status.OPTIMAL
    assert a.objective == pytest.approx(b.objective, abs=1e-9)
    a.solution.verify(inst, capacity=not uncapacitated)
    # same rows and columns as the Pyomo model
    assert a.stats["rows"] == b.stats["rows"]
    assert a.stats["columns"] == b.stats["columns"]
    c = hflopt.solve(inst, "exact", variant=variant, uncapacitated=uncapacitated)
    check_optimal(c, inst, b.objective, capacity=not uncapacitated)


def test_arrays_rows_hold_for_a_feasible_solution(tiny):
    # the optimal solution (from Pyomo) satisfies every row of every variant
    sol = hflopt.solve(tiny, "pyomo").solution
    for variant in VARIANTS:
        arrays = build_arrays(tiny, variant=variant, capacity_on_y=True, total_capacity_row=True)
        vec = start_vector(tiny, sol)
        act = arrays.row_activity(vec)
        assert np.all(act >= arrays.row_lower - 1e-9) and np.all(act <= arrays.row_upper + 1e-9)
        assert float(arrays.col_cost @ vec) == pytest.approx(sol.cost(tiny))
    plain = build_plain(tiny)
    assert set(plain.blocks) == {"assign", "participate", "capacity", "link"}
    assert plain.n_cols == tiny.n_links + tiny.n_hosts


def test_passmodel_in_one_call_scales():
    # 100 x 2,000 = 200,000 links: built and passed to HiGHS without per-row Python calls
    inst = authors(100, 2000, 0)
    t0 = time.perf_counter()
    arrays = build_plain(inst)
    h = new_highs()
    arrays.pass_to(h)
    assert h.getNumRow() == arrays.n_rows and h.getNumCol() == arrays.n_cols == 200_100
    assert arrays.n_nonzeros == h.getNumNz()
    assert time.perf_counter() - t0 < 60  # generous: a sanity check, not a benchmark


@given(instances(max_hosts=3, max_devices=5), st.sampled_from(VARIANTS), st.booleans(), st.booleans())
@FAST
def test_grouped_model_matches_brute_force(inst, variant, uncapacitated, group):
    links = np.arange(inst.n_links) if uncapacitated else np.flatnonzero(inst.fits)
    gm = build_grouped(inst, links, uncapacitated=uncapacitated, variant=variant, group=group,
                       assign_equal=inst.min_participants == inst.n_devices)
    h = new_highs()
    gm.arrays.pass_to(h)
    run = run_highs(h, deadline=Deadline(None), col_cost=gm.arrays.col_cost)
    expected = brute_force(inst, capacitated=not uncapacitated)
    if expected is None:
        assert run.col_value is None
        return
    host_of = gm.host_of(inst, run.col_value)
    assert Solution(host_of).verify(inst, capacity=not uncapacitated) == pytest.approx(expected, abs=1e-6)
    assert run.objective == pytest.approx(expected, abs=1e-6)


# ------------------------------------------------------------ the exact method
@given(instances(max_hosts=3, max_devices=5, integral=True), st.sampled_from(VARIANTS))
@FAST
def test_exact_matches_brute_force(inst, variant):
    check_optimal(hflopt.solve(inst, "exact", variant=variant), inst, brute_force(inst))


@given(instances(max_hosts=3, max_devices=5, integral=False))
@FAST
def test_exact_matches_brute_force_fractional_costs(inst):
    check_optimal(hflopt.solve(inst, "exact"), inst, brute_force(inst))


@given(instances(max_hosts=3, max_devices=5, tight=True))
@FAST
def test_exact_matches_brute_force_tight(inst):
    check_optimal(hflopt.solve(inst, "exact"), inst, brute_force(inst))


@given(instances(max_hosts=3, max_devices=5))
@FAST
def test_exact_uncapacitated_matches_brute_force(inst):
    expected = brute_force(inst, capacitated=False)
    check_optimal(hflopt.solve(inst, "exact", uncapacitated=True), inst, expected, capacity=False)


@pytest.mark.parametrize("make", [
    lambda: authors(10, 300, 1),
    lambda: authors(20, 200, 2),
    lambda: tight(6, 30, 1.2, 0),
    lambda: tight(7, 35, 1.5, 1),
    lambda: authors(12, 150, 4).replace(participation_ratio=1.0),
], ids=["authors-10x300", "authors-20x200", "tight-6x30", "tight-7x35", "authors-p1"])
def test_exact_matches_plain_formulation(make):
    inst = make()
    plain = solve_plain(inst)
    assert plain.status == Status.OPTIMAL
    check_optimal(hflopt.solve(inst, "exact"), inst, plain.objective)


def test_large_instance_is_priced_not_restricted():
    # 40 x 2,000 = 80,000 links: the LP runs over a core of links and the rest is priced
    inst = authors(40, 2000, 7)
    res = hflopt.solve(inst, "exact", time_limit=300)
    assert res.status == Status.OPTIMAL
    res.solution.verify(inst)
    assert res.stats["lp_core_links"] < inst.n_links
    assert res.bound == res.objective


def test_registered_as_exact_and_pyomo_kept():
    from hflopt.solvers.exact import solve_exact
    from hflopt.solvers.pyomo_exact import solve_pyomo

    assert METHODS["exact"].run is solve_exact and METHODS["exact"].params is ExactParams
    assert METHODS["pyomo"].run is solve_pyomo
    res = hflopt.solve(authors(4, 30, 0), "exact")
    assert res.method == "exact" and res.status == Status.OPTIMAL


@pytest.mark.skipif(not solver_available("cbc"), reason="cbc not installed")
def test_other_solvers_go_through_pyomo(tiny):
    res = hflopt.solve(tiny, "exact", solver="cbc")
    assert res.stats.get("interface") == "pyomo"
    assert res.status == Status.OPTIMAL
    assert res.objective == pytest.approx(hflopt.solve(tiny, "exact").objective)


# ---------------------------------------------------------- bounds and fixing
@given(instances(max_hosts=3, max_devices=5), st.integers(0, 2**31 - 1), st.booleans())
@FAST
def test_lagrangian_bound_and_reduced_costs_are_valid(inst, seed, uncapacitated):
    rng = np.random.default_rng(seed)
    u = rng.uniform(-5, 15, inst.n_devices)
    mu = float(rng.uniform(0, 15))
    lb = lagrangian_bound(inst, u, mu, uncapacitated=uncapacitated)
    best = brute_force(inst, capacitated=not uncapacitated)
    if best is None:
        return
    assert lb.value <= best + 1e-7
    # the bound with a link forced in holds for every solution using that link:
    # check it on every feasible assignment (enumerated) that uses the link
    import itertools

    cost = inst.dense_costs()
    forced = lb.link_forced(inst.link_host[lb.links])
    forced_of = {(int(inst.link_device[k]), int(inst.link_host[k])): f for k, f in zip(lb.links, forced, strict=True)}
    host_forced = lb.host_forced()
    for combo in itertools.product(range(-1, inst.n_hosts), repeat=inst.n_devices):
        h = np.array(combo)
        sol = Solution(h)
        if not sol.is_feasible(inst, capacity=not uncapacitated):
            continue
        value = sol.cost(inst)
        for i in np.flatnonzero(h >= 0):
            key = (int(i), int(h[i]))
            if key in forced_of:
                assert forced_of[key] <= value + 1e-7
            assert math.isfinite(cost[i, h[i]])
        for j in sol.open_hosts():
            assert host_forced[j] <= value + 1e-7


# ------------------------------------------------------- options and honesty
def test_time_limit_is_honoured():
    inst = tight(40, 240, 1.2, 3)
    t0 = time.perf_counter()
    res = hflopt.solve(inst, "exact", time_limit=3.0)
    elapsed = time.perf_counter() - t0
    assert elapsed < 3.0 + 10.0
    assert res.status in (Status.TIME_LIMIT, Status.NO_SOLUTION, Status.OPTIMAL)
    if res.status == Status.OPTIMAL:  # a fast machine may prove it: then it must be right
        assert res.gap == 0.0
    if res.solution is not None:
        assert res.solution.verify(inst) == pytest.approx(res.objective)
        assert res.bound is None or res.bound <= res.objective + 1e-9


def test_time_limit_before_any_solution():
    inst = tight(40, 240, 1.2, 4)
    res = hflopt.solve(inst, "exact", time_limit=0.05)
    assert res.status in (Status.TIME_LIMIT, Status.NO_SOLUTION)
    if res.solution is not None:
        res.solution.verify(inst)


def test_warm_start_and_progress():
    inst = authors(10, 200, 3)
    first = hflopt.solve(inst, "exact")
    seen = []
    res = hflopt.solve(inst, "exact", warm_start=first.solution, progress=seen.append)
    check_optimal(res, inst, first.objective)
    assert seen and all(p.incumbent is None or p.incumbent >= first.objective - 1e-9 for p in seen)
    assert all(p.bound is None or p.bound <= first.objective + 1e-9 for p in seen)


def test_gap_tolerance_gives_feasible_or_optimal():
    inst = tight(7, 35, 1.3, 5)
    opt = hflopt.solve(inst, "exact").objective
    res = hflopt.solve(inst, "exact", gap=0.05)
    assert res.status in (Status.OPTIMAL, Status.FEASIBLE)
    value = res.solution.verify(inst)
    assert value <= opt * 1.05 + 1e-6
    assert res.bound <= opt + 1e-6


def test_infeasible_and_trivial_instances():
    inst = hflopt.Instance.from_dense([5, 5], [1, 1], [4, 4, 4], [[0, 0], [0, 0], [0, 0]],
                                      participation_ratio=1.0)
    res = hflopt.solve(inst, "exact")
    assert res.status == Status.INFEASIBLE and "capacity" in res.message
    zero = inst.replace(participation_ratio=0.0)
    res = hflopt.solve(zero, "exact")
    check_optimal(res, zero, 0.0)


def test_bad_options_are_rejected(tiny):
    with pytest.raises(hflopt.SolverError):
        hflopt.solve(tiny, "exact", variant="weak")
    with pytest.raises(hflopt.SolverError):
        hflopt.solve(tiny, "exact", gap=-1)


def _solve_in_child(conn) -> None:  # pragma: no cover - runs in a forked child
    inst = random_instance(50, 1000, participation=0.7, rounds=4, max_workload=20,
                           max_capacity=authors_runtime_capacity(1000, 50, 20), seed=3)
    res = hflopt.solve(inst, "exact", time_limit=60)
    conn.send((res.status.value, res.solution.verify(inst) if res.solution else None))
    conn.close()


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_a_forked_child_can_solve_after_the_parent_used_highs():
    """HiGHS's thread pool does not survive fork; hflopt resets it in the child.

    Without the reset the child's first branch-and-bound spins forever (found
    in benchmarks/heuristics.py, which solves in forked children).
    """
    import multiprocessing as mp

    parent_inst = random_instance(50, 1000, participation=0.7, rounds=4, max_workload=20,
                                  max_capacity=authors_runtime_capacity(1000, 50, 20), seed=1)
    assert hflopt.solve(parent_inst, "exact", time_limit=60).solution is not None
    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_solve_in_child, args=(send,))
    proc.start()
    send.close()
    got = recv.recv() if recv.poll(90) else None
    proc.join(5)
    if proc.is_alive():
        proc.kill()
        proc.join()
    assert got is not None, "the forked child hung in HiGHS"
    assert got[0] == "optimal" and got[1] == 20.0


def test_big_models_get_interruptible_settings_under_a_time_limit():
    # HiGHS can be interrupted neither in its MIP presolve nor inside a root
    # separation round: with a time limit, big restricted models skip presolve
    # and use the aggregated linking (thresholds lowered here to reach them)
    inst = tight(8, 30, 1.2, 0)
    reference = solve_plain(inst)
    assert reference.status == Status.OPTIMAL
    low = {"strong_max_link_rows": 10, "presolve_max_nonzeros": 10}
    timed = hflopt.solve(inst, "exact", time_limit=300, **low)
    assert timed.stats["proof"] == "branch-and-bound"
    assert timed.stats["mip_variant"] == "bigm" and timed.stats["mip_presolve"] == "off"
    check_optimal(timed, inst, reference.objective)
    untimed = hflopt.solve(inst, "exact", **low)  # no limit: the model asked for
    assert untimed.stats["mip_variant"] == "strong" and untimed.stats["mip_presolve"] == "on"
    check_optimal(untimed, inst, reference.objective)


def test_an_infeasible_lp_core_is_priced_out_of_infeasibility():
    # one link per device with tight capacities and every device served: the
    # core LP alone is infeasible; artificial columns keep it solvable and the
    # Lagrangian pricing brings in the links it needs
    inst = tight(8, 30, 1.1, 0)
    reference = solve_plain(inst)
    res = hflopt.solve(inst, "exact", full_core_links=0, core_per_device=1, dual_first=False)
    assert res.stats["lp_rounds"] > 1 and res.stats["lagrangian_bound"] is not None
    assert res.stats["lp_core_links"] > inst.n_devices
    check_optimal(res, inst, reference.objective)


@pytest.mark.parametrize("seed", range(3))
def test_every_device_served_starts_from_the_subgradient_and_still_proves_the_optimum(seed):
    # T = N above the full-core size, and a one-link-per-device core whose LP leans on its
    # "served by nobody" columns: its duals price far below it, so the subgradient takes
    # over; the proof must stand, and its bound must be a valid one
    inst = tight(8, 30, 1.1, seed)
    reference = solve_plain(inst)
    res = hflopt.solve(inst, "exact", full_core_links=0, core_per_device=1)
    first = res.stats["dual_first"]["bound"]
    assert first <= reference.objective + 1e-6 and first > 0
    check_optimal(res, inst, reference.objective)


def test_lp_rounds_are_warm_started_from_the_previous_basis():
    # column generation re-solves the LP with more links each round: the basis
    # of the previous round, mapped by column and row keys, must give the same
    # optimum as a cold solve in fewer simplex iterations, also when hosts turn
    # binding between rounds (their grouped columns give way to link columns)
    from hflopt.solvers.exact_lp import CoreLPSettings, initial_core, solve_core_lp
    from hflopt.solvers.lagrange import evaluate
    from hflopt.solvers.links import link_data

    inst = authors(30, 600, 3)
    data = link_data(inst)
    links = np.flatnonzero(inst.fits)
    closed = np.zeros(inst.n_hosts, dtype=bool)
    core = initial_core(data, links, 1)
    settings = CoreLPSettings(capacitated=True, ipm_columns=ExactParams().ipm_columns)
    prev = solve_core_lp(data, core, closed, Deadline(None), settings)
    assert prev.ok and prev.basis is not None and not prev.warm
    binding_before = build_grouped(inst, core, skip_singletons=False).binding
    compared = 0
    for _ in range(4):
        lag = evaluate(data, prev.u, prev.mu, data.usable_set, cover=True, reduced_costs=True)
        neg = links[lag.link_rc < -1e-9]
        if neg.size == 0:
            break
        core = np.union1d(core, neg)
        cold = solve_core_lp(data, core, closed, Deadline(None), settings)
        warm = solve_core_lp(data, core, closed, Deadline(None), settings, prev.basis)
        assert warm.warm and not cold.warm
        assert warm.objective == pytest.approx(cold.objective, rel=1e-9, abs=1e-9)
        assert warm.iterations < cold.iterations
        compared += 1
        prev = warm
    assert compared >= 2
    assert (build_grouped(inst, core, skip_singletons=False).binding & ~binding_before).any()
    # the whole method: warm rounds, same optimum as the textbook model
    small_core = ExactParams(full_core_links=0, core_per_device=1)
    res = hflopt.solve(inst, "exact", params=small_core)
    assert res.stats["lp_warm_rounds"] >= 1
    optimum = solve_plain(inst).objective
    check_optimal(res, inst, optimum)
    # the ablation switch (benchmarks/exact.py --baseline exact-cold-lp): same optimum, no warm round
    cold_res = hflopt.solve(inst, "exact", params=small_core, warm_lp=False)
    assert cold_res.stats["lp_warm_rounds"] == 0
    check_optimal(cold_res, inst, optimum)


def test_core_search_step_can_supply_the_incumbent(monkeypatch):
    # the core-search step after the local search: what it returns is offered as the
    # incumbent when feasible and better; an infeasible answer is ignored; either way
    # the result is the proven optimum
    import hflopt.solvers.core_search as cs
    import hflopt.solvers.exact as ex
    import hflopt.solvers.exact_heuristics as eh

    defaults = ExactParams()
    inst = tight(8, 40, 1.2, 3)
    opt = solve_plain(inst)
    best = np.asarray(opt.solution.host_of, dtype=np.int64)
    monkeypatch.setattr(eh, "_local_search", lambda *a, **k: None)
    monkeypatch.setattr(ex, "round_lp", lambda *a, **k: (None, math.inf))
    calls = []

    def optimal(data, host_of, **kw):
        calls.append(kw["deadline"].seconds)
        return best.copy(), cs.SearchStats()

    monkeypatch.setattr(cs, "core_improve", optimal)
    # capacity 1.2x the demand: the full core search runs, with up to tight_max s
    res = hflopt.solve(inst, "exact")
    check_optimal(res, inst, opt.objective)
    assert len(calls) == 1 and 0 < calls[0] <= defaults.tight_max  # the greedy start is not optimal
    assert res.stats["incumbent_from"] == "core search" and res.stats["core_search_tight"]
    # under a time limit, at most tight_share of what is left
    calls.clear()
    res = hflopt.solve(inst, "exact", time_limit=20)
    check_optimal(res, inst, opt.objective)
    assert len(calls) == 1 and 0 < calls[0] <= defaults.tight_share * 20
    # where capacity is not tight, the short search from the LP's multipliers
    calls.clear()
    res = hflopt.solve(inst, "exact", tight_ratio=1.0)
    check_optimal(res, inst, opt.objective)
    assert len(calls) == 1 and 0 < calls[0] <= defaults.ls_max
    assert res.stats["incumbent_from"] == "core search" and "core_search_tight" not in res.stats

    def broken(data, host_of, **kw):
        h = np.asarray(host_of).copy()
        h[:] = int(np.argmin(inst.capacity))  # everyone on the smallest host: over capacity
        return h, cs.SearchStats()

    monkeypatch.setattr(cs, "core_improve", broken)
    res = hflopt.solve(inst, "exact")
    check_optimal(res, inst, opt.objective)
    assert res.stats.get("incumbent_from") != "core search"


def test_lp_rounds_leave_time_for_a_solution_under_a_limit():
    # under a time limit no new LP round starts after a share of it (here: at
    # once), so heuristics and branch-and-bound still get time for a solution
    inst = tight(8, 30, 1.1, 0)
    small_core = ExactParams(full_core_links=0, core_per_device=1, dual_first=False)
    unlimited = hflopt.solve(inst, "exact", params=small_core)
    assert unlimited.stats["lp_rounds"] > 1
    res = hflopt.solve(inst, "exact", time_limit=300, params=small_core, bound_share=0.0)
    assert res.stats["lp_rounds"] == 1
    check_optimal(res, inst, unlimited.objective)


# ------------------------------------------- HiGHS misvaluing a MIP start (1.16)
def test_run_highs_repeats_without_a_misvalued_start():
    # HiGHS 1.16 can report a MIP start with a value below its true cost and call it
    # optimal. Simulated here: the cost used to recompute the objective differs from
    # the model's on a column the start uses, so the returned start looks misvalued.
    inst = authors(5, 40, 3)
    arrays = build_plain(inst)
    sol = solve_plain(inst).solution
    start = start_vector(inst, sol)
    used = int(np.flatnonzero(start[: inst.n_links] > 0.5)[0])
    skewed = arrays.col_cost.copy()
    skewed[used] += 5.0
    calls = []

    def fresh():
        calls.append(1)
        return highs_with(arrays)

    run = run_highs(highs_with(arrays), deadline=Deadline(None), abs_gap=1 - 1e-6, start=start,
                    col_cost=skewed, fresh=fresh)
    assert calls == [1]
    assert run.start_misvalued
    # the repeated run had no start: its values are its own (recomputed with the same costs)
    assert run.objective == pytest.approx(float(skewed @ run.col_value))
    # without ``fresh`` nothing is claimed
    run = run_highs(highs_with(arrays), deadline=Deadline(None), abs_gap=1 - 1e-6, start=start,
                    col_cost=skewed)
    assert run.start_misvalued and run.bound is None and not run.optimal


def test_exact_on_an_instance_where_highs_misvalued_the_start():
    # authors' 50x1,000 seed 17: with binary group columns HiGHS returned the MIP start
    # (cost 17) as optimal; the optimum is 15 (the plain model and the core search agree)
    inst = authors(50, 1000, 17)
    res = hflopt.solve(inst, "exact")
    assert res.status == Status.OPTIMAL
    assert res.objective == 15.0
    assert res.solution.verify(inst) == 15.0


def test_branch_and_bound_is_skipped_when_its_setup_cannot_fit_the_time_limit():
    # authors' generator 50 x 1,000 seed 0 needs branch-and-bound (bound 22, optimum 24)
    inst = random_instance(50, 1000, participation=0.7, rounds=4, max_workload=20, min_cost=0,
                           max_cost=10, max_capacity=authors_runtime_capacity(1000, 50, 20), seed=0)
    # pretend HiGHS needs 1 s per nonzero to set the MIP up: it cannot start within 30 s
    res = hflopt.solve(inst, "exact", time_limit=30, mip_setup_seconds_per_nonzero=1.0)
    assert res.status == Status.TIME_LIMIT
    assert res.stats["branch_and_bound"].startswith("skipped")
    assert "branch-and-bound" in res.message
    assert res.solve_seconds < 25  # returned without waiting for the limit
    assert res.solution.verify(inst) == pytest.approx(res.objective)
    assert res.bound is not None and res.bound <= 24 <= res.objective
    # without a time limit nothing is skipped
    full = hflopt.solve(inst, "exact")
    assert full.status == Status.OPTIMAL and full.objective == pytest.approx(24)
    assert "branch_and_bound" not in full.stats


def test_an_lp_round_leaves_time_for_a_start():
    # with the LP rounds cut to ~0, the heuristics still give a verified solution
    inst = random_instance(50, 1000, participation=0.7, rounds=4, max_workload=20, min_cost=0,
                           max_cost=10, max_capacity=authors_runtime_capacity(1000, 50, 20), seed=3)
    res = hflopt.solve(inst, "exact", time_limit=10, lp_max_share=1e-9)
    assert res.stats["lagrangian_bound"] is None  # the LP did not finish
    assert res.stats["lp_time_share"] == 1e-9
    assert res.solution is not None
    assert res.solution.verify(inst) == pytest.approx(res.objective)
    assert res.objective >= 20  # the optimum


def test_with_a_solution_at_hand_the_lp_may_use_more_of_the_limit(monkeypatch):
    # no LP round runs past 75% of a time limit while there is no solution, past 90% once
    # there is one (a warm start, e.g. from method="auto")
    import hflopt.solvers.exact as ex

    inst = random_instance(20, 300, participation=0.7, rounds=4, max_workload=20, min_cost=0,
                           max_cost=10, max_capacity=authors_runtime_capacity(300, 20, 20), seed=1)
    optimum = hflopt.solve(inst, "exact").objective
    seen: list[float] = []
    real = ex.solve_core_lp

    def recording(data, core, closed, deadline, *args):
        seen.append(deadline.seconds)
        return real(data, core, closed, deadline, *args)

    monkeypatch.setattr(ex, "solve_core_lp", recording)
    res = hflopt.solve(inst, "exact", time_limit=40)
    assert res.stats["lp_time_share"] == ExactParams().lp_max_share == 0.75
    assert seen[0] <= 0.75 * 40
    check_optimal(res, inst, optimum)
    seen.clear()
    res = hflopt.solve(inst, "exact", time_limit=40, warm_start=Solution(res.solution.host_of))
    assert res.stats["lp_time_share"] == ExactParams().lp_max_share_with_start == 0.9
    assert 0.75 * 40 < seen[0] <= 0.9 * 40
    check_optimal(res, inst, optimum)
    # without a time limit: no share
    res = hflopt.solve(inst, "exact")
    assert "lp_time_share" not in res.stats
    check_optimal(res, inst, optimum)


def test_the_restricted_milp_is_not_built_without_time_to_build_it():
    # authors' generator 50 x 1,000 seed 0 needs branch-and-bound (bound 22, optimum 24)
    inst = random_instance(50, 1000, participation=0.7, rounds=4, max_workload=20, min_cost=0,
                           max_cost=10, max_capacity=authors_runtime_capacity(1000, 50, 20), seed=0)
    # pretend: 1 s per link to build
    res = hflopt.solve(inst, "exact", time_limit=30, build_seconds_per_link=1.0)
    assert res.status == Status.TIME_LIMIT
    assert res.stats["branch_and_bound"].startswith("skipped")
    assert "mip_columns" not in res.stats  # not built
    assert "to build it" in res.message and "Lagrangian bound are returned" in res.message
    assert res.solve_seconds < 25  # returned without waiting for the limit
    assert res.solution.verify(inst) == pytest.approx(res.objective)
    assert res.bound is not None and res.bound <= 24 <= res.objective


def test_strengthened_plain_model_keeps_the_optimum_and_tightens_the_lp():
    inst = tight(6, 30, 1.2, 0)
    plain = solve_plain(inst)
    strong = solve_plain(inst, strengthened=True)
    assert plain.status == strong.status == Status.OPTIMAL
    assert strong.objective == pytest.approx(plain.objective)
    strong.solution.verify(inst)
    assert strong.stats["strengthened"] and strong.stats["rows"] > plain.stats["rows"]

    def lp_value(**options: bool) -> float:
        h = new_highs()
        build_arrays(inst, **options).pass_to(h, relax=True)
        h.run()
        return h.getInfo().objective_function_value

    weak = lp_value()
    tight_lp = lp_value(capacity_on_y=True, total_capacity_row=True, assign_equal=True)
    assert weak < tight_lp <= plain.objective + 1e-6




def test_a_bad_highs_option_fails_before_any_work(monkeypatch):
    import hflopt.solvers.exact as ex

    def no_lp(*args, **kwargs):
        raise AssertionError("the LP ran before the options were checked")

    monkeypatch.setattr(ex, "solve_core_lp", no_lp)
    inst = authors(10, 60, 1)
    with pytest.raises(hflopt.SolverError, match="no option 'mip_bogus'"):
        hflopt.solve(inst, "exact", solver_options={"mip_bogus": 1})
    with pytest.raises(hflopt.SolverError, match="mip_rel_gap takes a number, got 'abc'"):
        hflopt.solve(inst, "auto", solver_options={"mip_rel_gap": "abc"})
    # values are taken as the option's type: 1/"on" for a bool, 3.0 for an int
    check_highs_options({"mip_heuristic_run_rins": 1, "presolve": "off", "random_seed": 3.0,
                         "mip_heuristic_run_rens": "on", "time_limit": 60})


def test_solver_options_reach_branch_and_bound(monkeypatch):
    import hflopt.solvers.exact as ex

    seen: list[dict] = []
    real = ex.highs_with

    def recording(arrays, **kw):
        seen.append(dict(kw.get("options") or {}))
        return real(arrays, **kw)

    monkeypatch.setattr(ex, "highs_with", recording)
    inst = authors(12, 150, 0).replace(participation_ratio=1.0)  # needs branch-and-bound
    res = hflopt.solve(inst, "auto", solver_options={"mip_heuristic_run_rins": True})
    assert res.status == Status.OPTIMAL and seen
    # the user's option overrides hflopt's warm-start default for the same key
    assert seen[-1]["mip_heuristic_run_rins"] is True
    assert seen[-1]["mip_heuristic_run_rens"] is False
