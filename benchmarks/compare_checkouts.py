"""Two checkouts of hflopt side by side: same instances, same methods, alternating runs.

Answers "did this change alter any result, and is it slower?" for a refactoring or a
tuning change: every (instance, method) is solved by the old and the new source tree
in fresh child processes, in alternating order, and the table shows both objectives,
whether they agree, both solve times (measured inside the child, without Python's
start-up and imports: a warm-up solve of a 3x12 instance comes first) and their ratio;
the summary gives per method the number of differing objectives and the median time ratio.

Usage::

    git worktree add /tmp/hflopt-old <commit>
    python benchmarks/compare_checkouts.py --old /tmp/hflopt-old
    python benchmarks/compare_checkouts.py --old /tmp/hflopt-old --methods exact auto \\
        --families authors holmberg --repeats 2

Families: ``authors`` (the paper's generator, 10/50 hosts x 1,000 devices), ``holmberg``
(SSCFLP files from ``$HFLOPT_SHARED/data/sscflp/holmberg``, skipped when absent),
``geometric`` (sparse k-nearest and dense geometric instances, tight capacities). Instances are
generated once by the new tree and written as native JSON files that both trees read.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HFLOPT_SHARED", ROOT.parent / "shared"))
HOLMBERG = SHARED / "data" / "sscflp" / "holmberg"
SEEDED = {"local-search", "lagrangian", "core-search", "sparse"}

_CHILD = """
import json, sys, time
import hflopt
path, method, limit, seed = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
inst = hflopt.load(path)
kw = {"time_limit": limit}
if seed != "-":
    kw["seed"] = int(seed)
# a warm-up solve of a tiny instance loads the method's modules: the time below is the solve's
hflopt.solve(hflopt.random_instance(3, 12, participation=0.7, seed=1), method, **kw)
t0 = time.perf_counter()
res = hflopt.solve(inst, method, **kw)
seconds = time.perf_counter() - t0
obj = res.solution.verify(inst) if res.solution is not None else None
print(json.dumps({"status": res.status.value, "objective": obj, "bound": res.bound, "seconds": seconds,
                  "file": hflopt.__file__}))
"""


@dataclass(frozen=True)
class Run:
    """One solve by one tree."""

    status: str
    objective: float | None
    seconds: float


def solve_in(tree: Path, path: Path, method: str, limit: float) -> Run:
    """Solve ``path`` with ``method`` using the hflopt sources in ``tree`` (a fresh process)."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    seed = "0" if method in SEEDED else "-"
    try:
        proc = subprocess.run([sys.executable, "-c", _CHILD, str(path), method, str(limit), seed], env=env,
                              capture_output=True, text=True, timeout=limit * 2 + 60, cwd=tree)
    except subprocess.TimeoutExpired:
        return Run("killed", None, math.inf)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return Run(f"error: {last}", None, math.inf)
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    if not Path(out["file"]).resolve().is_relative_to(tree):
        raise RuntimeError(f"the child imported {out['file']}, not the hflopt of {tree}")
    return Run(out["status"], out["objective"], out["seconds"])


def instances(families: list[str], folder: Path, seeds: int) -> list[Path]:
    """Instance files of the chosen families (generated ones written to ``folder``)."""
    import hflopt
    from hflopt.generators import authors_runtime_capacity, random_instance

    out: list[Path] = []
    if "authors" in families:
        for m, n in ((10, 1000), (50, 1000)):
            for s in range(seeds):  # the authors' runtime study, as in benchmarks/exact.py
                inst = random_instance(m, n, participation=0.7, rounds=4, max_workload=20, max_cost=10,
                                       max_capacity=authors_runtime_capacity(n, m, 20), seed=s)
                out.append(_save(inst, folder / f"authors-{m}x{n}-s{s}.json"))
    if "geometric" in families:
        for s in range(seeds):
            inst = hflopt.geometric_instance(20, 500, k=5, tightness=1.2, seed=s, decimals=0)
            out.append(_save(inst, folder / f"geometric-20x500-k5-s{s}.json"))
            inst = hflopt.geometric_instance(15, 200, tightness=1.1, seed=s + 10)  # dense, real-valued costs
            out.append(_save(inst, folder / f"geometric-15x200-s{s + 10}.json"))
    if "holmberg" in families:
        if HOLMBERG.is_dir():
            out.extend(HOLMBERG / name for name in ("p1", "p13", "p25", "p41", "p51", "p56"))
        else:
            print(f"# holmberg skipped: {HOLMBERG} not found", flush=True)
    return out


