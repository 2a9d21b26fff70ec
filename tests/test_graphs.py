"""Graph topologies: shortest-path costs, roles and attributes, unreachable devices, graph files."""

from __future__ import annotations

import warnings

import networkx as nx
import numpy as np
import pytest
from conftest import brute_force

import hflopt
from hflopt import Instance, InstanceError
from hflopt.cli import main
from hflopt.io import detect_format
from hflopt.io.graphs import (
    UnreachableDevicesWarning,
    instance_from_graph,
    nearest_hosts,
    read_graph,
    write_graph,
)

INF = np.inf


@pytest.fixture
def city() -> nx.Graph:
    """Two hosts, a router, four devices (one unreachable), known shortest paths.

        d1 -1.5- h1 -1- r -2- h2         d3 (isolated, its own component with x)
                        |                 |
                       0.5               1
                        |                 |
                        d2 -4- h2         x
    """
    G = nx.Graph(name="city", participation_ratio=0.5, rounds_ratio=3)
    G.add_node("h1", role="host", capacity=10, cloud_cost=3, x=0.0, y=0.0)
    G.add_node("h2", role="host", capacity=5, x=4.0, y=0.0)
    G.add_node("r", x=2.0, y=0.0)
    G.add_node("d1", role="device", workload=2, x=-1.0, y=0.5)
    G.add_node("d2", role="device", workload=3, x=2.0, y=-1.0)
    G.add_node("d3", role="device", workload=1, x=9.0, y=9.0)
    G.add_node("x", x=9.0, y=8.0)
    G.add_edge("h1", "r", weight=1)
    G.add_edge("r", "h2", weight=2)
    G.add_edge("d1", "h1", weight=1.5)
    G.add_edge("d2", "r", weight=0.5)
    G.add_edge("d2", "h2", weight=4)
    G.add_edge("d3", "x", weight=1)
    return G


EXPECTED = np.array([
    [1.5, 4.5],  # d1: direct to h1; via h1-r-h2
    [1.5, 2.5],  # d2: d2-r-h1 = 1.5; d2-r-h2 = 2.5 < direct 4
    [INF, INF],  # d3: no path
])


def _build(G: nx.Graph, **kw) -> Instance:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnreachableDevicesWarning)
        return instance_from_graph(G, **kw)


def test_known_shortest_paths_roles_and_attributes(city: nx.Graph) -> None:
    with pytest.warns(UnreachableDevicesWarning, match="1 of 3 devices reach no host: d3"):
        inst = Instance.from_graph(city)
    assert inst.host_ids == ("h1", "h2") and inst.device_ids == ("d1", "d2", "d3")
    assert np.array_equal(inst.dense_costs(), EXPECTED)
    assert inst.n_links == 4  # unreachable pairs have no link
    assert inst.capacity.tolist() == [10, 5] and inst.workload.tolist() == [2, 3, 1]
    assert inst.edge_cost.tolist() == [3, 0]  # host attribute, 0 where absent
    assert inst.min_participants == 1 and inst.rounds_ratio == 3 and inst.name == "city"
    assert inst.metadata["unreachable_devices"] == ["d3"] and inst.metadata["unreachable_count"] == 1
    assert inst.describe()["isolated_devices"] == 1
    assert np.array_equal(inst.host_xy, [[0, 0], [4, 0]])
    assert np.array_equal(inst.device_xy, [[-1, 0.5], [2, -1], [9, 9]])


def test_unreachable_policy(city: nx.Graph) -> None:
    with pytest.raises(InstanceError, match="devices: 1 of 3 devices reach no host: d3"):
        instance_from_graph(city, on_unreachable="error")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        inst = instance_from_graph(city, on_unreachable="ignore")
    assert inst.metadata["unreachable_devices"] == ["d3"]


def test_explicit_nodes_and_values(city: nx.Graph) -> None:
    inst = _build(city, hosts=["h2", "r"], devices=["d1", "d2"], capacity={"h2": 7, "r": 9}, workload=4,
                  cloud=[1, 2], participation_ratio=1.0, rounds_ratio=1)
    assert inst.host_ids == ("h2", "r")
    assert np.array_equal(inst.dense_costs(), [[4.5, 2.5], [2.5, 0.5]])
    assert inst.capacity.tolist() == [7, 9] and inst.workload.tolist() == [4, 4]
    assert inst.edge_cost.tolist() == [1, 2] and inst.min_participants == 2 and inst.rounds_ratio == 1
    assert inst.host_xy is not None


