"""Shared fixtures: paths to ../shared data and small helpers."""

from __future__ import annotations

import itertools
import os
import signal
from pathlib import Path

import numpy as np
import pytest

import hflopt

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HFLOPT_SHARED", ROOT.parent / "shared"))
HOLMBERG = SHARED / "data" / "sscflp" / "holmberg"
METR_LA = SHARED / "data" / "metr-la"
DATA = Path(__file__).resolve().parent / "data"


def sigint_as_default() -> None:
    """``preexec_fn`` of a child process the test sends Ctrl-C (SIGINT) to.

    A shell without job control starts background jobs with SIGINT ignored, and
    children inherit that: Python then installs no KeyboardInterrupt handler and
    hflopt rightly leaves the ignored signal alone. Tests that send SIGINT reset it
    so that they test hflopt, not how the test run was started.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    """Run ``hflopt ARGV`` in-process: exit status, stdout, stderr."""
    from hflopt.cli import main

    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def need(path: Path) -> Path:
    """Skip the calling test with a clear reason when shared data is absent."""
    if not path.exists():
        pytest.skip(f"shared data not found at {path} (set HFLOPT_SHARED to the ../shared folder)")
    return path


def holmberg_optima() -> dict[str, float]:
    """Optimal values of p1..p71 from the ``os`` file (line k is p<k>)."""
    lines = (need(HOLMBERG) / "os").read_text().split()
    return {f"p{k + 1}": float(v) for k, v in enumerate(lines)}


def brute_force(inst: hflopt.Instance, *, capacitated: bool = True) -> float | None:
    """Optimum by enumerating every assignment (tiny instances only); None if infeasible."""
    n, m = inst.n_devices, inst.n_hosts
    cost = inst.dense_costs()
    best = None
    for combo in itertools.product(range(-1, m), repeat=n):
        h = np.array(combo)
        on = h >= 0
        if on.sum() < inst.min_participants:
            continue
        if np.any(~np.isfinite(cost[np.flatnonzero(on), h[on]])):
            continue
        if capacitated:
            loads = np.bincount(h[on], weights=inst.workload[on], minlength=m)
            if np.any(loads > inst.capacity + 1e-9):
                continue
        value = inst.edge_cost[np.unique(h[on])].sum() + inst.rounds_ratio * cost[np.flatnonzero(on), h[on]].sum()
        if best is None or value < best - 1e-12:
            best = float(value)
    return best


@pytest.fixture
def tiny() -> hflopt.Instance:
    """A 3-host, 6-device instance small enough to reason about by hand."""
    return hflopt.Instance.from_dense(
        capacity=[10, 6, 4],
        edge_cost=[5, 3, 1],
        workload=[3, 3, 2, 2, 4, 1],
        costs=[[0, 2, 4], [1, 0, 3], [2, 2, 0], [3, 1, 1], [0, 4, 4], [5, 5, 0]],
        participation_ratio=5 / 6,
        rounds_ratio=2,
        name="tiny",
    )
