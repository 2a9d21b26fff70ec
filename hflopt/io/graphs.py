"""Graph topologies: HFLOP instances from networkx graphs and graph files.

A network graph (routers, links, sites) becomes an instance by choosing which
nodes are candidate edge hosts and which are devices; the cost of the link
between device i and host j is the weight of the shortest path from i to j.

Node attributes (names configurable):

- ``role``: ``"host"``, ``"device"`` or both (``"host,device"``); without a
  ``role`` attribute a node with a ``capacity`` is a host and a node with a
  ``workload`` is a device,
- ``capacity`` (hosts), ``workload`` (devices), ``cloud_cost`` (hosts,
  default 0 unless a cloud node or a number is given),
- ``x``, ``y`` or ``pos`` (optional coordinates, used by plots).

Graph attributes ``participation_ratio`` or ``min_participants``,
``rounds_ratio``, ``cloud`` (name of the cloud node, or one cost for every
host), ``weight`` (edge
attribute holding the weights), ``coordinates`` (``"lonlat"`` or
``"planar"``) and ``name`` are used as defaults.

Shortest paths are computed by Dijkstra's algorithm, never once per
device-host pair: without ``k`` one networkx single-source search per host
(or per device, when there are fewer devices and the graph is undirected);
with ``k`` one multi-source search from all hosts at once that keeps the
``k`` nearest hosts of every node. Device-host pairs with no path (or a path
longer than ``cutoff``) have no link; devices that reach no host at all are
reported (a warning, ``metadata["unreachable_devices"]``, or an error).

Files: GraphML (``.graphml``), GML (``.gml``) and edge lists (``.edgelist``,
``.edges``) are registered with :func:`hflopt.io.register_format`, so
:func:`hflopt.load_instance` and ``hflopt solve`` read them directly. Edge
lists carry node attributes on comment lines (networkx ignores them)::

    # graph rounds_ratio=4 participation_ratio=0.8 cloud=dc
    # node h1 role=host capacity=50 x=0.0 y=1.5
    # node d1 role=device workload=4
    h1 r1 2.5
    r1 d1 {'weight': 1.0}
"""

from __future__ import annotations

import ast
import heapq
import io
import itertools
import math
import numbers
import re
import warnings
from collections.abc import Callable, Hashable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from hflopt.errors import FormatError, InstanceError
from hflopt.instance import Instance
from hflopt.io import GRAPH_FORMATS

__all__ = [
    "GRAPH_FORMATS",
    "UnreachableDevicesWarning",
    "instance_from_graph",
    "nearest_hosts",
    "read_graph",
    "read_graph_instance",
    "write_graph",
]


_PARAM_KEYS = ("participation_ratio", "min_participants", "rounds_ratio")
_MAX_LISTED = 100


class UnreachableDevicesWarning(UserWarning):
    """Some devices have no path to any host (they get no link)."""


# ---------------------------------------------------------------- helpers
def _label(node: Any) -> str:
    return repr(node) if not isinstance(node, str) else f"'{node}'"


def _roles(data: Mapping[str, Any], role_attr: str) -> set[str] | None:
    if role_attr not in data:
        return None
    raw = str(data[role_attr]).lower()
    return {r for r in re.split(r"[\s,+;|/]+", raw) if r}


def _select(
    G: Any,
    given: Iterable[Hashable] | None,
    kind: str,
    role_attr: str,
    value_attr: Any,
) -> list[Hashable]:
    """The host or device nodes: as given, or by role / value attribute."""
    if given is not None:
        if isinstance(given, (str, bytes)):
            given = [given]
        nodes = list(given)
        seen: set[Hashable] = set()
        for v in nodes:
            if v not in G:
                raise InstanceError("is not a node of the graph", field=f"{kind}s", value=v)
            if v in seen:
                raise InstanceError("node listed twice", field=f"{kind}s", value=v)
            seen.add(v)
        return nodes
    out = []
    for v, data in G.nodes(data=True):
        roles = _roles(data, role_attr)
        if roles is not None:
            if kind in roles or "both" in roles:
                out.append(v)
        elif isinstance(value_attr, str) and value_attr in data:
            out.append(v)
    return out


