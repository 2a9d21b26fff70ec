"""Graph topologies: the arguments of an HFLOP instance from a networkx graph.

A network graph (routers, links, sites) becomes an instance by choosing which
nodes are candidate edge hosts and which are devices; the cost of the link
between device i and host j is the weight of the shortest path from i to j.
See :mod:`hflopt.io.graphs` for the node and graph attributes read and for
graph files; this module computes (:func:`graph_arguments`) without
depending on :class:`~hflopt.Instance`, which builds itself from it
(:meth:`~hflopt.Instance.from_graph`).

Shortest paths are computed by Dijkstra's algorithm, never once per
device-host pair: without ``k`` one networkx single-source search per host
(or per device, when there are fewer devices and the graph is undirected);
with ``k`` one multi-source search from all hosts at once that keeps the
``k`` nearest hosts of every node. Device-host pairs with no path (or a path
longer than ``cutoff``) have no link; devices that reach no host at all are
reported (a warning, ``metadata["unreachable_devices"]``, or an error).
"""

from __future__ import annotations

import heapq
import itertools
import math
import numbers
import re
import warnings
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

import numpy as np

from hflopt.errors import InstanceError

__all__ = ["UnreachableDevicesWarning", "graph_arguments", "nearest_hosts"]


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
        return lambda _u, _v, _d: 1.0
    # weights are checked by _check_weights; a file may hold them as text ("9")
    if G.is_multigraph():
        return lambda _u, _v, d: min(float(attr.get(weight, 1)) for attr in d.values())
    return lambda _u, _v, d: float(d.get(weight, 1))


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


def graph_arguments(
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
    **kwargs: Any,
) -> dict[str, Any]:
    """The keyword arguments of :class:`~hflopt.Instance` for graph ``G``.

    Parameters as for :func:`hflopt.io.graphs.instance_from_graph`.
    """
    _check_graph(G, on_unreachable)
    gattr = dict(G.graph)
    if weight == "weight" and isinstance(gattr.get("weight"), str):
        weight = gattr["weight"]
    cloud, cloud_node = _cloud_option(G, gattr, cloud, cloud_node)
    if cutoff is not None:
        cutoff = _number(cutoff, "cutoff")
    k = _k_option(k)
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
    ldev, lhost, lcost = _graph_links(G, host_nodes, device_nodes, weight, k, cutoff)
    meta = _graph_metadata(G, gattr, weight, cloud_note, k, cutoff)
    _report_unreachable(device_nodes, ldev, cutoff, on_unreachable, meta)
    meta.update(dict(kwargs.pop("metadata", None) or {}))
    kwargs = {**_graph_params(gattr, kwargs), **kwargs}
    kwargs.setdefault("name", str(gattr.get("name", "")) or "")
    hxy, dxy = _coords(G, host_nodes), _coords(G, device_nodes)
    both = hxy is not None and dxy is not None
    return dict(capacity=cap, edge_cost=edge_cost, workload=work, link_device=ldev, link_host=lhost,
                link_cost=lcost, host_ids=[str(v) for v in host_nodes], device_ids=[str(v) for v in device_nodes],
                host_xy=hxy if both else None, device_xy=dxy if both else None, metadata=meta, **kwargs)


def _check_graph(G: Any, on_unreachable: str) -> None:
    try:
        import networkx as nx
    except ImportError:  # pragma: no cover - networkx is a dependency
        raise InstanceError("networkx is needed for graph topologies", field="graph") from None
    if not isinstance(G, nx.Graph):
        raise InstanceError("must be a networkx graph", field="graph", value=type(G).__name__)
    if on_unreachable not in ("warn", "error", "ignore"):
        raise InstanceError("must be 'warn', 'error' or 'ignore'", field="on_unreachable", value=on_unreachable)


def _cloud_option(G: Any, gattr: dict[str, Any], cloud: Any, cloud_node: Any) -> tuple[Any, Any]:
    """The cloud from the arguments, else from the graph attribute ``cloud`` (a node or a cost)."""
    if cloud is None and cloud_node is None and gattr.get("cloud") not in (None, ""):
        if isinstance(gattr["cloud"], numbers.Real) and gattr["cloud"] not in G:
            return gattr["cloud"], None  # one cost for every host
        cloud_node = gattr["cloud"]
        if cloud_node not in G:
            raise InstanceError("graph attribute names no node of the graph", field="cloud", value=cloud_node)
    return cloud, cloud_node


def _k_option(k: Any) -> int | None:
    if k is None:
        return None
    if isinstance(k, bool) or not float(k).is_integer() or k < 1:
        raise InstanceError("must be a whole number >= 1", field="k", value=k)
    return int(k)


def _graph_links(G: Any, host_nodes: list[Hashable], device_nodes: list[Hashable], weight: Any,
                 k: int | None, cutoff: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Device-host links with shortest-path costs: every reachable pair, or each device's k nearest."""
    if k is None:
        return _all_pairs(G, host_nodes, device_nodes, weight, cutoff)
    near = nearest_hosts(G, host_nodes, k, weight=weight, cutoff=cutoff, targets=device_nodes)
    dev_pos = {v: i for i, v in enumerate(device_nodes)}
    rows = [(dev_pos[v], j, d) for v, lst in near.items() for j, d in lst]
    arr = np.array(rows, dtype=np.float64).reshape(-1, 3)
    return arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64), arr[:, 2]


def _graph_metadata(G: Any, gattr: dict[str, Any], weight: Any, cloud_note: str, k: int | None,
                    cutoff: float | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"generator": "graph"}
    if gattr.get("source"):
        meta["source"] = str(gattr["source"])
    weight_name = weight if isinstance(weight, str) or weight is None else getattr(weight, "__name__", "fn")
    meta.update({"weight": weight_name, "cloud": cloud_note, "k": k, "cutoff": cutoff,
                 "graph_nodes": G.number_of_nodes(), "graph_edges": G.number_of_edges()})
    if "coordinates" in gattr:
        meta["coordinates"] = str(gattr["coordinates"])
    return meta


def _report_unreachable(device_nodes: list[Hashable], ldev: np.ndarray, cutoff: float | None,
                        on_unreachable: str, meta: dict[str, Any]) -> None:
    """Devices that reach no host: listed in ``meta``; a warning or an error as asked."""
    reached = np.zeros(len(device_nodes), dtype=bool)
    reached[ldev] = True
    lost = [device_nodes[i] for i in np.flatnonzero(~reached).tolist()]
    if not lost:
        return
    meta["unreachable_devices"] = [str(v) for v in lost[:_MAX_LISTED]]
    meta["unreachable_count"] = len(lost)
    shown = ", ".join(str(v) for v in lost[:10]) + (" ..." if len(lost) > 10 else "")
    text = (f"{len(lost)} of {len(device_nodes)} devices reach no host"
            f"{' within cutoff ' + format(cutoff, 'g') if cutoff is not None else ''}: {shown}")
    if on_unreachable == "error":
        raise InstanceError(text, field="devices")
    if on_unreachable == "warn":
        warnings.warn(text, UnreachableDevicesWarning, stacklevel=4)


def _graph_params(gattr: dict[str, Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """T, p and l from the graph attributes, where the caller gave none."""
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
            raise InstanceError("must be a whole number", field="min_participants", value=gattr["min_participants"])
        params["min_participants"] = int(params["min_participants"])
    return params
