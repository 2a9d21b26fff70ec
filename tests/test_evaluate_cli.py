"""The evaluation on the command line: hflopt evaluate, solve --evaluate / latency limits, reading results."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import run_cli

import hflopt
from hflopt import InstanceError
from hflopt.evaluate.results import read_result, solution_from_result

run = run_cli  # hflopt ARGV in-process -> (status, stdout, stderr)


@pytest.fixture
def city(tmp_path):
    inst = hflopt.geometric_instance(4, 30, tightness=1.6, cloud_cost=30, seed=3)
    path = tmp_path / "city.json"
    hflopt.save(inst, path)
    return inst, path


@pytest.fixture
def solved(city, tmp_path, capsys):
    inst, path = city
    out = tmp_path / "res.json"
    code, _, err = run(capsys, "solve", path, "--method", "greedy", "-o", out, "-q")
    assert code == 0, err
    return inst, path, out


def test_evaluate_prints_both_evaluations_and_writes_outputs(solved, tmp_path, capsys) -> None:
    _inst, path, res = solved
    ev_json, plot, scn = tmp_path / "ev.json", tmp_path / "ev.png", tmp_path / "scn.json"
    code, out, err = run(capsys, "evaluate", path, res, "--simulate", 400, "--seed", 2, "--slo", "30ms",
                         "-o", ev_json, "--plot", plot, "--save-scenario", scn)
    assert code == 0, err
    assert "training traffic per run (S = 1.15 MB" in out and "savings" in out
    assert "hfl (mm1): mean" in out and "flat (mm1): mean" in out and "400 requests" in out
    data = json.loads(ev_json.read_text())
    assert set(data) >= {"comm_cost", "latency", "simulation"}
    assert data["latency"]["hfl"]["slo_ms"] == 30
    assert plot.stat().st_size > 1000
    # the saved scenario, given back, gives the same numbers
    again = tmp_path / "ev2.json"
    code, _, err = run(capsys, "evaluate", path, res, "--scenario", scn, "--simulate", 400, "--seed", 2,
                       "--slo", "30ms", "-o", again)
    assert code == 0, err
    assert json.loads(again.read_text())["latency"] == data["latency"]


def test_solve_evaluate_and_latency_limits(city, tmp_path, capsys) -> None:
    inst, path = city
    out = tmp_path / "r.json"
    code, text, err = run(capsys, "solve", path, "--method", "exact", "--evaluate", "--max-utilization", 0.8,
                          "--latency-slo", "0.5s", "--queue", "md1", "-o", out)
    assert code == 0, err
    assert "inference latency (md1, analytical)" in text
    data = json.loads(out.read_text())
    assert data["evaluation"]["comm_cost"]["params"]["rounds_ratio"] == inst.rounds_ratio
    for host in data["edge_hosts"]:
        j = inst.host_ids.index(str(host["id"]))
        limit = min(0.8 * inst.capacity[j], inst.capacity[j] - 1 / 0.5)
        assert host["used_capacity"] <= limit + 1e-9
    assert data["evaluation"]["latency"]["hfl"]["overloaded"] == []


@pytest.mark.parametrize(("argv", "message"), [
    (["--latency-slo", "20parsec"], "latency_slo: unknown unit 'parsec'"),
    (["--max-utilization", "1.5"], "max_utilization: must be a number in (0, 1]"),
    (["--link-latency-limit", "5ms"], "needs a scenario"),
    (["--evaluate", "--simulate", "0"], "--simulate: must be a whole number >= 1"),
    (["--evaluate", "--slo", "fast"], "--slo: must be a duration"),
    (["--simulate", "100"], "--simulate: needs --evaluate"),
])
def test_solve_bad_latency_options_exit_2_nothing_written(city, tmp_path, capsys, argv, message) -> None:
    _, path = city
    out = tmp_path / "r.json"
    code, text, err = run(capsys, "solve", path, "-o", out, *argv)
    assert code == 2 and message in err and err.count("\n") == 1
    assert not out.exists() and text == ""


def test_evaluate_rejects_a_result_of_another_instance(solved, tmp_path, capsys) -> None:
    _inst, _path, res = solved
    other = tmp_path / "other.json"
    hflopt.save(hflopt.geometric_instance(4, 20, seed=9), other)
    out = tmp_path / "ev.json"
    code, _, err = run(capsys, "evaluate", other, res, "-o", out)
    assert code == 2 and str(res) in err and "not a result of this instance" in err and err.count("\n") == 1
    assert not out.exists()


def test_evaluate_rejects_negative_rates_in_the_scenario(solved, tmp_path, capsys) -> None:
    inst, path, res = solved
    scn = tmp_path / "scn.json"
    scn.write_text(json.dumps({"format": "hflopt-scenario", "devices": {"request_rate": [-1] * inst.n_devices}}))
    out = tmp_path / "ev.json"
    code, _, err = run(capsys, "evaluate", path, res, "--scenario", scn, "-o", out)
    assert code == 2 and err.strip() == (f"hflopt: {scn}: devices.request_rate[0]: must be a finite number >= 0 "
                                         "(got -1.0)")
    assert not out.exists()


def test_result_reader_checks(solved) -> None:
    inst, _, res = solved
    data = json.loads(res.read_text())
    sol = read_result(res, inst)
    assert sol.cost(inst) == pytest.approx(data["objective"])
    dup = json.loads(json.dumps(data))
    dup["edge_hosts"][0]["associated_devices"].append(dup["edge_hosts"][-1]["associated_devices"][0])
    dup["objective"] = None
    with pytest.raises(InstanceError, match="assigned to two hosts"):
        solution_from_result(dup, inst, "r.json")
    wrong = {**data, "objective": data["objective"] + 1}
    with pytest.raises(InstanceError, match=r"objective: is .* in the result but .* on this instance"):
        solution_from_result(wrong, inst, "r.json")
    with pytest.raises(InstanceError, match=r"edge_hosts\[0\].id: is not a host"):
        solution_from_result({"edge_hosts": [{"id": "nowhere", "associated_devices": []}]}, inst, "r.json")
    with pytest.raises(InstanceError, match="no 'edge_hosts' list"):
        solution_from_result({"status": "optimal"}, inst, "r.json")
    authors = {"edge_hosts": [{"id": h, "associated_devices": [str(i) for i in np.flatnonzero(sol.host_of == j)]}
                              for j, h in enumerate(inst.host_ids) if (sol.host_of == j).any()]}
    assert np.array_equal(solution_from_result(authors, inst).host_of, sol.host_of)


def test_generate_writes_the_latency_scenario_of_its_coordinates(tmp_path, capsys) -> None:
    inst_path, scn_path = tmp_path / "city.json", tmp_path / "city.scn.json"
    code, out, err = run(capsys, "generate", "geometric", "--hosts", "5", "--devices", "40", "-k", "3", "-s", "4",
                         "-o", inst_path, "--scenario", scn_path)
    assert code == 0, err
    assert "latency scenario written" in out
    from hflopt.evaluate import ScenarioParams, load_scenario, scenario_from_instance

    inst = hflopt.load(inst_path)
    written = load_scenario(scn_path, inst)
    again = scenario_from_instance(inst, ScenarioParams(seed=4))  # seeded like the instance
    assert np.allclose(written.link_latency_ms, again.link_latency_ms)
    assert np.allclose(written.request_rate, inst.workload)
    assert (written.link_latency_ms >= 0.8).all()  # every link includes the access draw, U(0.8, 10) ms
    code, _, err = run(capsys, "generate", "random", "-e", "2", "-d", "5", "-s", "1", "-o", tmp_path / "r.json",
                       "--scenario", tmp_path)
    assert code == 2 and "is a folder" in err
    assert not (tmp_path / "r.json").exists()
