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

The time is taken around ``hflopt.solve`` in the child (loading the file is not
counted); every solution returned is verified.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import hflopt
from hflopt.generators import authors_runtime_capacity

sys.path.insert(0, str(Path(__file__).resolve().parent))
from exact import tight_instance  # the exact benchmark's tight family

FAMILIES = ("tight", "dense", "sparse", "lan")

CHILD = """
import json, sys, time
import hflopt
path, method, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
inst = hflopt.load(path)
t = time.perf_counter()
res = hflopt.solve(inst, method, time_limit=limit)
elapsed = time.perf_counter() - t
ok = res.solution is None or abs(res.solution.verify(inst) - res.objective) <= 1e-6 * max(1, res.objective)
print(json.dumps({"elapsed": elapsed, "status": res.status.value, "objective": res.objective,
                  "verified": ok}))
"""


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


def run_one(path: Path, method: str, limit: float) -> dict:
    cap = 3 * limit + 60
    started = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-c", CHILD, str(path), method, str(limit)],
                              capture_output=True, text=True, timeout=cap)
    except subprocess.TimeoutExpired:
        return {"elapsed": time.perf_counter() - started, "status": "hung", "verified": False}
    if proc.returncode != 0:
        return {"elapsed": float("nan"), "status": f"crash: {proc.stderr.strip()[-200:]}", "verified": False}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def budget(limit: float) -> float:
    return max(1.1 * limit, limit + 1.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", default=sorted(hflopt.method_names()))
    parser.add_argument("--families", nargs="+", default=list(FAMILIES), choices=FAMILIES)
    parser.add_argument("--limits", nargs="+", type=float, default=[3.0, 10.0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for family in args.families:
            for seed in args.seeds:
                path = Path(tmp) / f"{family}-{seed}.json"
                hflopt.save(make_instance(family, seed), path)
                for limit in args.limits:
                    for method in args.methods:
                        out = run_one(path, method, limit)
                        out.update(family=family, seed=seed, limit=limit, method=method)
                        rows.append(out)
                        print(f"# {family} s{seed} {method:16s} limit {limit:5.1f}  "
                              f"{out['elapsed']:7.2f} s  {out['status']}", file=sys.stderr, flush=True)
    print_table(rows, args.methods, args.families)
    late = [r for r in rows if not r["elapsed"] <= budget(r["limit"]) or not r["verified"]]
    return 1 if late else 0


def print_table(rows: list[dict], methods: list[str], families: list[str]) -> None:
    print("| method | " + " | ".join(f"{f}: worst elapsed / limit (s)" for f in families)
          + " | within max(1.1 L, L + 1 s) |")
    print("|---|" + "---|" * len(families) + "---|")
    for method in methods:
        cells, ok, total = [], 0, 0
        for family in families:
            mine = [r for r in rows if r["method"] == method and r["family"] == family]
            worst = max(mine, key=lambda r: r["elapsed"] / r["limit"] if r["elapsed"] == r["elapsed"] else 1e9)
            cells.append(f"{worst['elapsed']:.2f} / {worst['limit']:g}")
            ok += sum(1 for r in mine if r["elapsed"] <= budget(r["limit"]) and r["verified"])
            total += len(mine)
        print(f"| {method} | " + " | ".join(cells) + f" | {ok}/{total} |")


if __name__ == "__main__":
    sys.exit(main())
