"""Pictures of instances and solutions (matplotlib).

Every drawing function takes ``ax=`` (a matplotlib Axes; default: the current
pyplot axes), draws on it, returns it and never calls ``show``. The ``save_*``
functions build their own figure on the Agg canvas (no pyplot, no global
backend change) and write the image atomically.

- :func:`plot_instance`: hosts as squares sized by capacity, devices as dots
  sized by workload (optionally the candidate links).
- :func:`plot_solution`: one line per participating device to its
  aggregator, coloured per host; open hosts filled in their colour, unused
  hosts hollow, non-participating devices as grey crosses.
- :func:`plot_loads`: load against capacity of each host, as bars.
- :func:`save_solution_map` (used by ``hflopt solve FILE --plot out.png``):
  solution map and load bars side by side. :func:`save_instance_map`.

Instances with coordinates (``host_xy``/``device_xy``) are drawn where they
are (longitude/latitude when ``metadata["coordinates"] == "lonlat"``);
instances without coordinates get a schematic layout: hosts on a circle,
devices around their aggregator (or their cheapest host).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from hflopt.errors import HfloptError, InstanceError
from hflopt.instance import Instance
from hflopt.solution import Solution

__all__ = [
    "host_colours",
    "plot_instance",
    "plot_loads",
    "plot_solution",
    "save_instance_map",
    "save_solution_map",
    "schematic_layout",
    "solution_figure",
]

#: Colour of unused hosts, idle devices and capacity bars.
GREY = "0.55"
_MAX_DEVICES = 50_000
_MAX_LABELS = 30
_GOLDEN_ANGLE = math.pi * (3.0 - math.sqrt(5.0))


def _mpl() -> Any:
    try:
        import matplotlib
    except ImportError:  # pragma: no cover - matplotlib is an optional dependency
        raise HfloptError("plots need matplotlib: pip install 'hflopt[plot]'") from None
    return matplotlib


def _axes(ax: Any) -> Any:
    if ax is not None:
        return ax
    _mpl()
    import matplotlib.pyplot as plt

    return plt.gca()


def _solution(instance: Instance, solution: Any) -> Solution:
    sol = getattr(solution, "solution", solution)  # a Result works too
    if sol is None:
        raise HfloptError("there is no solution to draw")
    if not isinstance(sol, Solution):
        sol = Solution(sol)
    if sol.host_of.size != instance.n_devices:
        raise HfloptError(
            f"solution has {sol.host_of.size} entries for {instance.n_devices} devices"
        )
    return sol


def host_colours(n: int) -> np.ndarray:
    """``n`` distinct RGBA colours, none grey (tab10 / tab20, then spread hues)."""
    _mpl()
    from matplotlib import colormaps

    # the greys of tab10/tab20 are left out: grey marks unused hosts and idle devices
    if n <= 9:
        return colormaps["tab10"](np.array([0, 1, 2, 3, 4, 5, 6, 8, 9])[:n])
    if n <= 18:
        return colormaps["tab20"](np.array([k for k in range(20) if k not in (14, 15)])[:n])
    # golden-ratio hue steps keep neighbours in the list far apart in colour
    return colormaps["hsv"]((np.arange(n) * 0.6180339887498949) % 1.0 * 0.92)


# ------------------------------------------------------------------- layout
def schematic_layout(instance: Instance, host_of: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Positions for an instance without coordinates.

    Hosts on a unit circle; each device in a small disc around its anchor
    host (the one in ``host_of``, else its cheapest link), devices without
    an anchor near the centre.
    """
    m, n = instance.n_hosts, instance.n_devices
    angle = 2.0 * math.pi * np.arange(m) / max(m, 1) + math.pi / 2
    host_xy = np.column_stack([np.cos(angle), np.sin(angle)]) if m > 1 else np.zeros((m, 2))
    anchor = np.full(n, -1, dtype=np.int64)
    if instance.n_links:
        # cheapest link of each device: the first link of the device after sorting by cost
        order = np.lexsort((instance.link_cost, instance.link_device))
        first = np.ones(order.size, dtype=bool)
        first[1:] = instance.link_device[order][1:] != instance.link_device[order][:-1]
        anchor[instance.link_device[order][first]] = instance.link_host[order][first]
    if host_of is not None:
        assigned = host_of >= 0
        anchor[assigned] = host_of[assigned]
    spacing = 2.0 * math.sin(math.pi / m) if m > 1 else 2.0
    radius = min(0.4, 0.42 * spacing)
    group = np.where(anchor >= 0, anchor, m)
    order = np.argsort(group, kind="stable")
    counts = np.bincount(group, minlength=m + 1)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - starts[group[order]]
    size = counts[group]
    r = radius * np.sqrt((rank + 0.5) / np.maximum(size, 1))
    theta = rank * _GOLDEN_ANGLE
    centre = np.vstack([host_xy, np.zeros((1, 2))])[group]
    device_xy = centre + np.column_stack([r * np.cos(theta), r * np.sin(theta)])
    return host_xy, device_xy


