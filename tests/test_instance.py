"""Instance construction, validation and derived data."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import hflopt
from hflopt import Instance, InstanceError
from hflopt.instance import participants_from_ratio


def make(**kw):
    args = dict(capacity=[5, 5], edge_cost=[1, 2], workload=[1, 2, 3],
                link_device=[0, 1, 2, 2], link_host=[0, 1, 0, 1], link_cost=[1, 1, 2, 3])
    args.update(kw)
    pos = [args.pop(k) for k in ("capacity", "edge_cost", "workload", "link_device", "link_host", "link_cost")]
    return Instance(*pos, **args)


def test_basic_properties():
    inst = make(rounds_ratio=4, participation_ratio=0.7)
    assert (inst.n_hosts, inst.n_devices, inst.n_links) == (2, 3, 4)
    assert inst.min_participants == 2  # floor(0.7 * 3)
    assert inst.rounds_ratio == 4.0
    assert not inst.is_dense
    assert inst.has_default_ids
    assert inst.link_ptr.tolist() == [0, 1, 2, 4]
    assert inst.device_degree.tolist() == [1, 1, 2]
    assert inst.dense_costs().tolist() == [[1, np.inf], [np.inf, 1], [2, 3]]
    assert inst.link_index([2, 0, 0, 5], [1, 1, 0, 0]).tolist() == [3, -1, 0, -1]


def test_links_are_sorted_and_arrays_read_only():
    inst = make(link_device=[2, 0, 2, 1], link_host=[1, 0, 0, 1], link_cost=[3, 1, 2, 1])
    assert inst.link_device.tolist() == [0, 1, 2, 2]
    assert inst.link_host.tolist() == [0, 1, 0, 1]
    assert inst.link_cost.tolist() == [1, 1, 2, 3]
    with pytest.raises(ValueError):
        inst.capacity[0] = 7
    with pytest.raises(AttributeError):
        inst.name = "x"  # type: ignore[misc]


def test_participation_ratio_floor_is_robust():
    assert participants_from_ratio(0.29, 100) == 29
    assert participants_from_ratio(0.7, 10) == 7
    assert participants_from_ratio(0.75, 10) == 7
    assert participants_from_ratio(1.0, 0) == 0
    assert make().min_participants == 3  # default p = 1


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"capacity": [5, -1]}, "capacity[1]", "finite number >= 0"),
        ({"capacity": [5, np.nan]}, "capacity[1]", "finite number >= 0"),
        ({"edge_cost": [1, np.inf]}, "edge_cost[1]", "finite number >= 0"),
        ({"edge_cost": [1]}, "edge_cost", "one entry per host"),
        ({"workload": [1, -2, 3]}, "workload[1]", "finite number >= 0"),
        ({"link_cost": [1, 1, -2, 3]}, "link_cost[2]", "finite number >= 0"),
        ({"link_cost": [1, 1, 2]}, "links", "same length"),
        ({"link_host": [0, 1, 0, 7]}, "link_host[3]", "unknown host"),
        ({"link_device": [0, 1, 2, 9]}, "link_device[3]", "unknown device"),
        ({"link_device": [0, 0, 2, 2], "link_host": [0, 0, 0, 1]}, "links", "duplicate link"),
        ({"participation_ratio": 1.2}, "participation_ratio", "[0, 1]"),
        ({"participation_ratio": -0.1}, "participation_ratio", "[0, 1]"),
        ({"min_participants": 4}, "min_participants", "between 0 and"),
        ({"min_participants": -1}, "min_participants", "between 0 and"),
        ({"min_participants": 1.5}, "min_participants", "whole number"),
        ({"min_participants": 3, "participation_ratio": 0.5}, "min_participants", "contradicts"),
        ({"rounds_ratio": 0.5}, "rounds_ratio", ">= 1"),
        ({"rounds_ratio": np.inf}, "rounds_ratio", ">= 1"),
        ({"host_ids": ["a", "a"]}, "host_ids", "duplicate"),
        ({"device_ids": ["a", "b"]}, "device_ids", "3 entries"),
        ({"capacity": [[1, 2]], "edge_cost": [1]}, "capacity", "one-dimensional"),
        ({"capacity": [], "edge_cost": []}, "capacity", "at least one host"),
        ({"host_xy": [[0, 0]]}, "host_xy", "shape"),
        ({"device_xy": [[0, 0], [1, 1], [np.nan, 2]]}, "device_xy[2]", "finite"),
    ],
)
def test_validation_names_field_and_value(kwargs, field, fragment):
    with pytest.raises(InstanceError) as info:
        make(**kwargs)
    err = info.value
    assert err.field == field
    assert fragment in str(err)


def test_error_message_names_source_field_value():
    err = InstanceError("must be a finite number >= 0", field="capacities[3]", value=-5, source="a.json")
    assert str(err) == "a.json: capacities[3]: must be a finite number >= 0 (got -5)"


def test_from_dense_inf_means_no_link():
    inst = Instance.from_dense([3, 3], [1, 1], [1, 1], [[0, np.inf], [2, 1]])
    assert inst.n_links == 3
    assert inst.link_index([0], [1]).tolist() == [-1]
    with pytest.raises(InstanceError, match=r"device_costs\[1\]\[0\]"):
        Instance.from_dense([3, 3], [1, 1], [1, 1], [[0, 1], [np.nan, 1]])
    with pytest.raises(InstanceError, match="2 x 2 matrix"):
        Instance.from_dense([3, 3], [1, 1], [1, 1], [[0, 1, 2], [1, 1, 1]])


def test_replace_revalidates_and_equality_ignores_name():
    inst = make(name="a")
    other = inst.replace(name="b")
    assert other == inst
    assert inst.replace(workload=[1, 2, 4]) != inst
    with pytest.raises(InstanceError):
        inst.replace(capacity=[-1, 5])
    assert inst.replace(participation_ratio=0.5).min_participants == 1
    with pytest.raises(TypeError):
        inst.replace(colour="red")


def test_restrict_links():
    inst = make()
    sub = inst.restrict_links(inst.link_cost < 2)
    assert sub.n_links == 2
    assert sub.link_cost.tolist() == [1, 1]


def test_pickle_round_trip():
    inst = make(host_ids=["x", "y"], metadata={"seed": 3}, host_xy=[[0, 1], [2, 3]])
    back = pickle.loads(pickle.dumps(inst))
    assert back == inst
    assert back.metadata["seed"] == 3
    assert back.host_xy.tolist() == [[0, 1], [2, 3]]


def test_describe_and_integrality():
    inst = make()
    info = inst.describe()
    assert info["hosts"] == 2 and info["devices"] == 3 and info["links"] == 4
    assert info["total_capacity"] == 10 and info["total_workload"] == 6
    assert info["capacity_over_workload"] == pytest.approx(10 / 6)
    assert inst.is_integral
    assert not make(link_cost=[1, 1, 2, 3.5]).is_integral
    assert not make(rounds_ratio=1.5).is_integral


def test_random_generator_is_reproducible_and_follows_distributions():
    a = hflopt.random_instance(20, 300, participation=0.7, rounds=4, max_capacity=50, max_workload=20, seed=5)
    b = hflopt.random_instance(20, 300, participation=0.7, rounds=4, max_capacity=50, max_workload=20, seed=5)
    c = hflopt.random_instance(20, 300, participation=0.7, rounds=4, max_capacity=50, max_workload=20, seed=6)
    assert a == b and a != c
    assert a.is_dense and a.min_participants == 210 and a.rounds_ratio == 4
    assert a.capacity.min() >= 0 and a.capacity.max() <= 50
    assert a.workload.min() >= 0 and a.workload.max() <= 20
    assert set(np.unique(a.link_cost)) <= set(range(11))
    # all 11 cost values occur, roughly uniformly (6,000 draws)
    counts = np.bincount(a.link_cost.astype(int), minlength=11)
    assert counts.min() > 400 and counts.max() < 700
    assert a.metadata["seed"] == 5
    lan = hflopt.random_instance(4, 50, zero_cost_lan=True, seed=1)
    zeros = (lan.dense_costs() == 0).sum(axis=1)
    assert zeros.tolist() == [1] * 50
    assert set(np.unique(lan.link_cost)) == {0, 1}
    unseeded = hflopt.random_instance(3, 5)
    again = hflopt.random_instance(3, 5, seed=unseeded.metadata["seed"])
    assert again == unseeded


def test_generator_rejects_bad_parameters():
    with pytest.raises(InstanceError, match="hosts"):
        hflopt.random_instance(0, 5)
    with pytest.raises(InstanceError, match="participation_ratio"):
        hflopt.random_instance(2, 5, participation=2)
