"""Time the evaluations at scale: comm_cost on 10^6 devices x 20 links, 10^5 simulated requests.

    python benchmarks/evaluate.py [--devices 1000000] [--hosts 1000] [--links 20] [--requests 100000]

Builds a sparse instance from arrays (each device links to ``--links``
random distinct hosts), times :func:`hflopt.evaluate.comm_cost` (the
first call, which also builds the instance's cached link keys, and the best of 3 after it) and
:func:`hflopt.evaluate.simulate` (SimPy) on a 1,000-device geometric
instance, and prints the figures docs/evaluate.md quotes.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import hflopt
from hflopt.evaluate import comm_cost, scenario_from_instance, simulate


def sparse_instance(n: int, m: int, k: int, seed: int) -> hflopt.Instance:
    """n devices, m hosts, k distinct random hosts per device, integer costs 0..10."""
    rng = np.random.default_rng(seed)
    hosts = np.argsort(rng.random((n, m)), axis=1)[:, :k] if n * m <= 5e7 else _distinct(rng, n, m, k)
    dev = np.repeat(np.arange(n), k)
    return hflopt.Instance(rng.integers(50, 500, m), rng.integers(1, 100, m), rng.integers(0, 10, n), dev,
                           hosts.reshape(-1), rng.integers(0, 11, n * k), participation_ratio=0.9, rounds_ratio=4,
                           name=f"sparse-{m}x{n}x{k}")


def _distinct(rng: np.random.Generator, n: int, m: int, k: int) -> np.ndarray:
    """k distinct hosts per device without an n x m matrix: random offsets from a random start."""
    start = rng.integers(0, m, size=(n, 1))
    steps = np.sort(rng.choice(m - 1, size=k - 1, replace=False)) + 1 if k > 1 else np.zeros(0, dtype=np.int64)
    return (start + np.concatenate([[0], steps])[None, :]) % m


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devices", type=int, default=1_000_000)
    ap.add_argument("--hosts", type=int, default=1000)
    ap.add_argument("--links", type=int, default=20)
    ap.add_argument("--requests", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    t = time.perf_counter()
    inst = sparse_instance(args.devices, args.hosts, args.links, args.seed)
    build = time.perf_counter() - t
    rng = np.random.default_rng(args.seed + 1)
    host_of = np.where(rng.random(inst.n_devices) < 0.9,
                       inst.link_host[inst.link_ptr[:-1] + rng.integers(0, args.links, inst.n_devices)], -1)
    sol = hflopt.Solution(host_of)
    t = time.perf_counter()
    comm_cost(inst, sol)  # the first call also builds the instance's cached link keys and pointers
    first = time.perf_counter() - t
    times = []
    for _ in range(3):
        t = time.perf_counter()
        res = comm_cost(inst, sol)
        times.append(time.perf_counter() - t)
    print(f"comm_cost: {inst.n_devices:,} devices x {args.links} links ({inst.n_links:,} links), "
          f"first call {first:.3f} s, then best of 3 {min(times):.3f} s (instance built in {build:.1f} s); {res}")

    geo = hflopt.geometric_instance(20, 1000, k=5, seed=args.seed)
    gsol = hflopt.solve(geo, "greedy").solution
    scn = scenario_from_instance(geo)
    for model in ("mm1", "md1"):
        t = time.perf_counter()
        sim = simulate(geo, gsol, scn, n_requests=args.requests, seed=args.seed, model=model)
        print(f"simulate ({model}): {args.requests:,} requests in {time.perf_counter() - t:.2f} s; {sim}")


if __name__ == "__main__":
    main()
