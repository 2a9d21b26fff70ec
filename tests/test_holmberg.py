"""All 71 Holmberg SSCFLP files solved to their known optimum by the fast exact method.

The files and optima (``os``: line k is the optimum of p<k>) are read from the
shared data folder; the tests skip with a reason when it is absent. Most files
take about a second (p30, the file where HiGHS's default gap stops one short of
the optimum, about 15 s); the eight marked ``slow`` take 10-45 s each on a
shared 2-core machine (about 4 minutes together) and are left out of a plain
``pytest`` run (see ``addopts`` in pyproject.toml). Run them with
``pytest -m slow tests/test_holmberg.py``, everything with ``pytest -m "slow or not slow"``.
"""

from __future__ import annotations

import pytest
from conftest import HOLMBERG, holmberg_optima, need

import hflopt
from hflopt.solution import Status

# > 10 s each when measured (pytest --durations; benchmarks/exact.py has the timings)
SLOW = {"p31", "p32", "p56", "p57", "p58", "p59", "p62", "p66"}

FILES = [
    pytest.param(f"p{k}", marks=[pytest.mark.shared, *([pytest.mark.slow] if f"p{k}" in SLOW else [])])
    for k in range(1, 72)
]


@pytest.mark.parametrize("name", FILES)
def test_holmberg_optimum(name):
    path = need(HOLMBERG / name)
    optimum = holmberg_optima()[name]
    inst = hflopt.load_instance(path, format="sscflp")
    res = hflopt.solve(inst, "exact", time_limit=900)
    assert res.status == Status.OPTIMAL, res.summary()
    assert res.solution.verify(inst) == pytest.approx(optimum, abs=1e-6)
    assert res.objective == pytest.approx(optimum, abs=1e-6)
    assert res.bound == pytest.approx(optimum, abs=1e-6)


def test_holmberg_optima_file_is_complete():
    assert len(holmberg_optima()) == 71
