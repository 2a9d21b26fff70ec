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

from hflopt.errors import (
    FormatError,
    HfloptError,
    InstanceError,
    SolutionError,
    SolverError,
    SolverNotAvailableError,
)
from hflopt.generators import random_instance
from hflopt.instance import Instance
from hflopt.io import detect_format, load_instance, save_instance
from hflopt.solution import Result, Solution, Status
from hflopt.solvers import Progress, method_names, solve

__version__ = "0.1.0"

load = load_instance
save = save_instance

__all__ = [
    "Instance",
    "Solution",
    "Result",
    "Status",
    "Progress",
    "solve",
    "method_names",
    "load",
    "save",
    "load_instance",
    "save_instance",
    "detect_format",
    "random_instance",
    "HfloptError",
    "InstanceError",
    "FormatError",
    "SolutionError",
    "SolverError",
    "SolverNotAvailableError",
    "__version__",
]
