"""METR-LA: tolerant sensor reader, k-means sites, the paper's 20-sensor, 4-cluster study."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import METR_LA, need

import hflopt
from hflopt import InstanceError
from hflopt.cli import main
from hflopt.metrla import (
    PAPER_CAPACITIES,
    great_circle_km,
    kmeans,
    paper_clusters,
    paper_study,
    project_km,
    read_sensor_locations,
    read_sensor_subset,
    sensor_instance,
)

LOCATIONS = METR_LA / "graph_sensor_locations.csv"
CLUSTERS = METR_LA / "clusters.dat"


# ------------------------------------------------------------ reading (no data needed)
def test_reader_tolerates_misspelt_index_extra_columns_and_aliases(tmp_path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("\ufeffndex,sensor_id,latitude,longitude,name\n0,77,34.1,-118.2,a\n1,78,34.2,-118.3,b")
    frame = read_sensor_locations(path)
    assert list(frame.columns) == ["sensor_id", "latitude", "longitude", "name"]
    assert frame["sensor_id"].tolist() == ["77", "78"] and frame["longitude"].tolist() == [-118.2, -118.3]
    alias = tmp_path / "alias.csv"
    alias.write_text("ID, Lat, Lng\nx1, 1.5, 2.5\n")
    assert read_sensor_locations(alias).iloc[0].tolist() == ["x1", 1.5, 2.5]
    unnamed = tmp_path / "unnamed.csv"
    unnamed.write_text(",sensor_id,latitude,longitude\n0,5,1,2\n")
    assert list(read_sensor_locations(unnamed).columns) == ["sensor_id", "latitude", "longitude"]


@pytest.mark.parametrize("text, message", [
    ("sensor_id,latitude\n1,2\n", "longitude: column 'longitude' is missing"),
    ("sensor_id,latitude,longitude\n1,95,2\n", "latitude: must be a number in \\[-90, 90\\] \\(data row 1\\)"),
    ("sensor_id,latitude,longitude\n1,2,x\n", "longitude: must be a number in"),
    ("sensor_id,latitude,longitude\n1,2,3\n1,2,3\n", "sensor_id: repeats \\(data row 2\\) \\(got '1'\\)"),
    ("", "is empty"),
])
def test_reader_errors_name_file_column_and_value(tmp_path, text: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(InstanceError, match=message) as info:
        read_sensor_locations(path)
    assert str(info.value).startswith(str(path))


def test_subset_reader_formats(tmp_path) -> None:
    full = tmp_path / "c.dat"
    full.write_text("11  3  34.0 -118.0  POINT (1.0 2.0)  1\n12  4  34.1 -118.1  POINT (3 4)  0\n")
    frame = read_sensor_subset(full)
    assert frame["sensor_id"].tolist() == ["11", "12"] and frame["cluster"].tolist() == [1, 0]
    assert frame["index"].tolist() == [3, 4] and frame["latitude"].tolist() == [34.0, 34.1]
    ids = tmp_path / "ids.txt"
    ids.write_text("# my sensors\n11\n12\n")
    assert read_sensor_subset(ids).columns.tolist() == ["sensor_id"]
    bad = tmp_path / "bad.dat"
    bad.write_text("11 3 34.0\n")
    with pytest.raises(InstanceError, match="line 1: expected"):
        read_sensor_subset(bad)


def test_great_circle_and_projection_agree_over_a_city() -> None:
    pts = np.array([[-118.5, 34.0], [-118.2, 34.2]])
    xy = project_km(pts)
    assert np.linalg.norm(xy[0] - xy[1]) == pytest.approx(float(great_circle_km(pts[0], pts[1])), rel=2e-3)
    assert great_circle_km(pts[0], pts[0]) == 0.0


def test_kmeans_is_seeded_and_recovers_separated_groups() -> None:
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    truth = np.repeat([0, 1, 2], 50)
    pts = centres[truth] + rng.normal(0, 0.5, (150, 2))
    found, labels = kmeans(pts, 3, seed=1)
    assert len({(a, b) for a, b in zip(truth, labels, strict=True)}) == 3  # same partition
    assert np.allclose(np.sort(found, axis=0), np.sort(centres, axis=0), atol=0.3)
    again = kmeans(pts, 3, seed=1)
    assert np.array_equal(again[1], labels)
    assert np.array_equal(kmeans(pts, 3, seed=2)[1], labels)  # numbering does not depend on the start
    with pytest.raises(InstanceError, match="at most the number of distinct points"):
        kmeans(np.zeros((5, 2)), 2)


def test_sensor_instance_from_a_small_table(tmp_path) -> None:
    path = tmp_path / "s.csv"
    rows = ["index,sensor_id,latitude,longitude,rate"]
    rng = np.random.default_rng(4)
    for k in range(40):
        lon = -118.5 + (0.3 if k % 2 else 0.0) + rng.normal(0, 0.01)
        rows.append(f"{k},s{k},{34.0 + rng.normal(0, 0.01):.5f},{lon:.5f},{k % 5 + 1}")
    path.write_text("\n".join(rows))
    inst = sensor_instance(path, 2, workload="rate", link_costs="distance", cost_per_km=2.0, seed=3)
    assert inst.n_hosts == 2 and inst.n_devices == 40 and inst.is_dense
    labels = np.array(inst.metadata["site_of_sensor"])
    assert set(labels[0::2]) == {0} and set(labels[1::2]) == {1}  # west site 0, east site 1
    assert inst.workload.tolist() == [k % 5 + 1 for k in range(40)]
    assert inst.total_capacity == pytest.approx(1.5 * inst.total_workload)
    d = great_circle_km(inst.device_xy[inst.link_device], inst.host_xy[inst.link_host])
    assert np.allclose(inst.link_cost, 2.0 * d)
    assert np.allclose(inst.host_xy[0], inst.device_xy[labels == 0].mean(axis=0))
    lan = sensor_instance(path, 2, link_costs="lan", capacities=[30, 40], workload=2.0)
    own = lan.link_host == labels[lan.link_device]
    assert np.all(lan.link_cost[own] == 0) and np.all(lan.link_cost[~own] == 1)
    assert lan.capacity.tolist() == [30, 40] and np.all(lan.workload == 2)
    sparse = sensor_instance(path, 2, k=1, sensors=["s1", "s2", "s3"])
    assert sparse.device_ids == ("s1", "s2", "s3") and np.all(sparse.device_degree == 1)
    with pytest.raises(InstanceError, match="sensor is not in the locations file"):
        sensor_instance(path, 2, sensors=["nope"])
    with pytest.raises(InstanceError, match="capacities"):
        sensor_instance(path, 2, capacities=[1, 2, 3])


# ------------------------------------------------------------- the shared copy
@pytest.mark.shared
def test_shared_locations_file_reads() -> None:
    frame = read_sensor_locations(need(LOCATIONS))
    assert len(frame) == 207 and frame["sensor_id"].is_unique
    assert frame.iloc[0].tolist() == ["773869", 34.15497, -118.31829]
    assert frame["latitude"].between(33.9, 34.4).all() and frame["longitude"].between(-118.6, -118.1).all()


@pytest.mark.shared
def test_paper_clusters_are_reproduced_from_clusters_dat() -> None:
    subset = read_sensor_subset(need(CLUSTERS))
    assert len(subset) == 20 and sorted(np.bincount(subset["cluster"])) == [5, 5, 5, 5]
    labels = paper_clusters(need(LOCATIONS), subset["sensor_id"].tolist(), k=4, seed=0)
    pairs = set(zip(subset["cluster"].tolist(), labels.tolist(), strict=True))
    assert len(pairs) == 4  # the same partition, up to numbering
    # k-means on all 207 sensors gives four groups of sensible size
    everyone = paper_clusters(LOCATIONS, k=4)
    assert np.bincount(everyone).min() >= 20
    # the subset file's 'index' column is the row of each sensor in the locations file
    frame = read_sensor_locations(LOCATIONS)
    assert frame["sensor_id"].iloc[subset["index"]].tolist() == subset["sensor_id"].tolist()


@pytest.mark.shared
def test_paper_study_rebuild() -> None:
    inst = paper_study(need(CLUSTERS), locations=need(LOCATIONS))
    subset = read_sensor_subset(CLUSTERS)
    assert inst.n_hosts == 4 and inst.n_devices == 20
    assert inst.capacity.tolist() == list(PAPER_CAPACITIES) == [40, 120, 40, 120]
    assert inst.metadata["clusters_reproduced"] is True
    assert inst.device_ids == tuple(subset["sensor_id"])
    assert inst.min_participants == 20 and inst.rounds_ratio == 4 and np.all(inst.edge_cost == 1)
    assert inst.is_dense
    own = inst.link_host == subset["cluster"].to_numpy()[inst.link_device]
    assert np.all(inst.link_cost[own] == 0) and np.all(inst.link_cost[~own] == 1)
    assert inst.metadata["max_workload"] == 27  # floor(1.7 * 320 / 20)
    assert np.all((inst.workload >= 0) & (inst.workload <= 27) & (inst.workload == np.round(inst.workload)))
    for c in range(4):
        members = subset["cluster"].to_numpy() == c
        assert np.allclose(inst.host_xy[c], subset[["longitude", "latitude"]].to_numpy()[members].mean(axis=0))
    assert inst.metadata["coordinates"] == "lonlat"
    assert paper_study(CLUSTERS, seed=0) == inst  # the file's own coordinates give the same instance
    assert paper_study(CLUSTERS, seed=1) != inst
    res = hflopt.solve(inst)
    objective = res.solution.verify(inst)
    assert res.status.value == "optimal" and objective == pytest.approx(res.objective)
    # every host must be opened (p = 1), so the objective is at least sum(C_e) = 4
    assert objective >= 4


@pytest.mark.shared
def test_paper_study_with_distance_costs() -> None:
    inst = paper_study(need(CLUSTERS), link_costs="distance", cost_per_km=1.0)
    d = great_circle_km(inst.device_xy[inst.link_device], inst.host_xy[inst.link_host])
    assert np.allclose(inst.link_cost, d)
    with pytest.raises(InstanceError, match="4 clusters but 3 capacities"):
        paper_study(CLUSTERS, capacities=[1, 2, 3])


@pytest.mark.shared
def test_cli_metr_la_commands(tmp_path, capsys) -> None:
    out = tmp_path / "study.json"
    assert main(["generate", "metr-la-study", str(need(CLUSTERS)), "--locations", str(LOCATIONS),
                 "-o", str(out)]) == 0
    assert hflopt.load_instance(out) == paper_study(CLUSTERS, locations=LOCATIONS)
    out2 = tmp_path / "ml.json"
    args = ["generate", "metr-la", str(LOCATIONS), "--sites", "6", "-k", "2", "--decimals", "2", "-s", "4"]
    assert main([*args, "-o", str(out2)]) == 0
    assert main([*args, "-o", str(tmp_path / "ml2.json")]) == 0
    assert out2.read_bytes() == (tmp_path / "ml2.json").read_bytes()
    inst = hflopt.load_instance(out2)
    assert inst.n_hosts == 6 and inst.n_devices == 207 and np.all(inst.device_degree == 2)
    capsys.readouterr()
    assert main(["generate", "metr-la", str(LOCATIONS), "--sites", "300", "-o", str(tmp_path / "x.json")]) == 2
    assert "--sites" in capsys.readouterr().err
