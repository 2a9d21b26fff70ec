"""hflopt bench: instance sources, isolated runs, the results table, summary, plots, CLI and Dask."""

from __future__ import annotations

import math
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import sigint_as_default

import hflopt
from hflopt import bench
from hflopt.bench.sources import expand_instances, parse_generator_spec, read_optima
from hflopt.cli import main

# an SSCFLP file (Holmberg layout) whose optimum is 106; with the first fixed cost 100 -> 50 it is 56
MINI = b"2 3\n10 100.\n20 200.\n1. 2. 3.\n1 2 3\n7 8 9\n"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A user's folder: a native instance, two SSCFLP files with an os file, a broken file, a README."""
    root = tmp_path_factory.mktemp("bench") / "mine"
    root.mkdir()
    hflopt.save(hflopt.random_instance(4, 20, participation=0.8, rounds=2, seed=1), root / "a.json")
    (root / "p1").write_bytes(MINI)
    (root / "p2").write_bytes(MINI.replace(b"10 100.", b"10 50."))
    (root / "os").write_text("106\n56\n")
    (root / "broken.json").write_text("{\"format\": \"hflopt-instance\", ")
    (root / "README.md").write_text("# my instances\n")
    (root / "notes.txt").write_text("not an instance\n")
    return root


SPEC = "random:M=3,N=12,p=0.8,seeds=0-1"
KEY = ["instance", "method", "repeat", "status", "objective", "best_known", "best_known_source"]


@pytest.fixture(scope="module")
def cli_run(folder, tmp_path_factory):
    """``hflopt bench FOLDER SPEC -o runs.csv`` once for the module: (exit code, stdout, stderr, csv path)."""
    import contextlib
    import io

    out_dir = tmp_path_factory.mktemp("out")
    results = out_dir / "runs.csv"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["bench", str(folder), SPEC, "--methods", "exact,greedy", "-t", "20", "-j", "2",
                     "-o", str(results)])
    return code, stdout.getvalue(), stderr.getvalue(), results


# ------------------------------------------------------------------- sources
def test_generator_specs():
    sources = parse_generator_spec("random:M=5,N=40,p=0.7,l=4,D=20,C=runtime,seeds=1-3+7")
    assert [s.name for s in sources] == [f"random-5x40-p0.7-l4-D20-Cruntime-s{k}" for k in (1, 2, 3, 7)]
    inst = sources[0].build()
    assert (inst.n_hosts, inst.n_devices, inst.min_participants, inst.rounds_ratio) == (5, 40, 28, 4)
    assert inst == hflopt.random_instance(5, 40, participation=0.7, rounds=4, max_workload=20, seed=1,
                                          max_capacity=hflopt.generators.authors_runtime_capacity(40, 5, 20),
                                          name=sources[0].name)
    geo = parse_generator_spec("geometric:M=4,N=30,k=2,region=50x20,seeds=3")[0].build()
    assert geo.n_links == 60 and geo.device_xy[:, 1].max() <= 20
    assert parse_generator_spec("clustered:M=4,N=30,clusters=2")[0].build().n_devices == 30
    for bad, words in [("random:M=5", "N"), ("random:M=5,N=4,colour=red", "unknown parameter"),
                       ("spiral:M=5,N=4", "unknown generator"), ("random:M=5,N=4,seeds=3-1", "A <= B"),
                       ("geometric:M=5,N=4,C=runtime", "C=runtime"),
                       ("random:M=5,N=abc", "N: must be a whole number >= 1"),  # was a run named 5xabc
                       ("random:M=0,N=10", "M: must be a whole number >= 1"),
                       ("random:M=2.5,N=10", "M: must be a whole number")]:
        with pytest.raises(hflopt.InstanceError, match=words):
            parse_generator_spec(bad)


