"""The README is true: its one-minute CLI tour and its Python example run as written."""

from __future__ import annotations

import re
import shlex

import pytest
from conftest import ROOT

from hflopt.cli import main

README = (ROOT / "README.md").read_text()


def _block(heading: str, language: str) -> str:
    section = README.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.search(rf"```{language}\n(.*?)```", section, re.S).group(1)


def test_readme_is_short():
    assert len(README.splitlines()) <= 200


def test_setup_commands_are_the_ones_ci_runs():
    setup = _block("Set up", "bash")
    assert "pip install . && hflopt solve instances/random-10x100.hflopt.json" in setup
    assert 'pip install ".[test]" && pytest' in setup
    assert 'pip install ".[test]" && pytest' in (ROOT / ".ci" / "run").read_text()
    assert (ROOT / "instances" / "random-10x100.hflopt.json").is_file()


def test_cli_tour_runs_line_by_line(tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)  # every file a line uses is made by an earlier line
    lines = [line.split(" # ")[0].strip() for line in _block("The CLI in one minute", "bash").splitlines()]
    assert len(lines) >= 8
    for line in lines:
        argv = shlex.split(line)
        assert argv[0] == "hflopt"
        code = main(argv[1:])
        err = capsys.readouterr().err
        assert code == 0, f"{line}: {err}"
    for made in ("city.json", "result.json", "unaware.json", "city.png", "runs.csv", "runs.summary.md",
                 "figures/performance-profile.png", "tables/links.csv", "day.png"):
        assert (tmp_path / made).exists(), made


def test_python_example_runs(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)  # it loads a shipped instance
    exec(compile(_block("Python", "python"), "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "status        optimal" in out
    # the benchmark's instances are feasible: exact proves all three
    assert re.search(r"\| exact\s+\| 3/3\s+\| 3/3\s+\|", out), out
