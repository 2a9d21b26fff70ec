"""A long fuzz run of every input format (the CI runs a short one: tests/test_fuzz.py).

    python benchmarks/fuzz.py --minutes 5 --seed 3

Runs ``tests/fuzz_inputs.py`` in a child process under a 4 GiB address-space cap, for
the given time, with as many mutants per format as fit; prints the count, or the first
mutant that broke a promise (exit status, one-line errors, nothing written on failure,
verified solutions, bounded memory and time) with hypothesis's minimal example.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
from pathlib import Path

DRIVER = Path(__file__).resolve().parents[1] / "tests" / "fuzz_inputs.py"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--memory", type=float, default=4.0, help="address-space cap in GiB (default 4)")
    args = parser.parse_args()
    cap = int(args.memory * (1 << 30))

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    seconds = args.minutes * 60
    # rounds of 50 mutants per format, new seeds each round, until the time is up
    cmd = [sys.executable, str(DRIVER), "--examples", "50", "--seed", str(args.seed),
           "--seconds", str(seconds)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 600, preexec_fn=limit)
    print(proc.stdout.strip())
    if proc.returncode != 0:
        print(proc.stderr[-6000:], file=sys.stderr)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
