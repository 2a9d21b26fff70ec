"""The command line: summaries, result files, exit codes, one-line errors."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import DATA, HOLMBERG, holmberg_optima, need, run_cli

import hflopt
from hflopt.cli import main
from hflopt.solution import Result, Status


@pytest.fixture
def small(tmp_path, tiny):
    path = tmp_path / "tiny.json"
    hflopt.save(tiny, path, format="authors")
    return path


run = run_cli  # hflopt ARGV in-process -> (status, stdout, stderr)


def test_solve_prints_summary_and_writes_result(capsys, small, tmp_path, tiny):
    out_path = tmp_path / "res.json"
    code, out, err = run(capsys, "solve", small, "-o", out_path)
    assert code == 0, err
    assert "status        optimal" in out and "open hosts" in out
    res = json.loads(out_path.read_text())
    for key in ("status", "objective", "bound", "gap", "method", "solve_seconds", "edge_hosts"):
        assert key in res
    assert res["status"] == "optimal" and res["gap"] == 0
    # ids are positions for the authors' format; the hosts listed match a verified solution
    host_of = np.full(tiny.n_devices, -1)
    for h in res["edge_hosts"]:
        assert set(h) >= {"id", "associated_devices", "used_capacity", "available_capacity"}
        host_of[h["associated_devices"]] = h["id"]
    assert hflopt.Solution(host_of).verify(tiny) == res["objective"]


def test_solve_holmberg_file(capsys):
    path = need(HOLMBERG) / "p1"
    code, out, _ = run(capsys, "solve", path)
    assert code == 0
    assert f"objective     {holmberg_optima()['p1']:.0f}" in out


@pytest.mark.parametrize("name", ["authors_negative_capacity.json", "invalid_json.json", "empty.txt",
                                  "csv_unknown_device", "sscflp_truncated.txt"])
def test_bad_input_one_line_exit_2_nothing_written(capsys, tmp_path, name):
    out_path = tmp_path / "res.json"
    code, _, err = run(capsys, "solve", DATA / "bad" / name, "-o", out_path)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("hflopt: ") and str(DATA / "bad" / name) in err
    assert "Traceback" not in err
    assert not out_path.exists() and list(tmp_path.iterdir()) == []


def test_missing_file_and_output_folder(capsys, small, tmp_path):
    code, _, err = run(capsys, "solve", tmp_path / "nope.json")
    assert code == 2 and "no such file" in err
    code, _, err = run(capsys, "solve", small, "-o", tmp_path / "no" / "dir" / "r.json")
    assert code == 2 and "does not exist" in err


def test_usage_errors_exit_2(capsys, small):
    with pytest.raises(SystemExit) as info:
        main(["solve", str(small), "--time-limit", "-3"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["solve", str(small), "--variant", "weak"])
    assert info.value.code == 2
    code, _, err = run(capsys, "solve", small, "--solver", "no_such_solver")
    assert code == 2 and "not installed" in err


def test_infeasible_exit_3(capsys, tmp_path):
    inst = hflopt.Instance.from_dense([3, 3], [1, 1], [5, 5, 1], np.zeros((3, 2)))
    path = tmp_path / "inf.json"
    hflopt.save(inst, path)
    out_path = tmp_path / "r.json"
    code, out, _ = run(capsys, "solve", path, "-o", out_path)
    assert code == 3
    assert "infeasible" in out and "only 1 of 3 devices can be served" in out
    assert json.loads(out_path.read_text())["status"] == "infeasible"


@pytest.mark.parametrize(("status", "code"), [(Status.NO_SOLUTION, 4), (Status.ERROR, 1),
                                              (Status.TIME_LIMIT, 0), (Status.FEASIBLE, 0)])
def test_exit_code_per_status(capsys, small, tiny, monkeypatch, status, code):
    from hflopt import solvers

    def fake(instance, options, params):
        sol = hflopt.Solution([0, 1, 2, 1, -1, 2]) if status in (Status.TIME_LIMIT, Status.FEASIBLE) else None
        return Result(status, sol, sol.cost(instance) if sol else None, None, "fake", instance=instance,
                      message="made up")

    monkeypatch.setitem(solvers.METHODS, "exact", dataclasses.replace(solvers.METHODS["exact"], run=fake))
    got, out, _ = run(capsys, "solve", small, "-m", "exact")
    assert got == code
    assert status.value in out


def test_info(capsys, small):
    code, out, _ = run(capsys, "info", small)
    assert code == 0
    assert "hosts" in out and "capacity / workload" in out
    code, out, _ = run(capsys, "info", small, "--json")
    assert code == 0
    info = json.loads(out)
    assert info["hosts"] == 3 and info["devices"] == 6 and info["format"] == "authors"


def test_info_names_the_sscflp_layout_and_solve_reads_it(capsys, tmp_path):
    path = tmp_path / "cap_tiny.txt"  # OR-Library layout: demand, then the J costs
    path.write_text("2 4\n10 1\n20 2\n4\n 1 2\n5\n 3 4\n6\n 5 6\n7\n 7 8\n")
    code, out, _ = run(capsys, "info", path, "--json")
    assert code == 0 and json.loads(out)["format"] == "sscflp (orlib layout)"
    code, out, _ = run(capsys, "info", path, "--format", "holmberg", "--json")
    assert code == 0 and json.loads(out)["format"] == "holmberg (holmberg layout)"
    code, out, _ = run(capsys, "solve", path, "-m", "exact")
    # workloads 4+5+6+7 = 22 exceed either host: both open (1 + 2), devices 0 and 1
    # on host 0 (load 9 <= 10, costs 1 + 3), 2 and 3 on host 1 (costs 6 + 8): 21
    assert code == 0 and "objective     21" in out


def test_convert_round_trip_and_refusal(capsys, small, tmp_path, tiny):
    native = tmp_path / "t.json"
    code, out, _ = run(capsys, "convert", small, native)
    assert code == 0 and "native" in out
    assert hflopt.load(native) == tiny
    folder = tmp_path / "tables"
    assert run(capsys, "convert", native, folder)[0] == 0
    assert hflopt.load(folder) == tiny
    code, _, err = run(capsys, "convert", native, tmp_path / "t.txt")
    assert code == 2 and "p = 1" in err
    assert not (tmp_path / "t.txt").exists()


@pytest.mark.parametrize("method", ["auto", "exact", "lagrangian"])
def test_console_entry_point_prints_nothing_when_quiet(small, method):
    # nothing on stdout, not even HiGHS's banner (printed by the first Highs() of a process)
    proc = subprocess.run([sys.executable, "-m", "hflopt", "solve", str(small), "-q",
                           "--method", method], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == ""


def test_console_entry_point(small):
    proc = subprocess.run([sys.executable, "-m", "hflopt", "solve", str(DATA / "bad" / "empty.txt")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_solver_options_reach_highs_and_bad_ones_exit_2(capsys, small, monkeypatch):
    import hflopt.solvers.exact_lp as ex

    seen: list[dict] = []
    real = ex.new_highs

    def recording(**kw):
        seen.append(dict(kw.get("options") or {}))
        return real(**kw)

    monkeypatch.setattr(ex, "new_highs", recording)
    import hflopt.solvers.highs_direct as hd
    monkeypatch.setattr(hd, "new_highs", recording)
    for method in ("exact", "auto"):
        seen.clear()
        code, out, _ = run(capsys, "solve", small, "-m", method,
                           "--solver-option", "mip_heuristic_run_rins=true",
                           "--solver-option", "random_seed=7")
        assert code == 0 and "optimal" in out
        # typed values under HiGHS's own names, checked before any work (their use in
        # branch-and-bound: test_exact.py::test_solver_options_reach_branch_and_bound)
        assert {"mip_heuristic_run_rins": True, "random_seed": 7}.items() <= seen[0].items()
    code, _, err = run(capsys, "solve", small, "-m", "auto", "--solver-option", "mip_bogus=1")
    assert code == 2 and "HiGHS has no option 'mip_bogus'" in err
    code, _, err = run(capsys, "solve", small, "-m", "exact", "--solver-option", "mip_rel_gap=-1")
    assert code == 2 and "HiGHS rejected option mip_rel_gap=-1" in err
    code, _, err = run(capsys, "solve", small, "--solver-option", "mip_heuristic_run_rins=2")
    assert code == 2 and "takes true or false, got 2" in err
    code, _, err = run(capsys, "solve", small, "-m", "greedy", "--solver-option", "a=1")
    assert code == 2 and "--solver-option does not apply to method 'greedy'" in err
    with pytest.raises(SystemExit) as info:
        main(["solve", str(small), "--solver-option", "no_value"])
    assert info.value.code == 2
    assert "expected KEY=VALUE" in capsys.readouterr().err
