"""The Cornuejols-Sridharan-Thizy generator: its distributions, its reproducibility, and proofs on it."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import brute_force, run_cli

import hflopt
from hflopt.cflp import cflp_instance


def test_distributions_follow_the_paper():
    inst = cflp_instance(60, 400, ratio=5, seed=3)
    assert (inst.n_hosts, inst.n_devices, inst.n_links) == (60, 400, 24_000)
    assert inst.min_participants == 400 and inst.rounds_ratio == 1  # every customer is served
    assert np.all((inst.workload >= 5) & (inst.workload <= 35)) and np.all(inst.workload == np.round(inst.workload))
    assert inst.workload.std() > 5  # uniform over 5..35, not a constant
    assert inst.total_capacity / inst.workload.sum() == pytest.approx(5, rel=0.01)
    assert np.all(inst.capacity == np.floor(inst.capacity)) and inst.capacity.min() >= 1
    # c_ij = 10 * distance * demand
    i, j = inst.link_device, inst.link_host
    dist = np.linalg.norm(inst.device_xy[i] - inst.host_xy[j], axis=1)
    np.testing.assert_allclose(inst.link_cost, 10 * dist * inst.workload[i])
    # f_j = U{0..90} + U{100..110} sqrt(s_j), s_j ~ U{10..160} as drawn (before scaling to the ratio)
    assert np.all(inst.edge_cost >= 100 * np.sqrt(10)) and np.all(inst.edge_cost <= 90 + 110 * np.sqrt(160))
    assert np.corrcoef(inst.edge_cost, np.sqrt(inst.capacity))[0, 1] > 0.9  # economies of scale


def test_same_seed_same_instance_and_fixed_factor_only_scales_fixed_costs():
    a, b = cflp_instance(5, 30, seed=7), cflp_instance(5, 30, seed=7)
    np.testing.assert_array_equal(a.link_cost, b.link_cost)
    np.testing.assert_array_equal(a.edge_cost, b.edge_cost)
    assert not np.array_equal(a.link_cost, cflp_instance(5, 30, seed=8).link_cost)
    heavy = cflp_instance(5, 30, seed=7, fixed_factor=10)
    np.testing.assert_allclose(heavy.edge_cost, 10 * a.edge_cost)
    np.testing.assert_array_equal(heavy.link_cost, a.link_cost)
    assert cflp_instance(5, 30).metadata["seed"] is not None  # drawn and recorded


@pytest.mark.parametrize("seed", range(4))
def test_exact_proves_the_brute_force_optimum(seed):
    inst = cflp_instance(4, 8, ratio=2.5, seed=seed, decimals=0)
    best = brute_force(inst)
    res = hflopt.solve(inst, "exact", gap=0)
    if best is None:
        assert res.status.value == "infeasible"
        return
    assert res.status.value == "optimal" and res.objective == pytest.approx(best)
    assert res.solution.verify(inst) == pytest.approx(best)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"facilities": 0, "customers": 3}, "facilities"), ({"facilities": 2, "customers": 3, "ratio": 0}, "ratio"),
    ({"facilities": 2, "customers": 3, "fixed_factor": -1}, "fixed_factor"),
    ({"facilities": 2, "customers": 3, "seed": -2}, "seed"),
])
def test_bad_parameters_name_the_parameter(kwargs, field):
    with pytest.raises(hflopt.InstanceError) as info:
        cflp_instance(**kwargs)
    assert info.value.field == field


def test_cli_writes_the_same_instance(tmp_path, capsys):
    out = tmp_path / "cflp.json"
    code, text, err = run_cli(capsys, "generate", "cflp", "-m", "6", "-n", "40", "--ratio", "3", "-s", "2",
                              "-o", out)
    assert code == 0, err
    assert "6 hosts, 40 devices, 240 links, T = 40" in text
    loaded = hflopt.load(out)
    np.testing.assert_allclose(loaded.link_cost, cflp_instance(6, 40, ratio=3, seed=2).link_cost)
    with pytest.raises(SystemExit) as stop:
        run_cli(capsys, "generate", "cflp", "-m", "6", "-n", "40", "--ratio", "0", "-o", tmp_path / "x.json")
    assert stop.value.code == 2 and "--ratio" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()
