"""Hostile files, outputs, extreme values and statuses: nothing lost, hung or misread.

One test (or more) per item of the hardening issue; subprocess tests where the
behaviour is the process's own (signals, devices, exit codes).
"""

from __future__ import annotations

import errno
import gzip
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import sigint_as_default

import hflopt
from hflopt import InstanceError, Status
from hflopt.cli import main
from hflopt.errors import OutputError, SolverError
from hflopt.io import save_instance

HFLOPT = [sys.executable, "-m", "hflopt"]


def run_cli(*args: str, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*HFLOPT, *args], capture_output=True, text=True, timeout=timeout, **kwargs)


def one_error_line(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.fixture
def inst_file(tmp_path) -> Path:
    path = tmp_path / "inst.json"
    save_instance(hflopt.random_instance(3, 12, participation=0.8, rounds=2, seed=4), path)
    return path


# --------------------------------------------------------- 1. folders of tables
@pytest.mark.parametrize("command", ["convert", "generate"])
def test_tables_never_replace_a_folder_with_other_files(tmp_path, inst_file, capsys, command):
    out = tmp_path / "tables"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    if command == "convert":
        code = main(["convert", str(inst_file), str(out)])
    else:
        code = main(["generate", "random", "-e", "2", "-d", "5", "-s", "1", "-o", str(out)])
    assert code == 2
    assert "precious.txt" in one_error_line(capsys.readouterr().err)
    assert (out / "precious.txt").read_text() == "keep me"
    assert sorted(p.name for p in out.iterdir()) == ["precious.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["tables", inst_file.name])


def test_tables_replace_an_earlier_table_set_and_fill_an_empty_folder(tmp_path, inst_file):
    out = tmp_path / "tables"
    assert main(["convert", str(inst_file), str(out)]) == 0
    assert main(["generate", "random", "-e", "2", "-d", "5", "-s", "1", "-o", str(out)]) == 0
    assert hflopt.load(out).n_devices == 5
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["convert", str(inst_file), str(empty)]) == 0
    assert hflopt.load(empty) == hflopt.load(inst_file)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["tables", "empty", inst_file.name])


# ---------------------------------------------- 2. symlinks, devices, FIFOs
def test_output_through_a_symlink_keeps_the_link(tmp_path, inst_file):
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    assert main(["solve", str(inst_file), "-q", "-o", str(link)]) == 0
    assert link.is_symlink()
    assert json.loads(real.read_text())["status"] == "optimal"


