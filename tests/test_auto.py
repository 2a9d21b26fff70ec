"""method="auto": exact on small instances, heuristic + bound on large ones, time limits kept."""

from __future__ import annotations

import time

import numpy as np
import pytest
from conftest import brute_force
from hypothesis import HealthCheck, given, settings
from test_heuristics import instances

import hflopt
from hflopt.generators import authors_runtime_capacity, random_instance
from hflopt.solution import Status
from hflopt.solvers import solve
from hflopt.solvers.params import AutoParams, LagrangianParams


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_auto_is_exact_on_small_instances(inst):
    opt = brute_force(inst)
    res = solve(inst, "auto", time_limit=30)
    if opt is None:
        assert res.status == Status.INFEASIBLE
        return
    assert res.status == Status.OPTIMAL, res.message
    assert res.solution.verify(inst) == pytest.approx(opt)


def test_auto_honours_the_time_limit():
    inst = random_instance(60, 3000, participation=0.7, rounds=4, max_workload=20,
                           max_capacity=authors_runtime_capacity(3000, 60, 20), seed=1)
    limit = 4.0
    t0 = time.perf_counter()
    res = solve(inst, "auto", time_limit=limit)
    elapsed = time.perf_counter() - t0
    assert elapsed <= limit + 8.0  # generous: the machine is shared; no performance timing
    assert res.solution is not None
    assert res.solution.verify(inst) == pytest.approx(res.objective)
    assert res.status in (Status.OPTIMAL, Status.TIME_LIMIT, Status.FEASIBLE)
    assert res.bound is not None and res.bound <= res.objective
    if res.status != Status.OPTIMAL:
        assert res.gap > 0


def test_auto_skips_exact_on_large_instances_and_says_so():
    inst = random_instance(20, 500, participation=0.7, rounds=4, max_workload=20,
                           max_capacity=authors_runtime_capacity(500, 20, 20), seed=2)
    res = solve(inst, "auto", time_limit=10, exact_max_links=1000, large_exact_max_links=1000)
    assert [p["method"] for p in res.stats["phases"]] == ["core-search"]
    assert res.solution.verify(inst) == pytest.approx(res.objective)
    if res.status != Status.OPTIMAL:
        assert "heuristic" in res.message


def _record_exact_calls(monkeypatch):
    """Wrap auto's exact phase so that the options of each call are recorded."""
    import hflopt.solvers.auto as auto

    calls = []
    real = auto.solve_exact

    def wrapped(instance, options, params):
        calls.append(dict(vars(options)))
        return real(instance, options, params)

    monkeypatch.setattr(auto, "solve_exact", wrapped)
    return calls


def _hard_for_the_heuristic():
    # authors' generator 50 x 1,000 seed 0: core-search's bound is 22, the optimum 24
    return random_instance(50, 1000, participation=0.7, rounds=4, max_workload=20, min_cost=0,
                           max_cost=10, max_capacity=authors_runtime_capacity(1000, 50, 20), seed=0)


def test_auto_gives_large_instances_an_exact_phase_with_its_own_budget(monkeypatch):
    calls = _record_exact_calls(monkeypatch)
    inst = _hard_for_the_heuristic()
    res = solve(inst, "auto", exact_max_links=1000, large_exact_max_links=10**6,
                     large_exact_seconds=0.5)
    assert len(calls) == 1 and calls[0]["time_limit"] == pytest.approx(0.5)
    assert [p["method"] for p in res.stats["phases"]] == ["core-search", "exact"]
    assert res.solution.verify(inst) == pytest.approx(res.objective)
    assert res.bound is not None and res.bound <= res.objective
    if res.status != Status.OPTIMAL:
        # the budget was auto's own, not a time limit the user gave
        assert res.status == Status.FEASIBLE
        assert "exact phase stopped after 0.5 s" in res.message