def _positions(instance: Instance, host_of: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, str]:
    if instance.host_xy is not None and instance.device_xy is not None:
        kind = "lonlat" if instance.metadata.get("coordinates") == "lonlat" else "planar"
        return instance.host_xy, instance.device_xy, kind
    hxy, dxy = schematic_layout(instance, host_of)
    return hxy, dxy, "schematic"


def _style_axes(ax: Any, kind: str, host_xy: np.ndarray, device_xy: np.ndarray, units: str = "") -> None:
    if kind == "lonlat":
        ax.set_xlabel("longitude")
        ax.set_ylabel("latitude")
        pts = np.vstack([host_xy, device_xy])
        lat = float(np.mean(pts[:, 1])) if pts.size else 0.0
        ax.set_aspect(1.0 / max(0.05, math.cos(math.radians(lat))), adjustable="datalim")
    elif kind == "planar":
        suffix = f" ({units})" if units else ""
        ax.set_xlabel("x" + suffix)
        ax.set_ylabel("y" + suffix)
        ax.set_aspect("equal", adjustable="datalim")
    else:
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("schematic layout (the instance has no coordinates)")
    ax.margins(0.06)


def _host_sizes(capacity: np.ndarray) -> np.ndarray:
    scale = min(1.0, math.sqrt(30.0 / max(capacity.size, 1)))  # many hosts: smaller squares
    top = float(capacity.max()) if capacity.size else 0.0
    if top <= 0:
        return np.full(capacity.size, 60.0 * scale)
    return np.maximum(8.0, (40.0 + 260.0 * capacity / top) * scale)


def _device_sizes(workload: np.ndarray, n_total: int) -> np.ndarray:
    scale = min(1.0, math.sqrt(400.0 / max(n_total, 1)))
    top = float(workload.max()) if workload.size else 0.0
    base = np.full(workload.size, 14.0) if top <= 0 else 4.0 + 36.0 * workload / top
    return np.maximum(0.5, base * scale)


def _sample(idx: np.ndarray, limit: int) -> tuple[np.ndarray, bool]:
    if idx.size <= limit:
        return idx, False
    rng = np.random.default_rng(0)
    return np.sort(rng.choice(idx, size=limit, replace=False)), True


def _labels(ax: Any, instance: Instance, host_xy: np.ndarray, hosts: np.ndarray) -> None:
    if hosts.size > _MAX_LABELS:
        return
    from matplotlib import patheffects

    halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    for j in hosts.tolist():
        ax.annotate(
            instance.host_ids[j], host_xy[j], xytext=(9, 7), textcoords="offset points",
            fontsize=8, zorder=5, path_effects=halo,
        )


