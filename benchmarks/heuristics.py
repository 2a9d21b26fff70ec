"""Heuristics vs exact on the authors' generator, and a 10^6-device sparse instance.

Part A (mid-size): the authors' generator (p = 0.7, l = 4, Dmax = 20, costs
0..10, C = 10*N*Dmax/M) at 50x1,000, 100x1,000 and 50x10,000, 5 seeds each.
Every instance is solved, in the same run, by

- the ``exact`` method: its proven optima are the
  reference for the gap columns (instances it does not prove optimal are
  listed and left out of the gaps);
- the *plain* textbook formulation handed to HiGHS
  (:func:`hflopt.solvers.highs_direct.solve_plain`, ``x_ij <= y_j`` for every
  pair),
  with a time limit;
- the authors'-style baselines (``greedy-pack``, ``greedy-cheapest``,
  ``merge-search``) and hflopt's heuristics (``greedy``, ``local-search``,
  ``lagrangian``, ``core-search``), plus ``core-search`` with a time limit of
  1/50 of the exact method's time on that instance (the issue's speed target),
  and ``auto`` (the default method: heuristic, then exact warm-started), all
  with ``--heuristic-limit``.

Exact and plain run in child processes that are killed 30 s after their time
limit (HiGHS's presolve can overrun a limit); the heuristics run in this
process and every solution they return is verified with
:meth:`hflopt.Solution.verify`. Gaps are ``(obj - opt) / max(1, opt)`` (the
optima are tiny, 0 to ~25) and absolute differences ``obj - opt``. Speed-ups
are ratios of median times: ``median(exact) / median(method)`` and
``median(plain) / median(method)``; a ``>=`` marks a lower bound (some plain
runs hit their time limit, whose time is then counted as the limit).

Part B (large): 1,000 hosts x 1,000,000 devices, 20 candidate links per
device (nearest hosts), geometric costs; run in a child process so that its
peak memory (``ru_maxrss``) is measured alone. Reports time, peak memory and
the certified gap ``(obj - bound) / max(1, obj)`` of the Lagrangian method.

Part C (sparse-tight): geometric instances where every device links only
to its k nearest hosts, capacity is 1.1-1.2x the workload and every device
must participate (T = N), 5 seeds per setting. ``exact`` (with a time limit)
tells which are feasible; then, per method, how many of the feasible ones it
solves, its median time and its mean excess over the best solution found by
any method. The first row is the plain greedy assignment with every host
open (:func:`hflopt.solvers.greedy.assign_greedy`), which is where every
heuristic used to stop: it shows how often a greedy assignment alone strands
devices.

Part D (sscflp): tightly capacitated SSCFLP-style instances (p = 1, l = 1):
every ``--sscflp-every``-th file of an SSCFLP collection with known optima
(default the Holmberg set under ``$HFLOPT_SHARED``; ``--sscflp-dir`` for
another, laid out as for ``benchmarks/exact.py``) and generated tight
instances (``benchmarks/exact.py``'s ``tight_instance``, 30x200, capacity
1.2x and 1.4x the demand, 2 seeds) whose reference is the best solution any
method finds, ``exact`` included. Per method (``--sparse-limit`` seconds
each): mean and worst excess over the optimum (or best known) and median time.

Usage::

    python benchmarks/heuristics.py              # full (1-2 hours: exact and plain dominate)
    python benchmarks/heuristics.py --quick      # small sizes, two seeds, a few minutes
    python benchmarks/heuristics.py --part large
    python benchmarks/heuristics.py --part sparse-tight --seeds 5
    python benchmarks/heuristics.py --part sscflp --sparse-limit 10
    python benchmarks/heuristics.py --part mid --sizes 50x1000 --seeds 5
    nice -n 10 python benchmarks/heuristics.py --part mid --plain-limit 300
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import statistics
import subprocess
import sys
import time
import traceback
from typing import Any

import numpy as np

import hflopt
from hflopt.generators import authors_runtime_capacity, random_instance
from hflopt.solution import Status
from hflopt.solvers import METHODS

BASELINES = ["greedy-pack", "greedy-cheapest", "merge-search"]
OURS = ["greedy", "local-search", "lagrangian", "core-search"]
#: the default method (heuristic phase, then exact), for comparison
DEFAULT = "auto"
#: core-search with a time limit of (exact time / 50), the issue's speed target
BUDGET = "core-search@exact/50"
KILL_GRACE = 30.0


def authors_instance(m: int, n: int, seed: int) -> hflopt.Instance:
    return random_instance(m, n, participation=0.7, rounds=4, max_workload=20, min_cost=0,
                           max_cost=10, max_capacity=authors_runtime_capacity(n, m, 20), seed=seed)


def run(method: str, inst: hflopt.Instance, **options: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    res = hflopt.solve(inst, method, **options)
    elapsed = time.perf_counter() - t0
    if res.solution is not None:
        res.solution.verify(inst)  # every reported objective is independently verified
    return res, elapsed


# ------------------------------------------------------------ child processes
def plain_solver() -> tuple[str, Any]:
    """The textbook formulation: highs_direct.solve_plain when present, else the Pyomo model."""
    from hflopt.solvers.highs_direct import solve_plain

    return "highs_direct.solve_plain (textbook model, one passModel)", solve_plain


def _child(kind: str, m: int, n: int, seed: int, limit: float, conn: Any) -> None:
    try:
        inst = authors_instance(m, n, seed)
        t0 = time.perf_counter()
        if kind == "exact":
            res = hflopt.solve(inst, "exact", time_limit=limit)
        else:
            res = plain_solver()[1](inst, time_limit=limit)
        elapsed = time.perf_counter() - t0
        if res.solution is not None:
            res.solution.verify(inst)
        conn.send({"status": res.status.value, "objective": res.objective, "bound": res.bound,
                   "seconds": elapsed})
    except Exception:  # report, do not hang the parent
        conn.send({"status": "error", "objective": None, "bound": None, "seconds": None,
                   "error": traceback.format_exc(limit=3)})
    finally:
        conn.close()


def run_child(kind: str, m: int, n: int, seed: int, limit: float) -> dict[str, Any]:
    """Solve in a child process, killed ``KILL_GRACE`` s after the limit."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    t0 = time.perf_counter()
    proc = ctx.Process(target=_child, args=(kind, m, n, seed, limit, child))
    proc.start()
    child.close()
    out: dict[str, Any] | None = None
    if parent.poll(limit + KILL_GRACE):
        out = parent.recv()
    proc.join(timeout=5)
    if proc.is_alive():
        proc.kill()
        proc.join()
    if out is None:
        out = {"status": "killed", "objective": None, "bound": None,
               "seconds": time.perf_counter() - t0}
    return out


