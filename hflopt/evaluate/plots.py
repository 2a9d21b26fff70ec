"""Plots of evaluations (matplotlib, imported lazily; every function takes ``ax=`` and never shows)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hflopt.evaluate.latency import LatencyResult, flow_cdf

__all__ = ["analytical_cdf", "new_figure", "plot_comm_cost", "plot_cost_savings", "plot_latency_box",
           "plot_latency_cdf", "save_evaluation_plot", "save_figure"]


def analytical_cdf(res: LatencyResult, t_ms: np.ndarray) -> np.ndarray:
    """Share of requests with latency <= t, from the closed forms (overloaded requests never count)."""
    f = res.flows
    total = f.rate.sum()
    return np.array([float((f.rate * flow_cdf(res.model, f, np.full(f.node.size, t))).sum() / total)
                     for t in np.asarray(t_ms, dtype=np.float64)])


def _axes(ax: Any) -> Any:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax


def plot_latency_cdf(curves: Mapping[str, Any], *, ax: Any = None, slo_ms: float | None = None) -> Any:
    """CDF per setup: values are simulated latency arrays (ms) or :class:`LatencyResult` (analytical)."""
    ax = _axes(ax)
    finite = [np.asarray(v)[np.isfinite(v)] for v in curves.values() if not isinstance(v, LatencyResult)]
    top = max([float(np.percentile(v, 99.5)) for v in finite if v.size] or [0.0])
    for v in curves.values():
        if isinstance(v, LatencyResult):
            top = max(top, *(x for x in v.percentiles_ms.values() if np.isfinite(x)), 1.0)
    grid = np.linspace(0.0, 1.1 * top, 400)
    for label, v in curves.items():
        if isinstance(v, LatencyResult):
            ax.plot(grid, analytical_cdf(v, grid), label=f"{label} (analytical)")
        else:
            x = np.sort(np.asarray(v))
            ax.step(x, np.arange(1, x.size + 1) / x.size, where="post", label=label)
    if slo_ms is not None:
        ax.axvline(slo_ms, color="grey", ls=":", label=f"SLO {slo_ms:g} ms")
    ax.set(xlabel="end-to-end latency (ms)", ylabel="share of requests", xlim=(0, 1.1 * top), ylim=(0, 1.01))
    ax.legend(loc="lower right", fontsize="small")
    return ax


def plot_latency_box(samples: Mapping[str, Sequence[float]], *, ax: Any = None,
                     published: Mapping[str, float] | None = None) -> Any:
    """Box plot (whiskers 5-95%) of simulated latencies per setup; published means as markers."""
    ax = _axes(ax)
    labels = list(samples)
    ax.boxplot([np.asarray(samples[k]) for k in labels], whis=(5, 95), showfliers=False, showmeans=True)
    ax.set_xticks(range(1, len(labels) + 1), labels, rotation=20, ha="right", fontsize="small")
    if published:
        xs = [k + 1 for k, lab in enumerate(labels) if lab in published]
        ax.scatter(xs, [published[lab] for lab in labels if lab in published], marker="x", color="red",
                   zorder=3, label="published mean")
        ax.legend(fontsize="small")
    ax.set(ylabel="end-to-end latency (ms)")
    return ax


def plot_comm_cost(cost: Any, *, ax: Any = None) -> Any:
    """Stacked bar of HFL's traffic (device-edge, edge-cloud) next to flat FL's."""
    ax = _axes(ax)
    ax.bar(["HFL"], [cost.device_edge], label="device-edge")
    ax.bar(["HFL"], [cost.edge_cloud], bottom=[cost.device_edge], label="edge-cloud")
    ax.bar(["flat FL"], [cost.flat], label="device-cloud")
    ax.set(ylabel="traffic per run (cost x MB)", title=f"savings {cost.savings_percent:.1f}%")
    ax.legend(fontsize="small")
    return ax


def plot_cost_savings(table: Any, *, ax: Any = None, published: Mapping[str, Mapping[str, float]] | None = None
                      ) -> Any:
    """Savings (%) by density with 95% intervals, one series per setup; published values as markers.

    ``table`` has columns ``density``, ``setup``, ``mean``, ``ci_low``, ``ci_high``.
    """
    ax = _axes(ax)
    densities = list(dict.fromkeys(table["density"]))
    x = np.arange(len(densities))
    for k, (setup, part) in enumerate(table.groupby("setup", sort=False)):
        part = part.set_index("density").loc[densities]
        err = np.vstack([part["mean"] - part["ci_low"], part["ci_high"] - part["mean"]])
        ax.errorbar(x + 0.08 * (k - 0.5), part["mean"], yerr=err, fmt="o-", capsize=3, label=f"{setup} (hflopt)")
        if published and setup in published:
            pub = np.array([published[setup][d] for d in densities])
            low = part["published_low"].to_numpy(dtype=float) if "published_low" in part else np.full(pub.size, np.nan)
            high = part["published_high"].to_numpy(dtype=float) if "published_high" in part else low
            perr = np.vstack([np.nan_to_num(pub - low), np.nan_to_num(high - pub)])
            ax.errorbar(x + 0.08 * (k - 0.5) + 0.16, pub, yerr=perr, fmt="x", color="black", capsize=3,
                        zorder=3, label="published" if k == 0 else None)
    ax.set_xticks(x, densities)
    ax.set(xlabel="edge density (hosts : devices)", ylabel="traffic savings vs flat FL (%)")
    ax.legend(fontsize="small")
    return ax


def new_figure(ncols: int = 1, figsize: tuple[float, float] = (10.0, 4.0)) -> tuple[Any, list[Any]]:
    """A figure with ``ncols`` axes on the Agg canvas (no pyplot, whatever backend is active)."""
    from hflopt.plotting import _mpl

    _mpl()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, [fig.add_subplot(1, ncols, k + 1) for k in range(ncols)]


def save_figure(fig: Any, path: str | os.PathLike[str], dpi: int = 120) -> None:
    """Write ``fig`` atomically, in the image type its name says (PNG, SVG, PDF, ...)."""
    from hflopt.plotting import _save

    _save(fig, path, dpi)


def save_evaluation_plot(ev: Any, path: str | os.PathLike[str]) -> None:
    """Traffic bars and latency CDFs (simulated when the evaluation has them) in one image."""
    fig, (a, b) = new_figure(2)
    plot_comm_cost(ev.comm, ax=a)
    if ev.sim_hfl is not None:
        plot_latency_cdf({"HFL": ev.sim_hfl.latency_ms, "flat FL": ev.sim_flat.latency_ms}, ax=b,
                         slo_ms=ev.hfl.slo_ms)
    else:
        plot_latency_cdf({"HFL": ev.hfl, "flat FL": ev.flat}, ax=b, slo_ms=ev.hfl.slo_ms)
    save_figure(fig, path)