# ------------------------------------------------------------------ drawing
def plot_instance(
    instance: Instance,
    ax: Any = None,
    *,
    links: bool = False,
    title: str | None = None,
    max_devices: int = _MAX_DEVICES,
    legend: bool = True,
) -> Any:
    """Draw an instance: hosts (squares, area ~ capacity), devices (dots, area ~ workload).

    Parameters
    ----------
    instance:
        The instance.
    ax:
        Axes to draw on (default: the current pyplot axes).
    links:
        Also draw the candidate device-host links (thin grey lines; at most
        20,000 are drawn).
    title:
        Axes title (default: the instance name and sizes).
    max_devices:
        Draw at most this many devices (a fixed random sample beyond).
    legend:
        Add a legend.

    Returns
    -------
    matplotlib.axes.Axes
    """
    _mpl()
    from matplotlib.collections import LineCollection

    ax = _axes(ax)
    host_xy, device_xy, kind = _positions(instance, None)
    shown, sampled = _sample(np.arange(instance.n_devices), max_devices)
    if links and instance.n_links:
        lk, _ = _sample(np.arange(instance.n_links), 20_000)
        segs = np.stack([device_xy[instance.link_device[lk]], host_xy[instance.link_host[lk]]], axis=1)
        lc = LineCollection(segs, colors=GREY, linewidths=0.4, alpha=0.35, zorder=1)
        lc.set_gid("links")
        ax.add_collection(lc)
    dev = ax.scatter(
        device_xy[shown, 0], device_xy[shown, 1], s=_device_sizes(instance.workload[shown], shown.size),
        c="0.25", alpha=0.7, linewidths=0, zorder=2, label="device (area ~ workload)",
    )
    dev.set_gid("devices")
    hosts = ax.scatter(
        host_xy[:, 0], host_xy[:, 1], s=_host_sizes(instance.capacity), marker="s", c="tab:blue",
        edgecolors="black", linewidths=0.8, zorder=3, label="host (area ~ capacity)",
    )
    hosts.set_gid("hosts")
    _labels(ax, instance, host_xy, np.arange(instance.n_hosts))
    _style_axes(ax, kind, host_xy, device_xy, str(instance.metadata.get("units", "")))
    if title is None:
        title = (f"{instance.name + ': ' if instance.name else ''}{instance.n_hosts} hosts, "
                 f"{instance.n_devices} devices, {instance.n_links} links")
    if sampled:
        title += f"\n(showing {shown.size:,} of {instance.n_devices:,} devices)"
    ax.set_title(title)
    if legend:
        ax.legend(loc="best", fontsize=8, markerscale=0.6)
    return ax


def plot_solution(
    instance: Instance,
    solution: Any,
    ax: Any = None,
    *,
    title: str | None = None,
    max_devices: int = _MAX_DEVICES,
    legend: bool = True,
) -> Any:
    """Draw a placement: device -> aggregator links coloured per host.

    Open hosts (aggregators) are squares filled with their colour, area ~
    capacity; unused hosts are hollow squares; each participating device is
    a dot in its aggregator's colour (area ~ workload) joined to it by a
    line; devices that do not participate are grey crosses.

    Parameters
    ----------
    instance:
        The instance.
    solution:
        A :class:`~hflopt.Solution`, a :class:`~hflopt.Result`, or a
        ``host_of`` array (-1 = not participating).
    ax:
        Axes to draw on (default: the current pyplot axes).
    title:
        Axes title (default: name, objective, participants, open hosts).
    max_devices:
        Draw at most this many participating devices (a fixed random sample
        beyond; the title says so).
    legend:
        Add a legend.

    Returns
    -------
    matplotlib.axes.Axes
    """
    _mpl()
    from matplotlib.collections import LineCollection

    sol = _solution(instance, solution)
    ax = _axes(ax)
    h = sol.host_of
    host_xy, device_xy, kind = _positions(instance, h)
    open_hosts = sol.open_hosts()
    colours = np.tile(np.array([[0.55, 0.55, 0.55, 1.0]]), (instance.n_hosts, 1))
    colours[open_hosts] = host_colours(open_hosts.size)

    part, sampled = _sample(np.flatnonzero(h >= 0), max_devices)
    idle, _ = _sample(np.flatnonzero(h < 0), max_devices)
    segs = np.stack([device_xy[part], host_xy[h[part]]], axis=1) if part.size else np.zeros((0, 2, 2))
    lines = LineCollection(segs, colors=colours[h[part]], linewidths=0.8, alpha=0.6, zorder=1)
    lines.set_gid("links")
    ax.add_collection(lines)
    sizes = _device_sizes(instance.workload, instance.n_devices)
    devs = ax.scatter(device_xy[part, 0], device_xy[part, 1], s=sizes[part], c=colours[h[part]],
                      edgecolors="none", zorder=2)
    devs.set_gid("devices")
    if idle.size:
        idle_pc = ax.scatter(device_xy[idle, 0], device_xy[idle, 1], s=np.maximum(sizes[idle], 12),
                             marker="x", c=GREY, linewidths=0.9, zorder=2)
        idle_pc.set_gid("idle-devices")
    _draw_hosts(ax, instance, host_xy, open_hosts, colours)
    _style_axes(ax, kind, host_xy, device_xy, str(instance.metadata.get("units", "")))
    if title is None:
        title = _solution_title(instance, sol)
    if sampled:
        title += f"\n(showing {part.size:,} of {int((h >= 0).sum()):,} participating devices)"
    ax.set_title(title)
    if legend:
        ax.legend(handles=_solution_legend(bool(idle.size)), loc="best", fontsize=8)
    return ax


