"""The fuzz run of every input format stays clean, within bounded memory and time.

``tests/fuzz_inputs.py`` mutates valid files of every format and checks exit
codes, one-line errors, no traceback, nothing written on failure and verified
solutions (see its docstring). Here it runs briefly in a child process whose
address space is capped at 4 GiB and whose run time is capped too: a mutant
that makes hflopt allocate without a bound or hang fails this test.
``benchmarks/fuzz.py`` runs the same for minutes.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

DRIVER = Path(__file__).with_name("fuzz_inputs.py")
MEMORY_CAP = 4 << 30


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def test_mutated_inputs_of_every_format():
    proc = subprocess.run([sys.executable, str(DRIVER), "--examples", "12", "--seed", "20"],
                          capture_output=True, text=True, timeout=300, preexec_fn=_limit_memory)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["mutants"] == 12 * 8  # every format (native, authors, sscflp, csv, gzip, 3 graphs)
