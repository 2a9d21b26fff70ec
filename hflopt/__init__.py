"""hflopt: orchestration of hierarchical federated learning on edge-cloud hosts.

Decide which edge hosts run an aggregator and which device reports to which
aggregator, so that training traffic is cheapest while every aggregator can
still serve its devices' inference load (HFLOP, Lackinger et al., LCN 2024).

>>> import hflopt
>>> inst = hflopt.random_instance(5, 40, participation=0.7, rounds=4, seed=1)
>>> res = hflopt.solve(inst)
>>> res.status.value
'optimal'
"""

from importlib import import_module
from typing import Any

# Heavy modules (numpy, pandas, the solvers) load on first use, so that `hflopt --version`
# and `hflopt info` start fast and Ctrl-C during start-up never meets a half-imported package.
_EXPORTS = {
    "FormatError": "hflopt.errors",
    "HfloptError": "hflopt.errors",
    "InstanceError": "hflopt.errors",
    "OutputError": "hflopt.errors",
    "SolutionError": "hflopt.errors",
    "SolverError": "hflopt.errors",
    "SolverFailure": "hflopt.errors",
    "SolverNotAvailableError": "hflopt.errors",
    "cflp_instance": "hflopt.cflp",
    "clustered_instance": "hflopt.generators",
    "geometric_instance": "hflopt.generators",
    "instance_from_points": "hflopt.generators",
    "random_instance": "hflopt.generators",
    "Instance": "hflopt.instance",
    "detect_format": "hflopt.io",
    "load_instance": "hflopt.io",
    "save_instance": "hflopt.io",
    "instance_from_graph": "hflopt.io.graphs",
    "read_graph": "hflopt.io.graphs",
    "Result": "hflopt.solution",
    "Solution": "hflopt.solution",
    "Status": "hflopt.solution",
    "Progress": "hflopt.solvers",
    "method_names": "hflopt.solvers",
    "solve": "hflopt.solvers",
    "AutoParams": "hflopt.solvers",
    "CoreSearchParams": "hflopt.solvers",
    "ExactParams": "hflopt.solvers",
    "LagrangianParams": "hflopt.solvers",
    "LocalSearchParams": "hflopt.solvers",
    "SparseParams": "hflopt.solvers",
    "load_params": "hflopt.solvers",
    "replan": "hflopt.replanning",
    "Workloads": "hflopt.replanning",
    "daily_profile": "hflopt.replanning",
    "read_workloads": "hflopt.replanning",
}
_ALIASES = {"load": ("hflopt.io", "load_instance"), "save": ("hflopt.io", "save_instance")}
#: submodules reachable as attributes (``hflopt.generators.draw_workloads``), imported on first use
_SUBMODULES = {"bench", "cflp", "cli", "errors", "evaluate", "generators", "instance", "io", "limits", "metrla",
               "model", "plotting", "replanning", "reproduce", "solution", "solvers"}

def _version() -> str:
    """The installed distribution's version (read on first use: importlib.metadata is slow)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hflopt")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        value: Any = _version()
    elif name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
    elif name in _ALIASES:
        module, attr = _ALIASES[name]
        value = getattr(import_module(module), attr)
    elif name in _SUBMODULES:
        value = import_module(f"hflopt.{name}")
    else:
        raise AttributeError(f"module 'hflopt' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "AutoParams",
    "CoreSearchParams",
    "ExactParams",
    "FormatError",
    "HfloptError",
    "Instance",
    "InstanceError",
    "LagrangianParams",
    "LocalSearchParams",
    "OutputError",
    "Progress",
    "Result",
    "Solution",
    "SolutionError",
    "SolverError",
    "SolverFailure",
    "SolverNotAvailableError",
    "SparseParams",
    "Status",
    "__version__",
    "clustered_instance",
    "detect_format",
    "evaluate",
    "geometric_instance",
    "instance_from_graph",
    "instance_from_points",
    "load",
    "load_instance",
    "load_params",
    "method_names",
    "random_instance",
    "read_graph",
    "save",
    "save_instance",
    "solve",
]