def _draw_hosts(ax: Any, instance: Instance, host_xy: np.ndarray, open_hosts: np.ndarray,
                colours: np.ndarray) -> None:
    """Open hosts as filled squares, unused ones hollow (area ~ capacity), with labels."""
    unused = np.setdiff1d(np.arange(instance.n_hosts), open_hosts)
    hsize = _host_sizes(instance.capacity)
    if unused.size:
        un = ax.scatter(host_xy[unused, 0], host_xy[unused, 1], s=hsize[unused], marker="s",
                        facecolors="none", edgecolors="0.3", linewidths=1.2, zorder=3)
        un.set_gid("unused-hosts")
    if open_hosts.size:
        op = ax.scatter(host_xy[open_hosts, 0], host_xy[open_hosts, 1], s=hsize[open_hosts], marker="s",
                        c=colours[open_hosts], edgecolors="black", linewidths=1.0, zorder=4)
        op.set_gid("open-hosts")
    _labels(ax, instance, host_xy, np.arange(instance.n_hosts) if instance.n_hosts <= _MAX_LABELS
            else open_hosts)


def _solution_title(instance: Instance, sol: Solution) -> str:
    """Name, cost (when computable), participants and open hosts."""
    try:
        cost = f"cost {sol.cost(instance):.6g}, "
    except HfloptError:
        cost = ""
    return (f"{instance.name + ': ' if instance.name else ''}{cost}"
            f"{sol.n_participants} of {instance.n_devices} devices, "
            f"{sol.open_hosts().size} of {instance.n_hosts} hosts open")


def _solution_legend(with_idle: bool) -> list[Any]:
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], marker="s", ls="", mfc="tab:blue", mec="black", ms=9, label="aggregator (area ~ capacity)"),
        Line2D([], [], marker="s", ls="", mfc="none", mec="0.3", ms=9, label="unused host"),
        Line2D([], [], marker="o", ls="-", color="tab:blue", ms=4, lw=0.8, label="device -> aggregator"),
    ]
    if with_idle:
        handles.append(Line2D([], [], marker="x", ls="", color=GREY, ms=6, label="not participating"))
    return handles


