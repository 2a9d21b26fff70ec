"""The paper's tables, regenerated in reduced form (the full runs are commands: docs/evaluate.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import METR_LA, need

from hflopt.cli import main
from hflopt.reproduce import (
    FLAT,
    HFLOP,
    UNAWARE,
    CostStudyParams,
    LatencyStudyParams,
    cost_instance,
    cost_study,
    cost_table,
    latency_study,
    student_t_interval,
)


def test_student_t_interval_by_hand() -> None:
    mean, low, high = student_t_interval([1.0, 2.0, 3.0])
    assert mean == 2 and high - mean == mean - low == pytest.approx(4.302652729911275 / math.sqrt(3))
    assert math.isnan(student_t_interval([5.0])[1])


def test_cost_instance_is_the_authors_experiment() -> None:
    inst = cost_instance(CostStudyParams(devices=64, densities=(8,)), 8, seed=2)
    assert (inst.n_hosts, inst.n_devices, inst.rounds_ratio, inst.min_participants) == (8, 64, 2, 64)
    costs = inst.dense_costs()
    assert np.all((costs == 0).sum(axis=1) == 1) and np.all((costs == 1).sum(axis=1) == 7)
    assert inst.workload.max() <= 40 and inst.capacity.max() <= 2 * 64 * 40 // 8
    assert np.all(inst.edge_cost == 1)


def test_reduced_cost_study_table() -> None:
    params = CostStudyParams(devices=60, densities=(2, 6), seeds=2, time_limit=5, workers=1)
    samples = cost_study(params)
    assert len(samples) == 2 * 2 * 2 and set(samples["setup"]) == {UNAWARE, HFLOP}
    table = cost_table(samples)
    assert list(table["density"].unique()) == ["1:2", "1:6"]
    for _density, part in table.groupby("density"):
        row = part.set_index("setup")
        done = row.loc[UNAWARE, "samples"]
        assert done + row.loc[UNAWARE, "skipped"] == 2
        if done:  # capacity-aware never saves more than capacity-unaware
            assert row.loc[HFLOP, "mean"] <= row.loc[UNAWARE, "mean"] + 1e-9
    assert table.loc[(table["density"] == "1:2") & (table["setup"] == HFLOP), "published"].item() == 59.5


def test_reproduce_costs_command(tmp_path, capsys) -> None:
    plot = tmp_path / "costs.png"
    code = main(["reproduce", "costs", "--devices", "40", "--densities", "4", "--seeds", "2", "--workers", "1",
                 "--time-limit", "5", "--plot", str(plot), "-o", str(tmp_path / "s.csv")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "1:4      capacity-unaware HFL" in out and "87.70" in out and "74.40 [73.6, 75.2]" in out
    assert plot.stat().st_size > 1000 and (tmp_path / "s.csv").read_text().startswith("density,")


def test_reproduce_latency_without_data_exits_2(tmp_path, capsys) -> None:
    code = main(["reproduce", "latency", "--data", str(tmp_path)])
    _, err = capsys.readouterr()
    assert code == 2 and "METR-LA data not found" in err and err.count("\n") == 1


def test_latency_study_ordering_and_tail_come_from_the_model(tmp_path, capsys) -> None:
    data = need(METR_LA)
    table, _samples, placements = latency_study(data, LatencyStudyParams(requests=600, factors=(1.0,)))
    per_host = placements[HFLOP]["devices_per_host"]  # one client leaves each small host (4, 6, 4, 6 published)
    assert per_host[0] == per_host[2] == 4 and per_host[1] + per_host[3] == 12
    assert placements[UNAWARE]["devices_per_host"] == [5, 5, 5, 5]
    row = table.set_index("setup")
    assert math.isinf(row.loc[UNAWARE, "analytical_mean"]) and "cluster0" in row.loc[UNAWARE, "overloaded"]
    assert row.loc[HFLOP, "overloaded"] == "" and row.loc[FLAT, "overloaded"] == ""
    assert row.loc[FLAT, "sim_mean"] > row.loc[UNAWARE, "sim_mean"] > row.loc[HFLOP, "sim_mean"]
    assert row.loc[UNAWARE, "sim_p95"] > 2 * row.loc[UNAWARE, "sim_median"]  # the heavy tail
    assert row.loc[HFLOP, "sim_p95"] < 2 * row.loc[HFLOP, "sim_median"]
    plot = tmp_path / "lat.png"
    code = main(["reproduce", "latency", "--data", str(data), "--requests", "300", "--plot", str(plot)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "79.1 / 74.0 / 104.2" in out and "10x" in out and plot.stat().st_size > 1000