# -------------------------------------------------------------------- part A
def _fmt_ratio(num: float, den: float, lower: bool) -> str:
    if den <= 0:
        return "-"
    r = num / den
    txt = f"{r:.0f}x" if r >= 10 else f"{r:.1f}x"
    return (">=" + txt) if lower else txt


def mid(sizes: list[tuple[int, int]], seeds: list[int], exact_limit: float, plain_limit: float,
        heuristic_limit: float, with_plain: bool) -> None:
    plain_name = plain_solver()[0]
    run_exact = METHODS["exact"].run
    print(f"exact: METHODS['exact'] = {run_exact.__module__}.{run_exact.__name__}"
          f" (limit {exact_limit:g} s); plain: {plain_name} (limit {plain_limit:g} s"
          f"{'' if with_plain else ', skipped'})")
    for m, n in sizes:
        names = [*BASELINES, *OURS, BUDGET, DEFAULT]
        rows: dict[str, list[tuple[float | None, float]]] = {k: [] for k in names}
        ex_times: list[float] = []
        pl_times: list[float] = []
        pl_capped = False
        optima: list[float | None] = []
        print(f"\n## {m} hosts x {n} devices, seeds {seeds}")
        for seed in seeds:
            inst = authors_instance(m, n, seed)
            ex = run_child("exact", m, n, seed, exact_limit)
            opt = ex["objective"] if ex["status"] == Status.OPTIMAL.value else None
            optima.append(opt)
            t_ex = float(ex["seconds"])
            ex_times.append(t_ex)
            line = [f"seed {seed}: exact {ex['status']} obj {ex['objective']} bound {ex['bound']} "
                    f"{t_ex:.2f}s"]
            if with_plain:
                pl = run_child("plain", m, n, seed, plain_limit)
                t_pl = float(pl["seconds"])
                if pl["status"] != Status.OPTIMAL.value:
                    pl_capped = True
                    t_pl = max(t_pl, plain_limit)
                pl_times.append(t_pl)
                line.append(f"plain {pl['status']} obj {pl['objective']} {t_pl:.2f}s")
            for name in names:
                meth = "core-search" if name == BUDGET else name
                limit = max(0.01, t_ex / 50) if name == BUDGET else heuristic_limit
                res, t = run(meth, inst, time_limit=limit)
                rows[name].append((res.objective, t))
                extra = f"/{res.bound:g}" if res.bound is not None else ""
                line.append(f"{name} {res.objective}{extra} {t:.2f}s")
            print("  " + "; ".join(line), flush=True)
        _mid_table(names, rows, optima, seeds, ex_times, pl_times, pl_capped)


