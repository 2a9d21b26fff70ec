"""Re-planning over a day: workloads, change pricing, the five policies (brute force on tiny days)."""

from __future__ import annotations

import itertools
import json
import math
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import instances

import hflopt
from hflopt.errors import FormatError, InstanceError, SolverError
from hflopt.replanning import (
    POLICIES,
    ChangeCosts,
    DayParams,
    Workloads,
    changes,
    daily_profile,
    planning_instance,
    read_workloads,
    replan,
    save_workloads,
)


# ---------------------------------------------------------------- helpers
def feasible_plans(inst: hflopt.Instance) -> list[np.ndarray]:
    """Every feasible host_of of a tiny instance."""
    cost = inst.dense_costs()
    out = []
    for combo in itertools.product(range(-1, inst.n_hosts), repeat=inst.n_devices):
        h = np.array(combo)
        on = h >= 0
        if on.sum() < inst.min_participants or np.any(~np.isfinite(cost[np.flatnonzero(on), h[on]])):
            continue
        loads = np.bincount(h[on], weights=inst.workload[on], minlength=inst.n_hosts)
        if np.all(loads <= inst.capacity + 1e-9):
            out.append(h)
    return out


def day_optimum(base: hflopt.Instance, work: Workloads, costs: ChangeCosts,
                initial: hflopt.Solution | None = None) -> float | None:
    """Least training cost plus change charges over every sequence of feasible plans (dynamic programming)."""
    per_period = [[hflopt.Solution(h) for h in feasible_plans(work.instance(base, t))] for t in range(work.n_periods)]
    if any(not plans for plans in per_period):
        return None
    value = {}
    for k, plan in enumerate(per_period[0]):
        value[k] = plan.cost(work.instance(base, 0)) + changes(initial, plan, base.n_hosts).charge(costs)
    for t in range(1, work.n_periods):
        inst = work.instance(base, t)
        prev_plans = per_period[t - 1]
        value = {k: plan.cost(inst) + min(value[q] + changes(prev_plans[q], plan, base.n_hosts).charge(costs)
                                          for q in value)
                 for k, plan in enumerate(per_period[t])}
    return min(value.values())


def tiny_day(seed: int, periods: int = 3, hosts: int = 2, devices: int = 3) -> tuple[hflopt.Instance, Workloads]:
    rng = np.random.default_rng(seed)
    base = hflopt.Instance.from_dense(
        capacity=rng.integers(6, 14, hosts), edge_cost=rng.integers(1, 8, hosts),
        workload=rng.integers(1, 6, devices), costs=rng.integers(0, 6, (devices, hosts)),
        participation_ratio=1.0 if seed % 2 else 2 / 3, rounds_ratio=2, name=f"tiny{seed}")
    rates = rng.integers(0, 7, (periods, devices)).astype(float)
    return base, Workloads(rates, base.device_ids, tuple(f"t{t}" for t in range(periods)))


def verified_every_period(res: hflopt.replanning.ReplanResult, base: hflopt.Instance, work: Workloads) -> None:
    for t, plan in enumerate(res.plans):
        plan.verify(work.instance(base, t))


# ---------------------------------------------------------------- workloads
def test_workloads_are_checked_on_construction():
    with pytest.raises(InstanceError, match="rate\\[period b, device 1\\]"):
        Workloads([[1, 2], [3, -1]], ("0", "1"), ("a", "b"))
    with pytest.raises(InstanceError, match="finite"):
        Workloads([[1, np.nan]], ("0", "1"), ("a",))
    with pytest.raises(InstanceError, match="device appears twice"):
        Workloads([[1, 2]], ("0", "0"), ("a",))
    with pytest.raises(InstanceError, match="labels for 1 periods"):
        Workloads([[1, 2]], ("0", "1"), ("a", "b"))
    with pytest.raises(InstanceError, match="periods x devices"):
        Workloads([1, 2], ("0", "1"), ("a",))


