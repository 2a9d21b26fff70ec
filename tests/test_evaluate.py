"""hflopt.evaluate: training traffic, scenarios, analytical latency, simulation, latency-aware capacity."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import instances

import hflopt
from hflopt import InstanceError, Solution
from hflopt.evaluate import (
    CommCostParams,
    LatencyLimits,
    RoutingParams,
    Scenario,
    ScenarioParams,
    cheapest_hosts,
    comm_cost,
    latency,
    latency_limited,
    load_scenario,
    parse_duration_ms,
    route,
    save_scenario,
    scenario_from_instance,
    simulate,
)
from hflopt.evaluate.queueing import _erlang_cdf, md1_wait_cdf, sojourn_cdf, sojourn_mean


def one_host(rate: float, mu: float, *, link_ms: float = 2.0) -> tuple[hflopt.Instance, Solution, Scenario]:
    """One device sending ``rate`` requests/s to one host serving ``mu``/s over a ``link_ms`` link."""
    inst = hflopt.Instance.from_dense([mu], [1], [rate], [[0]], name="one")
    scn = Scenario.build(inst, link_latency_ms=link_ms, cloud_latency_ms=80.0)
    return inst, Solution([0]), scn


def batch_mean_interval(x: np.ndarray, batches: int = 20) -> tuple[float, float]:
    """Mean and its standard error by batch means (the samples of a queue are correlated)."""
    means = np.array([b.mean() for b in np.array_split(x, batches)])
    return float(x.mean()), float(means.std(ddof=1) / math.sqrt(batches))


# ------------------------------------------------------------------ traffic
def test_comm_cost_by_hand(tiny) -> None:
    sol = Solution([0, 1, 2, 1, 0, -1])  # hosts 0, 1, 2 open; device 5 out
    res = comm_cost(tiny, sol)  # S 1.15, G 10, G_FL 20, l = 2 (the instance's)
    per = 2 * 1.15
    device_costs = 0 + 0 + 0 + 1 + 0  # C_d of the used links
    assert res.device_edge == pytest.approx(per * 2 * 10 * device_costs)
    assert res.edge_cloud == pytest.approx(per * 10 * (5 + 3 + 1))
    # cheapest hosts: d0 h0, d1 h1, d2 h2, d3 h1/h2 tie -> smaller C_e: h2, d4 h0, d5 h2
    assert cheapest_hosts(tiny).tolist() == [0, 1, 2, 2, 0, 2]
    assert res.flat == pytest.approx(per * 20 * (5 + 3 + 1 + 1 + 5 + 1))
    assert res.hfl == pytest.approx(res.device_edge + res.edge_cloud)
    assert res.savings_percent == pytest.approx(100 * (1 - res.hfl / res.flat))
    assert (res.participants, res.open_hosts, res.flat_devices, res.unreachable) == (5, 3, 6, 0)
    unit = comm_cost(tiny, sol, unit_costs=True, rounds_ratio=1, model_size_mb=0.593)
    assert unit.edge_cloud == pytest.approx(2 * 0.593 * 10 * 3)
    assert unit.device_edge == pytest.approx(2 * 0.593 * 10 * 1)
    frame = res.to_frame()
    assert frame["cost"].tolist() == pytest.approx([res.device_edge, res.edge_cloud, res.hfl, res.flat])
    json.dumps(res.to_dict(), allow_nan=False)


def test_comm_cost_paper_capacity_unaware_point() -> None:
    """1:64 density: every host is someone's LAN host, so all 15 open and no device pays: 99.25%."""
    inst = hflopt.random_instance(15, 1000, rounds=2, max_capacity=5333, max_workload=40, min_cost=1,
                                  max_cost=1, zero_cost_lan=True, seed=3)
    res = comm_cost(inst, Solution(cheapest_hosts(inst)), unit_costs=True)  # each device on its LAN host
    assert res.flat == pytest.approx(46_000)
    assert res.savings_percent == pytest.approx(100 * (1 - 2 * 1.15 * 10 * 15 / 46_000))


@settings(max_examples=40, deadline=None)
@given(instances(max_hosts=4, max_devices=6))
def test_cheapest_host_matches_brute_force(inst) -> None:
    dense = inst.dense_costs()
    got = cheapest_hosts(inst)
    for i in range(inst.n_devices):
        row = dense[i]
        if not np.isfinite(row).any():
            assert got[i] == -1
            continue
        best = row.min()
        cands = [j for j in range(inst.n_hosts) if row[j] == best]
        assert got[i] == min(cands, key=lambda j: (inst.edge_cost[j], j))