def test_role_both_and_attribute_fallback() -> None:
    G = nx.path_graph(["a", "b", "c"])
    nx.set_edge_attributes(G, 2.0, "weight")
    G.nodes["a"].update(role="host,device", capacity=5, workload=1)
    G.nodes["c"]["workload"] = 2  # no role: a workload makes it a device
    G.nodes["b"]["capacity"] = 3  # no role: a capacity makes it a host
    inst = instance_from_graph(G)
    assert inst.host_ids == ("a", "b") and inst.device_ids == ("a", "c")
    assert np.array_equal(inst.dense_costs(), [[0, 2], [4, 2]])
    assert inst.host_xy is None


def test_cloud_node_number_and_mapping(city: nx.Graph) -> None:
    by_node = _build(city, cloud="r")
    assert by_node.edge_cost.tolist() == [1, 2]
    assert _build(city, cloud=7.5).edge_cost.tolist() == [7.5, 7.5]
    assert _build(city, cloud={"h1": 1, "h2": 4}).edge_cost.tolist() == [1, 4]
    city.graph["cloud"] = "r"
    assert _build(city).edge_cost.tolist() == [1, 2]
    city.graph["cloud"] = 6.5  # a number in the graph attribute: one cost for every host
    assert _build(city).edge_cost.tolist() == [6.5, 6.5]
    city.graph["cloud"] = "r"
    numeric = nx.convert_node_labels_to_integers(city, label_attribute="old")
    labels = {d["old"]: v for v, d in numeric.nodes(data=True)}
    numeric.graph.pop("cloud")
    assert _build(numeric, cloud_node=labels["r"]).edge_cost.tolist() == [1, 2]
    with pytest.raises(InstanceError, match="cloud: is not a node"):
        _build(city, cloud="nowhere")
    with pytest.raises(InstanceError, match="host has no path to the cloud node"):
        _build(city, cloud="x")


def test_directed_costs_run_from_device_to_host() -> None:
    G = nx.DiGraph()
    G.add_node("h", role="host", capacity=5)
    G.add_node("d", role="device", workload=1)
    G.add_node("e", role="device", workload=1)
    G.add_edge("d", "h", weight=1)
    G.add_edge("h", "d", weight=10)
    G.add_edge("h", "e", weight=1)  # e can be reached from h but cannot reach h
    inst = _build(G)
    assert inst.dense_costs().tolist() == [[1.0], [INF]]
    assert _build(G, k=1).dense_costs().tolist() == [[1.0], [INF]]
    cloud = _build(G, cloud_node="d")
    assert cloud.edge_cost.tolist() == [10.0]  # path h -> d


def test_weight_options_and_multigraph() -> None:
    G = nx.MultiGraph()
    G.add_node("h", role="host", capacity=5)
    G.add_node("d", role="device", workload=1)
    G.add_node("m")
    G.add_edge("h", "d", weight=9, delay=1)
    G.add_edge("h", "d", weight=4, delay=7)
    G.add_edge("h", "m", weight=1, delay=1)
    G.add_edge("m", "d", weight=1, delay=1)
    assert _build(G).link_cost.tolist() == [2.0]
    assert _build(G, weight=None).link_cost.tolist() == [1.0]  # hop count
    assert _build(G, weight="delay").link_cost.tolist() == [1.0]
    assert _build(G, weight="delay", k=1).link_cost.tolist() == [1.0]

    def only_direct(u, v, data):
        return None if "m" in (u, v) else min(d["weight"] for d in data.values())

    assert _build(G, weight=only_direct).link_cost.tolist() == [4.0]
    assert _build(G, weight=only_direct, k=1).link_cost.tolist() == [4.0]


def test_bad_graph_input() -> None:
    G = nx.Graph()
    G.add_node("h", role="host", capacity=5)
    G.add_node("d", role="device", workload=1)
    G.add_edge("h", "d", weight=-1)
    with pytest.raises(InstanceError, match=r"weight of edge.*non-negative"):
        instance_from_graph(G)
    G["h"]["d"]["weight"] = "far"
    with pytest.raises(InstanceError, match="must be a number"):
        instance_from_graph(G)
    G["h"]["d"]["weight"] = 1
    del G.nodes["h"]["capacity"]
    with pytest.raises(InstanceError, match="capacity of node 'h': node has no 'capacity' attribute"):
        instance_from_graph(G)
    with pytest.raises(InstanceError, match="no host nodes"):
        instance_from_graph(nx.path_graph(3))
    with pytest.raises(InstanceError, match="hosts: is not a node"):
        instance_from_graph(G, hosts=["zz"], capacity=1)
    with pytest.raises(InstanceError, match="must be a networkx graph"):
        instance_from_graph({"h": "d"})


