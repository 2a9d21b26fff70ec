"""Plots of a day of re-planning (matplotlib, imported lazily; functions take ``ax=`` and never show)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hflopt.replanning.result import ReplanResult

__all__ = ["plot_day", "plot_day_metric", "save_day_plot"]

_METRICS = {
    "total_cost": "training + change cost",
    "migrations": "migrations",
    "latency_mean_ms": "mean latency (ms)",
    "overloaded_hosts": "overloaded hosts",
    "comm_cost": "training cost",
    "max_utilization": "max utilisation",
}


def _as_mapping(results: ReplanResult | Mapping[str, ReplanResult] | Sequence[ReplanResult]
                ) -> dict[str, ReplanResult]:
    if isinstance(results, ReplanResult):
        return {results.policy: results}
    if isinstance(results, Mapping):
        return dict(results)
    return {r.policy: r for r in results}


def plot_day_metric(results: Any, metric: str = "total_cost", *, ax: Any = None) -> Any:
    """One line per policy of ``metric`` (a column of :meth:`ReplanResult.to_frame`) over the periods.

    Unbounded latencies (an overloaded node) are drawn as crosses on the top edge.
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    runs = _as_mapping(results)
    series = {label: np.array([np.nan if r[metric] is None else float(r[metric]) for r in res.rows])
              for label, res in runs.items()}
    for label, values in series.items():
        ax.plot(np.arange(values.size), np.where(np.isfinite(values), values, np.nan), marker=".", label=label)
    finite = [v[np.isfinite(v)] for v in series.values()]
    top = max((float(f.max()) for f in finite if f.size), default=0.0)
    first = next(iter(runs.values()), None)
    if first is not None:
        labels = list(first.periods)
        step = max(1, math.ceil(len(labels) / 12))
        ax.set_xticks(range(0, len(labels), step), labels[::step], rotation=45, ha="right", fontsize="small")
    ax.set(ylabel=_METRICS.get(metric, metric))
    if metric.startswith("latency") and top > 0:
        ax.set_yscale("log")  # near saturation M/M/1 latency grows without bound: keep quiet hours visible
    _mark_unbounded(ax, series)
    if runs:
        ax.legend(fontsize="small")
    return ax


def _mark_unbounded(ax: Any, series: dict[str, np.ndarray]) -> None:
    """Crosses for infinite values in a band above the data, one row per policy so none hides another."""
    rows = [(k, label, np.flatnonzero(np.isinf(v))) for k, (label, v) in enumerate(series.items())]
    rows = [r for r in rows if r[2].size]
    if not rows:
        return
    lo, hi = ax.get_ylim()
    share = 1.0 - 0.06 * (len(rows) + 1)  # the data keep the lower part of the axes
    if ax.get_yscale() == "log":
        ax.set_ylim(lo, lo * (hi / lo) ** (1.0 / share))
    else:
        ax.set_ylim(lo, lo + (hi - lo) / share)
    for row, (k, label, where) in enumerate(rows):
        ax.plot(where, np.full(where.size, 0.97 - 0.06 * row), "x", color=f"C{k}", ms=8, clip_on=False,
                transform=ax.get_xaxis_transform(), label=f"{label}: unbounded")


def plot_day(results: Any, *, axes: Sequence[Any] | None = None,
             metrics: Sequence[str] = ("total_cost", "migrations", "latency_mean_ms")) -> Any:
    """Cost, migrations and latency over the day, one panel each (``axes``: one per metric)."""
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(len(metrics), 1, figsize=(8, 2.6 * len(metrics)), sharex=True,
                               constrained_layout=True)
        axes = np.atleast_1d(axes)
    for ax, metric in zip(axes, metrics, strict=True):
        plot_day_metric(results, metric, ax=ax)
    axes[-1].set_xlabel("period")
    return axes


def save_day_plot(results: Any, path: str | os.PathLike[str]) -> None:
    """:func:`plot_day` written atomically to ``path`` (image type from its name)."""
    import matplotlib.pyplot as plt

    from hflopt.evaluate.plots import save_figure

    axes = plot_day(results)
    fig = axes[0].figure
    try:
        save_figure(fig, path)
    finally:
        plt.close(fig)