def test_aligned_reorders_columns_and_names_missing_or_unknown_devices(tiny):
    ids = tiny.device_ids
    w = Workloads(np.arange(12.0).reshape(2, 6)[:, ::-1], ids[::-1], ("a", "b"))
    a = w.aligned(tiny)
    assert a.device_ids == ids
    np.testing.assert_array_equal(a.rates, np.arange(12.0).reshape(2, 6))
    with pytest.raises(InstanceError, match="no column for device '5'"):
        Workloads(np.ones((1, 5)), ids[:5], ("a",)).aligned(tiny)
    with pytest.raises(InstanceError, match="'x', which the instance does not have"):
        Workloads(np.ones((1, 7)), (*ids, "x"), ("a",)).aligned(tiny)


def test_csv_round_trip_and_long_layout(tmp_path, tiny):
    w = daily_profile(tiny, periods=6, seed=4)
    path = tmp_path / "day.csv"
    save_workloads(w, path)
    back = read_workloads(path)
    assert back.periods == w.periods and back.device_ids == w.device_ids
    np.testing.assert_allclose(back.rates, w.rates)
    long = w.to_frame().reset_index().melt(id_vars="period", var_name="device", value_name="rate")
    long = long.sample(frac=1.0, random_state=1)  # any row order
    (tmp_path / "long.csv").write_text(long.to_csv(index=False))
    back = read_workloads(tmp_path / "long.csv").aligned(tiny)
    np.testing.assert_allclose(back.rates[np.argsort(back.periods)], w.rates[np.argsort(w.periods)])


@pytest.mark.parametrize(("text", "match"), [
    ("", "is empty"),
    ("period,0,1\n", "no rows"),
    ("period,0,1\n08:00,3,\n", "must be a number"),
    ("period,0,1\n08:00,3,abc\n", "must be a number"),
    ("period,0,1\n08:00,3,-2\n", "finite number in"),
    ("period,0,0\n08:00,3,2\n", "column appears twice"),
    ("period,0,1\n08:00,3,2\n08:00,1,1\n", "period appears twice"),
    ("period,device,rate\n08:00,0,1\n08:00,0,2\n", "appear in two rows"),
    ("period,device,rate\n08:00,0,1\n09:00,1,2\n", "no row for period .08:00. of device .1."),
    ("period\n08:00\n", "no device column"),
])
def test_bad_workload_files_name_the_file_and_the_field(tmp_path, text, match):
    path = tmp_path / "w.csv"
    path.write_text(text)
    with pytest.raises((InstanceError, FormatError), match=match) as info:
        read_workloads(path)
    assert str(path) in str(info.value)


def test_daily_profile_is_reproducible_and_has_two_rush_hours(tiny):
    base = hflopt.geometric_instance(5, 400, k=3, seed=2)
    a = daily_profile(base, periods=24, seed=7, noise_cv=0.0)
    assert np.array_equal(a.rates, daily_profile(base, periods=24, seed=7, noise_cv=0.0).rates)
    assert not np.array_equal(a.rates, daily_profile(base, periods=24, seed=8, noise_cv=0.0).rates)
    total = a.rates.sum(axis=1)
    morning, evening = int(np.argmax(total[:13])), 13 + int(np.argmax(total[13:]))
    assert 6 <= morning <= 10 and 15 <= evening <= 20
    assert total[3] < 0.5 * total[morning]  # quiet at night
    assert a.periods[:2] == ("00:00", "01:00")
    w = daily_profile(tiny, periods=4)
    assert np.all(w.rates == np.round(w.rates))  # integral base workloads stay integral
    with pytest.raises(InstanceError, match="night"):
        DayParams(night=1.5)
    with pytest.raises(InstanceError, match="periods"):
        DayParams(periods=0)


def test_workloads_from_instances_and_frames(tiny):
    seq = [tiny.replace(workload=tiny.workload * k) for k in (1, 2)]
    w = Workloads.from_instances(seq, periods=["night", "day"])
    assert w.periods == ("night", "day") and np.array_equal(w.rates[1], 2 * tiny.workload)
    frame = w.to_frame()
    assert Workloads.from_frame(frame).rates.shape == (2, 6)
    other = hflopt.random_instance(2, 3, seed=1)
    with pytest.raises(InstanceError, match="other devices"):
        Workloads.from_instances([tiny, other])


