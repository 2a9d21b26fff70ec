"""Compare the re-planning policies over a generated day.

    python benchmarks/replan.py city  [--hosts 50] [--devices 2000] [-k 10] [--periods 24] [--seeds 1 2 3]
                                      [--time-limit 120] [--migration-cost 10] [--method auto]
                                      [--max-utilization U] [--policies ...]
    python benchmarks/replan.py small [--hosts 6] [--devices 50] [--periods 12] [--seeds 1 2 3]
                                      [--time-limit 60] [--migration-cost 10]

``city``: the issue's benchmark -- a geometric city (``hflopt.geometric_instance``,
k candidate hosts per device, tightness 1.5) under a 24-period daily profile
(``hflopt.replanning.daily_profile``, seeded like the city); every policy gets the
same time limit for the whole day; all solves in this process, one after
the other. Prints one row per policy and seed, and, per seed, stable
against myopic: training cost ratio and migration ratio.

``small``: instances small enough for the ``horizon`` MILP to prove the
optimum of training cost plus change charges; prints every policy's total
as a ratio to that optimum (the yardstick), with the exact method per period.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import hflopt
from hflopt.replanning import daily_profile, replan

POLICIES = ("static", "myopic", "stable", "robust", "horizon")


def _row(seed: int, res: hflopt.replanning.ReplanResult) -> dict:
    s = res.summary()
    return {"seed": seed, "policy": res.policy, "total": s["total_cost"], "training": s["comm_cost"],
            "changes": s["change_cost"], "migrations": s["migrations"], "openings": s["opened"],
            "closings": s["closed"], "overloaded": s["host_periods_overloaded"], "latency": s["mean_latency_ms"],
            "unbounded": s["periods_latency_unbounded"], "bound": s["bound"], "planning s": s["planning_seconds"],
            "seconds": s["seconds"]}


def _fmt(v: object, digits: int = 1) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return "inf" if math.isinf(v) else f"{v:,.{digits}f}"
    return str(v)


def _print_rows(rows: list[dict]) -> None:
    cols = ["seed", "policy", "total", "training", "changes", "migrations", "openings", "closings", "overloaded",
            "latency", "unbounded", "bound", "planning s", "seconds"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(_fmt(r[c]) for c in cols) + " |")


def _limits(args: argparse.Namespace) -> object:
    if args.max_utilization is None:
        return None
    from hflopt.evaluate import LatencyLimits

    return LatencyLimits(max_utilization=args.max_utilization)


def city(args: argparse.Namespace) -> None:
    rows = []
    for seed in args.seeds:
        base = hflopt.geometric_instance(args.hosts, args.devices, k=args.k, seed=seed)
        work = daily_profile(base, periods=args.periods, seed=seed)
        print(f"seed {seed}: {base.name}, {work.n_periods} periods, busiest period "
              f"{work.rates.sum(axis=1).max():,.0f} of capacity {base.total_capacity:,.0f}", flush=True)
        for policy in args.policies:
            t0 = time.perf_counter()
            res = replan(base, work, policy, method=args.method, time_limit=args.time_limit,
                         migration_cost=args.migration_cost, limits=_limits(args), seed=0)
            rows.append(_row(seed, res))
            print(f"  {policy}: {res} (wall {time.perf_counter() - t0:.1f} s)", flush=True)
    print()
    _print_rows(rows)
    _stable_vs_myopic(rows, args.seeds)


def _stable_vs_myopic(rows: list[dict], seeds: list[int]) -> None:
    by = {(r["seed"], r["policy"]): r for r in rows}
    pairs = [(by[(s, "stable")], by[(s, "myopic")]) for s in seeds if (s, "stable") in by and (s, "myopic") in by]
    if not pairs:
        return
    print("\n| seed | stable / myopic training cost | stable / myopic total | myopic / stable migrations |")
    print("|---|---|---|---|")
    for (st, my), seed in zip(pairs, seeds, strict=False):
        mig = my["migrations"] / st["migrations"] if st["migrations"] else math.inf
        print(f"| {seed} | {st['training'] / my['training']:.4f} | {st['total'] / my['total']:.4f} | {mig:.1f} |")


def small(args: argparse.Namespace) -> None:
    rows = []
    for seed in args.seeds:
        base = hflopt.geometric_instance(args.hosts, args.devices, k=args.k, seed=seed)
        work = daily_profile(base, periods=args.periods, seed=seed)
        for policy in args.policies:
            res = replan(base, work, policy, method="exact", time_limit=args.time_limit,
                         migration_cost=args.migration_cost, open_cost=args.open_cost, close_cost=args.close_cost)
            rows.append(_row(seed, res))
            print(f"seed {seed} {policy}: {res}", flush=True)
    print()
    _print_rows(rows)
    _ratios_to_horizon(rows, args.seeds, args.policies)


def _ratios_to_horizon(rows: list[dict], seeds: list[int], policies: list[str]) -> None:
    by = {(r["seed"], r["policy"]): r for r in rows}
    proven = [s for s in seeds if (s, "horizon") in by and by[(s, "horizon")]["bound"] is not None
              and by[(s, "horizon")]["total"] - by[(s, "horizon")]["bound"] <= 1e-6 * by[(s, "horizon")]["total"]]
    print(f"\nhorizon proved the optimum on {len(proven)} of {len(seeds)} seeds")
    print("\n| policy | median total / optimum | worst | feasible in every period |")
    print("|---|---|---|---|")
    for policy in policies:
        ratios = [by[(s, policy)]["total"] / by[(s, "horizon")]["total"] for s in proven]
        ok = sum(by[(s, policy)]["overloaded"] == 0 for s in proven)
        if ratios:
            print(f"| {policy} | {statistics.median(ratios):.4f} | {max(ratios):.4f} | {ok}/{len(proven)} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=("city", "small"))
    ap.add_argument("--hosts", type=int)
    ap.add_argument("--devices", type=int)
    ap.add_argument("-k", type=int)
    ap.add_argument("--periods", type=int)
    ap.add_argument("--seeds", type=int, nargs="+")
    ap.add_argument("--time-limit", type=float)
    ap.add_argument("--migration-cost", type=float, default=10.0)
    ap.add_argument("--open-cost", type=float, default=0.0)
    ap.add_argument("--close-cost", type=float, default=0.0)
    ap.add_argument("--method", default="auto")
    ap.add_argument("--max-utilization", type=float, help="plan every period at most this loaded (city only)")
    ap.add_argument("--policies", nargs="+", choices=POLICIES)
    args = ap.parse_args()
    city_defaults = {"hosts": 50, "devices": 2000, "k": 10, "periods": 24, "seeds": [1, 2, 3], "time_limit": 120.0,
                     "policies": ["static", "myopic", "stable", "robust"]}
    small_defaults = {"hosts": 6, "devices": 50, "k": 4, "periods": 12, "seeds": [1, 2, 3], "time_limit": 60.0,
                      "policies": list(POLICIES)}
    for key, value in (city_defaults if args.what == "city" else small_defaults).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    (city if args.what == "city" else small)(args)


if __name__ == "__main__":
    main()
