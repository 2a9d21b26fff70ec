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

Shortest paths (Dijkstra, never once per device-host pair; unreachable devices reported)
are computed in :mod:`hflopt.io.graph_topology`, which describes how.

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
import io
import re
import warnings
from collections.abc import Hashable, Iterable
from pathlib import Path
from typing import Any

from hflopt.errors import FormatError, InstanceError
from hflopt.instance import Instance
from hflopt.io._common import GRAPH_FORMATS
from hflopt.io.graph_topology import UnreachableDevicesWarning, graph_arguments, nearest_hosts

__all__ = [
    "GRAPH_FORMATS",
    "UnreachableDevicesWarning",
    "instance_from_graph",
    "nearest_hosts",
    "read_graph",
    "read_graph_instance",
    "write_graph",
]


def instance_from_graph(
    G: Any,
    hosts: Iterable[Hashable] | None = None,
    devices: Iterable[Hashable] | None = None,
    cloud: Any = None,
    weight: Any = "weight",
    *,
    cls: type = Instance,
    **options: Any,
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
    cls:
        The class built (:class:`~hflopt.Instance` or a subclass).
    **options:
        ``cloud_node``, ``capacity``, ``workload``, ``cloud_cost``, ``role``,
        ``k``, ``cutoff``, ``on_unreachable`` as described above, and what
        is passed to :class:`~hflopt.Instance`: ``participation_ratio``,
        ``min_participants``, ``rounds_ratio``, ``name``, ``metadata``.
        Graph attributes of the same names are the defaults.
    """
    return cls(**graph_arguments(G, hosts, devices, cloud, weight, **options))

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
        if not line.startswith("#"):
            edges.append(_edge_line(line, source, lineno))
            continue
        tokens = line[1:].split()
        if tokens and tokens[0] == "graph":
            graph_attr.update(_parse_pairs(tokens[1:], source, lineno))
        elif tokens and tokens[0] == "node":
            nodes.append(_node_line(tokens, described, source, lineno))
    directed = bool(graph_attr.pop("directed", False))
    G = nx.DiGraph() if directed else nx.Graph()
    G.graph.update(graph_attr)
    for name, attrs in nodes:
        G.add_node(name, **attrs)
    G.add_edges_from(edges)
    return G


def _node_line(tokens: list[str], described: dict[str, int], source: str,
               lineno: int) -> tuple[str, dict[str, Any]]:
    """A ``# node NAME key=value ...`` line (each node described once)."""
    if len(tokens) < 2:
        raise FormatError(f"line {lineno}: '# node' needs a node name", source=source)
    if tokens[1] in described:
        raise FormatError(f"line {lineno}: node described twice (first on line {described[tokens[1]]})",
                          field="node", value=tokens[1], source=source)
    described[tokens[1]] = lineno
    return tokens[1], _parse_pairs(tokens[2:], source, lineno)


def _edge_line(line: str, source: str, lineno: int) -> tuple[str, str, dict[str, Any]]:
    """An ``u v``, ``u v WEIGHT`` or ``u v {data dict}`` line."""
    parts = line.split(None, 2)
    if len(parts) < 2:
        raise FormatError(f"line {lineno}: an edge needs two nodes, got {line!r}", source=source)
    u, v = parts[0], parts[1]
    rest = parts[2].strip() if len(parts) > 2 else ""
    if rest.startswith("{"):
        try:
            data = ast.literal_eval(rest)
        except (ValueError, SyntaxError):
            raise FormatError(f"line {lineno}: edge data is not a dict literal: {rest!r}",
                              source=source) from None
        if not isinstance(data, dict):
            raise FormatError(f"line {lineno}: edge data is not a dict: {rest!r}", source=source)
        return u, v, data
    if not rest:
        return u, v, {}
    first = rest.split()[0]
    try:
        return u, v, {"weight": float(first)}
    except ValueError:
        raise FormatError(f"line {lineno}: edge weight must be a number", field="weight",
                          value=first, source=source) from None


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
