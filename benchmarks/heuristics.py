"""Heuristics vs exact on the authors' generator, and a 10^6-device sparse instance.

Part A (mid-size): the authors' generator (p = 0.7, l = 4, Dmax = 20, costs
0..10, C = 10*N*Dmax/M) at 50x1,000, 100x1,000 and 50x10,000. Every instance
is solved by ``METHODS["exact"]`` (whichever exact method is registered) with
a generous limit; only instances it proves optimal count for the gap
columns (the others are listed). Gaps are ``(obj - opt) / max(1, opt)`` (the
optima are tiny) and absolute differences. The authors'-style baselines run
side by side with hflopt's methods in the same process.

Part B (large): 1,000 hosts x 1,000,000 devices, 20 candidate links per
device (nearest hosts), geometric costs; run in a child process so that its
peak memory (``ru_maxrss``) is measured alone. Reports time, peak memory and
the certified gap ``(obj - bound) / max(1, obj)`` of the Lagrangian method.

Usage::

    python benchmarks/heuristics.py            # full (hours: the exact solves dominate)
    python benchmarks/heuristics.py --quick    # small sizes, a few minutes
    python benchmarks/heuristics.py --part large
    python benchmarks/heuristics.py --part mid --sizes 50x1000 --seeds 5
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

import numpy as np

import hflopt
from hflopt.generators import authors_runtime_capacity, random_instance
from hflopt.solution import Status
from hflopt.solvers import METHODS

BASELINES = ["greedy-pack", "greedy-cheapest", "merge-search"]
OURS = ["greedy", "local-search", "lagrangian"]
#: lagrangian with a time limit of (exact time / 50), the issue's speed target
BUDGET = "lagrangian@exact/50"


def authors_instance(m: int, n: int, seed: int) -> hflopt.Instance:
    return random_instance(m, n, participation=0.7, rounds=4, max_workload=20, min_cost=0,
                           max_cost=10, max_capacity=authors_runtime_capacity(n, m, 20), seed=seed)


def run(method: str, inst: hflopt.Instance, **options: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    res = METHODS[method](inst, **options)
    elapsed = time.perf_counter() - t0
    if res.solution is not None:
        res.solution.verify(inst)  # every reported objective is independently verified
    return res, elapsed


def mid(sizes: list[tuple[int, int]], seeds: list[int], exact_limit: float,
        heuristic_limit: float) -> None:
    print(f"exact method: METHODS['exact'] = {METHODS['exact'].__module__}."
          f"{METHODS['exact'].__name__}, limit {exact_limit:g} s")
    for m, n in sizes:
        names = [*BASELINES, *OURS, BUDGET]
        rows: dict[str, list[tuple[float | None, float]]] = {k: [] for k in names}
        exact_times: list[float] = []
        optima: list[float | None] = []
        print(f"\n## {m} hosts x {n} devices, seeds {seeds}")
        for seed in seeds:
            inst = authors_instance(m, n, seed)
            ex, t_ex = run("exact", inst, time_limit=exact_limit)
            opt = ex.objective if ex.status == Status.OPTIMAL else None
            optima.append(opt)
            exact_times.append(t_ex)
            line = [f"seed {seed}: exact {ex.status.value} obj {ex.objective} bound {ex.bound} "
                    f"{t_ex:.1f} s"]
            for name in names:
                meth = "lagrangian" if name == BUDGET else name
                limit = max(0.1, t_ex / 50) if name == BUDGET else heuristic_limit
                res, t = run(meth, inst, time_limit=limit)
                rows[name].append((res.objective, t))
                meth = name
                extra = f"/{res.bound:g}" if res.bound is not None else ""
                line.append(f"{meth} {res.objective}{extra} {t:.2f}s")
            print("  " + "; ".join(line), flush=True)
        proven = [i for i, o in enumerate(optima) if o is not None]
        med_ex = statistics.median(exact_times)
        print(f"\nproven optima: {len(proven)} of {len(seeds)} "
              f"(values {[optima[i] for i in proven]}); exact median {med_ex:.2f} s")
        print("| method | mean gap | worst gap | mean abs diff | max abs diff | median s | "
              "speed-up vs exact |")
        print("|---|---|---|---|---|---|---|")
        for meth in names:
            gaps, diffs = [], []
            for i in proven:
                obj = rows[meth][i][0]
                if obj is None:
                    gaps.append(float("inf"))
                    diffs.append(float("inf"))
                    continue
                opt = optima[i]
                assert opt is not None
                gaps.append((obj - opt) / max(1.0, opt))
                diffs.append(obj - opt)
            med_t = statistics.median(t for _, t in rows[meth])
            if gaps:
                print(f"| {meth} | {100 * statistics.mean(gaps):.2f}% | {100 * max(gaps):.2f}% | "
                      f"{statistics.mean(diffs):.2f} | {max(diffs):g} | {med_t:.3f} | "
                      f"{med_ex / med_t:.0f}x |")
            else:
                print(f"| {meth} | - | - | - | - | {med_t:.3f} | {med_ex / med_t:.0f}x |")


def build_large(m: int, n: int, k: int, seed: int, cloud: float | None = None
                ) -> tuple[hflopt.Instance, str]:
    from hflopt import generators

    if hasattr(generators, "geometric_instance"):
        extra = {} if cloud is None else {"cloud_cost": cloud}
        inst = generators.geometric_instance(m, n, k=k, participation=0.7, rounds=4, seed=seed,
                                             **extra)
        what = "defaults" if cloud is None else f"cloud_cost={cloud:g}"
        return inst, f"hflopt.generators.geometric_instance ({what}, k={k}, p=0.7, l=4)"
    # local builder: uniform points in a 100 x 100 km square, k nearest hosts, cost = km
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    hxy, dxy = rng.random((m, 2)) * 100, rng.random((n, 2)) * 100
    dist, idx = cKDTree(hxy).query(dxy, k=k)
    order = np.argsort(idx, axis=1)
    host = np.take_along_axis(idx, order, 1).reshape(-1)
    cost = np.take_along_axis(dist, order, 1).reshape(-1)
    work = rng.integers(1, 20, n).astype(float)
    cap = np.full(m, np.floor(1.5 * work.sum() / m))
    edge = np.full(m, 100.0 if cloud is None else cloud)
    inst = hflopt.Instance(cap, edge, work, np.repeat(np.arange(n), k), host, cost,
                           participation_ratio=0.7, rounds_ratio=4, host_xy=hxy, device_xy=dxy,
                           name=f"geometric-{m}x{n}-k{k}")
    return inst, "local builder (uniform points, k nearest hosts, cost = distance)"


def large_child(m: int, n: int, k: int, seed: int, limit: float, gap: float,
                cloud: float | None) -> dict[str, Any]:
    t0 = time.perf_counter()
    inst, source = build_large(m, n, k, seed, cloud)
    t_build = time.perf_counter() - t0
    rss_build = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out: dict[str, Any] = {"instance": repr(inst), "generator": source,
                           "build_seconds": round(t_build, 1), "peak_mb_after_build": round(rss_build)}
    res, t = run("lagrangian", inst, time_limit=limit, gap=gap)
    out.update(method="lagrangian", status=res.status.value, objective=res.objective,
               bound=res.bound, certified_gap=res.gap, seconds=round(t, 1),
               peak_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
               stats={k_: v for k_, v in res.stats.items() if isinstance(v, (int, float, str))})
    base, tb = run("greedy-cheapest", inst)
    out["greedy_cheapest"] = {"objective": base.objective, "seconds": round(tb, 1),
                              "gap_to_our_bound": None if base.objective is None or res.bound is None
                              else (base.objective - res.bound) / max(1.0, base.objective)}
    return out


def large(m: int, n: int, k: int, seed: int, limit: float, gap: float,
          cloud: float | None) -> None:
    cmd = [sys.executable, __file__, "--child",
           f"{m},{n},{k},{seed},{limit},{gap},{'' if cloud is None else cloud}"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        print(proc.stderr)
        raise SystemExit(proc.returncode)
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"\n## large sparse instance: {out['instance']}")
    print(f"generator: {out['generator']}; built in {out['build_seconds']} s "
          f"(peak {out['peak_mb_after_build']} MB after building)")
    print("| method | status | objective | certified bound | certified gap | time s | peak memory |")
    print("|---|---|---|---|---|---|---|")
    gap_s = "-" if out["certified_gap"] is None else f"{100 * out['certified_gap']:.3f}%"
    print(f"| lagrangian (time_limit={limit:g}, gap={gap:g}) | {out['status']} | "
          f"{out['objective']:.6g} | {out['bound']:.6g} | {gap_s} | {out['seconds']} | "
          f"{out['peak_mb'] / 1024:.2f} GB |")
    gc = out["greedy_cheapest"]
    gcg = "-" if gc["gap_to_our_bound"] is None else f"{100 * gc['gap_to_our_bound']:.2f}%"
    print(f"| greedy-cheapest (authors') | - | {gc['objective']:.6g} | (same bound) | {gcg} | "
          f"{gc['seconds']} | (same process) |")
    print(f"stats: {out['stats']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes, two seeds, 100x100,000 large")
    ap.add_argument("--part", choices=["mid", "large", "all"], default="all")
    ap.add_argument("--sizes", help="comma-separated MxN list (default 50x1000,100x1000,50x10000)")
    ap.add_argument("--seeds", type=int, default=5, help="instances per size (default 5)")
    ap.add_argument("--exact-limit", type=float, default=1800.0, help="seconds per exact solve")
    ap.add_argument("--heuristic-limit", type=float, default=120.0,
                    help="safety time limit per heuristic run")
    ap.add_argument("--large", default="1000x1000000", help="MxN of the large instance")
    ap.add_argument("--large-limit", type=float, default=110.0)
    ap.add_argument("--large-gap", type=float, default=0.01,
                    help="stop the large run at this certified gap (default 1%%)")
    ap.add_argument("--large-cloud-cost", type=float,
                    help="host-cloud cost of the large instance (default: the generator's)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        m, n, k, seed, limit, gap, cloud = args.child.split(",")
        print(json.dumps(large_child(int(m), int(n), int(k), int(seed), float(limit), float(gap),
                                     float(cloud) if cloud else None)))
        return
    if args.quick:
        sizes = [(20, 200), (30, 500)]
        seeds = [1, 2]
        large_mn = (100, 100_000)
    else:
        sizes = [tuple(int(v) for v in s.split("x")) for s in
                 (args.sizes or "50x1000,100x1000,50x10000").split(",")]
        seeds = list(range(1, args.seeds + 1))
        large_mn = tuple(int(v) for v in args.large.split("x"))
    if args.part in ("mid", "all"):
        mid(sizes, seeds, args.exact_limit, args.heuristic_limit)  # type: ignore[arg-type]
    if args.part in ("large", "all"):
        large(large_mn[0], large_mn[1], 20, 1, args.large_limit, args.large_gap,
              args.large_cloud_cost)


if __name__ == "__main__":
    main()
