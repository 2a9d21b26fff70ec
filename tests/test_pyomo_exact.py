"""The Pyomo reference model: brute-force optima, variants, statuses, other solvers."""

from __future__ import annotations

import time

import numpy as np
import pytest
from conftest import brute_force
from hypothesis import given, settings
from strategies import instances

import hflopt
from hflopt import Status
from hflopt.solvers import infeasibility_reason
from hflopt.solvers.pyomo_exact import solver_available


def check(inst, result, *, capacitated=True):
    """Independent verification of a result against brute force."""
    best = brute_force(inst, capacitated=capacitated)
    if best is None:
        assert result.status == Status.INFEASIBLE
        assert result.solution is None
        return
    assert result.status == Status.OPTIMAL, result.message
    assert result.solution.verify(inst, capacity=capacitated) == pytest.approx(result.objective)
    assert result.objective == pytest.approx(best, abs=1e-6)
    assert result.bound == pytest.approx(best, abs=1e-6)
    assert result.gap == 0.0


@pytest.mark.parametrize("variant", ["strong", "bigm", "both"])
@settings(max_examples=25, deadline=None)
@given(inst=instances(max_hosts=3, max_devices=5))
def test_matches_brute_force(variant, inst):
    check(inst, hflopt.solve(inst, "pyomo", variant=variant))


@settings(max_examples=20, deadline=None)
@given(inst=instances(max_hosts=3, max_devices=5, integral=False))
def test_matches_brute_force_fractional_costs(inst):
    check(inst, hflopt.solve(inst, "pyomo"))


@settings(max_examples=20, deadline=None)
@given(inst=instances(max_hosts=3, max_devices=5, tight=True))
def test_uncapacitated_is_a_relaxation(inst):
    free = hflopt.solve(inst, "pyomo", uncapacitated=True)
    check(inst, free, capacitated=False)
    capped = hflopt.solve(inst, "pyomo")
    if capped.status == Status.OPTIMAL:
        assert free.objective <= capped.objective + 1e-9


def test_uncapacitated_result_shows_overload():
    inst = hflopt.Instance.from_dense([2, 100], [0, 50], [2, 2], [[0, 9], [0, 9]])
    free = hflopt.solve(inst, "pyomo", uncapacitated=True)
    assert free.objective == 0 and free.solution.host_of.tolist() == [0, 0]
    assert free.solution.loads(inst)[0] == 4 > inst.capacity[0]
    assert free.stats["uncapacitated"] is True
    capped = hflopt.solve(inst, "pyomo")
    assert capped.objective == 50 + 9  # one device must move to the expensive host


def test_variants_agree_on_a_mid_size_instance():
    inst = hflopt.random_instance(6, 40, participation=0.7, rounds=4, max_capacity=60, seed=3)
    values = {v: hflopt.solve(inst, "pyomo", variant=v).objective for v in ("strong", "bigm", "both")}
    assert len(set(values.values())) == 1


def test_zero_workload_devices_cannot_use_closed_hosts():
    # a zero-workload device must still pay for the host it reports to (SOLVER-NOTES)
    inst = hflopt.Instance.from_dense([1, 1], [100, 1], [0, 1], [[0, 50], [50, 0]])
    for variant in ("strong", "bigm", "both"):
        res = hflopt.solve(inst, "pyomo", variant=variant)
        assert res.objective == pytest.approx(brute_force(inst))
        res.solution.verify(inst)


def test_cheap_infeasibility_reasons():
    no_fit = hflopt.Instance.from_dense([3, 3], [1, 1], [5, 5, 1], np.zeros((3, 2)))
    reason = infeasibility_reason(no_fit)
    assert "only 1 of 3 devices can be served" in reason
    assert "2 have a workload larger than every host they link to" in reason
    res = hflopt.solve(no_fit, "pyomo")
    assert res.status == Status.INFEASIBLE and res.message == reason
    short = hflopt.Instance.from_dense([5, 5], [1, 1], [4, 4, 4], np.zeros((3, 2)))
    assert "total capacity 10 is less than the 3 smallest servable workloads (12)" in infeasibility_reason(short)
    isolated = hflopt.Instance([5], [1], [1, 1], [0], [0], [0])
    assert "1 have no link to any host" in infeasibility_reason(isolated)
    assert infeasibility_reason(isolated.replace(min_participants=1)) is None