def test_auto_large_instance_follows_the_users_time_limit(monkeypatch):
    calls = _record_exact_calls(monkeypatch)
    inst = _hard_for_the_heuristic()
    t0 = time.perf_counter()
    res = solve(inst, "auto", time_limit=4, exact_max_links=1000, large_exact_max_links=10**6,
                     large_exact_seconds=0.01)
    assert time.perf_counter() - t0 < 4 + 3
    # the exact phase got the rest of the user's 4 s, not the 0.01 s of its own budget
    assert len(calls) == 1 and 1.0 < calls[0]["time_limit"] <= 4
    assert res.status in (Status.OPTIMAL, Status.TIME_LIMIT)
    assert "exact phase stopped" not in res.message
    assert res.solution.verify(inst) == pytest.approx(res.objective)


def test_auto_large_exact_seconds_zero_skips_the_exact_phase(monkeypatch):
    calls = _record_exact_calls(monkeypatch)
    inst = _hard_for_the_heuristic()
    res = solve(inst, "auto", exact_max_links=1000, large_exact_seconds=0)
    assert calls == []
    assert res.status == Status.FEASIBLE and "heuristic" in res.message
    with pytest.raises(hflopt.SolverError, match="large_exact_seconds"):
        solve(inst, "auto", large_exact_seconds=-1)


def test_auto_warm_starts_exact_and_keeps_the_best():
    inst = random_instance(8, 80, participation=0.7, rounds=4, max_workload=20,
                           max_capacity=authors_runtime_capacity(80, 8, 20), seed=4)
    res = solve(inst, "auto", time_limit=60)
    exact = solve(inst, "exact", time_limit=60)
    assert res.status == Status.OPTIMAL
    assert res.objective == pytest.approx(exact.objective)
    assert res.stats["phases"][0]["method"] == "core-search"


def test_auto_uncapacitated_matches_exact():
    inst = random_instance(5, 30, participation=0.7, rounds=2, max_workload=10, max_capacity=30,
                           seed=6)
    res = solve(inst, "auto", uncapacitated=True, time_limit=30)
    exact = solve(inst, "exact", uncapacitated=True, time_limit=30)
    assert res.solution.verify(inst, capacity=False) == pytest.approx(exact.objective)
    assert res.status == Status.OPTIMAL


def test_auto_returns_warm_start_quality_at_least():
    inst = random_instance(6, 50, participation=0.8, rounds=3, max_workload=10,
                           max_capacity=200, seed=7)
    start = solve(inst, "greedy").solution
    res = solve(inst, "auto", warm_start=start, time_limit=30)
    assert res.objective <= start.cost(inst) + 1e-9


def test_auto_is_the_default_method():
    inst = hflopt.Instance.from_dense([10, 10], [1, 2], [1, 1, 1], np.ones((3, 2)))
    assert hflopt.solve(inst).method == "auto"


def test_auto_uses_the_lagrangian_method_beyond_the_core_search_size():
    inst = random_instance(10, 200, participation=0.7, rounds=4, max_workload=20,
                           max_capacity=authors_runtime_capacity(200, 10, 20), seed=3)
    params = AutoParams(lagrangian=LagrangianParams(search_max_links=100))
    res = solve(inst, "auto", time_limit=20, exact_max_links=100, large_exact_max_links=100, params=params)
    assert [p["method"] for p in res.stats["phases"]] == ["lagrangian"]
    assert res.solution.verify(inst) == pytest.approx(res.objective)
    assert res.bound is not None and res.bound <= res.objective + 1e-9


def test_auto_progress_reports_the_whole_run():
    # the exact phase's reports continue the run's clock and never show a worse
    # incumbent or bound than the heuristic phase already had
    inst = random_instance(30, 1000, participation=0.7, rounds=4, max_workload=20,
                           max_capacity=authors_runtime_capacity(1000, 30, 20), seed=0)
    seen: list[hflopt.Progress] = []
    res = solve(inst, "auto", progress=seen.append)
    assert res.status == Status.OPTIMAL
    assert len(seen) >= 2
    elapsed = [p.elapsed for p in seen]
    assert elapsed == sorted(elapsed)
    heuristic_end = next(p for p in seen if p.phase == "done")
    later = seen[seen.index(heuristic_end) + 1:]
    assert later, "the exact phase reported nothing"
    for p in later:
        assert p.incumbent is not None and p.incumbent <= heuristic_end.incumbent
        assert p.bound is not None and p.bound >= heuristic_end.bound - 1e-9