def test_comm_cost_rejects_a_solution_of_another_instance(tiny) -> None:
    with pytest.raises(InstanceError, match="has 3 devices but the instance has 6"):
        comm_cost(tiny, Solution([0, 1, 2]))
    sparse = tiny.restrict_links(tiny.link_host != 1)
    with pytest.raises(InstanceError, match="no link to"):
        comm_cost(sparse, Solution([1, -1, -1, -1, -1, -1]))
    with pytest.raises(InstanceError, match="global_rounds"):
        CommCostParams(global_rounds=0)


# -------------------------------------------------------------------- units
@pytest.mark.parametrize(("text", "ms"), [("20ms", 20), ("0.02s", 20), ("500us", 0.5), ("20", 20), (7, 7),
                                          (" 1.5 s ", 1500), ("2min", 120_000)])
def test_durations(text, ms) -> None:
    assert parse_duration_ms(text) == pytest.approx(ms)


@pytest.mark.parametrize("text", ["20 parsecs", "fast", "-3ms", "nan", True])
def test_bad_durations_name_field_and_value(text) -> None:
    with pytest.raises(InstanceError) as err:
        parse_duration_ms(text, field="latency_slo")
    assert "latency_slo" in str(err.value) and repr(text) in str(err.value)


# ----------------------------------------------------------------- scenario
def test_scenario_defaults_validation_and_file_round_trip(tmp_path, tiny) -> None:
    scn = Scenario.build(tiny)
    assert scn.request_rate.tolist() == tiny.workload.tolist()
    assert scn.service_rate.tolist() == tiny.capacity.tolist()
    assert np.all(scn.device_capacity == 0) and math.isinf(scn.cloud_service_rate)
    with pytest.raises(InstanceError, match=r"devices.request_rate\[2\].*-1"):
        Scenario.build(tiny, request_rate=[1, 1, -1, 1, 1, 1])
    geo = hflopt.geometric_instance(3, 12, k=2, seed=4)
    made = scenario_from_instance(geo, seed=5, cloud_service_rate=500.0)
    path = tmp_path / "scn.json"
    save_scenario(made, geo, path)
    back = load_scenario(path, geo)
    for name in ("request_rate", "device_capacity", "link_latency_ms", "service_rate", "cloud_latency_ms"):
        assert np.allclose(getattr(back, name), getattr(made, name))
    assert back.cloud_service_rate == 500.0
    # ids may come in any order; a scalar applies to everything
    obj = json.loads(path.read_text())
    obj["hosts"] = {"id": list(reversed(obj["hosts"]["id"])), "service_rate": [3, 2, 1]}
    obj["links"] = {"latency_ms": 4}
    path.write_text(json.dumps(obj))
    again = load_scenario(path, geo)
    assert again.service_rate.tolist() == [1, 2, 3] and np.all(again.link_latency_ms == 4)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda o: o["devices"].update(request_rate=[-1] * 12), r"devices.request_rate\[0\]: must be a finite"),
    (lambda o: o["hosts"].update(id=["a", "b", "c"]), "hosts.id: lacks an id of the instance"),
    (lambda o: o["links"].update(device=["0"] * 24), r"links\[\d+\]: is not a link of the instance"),
    (lambda o: o.update(format="other"), "format: must be 'hflopt-scenario'"),
    (lambda o: o["devices"].update(capacity=[1, 2]), "devices.id: must be a list as long as devices.capacity"),
])
def test_scenario_file_errors_name_file_field_value(tmp_path, edit, message) -> None:
    geo = hflopt.geometric_instance(3, 12, k=2, seed=4)
    path = tmp_path / "scn.json"
    save_scenario(scenario_from_instance(geo), geo, path)
    obj = json.loads(path.read_text())
    edit(obj)
    path.write_text(json.dumps(obj))
    with pytest.raises(InstanceError, match=message) as err:
        load_scenario(path, geo)
    assert str(err.value).startswith(str(path))


def test_scenario_from_coordinates_far_hosts_and_seed() -> None:
    geo = hflopt.geometric_instance(4, 30, region=(400, 400), seed=2)
    params = ScenarioParams(far_km=150, seed=9)
    a, b = scenario_from_instance(geo, params), scenario_from_instance(geo, params)
    assert np.array_equal(a.link_latency_ms, b.link_latency_ms)
    km = np.hypot(*(geo.device_xy[geo.link_device] - geo.host_xy[geo.link_host]).T)
    extra = a.link_latency_ms - 0.01 * km
    far = km > 150
    assert far.any() and (~far).any()
    assert np.all((extra[far] >= 50.8) & (extra[far] <= 110))
    assert np.all((extra[~far] >= 0.8) & (extra[~far] <= 10))
    assert np.all((a.cloud_latency_ms >= 50.8) & (a.cloud_latency_ms <= 110))
    other = scenario_from_instance(geo, ScenarioParams(seed=10))
    assert not np.array_equal(a.link_latency_ms, other.link_latency_ms)


