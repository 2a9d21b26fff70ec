"""``hflopt replan`` on the command line: outputs, policies side by side, bad input (exit 2, nothing written)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

import hflopt
from hflopt.cli import main
from hflopt.replanning import daily_profile, read_workloads, save_workloads

run = run_cli  # hflopt ARGV in-process -> (status, stdout, stderr)


@pytest.fixture
def city(tmp_path):
    inst = hflopt.geometric_instance(5, 40, k=3, tightness=1.8, seed=4)
    path = tmp_path / "city.json"
    hflopt.save(inst, path)
    return inst, path


def test_replan_prints_a_table_per_policy_and_writes_every_output(city, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    inst, path = city
    out, plot, work = tmp_path / "plans.json", tmp_path / "day.png", tmp_path / "day.csv"
    code, text, err = run(capsys, "replan", "daily:periods=6,seed=2", "--instance", path, "--policy",
                          "static,stable,horizon", "-m", "exact", "--migration-cost", "10", "-o", out, "--plot", plot,
                          "--save-workloads", work)
    assert code == 0, err
    assert "## static" in text and "## stable" in text and "policies side by side" in text
    assert "period" in text and "migr." in text
    assert "stable: period 00:00 (1/6)" in err  # progress on stderr
    data = json.loads(out.read_text())
    assert set(data["policies"]) == {"static", "stable", "horizon"}
    stable = data["policies"]["stable"]
    assert stable["costs"]["migration"] == 10 and len(stable["periods"]) == 6 and len(stable["plans"]) == 6
    assert set(stable["plans"][0]) == set(inst.device_ids)
    assert plot.read_bytes()[:4] == b"\x89PNG"
    w = read_workloads(work)
    assert w.n_periods == 6 and w.device_ids == inst.device_ids
    horizon = data["policies"]["horizon"]["summary"]
    assert horizon["total_cost"] <= stable["summary"]["total_cost"] + 1e-6


def test_replan_reads_a_workloads_csv_and_writes_rows_as_csv(city, tmp_path, capsys):
    inst, path = city
    work = daily_profile(inst, periods=3, seed=5)
    csv_in, csv_out = tmp_path / "w.csv", tmp_path / "rows.csv"
    save_workloads(work, csv_in)
    code, _, err = run(capsys, "replan", csv_in, "--instance", path, "--policy", "myopic,robust", "-m", "exact",
                       "-o", csv_out, "-q", "--no-latency")
    assert code == 0, err
    rows = pd.read_csv(csv_out)
    assert list(rows["policy"].unique()) == ["myopic", "robust"] and len(rows) == 6
    assert rows["latency_mean_ms"].isna().all()


def test_an_initial_plan_from_a_solve_result(city, tmp_path, capsys):
    _inst, path = city
    res = tmp_path / "now.json"
    assert run(capsys, "solve", path, "-m", "exact", "-o", res, "-q")[0] == 0
    code, text, err = run(capsys, "replan", "daily:periods=2", "--instance", path, "--initial", res,
                          "--migration-cost", "5", "-m", "exact")
    assert code == 0, err
    assert "migrations" in text


def test_readings_on_the_command_line(city, tmp_path, capsys):
    inst, path = city
    idx = pd.date_range("2012-03-01", periods=2 * 96, freq="15min")
    speeds = pd.DataFrame({d: 60 - 30 * np.exp(-0.5 * ((idx.hour - 8) / 1.5) ** 2) for d in inst.device_ids},
                          index=idx)
    readings = tmp_path / "speeds.csv"
    speeds.to_csv(readings, index_label="timestamp")
    code, text, err = run(capsys, "replan", readings, "--readings", "--period", "2h", "--instance", path,
                          "-m", "greedy", "--no-latency")
    assert code == 0, err
    assert "12 periods" in text


@pytest.mark.parametrize(("argv", "match"), [
    (["daily", "--policy", "greedy"], "--policy"),
    (["daily:periods=0"], "periods"),
    (["daily:speed=3"], "KEY=VALUE"),
    (["daily", "--method", "fastest"], "--method"),
    (["missing.csv"], "missing.csv"),
    (["daily", "-o", "plans.txt"], "must end in .json or .csv"),
    (["daily", "--plot", "day.xyz"], "unsupported image type"),
    (["daily", "--gap", "5"], "--gap"),
    (["daily:seed=-1"], "WORKLOADS seed"),
    (["daily:periods=6,periods=7"], "given twice"),
    (["daily:amplitude=0:1e300"], "WORKLOADS amplitude"),
    (["daily", "--period", "2h"], "only applies with --readings"),
    (["daily", "--policy", "all,static"], "stands alone"),
])
def test_bad_input_is_one_line_and_exit_2_before_any_work(city, tmp_path, capsys, monkeypatch, argv, match):
    _, path = city
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "replan", *argv, "--instance", path)
    assert code == 2, (out, err)
    assert match in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "plans.txt").exists() and not (tmp_path / "day.xyz").exists()


def test_a_bad_workloads_file_names_the_file_and_leaves_outputs_alone(city, tmp_path, capsys):
    inst, path = city
    bad = tmp_path / "bad.csv"
    bad.write_text("period," + ",".join(inst.device_ids) + "\n08:00," + ",".join(["1"] * (inst.n_devices - 1))
                   + ",-4\n")
    out = tmp_path / "plans.json"
    out.write_text("precious")
    code, _, err = run(capsys, "replan", bad, "--instance", path, "-o", out)
    assert code == 2 and str(bad) in err and "-4" in err
    assert out.read_text() == "precious"
    other = tmp_path / "other.csv"
    save_workloads(daily_profile(hflopt.geometric_instance(2, 7, seed=1), periods=2), other)
    code, _, err = run(capsys, "replan", other, "--instance", path)
    assert code == 2 and "no column for device" in err and str(other) in err


def test_planning_at_a_utilisation_cap(city, tmp_path, capsys):
    _, path = city
    out = tmp_path / "rows.csv"
    code, _, err = run(capsys, "replan", "daily:periods=4", "--instance", path, "--policy", "myopic", "-m", "exact",
                       "--max-utilization", "0.75", "-o", out, "-q")
    assert code == 0, err
    assert (pd.read_csv(out)["max_utilization"] <= 0.75 + 1e-9).all()
    code, _, err = run(capsys, "replan", "daily", "--instance", path, "--max-utilization", "1.5")
    assert code == 2 and "--max-utilization" in err


def test_help_names_every_policy_without_loading_them(capsys):
    from hflopt.replanning.policies import POLICIES

    with pytest.raises(SystemExit) as stop:
        main(["replan", "--help"])
    assert stop.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    assert all(name in text for name in POLICIES) and "or all" in text


def test_ctrl_c_keeps_the_periods_planned_and_skips_the_other_policies(tmp_path):
    import signal
    import subprocess
    import sys

    from conftest import sigint_as_default

    path, out = tmp_path / "city.json", tmp_path / "plans.json"
    hflopt.save(hflopt.geometric_instance(12, 300, k=4, tightness=1.5, seed=2), path)
    proc = subprocess.Popen([sys.executable, "-m", "hflopt", "replan", "daily:periods=96", "-i", str(path),
                             "--policy", "myopic,stable", "-m", "exact", "--no-latency", "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=sigint_as_default)
    seen = []
    for line in proc.stderr:  # progress: one line per period
        seen.append(line)
        if "myopic: period" in line and "(3/96)" in line:
            proc.send_signal(signal.SIGINT)
            break
    rest_out, rest_err = proc.communicate(timeout=60)
    err = "".join(seen) + rest_err
    assert proc.returncode == 130, err
    assert "skipped stable" in err and "interrupted before period" in rest_out
    data = json.loads(out.read_text())
    assert list(data["policies"]) == ["myopic"]
    statuses = [row["status"] for row in data["policies"]["myopic"]["periods"]]
    assert len(statuses) == 96 and statuses[0] == "optimal" and statuses[-1] == "interrupted"


@pytest.mark.parametrize("clash", ["instance", "workloads", "link", "twice"])
def test_outputs_never_overwrite_an_input_or_each_other(city, tmp_path, capsys, clash):
    inst, path = city
    work = tmp_path / "w.csv"
    save_workloads(daily_profile(inst, periods=3), work)
    link = tmp_path / "link.json"
    link.symlink_to(path)
    before = {p: p.read_bytes() for p in (path, work)}
    argv = {"instance": ["-o", path], "workloads": ["-o", work], "link": ["--save-workloads", link],
            "twice": ["-o", tmp_path / "same.csv", "--save-workloads", tmp_path / "same.csv"]}[clash]
    code, _, err = run(capsys, "replan", work, "--instance", path, "--no-latency", *argv)
    assert code == 2 and ("is the input" in err or "is also" in err), err
    assert {p: p.read_bytes() for p in (path, work)} == before
    assert not (tmp_path / "same.csv").exists()


def test_solve_and_evaluate_refuse_to_overwrite_their_inputs(city, tmp_path, capsys):
    _, path = city
    before = path.read_bytes()
    code, _, err = run(capsys, "solve", path, "-o", path)
    assert code == 2 and "is the input FILE" in err and path.read_bytes() == before
    result = tmp_path / "r.json"
    assert run(capsys, "solve", path, "-o", result, "-q")[0] == 0
    kept = result.read_bytes()
    code, _, err = run(capsys, "evaluate", path, result, "-o", result)
    assert code == 2 and "is the input RESULT" in err and result.read_bytes() == kept
    code, _, err = run(capsys, "convert", path, path, "--to", "authors")
    assert code == 2 and "is the input IN" in err and path.read_bytes() == before


def test_a_scenario_with_a_text_latency_is_bad_input(city, tmp_path, capsys):
    inst, path = city
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps({"links": {"device": [inst.device_ids[inst.link_device[0]]],
                                              "host": [inst.host_ids[inst.link_host[0]]], "latency_ms": ["abc"]}}))
    code, _, err = run(capsys, "replan", "daily:periods=2", "--instance", path, "--scenario", scenario)
    assert code == 2 and "links.latency_ms[0]" in err and "abc" in err and str(scenario) in err