# ---------------------------------------------------------------- changes and their pricing
def test_changes_counts_migrations_joins_leaves_openings_closings():
    before = hflopt.Solution([0, 0, 1, -1, 2])
    after = hflopt.Solution([0, 1, -1, 1, 1])
    ch = changes(before, after, 4)
    assert (ch.migrations, ch.joined, ch.left, ch.opened, ch.closed) == (2, 1, 1, 0, 1)
    assert ch.charge(ChangeCosts(10, 3, 2)) == 2 * 10 + 2
    assert changes(None, after, 4).charge(ChangeCosts(10, 3, 2)) == 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inst=instances(max_hosts=3, max_devices=4), data=st.data())
def test_planning_instance_prices_every_plan_exactly(inst, data):
    plans = feasible_plans(inst)
    if not plans:
        return
    before = hflopt.Solution(plans[data.draw(st.integers(0, len(plans) - 1))])
    costs = ChangeCosts(data.draw(st.sampled_from([0, 1.5, 7])), data.draw(st.sampled_from([0, 4])),
                        data.draw(st.sampled_from([0, 1, 100])))
    planned = planning_instance(inst, before, costs)
    for h in plans:
        s = hflopt.Solution(h)
        billed = s.cost(inst) + changes(before, s, inst.n_hosts).charge(costs)
        if planned.exact:
            assert s.cost(planned.instance) + planned.constant == pytest.approx(billed, abs=1e-9)
        else:  # a closing discount was cut at a fixed cost: planning never charges more than the bill
            assert s.cost(planned.instance) + planned.constant >= billed - 1e-9


def test_closing_costs_above_fixed_costs_are_reported_as_inexact(tiny):
    before = hflopt.Solution([0, 1, 2, 1, 0, 2])
    assert planning_instance(tiny, before, ChangeCosts(closing=1)).exact
    assert not planning_instance(tiny, before, ChangeCosts(closing=4)).exact  # host 2 costs 1 to keep open
    with pytest.raises(InstanceError, match="migration_cost"):
        ChangeCosts(migration=-1)


# ---------------------------------------------------------------- policies against brute force
@pytest.mark.parametrize("seed", range(6))
def test_horizon_is_the_true_optimum_and_no_policy_beats_it(seed):
    base, work = tiny_day(seed)
    costs = ChangeCosts(migration=4, opening=3, closing=2 + 3 * (seed % 2))  # odd seeds: closing above C_e
    best = day_optimum(base, work, costs)
    results = {p: replan(base, work, p, method="exact", migration_cost=costs.migration, open_cost=costs.opening,
                         close_cost=costs.closing, latency=False) for p in POLICIES}
    if best is None:
        assert all(any(r["overloaded_hosts"] or r["comm_cost"] is None for r in res.rows)
                   or res.policy in ("static",) for res in results.values())
        return
    horizon = results["horizon"].summary()
    assert horizon["total_cost"] == pytest.approx(best, abs=1e-6)
    assert horizon["bound"] == pytest.approx(best, abs=1e-6)
    verified_every_period(results["horizon"], base, work)
    for policy in ("myopic", "stable"):
        res = results[policy]
        verified_every_period(res, base, work)
        assert res.summary()["total_cost"] >= best - 1e-6


@pytest.mark.parametrize("seed", range(6))
def test_stable_solves_each_period_exactly_against_the_previous_plan(seed):
    base, work = tiny_day(seed, periods=3, hosts=3, devices=3)
    costs = ChangeCosts(migration=5)
    res = replan(base, work, "stable", method="exact", migration_cost=5, latency=False)
    prev = None
    for t, plan in enumerate(res.plans):
        inst = work.instance(base, t)
        options = [hflopt.Solution(h) for h in feasible_plans(inst)]
        if not options:
            return
        best = min(s.cost(inst) + changes(prev, s, base.n_hosts).charge(costs) for s in options)
        row = res.rows[t]
        assert row["total_cost"] == pytest.approx(best, abs=1e-6)
        prev = plan


