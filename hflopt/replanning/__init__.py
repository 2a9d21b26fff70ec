"""Re-orchestration over time: plans that follow the inference load through the day.

- :class:`Workloads`: device x period workloads; :func:`daily_profile`
  (two rush hours, per-device phase and amplitude, noise),
  :func:`read_workloads` / :func:`save_workloads` (CSV),
  :func:`workloads_from_readings` (time-stamped sensor readings such as
  METR-LA's speeds).
- :func:`replan`: one plan per period under a policy -- ``static``,
  ``myopic``, ``stable`` (migration, opening and closing costs folded into
  each period's instance), ``robust`` (one plan for every period's load) or
  ``horizon`` (the whole day as one MILP) -- returning a
  :class:`ReplanResult` with ``to_frame()`` and ``summary()``.
- :func:`plot_day`: cost, migrations and latency over the day.

Details and measurements: docs/replan.md.
"""

from hflopt.replanning.changes import ChangeCosts, Changes, changes, planning_instance
from hflopt.replanning.plots import plot_day, save_day_plot
from hflopt.replanning.policies import POLICIES, ReplanParams, replan
from hflopt.replanning.readings import ReadingsParams, read_readings, workloads_from_readings
from hflopt.replanning.result import PERIOD_COLUMNS, ReplanResult
from hflopt.replanning.workloads import DayParams, Workloads, daily_profile, read_workloads, save_workloads

__all__ = [
    "PERIOD_COLUMNS",
    "POLICIES",
    "ChangeCosts",
    "Changes",
    "DayParams",
    "ReadingsParams",
    "ReplanParams",
    "ReplanResult",
    "Workloads",
    "changes",
    "daily_profile",
    "planning_instance",
    "plot_day",
    "read_readings",
    "read_workloads",
    "replan",
    "save_day_plot",
    "save_workloads",
    "workloads_from_readings",
]