def test_folders_lists_and_optima(folder, tmp_path):
    sources = expand_instances([folder])
    assert [s.name for s in sources] == ["a", "broken", "p1", "p2"]  # README.md and notes.txt skipped
    known = {s.name: (s.best_known, s.best_known_source) for s in sources}
    assert known["p1"] == (106.0, "optima file") and known["p2"] == (56.0, "optima file")
    assert known["a"] == (None, None)
    listing = tmp_path / "list.csv"
    listing.write_text(f"path,best_known\n{folder / 'p1'},106\n{folder / 'a.json'},\n")
    names = expand_instances([listing, folder / "p1"])
    assert [(s.name, s.best_known, s.best_known_source) for s in names] == [
        ("p1", 106.0, "list"), ("a", None, None), (str(folder / "p1"), 106.0, "optima file")]
    optima = tmp_path / "optima"
    optima.write_text("instance value\np7 12.5\n# a comment\nq 3\n")
    assert read_optima(optima) == {"p7": 12.5, "q": 3.0}
    for text, words in (("p7 12\nq x\n", "line 2: not a number"), ("name value\n", "lists no value"),
                        ("1\n2 3\n", "line 1: expected 'name value'")):
        optima.write_text(text)
        with pytest.raises(hflopt.InstanceError, match=words):
            read_optima(optima)
    with pytest.raises(hflopt.InstanceError, match="no such file or folder"):
        expand_instances([tmp_path / "missing.json"])
    inst = hflopt.random_instance(3, 10, seed=2)
    assert expand_instances([inst])[0].build() is inst


def test_params_are_checked_before_any_run():
    with pytest.raises(hflopt.InstanceError, match="unknown method"):
        bench.run_bench([SPEC], methods=["exact", "gredy"])
    for kwargs, field in [({"time_limit": 0}, "time_limit"), ({"repeat": 0}, "repeat"), ({"jobs": 1.5}, "jobs"),
                          ({"methods": ["exact", "exact"]}, "methods"), ({"grace": -1}, "grace")]:
        with pytest.raises(hflopt.InstanceError) as info:
            bench.BenchParams(**kwargs)
        assert info.value.field == field
    params = bench.BenchParams(methods=["exact", "fast=greedy"], seed=5, repeat=3)
    assert params.labels == ("exact", "fast") and params.specs[1].method == "greedy"
    assert [params.seed_of(k) for k in range(3)] == [5, 6, 7]


# ---------------------------------------------------------------- local runs
def test_cli_bench_runs_a_folder_and_writes_the_table(cli_run, folder):
    code, out, err, results = cli_run
    assert code == 0, err
    frame = bench.load_results(results)
    assert list(frame.columns) == list(bench.COLUMNS)
    assert len(frame) == 6 * 2  # (a, broken, p1, p2, two generated) x (exact, greedy)
    rows = frame.set_index(["instance", "method"])
    # the broken file is a row, not the end of the batch
    assert rows.loc[("broken", "exact"), "status"] == "error"
    assert "invalid JSON" in rows.loc[("broken", "exact"), "message"]
    # exact proves the os file's optima; greedy's gap is measured against them
    for name, optimum in (("p1", 106.0), ("p2", 56.0)):
        assert rows.loc[(name, "exact"), "status"] == "optimal"
        assert rows.loc[(name, "exact"), "objective"] == pytest.approx(optimum)
        assert rows.loc[(name, "greedy"), "best_known_source"] == "optima file"
        greedy = rows.loc[(name, "greedy")]
        assert greedy["gap_to_best"] == pytest.approx((greedy["objective"] - optimum) / optimum)
    # without an optimum in a file, the best of the run (proven by exact)
    for name in ("a", "random-3x12-p0.8-s0", "random-3x12-p0.8-s1"):
        assert rows.loc[(name, "greedy"), "best_known_source"] == "run (proven)"
        assert rows.loc[(name, "greedy"), "best_known"] == rows.loc[(name, "exact"), "objective"]
    ok = frame[frame["status"] != "error"]
    assert ok["hosts"].notna().all() and (ok["peak_memory_mb"] > 10).all() and (ok["seconds"] > 0).all()
    # the summary: printed, and next to the results
    summary = (results.parent / "runs.summary.md").read_text()
    assert "| exact " in summary and "5/6" in summary and summary.strip() in out
    # one progress line per run into a pipe
    assert len([line for line in err.splitlines() if line.startswith("hflopt: [")]) == 12


