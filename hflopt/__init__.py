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

from hflopt import evaluate
from hflopt.errors import (
    FormatError,
    HfloptError,
    InstanceError,
    SolutionError,
    SolverError,
    SolverNotAvailableError,
)
from hflopt.generators import (
    clustered_instance,
    geometric_instance,
    instance_from_points,
    random_instance,
)
from hflopt.instance import Instance
from hflopt.io import detect_format, load_instance, save_instance
from hflopt.io.graphs import instance_from_graph, read_graph  # also registers graph file formats
from hflopt.solution import Result, Solution, Status
from hflopt.solvers import Progress, method_names, solve

__version__ = "0.1.0"

load = load_instance
save = save_instance

__all__ = [
    "FormatError",
    "HfloptError",
    "Instance",
    "InstanceError",
    "Progress",
    "Result",
    "Solution",
    "SolutionError",
    "SolverError",
    "SolverNotAvailableError",
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
    "method_names",
    "random_instance",
    "read_graph",
    "save",
    "save_instance",
    "solve",
]
