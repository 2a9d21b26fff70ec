"""The solver API: method registry, options vs parameters, parameter files, CLI wiring, errors."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import hflopt
from hflopt.cli import main
from hflopt.errors import SolverError, SolverFailure
from hflopt.generators import random_instance
from hflopt.solvers import METHODS, solve
from hflopt.solvers.params import (
    AutoParams,
    CoreSearchParams,
    ExactParams,
    SolveOptions,
    SparseParams,
    load_params,
    params_from_strings,
)
from hflopt.solvers.registry import register, resolve


@pytest.fixture(scope="module")
def inst():
    return random_instance(40, 5, max_cost=10, max_capacity=60, seed=2)


@pytest.fixture(scope="module")
def optimum(inst):
    return solve(inst, "exact").objective


# ------------------------------------------------------------------- options vs parameters
def test_sparse_takes_its_inner_method_by_keyword(inst, optimum):
    res = solve(inst, "sparse", method="exact", k=3)
    assert res.method == "sparse" and res.solution.verify(inst) == pytest.approx(res.objective)
    assert res.objective >= optimum - 1e-9
    assert solve(inst, method="exact").method == "exact"  # method by keyword still names the method


@pytest.mark.parametrize("name", ["sparse", "exact", "auto", "greedy", "local-search"])
def test_a_misspelt_option_is_an_error_naming_it_and_what_the_method_takes(inst, name):
    with pytest.raises(SolverError, match=r"time_limt.*time_limit"):
        solve(inst, name, time_limt=5)


def test_an_option_the_method_ignores_is_an_error_unless_it_has_its_default(inst):
    with pytest.raises(SolverError, match="option 'seed' does not apply to method 'greedy'"):
        solve(inst, "greedy", seed=3)
    with pytest.raises(SolverError, match="option 'verbose' does not apply"):
        solve(inst, "local-search", verbose=True)
    assert solve(inst, "greedy", verbose=False).solution is not None  # the default value is harmless


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 0, -1, "5"])
def test_time_limit_must_be_positive_seconds(inst, bad):
    with pytest.raises(SolverError, match="time_limit must be a number of seconds > 0"):
        solve(inst, "exact", time_limit=bad)


def test_parameters_by_keyword_and_as_an_object(inst, optimum):
    assert solve(inst, "exact", core_search=False, full_core_links=0).objective == pytest.approx(optimum)
    tuned = dataclasses.replace(ExactParams(), warm_lp=False)
    assert solve(inst, "exact", params=tuned).objective == pytest.approx(optimum)
    with pytest.raises(SolverError, match="takes ExactParams parameters, got AutoParams"):
        solve(inst, "exact", params=AutoParams())
    with pytest.raises(SolverError, match="must be true or false"):
        solve(inst, "exact", core_search="no")
    with pytest.raises(SolverError, match="unknown method 'exakt'"):
        solve(inst, "exakt")


def test_resolve_splits_options_and_parameters():
    method, options, params = resolve("auto", {"time_limit": 5, "gap": 0.01, "heuristic_share": 0.5,
                                               "exact": ExactParams(core_search=False)})
    assert method.name == "auto" and options == SolveOptions(time_limit=5, gap=0.01)
    assert params.heuristic_share == 0.5 and params.exact.core_search is False


def test_every_registered_method_solves_and_verifies(inst):
    for name, method in METHODS.items():
        if name == "pyomo":
            continue  # tested with every Pyomo solver in test_pyomo_exact.py
        res = solve(inst, name, time_limit=20)
        assert res.solution is not None, name
        assert res.solution.verify(inst) == pytest.approx(res.objective), name
        assert set(method.takes()) >= {"time_limit"}


def test_a_registered_method_is_one_call(inst, monkeypatch):
    monkeypatch.setitem(METHODS, "cheapest-two", METHODS["greedy"])  # restored after the test
    calls = []

    def run(instance, options, params):
        calls.append((options.time_limit, params))
        return solve(instance, "greedy", time_limit=options.time_limit)

    register("cheapest-two", run, "test double", options={"progress"})
    assert solve(inst, "cheapest-two", time_limit=3).solution is not None
    assert calls and calls[0][0] == 3
    with pytest.raises(ValueError, match="unknown option"):
        register("broken", run, "bad", options={"colour"})


# ------------------------------------------------------------------- parameter files
def test_params_load_from_toml_and_json(tmp_path):
    toml = tmp_path / "p.toml"
    toml.write_text("[exact]\ncore_search = false\nmax_cg_rounds = 3\n[auto]\nexact_max_links = 1000\n"
                    "[auto.exact]\nwarm_lp = false\n[sparse]\nk = 4\nmethod = \"exact\"\n")
    got = load_params(toml, {"exact": ExactParams, "auto": AutoParams, "sparse": SparseParams})
    assert got["exact"] == ExactParams(core_search=False, max_cg_rounds=3)
    assert got["auto"].exact_max_links == 1000 and got["auto"].exact.warm_lp is False
    assert got["sparse"] == SparseParams(k=4, method="exact")
    js = tmp_path / "p.json"
    js.write_text(json.dumps({"exact": {"core_search": False}}))
    assert load_params(js, {"exact": ExactParams})["exact"].core_search is False


def test_top_level_load_params_knows_every_registered_method(tmp_path):
    path = tmp_path / "tuning.toml"
    path.write_text("[exact]\ncore_search = false\n[core-search]\nmax_kicks = 3\n")
    got = hflopt.load_params(path)
    assert got["exact"] == hflopt.ExactParams(core_search=False)
    assert got["core-search"] == hflopt.CoreSearchParams(max_kicks=3)
    inst = hflopt.random_instance(4, 30, participation=0.7, rounds=2, seed=3)
    res = hflopt.solve(inst, "exact", params=got["exact"], time_limit=30)
    assert res.status.value == "optimal" and res.solution.verify(inst) == pytest.approx(res.objective)


@pytest.mark.parametrize("text, message", [
    ("[exact]\ncore_serch = false\n", "core_serch"),
    ("[exact]\nmax_cg_rounds = 2.5\n", "whole number"),
    ("[exact]\nmax_cg_rounds = -1\n", "max_cg_rounds"),
    ("[exakt]\n", "exakt"),
    ("[exact\n", "TOML"),
])
def test_bad_parameter_files_name_file_field_and_value(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises((SolverError, hflopt.InstanceError), match=message) as info:
        load_params(path, {"exact": ExactParams})
    assert "bad.toml" in str(info.value)


def test_params_from_strings_nested_and_typed():
    got = params_from_strings(AutoParams, ["exact.core_search=false", "heuristic_share=0.4",
                                           "core_search.max_kicks=5"])
    assert got.exact.core_search is False and got.heuristic_share == 0.4
    assert got.core_search == CoreSearchParams(max_kicks=5)
    with pytest.raises(SolverError, match="KEY=VALUE"):
        params_from_strings(ExactParams, ["core_search"])


# ------------------------------------------------------------------- CLI
@pytest.fixture()
def inst_file(tmp_path, inst):
    path = tmp_path / "i.json"
    hflopt.save(inst, path)
    return path


def test_cli_params_file_and_param_options(inst_file, tmp_path, capsys, optimum):
    params = tmp_path / "p.toml"
    params.write_text("[exact]\ncore_search = false\n")
    out = tmp_path / "r.json"
    assert main(["solve", str(inst_file), "--method", "exact", "--params", str(params), "--param",
                 "full_core_links=0", "--output", str(out), "--quiet"]) == 0
    assert json.loads(out.read_text())["objective"] == pytest.approx(optimum)
    capsys.readouterr()
    assert main(["solve", str(inst_file), "--method", "exact", "--param", "core_serch=false"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "core_serch" in err


def test_cli_rejects_an_option_the_method_ignores(inst_file, capsys):
    assert main(["solve", str(inst_file), "--method", "greedy", "--seed", "3"]) == 2
    assert "does not apply to method 'greedy'" in capsys.readouterr().err


def test_a_solver_failure_exits_1_not_2(inst_file, capsys, monkeypatch):
    import hflopt.solvers.exact as exact

    def broken(*args, **kwargs):
        raise SolverFailure("HiGHS rejected the model (passModel returned an error)")

    monkeypatch.setattr(exact, "solve_core_lp", broken)
    assert main(["solve", str(inst_file), "--method", "exact"]) == 1
    assert "HiGHS rejected the model" in capsys.readouterr().err


def test_log_level_info_shows_what_the_phases_did(inst_file, capsys):
    assert main(["--log-level", "info", "solve", str(inst_file), "--method", "auto", "--quiet"]) == 0
    assert "hflopt: auto: core-search phase optimal, objective 7, bound 7" in capsys.readouterr().err
    assert main(["--log-level", "info", "solve", str(inst_file), "--method", "exact", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "hflopt: exact: LP bound: incumbent none, bound 7" in err
    assert "hflopt: exact: heuristics: incumbent 7 (LP rounding), bound 7" in err
    assert main(["solve", str(inst_file), "--method", "auto", "--quiet"]) == 0
    assert capsys.readouterr().err == ""  # warnings only by default
    import logging

    assert logging.getLogger("hflopt").handlers == []  # the CLI leaves the logger as it found it


def test_a_negative_lower_bound_is_a_valid_stop_for_the_local_search():
    """Regression: exact's local search got stop_at = an early Lagrangian bound of -3798 (the authors'
    zero-cost-LAN instances, time_limit=3) and the parameter check refused it: SolverError."""
    from types import SimpleNamespace

    from hflopt.solvers import exact_heuristics
    from hflopt.solvers.params import LocalSearchParams, SolveOptions

    assert LocalSearchParams(stop_at=-3798.06).stop_at == -3798.06
    with pytest.raises(SolverError, match="stop_at"):
        LocalSearchParams(stop_at=float("nan"))
    with pytest.raises(SolverError, match="max_no_improve"):
        LocalSearchParams(max_no_improve=-1)
    inst = hflopt.random_instance(6, 40, participation=1.0, rounds=2, max_capacity=150, max_workload=10,
                                  min_cost=1, max_cost=1, zero_cost_lan=True, seed=2)
    start = hflopt.solve(inst, "greedy").solution
    run = SimpleNamespace(instance=inst, bound=-3798.06, best=np.asarray(start.host_of),
                          options=SolveOptions(seed=0), params=hflopt.ExactParams(), stats={})
    host_of = exact_heuristics._local_search(run, budget=5.0)
    assert host_of is not None and run.stats == {}
    assert hflopt.Solution(host_of).verify(inst) <= start.verify(inst)


@pytest.mark.parametrize("method, name, value", [
    ("lagrangian", "iterations", 0), ("core-search", "start_iterations", 0),
    ("auto", "heuristic_share", 0.0), ("exact", "ls_links_per_second", 0.0)])
def test_zero_where_zero_means_nothing_is_refused_up_front(method, name, value, capsys, tmp_path):
    """Regression: each of these was accepted (finite, >= 0) and then crashed the solve
    (OverflowError on an infinite bound, a 0 s deadline, a division by zero)."""
    inst = random_instance(5, 20, participation=0.8, rounds=2, seed=3)
    with pytest.raises(SolverError, match=f"{name}: must be > 0"):
        solve(inst, method, time_limit=2, **{name: value})
    path = tmp_path / "inst.json"
    hflopt.save(inst, path)
    assert main(["solve", str(path), "-m", method, "-t", "2", "--param", f"{name}={value}"]) == 2
    err = capsys.readouterr().err
    assert name in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_no_time_for_the_core_search_skips_it_quietly():
    """ls_max = 0 leaves the exact method's heuristics no time: skipped, not a failed step."""
    inst = random_instance(30, 100, participation=0.8, rounds=3, seed=31)
    res = solve(inst, "exact", time_limit=5, ls_max=0.0)
    assert res.status.value == "optimal" and "core_search_error" not in res.stats
    assert res.solution.verify(inst) == pytest.approx(res.objective)