def _number(value: Any, field: str) -> float:
    try:
        x = float(value)
    except OverflowError:  # an integer beyond float64's range
        raise InstanceError("must be a finite number >= 0", field=field, value=value) from None
    except (TypeError, ValueError):
        raise InstanceError("must be a number", field=field, value=value) from None
    if not math.isfinite(x) or x < 0:
        raise InstanceError("must be a finite number >= 0", field=field, value=value)
    return x


def _values(
    G: Any, nodes: list[Hashable], spec: Any, what: str, default: float | None = None
) -> np.ndarray:
    """Per-node numbers from an attribute name, a constant, a mapping or a sequence."""
    if isinstance(spec, str):
        out = np.empty(len(nodes))
        for k, v in enumerate(nodes):
            data = G.nodes[v]
            if spec not in data:
                if default is None:
                    raise InstanceError(
                        f"node has no {spec!r} attribute (give {what}= as a number, a mapping or "
                        "a list, or set the node attribute)",
                        field=f"{what} of node {_label(v)}",
                    )
                out[k] = default
            else:
                out[k] = _number(data[spec], f"{what} of node {_label(v)}")
        return out
    if isinstance(spec, Mapping):
        out = np.empty(len(nodes))
        for k, v in enumerate(nodes):
            if v not in spec:
                raise InstanceError("no value given for node", field=what, value=v)
            out[k] = _number(spec[v], f"{what} of node {_label(v)}")
        return out
    if np.ndim(spec) == 0:
        return np.full(len(nodes), _number(spec, what))
    arr = list(spec)
    if len(arr) != len(nodes):
        raise InstanceError(f"must have {len(nodes)} entries, got {len(arr)}", field=what)
    return np.array([_number(x, f"{what}[{k}]") for k, x in enumerate(arr)], dtype=np.float64)


def _coords(G: Any, nodes: list[Hashable]) -> np.ndarray | None:
    out = np.empty((len(nodes), 2))
    for k, v in enumerate(nodes):
        data = G.nodes[v]
        try:
            if "x" in data and "y" in data:
                out[k] = (float(data["x"]), float(data["y"]))
            elif "pos" in data and len(data["pos"]) >= 2:
                out[k] = (float(data["pos"][0]), float(data["pos"][1]))
            else:
                return None
        except (TypeError, ValueError):
            return None
    return out if np.isfinite(out).all() else None


def _weight_function(G: Any, weight: Any) -> Callable[[Any, Any, Any], float | None]:
    """Edge-weight function with networkx's conventions (None hides the edge)."""
    if callable(weight):
        return weight
    if weight is None:
        return lambda u, v, d: 1.0
    # weights are checked by _check_weights; a file may hold them as text ("9")
    if G.is_multigraph():
        return lambda u, v, d: min(float(attr.get(weight, 1)) for attr in d.values())
    return lambda u, v, d: float(d.get(weight, 1))


def _check_weights(G: Any, weight: Any) -> None:
    if callable(weight) or weight is None:
        return
    for u, v, w in G.edges(data=weight, default=1):
        try:
            x = float(w)
        except (TypeError, ValueError, OverflowError):
            raise InstanceError(
                "must be a number", field=f"{weight} of edge ({u!r}, {v!r})", value=w
            ) from None
        if not (x >= 0) or math.isinf(x):
            raise InstanceError(
                "must be a finite number >= 0 (shortest paths need non-negative weights)",
                field=f"{weight} of edge ({u!r}, {v!r})",
                value=w,
            )


