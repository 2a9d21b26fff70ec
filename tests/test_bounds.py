"""Lower bounds: LP relaxation and Lagrangian bound never exceed the optimum."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import brute_force
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_heuristics import instances

import hflopt
from hflopt.generators import authors_runtime_capacity, random_instance
from hflopt.solvers import solve
from hflopt.solvers._common import Deadline
from hflopt.solvers.bounds import lp_bound
from hflopt.solvers.links import link_data
from hflopt.solvers.sparse import restriction_check
from hflopt.solvers.subgradient import evaluate_multipliers, subgradient


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_bounds_below_optimum(inst):
    opt = brute_force(inst)
    lp = lp_bound(inst)
    if opt is None:
        return
    assert lp.bound is not None
    assert lp.bound <= opt + 1e-6
    lag = subgradient(link_data(inst), deadline=Deadline(5.0), iterations=200)
    assert lag.bound <= opt + 1e-6
    # the LP relaxation is the best the Lagrangian dual can reach
    assert lag.bound <= lp.bound + 1e-6 * max(1.0, abs(lp.bound))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.floats(0, 30), st.integers(0, 2**31 - 1))
def test_any_multipliers_give_a_valid_bound(inst, v, seed):
    opt = brute_force(inst)
    if opt is None:
        return
    rng = np.random.default_rng(seed)
    u = rng.random(inst.n_devices) * 30 * rng.integers(0, 2, inst.n_devices)
    bound, _, _ = evaluate_multipliers(link_data(inst), u, v)
    assert bound <= opt + 1e-9


def test_lp_bound_infeasible_instance():
    inst = hflopt.Instance.from_dense([3, 3], [1, 1], [4, 4, 1], [[1, 1], [1, 1], [1, 1]],
                                      min_participants=2)
    assert lp_bound(inst).infeasible


def test_lp_bound_matches_exact_lp_of_pyomo_model_on_tiny(tiny):
    # with T = N and capacities loose, the LP of the strong model is integral here
    lp = lp_bound(tiny)
    assert lp.bound <= brute_force(tiny) + 1e-9
    assert lp.x is not None and lp.x.shape == (tiny.n_links,)
    assert np.all(lp.x >= -1e-9) and np.all(lp.x <= 1 + 1e-9)


def test_lagrangian_reaches_close_to_lp_on_generator_instance():
    inst = random_instance(10, 150, participation=0.7, rounds=4, max_workload=20,
                           max_capacity=authors_runtime_capacity(150, 10, 20), seed=3)
    lp = lp_bound(inst).bound
    lag = subgradient(link_data(inst), deadline=Deadline(10.0), iterations=1500).bound
    assert lag <= lp + 1e-6
    assert lag >= lp - 0.1 * max(1.0, abs(lp))


def test_heuristic_gap_is_certified_on_geometric_costs():
    rng = np.random.default_rng(5)
    hosts, devs = rng.random((8, 2)), rng.random((200, 2))
    cost = np.round(100 * np.linalg.norm(devs[:, None] - hosts[None], axis=2))
    inst = hflopt.Instance.from_dense(np.full(8, 400), rng.integers(20, 60, 8),
                                      rng.integers(1, 10, 200), cost, participation_ratio=0.8,
                                      rounds_ratio=2)
    res = solve(inst, "lagrangian", time_limit=20)
    assert res.solution.verify(inst) == pytest.approx(res.objective)
    assert res.bound is not None and res.gap is not None
    assert res.gap <= 0.05
    lp = lp_bound(inst).bound
    assert res.bound <= lp + 1e-6 * abs(lp) + (1 if inst.is_integral else 0)


def test_restriction_check_and_sparse_bound_valid_for_full_instance():
    inst = random_instance(12, 200, participation=0.7, rounds=4, max_workload=20,
                           max_capacity=authors_runtime_capacity(200, 12, 20), seed=8)
    lp = lp_bound(inst).bound
    res = solve(inst, "sparse", k=2, time_limit=30)
    assert res.solution.verify(inst) == pytest.approx(res.objective)
    # a bound for the full instance: never above its LP relaxation (rounded up if integral)
    assert res.bound <= math.ceil(lp - 1e-6) + 1e-9
    keep = np.zeros(inst.n_links, dtype=bool)
    u = np.zeros(inst.n_devices)
    bound, devices = restriction_check(inst, keep, u, 100.0)
    # with every link left out and a high participation price every device needs widening
    assert devices.size == inst.n_devices
    assert bound <= lp + 1e-6


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_lp_bound_at_least_the_pyomo_relaxation(inst):
    """The numpy-built LP is the Pyomo strong model's relaxation, tightened (R_j y_j, fits)."""
    import pyomo.environ as pyo

    from hflopt.model import build_model

    opt = brute_force(inst)
    if opt is None:
        return
    model = build_model(inst, variant="strong")
    pyo.TransformationFactory("core.relax_integer_vars").apply_to(model)
    res = pyo.SolverFactory("appsi_highs").solve(model)
    assert str(res.solver.termination_condition) == "optimal"
    relaxed = pyo.value(model.objective)
    ours = lp_bound(inst, valid_inequality=False).bound
    assert relaxed - 1e-6 <= ours <= opt + 1e-6


