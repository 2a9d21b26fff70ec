"""Ctrl-C during a solve stops it with the best solution found, labelled as such."""

from __future__ import annotations

import dataclasses
import os
import re
import select
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import sigint_as_default

import hflopt
from hflopt.solution import Status
from hflopt.solvers import Deadline


def slow_instance() -> hflopt.Instance:
    """Tight SSCFLP-style 40 x 240 (capacity 1.15x the demand): exact runs for minutes."""
    rng = np.random.default_rng(11)
    m, n = 40, 240
    dem = rng.integers(5, 36, n).astype(float)
    raw = rng.uniform(10, 160, m)
    cap = np.ceil(raw * 1.15 * dem.sum() / raw.sum())
    fixed = np.round(rng.uniform(0, 90, m) + rng.uniform(100, 110, m) * np.sqrt(cap))
    dist = np.sqrt(((rng.random((n, 1, 2)) - rng.random((1, m, 2))) ** 2).sum(axis=2))
    return hflopt.Instance.from_dense(cap, fixed, dem, np.round(10 * dist * dem[:, None]),
                                      participation_ratio=1.0, name="slow-tight")


@pytest.fixture
def default_sigint():
    """Python's own SIGINT handler for the test (what a script or a notebook has)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def ctrl_c_once_solution_known(times: int = 1):
    sent = []

    def progress(p: hflopt.solvers.Progress) -> None:
        if p.incumbent is not None and not sent:
            sent.append(time.perf_counter())
            for _ in range(times):
                signal.raise_signal(signal.SIGINT)

    return progress, sent


def test_ctrl_c_returns_the_best_solution_found(default_sigint):
    inst = slow_instance()
    progress, sent = ctrl_c_once_solution_known()
    res = hflopt.solve(inst, "exact", progress=progress)
    assert sent, "the solve reported no incumbent before finishing"
    assert time.perf_counter() - sent[0] < 30  # stopped at its next check, not at the proof
    assert res.status == Status.FEASIBLE
    assert "interrupted by the user" in res.message and res.stats["interrupted"] is True
    res.solution.verify(inst)
    assert res.bound is not None and res.bound <= res.objective
    # the handler is restored and the flag cleared: later solves and deadlines are normal
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert not Deadline(None).expired()
    small = hflopt.generators.random_instance(4, 12, seed=1)
    assert hflopt.solve(small, "exact").status == Status.OPTIMAL


def test_second_ctrl_c_aborts(default_sigint):
    progress, _ = ctrl_c_once_solution_known(times=2)
    with pytest.raises(KeyboardInterrupt):
        hflopt.solve(slow_instance(), "exact", progress=progress)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_application_handler_is_left_alone():
    seen = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: seen.append(signum))
    try:
        res = hflopt.solve(hflopt.generators.random_instance(4, 12, seed=2), "exact")
        assert res.status == Status.OPTIMAL
        assert signal.getsignal(signal.SIGINT) is not signal.default_int_handler
        signal.raise_signal(signal.SIGINT)
        assert seen == [signal.SIGINT]
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
def test_cli_ctrl_c_prints_and_writes_the_best_solution(tmp_path):
    path = tmp_path / "slow.json"
    out = tmp_path / "result.json"
    hflopt.save_instance(slow_instance(), path)
    proc = subprocess.Popen([sys.executable, "-m", "hflopt", "solve", str(path), "--method", "exact",
                             "--progress", "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=sigint_as_default)
    try:
        # wait for the progress line (the solve has started, the handler is in place)
        seen = b""
        t0 = time.perf_counter()
        while not re.search(rb"best \d", seen) and time.perf_counter() - t0 < 60:
            ready, _, _ = select.select([proc.stderr], [], [], 1.0)
            if ready:
                chunk = os.read(proc.stderr.fileno(), 4096)
                if not chunk:
                    break
                seen += chunk
        assert proc.poll() is None, "the solve ended before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = stdout.decode()
    assert proc.returncode == 0, (stdout, seen + stderr)
    assert "interrupted by the user" in text
    assert "Traceback" not in (seen + stderr).decode()
    saved = out.read_text()
    assert '"status": "feasible"' in saved


def test_pyomo_solves_keep_the_usual_ctrl_c(default_sigint, monkeypatch):
    # hflopt cannot stop another solver's run: no handler is installed for it
    import hflopt.solvers as solvers

    seen = []

    def fake_pyomo(instance, options, params):
        seen.append(signal.getsignal(signal.SIGINT))
        return solvers.METHODS["exact"].run(instance)

    monkeypatch.setitem(solvers.METHODS, "pyomo", dataclasses.replace(solvers.METHODS["pyomo"], run=fake_pyomo))
    hflopt.solve(hflopt.generators.random_instance(4, 12, seed=3), "pyomo")
    assert seen == [signal.default_int_handler]
    seen_exact = []

    def spy(p):
        seen_exact.append(signal.getsignal(signal.SIGINT))

    hflopt.solve(hflopt.generators.random_instance(4, 12, seed=3), "exact", progress=spy)
    assert seen_exact and all(h is not signal.default_int_handler for h in seen_exact)


def test_ctrl_c_before_any_solution_still_gives_one(default_sigint):
    # interrupted during the first LP round, before the heuristics: exact still
    # assigns the devices greedily (one quick pass) rather than return nothing
    inst = slow_instance()
    sent = []

    def progress(p: hflopt.solvers.Progress) -> None:
        if not sent:
            sent.append(p)
            signal.raise_signal(signal.SIGINT)

    res = hflopt.solve(inst, "exact", progress=progress)
    assert sent and sent[0].incumbent is None
    assert res.status == Status.FEASIBLE and res.stats["interrupted"] is True
    assert res.stats["incumbent_from"] == "greedy"
    res.solution.verify(inst)


def test_a_solve_nested_in_a_progress_callback_keeps_the_outer_handler(default_sigint):
    # the inner solve sees hflopt's own handler in place and leaves it (and the flag) alone
    inst = slow_instance()
    small = hflopt.generators.random_instance(4, 12, seed=4)
    inner = []

    def progress(p: hflopt.solvers.Progress) -> None:
        if p.incumbent is not None and not inner:
            inner.append(hflopt.solve(small, "exact"))
            assert signal.getsignal(signal.SIGINT) is not signal.default_int_handler
            signal.raise_signal(signal.SIGINT)

    res = hflopt.solve(inst, "exact", progress=progress)
    assert inner and inner[0].status == Status.OPTIMAL
    assert res.status == Status.FEASIBLE and res.stats["interrupted"] is True
    res.solution.verify(inst)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
