"""Solution bookkeeping and the independent verifier."""

from __future__ import annotations

import math

import numpy as np
import pytest

import hflopt
from hflopt import Result, Solution, SolutionError, Status


def test_cost_loads_and_open_hosts(tiny):
    # devices 0,1 -> host 1? no: 0 -> host 0, 1 -> host 1, 2 -> host 2, 3 -> host 1, 4 unassigned, 5 -> 2
    sol = Solution([0, 1, 2, 1, -1, 2])
    assert sol.open_hosts().tolist() == [0, 1, 2]
    assert sol.loads(tiny).tolist() == [3, 5, 3]
    # cloud 5 + 3 + 1 = 9; links 0 + 0 + 0 + 1 + 0 = 1, times l = 2
    assert sol.cost_breakdown(tiny) == {"edge": 9.0, "device": 2.0, "total": 11.0}
    assert sol.verify(tiny) == 11.0
    assert sol.n_participants == 5


@pytest.mark.parametrize(
    ("host_of", "fragment"),
    [
        ([0, 1, 2, 1, -1], "5 entries for 6 devices"),
        ([0, 1, 2, 1, -1, 3], "host index 3"),
        ([0, 1, 2, 1, -1, -2], "host index -2"),
        ([0, 0, 0, 0, 0, -1], "exceeds capacity 10"),
        ([0, 1, 2, -1, -1, -1], "3 devices participate, at least 5"),
    ],
)
def test_violations_are_reported(tiny, host_of, fragment):
    sol = Solution(host_of)
    assert not sol.is_feasible(tiny)
    with pytest.raises(SolutionError, match=fragment.replace("(", r"\(")):
        sol.verify(tiny)


def test_missing_link_is_a_violation():
    inst = hflopt.Instance.from_dense([5, 5], [0, 0], [1, 1], [[0, np.inf], [1, 1]])
    bad = Solution([1, 0])
    assert any("without a link" in v for v in bad.violations(inst))
    with pytest.raises(SolutionError):
        bad.cost(inst)
    assert Solution([0, 0]).verify(inst) == 1.0


def test_capacity_check_can_be_skipped_for_the_unaware_variant(tiny):
    sol = Solution([0, 0, 0, 0, 0, -1])
    assert sol.violations(tiny, capacity=False) == []
    assert sol.verify(tiny, capacity=False) == pytest.approx(5 + 2 * (0 + 1 + 2 + 3 + 0))


def test_edge_hosts_use_positions_or_names(tiny):
    sol = Solution([0, 1, 2, 1, -1, 2])
    hosts = sol.edge_hosts(tiny)
    assert hosts[1] == {"id": 1, "associated_devices": [1, 3], "used_capacity": 5,
                        "available_capacity": 6}
    named = tiny.replace(host_ids=["a", "b", "c"], device_ids=list("uvwxyz"))
    assert sol.edge_hosts(named)[1]["id"] == "b"
    assert sol.edge_hosts(named)[1]["associated_devices"] == ["v", "x"]


def test_from_mapping_and_frame(tiny):
    named = tiny.replace(host_ids=["a", "b", "c"], device_ids=list("uvwxyz"))
    sol = Solution.from_mapping(named, {"u": "a", "v": "b", "w": "c", "x": "b", "z": "c"})
    assert sol.host_of.tolist() == [0, 1, 2, 1, -1, 2]
    frame = sol.to_frame(named)
    assert frame["host"].isna().tolist() == [False] * 4 + [True, False]
    assert frame["host"].dropna().tolist() == ["a", "b", "c", "b", "c"]
    assert math.isnan(frame["link_cost"][4])
    with pytest.raises(KeyError):
        Solution.from_mapping(named, {"q": "a"})


def test_result_gap_and_dict(tiny):
    sol = Solution([0, 1, 2, 1, -1, 2])
    res = Result(Status.FEASIBLE, sol, 11.0, 8.0, "test", instance=tiny)
    assert res.gap == pytest.approx(3 / 11)
    d = res.to_dict()
    assert d["status"] == "feasible" and d["objective"] == 11 and d["bound"] == 8
    assert d["participants"] == 5 and len(d["edge_hosts"]) == 3
    assert set(d["edge_hosts"][0]) == {"id", "associated_devices", "used_capacity", "available_capacity"}
    assert "feasible" in res.summary()
    tiny_opt = Result(Status.OPTIMAL, sol, 0.0, 0.0, "x", instance=tiny)
    assert tiny_opt.gap == 0.0
    none = Result(Status.NO_SOLUTION, None, None, None, "x", instance=tiny)
    assert none.gap is None and none.to_dict()["edge_hosts"] == []