# ----------------------------------------------------- core search move bounds
@pytest.mark.parametrize("seed,tight,p", [(0, 0, 0.7), (1, 12, 0.7), (2, 30, 1.0), (3, 0, 0.4)])
def test_move_bounds_never_exceed_the_neighbours_lp_value(seed, tight, p):
    """Every drop/add/swap/2-for-1 bound is <= f(S') + LP(S') of the neighbour it bounds."""
    from hflopt.solvers.core_lp import CoreLP, open_set
    from hflopt.solvers.core_moves import move_bounds

    m, n = 7, 60
    cap = tight * n // m if tight else authors_runtime_capacity(n, m, 20)
    inst = random_instance(m, n, participation=p, rounds=3, max_workload=20, max_capacity=cap,
                           seed=seed)
    data = link_data(inst)
    start = solve(inst, "greedy").solution
    links = np.flatnonzero(data.usable)
    lp = CoreLP(data, links)
    deadline = Deadline(None)
    if start is not None:
        S = open_set(m, np.asarray(start.host_of))
    else:  # all hosts but two, whichever keeps the LP feasible
        rng = np.random.default_rng(seed)
        S = np.ones(m, dtype=bool)
        for _ in range(20):
            S = np.ones(m, dtype=bool)
            S[rng.choice(m, 2, replace=False)] = False
            if math.isfinite(lp.solve(S, deadline)):
                break
    base = lp.solve(S, deadline)
    assert math.isfinite(base)
    _u, pi, theta = lp.duals()
    # strong duality: the Lagrangian function at the LP's own duals is the LP value
    mb = move_bounds(data, lp, S, np.ones(m, dtype=bool), pi, theta)
    checked = 0

    def check(S2: np.ndarray, bound: float) -> None:
        nonlocal checked
        value = CoreLP(data, links).solve(S2, deadline)  # inf when infeasible: any bound holds
        assert bound <= float(data.f[S2].sum()) + value + 1e-6
        checked += 1

    s_hosts, o_hosts = mb.s_hosts, mb.o_hosts
    for a, j in enumerate(s_hosts):
        S2 = S.copy()
        S2[j] = False
        check(S2, mb.drop[a])
        for b, k in enumerate(o_hosts):
            S3 = S2.copy()
            S3[k] = True
            check(S3, mb.swap[a, b])
            if mb.two_one is not None:
                for a2 in range(a + 1, s_hosts.size):
                    S4 = S3.copy()
                    S4[s_hosts[a2]] = False
                    check(S4, mb.two_one[a, a2, b])
    for b, k in enumerate(o_hosts):
        S2 = S.copy()
        S2[k] = True
        check(S2, mb.add[b])
    assert checked > 0


def test_core_lp_duals_reproduce_its_value():
    from hflopt.solvers.core_lp import CoreLP, open_set
    from hflopt.solvers.core_moves import _priced_options

    inst = random_instance(6, 80, participation=0.8, rounds=2, max_workload=20,
                           max_capacity=12 * 80 // 6, seed=4)
    data = link_data(inst)
    S = open_set(6, np.asarray(solve(inst, "greedy").solution.host_of))
    lp = CoreLP(data, np.flatnonzero(data.usable))
    value = lp.solve(S, Deadline(None))
    _, pi, theta = lp.duals()
    (c1, _), _, _ = _priced_options(data, lp, S, pi)
    g = theta * inst.min_participants - float((pi * inst.capacity)[S].sum()) \
        - float(np.maximum(0.0, theta - c1).sum())
    assert g == pytest.approx(value, abs=1e-6)