def char_device(path: Path, minor: int) -> Path:
    """A character device node like /dev/null (minor 3) or /dev/full (minor 7), made in a
    test folder: the tests never write to the system's own, which a buggy hflopt could
    replace (as root, hflopt once did)."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, minor))
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot create a device node here: {exc}")
    return path


def test_output_to_a_null_device_writes_through(tmp_path):
    null = char_device(tmp_path / "null", 3)
    before = os.stat(null)
    assert main(["generate", "random", "-e", "2", "-d", "5", "-s", "1", "-o", str(null), "--to", "native"]) == 0
    after = os.stat(null)
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]


def test_output_to_a_fifo_is_written_through(tmp_path, inst_file):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
    reader.start()
    assert main(["solve", str(inst_file), "-q", "-o", str(fifo)]) == 0
    reader.join(timeout=30)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert json.loads(got[0])["status"] == "optimal"


def test_output_to_a_block_device_is_refused(tmp_path, inst_file, capsys):
    node = tmp_path / "disk"
    try:
        os.mknod(node, stat.S_IFBLK | 0o600, os.makedev(7, 250))
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot create a block device node here: {exc}")
    assert main(["convert", str(inst_file), str(node), "--to", "native"]) == 2
    assert "block device" in one_error_line(capsys.readouterr().err)
    assert stat.S_ISBLK(os.lstat(node).st_mode)


# ------------------------------------------------- 3. outputs checked up front
@pytest.mark.parametrize("option", ["-o", "--plot"])
def test_output_folder_or_empty_name_is_refused_before_solving(tmp_path, inst_file, capsys, monkeypatch,
                                                                option):
    import hflopt.solvers

    def no_solve(*args, **kwargs):
        raise AssertionError("solved although the output cannot be written")

    monkeypatch.setattr(hflopt.solvers, "solve", no_solve)
    for target in (str(tmp_path), ""):
        assert main(["solve", str(inst_file), option, target]) == 2
        line = one_error_line(capsys.readouterr().err)
        assert ("is a folder" in line) if target else ("output path is empty" in line)


def test_plot_type_is_checked_before_solving(inst_file, tmp_path, capsys):
    assert main(["solve", str(inst_file), "--plot", str(tmp_path / "map.xyz")]) == 2
    assert "unsupported image type" in one_error_line(capsys.readouterr().err)
    assert not (tmp_path / "map.xyz").exists()


# ---------------------------------------------------------------- 4. disk full
def test_disk_full_after_the_summary(tmp_path, inst_file, capsys):
    full = char_device(tmp_path / "full", 7)  # writes fail with ENOSPC
    assert main(["solve", str(inst_file), "-o", str(full)]) == 1
    captured = capsys.readouterr()
    assert "status        optimal" in captured.out
    assert f"{full}: cannot write: No space left on device" in one_error_line(captured.err)
    assert stat.S_ISCHR(os.stat(full).st_mode)


def test_disk_full_leaves_no_temporary_file_and_the_old_file_intact(tmp_path, inst_file, monkeypatch, capsys):
    from hflopt.io import _files

    out = tmp_path / "result.json"
    out.write_text("previous")

    def full(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)
    assert main(["solve", str(inst_file), "-o", str(out)]) == 1
    captured = capsys.readouterr()
    assert "status        optimal" in captured.out
    assert "No space left on device (nothing was written)" in one_error_line(captured.err)
    assert out.read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["result.json", inst_file.name])
    with pytest.raises(OutputError):
        _files.write_bytes(out, b"x")


# -------------------------------------------------- 5. huge rounds ratio, loops
@pytest.mark.parametrize("method", ["auto", "lagrangian", "local-search", "greedy"])
def test_huge_rounds_ratio_is_refused_not_spun_on(method, capsys):
    from conftest import DATA

    assert main(["solve", str(DATA / "bad" / "native_huge_rounds.json"), "-m", method]) == 2
    assert "rounds_ratio: must be at most 1e+12" in one_error_line(capsys.readouterr().err)


def test_add_hosts_stops_at_an_expired_deadline():
    from hflopt.solvers import Deadline
    from hflopt.solvers.greedy import add_hosts
    from hflopt.solvers.links import link_data

    inst = hflopt.geometric_instance(40, 400, k=5, seed=2)
    data = link_data(inst)
    deadline = Deadline(1e-6)
    time.sleep(0.01)
    opened = add_hosts(data, deadline=deadline)
    assert not opened.any()


# -------------------------------------------------------- 6. hard time limits
def test_a_call_that_ignores_its_deadline_is_killed():
    from hflopt.solvers import Deadline
    from hflopt.solvers.isolation import run_isolated

    deadline = Deadline(1.0)
    result, killed = run_isolated(lambda report: time.sleep(600), deadline=deadline)
    assert (result, killed) == (None, True)
    assert deadline.elapsed() < 30  # killed at the hard deadline, not after the sleep


def test_an_isolated_call_returns_its_result_and_its_errors():
    from hflopt.solvers import Deadline
    from hflopt.solvers.isolation import run_isolated

    seen = []
    result, killed = run_isolated(lambda report: (report(hflopt.Progress(0.1, 5.0, 4.0)), 42)[1],
                                  deadline=Deadline(None), progress=seen.append)
    assert (result, killed) == (42, False)
    assert [p.incumbent for p in seen] == [5.0]
    with pytest.raises(ValueError, match="boom"):
        run_isolated(lambda report: (_ for _ in ()).throw(ValueError("boom")), deadline=Deadline(5.0))


# ------------------------------------------------------------- 7. input bounds
def test_a_device_needs_a_format_and_is_read_with_a_cap(capsys):
    assert main(["info", "/dev/zero"]) == 2
    assert "not a regular file" in one_error_line(capsys.readouterr().err)
    assert main(["info", "/dev/zero", "--format", "native", "--max-input-size", "1M"]) == 2
    assert "over the input size cap of 1 MiB" in one_error_line(capsys.readouterr().err)


def test_a_compression_bomb_stops_at_the_cap(tmp_path, capsys):
    bomb = tmp_path / "bomb.json.gz"
    bomb.write_bytes(gzip.compress(b" " * (64 << 20)))
    assert bomb.stat().st_size < 1 << 20
    assert main(["info", str(bomb), "--max-input-size", "4M"]) == 2
    assert "decompresses to more than 4 MiB" in one_error_line(capsys.readouterr().err)


def test_a_plain_file_over_the_cap_is_refused_by_its_size(inst_file, capsys, monkeypatch):
    monkeypatch.setenv("HFLOPT_MAX_INPUT_SIZE", "100")
    assert main(["info", str(inst_file)]) == 2
    assert "over the input size cap of 100 bytes" in one_error_line(capsys.readouterr().err)


def test_a_pipe_with_a_format_is_read(tmp_path, inst_file):
    fifo = tmp_path / "in.json"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(inst_file.read_bytes()), daemon=True)
    writer.start()
    assert main(["info", str(fifo), "--format", "native", "--json"]) == 0
    writer.join(timeout=30)


def test_stdin_with_a_format_is_solved(tmp_path, inst_file):
    out = tmp_path / "result.json"
    with open(inst_file, "rb") as fh:
        proc = run_cli("solve", "/dev/stdin", "--format", "native", "-q", "-o", str(out), stdin=fh)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["status"] == "optimal"


# -------------------------------------------------------- 8. generator sizes
@pytest.mark.parametrize("args", [
    ["random", "-e", "1000000000", "-d", "1000000000"],
    ["geometric", "--hosts", "1000", "--devices", "1000000000", "-k", "5"],
])
def test_generators_refuse_what_would_not_fit_in_memory(tmp_path, args, capsys):
    out = tmp_path / "x.json"
    started = time.perf_counter()
    assert main(["generate", *args, "-s", "1", "-o", str(out)]) == 2
    assert time.perf_counter() - started < 30
    line = one_error_line(capsys.readouterr().err)
    assert "would need about" in line and "--max-memory" in line
    assert not out.exists()


@pytest.mark.parametrize(("flag", "value", "message"), [
    ("-D", "1e23", "invalid int value"),
    ("-C", "1e23", "--max-capacity: must be a number <= 1e+12"),
    ("--max-cost", "10000000000000", "--max-cost: must be a whole number <= 1e+12"),
])
def test_generator_values_out_of_range(tmp_path, flag, value, message, capsys):
    code = None
    try:
        code = main(["generate", "random", "-e", "2", "-d", "4", "-s", "1", flag, value, "-o",
                     str(tmp_path / "x.json")])
    except SystemExit as exc:  # argparse's own usage error
        code = exc.code
    assert code == 2
    assert message in capsys.readouterr().err


# ------------------------------------------- 9./10. the supported value range
def near_limit_instance(scale: float) -> hflopt.Instance:
    rng = np.random.default_rng(5)
    costs = rng.integers(0, 10, size=(12, 4)).astype(float) * scale
    return hflopt.Instance.from_dense([40 * scale] * 4, [5 * scale, 3 * scale, 8 * scale, 1 * scale],
                                      rng.integers(1, 9, 12) * scale, costs, participation_ratio=0.75)


@pytest.mark.parametrize("scale", [1e8, 1e11 / 9])
def test_every_method_agrees_near_the_top_of_the_range(scale):
    inst = near_limit_instance(scale)
    exact = hflopt.solve(inst, "exact")
    assert exact.status == Status.OPTIMAL
    for method in ("auto", "pyomo", "lagrangian", "core-search"):
        res = hflopt.solve(inst, method, time_limit=20)
        assert res.solution is not None
        assert res.solution.verify(inst) == pytest.approx(res.objective)
        assert res.objective >= exact.objective * (1 - 1e-12)
        if res.status == Status.OPTIMAL:
            assert res.objective == pytest.approx(exact.objective, rel=1e-12)


def test_values_past_the_range_name_field_and_value():
    with pytest.raises(InstanceError, match=r"capacity\[0\]: must be at most 1e\+12.*\(got 1000000000000000.0\)"):
        hflopt.Instance.from_dense([1e15], [1], [1], [[1]])
    with pytest.raises(InstanceError, match=r"rounds_ratio: must be at most 1e\+12"):
        hflopt.Instance.from_dense([1], [1], [1], [[1]], rounds_ratio=1e308)


def test_integrality_is_not_claimed_past_exact_float_sums():
    inst = hflopt.Instance.from_dense([1e12] * 2, [1e12, 1e12], [1] * 3, [[1e12] * 2] * 3, rounds_ratio=1e0)
    assert inst.is_integral
    many = hflopt.Instance.from_dense([1e12] * 2, [1e12] * 2, [1] * 5000, np.full((5000, 2), 1e12))
    assert not many.is_integral  # sums past 2**53 are not exact in float64


# ---------------------------------------------------- 11. strict JSON output
def test_info_json_is_strict_without_workload(tmp_path, capsys):
    path = tmp_path / "zero.json"
    save_instance(hflopt.Instance.from_dense([5], [1], [0, 0], [[1], [1]]), path)
    assert main(["info", str(path), "--json"]) == 0
    out = capsys.readouterr().out
    json.loads(out, parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))


def test_metadata_and_names_are_validated_on_construction():
    with pytest.raises(InstanceError, match=r"metadata.a\[1\]: must be a finite number"):
        hflopt.Instance.from_dense([5], [1], [1], [[1]], metadata={"a": [1, float("inf")]})
    with pytest.raises(InstanceError, match="device_ids\\[0\\]: is not valid Unicode"):
        hflopt.Instance.from_dense([5], [1], [1], [[1]], device_ids=["\udc80"])


# --------------------------------------------------------------- 13. statuses
@pytest.fixture
def packing_infeasible() -> hflopt.Instance:
    """Enough capacity in total, but no host holds two devices: infeasible, no cheap proof."""
    return hflopt.Instance.from_dense([6, 6], [1, 1], [4, 4, 4], [[1, 1]] * 3)


@pytest.mark.parametrize("method", ["lagrangian", "local-search", "greedy", "core-search", "greedy-pack",
                                    "greedy-cheapest", "merge-search", "sparse"])
def test_heuristics_that_find_nothing_say_no_solution(packing_infeasible, method):
    assert hflopt.solve(packing_infeasible, "exact").status == Status.INFEASIBLE
    res = hflopt.solve(packing_infeasible, method, time_limit=10)
    assert res.status == Status.NO_SOLUTION
    assert "may still be feasible" in res.message or "not proven" in res.message


def test_greedy_pack_on_a_feasible_instance_exits_4(tmp_path, capsys):
    # pack fills the larger host first with the devices that fit, in order: 4 + 6 on the
    # host of 10 leaves 1 + 6 for the host of 7; the optimum puts 1 + 6 and 4 + 6
    inst = hflopt.Instance.from_dense([7, 10], [1, 1], [4, 1, 6, 6], [[1, 1]] * 4)
    assert hflopt.solve(inst, "exact").status == Status.OPTIMAL
    path = tmp_path / "pack.json"
    save_instance(inst, path)
    assert main(["solve", str(path), "-m", "greedy-pack"]) == 4
    assert "no_solution" in capsys.readouterr().out


# ------------------------------------------------------------------- 14. seeds
def test_negative_seed(inst_file, capsys):
    with pytest.raises(SystemExit) as info:
        main(["solve", str(inst_file), "--seed", "-1"])
    assert info.value.code == 2
    assert "must be a whole number >= 0" in capsys.readouterr().err
    with pytest.raises(SolverError, match="seed must be a whole number"):
        hflopt.solve(hflopt.load(inst_file), "auto", seed=-1)
    for bad in (float("nan"), 0, -3):
        with pytest.raises(SolverError, match="time_limit must be a number of seconds > 0"):
            hflopt.solve(hflopt.load(inst_file), "greedy", time_limit=bad)


# -------------------------------------------------------------- 15. Ctrl-C, I/O
def test_ctrl_c_while_the_solvers_load_is_one_line(monkeypatch, capsys):
    import hflopt.cli as cli

    def interrupted_parser():
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", interrupted_parser)
    assert cli.main(["solve", "instance.json"]) == 130
    assert one_error_line(capsys.readouterr().err) == "hflopt: interrupted"


def _loaded(pid: int, library: str, timeout: float = 60) -> bool:
    """Wait until process ``pid`` has mapped ``library`` (it is past Python's own start-up)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if library in Path(f"/proc/{pid}/maps").read_text():
                return True
        except OSError:
            return False
        time.sleep(0.01)
    return False


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc")
def test_ctrl_c_during_start_up_prints_no_traceback(inst_file):
    proc = subprocess.Popen([*HFLOPT, "solve", str(inst_file)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=sigint_as_default)
    assert _loaded(proc.pid, "numpy")
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert "Traceback" not in err
    assert proc.returncode in (0, 130)


def test_ctrl_c_aborts_a_pyomo_solve_at_once(tmp_path):
    from test_interrupt import slow_instance

    path = tmp_path / "slow.json"
    save_instance(slow_instance(), path)
    proc = subprocess.Popen([*HFLOPT, "solve", str(path), "-m", "pyomo", "--progress"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=sigint_as_default)
    line = proc.stderr.readline()  # the first progress line: HiGHS is running
    assert "best" in line, line
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert time.monotonic() - sent < 10
    assert proc.returncode == 130
    assert err.strip().splitlines()[-1] == "hflopt: interrupted"


def test_an_unreadable_table_is_exit_2(tmp_path, inst_file, monkeypatch, capsys):
    from hflopt.io import _files

    folder = tmp_path / "tables"
    assert main(["convert", str(inst_file), str(folder)]) == 0
    capsys.readouterr()
    real_open = open

    def guarded(path, *args, **kwargs):
        if Path(path).name == "hosts.csv":
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(_files, "open", guarded, raising=False)
    assert main(["info", str(folder)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "hosts.csv: cannot be read: Permission denied" in line
