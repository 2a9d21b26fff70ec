"""Generators: statistical properties, sparse k-nearest links, reproducibility, CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import brute_force

import hflopt
from hflopt import InstanceError, Solution
from hflopt.cli import main
from hflopt.generators import (
    EARTH_RADIUS_KM,
    authors_runtime_capacity,
    capacities_for_tightness,
    clustered_instance,
    draw_workloads,
    geometric_instance,
    great_circle_km,
    instance_from_points,
    random_instance,
)


def _distances(inst: hflopt.Instance) -> np.ndarray:
    """Euclidean length of every link, from the stored coordinates."""
    return np.hypot(*(inst.device_xy[inst.link_device] - inst.host_xy[inst.link_host]).T)


# ------------------------------------------------------------------ authors'
def test_random_instance_unchanged_signature_and_distributions() -> None:
    inst = random_instance(
        4, 300, participation=0.7, rounds=4, max_capacity=50, max_workload=9, min_cost=2, max_cost=5,
        zero_cost_lan=False, seed=11, name="r",
    )
    assert inst.is_dense and inst.min_participants == 210 and inst.rounds_ratio == 4
    assert inst.capacity.max() <= 50 and inst.workload.max() <= 9 and inst.workload.min() >= 0
    assert inst.link_cost.min() >= 2 and inst.link_cost.max() <= 5
    assert set(np.unique(inst.link_cost)) == {2, 3, 4, 5}
    assert authors_runtime_capacity(1000, 10, 20) == 20000
    lan = random_instance(3, 50, zero_cost_lan=True, seed=1)
    costs = lan.dense_costs()
    assert np.all((costs == 0).sum(axis=1) == 1) and np.all((costs == 1).sum(axis=1) == 2)


# ------------------------------------------------------------------ workloads
def test_constant_workloads() -> None:
    assert np.all(draw_workloads(50, "constant", mean=7.5, cv=3.0, rng=0) == 7.5)


@pytest.mark.parametrize("distribution, cv", [("uniform", 0.3), ("uniform", 0.57), ("lognormal", 0.5),
                                              ("lognormal", 1.2)])
def test_workload_mean_and_cv_within_tolerance(distribution: str, cv: float) -> None:
    w = draw_workloads(200_000, distribution, mean=12.0, cv=cv, rng=5)
    assert w.min() >= 0
    assert w.mean() == pytest.approx(12.0, rel=0.01 if cv < 1 else 0.02)
    assert w.std() / w.mean() == pytest.approx(cv, rel=0.03 if cv < 1 else 0.08)
    if distribution == "uniform":
        half = math.sqrt(3) * cv * 12.0
        assert w.min() >= 12.0 - half and w.max() <= 12.0 + half
        assert w.min() < 12.0 - 0.99 * half and w.max() > 12.0 + 0.99 * half


def test_lognormal_is_skewed_and_positive() -> None:
    w = draw_workloads(100_000, "lognormal", mean=10.0, cv=1.0, rng=1)
    assert w.min() > 0
    assert np.median(w) < w.mean()  # right-skewed
    assert np.median(w) == pytest.approx(10.0 / math.sqrt(2.0), rel=0.03)  # exp(mu) = mean / sqrt(1 + cv^2)


def test_workload_rounding_and_errors() -> None:
    w = draw_workloads(1000, "uniform", mean=10, cv=0.4, rng=2, decimals=0)
    assert np.all(w == np.round(w))
    with pytest.raises(InstanceError, match=r"workload_cv.*1/sqrt"):
        draw_workloads(10, "uniform", cv=0.9)
    with pytest.raises(InstanceError, match="unknown workload distribution"):
        draw_workloads(10, "pareto")
    with pytest.raises(InstanceError, match="workload_mean"):
        draw_workloads(10, "constant", mean=-1)


# ----------------------------------------------------------------- capacities
@pytest.mark.parametrize("tightness", [0.8, 1.0, 1.37, 4.0])
def test_capacities_hit_the_tightness(tightness: float) -> None:
    equal = capacities_for_tightness(1234.5, 7, tightness)
    assert equal.sum() == pytest.approx(tightness * 1234.5, rel=1e-12)
    assert np.allclose(equal, equal[0])
    spread = capacities_for_tightness(1234.5, 7, tightness, cv=0.5, rng=3)
    assert spread.sum() == pytest.approx(tightness * 1234.5, rel=1e-12)
    assert spread.std() > 0


def test_capacity_spread_and_exact_integer_total() -> None:
    caps = capacities_for_tightness(1e6, 20_000, 1.5, cv=0.4, rng=9)
    assert caps.std() / caps.mean() == pytest.approx(0.4, rel=0.05)
    ints = capacities_for_tightness(1003.0, 7, 1.3, cv=0.6, rng=4, decimals=0)
    assert np.all(ints == np.round(ints))
    assert ints.sum() == round(1.3 * 1003.0)
    tenths = capacities_for_tightness(999.9, 3, 1.0, decimals=1)
    assert tenths.sum() == pytest.approx(999.9) and np.all(np.round(tenths * 10) == tenths * 10)
    with pytest.raises(InstanceError, match="tightness"):
        capacities_for_tightness(10, 2, 0)


# ------------------------------------------------------------------ geometric
def test_geometric_instance_hits_tightness_and_links_every_pair() -> None:
    inst = geometric_instance(6, 400, tightness=1.7, seed=1)
    assert inst.is_dense and inst.n_links == 2400
    assert inst.total_capacity / inst.total_workload == pytest.approx(1.7, rel=1e-12)
    assert inst.describe()["capacity_over_workload"] == pytest.approx(1.7)
    xy = np.vstack([inst.host_xy, inst.device_xy])
    assert xy.min() >= 0 and xy.max() <= 100
    assert inst.metadata["generator"] == "geometric" and inst.metadata["seed"] == 1


def test_geometric_integral_data_hits_tightness_exactly() -> None:
    inst = geometric_instance(9, 500, tightness=1.25, capacity_cv=0.5, decimals=0, seed=2)
    assert inst.is_integral
    assert np.all(inst.workload == np.round(inst.workload))
    assert inst.total_capacity == round(1.25 * inst.total_workload)


def test_link_costs_follow_distance() -> None:
    inst = geometric_instance(5, 300, cost_per_km=2.5, hop_cost=7.0, seed=3)
    dist = _distances(inst)
    assert np.allclose(inst.link_cost, 2.5 * dist + 7.0)
    rounded = geometric_instance(5, 300, cost_per_km=2.5, hop_cost=7.0, decimals=0, seed=3)
    order = np.argsort(_distances(rounded), kind="stable")
    assert np.all(np.diff(rounded.link_cost[order]) >= 0)  # monotone in distance
    assert np.all(np.abs(rounded.link_cost - (2.5 * _distances(rounded) + 7.0)) <= 0.5)


def test_k_nearest_links_are_the_k_nearest_hosts() -> None:
    inst = geometric_instance(40, 2000, k=6, seed=4)
    assert np.all(inst.device_degree == 6) and inst.n_links == 12_000
    dense = geometric_instance(40, 2000, seed=4)
    d = dense.dense_costs()
    nearest = np.sort(np.argsort(d, axis=1, kind="stable")[:, :6], axis=1)
    assert np.array_equal(inst.link_host.reshape(-1, 6), nearest)
    assert np.allclose(inst.link_cost, d[inst.link_device, inst.link_host])
    assert np.array_equal(inst.capacity, dense.capacity) and np.array_equal(inst.workload, dense.workload)
    assert geometric_instance(5, 50, k=5, seed=1).is_dense and geometric_instance(5, 50, k=9, seed=1).is_dense


def test_max_distance_drops_long_links() -> None:
    inst = geometric_instance(10, 500, k=4, max_distance=15.0, seed=5)
    assert _distances(inst).max() <= 15.0
    assert inst.device_degree.max() <= 4 and inst.device_degree.min() == 0
    dense = geometric_instance(10, 500, max_distance=15.0, seed=5)
    assert _distances(dense).max() <= 15.0
    full = geometric_instance(10, 500, seed=5)
    assert dense.n_links == int((_distances(full) <= 15.0).sum())


def test_cluster_spread_matches_cluster_std() -> None:
    inst = geometric_instance(3, 20_000, layout="clusters", clusters=1, cluster_std=4.0,
                              region=(1000.0, 1000.0), k=1, seed=6)
    centre = np.array(inst.metadata["cluster_centres"][0])
    offsets = inst.device_xy - centre
    assert np.abs(offsets.mean(axis=0)).max() < 0.1
    assert offsets.std(axis=0) == pytest.approx([4.0, 4.0], rel=0.03)
    uniform = geometric_instance(3, 20_000, region=(1000.0, 1000.0), k=1, seed=6)
    assert uniform.device_xy.std(axis=0) == pytest.approx([1000 / math.sqrt(12)] * 2, rel=0.03)


def test_clustered_instance_places_hosts_and_devices_near_centres() -> None:
    inst = clustered_instance(8, 3000, clusters=4, cluster_std=2.0, k=3, seed=7)
    centres = np.array(inst.metadata["cluster_centres"])
    assert centres.shape == (4, 2) and inst.metadata["layout"] == "clusters"
    to_centre = np.linalg.norm(inst.device_xy[:, None, :] - centres[None, :, :], axis=2).min(axis=1)
    assert to_centre.max() < 6 * 2.0
    host_centre = centres[np.arange(8) % 4]
    assert np.linalg.norm(inst.host_xy - host_centre, axis=1).max() < 6 * 2.0
    # devices are much closer to a centre than uniform points would be
    assert np.median(to_centre) == pytest.approx(2.0 * math.sqrt(2 * math.log(2)), rel=0.1)
    assert inst.name.startswith("clustered-8x3000")


def test_same_seed_same_instance_and_file_different_seed_differs(tmp_path) -> None:
    kwargs = dict(layout="clusters", k=3, workload="lognormal", capacity_cv=0.3, cloud_cv=0.2, seed=42)
    a, b = geometric_instance(7, 300, **kwargs), geometric_instance(7, 300, **kwargs)
    assert a == b and np.array_equal(a.device_xy, b.device_xy) and np.array_equal(a.host_xy, b.host_xy)
    for suffix, fmt in (("a.json", "native"), ("a.authors.json", "authors")):
        hflopt.save_instance(a, tmp_path / suffix, format=fmt)
        hflopt.save_instance(b, tmp_path / ("b" + suffix[1:]), format=fmt)
        assert (tmp_path / suffix).read_bytes() == (tmp_path / ("b" + suffix[1:])).read_bytes()
    c = geometric_instance(7, 300, **{**kwargs, "seed": 43})
    assert c != a and not np.array_equal(c.device_xy, a.device_xy)
    back = hflopt.load_instance(tmp_path / "a.json")
    assert back == a and np.array_equal(back.device_xy, a.device_xy)


def test_streams_keep_positions_when_other_parameters_change() -> None:
    a = geometric_instance(5, 200, tightness=1.2, seed=8)
    b = geometric_instance(5, 200, tightness=3.0, workload="lognormal", seed=8)
    assert np.array_equal(a.device_xy, b.device_xy) and np.array_equal(a.link_cost, b.link_cost)
    assert not np.array_equal(a.workload, b.workload)


def test_seed_is_drawn_and_recorded() -> None:
    inst = geometric_instance(3, 30)
    again = geometric_instance(3, 30, seed=inst.metadata["seed"])
    assert inst == again


def test_parameter_errors_name_the_parameter() -> None:
    with pytest.raises(InstanceError, match="hosts"):
        geometric_instance(0, 10)
    with pytest.raises(InstanceError, match="layout"):
        geometric_instance(2, 10, layout="ring")
    with pytest.raises(InstanceError, match="region"):
        geometric_instance(2, 10, region=(10, -1))
    with pytest.raises(InstanceError, match="k: must be a whole number >= 1"):
        geometric_instance(2, 10, k=0)
    with pytest.raises(InstanceError, match="give k"):
        geometric_instance(20_000, 20_000)  # refused before any work


def test_sparse_build_is_memory_lean_types() -> None:
    inst = geometric_instance(50, 100_000, k=8, seed=9)
    assert inst.n_links == 800_000 and np.all(inst.device_degree == 8)
    assert inst.link_device.dtype == np.int32 and inst.link_host.dtype == np.int32
    assert np.all(np.diff(inst.link_key) > 0)


# --------------------------------------------------------------- from points
def test_great_circle_distances() -> None:
    assert great_circle_km([0, 0], [0, 1]) == pytest.approx(math.radians(1) * EARTH_RADIUS_KM)
    assert great_circle_km([10, 0], [190, 0]) == pytest.approx(math.pi * EARTH_RADIUS_KM)
    # Los Angeles to San Francisco, about 559 km
    assert great_circle_km([-118.2437, 34.0522], [-122.4194, 37.7749]) == pytest.approx(559, abs=3)
    a = np.array([[0.0, 0.0], [1.0, 1.0]])
    mat = great_circle_km(a[:, None], a[None, :])
    assert mat.shape == (2, 2) and mat[0, 0] == 0 and mat[0, 1] == mat[1, 0]


def test_instance_from_points_great_circle_k_nearest_matches_dense() -> None:
    rng = np.random.default_rng(3)
    hosts = np.column_stack([rng.uniform(-118.6, -118.1, 12), rng.uniform(33.9, 34.3, 12)])
    devs = np.column_stack([rng.uniform(-118.6, -118.1, 300), rng.uniform(33.9, 34.3, 300)])
    dense = instance_from_points(hosts, devs, capacity=50, workload=1, metric="great-circle")
    sparse = instance_from_points(hosts, devs, capacity=50, workload=1, metric="great-circle", k=3)
    d = dense.dense_costs()
    assert np.allclose(d, great_circle_km(devs[:, None], hosts[None, :]))
    nearest = np.sort(np.argsort(d, axis=1)[:, :3], axis=1)
    assert np.array_equal(sparse.link_host.reshape(-1, 3), nearest)
    assert np.allclose(sparse.link_cost, d[sparse.link_device, sparse.link_host])
    assert sparse.metadata["coordinates"] == "lonlat"
    near = instance_from_points(hosts, devs, capacity=50, workload=1, metric="great-circle", k=3,
                                max_distance=5.0)
    assert near.link_cost.max() <= 5.0


def test_small_geometric_instance_solves_to_the_brute_force_optimum() -> None:
    inst = geometric_instance(3, 7, tightness=1.2, decimals=0, participation=6 / 7, rounds=2,
                              cloud_cost=20, seed=10)
    best = brute_force(inst)
    res = hflopt.solve(inst, "exact")
    assert res.status.value == "optimal"
    assert res.solution.verify(inst) == pytest.approx(best)
    assert res.objective == pytest.approx(best)


# ------------------------------------------------------------------------ CLI
def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_random_with_authors_flags_is_byte_identical(tmp_path, capsys) -> None:
    args = ["generate", "random", "-e", 4, "-d", 30, "-p", 0.7, "-l", 4, "-C", 60, "-D", 9, "-s", 5]
    code, out, _ = _run([*args, "-o", tmp_path / "a.json", "--to", "authors"], capsys)
    assert code == 0 and "seed 5" in out
    code, _, _ = _run([*args, "-o", tmp_path / "b.json", "--to", "authors"], capsys)
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    obj = json.loads((tmp_path / "a.json").read_text())
    assert obj["seed"] == 5 and len(obj["capacities"]) == 4 and len(obj["workload"]) == 30
    assert obj["local_to_global_ratio"] == 4 and max(obj["capacities"]) <= 60 and max(obj["workload"]) <= 9
    lib = random_instance(4, 30, participation=0.7, rounds=4, max_capacity=60, max_workload=9, seed=5)
    assert hflopt.load_instance(tmp_path / "a.json") == lib
    _run(["generate", "random", "-e", 4, "-d", 30, "-s", 6, "-o", tmp_path / "c.json"], capsys)
    assert (tmp_path / "c.json").read_bytes() != (tmp_path / "a.json").read_bytes()


def test_cli_runtime_capacity(tmp_path, capsys) -> None:
    code, _, _ = _run(["generate", "random", "-e", 5, "-d", 50, "-D", 20, "--runtime-capacity", "-s", 1,
                       "-o", tmp_path / "r.json"], capsys)
    assert code == 0
    assert hflopt.load_instance(tmp_path / "r.json").metadata["max_capacity"] == 2000


@pytest.mark.parametrize("kind", ["geometric", "clustered"])
def test_cli_geometric_every_format_byte_identical(kind: str, tmp_path, capsys) -> None:
    args = ["generate", kind, "--hosts", 5, "--devices", 80, "-k", 3, "--workload", "lognormal",
            "--workload-cv", 0.7, "--tightness", 1.4, "--decimals", 1, "-p", 0.9, "-l", 2, "--seed", 3]
    for out, extra in (("x.json", []), ("x.authors.json", ["--to", "authors"]), ("x-csv", [])):
        _run([*args, "-o", tmp_path / ("1" + out), *extra], capsys)
        code, _, _ = _run([*args, "-o", tmp_path / ("2" + out), *extra], capsys)
        assert code == 0
    assert (tmp_path / "1x.json").read_bytes() == (tmp_path / "2x.json").read_bytes()
    assert (tmp_path / "1x.authors.json").read_bytes() == (tmp_path / "2x.authors.json").read_bytes()
    for table in ("hosts.csv", "devices.csv", "links.csv"):
        assert (tmp_path / "1x-csv" / table).read_bytes() == (tmp_path / "2x-csv" / table).read_bytes()
    inst = hflopt.load_instance(tmp_path / "1x.json")
    assert np.all(inst.device_degree == 3) and inst.min_participants == 72 and inst.rounds_ratio == 2
    assert inst.total_capacity == pytest.approx(1.4 * inst.total_workload, abs=0.1)
    lib = (clustered_instance if kind == "clustered" else geometric_instance)(
        5, 80, k=3, workload="lognormal", workload_cv=0.7, tightness=1.4, decimals=1, participation=0.9,
        rounds=2, seed=3)
    assert inst == lib


def test_cli_generate_bad_parameter_names_the_flag(tmp_path, capsys) -> None:
    code, _, err = _run(["generate", "geometric", "--hosts", 3, "--devices", 10, "--workload-cv", 0.9,
                         "-o", tmp_path / "x.json"], capsys)
    assert code == 2 and "--workload-cv" in err and "Traceback" not in err
    code, _, err = _run(["generate", "clustered", "--hosts", 3, "--devices", 10, "-p", 1.5,
                         "-o", tmp_path / "x.json"], capsys)
    assert code == 2 and "--participation" in err
    code, _, err = _run(["generate", "random", "-e", 3, "-d", 10, "-o", tmp_path / "nope" / "x.json"], capsys)
    assert code == 2 and "does not exist" in err
    assert not list(tmp_path.iterdir())


def test_cli_generate_plot_and_solve_flow(tmp_path, capsys) -> None:
    """The three-command flow: generate (with a map), solve with --plot."""
    pytest.importorskip("matplotlib")
    inst_path, map_path, sol_path = tmp_path / "x.json", tmp_path / "map.png", tmp_path / "sol.png"
    code, out, _ = _run(["generate", "geometric", "--hosts", 3, "--devices", 7, "--decimals", 0,
                         "-p", 0.8, "-s", 2, "-o", inst_path, "--plot", map_path], capsys)
    assert code == 0 and map_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, out, _ = _run(["solve", inst_path, "--plot", sol_path], capsys)
    assert code == 0 and "optimal" in out and sol_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    inst = hflopt.load_instance(inst_path)
    assert hflopt.solve(inst).objective == pytest.approx(brute_force(inst))


def test_solution_class_still_accepts_generated_instances() -> None:
    inst = geometric_instance(2, 4, k=1, seed=1)
    sol = Solution(inst.link_host[inst.link_ptr[:-1]])
    assert sol.cost(inst) == pytest.approx(
        inst.edge_cost[np.unique(sol.host_of)].sum() + inst.link_cost.sum())