def _random_graph(seed: int, n: int = 120, m: int = 300, directed: bool = False) -> nx.Graph:
    rng = np.random.default_rng(seed)
    G = nx.gnm_random_graph(n, m, seed=seed, directed=directed)
    for u, v in G.edges:
        G[u][v]["weight"] = float(rng.uniform(0.5, 5.0))
    return G


@pytest.mark.parametrize("directed", [False, True])
def test_k_nearest_matches_all_pairs(directed: bool) -> None:
    G = _random_graph(3, directed=directed)
    hosts = list(range(0, 120, 10))
    devices = [v for v in G.nodes if v not in hosts]
    full = _build(G, hosts=hosts, devices=devices, capacity=10, workload=1)
    for k in (1, 3, len(hosts)):
        near = _build(G, hosts=hosts, devices=devices, capacity=10, workload=1, k=k)
        d = full.dense_costs()
        for i in range(full.n_devices):
            got = near.link_cost[near.link_ptr[i]:near.link_ptr[i + 1]]
            want = np.sort(d[i][np.isfinite(d[i])])[:k]
            assert np.allclose(np.sort(got), want)
            hosts_got = near.link_host[near.link_ptr[i]:near.link_ptr[i + 1]]
            assert np.allclose(got, d[i, hosts_got])
    assert _build(G, hosts=hosts, devices=devices, capacity=10, workload=1, k=len(hosts)) == full


def test_k1_agrees_with_networkx_multi_source_dijkstra() -> None:
    G = _random_graph(5)
    hosts = [0, 17, 33, 50, 77]
    nearest = nearest_hosts(G, hosts, 1)
    reference = nx.multi_source_dijkstra_path_length(G, set(hosts))
    assert set(nearest) == set(reference)
    for v, dist in reference.items():
        assert nearest[v][0][1] == pytest.approx(dist)


def test_all_pairs_agree_with_networkx_per_pair() -> None:
    G = _random_graph(7, n=40, m=70)
    hosts, devices = [0, 1, 2], list(range(3, 40))
    inst = _build(G, hosts=hosts, devices=devices, capacity=10, workload=1)
    many_hosts = _build(G, hosts=list(range(3, 40)), devices=[0, 1, 2], capacity=10, workload=1)
    for i, v in enumerate(devices):
        for j, h in enumerate(hosts):
            try:
                want = nx.dijkstra_path_length(G, v, h)
            except nx.NetworkXNoPath:
                want = INF
            assert inst.dense_costs()[i, j] == pytest.approx(want)
            assert many_hosts.dense_costs()[j, i] == pytest.approx(want)


def test_cutoff_drops_long_paths(city: nx.Graph) -> None:
    inst = _build(city, cutoff=2.0)
    assert np.array_equal(inst.dense_costs(), [[1.5, INF], [1.5, INF], [INF, INF]])
    assert _build(city, cutoff=2.0, k=2) == inst
    assert inst.metadata["unreachable_devices"] == ["d3"]


# ------------------------------------------------------------------- files
@pytest.mark.parametrize("suffix, fmt", [(".graphml", "graphml"), (".gml", "gml"), (".edgelist", "edgelist")])
def test_graph_files_round_trip_through_load_instance(city: nx.Graph, tmp_path, suffix: str, fmt: str) -> None:
    city.remove_node("d3")
    city.remove_node("x")
    city.graph["cloud"] = "r"
    path = tmp_path / f"city{suffix}"
    if fmt == "graphml":
        nx.write_graphml(city, path)
    elif fmt == "gml":
        nx.write_gml(city, path)
    else:
        assert write_graph(city, path) == "edgelist"
    assert detect_format(path) == fmt
    inst = hflopt.load_instance(path)
    ref = instance_from_graph(city)
    assert inst == ref and inst.name == "city"
    assert np.array_equal(inst.edge_cost, [1, 2]) and inst.rounds_ratio == 3 and inst.min_participants == 1
    assert np.array_equal(inst.host_xy, ref.host_xy) and np.array_equal(inst.device_xy, ref.device_xy)
    again = read_graph(path)
    assert sorted(again.nodes) == sorted(map(str, city.nodes)) and again.number_of_edges() == 5


def test_write_graph_round_trips_every_format(city: nx.Graph, tmp_path) -> None:
    want = {frozenset((u, v)): w for u, v, w in city.edges(data="weight")}
    for suffix in (".graphml", ".gml", ".edges", ".graphml.gz", ".gml.xz", ".edges.bz2"):
        path = tmp_path / f"g{suffix}"
        write_graph(city, path)
        magic = {".gz": b"\x1f\x8b", ".xz": b"\xfd7zXZ", ".bz2": b"BZh"}.get(path.suffix, b"")
        assert path.read_bytes().startswith(magic)  # compressed when the name says so
        G = read_graph(path)
        assert {frozenset((u, v)): w for u, v, w in G.edges(data="weight")} == want
        assert sorted(G.nodes) == sorted(city.nodes)
        assert G.nodes["h1"]["capacity"] == 10 and G.nodes["d1"]["role"] == "device"
        assert G.nodes["d2"]["x"] == 2.0 and G.graph["rounds_ratio"] == 3
        assert not list(tmp_path.glob(".*tmp"))  # atomic writes leave nothing behind