@pytest.mark.parametrize("kwargs, message", [
    ({"full_core_links": "abc"}, "full_core_links: must be a whole number"),
    ({"bound_share": "abc"}, "bound_share: must be a number"),
    ({"max_cg_rounds": 2.5}, "max_cg_rounds: must be a whole number"),
    ({"core_search": "no"}, "core_search: must be true or false"),
    ({"ls_max": None}, "ls_max: must not be None"),
])
def test_parameter_objects_check_types_on_construction(kwargs, message):
    """Regression: these were accepted and then crashed the solve (TypeError) or ran with "no" as true."""
    with pytest.raises(SolverError, match=message):
        hflopt.ExactParams(**kwargs)
    with pytest.raises(SolverError, match="exact: must be of type ExactParams"):
        hflopt.AutoParams(exact={"core_search": False})


def test_parameter_messages_say_what_to_do(tmp_path, capsys):
    assert hflopt.ExactParams(full_core_links=10_000) == params_from_strings(ExactParams, ["full_core_links=1e4"])
    inst = random_instance(4, 20, participation=0.8, rounds=2, seed=1)
    from hflopt.solvers.params import NoParams

    with pytest.raises(SolverError, match="this method takes no tuning parameters, got 'core_search'"):
        params_from_strings(NoParams, ["core_search=false"])  # hflopt solve -m greedy --param ...
    with pytest.raises(SolverError, match=r"core_search.FIELD=VALUE"):
        solve(inst, "auto", core_search=False)
    flat = tmp_path / "flat.toml"
    flat.write_text("core_search = false\n")
    with pytest.raises(hflopt.InstanceError, match=r"one table per method, e.g. \[exact\]"):
        hflopt.load_params(flat)


def test_every_parameter_is_documented():
    """docs/decisions.md lists every field of every registered method's parameter class."""
    from conftest import ROOT

    text = (ROOT / "docs" / "decisions.md").read_text()
    missing = [f"{m.params.__name__}.{f.name}" for m in METHODS.values() for f in dataclasses.fields(m.params)
               if f"`{f.name}`" not in text]
    assert missing == []
    assert all(f"`{m.params.__name__}`" in text for m in METHODS.values() if dataclasses.fields(m.params))