def plot_loads(
    instance: Instance,
    solution: Any,
    ax: Any = None,
    *,
    max_hosts: int = 40,
    title: str | None = "host load / capacity",
) -> Any:
    """Bars of each host's load (its colour) against its capacity (grey outline).

    Loads above capacity (an infeasible solution) get a red outline.

    All hosts are shown when there are at most ``max_hosts``; otherwise the
    ``max_hosts`` most loaded open hosts.
    """
    _mpl()
    sol = _solution(instance, solution)
    ax = _axes(ax)
    loads = sol.loads(instance)
    open_hosts = sol.open_hosts()
    colours = np.tile(np.array([[0.55, 0.55, 0.55, 1.0]]), (instance.n_hosts, 1))
    colours[open_hosts] = host_colours(open_hosts.size)
    hosts = np.arange(instance.n_hosts)
    note = ""
    if hosts.size > max_hosts:
        hosts = open_hosts[np.argsort(-loads[open_hosts], kind="stable")[:max_hosts]]
        hosts.sort()
        note = f"\n({hosts.size} most loaded of {open_hosts.size} open hosts)"
    x = np.arange(hosts.size)
    cap_bars = ax.bar(x, instance.capacity[hosts], width=0.8, color="0.92", edgecolor="0.45",
                      linewidth=0.8, label="capacity", zorder=1)
    for patch in cap_bars:
        patch.set_gid("capacity-bar")
    over = loads[hosts] > instance.capacity[hosts] * (1 + 1e-9)
    load_bars = ax.bar(x, loads[hosts], width=0.55, color=colours[hosts],
                       edgecolor=np.where(over[:, None], [[0.85, 0.0, 0.0, 1.0]], [[0.0, 0.0, 0.0, 1.0]]),
                       linewidth=np.where(over, 1.6, 0.4), label="load", zorder=2)
    for patch in load_bars:
        patch.set_gid("load-bar")
    top = float(max(instance.capacity[hosts].max(initial=0.0), loads[hosts].max(initial=0.0)))
    if hosts.size <= 16:
        for xi, j in zip(x.tolist(), hosts.tolist(), strict=True):
            if loads[j] > 0 or j in set(open_hosts.tolist()):
                share = loads[j] / instance.capacity[j] if instance.capacity[j] > 0 else math.inf
                ax.annotate(f"{share:.0%}" if math.isfinite(share) else "-", (xi, max(loads[j],
                            instance.capacity[j])), xytext=(0, 2), textcoords="offset points",
                            ha="center", va="bottom", fontsize=7)
    ax.set_ylim(0, top * 1.22 if top > 0 else 1.0)
    ax.set_xticks(x)
    ax.set_xticklabels([instance.host_ids[j] for j in hosts.tolist()],
                       rotation=90 if hosts.size > 8 else 0, fontsize=7 if hosts.size > 8 else 8)
    ax.set_xlabel("host")
    ax.set_ylabel("workload (load / capacity)")
    if title:
        ax.set_title(title + note)
    ax.legend(loc="upper right", fontsize=8, ncols=2)
    return ax


# ------------------------------------------------------------------- saving
def solution_figure(instance: Instance, solution: Any, title: str | None = None, *,
                    figsize: tuple[float, float] = (13.0, 6.5)) -> Any:
    """A figure (Agg canvas, no pyplot) with the solution map and the load bars."""
    _mpl()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    sol = _solution(instance, solution)
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(1, 2, width_ratios=(2.3, 1.0))
    ax_map = fig.add_subplot(grid[0])
    ax_bar = fig.add_subplot(grid[1])
    plot_solution(instance, sol, ax=ax_map)
    plot_loads(instance, sol, ax=ax_bar)
    if title and title != instance.name:
        fig.suptitle(title)
    return fig


def check_image_path(path: str | os.PathLike[str]) -> str:
    """The image type of ``path`` (``png``, ``svg``, ...); an InstanceError if matplotlib has none."""
    _mpl()  # a clear message when the optional dependency is missing
    from matplotlib.backend_bases import FigureCanvasBase

    fmt = Path(path).suffix.lower().lstrip(".")
    supported = FigureCanvasBase.get_supported_filetypes()
    if fmt not in supported:
        raise InstanceError(
            f"unsupported image type (use one of: {', '.join('.' + k for k in sorted(supported))})",
            field="plot", value=str(path),
        )
    return fmt


def _save(fig: Any, path: str | os.PathLike[str], dpi: int) -> None:
    import io

    from hflopt.io._common import output_target, write_bytes

    fmt = check_image_path(path)
    target = output_target(path)
    buf = io.BytesIO()  # rendered first: the file is written atomically, a pipe written through
    fig.savefig(buf, format=fmt, dpi=dpi)
    write_bytes(target, buf.getvalue())


def save_solution_map(
    instance: Instance,
    solution: Any,
    path: str | os.PathLike[str],
    title: str | None = None,
    *,
    dpi: int = 120,
) -> None:
    """Write the solution map and the host loads to an image file (PNG, SVG, PDF, ...).

    The image type comes from the extension; the file is written atomically
    (temporary file, then rename) with the Agg renderer, whatever pyplot
    backend is active.
    """
    fig = solution_figure(instance, solution, title)
    _save(fig, path, dpi)


def save_instance_map(
    instance: Instance,
    path: str | os.PathLike[str],
    title: str | None = None,
    *,
    links: bool = False,
    dpi: int = 120,
) -> None:
    """Write the instance map (:func:`plot_instance`) to an image file, atomically."""
    _mpl()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9.0, 7.5), layout="constrained")
    FigureCanvasAgg(fig)
    plot_instance(instance, ax=fig.add_subplot(), links=links, title=title)
    _save(fig, path, dpi)