# ---------------------------------------------------------------- routing
def test_devices_serve_themselves_then_offload(tiny) -> None:
    scn = Scenario.build(tiny, request_rate=[4, 4, 4, 4, 4, 4], device_capacity=[0, 2, 10, 4, 4.4, 0])
    sol = Solution([0, 1, 2, 1, 0, -1])
    excess = route(tiny, sol, scn, RoutingParams("excess", 0.9))
    local = np.bincount(excess.device[excess.node == excess.device],
                        weights=excess.rate[excess.node == excess.device], minlength=6)
    assert local.tolist() == pytest.approx([0, 1.8, 4, 3.6, 3.96, 0])
    every = route(tiny, sol, scn, RoutingParams("all", 0.9))
    local = np.bincount(every.device[every.node == every.device],
                        weights=every.rate[every.node == every.device], minlength=6)
    assert local.tolist() == pytest.approx([0, 0, 4, 0, 0, 0])  # 4 > 0.9 * 4.4: all offloaded
    cloud = 6 + 3
    assert every.node_rate[cloud] == pytest.approx(4)  # device 5 takes no part: the cloud serves it
    flat = route(tiny, None, scn, RoutingParams("all", 0.9))
    assert flat.node_rate[cloud] == pytest.approx(5 * 4) and flat.setup == "flat"


# ---------------------------------------------------------------- analytical
def test_mm1_closed_forms_and_md1_mean() -> None:
    inst, sol, scn = one_host(600, 1000, link_ms=2.0)
    res = latency(inst, sol, scn, percentiles=(50, 95))
    assert res.mean_ms == pytest.approx(2 + 1000 / 400)
    assert res.percentiles_ms["p95"] == pytest.approx(2 + 1000 * math.log(20) / 400, rel=1e-9)
    assert res.device_mean_ms[0] == pytest.approx(res.mean_ms)
    md1 = latency(inst, sol, scn, model="md1")
    rho = 0.6
    assert md1.mean_ms == pytest.approx(2 + 1000 * (1 / 1000 + rho / (2 * 1000 * (1 - rho))))
    assert res.overloaded == () and json.dumps(res.to_dict(), allow_nan=False)


@pytest.mark.parametrize("rho", [0.2, 0.6, 0.9])
def test_md1_waiting_time_matches_erlang_and_pk_mean(rho) -> None:
    x = np.array([0.0, 0.5, 1.0, 2.7, 6.0, 11.3])
    assert md1_wait_cdf(rho, x) == pytest.approx([_erlang_cdf(rho, v) for v in x], abs=2e-3)
    assert md1_wait_cdf(rho, np.array([0.0]))[0] == pytest.approx(1 - rho)
    t = np.linspace(0, 60 + 60 * rho / (1 - rho), 400_001)
    mean = np.trapezoid(1 - sojourn_cdf("md1", rho, 1.0, t), t)
    assert mean == pytest.approx(sojourn_mean("md1", rho, 1.0), rel=2e-3)


def test_overloaded_host_reported_infinite_with_factor() -> None:
    inst, sol, scn = one_host(1500, 1000)
    res = latency(inst, sol, scn)
    assert math.isinf(res.mean_ms) and math.isinf(res.percentiles_ms["p50"])
    assert res.overloaded == (("0", 1.5),) and res.overloaded_share == 1.0
    data = res.to_dict()
    assert data["mean_ms"] is None and data["overloaded"] == [{"node": "0", "overload_factor": 1.5}]
    assert "OVERLOADED 0 x1.5" in str(res)
    json.dumps(data, allow_nan=False)
    nodes = res.nodes_frame()
    assert nodes["node"].tolist() == ["0"] and nodes["overloaded"].tolist() == [True]
    assert nodes["utilization"].tolist() == pytest.approx([1.5]) and math.isinf(nodes["mean_sojourn_ms"][0])


def test_nodes_frame_one_row_per_busy_node() -> None:
    inst, sol, scn = one_host(600, 1000, link_ms=2.0)
    nodes = latency(inst, sol, scn).nodes_frame()
    assert list(nodes.columns) == ["node", "kind", "arrival_rate", "service_rate", "utilization", "overloaded",
                                   "mean_sojourn_ms"]
    assert nodes["arrival_rate"].tolist() == pytest.approx([600]) and nodes["service_rate"].tolist() == [1000]
    assert nodes["utilization"].tolist() == pytest.approx([0.6]) and not nodes["overloaded"].any()
    assert nodes["mean_sojourn_ms"].tolist() == pytest.approx([1000 / 400])


def test_share_over_slo_and_flat_fl(tiny) -> None:
    scn = Scenario.build(tiny, request_rate=1.0, service_rate=1000, cloud_latency_ms=[60, 70, 80, 90, 100, 110])
    flat = latency(tiny, None, scn, slo_ms=85)
    assert flat.setup == "flat" and flat.mean_ms == pytest.approx(85)
    assert flat.share_over_slo == pytest.approx(0.5)
    hfl = latency(tiny, Solution([0, 1, 2, 1, 0, -1]), scn, slo_ms=85)
    assert hfl.mean_ms < flat.mean_ms and hfl.share_over_slo == pytest.approx(1 / 6)