# ------------------------------------------------------- shortest paths
def nearest_hosts(
    G: Any,
    hosts: list[Hashable],
    k: int,
    *,
    weight: Any = "weight",
    cutoff: float | None = None,
    targets: Iterable[Hashable] | None = None,
) -> dict[Hashable, list[tuple[int, float]]]:
    """The ``k`` nearest hosts of every node, by one multi-source Dijkstra search.

    All hosts start the search at distance 0; every node is settled at most
    ``k`` times, once per distinct host, in order of distance. A node's first
    ``k`` settled hosts are its ``k`` nearest (if the path of host ``s`` to
    ``v`` runs through ``u`` and ``u`` already has ``k`` nearer hosts, those
    reach ``v`` at least as cheaply, so ``s`` is not needed at ``v``). Cost
    ``O(k (V + E) log(k V))``, independent of the number of hosts.
    Distances run from the node to the host (edges reversed on directed
    graphs). Ties are broken by host position.

    Returns
    -------
    dict
        ``node -> [(host position, distance), ...]`` sorted by distance, for
        the ``targets`` (default: every node) that reach at least one host.
    """
    if k < 1:
        raise InstanceError("must be >= 1", field="k", value=k)
    wfun = _weight_function(G, weight)
    directed = G.is_directed()
    # from host to node along reversed edges = from node to host along edges
    adj = G.pred if directed else G.adj
    wanted = None if targets is None else set(targets)
    count: dict[Hashable, int] = {}
    done: set[tuple[Hashable, int]] = set()
    found: dict[Hashable, list[tuple[int, float]]] = {}
    tie = itertools.count()
    heap: list[tuple[float, int, int, Hashable]] = [(0.0, j, next(tie), h) for j, h in enumerate(hosts)]
    heapq.heapify(heap)
    pop, push = heapq.heappop, heapq.heappush
    while heap:
        d, j, _, u = pop(heap)
        if (u, j) in done:
            continue
        c = count.get(u, 0)
        if c >= k:
            continue
        done.add((u, j))
        count[u] = c + 1
        if wanted is None or u in wanted:
            found.setdefault(u, []).append((j, d))
        for v, data in adj[u].items():
            if count.get(v, 0) >= k or (v, j) in done:
                continue
            w = wfun(v, u, data) if directed else wfun(u, v, data)
            if w is None:
                continue
            nd = d + float(w)
            if cutoff is not None and nd > cutoff:
                continue
            push(heap, (nd, j, next(tie), v))
    return found


