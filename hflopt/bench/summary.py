"""Per-method summary of a results table, as a DataFrame and as Markdown.

Columns of :func:`summarize` (one row per method, in the table's order):

- ``runs``; ``solved``: runs with a verified solution (or a proof of
  infeasibility); ``optimal``: runs that proved optimality; ``at_best``:
  runs whose objective equals the best known value (relative 1e-6);
- ``mean_gap``, ``worst_gap``: mean and largest gap to the best known value
  over the runs with a solution;
- ``median_seconds``, ``max_seconds``: solve time (killed runs count with
  the time they ran); ``peak_memory_mb``: largest peak of the runs;
- ``speedup``: median time of the reference method (exact) over the median
  time of this method, on the (instance, repeat) pairs both ran.
"""

from __future__ import annotations

import math
from typing import Any

from hflopt.bench.core import TOLERANCE, is_solved

__all__ = ["markdown_table", "summarize", "summary_markdown"]


def _speedup(frame: Any, method: str, reference: str) -> float:
    keys = ["instance", "repeat"]
    ref = frame[frame["method"] == reference].set_index(keys)["seconds"].dropna()
    own = frame[frame["method"] == method].set_index(keys)["seconds"].dropna()
    both = ref.index.intersection(own.index)
    if both.empty:
        return math.nan
    denominator = float(own.loc[both].median())
    return float(ref.loc[both].median()) / denominator if denominator > 0 else math.inf


def summarize(frame: Any, *, reference: str = "exact") -> Any:
    """One row per method: runs, solved, optimal, at best, gaps, times, memory, speed-up.

    Parameters
    ----------
    frame:
        A results table (:func:`~hflopt.bench.run_bench` or
        :func:`~hflopt.bench.load_results`).
    reference:
        The method speed-ups are measured against (NaN when it did not run).
    """
    import pandas as pd

    rows = []
    for method, group in frame.groupby("method", sort=False):
        gaps = group["gap_to_best"].dropna()
        seconds = group["seconds"].dropna()
        rows.append({
            "method": method,
            "runs": len(group),
            "solved": int(is_solved(group).sum()),
            "optimal": int((group["status"] == "optimal").sum()),
            "at_best": int((gaps.abs() <= TOLERANCE).sum()),
            "mean_gap": float(gaps.mean()) if not gaps.empty else math.nan,
            "worst_gap": float(gaps.max()) if not gaps.empty else math.nan,
            "median_seconds": float(seconds.median()) if not seconds.empty else math.nan,
            "max_seconds": float(seconds.max()) if not seconds.empty else math.nan,
            "peak_memory_mb": float(group["peak_memory_mb"].max()),
            "speedup": _speedup(frame, str(method), reference),
        })
    return pd.DataFrame(rows)


def _cell(value: Any, kind: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if kind == "percent":
        return f"{100 * value:.2f}%"
    if kind == "seconds":
        return f"{value:.2f}"
    if kind == "mb":
        return f"{value:.0f}"
    if kind == "speedup":
        if math.isinf(value):
            return "inf"
        return f"{value:.0f}x" if value >= 10 else f"{value:.1f}x" if value >= 1 else f"{value:.2g}x"
    return str(value)


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table with padded columns."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows]
    return "\n".join([line, sep, *body])


def summary_markdown(summary: Any, *, reference: str = "exact") -> str:
    """The table of :func:`summarize` as Markdown (gaps in percent, times in seconds)."""
    header = ["method", "solved", "optimal", "at best known", "mean gap", "worst gap", "median s", "max s",
              "peak MB", f"speed-up vs {reference}"]
    rows = []
    for r in summary.itertuples(index=False):
        rows.append([str(r.method), f"{r.solved}/{r.runs}", f"{r.optimal}/{r.runs}", f"{r.at_best}/{r.runs}",
                     _cell(r.mean_gap, "percent"), _cell(r.worst_gap, "percent"),
                     _cell(r.median_seconds, "seconds"), _cell(r.max_seconds, "seconds"),
                     _cell(r.peak_memory_mb, "mb"), _cell(r.speedup, "speedup")])
    return markdown_table(header, rows)
