"""Do all methods return within their time limit? A table per instance family.

The promise: every method returns within ``max(1.1 x limit, limit + 1 s)`` on any
instance hflopt accepts. Measured here on three families, each run in a child
process of its own (a run that hangs is recorded as such, at 3 x the limit + 60 s):

- tight: SSCFLP-style 50 x 300, total capacity 1.3 x the demand (benchmarks/exact.py's
  ``tight_instance``), where HiGHS's presolve used to run tens of seconds past a limit;
- dense: the authors' generator, 100 x 1,000 (p = 0.7, l = 4, Dmax = 20, C = 10 N Dmax / M);
- sparse: geometric 500 x 20,000 with 8 links per device, capacity 1.3 x the workload;
- lan: the authors' cost experiment at density 1:4 (250 x 1,000, zero-cost LAN, unit costs,
  workloads U{0..40}, capacities U{0..320}, p = 1, l = 2), where auto used to overrun.

    python benchmarks/time_limits.py                       # every method, limits 3 and 10 s
    python benchmarks/time_limits.py --methods exact auto --limits 5 --seeds 0 1 2

Runs go through ``hflopt.bench`` (the harness behind ``hflopt bench``): each run is a process
of its own, one at a time (``--jobs 1``: two runs sharing two cores would overrun for the
machine's sake), its time taken around ``hflopt.solve`` (loading the file is not counted),
every solution verified, and a run still going at ``3 x limit + 60 s`` killed and counted
as late. ``-o runs.csv`` keeps the whole table (``hflopt bench plot`` draws it).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import hflopt
from hflopt import bench
from hflopt.generators import authors_runtime_capacity

sys.path.insert(0, str(Path(__file__).resolve().parent))
from exact import tight_instance  # the exact benchmark's tight family

FAMILIES = ("tight", "dense", "sparse", "lan")
#: statuses of runs that returned a verified answer in time or not: a crash or a kill is late
_RETURNED = {"optimal", "feasible", "time_limit", "infeasible", "no_solution"}


def make_instance(family: str, seed: int) -> hflopt.Instance:
    if family == "tight":
        return tight_instance(50, 300, 1.3, seed)
    if family == "dense":
        return hflopt.random_instance(100, 1000, participation=0.7, rounds=4, max_workload=20,
                                      max_capacity=authors_runtime_capacity(1000, 100, 20),
                                      seed=seed)
    if family == "lan":
        return hflopt.random_instance(250, 1000, participation=1.0, rounds=2, max_capacity=320,
                                      max_workload=40, min_cost=1, max_cost=1, zero_cost_lan=True, seed=seed)
    return hflopt.geometric_instance(500, 20000, k=8, tightness=1.3, capacity_cv=0.3, decimals=0,
                                     participation=1.0, seed=seed)


def budget(limit: float) -> float:
    return max(1.1 * limit, limit + 1.0)


def run_limit(paths: list[Path], methods: list[str], limit: float, jobs: int) -> Any:
    """Every method on every file with ``limit``; the harness's table plus family, seed and limit."""
    params = bench.BenchParams(methods=methods, time_limit=limit, grace=2 * limit + 60, seed=None, jobs=jobs)
    def report(row: dict[str, Any], done: int, total: int) -> None:
        took = "" if row.get("seconds") is None else f" {row['seconds']:.2f} s"
        print(f"# limit {limit:g} [{done}/{total}] {row['instance']} {row['method']}: {row['status']}{took}",
              file=sys.stderr, flush=True)

    frame = bench.run_bench([str(p) for p in paths], params, progress=report)
    parts = frame["instance"].str.rsplit("-", n=1, expand=True)
    return frame.assign(family=parts[0], seed=parts[1].astype(int), limit=limit)


def in_time(frame: Any) -> Any:
    """Per run: returned (a verified answer or an honest status) within the budget."""
    budgets = frame["limit"].map(budget)
    return frame["status"].isin(_RETURNED) & (frame["seconds"] <= budgets)


def table(frame: Any, methods: list[str], families: list[str]) -> str:
    """Worst elapsed time per (method, family) and the runs within the budget."""
    lines = ["| method | " + " | ".join(f"{f}: worst elapsed / limit (s)" for f in families)
             + " | within max(1.1 L, L + 1 s) |", "|---|" + "---|" * len(families) + "---|"]
    ok = in_time(frame)
    for method in methods:
        cells = []
        for family in families:
            mine = frame[(frame["method"] == method) & (frame["family"] == family)]
            ratio = (mine["seconds"] / mine["limit"]).fillna(float("inf"))
            worst = mine.loc[ratio.idxmax()]
            cells.append(f"{worst['seconds']:.2f} / {worst['limit']:g}" + ("" if worst["status"] in _RETURNED
                                                                          else f" ({worst['status']})"))
        mine = frame["method"] == method
        cells.append(f"{int(ok[mine].sum())}/{int(mine.sum())}")
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", default=sorted(hflopt.method_names()))
    parser.add_argument("--families", nargs="+", default=list(FAMILIES), choices=FAMILIES)
    parser.add_argument("--limits", nargs="+", type=float, default=[3.0, 10.0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time (default 1: timing needs the cores)")
    parser.add_argument("-o", "--output", help="write every run's row (.csv, .csv.gz or .parquet)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for family in args.families:
            for seed in args.seeds:
                paths.append(Path(tmp) / f"{family}-{seed}.json")
                hflopt.save(make_instance(family, seed), paths[-1])
        import pandas as pd

        frame = pd.concat([run_limit(paths, args.methods, limit, args.jobs) for limit in args.limits],
                          ignore_index=True)
    if args.output:
        bench.save_results(frame, args.output)
    print(table(frame, args.methods, args.families))
    return 0 if in_time(frame).all() else 1


if __name__ == "__main__":
    sys.exit(main())