def _mid_table(names: list[str], rows: dict[str, list[tuple[float | None, float]]], optima: list[float | None],
               seeds: list[int], ex_times: list[float], pl_times: list[float], pl_capped: bool) -> None:
    """Gaps to the proven optima and median times of every method, as a markdown table."""
    proven = [i for i, o in enumerate(optima) if o is not None]
    unproven = [seeds[i] for i, o in enumerate(optima) if o is None]
    med_ex = statistics.median(ex_times)
    med_pl = statistics.median(pl_times) if pl_times else None
    print(f"\nproven optima: {len(proven)} of {len(seeds)} (values "
          f"{[optima[i] for i in proven]}); not proven by exact: seeds {unproven or 'none'}")
    print(f"exact median {med_ex:.2f} s" + (
        f"; plain median {'>=' if pl_capped else ''}{med_pl:.2f} s" if med_pl is not None else ""))
    print("| method | mean gap | worst gap | mean abs diff | max abs diff | median s | "
          "speed-up vs exact | speed-up vs plain |")
    print("|---|---|---|---|---|---|---|---|")
    for meth in names:
        gaps, diffs = [], []
        for i in proven:
            obj, opt = rows[meth][i][0], optima[i]
            assert opt is not None
            gaps.append(float("inf") if obj is None else (obj - opt) / max(1.0, opt))
            diffs.append(float("inf") if obj is None else obj - opt)
        med_t = statistics.median(t for _, t in rows[meth])
        vs_ex = _fmt_ratio(med_ex, med_t, False)
        vs_pl = "-" if med_pl is None else _fmt_ratio(med_pl, med_t, pl_capped)
        if gaps:
            print(f"| {meth} | {100 * statistics.mean(gaps):.2f}% | {100 * max(gaps):.2f}% | "
                  f"{statistics.mean(diffs):.2f} | {max(diffs):g} | {med_t:.3f} | {vs_ex} | {vs_pl} |")
        else:
            print(f"| {meth} | - | - | - | - | {med_t:.3f} | {vs_ex} | {vs_pl} |")


# -------------------------------------------------------------------- part B
def build_large(m: int, n: int, k: int, seed: int, cloud: float | None = None
                ) -> tuple[hflopt.Instance, str]:
    from hflopt import generators

    extra = {} if cloud is None else {"cloud_cost": cloud}
    inst = generators.geometric_instance(m, n, k=k, participation=0.7, rounds=4, seed=seed,
                                         **extra)
    what = "defaults" if cloud is None else f"cloud_cost={cloud:g}"
    return inst, f"hflopt.generators.geometric_instance ({what}, k={k}, p=0.7, l=4)"


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