def test_solver_proves_packing_infeasibility():
    inst = hflopt.Instance.from_dense([6, 6], [1, 1], [4, 4, 4], np.zeros((3, 2)))
    assert infeasibility_reason(inst) is None  # capacity suffices in total...
    res = hflopt.solve(inst, "pyomo")
    assert res.status == Status.INFEASIBLE  # ...but three 4s do not pack into two 6s
    assert res.solution is None and res.objective is None


def test_no_participation_needed():
    inst = hflopt.random_instance(3, 5, participation=0.0, seed=1)
    res = hflopt.solve(inst, "pyomo")
    assert res.status == Status.OPTIMAL and res.objective == 0
    assert res.solution.n_participants == 0


def test_warm_start_and_gap_tolerance():
    inst = hflopt.random_instance(8, 60, participation=0.8, rounds=2, max_capacity=80, seed=4)
    exact = hflopt.solve(inst, "pyomo")
    assert exact.status == Status.OPTIMAL
    warm = hflopt.solve(inst, "pyomo", warm_start=exact.solution)
    assert warm.objective == exact.objective
    loose = hflopt.solve(inst, "pyomo", gap=0.5)
    assert loose.status in (Status.OPTIMAL, Status.FEASIBLE)
    loose.solution.verify(inst)
    assert loose.objective - loose.bound <= 0.5 * loose.objective + 1e-9
    assert loose.objective >= exact.objective


@pytest.mark.parametrize("name", ["p1", "p2", "p13"])
def test_small_holmberg_files(name):
    from conftest import HOLMBERG, holmberg_optima, need

    res = hflopt.solve(hflopt.load(need(HOLMBERG) / name), "pyomo")
    assert res.status == Status.OPTIMAL
    assert res.objective == holmberg_optima()[name]


@pytest.mark.slow
def test_holmberg_p30_is_not_stopped_at_the_default_gap():
    """About a minute with the plain Pyomo model (run with -m slow)."""
    from conftest import HOLMBERG, holmberg_optima, need

    res = hflopt.solve(hflopt.load(need(HOLMBERG) / "p30"), "pyomo")
    assert res.status == Status.OPTIMAL
    assert res.objective == holmberg_optima()["p30"] == 11331  # HiGHS' default 1e-4 gap gives 11332


def tight_instance(hosts, devices, ratio, seed):
    """SSCFLP-like: p = 1, l = 1, total capacity = ratio * total workload (hard for HiGHS)."""
    rng = np.random.default_rng(seed)
    base = hflopt.random_instance(hosts, devices, max_workload=30, min_cost=1, max_cost=100, seed=seed)
    work = base.workload + 5
    cap = rng.uniform(0.5, 1.5, hosts)
    cap = np.round(cap / cap.sum() * ratio * work.sum())
    edge = rng.integers(300, 700, hosts)
    return base.replace(workload=work, capacity=cap, edge_cost=edge)


def test_time_limit_is_honoured():
    inst = tight_instance(30, 200, 1.15, seed=7)
    start = time.perf_counter()
    res = hflopt.solve(inst, "pyomo", time_limit=3)
    elapsed = time.perf_counter() - start
    assert elapsed < 3 + 6  # the watchdog stops HiGHS 2 s after the limit at worst
    assert res.status in (Status.TIME_LIMIT, Status.NO_SOLUTION, Status.OPTIMAL)
    if res.status == Status.TIME_LIMIT:
        assert res.solution.verify(inst) == pytest.approx(res.objective)
        assert res.bound is None or res.bound <= res.objective
        assert "time limit" in res.message


def test_unknown_or_missing_solver():
    inst = hflopt.random_instance(2, 3, seed=1)
    with pytest.raises(hflopt.SolverNotAvailableError, match="not installed"):
        hflopt.solve(inst, "pyomo", solver="no_such_solver")
    with pytest.raises(hflopt.SolverError, match="variant"):
        hflopt.solve(inst, "pyomo", variant="weak")
    with pytest.raises(hflopt.SolverError, match="does not take option"):
        hflopt.solve(inst, "pyomo", colour="red")
    with pytest.raises(hflopt.SolverError, match="unknown method"):
        hflopt.solve(inst, "magic")


@pytest.mark.parametrize("solver", ["cbc", "glpk"])
def test_other_pyomo_solvers(solver):
    if not solver_available(solver):
        pytest.skip(f"{solver} is not installed")
    for seed in range(3):
        inst = hflopt.random_instance(3, 6, participation=0.7, rounds=2, max_capacity=20, seed=seed)
        res = hflopt.solve(inst, "pyomo", solver=solver, time_limit=60)
        check(inst, res)
        assert res.solver == solver
