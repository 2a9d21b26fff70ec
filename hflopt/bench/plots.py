"""Pictures of a results table (matplotlib): every function takes ``ax=`` and never shows.

- :func:`plot_gap_vs_time`: each run as a point (solve time, gap to the best
  known value), one colour per method, the method's median as a large marker.
- :func:`plot_runtime_vs_size`: median solve time per method against the
  instance size (devices, links or hosts), log-log; with several host counts
  one line per (method, hosts), as in the paper's runtime figure.
- :func:`plot_performance_profile`: Dolan and More's performance profile of
  the time to reach the best known value: the share of instances a method
  solves within a factor tau of the fastest method.
- :func:`save_plots`: the three as image files in a folder
  (``hflopt bench plot RESULTS DIR``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from hflopt.errors import InstanceError

__all__ = ["PLOTS", "check_plot_folder", "plot_gap_vs_time", "plot_performance_profile", "plot_runtime_vs_size",
           "save_plots"]

#: statuses drawn as runs cut by their time limit
_CUT = ("time_limit", "killed")


def _axes(ax: Any) -> Any:
    from hflopt.plotting import _axes as plotting_axes

    return plotting_axes(ax)


def _scales(ax: Any, drawn: bool, x: dict[str, Any], y: dict[str, Any]) -> None:
    """Set the axes' scales, or, when nothing was drawn, say so and keep linear scales.

    (A log scale on empty axes cannot place its ticks: matplotlib fails at draw time.)
    """
    if drawn:
        ax.set_xscale(**x)
        ax.set_yscale(**y)
    else:
        ax.text(0.5, 0.5, "no run to show (every run failed or has no solution)", transform=ax.transAxes,
                ha="center", va="center", fontsize=9)


def _colours(methods: list[str]) -> dict[str, Any]:
    from hflopt.plotting import host_colours

    return dict(zip(methods, host_colours(len(methods)), strict=True))


def _methods(frame: Any) -> list[str]:
    return [str(m) for m in dict.fromkeys(frame["method"].tolist())]


def plot_gap_vs_time(frame: Any, *, ax: Any = None, title: str | None = "Gap to the best known value vs time"
                     ) -> Any:
    """Each run's gap to the best known value (percent) against its solve time (log scale).

    Runs without a solution are left out and counted in the legend.
    """
    ax = _axes(ax)
    methods = _methods(frame)
    colours = _colours(methods)
    for method in methods:
        runs = frame[frame["method"] == method]
        ok = runs[runs["gap_to_best"].notna() & runs["seconds"].notna()]
        seconds = np.maximum(ok["seconds"].to_numpy(float), 1e-3)
        gaps = 100 * ok["gap_to_best"].to_numpy(float)
        missing = len(runs) - len(ok)
        label = method + (f" ({missing} without solution)" if missing else "")
        ax.scatter(seconds, gaps, s=18, alpha=0.55, color=colours[method], label=label)
        if len(ok):
            ax.scatter([np.median(seconds)], [np.median(gaps)], s=110, marker="D", color=colours[method],
                       edgecolors="black", linewidths=0.8, zorder=3)
    gaps = frame["gap_to_best"].dropna()
    _scales(ax, not gaps.empty, {"value": "log"}, {"value": "symlog", "linthresh": 0.01})
    if gaps.empty or float(gaps.min()) >= 0:  # no run beat the best known value: no negative half
        ax.set_ylim(bottom=0)
    ax.set_xlabel("solve time (s)")
    ax.set_ylabel("gap to best known (%)")
    if title:
        ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, title="method (diamond: median)", title_fontsize=8)
    return ax


def plot_runtime_vs_size(frame: Any, *, ax: Any = None, size: str = "devices",
                         title: str | None = "Runtime vs instance size") -> Any:
    """Median solve time per method against ``size`` (``devices``, ``links`` or ``hosts``), log-log.

    When the table holds several host counts and ``size`` is not ``hosts``,
    each (method, host count) gets its own line (the paper's runtime figure:
    one line per M). Open markers: the median run was cut by its time limit.
    """
    if size not in ("devices", "links", "hosts"):
        raise InstanceError("must be devices, links or hosts", field="size", value=size)
    ax = _axes(ax)
    data = frame[frame["seconds"].notna() & frame[size].notna()]
    methods = _methods(frame)
    colours = _colours(methods)
    split = size != "hosts" and data["hosts"].nunique() > 1
    styles = ["-", "--", ":", "-."]
    host_counts = sorted(data["hosts"].dropna().unique().tolist()) if split else [None]
    for method in methods:
        for k, hosts in enumerate(host_counts):
            runs = data[data["method"] == method]
            if hosts is not None:
                runs = runs[runs["hosts"] == hosts]
            if runs.empty:
                continue
            grouped = runs.groupby(size)
            x = np.array(sorted(grouped.groups), dtype=float)
            y = np.array([grouped.get_group(v)["seconds"].median() for v in sorted(grouped.groups)])
            cut = np.array([grouped.get_group(v)["status"].isin(_CUT).mean() >= 0.5 for v in sorted(grouped.groups)])
            label = method if hosts is None else f"{method}, M = {int(hosts)}"
            ax.plot(x, np.maximum(y, 1e-3), styles[k % len(styles)], color=colours[method], label=label)
            ax.scatter(x[~cut], np.maximum(y[~cut], 1e-3), color=colours[method], s=25)
            ax.scatter(x[cut], np.maximum(y[cut], 1e-3), facecolors="none", edgecolors=colours[method], s=40)
    _scales(ax, not data.empty, {"value": "log"}, {"value": "log"})
    ax.set_xlabel({"devices": "devices N", "links": "device-host links", "hosts": "hosts M"}[size])
    ax.set_ylabel("median solve time (s)")
    if title:
        ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    return ax


def profile_ratios(frame: Any, *, tolerance: float = 1e-6) -> dict[str, np.ndarray]:
    """Performance ratios per method: time to reach the best known value over the fastest method's.

    A run counts as solved when its gap to the best known value is at most
    ``tolerance``; an unsolved run has ratio inf. Problems are (instance,
    repeat) pairs that at least one method solved.
    """
    solved = frame["gap_to_best"].abs() <= tolerance
    times = frame.assign(t=np.where(solved, np.maximum(frame["seconds"].astype(float), 1e-3), np.inf))
    table = times.pivot_table(index=["instance", "repeat"], columns="method", values="t", aggfunc="min")
    table = table[np.isfinite(table.to_numpy()).any(axis=1)]
    best = table.min(axis=1)
    return {str(m): (table[m] / best).fillna(np.inf).to_numpy() for m in _methods(frame) if m in table.columns}


def plot_performance_profile(frame: Any, *, ax: Any = None, tolerance: float = 1e-6,
                             title: str | None = "Performance profile (time to reach the best known value)") -> Any:
    """Share of problems each method solves within a factor tau of the fastest (Dolan and More, 2002)."""
    ax = _axes(ax)
    ratios = profile_ratios(frame, tolerance=tolerance)
    colours = _colours(_methods(frame))
    finite = [r[np.isfinite(r)] for r in ratios.values()]
    top = max([2.0, *(float(r.max()) * 1.2 for r in finite if r.size)])
    for method, r in ratios.items():
        if not r.size:
            continue
        taus = np.concatenate([[1.0], np.sort(r[np.isfinite(r)]), [top]])
        share = np.array([(r <= t).mean() for t in taus])
        ax.step(taus, share, where="post", color=colours[method], label=method)
    _scales(ax, any(r.size for r in finite), {"value": "log", "base": 2}, {"value": "linear"})
    ax.set_xlim(1, top)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("tau (time / fastest method's time)")
    ax.set_ylabel("share of instances solved")
    if title:
        ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="lower right")
    n = len(next(iter(ratios.values()))) if ratios else 0
    ax.text(0.02, 0.97, f"{n} problems; solved = within {tolerance:g} of the best known value",
            transform=ax.transAxes, fontsize=7, va="top")
    return ax


#: file name stem -> drawing function of :func:`save_plots`
PLOTS = {"gap-vs-time": plot_gap_vs_time, "runtime-vs-size": plot_runtime_vs_size,
         "performance-profile": plot_performance_profile}


def check_plot_folder(folder: str | os.PathLike[str], image_type: str = "png") -> Path:
    """Check before drawing that ``folder`` is (or can be made) a folder and the type is an image type."""
    from hflopt.plotting import check_image_path

    p = Path(folder)
    try:
        check_image_path(p / f"x.{image_type}")
    except InstanceError as exc:  # name what the user typed, not the probe file name
        raise InstanceError(exc.message, field="--type", value=image_type) from None
    if p.exists() and not p.is_dir():
        raise InstanceError("exists and is not a folder", field="output", value=str(folder))
    if not p.exists() and not p.parent.is_dir():
        raise InstanceError(f"output folder {p.parent} does not exist", field="output", value=str(folder))
    return p


def save_plots(frame: Any, folder: str | os.PathLike[str], *, image_type: str = "png", dpi: int = 120
               ) -> list[Path]:
    """Draw the three plots to ``folder/NAME.TYPE`` (created if missing), atomically; return the paths."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from hflopt.plotting import _save

    p = check_plot_folder(folder, image_type)
    try:
        p.mkdir(exist_ok=True)
    except OSError as exc:
        raise InstanceError(f"cannot be created: {exc.strerror or exc}", field="output", value=str(folder)) from None
    paths = []
    for name, draw in PLOTS.items():
        fig = Figure(figsize=(7.5, 5.0), layout="constrained")
        FigureCanvasAgg(fig)
        draw(frame, ax=fig.add_subplot())
        path = p / f"{name}.{image_type}"
        _save(fig, path, dpi)
        paths.append(path)
    return paths
