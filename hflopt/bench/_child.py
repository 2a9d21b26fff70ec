"""The child process of one benchmark run: ``python -m hflopt.bench._child FOLDER``.

Reads ``FOLDER/task.pickle`` (a :class:`~hflopt.bench.runner.RunTask`
written by the parent), writes ``FOLDER/solving`` (the wall-clock time the
solve starts, for the parent's kill deadline) and ``FOLDER/row.json`` (the
row). Every failure of the instance or the method becomes a row with status
``error`` and a one-line message; only a crash of the process itself leaves
no row, which the parent records as ``crashed``.
"""

from __future__ import annotations

import importlib
import inspect
import json
import math
import os
import pickle
import sys
import time
from pathlib import Path
from typing import Any

#: options every benchmark run hands to a method that takes them
_COMMON = ("time_limit", "seed", "threads")


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().replace("\n", " ") or type(exc).__name__
    return text if len(text) <= 500 else text[:497] + "..."


def _method(spec: Any) -> Any:
    """The function to call: a registered method, or ``module:function``."""
    if spec.is_callable_path:
        module, _, name = spec.method.partition(":")
        return getattr(importlib.import_module(module), name)
    from hflopt.solvers import METHODS

    return METHODS[spec.method]


def _takes(func: Any) -> Any:
    """A test ``key in _takes(func)``: the registered method's options, or the function's keywords."""
    from hflopt.solvers.registry import Method

    if isinstance(func, Method):
        return func.options
    params = inspect.signature(func).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return _COMMON
    return params


def _options(func: Any, task: Any) -> dict[str, Any]:
    takes = _takes(func)
    options = {key: getattr(task, key) for key in _COMMON if getattr(task, key) is not None and key in takes}
    options.update(task.method.options)
    return options


def _solve(instance: Any, task: Any, folder: Path) -> dict[str, Any]:
    import hflopt

    func = _method(task.method)
    options = _options(func, task)
    (folder / "solving").write_text(repr(time.time()))
    start = time.perf_counter()
    if task.method.is_callable_path:
        result = func(instance, **options)
    else:
        result = hflopt.solve(instance, task.method.method, **options)
    seconds = time.perf_counter() - start
    objective = None
    if result.solution is not None:
        objective = result.solution.verify(instance, capacity=not options.get("uncapacitated", False))
    return {"status": result.status.value, "objective": _finite(objective), "bound": _finite(result.bound),
            "gap": _finite(result.gap), "seconds": seconds, "message": result.message.replace("\n", " ")}


def execute(task: Any, folder: Path) -> dict[str, Any]:
    """Load the instance and run the method; a row for every outcome but a crash."""
    from hflopt.errors import HfloptError

    row: dict[str, Any] = {}
    start = time.perf_counter()
    try:
        instance = task.source.build(task.max_input_size)
    except (HfloptError, OSError, MemoryError) as exc:
        return {"status": "error", "message": _one_line(exc), "seconds": None}
    row["load_seconds"] = time.perf_counter() - start
    row.update(hosts=instance.n_hosts, devices=instance.n_devices, links=instance.n_links,
               reported_optimum=_finite(instance.metadata.get("reported_optimum")))
    try:
        row.update(_solve(instance, task, folder))
    except Exception as exc:  # a failed method is a row, not the end of the benchmark
        row.update(status="error", message=f"{type(exc).__name__}: {_one_line(exc)}", seconds=None)
    return row


def _status_kib(path: Path, key: str = "VmHWM") -> float | None:
    """A ``kB`` field of a Linux ``/proc/PID/status`` file (None elsewhere)."""
    try:
        for line in path.read_text().splitlines():
            if line.startswith(key + ":"):
                return float(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def peak_memory_mb() -> float | None:
    """Peak resident memory of this process and the children it waited for, in MB.

    On Linux the process's own peak is VmHWM: ``ru_maxrss`` would also count
    the parent's memory, which the kernel carries over through ``exec``.
    Children (HiGHS's isolated branch-and-bound) count by their ``ru_maxrss``.
    """
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere
    own = _status_kib(Path("/proc/self/status"))
    own_mb = own / 1024 if own is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale
    return max(own_mb, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / scale)


def main(argv: list[str]) -> int:
    folder = Path(argv[0])
    # HiGHS prints a banner on stdout from C++: keep it (and any print) out of the way
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    task = pickle.loads((folder / "task.pickle").read_bytes())
    row = execute(task, folder)
    row["peak_memory_mb"] = peak_memory_mb()
    tmp = folder / "row.json.tmp"
    tmp.write_text(json.dumps(row, allow_nan=False), "utf-8")
    os.replace(tmp, folder / "row.json")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