def _save(inst: object, path: Path) -> Path:
    import hflopt

    hflopt.save(inst, path)
    return path


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.6g}"


def compare(args: argparse.Namespace, files: list[Path]) -> dict[str, list[tuple[bool, float]]]:
    """Run everything; print one line per (instance, method); per method (same?, ratio) pairs."""
    trees = {"old": Path(args.old).resolve(), "new": Path(args.new).resolve()}
    summary: dict[str, list[tuple[bool, float]]] = {m: [] for m in args.methods}
    print("| instance | method | old obj | new obj | same | old s | new s | new/old |")
    print("|---|---|---|---|---|---|---|---|")
    turn = 0
    for path in files:
        for method in args.methods:
            runs: dict[str, list[Run]] = {"old": [], "new": []}
            for _ in range(args.repeats):
                order = ("old", "new") if turn % 2 == 0 else ("new", "old")
                turn += 1
                for which in order:
                    runs[which].append(solve_in(trees[which], path, method, args.time_limit))
            old, new = runs["old"][0], runs["new"][0]
            t_old = statistics.median(r.seconds for r in runs["old"])
            t_new = statistics.median(r.seconds for r in runs["new"])
            same = all(_close(a.objective, old.objective) for a in runs["old"] + runs["new"])
            ratio = t_new / t_old if t_old > 0 else float("nan")
            summary[method].append((same, ratio))
            print(f"| {path.name} | {method} | {_fmt(old.objective)} ({old.status}) | {_fmt(new.objective)} "
                  f"({new.status}) | {'yes' if same else 'NO'} | {t_old:.2f} | {t_new:.2f} | {ratio:.2f} |",
                  flush=True)
    return summary


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= 1e-6 * max(1.0, abs(a))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--old", required=True, help="the old checkout (a folder holding the hflopt package)")
    ap.add_argument("--new", default=str(ROOT), help="the new checkout (default: this one)")
    ap.add_argument("--methods", nargs="+", default=["exact", "auto", "lagrangian", "core-search", "local-search",
                                                     "greedy"])
    ap.add_argument("--families", nargs="+", choices=["authors", "holmberg", "geometric"],
                    default=["authors", "holmberg", "geometric"])
    ap.add_argument("--seeds", type=int, default=3, help="generated instances per size (default 3)")
    ap.add_argument("--time-limit", type=float, default=60.0, help="per solve, s (default 60)")
    ap.add_argument("--repeats", type=int, default=1, help="solves per tree and pair (median time; default 1)")
    args = ap.parse_args(argv)
    for which in ("old", "new"):
        if not (Path(getattr(args, which)) / "hflopt" / "__init__.py").is_file():
            ap.error(f"--{which} {getattr(args, which)}: no hflopt package there")
    print(f"# compare checkouts: old {Path(args.old).resolve()} vs new {Path(args.new).resolve()}; "
          f"{os.cpu_count()} cpus; {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"# command: {' '.join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])])}")
    with tempfile.TemporaryDirectory(prefix="hflopt-compare-") as tmp:
        files = instances(args.families, Path(tmp), args.seeds)
        summary = compare(args, files)
    print("\n| method | pairs | objectives differ | median new/old time | min | max |")
    print("|---|---|---|---|---|---|")
    for method, rows in summary.items():
        ratios = [r for _, r in rows if r == r]
        differ = sum(1 for same, _ in rows if not same)
        if ratios:
            print(f"| {method} | {len(rows)} | {differ} | {statistics.median(ratios):.2f} | {min(ratios):.2f} | "
                  f"{max(ratios):.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