# ---------------------------------------------------------------- simulation
def test_simulated_mean_within_band_of_mm1() -> None:
    inst, sol, scn = one_host(500, 1000)
    sim = simulate(inst, sol, scn, n_requests=40_000, seed=3)
    mean, se = batch_mean_interval(sim.latency_ms)
    assert abs(mean - latency(inst, sol, scn).mean_ms) < 4 * se
    assert sim.overloaded == ()


def test_simulated_md1_matches_closed_form() -> None:
    inst, sol, scn = one_host(700, 1000, link_ms=0.0)
    sim = simulate(inst, sol, scn, n_requests=40_000, seed=4, model="md1")
    mean, se = batch_mean_interval(sim.latency_ms)
    assert abs(mean - 1000 * sojourn_mean("md1", 700, 1000)) < 4 * se
    assert np.all(sim.latency_ms >= 1.0 - 1e-9)  # nobody is served faster than the service time


def test_overloaded_host_detected_by_simulation_too() -> None:
    inst, sol, scn = one_host(1500, 1000)
    sim = simulate(inst, sol, scn, n_requests=5_000, seed=1)
    assert [name for name, _ in sim.overloaded] == ["0"]
    assert sim.overloaded[0][1] == pytest.approx(1.5, rel=0.1)
    first, last = np.array_split(sim.latency_ms, 2)
    assert last.mean() > 2 * first.mean()  # the queue grows


@settings(max_examples=5, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_simulation_is_reproducible_by_seed(seed) -> None:
    geo = hflopt.geometric_instance(3, 15, seed=1)
    sol = hflopt.solve(geo, "greedy").solution
    scn = scenario_from_instance(geo, rate_unit=50)
    a = simulate(geo, sol, scn, n_requests=500, seed=seed)
    b = simulate(geo, sol, scn, n_requests=500, seed=seed)
    assert np.array_equal(a.latency_ms, b.latency_ms) and np.array_equal(a.device, b.device)
    c = simulate(geo, sol, scn, n_requests=500, seed=(seed + 1) % 2**32)
    assert not np.array_equal(a.latency_ms, c.latency_ms)
    summary = a.summary()
    assert summary["median_ms"] <= summary["p95_ms"] <= summary["p99_ms"]
    assert len(a.to_frame()) == 500


# ------------------------------------------------------- latency-aware capacity
def test_latency_limits_capacities_and_links(tiny) -> None:
    lim = LatencyLimits.parse(max_utilization=0.8, latency_slo="0.5s")
    assert lim.latency_slo_ms == 500
    assert lim.capacities(np.array([10.0, 4.0, 1.0])).tolist() == pytest.approx([8, 2, 0])
    scn = Scenario.build(tiny, link_latency_ms=np.arange(tiny.n_links, dtype=float))
    out = latency_limited(tiny, scenario=scn, link_latency_limit="9.5ms")
    assert out.n_links == 10 and out.capacity.tolist() == tiny.capacity.tolist()
    assert out.metadata["latency_limits"]["links_removed"] == tiny.n_links - 10
    assert latency_limited(tiny) is tiny
    with pytest.raises(InstanceError, match="needs a scenario"):
        latency_limited(tiny, link_latency_limit=5)
    with pytest.raises(InstanceError, match="max_utilization: must be a number in"):
        latency_limited(tiny, max_utilization=1.5)
    with pytest.raises(InstanceError, match="unknown unit 'parsec'"):
        latency_limited(tiny, latency_slo="3parsec")


@pytest.mark.parametrize("method", ["exact", "greedy"])
def test_slo_constrained_solution_meets_slo_where_unconstrained_does_not(method) -> None:
    inst = hflopt.geometric_instance(6, 60, tightness=1.5, cloud_cost=40, participation=0.9, seed=7)
    scn = scenario_from_instance(inst)
    slo = 1000 / (0.2 * float(np.median(inst.capacity)))  # keep 20% of a median host's rate spare (ms)
    free = hflopt.solve(inst, method).solution
    limited = latency_limited(inst, latency_slo=slo)
    bound = hflopt.solve(limited, method).solution
    bound.verify(inst)  # a solution of the original instance too

    def worst_host_ms(sol: Solution) -> float:
        res = latency(inst, sol, scn)
        served = [k for k in res.flows.active_nodes if res.flows.node_kind[k] == "host"]
        return max(res.node_sojourn_ms[k] for k in served)

    assert worst_host_ms(free) > slo
    assert worst_host_ms(bound) <= slo * (1 + 1e-9)
