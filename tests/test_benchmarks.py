"""The benchmark scripts' instance readers and dynamic programs (the scripts themselves are run by hand)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

import hflopt

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "benchmarks" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


MINI = b"2 3\n10 100.\n20 200.\n1. 2. 3.\n1 2 3\n7 8 9\n"


def test_sscflp_dir_reads_os_optima_in_order_and_appended_ones(tmp_path, capsys):
    bench = _load("exact")
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "p1").write_bytes(MINI)
    (lib / "p2").write_bytes(MINI.replace(b"7 8 9", b"7 8 1"))
    (lib / "os").write_text("106\n100\n")
    got = bench.sscflp_instances(lib)
    assert [(inst.name, known) for inst, known in got] == [("p1", 106.0), ("p2", 100.0)]
    assert [inst.name for inst, _ in bench.sscflp_instances(lib, ["p2"])] == ["p2"]
    # no os file: every file, natural order, optimum from the file when appended
    other = tmp_path / "other"
    other.mkdir()
    (other / "cap10").write_bytes(MINI)
    (other / "cap9").write_bytes(MINI + b"106\n")
    got = bench.sscflp_instances(other)
    assert [(inst.name, known) for inst, known in got] == [("cap9", 106.0), ("cap10", None)]
    assert bench.sscflp_instances(tmp_path / "missing") == []
    assert "not found" in capsys.readouterr().out


def test_sscflp_dir_optima_match_the_exact_solver(tmp_path):
    import hflopt

    bench = _load("exact")
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "p1").write_bytes(MINI)
    (lib / "os").write_text("106\n")
    (inst, known), = bench.sscflp_instances(lib)
    assert hflopt.solve(inst, method="exact").objective == pytest.approx(known)


def test_bound_strength_knapsacks_are_exact_and_its_bound_is_valid():
    import itertools

    import numpy as np

    import hflopt

    bench = _load("bound_strength")
    rng = np.random.default_rng(5)
    for _ in range(40):
        k = int(rng.integers(1, 8))
        profit = rng.normal(0, 5, k)
        weight = rng.integers(1, 10, k).astype(float)
        cap = int(rng.integers(0, 20))
        subsets = [s for r in range(k + 1) for s in itertools.combinations(range(k), r)
                   if weight[list(s)].sum() <= cap]
        best = max(profit[list(s)].sum() for s in subsets)
        value, chosen = bench.knapsack(profit, weight, cap)
        assert value == pytest.approx(best)
        assert weight[chosen].sum() <= cap and profit[chosen].sum() == pytest.approx(value)
        need = float(rng.integers(0, int(weight.sum()) + 1))
        feasible = [s for r in range(k + 1) for s in itertools.combinations(range(k), r)
                    if weight[list(s)].sum() >= need]
        low = min(profit[list(s)].sum() for s in feasible)
        total, y = bench.cover(profit, weight, need)
        assert total == pytest.approx(low)
        assert weight[y].sum() >= need and profit[y].sum() == pytest.approx(total)
    # on a small tight instance: LP <= Lagrangian and root bounds <= the optimum
    out = bench.measure(5, 20, 1.3, 0, iterations=60, root_limit=30)
    optimum = hflopt.solve(bench.tight_instance(5, 20, 1.3, 0), method="exact").objective
    assert out["lp"] <= out["lagrangian"] + 1e-6
    assert out["lagrangian"] <= optimum + 1e-6 and out["root"] <= optimum + 1e-6


@pytest.mark.parametrize("style, title", [("sscflp", "SSCFLP-style"), ("geometric", "HFL-style geometric")])
def test_tight_family_runs_both_styles_and_both_methods_agree(tmp_path, capsys, style, title):
    import csv

    import numpy as np

    bench = _load("exact")
    make = bench.geometric_tight_instance if style == "geometric" else bench.tight_instance
    inst = make(4, 14, 1.2, 0)  # what main runs with --tight-seeds 1
    # tight by construction: capacities add up to the ratio times the workload, every device must join
    assert inst.capacity.sum() == pytest.approx(1.2 * inst.workload.sum(), rel=0.02)
    assert inst.min_participants == 14 and np.all(inst.link_cost == np.round(inst.link_cost))
    out = tmp_path / "runs.csv"
    assert bench.main(["--family", "tight", "--tight-style", style, "--tight-size", "4x14", "--ratios", "1.2",
                       "--tight-seeds", "1", "--tight-limit", "30", "--plain-limit", "30",
                       "--csv", str(out)]) == 0
    assert f"Tight {title} instances, 4x14" in capsys.readouterr().out
    rows = list(csv.DictReader(out.open()))
    assert [r["method"] for r in rows] == ["exact", "plain"]
    assert all(r["status"] == "optimal" for r in rows)
    assert float(rows[0]["objective"]) == pytest.approx(float(rows[1]["objective"]))
    assert rows[0]["instance"] == inst.name


def test_exact_with_baseline_passes_exact_params(tmp_path, capsys):
    import csv

    bench = _load("exact")
    setup = bench.Setup(baseline="exact-with", changes=("full_core_links=0", "core_search=false"))
    params = bench._baseline_options(setup)["params"]
    assert params.full_core_links == 0 and params.core_search is False and params.warm_lp is True
    auto = bench._baseline_options(bench.Setup(method="auto", baseline="exact-with", changes=("warm_lp=false",)))
    assert auto["params"].exact.warm_lp is False
    with pytest.raises(hflopt.SolverError, match="full_core_link"):
        bench._baseline_options(bench.Setup(baseline="exact-with", changes=("full_core_link=1",)))
    out = tmp_path / "runs.csv"
    assert bench.main(["--family", "tight", "--tight-size", "4x12", "--ratios", "1.3", "--tight-seeds", "1",
                       "--tight-limit", "30", "--plain-limit", "30", "--baseline", "exact-with",
                       "--with", "full_core_links=0", "--csv", str(out)]) == 0
    assert "the 'plain' columns run: exact-with" in capsys.readouterr().out
    rows = list(csv.DictReader(out.open()))
    assert [r["status"] for r in rows] == ["optimal", "optimal"]
    assert float(rows[0]["objective"]) == pytest.approx(float(rows[1]["objective"]))
    with pytest.raises(SystemExit):  # exact-with without a change is a usage error
        bench.main(["--family", "tight", "--baseline", "exact-with"])


def test_time_limits_runs_through_the_bench_harness(tmp_path, monkeypatch, capsys):
    """time_limits.py: families written to files, runs by hflopt.bench, a late or failed run counted as such."""
    script = _load("time_limits")
    out = tmp_path / "runs.csv"
    monkeypatch.setattr(sys, "argv", ["time_limits.py", "--families", "dense", "--methods", "greedy", "exact",
                                      "--limits", "5", "--seeds", "0", "-o", str(out)])
    assert script.main() == 0
    table = capsys.readouterr().out
    assert "| greedy | " in table and "| exact | " in table and table.count("| 1/1 |") == 2
    frame = hflopt.bench.load_results(out)
    assert sorted(frame["method"]) == ["exact", "greedy"] and set(frame["family"]) == {"dense"}
    assert (frame["seconds"] <= 6).all() and frame["objective"].notna().all()
    # a run that failed or was killed is not "in time", whatever its seconds
    late = frame.assign(status=["killed", "feasible"], seconds=[0.1, 5.4])
    assert script.in_time(late).tolist() == [False, True]
    assert script.in_time(frame.assign(seconds=[6.1, 6.0])).tolist() == [False, True]


def test_every_row_of_the_t_equals_n_benchmark_is_a_valid_spec():
    from hflopt.bench.sources import parse_generator_spec

    tn = _load("tn")
    for row, (specs, methods, limit, seeds) in tn.ROWS.items():
        for spec in specs:
            sources = parse_generator_spec(spec.format(seeds=seeds, fixed=40))
            assert sources and all(s.options["seed"] >= 0 for s in sources), row
        assert set(methods.split(",")) <= set(hflopt.method_names()) and limit > 0
    small = parse_generator_spec("cflp:M=4,N=9,ratio=3,seeds=2")[0].build()
    assert small.min_participants == 9 and small.n_links == 36