def test_killed_and_crashed_runs_are_rows(tmp_path, monkeypatch):
    helper = tmp_path / "bench_helpers.py"
    helper.write_text(textwrap.dedent("""
        import os, time

        def hang(instance, time_limit=None):
            time.sleep(60)

        def crash(instance):
            os._exit(3)
    """))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))  # where the runs' processes find the helpers
    params = bench.BenchParams(methods=["hang=bench_helpers:hang", "crash=bench_helpers:crash", "greedy"],
                               time_limit=0.5, grace=0.5, jobs=3)
    start = pd.Timestamp.now()
    frame = bench.run_bench(["random:M=3,N=10"], params)
    assert (pd.Timestamp.now() - start).total_seconds() < 30
    rows = frame.set_index("method")
    assert rows.loc["hang", "status"] == "killed" and "killed" in rows.loc["hang", "message"]
    assert 0.9 < rows.loc["hang", "seconds"] < 10
    assert rows.loc["crash", "status"] == "crashed" and "status 3" in rows.loc["crash", "message"]
    assert rows.loc["greedy", "status"] == "feasible"
    summary = bench.summarize(frame, reference="greedy")
    assert summary.set_index("method").loc["hang", "solved"] == 0


# ---------------------------------------------------------------------- Dask
def test_dask_local_cluster_gives_the_same_table(cli_run, folder):
    pytest.importorskip("distributed", reason="the Dask test needs the [test] extras")
    from hflopt.bench.executors import DaskExecutor

    local = bench.load_results(cli_run[3])
    executor = DaskExecutor("local", jobs=2, processes=True)  # worker processes are daemons: runs still isolate
    try:
        streamed = []
        frame = bench.run_bench([folder], methods=["exact", "greedy"], time_limit=20, executor=executor,
                                progress=lambda row, done, total: streamed.append(done))
    finally:
        executor.close()
    assert streamed == list(range(1, 9))  # streamed back run by run
    same = frame[KEY].astype(str).reset_index(drop=True)
    local = local[~local["instance"].str.startswith("random")]  # the folder's rows of the local run
    pd.testing.assert_frame_equal(same, local[KEY].astype(str).reset_index(drop=True))


def test_dask_needs_distributed(monkeypatch, capsys, folder):
    monkeypatch.setitem(sys.modules, "distributed", None)
    assert main(["bench", str(folder / "p1"), "--methods", "greedy", "--dask", "local"]) == 2
    assert "pip install 'hflopt[bench]'" in capsys.readouterr().err


# ---------------------------------------------------------- summary and files
def _synthetic() -> pd.DataFrame:
    rows = []
    for k, (exact_t, heur_t, heur_obj) in enumerate([(4.0, 1.0, 11.0), (8.0, 1.0, 10.0), (2.0, 2.0, None)]):
        rows.append({"instance": f"i{k}", "method": "exact", "repeat": 0, "status": "optimal", "objective": 10.0,
                     "bound": 10.0, "seconds": exact_t, "hosts": 5, "devices": 10 * (k + 1), "links": 50,
                     "peak_memory_mb": 50.0})
        rows.append({"instance": f"i{k}", "method": "heur", "repeat": 0,
                     "status": "feasible" if heur_obj else "no_solution", "objective": heur_obj, "bound": None,
                     "seconds": heur_t, "hosts": 5, "devices": 10 * (k + 1), "links": 50, "peak_memory_mb": 60.0})
    return bench.results_frame(rows)


def test_a_stated_optimum_below_a_proven_bound_is_warned_about(caplog):
    """An optima file saying 180 where exact proves 182: the row stays, and the log says so."""
    from hflopt.bench.sources import InstanceSource

    rows = [{"instance": "rand", "method": "exact", "repeat": 0, "status": "optimal", "objective": 182.0,
             "bound": 182.0, "seconds": 1.0},
            {"instance": "rand", "method": "greedy", "repeat": 0, "status": "feasible", "objective": 190.0,
             "bound": None, "seconds": 0.1}]
    source = InstanceSource("rand", "file", path="rand.json", best_known=180.0, best_known_source="optima")
    with caplog.at_level("WARNING", logger="hflopt.bench.core"):
        frame = bench.results_frame(rows, [source])
    assert frame["best_known"].tolist() == [180.0, 180.0]
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 1 and "exact proved a lower bound of 182, above the stated optimum 180" in warned[0]
    caplog.clear()
    with caplog.at_level("WARNING", logger="hflopt.bench.core"):
        bench.results_frame(rows)  # the run's own best: nothing to contradict
    assert caplog.records == []