@pytest.mark.parametrize("seed", range(5))
def test_robust_plans_never_overload_any_period(seed):
    base = hflopt.geometric_instance(5, 40, k=3, seed=seed, tightness=2.0)
    work = daily_profile(base, periods=8, seed=seed, amplitude=(0.8, 1.6))
    res = replan(base, work, "robust", method="exact", latency=False)
    if res.plans[0] is None:
        pytest.skip("the peak of every device does not fit at once")
    assert all(r["overloaded_hosts"] == 0 for r in res.rows)
    verified_every_period(res, base, work)
    assert res.summary()["migrations"] == 0


def test_static_plans_show_their_later_overloads_and_latency():
    base = hflopt.Instance.from_dense([10, 10], [5, 5], [4, 4, 4], [[0, 3], [0, 3], [3, 0]], name="two")
    work = Workloads([[4, 4, 4], [6, 6, 4]], base.device_ids, ("night", "rush"))
    res = replan(base, work, "static", method="exact")
    rows = res.rows
    assert rows[0]["overloaded_hosts"] == 0 and rows[1]["overloaded_hosts"] == 1
    assert rows[1]["max_utilization"] == pytest.approx(1.2)
    assert math.isinf(rows[1]["latency_mean_ms"]) and math.isfinite(rows[0]["latency_mean_ms"])
    assert res.summary()["periods_latency_unbounded"] == 1
    myopic = replan(base, work, "myopic", method="exact")
    assert myopic.rows[1]["overloaded_hosts"] == 0 and myopic.rows[1]["migrations"] == 1


@pytest.mark.parametrize("method", ["exact", "auto", "local-search", "greedy"])
def test_policies_agree_when_the_workloads_are_constant(method):
    base = hflopt.geometric_instance(6, 30, k=3, seed=3, decimals=0)
    work = Workloads(np.repeat(base.workload[None, :], 4, axis=0), base.device_ids, tuple("abcd"))
    results = {p: replan(base, work, p, method=method, migration_cost=5, latency=False, time_limit=20)
               for p in POLICIES if not (p == "horizon" and method != "exact")}
    first = results["static"].rows[0]["comm_cost"]
    for policy, res in results.items():
        assert res.summary()["host_periods_overloaded"] == 0, policy
        if method == "exact":  # every period at the one optimum
            assert all(r["comm_cost"] == pytest.approx(first) for r in res.rows), policy
        if policy != "myopic":  # myopic may swap between equally good plans; the others never move
            assert res.summary()["migrations"] == 0, policy
        verified_every_period(res, base, work)


def test_an_initial_plan_prices_the_first_period():
    base, work = tiny_day(3)
    start = hflopt.solve(work.instance(base, 0), "exact").solution
    moved = hflopt.Solution(np.where(start.host_of >= 0, (start.host_of + 1) % base.n_hosts, -1))
    res = replan(base, work, "stable", method="exact", migration_cost=1e6, initial=moved, latency=False)
    first = res.rows[0]
    assert first["migrations"] == changes(moved, res.plans[0], base.n_hosts).migrations
    if moved.is_feasible(work.instance(base, 0)):
        assert first["migrations"] == 0  # a huge price: keep the running plan


