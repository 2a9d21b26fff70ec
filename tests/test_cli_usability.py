"""Command-line fixes found by trying hflopt as a new user (issue 23, section 4)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import ROOT, run_cli

import hflopt
from hflopt import cli
from hflopt.cli import main
from hflopt.solution import Result, Status

run = run_cli  # hflopt ARGV in-process -> (status, stdout, stderr)


@pytest.fixture
def small(tmp_path, tiny):
    path = tmp_path / "tiny.json"
    hflopt.save(tiny, path)
    return path


# ------------------------------------------------------------------ progress
def _slow_method(reports):
    """A registered method that reports once, then stays silent (as HiGHS's presolve does), then returns."""
    from hflopt.solvers import Method

    def run(instance, options, params):
        from hflopt.solvers import Progress

        if options.progress is not None:
            for elapsed, inc, bound in reports:
                options.progress(Progress(elapsed, inc, bound, "fake"))
        time.sleep(1.3)
        sol = hflopt.Solution([0, 1, 2, 1, -1, 2])
        return Result(Status.FEASIBLE, sol, sol.cost(instance), None, "fake", instance=instance)

    return Method("greedy", run, "a slow fake", options=frozenset({"time_limit", "gap", "seed", "progress"}))


def test_progress_into_a_pipe_has_a_heartbeat_and_rounded_bounds(capsys, small, monkeypatch):
    from hflopt import solvers

    monkeypatch.setattr(cli._ProgressLine, "LOG_SECONDS", 0.25)
    monkeypatch.setitem(solvers.METHODS, "greedy", _slow_method([(0.0, 19.0, 18.5499999997)]))
    code, _, err = run(capsys, "solve", small, "-m", "greedy", "--progress")
    assert code == 0
    lines = [line for line in err.splitlines() if line.startswith("hflopt: ")]
    # one line for the report, then the heartbeat keeps the promise while the method is silent
    assert len(lines) >= 4, err
    assert all("best 19  bound 18  gap" in line for line in lines)
    assert "18.5" not in err


def test_progress_numbers_round_the_bound_down_like_the_objective():
    assert cli._progress_numbers(19.0, 18.5499999997) == ("19", "18")
    assert cli._progress_numbers(1234.5, 1200.123456) == ("1234.5", "1200.1")
    assert cli._progress_numbers(None, 18.5499999997) == ("-", "18.55")
    assert cli._progress_numbers(7.25, None) == ("7.25", "-")


# ----------------------------------------------------------------------- gap
@pytest.mark.parametrize(("text", "value"), [("0.05", 0.05), ("5%", 0.05), ("0", 0.0), ("100%", 1.0), ("1", 1.0)])
def test_gap_takes_a_fraction_or_a_percentage(capsys, small, monkeypatch, text, value):
    import dataclasses

    from hflopt import solvers

    seen = {}
    real = solvers.METHODS["exact"]

    def spy(instance, options, params):
        seen["gap"] = options.gap
        return real.run(instance, options, params)

    monkeypatch.setitem(solvers.METHODS, "exact", dataclasses.replace(real, run=spy))
    code, _, _ = run(capsys, "solve", small, "-m", "exact", "--gap", text)
    assert code == 0 and seen["gap"] == pytest.approx(value)


@pytest.mark.parametrize("text", ["5", "1.5", "150%", "-1%", "x", "nan"])
def test_gap_above_one_without_percent_is_refused(capsys, small, text):
    with pytest.raises(SystemExit) as info:
        main(["solve", str(small), "--gap", text])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "--gap" in err
    if text == "5":
        assert "500%" in err and "0.05" in err and "5%" in err


# -------------------------------------------------------- method and summary
def test_method_pyomo_reports_pyomo(capsys, small):
    code, out, _ = run(capsys, "solve", small, "-m", "pyomo")
    assert code == 0 and "method        pyomo via highs" in out
    assert hflopt.solve(hflopt.load(small), "pyomo").method == "pyomo"


def test_uncapacitated_is_flagged_in_the_summary(capsys, small):
    code, out, _ = run(capsys, "solve", small, "--uncapacitated")
    assert code == 0 and "capacities    IGNORED (uncapacitated)" in out
    code, out, _ = run(capsys, "solve", small)
    assert code == 0 and "IGNORED" not in out


def _many_hosts(m: int = 25) -> hflopt.Instance:
    """m hosts, each the only host of its own device: every host opens."""
    costs = np.full((m, m), np.inf)
    np.fill_diagonal(costs, 1.0)
    return hflopt.Instance.from_dense(np.full(m, 5.0), np.ones(m), np.ones(m), costs, name="many")


def test_host_table_lists_20_hosts_unless_all_hosts(capsys, tmp_path):
    path = tmp_path / "many.json"
    hflopt.save(_many_hosts(), path)
    code, out, _ = run(capsys, "solve", path, "-m", "greedy")
    assert code == 0
    assert "... and 5 more open hosts" in out and "--all-hosts" in out
    code, out, _ = run(capsys, "solve", path, "-m", "greedy", "--all-hosts")
    assert code == 0 and "more open hosts" not in out
    rows = [line for line in out.splitlines() if line[:1].isdigit() and " / " in line]
    assert len(rows) == 25


# ------------------------------------------------------------------- outputs
def test_output_csv_is_a_table_of_the_assignment(capsys, small, tmp_path, tiny):
    out_path = tmp_path / "r.csv"
    code, out, _ = run(capsys, "solve", small, "-o", out_path)
    assert code == 0 and "assignment table written" in out
    rows = list(csv.DictReader(out_path.open()))
    assert [r["device"] for r in rows] == list(tiny.device_ids)
    host_of = [tiny.host_ids.index(r["host"]) if r["host"] else -1 for r in rows]
    objective = float(out.split("objective")[1].split()[0])
    assert hflopt.Solution(host_of).verify(tiny) == pytest.approx(objective)
    assert all(float(r["workload"]) == w for r, w in zip(rows, tiny.workload, strict=True))


def test_output_of_another_type_is_refused_before_solving(capsys, small, tmp_path, monkeypatch):
    import hflopt.solvers

    monkeypatch.setattr(hflopt.solvers, "solve", lambda *a, **k: pytest.fail("solved"))
    code, _, err = run(capsys, "solve", small, "-o", tmp_path / "r.txt")
    assert code == 2 and ".json" in err and ".csv" in err and err.count("\n") == 1
    assert not (tmp_path / "r.txt").exists()


# ---------------------------------------------------------------- messages
def test_help_has_examples(capsys):
    for argv in (["--help"], ["solve", "--help"], ["bench", "--help"], ["generate", "--help"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 0
        out = capsys.readouterr().out
        assert "examples:" in out and "hflopt " in out.split("examples:")[1]
    with pytest.raises(SystemExit):
        main(["solve", "--help"])
    out = capsys.readouterr().out
    for name in ("auto", "exact", "greedy", "lagrangian", "strong", "bigm"):
        assert name in out  # methods and variants are named although the parser loads no solver


def test_missing_solver_message_uses_command_line_syntax(capsys, small):
    code, _, err = run(capsys, "solve", small, "--solver", "no_such_solver")
    assert code == 2 and "--solver highs" in err and "solver='highs'" not in err


def test_unrecognised_files_get_a_hint(capsys, tmp_path):
    subset = tmp_path / "clusters.dat"
    subset.write_text("771667        16  34.07314 -118.23388  POINT (-13161735.316 4038627.174)        0\n")
    locations = tmp_path / "sensors.csv"
    locations.write_text("index,sensor_id,latitude,longitude\n0,773869,34.15497,-118.31829\n")
    table = tmp_path / "hosts.csv"
    table.write_text("id,capacity,cloud_cost\nh0,5,1\n")
    result = tmp_path / "result.json"
    result.write_text(json.dumps({"format": "hflopt-result", "status": "optimal"}))
    expected = {subset: "hflopt generate metr-la-study", locations: "hflopt generate metr-la",
                table: "give the folder that holds hosts.csv", result: "hflopt evaluate"}
    for path, hint in expected.items():
        code, _, err = run(capsys, "info", path)
        assert code == 2 and hint in err and err.count("\n") == 1, err
    other = tmp_path / "notes.txt"
    other.write_text("hello\n")
    code, _, err = run(capsys, "info", other)
    assert code == 2 and "give one with --format" in err


# ------------------------------------------------------------------- start-up
_LOADED = """
import sys
from hflopt.cli import main
code = main(sys.argv[1:])
heavy = sorted(m for m in ("numpy", "pandas", "hflopt.solvers", "highspy", "pyomo", "matplotlib")
               if m in sys.modules)
print("LOADED", ",".join(heavy), file=sys.stderr)
sys.exit(code)
"""


def _loaded(*argv: str) -> tuple[str, list[str]]:
    proc = subprocess.run([sys.executable, "-c", _LOADED, *argv], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    loaded = proc.stderr.rsplit("LOADED", 1)[1].split()
    return proc.stdout, loaded[0].split(",") if loaded else []


def test_version_and_help_load_no_heavy_module():
    out, loaded = _loaded("--version")
    assert out.startswith("hflopt ") and loaded == []
    code = ("import sys, hflopt; from hflopt.cli import build_parser; build_parser(); "
            "print([m for m in ('numpy', 'pandas', 'hflopt.solvers') if m in sys.modules])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip() == "[]"


def test_info_loads_no_pandas_nor_plotting():
    out, loaded = _loaded("info", "instances/random-10x100.hflopt.json")
    assert "hosts" in out
    assert "pandas" not in loaded and "matplotlib" not in loaded and "pyomo" not in loaded


def test_id_matching_without_pandas_equals_pandas(monkeypatch, tmp_path):
    from hflopt.io import _tables

    inst = hflopt.geometric_instance(6, 40, k=3, seed=2)
    path = tmp_path / "g.json"
    hflopt.save(inst, path)
    small_path = hflopt.load(path)
    monkeypatch.setattr(_tables, "_DICT_MAX_LINKS", 0)
    assert hflopt.load(path) == small_path == inst
    bad = json.loads(path.read_text())
    bad["links"]["host"][3] = "nowhere"
    path.write_text(json.dumps(bad))
    for limit in (0, 10**6):
        monkeypatch.setattr(_tables, "_DICT_MAX_LINKS", limit)
        with pytest.raises(hflopt.InstanceError, match="unknown host id") as info:
            hflopt.load(path)
        assert info.value.field == "links.host[3]" and info.value.value == "nowhere"
