"""One benchmark run in a child process that can be killed.

:func:`run_isolated` is what every executor calls, locally or on a Dask
worker: it starts ``python -m hflopt.bench._child`` in a process group of
its own, hands it the :class:`RunTask`, and waits. The child loads (or
generates) the instance, solves, verifies the solution and writes one row.
A run still going ``grace`` seconds after its time limit is killed with its
whole process group (HiGHS's isolated branch-and-bound included); a child
that dies without a row (a crash, the kernel's out-of-memory killer) is a
row too. The peak memory is the child's peak resident set, which it reports
itself (:func:`hflopt.bench._child.peak_memory_mb`); for a killed run the
parent reads it from ``/proc`` just before the kill (Linux; elsewhere it is
left empty).

A fresh interpreter per run (instead of ``fork``) keeps runs independent of
each other and of the caller's threads, and works inside Dask workers,
which are daemon processes that ``multiprocessing`` may not fork from.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hflopt.bench.params import MethodSpec
from hflopt.bench.sources import InstanceSource

__all__ = ["RunTask", "allow_runs", "kill_all", "run_isolated"]

log = logging.getLogger(__name__)

_LIVE: set[int] = set()
_LIVE_LOCK = threading.Lock()
#: set by :func:`kill_all`: runs not started yet do not start, runs going are killed
_STOP = threading.Event()
#: seconds between checks of a running child (grows from the first value to the second)
_POLL = (0.005, 0.1)


@dataclass(frozen=True)
class RunTask:
    """One (instance, method, repeat) run.

    Attributes
    ----------
    index:
        Position in the run's task list (results are put back in this order).
    source, method:
        The instance and the method.
    repeat, seed:
        Repeat number (0-based) and the solver seed it gets.
    time_limit, threads:
        Handed to the method when it takes them.
    grace, load_timeout:
        Kill the child ``grace`` s after the time limit; allow
        ``load_timeout`` s for starting and loading before that clock starts.
    max_input_size:
        Cap on the bytes read from the instance file.
    """

    index: int
    source: InstanceSource
    method: MethodSpec
    repeat: int
    seed: int | None
    time_limit: float | None
    threads: int | None
    grace: float
    load_timeout: float
    max_input_size: int | None = None


def allow_runs() -> None:
    """Let runs start again after :func:`kill_all` (a new batch)."""
    _STOP.clear()


def kill_all() -> None:
    """Kill every child run still going in this process and start no more (on Ctrl-C)."""
    _STOP.set()
    with _LIVE_LOCK:
        pids = list(_LIVE)
    for pid in pids:
        _kill(pid)


def _kill(pid: int) -> None:
    try:
        if hasattr(os, "killpg"):
            os.killpg(pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            os.kill(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        pass


def _base_row(task: RunTask) -> dict[str, Any]:
    return {"index": task.index, "instance": task.source.name, "source": task.source.label,
            "method": task.method.label, "repeat": task.repeat, "seed": task.seed,
            "time_limit": task.time_limit}


def run_isolated(task: RunTask) -> dict[str, Any]:
    """Run ``task`` in a child process; return its row (never raises for a failed run).

    The row holds the task's identity (``index``, ``instance``, ``method``,
    ``repeat``, ``seed``, ...), what the child reported (sizes, ``status``,
    ``objective``, ``bound``, ``gap``, ``seconds``, ``message``) and
    ``peak_memory_mb``. Status ``killed``: stopped after the time limit
    plus the grace period; ``crashed``: the child died without a row.
    """
    row = _base_row(task)
    if _STOP.is_set():
        return {**row, "status": "cancelled", "message": "the batch was interrupted before this run started"}
    with tempfile.TemporaryDirectory(prefix="hflopt-bench-") as tmp:
        folder = Path(tmp)
        (folder / "task.pickle").write_bytes(pickle.dumps(task, protocol=pickle.HIGHEST_PROTOCOL))
        started = time.monotonic()
        with open(folder / "stderr.txt", "w+b") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "hflopt.bench._child", str(folder)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                start_new_session=hasattr(os, "setsid"),
            )
            with _LIVE_LOCK:
                _LIVE.add(proc.pid)
            try:
                state, peak = _wait(proc, task, folder / "solving", started)
            finally:
                with _LIVE_LOCK:
                    _LIVE.discard(proc.pid)
                _kill(proc.pid)  # stragglers of its process group, if any
            err.seek(0)
            stderr = err.read()[-4000:].decode("utf-8", "replace")
        row["peak_memory_mb"] = peak
        row.update(_outcome(task, folder, state, int(proc.returncode), stderr, started))
    return row


def _outcome(task: RunTask, folder: Path, state: str, status: int, stderr: str,
             started: float) -> dict[str, Any]:
    """What the child reported, or why it reported nothing."""
    result = folder / "row.json"
    if state == "cancelled":
        return {"status": "cancelled", "message": "the batch was interrupted during this run"}
    killed = state == "killed"
    if not killed and result.exists():
        try:
            return json.loads(result.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            return {"status": "crashed", "message": f"unreadable row from the child: {exc}"}
    solving = folder / "solving"
    if killed:
        since = _solve_start(solving)
        seconds = time.time() - since if since is not None else time.monotonic() - started
        limit = "" if task.time_limit is None else f" of {task.time_limit:g} s"
        what = "still solving" if since is not None else "still loading the instance"
        return {"status": "killed", "seconds": seconds,
                "message": f"{what} {task.grace:g} s after the time limit{limit}; killed"}
    return {"status": "crashed", "seconds": time.monotonic() - started, "message": _crash_message(status, stderr)}


def _solve_start(marker: Path) -> float | None:
    try:
        return float(marker.read_text())
    except (OSError, ValueError):
        return None


def _crash_message(status: int, stderr: str) -> str:
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        hint = " (out of memory?)" if name == "SIGKILL" else ""
        return f"the run's process died of {name}{hint}"
    last = next((line.strip() for line in reversed(stderr.splitlines()) if line.strip()), "")
    return f"the run's process exited with status {status}" + (f": {last}" if last else "")


def _deadline(task: RunTask, marker: Path, started: float) -> float:
    """When to kill: time limit + grace after the solve started (or after the load allowance)."""
    if task.time_limit is None:
        return float("inf")
    since = _solve_start(marker)
    if since is None:
        return started + task.load_timeout + task.time_limit + task.grace
    return since - time.time() + time.monotonic() + task.time_limit + task.grace


def _wait(proc: subprocess.Popen[bytes], task: RunTask, marker: Path, started: float) -> tuple[str, float | None]:
    """Wait for the child, killing it at its deadline or on :func:`kill_all`.

    Returns ``("done" | "killed" | "cancelled", peak memory in MB read just before a kill)``.
    """
    from hflopt.bench._child import _status_kib

    delay = _POLL[0]
    while proc.poll() is None:
        stop = _STOP.is_set()
        if stop or time.monotonic() > _deadline(task, marker, started):
            peak = _status_kib(Path(f"/proc/{proc.pid}/status"))  # Linux: its peak so far
            _kill(proc.pid)
            proc.wait()
            return "cancelled" if stop else "killed", None if peak is None else peak / 1024
        time.sleep(delay)
        delay = min(delay * 1.5, _POLL[1])
    return "done", None
