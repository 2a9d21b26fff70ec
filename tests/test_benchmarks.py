"""The benchmark scripts' instance readers (the scripts themselves are run by hand)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "benchmarks" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
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