def test_summary_counts_gaps_and_speedups():
    summary = bench.summarize(_synthetic()).set_index("method")
    exact, heur = summary.loc["exact"], summary.loc["heur"]
    assert (exact["solved"], exact["optimal"], exact["at_best"]) == (3, 3, 3)
    assert (heur["solved"], heur["optimal"], heur["at_best"]) == (2, 0, 1)
    assert heur["mean_gap"] == pytest.approx(0.05) and heur["worst_gap"] == pytest.approx(0.1)
    assert heur["speedup"] == pytest.approx(4.0 / 1.0) and exact["speedup"] == pytest.approx(1.0)
    assert heur["peak_memory_mb"] == 60.0
    text = bench.summary_markdown(bench.summarize(_synthetic()))
    assert "| heur " in text and "2/3" in text and "10.00%" in text and "4.0x" in text


def test_results_files_and_refusals(tmp_path, capsys, monkeypatch, folder):
    frame = _synthetic()
    bench.save_results(frame, tmp_path / "r.csv.gz", summary="| table |")
    back = bench.load_results(tmp_path / "r.csv.gz")
    assert back["objective"].isna().sum() == 1 and len(back) == 6
    assert (tmp_path / "r.summary.md").read_text() == "| table |\n"
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        pass  # Parquet needs pyarrow, which is optional: the refusal is tested below
    else:
        bench.save_results(frame, tmp_path / "r.parquet")
        columns = ["instance", "method", "status", "objective", "gap_to_best", "seconds", "hosts"]
        pd.testing.assert_frame_equal(bench.load_results(tmp_path / "r.parquet")[columns], back[columns],
                                      check_dtype=False)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    for name, words in (("r.parquet", "needs pyarrow"), ("r.xlsx", ".csv"), ("r.parquet.gz", ".csv")):
        assert main(["bench", str(folder / "p1"), "--methods", "greedy", "-o", str(tmp_path / name)]) == 2
        assert words in capsys.readouterr().err
    (tmp_path / "t.csv").write_text("a,b\n1,2\n")
    assert main(["bench", "plot", str(tmp_path / "t.csv"), str(tmp_path / "figs")]) == 2
    assert "column(s) instance, method" in capsys.readouterr().err
    assert main(["bench", str(folder / "p1"), "--methods", "greedy,nope"]) == 2
    assert "unknown method" in capsys.readouterr().err


def test_bad_arguments_stop_before_any_run(tmp_path, capsys, monkeypatch, folder):
    """Regression: these ran every run first (error rows, exit 0; or 'cannot write' at the end)."""
    ran = []
    monkeypatch.setattr(bench.core, "execute_tasks", lambda *a, **k: ran.append(a) or [])
    cases = [(["--format", "bogus"], "unknown format"), (["--reference", "greedyy"], "is not one of the methods"),
             (["--methods", "greedy", "-t", "1", "-o", "/proc/runs.csv"] if Path("/proc").is_dir() else [],
              "is not writable")]
    for extra, words in cases:
        if not extra:
            continue
        args = ["bench", str(folder / "p1"), *(["--methods", "greedy"] if "--methods" not in extra else []), *extra]
        assert main(args) == 2, extra
        err = capsys.readouterr().err
        assert words in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert ran == []
    if Path("/proc").is_dir():
        assert main(["bench", "plot", str(tmp_path / "no.csv"), "/proc/figs"]) == 2
        bench.save_results(_synthetic(), tmp_path / "r.csv")
        assert main(["bench", "plot", str(tmp_path / "r.csv"), "/proc/figs"]) == 2
        assert "cannot be created" in capsys.readouterr().err
    assert main(["bench", "plot", str(tmp_path / "r.csv"), str(tmp_path / "figs"), "--type", "bmp"]) == 2
    assert "(got 'bmp')" in capsys.readouterr().err