SPARSE_TIGHT = [(20, 500, 3, 1.1), (20, 500, 4, 1.15), (30, 1000, 5, 1.2), (50, 2000, 5, 1.2),
                (50, 2000, 8, 1.1)]
SPARSE_METHODS = ["greedy", "local-search", "lagrangian", "core-search", "auto"]


def sparse_tight(seeds: list[int], exact_limit: float, limit: float) -> None:
    from hflopt.solvers.greedy import assign_greedy
    from hflopt.solvers.links import link_data

    print("\n## Part C: sparse links, tight capacities, T = N (geometric, k nearest hosts)")
    print(f"exact limit {exact_limit:g} s, heuristics {limit:g} s\n", flush=True)
    rows: dict[str, dict[str, list[float]]] = {}
    n_feasible = n_infeasible = n_unknown = 0
    for m, n, k, tight in SPARSE_TIGHT:
        for seed in seeds:
            inst = hflopt.geometric_instance(m, n, k=k, tightness=tight, seed=seed)
            ex, t_ex = run("exact", inst, time_limit=exact_limit)
            if ex.status == Status.INFEASIBLE:
                n_infeasible += 1
                continue
            if ex.solution is None:
                n_unknown += 1
                continue
            n_feasible += 1
            found: dict[str, tuple[float | None, float]] = {"exact": (ex.objective, t_ex)}
            data = link_data(inst)
            t0 = time.perf_counter()
            ho = assign_greedy(data, np.ones(inst.n_hosts, dtype=bool), inst.min_participants)
            t_g = time.perf_counter() - t0
            ok = int((ho >= 0).sum()) >= inst.min_participants
            found["greedy assignment alone"] = (
                hflopt.Solution(ho).verify(inst) if ok else None, t_g)
            for meth in SPARSE_METHODS:
                res, el = run(meth, inst, time_limit=limit, seed=0)
                found[meth] = (res.objective if res.solution is not None else None, el)
            best = min(v for v, _ in found.values() if v is not None)
            for meth, (v, el) in found.items():
                r = rows.setdefault(meth, {"solved": [], "time": [], "excess": []})
                r["time"].append(el)
                r["solved"].append(1.0 if v is not None else 0.0)
                if v is not None:
                    r["excess"].append((v - best) / max(1.0, abs(best)))
            print(f"  {m}x{n} k={k} {tight:g}x s{seed}: " + ", ".join(
                f"{meth} {'-' if v is None else f'{v:.0f}'}" for meth, (v, _) in found.items()),
                flush=True)
    print(f"\n{n_feasible} feasible, {n_infeasible} proven infeasible, {n_unknown} undecided "
          f"by exact within {exact_limit:g} s\n")
    print("| method | solved (of feasible) | median s | mean / worst excess over the best found |")
    print("|---|---|---|---|")
    for meth, r in rows.items():
        ex = r["excess"]
        exc = f"{100 * float(np.mean(ex)):.2f}% / {100 * max(ex):.2f}%" if ex else "-"
        print(f"| {meth} | {int(sum(r['solved']))}/{len(r['solved'])} | "
              f"{statistics.median(r['time']):.2f} | {exc} |")


SSCFLP_METHODS = ["local-search", "lagrangian", "core-search", "auto"]


