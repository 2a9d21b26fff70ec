"""hflopt's exact method vs. the textbook formulation handed to HiGHS, side by side.

Three families, each instance solved by both in the same run:

(a) ``authors``: the authors' generator (p = 0.7, l = 4, Dmax = 20, costs
    0..10, C = 10*N*Dmax/M) at 10/50/100 hosts x 1,000/10,000 devices, 5
    seeds each;
(b) ``holmberg``: the 71 SSCFLP files of Holmberg et al. (optimum known;
    both results are checked against it);
(c) ``tight``: SSCFLP-style instances generated here (Cornuejols et al.
    style: points in the unit square, demands U{5..35}, capacities
    U[10, 160] scaled so that total capacity = r x total workload with
    r in {1.1, 1.2, 1.3, 1.4, 1.5}, fixed costs U[0,90] + U[100,110] sqrt(R),
    costs 10 x distance x demand, p = 1, l = 1), 50 hosts x 300 devices;
    with ``--tight-style geometric``, HFL-style instances from
    :func:`hflopt.geometric_instance` instead (hosts and devices uniform in a
    100 x 100 km region, link cost = distance, aggregator-cloud cost 100 per
    host, workloads with mean 10 and CV 0.5, capacities with CV 0.5 summing
    to r x the workload, costs rounded to integers, p = 1, l = 1).

"plain" is :func:`hflopt.solvers.highs_direct.solve_plain` with
``variant="strong"``: ``x_ij <= y_j`` for every pair, capacity rows against
``R_j``, one ``passModel`` call, HiGHS defaults, ``mip_rel_gap = 0`` and
``mip_abs_gap < 1`` on integral data (a proof of optimality, the same
setting hflopt uses). "exact" is ``hflopt.solve(instance, "exact")``. Every
run happens in a child process that is killed 30 s after its time limit
(HiGHS's presolve can overrun a limit); every returned solution is verified
with :meth:`hflopt.Solution.verify`.

Columns: ``time`` is wall-clock seconds including model building; a time
with ``>`` means the time limit was reached (the run is not optimal);
``ratio`` is plain time / exact time per instance, and ``>`` again marks a
lower bound (plain timed out). ``nodes`` are HiGHS branch-and-bound nodes
(exact: of the restricted MILP; 0 when the Lagrangian bound already proved
optimality). ``gap`` is ``(obj - bound) / max(1, obj)`` at the end.

Usage::

    python benchmarks/exact.py                  # everything (several hours, plain dominates)
    python benchmarks/exact.py --quick          # a few minutes
    python benchmarks/exact.py --family authors --sizes 100x10000 --seeds 5
    python benchmarks/exact.py --family holmberg --plain-limit 600
    python benchmarks/exact.py --family holmberg --sscflp-dir ~/data/yang --limit 300
    python benchmarks/exact.py --family authors --sizes 30x1000 50x1000 --seeds 10 \
        --baseline exact-without-core-search --plain-limit 120   # ablation
    python benchmarks/exact.py --family authors --sizes 50x1000 --seeds 10 \
        --baseline exact-cold-lp --limit 60 --plain-limit 60     # warm LP rounds off
    python benchmarks/exact.py --family tight --tight-seeds 2 --tight-limit 60 \
        --baseline strong --plain-limit 60    # HiGHS on the strengthened full model
    python benchmarks/exact.py --family tight --tight-style geometric --ratios 1.1 1.3 1.5 \
        --tight-seeds 1 --tight-limit 120 --plain-limit 120   # HFL-style tight instances
    python benchmarks/exact.py --family holmberg --holmberg p56 p57 p58 p59 \
        --baseline exact-sub-mips --plain-limit 120   # RINS/RENS kept on
    python benchmarks/exact.py --family authors --sizes 100x10000 --seeds 5 --limit 3 \
        --plain-limit 3 --baseline exact-lp-cap-75    # short limits, old LP share rule
    python benchmarks/exact.py --family authors --sizes 100x10000 --seeds 5 --limit 5 \
        --plain-limit 5 --method auto --baseline exact-lp-cap-75   # the same for auto
    python benchmarks/exact.py --family authors --sizes 20x1000 30x1000 40x1000 --seeds 7 \
        --baseline exact-with --with full_core_links=40000   # any ExactParams change
    nice -n 10 python benchmarks/exact.py --csv results.csv

Holmberg files are read from ``$HFLOPT_SHARED/data/sscflp/holmberg`` (default
``../shared`` next to the repository); ``--sscflp-dir`` runs the same table on
another SSCFLP collection.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing as mp
import os
import statistics
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import hflopt
from hflopt.generators import authors_runtime_capacity, random_instance

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HFLOPT_SHARED", ROOT.parent / "shared"))
HOLMBERG = SHARED / "data" / "sscflp" / "holmberg"
KILL_GRACE = 30.0

AUTHORS_SIZES = [(10, 1000), (50, 1000), (100, 1000), (10, 10000), (50, 10000), (100, 10000)]
TIGHT_RATIOS = [1.1, 1.2, 1.3, 1.4, 1.5]


# ------------------------------------------------------------------ instances
def authors_instance(m: int, n: int, seed: int) -> hflopt.Instance:
    """The authors' runtime-study distributions (hflopt's generator)."""
    return random_instance(m, n, participation=0.7, rounds=4, max_workload=20, min_cost=0,
                           max_cost=10, max_capacity=authors_runtime_capacity(n, m, 20), seed=seed,
                           name=f"authors-{m}x{n}-s{seed}")


def tight_instance(m: int, n: int, ratio: float, seed: int) -> hflopt.Instance:
    """A tightly capacitated SSCFLP instance (p = 1, l = 1), integral data.

    Cornuejols, Sridharan and Thizy (1991) style: hosts and devices uniform in
    the unit square, demands U{5..35}, capacities U[10, 160] scaled to a
    total of ``ratio`` x total demand (largest-remainder rounding), fixed
    costs U[0, 90] + U[100, 110] * sqrt(capacity), link costs
    10 x distance x demand.
    """
    rng = np.random.default_rng([seed, m, n, round(ratio * 1000)])
    hxy = rng.random((m, 2))
    dxy = rng.random((n, 2))
    dem = rng.integers(5, 36, n).astype(float)
    raw = rng.uniform(10.0, 160.0, m)
    target = ratio * dem.sum()
    share = raw * target / raw.sum()
    cap = np.floor(share)
    missing = round(target - cap.sum())
    if missing > 0:
        cap[np.argsort(-(share - cap), kind="stable")[:missing]] += 1
    fixed = np.round(rng.uniform(0, 90, m) + rng.uniform(100, 110, m) * np.sqrt(cap))
    dist = np.sqrt(((dxy[:, None, :] - hxy[None, :, :]) ** 2).sum(axis=2))
    cost = np.round(10.0 * dist * dem[:, None])
    return hflopt.Instance.from_dense(cap, fixed, dem, cost, participation_ratio=1.0, rounds_ratio=1,
                                      name=f"tight-{m}x{n}-r{ratio:g}-s{seed}",
                                      metadata={"generator": "benchmarks/exact.py tight_instance",
                                                "seed": seed, "ratio": ratio})


def geometric_tight_instance(m: int, n: int, ratio: float, seed: int) -> hflopt.Instance:
    """A tightly capacitated HFL-style instance (``--tight-style geometric``).

    Edge hosts and devices uniform in a 100 x 100 km region, link cost =
    distance (km, rounded), every aggregator costs 100 to reach the cloud,
    workloads with mean 10 and CV 0.5, host capacities with CV 0.5 summing to
    ``ratio`` x the total workload; p = 1, l = 1.
    """
    return hflopt.geometric_instance(m, n, tightness=ratio, capacity_cv=0.5, decimals=0, cloud_cost=100.0,
                                     workload_mean=10.0, workload_cv=0.5, participation=1.0, rounds=1,
                                     seed=seed, name=f"geo-tight-{m}x{n}-r{ratio:g}-s{seed}")


def _natural(name: str) -> tuple[str, int, str]:
    """p2 before p10."""
    head = name.rstrip("0123456789")
    tail = name[len(head):]
    return (head, int(tail) if tail else -1, name)


def sscflp_instances(folder: Path, names: list[str] | None = None
                     ) -> list[tuple[hflopt.Instance, float | None]]:
    """The SSCFLP files of ``folder`` with their known optima.

    The OR-Datasets convention (Holmberg, Yang, Delmaire, ... sets): files
    ``p1`` ... ``pK`` and an ``os`` file listing the K optimal values in
    order. Without ``os``, every file of the folder is read and its optimum
    is the one appended to the file, if any (Guastaroba and Speranza's copies).
    """
    if not folder.is_dir():
        print(f"# SSCFLP folder not found at {folder} (set HFLOPT_SHARED or --sscflp-dir); "
              "skipped", flush=True)
        return []
    os_file = folder / "os"
    if os_file.exists():
        optima: list[float | None] = [float(v) for v in os_file.read_text().split()]
        files = [folder / f"p{k}" for k in range(1, len(optima) + 1)]
    else:
        files = sorted((f for f in folder.iterdir() if f.is_file() and not f.name.startswith(".")),
                       key=lambda f: _natural(f.name))
        optima = [None] * len(files)
    out = []
    for path, known in zip(files, optima, strict=True):
        if names and path.name not in names:
            continue
        if not path.exists():
            print(f"# {path} listed in {os_file.name} but missing; skipped", flush=True)
            continue
        inst = hflopt.load_instance(path, format="sscflp")
        if known is None:
            known = inst.metadata.get("reported_optimum")
        out.append((inst.replace(name=path.name), known))
    return out


def holmberg_instances(names: list[str] | None = None) -> list[tuple[hflopt.Instance, float | None]]:
    return sscflp_instances(HOLMBERG, names)


# -------------------------------------------------------------------- running
#: what the "plain" columns run (``--baseline``): the textbook model, that model with
#: exact's valid strengthenings ("strong"), or hflopt's exact method without the
#: core-search step of its heuristic phase, with every LP round solved cold and none
#: resumed, or with HiGHS's RINS/RENS sub-MIPs left on in branch-and-bound (ablations)
BASELINES = ("plain", "strong", "exact-without-core-search", "exact-cold-lp", "exact-sub-mips",
             "exact-lp-cap-75", "exact-with")


@dataclass(frozen=True)
class Setup:
    """What a run solves with."""

    method: str = "exact"  #: what the "exact" columns (and the exact-* baselines) run: "exact" or "auto"
    baseline: str = "plain"  #: what the "plain" columns run (one of BASELINES)
    threads: int | None = None  #: HiGHS threads for both (None: HiGHS's default)
    changes: tuple[str, ...] = ()  #: exact-with: ExactParams changes, "KEY=VALUE"


def _baseline_options(setup: Setup) -> dict[str, Any]:
    """The exact-* baselines: ExactParams (or solver options) that switch one part off."""
    from dataclasses import replace

    from hflopt.solvers import AutoParams, ExactParams
    from hflopt.solvers.params import params_from_strings

    defaults = ExactParams()
    if setup.baseline == "exact-with":  # any ExactParams changes, e.g. full_core_links=40000
        exact = params_from_strings(ExactParams, setup.changes)
        return {"params": AutoParams(exact=exact) if setup.method == "auto" else exact}
    if setup.baseline == "exact-sub-mips":  # HiGHS's RINS/RENS kept in branch-and-bound
        return {"solver_options": {"mip_heuristic_run_rins": True, "mip_heuristic_run_rens": True}}
    if setup.baseline == "exact-without-core-search":
        exact = replace(defaults, core_search=False)
    elif setup.baseline == "exact-lp-cap-75":  # the earlier short-limit rules
        # LP rounds cut at 75% regardless of a start; the MILP built before the setup check
        exact = replace(defaults, lp_max_share_with_start=defaults.lp_max_share, build_seconds_per_link=0.0)
    else:  # exact-cold-lp: every LP round solved from scratch, none resumed
        exact = replace(defaults, warm_lp=False)
    return {"params": AutoParams(exact=exact) if setup.method == "auto" else exact}


def _child(conn: Any, which: str, inst: hflopt.Instance, limit: float, setup: Setup) -> None:
    # HiGHS prints a banner from C++ in every new process: keep the tables clean
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        from hflopt.solvers.highs_direct import solve_plain

        t0 = time.perf_counter()
        threads = setup.threads
        if which == "plain" and setup.baseline in ("plain", "strong"):
            res = solve_plain(inst, time_limit=limit, threads=threads, strengthened=setup.baseline == "strong")
        elif which == "plain":
            res = hflopt.solve(inst, setup.method, time_limit=limit, threads=threads, **_baseline_options(setup))
        else:
            res = hflopt.solve(inst, setup.method, time_limit=limit, threads=threads)
        wall = time.perf_counter() - t0
        obj = res.solution.verify(inst) if res.solution is not None else None
        conn.send({"status": res.status.value, "objective": obj, "bound": res.bound, "gap": res.gap,
                   "time": wall, "build": res.build_seconds, "nodes": res.stats.get("nodes"),
                   "proof": res.stats.get("proof"), "mip_links": res.stats.get("mip_links")})
    except Exception:
        conn.send({"status": "error", "message": traceback.format_exc(limit=3)})
    finally:
        conn.close()


def run(which: str, inst: hflopt.Instance, limit: float, setup: Setup) -> dict[str, Any]:
    """Solve in a child process; kill it ``KILL_GRACE`` s after the limit."""
    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    t0 = time.perf_counter()
    proc = ctx.Process(target=_child, args=(send, which, inst, limit, setup))
    proc.start()
    send.close()
    out: dict[str, Any] | None = None
    if recv.poll(limit + KILL_GRACE):
        try:
            out = recv.recv()
        except EOFError:
            out = None
    wall = time.perf_counter() - t0
    if proc.is_alive():
        proc.kill()
    proc.join()
    if out is None:
        out = {"status": "killed", "objective": None, "bound": None, "gap": None, "time": wall,
               "nodes": None}
    out["timed_out"] = out["status"] in ("time_limit", "no_solution", "killed")
    return out


# --------------------------------------------------------------------- tables
def fmt_time(r: dict[str, Any]) -> str:
    t = r.get("time")
    if t is None:
        return "-"
    return (">" if r["timed_out"] else "") + f"{t:.2f}"


def fmt_gap(r: dict[str, Any]) -> str:
    g = r.get("gap")
    return "-" if g is None else f"{100 * g:.2f}%"


def ratio(plain: dict[str, Any], exact: dict[str, Any]) -> tuple[float, bool]:
    """plain/exact time; the flag says it is a lower bound (plain not finished)."""
    return plain["time"] / max(exact["time"], 1e-3), plain["timed_out"]


def fmt_ratio(value: float, lower: bool) -> str:
    return (">" if lower else "") + f"{value:.1f}x"


def median_ratio(pairs: list[tuple[float, bool]]) -> str:
    """Median of per-instance ratios; a lower bound (">") if any plain run timed out."""
    if not pairs:
        return "-"
    return fmt_ratio(statistics.median(v for v, _ in pairs), any(lo for _, lo in pairs))


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows]
    return "\n".join([line, sep, *body])


def record(writer: Any, family: str, name: str, which: str, r: dict[str, Any],
           extra: dict[str, Any] | None = None) -> None:
    if writer is None:
        return
    row = {"family": family, "instance": name, "method": which,
           **{k: r.get(k) for k in ("status", "objective", "bound", "gap", "time", "nodes", "proof")}}
    row.update(extra or {})
    writer.writerow(row)


def check(r: dict[str, Any], other: dict[str, Any], known: float | None = None) -> str:
    """Consistency: two optimal runs must agree (and match a known optimum)."""
    notes = []
    if r["status"] == "optimal" and other["status"] == "optimal" and abs(r["objective"] - other["objective"]) > 1e-6:
        notes.append("MISMATCH")
    if known is not None and r["status"] == "optimal" and abs(r["objective"] - known) > 1e-6:
        notes.append("WRONG OPTIMUM")
    return " ".join(notes)


# ------------------------------------------------------------------- families
def bench_authors(args: argparse.Namespace, writer: Any) -> None:
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes] if args.sizes else AUTHORS_SIZES
    print("\n## (a) Authors' generator (p = 0.7, l = 4, Dmax = 20, costs 0..10, C = 10 N Dmax / M)\n")
    print(f"exact limit {args.limit:g} s, plain limit {args.plain_limit:g} s, seeds {args.seeds}\n",
          flush=True)
    detail: list[list[str]] = []
    summary: list[list[str]] = []
    for m, n in sizes:
        ex_runs, pl_runs, ratios = [], [], []
        for seed in range(args.seeds):
            inst = authors_instance(m, n, seed)
            ex = run("exact", inst, args.limit, args.setup)
            pl = run("plain", inst, args.plain_limit, args.setup)
            ex_runs.append(ex)
            pl_runs.append(pl)
            ratios.append(ratio(pl, ex))
            note = check(ex, pl)
            detail.append([f"{m}x{n}", str(seed), str(ex["objective"]), ex["status"], fmt_time(ex),
                           str(ex.get("nodes")), str(ex.get("proof")), pl["status"], fmt_time(pl),
                           fmt_gap(pl), fmt_ratio(*ratios[-1]), note])
            record(writer, "authors", inst.name, "exact", ex)
            record(writer, "authors", inst.name, "plain", pl)
            print("  " + " | ".join(detail[-1]), flush=True)
        ex_t = [r["time"] for r in ex_runs]
        pl_t = [r["time"] for r in pl_runs]
        summary.append([
            f"{m}x{n}",
            f"{statistics.median(ex_t):.2f}", f"{max(ex_t):.2f}",
            f"{sum(r['status'] == 'optimal' for r in ex_runs)}/{len(ex_runs)}",
            f"{statistics.median(r.get('nodes') or 0 for r in ex_runs):g}",
            ("" if not any(r["timed_out"] for r in pl_runs) else ">") + f"{statistics.median(pl_t):.2f}",
            f"{sum(r['status'] == 'optimal' for r in pl_runs)}/{len(pl_runs)}",
            f"{sum(r['timed_out'] for r in pl_runs)}",
            median_ratio(ratios),
        ])
    print()
    print(table(["size", "seed", "optimum", "exact", "time", "nodes", "proof", "plain", "time", "gap",
                 "ratio", "check"], detail))
    print()
    print(table(["size", "exact median s", "exact worst s", "exact optimal", "exact median nodes",
                 "plain median s", "plain optimal", "plain timeouts", "median ratio"], summary))
    print(flush=True)


def bench_holmberg(args: argparse.Namespace, writer: Any) -> None:
    folder = Path(args.sscflp_dir) if args.sscflp_dir else HOLMBERG
    insts = sscflp_instances(folder, args.holmberg)
    if not insts:
        return
    title = "Holmberg SSCFLP set" if folder == HOLMBERG else f"SSCFLP files of {folder}"
    print(f"\n## (b) {title} (p = 1, l = 1; optima from the `os` file or the files)\n")
    print(f"exact limit {args.limit:g} s, plain limit {args.plain_limit:g} s\n", flush=True)
    rows = []
    tot_ex = tot_pl = 0.0
    pl_lower = False
    ex_opt = pl_opt = 0
    for inst, known in insts:
        ex = run("exact", inst, args.limit, args.setup)
        pl = run("plain", inst, args.plain_limit, args.setup)
        tot_ex += ex["time"]
        tot_pl += pl["time"]
        pl_lower |= pl["timed_out"]
        ex_opt += ex["status"] == "optimal"
        pl_opt += pl["status"] == "optimal"
        note = check(ex, pl, known)
        rows.append([inst.name, f"{inst.n_hosts}x{inst.n_devices}",
                     "-" if known is None else f"{known:g}", ex["status"],
                     fmt_time(ex), str(ex.get("nodes")), pl["status"], fmt_time(pl), fmt_gap(pl),
                     fmt_ratio(*ratio(pl, ex)), note])
        record(writer, "holmberg", inst.name, "exact", ex, {"known_optimum": known})
        record(writer, "holmberg", inst.name, "plain", pl, {"known_optimum": known})
        print("  " + " | ".join(rows[-1]), flush=True)
    print()
    print(table(["file", "size", "optimum", "exact", "time", "nodes", "plain", "time", "gap", "ratio",
                 "check"], rows))
    print()
    lo = ">" if pl_lower else ""
    print(table(["instances", "exact total s", "exact optimal", "plain total s", "plain optimal",
                 "plain/exact", "exact/plain"],
                [[str(len(insts)), f"{tot_ex:.1f}", f"{ex_opt}/{len(insts)}", f"{lo}{tot_pl:.1f}",
                  f"{pl_opt}/{len(insts)}", f"{lo}{tot_pl / max(tot_ex, 1e-9):.2f}x",
                  f"{'<' if pl_lower else ''}{tot_ex / max(tot_pl, 1e-9):.3f}"]]))
    print(flush=True)


def bench_tight(args: argparse.Namespace, writer: Any) -> None:
    m, n = (int(v) for v in args.tight_size.split("x"))
    geometric = args.tight_style == "geometric"
    make = geometric_tight_instance if geometric else tight_instance
    style = "HFL-style geometric" if geometric else "SSCFLP-style"
    print(f"\n## (c) Tight {style} instances, {m}x{n}, total capacity = r x total workload, p = 1\n")
    print(f"exact limit {args.tight_limit:g} s, plain limit {args.plain_limit:g} s\n", flush=True)
    rows = []
    for r in args.ratios:
        for seed in range(args.tight_seeds):
            inst = make(m, n, r, seed)
            ex = run("exact", inst, args.tight_limit, args.setup)
            pl = run("plain", inst, args.plain_limit, args.setup)
            rows.append([f"{r:g}", str(seed), str(ex["objective"]), ex["status"], fmt_time(ex),
                         fmt_gap(ex), str(ex.get("nodes")), pl["status"], fmt_time(pl),
                         str(pl["objective"]), fmt_gap(pl), check(ex, pl)])
            record(writer, "tight", inst.name, "exact", ex, {"ratio": r})
            record(writer, "tight", inst.name, "plain", pl, {"ratio": r})
            print("  " + " | ".join(rows[-1]), flush=True)
    print()
    print(table(["r", "seed", "exact obj", "exact", "time", "gap", "nodes", "plain", "time", "plain obj",
                 "plain gap", "check"], rows))
    print(flush=True)


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes and limits (a few minutes)")
    ap.add_argument("--family", action="append", choices=["authors", "holmberg", "tight"],
                    help="families to run (default all; repeatable)")
    ap.add_argument("--sizes", nargs="*", help="authors sizes as MxN (default all six)")
    ap.add_argument("--seeds", type=int, default=5, help="seeds per authors size (default 5)")
    ap.add_argument("--limit", type=float, default=300.0, help="exact time limit, s (default 300)")
    ap.add_argument("--plain-limit", type=float, default=300.0,
                    help="plain formulation time limit, s (default 300)")
    ap.add_argument("--holmberg", nargs="*", help="Holmberg files to run (default all 71)")
    ap.add_argument("--sscflp-dir", help="run family 'holmberg' on this folder of SSCFLP files "
                    "instead (p1..pK with an 'os' file of optima, as in the OR-Datasets sets of "
                    "Yang, Delmaire, ...; or any files, with optima appended to them)")
    ap.add_argument("--tight-size", default="50x300")
    ap.add_argument("--ratios", nargs="*", type=float, default=TIGHT_RATIOS)
    ap.add_argument("--tight-seeds", type=int, default=2)
    ap.add_argument("--tight-style", choices=["sscflp", "geometric"], default="sscflp",
                    help="family (c): Cornuejols-style SSCFLP instances (default) or HFL-style "
                         "geometric ones (distance link costs, cloud cost 100 per aggregator)")
    ap.add_argument("--tight-limit", type=float, default=600.0, help="exact limit on tight instances")
    ap.add_argument("--threads", type=int, default=None, help="HiGHS threads for both (default HiGHS's)")
    ap.add_argument("--csv", help="also write one row per run to this CSV file")
    ap.add_argument("--method", choices=["exact", "auto"], default="exact",
                    help="hflopt method of the 'exact' columns and of the exact-* baselines "
                         "(default exact; auto: heuristic phase first, then exact)")
    ap.add_argument("--baseline", choices=BASELINES, default="plain",
                    help="what the 'plain' columns run: the textbook model (default), the "
                         "same model with exact's valid strengthenings ('strong': capacity "
                         "against R_j y_j, cover row, assignment equalities when T = N) or, as "
                         "ablations, hflopt's exact method without its core-search step, "
                         "with cold LP rounds, with HiGHS's RINS/RENS left on, or with the "
                         "earlier short-time-limit rules (LP rounds cut at 75%% of the "
                         "limit even with a warm start; the MILP built before the setup check), "
                         "or ('exact-with') any ExactParams changes given by --with")
    ap.add_argument("--with", dest="changes", action="append", default=[], metavar="KEY=VALUE",
                    help="with --baseline exact-with: an ExactParams field for the 'plain' columns "
                         "(repeatable; e.g. --with full_core_links=40000 --with core_search=false)")
    return ap


def _quick(args: argparse.Namespace) -> None:
    """``--quick``: small sizes and limits."""
    args.sizes = args.sizes or ["10x1000", "50x1000", "100x1000", "100x10000"]
    args.seeds = min(args.seeds, 2)
    args.limit = min(args.limit, 120.0)
    args.plain_limit = min(args.plain_limit, 60.0)
    args.holmberg = args.holmberg or ["p1", "p13", "p25", "p41", "p51", "p56", "p60", "p71"]
    args.ratios = [1.3]
    args.tight_seeds = 1
    args.tight_limit = min(args.tight_limit, 120.0)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.baseline == "exact-with" and not args.changes:
        _parser().error("--baseline exact-with needs at least one --with KEY=VALUE")
    args.setup = Setup(method=args.method, baseline=args.baseline, threads=args.threads,
                       changes=tuple(args.changes))
    families = args.family or ["authors", "holmberg", "tight"]
    if args.quick:
        _quick(args)
    print(f"# hflopt {hflopt.__version__} exact benchmark; python {sys.version.split()[0]}; "
          f"{os.cpu_count()} cpus; {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"# command: {' '.join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])])}")
    if args.baseline != "plain":
        print(f"# the 'plain' columns run: {args.baseline}")
    if args.method != "exact":
        print(f"# the 'exact' columns run hflopt's method {args.method!r}")
    fh = open(args.csv, "w", newline="") if args.csv else None  # noqa: SIM115
    writer = None
    if fh is not None:
        writer = csv.DictWriter(fh, fieldnames=["family", "instance", "method", "status", "objective",
                                                "bound", "gap", "time", "nodes", "proof",
                                                "known_optimum", "ratio"])
        writer.writeheader()
    try:
        if "authors" in families:
            bench_authors(args, writer)
        if "holmberg" in families:
            bench_holmberg(args, writer)
        if "tight" in families:
            bench_tight(args, writer)
    finally:
        if fh is not None:
            fh.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