# --------------------------------------------------------------------- plots
def test_plots_take_an_axes_and_the_cli_writes_three_images(cli_run, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    frame = _synthetic()
    ratios = bench.plots.profile_ratios(frame)
    assert ratios["exact"].tolist() == [1.0, 8.0, 1.0] and ratios["heur"].tolist() == [math.inf, 1.0, math.inf]
    fig = Figure()
    axes = fig.subplots(1, 3)
    assert bench.plot_gap_vs_time(frame, ax=axes[0]) is axes[0]
    assert len(axes[0].collections) == 4  # runs and the median of each method
    bench.plot_runtime_vs_size(frame, ax=axes[1])
    assert [line.get_label() for line in axes[1].get_lines()] == ["exact", "heur"]
    bench.plot_performance_profile(frame, ax=axes[2])
    steps = {line.get_label(): line.get_ydata() for line in axes[2].get_lines()}
    assert steps["exact"][-1] == 1.0 and steps["heur"][-1] == pytest.approx(1 / 3)
    assert main(["bench", "plot", str(cli_run[3]), str(tmp_path / "figs")]) == 0
    assert sorted(p.name for p in (tmp_path / "figs").iterdir()) == [
        "gap-vs-time.png", "performance-profile.png", "runtime-vs-size.png"]
    assert np.all([p.stat().st_size > 1000 for p in (tmp_path / "figs").iterdir()])


def test_plots_of_a_table_where_every_run_failed(tmp_path):
    """Log scales on empty axes fail at draw time in matplotlib: the plots say "no run to show" instead."""
    pytest.importorskip("matplotlib")
    rows = [{"instance": f"i{k}", "method": m, "repeat": 0, "status": "error", "hosts": 5, "devices": 10,
             "links": 50, "message": "ValueError: nope"} for k in range(2) for m in ("exact", "heur")]
    paths = bench.save_plots(bench.results_frame(rows), tmp_path / "figs")
    assert [p.name for p in paths] == ["gap-vs-time.png", "runtime-vs-size.png", "performance-profile.png"]
    assert all(p.stat().st_size > 1000 for p in paths)
    from matplotlib.figure import Figure

    ax = Figure().subplots()
    bench.plot_gap_vs_time(bench.results_frame(rows), ax=ax)
    assert ax.get_xscale() == "linear" and any("no run to show" in t.get_text() for t in ax.texts)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_kills_the_runs_and_exits_130(tmp_path):
    import os
    import signal
    import subprocess
    import time

    (tmp_path / "bench_helpers.py").write_text("import time\n\ndef hang(instance, time_limit=None):\n"
                                               "    time.sleep(60)\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "hflopt", "bench", "random:M=3,N=10,seeds=0-5",
                             "--methods", "hang=bench_helpers:hang", "-t", "60", "-j", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=sigint_as_default)

    def children() -> set[int]:
        table = subprocess.run(["ps", "-eo", "pid=,ppid=,args="], capture_output=True, text=True).stdout
        return {int(line.split()[0]) for line in table.splitlines()
                if int(line.split()[1]) == proc.pid and "hflopt.bench._child" in line}

    end = time.monotonic() + 60
    while time.monotonic() < end and len(children()) < 2:
        time.sleep(0.1)
    running = children()
    assert len(running) == 2  # --jobs 2
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and err.strip().splitlines()[-1] == "hflopt: interrupted"
    assert time.monotonic() - sent < 10
    for pid in running:  # killed and reaped: gone
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_method_spec_carries_tuning_parameters():
    """The docs' side-by-side of tuned settings: a MethodSpec's options reach the method's parameters."""
    params = bench.BenchParams(methods=("exact", bench.MethodSpec("exact-no-cs", "exact",
                                                                   options={"core_search": False})),
                               time_limit=30)
    table = bench.run_bench(["random:M=4,N=20,p=0.7,l=2,C=runtime,seeds=0"], params).set_index("method")
    assert table.loc["exact", "status"] == table.loc["exact-no-cs", "status"] == "optimal"
    assert table.loc["exact", "objective"] == table.loc["exact-no-cs", "objective"]
    bad = bench.BenchParams(methods=(bench.MethodSpec("x", "exact", options={"core_serch": False}),), time_limit=5)
    with pytest.raises(hflopt.InstanceError, match="core_serch"):  # before any run
        bench.run_bench(["random:M=4,N=20,p=0.7,l=2,C=runtime,seeds=0"], bad)