# ---------------------------------------------------------------- the result object and limits
def test_result_frame_summary_and_json():
    base = hflopt.geometric_instance(5, 30, k=3, seed=1)
    work = daily_profile(base, periods=5, seed=1)
    res = replan(base, work, "stable", method="exact", migration_cost=10, open_cost=5)
    frame = res.to_frame()
    assert list(frame.columns) == list(hflopt.replanning.PERIOD_COLUMNS) and len(frame) == 5
    s = res.summary()
    assert s["total_cost"] == pytest.approx(frame["total_cost"].sum())
    assert s["migrations"] == frame["migrations"].sum()
    assert s["total_cost"] == pytest.approx(s["comm_cost"] + s["change_cost"])
    data = json.loads(json.dumps(res.to_dict()))
    assert data["summary"]["periods"] == 5 and len(data["periods"]) == 5
    plans = res.plans_dict(base.device_ids, base.host_ids)
    assert set(plans[0]) == set(base.device_ids)
    assert "stable (exact), 5 periods" in str(res) and "| period |" in res.table()


def test_bad_parameters_are_refused_before_any_solve(tiny):
    work = daily_profile(tiny, periods=2)
    with pytest.raises(SolverError, match="unknown policy"):
        replan(tiny, work, "greedy")
    with pytest.raises(SolverError, match="unknown method"):
        replan(tiny, work, method="fastest")
    with pytest.raises(SolverError, match="time_limit"):
        replan(tiny, work, time_limit=0)
    with pytest.raises(SolverError, match="set by replan itself"):
        replan(tiny, work, warm_start=None)
    with pytest.raises(TypeError, match="Workloads"):
        replan(tiny, work.rates)


def test_the_time_limit_covers_the_whole_day():
    base = hflopt.geometric_instance(30, 1500, k=8, seed=5)
    work = daily_profile(base, periods=6, seed=5)
    for policy in ("stable", "horizon"):
        t0 = time.perf_counter()
        res = replan(base, work, policy, time_limit=4.0, migration_cost=10, latency=False)
        took = time.perf_counter() - t0
        assert took <= max(1.1 * 4.0, 4.0 + 1.0), (policy, took)
        assert all(p is not None for p in res.plans)
        verified_every_period(res, base, work)


