"""Property-based fuzzing of every input format through the command line.

Valid files of every format (native and authors JSON, CSV tables, SSCFLP,
GraphML, GML, edge lists, gzip-compressed copies) are mutated by hypothesis:
numbers become NaN, inf, 1e308, 10^400, 5000 digits, negative or fractional;
files are truncated; lines, keys and ids are duplicated; bytes are flipped and
encodings broken. Each mutant goes through ``hflopt info``, ``solve`` and
``convert`` in this process, and the run asserts:

- exit status 0, 2, 3 or 4 only (1 would be a solver failure or an internal
  error: neither may come from a file);
- exactly one stderr line on status 2, never a traceback;
- nothing written when a command fails (no output, no temporary file);
- every solution reported is verified against the instance independently
  (``solve`` runs greedy, exact or auto with a 2 s limit, by the mutant's length).

Memory and time are bounded by the caller: ``tests/test_fuzz.py`` runs this
module in a child process with an address-space limit and a timeout;
``benchmarks/fuzz.py`` runs it for minutes.

Usage: ``python tests/fuzz_inputs.py --examples 60 --seed 1``.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import itertools
import json
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

import hflopt
from hflopt.cli import main as cli_main

#: what a number may become
NUMBERS = ["NaN", "nan", "inf", "-inf", "Infinity", "-Infinity", "1e308", "1e999", "-1e308", "1" * 400,
           "7" * 5000, "-5", "0", "2.5", "-0", "1e-320", "0x10", "1_000", "", "null", "true", '"9"',
           "1e12", "1000000000001", "12345678901234567890"]
SUFFIXES = {"native": "inst.json", "authors": "authors.json", "sscflp": "p1.txt", "graphml": "net.graphml",
            "gml": "net.gml", "edgelist": "net.edges"}


# ------------------------------------------------------------------ seeds
def seed_files(folder: Path) -> dict[str, Path]:
    """One valid small file per format (and a gzip copy of the native one)."""
    inst = hflopt.random_instance(3, 7, participation=0.8, rounds=2, seed=3)
    dense = hflopt.random_instance(3, 6, participation=1.0, rounds=1, max_capacity=60, seed=5)
    out = {}
    for fmt, name in (("native", "inst.json"), ("authors", "authors.json")):
        out[fmt] = folder / name
        hflopt.save(inst, out[fmt], format=fmt)
    out["sscflp"] = folder / "p1.txt"
    hflopt.save(dense, out["sscflp"], format="sscflp")
    out["csv"] = folder / "tables"
    hflopt.save(inst, out["csv"], format="csv")
    out["gzip"] = folder / "inst.json.gz"
    out["gzip"].write_bytes(gzip.compress(out["native"].read_bytes(), mtime=0))
    for fmt, text in _graph_texts().items():
        out[fmt] = folder / SUFFIXES[fmt]
        out[fmt].write_text(text)
    return out


def _graph_texts() -> dict[str, str]:
    graphml = """<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key id="role" for="node" attr.name="role" attr.type="string"/>
  <key id="capacity" for="node" attr.name="capacity" attr.type="double"/>
  <key id="workload" for="node" attr.name="workload" attr.type="double"/>
  <key id="weight" for="edge" attr.name="weight" attr.type="double"/>
  <graph edgedefault="undirected">
    <node id="h1"><data key="role">host</data><data key="capacity">20</data></node>
    <node id="h2"><data key="role">host</data><data key="capacity">15</data></node>
    <node id="r"/>
    <node id="d1"><data key="role">device</data><data key="workload">4</data></node>
    <node id="d2"><data key="role">device</data><data key="workload">6</data></node>
    <node id="d3"><data key="role">device</data><data key="workload">5</data></node>
    <edge source="h1" target="r"><data key="weight">2</data></edge>
    <edge source="h2" target="r"><data key="weight">3</data></edge>
    <edge source="d1" target="r"><data key="weight">1</data></edge>
    <edge source="d2" target="h1"><data key="weight">4</data></edge>
    <edge source="d3" target="h2"><data key="weight">1.5</data></edge>
  </graph>