def _all_pairs(
    G: Any,
    hosts: list[Hashable],
    devices: list[Hashable],
    weight: Any,
    cutoff: float | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Device-host shortest-path lengths: one networkx Dijkstra per host (or device)."""
    import networkx as nx

    host_pos = {h: j for j, h in enumerate(hosts)}
    dev_pos = {v: i for i, v in enumerate(devices)}
    if isinstance(weight, str):  # weights as numbers even where the file holds text ("9")
        weight = _weight_function(G, weight)
    ldev: list[np.ndarray] = []
    lhost: list[np.ndarray] = []
    lcost: list[np.ndarray] = []
    from_devices = len(devices) < len(hosts)
    if from_devices:
        sources, targets = devices, host_pos
        graph = G
    else:
        sources, targets = hosts, dev_pos
        graph = G
        if G.is_directed():
            graph = G.reverse(copy=False)
            if callable(weight):
                user_weight = weight

                def weight(u: Any, v: Any, d: Any) -> Any:
                    return user_weight(v, u, d)

    for s_index, s in enumerate(sources):
        dist = nx.single_source_dijkstra_path_length(graph, s, cutoff=cutoff, weight=weight)
        hits = [(targets[t], d) for t, d in dist.items() if t in targets]
        if not hits:
            continue
        pos = np.fromiter((h[0] for h in hits), dtype=np.int64, count=len(hits))
        val = np.fromiter((h[1] for h in hits), dtype=np.float64, count=len(hits))
        fixed = np.full(len(hits), s_index, dtype=np.int64)
        if from_devices:
            ldev.append(fixed)
            lhost.append(pos)
        else:
            ldev.append(pos)
            lhost.append(fixed)
        lcost.append(val)
    if not lcost:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate(ldev), np.concatenate(lhost), np.concatenate(lcost)


def _cloud_costs(
    G: Any, hosts: list[Hashable], cloud: Any, cloud_node: Any, weight: Any, attr: str
) -> tuple[np.ndarray, str]:
    if cloud_node is None and cloud is not None and not isinstance(
        cloud, (numbers.Real, Mapping, list, tuple, np.ndarray)
    ):
        if cloud not in G:
            raise InstanceError("is not a node of the graph (nor a number)", field="cloud", value=cloud)
        cloud_node = cloud
    if cloud_node is not None:
        if cloud_node not in G:
            raise InstanceError("is not a node of the graph", field="cloud_node", value=cloud_node)
        # host -> cloud path lengths: one search from the cloud along reversed edges
        nearest = nearest_hosts(G, [cloud_node], 1, weight=weight, targets=hosts)
        out = np.empty(len(hosts))
        for j, h in enumerate(hosts):
            if h not in nearest:
                raise InstanceError("host has no path to the cloud node", field="cloud", value=h)
            out[j] = nearest[h][0][1]
        return out, f"shortest path to node {cloud_node!r}"
    if cloud is None:
        return _values(G, hosts, attr, "cloud_cost", default=0.0), f"host attribute {attr!r} (default 0)"
    return _values(G, hosts, cloud, "cloud_cost"), "given"


def instance_from_graph(
    G: Any,
    hosts: Iterable[Hashable] | None = None,
    devices: Iterable[Hashable] | None = None,
    cloud: Any = None,
    weight: Any = "weight",
    *,
    cloud_node: Hashable | None = None,
    capacity: Any = "capacity",
    workload: Any = "workload",
    cloud_cost: str = "cloud_cost",
    role: str = "role",
    k: int | None = None,
    cutoff: float | None = None,
    on_unreachable: str = "warn",
    cls: type = Instance,
    **kwargs: Any,
) -> Instance:
    """Build an instance from a networkx graph; link costs are shortest-path lengths.

    Parameters
    ----------
    G:
        A networkx graph (directed or not, multigraphs allowed).
    hosts, devices:
        The host and device nodes. Default: nodes whose ``role`` attribute
        says ``host`` / ``device`` (or, without a ``role``, nodes that have a
        ``capacity`` / ``workload`` attribute). A node may be both.
    cloud:
        Host-cloud costs ``C_e``: a number (every host), a mapping node ->
        cost, a list in host order, or the name of a (non-numeric) node of
        the graph: cost = shortest path from the host to it. Default: the
        graph attribute ``cloud`` (a node) if set, else each host's
        ``cloud_cost`` attribute, 0 where absent.
    weight:
        Edge attribute with the weights (missing on an edge = 1), ``None``
        for hop counts, or a function ``(u, v, data) -> weight or None`` as
        in networkx. Default: the graph attribute ``weight`` or ``"weight"``.
    capacity, workload:
        Node attribute names, or a number, a mapping node -> value, or a list
        in host / device order.
    cloud_node:
        The cloud as a node of the graph, whatever its label (use this for
        graphs with numeric node labels).
    cloud_cost, role:
        Names of the host cloud-cost attribute and of the role attribute.
    k:
        Keep only the ``k`` nearest hosts of each device (one multi-source
        search); ``None`` keeps every reachable host.
    cutoff:
        Drop device-host pairs whose shortest path is longer than this.
    on_unreachable:
        What to do about devices with no path to any host: ``"warn"``
        (default; :class:`UnreachableDevicesWarning`), ``"error"``
        (:class:`~hflopt.InstanceError`) or ``"ignore"``. They are listed in
        ``metadata["unreachable_devices"]`` either way.
    **kwargs:
        Passed to :class:`~hflopt.Instance`: ``participation_ratio``,
        ``min_participants``, ``rounds_ratio``, ``name``, ``metadata``.
        Graph attributes of the same names are the defaults.
    """
    try:
        import networkx as nx
    except ImportError:  # pragma: no cover - networkx is a dependency
        raise InstanceError("networkx is needed for graph topologies", field="graph") from None
    if not isinstance(G, nx.Graph):
        raise InstanceError("must be a networkx graph", field="graph", value=type(G).__name__)
    if on_unreachable not in ("warn", "error", "ignore"):
        raise InstanceError(
            "must be 'warn', 'error' or 'ignore'", field="on_unreachable", value=on_unreachable
        )
    gattr = dict(G.graph)
    if weight == "weight" and isinstance(gattr.get("weight"), str):
        weight = gattr["weight"]
    if cloud is None and cloud_node is None and gattr.get("cloud") not in (None, ""):
        if isinstance(gattr["cloud"], numbers.Real) and gattr["cloud"] not in G:
            cloud = gattr["cloud"]  # one cost for every host
        else:
            cloud_node = gattr["cloud"]
            if cloud_node not in G:
                raise InstanceError("graph attribute names no node of the graph", field="cloud",
                                    value=cloud_node)
    if cutoff is not None:
        cutoff = _number(cutoff, "cutoff")
    if k is not None:
        if isinstance(k, bool) or not float(k).is_integer() or k < 1:
            raise InstanceError("must be a whole number >= 1", field="k", value=k)
        k = int(k)
    host_nodes = _select(G, hosts, "host", role, capacity)
    device_nodes = _select(G, devices, "device", role, workload)
    if not host_nodes:
        raise InstanceError(
            "the graph has no host nodes: pass hosts=[...] or give nodes a role='host' and a "
            "capacity attribute",
            field="hosts",
        )
    cap = _values(G, host_nodes, capacity, "capacity")
    work = _values(G, device_nodes, workload, "workload")
    _check_weights(G, weight)
    edge_cost, cloud_note = _cloud_costs(G, host_nodes, cloud, cloud_node, weight, cloud_cost)

    if k is None:
        ldev, lhost, lcost = _all_pairs(G, host_nodes, device_nodes, weight, cutoff)
    else:
        near = nearest_hosts(G, host_nodes, k, weight=weight, cutoff=cutoff, targets=device_nodes)
        dev_pos = {v: i for i, v in enumerate(device_nodes)}
        rows = [(dev_pos[v], j, d) for v, lst in near.items() for j, d in lst]
        arr = np.array(rows, dtype=np.float64).reshape(-1, 3)
        ldev, lhost, lcost = arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64), arr[:, 2]

    reached = np.zeros(len(device_nodes), dtype=bool)
    reached[ldev] = True
    lost = [device_nodes[i] for i in np.flatnonzero(~reached).tolist()]
    meta: dict[str, Any] = {"generator": "graph"}
    if gattr.get("source"):
        meta["source"] = str(gattr["source"])
    weight_name = weight if isinstance(weight, str) or weight is None else getattr(weight, "__name__", "fn")
    meta.update({
        "weight": weight_name,
        "cloud": cloud_note,
        "k": k,
        "cutoff": cutoff,
        "graph_nodes": G.number_of_nodes(),
        "graph_edges": G.number_of_edges(),
    })
    if lost:
        meta["unreachable_devices"] = [str(v) for v in lost[:_MAX_LISTED]]
        meta["unreachable_count"] = len(lost)
        shown = ", ".join(str(v) for v in lost[:10]) + (" ..." if len(lost) > 10 else "")
        text = (f"{len(lost)} of {len(device_nodes)} devices reach no host"
                f"{' within cutoff ' + format(cutoff, 'g') if cutoff is not None else ''}: {shown}")
        if on_unreachable == "error":
            raise InstanceError(text, field="devices")
        if on_unreachable == "warn":
            warnings.warn(text, UnreachableDevicesWarning, stacklevel=2)
    if "coordinates" in gattr:
        meta["coordinates"] = str(gattr["coordinates"])
    meta.update(dict(kwargs.pop("metadata", None) or {}))

    params = {key: gattr[key] for key in _PARAM_KEYS if key in gattr and key not in kwargs}
    if "min_participants" in kwargs or "participation_ratio" in kwargs:
        params.pop("min_participants", None)
        params.pop("participation_ratio", None)
    if "min_participants" in params and "participation_ratio" in params:
        params.pop("participation_ratio")
    for key in _PARAM_KEYS:
        if key in params:
            params[key] = _number(params[key], key)
    if "min_participants" in params:
        if not float(params["min_participants"]).is_integer():
            raise InstanceError("must be a whole number", field="min_participants",
                                value=gattr["min_participants"])
        params["min_participants"] = int(params["min_participants"])
    kwargs = {**params, **kwargs}
    kwargs.setdefault("name", str(gattr.get("name", "")) or "")
    hxy, dxy = _coords(G, host_nodes), _coords(G, device_nodes)
    return cls(
        cap,
        edge_cost,
        work,
        ldev,
        lhost,
        lcost,
        host_ids=[str(v) for v in host_nodes],
        device_ids=[str(v) for v in device_nodes],
        host_xy=hxy if hxy is not None and dxy is not None else None,
        device_xy=dxy if hxy is not None and dxy is not None else None,
        metadata=meta,
        **kwargs,
    )


# ------------------------------------------------------------ graph files
def _graph_format(path: Path, format: str | None) -> str:
    if format:
        key = format.strip().lower()
        if key not in GRAPH_FORMATS:
            raise InstanceError(
                f"unknown graph format (known: {', '.join(GRAPH_FORMATS)})", field="format", value=format
            )
        return key
    from hflopt.io._common import uncompressed

    suffix = uncompressed(path).suffix.lower()
    for name, suffixes in GRAPH_FORMATS.items():
        if suffix in suffixes:
            return name
    raise InstanceError(
        "cannot tell the graph format from the extension (.graphml, .gml, .edgelist, .edges); "
        "give one with --graph-format",
        source=str(path),
    )


def _parse_value(text: str) -> Any:
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        x = float(text)
    except ValueError:
        return text
    # whole numbers stay exact integers; past 300 digits they are read as floats (inf)
    return int(text) if re.fullmatch(r"[+-]?\d{1,300}", text) else x


def _parse_pairs(tokens: list[str], source: str, lineno: int) -> dict[str, Any]:
    out = {}
    for tok in tokens:
        key, sep, value = tok.partition("=")
        if not sep or not key:
            raise FormatError(f"line {lineno}: expected key=value, got {tok!r}", source=source)
        if key in out:
            raise FormatError(f"line {lineno}: attribute given twice", field=key, value=value,
                              source=source)
        out[key] = _parse_value(value)
    return out


def _read_edgelist(path: Path, source: str) -> Any:
    import networkx as nx

    from hflopt.io._common import read_text

    text = read_text(path, source)
    graph_attr: dict[str, Any] = {}
    described: dict[str, int] = {}
    nodes: list[tuple[str, dict[str, Any]]] = []
    edges: list[tuple[str, str, dict[str, Any]]] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            tokens = line[1:].split()
            if tokens and tokens[0] == "graph":
                graph_attr.update(_parse_pairs(tokens[1:], source, lineno))
            elif tokens and tokens[0] == "node":
                if len(tokens) < 2:
                    raise FormatError(f"line {lineno}: '# node' needs a node name", source=source)
                if tokens[1] in described:
                    raise FormatError(f"line {lineno}: node described twice (first on line "
                                      f"{described[tokens[1]]})", field="node", value=tokens[1],
                                      source=source)
                described[tokens[1]] = lineno
                nodes.append((tokens[1], _parse_pairs(tokens[2:], source, lineno)))
            continue
        parts = line.split(None, 2)
        if len(parts) < 2:
            raise FormatError(f"line {lineno}: an edge needs two nodes, got {line!r}", source=source)
        u, v = parts[0], parts[1]
        rest = parts[2].strip() if len(parts) > 2 else ""
        data: dict[str, Any] = {}
        if rest.startswith("{"):
            try:
                data = ast.literal_eval(rest)
            except (ValueError, SyntaxError):
                raise FormatError(f"line {lineno}: edge data is not a dict literal: {rest!r}",
                                  source=source) from None
            if not isinstance(data, dict):
                raise FormatError(f"line {lineno}: edge data is not a dict: {rest!r}", source=source)
        elif rest:
            first = rest.split()[0]
            try:
                data = {"weight": float(first)}
            except ValueError:
                raise FormatError(f"line {lineno}: edge weight must be a number", field="weight",
                                  value=first, source=source) from None
        edges.append((u, v, data))
    directed = bool(graph_attr.pop("directed", False))
    G = nx.DiGraph() if directed else nx.Graph()
    G.graph.update(graph_attr)
    for name, attrs in nodes:
        G.add_node(name, **attrs)
    G.add_edges_from(edges)
    return G


def _write_edgelist(G: Any, path: Path) -> None:
    from hflopt.io._common import write_text_atomic

    def fmt(value: Any) -> str:
        text = repr(value) if isinstance(value, float) else str(value)
        if not text or re.search(r"\s|=", text):
            raise InstanceError("cannot be written to an edge list (spaces or '=')", field="attribute",
                                value=value)
        return text

    lines = ["# hflopt graph edge list: '# graph' / '# node' lines hold attributes, then 'u v {data}'"]
    graph_attr = {key: value for key, value in G.graph.items() if value is not None}
    if G.is_directed():
        graph_attr["directed"] = True
    if graph_attr:
        lines.append("# graph " + " ".join(f"{k}={fmt(v)}" for k, v in graph_attr.items()))
    for v, data in G.nodes(data=True):
        node = fmt(v)
        if data or G.degree(v) == 0:
            lines.append(f"# node {node} " + " ".join(f"{k}={fmt(x)}" for k, x in data.items()))
    for u, v, data in G.edges(data=True):
        lines.append(f"{fmt(u)} {fmt(v)} {dict(sorted(data.items()))!r}")
    write_text_atomic(path, "\n".join(lines) + "\n")


def read_graph(path: str | Path, format: str | None = None) -> Any:
    """Read a GraphML, GML or edge-list file into a networkx graph.

    Raises :class:`~hflopt.InstanceError` (naming the file) when the file
    cannot be read or parsed.
    """
    p = Path(path)
    source = str(path)
    fmt = _graph_format(p, format)
    if not p.exists():
        raise InstanceError("no such file", source=source)
    from hflopt.io._files import read_bytes, read_once

    with read_once():  # read (and decompressed) once, with the input size cap
        data = read_bytes(p, source)
        return _parse_graph(p, data, fmt, source)


def _parse_graph(p: Path, data: bytes, fmt: str, source: str) -> Any:
    import networkx as nx

    def handle() -> Any:
        return io.BytesIO(data)

    try:
        if fmt == "graphml":
            _check_graphml_ids(data, source)
            G = nx.read_graphml(handle())
        elif fmt == "gml":
            try:
                G = nx.read_gml(handle(), label="label")
            except nx.NetworkXError as exc:
                if "label" not in str(exc):
                    raise
                G = nx.read_gml(handle(), label="id")
        else:
            G = _read_edgelist(p, source)
    except InstanceError as exc:
        raise exc.with_source(source) from None
    except Exception as exc:  # networkx and XML parsers raise many kinds
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FormatError(f"cannot be read as {fmt}: {detail}", source=source) from None
    G.graph.setdefault("source", source)
    return G


def _check_graphml_ids(data: bytes, source: str) -> None:
    """Refuse a GraphML file that declares a node id twice (networkx would merge the two)."""
    import xml.etree.ElementTree as ET

    seen: set[str] = set()
    try:
        for _, elem in ET.iterparse(io.BytesIO(data), events=("end",)):
            if elem.tag.rsplit("}", 1)[-1] == "node":
                node_id = elem.get("id")
                if node_id is not None:
                    if node_id in seen:
                        raise FormatError("node id appears twice (each node once)", field="node",
                                          value=node_id, source=source)
                    seen.add(node_id)
                elem.clear()
    except ET.ParseError:
        return  # networkx reports the syntax error itself


def write_graph(G: Any, path: str | Path, format: str | None = None) -> str:
    """Write a networkx graph as GraphML, GML or an hflopt edge list (atomically;
    compressed when the name ends in .gz, .bz2 or .xz).

    Returns the format used.
    """
    import networkx as nx

    from hflopt.io._common import write_bytes_atomic

    p = Path(path)
    fmt = _graph_format(p, format)
    H = G.copy()
    H.graph = {k: v for k, v in G.graph.items() if k != "source" and v is not None}
    if fmt == "edgelist":
        _write_edgelist(H, p)
        return fmt
    buf = io.BytesIO()  # serialised first: written atomically, compressed for .gz/.bz2/.xz names
    if fmt == "graphml":
        nx.write_graphml(H, buf)
    else:
        nx.write_gml(H, buf)
    write_bytes_atomic(p, buf.getvalue())
    return fmt


def read_graph_instance(path: Path, source: str, fmt: str) -> Instance:
    """Read a graph file as an instance (roles and values from node attributes)."""
    from hflopt.io._common import uncompressed

    G = read_graph(path, fmt)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UnreachableDevicesWarning)
        inst = instance_from_graph(G, name=str(G.graph.get("name") or uncompressed(path).stem))
    for w in caught:  # re-issue, naming the file
        text = f"{source}: {w.message}" if issubclass(w.category, UnreachableDevicesWarning) else w.message
        warnings.warn(text, w.category, stacklevel=3)
    return inst