def sscflp(every: int, folder: str | None, limit: float, exact_limit: float, tight_seeds: int
           ) -> None:
    import os
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from exact import HOLMBERG, sscflp_instances, tight_instance  # the exact benchmark's readers

    print("\n## Part D: tight SSCFLP-style instances (p = 1, l = 1)")
    print(f"heuristics {limit:g} s each; generated instances also by exact ({exact_limit:g} s)\n",
          flush=True)
    src = Path(os.path.expanduser(folder)) if folder else HOLMBERG
    cases: list[tuple[str, hflopt.Instance, float | None]] = []
    files = sscflp_instances(src)
    for inst, known in files[::max(1, every)]:
        cases.append((inst.name, inst, known))
    for ratio in (1.2, 1.4):
        for seed in range(tight_seeds):
            cases.append((f"tight-30x200-r{ratio:g}-s{seed}", tight_instance(30, 200, ratio, seed),
                          None))
    rows: dict[str, dict[str, list[float]]] = {}
    for name, inst, known in cases:
        found: dict[str, tuple[float | None, float]] = {}
        if known is None:
            ex, t_ex = run("exact", inst, time_limit=exact_limit)
            found["exact"] = (ex.objective if ex.solution is not None else None, t_ex)
        for meth in SSCFLP_METHODS:
            res, el = run(meth, inst, time_limit=limit, seed=0)
            found[meth] = (res.objective if res.solution is not None else None, el)
        ref = known if known is not None else min(v for v, _ in found.values() if v is not None)
        for meth, (v, el) in found.items():
            r = rows.setdefault(meth, {"time": [], "excess": [], "missed": []})
            r["time"].append(el)
            if v is None:
                r["missed"].append(1.0)
            else:
                r["excess"].append((v - ref) / max(1.0, abs(ref)))
        label = f"optimum {ref:g}" if known is not None else f"best {ref:g}"
        print(f"  {name} ({inst.n_hosts}x{inst.n_devices}, {label}): " + ", ".join(
            f"{meth} {'-' if v is None else f'{v:.0f}'} ({el:.1f} s)"
            for meth, (v, el) in found.items()), flush=True)
    print(f"\n{len(cases)} instances ({len(cases) - 2 * tight_seeds} with a known optimum)\n")
    print("| method | mean / worst excess over the optimum or best found | median s | no solution |")
    print("|---|---|---|---|")
    for meth, r in rows.items():
        ex = r["excess"]
        exc = f"{100 * float(np.mean(ex)):.3f}% / {100 * max(ex):.2f}%" if ex else "-"
        print(f"| {meth} | {exc} | {statistics.median(r['time']):.2f} | {int(sum(r['missed']))} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="small sizes (20x200, 30x500), two seeds, 100x100,000 large")
    ap.add_argument("--part", choices=["mid", "large", "sparse-tight", "sscflp", "all"],
                    default="all")
    ap.add_argument("--sscflp-dir", help="part D: SSCFLP collection (default: Holmberg's)")
    ap.add_argument("--sscflp-every", type=int, default=4,
                    help="part D: every k-th file of the collection (default 4)")
    ap.add_argument("--sparse-limit", type=float, default=10.0,
                    help="time limit per heuristic run in part C (default 10 s)")
    ap.add_argument("--sizes", help="comma-separated MxN list (default 50x1000,100x1000,50x10000)")
    ap.add_argument("--seeds", type=int, default=5, help="instances per size (default 5)")
    ap.add_argument("--exact-limit", type=float, default=1800.0, help="seconds per exact solve")
    ap.add_argument("--plain-limit", type=float, default=600.0,
                    help="seconds per solve of the plain textbook model")
    ap.add_argument("--no-plain", action="store_true", help="skip the plain textbook model")
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
        mid(sizes, seeds, args.exact_limit, args.plain_limit,  # type: ignore[arg-type]
            args.heuristic_limit, not args.no_plain)
    if args.part in ("large", "all"):
        large(large_mn[0], large_mn[1], 20, 1, args.large_limit, args.large_gap,
              args.large_cloud_cost)
    if args.part in ("sparse-tight", "all"):
        if args.quick:
            sparse_tight([0], 10.0, min(args.sparse_limit, 3.0))
        else:
            sparse_tight(list(range(args.seeds)), min(args.exact_limit, 60.0), args.sparse_limit)
    if args.part in ("sscflp", "all"):
        if args.quick:
            sscflp(16, args.sscflp_dir, min(args.sparse_limit, 3.0), 10.0, 1)
        else:
            sscflp(args.sscflp_every, args.sscflp_dir, args.sparse_limit,
                   min(args.exact_limit, 60.0), 2)


if __name__ == "__main__":
    np.set_printoptions(linewidth=120)
    main()