def test_day_plot_draws_every_policy(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from hflopt.replanning import plot_day, save_day_plot

    base = hflopt.geometric_instance(4, 20, k=2, seed=1)
    work = daily_profile(base, periods=4, seed=1)
    runs = [replan(base, work, p, method="exact") for p in ("static", "stable")]
    axes = plot_day(runs)
    assert len(axes) == 3 and len(axes[0].get_lines()) >= 2
    save_day_plot({r.policy: r for r in runs}, tmp_path / "day.png")
    assert (tmp_path / "day.png").read_bytes()[:4] == b"\x89PNG"


# ---------------------------------------------------------------- readings
def _speeds(sensors: list[str], days: int = 2) -> pd.DataFrame:
    idx = pd.date_range("2012-03-01", periods=days * 288, freq="5min")
    hours = idx.hour + idx.minute / 60
    rush = np.exp(-0.5 * ((hours - 8.5) / 1.0) ** 2)  # the 08:00-09:00 period is the busiest
    frame = pd.DataFrame({s: 65 - 40 * rush * (1 + 0.1 * k) for k, s in enumerate(sensors)}, index=idx)
    frame.iloc[5, 0] = 0.0  # a missing reading, METR-LA style
    return frame


def test_readings_become_a_typical_day_peaking_at_rush_hour(tmp_path):
    base = hflopt.Instance.from_dense([100, 100], [1, 1], [10, 20, 30], [[0, 1]] * 3,
                                      device_ids=["7173", "7174", "7175"])
    speeds = _speeds(["7175", "7173", "7174", "9999"])
    from hflopt.replanning import read_readings, workloads_from_readings

    path = tmp_path / "speeds.csv"
    speeds.to_csv(path, index_label="timestamp")
    frame = read_readings(path)
    w = workloads_from_readings(frame, base)
    assert w.n_periods == 24 and w.periods[8] == "08:00"
    assert np.all(np.argmax(w.rates, axis=0) == 8)
    np.testing.assert_allclose(w.rates.max(axis=0), base.workload)
    whole = workloads_from_readings(frame, base, typical_day=False, period="2h")
    assert whole.n_periods == 24
    with pytest.raises(InstanceError, match="no column for device"):
        workloads_from_readings(frame.drop(columns=["7174"]), base)
    (tmp_path / "bad.csv").write_text("timestamp,7173\nyesterday,3\n")
    with pytest.raises(InstanceError, match="not a date and time"):
        read_readings(tmp_path / "bad.csv")


def test_latency_aware_capacities_keep_every_period_below_the_cap():
    from hflopt.evaluate import LatencyLimits

    base = hflopt.geometric_instance(6, 50, k=4, seed=2, tightness=2.5)
    work = daily_profile(base, periods=6, seed=2)
    plain = replan(base, work, "myopic", method="exact")
    capped = replan(base, work, "myopic", method="exact", limits=LatencyLimits(max_utilization=0.7))
    assert all(r["max_utilization"] <= 0.7 + 1e-9 for r in capped.rows)
    assert max(r["max_utilization"] for r in plain.rows) > 0.7  # the cap did something here
    assert all(c["comm_cost"] >= p["comm_cost"] - 1e-6 for c, p in zip(capped.rows, plain.rows, strict=True))
    with pytest.raises(SolverError, match="LatencyLimits"):
        replan(base, work, limits=0.7)


def test_horizon_keeps_its_stable_start_when_the_milp_finds_nothing_better(monkeypatch):
    import types

    import hflopt.replanning.horizon as horizon_module
    from hflopt.replanning.horizon import HorizonOutcome

    base, work = tiny_day(1, periods=4, hosts=3, devices=5)
    stable = replan(base, work, "stable", method="exact", migration_cost=5, latency=False)
    myopic = replan(base, work, "myopic", method="exact", migration_cost=5, latency=False)
    run = types.SimpleNamespace(infeasible=False, optimal=False, timed_out=True, model_status="time limit")
    for milp_plans in (None, myopic.plans):  # no plan at all; a plan that churns more than its start
        outcome = HorizonOutcome(milp_plans, None, 0.0, run, 0.0)
        monkeypatch.setattr(horizon_module, "solve_horizon", lambda *a, _o=outcome, **k: _o)
        res = replan(base, work, "horizon", method="exact", migration_cost=5, latency=False)
        assert [p.host_of.tolist() for p in res.plans] == [p.host_of.tolist() for p in stable.plans]
        assert res.summary()["total_cost"] == pytest.approx(stable.summary()["total_cost"])
        assert [r["status"] for r in res.rows] == [r["status"] for r in stable.rows]
        assert any("the start is kept" in m for m in res.messages)
    assert myopic.summary()["total_cost"] > stable.summary()["total_cost"]  # the second case was a worse plan


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"seed": -1}, "seed"), ({"amplitude": (0, 1e300)}, "amplitude"), ({"peak_width_h": 1e-300}, "peak_width_h"),
    ({"morning_hour": 1e308}, "morning_hour"), ({"noise_cv": 1e9}, "noise_cv"),
])
def test_day_parameters_out_of_range_are_refused_not_clamped(kwargs, field):
    with pytest.raises(InstanceError) as info:
        DayParams(**kwargs)
    assert info.value.field == field


def test_a_day_whose_workloads_would_overflow_is_refused(tiny):
    big = tiny.replace(workload=np.full(tiny.n_devices, 1e11))
    with pytest.raises(InstanceError, match="busiest workload"):
        daily_profile(big, amplitude=(100, 200))


@pytest.mark.parametrize(("text", "match"), [
    ("timestamp,7173,7173\n2012-03-01 08:00,3,4\n", "column appears twice"),
    ("timestamp,7173\n2012-03-01 08:00,inf\n", "finite number >= 0"),
    ("timestamp,7173\n2012-03-01 08:00,-5\n", "finite number >= 0"),
])
def test_bad_readings_name_the_file_and_the_cell(tmp_path, text, match):
    from hflopt.replanning import read_readings

    path = tmp_path / "r.csv"
    path.write_text(text)
    with pytest.raises(InstanceError, match=match) as info:
        read_readings(path)
    assert info.value.source == str(path)
