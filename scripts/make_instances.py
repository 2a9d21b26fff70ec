"""Regenerate the instances shipped in ``instances/`` exactly.

Usage::

    python scripts/make_instances.py            # rewrite instances/
    python scripts/make_instances.py --check    # regenerate in a temporary folder, compare bytes
    python scripts/make_instances.py --out DIR  # write the set somewhere else

Every file is produced by hflopt's own generators with a fixed seed, so the
same hflopt version writes byte-identical files. ``instances/README.md`` (also
written by this script) lists each file with the call that made it.
"""

from __future__ import annotations

import argparse
import filecmp
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import hflopt
from hflopt.generators import authors_runtime_capacity, clustered_instance, geometric_instance, random_instance
from hflopt.io.graphs import write_graph

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "instances"


@dataclass(frozen=True)
class Spec:
    """One shipped file: its name, how it is made and what it is for."""

    filename: str
    make: Callable[[Path], None]
    recipe: str
    purpose: str


def _save(build: Callable[[], hflopt.Instance], fmt: str) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        hflopt.save_instance(build(), path, format=fmt)

    return write


def _grid_graph(path: Path) -> None:
    """An 8 x 8 street grid: 6 edge sites, 50 devices, a cloud node, random road lengths."""
    import networkx as nx

    rng = np.random.default_rng(8)
    grid = nx.grid_2d_graph(8, 8)
    G = nx.Graph(name="grid-8x8", participation_ratio=0.9, rounds_ratio=2, cloud="dc",
                 coordinates="planar")
    names = {(r, c): f"r{r}c{c}" for r, c in grid.nodes}
    for (r, c), name in sorted(names.items()):
        G.add_node(name, x=float(c), y=float(r))
    for u, v in sorted(grid.edges):
        G.add_edge(names[u], names[v], weight=int(rng.integers(1, 6)))
    nodes = sorted(G.nodes)
    picked = rng.permutation(len(nodes))
    hosts = [nodes[k] for k in sorted(picked[:6].tolist())]
    devices = [nodes[k] for k in sorted(picked[6:56].tolist())]
    for h in hosts:
        G.nodes[h].update(role="host", capacity=int(rng.integers(40, 81)))
    for d in devices:
        G.nodes[d].update(role="device", workload=int(rng.integers(1, 11)))
    G.add_node("dc", x=8.5, y=8.5)
    G.add_edge("dc", "r7c7", weight=10)
    G.add_edge("dc", "r0c7", weight=10)
    write_graph(G, path, format="graphml")


SPECS: tuple[Spec, ...] = (
    Spec(
        "random-5x40.json",
        _save(lambda: random_instance(5, 40, participation=0.7, rounds=4, seed=1, name="random-5x40"),
              "authors"),
        "random_instance(5, 40, participation=0.7, rounds=4, seed=1), authors' format",
        "tiny; the authors' file format and distributions",
    ),
    Spec(
        "random-10x100.hflopt.json",
        _save(lambda: random_instance(
            10, 100, participation=0.7, rounds=4, max_workload=20,
            max_capacity=authors_runtime_capacity(100, 10, 20), seed=2, name="random-10x100"), "native"),
        "random_instance(10, 100, participation=0.7, rounds=4, max_workload=20, "
        "max_capacity=authors_runtime_capacity(100, 10, 20), seed=2)",
        "small; the authors' runtime-study settings",
    ),
    Spec(
        "geometric-10x100.hflopt.json",
        _save(lambda: geometric_instance(
            10, 100, cloud_cost=50, tightness=1.3, decimals=0, participation=0.9, rounds=2, seed=3,
            name="geometric-10x100"), "native"),
        "geometric_instance(10, 100, cloud_cost=50, tightness=1.3, decimals=0, participation=0.9, "
        "rounds=2, seed=3)",
        "small, dense; uniform points in 100 x 100 km",
    ),
    Spec(
        "clustered-30x1000-k10.hflopt.json",
        _save(lambda: clustered_instance(
            30, 1000, clusters=6, cloud_cost=40, tightness=1.25, capacity_cv=0.3, workload="lognormal",
            workload_cv=0.8, k=10, decimals=0, participation=0.9, rounds=2, seed=4,
            name="clustered-30x1000-k10"), "native"),
        "clustered_instance(30, 1000, clusters=6, cloud_cost=40, tightness=1.25, capacity_cv=0.3, "
        "workload='lognormal', workload_cv=0.8, k=10, decimals=0, participation=0.9, rounds=2, seed=4)",
        "medium, sparse; 6 Gaussian clusters, uneven capacities, log-normal workloads",
    ),
    Spec(
        "clustered-100x20000-k4.hflopt.json",
        _save(lambda: clustered_instance(
            100, 20000, clusters=20, region=(200.0, 200.0), cloud_cost=60, tightness=1.2, k=4,
            decimals=0, participation=0.95, rounds=2, seed=5, name="clustered-100x20000-k4"), "native"),
        "clustered_instance(100, 20000, clusters=20, region=(200, 200), cloud_cost=60, tightness=1.2, "
        "k=4, decimals=0, participation=0.95, rounds=2, seed=5)",
        "large, sparse (4 candidate hosts per device)",
    ),
    Spec(
        "grid-8x8.graphml",
        _grid_graph,
        "8 x 8 street grid (networkx grid_2d_graph), road lengths U{1..5}, 6 host and 50 device "
        "nodes, cloud node 'dc' (seed 8); see _grid_graph in this script",
        "a network graph file: costs are shortest paths (load_instance reads it directly)",
    ),
)


def _readme(out: Path) -> str:
    lines = [
        "# Shipped instances",
        "",
        "Generated by `python scripts/make_instances.py` (do not edit by hand; "
        "`python scripts/make_instances.py --check` verifies that the files are reproduced exactly).",
        "",
        "| file | KiB | hosts | devices | links | T | l | what |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for spec in SPECS:
        path = out / spec.filename
        inst = hflopt.load_instance(path)
        lines.append(
            f"| `{spec.filename}` | {path.stat().st_size / 1024:.0f} | {inst.n_hosts} | {inst.n_devices} | "
            f"{inst.n_links} | {inst.min_participants} | {inst.rounds_ratio:g} | {spec.purpose} |"
        )
    lines += ["", "Recipes:", ""]
    lines += [f"- `{spec.filename}`: `{spec.recipe}`" for spec in SPECS]
    lines += ["", "Try one: `hflopt solve instances/geometric-10x100.hflopt.json --plot map.png`.", ""]
    return "\n".join(lines)


def build(out: Path) -> list[Path]:
    """Write every shipped file (and README.md) to ``out``; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for spec in SPECS:
        path = out / spec.filename
        spec.make(path)
        paths.append(path)
    readme = out / "README.md"
    hflopt.io.write_text_atomic(readme, _readme(out))
    paths.append(readme)
    return paths


def check(reference: Path) -> list[str]:
    """Regenerate into a temporary folder; return the names that differ from ``reference``."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = build(Path(tmp))
        return [p.name for p in fresh
                if not (reference / p.name).is_file() or not filecmp.cmp(p, reference / p.name, shallow=False)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: instances/)")
    parser.add_argument("--check", action="store_true",
                        help="do not write; regenerate elsewhere and compare with --out")
    args = parser.parse_args(argv)
    if args.check:
        bad = check(args.out)
        if bad:
            print(f"differ from {args.out}: {', '.join(bad)}", file=sys.stderr)
            return 1
        print(f"all {len(SPECS) + 1} files in {args.out} are reproduced exactly")
        return 0
    for path in build(args.out):
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