def test_plain_edge_list_with_weights_and_comments(tmp_path) -> None:
    path = tmp_path / "net.edges"
    path.write_text(
        "# graph rounds_ratio=2 directed=false\n"
        "# node a role=host capacity=9\n"
        "# node b role=device workload=2.5\n"
        "# node lonely role=device workload=1\n"
        "a m 1.5\n"
        "m b {'weight': 2, 'kind': 'fibre'}\n"
        "\n"
    )
    with pytest.warns(UnreachableDevicesWarning, match=r"net\.edges: 1 of 2 devices reach no host: lonely"):
        inst = hflopt.load_instance(path)
    assert inst.dense_costs().tolist() == [[3.5], [INF]] and inst.rounds_ratio == 2
    assert inst.workload.tolist() == [2.5, 1.0]


@pytest.mark.parametrize("name, text, message", [
    ("bad.graphml", "<graphml><graph><node", "cannot be read as graphml"),
    ("bad.gml", "graph [ node [ id 1 ", "cannot be read as gml"),
    ("bad.edges", "a b c d\n", "line 1: edge weight must be a number"),
    ("bad2.edges", "# node a capacity\n", "line 1: expected key=value"),
    ("bad3.edges", "a b {'weight': \n", "line 1: edge data is not a dict literal"),
    ("noroles.edges", "a b 1\n", "no host nodes"),
])
def test_bad_graph_files_give_one_clear_error(tmp_path, capsys, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InstanceError, match=message) as info:
        hflopt.load_instance(path)
    assert str(path) in str(info.value)
    code = main(["solve", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and message.split(":")[0] in err and "Traceback" not in err


def test_cli_generate_graph_and_solve(city: nx.Graph, tmp_path, capsys) -> None:
    src = tmp_path / "city.graphml"
    nx.write_graphml(city, src)
    out = tmp_path / "city.json"
    code = main(["generate", "graph", str(src), "--cloud", "r", "-l", "2", "-p", "1", "--devices", "d1,d2",
                 "-o", str(out)])
    assert code == 0
    inst = hflopt.load_instance(out)
    assert inst.device_ids == ("d1", "d2") and inst.edge_cost.tolist() == [1, 2] and inst.rounds_ratio == 2
    assert np.array_equal(inst.dense_costs(), EXPECTED[:2])
    res = hflopt.solve(inst)
    assert res.solution.verify(inst) == pytest.approx(brute_force(inst))
    capsys.readouterr()
    code = main(["generate", "graph", str(src), "--hosts", "h1", "--devices", "rest", "--capacity", "20",
                 "--workload", "1", "--weight", "none", "-o", str(tmp_path / "b.json")])
    captured = capsys.readouterr()
    assert code == 0 and "warning" in captured.err and "reach no host" in captured.err
    b = hflopt.load_instance(tmp_path / "b.json")
    assert set(b.device_ids) == {"h2", "r", "d1", "d2", "d3", "x"} and b.capacity.tolist() == [20]
    assert b.dense_costs()[b.device_ids.index("h2"), 0] == 2  # hops h2-r-h1
    code = main(["generate", "graph", str(src), "--cloud", "mars", "-o", str(tmp_path / "c.json")])
    assert code == 2 and "--cloud" in capsys.readouterr().err


def test_shipped_style_graph_solves_exactly(tmp_path) -> None:
    G = nx.grid_2d_graph(3, 3)
    G = nx.relabel_nodes(G, {n: f"n{n[0]}{n[1]}" for n in G.nodes})
    for k, v in enumerate(sorted(G.nodes)):
        G.nodes[v].update(x=float(v[1]), y=float(v[2]))
        if k in (0, 8):
            G.nodes[v].update(role="host", capacity=6, cloud_cost=2)
        else:
            G.nodes[v].update(role="device", workload=1 + k % 3)
    G.graph.update(participation_ratio=5 / 7, rounds_ratio=1)
    path = tmp_path / "grid.graphml"
    write_graph(G, path)
    inst = hflopt.load_instance(path)
    assert inst.n_hosts == 2 and inst.n_devices == 7 and inst.min_participants == 5
    res = hflopt.solve(inst)
    assert res.status.value == "optimal"
    assert res.solution.verify(inst) == pytest.approx(brute_force(inst))
