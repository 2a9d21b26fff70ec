"""Methods x instances -> a tidy results table.

:func:`run_bench` expands the instances, makes one task per (instance,
method, repeat), runs them on an executor (local processes or Dask) and
returns one row per run, in task order whatever order they finished in.
The best known value of each instance comes from its file (an ``os`` or
``optima`` file, a CSV list's column), else from the instance's metadata
(``reported_optimum``, appended to some SSCFLP files), else from the best
solution any run found (``run``, or ``run (proven)`` when some run's bound
reaches it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from hflopt.bench.params import BenchParams
from hflopt.bench.runner import RunTask, allow_runs, kill_all, run_isolated
from hflopt.bench.sources import InstanceSource, expand_instances

__all__ = ["COLUMNS", "add_best_known", "execute_tasks", "make_tasks", "results_frame", "run_bench"]

log = logging.getLogger(__name__)

#: columns of the results table, in order
COLUMNS = ("instance", "source", "hosts", "devices", "links", "method", "repeat", "seed", "status",
           "objective", "bound", "gap", "best_known", "best_known_source", "gap_to_best", "seconds",
           "peak_memory_mb", "time_limit", "message")
#: statuses that come with a verified solution
WITH_SOLUTION = ("optimal", "feasible", "time_limit")
#: relative tolerance for "at the best known value" and "the bound proves it"
TOLERANCE = 1e-6

ProgressCallback = Callable[[dict[str, Any], int, int], None]


def make_tasks(sources: Sequence[InstanceSource], params: BenchParams) -> list[RunTask]:
    """One task per (instance, method, repeat), instance by instance."""
    tasks = []
    for source in sources:
        for spec in params.specs:
            for repeat in range(params.repeat):
                tasks.append(RunTask(len(tasks), source, spec, repeat, params.seed_of(repeat), params.time_limit,
                                     params.threads, params.grace, params.load_timeout, params.max_input_size))
    return tasks


def _progress_bar(total: int) -> tuple[Any, ProgressCallback]:
    """A rich progress bar on stderr (in a notebook: live with ipywidgets, else drawn once at the end)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if console.is_jupyter:
        try:
            import ipywidgets  # noqa: F401  (rich's live display in Jupyter needs it)
        except ImportError:
            console = Console(stderr=True, force_jupyter=False, force_terminal=False)
    bar = Progress(TextColumn("[bold]bench[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   TextColumn("{task.description}"), console=console, transient=False)
    task = bar.add_task("", total=total)

    def update(row: dict[str, Any], done: int, total: int) -> None:
        text = f"{row['instance']} {row['method']}: {row['status']}" if done < total else f"{total} runs done"
        bar.update(task, completed=done, description=text)

    return bar, update


def execute_tasks(tasks: list[RunTask], params: BenchParams, executor: Any = None,
                  progress: ProgressCallback | None = None) -> list[dict[str, Any]]:
    """Run ``tasks`` (on ``executor``, default the one ``params`` asks for); their rows in task order.

    On Ctrl-C every child run still going is killed before KeyboardInterrupt goes on.
    """
    from hflopt.bench.executors import executor_for

    own = executor is None
    executor = executor_for(params.jobs, params.dask) if own else executor
    allow_runs()
    rows: list[dict[str, Any] | None] = [None] * len(tasks)
    try:
        for done, row in enumerate(executor.map_unordered(run_isolated, tasks), start=1):
            rows[row["index"]] = row
            log.debug("run %d/%d: %s %s %s", done, len(tasks), row["instance"], row["method"], row["status"])
            if progress is not None:
                progress(row, done, len(tasks))
    except KeyboardInterrupt:
        kill_all()
        raise
    finally:
        if own:
            executor.close()
    return [row for row in rows if row is not None]


def run_bench(
    instances: Iterable[Any],
    params: BenchParams | None = None,
    *,
    format: str | None = None,
    progress: bool | ProgressCallback | None = None,
    executor: Any = None,
    **kwargs: Any,
) -> Any:
    """Run every method on every instance; return the results as a pandas DataFrame.

    Parameters
    ----------
    instances:
        Files, folders, CSV lists, generator specs
        (``"random:M=50,N=1000,seeds=1-5"``), :class:`~hflopt.Instance` or
        :class:`~hflopt.bench.InstanceSource` objects
        (see :func:`~hflopt.bench.expand_instances`).
    params:
        A :class:`~hflopt.bench.BenchParams`; keyword arguments build one
        (``run_bench(paths, methods=["exact", "greedy"], time_limit=10)``).
    format:
        Read every file in this format instead of detecting it.
    progress:
        True for a progress bar (rich, on stderr or in the notebook), or a
        function called with ``(row, done, total)`` after every run.
    executor:
        An object with ``map_unordered(fn, tasks)`` and ``close()``
        (default: from ``params.jobs`` and ``params.dask``; one given here is
        not closed).

    Returns
    -------
    pandas.DataFrame
        One row per run with the columns :data:`COLUMNS`. Failed, killed
        and crashed runs are rows with their status and message.

    Raises
    ------
    InstanceError
        Bad parameters, a method that does not exist, a path that does not
        exist or a bad generator spec -- all before any run starts.
    """
    if params is None:
        params = BenchParams(**kwargs)
    elif kwargs:
        from dataclasses import replace

        params = replace(params, **kwargs)
    params.check_methods()
    sources = expand_instances(instances, format=format)
    tasks = make_tasks(sources, params)
    log.info("bench: %d instance(s) x %d method(s) x %d repeat(s) = %d runs", len(sources), len(params.specs),
             params.repeat, len(tasks))
    callback: ProgressCallback | None = progress if callable(progress) else None
    bar = None
    if progress is True:
        bar, callback = _progress_bar(len(tasks))
        bar.start()
    try:
        rows = execute_tasks(tasks, params, executor, callback)
    finally:
        if bar is not None:
            bar.stop()
    return results_frame(rows, sources)


def results_frame(rows: Sequence[dict[str, Any]], sources: Sequence[InstanceSource] = ()) -> Any:
    """The rows of :func:`~hflopt.bench.runner.run_isolated` as a table with best known values and gaps."""
    import pandas as pd

    frame = pd.DataFrame(list(rows))
    for column in (*COLUMNS, "reported_optimum"):
        if column not in frame.columns:
            frame[column] = None
    for column in ("hosts", "devices", "links"):
        frame[column] = frame[column].astype("Int64")
    for column in ("objective", "bound", "gap", "seconds", "peak_memory_mb", "time_limit", "reported_optimum"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    frame = add_best_known(frame, sources)
    return frame[list(COLUMNS)].reset_index(drop=True)


def _run_best(group: Any) -> tuple[float | None, str | None]:
    objectives = group["objective"].dropna()
    if objectives.empty:
        return None, None
    best = float(objectives.min())
    bounds = group["bound"].dropna()
    proven = (not bounds.empty and float(bounds.max()) >= best - TOLERANCE * max(1.0, abs(best))) or bool(
        (group["status"] == "optimal").any())
    return best, "run (proven)" if proven else "run"


def add_best_known(frame: Any, sources: Sequence[InstanceSource] = ()) -> Any:
    """Add ``best_known``, ``best_known_source`` and ``gap_to_best`` to a results table.

    ``gap_to_best`` is ``(objective - best_known) / max(1, |best_known|)``
    (hflopt's gap convention: optima of 0 stay comparable).
    """
    given = {s.name: (s.best_known, s.best_known_source) for s in sources if s.best_known is not None}
    best: dict[str, tuple[float | None, str | None]] = {}
    for name, group in frame.groupby("instance", sort=False):
        if name in given:
            best[name] = given[name]
            continue
        reported = group["reported_optimum"].dropna()
        best[name] = (float(reported.iloc[0]), "metadata") if not reported.empty else _run_best(group)
    frame = frame.copy()
    frame["best_known"] = frame["instance"].map(lambda n: best.get(n, (None, None))[0]).astype(float)
    frame["best_known_source"] = frame["instance"].map(lambda n: best.get(n, (None, None))[1])
    scale = frame["best_known"].abs().clip(lower=1.0)
    frame["gap_to_best"] = (frame["objective"] - frame["best_known"]) / scale
    _warn_inconsistent(frame)
    return frame


def _warn_inconsistent(frame: Any) -> None:
    """Log runs that contradict a stated best known value: a better solution, or a higher proven bound."""
    better = frame["gap_to_best"] < -TOLERANCE
    for _, row in frame[better].iterrows():
        log.warning("%s: %s found %.10g, better than the best known value %.10g (%s)", row["instance"],
                    row["method"], row["objective"], row["best_known"], row["best_known_source"])
    stated = frame["best_known_source"].notna() & ~frame["best_known_source"].astype(str).str.startswith("run")
    scale = frame["best_known"].abs().clip(lower=1.0)
    above = stated & (frame["bound"] > frame["best_known"] + TOLERANCE * scale)
    for _, row in frame[above].iterrows():
        log.warning("%s: %s proved a lower bound of %.10g, above the stated optimum %.10g (%s): "
                    "the stated value cannot be reached", row["instance"], row["method"], row["bound"],
                    row["best_known"], row["best_known_source"])


def is_solved(frame: Any) -> Any:
    """Runs that found a verified solution, or proved the instance infeasible."""
    return frame["objective"].notna() | (frame["status"] == "infeasible")
