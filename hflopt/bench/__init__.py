"""Benchmark methods against each other on your instances: ``hflopt bench`` as a library.

>>> from hflopt import bench
>>> table = bench.run_bench(["random:M=5,N=40,seeds=0-1"], methods=["exact", "greedy"], time_limit=10)
>>> list(table["status"])  # doctest: +SKIP
['optimal', 'optimal', 'feasible', 'feasible']

- :func:`run_bench` -> a tidy DataFrame, one row per (instance, method, repeat),
  each run in a child process killed at its time limit plus a grace period;
  local processes (``jobs``) or a Dask cluster (``dask="local"`` or an address).
- :func:`summarize` / :func:`summary_markdown`: per-method summary.
- :func:`save_results` / :func:`load_results`: CSV or Parquet files.
- :func:`plot_gap_vs_time`, :func:`plot_runtime_vs_size`,
  :func:`plot_performance_profile` (``ax=``), :func:`save_plots`.
- :class:`BenchParams`, :class:`MethodSpec`, :class:`InstanceSource`,
  :func:`expand_instances`: the parts.

Modules load on first use: ``python -m hflopt.bench._child`` (every run's
process) imports this package and must start fast.
"""

from importlib import import_module
from typing import Any

_EXPORTS = {
    "BenchParams": "hflopt.bench.params",
    "DEFAULT_METHODS": "hflopt.bench.params",
    "MethodSpec": "hflopt.bench.params",
    "InstanceSource": "hflopt.bench.sources",
    "expand_instances": "hflopt.bench.sources",
    "parse_generator_spec": "hflopt.bench.sources",
    "read_optima": "hflopt.bench.sources",
    "COLUMNS": "hflopt.bench.core",
    "add_best_known": "hflopt.bench.core",
    "results_frame": "hflopt.bench.core",
    "run_bench": "hflopt.bench.core",
    "summarize": "hflopt.bench.summary",
    "summary_markdown": "hflopt.bench.summary",
    "check_results_path": "hflopt.bench.results",
    "load_results": "hflopt.bench.results",
    "save_results": "hflopt.bench.results",
    "summary_path": "hflopt.bench.results",
    "plot_gap_vs_time": "hflopt.bench.plots",
    "plot_performance_profile": "hflopt.bench.plots",
    "plot_runtime_vs_size": "hflopt.bench.plots",
    "save_plots": "hflopt.bench.plots",
    "DaskExecutor": "hflopt.bench.executors",
    "LocalExecutor": "hflopt.bench.executors",
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'hflopt.bench' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = sorted(_EXPORTS)