</graphml>
"""
    gml = """graph [
  participation_ratio 1
  node [ id 0 label "h1" role "host" capacity 20 ]
  node [ id 1 label "h2" role "host" capacity 15 ]
  node [ id 2 label "d1" role "device" workload 4 ]
  node [ id 3 label "d2" role "device" workload 6 ]
  edge [ source 0 target 2 weight 2 ]
  edge [ source 1 target 3 weight 3.5 ]
  edge [ source 0 target 1 weight 1 ]
]
"""
    edges = """# graph participation_ratio=1 rounds_ratio=2
# node h1 role=host capacity=20 cloud_cost=3
# node h2 role=host capacity=15 cloud_cost=1
# node d1 role=device workload=4
# node d2 role=device workload=6
# node d3 role=device workload=5
h1 d1 2
h1 d2 1.5
h2 d3 {'weight': 4}
h1 h2 1
"""
    return {"graphml": graphml, "gml": gml, "edgelist": edges}


# -------------------------------------------------------------- mutations
def _number_spans(data: bytes) -> list[tuple[int, int]]:
    """Byte spans of the numbers in ``data`` (digits with sign, dot and exponent)."""
    spans, k, n = [], 0, len(data)
    while k < n:
        c = data[k]
        if 48 <= c <= 57 or (c == 45 and k + 1 < n and 48 <= data[k + 1] <= 57):
            start = k
            k += 1
            while k < n and (48 <= data[k] <= 57 or data[k] in b".eE+-"):
                k += 1
            spans.append((start, k))
        else:
            k += 1
    return spans


@st.composite
def mutation(draw: st.DrawFn, data: bytes) -> bytes:
    """One or two edits of ``data``."""
    for _ in range(draw(st.integers(1, 2))):
        kind = draw(st.sampled_from(["number", "number", "truncate", "duplicate", "bytes", "encoding"]))
        data = _mutate(draw, data, kind)
    return data


def _mutate(draw: st.DrawFn, data: bytes, kind: str) -> bytes:
    if kind == "number":
        spans = _number_spans(data)
        if spans:
            a, b = draw(st.sampled_from(spans))
            return data[:a] + draw(st.sampled_from(NUMBERS)).encode() + data[b:]
        return data
    if kind == "truncate":
        return data[: draw(st.integers(0, max(0, len(data) - 1)))]
    if kind == "duplicate":  # a line (a key, an id, a node, a parameter) twice
        lines = data.split(b"\n")
        k = draw(st.integers(0, max(0, len(lines) - 1)))
        return b"\n".join([*lines[: k + 1], lines[k], *lines[k + 1:]])
    if kind == "bytes":
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        return data[:pos] + draw(st.binary(min_size=1, max_size=4)) + data[pos + 1:]
    choice = draw(st.sampled_from(["bom", "latin1", "surrogate", "nul", "utf16"]))
    if choice == "bom":
        return b"\xef\xbb\xbf" + data
    if choice == "latin1":
        return data.replace(b"h1", "h\xe9".encode("latin-1"), 1)
    if choice == "surrogate":
        return data.replace(b'"h', b'"\\ud800h', 1)
    if choice == "nul":
        return data.replace(b"\n", b"\0\n", 1)
    return data.decode("utf-8", "replace").encode("utf-16")


# ------------------------------------------------------------------ checks
class FuzzFailure(AssertionError):
    """A mutant that broke one of the promises (kept in the message)."""


def run_cli(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli_main(args)
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def check_command(args: list[str], work: Path, before: set[str], label: str) -> int:
    code, _out, err = run_cli(args)
    if code not in (0, 2, 3, 4):
        raise FuzzFailure(f"{label}: {' '.join(args)} exited {code}: {err.strip()[:300]}")
    if "Traceback" in err or "internal error" in err:
        raise FuzzFailure(f"{label}: {' '.join(args)}: {err.strip()[:300]}")
    if code == 2:
        lines = [ln for ln in err.splitlines() if ln.strip()]
        if len(lines) != 1 or not lines[0].startswith("hflopt: "):
            raise FuzzFailure(f"{label}: {' '.join(args)}: expected one error line, got {err!r}")
    if code != 0:
        left = {p.name for p in work.iterdir()} - before
        if left:
            raise FuzzFailure(f"{label}: {' '.join(args)} failed ({code}) but wrote {sorted(left)}")
    return code


def check_solution(path: Path, label: str) -> None:
    """A solution of any method on a file that loads is feasible for that instance."""
    try:
        with warnings.catch_warnings():  # e.g. devices that reach no host: the CLI showed them
            warnings.simplefilter("ignore")
            inst = hflopt.load(path)
    except hflopt.InstanceError:
        return
    res = hflopt.solve(inst, "greedy", time_limit=2)
    if res.status.value == "error":
        raise FuzzFailure(f"{label}: greedy reported error: {res.message}")
    if res.solution is not None:
        cost = res.solution.verify(inst)
        if abs(cost - res.objective) > 1e-9 * max(1.0, abs(cost)):
            raise FuzzFailure(f"{label}: objective {res.objective} but the solution costs {cost}")


def check_mutant(fmt: str, seed: Path, data: bytes, tables: bool) -> None:
    """Write the mutant into a fresh folder and run every command on it."""
    work = Path(tempfile.mkdtemp(prefix="hflopt-fuzz-"))
    try:
        target = work / seed.name
        if tables:
            shutil.copytree(seed, target)
            table = sorted(target.iterdir())[len(data) % 4]
            table.write_bytes(data)
        else:
            target.write_bytes(data)
        before = {p.name for p in work.iterdir()}
        label = f"{fmt} mutant ({len(data)} bytes)"
        extra = ["--format", "holmberg"] if fmt == "sscflp" and len(data) % 3 == 0 else []
        check_command(["info", str(target), *extra], work, before, label)
        method = ("greedy", "exact", "auto")[len(data) % 3]
        check_command(["solve", str(target), "-m", method, "-t", "2", "-q", "-o", str(work / "r.json"),
                       *extra], work, before | {"r.json"}, label)
        check_command(["convert", str(target), str(work / "out.json"), *extra], work,
                      before | {"out.json"}, label)
        check_solution(target, label)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# -------------------------------------------------------------------- driver
def fuzz_format(fmt: str, path: Path, examples: int, seed: int) -> int:
    """``examples`` mutants of one seed file (reproducible by ``seed``); return how many ran."""
    tables = path.is_dir()
    originals = [p.read_bytes() for p in sorted(path.iterdir())] if tables else [path.read_bytes()]
    count = 0

    @hypothesis_seed(seed)
    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.integers(0, len(originals) - 1).flatmap(lambda k: mutation(originals[k])))
    def case(mutant: bytes) -> None:
        nonlocal count
        count += 1
        check_mutant(fmt, path, mutant, tables)

    case()
    return count


def fuzz_round(seeds: dict[str, Path], examples: int, seed: int) -> int:
    """``examples`` mutants of each seed file; return how many ran."""
    return sum(fuzz_format(fmt, path, examples, seed) for fmt, path in seeds.items())


def fuzz(examples: int, seed: int, seconds: float | None = None) -> int:
    """Rounds of ``examples`` mutants per format (seeds ``seed``, ``seed + 1``, ...): one
    round, or as many as start within ``seconds``. Returns how many mutants ran."""
    folder = Path(tempfile.mkdtemp(prefix="hflopt-fuzz-seeds-"))
    started = time.monotonic()
    count = 0
    try:
        seeds = seed_files(folder)
        for k in itertools.count():
            count += fuzz_round(seeds, examples, seed + k)
            if seconds is None or time.monotonic() - started > seconds:
                return count
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return count  # pragma: no cover - the loop returns


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=60,
                        help="mutants per format and round (default 60)")
    parser.add_argument("--seed", type=int, default=0, help="hypothesis seed (default 0)")
    parser.add_argument("--seconds", type=float,
                        help="run rounds (seeds seed, seed + 1, ...) until this long has passed")
    args = parser.parse_args(argv)
    started = time.monotonic()
    count = fuzz(args.examples, args.seed, args.seconds)
    print(json.dumps({"mutants": count, "seconds": round(time.monotonic() - started, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
